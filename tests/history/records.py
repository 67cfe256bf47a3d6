"""Records for the store's tests (and the concurrency test's writer processes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from pitstop.runs import (
    Attempt,
    Build,
    BuildStep,
    ImageSize,
    Job,
    Outcome,
    RunIdentity,
    Step,
    TestResult,
)


def identity(run_id: str = "1001", **fields: object) -> RunIdentity:
    values: dict[str, object] = {
        "repository": "acme/shop",
        "workflow": "ci",
        "run_id": run_id,
        "job": "test",
        "commit": "c0ffee",
        "branch": "main",
        "event": "push",
    }
    values.update(fields)
    return RunIdentity(**values)  # type: ignore[arg-type]


def results(count: int, prefix: str = "tests/test_shop.py::test_") -> Iterator[TestResult]:
    """`count` results, lazily: every seventh flaky (failed, then passed on a retry)."""
    for i in range(count):
        if i % 7 == 3:
            attempts = (
                Attempt(Outcome.FAILED, 0.5, "AssertionError: 1 != 2"),
                Attempt(Outcome.PASSED, 0.25),
            )
            yield TestResult(f"{prefix}{i}[case-{i % 3}]", Outcome.FLAKY, attempts)
        else:
            yield TestResult(f"{prefix}{i}", Outcome.PASSED, (Attempt(Outcome.PASSED, 0.01),))


def at(minute: int) -> datetime:
    return datetime(2026, 3, 1, 12, minute, tzinfo=UTC)


def jobs(run_id: str = "") -> list[Job]:
    """Two jobs of a workflow run, with steps, as GitHub's jobs JSON gives them."""
    return [
        Job(
            job_id=f"{name}-{run_id}",
            name=name,
            conclusion="success",
            attempt=1,
            runner="ubuntu-latest",
            created=at(0),
            started=at(1),
            completed=at(5),
            steps=tuple(
                Step(n, f"step {n}", "success", at(1 + n - 1), at(1 + n)) for n in range(1, 4)
            ),
            run_id=run_id,
        )
        for name in ("build", "lint")
    ]


def build() -> Build:
    steps = (
        BuildStep(1, "[base 1/3] FROM python:3.12-slim", True, None),
        BuildStep(2, "[base 2/3] COPY requirements.txt .", True, None),
        BuildStep(3, "[base 3/3] RUN pip install -r requirements.txt", False, 41.5),
    )
    return Build("acme/shop:latest", "sha256:abc", steps, 60.0)


def image() -> ImageSize:
    return ImageSize("acme/shop:latest", 123_456_789)
