"""What a proposed change saves: apply it to the job graph and measure the critical path again.

Nothing here is estimated. A removed job takes its measured duration with it; every other
job keeps its own. Savings are differences between two critical paths of the same graph
and timings, so they hold as far as the run the timings came from is typical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pitstop.errors import PitstopError
from pitstop.pipeline.analysis import Change
from pitstop.pipeline.job_graph import CriticalPath, JobGraph, Node, critical_path


@dataclass(frozen=True)
class WhatIf:
    """One change and the critical path after it.

    `seconds_saved` is None when the path is measured by job count; `jobs_saved` is how many
    fewer jobs the critical path has (negative if a different, longer chain takes over)."""

    change: Change
    critical_path: CriticalPath
    seconds_saved: float | None
    jobs_saved: int


def apply_change(graph: JobGraph, change: Change) -> JobGraph:
    """`graph` with `change` made; PitstopError for a change naming a job it does not have."""
    if graph.node(change.job) is None:
        raise PitstopError(f"no job `{change.job}` to change", path=graph.path, line=change.line)
    if change.kind == "remove-job":
        return _remove_job(graph, change.job)
    if change.kind == "drop-need" and change.need in graph.needs(change.job):
        return _drop_need(graph, change.job, change.need)
    raise PitstopError(
        f"cannot apply {change.kind} of `{change.job}`"
        + (f" on `{change.need}`" if change.need else ""),
        path=graph.path,
        line=change.line,
    )


def _remove_job(graph: JobGraph, job: str) -> JobGraph:
    """Drop `job`; the jobs that needed it need what it needed instead, so every job still
    starts after everything it waited for before."""
    inherited = graph.needs(job)
    nodes = tuple(
        replace(node, needs=_inherit(node, job, inherited))
        for node in graph.nodes
        if node.id != job
    )
    return JobGraph(graph.path, nodes)


def _inherit(node: Node, removed: str, inherited: tuple[str, ...]) -> tuple[str, ...]:
    if removed not in node.needs:
        return node.needs
    needs: list[str] = []
    for need in node.needs:
        needs += inherited if need == removed else (need,)
    return tuple(dict.fromkeys(needs))


def _drop_need(graph: JobGraph, job: str, need: str) -> JobGraph:
    nodes = tuple(
        replace(node, needs=tuple(n for n in node.needs if n != need)) if node.id == job else node
        for node in graph.nodes
    )
    return JobGraph(graph.path, nodes)


def what_if(
    graph: JobGraph, durations: Mapping[str, float] | None, changes: Sequence[Change]
) -> list[WhatIf]:
    """Each change applied alone to `graph`, with the critical path it leaves.

    Without `durations` the paths are compared by job count and no seconds are claimed."""
    before = critical_path(graph, durations)
    results = []
    for change in changes:
        after = critical_path(apply_change(graph, change), durations)
        saved = None
        if before.seconds is not None and after.seconds is not None:
            saved = before.seconds - after.seconds
        results.append(WhatIf(change, after, saved, len(before.jobs) - len(after.jobs)))
    return results
