"""`pitstop report`'s figures: the SLO table, slowest and flaky tests and the trends, as the
records of `history.records`. The database aggregates (`history.queries`); this module
takes percentiles, intervals and verdicts of the few series that come back.

How each figure is computed is said once, in NOTES, which every format prints."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from pitstop.config import SloTargets
from pitstop.history import queries, stats
from pitstop.history.queries import PULL_REQUEST_EVENTS, RunWindow, TestTotal, WorkflowRun
from pitstop.history.records import (
    FlakyTest,
    HistoryReport,
    ImageSize,
    Point,
    ShardedRun,
    SloRow,
    SlowTest,
    Status,
    Trend,
    Unit,
    Window,
)
from pitstop.runs import node_file

if TYPE_CHECKING:
    from pitstop.parsers.benchmarks import BenchmarkResults

DEFAULT_BRANCH = "main"
SLOWEST = 20  # tests in the slowest table
CANDIDATES = 40  # tests whose durations are read: the highest mean durations
FLAKIEST = 30  # tests in the flaky table
WEEK = 7 * 86400.0

NOTES = (
    "Window: runs recorded in it (the time `pitstop record` stored them).",
    "Pipeline time: per workflow run (repository, workflow, run id, attempt), from its first "
    "job's creation (or start) to its last job's completion; pull requests are events "
    "pull_request and pull_request_target, the default branch its other events.",
    "p50 and p95: linear interpolation between ranks; 95% intervals by bootstrap "
    f"({stats.BOOTSTRAP_RESAMPLES} resamples, fixed seed). A p50 needs "
    f"{stats.MIN_SAMPLE_P50} values, a p95 {stats.MIN_SAMPLE_P95}; a rate "
    f"{stats.MIN_SAMPLE_RATE} builds.",
    "Test-suite time: the sum of a run's test durations, not its wall time (parallel "
    "workers overlap).",
    "Layer-cache hit rate: cached build steps / build steps; its Wilson interval treats "
    "steps as independent.",
    "Dependency-cache hit rate: not recorded (no input pitstop records gives it).",
    "Flaky: a result with outcome flaky (failed, then passed on a retry), or a failure on a "
    "commit where the same test passed in the same workflow and job; rate = flaky / runs "
    "with a Wilson 95% interval, ranked by its lower bound.",
    "Status: the point estimate against the target; the interval says how sure it is.",
    "Sharded runs: the runs recorded with `pitstop record junit --shard I/N` of which every "
    "shard was recorded; each shard's time is the sum of its test durations (not its wall "
    "time); balance = slowest shard / mean of the shards.",
)


@dataclass(frozen=True)
class _Metric:
    """A kind of SLO row: its `[slo]` key prefix, title, unit and direction."""

    key: str
    title: str
    unit: Unit
    higher_is_better: bool = False


def history_report(
    engine: Engine, *, since: float, until: float, branch: str | None, targets: SloTargets
) -> HistoryReport:
    """The report over the runs recorded in [since, until); `branch` (default "main") is
    the default branch whose pipeline rows are shown beside the pull requests'."""
    window = Window(since=since, until=until, branch=branch or DEFAULT_BRANCH)
    with engine.connect() as connection:
        return _report(connection, window, targets)


def slow_tests(
    engine: Engine, *, threshold: float, since: float, until: float = math.inf
) -> list[SlowTest]:
    """The tests whose p95 duration since `since` exceeds `threshold` seconds, slowest
    first; a test with fewer than stats.MIN_SAMPLE_P95 timed results is not among them."""
    with engine.connect() as connection:
        scope = queries.run_window(connection, since, until)
        ids = queries.p95_candidates(connection, scope, threshold, minimum=stats.MIN_SAMPLE_P95)
        found = _slow_tests(connection, scope, ids, total=None)
    return sorted(
        (test for test in found if test.p95 is not None and test.p95 > threshold),
        key=lambda test: (-(test.p95 or 0.0), test.test),
    )


def _report(connection: Connection, window: Window, targets: SloTargets) -> HistoryReport:
    scope = queries.run_window(connection, window.since, window.until)
    pipelines = queries.workflow_runs(connection, scope)
    totals = queries.test_totals(connection, scope)
    suites = queries.suite_seconds(connection, scope)
    sizes = queries.image_sizes(connection, scope)
    rows = [
        *_pipeline_rows(pipelines, window.branch, targets),
        *_series_rows(_QUEUE, "all jobs", queries.queue_seconds(connection, scope), targets),
        *_series_rows(_SUITE, "all runs", suites, targets),
        *_cache_rows(queries.layer_cache(connection, scope), targets),
        _dependency_cache_row(),
        *_image_rows(sizes, targets),
        *_deploy_rows(connection, scope, targets),
    ]
    return HistoryReport(
        window=window,
        runs=queries.distinct_runs(connection, scope),
        slo=tuple(rows),
        slowest=tuple(_slowest(connection, scope, totals, total=sum(suites))),
        flaky=tuple(_flaky(connection, scope, totals)),
        images=tuple(_image_sizes(sizes)),
        pipeline_trends=tuple(_pipeline_trends(pipelines, window)),
        image_trends=tuple(_image_trends(sizes, window)),
        notes=NOTES,
        sharded=tuple(_sharded(connection, scope)),
    )


_PR = _Metric("pr-pipeline", "Pipeline time, pull requests", Unit.SECONDS)
_QUEUE = _Metric("queue", "Queue time", Unit.SECONDS)
_SUITE = _Metric("test-suite", "Test-suite time (sum of test durations)", Unit.SECONDS)
_DEPLOY = _Metric("deploy", "Deploy time", Unit.SECONDS)
_LAYER_CACHE = _Metric(
    "layer-cache-hit-rate", "Image-layer cache hit rate", Unit.RATIO, higher_is_better=True
)
_IMAGE_SIZE = _Metric("image-size", "Image size (latest)", Unit.BYTES)


def _main(branch: str) -> _Metric:
    return _Metric("main-pipeline", f"Pipeline time, {branch}", Unit.SECONDS)


def _is_pull_request(run: WorkflowRun) -> bool:
    return run.event in PULL_REQUEST_EVENTS


def _pipeline_rows(
    pipelines: Sequence[WorkflowRun], branch: str, targets: SloTargets
) -> list[SloRow]:
    def on_branch(run: WorkflowRun) -> bool:
        return run.branch == branch and not _is_pull_request(run)

    rows = []
    for metric, keep in ((_PR, _is_pull_request), (_main(branch), on_branch)):
        by_workflow = _grouped((r.workflow, r.seconds) for r in pipelines if keep(r))
        if not by_workflow:
            rows += _series_rows(metric, "all workflows", [], targets)
        for workflow, values in sorted(by_workflow.items()):
            rows += _series_rows(metric, workflow, values, targets)
    return rows


def _grouped(pairs: Iterable[tuple[str, float]]) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return dict(groups)


def _series_rows(
    metric: _Metric, scope: str, values: Sequence[float], targets: SloTargets
) -> list[SloRow]:
    """The p50 and p95 rows of a series of durations."""
    return [_percentile_row(metric, scope, values, q, targets) for q in (50, 95)]


def _percentile_row(
    metric: _Metric, scope: str, values: Sequence[float], q: int, targets: SloTargets
) -> SloRow:
    key = f"{metric.key}-p{q}"
    minimum = stats.minimum_sample(q)
    enough = len(values) >= minimum
    value = stats.percentile(values, q) if enough else None
    return SloRow(
        metric=key,
        title=f"{metric.title} p{q}",
        scope=scope,
        unit=metric.unit,
        n=len(values),
        minimum=minimum,
        value=value,
        interval=stats.bootstrap_interval(values, q) if enough else None,
        target=targets.target(key),
        status=_status(value, targets.target(key), metric.higher_is_better),
    )


def _status(value: float | None, target: float | None, higher_is_better: bool) -> Status:
    if target is None:
        return Status.NO_TARGET
    if value is None:
        return Status.NOT_ENOUGH_DATA
    met = value >= target if higher_is_better else value <= target
    return Status.MET if met else Status.NOT_MET


def _cache_rows(caches: Sequence[queries.LayerCache], targets: SloTargets) -> list[SloRow]:
    if not caches:
        return [_rate_row("all images", 0, 0, 0, targets)]
    return [_rate_row(c.image or "(unnamed)", c.builds, c.steps, c.cached, targets) for c in caches]


def _rate_row(scope: str, builds: int, steps: int, cached: int, targets: SloTargets) -> SloRow:
    metric = _LAYER_CACHE
    enough = builds >= stats.MIN_SAMPLE_RATE and steps > 0
    value = cached / steps if enough else None
    return SloRow(
        metric=metric.key,
        title=metric.title,
        scope=scope,
        unit=metric.unit,
        n=builds,
        minimum=stats.MIN_SAMPLE_RATE,
        value=value,
        interval=stats.wilson_interval(cached, steps) if enough else None,
        target=targets.target(metric.key),
        status=_status(value, targets.target(metric.key), higher_is_better=True),
        note=f"{cached} of {steps} steps cached" if steps else "",
    )


def _dependency_cache_row() -> SloRow:
    return SloRow(
        metric="dependency-cache-hit-rate",
        title="Dependency cache hit rate",
        scope="all",
        unit=Unit.RATIO,
        n=0,
        minimum=0,
        value=None,
        interval=None,
        target=None,
        status=Status.NOT_RECORDED,
        note="no input pitstop records gives dependency-cache hits",
    )


def _image_rows(sizes: Sequence[tuple[str, float, int]], targets: SloTargets) -> list[SloRow]:
    target = targets.target(_IMAGE_SIZE.key)
    if not sizes:
        return [_no_image_row(target)]
    return [
        SloRow(
            metric=_IMAGE_SIZE.key,
            title=_IMAGE_SIZE.title,
            scope=image.image,
            unit=Unit.BYTES,
            n=image.measurements,
            minimum=1,
            value=float(image.latest),
            interval=None,
            target=target,
            status=_status(float(image.latest), target, higher_is_better=False),
            note=f"{image.change:+d} bytes since the window's first measurement",
        )
        for image in _image_sizes(sizes)
    ]


def _no_image_row(target: float | None) -> SloRow:
    return SloRow(
        metric=_IMAGE_SIZE.key,
        title=_IMAGE_SIZE.title,
        scope="all images",
        unit=Unit.BYTES,
        n=0,
        minimum=1,
        value=None,
        interval=None,
        target=target,
        status=_status(None, target, higher_is_better=False),
    )


def _image_sizes(sizes: Sequence[tuple[str, float, int]]) -> list[ImageSize]:
    by_image: dict[str, list[int]] = defaultdict(list)
    for image, _, size in sizes:  # in time order per image
        by_image[image].append(size)
    return [
        ImageSize(image=image, measurements=len(values), first=values[0], latest=values[-1])
        for image, values in sorted(by_image.items())
    ]


def _deploy_rows(connection: Connection, scope: RunWindow, targets: SloTargets) -> list[SloRow]:
    name = targets.deploy_job
    values = queries.deploy_seconds(connection, scope, name)
    return _series_rows(_DEPLOY, f"jobs named *{name}*", values, targets)


def _slowest(
    connection: Connection, scope: RunWindow, totals: Sequence[TestTotal], total: float
) -> list[SlowTest]:
    timed = [t for t in totals if t.timed >= stats.MIN_SAMPLE_P50]
    timed.sort(key=lambda t: -(t.seconds / t.timed))
    ids = [t.test for t in timed[:CANDIDATES]]
    found = _slow_tests(connection, scope, ids, total=total)
    found.sort(key=lambda t: (t.p95 is None, -(t.p95 or t.p50 or 0.0), t.test))
    return found[:SLOWEST]


def _slow_tests(
    connection: Connection, scope: RunWindow, ids: Sequence[int], total: float | None
) -> list[SlowTest]:
    names = queries.test_names(connection, ids)
    series = queries.durations(connection, scope, ids)
    return [_slow_test(names[test], values, total) for test, values in series.items() if values]


def _slow_test(name: str, values: Sequence[float], total: float | None) -> SlowTest:
    def given(q: int) -> float | None:
        return stats.percentile(values, q) if len(values) >= stats.minimum_sample(q) else None

    seconds = sum(values)
    return SlowTest(
        test=name,
        runs=len(values),
        p50=given(50),
        p95=given(95),
        seconds=seconds,
        share=seconds / total if total else None,
    )


def _flaky(
    connection: Connection, scope: RunWindow, totals: Sequence[TestTotal]
) -> list[FlakyTest]:
    evidence = queries.flaky_evidence(connection, scope)
    ran = {t.test: t.runs for t in totals}
    names = queries.test_names(connection, [e.test for e in evidence])
    found = [_flaky_test(names[e.test], e, max(ran.get(e.test, 0), e.flaky)) for e in evidence]
    found.sort(key=lambda t: (-t.interval[0], -t.rate, t.test))
    return found[:FLAKIEST]


def _flaky_test(name: str, evidence: queries.FlakyEvidence, runs: int) -> FlakyTest:
    return FlakyTest(
        test=name,
        runs=runs,
        flaky=evidence.flaky,
        rate=evidence.flaky / runs,
        interval=stats.wilson_interval(evidence.flaky, runs),
        commits=evidence.commits,
        last_seen=evidence.last_seen,
    )


def _week_of(at: float, window: Window) -> float:
    """The start of the window-aligned week `at` falls in."""
    return window.since + max(0, math.floor((at - window.since) / WEEK)) * WEEK


def _pipeline_trends(pipelines: Sequence[WorkflowRun], window: Window) -> list[Trend]:
    def on_branch(run: WorkflowRun) -> bool:
        return run.branch == window.branch and not _is_pull_request(run)

    kinds: tuple[tuple[str, Callable[[WorkflowRun], bool]], ...] = (
        ("pull requests", _is_pull_request),
        (window.branch, on_branch),
    )
    trends = []
    for name, keep in kinds:
        weeks = _grouped_by_week(((r.started, r.seconds) for r in pipelines if keep(r)), window)
        points = [
            Point(at=week, value=stats.percentile(values, 50), n=len(values))
            for week, values in sorted(weeks.items())
            if len(values) >= stats.MIN_SAMPLE_P50
        ]
        trends.append(Trend(name=name, unit=Unit.SECONDS, points=tuple(points)))
    return trends


def _grouped_by_week(
    pairs: Iterable[tuple[float, float]], window: Window
) -> dict[float, list[float]]:
    weeks: dict[float, list[float]] = defaultdict(list)
    for at, value in pairs:
        weeks[_week_of(at, window)].append(value)
    return weeks


def _image_trends(sizes: Sequence[tuple[str, float, int]], window: Window) -> list[Trend]:
    """Per image, its latest size in each week (sizes are in time order per image)."""
    latest: dict[str, dict[float, float]] = defaultdict(dict)
    for image, at, size in sizes:
        latest[image][_week_of(at, window)] = float(size)
    return [
        Trend(
            name=image,
            unit=Unit.BYTES,
            points=tuple(Point(at=week, value=size, n=1) for week, size in sorted(weeks.items())),
        )
        for image, weeks in sorted(latest.items())
    ]


SHARDED_RUNS = 10  # the latest sharded runs the report lists


def _sharded(connection: Connection, scope: queries.RunWindow) -> list[ShardedRun]:
    """The latest sharded runs of which every shard was recorded, newest first."""
    groups: dict[tuple[str, str, str, int, str], dict[int, queries.ShardRun]] = defaultdict(dict)
    counts: dict[tuple[str, str, str, int, str], int] = {}
    for shard in queries.shard_runs(connection, scope):
        groups[shard.run][shard.index] = shard
        counts[shard.run] = shard.count
    complete = []
    for key, shards in groups.items():
        if counts[key] >= 2 and set(shards) == set(range(1, counts[key] + 1)):
            seconds = [s.seconds for s in shards.values()]
            _, workflow, run_id, _, job = key
            complete.append(
                (
                    max(s.recorded_at for s in shards.values()),
                    ShardedRun(
                        workflow,
                        run_id,
                        job,
                        len(seconds),
                        max(seconds),
                        sum(seconds) / len(seconds),
                    ),
                )
            )
    complete.sort(key=lambda pair: (-pair[0], pair[1].run_id, pair[1].job))
    return [run for _, run in complete[:SHARDED_RUNS]]


RECENT_TEST_RUNS = 30  # the runs whose durations `pitstop shard` takes the median of


@dataclass(frozen=True)
class RecentDurations:
    """Each test's median seconds over the last runs (of a branch) that timed it; the first
    test of each file, taken as the one the history met first (lowest id)."""

    seconds: dict[str, float]
    first: dict[str, str]
    runs: int


def recent_durations(
    engine: Engine, branch: str | None, limit: int = RECENT_TEST_RUNS
) -> RecentDurations:
    with engine.connect() as connection:
        ids = queries.recent_test_runs(connection, branch, limit)
        rows = queries.timed_results(connection, ids)
    timings: dict[str, list[float]] = defaultdict(list)
    order: dict[str, int] = {}
    for name, test, seconds in rows:
        timings[name].append(seconds)
        order[name] = test
    first: dict[str, str] = {}
    for name in sorted(order, key=order.__getitem__):
        first.setdefault(node_file(name), name)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return RecentDurations(medians, first, len(ids))


RECENT_BENCH_FILES = 20  # the recorded benchmark runs `bench compare --base-branch` judges by


def recorded_bench_runs(
    engine: Engine, branch: str | None, limit: int = RECENT_BENCH_FILES
) -> list[BenchmarkResults]:
    """The last `limit` recorded benchmark results files (of `branch`, when given), oldest
    first, each one run of the suite as `bench compare` takes it; a file is named by its run
    ("history: run R, job J, commit C (n)")."""
    import json

    from pitstop.parsers.benchmarks import Benchmark, BenchmarkResults

    with engine.connect() as connection:
        files = queries.recent_bench_files(connection, branch, limit)
        rows = queries.bench_timings_of(connection, [f.id for f in files])
    by_file: dict[int, list[Benchmark]] = defaultdict(list)
    for file_id, name, timings in rows:
        by_file[file_id].append(Benchmark(name, tuple(float(t) for t in json.loads(timings))))
    found = []
    for number, f in enumerate(reversed(files), start=1):
        label = f"history: run {f.run_id or '-'}{', job ' + f.job if f.job else ''}"
        label += f", commit {f.commit_sha[:12] or '-'} ({number})"
        benchmarks = tuple(sorted(by_file[f.id], key=lambda b: b.name))
        found.append(BenchmarkResults(label, f.tool, benchmarks))
    return found
