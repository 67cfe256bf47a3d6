"""No program named by a reviewed repository's git configuration or attributes ever runs.

Each case arms one mechanism in a real repository with a marker program that leaves a file
behind when it runs, proves plain git does run it, then runs `pitstop review` (file
discovery) and `pitstop affected --base` (the change from git) and checks the marker stays
absent.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from pitstop.cli import main
from pitstop.gitrunner import GitError, run_git
from tests.impact.fakes import GIT_ENV, PROJECT, git, repository, write

MARKER_SCRIPT = '#!/bin/sh\necho "$0 $*" >> "{marker}"\ncat\n'


def _marker_program(folder: Path, name: str) -> tuple[Path, Path]:
    marker = folder / f"{name}.ran"
    program = folder / name
    program.write_text(MARKER_SCRIPT.format(marker=marker))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, marker


def _arm(root: Path, mechanism: str, program: Path) -> list[str]:
    """Configure `mechanism` to run `program`; the plain git command that then runs it."""
    if mechanism == "clean filter":
        git(root, "config", "filter.evil.clean", str(program))
        return ["diff", "--name-status", "main", "--"]
    if mechanism == "post-index-change hook":
        hooks = program.parent / "hooks"
        hooks.mkdir()
        (hooks / "post-index-change").symlink_to(program)
        git(root, "config", "core.hooksPath", str(hooks))
        return ["status", "--short"]
    if mechanism == "fsmonitor":
        git(root, "config", "core.fsmonitor", str(program))
        return ["ls-files"]
    if mechanism == "textconv":
        git(root, "config", "diff.evil.textconv", str(program))
        return ["diff", "main", "--"]
    git(root, "config", "diff.external", str(program))  # external diff
    return ["diff", "main", "--"]


def _touch_tracked(root: Path) -> None:
    """Change a tracked file so git must read it (its stat data no longer matches)."""
    path = root / "src/demo/util.py"
    write(root, {"src/demo/util.py": "def helper():\n    return 3\n"})
    os.utime(path, (2_000_000_000, 2_000_000_000))


MECHANISMS = ["clean filter", "post-index-change hook", "fsmonitor", "textconv", "external diff"]


@pytest.fixture(params=MECHANISMS)
def armed(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    files = {**PROJECT, ".gitattributes": "* filter=evil diff=evil\n", "Dockerfile": "FROM x\n"}
    root = repository(tmp_path / "repo", files)
    tools = tmp_path / "tools"
    tools.mkdir()
    program, marker = _marker_program(tools, "marker")
    trigger = _arm(root, str(request.param), program)
    _touch_tracked(root)
    subprocess.run(["git", *trigger], cwd=root, env={**os.environ, **GIT_ENV}, capture_output=True)
    assert marker.exists(), f"the {request.param} trap is not armed: plain git did not run it"
    marker.unlink()
    _touch_tracked(root)
    return root, marker, trigger


def test_the_command_that_runs_it_under_plain_git_runs_nothing_through_run_git(
    armed: tuple[Path, Path, list[str]],
):
    root, marker, trigger = armed
    # a blanked external diff makes `git diff` fail: failing is safe, running is not
    with contextlib.suppress(GitError):
        run_git(root, trigger)
    assert not marker.exists(), marker.read_text()


def test_pitstop_review_runs_nothing_of_the_repository(armed: tuple[Path, Path, list[str]]):
    root, marker, _ = armed
    assert main(["review", str(root), "--format", "json"]) in (0, 1)
    assert not marker.exists(), marker.read_text()


def test_pitstop_affected_base_runs_nothing_of_the_repository(
    armed: tuple[Path, Path, list[str]], capsys: pytest.CaptureFixture[str]
):
    root, marker, _ = armed
    args = ["affected", "--root", str(root), "--base", "main", "--format", "json", "--no-cache"]
    assert main(args) == 0
    assert '"src/demo/util.py"' in capsys.readouterr().out  # git was asked, and answered
    assert not marker.exists(), marker.read_text()


def test_a_driver_name_holding_an_equals_sign_is_neutralised_too(tmp_path: Path):
    root = repository(tmp_path / "repo", {**PROJECT, ".gitattributes": "* filter=a=b\n"})
    program, marker = _marker_program(tmp_path, "marker")
    git(root, "config", "filter.a=b.clean", str(program))
    _touch_tracked(root)
    assert b"src/demo/util.py" in run_git(root, ["diff", "--name-status", "main", "--"])
    assert not marker.exists()


def test_failures_and_timeouts_are_git_errors(tmp_path: Path):
    with pytest.raises(GitError):
        run_git(tmp_path, ["rev-parse", "--verify", "no-such-ref"])
    with pytest.raises(GitError, match="longer than"):
        run_git(tmp_path, ["hash-object", "--stdin"], timeout=0.000001)
