"""`pitstop pipeline`: one workflow file (and, optionally, one run's timings) in, its job graph,
critical path and the savings of each proposed change out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.workflow import Workflow, parse_workflow
from pitstop.pipeline.analysis import Change, redundant_jobs, unneeded_needs
from pitstop.pipeline.job_graph import CriticalPath, JobGraph, critical_path, job_graph
from pitstop.pipeline.timings import job_durations, load_timings
from pitstop.pipeline.whatif import WhatIf, what_if


@dataclass(frozen=True)
class PipelineResult:
    """The job graph of `path`, its critical path and what each proposed change saves.

    `durations` is None without timings (everything is then by job count);
    `missing_timings` are the jobs the timings do not cover (counted as 0 seconds) and
    `unmatched_timings` the timing names that match no job of the workflow."""

    path: str
    workflow: Workflow
    graph: JobGraph
    durations: Mapping[str, float] | None
    critical_path: CriticalPath
    changes: tuple[Change, ...]
    what_ifs: tuple[WhatIf, ...]
    unmatched_timings: tuple[str, ...] = ()

    @property
    def missing_timings(self) -> tuple[str, ...]:
        return self.critical_path.missing


def analyse_pipeline(workflow_path: Path, timings_path: Path | None = None) -> PipelineResult:
    """Everything `pitstop pipeline` reports for the workflow at `workflow_path`."""
    workflow = read_workflow(workflow_path)
    graph = job_graph(workflow)
    durations: dict[str, float] | None = None
    unmatched: tuple[str, ...] = ()
    if timings_path is not None:
        matched = job_durations(workflow, load_timings(timings_path))
        durations, unmatched = dict(matched.seconds), matched.unmatched
    changes = (*redundant_jobs(workflow), *unneeded_needs(workflow))
    return PipelineResult(
        path=workflow.path,
        workflow=workflow,
        graph=graph,
        durations=durations,
        critical_path=critical_path(graph, durations),
        changes=changes,
        what_ifs=tuple(what_if(graph, durations, changes)),
        unmatched_timings=unmatched,
    )


def read_workflow(path: Path) -> Workflow:
    """The workflow at `path`, read as UTF-8; PitstopError with the path (and the line of the
    first bad byte) when it is missing, unreadable or not UTF-8."""
    shown = str(path)
    if path.is_dir():
        raise PitstopError("is a folder, not a workflow file", path=shown)
    if not path.exists():
        raise PitstopError("no such workflow file", path=shown)
    data = read_regular_file(path, shown)  # bounded; a FIFO is refused, not waited on
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PitstopError("the workflow is not UTF-8", path=shown, line=line) from None
    return parse_workflow(text, shown)
