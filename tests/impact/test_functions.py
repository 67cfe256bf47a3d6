"""Naming recorded executions and telling which functions changed (`impact.functions`)."""

from __future__ import annotations

import pytest

from pitstop.impact.functions import blocks_of, recorded_skeleton

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


LAMBDAS_AND_DEFAULTS = """\
import functools

TABLE = {"a": lambda x: x + 1, "b": lambda x: x * 2}


def plain(x=1, *, y="s"):
    return x


@functools.lru_cache
def decorated(x=1):
    return x


def registered(x=1):
    return x


HANDLERS = [registered]


class Box:
    def method(self, x=1):
        return x
"""


def skeleton(text: str, *, lambdas: bool = True) -> str:
    import ast

    return recorded_skeleton(ast.parse(text), lambdas=lambdas)


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        ("lambda x: x * 2", "lambda x: x * 3", True),  # a lambda's body: the lambda's
        ("def plain(x=1,", "def plain(x=2,", True),  # a literal default: the function's
        ('y="s"', 'y="t"', True),
        ("def decorated(x=1)", "def decorated(x=2)", False),  # the decorator may read it
        ("def registered(x=1)", "def registered(x=2)", False),  # used on import
        ("def method(self, x=1)", "def method(self, x=2)", False),  # the class may read it
        ('"b": lambda', '"c": lambda', False),  # the table itself
    ],
)
def test_what_the_map_can_follow_is_not_import_time(old, new, same):
    before = skeleton(LAMBDAS_AND_DEFAULTS)
    assert (skeleton(LAMBDAS_AND_DEFAULTS.replace(old, new)) == before) is same


def test_without_code_objects_a_lambda_body_stays_import_time():
    changed = LAMBDAS_AND_DEFAULTS.replace("x * 2", "x * 3")
    assert skeleton(changed, lambdas=False) != skeleton(LAMBDAS_AND_DEFAULTS, lambdas=False)


def test_lambdas_are_named_by_scope_and_order():
    blocks = blocks_of(LAMBDAS_AND_DEFAULTS)
    assert blocks is not None
    assert blocks.lambdas_at(3) == ["<lambda>#1", "<lambda>#2"]
    assert blocks.around(3) == "<module>"  # a line cannot tell a lambda from its statement
    changed = blocks_of(LAMBDAS_AND_DEFAULTS.replace("x * 2", "x * 3"))
    assert changed is not None
    assert changed.digests["<lambda>#2"] != blocks.digests["<lambda>#2"]
    assert changed.digests["<lambda>#1"] == blocks.digests["<lambda>#1"]
