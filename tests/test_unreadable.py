"""Folders and files a non-root user cannot read: `pitstop review` and `pitstop context`
name each one on a line of its own, exit 2 only when nothing could be reviewed, and never
print a traceback. Root reads through `chmod 000`, so as root the CLI runs as `nobody`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DOCKERFILE = "FROM python:3.12-slim\nCOPY . /app\nUSER app\n"


def _as_user() -> list[str]:
    if not hasattr(os, "geteuid"):
        pytest.skip("needs POSIX permissions")
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop to a user chmod 000 stops")
    command = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run([*command, sys.executable, "-c", "import pitstop"], check=False)
    if probe.returncode != 0:  # e.g. an interpreter under /root (pyenv) nobody cannot reach
        pytest.skip(f"user nobody cannot run {sys.executable} with pitstop importable")
    return command


@pytest.fixture
def repo() -> Iterator[Path]:
    """A repository `nobody` can read (pytest's tmp_path is private to root)."""
    top = Path(tempfile.mkdtemp(prefix="pitstop-unreadable-"))
    root = top / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("print('hi')\n")
    (root / "secret").mkdir()
    (root / "secret" / "key").write_text("k\n")
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / ".dockerignore").write_text("*.pyc\n")
    for path in [top, *top.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    for path in [top, *top.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(top)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [*_as_user(), sys.executable, "-m", "pitstop", *map(str, args)]
    env = {**os.environ, "HOME": tempfile.gettempdir(), "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr
    return done.stderr.splitlines()


def test_review_names_an_unreadable_folder_in_a_context_and_reviews_the_rest(repo):
    (repo / "secret").chmod(0)
    done = run("review", repo)
    assert done.returncode in (0, 1)
    assert error_lines(done) == [
        "pitstop: error: secret: cannot read this (Permission denied); "
        "Docker fails the build with 'error from sender'"
    ]
    assert "1 file reviewed" in done.stdout


def test_review_names_an_unreadable_ignore_file_and_reviews_the_rest(repo):
    (repo / ".dockerignore").chmod(0)
    done = run("review", repo)
    assert done.returncode in (0, 1)
    assert error_lines(done) == ["pitstop: error: .dockerignore: cannot read: Permission denied"]


def test_review_exits_2_when_its_only_dockerfile_is_unreadable(repo):
    (repo / "Dockerfile").chmod(0)
    done = run("review", repo)
    assert done.returncode == 2
    assert error_lines(done) == ["pitstop: error: Dockerfile: cannot read: Permission denied"]


def test_review_exits_2_when_the_root_cannot_be_listed(repo):
    repo.chmod(0o711)  # can enter, cannot list: nothing to review, not "APPROVED"
    done = run("review", repo)
    assert done.returncode == 2
    assert error_lines(done) == [
        f"pitstop: error: {repo}: cannot read this folder (Permission denied)"
    ]


def test_review_exits_2_when_the_root_cannot_be_entered(repo):
    repo.chmod(0)
    done = run("review", repo)
    assert done.returncode == 2
    assert len(error_lines(done)) == 1


def test_context_names_an_unreadable_folder_and_measures_the_rest(repo):
    (repo / "secret").chmod(0)
    done = run("context", repo)
    assert done.returncode == 0
    assert error_lines(done) == [
        "pitstop: error: secret: cannot read this (Permission denied); "
        "Docker fails the build with 'error from sender'"
    ]


def test_context_exits_2_on_an_unreadable_ignore_file(repo):
    # Docker cannot build with it either; measuring without it would be a wrong context.
    (repo / ".dockerignore").chmod(0)
    done = run("context", repo)
    assert done.returncode == 2
    assert error_lines(done) == ["pitstop: error: .dockerignore: cannot read: Permission denied"]


def test_context_exits_2_on_an_unreadable_dockerfile(repo):
    (repo / "Dockerfile").chmod(0)
    done = run("context", repo, "-f", repo / "Dockerfile")
    assert done.returncode == 2
    assert error_lines(done) == [
        f"pitstop: error: {repo / 'Dockerfile'}: cannot read: Permission denied"
    ]


@pytest.mark.parametrize("mode", [0, 0o711])
def test_context_exits_2_when_the_root_cannot_be_read(repo, mode):
    repo.chmod(mode)
    done = run("context", repo)
    assert done.returncode == 2
    assert error_lines(done) == [
        f"pitstop: error: {repo}: cannot read this folder (Permission denied)"
    ]


def test_context_exits_2_on_an_ignore_file_that_is_not_utf8(repo):
    (repo / ".dockerignore").write_bytes(b"*.pyc\n\xff\n")
    done = run("context", repo)
    assert done.returncode == 2
    assert error_lines(done) == ["pitstop: error: .dockerignore:2: not UTF-8 (byte 0xff)"]
