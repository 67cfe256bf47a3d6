"""`pitstop bench compare`: the benchmarks of two results files matched by name, and each
one's verdict from the statistics of `pitstop.perf.stats`.

How a verdict is reached (the README says the same to users):
- fewer than `min_samples` timings on either side: "insufficient data", never a verdict;
- else the ratio of medians head/base, its bootstrap 95% interval, and the two-sided
  Mann-Whitney U p-value; the p-values of all the compared benchmarks are adjusted together
  (Benjamini-Hochberg), so 40 benchmarks do not give 2 false alarms at 5% on an A/A run;
- "regression": adjusted p at most `fdr`, ratio at least 1 + `min_effect` and the interval
  entirely above 1; "improvement": the mirror image, base/head at least 1 + `min_effect`
  (ratio at most 1 / (1 + `min_effect`)) and the interval entirely below 1; else "no
  change". Mirrored on the ratio's log scale, so any effect size works both ways. A
  significant 1% change is no change: on shared runners it is noise of the machine more
  often than of the code.
A benchmark in one file only is listed as added or removed, with no verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pitstop.perf.stats import (
    MIN_SAMPLES,
    benjamini_hochberg,
    mann_whitney,
    median,
    ratio,
    ratio_interval,
)


class Benchmark(Protocol):
    """One benchmark's timings, as pitstop.parsers.benchmarks reads them (a protocol, so the
    reports that read these records never import a parser)."""

    @property
    def name(self) -> str: ...  # matched across the two files
    @property
    def timings(self) -> tuple[float, ...]: ...  # seconds
    @property
    def missing(self) -> str | None: ...  # why the file holds no timings


class BenchmarkResults(Protocol):
    @property
    def path(self) -> str: ...  # the file, as named on the command line
    @property
    def tool(self) -> str: ...  # the tool that wrote it
    @property
    def benchmarks(self) -> Sequence[Benchmark]: ...  # in file order


class Verdict(StrEnum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no change"
    INSUFFICIENT = "insufficient data"


@dataclass(frozen=True)
class Settings:
    """What counts: the smallest relative change reported, and the false discovery rate."""

    min_effect: float = 0.05
    fdr: float = 0.05
    min_samples: int = MIN_SAMPLES


@dataclass(frozen=True)
class Measured:
    """The statistics of one benchmark with enough timings on both sides."""

    ratio: float  # median(head) / median(base)
    interval: tuple[float, float]  # the ratio's bootstrap 95% interval
    p_value: float  # two-sided Mann-Whitney U
    base_median: float  # seconds
    head_median: float
    test: str  # "exact" | "asymptotic"


@dataclass(frozen=True)
class BenchmarkComparison:
    """One benchmark present in both files. `measured` and `q_value` are None exactly when
    the verdict is "insufficient data", and `reason` then says why."""

    name: str
    verdict: Verdict
    base_n: int
    head_n: int
    measured: Measured | None = None
    q_value: float | None = None  # the Benjamini-Hochberg adjusted p-value
    reason: str | None = None


@dataclass(frozen=True)
class Comparison:
    base: str  # the files, as named on the command line
    head: str
    base_tool: str
    head_tool: str
    settings: Settings
    benchmarks: tuple[BenchmarkComparison, ...]  # in the head file's order
    added: tuple[str, ...]  # in the head file only
    removed: tuple[str, ...]  # in the base file only

    def with_verdict(self, verdict: Verdict) -> tuple[BenchmarkComparison, ...]:
        return tuple(b for b in self.benchmarks if b.verdict is verdict)


def compare(base: BenchmarkResults, head: BenchmarkResults, settings: Settings) -> Comparison:
    """Match the benchmarks by name and judge each one present on both sides."""
    before = {b.name: b for b in base.benchmarks}
    after = {b.name: b for b in head.benchmarks}
    pairs = [(before[b.name], b) for b in head.benchmarks if b.name in before]
    return Comparison(
        base=base.path,
        head=head.path,
        base_tool=base.tool,
        head_tool=head.tool,
        settings=settings,
        benchmarks=_judge(pairs, settings),
        added=tuple(b.name for b in head.benchmarks if b.name not in before),
        removed=tuple(b.name for b in base.benchmarks if b.name not in after),
    )


def _judge(
    pairs: list[tuple[Benchmark, Benchmark]], settings: Settings
) -> tuple[BenchmarkComparison, ...]:
    measured = {h.name: _measure(b, h) for b, h in pairs if _short(b, h, settings) is None}
    names = list(measured)
    adjusted = dict(
        zip(names, benjamini_hochberg([measured[n].p_value for n in names]), strict=True)
    )
    judged = []
    for b, h in pairs:
        reason = _short(b, h, settings)
        if reason is not None:
            judged.append(
                BenchmarkComparison(
                    h.name, Verdict.INSUFFICIENT, len(b.timings), len(h.timings), reason=reason
                )
            )
            continue
        found, q = measured[h.name], adjusted[h.name]
        verdict = _verdict(found, q, settings)
        judged.append(
            BenchmarkComparison(h.name, verdict, len(b.timings), len(h.timings), found, q)
        )
    return tuple(judged)


def _short(base: Benchmark, head: Benchmark, settings: Settings) -> str | None:
    """Why the pair gets no verdict, or None when both sides have enough timings."""
    for side, benchmark in (("base", base), ("head", head)):
        if benchmark.missing:
            return f"{side}: {benchmark.missing}"
    if min(len(base.timings), len(head.timings)) < settings.min_samples:
        return (
            f"{len(base.timings)} base and {len(head.timings)} head timings "
            f"(at least {settings.min_samples} a side)"
        )
    return None


def _measure(base: Benchmark, head: Benchmark) -> Measured:
    base_median, head_median = median(base.timings), median(head.timings)
    test = mann_whitney(base.timings, head.timings)
    return Measured(
        ratio=ratio(head_median, base_median),
        interval=ratio_interval(base.timings, head.timings),
        p_value=test.p_value,
        base_median=base_median,
        head_median=head_median,
        test=test.method,
    )


def _verdict(found: Measured, q_value: float, settings: Settings) -> Verdict:
    if q_value > settings.fdr:
        return Verdict.NO_CHANGE
    low, high = found.interval
    if found.ratio >= 1 + settings.min_effect and low > 1:
        return Verdict.REGRESSION
    if found.ratio <= 1 / (1 + settings.min_effect) and high < 1:
        return Verdict.IMPROVEMENT
    return Verdict.NO_CHANGE
