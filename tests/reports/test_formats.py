"""The `Format` table and the dispatch in `pitstop.reports.render`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from pitstop.model import ReviewResult
from pitstop.reports import Format, github, json_report, markdown, render, sarif, text


def test_format_values_are_the_cli_choices() -> None:
    from pitstop.cli import FORMATS

    assert [f.value for f in Format] == list(FORMATS)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (Format.JSON, json_report.render),
        (Format.SARIF, sarif.render),
        (Format.MARKDOWN, markdown.render),
        (Format.GITHUB, github.render),
    ],
)
def test_render_dispatches_to_the_format_module(
    fmt: Format, expected: Callable[[ReviewResult], str], result: ReviewResult
) -> None:
    assert render(result, fmt) == expected(result)


def test_render_passes_color_to_text(result: ReviewResult) -> None:
    assert render(result, Format.TEXT, color=True) == text.render(result, color=True)
    assert render(result, Format.TEXT, color=True) != render(result, Format.TEXT, color=False)


def test_importing_reports_does_not_import_rich_or_the_rules() -> None:
    code = (
        "import sys, pitstop.reports; "
        "print(sorted(m for m in ('rich', 'pitstop.review') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
