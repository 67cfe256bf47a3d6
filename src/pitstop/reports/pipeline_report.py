"""`pitstop pipeline`: the critical path of a workflow, its timeline and what each proposed
change saves, as text, JSON or Markdown.

Every figure is the critical-path computation of `pitstop.pipeline` on the timings given;
the reports only lay them out, and say which assumptions the figures rest on.
"""

from __future__ import annotations

import json

from pitstop.pipeline import CriticalPath, PipelineResult, WhatIf
from pitstop.pipeline.job_graph import finish_times, weights_of

FORMAT_VERSION = 1
BAR_WIDTH = 40
"""Characters of the timeline bar that stand for the run's last finish time."""


def document(result: PipelineResult) -> dict[str, object]:
    durations = result.durations
    path = result.critical_path
    return {
        "version": FORMAT_VERSION,
        "workflow": result.path,
        "critical_path": list(path.jobs),
        "seconds": _number(path.seconds),
        "by": path.by,
        "missing_timings": list(result.missing_timings),
        "jobs": [
            {
                "id": node.id,
                "needs": list(node.needs),
                "seconds": _number(durations.get(node.id)) if durations is not None else None,
            }
            for node in result.graph.nodes
        ],
        "what_if": [_what_if(item) for item in result.what_ifs],
    }


def _what_if(item: WhatIf) -> dict[str, object]:
    change = item.change
    return {
        "kind": change.kind,
        "job": change.job,
        "need": change.need,
        "line": change.line,
        "reason": change.reason,
        "critical_path": list(item.critical_path.jobs),
        "seconds": _number(item.critical_path.seconds),
        "seconds_saved": _number(item.seconds_saved),
        "jobs_saved": item.jobs_saved,
    }


def _number(value: float | None) -> float | None:
    """Seconds to the millisecond: timestamps carry no more, and float noise would show."""
    return None if value is None else round(value, 3)


def render_json(result: PipelineResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


# -- text -------------------------------------------------------------------------------------


def render_text(result: PipelineResult) -> str:
    path = result.critical_path
    lines = [
        f"pipeline {result.path}: {len(result.graph.nodes)} jobs",
        f"critical path ({path.by}): {_chain(path, quote='')}  [{_length(path)}]",
    ]
    lines += [f"note: {note}" for note in assumptions(result)]
    lines += ["timeline:", *(f"  {row}" for row in timeline(result))]
    if not result.what_ifs:
        lines.append("what if: no change proposed")
    for item in result.what_ifs:
        lines.append(f"what if: {_change_label(item, quote='')} (line {item.change.line})")
        lines.append(f"  {item.change.reason}")
        lines.append(f"  critical path after: {_chain(item.critical_path, quote='')}")
        lines.append(f"  [{_length(item.critical_path)}], saves {_saved(item)}")
    return "\n".join(lines) + "\n"


# -- markdown ---------------------------------------------------------------------------------


def render_markdown(result: PipelineResult) -> str:
    path = result.critical_path
    lines = [
        f"## Pipeline: `{result.path}`",
        "",
        f"**Critical path** ({_length(path)}, by {path.by}): {_chain(path)}",
        "",
        *(f"- {note}" for note in assumptions(result)),
        "",
        "### Timeline",
        "",
        "```text",
        *timeline(result),
        "```",
        "",
        "### What if",
        "",
        *_what_if_table(result),
    ]
    return "\n".join(lines) + "\n"


def _what_if_table(result: PipelineResult) -> list[str]:
    if not result.what_ifs:
        return [
            "No change proposed: no job only re-tags an image, and every `needs` passes "
            "outputs, artifacts or images, gates a deploy, or is what its job waits for."
        ]
    rows = [
        "| change | line | why | critical path after | length | saves |",
        "|---|---|---|---|---|---|",
    ]
    for item in result.what_ifs:
        cells = (
            _change_label(item),
            str(item.change.line),
            item.change.reason.replace("|", "\\|"),
            _chain(item.critical_path),
            _length(item.critical_path),
            _saved(item),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return rows


# -- shared pieces ----------------------------------------------------------------------------


def assumptions(result: PipelineResult) -> list[str]:
    """What the figures rest on, in the words a reader checks them against."""
    if result.durations is None:
        notes = [
            "No timings given: the path is the longest chain by number of jobs, and the "
            "timeline counts one unit per job. For seconds, pass `--timings` "
            "(`gh run view RUN_ID --json jobs > timings.json`)."
        ]
    else:
        notes = [
            "Durations from the timings given; each job starts as soon as its `needs` "
            "finish (runner queueing is not modelled)."
        ]
    if any(node.matrix for node in result.graph.nodes):
        notes.append(
            "A matrix job counts once, as its longest instance: its instances are assumed "
            "to run in parallel."
        )
    if result.missing_timings:
        notes.append(
            "No timing for "
            + ", ".join(f"`{job}`" for job in result.missing_timings)
            + ": counted as 0 seconds."
        )
    if result.unmatched_timings:
        notes.append(
            "Timings that match no job of this workflow (ignored): "
            + ", ".join(f"`{name}`" for name in result.unmatched_timings)
            + "."
        )
    return notes


def timeline(result: PipelineResult) -> list[str]:
    """One row per job: start and finish on the critical-path schedule, and a bar scaled so
    that the last finish fills BAR_WIDTH; `*` marks the critical path."""
    graph = result.graph
    schedule = finish_times(graph, weights_of(graph, result.durations))
    if not schedule:
        return ["(no jobs)"]
    end = max(finish for _, finish in schedule.values()) or 1.0
    order = sorted(graph.jobs, key=lambda job: (schedule[job][0], graph.jobs.index(job)))
    width = max(len(job) for job in graph.jobs)
    by_count = result.durations is None
    header = f"{'job':<{width}}  {'start':>8}  {'end':>8}  |{_axis(end, by_count)}|"
    rows = [header]
    for job in order:
        start, finish = schedule[job]
        bar = _bar(start, finish, end)
        mark = " *" if job in result.critical_path.jobs else ""
        mark += " (no timing)" if job in result.missing_timings else ""
        times = f"{_time(start, by_count):>8}  {_time(finish, by_count):>8}"
        rows.append(f"{job:<{width}}  {times}  |{bar}|{mark}")
    return rows


def _axis(end: float, by_count: bool) -> str:
    label = f"{end:g} jobs" if by_count else duration(end)
    return f"{'0':<{BAR_WIDTH - len(label)}}{label}"


def _bar(start: float, finish: float, end: float) -> str:
    first = round(start / end * BAR_WIDTH)
    last = max(round(finish / end * BAR_WIDTH), first + (finish > start))
    return " " * first + "#" * (last - first) + " " * (BAR_WIDTH - last)


def _time(value: float, by_count: bool) -> str:
    """A point of the schedule: seconds as a duration, or the number of jobs run before it."""
    return f"{value:g}" if by_count else duration(value)


def duration(seconds: float) -> str:
    """`seconds` as a reader says it: 45s, 5m 03s, 1h 02m 03s."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _chain(path: CriticalPath, quote: str = "`") -> str:
    if not path.jobs:
        return "(no jobs)"
    return " → ".join(f"{quote}{job}{quote}" for job in path.jobs)


def _length(path: CriticalPath) -> str:
    count = f"{len(path.jobs)} job{'s' if len(path.jobs) != 1 else ''}"
    return count if path.seconds is None else f"{count}, {duration(path.seconds)}"


def _change_label(item: WhatIf, quote: str = "`") -> str:
    change = item.change
    if change.kind == "remove-job":
        return f"remove job {quote}{change.job}{quote}"
    return f"drop {quote}{change.job}{quote}'s need on {quote}{change.need}{quote}"


def _saved(item: WhatIf) -> str:
    jobs = f"{item.jobs_saved} job{'s' if abs(item.jobs_saved) != 1 else ''}"
    if item.seconds_saved is None:
        return f"{jobs} (by job count)"
    return f"{duration(item.seconds_saved)}, {jobs}"
