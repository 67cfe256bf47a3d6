"""The test map in the history database: written by sessions, merged by commit, pruned."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy import inspect as sqlalchemy_inspect

from pitstop.history import schema
from pitstop.history.coverage import KEEP_COMMITS, EngineReader, write_recording
from pitstop.history.map_read import SqliteReader, read_map
from pitstop.history.store import Store
from pitstop.testmap import FIXTURE, IMPORT, ITEM, FileState, Function, Recording, Unit

F = Function("pkg/a.py", "f", "d1")
G = Function("pkg/a.py", "g", "d2")
H = Function("pkg/b.py", "h", "d3")


def recording(commit: str, worker: str, units: tuple[Unit, ...], early=()) -> Recording:
    files = {"pkg/a.py": FileState("s" * 64, "k1"), "pkg/b.py": FileState("t" * 64, "k2")}
    return Recording(commit, False, "monitoring", "3.12.1", worker, files, (F, G, H), units, early)


def reader(url: str):
    """What `pitstop affected` reads the map with: sqlite3 for SQLite, else the engine."""
    if url.startswith("sqlite:///"):
        return SqliteReader(Path(url.removeprefix("sqlite:///")))
    return EngineReader(Store.open(url))


def test_workers_of_one_commit_merge_into_one_map(database_url):
    store = Store.open(database_url)
    try:
        first = (Unit(ITEM, "tests/test_a.py::t", "tests/test_a.py", frozenset({0})),)
        second = (
            Unit(ITEM, "tests/test_b.py::t", "tests/test_b.py", frozenset({1}), ("db@",)),
            Unit(FIXTURE, "db@", "", frozenset({2}), spawned=True),
            Unit(IMPORT, "pkg/c.py", "", frozenset({0})),
        )
        write_recording(store, "demo", recording("c1", "gw0", first), recorded_at=1.0)
        write_recording(
            store, "demo", recording("c1", "gw1", second, ("pkg/b.py",)), recorded_at=2.0
        )
        reading = reader(database_url)
        found = read_map(reading, "demo")
        assert found is not None
        assert found.commit == "c1" and found.recorded_at == 2.0
        assert found.test_files == {"tests/test_a.py", "tests/test_b.py"}
        assert found.spawned == {"tests/test_b.py"}  # through the fixture it used
        assert found.early == {"pkg/b.py"}
        assert found.files["pkg/a.py"] == {FileState("s" * 64, "k1")}
        hits = {
            (h.kind, h.function.qualname, tuple(sorted(h.test_files)))
            for h in found.hits(["pkg/b.py"])
        }
        assert hits == {(FIXTURE, "h", ("tests/test_b.py",))}
        kinds = {h.kind for h in found.hits(["pkg/a.py"])}
        assert kinds == {ITEM, IMPORT}
        assert read_map(reading, "another") is None
        reading.close()
    finally:
        store.close()


def test_the_newest_commit_wins_and_old_commits_are_pruned(database_url):
    store = Store.open(database_url)
    try:
        unit = (Unit(ITEM, "tests/test_a.py::t", "tests/test_a.py", frozenset({0, 1})),)
        for number in range(KEEP_COMMITS + 2):
            write_recording(
                store, "demo", recording(f"c{number}", "main", unit), recorded_at=number
            )
        reading = reader(database_url)
        found = read_map(reading, "demo")
        reading.close()
        assert found is not None and found.commit == f"c{KEEP_COMMITS + 1}"
        with store.engine.connect() as connection:
            commits = connection.execute(
                select(func.count(func.distinct(schema.coverage_sessions.c.commit_sha)))
            ).scalar_one()
            functions = connection.execute(
                select(func.count()).select_from(schema.coverage_functions)
            ).scalar_one()
        assert commits == KEEP_COMMITS
        assert functions == 2  # f and g, interned once and shared; h, never hit, forgotten
    finally:
        store.close()


def test_a_database_older_than_the_map_has_none(tmp_path):
    import sqlite3

    path = tmp_path / "history.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pitstop_schema_version (version INTEGER)")
        connection.execute("INSERT INTO pitstop_schema_version VALUES (1)")
    reading = SqliteReader(path)
    assert read_map(reading, "demo") is None
    reading.close()


def items(*names: str) -> tuple[Unit, ...]:
    return tuple(Unit(ITEM, name, name.partition("::")[0], frozenset({0})) for name in names)


def test_a_rerun_at_one_commit_replaces_the_sessions_it_covers(database_url):
    store = Store.open(database_url)
    try:
        write_recording(
            store, "demo", recording("c1", "gw0", items("a.py::1", "b.py::1")), recorded_at=1
        )
        write_recording(
            store, "demo", recording("c1", "gw1", items("a.py::2", "c.py::1")), recorded_at=2
        )
        write_recording(store, "demo", recording("c1", "shard2", items("d.py::1")), recorded_at=3)
        # an xdist re-run splits the items of the first two sessions differently
        write_recording(
            store, "demo", recording("c1", "gw0", items("a.py::1", "a.py::2")), recorded_at=4
        )
        write_recording(
            store, "demo", recording("c1", "gw1", items("b.py::1", "c.py::1")), recorded_at=5
        )
        with store.engine.connect() as connection:
            workers = (
                connection.execute(
                    select(schema.coverage_sessions.c.worker).order_by(
                        schema.coverage_sessions.c.recorded_at
                    )
                )
                .scalars()
                .all()
            )
        assert workers == ["shard2", "gw0", "gw1"]  # the shard's items were not recorded again
    finally:
        store.close()


def test_many_reruns_at_one_commit_leave_one_session(database_url):
    store = Store.open(database_url)
    try:
        for number in range(4):
            run = recording("c1", "main", items("a.py::1", "b.py::1"))
            write_recording(store, "demo", run, recorded_at=number)
        with store.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(schema.coverage_sessions)
            ).scalar_one()
        assert count == 1
    finally:
        store.close()


def test_renamed_parameters_still_supersede_but_a_partial_rerun_does_not(database_url):
    store = Store.open(database_url)
    try:
        # ids of parametrized tests can change from run to run (hash order): counted
        write_recording(
            store,
            "demo",
            recording("c1", "main", items("a.py::t[x1]", "a.py::t[x2]")),
            recorded_at=1,
        )
        write_recording(
            store,
            "demo",
            recording("c1", "main", items("a.py::t[x2]", "a.py::t[x3]")),
            recorded_at=2,
        )
        # re-running one test of the file keeps the session that ran all of it
        write_recording(store, "demo", recording("c1", "main", items("a.py::t[x2]")), recorded_at=3)
        with store.engine.connect() as connection:
            kept = (
                connection.execute(
                    select(schema.coverage_sessions.c.recorded_at).order_by(
                        schema.coverage_sessions.c.recorded_at
                    )
                )
                .scalars()
                .all()
            )
        assert kept == [2.0, 3.0]
    finally:
        store.close()


def test_an_existing_sqlite_history_is_written_without_the_store(tmp_path):
    from pitstop.history.map_write import SqliteWriter

    path = tmp_path / "history.db"
    assert not SqliteWriter.usable(path)  # no file: the store creates it
    Store.open(f"sqlite:///{path}").close()
    assert SqliteWriter.usable(path)
    first = (Unit(ITEM, "tests/test_a.py::t", "tests/test_a.py", frozenset({0}), ("db@",)),)
    SqliteWriter(path).write("demo", recording("c1", "main", first), 1.0)
    SqliteWriter(path).write("demo", recording("c2", "main", items("b.py::1")), 2.0)
    reading = SqliteReader(path)
    found = read_map(reading, "demo")
    assert found is not None and found.commit == "c2" and found.test_files == {"b.py"}
    reading.close()


def test_a_version_3_map_is_read_as_it_is_and_upgraded_without_loss(database_url, monkeypatch):
    """Version 3 wrote a row per (unit, function); version 4 packs a unit's functions into
    one row. A version 3 database is read as it is, and its upgrade keeps every hit."""
    from pitstop.history import store as store_module

    with monkeypatch.context() as patched:
        patched.setattr(store_module, "SCHEMA_VERSION", 3)
        patched.setattr(store_module, "UPGRADES", store_module.UPGRADES[:3])
        old = Store.open(database_url)
        with old.engine.begin() as connection:
            session = connection.execute(
                schema.coverage_sessions.insert().returning(schema.coverage_sessions.c.id),
                {
                    "repository": "demo",
                    "commit_sha": "c1",
                    "dirty": False,
                    "recorded_at": 1.0,
                    "backend": "monitoring",
                    "python": "3.12.1",
                    "worker": "main",
                },
            ).scalar_one()
            ids = {}
            for function in (F, G, H):
                ids[function] = connection.execute(
                    schema.coverage_functions.insert().returning(schema.coverage_functions.c.id),
                    {
                        "key_hash": function.qualname * 64,
                        "path": function.path,
                        "qualname": function.qualname,
                        "digest": function.digest,
                    },
                ).scalar_one()
            ran = {"tests/test_a.py::t": (F, G), "tests/test_b.py::t": (G, H)}
            for name, functions in ran.items():
                unit = connection.execute(
                    schema.coverage_units.insert().returning(schema.coverage_units.c.id),
                    {
                        "session": session,
                        "kind": ITEM,
                        "name": name,
                        "test_file": name.partition("::")[0],
                        "spawned": False,
                    },
                ).scalar_one()
                connection.execute(
                    schema.coverage_hits.insert(),
                    [{"unit": unit, "function": ids[f]} for f in functions],
                )
        old.close()

    def hits() -> set[tuple[str, str, tuple[str, ...]]]:
        reading = reader(database_url)
        try:
            found = read_map(reading, "demo")
            assert found is not None
            return {
                (h.function.path, h.function.qualname, tuple(sorted(h.test_files)))
                for h in found.hits(["pkg/a.py", "pkg/b.py"])
            }
        finally:
            reading.close()

    before = hits()  # read from the version 3 tables
    assert before == {
        ("pkg/a.py", "f", ("tests/test_a.py",)),
        ("pkg/a.py", "g", ("tests/test_a.py",)),
        ("pkg/a.py", "g", ("tests/test_b.py",)),
        ("pkg/b.py", "h", ("tests/test_b.py",)),
    }
    with monkeypatch.context() as patched:
        patched.setattr(store_module, "BATCH", 1)  # packed rows written while hits are read
        Store.open(database_url).close()  # the upgrade to version 4
    assert hits() == before
    upgraded = Store.open(database_url)
    try:
        with upgraded.engine.connect() as connection:
            tables = set(sqlalchemy_inspect(connection).get_table_names())
            listed = connection.execute(
                select(func.count()).select_from(schema.coverage_session_functions)
            ).scalar_one()
        assert "coverage_hits" not in tables
        assert listed == 3  # f, g and h, each once for the session
        # a later recording at another commit supersedes nothing, and shares the functions
        unit = (Unit(ITEM, "tests/test_a.py::t", "tests/test_a.py", frozenset({0})),)
        write_recording(upgraded, "demo", recording("c2", "main", unit), recorded_at=2.0)
    finally:
        upgraded.close()


def test_a_units_functions_pack_into_one_value_and_a_damaged_one_is_an_error():
    import pytest

    from pitstop.errors import PitstopError
    from pitstop.history.map_read import pack_ids, unpack_ids

    packed = pack_ids([7, 2**40, 3, 7])
    assert len(packed) == 24 and list(unpack_ids(memoryview(packed))) == [3, 7, 2**40]
    assert packed[:8] == (3).to_bytes(8, "little")  # the same bytes on every machine
    assert list(unpack_ids(pack_ids([]))) == []
    with pytest.raises(PitstopError, match="damaged"):
        unpack_ids(packed[:-1])
