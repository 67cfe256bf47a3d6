"""Naming recorded executions and telling which functions changed (`impact.functions`)."""

from __future__ import annotations

import pytest

from pitstop.impact.functions import blocks_of

SOURCE = """\
import functools


@functools.lru_cache
def cached(x):
    return x


class Box:
    size = 1

    def grow(self):
        def inner():
            return 2
        return inner()

    @property
    def area(self):
        return self.size


if True:
    def guarded():
        return [y for y in range(3)]
"""


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (4, "cached"),  # a decorated function's code starts at its decorator
        (9, "Box"),  # a class body
        (12, "Box.grow"),
        (13, "Box.grow.<locals>.inner"),
        (17, "Box.area"),
        (23, "guarded"),  # under an if: still the module's function
        (1, "<module>"),
    ],
)
def test_a_code_object_is_named_by_its_first_line(line, name):
    blocks = blocks_of(SOURCE)
    assert blocks is not None
    assert blocks.at_start(line) == name


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (6, "cached"),
        (10, "Box"),
        (14, "Box.grow.<locals>.inner"),
        (15, "Box.grow"),
        (24, "guarded"),
        (1, "<module>"),
        (21, "<module>"),
    ],
)
def test_an_executed_line_is_named_by_the_innermost_block(line, name):
    blocks = blocks_of(SOURCE)
    assert blocks is not None
    assert blocks.around(line) == name


def test_digests_ignore_formatting_and_comments_but_not_code():
    before = blocks_of(SOURCE)
    reformatted = blocks_of(SOURCE.replace("return x", "return (x)  # same"))
    changed = blocks_of(SOURCE.replace("return x", "return x + 1"))
    assert before and reformatted and changed
    assert reformatted.digests == before.digests
    assert changed.digests["cached"] != before.digests["cached"]
    assert changed.digests["Box.grow"] == before.digests["Box.grow"]


def test_a_nested_change_changes_the_functions_around_it():
    before = blocks_of(SOURCE)
    after = blocks_of(SOURCE.replace("return 2", "return 3"))
    assert before and after
    assert after.digests["Box.grow.<locals>.inner"] != before.digests["Box.grow.<locals>.inner"]
    assert after.digests["Box.grow"] != before.digests["Box.grow"]


def test_a_file_that_does_not_parse_has_no_blocks():
    assert blocks_of("def broken(:\n") is None
    assert blocks_of(b"\x00") is None
