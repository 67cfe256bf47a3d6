"""Run `pitstop affected audit` on real projects: the evaluation of issue 5, part 9.

Each project's sdist (its tests included) is downloaded at run time with `pip download
--no-deps --no-binary :all: NAME==VERSION`, unpacked under benchmarks/.work/ (git-ignored),
and audited with N mutants (default 60; `NAME==VERSION:N` sets it for one project): safety
(killed mutants whose failing test files were all selected), and the mean share of test
files and of test time selected, beside the plain module-level import closure's share on
the same mutants. Safety must be 100%.

With `--testmon`, pytest-testmon's selection is measured on the same mutants: its database
is built once on the unmutated copy (that run's time beside the plain suite's is the cost
of its first run), and for each mutant, with the mutant in place and the database as the
baseline left it, `pytest --testmon --collect-only` says which tests it would run.

The tests run with this interpreter: install what they need first (pytest, freezegun;
hypothesis for attrs; pytest-testmon for `--testmon`). Each project runs in a temporary
copy; nothing under benchmarks/.work/ is changed.

    python benchmarks/eval_audit.py [--mutants 60] [--seed 0] [--testmon | --jobs N]
                                    [--json FILE] [NAME==VERSION[:N] ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pitstop.api import open_test_map
from pitstop.impact.audit import (
    AuditResult,
    MutantResult,
    PytestRunner,
    SuiteRun,
    audit,
    environment,
)
from pitstop.reports.affected_report import audit_document, render_audit_text

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / ".work"
PROJECTS = (
    "sqlparse==0.5.3",
    "click==8.1.8:80",
    "isodate==0.7.2",
    "itsdangerous==2.2.0",
    "humanize==4.12.3",
)
TESTMON_FILES = (".testmondata", ".testmondata-wal", ".testmondata-shm")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", default=list(PROJECTS))
    parser.add_argument("--mutants", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--testmon", action="store_true", help="compare with pytest-testmon")
    parser.add_argument("--json", metavar="FILE", help="also write every result as JSON")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tried at once")
    parser.add_argument(
        "--coverage", action="store_true", help="also select with a recorded test map"
    )
    options = parser.parse_args(argv)
    if options.testmon and options.jobs != 1:
        parser.error("--testmon needs --jobs 1 (its runner counts mutants in order)")
    documents = {}
    safe = True
    for spec in options.projects:
        project, _, count = spec.partition(":")
        root = unpacked(project)
        runner: PytestRunner | TestmonRunner = (
            TestmonRunner() if options.testmon else PytestRunner()
        )
        start = time.perf_counter()
        mutants = int(count or options.mutants)
        result = audit(
            root,
            mutants=mutants,
            seed=options.seed,
            runner=runner,
            jobs=options.jobs,
            open_map=open_test_map if options.coverage else None,
        )
        elapsed = time.perf_counter() - start
        document = {**audit_document(result), "seconds": round(elapsed, 1)}
        text = render_audit_text(result)
        if isinstance(runner, TestmonRunner):
            document["testmon"] = runner.summary(result)
            text += render_testmon(document["testmon"])
        print(f"== {project} ({elapsed:.0f} s)\n{text}", flush=True)
        documents[project] = document
        safe &= result.safety in (None, 1.0) and result.safety_covered in (None, 1.0)
    if options.json:
        Path(options.json).write_text(json.dumps(documents, indent=2) + "\n", encoding="utf-8")
    return 0 if safe else 1


def unpacked(project: str) -> Path:
    """The sdist of `project` ("name==version"), downloaded once and unpacked."""
    name, _, version = project.partition("==")
    WORK.mkdir(parents=True, exist_ok=True)
    found = [p for p in WORK.glob(f"{name}-{version}*") if p.is_dir()]
    if found:
        return found[0]
    download = ["download", "--quiet", "--no-deps", "--no-binary", ":all:", "--dest", str(WORK)]
    subprocess.run([sys.executable, "-m", "pip", *download, project], check=True)
    archive = next(p for p in WORK.glob(f"{name}-{version}*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(WORK, filter="data")
    return next(p for p in WORK.glob(f"{name}-{version}*") if p.is_dir())


class TestmonRunner:
    """The audit's runner, which also asks pytest-testmon what it would run.

    The audit calls `run` for the baseline (with `--coverage`, once more to record its test
    map), then once per mutant with the mutant in place (then maybe again with a few files,
    to rule out flaky ones): the n-th whole-suite call after the baseline that records
    nothing is the n-th mutant."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self) -> None:
        self.pytest = PytestRunner()
        self.folder = Path(tempfile.mkdtemp(prefix="pitstop-testmon-"))
        self.built = False
        self.build_seconds = 0.0
        self.suite_seconds = 0.0
        self.selections: list[set[str]] = []

    def run(
        self, root: Path, timeout: float, files: Sequence[str] = (), record: str | None = None
    ) -> SuiteRun:
        start = time.perf_counter()
        outcome = self.pytest.run(root, timeout, files, record)
        if files or record is not None:  # a recheck, or the audit recording its test map
            return outcome
        if not self.built:
            self.suite_seconds = time.perf_counter() - start
            self._build(root, timeout)
        else:
            self.selections.append(self._select(root, timeout))
        return outcome

    def _pytest(self, root: Path, timeout: float, *arguments: str) -> str:
        # As the audit's own runs: a file that fails to collect must not stop the session
        # (it would leave testmon's database empty, and testmon would then select all).
        command = [sys.executable, "-m", "pytest", "-q", "--testmon", f"--rootdir={root}"]
        command += ["--continue-on-collection-errors", "-o", f"cache_dir={self.folder / 'cache'}"]
        command += arguments
        done = subprocess.run(
            command,
            cwd=root,
            env=environment(root),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return done.stdout

    def _build(self, root: Path, timeout: float) -> None:
        for name in TESTMON_FILES:
            (root / name).unlink(missing_ok=True)
        start = time.perf_counter()
        self._pytest(root, timeout)
        self.build_seconds = time.perf_counter() - start
        with sqlite3.connect(root / ".testmondata") as database:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(root / ".testmondata", self.folder / "baseline")
        self.built = True

    def _select(self, root: Path, timeout: float) -> set[str]:
        for name in TESTMON_FILES:
            (root / name).unlink(missing_ok=True)
        shutil.copyfile(self.folder / "baseline", root / ".testmondata")
        output = self._pytest(root, timeout, "--collect-only")
        selected = set()
        for line in output.splitlines():
            if "::" in line:
                selected.add(line.split("::")[0])
            elif line.startswith("ERROR ") and line.split()[1].endswith(".py"):
                selected.add(line.split()[1])  # a file that no longer collects is run
        return selected

    def summary(self, result: AuditResult) -> dict[str, object]:
        """testmon's safety and shares over the audit's mutants, and its first-run cost."""
        tests, seconds = set(result.tests), result.seconds
        total_time = sum(seconds.get(t, 0.0) for t in tests) or 1.0
        counted = [(r, s) for r, s in zip(result.results, self.selections, strict=True)]
        killed = [(r, s) for r, s in counted if r.killed]
        unsafe = [r for r, s in killed if not set(r.failing) - _excused(r, s) <= s]
        return {
            "safety": None if not killed else 1 - len(unsafe) / len(killed),
            "unsafe": [f"{r.mutant.path}:{r.mutant.line} {r.mutant.description}" for r in unsafe],
            "files_share": _mean([len(s & tests) / len(tests) for _, s in counted]),
            "time_share": _mean(
                [sum(seconds.get(t, 0.0) for t in s) / total_time for _, s in counted]
            ),
            "first_run_seconds": round(self.build_seconds, 2),
            "plain_suite_seconds": round(self.suite_seconds, 2),
        }


def _excused(result: MutantResult, selected: set[str]) -> set[str]:
    """The audit's order-dependent files (failed only after other tests), excused for
    testmon as for pitstop only when testmon selected a file that fails of itself: the
    audit ran pitstop's selections alone to see them fail; testmon's, it did not."""
    own = set(result.failing) - set(result.order_dependent)
    return set(result.order_dependent) if own & selected else set()


def render_testmon(summary: dict[str, object]) -> str:
    safety, files, share = summary["safety"], summary["files_share"], summary["time_share"]
    lines = [
        f"pytest-testmon on the same mutants: safety {_percent(safety)}, selected "
        f"{_percent(files)} of test files, {_percent(share)} of test time; its first run "
        f"{summary['first_run_seconds']} s vs {summary['plain_suite_seconds']} s for the suite",
    ]
    lines += [f"  testmon missed: {entry}" for entry in summary["unsafe"]]  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percent(value: object) -> str:
    return "n/a" if not isinstance(value, float) else f"{100 * value:.1f}%"


if __name__ == "__main__":
    raise SystemExit(main())
