"""`pitstop context`: walk one build context with its effective ignore file, and work out
which of its bytes the Dockerfile's COPY and ADD instructions can use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.ignore import parse_ignore
from pitstop.review.context_records import ContextResult, FolderSize
from pitstop.review.context_walk import (
    ContextTree,
    effective_ignore_file,
    largest_folders,
    missed_by_ignore,
    used_by_copy,
    walk_context,
)

__all__ = ["ContextResult", "measure_context"]
LARGEST_FOLDERS = 10  # how many folders the report lists


def measure_context(
    root: Path, dockerfile: Path | None, progress: Callable[[int], None] | None = None
) -> ContextResult:
    if not root.is_dir():
        raise PitstopError("no such directory", path=str(root))
    relative_dockerfile = _relative(root, dockerfile) if dockerfile else None
    try:
        with os.scandir(root) as entries:
            next(entries, None)
        ignore_path = effective_ignore_file(root, "", relative_dockerfile)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PitstopError(f"cannot read this folder ({reason})", path=str(root)) from None
    ignore = None
    if ignore_path is not None:
        ignore = parse_ignore(_read_text(root / ignore_path, ignore_path), ignore_path)
    tree = walk_context(root, ignore, progress=progress)
    unused = None
    if dockerfile is not None:
        unused = tree.bytes - _used_bytes(tree, dockerfile)
    largest = tuple(FolderSize(*row) for row in largest_folders(tree, top=LARGEST_FOLDERS))
    missed = tuple(missed_by_ignore(tree))
    return ContextResult(str(root), ignore_path, tree, unused, largest, missed)


def _relative(root: Path, dockerfile: Path) -> str:
    try:
        return dockerfile.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return "-"  # a Dockerfile outside the context has no ignore file of its own


def _used_bytes(tree: ContextTree, dockerfile: Path) -> int:
    if not dockerfile.is_file():
        raise PitstopError("no such file", path=str(dockerfile))
    parsed = parse_dockerfile(_read_text(dockerfile, str(dockerfile)), str(dockerfile))
    sources = [
        source
        for stage in parsed.stages_built_for(parsed.last_stage)
        for instruction in stage.of("COPY", "ADD")
        if instruction.flag("from") is None and not instruction.heredocs
        for source in instruction.args[:-1]
        if "://" not in source
    ]
    used = used_by_copy(tree, sources)
    return sum(size for path, size in tree.files if path in used)


def _read_text(path: Path, shown: str) -> str:
    """The UTF-8 text of the regular file `path`; PitstopError naming `shown` (and the line
    of the first bad byte) when it cannot be read or is not UTF-8."""
    data = read_regular_file(path, shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 (byte 0x{data[error.start]:02x})"
        raise PitstopError(message, path=shown, line=line) from None
