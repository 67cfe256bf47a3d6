"""The reads behind `pitstop report`, aggregated in SQL: counts, sums and GROUP BY run in the
database, and only the series a percentile needs (per-run figures, a few tests' durations)
come back to Python. Every query covers the runs recorded in a window [since, until).

The same statements run on SQLite and PostgreSQL (SQLAlchemy Core, no dialect branches)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
)

from pitstop.history.schema import (
    bench_files,
    bench_timings,
    builds,
    images,
    jobs,
    runs,
    test_results,
    tests,
)
from pitstop.runs import parse_shard

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
FAILING = ("failed", "error")
# A literal, not a bound parameter: only then can the planners use the partial index
# test_results_not_passed (WHERE outcome != 'passed').
_PASSED: ColumnElement[str] = literal_column("'passed'", String)


@dataclass(frozen=True)
class WorkflowRun:
    """A workflow run (repository, workflow, run id, attempt) over its recorded jobs: first
    job created (or started, when the input gives no creation time), last job completed."""

    workflow: str
    event: str
    branch: str
    started: float
    seconds: float


@dataclass(frozen=True)
class TestTotal:
    """A test over the window: results in which it ran (not skipped), results with a
    duration, and their seconds together."""

    __test__ = False  # not a pytest test class, whatever its name

    test: int
    runs: int
    timed: int
    seconds: float


@dataclass(frozen=True)
class FlakyEvidence:
    test: int
    flaky: int
    commits: int
    last_seen: float


@dataclass(frozen=True)
class LayerCache:
    image: str
    builds: int
    steps: int
    cached: int


@dataclass(frozen=True)
class RunWindow:
    """The runs recorded in [since, until), and the lowest and highest of their ids."""

    since: float
    until: float
    first: int
    last: int


def run_window(connection: Connection, since: float, until: float) -> RunWindow:
    query = select(func.min(runs.c.id), func.max(runs.c.id)).where(
        runs.c.recorded_at >= since, runs.c.recorded_at < until
    )
    first, last = connection.execute(query).one()
    return RunWindow(since, until, first if first is not None else 0, last or -1)


def in_window(window: RunWindow) -> ColumnElement[bool]:
    return and_(runs.c.recorded_at >= window.since, runs.c.recorded_at < window.until)


def results_in(window: RunWindow) -> ColumnElement[bool]:
    """The window's test results. The run-id range adds nothing logically (every run of
    the window lies in it), but it lets PostgreSQL's planner see how few rows that is: it
    then walks the primary key (run, test) instead of scanning every result."""
    return and_(in_window(window), test_results.c.run.between(window.first, window.last))


def distinct_runs(connection: Connection, window: RunWindow) -> int:
    """Workflow runs (repository, workflow, run id, attempt) with a record in the window."""
    keys = (runs.c.repository, runs.c.workflow, runs.c.run_id, runs.c.attempt)
    inner = select(*keys).where(in_window(window)).group_by(*keys).subquery()
    return int(connection.execute(select(func.count()).select_from(inner)).scalar_one())


def workflow_runs(connection: Connection, window: RunWindow) -> list[WorkflowRun]:
    keys = (runs.c.repository, runs.c.workflow, runs.c.run_id, runs.c.attempt)
    start = func.min(func.coalesce(jobs.c.created_at, jobs.c.started_at))
    query = (
        select(
            runs.c.workflow,
            func.max(runs.c.event),
            func.max(runs.c.branch),
            start,
            func.max(jobs.c.completed_at),
        )
        .join(jobs, jobs.c.run == runs.c.id)
        .where(in_window(window))
        .group_by(*keys)
    )
    return [
        WorkflowRun(workflow, event, branch, first, last - first)
        for workflow, event, branch, first, last in connection.execute(query)
        if first is not None and last is not None and last >= first
    ]


def queue_seconds(connection: Connection, window: RunWindow) -> list[float]:
    query = (
        select(jobs.c.queue_seconds)
        .join(runs, jobs.c.run == runs.c.id)
        .where(in_window(window), jobs.c.queue_seconds.is_not(None))
    )
    return [float(value) for value in connection.execute(query).scalars()]


def deploy_seconds(connection: Connection, window: RunWindow, name_part: str) -> list[float]:
    """Durations of the jobs whose name contains `name_part`, in any case."""
    pattern = "%" + _like_escaped(name_part.lower()) + "%"
    query = (
        select(jobs.c.seconds)
        .join(runs, jobs.c.run == runs.c.id)
        .where(
            in_window(window),
            jobs.c.seconds.is_not(None),
            func.lower(jobs.c.name).like(pattern, escape="\\"),
        )
    )
    return [float(value) for value in connection.execute(query).scalars()]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suite_seconds(connection: Connection, window: RunWindow) -> list[float]:
    """Per run (a recorded job with test results): the sum of its tests' durations."""
    query = (
        select(func.sum(test_results.c.seconds))
        .join(runs, test_results.c.run == runs.c.id)
        .where(results_in(window), test_results.c.seconds.is_not(None))
        .group_by(test_results.c.run)
    )
    return [float(value) for value in connection.execute(query).scalars()]


def test_totals(connection: Connection, window: RunWindow) -> list[TestTotal]:
    ran = case((test_results.c.outcome != "skipped", 1), else_=0)
    query = (
        select(
            test_results.c.test,
            func.sum(ran),
            func.count(test_results.c.seconds),
            func.coalesce(func.sum(test_results.c.seconds), 0.0),
        )
        .join(runs, test_results.c.run == runs.c.id)
        .where(results_in(window))
        .group_by(test_results.c.test)
    )
    return [
        TestTotal(test, int(ran_count or 0), int(timed), float(seconds))
        for test, ran_count, timed, seconds in connection.execute(query)
    ]


def durations(
    connection: Connection, window: RunWindow, test_ids: Collection[int]
) -> dict[int, list[float]]:
    """The recorded durations of a few tests, by test id."""
    found: dict[int, list[float]] = {test: [] for test in test_ids}
    if not found:
        return found
    query = (
        select(test_results.c.test, test_results.c.seconds)
        .join(runs, test_results.c.run == runs.c.id)
        .where(
            results_in(window),
            test_results.c.test.in_(list(found)),
            test_results.c.seconds.is_not(None),
        )
    )
    for test, seconds in connection.execute(query):
        found[test].append(float(seconds))
    return found


def test_names(connection: Connection, test_ids: Collection[int]) -> dict[int, str]:
    if not test_ids:
        return {}
    query = select(tests.c.id, tests.c.name).where(tests.c.id.in_(list(test_ids)))
    return {test: name for test, name in connection.execute(query)}


def flaky_evidence(connection: Connection, window: RunWindow) -> list[FlakyEvidence]:
    """Per test, the results that were flaky: outcome flaky, or failed (or errored) on a
    commit where the same test passed in the same workflow and job within the window."""
    other_result = test_results.alias("passing")
    other_run = runs.alias("passing_run")
    passed_on_commit = exists().where(
        other_result.c.test == test_results.c.test,
        other_result.c.outcome == "passed",
        other_result.c.run == other_run.c.id,
        other_run.c.commit_sha == runs.c.commit_sha,
        other_run.c.workflow == runs.c.workflow,
        other_run.c.job == runs.c.job,
        other_run.c.recorded_at >= window.since,
        other_run.c.recorded_at < window.until,
    )
    flaky = or_(
        test_results.c.outcome == "flaky",
        and_(test_results.c.outcome.in_(FAILING), runs.c.commit_sha != "", passed_on_commit),
    )
    query = (
        select(
            test_results.c.test,
            func.count(),
            func.count(distinct(runs.c.commit_sha)),
            func.max(runs.c.recorded_at),
        )
        .join(runs, test_results.c.run == runs.c.id)
        .where(results_in(window), test_results.c.outcome != _PASSED, flaky)
        .group_by(test_results.c.test)
    )
    return [
        FlakyEvidence(test, int(count), int(commits), float(last))
        for test, count, commits, last in connection.execute(query)
    ]


def layer_cache(connection: Connection, window: RunWindow) -> list[LayerCache]:
    query = (
        select(
            builds.c.image,
            func.count(),
            func.sum(builds.c.steps),
            func.sum(builds.c.cached_steps),
        )
        .join(runs, builds.c.run == runs.c.id)
        .where(in_window(window), builds.c.steps > 0)
        .group_by(builds.c.image)
        .order_by(builds.c.image)
    )
    return [
        LayerCache(image, int(count), int(steps), int(cached))
        for image, count, steps, cached in connection.execute(query)
    ]


def image_sizes(connection: Connection, window: RunWindow) -> list[tuple[str, float, int]]:
    """(image, recorded at, bytes) per measurement, in time order."""
    query = (
        select(images.c.image, runs.c.recorded_at, images.c.bytes)
        .join(runs, images.c.run == runs.c.id)
        .where(in_window(window))
        .order_by(images.c.image, runs.c.recorded_at, runs.c.id)
    )
    return [(image, float(at), int(size)) for image, at, size in connection.execute(query)]


def p95_candidates(
    connection: Connection, window: RunWindow, threshold: float, minimum: int
) -> list[int]:
    """Tests whose p95 may exceed `threshold`: with linear interpolation the p95 of n values
    is above it only if more than n - 1 - floor(0.95 * (n - 1)) of them are (a necessary
    condition, checked here in SQL; the caller computes the exact p95 of what passes)."""
    timed = func.count(test_results.c.seconds)
    above = func.sum(case((test_results.c.seconds > threshold, 1), else_=0))
    # n - 1 - floor(0.95 (n - 1)) <= 0.05 (n - 1) + 1: a looser bound, the same in both SQLs
    needed = cast(timed - 1, Float) * 0.05
    query = (
        select(test_results.c.test)
        .join(runs, test_results.c.run == runs.c.id)
        .where(results_in(window), test_results.c.seconds.is_not(None))
        .group_by(test_results.c.test)
        .having(and_(timed >= minimum, above >= needed, above > 0))
    )
    return list(connection.execute(query).scalars())


def recent_test_runs(connection: Connection, branch: str | None, limit: int) -> list[int]:
    """The ids of the last `limit` runs (of `branch`, when given) with test results."""
    query = select(runs.c.id).where(exists().where(test_results.c.run == runs.c.id))
    if branch:
        query = query.where(runs.c.branch == branch)
    query = query.order_by(runs.c.recorded_at.desc(), runs.c.id.desc()).limit(limit)
    return [int(row[0]) for row in connection.execute(query)]


def timed_results(connection: Connection, run_ids: Collection[int]) -> list[tuple[str, int, float]]:
    """(test name, test id, seconds) of every timed result of `run_ids`."""
    if not run_ids:
        return []
    query = (
        select(tests.c.name, tests.c.id, test_results.c.seconds)
        .join(tests, test_results.c.test == tests.c.id)
        .where(test_results.c.run.in_(list(run_ids)), test_results.c.seconds.is_not(None))
    )
    return [
        (str(name), int(test), float(seconds)) for name, test, seconds in connection.execute(query)
    ]


@dataclass(frozen=True)
class ShardRun:
    """One shard of a sharded test run: its run's key without the shard, its index and
    count (from the job name `pitstop record --shard` gave it), and its tests' seconds."""

    run: tuple[str, str, str, int, str]
    index: int
    count: int
    seconds: float
    recorded_at: float


def shard_runs(connection: Connection, window: RunWindow) -> list[ShardRun]:
    """The runs in `window` whose job names end in a shard suffix (`shard_job`), with the
    sum of their tests' seconds."""
    query = (
        select(
            runs.c.repository,
            runs.c.workflow,
            runs.c.run_id,
            runs.c.attempt,
            runs.c.job,
            runs.c.recorded_at,
            func.sum(test_results.c.seconds),
        )
        .join(test_results, test_results.c.run == runs.c.id)
        .where(in_window(window), runs.c.job.like("% [shard %/%]"))
        .group_by(
            runs.c.id,
            runs.c.repository,
            runs.c.workflow,
            runs.c.run_id,
            runs.c.attempt,
            runs.c.job,
            runs.c.recorded_at,
        )
    )
    found = []
    for repository, workflow, run_id, attempt, job, at, seconds in connection.execute(query):
        parsed = parse_shard_job(str(job))
        if parsed is None or seconds is None:
            continue
        name, index, count = parsed
        key = (str(repository), str(workflow), str(run_id), int(attempt), name)
        found.append(ShardRun(key, index, count, float(seconds), float(at)))
    return found


SHARD_SUFFIX = " [shard {index}/{count}]"  # the job name's end, `pitstop record --shard`


def shard_job(job: str, index: int, count: int) -> str:
    return job + SHARD_SUFFIX.format(index=index, count=count)


def parse_shard_job(job: str) -> tuple[str, int, int] | None:
    """(job without the suffix, index, count) of a shard's job name, or None."""
    head, marker, tail = job.rpartition(" [shard ")
    if not marker or not tail.endswith("]"):
        return None
    try:
        index, count = parse_shard(tail[:-1])
    except ValueError:
        return None
    return head, index, count


@dataclass(frozen=True)
class BenchFile:
    """A recorded benchmark results file: one run of a suite, with its run's identity."""

    id: int
    tool: str
    run_id: str
    job: str
    commit_sha: str
    branch: str
    recorded_at: float


def recent_bench_files(connection: Connection, branch: str | None, limit: int) -> list[BenchFile]:
    """The last `limit` benchmark files recorded (in runs of `branch`, when given), newest
    first."""
    query = select(
        bench_files.c.id,
        bench_files.c.tool,
        runs.c.run_id,
        runs.c.job,
        runs.c.commit_sha,
        runs.c.branch,
        runs.c.recorded_at,
    ).join(runs, bench_files.c.run == runs.c.id)
    if branch:
        query = query.where(runs.c.branch == branch)
    query = query.order_by(runs.c.recorded_at.desc(), bench_files.c.id.desc()).limit(limit)
    return [BenchFile(*row) for row in connection.execute(query)]


def bench_timings_of(
    connection: Connection, file_ids: Collection[int]
) -> list[tuple[int, str, str]]:
    """(file id, benchmark name, timings JSON) of the benchmarks of `file_ids`."""
    if not file_ids:
        return []
    query = select(bench_timings.c.file, bench_timings.c.name, bench_timings.c.timings).where(
        bench_timings.c.file.in_(list(file_ids))
    )
    return [(int(f), str(n), str(t)) for f, n, t in connection.execute(query)]
