"""`pitstop context`: walk one build context with its effective ignore file, and work out
which of its bytes the Dockerfile's COPY and ADD instructions can use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_text_file
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
        ignore = parse_ignore(read_text_file(root / ignore_path, ignore_path), ignore_path)
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
    parsed = parse_dockerfile(read_text_file(dockerfile, str(dockerfile)), str(dockerfile))
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
