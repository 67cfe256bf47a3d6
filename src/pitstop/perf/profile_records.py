"""What `pitstop profile diff` computes, as immutable records the reports render (they
never see the parsed profiles)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Side:
    """What a report says about one profile."""

    path: str
    source: str  # "collapsed", "speedscope", "pyinstrument", "cprofile"
    unit: str  # what a weight is: "samples", "seconds", "ms"
    total: float
    observations: float  # the z-test's n


@dataclass(frozen=True)
class FunctionChange:
    """One function's shares in BASE and HEAD, self and cumulative, with their z."""

    function: str  # the frame's name as the profiler wrote it
    file: str  # "" when the profiler wrote none
    line: int | None
    base_self: float
    head_self: float
    z: float  # of the self share: what the decision reads
    base_cumulative: float
    head_cumulative: float
    z_cumulative: float


@dataclass(frozen=True)
class FlameNode:
    """A frame of HEAD's call tree with the same path's share in BASE (0 where absent)."""

    function: str  # the frame's name as the profiler wrote it
    file: str  # "" when the profiler wrote none
    line: int | None
    head_weight: float  # inclusive, in HEAD's unit
    head_share: float
    base_share: float
    children: tuple[FlameNode, ...]


@dataclass(frozen=True)
class ProfileDiff:
    base: Side
    head: Side
    threshold: float
    regressions: tuple[FunctionChange, ...]  # most significant first
    improvements: tuple[FunctionChange, ...]
    functions: int  # how many functions were tested
    flame: FlameNode | None = None  # HEAD's call tree, when asked for (flame_tree)
