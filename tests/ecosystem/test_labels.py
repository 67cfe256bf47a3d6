"""pitstop's findings on the ecosystem corpus against the labels a reader gave them.

Runs only where the corpus is built and named by $PITSTOP_ECOSYSTEM_CORPUS (see
benchmarks/ecosystem.py); elsewhere, as in CI, each case skips and says why. A finding
labelled false that comes back unchanged fails, and so does a correct one that disappears;
findings with no label yet, or whose severity or message changed since they were labelled,
are listed as a warning, for a reader to judge.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.ecosystem.labelset import (
    CORPUS_ENV,
    LABELS_DIR,
    Label,
    compare,
    corpus_commit,
    corpus_dir,
    label_files,
    load_labels,
    run_pitstop,
)

LABEL_PATHS = sorted(LABELS_DIR.glob("*.toml"))


def test_every_label_file_reads() -> None:
    """The label files themselves are checked everywhere, corpus or not."""
    files = label_files()
    assert files, "no label files in tests/ecosystem/labels"
    for labels in files:
        assert len(labels.commit) == 40, f"{labels.name}: no pinned commit"
        assert labels.labels, f"{labels.name}: no labels"


@pytest.mark.parametrize("label_path", LABEL_PATHS, ids=[path.stem for path in LABEL_PATHS])
def test_findings_match_labels(label_path: Path) -> None:
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip(f"${CORPUS_ENV} is not set: build the corpus to run the ecosystem check")
    labels = load_labels(label_path)
    built = corpus_commit(corpus, labels.name)
    if built != labels.commit:
        pytest.skip(
            f"{labels.name}: corpus holds {built or 'nothing'}, labels are for {labels.commit}"
        )
    run = run_pitstop(corpus / labels.name)
    assert run.exit_code in (0, 1), f"{labels.name}: exit {run.exit_code}: {run.error}"
    result = compare(run, labels)
    if result.unlabelled:
        listing = "\n".join(
            f"  {rule} {path}:{line}" for (rule, path, line), _ in result.unlabelled
        )
        warnings.warn(f"{labels.name}: findings with no label yet:\n{listing}", stacklevel=1)
    problems = [f"labelled false, reported again: {_show(label)}" for label in result.false_back]
    problems += [
        f"labelled correct, no longer reported: {_show(label)}" for label in result.correct_gone
    ]
    assert not problems, f"{labels.name}:\n" + "\n".join(problems)


def _show(label: Label) -> str:
    return f"{label.rule} {label.path}:{label.line} ({label.reason})"
