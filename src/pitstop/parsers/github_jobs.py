"""A workflow run's jobs and steps, from the two JSON shapes GitHub gives them in:

- `gh run view RUN_ID --json jobs[,attempt,databaseId,workflowName,headBranch,headSha]`:
  `{"jobs": [{"databaseId", "name", "status", "conclusion", "startedAt", "completedAt",
  "steps": [{"name", "number", "status", "conclusion", "startedAt", "completedAt"}]}]}`,
  with the run's fields beside `jobs` when asked for. gh gives no job's creation time, so
  queue time is unknown; nor its runner labels.
- the REST API's jobs list (`GET /repos/O/R/actions/runs/ID/jobs`): `{"total_count",
  "jobs": [{"id", "run_id", "run_attempt", "workflow_name", "head_branch", "head_sha",
  "status", "conclusion", "created_at", "started_at", "completed_at", "name", "labels",
  "runner_name", "steps": [...]}]}`, steps with `started_at`/`completed_at`.

Each job is read in the shape its keys say. Times become aware UTC datetimes; GitHub writes
them in UTC with `Z`, and a time without an offset is read as UTC too (an assumption: only
differences of times on one clock are certain, so a job mixing the two is an error). A time
GitHub has not filled in (`0001-01-01T00:00:00Z` from gh, null from the API) is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.jsonfile import load_json
from pitstop.runs import Job, Step

_GH = {"id": "databaseId", "start": "startedAt", "end": "completedAt", "created": ""}
_REST = {"id": "id", "start": "started_at", "end": "completed_at", "created": "created_at"}


def read_jobs(path: Path, shown: str) -> list[Job]:
    """The jobs of the JSON file at `path` (either shape); PitstopError naming `shown` (and
    the line, for a JSON syntax error) when it is neither."""
    document = load_json(read_regular_file(path, shown), shown)
    if not isinstance(document, Mapping) or not isinstance(document.get("jobs"), list):
        raise PitstopError(
            "not a run's jobs: expected `gh run view RUN_ID --json jobs` output or the REST "
            'API\'s jobs list ({"jobs": [...]})',
            path=shown,
            line=1,
        )
    return jobs_from_document(document, shown)


def jobs_from_document(document: Mapping[str, object], shown: str) -> list[Job]:
    """The jobs of an already-loaded document whose `jobs` is a list."""
    jobs = document.get("jobs")
    assert isinstance(jobs, list)
    return [_job(entry, index, document, shown) for index, entry in enumerate(jobs)]


def _job(entry: object, index: int, run: Mapping[str, object], shown: str) -> Job:
    where = f"jobs[{index}]"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise PitstopError(f"{where} is not a job with a `name`", path=shown)
    keys = _REST if "started_at" in entry else _GH
    started, completed = _span(entry, keys, where, shown)
    created = _created(entry, keys, started, where, shown)
    steps = entry.get("steps") or []
    if not isinstance(steps, list):
        raise PitstopError(f"{where}.steps is not a list", path=shown)
    rest = keys is _REST
    return Job(
        job_id=_text(entry.get(keys["id"])),
        name=entry["name"],
        conclusion=_text(entry.get("conclusion")),
        attempt=_int(entry.get("run_attempt") if rest else run.get("attempt")),
        runner=_labels(entry.get("labels")),
        created=created,
        started=started,
        completed=completed,
        steps=tuple(_step(s, f"{where}.steps[{i}]", keys, shown) for i, s in enumerate(steps)),
        workflow=_text(entry.get("workflow_name") if rest else run.get("workflowName")),
        run_id=_text(entry.get("run_id") if rest else run.get("databaseId")),
        branch=_text(entry.get("head_branch") if rest else run.get("headBranch")),
        commit=_text(entry.get("head_sha") if rest else run.get("headSha")),
    )


def _step(entry: object, where: str, keys: Mapping[str, str], shown: str) -> Step:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise PitstopError(f"{where} is not a step with a `name`", path=shown)
    number = entry.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise PitstopError(f"{where} has no step `number`", path=shown)
    started, completed = _span(entry, keys, where, shown, required=False)
    conclusion = _text(entry.get("conclusion"))
    return Step(number, entry["name"], conclusion, started, completed)


def _span(
    entry: Mapping[str, object],
    keys: Mapping[str, str],
    where: str,
    shown: str,
    required: bool = True,
) -> tuple[datetime | None, datetime | None]:
    """A job's or step's start and completion; both keys must be there for a job (null or
    GitHub's zero time while it has not started or finished)."""
    start_key, end_key = keys["start"], keys["end"]
    started, completed = entry.get(start_key), entry.get(end_key)
    present = start_key in entry and end_key in entry
    if required and not (present and _time_or_null(started) and _time_or_null(completed)):
        raise PitstopError(f"{where} needs `{start_key}` and `{end_key}`", path=shown)
    bad = f"{where}: `{start_key}`/`{end_key}` are not ISO 8601 times"
    start, end = _parse_time(started, bad, shown), _parse_time(completed, bad, shown)
    _same_clock(start, end, f"{where}: one of `{start_key}`/`{end_key}`", shown)
    return _utc(start), _utc(end)


def _created(
    entry: Mapping[str, object],
    keys: Mapping[str, str],
    started: datetime | None,
    where: str,
    shown: str,
) -> datetime | None:
    if not keys["created"]:
        return None
    bad = f"{where}: `{keys['created']}` is not an ISO 8601 time"
    created = _parse_time(entry.get(keys["created"]), bad, shown)
    start = _parse_time(entry.get(keys["start"]), bad, shown)
    _same_clock(created, start, f"{where}: one of `created_at`/`started_at`", shown)
    return _utc(created)


def _time_or_null(value: object) -> bool:
    return value is None or isinstance(value, str)


def _parse_time(value: object, bad: str, shown: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PitstopError(bad, path=shown)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PitstopError(bad, path=shown) from None
    return None if parsed.year <= 1 else parsed  # GitHub's zero time: not yet


def _same_clock(first: datetime | None, second: datetime | None, what: str, shown: str) -> None:
    if first is None or second is None or (first.tzinfo is None) == (second.tzinfo is None):
        return
    message = f"{what} has a time zone and the other not, so their difference is unknown"
    raise PitstopError(message, path=shown)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # assumed UTC, as GitHub writes its times
    return moment.astimezone(UTC)


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, str | int) else ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _labels(value: object) -> str:
    if not isinstance(value, list):
        return ""
    return ",".join(label for label in value if isinstance(label, str))
