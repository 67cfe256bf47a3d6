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


@pytest.mark.parametrize("name", ["9" * 5000, "a/" * 3000 + "b"])
def test_a_copy_source_too_long_for_the_file_system_is_just_absent(tmp_path, name):
    # Path.is_dir raised ENAMETOOLONG from the cache rules' look at the COPY source.
    (tmp_path / "Dockerfile").write_text(
        f"FROM python:3.12-slim\nCOPY {name} /app/\nRUN pip install flask\nUSER app\n"
    )
    done = review(str(tmp_path), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("target", ["²", "9" * 5000])
def test_a_build_target_of_unicode_digits_is_a_stage_name_not_an_index(tmp_path, target):
    # `"²".isdigit()` is true but int("²") fails: stage lookup used to crash the review.
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    (tmp_path / "compose.yaml").write_text(
        f'services:\n  app:\n    build:\n      context: .\n      target: "{target}"\n'
    )
    done = review(str(tmp_path), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


def test_a_symlink_loop_is_named_as_such(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    (tmp_path / "Dockerfile").symlink_to("Dockerfile")  # `ln -s Dockerfile Dockerfile`
    done = review(str(tmp_path))
    assert "Traceback" not in done.stderr
    assert "Dockerfile: symlink that leads nowhere (a loop or a missing target)" in done.stderr
    assert done.returncode in (0, 1)  # the other Dockerfile is still reviewed
