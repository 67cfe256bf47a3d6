"""Turn the fixes of findings into file changes: unified diffs for `--diff`, atomic
writes for `--fix`.

Edits are applied per file from the bottom up, so earlier positions stay valid. Two
edits that overlap cannot both be applied safely: the later one (in finding order) is
skipped and reported, and a second run picks it up once the first is in place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import write_atomic
from pitstop.model import Finding, TextEdit
from pitstop.review.project import Tree


@dataclass(frozen=True)
class FileChange:
    """The new text of one file (`before` is None for a file the fixes create)."""

    path: str
    before: str | None
    after: str


@dataclass(frozen=True)
class FixPlan:
    changes: tuple[FileChange, ...]
    applied: tuple[Finding, ...]
    skipped: tuple[Finding, ...]


def plan_fixes(root: Path, findings: Iterable[Finding]) -> FixPlan:
    """The changes the fixes of `findings` make to the files under `root`."""
    tree = Tree(root)
    by_file: dict[str, list[tuple[TextEdit, Finding]]] = {}
    fixable = [f for f in findings if f.fix is not None]
    for finding in fixable:
        for edit in finding.fix.edits if finding.fix else ():
            by_file.setdefault(edit.path, []).append((edit, finding))
    changes, skipped = [], set()
    for path, edits in sorted(by_file.items()):
        before = _read(tree, path)
        after, clashed = apply_edits(before or "", edits)
        skipped |= clashed
        if after != (before or ""):
            changes.append(FileChange(path, before, after))
    applied = tuple(f for f in fixable if id(f) not in skipped)
    return FixPlan(tuple(changes), applied, tuple(f for f in fixable if id(f) in skipped))


def _read(tree: Tree, path: str) -> str | None:
    full = tree.root / path
    if not tree.exists(path):
        if full.is_symlink():
            raise PitstopError("symlink points outside the repository; not changed", path=path)
        return None
    return full.read_text(encoding="utf-8")


def apply_edits(text: str, edits: list[tuple[TextEdit, Finding]]) -> tuple[str, set[int]]:
    """`text` with the edits applied, and the ids of findings whose edits overlapped another."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    spans = []
    for edit, finding in edits:
        spans.append(
            (
                _offset(starts, edit.start_line, edit.start_column),
                _offset(starts, edit.end_line, edit.end_column),
                edit,
                finding,
            )
        )
    clashed: set[int] = set()
    taken: list[tuple[int, int]] = []
    for start, end, _edit, finding in spans:
        if any((start < e and s < end) or (start == end == s == e) for s, e in taken):
            clashed.add(id(finding))
        else:
            taken.append((start, end))
    result = text
    kept = [s for s in spans if id(s[3]) not in clashed]
    for start, end, edit, _finding in sorted(kept, key=lambda s: (s[0], s[1]), reverse=True):
        result = result[:start] + edit.text + result[end:]
    return result, clashed


def _offset(starts: list[int], line: int, column: int) -> int:
    """The string offset of a 1-based (line, column); line len+1 means the end of the text."""
    if line > len(starts) - 1:
        return starts[-1]
    return min(starts[line - 1] + column - 1, starts[line])


def unified_diff(changes: Iterable[FileChange]) -> str:
    """One `git diff`-style patch for all changes (`git apply` and `patch -p1` accept it)."""
    parts = []
    for change in changes:
        before = (change.before or "").splitlines(keepends=True)
        after = change.after.splitlines(keepends=True)
        source = f"a/{change.path}" if change.before is not None else "/dev/null"
        lines = difflib.unified_diff(before, after, source, f"b/{change.path}")
        parts.append(
            "".join(
                line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                for line in lines
            )
        )
    return "".join(parts)


def write_changes(root: Path, changes: Iterable[FileChange]) -> None:
    """Write every change atomically (each file appears whole, old or new)."""
    for change in changes:
        write_atomic(root / change.path, change.after)
