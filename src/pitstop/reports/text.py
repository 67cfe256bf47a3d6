"""The terminal report: findings grouped by file, area scores, the verdict and a summary.

The report is built once as lines of styled spans. Plain text (a pipe, a file, `NO_COLOR`)
is those spans joined, with the score table laid out here: rich is not imported, which is
a third of a one-file review's start-up. With colour, rich renders the same lines at a
fixed width (a test checks both give the same characters). Finding text is never markup,
so `[tool.poetry]` stays literal.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from pitstop.model import AreaScore, Finding, InputProblem, ReviewResult, Severity, Verdict
from pitstop.reports._common import format_score, sorted_findings, summary, where

if TYPE_CHECKING:
    from rich.console import Console

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
_HEADINGS = ("Area", "Score", "Files", "Blocking", "Warning", "Info")
# The control characters a terminal would act on, dropped as rich drops them.
_CONTROL = str.maketrans({7: None, 8: None, 11: None, 12: None, 13: None})

Span = tuple[str, str]  # (text, rich style; "" for none)
Line = tuple[Span, ...]


class _Table:
    """The score table, a line of its own in the report."""

    def __init__(self, scores: Sequence[AreaScore]) -> None:
        self.rows = [
            (s.area.value, format_score(s.score), *(str(n) for n in _counts(s))) for s in scores
        ]


def render(result: ReviewResult, *, color: bool | None = None) -> str:
    """The report as text; `color` None means colour only on a terminal without NO_COLOR."""
    if wants_color(color):
        return render_rich(result, color=True)
    return "".join(_plain(item) for item in _report(result))


def render_rich(result: ReviewResult, *, color: bool) -> str:
    """The report rendered by rich (`color` False gives what `render` gives plainly)."""
    output = io.StringIO()
    console = _console(output, color)
    for item in _report(result):
        console.print(_rich(item))
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
    from rich.console import Console

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


# --------------------------------------------------------------------------- the report


def _report(result: ReviewResult) -> Iterator[Line | _Table]:
    yield from _file_sections(result.findings)
    if not result.findings:
        yield (("No findings.", ""),)
        yield ()
    if result.problems:
        yield from _problems(result.problems)
    yield _Table(result.scores)
    yield ()
    yield (("Verdict: ", "bold"), (result.verdict.value, _VERDICT_STYLES[result.verdict]))
    yield ((summary(result), ""),)


def _file_sections(findings: tuple[Finding, ...]) -> Iterator[Line]:
    for path, group in groupby(sorted_findings(findings), key=lambda f: f.location.path):
        in_file = list(group)
        width = max(len(_position(f)) for f in in_file)
        yield ((path, "bold underline"),)
        for finding in in_file:
            yield from _finding_lines(finding, width)
        yield ()


def _finding_lines(finding: Finding, width: int) -> Iterator[Line]:
    """`line:col  CODE  severity  title`, then the message, related places and fix below it."""
    severity = finding.severity
    yield (
        ("  ", ""),
        (_position(finding).ljust(width), "dim"),
        ("  ", ""),
        (finding.rule, "bold"),
        ("  ", ""),
        (severity.value.ljust(_SEVERITY_WIDTH), _SEVERITY_STYLES[severity]),
        ("  ", ""),
        (finding.title, ""),
    )
    indent = " " * (2 + width + 2)
    yield from (((indent + line, ""),) for line in finding.message.splitlines())
    for related in finding.related:
        yield (
            (indent, ""),
            ("  ↳ ", "dim"),
            (where(related.location), "dim"),
            (" ", ""),
            (related.message, ""),
        )
    if finding.fix is not None:
        yield ((indent, ""), ("fix available: ", "green"), (finding.fix.description, ""))


def _position(finding: Finding) -> str:
    return f"{finding.location.line}:{finding.location.column}"


def _problems(problems: tuple[InputProblem, ...]) -> Iterator[Line]:
    yield (("Input problems", "bold red"),)
    for problem in problems:
        yield ((f"  {problem}", ""),)
    yield ()


def _counts(score: AreaScore) -> tuple[int, int, int, int]:
    return (score.files, score.blocking, score.warning, score.info)


# --------------------------------------------------------------------------- plain text


def _plain(item: Line | _Table) -> str:
    if isinstance(item, _Table):
        return _plain_table(item)
    text = "".join(part for part, _ in item).translate(_CONTROL).expandtabs(8)
    return text + "\n"


def _plain_table(table: _Table) -> str:
    """rich's SIMPLE_HEAD table without edges: one space of padding each side of a cell,
    none at the table's edges; the first column left-aligned, the others right-aligned."""
    columns = list(zip(_HEADINGS, *table.rows, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]

    def row(cells: Sequence[str]) -> str:
        laid = [cells[0].ljust(widths[0])]
        laid += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "   ".join(laid) + "\n"

    rule = "─" * (sum(widths) + 3 * (len(widths) - 1)) + "\n"
    return row(_HEADINGS) + rule + "".join(row(cells) for cells in table.rows)


# --------------------------------------------------------------------------- rich


def _rich(item: Line | _Table) -> object:
    from rich.text import Text

    if isinstance(item, _Table):
        return _rich_table(item)
    return Text.assemble(*item)


def _rich_table(table: _Table) -> object:
    from rich import box
    from rich.table import Table

    rich_table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    rich_table.add_column(_HEADINGS[0])
    for heading in _HEADINGS[1:]:
        rich_table.add_column(heading, justify="right")
    for cells in table.rows:
        rich_table.add_row(*cells)
    return rich_table
