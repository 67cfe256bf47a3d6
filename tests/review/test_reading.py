"""Reading a repository: only regular files, bounded in size, never blocking."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pitstop.files import MAX_FILE_BYTES


def review(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pitstop", "review", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", ["Dockerfile", "requirements.txt", "pyproject.toml"])
def test_a_fifo_is_refused_not_read(tmp_path, name):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    os.mkfifo(tmp_path / name)
    done = review(str(tmp_path))  # a blocking read would hit the timeout
    assert "Traceback" not in done.stderr
    assert f"{name}: not a regular file; not read" in done.stderr


def test_an_oversized_file_is_refused_with_its_name(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    with open(tmp_path / "requirements.txt", "wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)
    done = review(str(tmp_path))
    assert "requirements.txt: larger than 10 MiB; not read" in done.stderr
    assert "Traceback" not in done.stderr
