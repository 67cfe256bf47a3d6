"""The history store on both backends: records round-trip, recording twice adds nothing, a
failed input leaves nothing behind, prune, schema versions and upgrade steps, errors."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text, update

from pitstop.errors import PitstopError
from pitstop.history import schema, store
from pitstop.history.analysis import recent_durations
from pitstop.history.schema import build_steps, builds, images, jobs, runs, steps, test_results
from pitstop.history.store import Counts, Store, Upgrade
from pitstop.runs import Attempt, Outcome, TestResult
from tests.history.records import build, identity, image, results
from tests.history.records import jobs as some_jobs

ALL_TABLES = (runs, schema.tests, test_results, jobs, steps, builds, build_steps, images)


@pytest.fixture
def opened(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


def count(opened: Store, table) -> int:
    with opened.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def counts(opened: Store) -> dict[str, int]:
    return {table.name: count(opened, table) for table in ALL_TABLES}


def version(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(schema.schema_version.c.version)).scalars().all()
    engine.dispose()
    return found[0] if len(found) == 1 else -1


# Records round-trip


def test_test_results_round_trip(opened):
    flaky = TestResult(
        "tests/test_x.py::TestA::test_b[param]",
        Outcome.FLAKY,
        (
            Attempt(Outcome.FAILED, 1.5, "first"),
            Attempt(Outcome.ERROR, 0.5, "second"),
            Attempt(Outcome.PASSED, 1.0),
        ),
    )
    skipped = TestResult(
        "tests/test_x.py::test_skip", Outcome.SKIPPED, (Attempt(Outcome.SKIPPED, None),)
    )
    assert opened.record_tests(identity(), [flaky, skipped], recorded_at=1000.0) == Counts(2, 0)
    query = (
        select(schema.tests.c.name, schema.tests.c.name_hash, test_results, runs.c.recorded_at)
        .join(test_results, test_results.c.test == schema.tests.c.id)
        .join(runs, runs.c.id == test_results.c.run)
        .order_by(schema.tests.c.name)
    )
    with opened.engine.connect() as connection:
        rows = [row._mapping for row in connection.execute(query)]
    assert [
        (r["name"], r["outcome"], r["attempts"], r["failures"], r["seconds"], r["message"])
        for r in rows
    ] == [
        ("tests/test_x.py::TestA::test_b[param]", "flaky", 3, 2, 3.0, "second"),
        ("tests/test_x.py::test_skip", "skipped", 1, 0, None, ""),
    ]
    assert rows[0]["name_hash"] == hashlib.sha256(rows[0]["name"].encode()).hexdigest()
    assert rows[0]["recorded_at"] == 1000.0


def test_new_tests_get_ids_in_the_runs_order(opened):
    # `pitstop shard` takes a file's first test (its setup cost) to be its lowest id: ids
    # follow the run's order, not a set's. Forty names: a set keeps that order by no chance.
    names = [f"tests/test_m.py::test_{i:02d}" for i in reversed(range(40))]
    passed = (Attempt(Outcome.PASSED, 0.1),)
    opened.record_tests(identity(), [TestResult(n, Outcome.PASSED, passed) for n in names])
    later = ["tests/test_m.py::test_new", names[0]]
    opened.record_tests(identity("1002"), [TestResult(n, Outcome.PASSED, passed) for n in later])
    query = select(schema.tests.c.name).order_by(schema.tests.c.id)
    with opened.engine.connect() as connection:
        assert list(connection.execute(query).scalars()) == [*names, later[0]]
    assert recent_durations(opened.engine, "main").first == {"tests/test_m.py": names[0]}


def test_jobs_are_runs_of_their_own_with_steps(opened):
    run = identity(run_id="", job="", workflow="")
    assert opened.record_jobs(run, some_jobs("77")) == Counts(2, 0)
    query = select(runs.c.job, runs.c.run_id, jobs.c.queue_seconds, jobs.c.seconds).join(
        jobs, jobs.c.run == runs.c.id
    )
    with opened.engine.connect() as connection:
        rows = sorted(tuple(row) for row in connection.execute(query))
    assert rows == [("build", "77", 60.0, 240.0), ("lint", "77", 60.0, 240.0)]
    assert count(opened, steps) == 6
    assert opened.record_jobs(run, some_jobs("77")) == Counts(0, 2)
    assert count(opened, steps) == 6


def test_builds_and_images_are_recorded_once(opened):
    assert opened.record_build(identity(), build(), "f" * 64) == Counts(1, 0)
    assert opened.record_image(identity(), image()) == Counts(1, 0)
    before = counts(opened)
    assert opened.record_build(identity(), build(), "f" * 64) == Counts(0, 1)
    assert opened.record_image(identity(), image()) == Counts(0, 1)
    assert counts(opened) == before
    with opened.engine.connect() as connection:
        row = connection.execute(select(builds.c.steps, builds.c.cached_steps)).one()
    assert tuple(row) == (3, 2)
    assert before["build_steps"] == 3


def test_long_names_are_stored_on_both_backends(opened):
    long_step = build().steps[2].__class__(4, "RUN " + "x" * 5000, False, 1.0)
    long = build().__class__("img", "", (long_step,), None)
    assert opened.record_build(identity(job="j" * 1000), long, "e" * 64) == Counts(1, 0)
    with opened.engine.connect() as connection:
        assert len(connection.execute(select(build_steps.c.name)).scalar_one()) == 5004
        assert len(connection.execute(select(runs.c.job)).scalar_one()) == 300


# Idempotency and transactions


def test_recording_the_same_results_twice_adds_nothing(opened):
    size = store.BATCH * 2 + 17  # several batches
    assert opened.record_tests(identity(), results(size), recorded_at=100.0) == Counts(size, 0)
    before = counts(opened)
    assert opened.record_tests(identity(), results(size), recorded_at=999.0) == Counts(0, size)
    assert counts(opened) == before
    assert before["runs"] == 1 and before["tests"] == size and before["test_results"] == size
    with opened.engine.connect() as connection:
        assert connection.execute(select(runs.c.recorded_at)).scalar_one() == 100.0


def test_recording_more_of_a_run_adds_only_the_new_results(opened):
    opened.record_tests(identity(), results(10))
    assert opened.record_tests(identity(), results(15)) == Counts(5, 10)
    assert count(opened, test_results) == 15


def test_a_second_record_fills_the_run_fields_the_first_left_empty(opened):
    opened.record_tests(identity(branch="", commit=""), results(1), recorded_at=5.0)
    opened.record_tests(identity(branch="main", commit="abc"), results(1), recorded_at=9.0)
    opened.record_tests(identity(branch="other", commit="def"), results(1), recorded_at=9.0)
    with opened.engine.connect() as connection:
        row = connection.execute(select(runs.c.branch, runs.c.commit_sha, runs.c.recorded_at)).one()
    assert tuple(row) == ("main", "abc", 5.0)


def test_an_input_that_fails_midway_leaves_nothing(opened):
    def failing() -> Iterator[TestResult]:
        yield from results(store.BATCH + 10)
        raise PitstopError("bad XML", path="report.xml", line=3)

    with pytest.raises(PitstopError, match="bad XML"):
        opened.record_tests(identity(), failing())
    assert counts(opened) == dict.fromkeys(counts(opened), 0)


# Prune


def test_prune_deletes_old_runs_their_rows_and_unused_test_names(opened):
    old, new = identity(run_id="1"), identity(run_id="2")
    opened.record_tests(old, results(5, prefix="old::t"), recorded_at=100.0)
    opened.record_tests(old, results(3, prefix="both::t"), recorded_at=100.0)
    opened.record_jobs(old, some_jobs("1"), recorded_at=100.0)
    opened.record_build(old, build(), "a" * 64, recorded_at=100.0)
    opened.record_image(old, image(), recorded_at=100.0)
    opened.record_tests(new, results(3, prefix="both::t"), recorded_at=200.0)
    opened.record_image(new, image(), recorded_at=200.0)
    old_runs = 1 + 2  # the tests' run and a run per job
    assert opened.prune(150.0) == old_runs
    assert counts(opened) == {
        "runs": 1,
        "tests": 3,
        "test_results": 3,
        "jobs": 0,
        "steps": 0,
        "builds": 0,
        "build_steps": 0,
        "images": 1,
    }
    assert opened.prune(150.0) == 0


# Schema versions and upgrade steps


def test_a_new_database_gets_the_current_version_and_opening_again_changes_nothing(
    database_url,
):
    Store.open(database_url).close()
    assert version(database_url) == store.SCHEMA_VERSION == 4
    Store.open(database_url).close()
    assert version(database_url) == 4


def test_a_version_1_database_gains_the_test_map_and_keeps_its_runs(database_url, monkeypatch):
    from pitstop.history.coverage import EngineReader
    from pitstop.history.map_read import read_map

    with monkeypatch.context() as patched:
        patched.setattr(store, "SCHEMA_VERSION", 1)
        patched.setattr(store, "UPGRADES", store.UPGRADES[:1])
        old = Store.open(database_url)
        old.record_image(identity(), image())
        old.close()
    assert version(database_url) == 1
    upgraded = Store.open(database_url)
    try:
        assert version(database_url) == store.SCHEMA_VERSION
        assert read_map(EngineReader(Store.open(database_url)), "r") is None  # tables, empty
        with upgraded.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(schema.images)).scalar() == 1
    finally:
        upgraded.close()


def test_the_upgrade_steps_lead_to_the_schema_version():
    assert [step.version for step in store.UPGRADES] == list(range(1, store.SCHEMA_VERSION + 1))


def test_a_newer_database_is_refused(database_url):
    Store.open(database_url).close()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(schema.schema_version).values(version=99))
    engine.dispose()
    expected = rf"schema version 99, newer than this pitstop's \({store.SCHEMA_VERSION}\)"
    with pytest.raises(PitstopError, match=expected):
        Store.open(database_url)


def test_a_database_with_other_tables_is_refused(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(PitstopError, match="has tables but is not a pitstop history"):
        Store.open(database_url)


NEXT = store.SCHEMA_VERSION + 1  # a version this pitstop does not have yet


def fake_next_step(calls: list[int]) -> Upgrade:
    def apply(connection) -> None:
        calls.append(NEXT)
        connection.execute(text("ALTER TABLE runs ADD COLUMN note TEXT"))

    return Upgrade(NEXT, "runs get a note", apply)


def with_next_step(monkeypatch, calls: list[int], step: Upgrade) -> None:
    """The real steps, each noting its version in `calls` when applied, then `step`."""

    def counted(real: Upgrade) -> Upgrade:
        def apply(connection) -> None:
            calls.append(real.version)
            real.apply(connection)

        return Upgrade(real.version, real.summary, apply)

    monkeypatch.setattr(store, "SCHEMA_VERSION", step.version)
    monkeypatch.setattr(store, "UPGRADES", [*map(counted, store.UPGRADES), step])


def test_upgrade_steps_run_once_in_order(database_url, monkeypatch):
    calls: list[int] = []
    with_next_step(monkeypatch, calls, fake_next_step(calls))
    Store.open(database_url).close()
    assert calls == list(range(1, NEXT + 1))
    assert version(database_url) == NEXT
    Store.open(database_url).close()
    assert calls == list(range(1, NEXT + 1))


def test_an_older_database_gets_only_the_steps_it_lacks(database_url, monkeypatch):
    Store.open(database_url).close()
    calls: list[int] = []
    with_next_step(monkeypatch, calls, fake_next_step(calls))
    opened = Store.open(database_url)
    assert calls == [NEXT]
    assert version(database_url) == NEXT
    with opened.engine.connect() as connection:
        assert connection.execute(text("SELECT count(note) FROM runs")).scalar_one() == 0
    opened.close()


def test_a_failing_upgrade_step_changes_nothing(database_url, monkeypatch):
    Store.open(database_url).close()

    def broken(connection) -> None:
        connection.execute(text("ALTER TABLE runs ADD COLUMN note TEXT"))
        connection.execute(text("SELECT no_such_column FROM runs"))

    with_next_step(monkeypatch, [], Upgrade(NEXT, "broken", broken))
    with pytest.raises(Exception, match="no_such_column"):
        Store.open(database_url)
    assert version(database_url) == NEXT - 1
    engine = create_engine(database_url)
    with engine.connect() as connection, pytest.raises(Exception, match="note"):
        connection.execute(text("SELECT note FROM runs"))
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(opened):
    if opened.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with opened.engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert pragmas == ["wal", 1, store.BUSY_SECONDS * 1000]


# Errors: one line, never the password


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://pitstop:s3cret@/history?host={tmp_path}&port=5999"
    with pytest.raises(PitstopError) as raised:
        Store.open(url)
    message = str(raised.value)
    assert message.startswith("cannot open the history database postgresql+psycopg://pitstop:***@")
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root:s3cret@db/history", "unsupported database mysql://root:***@db/history"),
        ("postgresql+psycopg2://u:s3cret@db/h", "unsupported database"),
    ],
)
def test_a_bad_url_is_refused_without_the_password(url, expected, tmp_path):
    with pytest.raises(PitstopError, match=re.escape(expected)) as raised:
        store.database_url(tmp_path, url)
    assert "s3cret" not in str(raised.value)
    with pytest.raises(PitstopError, match=re.escape(expected)):
        Store.open(url)


def test_postgresql_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` raises ImportError
    with pytest.raises(PitstopError, match=r"pip install 'pitstop\[history\]'"):
        Store.open("postgresql+psycopg://u@/h?host=/nowhere")


def test_sqlite_in_a_missing_folder_or_a_file_that_is_not_a_database(tmp_path):
    with pytest.raises(PitstopError, match=r"cannot open the history database.*unable to open"):
        Store.open(f"sqlite:///{tmp_path / 'missing' / 'h.db'}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(PitstopError, match="not a database"):
        Store.open(f"sqlite:///{junk}")


# Where the database is


def test_the_database_url_option_then_the_environment_then_the_state_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PITSTOP_DB", raising=False)
    default = store.database_url(tmp_path, None)
    assert default == f"sqlite:///{tmp_path / '.pitstop' / 'history.db'}"
    assert (tmp_path / ".pitstop" / ".gitignore").read_text().endswith("*\n")
    monkeypatch.setenv("PITSTOP_DB", "sqlite:///env.db")
    assert store.database_url(tmp_path, None) == "sqlite:///env.db"
    assert store.database_url(tmp_path, "postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"


def test_a_symlinked_state_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PITSTOP_DB", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".pitstop").symlink_to(elsewhere)
    with pytest.raises(PitstopError, match=r"\.pitstop is a symlink"):
        store.database_url(root, None)
    assert list(elsewhere.iterdir()) == []


def test_starting_the_cli_does_not_import_sqlalchemy():
    code = "import sys, pitstop.cli, pitstop.api; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_job_takes_the_identity_fields_and_fills_the_empty_ones_from_the_json(opened):
    opened.record_jobs(identity(run_id="5", workflow="", branch=""), some_jobs("77"))
    with opened.engine.connect() as connection:
        rows = connection.execute(select(runs.c.run_id, runs.c.workflow, runs.c.job)).all()
    assert sorted(tuple(row) for row in rows) == [("5", "", "build"), ("5", "", "lint")]
