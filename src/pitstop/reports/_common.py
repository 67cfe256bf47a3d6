"""What several reports share: severity order, score wording, counts and places, and the
plain-text and Markdown forms of text that comes from the input (names, messages)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from pitstop.model import Area, AreaScore, Finding, Location, ReviewResult, Severity

Rendered = TypeVar("Rendered")


def in_format(renderers: Mapping[str, Callable[[Rendered], str]], fmt: str, what: Rendered) -> str:
    """`what` rendered by the renderer of `fmt`; ValueError naming the formats there are."""
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(renderers)})")
    return renderers[fmt](what)


# Reports list the worst first.
SEVERITY_ORDER: tuple[Severity, ...] = (Severity.BLOCKING, Severity.WARNING, Severity.INFO)


def format_score(score: float | None) -> str:
    """`7.5 / 10`, or `not reviewed` when the area had nothing to score."""
    return "not reviewed" if score is None else f"{score:.1f} / 10"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 warning`, `2 warnings`; `nouns` for plurals that are not noun + s."""
    word = noun if count == 1 else (nouns or f"{noun}s")
    return f"{count} {word}"


def where(location: Location) -> str:
    """`path:line`, the way editors and terminals link to a place."""
    return f"{location.path}:{location.line}"


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings by file, line, column and rule code."""
    return sorted(findings, key=lambda finding: finding.sort_key)


def of_severity(findings: Iterable[Finding], severity: Severity) -> list[Finding]:
    """The findings at exactly `severity`, by file and line."""
    return sorted_findings(f for f in findings if f.severity is severity)


def severity_counts(findings: Sequence[Finding]) -> str:
    """`1 blocking, 2 warnings, 0 info`."""
    counts = {s: sum(f.severity is s for f in findings) for s in SEVERITY_ORDER}
    return ", ".join(
        [
            f"{counts[Severity.BLOCKING]} blocking",
            plural(counts[Severity.WARNING], "warning"),
            f"{counts[Severity.INFO]} info",
        ]
    )


def summary(result: ReviewResult) -> str:
    """One line: how many findings of each severity, files reviewed and input problems."""
    parts = [
        f"{plural(len(result.findings), 'finding')} ({severity_counts(result.findings)})",
        f"{plural(len(result.files_reviewed), 'file')} reviewed{files_breakdown(result)}",
    ]
    if result.problems:
        parts.append(plural(len(result.problems), "input problem"))
    return "; ".join(parts)


_FILE_AREAS = ((Area.DOCKERFILE, "Dockerfile"), (Area.DEPENDENCIES, "dependency file"))


def files_breakdown(result: ReviewResult) -> str:
    """` (3 Dockerfiles, 10 dependency files, 12 workflows, 1 compose or bake file)`: the
    files reviewed as the score table counts them, so the two agree; empty when none."""
    counts = [(score_of(result, area), noun) for area, noun in _FILE_AREAS]
    counts.append((score_of(result, Area.WORKFLOWS), "workflow"))
    parts = [plural(s.files, noun) for s, noun in counts if s is not None and s.files]
    rest = len(result.files_reviewed) - sum(s.files for s, _ in counts if s is not None)
    if rest > 0:
        parts.append(plural(rest, "compose or bake file"))
    return f" ({', '.join(parts)})" if parts else ""


def score_of(result: ReviewResult, area: Area) -> AreaScore | None:
    """The score `result` holds for `area`, if any."""
    return next((score for score in result.scores if score.area is area), None)


def printable(text: str) -> str:
    """Control characters (a terminal would act on them) shown as escapes."""
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) == "Cc" else c
        for c in text
    )


def aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows of cells as text columns, indented two spaces, trailing blanks cut."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


# What makes inline Markdown of a table cell: emphasis, code, links, the cell separator,
# strikethrough; `<` and `&` are HTML-escaped (GitHub renders inline HTML).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: str) -> str:
    """Text that Markdown (GitHub's, with its inline HTML) shows as it is, on one line."""
    flat = " ".join(printable(text).splitlines())
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", flat), quote=False)
