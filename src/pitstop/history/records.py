"""What `pitstop report` shows, as immutable records: data only. The reports import these and
nothing else of `pitstop.history`; every figure here was computed by `history.analysis`.

Units: durations in seconds, sizes in bytes, rates as fractions (0..1), times as UTC epoch
seconds. A value is None when its sample is below the minimum: the reports then print
"not enough data (n=...)", never a number."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.Enum):
    """An SLO row's verdict against its target."""

    MET = "met"
    NOT_MET = "not met"
    NOT_ENOUGH_DATA = "not enough data"
    NO_TARGET = "no target"
    NOT_RECORDED = "not recorded"  # nothing pitstop records can give this figure


class Unit(enum.Enum):
    SECONDS = "seconds"
    RATIO = "ratio"
    BYTES = "bytes"


@dataclass(frozen=True)
class Window:
    """The runs a report covers: recorded at or after `since`, before `until`; `branch` is
    the default branch the main-pipeline rows read."""

    since: float
    until: float
    branch: str


@dataclass(frozen=True)
class SloRow:
    """One figure of the SLO table. `metric` is the `[slo]` key its target is read from
    (`pr-pipeline-p95`); `scope` the workflow, image or job group it covers; `n` the sample
    behind it (workflow runs, jobs, test-suite runs, builds, image measurements); `interval`
    the 95% confidence interval (bootstrap for percentiles, Wilson for rates), None where
    no interval applies; `minimum` the sample below which `value` is None."""

    metric: str
    title: str
    scope: str
    unit: Unit
    n: int
    minimum: int
    value: float | None
    interval: tuple[float, float] | None
    target: float | None
    status: Status
    note: str = ""


@dataclass(frozen=True)
class SlowTest:
    """A test's durations over the window: `runs` results with a duration, p50 and p95
    (None below their minimum sample), its total seconds and share of all test time (None
    where the caller did not ask for it)."""

    test: str
    runs: int
    p50: float | None
    p95: float | None
    seconds: float
    share: float | None


@dataclass(frozen=True)
class FlakyTest:
    """A test that was flaky in `flaky` of its `runs` results: outcome flaky (failed, then
    passed on a retry), or failed on a commit where it also passed. `interval` is the Wilson
    95% interval of `rate`; `commits` the distinct commits of the flaky runs; `last_seen`
    the latest of them (epoch seconds)."""

    test: str
    runs: int
    flaky: int
    rate: float
    interval: tuple[float, float]
    commits: int
    last_seen: float


@dataclass(frozen=True)
class Point:
    """A value at a time (epoch seconds) with the sample behind it (1 for a measurement)."""

    at: float
    value: float
    n: int


@dataclass(frozen=True)
class Trend:
    """A series for a chart: `name` (a workflow kind, an image), its unit and points in
    time order."""

    name: str
    unit: Unit
    points: tuple[Point, ...]


@dataclass(frozen=True)
class ImageSize:
    """An image's size over the window: first and latest measurement and the change."""

    image: str
    measurements: int
    first: int
    latest: int

    @property
    def change(self) -> int:
        return self.latest - self.first


@dataclass(frozen=True)
class ShardedRun:
    """A sharded test run (`pitstop record junit --shard I/N` for each shard): the sum of
    each shard's test seconds, measured, and the balance, slowest shard over their mean."""

    workflow: str
    run_id: str
    job: str
    shards: int
    slowest: float
    mean: float

    @property
    def balance(self) -> float:
        return self.slowest / self.mean if self.mean > 0 else 1.0


@dataclass(frozen=True)
class HistoryReport:
    """Everything `pitstop report` renders. `runs` counts distinct workflow runs
    (repository, workflow, run id, attempt) recorded in the window; `notes` say how the
    figures were computed, in words the reports print as they are."""

    window: Window
    runs: int
    slo: tuple[SloRow, ...]
    slowest: tuple[SlowTest, ...]
    flaky: tuple[FlakyTest, ...]
    images: tuple[ImageSize, ...]
    pipeline_trends: tuple[Trend, ...]  # p50 of pipeline time per week
    image_trends: tuple[Trend, ...]  # image size per measurement (weekly latest)
    notes: tuple[str, ...]
    sharded: tuple[ShardedRun, ...] = ()  # the latest sharded runs with every shard recorded
