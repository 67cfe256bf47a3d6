"""Failures the fuzzing found in code this suite does not own: each is a strict xfail whose
reason says where the fix belongs, so fixing it turns the test red until the mark goes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.ignore import parse_ignore

from .cli import run_cli, written


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


_NOT_UTF8_NAME = pytest.mark.skipif(
    sys.platform == "darwin", reason="the file system refuses names that are not UTF-8"
)


@_NOT_UTF8_NAME
@pytest.mark.xfail(
    strict=True,
    reason="a Dockerfile under a folder named with bytes that are not UTF-8 reaches the "
    "reports as a surrogate-escaped path; text, sarif, markdown, github and plan output then "
    "raise UnicodeEncodeError on a strict UTF-8 stdout (PYTHONIOENCODING=utf-8:strict, CI "
    "logs) and files.write_atomic raises it for --output. Fix in reports/: show paths with "
    "os.fsencode(p).decode('utf-8', 'backslashreplace') (as review/context_walk.py _printable "
    "does) and in SARIF percent-encode the raw bytes in artifactLocation.uri "
    "(urllib.parse.quote(os.fsencode(p)))",
)
@pytest.mark.parametrize("format_", ["text", "sarif", "markdown", "github", "plan"])
def test_a_path_that_is_not_utf8_prints_on_a_strict_utf8_stdout(format_):
    with written({"app/x.py": b""}) as root:
        folder = os.fsencode(root) + b"/d\xff"
        os.mkdir(folder)
        Path(os.fsdecode(folder + b"/Dockerfile")).write_text("FROM python:3.12\nADD x /x\n")
        run = run_cli("review", root, "--format", format_)
        assert run.code in (0, 1)
        assert "d\\xff/Dockerfile" in run.stdout or "d%FF/Dockerfile" in run.stdout
