"""The terminal report: grouped by file, colour only when asked for, text never read as markup."""

from __future__ import annotations

import dataclasses
import re

import pytest

from pitstop.model import ReviewResult, Verdict
from pitstop.reports import text

from .conftest import NO_PIP_CACHE

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_no_ansi_codes_without_color(result: ReviewResult) -> None:
    assert not ANSI.search(text.render(result, color=False))


def test_ansi_codes_with_color(result: ReviewResult) -> None:
    coloured = text.render(result, color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == text.render(result, color=False)


def test_no_color_env_turns_auto_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(text, "_stdout_is_terminal", lambda: True)
    assert text.wants_color(None) is False


def test_auto_colour_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(text, "_stdout_is_terminal", lambda: True)
    assert text.wants_color(None) is True
    monkeypatch.setattr(text, "_stdout_is_terminal", lambda: False)
    assert text.wants_color(None) is False


def test_explicit_choice_beats_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert text.wants_color(True) is True


def test_findings_grouped_by_file_in_line_order(result: ReviewResult) -> None:
    lines = text.render(result, color=False).splitlines()
    heading = lines.index("services/api/Dockerfile")
    assert lines[heading + 1].startswith("  1:6  PS301  warning ")
    assert any(line.startswith("  7:1  PS101  blocking  Path dependency") for line in lines)


def test_related_and_fix_lines(result: ReviewResult) -> None:
    rendered = text.render(result, color=False)
    assert "  ↳ services/api/pyproject.toml:12 path dependency declared here\n" in rendered
    assert (
        "fix available: Copy requirements.txt and install before copying the source\n" in rendered
    )


def test_verdict_and_summary(result: ReviewResult) -> None:
    lines = text.render(result, color=False).splitlines()
    assert lines[-2:] == [
        "Verdict: NOT APPROVED",
        "4 findings (1 blocking, 2 warnings, 1 info); 3 files reviewed (2 Dockerfiles, "
        "1 workflow); 1 input problem",
    ]


def test_markup_in_finding_text_stays_literal(result: ReviewResult) -> None:
    odd = dataclasses.replace(NO_PIP_CACHE, message="[bold]tool.poetry[/bold] :smile:")
    rendered = text.render(dataclasses.replace(result, findings=(odd,)), color=True)
    assert "[bold]tool.poetry[/bold] :smile:" in rendered


def test_long_lines_are_not_wrapped(result: ReviewResult) -> None:
    long = dataclasses.replace(NO_PIP_CACHE, message="x" * 300)
    rendered = text.render(dataclasses.replace(result, findings=(long,)), color=False)
    assert "x" * 300 in rendered


def test_no_findings(result: ReviewResult) -> None:
    clean = dataclasses.replace(result, findings=(), problems=(), verdict=Verdict.APPROVED)
    rendered = text.render(clean, color=False)
    assert rendered.startswith("No findings.\n")
    assert "Verdict: APPROVED" in rendered


def _variants(result: ReviewResult) -> list[ReviewResult]:
    odd = dataclasses.replace(
        NO_PIP_CACHE, message="tab\there\rcarriage\x07bell", title="[tool.poetry] ↳ wide"
    )
    return [
        result,
        dataclasses.replace(result, findings=(), problems=()),
        dataclasses.replace(result, findings=(odd,)),
        dataclasses.replace(
            result,
            scores=tuple(dataclasses.replace(s, files=12345, warning=678) for s in result.scores),
        ),
    ]


def test_plain_text_is_what_rich_renders_without_color(result: ReviewResult) -> None:
    """Plain text skips rich (start-up time); it must be the same characters."""
    for variant in _variants(result):
        assert text.render(variant, color=False) == text.render_rich(variant, color=False)
