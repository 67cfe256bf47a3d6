"""Reports: one review result as text, JSON, SARIF, Markdown, GitHub annotations or a plan.

Each format lives in its own module with a `render(result) -> str` function; the modules are
imported only when asked for, so importing this package stays cheap (rich is slow to import).
"""

from __future__ import annotations

import enum
import functools
from typing import Protocol, assert_never

from pitstop.model import ReviewResult

__all__ = ["Format", "Renderer", "render", "renderer_for"]


class Format(enum.Enum):
    """The report formats; the CLI takes its `--format` choices from here."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    GITHUB = "github"
    PLAN = "plan"


class Renderer(Protocol):
    """What every format module's `render` is, once its options are bound."""

    # The whole report as one string, ending in a newline unless it is empty.
    def __call__(self, result: ReviewResult, /) -> str: ...


def render(result: ReviewResult, fmt: Format, *, color: bool | None = None) -> str:
    """`result` as a report in `fmt`; `color` (None: auto) matters only to the text format."""
    return renderer_for(fmt, color=color)(result)


def renderer_for(fmt: Format, *, color: bool | None = None) -> Renderer:
    """The renderer for `fmt`, importing its module only now."""
    match fmt:
        case Format.TEXT:
            from pitstop.reports import text

            return functools.partial(text.render, color=color)
        case Format.JSON:
            from pitstop.reports import json_report

            return json_report.render
        case Format.SARIF:
            from pitstop.reports import sarif

            return sarif.render
        case Format.MARKDOWN:
            from pitstop.reports import markdown

            return markdown.render
        case Format.GITHUB:
            from pitstop.reports import github

            return github.render
        case Format.PLAN:
            from pitstop.reports import plan

            return plan.render
        case _:
            assert_never(fmt)
