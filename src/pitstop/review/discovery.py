"""Find the files a review reads, the way a developer would: tracked and untracked
files, but not what git ignores, not `.git`, virtualenvs or `node_modules`.

Inside a git work tree the list comes from `git ls-files` (fast, and exactly git's
ignore rules). git runs with fsmonitor and hooks disabled, so no program named in the
reviewed repository's git config is ever started. Elsewhere the tree is walked.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path, PurePosixPath

from pitstop.errors import PitstopError

SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".pitstop",
    }
)
_DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "*.Dockerfile",
    "Dockerfile.*",
    "Containerfile",
    "Containerfile.*",
    "*.dockerfile",
    "dockerfile",
)
_NOT_DOCKERFILES = ("*.dockerignore", "*.md", "*.txt", "*.orig", "*.rej", "*.swp", "*~")
_GIT_SAFE = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.quotePath=false",
)


def is_dockerfile_name(name: str) -> bool:
    if any(fnmatch.fnmatchcase(name, p) for p in _NOT_DOCKERFILES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in _DOCKERFILE_PATTERNS)


def repository_files(root: Path) -> list[str]:
    """Every file a review may read, relative to `root` with `/`, sorted."""
    listed = _git_files(root)
    files = listed if listed is not None else list(_walk(root))
    virtualenvs = tuple(
        f[: -len("pyvenv.cfg")] for f in files if PurePosixPath(f).name == "pyvenv.cfg"
    )
    return sorted(
        f for f in files if not _in_skipped_folder(f) and not f.startswith(virtualenvs or ("\0",))
    )


def find_dockerfiles(files: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    from pitstop.config import glob_match  # config sits below review: allowed

    patterns = tuple(exclude)
    return [
        f
        for f in files
        if is_dockerfile_name(PurePosixPath(f).name) and not any(glob_match(p, f) for p in patterns)
    ]


def _in_skipped_folder(path: str) -> bool:
    return any(part in SKIPPED_FOLDERS for part in PurePosixPath(path).parts[:-1])


def _git_files(root: Path) -> list[str] | None:
    command = ["git", *_GIT_SAFE, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    names = {os.fsdecode(raw) for raw in done.stdout.split(b"\0") if raw}
    return [n for n in names if _is_file_or_link(root / n)]


def _is_file_or_link(path: Path) -> bool:
    """False for what cannot even be looked at (a folder on the way without `x`): the
    context walk reports such a folder, the file list just leaves it out."""
    try:
        return stat.S_ISREG(path.stat().st_mode) or path.is_symlink()
    except OSError:
        return False


def _walk(root: Path) -> Iterator[str]:
    # A folder below the root that cannot be listed is left out here and reported by the
    # context walk; the root itself unlisted means nothing can be reviewed at all.
    for folder, subfolders, names in os.walk(root, onerror=partial(_root_unreadable, root)):
        subfolders[:] = [
            d
            for d in subfolders
            if d not in SKIPPED_FOLDERS and not _is_virtualenv(Path(folder, d))
        ]
        base = Path(folder).relative_to(root)
        for name in names:
            yield (base / name).as_posix()


def _root_unreadable(root: Path, error: OSError) -> None:
    if error.filename is not None and Path(error.filename) == root:
        reason = error.strerror or type(error).__name__
        raise PitstopError(f"cannot read this folder ({reason})", path=str(root))


def _is_virtualenv(folder: Path) -> bool:
    try:
        return (folder / "pyvenv.cfg").is_file()
    except OSError:  # a folder without `x` (Path.is_file only forgives "not found")
        return False
