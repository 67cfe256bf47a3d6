"""The history store: open a database (create or upgrade its schema) and write a CI run's
records into it, idempotently by natural keys, each input in one transaction; prune old runs.

Writers take turns: on SQLite every write transaction starts with BEGIN IMMEDIATE (the
database's one write lock, waited for up to the busy timeout), on PostgreSQL with a
transaction-scoped advisory lock. Readers never wait for writers (SQLite in WAL mode,
PostgreSQL's MVCC). Taking turns is what makes the counts exact and rules out deadlocks
between recorders interning the same test names in different orders; a recording holds the
lock for as long as its input takes to write (about 2 s per 100,000 test results)."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    ProgrammingError,
)

from pitstop.errors import PitstopError
from pitstop.files import HISTORY_FILE, prepare_state_folder, state_folder
from pitstop.history import schema
from pitstop.history.map_read import SCHEMA_VERSION as MAP_SCHEMA_VERSION
from pitstop.history.map_read import pack_ids
from pitstop.history.schema import (
    bench_files,
    bench_timings,
    build_steps,
    builds,
    images,
    jobs,
    runs,
    steps,
    test_results,
    tests,
)
from pitstop.parsers.benchmarks import BenchmarkResults
from pitstop.runs import (
    Build,
    BuildStep,
    ImageSize,
    Job,
    Outcome,
    RunIdentity,
    Step,
    TestResult,
)

SCHEMA_VERSION = MAP_SCHEMA_VERSION
"""The schema this pitstop writes (defined in map_read, which must not import SQLAlchemy). Versions:
1: runs, tests, test_results, jobs, steps, builds, build_steps, images.
2: the test map (coverage_sessions, coverage_files, coverage_functions, coverage_units,
coverage_unit_fixtures, coverage_hits).
3: benchmark runs (bench_files, bench_timings).
4: the test map's hits packed, a row per unit (coverage_unit_functions, replacing
coverage_hits), and the functions each session ran (coverage_session_functions)."""

BATCH = 2000  # test results written per executemany: memory stays flat, round trips few
CACHE_KIB = 64 * 1024  # SQLite's page cache per connection: at most this much memory
BUSY_SECONDS = 30  # how long a SQLite writer waits for another one before giving up
_PG_LOCK = 0x7069_7473_746F_70  # "pitstop": the advisory lock PostgreSQL writers take turns on
_URL_HELP = "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
_RUN_KEY = ("repository", "workflow", "run_id", "attempt", "job")


@dataclass(frozen=True)
class Upgrade:
    """A step that brings a database from version `version - 1` to `version`."""

    version: int
    summary: str
    apply: Callable[[Connection], None]


def _create_version_1(connection: Connection) -> None:
    # Version 1 is the schema module as first written; when version 2 changes a table,
    # this step must go on creating version 1's tables (copy them here), not the new ones.
    schema.metadata.create_all(connection)


def _create_version_2(connection: Connection) -> None:
    schema.coverage_metadata.create_all(connection)


def _create_version_3(connection: Connection) -> None:
    schema.bench_metadata.create_all(connection)


def _create_version_4(connection: Connection) -> None:
    """Pack the hits of version 2 into a row per unit, list each session's functions, and
    drop the row-per-hit table: nothing recorded is lost."""
    schema.packed_map_metadata.create_all(connection)
    hits = schema.coverage_hits
    units = schema.coverage_units
    connection.execute(
        schema.coverage_session_functions.insert().from_select(
            ["session", "function"],
            select(units.c.session, hits.c.function)
            .join(units, units.c.id == hits.c.unit)
            .distinct(),
        )
    )
    rows = connection.execute(select(hits.c.unit, hits.c.function).order_by(hits.c.unit))
    unit: int | None = None
    functions: list[int] = []
    packed: list[dict[str, object]] = []
    for unit_id, function in rows:
        if unit_id != unit and functions:
            packed.append({"unit": unit, "functions": pack_ids(functions)})
            functions = []
        unit = unit_id
        functions.append(function)
        if len(packed) >= BATCH:
            connection.execute(schema.coverage_unit_functions.insert(), packed)
            packed = []
    if functions:
        packed.append({"unit": unit, "functions": pack_ids(functions)})
    if packed:
        connection.execute(schema.coverage_unit_functions.insert(), packed)
    hits.drop(connection)


# Applied in order, all in one transaction, from the database's version to SCHEMA_VERSION.
UPGRADES: list[Upgrade] = [
    Upgrade(1, "the first schema", _create_version_1),
    Upgrade(2, "the test map of pytest --pitstop-record", _create_version_2),
    Upgrade(3, "benchmark runs of pitstop record bench", _create_version_3),
    Upgrade(4, "the test map's hits packed a row per unit", _create_version_4),
]


@dataclass(frozen=True)
class Counts:
    """The input's records (test results, jobs, builds or images) that were new and that the
    store already held."""

    added: int
    already: int


def database_url(root: Path, option: str | None) -> str:
    """The history database's URL: the --db option, else $PITSTOP_DB, else a SQLite file in
    `root`'s .pitstop folder (created; refused when .pitstop is a symlink)."""
    chosen = option or os.environ.get("PITSTOP_DB")
    if chosen:
        return _checked_url(chosen).render_as_string(hide_password=False)
    folder = state_folder(root)
    if folder is None:
        raise PitstopError(
            ".pitstop is a symlink or not a folder; not used for the history: give --db",
            path=str(root),
        )
    try:
        prepare_state_folder(folder)
    except OSError as error:
        raise PitstopError(f"cannot create: {error.strerror or error}", path=str(folder)) from None
    return f"sqlite:///{(folder / HISTORY_FILE).absolute()}"


def existing(url: str) -> bool:
    """Whether the database of `url` may hold a history: a SQLite file that exists, or any
    server database (asking the server is Store.open's job)."""
    parsed = _checked_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    return parsed.database is not None and Path(parsed.database).is_file()


def _checked_url(text: str) -> URL:
    """`text` as a URL pitstop can store into (postgresql:// means psycopg 3); PitstopError,
    without the password, otherwise."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise PitstopError(f"not a database URL ({_URL_HELP})") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        shown = url.render_as_string(hide_password=True)
        raise PitstopError(f"unsupported database {shown}: {_URL_HELP}")
    return url


class Store:
    """An open history database. Every record_* call is one transaction: all or nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._postgresql else sqlite.insert
        self._add_results = _BulkInsert(engine, self._insert, test_results, _RESULT_COLUMNS)
        self._add_tests = _BulkInsert(engine, self._insert, tests, ("name", "name_hash"))

    @classmethod
    def open(cls, url: str) -> Store:
        """Open the database at `url`, creating or upgrading its schema; PitstopError when
        it cannot be reached, is newer than this pitstop, or is not a pitstop database."""
        checked = _checked_url(url)
        shown = checked.render_as_string(hide_password=True)
        engine = _engine(checked)
        try:
            with _database_errors(f"cannot open the history database {shown}", opening=True):
                _upgrade(engine, shown)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def record_tests(
        self,
        run: RunIdentity,
        results: Iterable[TestResult],
        *,
        recorded_at: float | None = None,
    ) -> Counts:
        """Record a run's test results, read from `results` BATCH at a time."""
        with self._writing() as connection:
            run_pk, new = self._run_row(connection, run, recorded_at)
            before = 0 if new else _results_of(connection, run_pk)
            total = 0
            for batch in _batches(results):
                total += len(batch)
                # In the file's order: the history takes a file's first test to be the one
                # with the lowest id (`pitstop shard`'s setup cost), so ids follow the run.
                names = list(dict.fromkeys(_clean(r.test) for r in batch))
                ids = self._intern(connection, names)
                rows = [_result_row(run_pk, ids[_clean(r.test)], r) for r in batch]
                self._add_results.execute(connection, rows)
            added = _results_of(connection, run_pk) - before
        return Counts(added, total - added)

    def record_jobs(
        self, run: RunIdentity, jobs: Sequence[Job], *, recorded_at: float | None = None
    ) -> Counts:
        """Record a workflow run's jobs and their steps; each job is a run of its own (the
        identity with job=the job's name)."""
        added = 0
        with self._writing() as connection:
            for job in jobs:
                run_pk, _ = self._run_row(connection, _job_identity(run, job), recorded_at)
                job_pk, new = self._job_row(connection, run_pk, job)
                added += new
                rows = [_fit(steps, _step_values(job_pk, step)) for step in job.steps]
                if rows:
                    connection.execute(self._insert(steps).on_conflict_do_nothing(), rows)
        return Counts(added, len(jobs) - added)

    def record_build(
        self,
        run: RunIdentity,
        build: Build,
        source_sha256: str,
        *,
        recorded_at: float | None = None,
    ) -> Counts:
        """Record an image build, keyed by the run and the digest of the log it came from."""
        with self._writing() as connection:
            run_pk, _ = self._run_row(connection, run, recorded_at)
            row = {
                "run": run_pk,
                "source_sha256": source_sha256,
                "image": build.image,
                "digest": build.digest,
                "steps": len(build.steps),
                "cached_steps": sum(s.cached for s in build.steps),
                "seconds": build.seconds,
            }
            new = self._insert_new(connection, builds, row)
            build_pk = connection.execute(
                select(builds.c.id).where(
                    builds.c.run == run_pk, builds.c.source_sha256 == source_sha256
                )
            ).scalar_one()
            rows = [_fit(build_steps, _build_step_values(build_pk, s)) for s in build.steps]
            if new and rows:
                connection.execute(self._insert(build_steps).on_conflict_do_nothing(), rows)
        return Counts(1, 0) if new else Counts(0, 1)

    def record_image(
        self, run: RunIdentity, size: ImageSize, *, recorded_at: float | None = None
    ) -> Counts:
        """Record an image's size in a run (the first size recorded for it stays)."""
        with self._writing() as connection:
            run_pk, _ = self._run_row(connection, run, recorded_at)
            row = {"run": run_pk, "image": size.image, "bytes": size.bytes}
            new = self._insert_new(connection, images, row)
        return Counts(1, 0) if new else Counts(0, 1)

    def record_bench(
        self,
        run: RunIdentity,
        results: BenchmarkResults,
        source_sha256: str,
        *,
        recorded_at: float | None = None,
    ) -> Counts:
        """Record one benchmark results file (one run of the suite) with its raw timings,
        keyed by the run and the file's digest; benchmarks without timings are left out."""
        timed = [b for b in results.benchmarks if b.timings and not b.missing]
        with self._writing() as connection:
            run_pk, _ = self._run_row(connection, run, recorded_at)
            row = {"run": run_pk, "source_sha256": source_sha256, "tool": results.tool}
            if not self._insert_new(connection, bench_files, row):
                return Counts(0, len(timed))
            file_pk = connection.execute(
                select(bench_files.c.id).where(
                    bench_files.c.run == run_pk, bench_files.c.source_sha256 == source_sha256
                )
            ).scalar_one()
            rows = [
                {
                    "file": file_pk,
                    "name_hash": _name_hash(b.name),
                    "name": b.name,
                    "timings": json.dumps(b.timings),
                }
                for b in timed
            ]
            if rows:
                connection.execute(bench_timings.insert(), rows)
        return Counts(len(timed), 0)

    def prune(self, before: float) -> int:
        """Delete the runs first recorded before `before` (epoch seconds) with all their
        rows, then the test names no run refers to any more; the number of runs deleted."""
        old = select(runs.c.id).where(runs.c.recorded_at < before)
        old_jobs = select(jobs.c.id).where(jobs.c.run.in_(old))
        old_builds = select(builds.c.id).where(builds.c.run.in_(old))
        old_bench = select(bench_files.c.id).where(bench_files.c.run.in_(old))
        with self._writing() as connection:
            connection.execute(delete(steps).where(steps.c.job.in_(old_jobs)))
            connection.execute(delete(build_steps).where(build_steps.c.build.in_(old_builds)))
            connection.execute(delete(bench_timings).where(bench_timings.c.file.in_(old_bench)))
            for table in (jobs, builds, test_results, images, bench_files):
                connection.execute(delete(table).where(table.c.run.in_(old)))
            deleted = connection.execute(delete(runs).where(runs.c.recorded_at < before))
            used = exists().where(test_results.c.test == tests.c.id)
            connection.execute(delete(tests).where(~used))
        return deleted.rowcount

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction, once this writer's turn has come (see the module's doc)."""
        with _database_errors("history database"), self.engine.connect() as connection:
            connection.execution_options(pitstop_write=True)
            with connection.begin():
                if self._postgresql:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
                yield connection

    def _run_row(
        self, connection: Connection, run: RunIdentity, recorded_at: float | None
    ) -> tuple[int, bool]:
        """The runs row of `run` (its id, and whether it is new). An existing row keeps its
        recorded_at; its empty commit, branch or event are filled from `run`."""
        row = _fit(runs, _run_values(run))
        row["recorded_at"] = time.time() if recorded_at is None else recorded_at
        new = self._insert_new(connection, runs, row, index=_RUN_KEY)
        key = [runs.c[name] == row[name] for name in _RUN_KEY]
        run_pk: int = connection.execute(select(runs.c.id).where(*key)).scalar_one()
        if not new:
            for name in ("commit_sha", "branch", "event"):
                if row[name]:
                    column = runs.c[name]
                    filled = update(runs).where(runs.c.id == run_pk, column == "")
                    connection.execute(filled.values({name: row[name]}))
        return run_pk, new

    def _job_row(self, connection: Connection, run_pk: int, job: Job) -> tuple[int, bool]:
        row = _fit(jobs, _job_values(run_pk, job))
        new = self._insert_new(connection, jobs, row)
        query = select(jobs.c.id).where(jobs.c.run == run_pk, jobs.c.job_id == row["job_id"])
        return connection.execute(query).scalar_one(), new

    def _insert_new(
        self,
        connection: Connection,
        table: Table,
        row: dict[str, Any],
        index: Sequence[str] | None = None,
    ) -> bool:
        """Insert `row` unless its natural key is there; whether it was inserted."""
        statement = self._insert(table).values(_fit(table, row))
        statement = statement.on_conflict_do_nothing(index_elements=index)
        # RETURNING, not rowcount: psycopg gives no rowcount for an insert that returns ids.
        returning = statement.returning(*table.primary_key.columns)
        return connection.execute(returning).first() is not None

    def _intern(self, connection: Connection, names: Sequence[str]) -> dict[str, int]:
        """The tests ids of `names`, inserting the names not yet known in their order."""
        hashes = {_name_hash(name): name for name in names}
        ids = self._test_ids(connection, hashes)
        missing = {h: n for h, n in hashes.items() if n not in ids}
        if missing:
            self._add_tests.execute(connection, [(n, h) for h, n in missing.items()])
            ids.update(self._test_ids(connection, missing))
        return ids

    def _test_ids(self, connection: Connection, hashes: dict[str, str]) -> dict[str, int]:
        """The ids of the known names among `hashes` (name_hash: name). Plain SQL: SQLAlchemy
        would render and process the up to BATCH parameters again at every call."""
        if self._postgresql:
            query = "SELECT name_hash, id FROM tests WHERE name_hash = ANY(%(hashes)s)"
            found = connection.exec_driver_sql(query, {"hashes": list(hashes)})
        else:
            marks = ",".join("?" * len(hashes))
            query = f"SELECT name_hash, id FROM tests WHERE name_hash IN ({marks})"
            found = connection.exec_driver_sql(query, tuple(hashes))
        return {hashes[h]: pk for h, pk in found}


class _BulkInsert:
    """INSERT ... ON CONFLICT DO NOTHING of many rows, compiled once and given to the
    driver's executemany as plain tuples: a million rows would spend more time in
    SQLAlchemy's per-row parameter handling than in SQLite."""

    def __init__(self, engine: Engine, insert: Any, table: Table, columns: Sequence[str]) -> None:
        values: dict[str, Any] = {name: bindparam(name) for name in columns}
        statement = insert(table).values(values).on_conflict_do_nothing()
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.columns = tuple(columns)
        # qmark (SQLite) takes tuples in the compiled order; pyformat (psycopg) takes dicts.
        self.positional = compiled.positiontup is not None
        if self.positional and tuple(compiled.positiontup or ()) != self.columns:
            raise AssertionError(f"{table.name}: parameters out of order")

    def execute(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.positional:
            connection.exec_driver_sql(self.sql, rows)
        else:
            connection.exec_driver_sql(
                self.sql, [dict(zip(self.columns, r, strict=True)) for r in rows]
            )


def _engine(url: URL) -> Engine:
    """An engine for `url`: SQLite with WAL, a busy timeout and foreign keys on every
    connection, and transactions begun by us (see _begin); PostgreSQL through psycopg 3."""
    try:
        if url.get_backend_name() == "postgresql":
            return create_engine(url, connect_args={"connect_timeout": 10})
        engine = create_engine(url)
    except ImportError:
        raise PitstopError(
            "a PostgreSQL history needs psycopg 3: pip install 'pitstop[history]'"
        ) from None
    except NoSuchModuleError:
        raise PitstopError(f"unsupported database: {_URL_HELP}") from None
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 would begin transactions itself, and only before DML; with
    # isolation_level None it leaves BEGIN to _begin, so DDL is transactional as well.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")  # first: the others may wait
    cursor.execute("PRAGMA foreign_keys = ON")
    _write_ahead_log(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode but for a power cut
    # A large input is one transaction: with the default 2 MiB page cache its index pages
    # (test names hash to random places) would be spilled and read back over and over.
    cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    cursor.close()


def _write_ahead_log(cursor: Any) -> None:
    """Put the database in WAL mode (it stays so: later connections find it there). The
    switch needs the database to itself, and SQLite answers "database is locked" at once,
    without its busy timeout, when other processes open a new database at the same moment
    (measured: 23 of 200 trials of ten processes): it is retried until the busy timeout."""
    import random
    import sqlite3

    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))  # spread the retries of the others


def _begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front (waiting up to the busy timeout): a deferred
    # transaction that reads and then writes fails at once when another writer went first.
    write = connection.get_execution_options().get("pitstop_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _upgrade(engine: Engine, shown: str) -> None:
    """Bring the database to SCHEMA_VERSION: read its version, and when it is older, take
    the write lock, read it again (another process may have upgraded it meanwhile) and
    apply the missing steps in one transaction."""
    with engine.connect() as connection:
        current = _version(connection, shown)
    if current == SCHEMA_VERSION:
        return
    with engine.connect() as connection:
        connection.execution_options(pitstop_write=True)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            current = _version(connection, shown)
            for step in UPGRADES:
                if current < step.version <= SCHEMA_VERSION:
                    step.apply(connection)
            if current < SCHEMA_VERSION:
                connection.execute(delete(schema.schema_version))
                connection.execute(schema.schema_version.insert(), {"version": SCHEMA_VERSION})


def _version(connection: Connection, shown: str) -> int:
    """The database's schema version, 0 when it is empty; PitstopError when it is newer
    than this pitstop or not a pitstop database."""
    names = inspect(connection).get_table_names()
    if schema.schema_version.name not in names:
        if names:
            problem = f"has tables but is not a pitstop history ({', '.join(sorted(names)[:3])})"
            raise PitstopError(f"{shown} {problem}: give another --db")
        return 0
    found = connection.execute(select(func.max(schema.schema_version.c.version))).scalar()
    if found is None:
        raise PitstopError(f"{shown}: its schema version is missing; not a pitstop history")
    if found > SCHEMA_VERSION:
        raise PitstopError(
            f"{shown} has schema version {found}, newer than this pitstop's "
            f"({SCHEMA_VERSION}): upgrade pitstop"
        )
    return int(found)


@contextmanager
def _database_errors(doing: str, *, opening: bool = False) -> Iterator[None]:
    """A database that cannot be reached, is locked too long, refuses a value or (when
    opening it) is not what it should be is the user's to fix: a one-line PitstopError (the
    driver's first line; no password in it). A constraint or SQL error while writing is
    pitstop's bug: it goes on with its traceback."""
    try:
        yield
    except DatabaseError as error:
        if not opening and isinstance(error, IntegrityError | ProgrammingError):
            raise
        first = str(error.orig or error).strip().splitlines()
        raise PitstopError(f"{doing}: {first[0] if first else type(error).__name__}") from None


def _batches(results: Iterable[TestResult]) -> Iterator[list[TestResult]]:
    iterator = iter(results)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _results_of(connection: Connection, run_pk: int) -> int:
    query = select(func.count()).select_from(test_results).where(test_results.c.run == run_pk)
    return int(connection.execute(query).scalar_one())


_RESULT_COLUMNS = ("run", "test", "outcome", "attempts", "failures", "seconds", "message")
_FAILED = (Outcome.FAILED, Outcome.ERROR)


def _result_row(run_pk: int, test_pk: int, result: TestResult) -> tuple[Any, ...]:
    """A test_results row, its values in _RESULT_COLUMNS' order."""
    failed = [a for a in result.attempts if a.outcome in _FAILED]
    message = _clean(failed[-1].message) if failed else ""
    outcome = result.outcome.value
    return (run_pk, test_pk, outcome, len(result.attempts), len(failed), result.seconds, message)


def _job_identity(run: RunIdentity, job: Job) -> RunIdentity:
    """The run a job is: `run` with job=the job's name; what the jobs JSON says of the
    workflow, run, branch and commit fills the fields `run` leaves empty, and its attempt
    (a fact about this job) wins over the identity's default."""
    return replace(
        run,
        job=job.name,
        workflow=run.workflow or job.workflow,
        run_id=run.run_id or job.run_id,
        branch=run.branch or job.branch,
        commit=run.commit or job.commit,
        attempt=run.attempt if job.attempt is None else job.attempt,
    )


def _run_values(run: RunIdentity) -> dict[str, Any]:
    return {
        "repository": run.repository,
        "workflow": run.workflow,
        "run_id": run.run_id,
        "attempt": run.attempt,
        "job": run.job,
        "commit_sha": run.commit,
        "branch": run.branch,
        "event": run.event,
    }


def _job_values(run_pk: int, job: Job) -> dict[str, Any]:
    return {
        "run": run_pk,
        "job_id": job.job_id,
        "name": job.name,
        "conclusion": job.conclusion,
        "runner": job.runner,
        "created_at": _epoch(job.created),
        "started_at": _epoch(job.started),
        "completed_at": _epoch(job.completed),
        "queue_seconds": job.queue_seconds,
        "seconds": job.seconds,
    }


def _step_values(job_pk: int, step: Step) -> dict[str, Any]:
    return {
        "job": job_pk,
        "number": step.number,
        "name": step.name,
        "conclusion": step.conclusion,
        "seconds": step.seconds,
    }


def _build_step_values(build_pk: int, step: BuildStep) -> dict[str, Any]:
    return {
        "build": build_pk,
        "number": step.number,
        "name": step.name,
        "cached": step.cached,
        "seconds": step.seconds,
    }


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _clean(value: str) -> str:
    # PostgreSQL refuses NUL in text; SQLite would keep it: store the same on both.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _fit(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """`row` with its strings cleaned and cut to their columns' lengths (PostgreSQL refuses
    a longer value; SQLite would keep it): the same row on both backends."""
    fitted = dict(row)
    for name, value in row.items():
        if isinstance(value, str):
            column: Column[Any] = table.c[name]
            length = column.type.length if isinstance(column.type, String) else None
            fitted[name] = _clean(value)[:length] if length else _clean(value)
    return fitted
