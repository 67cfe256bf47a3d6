"""Time the history store writing 1,000,000 test results (one run, one transaction) into a
fresh SQLite file, or into the database a --db URL names (it must be empty or a pitstop
history); then the same results again (all already there), then a second run of the same
test names (the names are interned already). Peak memory is the process's maximum RSS: it
stays flat because the results are generated lazily and written in batches.

    python benchmarks/bench_store.py [--results 1000000] [--db URL]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pitstop.history.store import Counts, Store
from pitstop.runs import Attempt, Outcome, RunIdentity, TestResult


def results(count: int) -> Iterator[TestResult]:
    """Realistic node ids (200 files, classes, parameters), one in fifty rerun and flaky."""
    for i in range(count):
        name = f"tests/unit/test_module_{i % 200}.py::TestCase{i % 13}::test_case_{i}[p{i % 5}]"
        if i % 50 == 7:
            attempts = (
                Attempt(Outcome.FAILED, 0.4, "AssertionError: expected 3, got 4"),
                Attempt(Outcome.PASSED, 0.3),
            )
            yield TestResult(name, Outcome.FLAKY, attempts)
        else:
            yield TestResult(name, Outcome.PASSED, (Attempt(Outcome.PASSED, 0.012),))


def timed(label: str, action: Callable[[], Counts]) -> None:
    start = time.perf_counter()
    counts = action()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {elapsed:.1f} s, {counts}, peak RSS {peak:.0f} MiB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--db", help="a database URL (default: a temporary SQLite file)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.db or f"sqlite:///{Path(folder) / 'history.db'}"
        store = Store.open(url)
        print(f"{options.results:,} results into {store.engine.dialect.name}", flush=True)
        first, second = RunIdentity("acme/shop", "ci", "1"), RunIdentity("acme/shop", "ci", "2")
        timed("new run, new names", lambda: store.record_tests(first, results(options.results)))
        timed("same run again", lambda: store.record_tests(first, results(options.results)))
        timed("new run, known names", lambda: store.record_tests(second, results(options.results)))
        if url.startswith("sqlite"):
            size = (Path(folder) / "history.db").stat().st_size
            print(f"database file: {size / 2**20:.0f} MiB")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
