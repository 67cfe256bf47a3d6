"""Reading the test map back: every session recorded at the newest commit recorded for a
repository, merged (see `pitstop.history.coverage`).

`pitstop affected` reads the map on every run, so this module imports no SQLAlchemy: the
queries are plain SQL, run through a `Reader`. A SQLite history is read with the standard
library's sqlite3, opened read-only (`SqliteReader`); a server database through the store's
engine (`pitstop.api` adapts it). Importing SQLAlchemy would cost more than selecting."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pitstop.errors import PitstopError
from pitstop.testmap import FIXTURE, ITEM, CoverageMap, FileState, Function, Hit

EARLY = "early"  # the unit kind of a file imported before recording began
MAP_SCHEMA = 2  # the first schema version with the test map's tables
PACKED_SCHEMA = 4  # the first with a unit's functions packed in one row (coverage_unit_functions)
# The history schema this pitstop writes (`history.store` creates and upgrades it; here so
# that the test map is read and written without importing SQLAlchemy).
SCHEMA_VERSION = 4
_CHUNK = 500  # values per IN (...) list


class Reader(Protocol):
    # The rows of `sql`, whose parameters are written `?`.
    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class SqliteReader:
    """A SQLite history, read-only (a missing file is not created)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        try:
            # the audit reads from its worker threads, one at a time (the lock)
            uri = f"{path.absolute().as_uri()}?mode=ro"
            self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.connection.execute("PRAGMA busy_timeout = 30000")
        except sqlite3.Error as error:
            raise PitstopError(
                f"cannot open the history database: {error}", path=str(path)
            ) from None

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.lock:
                return self.connection.execute(sql, tuple(parameters)).fetchall()
        except sqlite3.Error as error:
            raise PitstopError(f"history database: {error}", path=str(self.path)) from None

    def close(self) -> None:
        self.connection.close()


def repository_name(root: Path, environment: Mapping[str, str] | None = None) -> str:
    """What names the repository in a shared database: GITHUB_REPOSITORY in GitHub Actions,
    else the name of the root folder (the same in every checkout of it)."""
    environment = os.environ if environment is None else environment
    return environment.get("GITHUB_REPOSITORY") or root.resolve().name


def pack_ids(ids: Iterable[int]) -> bytes:
    """Function ids as one value: sorted, distinct, 8 bytes each, little-endian. A unit's
    functions are one row, not one row each: a call-heavy suite runs about a hundred
    functions per test, and writing (and superseding) a row per pair was most of what
    recording cost it."""
    packed = array("q", sorted(set(ids)))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_ids(value: bytes | memoryview) -> array[int]:
    """The ids `pack_ids` packed; PitstopError when the value cannot be such a list."""
    data = bytes(value)
    if len(data) % 8:
        raise PitstopError("history database: a test map row is damaged (its function list)")
    ids = array("q")
    ids.frombytes(data)
    if sys.byteorder == "big":
        ids.byteswap()
    return ids


def read_map(reader: Reader, repository: str) -> CoverageMap | None:
    """The map of the newest commit recorded for `repository`, or None when there is none
    (or the database predates the test map). `hits` reads through `reader`, which must stay
    open while the map is used."""
    version = _version(reader)
    if version < MAP_SCHEMA:
        return None
    newest = reader.rows(
        "SELECT commit_sha, recorded_at FROM coverage_sessions WHERE repository = ? "
        "ORDER BY recorded_at DESC, id DESC LIMIT 1",
        [repository],
    )
    if not newest:
        return None
    commit, recorded_at = str(newest[0][0]), float(newest[0][1])
    found = reader.rows(
        "SELECT id, backend FROM coverage_sessions WHERE repository = ? AND commit_sha = ?",
        [repository, commit],
    )
    sessions = [int(row[0]) for row in found]
    lambdas = all(row[1] == "monitoring" for row in found)
    units = _units(reader, sessions)
    files: dict[str, set[FileState]] = defaultdict(set)
    for path, sha256, skeleton in _in(
        reader, "SELECT path, sha256, skeleton FROM coverage_files WHERE session IN ({})", sessions
    ):
        files[path].add(FileState(sha256, skeleton))
    test_files = frozenset(u["test_file"] for u in units.values() if u["kind"] == ITEM)
    users = _fixture_users(units)
    spawned: set[str] = set()
    for unit in units.values():
        if unit["spawned"]:
            spawned |= _test_files_of(unit, users)
    early = frozenset(u["name"] for u in units.values() if u["kind"] == EARLY)

    def hits(paths: Collection[str]) -> list[Hit]:
        if version < PACKED_SCHEMA:  # a database this pitstop has not upgraded yet
            return _row_hits(reader, sessions, units, users, paths)
        return _packed_hits(reader, sessions, units, users, paths)

    return CoverageMap(
        commit,
        recorded_at,
        test_files,
        frozenset(spawned),
        {path: frozenset(states) for path, states in files.items()},
        early,
        lambdas,
        hits,
    )


def _version(reader: Reader) -> int:
    """The database's schema version; 0 for one that is not a pitstop history."""
    try:
        found = reader.rows("SELECT max(version) FROM pitstop_schema_version")
    except PitstopError:
        return 0  # not a pitstop history at all: nothing recorded in it
    return int(found[0][0]) if found and found[0][0] is not None else 0


def _in(reader: Reader, sql: str, values: Sequence[Any]) -> Iterable[tuple[Any, ...]]:
    """`sql` with its one `IN ({})` list filled from `values`, a chunk at a time."""
    for start in range(0, len(values), _CHUNK):
        chunk = list(values[start : start + _CHUNK])
        yield from reader.rows(sql.format(",".join("?" * len(chunk))), chunk)


def _units(reader: Reader, sessions: list[int]) -> dict[int, dict[str, Any]]:
    units: dict[int, dict[str, Any]] = {}
    query = (
        "SELECT id, session, kind, name, test_file, spawned FROM coverage_units "
        "WHERE session IN ({})"
    )
    for pk, session, kind, name, test_file, spawned in _in(reader, query, sessions):
        units[pk] = {
            "session": session,
            "kind": kind,
            "name": name,
            "test_file": test_file,
            "spawned": bool(spawned),
            "fixtures": [],
        }
    query = (
        "SELECT f.unit, f.fixture FROM coverage_unit_fixtures f "
        "JOIN coverage_units u ON u.id = f.unit WHERE u.session IN ({})"
    )
    for unit, fixture in _in(reader, query, sessions):
        units[unit]["fixtures"].append(fixture)
    return units


def _fixture_users(units: dict[int, dict[str, Any]]) -> dict[tuple[int, str], set[str]]:
    """(session, fixture name) -> the test files of the items that used that fixture."""
    users: dict[tuple[int, str], set[str]] = defaultdict(set)
    for unit in units.values():
        for fixture in unit["fixtures"]:
            users[(unit["session"], fixture)].add(unit["test_file"])
    return users


def _test_files_of(unit: dict[str, Any], users: dict[tuple[int, str], set[str]]) -> set[str]:
    if unit["kind"] == FIXTURE:
        return set(users.get((unit["session"], unit["name"]), ()))
    return {unit["test_file"]} if unit["test_file"] else set()


def _packed_hits(
    reader: Reader,
    sessions: list[int],
    units: dict[int, dict[str, Any]],
    users: dict[tuple[int, str], set[str]],
    paths: Collection[str],
) -> list[Hit]:
    """The hits on the functions of `paths`: those functions by id, then every unit's
    packed list read and met with them (a unit's row is small; a change's paths are few)."""
    wanted: dict[int, Function] = {}
    query = "SELECT id, path, qualname, digest FROM coverage_functions WHERE path IN ({})"
    for pk, path, qualname, digest in _in(reader, query, sorted(paths)):
        wanted[int(pk)] = Function(path, qualname, digest)
    if not wanted:
        return []
    found: list[Hit] = []
    query = (
        "SELECT h.unit, h.functions FROM coverage_unit_functions h "
        "JOIN coverage_units u ON u.id = h.unit WHERE u.session IN ({})"
    )
    for unit_id, packed in _in(reader, query, sessions):
        ran = wanted.keys() & unpack_ids(packed)
        if not ran:
            continue
        unit = units[unit_id]
        files = frozenset(_test_files_of(unit, users))
        found += [Hit(unit["kind"], unit["name"], files, wanted[pk]) for pk in sorted(ran)]
    return found


def _row_hits(
    reader: Reader,
    sessions: list[int],
    units: dict[int, dict[str, Any]],
    users: dict[tuple[int, str], set[str]],
    paths: Collection[str],
) -> list[Hit]:
    """The hits on the functions of `paths` in a version 2 or 3 database: a row each."""
    found: list[Hit] = []
    marks = ",".join("?" * len(sessions))
    query = (
        "SELECT h.unit, f.path, f.qualname, f.digest FROM coverage_hits h "
        "JOIN coverage_functions f ON f.id = h.function "
        "JOIN coverage_units u ON u.id = h.unit "
        f"WHERE u.session IN ({marks}) AND f.path IN ({{}})"
    )
    ordered = sorted(paths)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        sql = query.format(",".join("?" * len(chunk)))
        for unit_id, path, qualname, digest in reader.rows(sql, [*sessions, *chunk]):
            unit = units[unit_id]
            files = frozenset(_test_files_of(unit, users))
            found.append(Hit(unit["kind"], unit["name"], files, Function(path, qualname, digest)))
    return found
