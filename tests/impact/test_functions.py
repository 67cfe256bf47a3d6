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


NESTED = """\
import functools


@functools.lru_cache(maxsize=8)
def top(x, key=lambda v: v + 1):
    return key(x)


class Box:
    size = 1

    def grow(self, n):
        def inner(m):
            return m * 2

        scale = lambda k: (lambda j: j + 3)(k) + 4
        return inner(n) + scale(n)

    def other(self):
        return self.size
"""

NESTED_REFORMATTED = """\
import functools
# a comment, blank lines and parentheses, other line breaks: no change to any digest



@functools.lru_cache(
    maxsize=8,
)
def top(x,
        key=lambda v: (v + 1)):
    return (key(x))  # the same call


class Box:

    size = (1)
    def grow(self, n):
        def inner(m): return m * 2
        scale = lambda k: (
            (lambda j: j + 3)(k) + 4
        )
        return inner(n) + scale(n)
    def other(self):
        return self.size
"""


def every_digest(text: str) -> dict[str, str]:
    blocks = blocks_of(text)
    assert blocks is not None
    return {b.qualname: b.digest for b in blocks.blocks}


def changed_digests(text: str, old: str, new: str) -> set[str]:
    before, after = every_digest(text), every_digest(text.replace(old, new))
    assert before.keys() == after.keys()
    return {name for name in before if before[name] != after[name]}


def test_reformatting_and_comments_keep_every_digest():
    assert every_digest(NESTED_REFORMATTED) == every_digest(NESTED)
    assert len(every_digest(NESTED)) == 8  # top, its lambda, Box, 2 methods, inner, 2 lambdas


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        # a definition's digest covers what it holds, and only that
        ("m * 2", "m * 5", {"Box", "Box.grow", "Box.grow.<locals>.inner"}),
        ("k) + 4", "k) + 5", {"Box", "Box.grow", "Box.grow.<locals>.<lambda>#1"}),
        (
            "j + 3",  # a lambda in a lambda: both are the scope's, in order
            "j + 6",
            {"Box", "Box.grow", "Box.grow.<locals>.<lambda>#1", "Box.grow.<locals>.<lambda>#2"},
        ),
        ("v + 1", "v + 2", {"top", "<lambda>#1"}),  # a default: the function's too
        ("maxsize=8", "maxsize=9", {"top"}),  # the decorators are the function's
        ("size = 1", "size = 2", {"Box"}),
        ("self.size", "self.size + 0", {"Box", "Box.other"}),
    ],
)
def test_a_change_changes_the_digests_of_the_definitions_holding_it(old, new, changed):
    assert changed_digests(NESTED, old, new) == changed


def test_equal_definitions_have_equal_digests_wherever_they_are():
    text = "def a():\n    return 1\n\n\nclass C:\n    def a():\n        return 1\n"
    digests = every_digest(text)
    assert digests["a"] == digests["C.a"]
    assert digests["a"] != every_digest(text.replace("return 1\n\n", "return 2\n\n"))["a"]


# A lambda in each place the import-time skeleton covers: its body is the lambda's own.
SKELETON_PLACES = """\
import contextlib
if True:
    A = lambda v: v + 11
try:
    pass
except (lambda: ValueError)() as error:
    B = lambda v: v + 12
with contextlib.suppress((lambda v: v + 13)(0)):
    pass
match 1:
    case 1 if (lambda v: v + 14)(1):
        C = lambda v: v + 15


@(lambda f: f)
def decorated(x=lambda v: v + 16):
    return x


class Box((lambda v: v + 17)(object) and object):
    key = lambda v: v + 18

    def method(self, k=lambda v: v + 19):
        return k
"""


@pytest.mark.parametrize("marker", [f"v + {n}" for n in range(11, 20)])
def test_every_lambda_body_in_the_skeleton_is_the_lambdas(marker):
    changed = SKELETON_PLACES.replace(marker, marker.replace("+", "-"))
    assert changed != SKELETON_PLACES
    assert skeleton(changed) == skeleton(SKELETON_PLACES)
    assert skeleton(changed, lambdas=False) != skeleton(SKELETON_PLACES, lambdas=False)
