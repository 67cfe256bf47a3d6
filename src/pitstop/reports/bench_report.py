"""`pitstop bench compare`: the comparison as text, JSON or Markdown (a pull-request comment).

JSON: `{"version": 1, "benchmarks": [{"name", "verdict", "ratio", "interval": [low, high],
"p_value", "base_n", "head_n"}]}`, a contract (keys may be added, never renamed); `base_n`
and `head_n` count runs (results files), the unit of evidence. Also each benchmark's
`base_rounds` and `head_rounds` (timings, all runs together), `q_value`
(Benjamini-Hochberg), medians (of run medians) and `reason` (why no verdict), and the
comparison's `added`, `removed`, `settings`, `base` and `head` (`path`: the files as one
label, `paths`: each file, `runs`, `tool`). `ratio`, `interval`, `p_value` and `q_value`
are null for "insufficient data".

Benchmark names are hostile input (a test id may hold anything): the text report shows
control characters escaped, the Markdown report puts names in escaped code spans."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable

from pitstop.perf.compare import BenchmarkComparison, Comparison, Verdict
from pitstop.reports._common import aligned, in_format, printable
from pitstop.reports.markdown import code, table_cell

FORMAT_VERSION = 1
FORMATS = ("text", "json", "markdown")

# Regressions first: they are what a reviewer has to act on.
_ORDER = (Verdict.REGRESSION, Verdict.IMPROVEMENT, Verdict.NO_CHANGE, Verdict.INSUFFICIENT)


def render(comparison: Comparison, fmt: str) -> str:
    renderers: dict[str, Callable[[Comparison], str]] = {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
    }
    return in_format(renderers, fmt, comparison)


def document(comparison: Comparison) -> dict[str, object]:
    settings = comparison.settings
    return {
        "version": FORMAT_VERSION,
        "benchmarks": [_entry(b) for b in comparison.benchmarks],
        "added": list(comparison.added),
        "removed": list(comparison.removed),
        "settings": {
            "min_effect": settings.min_effect,
            "fdr": settings.fdr,
            "min_runs": settings.min_runs,
            "paired": settings.paired,
        },
        "base": _source(comparison.base, comparison.base_tool),
        "head": _source(comparison.head, comparison.head_tool),
    }


def _source(paths: tuple[str, ...], tool: str) -> dict[str, object]:
    return {"path": label(paths), "paths": list(paths), "runs": len(paths), "tool": tool}


def label(paths: tuple[str, ...]) -> str:
    """The files of one side, short: one path, or the first and last of several."""
    if len(paths) <= 2:
        return ", ".join(paths)
    return f"{paths[0]} ... {paths[-1]} ({len(paths)} files)"


def _entry(benchmark: BenchmarkComparison) -> dict[str, object]:
    found = benchmark.measured
    return {
        "name": benchmark.name,
        "verdict": str(benchmark.verdict),
        "ratio": _number(found.ratio) if found else None,
        "interval": [_number(v) for v in found.interval] if found else None,
        "p_value": found.p_value if found else None,
        "q_value": benchmark.q_value,
        "base_n": benchmark.base_n,
        "head_n": benchmark.head_n,
        "base_rounds": benchmark.base_rounds,
        "head_rounds": benchmark.head_rounds,
        "base_median": found.base_median if found else None,
        "head_median": found.head_median if found else None,
        "reason": benchmark.reason,
    }


def _number(value: float) -> float | None:
    """JSON has no Infinity: a ratio over a zero median is null."""
    return value if math.isfinite(value) else None


def render_json(comparison: Comparison) -> str:
    return json.dumps(document(comparison), indent=2) + "\n"


def headline(comparison: Comparison) -> str:
    counts = [
        _count(len(comparison.with_verdict(v)), str(v))
        for v in _ORDER
        if comparison.with_verdict(v)
    ]
    settings = comparison.settings
    return (
        f"{', '.join(counts) or 'no benchmark on both sides'} "
        f"(false discovery rate {_percent(settings.fdr)}, "
        f"minimum effect {_percent(settings.min_effect)})"
    )


def _count(count: int, verdict: str) -> str:
    if verdict in ("no change", "insufficient data"):
        return f"{count} {verdict}"
    return f"{count} {verdict}{'' if count == 1 else 's'}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def ranked(comparison: Comparison) -> list[BenchmarkComparison]:
    """Regressions first (largest first), then improvements, no change, insufficient data."""
    rank = {verdict: position for position, verdict in enumerate(_ORDER)}

    def key(b: BenchmarkComparison) -> tuple[int, float]:
        ratio = b.measured.ratio if b.measured else 1.0
        return rank[b.verdict], -ratio if b.verdict is Verdict.REGRESSION else ratio

    return sorted(comparison.benchmarks, key=key)


def _cells(b: BenchmarkComparison) -> tuple[str, str, str, str, str]:
    """verdict, ratio, interval, p (adjusted p), runs base/head."""
    n = f"{b.base_n}/{b.head_n}"
    found = b.measured
    if found is None or b.q_value is None:
        return str(b.verdict), "-", "-", "-", n
    low, high = found.interval
    return (
        str(b.verdict),
        f"{_ratio(found.ratio)} ({_change(found.ratio)})",
        f"{_ratio(low)}-{_ratio(high)}",
        f"{_p(found.p_value)} ({_p(b.q_value)})",
        n,
    )


def _ratio(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "inf"


def _change(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%" if math.isfinite(ratio) else "from 0"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


# Text -------------------------------------------------------------------------------------

_HEADINGS = ("verdict", "ratio (change)", "95% interval", "p (adjusted)", "runs base/head")


def render_text(comparison: Comparison) -> str:
    lines = [
        f"pitstop bench compare: {printable(label(comparison.base))} "
        f"({comparison.base_tool}) -> {printable(label(comparison.head))} "
        f"({comparison.head_tool})",
        headline(comparison),
    ]
    rows = [(*_cells(b), printable(b.name)) for b in ranked(comparison)]
    if rows:
        lines.append("")
        lines += aligned([(*_HEADINGS, "benchmark"), *rows])
    lines += _reasons(comparison)
    lines += _one_sided("added (no verdict)", comparison.added)
    lines += _one_sided("removed (no verdict)", comparison.removed)
    return "\n".join(lines) + "\n"


def _reasons(comparison: Comparison) -> list[str]:
    short = comparison.with_verdict(Verdict.INSUFFICIENT)
    if not short:
        return []
    return ["", "insufficient data:"] + [
        f"  {printable(b.name)}: {printable(b.reason or '')}" for b in short
    ]


def _one_sided(title: str, names: Iterable[str]) -> list[str]:
    listed = [f"  {printable(n)}" for n in names]
    return ["", f"{title}:", *listed] if listed else []


# Markdown ---------------------------------------------------------------------------------


def render_markdown(comparison: Comparison) -> str:
    regressions = len(comparison.with_verdict(Verdict.REGRESSION))
    title = (
        f"{regressions} regression{'' if regressions == 1 else 's'}"
        if regressions
        else "no regression"
    )
    lines = [f"## Benchmarks: {title}", "", table_cell(headline(comparison))]
    if comparison.benchmarks:
        lines += ["", "| benchmark | " + " | ".join(_HEADINGS) + " |", "|---" * 6 + "|"]
        lines += [_markdown_row(b) for b in ranked(comparison)]
    lines += _markdown_reasons(comparison)
    for title_, names in (("Added", comparison.added), ("Removed", comparison.removed)):
        if names:
            listed = ", ".join(table_cell(code(n)) for n in names)
            lines += ["", f"{title_} (in one file only, no verdict): {listed}"]
    lines += ["", "<details><summary>How it was decided</summary>", "", _how(comparison)]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _markdown_row(b: BenchmarkComparison) -> str:
    verdict, *rest = _cells(b)
    shown = f"**{verdict}**" if b.verdict is Verdict.REGRESSION else verdict
    cells = [table_cell(code(b.name)), shown, *(table_cell(c) for c in rest)]
    return "| " + " | ".join(cells) + " |"


def _markdown_reasons(comparison: Comparison) -> list[str]:
    short = comparison.with_verdict(Verdict.INSUFFICIENT)
    if not short:
        return []
    return ["", "Insufficient data:", ""] + [
        f"- {table_cell(code(b.name))}: {table_cell(b.reason or '')}" for b in short
    ]


def _how(comparison: Comparison) -> str:
    s = comparison.settings
    effect = _percent(s.min_effect)
    return (
        "Each results file is one run of the suite, and the run is the unit of evidence: a "
        "benchmark's median in each run"
        + (_HOW_PAIRED if s.paired else _HOW_UNPAIRED)
        + "the adjusted p-values in parentheses are "
        "Benjamini-Hochberg's across the benchmarks compared, so the share of false alarms "
        f"among the flagged ones is at most {_percent(s.fdr)}. A regression is a benchmark "
        f"whose adjusted p-value is at most {_percent(s.fdr)}, whose ratio is at least "
        f"1 + {effect} and whose interval lies above 1; an improvement is the mirror image "
        f"(base/head at least 1 + {effect}, interval below 1); anything else is no change. A "
        f"benchmark with fewer than {s.min_runs} runs on a side gets no verdict: a shift of "
        "a whole run, common on shared machines, cannot be told from a change of the code "
        "without several runs of each, base and head interleaved."
    )


_HOW_UNPAIRED = (
    ", then the median of those run medians on each side. "
    "The ratio is head/base of these, with a 95% hierarchical-bootstrap interval (2,000 "
    "resamples: the runs of each side with replacement, then the rounds within each "
    "drawn run; fixed seed). The p-value is the two-sided Mann-Whitney U test's on the "
    "run medians (exact for small samples without ties, else the normal approximation "
    "with tie and continuity corrections); "
)
_HOW_PAIRED = (
    ". The runs are paired (--paired): the i-th base run ran next to the i-th head run, so "
    "each pair's ratio of run medians cancels what the machine did at that time. The ratio "
    "is the median of the pairs' ratios (on the log scale), with a 95% hierarchical-"
    "bootstrap interval (2,000 resamples: the pairs with replacement, then the rounds "
    "within each drawn run; fixed seed). The p-value is the two-sided Wilcoxon "
    "signed-rank test's on the pairs' log ratios (exact for up to 50 pairs without ties, "
    "else the normal approximation with the tie correction); "
)
