"""Precision labels for pitstop's findings on the ecosystem corpus, and how findings meet them.

The corpus (../shared/ecosystem/ in the steering repository) is 25 real repositories stripped at
pinned commits. It is built locally and never committed; the labels are this project's data:
one TOML file per repository in `labels/`, each entry keyed by (rule, path, line) and saying
whether the finding there is correct, false or debatable, and why. An entry also records the
severity and a digest of the message it judged: a finding at the same place whose severity or
message has changed since is a different claim, counted as "stale" (to judge again), never
credited with the old label. Shared by the label test
(tests/ecosystem/test_labels.py) and the check a maintainer runs before a rule change
(benchmarks/ecosystem.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LABELS_DIR = Path(__file__).parent / "labels"
CORPUS_ENV = "PITSTOP_ECOSYSTEM_CORPUS"
VERDICTS = ("correct", "false", "debatable")

Key = tuple[str, str, int]


@dataclass(frozen=True)
class Label:
    """What a reader found true of the findings at one (rule, path, line)."""

    rule: str
    path: str
    line: int
    label: str
    reason: str
    severities: frozenset[str] = frozenset()  # empty: any
    messages: frozenset[str] = frozenset()  # digests (message_digest); empty: any

    def judges(self, severity: str, message: str) -> bool:
        """Whether this label was given to the claim a finding makes now."""
        return (not self.severities or severity in self.severities) and (
            not self.messages or message_digest(message) in self.messages
        )

    @property
    def key(self) -> Key:
        return (self.rule, self.path, self.line)


@dataclass(frozen=True)
class LabelFile:
    """One repository's labels, made at one commit of it."""

    name: str
    commit: str
    labels: Mapping[Key, Label]


@dataclass(frozen=True)
class Run:
    """pitstop's findings on one corpus repository, run as a user runs it."""

    name: str
    exit_code: int
    seconds: float
    keys: tuple[Key, ...]
    messages: Mapping[Key, str]
    severities: Mapping[Key, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class Comparison:
    """A run held against its repository's labels."""

    name: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, verdict) -> n
    unlabelled: list[tuple[Key, str]] = field(default_factory=list)
    stale: list[tuple[Label, str]] = field(default_factory=list)  # (old label, new message)
    false_back: list[Label] = field(default_factory=list)
    correct_gone: list[Label] = field(default_factory=list)
    others_gone: list[Label] = field(default_factory=list)


class LabelError(ValueError):
    """A label file that does not have the documented shape."""


def corpus_dir() -> Path | None:
    """The built corpus named by $PITSTOP_ECOSYSTEM_CORPUS, or None when it is not set."""
    value = os.environ.get(CORPUS_ENV)
    return Path(value) if value else None


def load_labels(path: Path) -> LabelFile:
    """Read one label file, checking every entry's shape."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries: dict[Key, Label] = {}
    for number, raw in enumerate(data.get("finding", []), start=1):
        label = _label(raw, f"{path.name}: finding {number}")
        if label.key in entries:
            raise LabelError(f"{path.name}: finding {number} repeats {label.key}")
        entries[label.key] = label
    return LabelFile(path.stem, str(data.get("commit", "")), entries)


def _label(raw: Any, where: str) -> Label:
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: not a table")
    try:
        rule, path, line = str(raw["rule"]), str(raw["path"]), int(raw["line"])
        verdict, reason = str(raw["label"]), str(raw.get("reason", ""))
        severities, messages = _strings(raw.get("severity")), _strings(raw.get("message"))
    except (KeyError, TypeError, ValueError) as error:
        raise LabelError(f"{where}: missing or bad field ({error})") from None
    if verdict not in VERDICTS:
        raise LabelError(f"{where}: label {verdict!r} is not one of {', '.join(VERDICTS)}")
    if not reason.strip():
        raise LabelError(f"{where}: a label needs a reason")
    return Label(rule, path, line, verdict, reason, severities, messages)


def _strings(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise TypeError("severity and message are a string or a list of strings")


def message_digest(message: str) -> str:
    """The short digest a label keeps of the message it judged."""
    return hashlib.sha256(message.encode()).hexdigest()[:10]


def label_files(directory: Path = LABELS_DIR) -> list[LabelFile]:
    return [load_labels(path) for path in sorted(directory.glob("*.toml"))]


def corpus_commit(corpus: Path, name: str) -> str:
    """The commit the corpus copy of `name` was stripped at (build.sh writes it)."""
    marker = corpus / name / ".commit"
    return marker.read_text().strip() if marker.is_file() else ""


def run_pitstop(repository: Path, python: str = sys.executable) -> Run:
    """`pitstop review REPO --format json` in a subprocess, timed, bytecode caches allowed."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    command = [python, "-m", "pitstop", "review", str(repository), "--format", "json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    try:
        findings = json.loads(done.stdout)["findings"]
    except (ValueError, KeyError):
        return Run(repository.name, done.returncode, seconds, (), {}, done.stderr.strip())
    keys = tuple(finding_key(finding) for finding in findings)
    messages = {key: f["message"] for key, f in zip(keys, findings, strict=True)}
    severities = {key: f["severity"] for key, f in zip(keys, findings, strict=True)}
    return Run(repository.name, done.returncode, seconds, keys, messages, severities)


def finding_key(finding: Mapping[str, Any]) -> Key:
    location = finding.get("location") or {}
    return (finding["rule"], location.get("path") or "", location.get("line") or 0)


def compare(run: Run, labels: LabelFile) -> Comparison:
    """Count each reported finding by its label; list what is new and what went away."""
    result = Comparison(run.name)
    for key in run.keys:
        label = labels.labels.get(key)
        message = run.messages.get(key, "")
        if label is not None and not label.judges(run.severities.get(key, ""), message):
            result.counts[(key[0], "stale")] += 1
            result.stale.append((label, message))
            continue
        result.counts[(key[0], label.label if label else "unlabelled")] += 1
        if label is None:
            result.unlabelled.append((key, message))
        elif label.label == "false":
            result.false_back.append(label)
    reported = set(run.keys) - {label.key for label, _ in result.stale}
    for key, label in labels.labels.items():
        if key not in reported and key not in {old.key for old, _ in result.stale}:
            gone = result.correct_gone if label.label == "correct" else result.others_gone
            gone.append(label)
    result.false_back = _unique(result.false_back)
    return result


def _unique(labels: Iterable[Label]) -> list[Label]:
    return list({label.key: label for label in labels}.values())


def precision(correct: int, false: int) -> float | None:
    """correct / (correct + false); None when nothing was judged."""
    return correct / (correct + false) if correct + false else None


def per_rule(comparisons: Sequence[Comparison]) -> dict[str, Counter[str]]:
    """rule -> verdict -> findings, over every repository compared."""
    table: dict[str, Counter[str]] = {}
    for comparison in comparisons:
        for (rule, verdict), count in comparison.counts.items():
            table.setdefault(rule, Counter())[verdict] += count
    return dict(sorted(table.items()))


def todo_entries(comparison: Comparison, run: Run) -> str:
    """TOML entries for the unlabelled and stale findings, ready for a reader to judge: the
    finding's message is in a comment, and a stale one shows its old label and reason."""
    blocks = []
    todo = [(key, message, None) for key, message in comparison.unlabelled]
    todo += [(label.key, message, label) for label, message in comparison.stale]
    for key, message, old in sorted(todo, key=lambda item: item[0]):
        rule, path, line = key
        was = f"# was {old.label}: {old.reason}\n" if old else ""
        blocks.append(
            f"# {run.severities.get(key, '')}: {' '.join(message.split())}\n{was}[[finding]]\n"
            f"rule = {json.dumps(rule)}\npath = {json.dumps(path)}\nline = {line}\n"
            f'severity = "{run.severities.get(key, "")}"\nmessage = "{message_digest(message)}"\n'
            'label = "?"\nreason = "?"\n'
        )
    return "\n".join(dict.fromkeys(blocks))
