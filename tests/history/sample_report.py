"""A HistoryReport built by hand, for the renderers' tests: every kind of row (a figure, a
withheld one, a not-recorded one), hostile names in every place a name is shown."""

from __future__ import annotations

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

NOW = 1_760_000_000.0
WEEK = 7 * 86400.0
# onerror sets a flag the browser test reads: it must stay unset.
HOSTILE = "tests/x.py::test_y[<img src=x onerror=window.pwned=1>]"
HOSTILE_SCRIPT = "tests/x.py::test_z[</script><script>window.pwned=2</script>]"
HOSTILE_IMAGE = "ghcr.io/o/app<svg onload=window.pwned=3>"
HOSTILE_WORKFLOW = "ci | <b>bold</b> [link](http://example.com) `x`"


def row(metric: str, scope: str, n: int, value: float | None, **changes) -> SloRow:
    fields = dict(
        metric=metric,
        title=metric,
        scope=scope,
        unit=Unit.SECONDS,
        n=n,
        minimum=5,
        value=value,
        interval=None if value is None else (value * 0.9, value * 1.1),
        target=None,
        status=Status.NO_TARGET,
        note="",
    )
    fields.update(changes)
    return SloRow(**fields)


def sample_report() -> HistoryReport:
    slo = (
        row("pr-pipeline-p50", HOSTILE_WORKFLOW, 40, 125.0),
        row("pr-pipeline-p95", HOSTILE_WORKFLOW, 40, 290.0, target=120.0, status=Status.NOT_MET),
        row("main-pipeline-p95", "ci", 3, None, target=600.0, status=Status.NOT_ENOUGH_DATA),
        row("queue-p50", "all jobs", 200, 12.0, target=30.0, status=Status.MET),
        row(
            "layer-cache-hit-rate",
            "app",
            12,
            0.75,
            unit=Unit.RATIO,
            interval=(0.7, 0.8),
            target=0.8,
            status=Status.NOT_MET,
        ),
        row(
            "dependency-cache-hit-rate",
            "all",
            0,
            None,
            unit=Unit.RATIO,
            status=Status.NOT_RECORDED,
        ),
        row("image-size", HOSTILE_IMAGE, 9, 431e6, unit=Unit.BYTES, interval=None),
    )
    slowest = (
        SlowTest(HOSTILE, 40, 12.5, 30.25, 520.0, 0.31),
        SlowTest("tests/test_a.py::test_slowish", 40, 3.0, 9.0, 130.0, 0.08),
        SlowTest(HOSTILE_SCRIPT, 3, None, None, 9.0, 0.01),
    )
    flaky = (
        FlakyTest("tests/test_b.py::test_race", 50, 10, 0.2, (0.11, 0.33), 9, NOW - 3600),
        FlakyTest(HOSTILE, 40, 2, 0.05, (0.014, 0.165), 2, NOW - 86400),
    )
    weeks = [NOW - (4 - i) * WEEK for i in range(5)]
    pipeline_trends = (
        Trend(
            "pull requests",
            Unit.SECONDS,
            tuple(Point(w, 100 + 10 * i, 8) for i, w in enumerate(weeks)),
        ),
        Trend("main", Unit.SECONDS, tuple(Point(w, 300 - 5 * i, 6) for i, w in enumerate(weeks))),
    )
    image_trends = (
        Trend(
            HOSTILE_IMAGE,
            Unit.BYTES,
            tuple(Point(w, 400e6 + 8e6 * i, 1) for i, w in enumerate(weeks)),
        ),
    )
    return HistoryReport(
        window=Window(since=NOW - 30 * 86400, until=NOW, branch="main"),
        runs=240,
        slo=slo,
        slowest=slowest,
        flaky=flaky,
        images=(ImageSize(HOSTILE_IMAGE, 9, 400_000_000, 431_000_000),),
        pipeline_trends=pipeline_trends,
        image_trends=image_trends,
        notes=("A note with <angle> brackets.",),
        sharded=(
            ShardedRun("CI <tests>", "9001", "test", 4, 312.5, 290.25),
            ShardedRun("CI <tests>", "9000", "test", 2, 600.0, 600.0),
        ),
    )
