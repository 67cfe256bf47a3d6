"""The test map in the history database: write a session's recording, read back the map
the selection uses (every session recorded at the newest recorded commit, merged).

Several sessions at one commit are one map: the xdist workers of one run, the shards of one
CI run, a re-run. The map keeps the sessions of the last KEEP_COMMITS commits recorded per
repository; older ones are deleted when a new one is written."""

from __future__ import annotations

import hashlib
import os
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, exists, func, select

from pitstop.history.schema import (
    coverage_files,
    coverage_functions,
    coverage_hits,
    coverage_sessions,
    coverage_unit_fixtures,
    coverage_units,
)
from pitstop.history.store import Store
from pitstop.testmap import (
    FIXTURE,
    ITEM,
    CoverageMap,
    FileState,
    Function,
    Hit,
    Recording,
)

KEEP_COMMITS = 3
EARLY = "early"
_CHUNK = 500  # values per IN (...) list


def repository_name(root: Path, environment: Mapping[str, str] | None = None) -> str:
    """What names the repository in a shared database: GITHUB_REPOSITORY in GitHub Actions,
    else the name of the root folder (the same in every checkout of it)."""
    environment = os.environ if environment is None else environment
    return environment.get("GITHUB_REPOSITORY") or root.resolve().name


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
        _forget_old(connection, repository)
    return int(session)


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
    sessions = select(coverage_sessions.c.id).where(
        coverage_sessions.c.repository == repository, coverage_sessions.c.commit_sha.in_(old)
    )
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


def read_map(store: Store, repository: str) -> CoverageMap | None:
    """The map of the newest commit recorded for `repository`, or None when there is none.
    `hits` reads from `store`, which must stay open while the map is used."""
    with store.engine.connect() as connection:
        newest = connection.execute(
            select(coverage_sessions.c.commit_sha, coverage_sessions.c.recorded_at)
            .where(coverage_sessions.c.repository == repository)
            .order_by(coverage_sessions.c.recorded_at.desc(), coverage_sessions.c.id.desc())
            .limit(1)
        ).first()
        if newest is None:
            return None
        commit, recorded_at = str(newest[0]), float(newest[1])
        found = connection.execute(
            select(coverage_sessions.c.id, coverage_sessions.c.backend).where(
                coverage_sessions.c.repository == repository,
                coverage_sessions.c.commit_sha == commit,
            )
        ).all()
        sessions = [int(row[0]) for row in found]
        lambdas = all(row[1] == "monitoring" for row in found)
        units = _units(connection, sessions)
        files: dict[str, set[FileState]] = defaultdict(set)
        rows = connection.execute(
            select(coverage_files.c.path, coverage_files.c.sha256, coverage_files.c.skeleton).where(
                coverage_files.c.session.in_(sessions)
            )
        )
        for path, sha256, skeleton in rows:
            files[path].add(FileState(sha256, skeleton))
    test_files = frozenset(u["test_file"] for u in units.values() if u["kind"] == ITEM)
    users = _fixture_users(units)
    spawned: set[str] = set()
    for unit in units.values():
        if unit["spawned"]:
            spawned |= _test_files_of(unit, users)
    early = frozenset(u["name"] for u in units.values() if u["kind"] == EARLY)

    def hits(paths: Collection[str]) -> list[Hit]:
        return _hits(store, sessions, units, users, paths)

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


def _units(connection: Connection, sessions: list[int]) -> dict[int, dict[str, Any]]:
    units: dict[int, dict[str, Any]] = {}
    query = select(
        coverage_units.c.id,
        coverage_units.c.session,
        coverage_units.c.kind,
        coverage_units.c.name,
        coverage_units.c.test_file,
        coverage_units.c.spawned,
    ).where(coverage_units.c.session.in_(sessions))
    for pk, session, kind, name, test_file, spawned in connection.execute(query):
        units[pk] = {
            "session": session,
            "kind": kind,
            "name": name,
            "test_file": test_file,
            "spawned": bool(spawned),
            "fixtures": [],
        }
    query = (
        select(coverage_unit_fixtures.c.unit, coverage_unit_fixtures.c.fixture)
        .join(coverage_units, coverage_units.c.id == coverage_unit_fixtures.c.unit)
        .where(coverage_units.c.session.in_(sessions))
    )
    for row in connection.execute(query):
        units[row[0]]["fixtures"].append(row[1])
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


def _hits(
    store: Store,
    sessions: list[int],
    units: dict[int, dict[str, Any]],
    users: dict[tuple[int, str], set[str]],
    paths: Collection[str],
) -> list[Hit]:
    found: list[Hit] = []
    with store.engine.connect() as connection:
        for chunk in _chunks(sorted(paths)):
            query = (
                select(
                    coverage_hits.c.unit,
                    coverage_functions.c.path,
                    coverage_functions.c.qualname,
                    coverage_functions.c.digest,
                )
                .join(coverage_functions, coverage_functions.c.id == coverage_hits.c.function)
                .join(coverage_units, coverage_units.c.id == coverage_hits.c.unit)
                .where(coverage_functions.c.path.in_(chunk), coverage_units.c.session.in_(sessions))
            )
            for unit_id, path, qualname, digest in connection.execute(query):
                unit = units[unit_id]
                function = Function(path, qualname, digest)
                files = frozenset(_test_files_of(unit, users))
                found.append(Hit(unit["kind"], unit["name"], files, function))
    return found


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
