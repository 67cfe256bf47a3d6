"""The repository's Python files, listed the way the project sees them.

In a git work tree the list is `git ls-files --cached --others --exclude-standard`: tracked
files and untracked ones that are not ignored, so a build folder or a virtualenv that the
project ignores never enters the graph. Outside git (an sdist, a copied tree) the folders are
walked, skipping what never holds the project's code: `.git`, hidden folders, virtualenvs
(any folder with a `pyvenv.cfg`), `node_modules`, `.tox`, `.nox`, `build`, `dist`,
`__pycache__`, `*.egg-info` and pitstop's own `.pitstop`. Untracked files in git get the
same skips, for a virtualenv nobody remembered to ignore; tracked files are always listed.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISLNK
from typing import Protocol

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.impact.git import Git, GitError

SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        ".pitstop",
        "node_modules",
        ".tox",
        ".nox",
        "build",
        "dist",
        "__pycache__",
        "site-packages",
        ".eggs",
    }
)


class SourceTree(Protocol):
    """Read access to the files under the selection root; tests pass a fake."""

    # Every Python file, as a path relative to the root with `/`.
    def python_files(self) -> list[str]: ...

    # The bytes of `path`, or None when it does not exist or cannot be read.
    def read(self, path: str) -> bytes | None: ...

    # (size, mtime in ns, ...) of `path`: equal tuples, same content; None: no such file.
    def stat(self, path: str) -> tuple[int, ...] | None: ...


@dataclass
class DiskTree:
    """The files under `root` on disk, listed by git when `git` is given."""

    root: Path
    git: Git | None = None
    _venvs: dict[str, bool] = field(default_factory=dict)

    def python_files(self) -> list[str]:
        if self.git is not None:
            try:
                return sorted(self._from_git(self.git))
            except GitError:
                pass
        return sorted(self._walk(str(self.root)))

    def read(self, path: str) -> bytes | None:
        """None also for what pitstop never reads: a path that leaves the root through a
        symlink (`secret.py -> /etc/passwd`), anything but a regular file (`x.py ->
        /dev/zero`, a FIFO), a file over MAX_FILE_BYTES."""
        full = self._inside(path)
        if full is None:
            return None
        try:
            return read_regular_file(Path(full), path)
        except PitstopError:
            return None

    def _inside(self, path: str) -> str | None:
        """`path` resolved, when it stays inside the root (through any symlinks)."""
        full = os.path.realpath(os.path.join(self.root, path))
        if os.path.commonpath([full, self._resolved]) != self._resolved:
            return None
        return full

    @functools.cached_property
    def _resolved(self) -> str:
        return os.path.realpath(self.root)

    def stat(self, path: str) -> tuple[int, ...] | None:
        """None for what `read` refuses to leave the root for: not even the metadata of a
        file outside the repository is read."""
        joined = os.path.join(self.root, path)
        try:
            status = os.lstat(joined)  # one call for the usual file; a link is resolved
            if S_ISLNK(status.st_mode):
                full = self._inside(path)
                if full is None:
                    return None
                status = os.stat(full)
        except OSError:
            return None
        return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino

    def _from_git(self, git: Git) -> Iterator[str]:
        output = git.run(["ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard"])
        for entry in output.decode("utf-8", "surrogateescape").split("\0"):
            tag, _, path = entry.partition(" ")
            if not path.endswith(".py"):
                continue
            if tag != "?" or not self._skipped(path):
                yield path

    def _skipped(self, path: str) -> bool:
        parts = path.split("/")[:-1]
        for depth, name in enumerate(parts):
            hidden = name.startswith(".")
            if hidden or _skipped_name(name) or self._is_venv("/".join(parts[: depth + 1])):
                return True
        return False

    def _is_venv(self, folder: str) -> bool:
        if folder not in self._venvs:
            self._venvs[folder] = (self.root / folder / "pyvenv.cfg").is_file()
        return self._venvs[folder]

    def _walk(self, top: str) -> list[str]:
        """Every Python file under `top`, as relative paths (a stack, not recursion: one
        frame per folder instead of one per file and level)."""
        found: list[str] = []
        stack = [(top, "")]
        while stack:
            folder, prefix = stack.pop()
            try:
                with os.scandir(folder) as scan:
                    entries = list(scan)
            except OSError:
                continue
            if prefix and any(e.name == "pyvenv.cfg" for e in entries):
                continue
            for entry in entries:
                name = entry.name
                if name.endswith(".py"):
                    if entry.is_file():
                        found.append(prefix + name)
                elif (
                    entry.is_dir(follow_symlinks=False)
                    and not _skipped_name(name)
                    and not name.startswith(".")
                ):
                    stack.append((entry.path, f"{prefix}{name}/"))
        return found


def _skipped_name(name: str) -> bool:
    return name in SKIPPED_FOLDERS or name.endswith(".egg-info")
