"""Go's RE2 syntax as patternmatcher's regular expressions use it, read into Python's `re`."""

from __future__ import annotations

import re

import pytest

from pitstop.parsers.ignore import parse_ignore
from pitstop.parsers.re2 import BadPattern, Re2Parser, to_python


def python_regex(source: str) -> re.Pattern[str]:
    return re.compile(to_python(Re2Parser(source).parse()))


@pytest.mark.parametrize(
    ("source", "matches", "does_not_match"),
    [
        (r"^\101$", "A", "101"),  # three octal digits: one character
        (r"^\0$", "\x00", "0"),  # \0 alone is NUL
        (r"^\012$", "\n", "12"),
        (r"^\1234$", "S4", "\x534x"),  # at most three digits; the fourth is a literal
        (r"^\07x$", "\x07x", "7x"),  # stops at the first non-octal digit
        (r"^[\101-\103]$", "B", "D"),  # octal escapes inside a class
    ],
)
def test_octal_escapes(source: str, matches: str, does_not_match: str):
    regex = python_regex(source)
    assert regex.fullmatch(matches)
    assert not regex.fullmatch(does_not_match)


@pytest.mark.parametrize("source", [r"\1", r"\8", r"\9x"])
def test_a_lone_digit_escape_is_a_backreference_go_rejects(source: str):
    with pytest.raises(BadPattern, match="invalid escape"):
        Re2Parser(source).parse()


def test_an_octal_escape_in_a_dockerignore_pattern_is_the_character_it_names():
    ignore = parse_ignore("data\\101\n", ".dockerignore")
    assert ignore.excludes("dataA")
    assert not ignore.excludes("data101")
