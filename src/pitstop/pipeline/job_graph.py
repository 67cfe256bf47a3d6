"""The job graph of a workflow and its critical path.

Nodes are jobs, edges are `needs`. The critical path is the chain of jobs whose summed
durations decide when the run can finish: shortening any other job saves nothing. Every
number comes from the timings the user gives (a real run) or, without them, from counting
jobs, and the result says which (`by`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pitstop.errors import PitstopError
from pitstop.parsers.workflow import Workflow

By = Literal["timings", "job count"]


@dataclass(frozen=True)
class Node:
    """One job of the graph: what it needs, where it is, whether a matrix fans it out."""

    id: str
    needs: tuple[str, ...]
    line: int
    name: str | None = None
    matrix: bool = False


@dataclass(frozen=True)
class JobGraph:
    """The jobs of one workflow in file order, each with its `needs` (all known, no cycle)."""

    path: str
    nodes: tuple[Node, ...]

    @property
    def jobs(self) -> tuple[str, ...]:
        return tuple(node.id for node in self.nodes)

    def node(self, job: str) -> Node | None:
        return next((n for n in self.nodes if n.id == job), None)

    def needs(self, job: str) -> tuple[str, ...]:
        node = self.node(job)
        return node.needs if node else ()


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of `needs`, first job first.

    `seconds` is the chain's summed durations (None when measured `by` job count); `missing`
    names the graph's jobs the timings did not cover, which count as 0 seconds."""

    jobs: tuple[str, ...]
    seconds: float | None
    by: By
    missing: tuple[str, ...] = field(default=())


def job_graph(workflow: Workflow) -> JobGraph:
    """The graph of `workflow`; a PitstopError at the job's `needs:` line for a need that
    names no job of the workflow, or for jobs that need each other in a cycle (GitHub
    refuses to start such a workflow, so there is no path to measure)."""
    nodes = tuple(
        Node(
            id=job.id,
            needs=tuple(dict.fromkeys(job.needs)),
            line=job.needs_line or job.line,
            name=job.name,
            matrix=bool(job.matrix),
        )
        for job in workflow.jobs
    )
    graph = JobGraph(workflow.path, nodes)
    _check_needs(graph)
    topological_order(graph)
    return graph


def _check_needs(graph: JobGraph) -> None:
    known = set(graph.jobs)
    for node in graph.nodes:
        for need in node.needs:
            if need not in known:
                raise PitstopError(
                    f"job `{node.id}` needs `{need}`, which is not a job of this workflow "
                    f"(jobs: {', '.join(graph.jobs)})",
                    path=graph.path,
                    line=node.line,
                )


def topological_order(graph: JobGraph) -> tuple[str, ...]:
    """Every job after the jobs it needs, ties in file order; PitstopError on a cycle."""
    done: list[str] = []
    waiting = list(graph.nodes)
    while waiting:
        ready = [n for n in waiting if all(need in done for need in n.needs)]
        if not ready:
            raise _cycle_error(graph, waiting)
        done += [n.id for n in ready]
        waiting = [n for n in waiting if n not in ready]
    return tuple(done)


def _cycle_error(graph: JobGraph, waiting: list[Node]) -> PitstopError:
    """Name one cycle among the jobs that never became ready, starting at the first of them."""
    stuck = {n.id: n for n in waiting}
    chain = [waiting[0].id]
    while True:
        following = next(need for need in stuck[chain[-1]].needs if need in stuck)
        if following in chain:
            cycle = [*chain[chain.index(following) :], following]
            break
        chain.append(following)
    first = stuck[cycle[0]]
    return PitstopError(
        f"jobs need each other in a cycle: {' → '.join(cycle)}; GitHub cannot start this "
        "workflow: remove one of these `needs`",
        path=graph.path,
        line=first.line,
    )


def finish_times(graph: JobGraph, weights: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """(earliest start, finish) of every job when each starts as soon as its needs finish.

    This is the schedule of an idle runner pool: queueing time is not modelled."""
    schedule: dict[str, tuple[float, float]] = {}
    for job in topological_order(graph):
        start = max((schedule[n][1] for n in graph.needs(job)), default=0.0)
        schedule[job] = (start, start + weights.get(job, 0.0))
    return schedule


def weights_of(graph: JobGraph, durations: Mapping[str, float] | None) -> dict[str, float]:
    """Seconds per job from `durations` (0 for a job they miss), or 1 per job without them."""
    if durations is None:
        return dict.fromkeys(graph.jobs, 1.0)
    return {job: float(durations.get(job, 0.0)) for job in graph.jobs}


def critical_path(graph: JobGraph, durations: Mapping[str, float] | None = None) -> CriticalPath:
    """The longest chain of jobs through `graph`.

    With `durations` (seconds per job id) the chain with the largest summed duration, and
    jobs the durations miss count as 0 seconds (named in `missing`); without them the chain
    with the most jobs (`by="job count"`, no seconds). A matrix job counts once, at its
    longest instance: the assumption is that its instances run in parallel, which holds
    unless `max-parallel` or the runner pool holds them back.
    """
    weights = weights_of(graph, durations)
    schedule = finish_times(graph, weights)
    if not schedule:
        return CriticalPath((), 0.0 if durations is not None else None, _by(durations))
    depth = _depths(graph)

    def rank(job: str) -> tuple[float, int]:
        # the later finish; on a tie, the longer chain (a 0-second job still waits);
        # then max keeps the first in file (or `needs`) order
        return schedule[job][1], depth[job]

    last = max(graph.jobs, key=rank)
    chain = [last]
    while needs := graph.needs(chain[-1]):
        chain.append(max(needs, key=rank))
    chain.reverse()
    if durations is None:
        return CriticalPath(tuple(chain), None, "job count")
    missing = tuple(job for job in graph.jobs if job not in durations)
    return CriticalPath(tuple(chain), schedule[last][1], "timings", missing)


def _depths(graph: JobGraph) -> dict[str, int]:
    """The number of jobs on the longest chain that ends at each job."""
    depth: dict[str, int] = {}
    for job in topological_order(graph):
        depth[job] = 1 + max((depth[n] for n in graph.needs(job)), default=0)
    return depth


def _by(durations: Mapping[str, float] | None) -> By:
    return "job count" if durations is None else "timings"
