"""`pitstop affected`: the selection as text, JSON (DESIGN.md's contract) or pytest arguments."""

from __future__ import annotations

import json

from pitstop.impact.explain import Explanation
from pitstop.impact.selector import Selection

FORMAT_VERSION = 1
FORMATS = ("text", "json", "pytest")


def render(selection: Selection, fmt: str) -> str:
    if fmt == "json":
        return render_json(selection)
    if fmt == "pytest":
        return render_pytest(selection)
    return render_text(selection)


def document(selection: Selection) -> dict[str, object]:
    return {
        "version": FORMAT_VERSION,
        "run_all": selection.run_all,
        "reasons": list(selection.reasons),
        "changed": list(selection.changed),
        "selected": list(selection.selected),
        "total": selection.total,
    }


def render_json(selection: Selection) -> str:
    return json.dumps(document(selection), indent=2) + "\n"


def render_pytest(selection: Selection) -> str:
    """Arguments for `pytest $(...)`: `.` to run everything, nothing when nothing is
    affected (the caller must not run a bare `pytest` then: it would run every test)."""
    if selection.run_all:
        return ".\n"
    return "".join(f"{path}\n" for path in selection.selected)


def render_text(selection: Selection) -> str:
    changed = len(selection.changed)
    if selection.run_all:
        head = f"run all {selection.total} test files"
    else:
        head = f"{len(selection.selected)} of {selection.total} test files affected"
    lines = [f"pitstop affected: {head} ({changed} changed file{'s' * (changed != 1)})"]
    lines += [f"  because {reason}" for reason in selection.reasons]
    if not selection.run_all:
        lines += [f"  {path}" for path in selection.selected]
    return "\n".join(lines) + "\n"


def render_explanation(explanation: Explanation) -> str:
    lines = [explanation.summary]
    for index, step in enumerate(explanation.chain):
        arrow = "  " if index == 0 else "  <- "
        lines.append(f"{arrow}{step.path} ({step.why})" if step.why else f"{arrow}{step.path}")
    return "\n".join(lines) + "\n"
