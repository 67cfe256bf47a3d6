"""pitstop's pre-commit hooks (`.pre-commit-hooks.yaml`): when they run, and a real
`pre-commit try-repo` of this repository on a sample repository.

try-repo builds the hooks' virtualenv from the repository it is given (pitstop and its
dependencies from the package index pip is configured with), so the real run takes tens of
seconds; it is the only test here that installs anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.impact.fakes import GIT_ENV, git

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def _hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in YAML(typ="safe").load(HOOKS.read_text())}


def test_hook_ids_and_commands() -> None:
    hooks = _hooks()
    assert set(hooks) == {"pitstop-review", "pitstop-fix"}
    assert hooks["pitstop-review"]["entry"] == "pitstop review"
    assert hooks["pitstop-fix"]["entry"] == "pitstop review --fix"
    for hook in hooks.values():
        # pitstop reviews the repository as a whole: file names would narrow nothing
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False


# Each hook runs when a commit touches a file pitstop reads, and only then.
RUNS_FOR = [
    "Dockerfile",
    "backend/Dockerfile",
    "Dockerfile.dev",
    "docker/Dockerfile-api",
    "Dockerfile_py311",
    "api.Dockerfile",
    "services/jax.dockerfile",
    "Containerfile",
    ".dockerignore",
    "backend/.dockerignore",
    "api.Dockerfile.dockerignore",
    ".containerignore",
    ".github/workflows/ci.yml",
    ".github/workflows/release.yaml",
    "compose.yaml",
    "docker-compose.yml",
    "deploy/docker-compose.prod.yml",
    "compose.override.yaml",
    "docker-bake.hcl",
    "docker-bake.json",
    "docker-bake.override.hcl",
    "pyproject.toml",
    "packages/core/pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
    "backend/requirements.in",
    "constraints.txt",
    "requirements/base.txt",
    ".pitstop.toml",
]
SKIPPED_FOR = [
    "src/app/main.py",
    "README.md",
    "docs/compose.md",
    "mydockerfile",
    ".github/workflows/templates/ci.yml",  # GitHub runs only the folder's own files
    ".github/actions/setup/action.yml",
    "tests/test_requirements.py",
    "poetry.lock",
    "setup.cfg",
]


@pytest.mark.parametrize("hook_id", ["pitstop-review", "pitstop-fix"])
def test_files_pattern(hook_id: str) -> None:
    pattern = re.compile(str(_hooks()[hook_id]["files"]))  # pre-commit uses re.search
    assert [p for p in RUNS_FOR if not pattern.search(p)] == []
    assert [p for p in SKIPPED_FOR if pattern.search(p)] == []


def _snapshot(destination: Path) -> Path:
    """This repository's working tree (tracked and new files, not ignored ones) as the one
    commit of a new repository: try-repo clones what is committed, so the test sees the
    hooks as they are on disk, committed or not."""
    try:
        listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("this copy of pitstop is not a git checkout")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "snapshot")
    return destination


SAMPLE_DOCKERFILE = """\
FROM python:3.12-slim
COPY app.py /app/
COPY settings.toml /app/
CMD ["python", "/app/app.py"]
"""


def test_try_repo_runs_both_hooks_on_a_sample_repository(tmp_path: Path) -> None:
    """Both hooks, installed by pre-commit from this repository, on a repository whose
    Dockerfile (built by compose from the root) copies a file that does not exist (PS203,
    blocking) and whose .dockerignore lets `.git` through (PS206: `--fix` adds it)."""
    pitstop = _snapshot(tmp_path / "pitstop")
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "Dockerfile").write_text(SAMPLE_DOCKERFILE)
    (sample / "app.py").write_text("print('hello')\n")
    (sample / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    (sample / ".dockerignore").write_text("__pycache__/\n")
    git(sample, "init", "-q", "-b", "main")
    git(sample, "add", "-A")
    git(sample, "commit", "-q", "-m", "sample")

    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PITSTOP_DB", None)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(pitstop), "--all-files"],
        cwd=sample,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert re.search(r"pitstop review --fix\.+Failed", output), output
    assert re.search(r"pitstop review\.+Failed", output), output
    assert "files were modified by this hook" in output, output
    assert "PS203" in output, output
    assert ".git" in (sample / ".dockerignore").read_text().split()  # pitstop-fix's PS206 fix
