"""Writing a session's test map into the history database, in plain SQL through a `Writer`.

`pytest --pitstop-record` writes at the end of every recorded session, so a SQLite history
that already has this pitstop's schema is written with the standard library's sqlite3
(`SqliteWriter`): importing SQLAlchemy would cost a small suite more than recording it. A
new or older database, and a server database, go through the store (`history.coverage`),
which creates or upgrades the schema and gives the same statements its connection.

Several sessions at one commit are one map: the xdist workers of one run, the shards of one
CI run. A session is superseded, and deleted, when later sessions at its commit recorded at
least as many distinct items of each of its test files (a re-run; an xdist re-run whose
workers split the items anew; counted, not matched, because the ids of parametrized tests
can change from run to run). The sessions of the last KEEP_COMMITS commits are kept."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from pitstop.errors import PitstopError
from pitstop.history.map_read import EARLY, SCHEMA_VERSION, pack_ids
from pitstop.testmap import ITEM, Function, Recording

KEEP_COMMITS = 3
_CHUNK = 500  # values per IN (...) list


class Writer(Protocol):
    """One write transaction; parameters are written `?`."""

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None: ...

    # Insert one row; its id.
    def insert(self, sql: str, parameters: Sequence[Any]) -> int: ...

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...


class SqliteWriter:
    """A SQLite history with this pitstop's schema, written in one IMMEDIATE transaction
    (the database's write lock, waited for as the store's writers wait)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            uri = f"{path.absolute().as_uri()}?mode=rw"
            self.connection = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.connection.execute("PRAGMA busy_timeout = 30000")
            self.connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as error:
            raise PitstopError(
                f"cannot open the history database: {error}", path=str(path)
            ) from None

    @staticmethod
    def usable(path: Path) -> bool:
        """Whether `path` is a SQLite history this pitstop writes as it is (no upgrade)."""
        if not path.is_file():
            return False
        try:
            uri = f"{path.absolute().as_uri()}?mode=ro"
            with sqlite3.connect(uri, uri=True) as connection:
                found = connection.execute("SELECT max(version) FROM pitstop_schema_version")
                version = found.fetchone()
            connection.close()
        except sqlite3.Error:
            return False
        return version is not None and version[0] == SCHEMA_VERSION

    def write(self, repository: str, recording: Recording, recorded_at: float | None) -> int:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                session = write_map(self, repository, recording, recorded_at)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise PitstopError(f"history database: {error}", path=str(self.path)) from None
        finally:
            self.connection.close()
        return session

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection.execute(sql, tuple(parameters)).fetchall()

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, tuple(parameters))

    def insert(self, sql: str, parameters: Sequence[Any]) -> int:
        row = self.connection.execute(sql, tuple(parameters)).lastrowid
        assert row is not None
        return row

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.connection.executemany(sql, rows)


def write_map(
    writer: Writer, repository: str, recording: Recording, recorded_at: float | None = None
) -> int:
    """Store one session's recording (in the writer's transaction); the session's id."""
    now = time.time() if recorded_at is None else recorded_at
    session = writer.insert(
        "INSERT INTO coverage_sessions (repository, commit_sha, dirty, recorded_at, backend, "
        "python, worker) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            repository,
            recording.commit,
            recording.dirty,
            now,
            recording.backend,
            recording.python,
            recording.worker,
        ],
    )
    files = [(session, p, s.sha256, s.skeleton) for p, s in recording.files.items()]
    if files:
        writer.many(
            "INSERT INTO coverage_files (session, path, sha256, skeleton) VALUES (?, ?, ?, ?)",
            files,
        )
    ids = _intern(writer, recording.functions)
    _write_units(writer, session, recording, ids)
    used = sorted({ids[index] for unit in recording.units for index in unit.hits})
    if used:
        writer.many(
            "INSERT INTO coverage_session_functions (session, function) VALUES (?, ?)",
            [(session, function) for function in used],
        )
    _forget_superseded(writer, repository, recording.commit, session)
    _forget_old(writer, repository)
    return session


def _intern(writer: Writer, functions: tuple[Function, ...]) -> list[int]:
    """The ids of `functions`, in order, inserting those not yet known."""
    keys = [_key(f) for f in functions]
    known = _function_ids(writer, keys)
    missing = {k: f for k, f in zip(keys, functions, strict=True) if k not in known}
    if missing:
        writer.many(
            "INSERT INTO coverage_functions (key_hash, path, qualname, digest) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(k, f.path, f.qualname, f.digest) for k, f in missing.items()],
        )
        known.update(_function_ids(writer, list(missing)))
    return [known[k] for k in keys]


def _key(function: Function) -> str:
    text = f"{function.path}\0{function.qualname}\0{function.digest}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _function_ids(writer: Writer, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT key_hash, id FROM coverage_functions WHERE key_hash IN ({marks})"
        found.update({k: int(i) for k, i in writer.rows(query, chunk)})
    return found


def _write_units(writer: Writer, session: int, recording: Recording, ids: list[int]) -> None:
    insert = (
        "INSERT INTO coverage_units (session, kind, name, test_file, spawned) "
        "VALUES (?, ?, ?, ?, ?)"
    )
    hits: list[tuple[Any, ...]] = []
    fixtures: list[tuple[Any, ...]] = []
    for unit in recording.units:
        unit_id = writer.insert(
            insert, [session, unit.kind, unit.name, unit.test_file, unit.spawned]
        )
        if unit.hits:
            hits.append((unit_id, pack_ids(ids[index] for index in unit.hits)))
        fixtures += [(unit_id, name) for name in sorted(set(unit.fixtures))]
    for path in recording.early:
        writer.insert(insert, [session, EARLY, path, "", False])
    if hits:
        writer.many("INSERT INTO coverage_unit_functions (unit, functions) VALUES (?, ?)", hits)
    if fixtures:
        writer.many("INSERT INTO coverage_unit_fixtures (unit, fixture) VALUES (?, ?)", fixtures)


def _forget_superseded(writer: Writer, repository: str, commit: str, newest: int) -> None:
    """Delete the sessions at `commit` that later sessions recorded again (module doc)."""
    sessions = [
        int(row[0])
        for row in writer.rows(
            "SELECT id FROM coverage_sessions WHERE repository = ? AND commit_sha = ? "
            "ORDER BY recorded_at DESC, id DESC",
            [repository, commit],
        )
    ]
    later: dict[str, set[str]] = defaultdict(set)  # test file -> item names recorded later
    superseded: list[int] = []
    for session in [newest, *(s for s in sessions if s != newest)]:
        items: dict[str, set[str]] = defaultdict(set)
        query = "SELECT test_file, name FROM coverage_units WHERE session = ? AND kind = ?"
        for test_file, name in writer.rows(query, [session, ITEM]):
            items[test_file].add(name)
        if session != newest and all(len(later[f]) >= len(n) for f, n in items.items()):
            superseded.append(session)
        for test_file, names in items.items():
            later[test_file] |= names
    _delete_sessions(writer, superseded)


def _forget_old(writer: Writer, repository: str) -> None:
    """Delete the sessions of all but the last KEEP_COMMITS commits recorded."""
    commits = writer.rows(
        "SELECT commit_sha FROM coverage_sessions WHERE repository = ? GROUP BY commit_sha "
        "ORDER BY max(recorded_at) DESC",
        [repository],
    )
    for (commit,) in commits[KEEP_COMMITS:]:
        old = writer.rows(
            "SELECT id FROM coverage_sessions WHERE repository = ? AND commit_sha = ?",
            [repository, commit],
        )
        _delete_sessions(writer, [int(row[0]) for row in old])


def _delete_sessions(writer: Writer, sessions: list[int]) -> None:
    """Delete `sessions` with their rows, then the functions no session refers to."""
    if not sessions:
        return
    for start in range(0, len(sessions), _CHUNK):
        chunk = sessions[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        units = f"SELECT id FROM coverage_units WHERE session IN ({marks})"
        writer.execute(f"DELETE FROM coverage_unit_functions WHERE unit IN ({units})", chunk)
        writer.execute(f"DELETE FROM coverage_unit_fixtures WHERE unit IN ({units})", chunk)
        writer.execute(f"DELETE FROM coverage_units WHERE session IN ({marks})", chunk)
        writer.execute(f"DELETE FROM coverage_files WHERE session IN ({marks})", chunk)
        writer.execute(f"DELETE FROM coverage_session_functions WHERE session IN ({marks})", chunk)
        writer.execute(f"DELETE FROM coverage_sessions WHERE id IN ({marks})", chunk)
    # a function no session ran is gone: each session lists the functions its units ran
    writer.execute(
        "DELETE FROM coverage_functions WHERE NOT EXISTS (SELECT 1 FROM "
        "coverage_session_functions s WHERE s.function = coverage_functions.id)"
    )
