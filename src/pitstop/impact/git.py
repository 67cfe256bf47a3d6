"""The change from git, for `--base REF`: the working tree against merge-base(REF, HEAD).

The working tree counts whole: committed, staged, unstaged and untracked files, but not
git-ignored ones, not pitstop's own cache (`.pitstop/`) and not Python bytecode. Renames
count as a delete and an add. When the base cannot be found (a shallow clone, a ref that
was never fetched) the answer is "run everything" with a reason that says how to fix it,
never an empty selection.

git runs through `pitstop.gitrunner`, which turns off every setting of the repository that
names a program (fsmonitor, hooks, filters, textconv, external diff), so nothing configured
in the repository is executed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pitstop.files import STATE_FOLDER
from pitstop.gitrunner import GitError, run_git

FETCH_HINT = (
    "in GitHub Actions give actions/checkout `fetch-depth: 0`; elsewhere run `git fetch origin "
    "{ref}` (or `git fetch --unshallow` in a shallow clone)"
)


class Git(Protocol):
    """Runs git in one folder; tests pass a fake."""

    # git's stdout for `args` (no `git` in front); GitError when it exits non-zero.
    def run(self, args: Sequence[str]) -> bytes: ...


__all__ = ["Change", "Git", "GitError", "SubprocessGit", "change_since", "previous_text"]


@dataclass(frozen=True)
class SubprocessGit:
    cwd: Path

    def run(self, args: Sequence[str]) -> bytes:
        return run_git(self.cwd, args)


@dataclass(frozen=True)
class Change:
    """What changed: paths relative to the git root's `prefix` folder (the selection root).

    `previous(path)` gives a modified file's text at the base (for the import-time check);
    `run_all` holds the reason when the change could not be determined."""

    paths: tuple[str, ...] = ()
    base: str | None = None
    run_all: str | None = None
    outside: tuple[str, ...] = ()


def inside_work_tree(git: Git) -> bool:
    """Whether git sees the folder: inside a work tree, and not in a folder git ignores
    (an unpacked sdist under a repository's ignored scratch folder is plain files)."""
    try:
        inside = git.run(["rev-parse", "--is-inside-work-tree"]).strip() == b"true"
    except GitError:
        return False
    try:
        git.run(["check-ignore", "-q", "."])
    except GitError:
        return inside  # exit 1: not ignored
    return False


def change_since(git: Git, ref: str) -> Change:
    """The working tree against merge-base(`ref`, HEAD), or a run-all reason (also when git
    fails or times out midway: an unknown change must run everything, never nothing)."""
    try:
        return _change_since(git, ref)
    except GitError as error:
        return Change(run_all=f"git failed, so the change is unknown: {error}")


def _change_since(git: Git, ref: str) -> Change:
    if not _resolves(git, f"{ref}^{{commit}}"):
        return Change(run_all=f"base ref {ref!r} not found: " + FETCH_HINT.format(ref=ref))
    try:
        base = git.run(["merge-base", ref, "HEAD"]).decode().strip()
    except GitError:
        return Change(run_all=_no_merge_base(git, ref))
    prefix = git.run(["rev-parse", "--show-prefix"]).decode().strip()
    paths = _diff(git, base) + _untracked(git)
    inside, outside = _relative(paths, prefix)
    return Change(paths=inside, base=base, outside=outside)


def difference(git: Git, commit: str) -> tuple[str, ...] | None:
    """Every tracked path (relative to the current folder) that differs between `commit`
    itself (not a merge base) and the working tree; None when `commit` is not in this clone
    or git fails. Untracked files are not listed: a change from git has them already, and
    listing them walks the whole tree (120 ms on Django's)."""
    try:
        if not _resolves(git, f"{commit}^{{commit}}"):
            return None
        prefix = git.run(["rev-parse", "--show-prefix"]).decode().strip()
        inside, _ = _relative(_diff(git, commit), prefix)
    except GitError:
        return None
    return inside


def head_commit(git: Git) -> tuple[str, bool]:
    """HEAD's commit and whether the working tree differs from it; ("", False) outside git."""
    try:
        commit = git.run(["rev-parse", "--verify", "--quiet", "HEAD"]).decode().strip()
        status = git.run(["status", "--porcelain", "--untracked-files=no"])
    except GitError:
        return "", False
    return commit, bool(status.strip())


def previous_text(git: Git, base: str, path: str) -> bytes | None:
    """`path` (relative to the current folder) as it was at commit `base`, or None."""
    try:
        return git.run(["cat-file", "blob", f"{base}:./{path}"])
    except GitError:
        return None


def _resolves(git: Git, ref: str) -> bool:
    try:
        git.run(["rev-parse", "--verify", "--quiet", ref])
    except GitError:
        return False
    return True


def _no_merge_base(git: Git, ref: str) -> str:
    shallow = git.run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"
    if shallow:
        return f"shallow clone: no merge base of {ref!r} and HEAD; " + FETCH_HINT.format(ref=ref)
    return f"{ref!r} and HEAD have no common history, so the change is unknown"


def _diff(git: Git, base: str) -> list[str]:
    """Every path that differs between `base` and the working tree, from the git root."""
    options = ["--name-status", "-z", "--find-renames", "--no-ext-diff", "--no-textconv"]
    output = git.run(["diff", *options, "--no-relative", base, "--"])
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        count = 2 if status[0] in "RC" else 1
        paths += fields[index + 1 : index + 1 + count]
        index += 1 + count
    return paths


def _untracked(git: Git) -> list[str]:
    output = git.run(["ls-files", "-z", "--others", "--exclude-standard", "--full-name", ":/"])
    return [p for p in output.decode("utf-8", "surrogateescape").split("\0") if p]


def generated(path: str) -> bool:
    """Files no change of the project's own makes: pitstop's cache, Python's bytecode (a
    repository that forgot to ignore `__pycache__` must not see every test run change)."""
    parts = path.split("/")
    return parts[0] == STATE_FOLDER or "__pycache__" in parts or path.endswith((".pyc", ".pyo"))


def _relative(paths: list[str], prefix: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split git-root paths into those under `prefix` (made relative to it) and the rest."""
    inside: dict[str, None] = {}
    outside: dict[str, None] = {}
    for path in paths:
        if path.startswith(prefix):
            relative = path[len(prefix) :]
            if not generated(relative):
                inside[relative] = None
        else:
            outside[path] = None
    return tuple(inside), tuple(outside)
