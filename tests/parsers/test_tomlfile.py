"""The TOML model: the decoded document, or why there is none; where a table opens."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.tomlfile import parse_toml, unreadable_toml

TEXT = """\
[tool.poetry.group.dev.dependencies]
pytest = "*"

  [dependency-groups]
test = ["pytest"]
"""


@pytest.mark.parametrize(
    ("header", "exact", "line"),
    [
        ("[dependency-groups]", True, 4),  # indented headers count
        ("[tool.poetry.group.dev]", False, 1),  # its sub-table opens it
        ("[tool.poetry.group.dev]", True, 1),  # no such header: the first line
        ("[project]", False, 1),
    ],
)
def test_header_line(header, exact, line):
    assert parse_toml(TEXT, "pyproject.toml").header_line(header, exact=exact) == line


def test_a_document_tomllib_refuses_keeps_the_error_and_no_content():
    toml = parse_toml("[a]\nx = 1\nx = 2\n", "hatch.toml")
    assert toml.document == {} and toml.problem is not None
    assert (toml.problem.path, toml.problem.line) == ("hatch.toml", 3)
    assert toml.problem.message.startswith("invalid TOML: ")


def test_an_unreadable_file_is_an_empty_model_with_its_problem():
    problem = PitstopError("not UTF-8", path="pyproject.toml", line=2)
    toml = unreadable_toml("pyproject.toml", problem)
    assert (toml.text, toml.document, toml.problem) == ("", {}, problem)
    assert parse_toml("[a]\nb = 1\n", "p").document == {"a": {"b": 1}}
