"""The records of a build context and its summary: what `pitstop context` and the context
rules report. Records only (no walk, no parsing), so reports can import them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pitstop.model import InputProblem


class ContextFile(NamedTuple):
    """One entry Docker sends that is not a folder: path relative to the context, with `/`."""

    path: str
    size: int


class FolderSize(NamedTuple):
    """A folder of the context with the bytes and files below it."""

    path: str
    bytes: int
    files: int


@dataclass(frozen=True)
class Miss:
    """Files the ignore file lets through that are rarely meant for an image.

    `suggested_pattern` is one ignore-file line that excludes `paths` (folders or files) with
    Docker's semantics and nothing a rule here leaves alone (a README at the root)."""

    category: str
    paths: tuple[str, ...]
    bytes: int
    suggested_pattern: str


@dataclass(frozen=True)
class ContextSummary:
    """What the walk gathered on its way, so no report walks the files again: every
    top-level folder by size (largest first, then by name) and what the ignore file misses."""

    folders: tuple[FolderSize, ...]
    missed: tuple[Miss, ...]


@dataclass(frozen=True)
class ContextTree:
    """What Docker sends for one context: files sorted by path, their total size, what could
    not be read, how many excluded folders were skipped without being read, and (from a
    walk) the summary gathered during it."""

    files: tuple[ContextFile, ...]
    bytes: int
    problems: tuple[InputProblem, ...] = ()
    pruned: int = 0
    summary: ContextSummary | None = None


@dataclass(frozen=True)
class ContextResult:
    """`pitstop context`: the tree, where its ignore file is, its largest folders, what the
    ignore file misses, and (with a Dockerfile) the bytes no COPY or ADD can use."""

    root: str
    ignore_file: str | None
    tree: ContextTree
    unused_bytes: int | None
    largest: tuple[FolderSize, ...] = ()
    missed: tuple[Miss, ...] = ()
