"""Time `history_report` on a generated history store: by default 20,000 runs and 5,000,000
test results, on SQLite (a file under benchmarks/.work/) and, with --postgres, on a
throwaway PostgreSQL server (the tests' own, from tests/history/postgres.py).

The store is generated from a fixed seed: runs spread over 365 days, workflows `ci` (two
test jobs per workflow run), `nightly` and `release` (with a deploy job), 60% of them pull
requests and the rest on main; ~250 tests per run out of 320 names (some added and some
removed over the year), durations log-normal per test, 2% of tests flaky (a retry or a
failure on a commit where they also pass), a few broken for a while; an image build and an
image size per workflow run. Rows go in with bulk inserts (sqlite3 executemany, COPY on
PostgreSQL) after the schema's own tables and indexes are created; then ANALYZE.

Each timing is a cold process: a new interpreter opens the store and runs
`history_report(...)` over the last 30 days (the CLI's default) and over the whole year;
the figure is the median of --repeat processes, both the whole process (imports
included) and the call alone; then `pitstop report` itself, the console script as a user
runs it (text format, bytecode caches kept), over the same window.

    python benchmarks/bench_history_report.py [--runs 20000] [--results 5000000]
        [--repeat 3] [--postgres | --postgres-url URL] [--reuse]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pitstop.history.store import Store

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / ".work" / "history"
NOW = 1_760_000_000.0
DAY = 86400.0
YEAR = 365 * DAY
TESTS = 320

Row = tuple[object, ...]

TIMING = """
import json, sys, time
start = time.perf_counter()
from sqlalchemy import create_engine
from pitstop.config import SloTargets
from pitstop.history.analysis import history_report
imported = time.perf_counter()
engine = create_engine(sys.argv[1])
report = history_report(engine, since=float(sys.argv[2]), until=float(sys.argv[3]),
                        branch="main", targets=SloTargets())
done = time.perf_counter()
print(json.dumps({"call": done - imported, "process": done - start, "runs": report.runs,
                  "slowest": len(report.slowest), "flaky": len(report.flaky)}))
"""


class Generator:
    """The rows of a store of `runs` runs (jobs that record tests) and about `results`
    test results, from a fixed seed."""

    def __init__(self, runs: int, results: int) -> None:
        self.random = random.Random(7)
        self.runs = runs
        self.per_run = max(1, round(results / runs))
        self.names = [_test_name(i) for i in range(TESTS)]
        self.means = [self.random.lognormvariate(-2.5, 1.6) for _ in range(TESTS)]
        self.flaky = set(self.random.sample(range(TESTS), TESTS // 50))
        # tests come and go: each lives over a span of the year
        self.life = [self._life() for _ in range(TESTS)]

    def _life(self) -> tuple[float, float]:
        if self.random.random() < 0.8:
            return (NOW - YEAR - DAY, NOW + DAY)
        start = NOW - YEAR * self.random.random()
        return (start, start + YEAR * self.random.random())

    def tests(self) -> list[Row]:
        return [
            (i + 1, name, hashlib.sha256(name.encode()).hexdigest())
            for i, name in enumerate(self.names)
        ]

    def workflow_runs(self) -> Iterator[tuple[int, float, str, str, str, list[str]]]:
        """(number, start, workflow, event, branch, jobs) until `runs` test jobs exist."""
        made, number = 0, 0
        while made < self.runs:
            number += 1
            start = NOW - YEAR + YEAR * made / self.runs + self.random.random() * 600
            workflow = self.random.choices(["ci", "nightly", "release"], [8, 1, 1])[0]
            event = "pull_request" if self.random.random() < 0.6 else "push"
            branch = f"feature-{number % 97}" if event == "pull_request" else "main"
            jobs = ["test-py311", "test-py312"] if workflow == "ci" else ["test"]
            jobs = jobs[: self.runs - made]
            made += len(jobs)
            yield number, start, workflow, event, branch, jobs

    def rows(self) -> Iterator[tuple[str, Row]]:
        run_key = 0
        job_key = 0
        for build_key, (number, start, workflow, event, branch, names) in enumerate(
            self.workflow_runs(), 1
        ):
            commit = hashlib.sha1(f"{number // 2}".encode()).hexdigest()
            queue = self.random.expovariate(1 / 20)
            for job in names:
                run_key += 1
                seconds = 60 + self.random.lognormvariate(5, 0.4)
                end = start + queue + seconds
                yield (
                    "runs",
                    (
                        run_key,
                        "o/r",
                        workflow,
                        str(number),
                        1,
                        job,
                        commit,
                        branch,
                        event,
                        end + 30,
                    ),
                )
                job_key += 1
                yield (
                    "jobs",
                    (
                        job_key,
                        run_key,
                        str(job_key),
                        job,
                        "success",
                        "ubuntu-latest",
                        start,
                        start + queue,
                        end,
                        queue,
                        seconds,
                    ),
                )
                yield from self._results(run_key, start)
            if workflow == "release" and event == "push":
                job_key += 1
                deploy = 40 + self.random.lognormvariate(4, 0.3)
                yield (
                    "jobs",
                    (
                        job_key,
                        run_key,
                        str(job_key),
                        "Deploy production",
                        "success",
                        "ubuntu-latest",
                        end,
                        end + 5,
                        end + 5 + deploy,
                        5.0,
                        deploy,
                    ),
                )
            steps = 14
            cached = sum(self.random.random() < 0.8 for _ in range(steps))
            yield (
                "builds",
                (build_key, run_key, f"{build_key:064x}", "app", "", steps, cached, None),
            )
            size = int(420e6 + 60e6 * (start - NOW + YEAR) / YEAR + self.random.random() * 5e6)
            yield "images", (run_key, "app", size)

    def _results(self, run: int, at: float) -> Iterator[tuple[str, Row]]:
        alive = [i for i in range(TESTS) if self.life[i][0] <= at < self.life[i][1]]
        chosen = alive if len(alive) <= self.per_run else self.random.sample(alive, self.per_run)
        for i in chosen:
            outcome, failures, attempts = "passed", 0, 1
            roll = self.random.random()
            if i in self.flaky and roll < 0.05:
                outcome, failures, attempts = ("flaky", 1, 2) if roll < 0.03 else ("failed", 1, 1)
            elif roll < 0.001:
                outcome, failures = "failed", 1
            elif roll > 0.995:
                outcome = "skipped"
            seconds = None if outcome == "skipped" else self.random.expovariate(1 / self.means[i])
            message = "" if failures == 0 else "AssertionError: boom"
            yield "test_results", (run, i + 1, outcome, attempts, failures, seconds, message)


def _test_name(i: int) -> str:
    module = f"tests/{['api', 'core', 'db', 'cli', 'web'][i % 5]}/test_m{i // 20}.py"
    return f"{module}::Test{i % 7}::test_case_{i}[param{i % 3}]"


COLUMNS = {
    "tests": ("id", "name", "name_hash"),
    "runs": (
        "id",
        "repository",
        "workflow",
        "run_id",
        "attempt",
        "job",
        "commit_sha",
        "branch",
        "event",
        "recorded_at",
    ),
    "jobs": (
        "id",
        "run",
        "job_id",
        "name",
        "conclusion",
        "runner",
        "created_at",
        "started_at",
        "completed_at",
        "queue_seconds",
        "seconds",
    ),
    "test_results": ("run", "test", "outcome", "attempts", "failures", "seconds", "message"),
    "builds": (
        "id",
        "run",
        "source_sha256",
        "image",
        "digest",
        "steps",
        "cached_steps",
        "seconds",
    ),
    "images": ("run", "image", "bytes"),
}
ORDER = ("tests", "runs", "jobs", "test_results", "builds", "images")


def _batched(generator: Generator, size: int = 200_000) -> Iterator[dict[str, list[Row]]]:
    batch: dict[str, list[Row]] = {table: [] for table in ORDER}
    batch["tests"] = generator.tests()
    count = 0
    for table, row in generator.rows():
        batch[table].append(row)
        count += 1
        if count >= size:
            yield batch
            batch, count = {table: [] for table in ORDER}, 0
    yield batch


def fill_sqlite(path: Path, generator: Generator) -> None:
    path.unlink(missing_ok=True)
    Store.open(f"sqlite:///{path}").close()  # the schema as pitstop makes it, version included
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    for batch in _batched(generator):
        for table in ORDER:
            columns = COLUMNS[table]
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            connection.executemany(statement, batch[table])
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def fill_postgres(url: str, dsn: str, generator: Generator) -> None:
    import psycopg

    Store.open(url).close()
    with psycopg.connect(dsn) as connection:
        for batch in _batched(generator):
            with connection.cursor() as cursor:
                for table in ORDER:
                    copy = f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN"
                    with cursor.copy(copy) as writer:
                        for row in batch[table]:
                            writer.write_row(row)
            connection.commit()
        for table in ("runs", "jobs", "tests", "builds"):
            # the ids were given explicitly; later inserts must continue after them
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def time_report(url: str, since: float, until: float, repeat: int) -> dict[str, float]:
    figures = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", TIMING, url, str(since), str(until)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        figures.append(json.loads(done.stdout))
    return {
        "call": statistics.median(f["call"] for f in figures),
        "process": statistics.median(f["process"] for f in figures),
        "runs": figures[0]["runs"],
    }


def time_cli(url: str, since: float, repeat: int) -> float:
    """`pitstop report --db URL --since ...` as a user runs it (the console script, bytecode
    caches kept), cold, median of `repeat`: the window reaches back to `since` from now."""
    script = Path(sys.executable).parent / "pitstop"
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    back = f"{int(time.time() - since) + 1}s"
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(
            [str(script), "report", "--db", url, "--since", back],
            capture_output=True,
            check=True,
            env=environment,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(backend: str, url: str, repeat: int) -> None:
    for label, since in (("last 30 days", NOW - 30 * DAY), ("whole year", NOW - YEAR - DAY)):
        figures = time_report(url, since, NOW + DAY, repeat)
        cli = time_cli(url, since, repeat)
        print(
            f"{backend:10} {label:13} runs={figures['runs']:6}  "
            f"history_report {figures['call']:.3f} s  process {figures['process']:.3f} s  "
            f"`pitstop report` {cli:.3f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--results", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--reuse", action="store_true", help="keep an existing SQLite store")
    parser.add_argument(
        "--postgres-url", help="time an already filled PostgreSQL store instead of making one"
    )
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"history-{options.runs}-{options.results}.db"
    if not (options.reuse and path.exists()):
        start = time.perf_counter()
        fill_sqlite(path, Generator(options.runs, options.results))
        print(f"sqlite store filled in {time.perf_counter() - start:.1f} s: {path}")
    report("sqlite", f"sqlite:///{path}", options.repeat)
    if options.postgres_url:
        report("postgresql", options.postgres_url, options.repeat)
    elif options.postgres:
        _postgres(options)
    return 0


def _postgres(options: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))
    from tests.history.postgres import Server, _binaries

    binaries = _binaries()
    if binaries is None:
        print("postgresql: not installed, skipped")
        return
    import tempfile

    server = Server(Path(tempfile.mkdtemp(prefix="pitstop-bench-pg-")), binaries)
    server.start()
    try:
        url = server.url("bench")
        start = time.perf_counter()
        fill_postgres(url, server._dsn("bench"), Generator(options.runs, options.results))
        print(f"postgresql store filled in {time.perf_counter() - start:.1f} s")
        report("postgresql", url, options.repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
