"""Job durations from a real run, so the critical path is measured rather than guessed.

Two shapes are read:

- a run's jobs, as `gh run view RUN_ID --json jobs` prints them (`{"jobs": [{"name",
  "startedAt", "completedAt", ...}]}`, field names as in cli/cli#6507) or as the REST API
  lists them, read by the one jobs parser (pitstop.parsers.github_jobs). GitHub names a job
  by its `name:` or else its id, a matrix instance `name (a, b)` and a job of a reusable
  workflow `caller / job`;
- a plain map `{"job id or name": seconds}`, for timings from anywhere else.

`load_timings` keeps the names as they are; `job_durations` maps them onto a workflow's jobs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.github_jobs import jobs_from_document
from pitstop.parsers.jsonfile import parse_json
from pitstop.parsers.workflow import Job, Workflow

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# A year: no CI job runs that long (GitHub stops a workflow run after 35 days), so a larger
# figure is a wrong input, not a duration to chart.
MAX_SECONDS = 366 * 24 * 3600.0


def load_timings(path: str | Path) -> dict[str, float]:
    """Seconds per job name in the JSON file at `path`; PitstopError naming the file (and the
    line, for a JSON syntax error) when it cannot be read or has neither shape.

    A name that appears more than once (matrix instances of a job without a `name:`
    expression, re-runs) keeps its longest duration; jobs that have not finished (GitHub
    reports `0001-01-01` as their completion) are left out."""
    document = _read_json(Path(path))
    shown = str(path)
    if isinstance(document, Mapping) and isinstance(document.get("jobs"), list):
        return _gh_jobs(document, shown)
    if isinstance(document, Mapping):
        return _plain_map(document, shown)
    raise PitstopError(
        'timings must be `gh run view RUN_ID --json jobs` output ({"jobs": [...]}) '
        'or a map {"job id": seconds}',
        path=shown,
        line=1,
    )


def _read_json(path: Path) -> object:
    if not path.exists():
        raise PitstopError("no such timings file", path=str(path))
    data = read_regular_file(path, str(path))  # bounded; a FIFO is refused, not waited on
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PitstopError("timings are not UTF-8", path=str(path), line=line) from None
    return parse_json(text, str(path))


def _gh_jobs(document: Mapping[str, object], path: str) -> dict[str, float]:
    """The longest finished duration per job name, the jobs read by the one jobs parser."""
    timings: dict[str, float] = {}
    for index, job in enumerate(jobs_from_document(document, path)):
        if job.seconds is not None:
            seconds = _checked(f"jobs[{index}]", job.seconds, path)
            timings[job.name] = max(seconds, timings.get(job.name, 0.0))
    return timings


def _checked(name: str, seconds: float, path: str) -> float:
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise PitstopError(
            f"timing of `{_printable(name)}` is {seconds:g} seconds, over a year: "
            "not a job's duration",
            path=path,
        )
    return seconds


def _plain_map(document: Mapping[object, object], path: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    for name, seconds in document.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise PitstopError(
                f"timing of `{_printable(str(name))}` must be a number of seconds >= 0, "
                f"not {seconds!r}",
                path=path,
            )
        timings[str(name)] = _checked(str(name), float(seconds), path)
    return timings


def _printable(name: str) -> str:
    """`name` with line breaks and other control characters escaped: errors are one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


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
    labels = [job.id] + ([job.name] if job.name else [])
    return shown not in exact and any(_shown_as(head, label) for label in labels)


def _shown_as(shown: str, label: str) -> bool:
    """Whether GitHub may show the job labelled `label` as `shown`: each `${{ expression }}`
    filled in with some text, and maybe a matrix instance's ` (values)` after it.

    Matched without a regex: `.+?` between n literals backtracks in O(len**n) when a name
    does not match, and a name with a handful of expressions took minutes."""
    parts = _EXPRESSION.split(label)
    if _fills(parts, shown):
        return True
    if not shown.endswith(")"):
        return False
    cut = shown.find(" (")
    while cut >= 0:
        if _fills(parts, shown[:cut]):
            return True
        cut = shown.find(" (", cut + 1)
    return False


def _fills(parts: list[str], text: str) -> bool:
    """Whether `text` is `parts` joined by non-empty fillers. Taking each literal at its
    first place after the filler before it is never wrong: a later place leaves less room
    for the literals that follow, so one left-to-right pass decides."""
    first, last = parts[0], parts[-1]
    if len(parts) == 1:
        return text == first
    if not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for part in parts[1:-1]:
        found = text.find(part, position + 1, end - 1)
        if found < 0:
            return False
        position = found + len(part)
    return end - position >= 1
