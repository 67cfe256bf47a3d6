"""Every format rendered from one hand-built result, compared with `golden/`.

After an intended change to a report, rewrite the golden files with one command and review
the diff before keeping it:

    .venv/bin/python -m pytest tests/reports --update-goldens
"""

from __future__ import annotations

import pytest

from pitstop.model import ReviewResult
from pitstop.reports import Format, render, sarif

from .conftest import PINNED_RULES, CheckGolden

EXTENSIONS = {
    Format.TEXT: "txt",
    Format.JSON: "json",
    Format.SARIF: "sarif",
    Format.MARKDOWN: "md",
    Format.GITHUB: "github.txt",
    Format.PLAN: "plan.md",
}


def test_every_format_has_a_golden_extension() -> None:
    assert set(EXTENSIONS) == set(Format)


@pytest.mark.parametrize("fmt", list(Format), ids=lambda fmt: fmt.value)
def test_report_matches_golden(
    fmt: Format, result: ReviewResult, check_golden: CheckGolden, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "__version__", "0.1.0")  # a release must not change goldens
    rendered = render(result, fmt, color=False, rules=PINNED_RULES)
    check_golden(f"review.{EXTENSIONS[fmt]}", rendered)
