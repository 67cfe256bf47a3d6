"""The test map: which code of the repository each test ran, as recorded by
`pytest --pitstop-record`, and what the selection reads back from it.

A recording is made of *units*: a test item; a fixture broader than a function (its setup
and teardown run once for many items, which all depend on it); the import of one module of
the repository (`import` units: code that ran at import time); and the rest of the session
outside any test (`collection`: pytest hooks, parametrization). Each unit lists the
functions it executed, each function named by its file, its qualified name and a digest of
its source, so that a later text of the file tells which recorded functions changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

ITEM, FIXTURE, IMPORT, COLLECTION = "item", "fixture", "import", "collection"
MODULE = "<module>"  # the qualified name of a module's own code


@dataclass(frozen=True)
class FileState:
    """A recorded file as it was: the sha256 of its bytes and its import-time skeleton as
    the map sees it (`impact.functions.recorded_skeleton`)."""

    sha256: str
    skeleton: str


@dataclass(frozen=True)
class Function:
    path: str  # relative to the root, with /
    qualname: str  # `Class.method`, `outer.<locals>.inner`, MODULE, or a class body's name
    digest: str  # of its source (its syntax tree, so formatting and comments do not count)


@dataclass(frozen=True)
class Unit:
    """What ran in one unit. `name` is the item's node id, the fixture's `name@baseid`, the
    imported file's path, or empty for the collection; `test_file` is the item's file
    (empty for the other kinds). `fixtures` names the fixture units an item used and
    `spawned` says a process was started (its code is not seen)."""

    kind: str
    name: str
    test_file: str = ""
    hits: frozenset[int] = frozenset()  # indexes into Recording.functions
    fixtures: tuple[str, ...] = ()
    spawned: bool = False


@dataclass(frozen=True)
class Recording:
    """One pytest session's recording (one xdist worker's, one CI shard's)."""

    commit: str  # HEAD when recorded ("" outside git)
    dirty: bool  # the work tree differed from HEAD (the file states say how)
    backend: str  # "monitoring" (sys.monitoring) or "coverage" (coverage.py)
    python: str
    worker: str  # the xdist worker id, else "main"
    files: Mapping[str, FileState]
    functions: tuple[Function, ...]
    units: tuple[Unit, ...]
    # repository files imported before recording began: what their import ran is unknown
    early: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A recorded execution of a function of a file the selection asks about: by the test
    files of an item or of the items using a fixture, at import of `unit_name`, or at
    collection."""

    kind: str
    unit_name: str
    test_files: frozenset[str]
    function: Function


@dataclass(frozen=True)
class CoverageMap:
    """The recording the selection uses: every session recorded at `commit`, merged.

    `hits(paths)` reads the recorded executions of functions of `paths` (lazily: a large
    map is mostly never read)."""

    commit: str
    recorded_at: float
    test_files: frozenset[str]
    spawned: frozenset[str]
    files: Mapping[str, frozenset[FileState]]
    early: frozenset[str]
    lambdas: bool  # every session recorded code objects (sys.monitoring): lambdas are named
    hits: Callable[[Collection[str]], list[Hit]] = field(repr=False, compare=False)
