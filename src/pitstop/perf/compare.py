"""`pitstop bench compare`: the benchmarks of the base's and the head's results files (each
file one run of the suite) matched by name, and each one's verdict from the statistics of
`pitstop.perf.stats`.

How a verdict is reached (the README says the same to users):
- the run is the unit of evidence: each run's median timing, then the median of the run
  medians on each side. Two runs of the same code on a shared machine differ by more than
  the changes worth finding while each run's rounds are tightly grouped, so rounds alone
  cannot tell a shift of the whole run from a change of the code;
- fewer than `min_runs` runs on either side: "insufficient data", never a verdict (one run a
  side cannot be judged at all: its only evidence is the rounds);
- else the ratio head/base of the medians of run medians, its hierarchical bootstrap 95%
  interval (runs, then rounds within them), and the two-sided Mann-Whitney U p-value of the
  run medians; the p-values of all the compared benchmarks are adjusted together
  (Benjamini-Hochberg), so 40 benchmarks do not give 2 false alarms at 5% on an A/A run;
- "regression": adjusted p at most `fdr`, ratio at least 1 + `min_effect` and the interval
  entirely above 1; "improvement": the mirror image, base/head at least 1 + `min_effect`
  (ratio at most 1 / (1 + `min_effect`)) and the interval entirely below 1; else "no
  change". Mirrored on the ratio's log scale, so any effect size works both ways. A
  significant 1% change is no change: on shared runners it is noise of the machine more
  often than of the code.
A benchmark in no file of one side is listed as added or removed, with no verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pitstop.perf.stats import (
    MIN_RUNS,
    benjamini_hochberg,
    log_ratios,
    mann_whitney,
    median,
    paired_ratio,
    paired_ratio_interval,
    ratio,
    ratio_interval,
    wilcoxon,
)


class Benchmark(Protocol):
    """One benchmark's timings, as pitstop.parsers.benchmarks reads them (a protocol, so the
    reports that read these records never import a parser)."""

    @property
    def name(self) -> str: ...  # matched across the files
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
    """What counts: the smallest relative change reported, the false discovery rate, and the
    runs a side needed for a verdict."""

    min_effect: float = 0.05
    fdr: float = 0.05
    min_runs: int = MIN_RUNS
    paired: bool = False  # the i-th base and head runs ran next to each other


@dataclass(frozen=True)
class Measured:
    """The statistics of one benchmark with enough runs on both sides."""

    ratio: float  # head_median / base_median
    interval: tuple[float, float]  # the ratio's hierarchical bootstrap 95% interval
    p_value: float  # two-sided Mann-Whitney U of the run medians (paired: Wilcoxon)
    base_median: float  # seconds: the median of the base's run medians
    head_median: float
    test: str  # "exact" | "asymptotic"
    method: str = "Mann-Whitney U"  # or "Wilcoxon signed-rank" (paired runs)


@dataclass(frozen=True)
class BenchmarkComparison:
    """One benchmark present on both sides. `measured` and `q_value` are None exactly when
    the verdict is "insufficient data", and `reason` then says why."""

    name: str
    verdict: Verdict
    base_n: int  # runs (files holding the benchmark)
    head_n: int
    base_rounds: int  # timings, all runs together
    head_rounds: int
    measured: Measured | None = None
    q_value: float | None = None  # the Benjamini-Hochberg adjusted p-value
    reason: str | None = None


@dataclass(frozen=True)
class Comparison:
    base: tuple[str, ...]  # the files, as named on the command line: one a run
    head: tuple[str, ...]
    base_tool: str  # the tools that wrote them (", "-joined if several)
    head_tool: str
    settings: Settings
    benchmarks: tuple[BenchmarkComparison, ...]  # in the head files' order
    added: tuple[str, ...]  # in head files only
    removed: tuple[str, ...]  # in base files only

    def with_verdict(self, verdict: Verdict) -> tuple[BenchmarkComparison, ...]:
        return tuple(b for b in self.benchmarks if b.verdict is verdict)


@dataclass(frozen=True)
class _Side:
    """One benchmark's runs on one side: each file's timings, or why a file holds none."""

    runs: tuple[tuple[float, ...], ...]
    missing: tuple[str, ...]  # "FILE: why", for each file without timings
    files: tuple[int, ...] = ()  # the position of each run's file among the side's files

    @property
    def rounds(self) -> int:
        return sum(len(run) for run in self.runs)


def compare(
    base: Sequence[BenchmarkResults], head: Sequence[BenchmarkResults], settings: Settings
) -> Comparison:
    """Match the benchmarks by name across the runs of each side and judge each one present
    on both sides."""
    before, after = _sides(base), _sides(head)
    pairs = [(name, before[name], after[name]) for name in after if name in before]
    return Comparison(
        base=tuple(r.path for r in base),
        head=tuple(r.path for r in head),
        base_tool=_tools(base),
        head_tool=_tools(head),
        settings=settings,
        benchmarks=_judge(pairs, settings),
        added=tuple(name for name in after if name not in before),
        removed=tuple(name for name in before if name not in after),
    )


def _sides(results: Sequence[BenchmarkResults]) -> dict[str, _Side]:
    """Each benchmark's runs across the files of one side, in the order first met."""
    runs: dict[str, list[tuple[float, ...]]] = {}
    missing: dict[str, list[str]] = {}
    files: dict[str, list[int]] = {}
    for position, run in enumerate(results):
        for b in run.benchmarks:
            runs.setdefault(b.name, [])
            missing.setdefault(b.name, [])
            files.setdefault(b.name, [])
            if b.missing:
                missing[b.name].append(f"{run.path}: {b.missing}")
            elif b.timings:
                runs[b.name].append(b.timings)
                files[b.name].append(position)
    return {
        name: _Side(tuple(runs[name]), tuple(missing[name]), tuple(files[name])) for name in runs
    }


def _tools(results: Sequence[BenchmarkResults]) -> str:
    return ", ".join(dict.fromkeys(r.tool for r in results))


def _judge(
    pairs: list[tuple[str, _Side, _Side]], settings: Settings
) -> tuple[BenchmarkComparison, ...]:
    if settings.paired:
        pairs = [(name, *_paired(b, h)) for name, b, h in pairs]
    measure = _measure_paired if settings.paired else _measure
    measured = {n: measure(b, h) for n, b, h in pairs if _short(b, h, settings) is None}
    names = list(measured)
    adjusted = dict(
        zip(names, benjamini_hochberg([measured[n].p_value for n in names]), strict=True)
    )
    judged = []
    for name, b, h in pairs:
        counts = (len(b.runs), len(h.runs), b.rounds, h.rounds)
        reason = _short(b, h, settings)
        if reason is not None:
            judged.append(BenchmarkComparison(name, Verdict.INSUFFICIENT, *counts, reason=reason))
            continue
        found, q = measured[name], adjusted[name]
        verdict = _verdict(found, q, settings)
        judged.append(BenchmarkComparison(name, verdict, *counts, found, q))
    return tuple(judged)


def _short(base: _Side, head: _Side, settings: Settings) -> str | None:
    """Why the pair gets no verdict, or None when both sides have enough runs."""
    for side, found in (("base", base), ("head", head)):
        if found.missing:
            return f"{side}: {found.missing[0]}"
    least = settings.min_runs
    if len(base.runs) == 1 and len(head.runs) == 1:
        return (
            "one run a side: a shift of the whole run cannot be told from a change of the "
            f"code; give at least {least} runs a side, base and head interleaved"
        )
    if min(len(base.runs), len(head.runs)) < least:
        return (
            f"{len(base.runs)} base and {len(head.runs)} head runs "
            f"(at least {least} a side, base and head interleaved)"
        )
    return None


def _paired(base: _Side, head: _Side) -> tuple[_Side, _Side]:
    """The runs of the files present on both sides, the i-th base file with the i-th head
    file: a file without the benchmark drops its partner."""
    head_runs = dict(zip(head.files, head.runs, strict=True))
    kept = [(f, run) for f, run in zip(base.files, base.runs, strict=True) if f in head_runs]
    return (
        _Side(tuple(run for _, run in kept), base.missing, tuple(f for f, _ in kept)),
        _Side(tuple(head_runs[f] for f, _ in kept), head.missing, tuple(f for f, _ in kept)),
    )


def _measure_paired(base: _Side, head: _Side) -> Measured:
    """Each pair's log ratio of run medians: their median and a bootstrap over pairs; the
    Wilcoxon signed-rank test of those log ratios."""
    base_medians = [median(run) for run in base.runs]
    head_medians = [median(run) for run in head.runs]
    test = wilcoxon(log_ratios(base_medians, head_medians))
    return Measured(
        ratio=paired_ratio(base_medians, head_medians),
        interval=paired_ratio_interval(base.runs, head.runs),
        p_value=test.p_value,
        base_median=median(base_medians),
        head_median=median(head_medians),
        test=test.method,
        method="Wilcoxon signed-rank",
    )


def _measure(base: _Side, head: _Side) -> Measured:
    base_medians = [median(run) for run in base.runs]
    head_medians = [median(run) for run in head.runs]
    base_median, head_median = median(base_medians), median(head_medians)
    test = mann_whitney(base_medians, head_medians)
    return Measured(
        ratio=ratio(head_median, base_median),
        interval=ratio_interval(base.runs, head.runs),
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
