"""Evaluate `pitstop affected` on a repository's real commits.

For each of the last N first-parent, non-merge commits that change Python source outside
the tests (a .py file not under a tests/ or test/ folder), with C the commit and P its
parent, in a temporary clone:

1. check out P and run the full suite with `--pitstop-record` (the test map, in a database
   outside the clone) and `--pitstop-outcomes` (each test file: failed, seconds);
2. check out C and ask `pitstop affected --base P --format json` (and `--static`);
3. run the full suite at C with `--pitstop-outcomes`.

A test file whose outcome (failed or not) differs between P and C and that was not selected
(and the selection was not run_all) is a miss; it is run once more at C and at P alone, and
the miss is "reproduced" if the outcomes still differ (otherwise it was flaky). A commit
whose suite at P does not run (pytest exits with neither 0 nor 1, or no outcomes) is
skipped and noted; a test file that fails to import counts as failed
(`--continue-on-collection-errors`), so a commit that breaks an import is evaluated.

The shares: selected test files over all test files, and their seconds at P over the
suite's seconds at P (run_all counts as everything). The tests run with `--python`
(default: this interpreter, which must have pitstop installed), with the clone's src/ (if
it has one) first on PYTHONPATH and PYTHONDONTWRITEBYTECODE=1. The repository is only read.

    python benchmarks/eval_commits.py [--commits 30] [--skip N] [--python PY] [--json FILE]
                                      [--budget MINUTES] [--setup CMD]
                                      REPO_DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TEST_DIRS = frozenset({"tests", "test"})
SUITE_TIMEOUT = 1800


@dataclass
class Selection:
    run_all: bool
    selected: list[str]
    total: int
    file_share: float
    time_share: float


@dataclass
class Miss:
    file: str
    failed_at_parent: bool
    failed_at_commit: bool
    reproduced: bool


@dataclass
class CommitResult:
    commit: str
    parent: str
    subject: str
    changed: list[str]
    status: str  # "ok" or why the commit was skipped
    test_files: int = 0
    suite_seconds: float = 0.0
    coverage: dict[str, Any] | None = None
    map: Selection | None = None
    static: Selection | None = None
    differing: list[str] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    static_misses: list[str] = field(default_factory=list)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def is_source(path: str) -> bool:
    """A Python file that is not under a tests/ or test/ folder."""
    parts = path.split("/")
    return path.endswith(".py") and not TEST_DIRS.intersection(parts[:-1])


def candidate_commits(repo: Path, count: int) -> list[tuple[str, str, str, list[str]]]:
    """The last `count` first-parent, non-merge commits changing source: (C, P, subject, files)."""
    log = git(
        repo,
        "log",
        "--first-parent",
        "--no-merges",
        "--format=%x00%H %P%x01%s",
        "--name-only",
        "HEAD",
    )
    found: list[tuple[str, str, str, list[str]]] = []
    for entry in log.split("\0")[1:]:
        head, _, names = entry.partition("\n")
        ids, _, subject = head.partition("\x01")
        hashes = ids.split()
        files = [name for name in names.splitlines() if name.strip()]
        if len(hashes) != 2 or not any(is_source(name) for name in files):
            continue  # a root commit has no parent to compare with
        found.append((hashes[0], hashes[1], subject, files))
        if len(found) == count:
            break
    return found


class Runner:
    """Runs the suite and pitstop in one clone."""

    def __init__(self, clone: Path, work: Path, python: str, setup: str | None) -> None:
        self.clone = clone
        self.work = work
        self.python = python
        self.setup = setup
        self.db = f"sqlite:///{work / 'map.db'}"

    def checkout(self, commit: str, parent: str | None = None) -> str:
        """Check out `commit` clean; with a setup command, its output is committed on top
        (a child of `parent`, else of `commit`), so that what it writes is neither an
        untracked change nor an ignored file, and the checked-out commit is returned."""
        git(self.clone, "checkout", "--quiet", "--force", commit)
        # The suite may leave files behind; the next checkout must start clean.
        git(self.clone, "clean", "-qfdx")
        if not self.setup:
            return commit
        subprocess.run(self.setup, shell=True, cwd=self.clone, check=True)
        git(self.clone, "add", "--all", "--force")
        tree = git(self.clone, "write-tree").strip()
        made = git(
            self.clone,
            "-c",
            "user.name=eval",
            "-c",
            "user.email=eval@localhost",
            "commit-tree",
            tree,
            "-p",
            parent or commit,
            "-m",
            f"{commit[:12]} with the setup's output",
        ).strip()
        git(self.clone, "checkout", "--quiet", "--force", made)
        return made

    def environment(self) -> dict[str, str]:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PITSTOP_DB", None)
        src = self.clone / "src"
        # the clone's src first; what PYTHONPATH held stays after it (a pitstop under test)
        given = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        paths = [str(src)] if src.is_dir() else []
        if paths or given:
            env["PYTHONPATH"] = os.pathsep.join(paths + given)
        return env

    def pytest(
        self, name: str, *extra: str, files: list[str] | None = None
    ) -> dict[str, dict[str, Any]] | None:
        """Per-file outcomes of one pytest run, or None if the suite did not run."""
        outcomes = self.work / f"{name}.json"
        outcomes.unlink(missing_ok=True)
        command = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        # A test file that fails to import is that file's failure, not the suite's: without
        # this flag pytest stops with exit 2 and a commit breaking an import would be skipped.
        command += ["--continue-on-collection-errors", f"--pitstop-outcomes={outcomes}"]
        command += [*extra, *(files or [])]
        try:
            done = subprocess.run(
                command,
                cwd=self.clone,
                env=self.environment(),
                capture_output=True,
                text=True,
                timeout=SUITE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None
        if done.returncode not in (0, 1) or not outcomes.is_file():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            print(f"    pytest exit {done.returncode}: {' | '.join(tail)}", file=sys.stderr)
            return None
        loaded: dict[str, dict[str, Any]] = json.loads(outcomes.read_text())
        return loaded

    def affected(self, parent: str, *extra: str) -> dict[str, Any]:
        command = [self.python, "-m", "pitstop", "affected", "--root", str(self.clone)]
        command += ["--base", parent, "--db", self.db, "--format", "json", *extra]
        done = subprocess.run(
            command, cwd=self.clone, env=self.environment(), capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"pitstop affected failed: {done.stderr.strip()}")
        loaded: dict[str, Any] = json.loads(done.stdout)
        return loaded


def selection(document: dict[str, Any], seconds: dict[str, float]) -> Selection:
    total = int(document["total"])
    run_all = bool(document["run_all"])
    selected = list(document["selected"])
    suite = sum(seconds.values())
    if run_all:
        return Selection(True, selected, total, 1.0, 1.0)
    file_share = len(selected) / total if total else 0.0
    chosen = sum(seconds.get(path, 0.0) for path in selected)
    return Selection(False, selected, total, file_share, chosen / suite if suite else 0.0)


def evaluate(runner: Runner, commit: str, parent: str) -> CommitResult:
    result = CommitResult(commit, parent, "", [], "ok")
    checked_out = commit, parent
    (runner.work / "map.db").unlink(missing_ok=True)
    try:
        parent = runner.checkout(parent)
    except subprocess.CalledProcessError:  # the setup fails: an older layout, say
        result.status = "skipped: the setup command fails at the parent"
        return result
    before = runner.pytest("parent", "--pitstop-record", f"--pitstop-db={runner.db}")
    if before is None:
        result.status = "skipped: the suite does not run at the parent"
        return result
    try:
        commit = runner.checkout(commit, parent)
    except subprocess.CalledProcessError:
        result.status = "skipped: the setup command fails at the commit"
        return result
    seconds = {path: float(row["seconds"]) for path, row in before.items()}
    mapped = runner.affected(parent)
    result.coverage = mapped.get("coverage")
    result.map = selection(mapped, seconds)
    result.static = selection(runner.affected(parent, "--static"), seconds)
    after = runner.pytest("commit")
    if after is None:
        result.status = "skipped: the suite does not run at the commit"
        return result
    result.test_files = len(before)
    result.suite_seconds = sum(seconds.values())
    result.differing = sorted(
        path
        for path in set(before) | set(after)
        if path in before
        and path in after
        and bool(before[path]["failed"]) != bool(after[path]["failed"])
    )
    for path in result.differing:
        if not result.static.run_all and path not in result.static.selected:
            result.static_misses.append(path)
        if result.map.run_all or path in result.map.selected:
            continue
        result.misses.append(confirm(runner, *checked_out, path, before, after))
    return result


def confirm(
    runner: Runner,
    commit: str,
    parent: str,
    path: str,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> Miss:
    """Run a missed file once more at C and at P: does its outcome still differ?"""
    runner.checkout(commit, runner.checkout(parent))
    again_after = runner.pytest("confirm-commit", files=[path]) or {}
    runner.checkout(parent)
    again_before = runner.pytest("confirm-parent", files=[path]) or {}
    failed_after = bool(again_after.get(path, {}).get("failed", True))
    failed_before = bool(again_before.get(path, {}).get("failed", True))
    return Miss(
        path,
        bool(before[path]["failed"]),
        bool(after[path]["failed"]),
        failed_after != failed_before,
    )


def percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def render(repo: Path, results: list[CommitResult]) -> str:
    lines = [f"repository: {repo}"]
    header = f"{'commit':9} {'changed':>7} {'files':>5} {'map':>6} {'map t':>6} "
    header += f"{'static':>6} {'stat t':>6} {'all':>3} {'diff':>4} {'miss':>4}  subject"
    lines.append(header)
    for row in results:
        if row.status != "ok" or row.map is None or row.static is None:
            lines.append(f"{row.commit[:9]} {row.status}  {row.subject[:40]}")
            continue
        lines.append(
            f"{row.commit[:9]} {len(row.changed):7d} {row.test_files:5d} "
            f"{percent(row.map.file_share)} {percent(row.map.time_share)} "
            f"{percent(row.static.file_share)} {percent(row.static.time_share)} "
            f"{'yes' if row.map.run_all else 'no':>3} {len(row.differing):4d} "
            f"{len(row.misses):4d}  {row.subject[:40]}"
        )
    lines.extend(totals_text(totals(results)))
    return "\n".join(lines)


def totals(results: list[CommitResult]) -> dict[str, Any]:
    done = [row for row in results if row.status == "ok" and row.map and row.static]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        "commits": len(results),
        "evaluated": len(done),
        "skipped": [row.commit for row in results if row.status != "ok"],
        "map_file_share": mean([row.map.file_share for row in done if row.map]),
        "map_time_share": mean([row.map.time_share for row in done if row.map]),
        "static_file_share": mean([row.static.file_share for row in done if row.static]),
        "static_time_share": mean([row.static.time_share for row in done if row.static]),
        "map_run_all": sum(1 for row in done if row.map and row.map.run_all),
        "static_run_all": sum(1 for row in done if row.static and row.static.run_all),
        "differing": sum(len(row.differing) for row in done),
        "misses": sum(len(row.misses) for row in done),
        "misses_reproduced": sum(1 for row in done for miss in row.misses if miss.reproduced),
        "static_misses": sum(len(row.static_misses) for row in done),
    }


def totals_text(summary: dict[str, Any]) -> list[str]:
    return [
        f"evaluated {summary['evaluated']} of {summary['commits']} commits "
        f"({len(summary['skipped'])} skipped)",
        f"mean share, map:    files {percent(summary['map_file_share'])}, "
        f"time {percent(summary['map_time_share'])}, run_all {summary['map_run_all']}",
        f"mean share, static: files {percent(summary['static_file_share'])}, "
        f"time {percent(summary['static_time_share'])}, run_all {summary['static_run_all']}",
        f"outcome changes {summary['differing']}; misses {summary['misses']} "
        f"({summary['misses_reproduced']} reproduced); static misses {summary['static_misses']}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="a git repository with history")
    parser.add_argument("--commits", type=int, default=30, help="commits to take (default 30)")
    parser.add_argument(
        "--skip", type=int, default=0, help="leave out the newest N of them (resume a run)"
    )
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the tests")
    parser.add_argument("--json", metavar="FILE", help="also write every result as JSON")
    parser.add_argument("--budget", type=float, help="minutes: start no new commit after this long")
    parser.add_argument(
        "--setup",
        metavar="CMD",
        help="a shell command run in the clone after each checkout (e.g. writing the "
        "version file a build backend would generate)",
    )
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    commits = candidate_commits(repo, args.skip + args.commits)[args.skip :]
    started = time.monotonic()
    results: list[CommitResult] = []
    with tempfile.TemporaryDirectory(prefix="pitstop-commits-") as temporary:
        work = Path(temporary)
        clone = work / "repo"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(repo), str(clone)], check=True
        )
        runner = Runner(clone, work, args.python, args.setup)
        for index, (commit, parent, subject, files) in enumerate(commits, 1):
            if args.budget and time.monotonic() - started > args.budget * 60:
                print(f"budget spent: {index - 1} of {len(commits)} commits", file=sys.stderr)
                break
            print(f"[{index}/{len(commits)}] {commit[:9]} {subject[:60]}", file=sys.stderr)
            result = evaluate(runner, commit, parent)
            result.subject, result.changed = subject, files
            results.append(result)
            if args.json:  # written after each commit, so an interrupted run keeps its rows
                write_json(Path(args.json), repo, results)
    print(render(repo, results))
    return 0


def write_json(path: Path, repo: Path, results: list[CommitResult]) -> None:
    document = {
        "repository": str(repo),
        "commits": [asdict(row) for row in results],
        "totals": totals(results),
    }
    path.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
