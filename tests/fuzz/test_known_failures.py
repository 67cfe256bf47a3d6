"""Failures the fuzzing found in code this suite does not own: each is a strict xfail whose
reason says where the fix belongs, so fixing it turns the test red until the mark goes."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.ignore import parse_ignore

from .cli import check_contract, names_in, run_cli, written


@pytest.mark.xfail(
    strict=True,
    reason="review/rules/packages.py _append_fix continues the RUN with `\\` whatever the "
    "`# escape=` directive says: with escape=` the appended `&& rm -rf ...` becomes an "
    "instruction of its own and the fixed Dockerfile no longer parses",
)
def test_apt_lists_fix_under_a_backtick_escape_keeps_the_dockerfile_valid():
    files = {"Dockerfile": b"# escape=`\nFROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\n"}  # fmt: skip
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        parse_dockerfile((root / "Dockerfile").read_text(), "Dockerfile")


@pytest.mark.xfail(
    strict=True,
    reason="review/rules/packages.py _append_fix appends after a trailing shell comment: "
    "BuildKit joins the lines, so `&& rm -rf /var/lib/apt/lists/*` lands inside the comment "
    "and never runs, yet the finding counts as fixed (the fix should go before the `#`, or "
    "be offered only when the line has no comment)",
)
def test_apt_lists_fix_after_a_trailing_comment_really_runs():
    files = {"Dockerfile": b"FROM debian:12\nRUN apt-get update && apt-get install -y curl # tools\nUSER app\n"}  # fmt: skip
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        fixed = parse_dockerfile((root / "Dockerfile").read_text(), "Dockerfile")
        run = fixed.last_stage.of("RUN")[0]
        assert "/var/lib/apt/lists/*" in shlex.split(run.shell_script, comments=True)


@pytest.mark.xfail(
    strict=True,
    reason="review/rules/packages.py _append_fix appends inside an unterminated quote on the "
    "RUN's last line: the `&& rm -rf` is part of the string, the finding stays, and every "
    "--fix appends it again (the fix should be offered only when the line's quotes close)",
)
def test_apt_lists_fix_after_an_unterminated_quote_settles():
    files = {
        "Dockerfile": b'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl "\n'
    }
    with written(files) as root:
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        once = (root / "Dockerfile").read_bytes()
        check_contract(run_cli("review", root, "--fix"), names_in(root, files))
        assert (root / "Dockerfile").read_bytes() == once


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
    "os.fsencode(p).decode('utf-8', 'backslashreplace') (as review/context.py _printable "
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
