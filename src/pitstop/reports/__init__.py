"""Reports: one review result as text, JSON, SARIF, Markdown, GitHub annotations or a plan.

Each format lives in its own module with a `render(result) -> str` function; the modules are
imported only when asked for, so importing this package stays cheap (rich is slow to import).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, assert_never

from pitstop.model import Finding, ReviewResult

if TYPE_CHECKING:
    from pitstop.reports.sarif import RuleDescription

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


def render(
    result: ReviewResult,
    fmt: Format,
    *,
    color: bool | None = None,
    patches: Mapping[Finding, str] | None = None,
    rules: Sequence[RuleDescription] = (),
) -> str:
    """`result` as a report in `fmt`; `color` (None: auto) matters only to the text format,
    `patches` (each blocking finding's diff, from `pitstop.api.plan_patches`) to the plan,
    `rules` (the rule table, `pitstop.api.rules()`) to SARIF's rule descriptors."""
    report = renderer_for(fmt, color=color, patches=patches, rules=rules)(result)
    return printable(report)


def printable(text: str) -> str:
    """`text` with the bytes of file names that are not UTF-8 (kept by Python as lone
    surrogates) shown as `\\xff` escapes: a report must print on a strict UTF-8 stdout and
    write to a UTF-8 file whatever the repository's names are."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def renderer_for(
    fmt: Format,
    *,
    color: bool | None = None,
    patches: Mapping[Finding, str] | None = None,
    rules: Sequence[RuleDescription] = (),
) -> Renderer:
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

            return functools.partial(sarif.render, rules=rules)
        case Format.MARKDOWN:
            from pitstop.reports import markdown

            return markdown.render
        case Format.GITHUB:
            from pitstop.reports import github

            return github.render
        case Format.PLAN:
            from pitstop.reports import plan

            return functools.partial(plan.render, patches=patches)
        case _:
            assert_never(fmt)
