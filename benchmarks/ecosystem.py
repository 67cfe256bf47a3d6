"""The ecosystem check: pitstop's precision on 25 real repositories, against the labels.

Run it before any change to a rule, as ruff's ecosystem check guards ruff:

    python benchmarks/ecosystem.py [--corpus DIR] [NAME ...] [--json FILE] [--todo DIR]

The corpus is built locally from ../shared/ecosystem (its README says how) and never
committed; DIR defaults to $PITSTOP_ECOSYSTEM_CORPUS, else ../ecosystem-corpus. Each
repository is reviewed through the CLI as a user runs it (`python -m pitstop review REPO
--format json`, bytecode caches allowed) and timed. Printed: precision per rule and overall
(correct / (correct + false); debatable, stale and unlabelled findings are counted, not
judged; stale: the severity or message changed since the label was given),
findings and wall time per repository, and the differences from the labels: false findings
reported again, correct ones gone, findings with no label yet. `--todo DIR` writes TOML
entries for the unlabelled findings, one file per repository, for a reader to judge.
Exit 1 when a false finding comes back or a correct one disappears.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ecosystem.labelset import (
    CORPUS_ENV,
    Comparison,
    LabelFile,
    compare,
    corpus_commit,
    label_files,
    per_rule,
    precision,
    run_pitstop,
    todo_entries,
)


def main() -> int:
    options = _arguments()
    corpus = options.corpus
    if not corpus.is_dir():
        print(f"no corpus at {corpus}: build it with ../shared/ecosystem/build.sh", file=sys.stderr)
        return 2
    labels = {labels.name: labels for labels in label_files()}
    names = options.names or sorted(p.name for p in corpus.iterdir() if (p / ".commit").is_file())
    comparisons, rows = [], []
    for name in names:
        label_file = labels.get(name) or LabelFile(name, "", {})
        if label_file.commit and label_file.commit != corpus_commit(corpus, name):
            print(f"{name}: labels are for {label_file.commit}, corpus differs", file=sys.stderr)
        run = run_pitstop(corpus / name)
        comparison = compare(run, label_file)
        comparisons.append(comparison)
        rows.append((name, len(run.keys), run.seconds, run.exit_code, run.error))
        if options.todo and (comparison.unlabelled or comparison.stale):
            options.todo.mkdir(parents=True, exist_ok=True)
            (options.todo / f"{name}.toml").write_text(todo_entries(comparison, run) + "\n")
    table = per_rule(comparisons)
    _print_rules(table)
    _print_repositories(rows)
    _print_differences(comparisons)
    if options.json:
        options.json.write_text(json.dumps(_document(table, rows), indent=2) + "\n")
    regressed = any(c.false_back or c.correct_gone for c in comparisons)
    return 1 if regressed else 0


def _arguments() -> argparse.Namespace:
    default = os.environ.get(CORPUS_ENV) or str(
        Path(__file__).resolve().parents[2] / "ecosystem-corpus"
    )
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="corpus repositories (default: all built)")
    parser.add_argument("--corpus", type=Path, default=Path(default), help="the built corpus")
    parser.add_argument("--json", type=Path, help="also write the tables as JSON to this file")
    parser.add_argument("--todo", type=Path, help="write unlabelled findings as TOML here")
    return parser.parse_args()


def _print_rules(table: dict[str, Counter[str]]) -> None:
    print("| rule | findings | correct | false | debatable | stale | unlabelled | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for rule, counts in table.items():
        total.update(counts)
        print(_rule_row(rule, counts))
    print(_rule_row("**all**", total))
    print()


def _rule_row(rule: str, counts: Counter[str]) -> str:
    value = precision(counts["correct"], counts["false"])
    shown = f"{value:.1%}" if value is not None else "n/a"
    cells = [counts[v] for v in ("correct", "false", "debatable", "stale", "unlabelled")]
    return f"| {rule} | {sum(counts.values())} | " + " | ".join(map(str, cells)) + f" | {shown} |"


def _print_repositories(rows: list[tuple[str, int, float, int, str]]) -> None:
    print("| repository | findings | wall time | exit |")
    print("|---|---:|---:|---:|")
    for name, findings, seconds, exit_code, error in rows:
        note = f" ({error.splitlines()[0]})" if error else ""
        print(f"| {name} | {findings} | {seconds:.2f} s | {exit_code}{note} |")
    print()


def _print_differences(comparisons: list[Comparison]) -> None:
    for c in comparisons:
        for label in c.false_back:
            print(f"FALSE AGAIN  {c.name}: {label.rule} {label.path}:{label.line}  {label.reason}")
        for label in c.correct_gone:
            print(f"CORRECT GONE {c.name}: {label.rule} {label.path}:{label.line}  {label.reason}")
        for label in c.others_gone:
            print(f"gone ({label.label}) {c.name}: {label.rule} {label.path}:{label.line}")
        for label, _message in c.stale:
            print(f"stale (was {label.label}) {c.name}: {label.rule} {label.path}:{label.line}")
        for (rule, path, line), message in c.unlabelled:
            print(f"unlabelled   {c.name}: {rule} {path}:{line}  {message[:100]}")


def _document(
    table: dict[str, Counter[str]], rows: list[tuple[str, int, float, int, str]]
) -> dict[str, object]:
    return {
        "rules": {rule: dict(counts) for rule, counts in table.items()},
        "repositories": [
            {"name": n, "findings": f, "seconds": round(s, 3), "exit": e} for n, f, s, e, _ in rows
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
