"""The job graph of a workflow: its critical path from real timings, the changes that could
shorten it (`analysis`), and what each one saves (`whatif`).

Layered between `review` (whose rules import `analysis`) and `parsers`: this package reads
the workflow model and nothing above it.
"""

from __future__ import annotations

from pitstop.pipeline.analysis import Change, redundant_jobs, unneeded_needs
from pitstop.pipeline.command import PipelineResult, analyse_pipeline, read_workflow
from pitstop.pipeline.job_graph import CriticalPath, JobGraph, Node, critical_path, job_graph
from pitstop.pipeline.timings import Durations, job_durations, load_timings
from pitstop.pipeline.whatif import WhatIf, apply_change, what_if

__all__ = [
    "Change",
    "CriticalPath",
    "Durations",
    "JobGraph",
    "Node",
    "PipelineResult",
    "WhatIf",
    "analyse_pipeline",
    "apply_change",
    "critical_path",
    "job_durations",
    "job_graph",
    "load_timings",
    "read_workflow",
    "redundant_jobs",
    "unneeded_needs",
    "what_if",
]
