"""Find the files a review reads, the way a developer would: tracked and untracked
files, but not what git ignores, not `.git`, virtualenvs or `node_modules`.

Inside a git work tree the list comes from `git ls-files` (fast, and exactly git's
ignore rules). git runs through `pitstop.gitrunner`, so no program named in the reviewed
repository's git configuration or attributes is ever started. Elsewhere the tree is walked.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path, PurePosixPath

from pitstop.errors import PitstopError
from pitstop.gitrunner import GitError, run_git

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
# What `docker build -f` users name their files, compared in lower case: Dockerfile and
# Containerfile, alone or with a suffix (`Dockerfile.dev`, `Dockerfile_py311`,
# `Dockerfile-dolt`) or as an extension (`api.Dockerfile`, `jax.dockerfile`).
_DOCKERFILE_PATTERNS = tuple(
    pattern
    for name in ("dockerfile", "containerfile")
    for pattern in (name, f"{name}.*", f"{name}_*", f"{name}-*", f"*.{name}")
)
# Files named after a Dockerfile that are not one: ignore files, docs, templates rendered
# into Dockerfiles, build definitions (`dockerfile-build.yaml`), scripts and editor leftovers.
_NOT_DOCKERFILE_SUFFIXES = (
    ".dockerignore",
    ".containerignore",
    ".md",
    ".rst",
    ".txt",
    ".yml",
    ".yaml",
    ".json",
    ".toml",
    ".hcl",
    ".sh",
    ".ps1",
    ".py",
    ".template",
    ".tmpl",
    ".tpl",
    ".j2",
    ".jinja",
    ".jinja2",
    ".orig",
    ".rej",
    ".swp",
    ".bak",
    "~",
)


def is_dockerfile_name(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(lowered, p) for p in _DOCKERFILE_PATTERNS)


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
    command = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        output = run_git(root, command)
    except GitError:
        return None
    names = {os.fsdecode(raw) for raw in output.split(b"\0") if raw}
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
