"""The terminal report: findings grouped by file, area scores, the verdict and a summary.

Rendered by rich into a string at a fixed width, so the same result always gives the same
text; finding text goes in as `Text`, never as markup, so `[tool.poetry]` stays literal.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from itertools import groupby

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from pitstop.model import Finding, InputProblem, ReviewResult, Severity, Verdict
from pitstop.reports._common import format_score, sorted_findings, summary, where

WIDTH = 100

_SEVERITY_STYLES = {
    Severity.BLOCKING: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
_VERDICT_STYLES = {
    Verdict.APPROVED: "bold green",
    Verdict.CONDITIONALLY_APPROVED: "bold yellow",
    Verdict.NOT_APPROVED: "bold red",
}
_SEVERITY_WIDTH = max(len(s.value) for s in Severity)


def render(result: ReviewResult, *, color: bool | None = None) -> str:
    """The report as text; `color` None means colour only on a terminal without NO_COLOR."""
    output = io.StringIO()
    console = _console(output, wants_color(color))
    for renderable in _report(result):
        console.print(renderable)
    return output.getvalue()


def wants_color(color: bool | None) -> bool:
    """The caller's choice, or: stdout is a terminal and NO_COLOR is unset or empty."""
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):  # https://no-color.org: any non-empty value
        return False
    return _stdout_is_terminal()


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


def _console(output: io.StringIO, color: bool) -> Console:
    return Console(
        file=output,
        width=WIDTH,
        force_terminal=color,
        force_jupyter=False,
        no_color=not color,
        color_system="standard" if color else None,
        legacy_windows=False,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def _report(result: ReviewResult) -> Iterator[RenderableType]:
    yield from _file_sections(result.findings)
    if not result.findings:
        yield Text("No findings.")
        yield Text()
    if result.problems:
        yield from _problems(result.problems)
    yield _score_table(result)
    yield Text()
    yield Text.assemble(
        ("Verdict: ", "bold"), (result.verdict.value, _VERDICT_STYLES[result.verdict])
    )
    yield Text(summary(result))


def _file_sections(findings: tuple[Finding, ...]) -> Iterator[Text]:
    for path, group in groupby(sorted_findings(findings), key=lambda f: f.location.path):
        in_file = list(group)
        width = max(len(_position(f)) for f in in_file)
        yield Text(path, style="bold underline")
        for finding in in_file:
            yield from _finding_lines(finding, width)
        yield Text()


def _finding_lines(finding: Finding, width: int) -> Iterator[Text]:
    """`line:col  CODE  severity  title`, then the message, related places and fix below it."""
    severity = finding.severity
    yield Text.assemble(
        "  ",
        (_position(finding).ljust(width), "dim"),
        "  ",
        (finding.rule, "bold"),
        "  ",
        (severity.value.ljust(_SEVERITY_WIDTH), _SEVERITY_STYLES[severity]),
        "  ",
        finding.title,
    )
    indent = " " * (2 + width + 2)
    yield from (Text(indent + line) for line in finding.message.splitlines())
    for related in finding.related:
        yield Text.assemble(
            indent, ("  ↳ ", "dim"), (where(related.location), "dim"), " ", related.message
        )
    if finding.fix is not None:
        yield Text.assemble(indent, ("fix available: ", "green"), finding.fix.description)


def _position(finding: Finding) -> str:
    return f"{finding.location.line}:{finding.location.column}"


def _problems(problems: tuple[InputProblem, ...]) -> Iterator[Text]:
    yield Text("Input problems", style="bold red")
    for problem in problems:
        yield Text(f"  {problem}")
    yield Text()


def _score_table(result: ReviewResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Area")
    table.add_column("Score", justify="right")
    for heading in ("Files", "Blocking", "Warning", "Info"):
        table.add_column(heading, justify="right")
    for score in result.scores:
        counts = (score.files, score.blocking, score.warning, score.info)
        table.add_row(score.area.value, format_score(score.score), *(str(n) for n in counts))
    return table
