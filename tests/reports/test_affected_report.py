"""`pitstop affected` output: the JSON contract of docs/design.md, pytest arguments, text."""

from __future__ import annotations

import json

from pitstop.impact.explain import Explanation, Step
from pitstop.impact.selector import Selection
from pitstop.reports.affected_report import render, render_explanation

SOME = Selection(False, (), ("src/a.py",), ("tests/test_a.py", "tests/test_b.py"), 5)
NONE = Selection(False, (), ("README.md",), (), 5)
ALL = Selection(True, ("pyproject.toml changed",), ("pyproject.toml",), ("tests/test_a.py",), 1)


def test_json_is_exactly_the_documented_document():
    assert json.loads(render(SOME, "json")) == {
        "version": 1,
        "run_all": False,
        "reasons": [],
        "changed": ["src/a.py"],
        "selected": ["tests/test_a.py", "tests/test_b.py"],
        "total": 5,
        "coverage": None,
    }


def test_json_names_the_test_map_used():
    from dataclasses import replace

    from pitstop.impact.selector import CoverageUse

    used = replace(SOME, coverage=CoverageUse("c0ffee" * 6 + "abcd", 12))
    document = json.loads(render(used, "json"))
    assert document["coverage"] == {"recorded_at": "c0ffee" * 6 + "abcd", "tests": 12}
    assert "with the test map recorded at c0ffeec0ffee (12 test files)" in render(used, "text")


def test_pytest_format_is_one_path_a_line_dot_for_everything_nothing_for_nothing():
    assert render(SOME, "pytest") == "tests/test_a.py\ntests/test_b.py\n"
    assert render(ALL, "pytest") == ".\n"
    assert render(NONE, "pytest") == ""


def test_text_says_how_many_and_why():
    assert render(SOME, "text") == (
        "pitstop affected: 2 of 5 test files affected (1 changed file)\n"
        "  tests/test_a.py\n"
        "  tests/test_b.py\n"
    )
    assert render(ALL, "text") == (
        "pitstop affected: run all 1 test files (1 changed file)\n  because pyproject.toml changed\n"
    )


def test_an_explanation_reads_from_the_change_to_the_test():
    explanation = Explanation(
        "tests/test_a.py",
        True,
        "tests/test_a.py can call code of src/a.py",
        (Step("src/a.py", "changed"), Step("tests/test_a.py", "line 3")),
    )
    assert render_explanation(explanation) == (
        "tests/test_a.py can call code of src/a.py\n"
        "  src/a.py (changed)\n"
        "  <- tests/test_a.py (line 3)\n"
    )
