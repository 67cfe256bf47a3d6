"""A writer process of the concurrency test (spawned: it must be importable by name)."""

from __future__ import annotations

from typing import Any

from pitstop.history.store import Store
from tests.history.records import identity, jobs, results


def record(url: str, run_id: str, tests: int, barrier: Any, report: Any) -> None:
    """Open the store at `url` once every writer is ready, record run `run_id`'s tests and
    jobs, and put (run_id, tests added, tests already there) on `report`."""
    barrier.wait()
    store = Store.open(url)
    try:
        counts = store.record_tests(identity(run_id), results(tests))
        store.record_jobs(identity(run_id), jobs(run_id))
    finally:
        store.close()
    report.put((run_id, counts.added, counts.already))
