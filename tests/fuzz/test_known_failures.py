"""Failures the fuzzing found in code this suite does not own: each is a strict xfail whose
reason says where the fix belongs, so fixing it turns the test red until the mark goes."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.ignore import parse_ignore


@pytest.mark.xfail(
    strict=True,
    reason="parsers/ignore.py quotes the pattern in its error with U+0085 (NEL) as is: "
    "log viewers and str.splitlines break the line there; escape non-printable characters "
    "as parsers/dockerfile.py `_one_line` does",
)
@pytest.mark.parametrize("separator", ["\x85", "\u2028"])
def test_ignore_errors_escape_unicode_line_separators(separator):
    with pytest.raises(PitstopError) as raised:
        parse_ignore(f"a\\{separator}b\n", ".dockerignore")
    assert len(str(raised.value).splitlines()) == 1
