"""GitHub workflow commands, escaped as actions/toolkit escapes them."""

from __future__ import annotations

import dataclasses

from pitstop.model import Finding, Location, ReviewResult
from pitstop.reports import github

from .conftest import NO_PIP_CACHE, OUTSIDE_CONTEXT, SOURCE_BEFORE_INSTALL, UNPINNED_BASE


def _only(result: ReviewResult, *findings: Finding) -> ReviewResult:
    return dataclasses.replace(result, findings=findings, problems=())


def test_escape_data() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"


def test_escape_property() -> None:
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_percent_is_escaped_before_the_rest() -> None:
    assert github.escape_data("%0A") == "%250A"


def test_one_line_per_finding_with_severity_command(result: ReviewResult) -> None:
    lines = github.render(_only(result, NO_PIP_CACHE, UNPINNED_BASE, OUTSIDE_CONTEXT))
    assert [line.split(" ", 1)[0] for line in lines.splitlines()] == [
        "::notice",
        "::warning",
        "::error",
    ]


def test_finding_command_exactly(result: ReviewResult) -> None:
    assert github.render(_only(result, NO_PIP_CACHE)) == (
        "::notice file=.github/workflows/ci.yml,line=12,col=9,"
        "title=PS401 setup-python without a pip cache"
        "::Add `cache: pip` to `actions/setup-python` to reuse downloaded wheels.\n"
    )


def test_title_and_path_properties_are_escaped(result: ReviewResult) -> None:
    odd = dataclasses.replace(
        NO_PIP_CACHE, title="Cache: pip, npm", location=Location("a,b:c.yml", 2, 3)
    )
    line = github.render(_only(result, odd))
    assert line.startswith(
        "::notice file=a%2Cb%3Ac.yml,line=2,col=3,title=PS401 Cache%3A pip%2C npm::"
    )


def test_message_newlines_become_one_line(result: ReviewResult) -> None:
    rendered = github.render(_only(result, OUTSIDE_CONTEXT))
    assert rendered.count("\n") == 1
    assert "`services/api`;%0Athe build fails" in rendered
    assert "%0A↳ services/api/pyproject.toml:12 path dependency declared here" in rendered


def test_fix_is_mentioned(result: ReviewResult) -> None:
    rendered = github.render(_only(result, SOURCE_BEFORE_INSTALL))
    assert "(100%25 of commits)" in rendered
    assert rendered.endswith(
        "%0AFix available: Copy requirements.txt and install before copying the source\n"
    )


def test_input_problems_are_errors(result: ReviewResult) -> None:
    rendered = github.render(dataclasses.replace(result, findings=()))
    assert rendered == (
        "::error file=docker-compose.yml,line=4,title=pitstop could not review this file"
        "::mapping values are not allowed here\n"
    )


def test_input_problem_without_a_line(result: ReviewResult) -> None:
    problem = dataclasses.replace(result.problems[0], line=None)
    rendered = github.render(dataclasses.replace(result, findings=(), problems=(problem,)))
    assert rendered.startswith("::error file=docker-compose.yml,title=")


def test_nothing_to_say_is_empty(result: ReviewResult) -> None:
    assert github.render(_only(result)) == ""
