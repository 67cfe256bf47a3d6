"""Failures the fuzzing found, kept as regression tests once fixed (each was a strict xfail
whose reason said where the fix belonged until it landed)."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.ignore import parse_ignore


@pytest.mark.parametrize("separator", ["\x85", "\u2028"])
def test_ignore_errors_escape_unicode_line_separators(separator):
    with pytest.raises(PitstopError) as raised:
        parse_ignore(f"a\\{separator}b\n", ".dockerignore")
    assert len(str(raised.value).splitlines()) == 1
