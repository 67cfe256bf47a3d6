"""The test map in the history database: write a session's recording (`map_read` reads
back the map the selection uses).

Several sessions at one commit are one map: the xdist workers of one run, the shards of one
CI run, a re-run. The map keeps the sessions of the last KEEP_COMMITS commits recorded per
repository; older ones are deleted when a new one is written."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, exists, func, select
from sqlalchemy.exc import DatabaseError

from pitstop.errors import PitstopError
from pitstop.history.map_read import EARLY
from pitstop.history.schema import (
    coverage_files,
    coverage_functions,
    coverage_hits,
    coverage_sessions,
    coverage_unit_fixtures,
    coverage_units,
)
from pitstop.history.store import Store
from pitstop.testmap import ITEM, Function, Recording

KEEP_COMMITS = 3
_CHUNK = 500  # values per IN (...) list


def write_recording(
    store: Store, repository: str, recording: Recording, *, recorded_at: float | None = None
) -> int:
    """Store one session's recording (one transaction); the session's id."""
    now = time.time() if recorded_at is None else recorded_at
    with store._writing() as connection:
        session = connection.execute(
            coverage_sessions.insert().returning(coverage_sessions.c.id),
            {
                "repository": repository,
                "commit_sha": recording.commit,
                "dirty": recording.dirty,
                "recorded_at": now,
                "backend": recording.backend,
                "python": recording.python,
                "worker": recording.worker,
            },
        ).scalar_one()
        files = [
            {"session": session, "path": path, "sha256": s.sha256, "skeleton": s.skeleton}
            for path, s in recording.files.items()
        ]
        if files:
            connection.execute(coverage_files.insert(), files)
        ids = _intern(store, connection, recording.functions)
        _write_units(connection, session, recording, ids)
        _forget_superseded(connection, repository, recording.commit, session)
        _forget_old(connection, repository)
    return int(session)


def _forget_superseded(connection: Connection, repository: str, commit: str, newest: int) -> None:
    """Delete the sessions at `commit` that later sessions there recorded again: for each of
    their test files, later sessions recorded at least as many distinct items (a re-run, an
    xdist re-run whose workers split the items anew; counted, not matched, because the ids
    of parametrized tests can change from run to run). A map recorded over and over at one
    commit stays the size of one recording; shards, recording other files, all stay, and so
    does a session of which a later one re-ran only some tests."""
    rows = (
        connection.execute(
            select(coverage_sessions.c.id)
            .where(coverage_sessions.c.repository == repository)
            .where(coverage_sessions.c.commit_sha == commit)
            .order_by(coverage_sessions.c.recorded_at.desc(), coverage_sessions.c.id.desc())
        )
        .scalars()
        .all()
    )
    later: dict[str, set[str]] = defaultdict(set)  # test file -> item names recorded later
    superseded: list[int] = []
    for session in [newest, *(s for s in rows if s != newest)]:
        items: dict[str, set[str]] = defaultdict(set)
        query = select(coverage_units.c.test_file, coverage_units.c.name).where(
            coverage_units.c.session == session, coverage_units.c.kind == ITEM
        )
        for test_file, name in connection.execute(query):
            items[test_file].add(name)
        if session != newest and all(len(later[f]) >= len(n) for f, n in items.items()):
            superseded.append(session)
        for test_file, names in items.items():
            later[test_file] |= names
    if superseded:
        _delete_sessions(connection, superseded)


def _intern(store: Store, connection: Connection, functions: tuple[Function, ...]) -> list[int]:
    """The ids of `functions`, in order, inserting those not yet known."""
    keys = [_key(f) for f in functions]
    known = _function_ids(connection, keys)
    missing = {k: f for k, f in zip(keys, functions, strict=True) if k not in known}
    if missing:
        rows = [
            {"key_hash": k, "path": f.path, "qualname": f.qualname, "digest": f.digest}
            for k, f in missing.items()
        ]
        insert = store._insert(coverage_functions).on_conflict_do_nothing()
        connection.execute(insert, rows)
        known.update(_function_ids(connection, list(missing)))
    return [known[k] for k in keys]


def _key(function: Function) -> str:
    text = f"{function.path}\0{function.qualname}\0{function.digest}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _function_ids(connection: Connection, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        query = select(coverage_functions.c.key_hash, coverage_functions.c.id).where(
            coverage_functions.c.key_hash.in_(chunk)
        )
        found.update({k: i for k, i in connection.execute(query)})
    return found


def _write_units(
    connection: Connection, session: int, recording: Recording, ids: list[int]
) -> None:
    units = [
        {
            "session": session,
            "kind": unit.kind,
            "name": unit.name,
            "test_file": unit.test_file,
            "spawned": unit.spawned,
        }
        for unit in recording.units
    ]
    units += [
        {"session": session, "kind": EARLY, "name": path, "test_file": "", "spawned": False}
        for path in recording.early
    ]
    if not units:
        return
    statement = coverage_units.insert().returning(coverage_units.c.id, sort_by_parameter_order=True)
    unit_ids = [row[0] for row in connection.execute(statement, units)]
    hits = [
        {"unit": unit_id, "function": ids[index]}
        for unit_id, unit in zip(unit_ids, recording.units, strict=False)
        for index in unit.hits
    ]
    if hits:
        connection.execute(coverage_hits.insert(), hits)
    fixtures = [
        {"unit": unit_id, "fixture": name}
        for unit_id, unit in zip(unit_ids, recording.units, strict=False)
        for name in set(unit.fixtures)
    ]
    if fixtures:
        connection.execute(coverage_unit_fixtures.insert(), fixtures)


def _forget_old(connection: Connection, repository: str) -> None:
    """Delete the sessions of all but the last KEEP_COMMITS commits recorded, and the
    functions no session refers to any more."""
    newest = func.max(coverage_sessions.c.recorded_at)
    commits = connection.execute(
        select(coverage_sessions.c.commit_sha)
        .where(coverage_sessions.c.repository == repository)
        .group_by(coverage_sessions.c.commit_sha)
        .order_by(newest.desc())
    ).scalars()
    old = list(commits)[KEEP_COMMITS:]
    if not old:
        return
    sessions = connection.execute(
        select(coverage_sessions.c.id).where(
            coverage_sessions.c.repository == repository,
            coverage_sessions.c.commit_sha.in_(old),
        )
    ).scalars()
    _delete_sessions(connection, list(sessions))


def _delete_sessions(connection: Connection, sessions: list[int]) -> None:
    """Delete `sessions` with their rows, then the functions no session refers to."""
    units = select(coverage_units.c.id).where(coverage_units.c.session.in_(sessions))
    connection.execute(delete(coverage_hits).where(coverage_hits.c.unit.in_(units)))
    connection.execute(
        delete(coverage_unit_fixtures).where(coverage_unit_fixtures.c.unit.in_(units))
    )
    connection.execute(delete(coverage_units).where(coverage_units.c.session.in_(sessions)))
    connection.execute(delete(coverage_files).where(coverage_files.c.session.in_(sessions)))
    connection.execute(delete(coverage_sessions).where(coverage_sessions.c.id.in_(sessions)))
    used = exists().where(coverage_hits.c.function == coverage_functions.c.id)
    connection.execute(delete(coverage_functions).where(~used))


class EngineReader:
    """A `map_read.Reader` over the store's engine (a server database): one connection,
    held while the map is in use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.connection = store.engine.connect()
        self.qmark = store.engine.dialect.paramstyle == "qmark"

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if not self.qmark:
            sql = sql.replace("?", "%s")
        try:
            result = self.connection.exec_driver_sql(sql, tuple(parameters))
            return [tuple(row) for row in result]
        except DatabaseError as error:
            self.connection.rollback()
            first = str(error.orig or error).strip().splitlines()
            raise PitstopError(f"history database: {first[0] if first else error}") from None

    def close(self) -> None:
        self.connection.close()
        self.store.close()


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
