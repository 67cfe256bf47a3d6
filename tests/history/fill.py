"""Filling a history database directly, with Core inserts, for the report's tests: the
store's writers are tested on their own; here each test states exactly the rows it needs."""

from __future__ import annotations

import hashlib
import itertools

from sqlalchemy import Engine, create_engine, insert

from pitstop.history.schema import builds, images, jobs, metadata, runs, test_results, tests

DAY = 86400.0
NOW = 1_760_000_000.0  # a fixed "now" (October 2025): reports are computed for a window


class Fill:
    """A fresh database at `url` with the schema's tables, and one method per row kind."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        metadata.create_all(self.engine)
        self._tests: dict[str, int] = {}
        self._job_ids = itertools.count(1)

    def run(
        self,
        *,
        at: float = NOW - DAY,
        workflow: str = "ci",
        run_id: str = "1",
        attempt: int = 1,
        job: str = "test",
        commit: str = "c1",
        branch: str = "main",
        event: str = "push",
        repository: str = "o/r",
    ) -> int:
        row = dict(
            repository=repository,
            workflow=workflow,
            run_id=run_id,
            attempt=attempt,
            job=job,
            commit_sha=commit,
            branch=branch,
            event=event,
            recorded_at=at,
        )
        with self.engine.begin() as connection:
            return int(connection.execute(insert(runs).values(row)).inserted_primary_key[0])

    def job(
        self,
        run: int,
        *,
        name: str = "test",
        created: float | None = None,
        started: float | None = None,
        completed: float | None = None,
        queue: float | None = None,
    ) -> None:
        seconds = completed - started if completed is not None and started is not None else None
        row = dict(
            run=run,
            job_id=str(next(self._job_ids)),
            name=name,
            conclusion="success",
            runner="ubuntu-latest",
            created_at=created,
            started_at=started,
            completed_at=completed,
            queue_seconds=queue,
            seconds=seconds,
        )
        with self.engine.begin() as connection:
            connection.execute(insert(jobs).values(row))

    def result(
        self, run: int, test: str, outcome: str = "passed", seconds: float | None = 1.0
    ) -> None:
        failing = outcome in ("failed", "error", "flaky")
        row = dict(
            run=run,
            test=self._test_id(test),
            outcome=outcome,
            attempts=2 if outcome == "flaky" else 1,
            failures=1 if failing else 0,
            seconds=seconds,
            message="boom" if failing else "",
        )
        with self.engine.begin() as connection:
            connection.execute(insert(test_results).values(row))

    def build(self, run: int, image: str, steps: int, cached: int) -> None:
        row = dict(
            run=run,
            source_sha256=hashlib.sha256(f"{run}{image}{steps}".encode()).hexdigest(),
            image=image,
            digest="",
            steps=steps,
            cached_steps=cached,
            seconds=None,
        )
        with self.engine.begin() as connection:
            connection.execute(insert(builds).values(row))

    def image(self, run: int, image: str, size: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(images).values(run=run, image=image, bytes=size))

    def _test_id(self, name: str) -> int:
        if name not in self._tests:
            digest = hashlib.sha256(name.encode()).hexdigest()
            with self.engine.begin() as connection:
                result = connection.execute(insert(tests).values(name=name, name_hash=digest))
                self._tests[name] = int(result.inserted_primary_key[0])
        return self._tests[name]
