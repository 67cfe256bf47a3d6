"""Job durations from a real run, so the critical path is measured rather than guessed.

Two shapes are read:

- what `gh run view RUN_ID --json jobs` prints: `{"jobs": [{"name", "startedAt",
  "completedAt", "conclusion", ...}]}` (field names as in cli/cli#6507). GitHub names a job
  by its `name:` or else its id, a matrix instance `name (a, b)` and a job of a reusable
  workflow `caller / job`;
- a plain map `{"job id or name": seconds}`, for timings from anywhere else.

`load_timings` keeps the names as they are; `job_durations` maps them onto a workflow's jobs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.parsers.workflow import Job, Workflow

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def load_timings(path: str | Path) -> dict[str, float]:
    """Seconds per job name in the JSON file at `path`; PitstopError naming the file (and the
    line, for a JSON syntax error) when it cannot be read or has neither shape.

    A name that appears more than once (matrix instances of a job without a `name:`
    expression, re-runs) keeps its longest duration; jobs that have not finished (GitHub
    reports `0001-01-01` as their completion) are left out."""
    document = _read_json(Path(path))
    shown = str(path)
    if isinstance(document, Mapping) and isinstance(document.get("jobs"), list):
        return _gh_jobs(document["jobs"], shown)
    if isinstance(document, Mapping):
        return _plain_map(document, shown)
    raise PitstopError(
        'timings must be `gh run view RUN_ID --json jobs` output ({"jobs": [...]}) '
        'or a map {"job id": seconds}',
        path=shown,
        line=1,
    )


def _read_json(path: Path) -> object:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PitstopError("no such timings file", path=str(path)) from None
    except OSError as error:
        raise PitstopError(f"cannot read timings: {error.strerror}", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PitstopError("timings are not UTF-8", path=str(path), line=line) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PitstopError(
            f"invalid JSON: {error.msg}", path=str(path), line=error.lineno
        ) from None


def _gh_jobs(jobs: list[object], path: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    for index, entry in enumerate(jobs):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise PitstopError(f"jobs[{index}] is not a job with a `name`", path=path)
        seconds = _elapsed(entry, index, path)
        if seconds is not None:
            name = entry["name"]
            timings[name] = max(seconds, timings.get(name, 0.0))
    return timings


def _elapsed(entry: Mapping[str, object], index: int, path: str) -> float | None:
    started, completed = entry.get("startedAt"), entry.get("completedAt")
    if not isinstance(started, str) or not isinstance(completed, str):
        raise PitstopError(f"jobs[{index}] needs `startedAt` and `completedAt`", path=path)
    try:
        start, end = datetime.fromisoformat(started), datetime.fromisoformat(completed)
    except ValueError:
        raise PitstopError(
            f"jobs[{index}]: `startedAt`/`completedAt` are not ISO 8601 times", path=path
        ) from None
    if start.year <= 1 or end.year <= 1 or end < start:
        return None  # not started, still running, or a clock GitHub has not filled in yet
    return (end - start).total_seconds()


def _plain_map(document: Mapping[object, object], path: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    for name, seconds in document.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise PitstopError(
                f"timing of `{name}` must be a number of seconds >= 0, not {seconds!r}",
                path=path,
            )
        timings[str(name)] = float(seconds)
    return timings


@dataclass(frozen=True)
class Durations:
    """Seconds per job id of a workflow, and the timing names that matched no job."""

    seconds: Mapping[str, float]
    unmatched: tuple[str, ...]


def job_durations(workflow: Workflow, timings: Mapping[str, float]) -> Durations:
    """The timings that belong to each job of `workflow`, keyed by job id.

    A timing belongs to a job when its name is the job's id or `name:`, a matrix instance of
    either (`name (3.12, ubuntu)`, or the `name:` with its `${{ }}` filled in), or a job of
    the reusable workflow it calls (`job / inner`). A job with several takes the longest:
    matrix instances run in parallel, so the longest is the one the run waits for."""
    seconds: dict[str, float] = {}
    matched: set[str] = set()
    exact = {label for job in workflow.jobs for label in (job.id, job.name) if label}
    for job in workflow.jobs:
        names = [name for name in timings if _belongs(name, job, exact)]
        matched.update(names)
        if names:
            seconds[job.id] = max(timings[name] for name in names)
    unmatched = tuple(name for name in timings if name not in matched)
    return Durations(seconds, unmatched)


def _belongs(shown: str, job: Job, exact: set[str]) -> bool:
    """Whether the timing `shown` is `job`'s; a name that is exactly some job's id or `name:`
    belongs to that job only, so `Test ${{ matrix.python }}` does not swallow `Test docs`."""
    if shown in (job.id, job.name):
        return True
    head = shown.split(" / ", 1)[0] if job.uses else shown
    if head != shown and head in (job.id, job.name):
        return True
    return shown not in exact and any(pattern.fullmatch(head) for pattern in _patterns(job))


def _patterns(job: Job) -> list[re.Pattern[str]]:
    labels = [job.id] + ([job.name] if job.name else [])
    matrix = r"(?: \(.*\))?"
    return [re.compile(_label_pattern(label) + matrix) for label in labels]


def _label_pattern(label: str) -> str:
    """`label` as a regex in which each `${{ expression }}` stands for any text."""
    parts = _EXPRESSION.split(label)
    return ".+?".join(re.escape(part) for part in parts)
