"""Turn the fixes of findings into file changes: unified diffs for `--diff`, atomic
writes for `--fix`.

Edits are applied per file from the bottom up, so earlier positions stay valid. Two
edits that overlap cannot both be applied safely: the later one (in finding order) is
skipped and reported, and a second run picks it up once the first is in place.

Files are handled as the parsers see them and written back byte for byte: lines end at
`\n` only (BuildKit and YAML do not break lines at form feed, U+2028 and the other
characters `str.splitlines` breaks at), a `\r\n` file keeps its `\r\n` (inserted lines get
it too), a lone `\r` stays a character, and a UTF-8 byte-order mark stays in place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file, write_all
from pitstop.lines import lines_with_endings
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
        body, bom = (before[1:], BOM) if before and before.startswith(BOM) else (before, "")
        after, clashed = apply_edits(body or "", edits)
        skipped |= clashed
        if after != (body or ""):
            changes.append(FileChange(path, before, bom + after))
    applied = tuple(f for f in fixable if id(f) not in skipped)
    return FixPlan(tuple(changes), applied, tuple(f for f in fixable if id(f) in skipped))


BOM = "\ufeff"


def _read(tree: Tree, path: str) -> str | None:
    """The file's text exactly as its bytes say (no newline translation), None if absent."""
    full = tree.root / path
    if not tree.exists(path):
        if full.is_symlink():
            raise PitstopError("symlink points outside the repository; not changed", path=path)
        return None
    if not full.is_file():
        raise PitstopError("not a regular file; not changed", path=path)
    try:  # the bytes as they are: a byte-order mark is kept, unlike read_text_file
        return read_regular_file(full, path).decode("utf-8")
    except UnicodeDecodeError:
        raise PitstopError("not UTF-8; not changed", path=path) from None


def apply_edits(text: str, edits: list[tuple[TextEdit, Finding]]) -> tuple[str, set[int]]:
    """`text` with the edits applied, and the ids of findings whose edits overlapped another."""
    lines = lines_with_endings(text)
    starts, ends = [0], []
    for line in lines:
        ends.append(starts[-1] + len(line.rstrip("\n").removesuffix("\r")))
        starts.append(starts[-1] + len(line))
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    spans = []
    for edit, finding in edits:
        replacement = edit.text.replace("\n", "\r\n") if crlf else edit.text
        spans.append(
            (
                _offset(starts, ends, edit.start_line, edit.start_column),
                _offset(starts, ends, edit.end_line, edit.end_column),
                replacement,
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
    for start, end, replacement, _finding in sorted(kept, key=lambda s: (s[0], s[1]), reverse=True):
        result = result[:start] + replacement + result[end:]
    return result, clashed


def _offset(starts: list[int], ends: list[int], line: int, column: int) -> int:
    """The string offset of a 1-based (line, column); line len+1 means the end of the text.

    A column past the line's content means the end of that content, before its line ending
    (the parsers count columns without the `\r` of a `\r\n`), unless it reaches past the
    ending, which an edit replacing whole lines (to column 1 of the next line) never does."""
    if line > len(ends):
        return starts[-1]
    offset = starts[line - 1] + column - 1
    return offset if offset <= ends[line - 1] else ends[line - 1]


def unified_diff(changes: Iterable[FileChange]) -> str:
    """One `git diff`-style patch for all changes (`git apply` and `patch -p1` accept it)."""
    parts = []
    for change in changes:
        before = lines_with_endings(change.before or "")
        after = lines_with_endings(change.after)
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
    """Write every change as one: each file appears whole, and all change or none does, even
    across a kill (the next `--fix` finishes the change: files.finish_interrupted)."""
    writes = [(root / change.path, change.after.encode("utf-8")) for change in changes]
    write_all(writes, root=root)
