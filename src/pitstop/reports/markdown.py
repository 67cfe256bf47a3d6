"""Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

Finding text comes from the files under review, so it is escaped: `<`, `>` and `&` outside
code spans (inside one, Markdown shows them as they are), backslashes, so that `\\`` cannot
turn a code span off, and `|` in table cells. Paths are shown as code spans.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from pitstop.model import AreaScore, Finding, InputProblem, Related, ReviewResult, Severity
from pitstop.reports._common import format_score, of_severity, summary, where

_HEADINGS = {Severity.BLOCKING: "Blocking", Severity.WARNING: "Warnings", Severity.INFO: "Info"}

# A CommonMark code span: a run of backticks, text, and a run of the same length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_BACKTICKS = re.compile(r"`+")


def render(result: ReviewResult) -> str:
    """The report: verdict, area scores, findings by severity, input problems."""
    sections = [_heading(result), _score_table(result), *_finding_sections(result)]
    if result.problems:
        sections.append(_problems(result.problems))
    return "\n\n".join(sections) + "\n"


def escape_inline(text: str) -> str:
    """`text` safe to place in Markdown: no raw HTML, code spans kept as code spans."""
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts += [_escape_plain(text[position : span.start()]), span.group()]
        position = span.end()
    parts.append(_escape_plain(text[position:]))
    return "".join(parts)


def code(text: str) -> str:
    """`text` as one code span, whatever backticks it holds."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_plain(text: str) -> str:
    return html.escape(text.replace("\\", "\\\\"), quote=False)


def table_cell(text: str) -> str:
    """`text` safe inside a table cell: one line, no raw HTML, `|` escaped."""
    return escape_inline(" ".join(text.splitlines())).replace("|", "\\|")


def _heading(result: ReviewResult) -> str:
    return f"## pitstop review: {result.verdict.value}\n\n{summary(result)}"


def _score_table(result: ReviewResult) -> str:
    rows = [
        "| Area | Score | Files | Blocking | Warning | Info |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    rows += [_score_row(score) for score in result.scores]
    return "\n".join(rows)


def _score_row(score: AreaScore) -> str:
    cells = [score.area.value, format_score(score.score)]
    cells += [str(n) for n in (score.files, score.blocking, score.warning, score.info)]
    return "| " + " | ".join(table_cell(cell) for cell in cells) + " |"


def _finding_sections(result: ReviewResult) -> Iterator[str]:
    if not result.findings:
        yield "No findings."
        return
    for severity in (Severity.BLOCKING, Severity.WARNING):
        findings = of_severity(result.findings, severity)
        if findings:
            yield f"### {_HEADINGS[severity]} ({len(findings)})\n\n{_items(findings)}"
    infos = of_severity(result.findings, Severity.INFO)
    if infos:
        summary_line = f"<summary>{_HEADINGS[Severity.INFO]} ({len(infos)})</summary>"
        yield f"<details>\n{summary_line}\n\n{_items(infos)}\n\n</details>"


def _items(findings: list[Finding]) -> str:
    return "\n".join(_item(finding) for finding in findings)


def _item(finding: Finding) -> str:
    """A list item: code, place and title, the message under it, then related places and fix."""
    head = f"**{finding.rule}** {code(where(finding.location))} — {escape_inline(finding.title)}"
    message = [escape_inline(line) for line in finding.message.splitlines() if line.strip()]
    paragraph = [head, *message]
    lines = ["- " + "\\\n  ".join(paragraph)]
    lines += [f"  - ↳ {_related(related)}" for related in finding.related]
    if finding.fix is not None:
        lines.append(f"  - Fix available: {escape_inline(finding.fix.description)}")
    return "\n".join(lines)


def _related(related: Related) -> str:
    return f"{code(where(related.location))} {escape_inline(related.message)}"


def _problems(problems: tuple[InputProblem, ...]) -> str:
    items = [f"- {code(_problem_place(p))}: {escape_inline(p.message)}" for p in problems]
    return f"### Input problems ({len(problems)})\n\n" + "\n".join(items)


def _problem_place(problem: InputProblem) -> str:
    return problem.path if problem.line is None else f"{problem.path}:{problem.line}"
