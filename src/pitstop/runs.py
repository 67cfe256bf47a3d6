"""Immutable records of what a CI run produced, shared by the parsers that read them (JUnit
XML, GitHub's jobs JSON, build logs), the history store that keeps them and the report.

Every duration is in seconds and every time is an aware UTC datetime; a figure the input
does not give is None, never a guess."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Outcome(enum.Enum):
    """A test's outcome in one run. FLAKY: it failed (or errored) on an attempt and passed
    on a later one of the same run: one test with attempts, neither a pass nor a failure."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    FLAKY = "flaky"


@dataclass(frozen=True)
class Attempt:
    """One execution of a test within a run (a rerun is another attempt)."""

    outcome: Outcome  # PASSED, FAILED, ERROR or SKIPPED (never FLAKY)
    seconds: float | None
    message: str = ""  # the first line of the failure message, at most 500 characters


@dataclass(frozen=True)
class TestResult:
    """A test of one run, its attempts merged. `test` is the runner's id: pytest's node id
    (`tests/test_x.py::TestA::test_b[param]`), `classname.name` for JUnit runners without
    file paths (Surefire, Jest), as they name it."""

    __test__ = False  # not a pytest test class, whatever its name

    test: str
    outcome: Outcome
    attempts: tuple[Attempt, ...]

    @property
    def seconds(self) -> float | None:
        """The time of all attempts together (what the test cost the run)."""
        known = [a.seconds for a in self.attempts if a.seconds is not None]
        return sum(known) if known else None


@dataclass(frozen=True)
class RunIdentity:
    """Which CI run a record belongs to: its natural key is (repository, workflow, run_id,
    attempt, job). Values come from the GitHub Actions environment or command-line options;
    "" where neither gives one."""

    repository: str = ""
    workflow: str = ""
    run_id: str = ""
    attempt: int = 1
    job: str = ""
    commit: str = ""
    branch: str = ""
    event: str = ""


@dataclass(frozen=True)
class Step:
    """A step of a job, as GitHub reports it."""

    number: int
    name: str
    conclusion: str  # success, failure, skipped, cancelled, "" while running
    started: datetime | None
    completed: datetime | None

    @property
    def seconds(self) -> float | None:
        return _between(self.started, self.completed)


@dataclass(frozen=True)
class Job:
    """A job of a workflow run, from `gh run view --json jobs` or the REST API's jobs list.
    `created` (when the job was queued) comes only from the REST API, so queue time is None
    for gh's output."""

    job_id: str
    name: str
    conclusion: str
    attempt: int | None
    runner: str  # the runner's labels, comma separated ("" when not given)
    created: datetime | None
    started: datetime | None
    completed: datetime | None
    steps: tuple[Step, ...] = ()
    workflow: str = ""  # what the input says, when it says it
    run_id: str = ""
    branch: str = ""
    commit: str = ""

    @property
    def seconds(self) -> float | None:
        return _between(self.started, self.completed)

    @property
    def queue_seconds(self) -> float | None:
        return _between(self.created, self.started)


@dataclass(frozen=True)
class BuildStep:
    """A step of an image build: `cached` when BuildKit reused the layer (`CACHED`)."""

    number: int
    name: str
    cached: bool
    seconds: float | None  # None for a cached step and when the log gives no time


@dataclass(frozen=True)
class Build:
    """One image build, from `docker buildx build --progress=plain` output (and its
    `--metadata-file` when given)."""

    image: str  # the image name from the metadata, "" when not known
    digest: str  # the image digest from the metadata, "" when not known
    steps: tuple[BuildStep, ...]
    seconds: float | None  # the whole build, when the log gives it

    @property
    def cache_hit_rate(self) -> float | None:
        """Cached steps / steps that build a layer (None when the build has none)."""
        if not self.steps:
            return None
        return sum(s.cached for s in self.steps) / len(self.steps)


@dataclass(frozen=True)
class ImageSize:
    image: str
    bytes: int


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def node_file(test: str) -> str:
    """The file of a pytest node id (`tests/test_a.py::TestA::test_b` -> `tests/test_a.py`)."""
    return test.split("::", 1)[0]


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N, ASCII digits) as (I, N): a shard of a sharded test run, as
    `pitstop record junit --shard`, `pytest --pitstop-shard` and the job names of shards
    write it; ValueError otherwise."""
    index, slash, count = text.partition("/")
    if slash and _decimal(index) and _decimal(count) and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise ValueError(text)


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit alone takes "²", which int refuses
