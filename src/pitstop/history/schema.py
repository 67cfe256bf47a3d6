"""The history database's tables (SQLAlchemy Core). Every table a run's records go to has
a natural key, so recording the same input twice adds nothing.

Times are stored as UTC seconds since the epoch (float), durations in seconds (float), so
SQLite and PostgreSQL compare and aggregate them the same way."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# One row per database: the schema version it was brought to (store.SCHEMA_VERSION).
schema_version = Table(
    "pitstop_schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)

# A CI run as far as a record names it: (repository, workflow, run_id, attempt, job).
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repository", String(200), nullable=False),
    Column("workflow", String(300), nullable=False),
    Column("run_id", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("job", String(300), nullable=False),
    Column("commit_sha", String(64), nullable=False),
    Column("branch", String(300), nullable=False),
    Column("event", String(100), nullable=False),
    Column("recorded_at", Float, nullable=False),  # when first recorded (epoch seconds)
    UniqueConstraint("repository", "workflow", "run_id", "attempt", "job", name="runs_key"),
)
Index("runs_recorded", runs.c.recorded_at)
Index("runs_branch_recorded", runs.c.branch, runs.c.recorded_at)
# The flaky query looks for a passing result of the same test on the same commit.
Index("runs_commit", runs.c.commit_sha)

# Test names, interned: a test result row carries a small integer, not the name.
tests = Table(
    "tests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("name_hash", String(64), nullable=False, unique=True),  # sha256 of the name
)

# A test in a run: its outcome (runs.Outcome value), attempts, failed attempts, seconds.
test_results = Table(
    "test_results",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("test", Integer, ForeignKey("tests.id"), primary_key=True),
    Column("outcome", String(10), nullable=False),
    Column("attempts", SmallInteger, nullable=False),
    Column("failures", SmallInteger, nullable=False),  # attempts that failed or errored
    Column("seconds", Float),
    Column("message", Text, nullable=False),  # the last failure's first line, or ""
    # SQLite: the rows clustered by (run, test), so a window's runs read their results as
    # contiguous ranges rather than one rowid lookup per result (the report's main cost).
    sqlite_with_rowid=False,
)
Index("test_results_test", test_results.c.test)
# The few results that did not pass (failed, error, flaky, skipped), for the flaky query.
_NOT_PASSED = test_results.c.outcome != "passed"
Index(
    "test_results_not_passed",
    test_results.c.run,
    test_results.c.test,
    sqlite_where=_NOT_PASSED,
    postgresql_where=_NOT_PASSED,
)

# A job of a workflow run, as GitHub reports it (record github).
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("conclusion", String(50), nullable=False),
    Column("runner", String(300), nullable=False),
    Column("created_at", Float),
    Column("started_at", Float),
    Column("completed_at", Float),
    Column("queue_seconds", Float),
    Column("seconds", Float),
    UniqueConstraint("run", "job_id", name="jobs_key"),
)

steps = Table(
    "steps",
    metadata,
    Column("job", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # "Run <command>" for unnamed steps: unbounded
    Column("conclusion", String(50), nullable=False),
    Column("seconds", Float),
)

# An image build (record build): keyed by the run and the digest of the log it came from.
builds = Table(
    "builds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("image", String(500), nullable=False),
    Column("digest", String(100), nullable=False),
    Column("steps", Integer, nullable=False),
    Column("cached_steps", Integer, nullable=False),
    Column("seconds", Float),
    UniqueConstraint("run", "source_sha256", name="builds_key"),
)

build_steps = Table(
    "build_steps",
    metadata,
    Column("build", Integer, ForeignKey("builds.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # BuildKit names a step by its command
    Column("cached", Boolean, nullable=False),
    Column("seconds", Float),
)

images = Table(
    "images",
    metadata,
    Column("run", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("image", String(500), primary_key=True),
    Column("bytes", BigInteger, nullable=False),
)

# Version 2: the test map of `pytest --pitstop-record` (see pitstop.testmap). Tables of
# their own metadata, so that the version 1 step goes on creating version 1's tables only.
coverage_metadata = MetaData()

# One pytest session's recording (an xdist worker's, a CI shard's).
coverage_sessions = Table(
    "coverage_sessions",
    coverage_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repository", String(200), nullable=False),
    Column("commit_sha", String(64), nullable=False),
    Column("dirty", Boolean, nullable=False),
    Column("recorded_at", Float, nullable=False),
    Column("backend", String(20), nullable=False),
    Column("python", String(20), nullable=False),
    Column("worker", String(100), nullable=False),
)
Index("coverage_sessions_latest", coverage_sessions.c.repository, coverage_sessions.c.recorded_at)

# The files the session ran, as they were: what a later text is compared with.
coverage_files = Table(
    "coverage_files",
    coverage_metadata,
    Column(
        "session",
        Integer,
        ForeignKey("coverage_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", Text, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("skeleton", String(64), nullable=False),
)

# Functions by file, qualified name and source digest, interned (shared by sessions).
coverage_functions = Table(
    "coverage_functions",
    coverage_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("qualname", Text, nullable=False),
    Column("digest", String(64), nullable=False),
)
Index("coverage_functions_path", coverage_functions.c.path)

# Items, broad fixtures, imports, the collection, and files imported before recording began
# ("early", named by path).
coverage_units = Table(
    "coverage_units",
    coverage_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "session", Integer, ForeignKey("coverage_sessions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("kind", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("test_file", Text, nullable=False),
    Column("spawned", Boolean, nullable=False),
)
Index("coverage_units_session", coverage_units.c.session, coverage_units.c.kind)

# The broad fixtures (their `name@baseid`) an item used.
coverage_unit_fixtures = Table(
    "coverage_unit_fixtures",
    coverage_metadata,
    Column("unit", Integer, ForeignKey("coverage_units.id", ondelete="CASCADE"), primary_key=True),
    Column("fixture", Text, primary_key=True),
)

# Version 2's hits, a row per (unit, function): version 4 packs them (below) and drops it.
coverage_hits = Table(
    "coverage_hits",
    coverage_metadata,
    Column("unit", Integer, ForeignKey("coverage_units.id", ondelete="CASCADE"), primary_key=True),
    Column("function", Integer, ForeignKey("coverage_functions.id"), primary_key=True),
)
Index("coverage_hits_function", coverage_hits.c.function)

# Version 3: benchmark runs (`pitstop record bench`): each results file is one run of a
# benchmark suite, the unit of evidence `pitstop bench compare` judges by.
bench_metadata = MetaData()

bench_files = Table(
    "bench_files",
    bench_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run", Integer, ForeignKey(runs.c.id, ondelete="CASCADE"), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("tool", String(50), nullable=False),
    UniqueConstraint("run", "source_sha256", name="bench_files_key"),
)

# A benchmark's raw timings in one file: a JSON list of seconds (read whole, never queried).
bench_timings = Table(
    "bench_timings",
    bench_metadata,
    Column("file", Integer, ForeignKey("bench_files.id", ondelete="CASCADE"), primary_key=True),
    Column("name_hash", String(64), primary_key=True),  # sha256 of the name: names are long
    Column("name", Text, nullable=False),
    Column("timings", Text, nullable=False),
)

# Version 4: a unit's functions in one row (`map_read.pack_ids`), where version 2 wrote a row
# per (unit, function); and each session's functions once, which keeps an interned function
# while any session refers to it.
packed_map_metadata = MetaData()

coverage_unit_functions = Table(
    "coverage_unit_functions",
    packed_map_metadata,
    Column(
        "unit",
        Integer,
        ForeignKey(coverage_units.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("functions", LargeBinary, nullable=False),
)

coverage_session_functions = Table(
    "coverage_session_functions",
    packed_map_metadata,
    Column(
        "session",
        Integer,
        ForeignKey(coverage_sessions.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("function", Integer, ForeignKey(coverage_functions.c.id), primary_key=True),
)
Index("coverage_session_functions_function", coverage_session_functions.c.function)
