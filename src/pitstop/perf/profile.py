"""`pitstop profile diff`: which functions take a larger share of a profile in HEAD than in
BASE, ranked by how unlikely sampling noise alone makes the change.

Per function (a frame: name, file, line, as the profiler wrote it) and per side:
- self share: the weight of the stacks the function ends, over the profile's total;
- cumulative share: the weight of the stacks the function is on, counted once per stack
  even when it recurses, over the total (cProfile: its cumtime over the total tottime).

The decision is a two-proportion z-test on the self share, with the pooled proportion:
p = (x_base + x_head) / (n_base + n_head), z = (head - base) / sqrt(p (1 - p) (1/n_base +
1/n_head)), where n is the profile's number of observations and x = share * n. A function
whose self share grew with z >= threshold is a regression; one that shrank with
z <= -threshold an improvement; each list is ranked by |z|, most significant first.

What the test assumes: that samples are independent draws. A sampling profiler's
consecutive samples are not quite (a long call spans many), so z overstates significance
somewhat; the default threshold of 3 leaves room for that and for testing many functions.
For pyinstrument, n is its sample_count (its samples carry unequal times); for cProfile,
which measures rather than samples, n is the total milliseconds: z is what a 1 kHz sampler
would have seen, not the run-to-run noise of the measurement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

from pitstop.parsers.profiles import Frame, Profile, Stack
from pitstop.perf.profile_records import FlameNode, FunctionChange, ProfileDiff, Side

DEFAULT_Z = 3.0


ROOT = Frame("all", "", None)


def diff_profiles(
    base: Profile, head: Profile, threshold: float = DEFAULT_Z, *, flame: bool = False
) -> ProfileDiff:
    """The ranked difference of `head` against `base` (see the module docstring); with
    `flame`, HEAD's call tree for the differential flame graph too."""
    base = moved_to_head(base, head)
    base_self, base_cumulative = shares(base)
    head_self, head_cumulative = shares(head)
    changes = [
        _change(frame, base, head, base_self, head_self, base_cumulative, head_cumulative)
        for frame in {*base_self, *head_self, *base_cumulative, *head_cumulative}
    ]
    return ProfileDiff(
        base=_side(base),
        head=_side(head),
        threshold=threshold,
        regressions=_ranked(c for c in changes if c.z >= threshold),
        improvements=_ranked(c for c in changes if c.z <= -threshold),
        functions=len(changes),
        flame=flame_tree(base, head) if flame else None,
    )


def moved_to_head(base: Profile, head: Profile) -> Profile:
    """`base` with each function that moved renamed to its place in `head`: an edit above
    a function shifts its line, and the same function must not read as one that vanished
    and one that appeared. A function moved when its name and file hold exactly one line
    in each profile and the lines differ; where a name holds several lines in a file (two
    methods `__init__`, or a profiler that writes the current line, not the function's
    first), nothing is guessed and each line stays its own entry."""
    base_lines, head_lines = _lines_by_function(base), _lines_by_function(head)
    moved = {
        Frame(name, file, next(iter(lines))): Frame(name, file, next(iter(head_lines[name, file])))
        for (name, file), lines in base_lines.items()
        if len(lines) == 1
        and len(head_lines.get((name, file), ())) == 1
        and lines != head_lines[name, file]
    }
    if not moved:
        return base
    stacks: dict[Stack, float] = {}
    for stack, weight in base.stacks.items():
        renamed = tuple(moved.get(frame, frame) for frame in stack)
        stacks[renamed] = stacks.get(renamed, 0.0) + weight
    inclusive = base.inclusive and {moved.get(f, f): w for f, w in base.inclusive.items()}
    return replace(base, stacks=stacks, inclusive=inclusive)


def _lines_by_function(profile: Profile) -> dict[tuple[str, str], set[int | None]]:
    lines: dict[tuple[str, str], set[int | None]] = {}
    for stack in profile.stacks:
        for frame in stack:
            lines.setdefault((frame.name, frame.file), set()).add(frame.line)
    return lines


def _side(profile: Profile) -> Side:
    return Side(profile.path, profile.source, profile.unit, profile.total, profile.observations)


def _ranked(changes: Iterable[FunctionChange]) -> tuple[FunctionChange, ...]:
    # Ties (equal |z|) fall back to the larger change, then the name: a stable order.
    return tuple(
        sorted(
            changes,
            key=lambda c: (-abs(c.z), -abs(c.head_self - c.base_self), c.function, c.file),
        )
    )


def _change(
    frame: Frame,
    base: Profile,
    head: Profile,
    base_self: Mapping[Frame, float],
    head_self: Mapping[Frame, float],
    base_cumulative: Mapping[Frame, float],
    head_cumulative: Mapping[Frame, float],
) -> FunctionChange:
    b, h = base_self.get(frame, 0.0), head_self.get(frame, 0.0)
    bc, hc = base_cumulative.get(frame, 0.0), head_cumulative.get(frame, 0.0)
    return FunctionChange(
        function=frame.name,
        file=frame.file,
        line=frame.line,
        base_self=b,
        head_self=h,
        z=two_proportion_z(b, base.observations, h, head.observations),
        base_cumulative=bc,
        head_cumulative=hc,
        z_cumulative=two_proportion_z(bc, base.observations, hc, head.observations),
    )


def shares(profile: Profile) -> tuple[dict[Frame, float], dict[Frame, float]]:
    """Each function's self and cumulative share of `profile`'s total weight."""
    total = profile.total
    own: dict[Frame, float] = {}
    inclusive: dict[Frame, float] = {}
    for stack, weight in profile.stacks.items():
        if stack:
            own[stack[-1]] = own.get(stack[-1], 0.0) + weight
        for frame in set(stack):  # once per stack, however deep it recurses
            inclusive[frame] = inclusive.get(frame, 0.0) + weight
    if profile.inclusive is not None:
        inclusive = dict(profile.inclusive)
    return _over(own, total), _over(inclusive, total)


def _over(weights: Mapping[Frame, float], total: float) -> dict[Frame, float]:
    return {frame: min(weight / total, 1.0) for frame, weight in weights.items()}


def two_proportion_z(base_share: float, n_base: float, head_share: float, n_head: float) -> float:
    """The two-proportion z statistic with the pooled proportion; 0 when it is undefined
    (both shares 0 or both 1: nothing changed)."""
    pooled = (base_share * n_base + head_share * n_head) / (n_base + n_head)
    variance = pooled * (1 - pooled) * (1 / n_base + 1 / n_head)
    if variance <= 0:
        return 0.0
    return (head_share - base_share) / math.sqrt(variance)


def flame_tree(base: Profile, head: Profile) -> FlameNode:
    """HEAD's call tree (sized by HEAD's weights) under a synthetic root frame "all", each
    node with the share the same path (the same frames from the root) holds in BASE."""
    head_paths = _path_weights(head)
    base_paths = _path_weights(base)
    built: dict[Stack, FlameNode] = {}
    below: dict[Stack, list[FlameNode]] = {}
    # Deepest paths first, so a node's children exist when it is built (no recursion: a
    # stack may be deeper than Python's recursion limit).
    for path in sorted(head_paths, key=len, reverse=True):
        children = sorted(below.pop(path, ()), key=lambda n: (-n.head_weight, n.function))
        frame = path[-1] if path else ROOT
        node = FlameNode(
            function=frame.name,
            file=frame.file,
            line=frame.line,
            head_weight=head_paths[path],
            head_share=head_paths[path] / head.total,
            base_share=base_paths.get(path, 0.0) / base.total,
            children=tuple(children),
        )
        built[path] = node
        if path:
            below.setdefault(path[:-1], []).append(node)
    return built[()]


def _path_weights(profile: Profile) -> dict[Stack, float]:
    """The inclusive weight of every prefix of every stack (the empty prefix: the total)."""
    weights: dict[Stack, float] = {}
    for stack, weight in profile.stacks.items():
        for depth in range(len(stack) + 1):
            prefix = stack[:depth]
            weights[prefix] = weights.get(prefix, 0.0) + weight
    return weights
