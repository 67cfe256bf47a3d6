"""`pitstop profile diff`: the ranked difference as text, JSON or Markdown (a PR comment),
and the differential flame graph as one self-contained HTML file.

Everything shown is computed in pitstop.perf.profile; this module lays it out. Function
names and paths are hostile input (a profile of any program): the text report shows
control characters escaped, Markdown escapes HTML and Markdown syntax, and the flame
graph is a Jinja2 template with autoescape under a Content-Security-Policy that runs no
script and loads nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pitstop.perf.profile_records import FlameNode, FunctionChange, ProfileDiff, Side
from pitstop.reports._common import aligned, markdown_text, printable

FORMAT_VERSION = 1
FORMATS = ("text", "json", "markdown")
MARKDOWN_TOP = 3  # `--top` for Markdown when not given: a PR comment names a few

_SOURCES = {
    "collapsed": "collapsed stacks",
    "speedscope": "speedscope JSON",
    "pyinstrument": "pyinstrument JSON",
    "cprofile": "cProfile",
}


def render_profile_diff(diff: ProfileDiff, fmt: str, top: int | None = None) -> str:
    """`diff` in the format named `fmt`; `top` keeps the first N of each list (Markdown:
    MARKDOWN_TOP when None, the others: all)."""
    if fmt == "json":
        return render_json(diff, top)
    if fmt == "markdown":
        return render_markdown(diff, MARKDOWN_TOP if top is None else top)
    return render_text(diff, top)


def _top(changes: Sequence[FunctionChange], top: int | None) -> Sequence[FunctionChange]:
    return changes if top is None else changes[:top]


def where(change: FunctionChange) -> str:
    """`file:line`, `file`, or `?` when the profiler wrote neither."""
    if change.line is None:
        return change.file or "?"
    return f"{change.file or '?'}:{change.line}"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def describe(side: Side) -> str:
    """`base.txt (collapsed stacks, 322 samples)`."""
    source = _SOURCES.get(side.source, side.source)
    if side.source == "pyinstrument":
        amount = f"{side.total:.3f} s in {side.observations:,.0f} samples"
    elif side.unit == "ms":
        amount = f"{side.total:,.0f} ms of self time"
    else:
        amount = f"{side.observations:,.0f} samples"
    return f"{side.path} ({source}, {amount})"


def method(diff: ProfileDiff) -> list[str]:
    """How the lists were decided, in sentences (every format says it)."""
    notes = [
        "A function's share is the part of the profile's samples it was running itself "
        "(self) or was on the stack for (cumulative, counted once per stack under "
        "recursion).",
        f"Regressions grew in self share with z >= {diff.threshold:g}, improvements shrank "
        f"with z <= -{diff.threshold:g}: a two-proportion z-test with the pooled proportion, "
        f"n = each profile's samples; {diff.functions:,} functions tested.",
        "Samples are treated as independent draws; consecutive samples are not quite, so a "
        "z near the threshold is weaker evidence than it reads.",
    ]
    sources = {diff.base.source, diff.head.source}
    if "cprofile" in sources:
        notes.append(
            "cProfile measures rather than samples: its milliseconds of tottime stand in "
            "for samples (as if sampled at 1 kHz), so z is that sampler's noise, not the "
            "run-to-run noise of the measurement; cumulative is cumtime."
        )
    if "pyinstrument" in sources:
        notes.append(
            "pyinstrument weights each sample by its time: shares are of time, n is its "
            "sample_count."
        )
    return notes


# Text -------------------------------------------------------------------------------------


def render_text(diff: ProfileDiff, top: int | None = None) -> str:
    lines = [
        "pitstop profile diff",
        f"  base: {printable(describe(diff.base))}",
        f"  head: {printable(describe(diff.head))}",
    ]
    for title, changes in (("Regressions", diff.regressions), ("Improvements", diff.improvements)):
        lines += ["", f"{title} ({len(changes)}):"]
        shown = _top(changes, top)
        if not shown:
            lines.append("  none")
            continue
        heading = ("z", "self base -> head", "cumulative base -> head", "function", "file:line")
        lines += aligned([heading, *[_text_row(c) for c in shown]])
        if len(shown) < len(changes):
            lines.append(f"  ... and {len(changes) - len(shown)} more")
    lines += ["", "How this was decided:", *(f"  - {note}" for note in method(diff))]
    return "\n".join(lines) + "\n"


def _text_row(change: FunctionChange) -> tuple[str, ...]:
    return (
        f"{change.z:+.1f}",
        f"{percent(change.base_self)} -> {percent(change.head_self)}",
        f"{percent(change.base_cumulative)} -> {percent(change.head_cumulative)}",
        printable(change.function),
        printable(where(change)),
    )


# JSON -------------------------------------------------------------------------------------


def document(diff: ProfileDiff, top: int | None = None) -> dict[str, Any]:
    """The contract: `version`, `regressions` and `improvements`, each a list of
    {function, file, line, base_share, head_share, z} (self shares), most significant
    first; `function` is the frame name as the profiler wrote it."""
    return {
        "version": FORMAT_VERSION,
        "regressions": [_json_change(c) for c in _top(diff.regressions, top)],
        "improvements": [_json_change(c) for c in _top(diff.improvements, top)],
    }


def _json_change(change: FunctionChange) -> dict[str, Any]:
    return {
        "function": change.function,
        "file": change.file,
        "line": change.line,
        "base_share": round(change.base_self, 6),
        "head_share": round(change.head_self, 6),
        "z": round(change.z, 3),
    }


def render_json(diff: ProfileDiff, top: int | None = None) -> str:
    return json.dumps(document(diff, top), indent=2) + "\n"


# Markdown ---------------------------------------------------------------------------------


def render_markdown(diff: ProfileDiff, top: int = MARKDOWN_TOP) -> str:
    slower = _top(diff.regressions, top)
    lines = [f"### Top {top} functions that got slower", ""]
    if slower:
        lines += [
            "| # | function | file:line | base share → head share | z |",
            "|---|---|---|---|---|",
        ]
        lines += [_markdown_row(i, c) for i, c in enumerate(slower, 1)]
    else:
        lines.append(f"No function's share grew with z ≥ {diff.threshold:g}.")
    faster = len(diff.improvements)
    lines += ["", f"{len(diff.regressions)} regression(s), {faster} improvement(s) in all."]
    lines += ["", "<details><summary>How this was decided</summary>", ""]
    lines += [
        f"- base: {markdown_text(describe(diff.base))}",
        f"- head: {markdown_text(describe(diff.head))}",
    ]
    lines += [f"- {markdown_text(note)}" for note in method(diff)]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _markdown_row(rank: int, change: FunctionChange) -> str:
    cells = (
        str(rank),
        f"`{_code(change.function)}`",
        markdown_text(where(change)),
        f"{percent(change.base_self)} → {percent(change.head_self)}",
        f"{change.z:.1f}",
    )
    return "| " + " | ".join(cells) + " |"


def _code(text: str) -> str:
    """Text for a one-backtick code span in a table cell: a backtick would end the span and
    a `|` the cell, so both are replaced by look-alikes; `<` and `&` are literal in code."""
    flat = " ".join(printable(text).splitlines())
    return flat.replace("`", "\u02cb").replace("|", "\u2223")


# Flame graph ------------------------------------------------------------------------------

FLAME_WIDTH = 1200
ROW_HEIGHT = 18
MIN_WIDTH = 0.5  # pixels: narrower frames (and all below them) are left out of the drawing
MAX_BOXES = 20_000
_CHAR_WIDTH = 6.5  # of the 11px monospace label, for cutting labels to their box


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    fill: str
    label: str
    tooltip: str


def render_flamegraph(diff: ProfileDiff, tree: FlameNode) -> str:
    """HEAD's call tree as one self-contained HTML file: an icicle graph (the root on top),
    a frame as wide as its HEAD samples, red where its share grew since BASE, blue where it
    shrank, the stronger the larger the change."""
    # Jinja2 loads here, not with the module: the other formats do not pay its import.
    import jinja2

    boxes = list(_boxes(tree))
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(_template_text())
    depth = max((int(b.y // ROW_HEIGHT) for b in boxes), default=0) + 1
    return template.render(
        title="pitstop profile diff: differential flame graph",
        base=describe(diff.base),
        head=describe(diff.head),
        boxes=boxes,
        width=FLAME_WIDTH,
        height=depth * ROW_HEIGHT,
        row=ROW_HEIGHT - 1,
        policy="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    )


def _template_text() -> str:
    folder = resources.files("pitstop.reports") / "templates"
    return (folder / "flamegraph.html.j2").read_text(encoding="utf-8")


def _boxes(tree: FlameNode) -> Iterator[Box]:
    scale = FLAME_WIDTH / tree.head_weight if tree.head_weight > 0 else 0.0
    largest = max(_changes(tree), default=0.0) or 1.0
    pending = [(tree, 0.0, 0)]
    drawn = 0
    while pending and drawn < MAX_BOXES:
        node, x, depth = pending.pop()
        width = node.head_weight * scale
        if width < MIN_WIDTH:
            continue
        drawn += 1
        yield _box(node, x, depth, width, largest)
        offset = x
        for child in node.children:
            pending.append((child, offset, depth + 1))
            offset += child.head_weight * scale


def _changes(tree: FlameNode) -> Iterator[float]:
    pending = [tree]
    while pending:
        node = pending.pop()
        yield abs(node.head_share - node.base_share)
        pending.extend(node.children)


def _box(node: FlameNode, x: float, depth: int, width: float, largest: float) -> Box:
    change = node.head_share - node.base_share
    place = f" ({node.file}:{node.line})" if node.file else ""
    tooltip = (
        f"{node.function}{place}\nhead {percent(node.head_share)}, base "
        f"{percent(node.base_share)} ({change * 100:+.1f} points)"
    )
    return Box(
        x=round(x, 2),
        y=depth * ROW_HEIGHT,
        width=round(width, 2),
        fill=_colour(change / largest),
        label=_fit(node.function, width),
        tooltip=tooltip,
    )


def _colour(relative: float) -> str:
    """Red for a grown share, blue for a shrunk one, white-ish for no change; `relative`
    in [-1, 1] is the change over the largest change in the graph."""
    strength = min(abs(relative), 1.0)
    fade = round(235 - 175 * strength)  # the other two channels: 235 (pale) to 60 (deep)
    if relative > 0:
        return f"rgb(235,{fade},{fade})"
    if relative < 0:
        return f"rgb({fade},{fade},235)"
    return "rgb(235,235,235)"


def _fit(name: str, width: float) -> str:
    room = int((width - 4) / _CHAR_WIDTH)
    if room < 2:
        return ""
    return name if len(name) <= room else name[: room - 1] + "…"
