"""File names that are not UTF-8 print on a strict UTF-8 stdout in every report format
(escaped as `\\xff`, percent-encoded in SARIF URIs): found by fuzzing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .cli import run_cli, written

_NOT_UTF8_NAME = pytest.mark.skipif(
    sys.platform == "darwin", reason="the file system refuses names that are not UTF-8"
)


@_NOT_UTF8_NAME
@pytest.mark.parametrize("format_", ["text", "sarif", "markdown", "github", "plan"])
def test_a_path_that_is_not_utf8_prints_on_a_strict_utf8_stdout(format_):
    with written({"app/x.py": b""}) as root:
        folder = os.fsencode(root) + b"/d\xff"
        os.mkdir(folder)
        Path(os.fsdecode(folder + b"/Dockerfile")).write_text("FROM python:3.12\nADD x /x\n")
        run = run_cli("review", root, "--format", format_)
        assert run.code in (0, 1)
        assert "d\\xff/Dockerfile" in run.stdout or "d%FF/Dockerfile" in run.stdout
