"""Markdown: verdict, score table, findings worst first, and text that cannot inject HTML."""

from __future__ import annotations

import dataclasses

from pitstop.model import ReviewResult, Verdict
from pitstop.reports import markdown

from .conftest import SOURCE_BEFORE_INSTALL


def test_heading_names_the_verdict(result: ReviewResult) -> None:
    assert markdown.render(result).startswith("## pitstop review: NOT APPROVED\n")


def test_blocking_before_warnings_before_info(result: ReviewResult) -> None:
    rendered = markdown.render(result)
    positions = [rendered.index(f"**{code}**") for code in ("PS101", "PS201", "PS401")]
    assert positions == sorted(positions)
    assert rendered.index("### Blocking (1)") < rendered.index("### Warnings (2)")


def test_info_is_folded_away(result: ReviewResult) -> None:
    rendered = markdown.render(result)
    details = rendered[rendered.index("<details>") : rendered.index("</details>")]
    assert "**PS401**" in details
    assert "**PS201**" not in details


def test_finding_line(result: ReviewResult) -> None:
    rendered = markdown.render(result)
    line = "- **PS101** `services/api/Dockerfile:7` — Path dependency outside the build context"
    assert line in rendered


def test_scores_table(result: ReviewResult) -> None:
    rendered = markdown.render(result)
    assert "| dockerfile | 8.5 / 10 | 2 | 0 | 1 | 0 |" in rendered
    assert "| dependencies | not reviewed | 0 | 0 | 0 | 0 |" in rendered


def test_fix_is_announced(result: ReviewResult) -> None:
    assert "Fix available: Copy requirements.txt" in markdown.render(result)


def test_related_locations_listed(result: ReviewResult) -> None:
    assert "  - ↳ `.github/workflows/ci.yml:31` build context set here" in markdown.render(result)


def test_html_in_messages_is_escaped(result: ReviewResult) -> None:
    hostile = dataclasses.replace(
        SOURCE_BEFORE_INSTALL, message="</details><!-- & <img src=x> `<kept>`"
    )
    rendered = markdown.render(dataclasses.replace(result, findings=(hostile,)))
    assert "&lt;/details&gt;&lt;!-- &amp; &lt;img src=x&gt; `<kept>`" in rendered
    assert "<img" not in rendered.replace("`<kept>`", "")


def test_escaped_backtick_cannot_hide_html_from_escaping() -> None:
    assert markdown.escape_inline("\\`<b>`") == "\\\\`<b>`"


def test_code_span_holds_backticks() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x") == "`` `x ``"


def test_no_findings_says_so(result: ReviewResult) -> None:
    clean = dataclasses.replace(result, findings=(), problems=(), verdict=Verdict.APPROVED)
    rendered = markdown.render(clean)
    assert "No findings." in rendered
    assert "###" not in rendered


def test_input_problems_section(result: ReviewResult) -> None:
    rendered = markdown.render(result)
    assert rendered.endswith(
        "### Input problems (1)\n\n- `docker-compose.yml:4`: mapping values are not allowed here\n"
    )


def test_table_cell_escapes_pipes_html_and_newlines() -> None:
    assert markdown.table_cell("a|b <i>\nc") == "a\\|b &lt;i&gt; c"
