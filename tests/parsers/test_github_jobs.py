"""A run's jobs and steps from `gh run view --json jobs,...` and from the REST API's jobs list
(fixtures written from the two documented shapes)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.github_jobs import read_jobs
from pitstop.runs import Job, Step

GH = {
    "attempt": 2,
    "databaseId": 9876543210,
    "headBranch": "main",
    "headSha": "0123abcd",
    "workflowName": "CI",
    "jobs": [
        {
            "completedAt": "2025-06-01T10:05:12Z",
            "conclusion": "success",
            "databaseId": 55501,
            "name": "test (3.12)",
            "startedAt": "2025-06-01T10:00:02Z",
            "status": "completed",
            "steps": [
                {
                    "completedAt": "2025-06-01T10:00:04Z",
                    "conclusion": "success",
                    "name": "Set up job",
                    "number": 1,
                    "startedAt": "2025-06-01T10:00:02Z",
                    "status": "completed",
                },
                {
                    "completedAt": "0001-01-01T00:00:00Z",
                    "conclusion": "",
                    "name": "Run pytest",
                    "number": 2,
                    "startedAt": "2025-06-01T10:00:04Z",
                    "status": "in_progress",
                },
            ],
            "url": "https://github.com/o/r/actions/runs/9876543210/job/55501",
        },
        {
            "completedAt": "0001-01-01T00:00:00Z",
            "conclusion": "",
            "databaseId": 55502,
            "name": "deploy",
            "startedAt": "0001-01-01T00:00:00Z",
            "status": "queued",
            "steps": [],
            "url": "https://github.com/o/r/actions/runs/9876543210/job/55502",
        },
    ],
}

REST = {
    "total_count": 1,
    "jobs": [
        {
            "id": 399444496,
            "run_id": 29679449,
            "workflow_name": "CI",
            "head_branch": "feature/x",
            "run_url": "https://api.github.com/repos/o/r/actions/runs/29679449",
            "run_attempt": 1,
            "node_id": "MDEyOldvcmtmbG93IEpvYjM5OTQ0NDQ5Ng==",
            "head_sha": "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0",
            "url": "https://api.github.com/repos/o/r/actions/jobs/399444496",
            "html_url": "https://github.com/o/r/runs/399444496",
            "status": "completed",
            "conclusion": "failure",
            "created_at": "2025-06-01T07:58:00Z",
            "started_at": "2025-06-01T10:00:00+02:00",
            "completed_at": "2025-06-01T08:01:30Z",
            "name": "build",
            "steps": [
                {
                    "name": "Set up job",
                    "status": "completed",
                    "conclusion": "success",
                    "number": 1,
                    "started_at": "2025-06-01T08:00:00Z",
                    "completed_at": "2025-06-01T08:00:05Z",
                },
                {
                    "name": "Build",
                    "status": "completed",
                    "conclusion": "failure",
                    "number": 2,
                    "started_at": "2025-06-01T08:00:05Z",
                    "completed_at": None,
                },
            ],
            "check_run_url": "https://api.github.com/repos/o/r/check-runs/399444496",
            "labels": ["self-hosted", "linux", "x64"],
            "runner_id": 1,
            "runner_name": "runner-1",
            "runner_group_id": 1,
            "runner_group_name": "Default",
        }
    ],
}


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 6, 1, hour, minute, second, tzinfo=UTC)


def test_gh_run_view_jobs_with_the_run_fields(tmp_path):
    test, deploy = read_jobs(write(tmp_path, GH), "jobs.json")
    assert test == Job(
        job_id="55501",
        name="test (3.12)",
        conclusion="success",
        attempt=2,
        runner="",
        created=None,
        started=at(10, 0, 2),
        completed=at(10, 5, 12),
        steps=(
            Step(1, "Set up job", "success", at(10, 0, 2), at(10, 0, 4)),
            Step(2, "Run pytest", "", at(10, 0, 4), None),
        ),
        workflow="CI",
        run_id="9876543210",
        branch="main",
        commit="0123abcd",
    )
    assert (test.seconds, test.queue_seconds, test.steps[0].seconds) == (310.0, None, 2.0)
    assert (deploy.started, deploy.completed, deploy.seconds, deploy.conclusion) == (
        None,
        None,
        None,
        "",
    )


def test_gh_jobs_alone_leave_the_run_fields_empty(tmp_path):
    (job, _) = read_jobs(write(tmp_path, {"jobs": GH["jobs"]}), "jobs.json")
    assert (job.attempt, job.workflow, job.run_id, job.branch, job.commit) == (None, "", "", "", "")


def test_rest_jobs_list_with_queue_time_labels_and_utc_times(tmp_path):
    (job,) = read_jobs(write(tmp_path, REST), "jobs.json")
    assert (job.job_id, job.run_id, job.attempt, job.workflow) == ("399444496", "29679449", 1, "CI")
    assert (job.branch, job.commit[:8], job.conclusion) == ("feature/x", "f83a3566", "failure")
    assert job.runner == "self-hosted,linux,x64"
    assert job.started == at(8, 0, 0) and job.started.tzinfo is UTC  # +02:00 made UTC
    assert (job.seconds, job.queue_seconds) == (90.0, 120.0)
    assert [(s.number, s.name, s.conclusion, s.seconds) for s in job.steps] == [
        (1, "Set up job", "success", 5.0),
        (2, "Build", "failure", None),
    ]


def test_times_without_an_offset_are_read_as_utc(tmp_path):
    job = dict(GH["jobs"][0], startedAt="2025-06-01T10:00:02", completedAt="2025-06-01T10:05:12")
    (read,) = read_jobs(write(tmp_path, {"jobs": [job]}), "jobs.json")
    assert (read.started, read.seconds) == (at(10, 0, 2), 310.0)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "jobs.json:1: not a run's jobs"),
        ({"jobs": {}}, "jobs.json:1: not a run's jobs"),
        ({"jobs": [{"startedAt": "x"}]}, "jobs.json: jobs[0] is not a job with a `name`"),
        ({"jobs": [{"name": "a"}]}, "jobs.json: jobs[0] needs `startedAt` and `completedAt`"),
        (
            {"jobs": [{"name": "a", "started_at": "2025-06-01T10:00:00Z", "completed_at": 5}]},
            "jobs.json: jobs[0] needs `started_at` and `completed_at`",
        ),
        (
            {"jobs": [{"name": "a", "startedAt": "soon", "completedAt": None}]},
            "jobs.json: jobs[0]: `startedAt`/`completedAt` are not ISO 8601 times",
        ),
        (
            {
                "jobs": [
                    {
                        "name": "a",
                        "created_at": "2025-06-01T10:00:00",
                        "started_at": "2025-06-01T10:00:00Z",
                        "completed_at": None,
                    }
                ]
            },
            "jobs.json: jobs[0]: one of `created_at`/`started_at` has a time zone and the other not",
        ),
        (
            {"jobs": [dict(GH["jobs"][0], steps=[{"name": "s"}])]},
            "jobs.json: jobs[0].steps[0] has no step `number`",
        ),
        ({"jobs": [dict(GH["jobs"][0], steps="x")]}, "jobs.json: jobs[0].steps is not a list"),
    ],
)
def test_bad_documents_are_named(tmp_path, document, expected):
    with pytest.raises(PitstopError) as raised:
        read_jobs(write(tmp_path, document), "jobs.json")
    assert str(raised.value).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"jobs":\n [NaN]}', "jobs.json:2: invalid JSON: NaN is not a number"),
        ('{"jobs": [', "jobs.json:1: invalid JSON: Expecting value"),
        ("[" * 100_000 + "]" * 100_000, "jobs.json: invalid JSON: nested too deeply"),
    ],
)
def test_bad_json_names_the_line(tmp_path, text, expected):
    (tmp_path / "jobs.json").write_text(text, encoding="utf-8")
    with pytest.raises(PitstopError) as raised:
        read_jobs(tmp_path / "jobs.json", "jobs.json")
    assert str(raised.value).startswith(expected)


def test_non_utf8_and_fifo_are_refused(tmp_path):
    (tmp_path / "jobs.json").write_bytes(b'{\n"\xe9": 1}')
    with pytest.raises(PitstopError, match=r"^jobs\.json:2: not UTF-8$"):
        read_jobs(tmp_path / "jobs.json", "jobs.json")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(PitstopError, match="not a regular file"):
        read_jobs(fifo, "fifo")
