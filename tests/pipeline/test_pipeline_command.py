"""`pitstop pipeline` as users run it: the JSON document, the Markdown timeline, exit codes,
and the bundled example.

The Markdown and text reports are golden files; after an intended change, rewrite them with
`.venv/bin/python -m pytest tests/pipeline --update-goldens` and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pitstop import api
from pitstop.cli import main
from pitstop.pipeline import PipelineResult

from .conftest import FIXTURES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monorepo"
PRODUCTION = EXAMPLE / ".github" / "workflows" / "deploy-production.yml"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def deploy_pipeline(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A 25-minute deploy pipeline and its run's timings, as relative paths (so output is stable)."""
    monkeypatch.chdir(FIXTURES)
    return "deploy_pipeline.yml", "deploy_pipeline.gh.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["pipeline", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_document_shape_and_numbers(capsys, deploy_pipeline):
    code, out, _ = run(
        capsys, deploy_pipeline[0], "--timings", deploy_pipeline[1], "--format", "json"
    )
    document = json.loads(out)
    assert code == 0
    assert list(document) == [
        "version",
        "workflow",
        "critical_path",
        "seconds",
        "by",
        "missing_timings",
        "jobs",
        "what_if",
    ]
    assert document["version"] == 1
    assert document["workflow"] == "deploy_pipeline.yml"
    assert document["critical_path"] == [
        "build-docker-image",
        "test-suite",
        "all-checks",
        "tag-production-images",
        "cleanup",
    ]
    assert (document["seconds"], document["by"]) == (1270.0, "timings")
    assert document["missing_timings"] == ["cleanup"]
    assert document["jobs"][1] == {
        "id": "test-suite",
        "needs": ["build-docker-image"],
        "seconds": 600.0,  # the longer of the two matrix instances
    }
    assert document["jobs"][-1] == {
        "id": "cleanup",
        "needs": ["tag-production-images"],
        "seconds": None,
    }
    (retag,) = document["what_if"]
    assert list(retag) == [
        "kind",
        "job",
        "need",
        "line",
        "reason",
        "critical_path",
        "seconds",
        "seconds_saved",
        "jobs_saved",
    ]
    assert {k: v for k, v in retag.items() if k != "reason"} == {
        "kind": "remove-job",
        "job": "tag-production-images",
        "need": None,
        "line": 55,
        "critical_path": ["build-docker-image", "test-suite", "all-checks", "cleanup"],
        "seconds": 970.0,
        "seconds_saved": 300.0,
        "jobs_saved": 1,
    }


def test_json_without_timings_is_by_job_count(capsys, deploy_pipeline):
    _, out, _ = run(capsys, deploy_pipeline[0], "--format", "json")
    document = json.loads(out)
    assert (document["seconds"], document["by"], document["missing_timings"]) == (
        None,
        "job count",
        [],
    )
    assert {job["seconds"] for job in document["jobs"]} == {None}
    assert [(w["seconds_saved"], w["jobs_saved"]) for w in document["what_if"]] == [(None, 1)]


@pytest.mark.parametrize(
    ("fmt", "golden"), [("markdown", "deploy_pipeline.md"), ("text", "deploy_pipeline.txt")]
)
def test_reports_match_golden(capsys, deploy_pipeline, update_goldens, fmt, golden):
    code, out, _ = run(capsys, deploy_pipeline[0], "--timings", deploy_pipeline[1], "--format", fmt)
    assert code == 0
    path = GOLDEN / golden
    if update_goldens:
        path.parent.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


def test_markdown_timeline_starts_each_job_when_its_needs_finish(capsys, deploy_pipeline):
    _, out, _ = run(
        capsys, deploy_pipeline[0], "--timings", deploy_pipeline[1], "--format", "markdown"
    )
    rows = {
        line.split()[0]: line for line in out.split("```text\n")[1].split("```")[0].splitlines()
    }
    # build 0-5m10s, test-suite 5m10s-15m10s, all-checks 15m10s-16m10s: bars of 40 = 21m10s
    assert rows["build-docker-image"].endswith("|" + "#" * 10 + " " * 30 + "| *")
    assert rows["coverage"].split("|")[1] == " " * 10 + "#" * 7 + " " * 23
    assert "15m 10s   16m 10s" in rows["all-checks"]
    assert rows["cleanup"].endswith("(no timing)")
    assert (
        "**Critical path** (5 jobs, 21m 10s, by timings): `build-docker-image` → `test-suite`"
        " → `all-checks` → `tag-production-images` → `cleanup`"
    ) in out


def test_the_example_production_workflow(capsys, tmp_path):
    code, out, _ = run(capsys, str(PRODUCTION), "--format", "json")
    document = json.loads(out)
    assert code == 0
    # verify-staging and test run side by side; deploy needs both; both needs are gates
    assert (document["critical_path"], document["by"]) == (["test", "deploy"], "job count")
    assert document["what_if"] == []
    timings = tmp_path / "timings.json"
    timings.write_text(
        json.dumps({"Lint and test": 240, "Verify staging is healthy": 300, "deploy": 420}),
        encoding="utf-8",
    )
    result = api.pipeline(PRODUCTION, timings)
    assert isinstance(result, PipelineResult)
    assert result.critical_path.jobs == ("verify-staging", "deploy")
    assert (result.critical_path.seconds, result.missing_timings) == (720.0, ())


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        ({}, ("missing.yml",), "missing.yml: no such workflow file"),
        (
            {"ci.yml": b"on: push\njobs:\n  a:\n    name: caf\xe9\n"},
            ("ci.yml",),
            "ci.yml:4: the workflow is not UTF-8",
        ),
        (
            {"ci.yml": b"on: push\njobs:\n  a:\n    needs: b\n    steps: []\n"},
            ("ci.yml",),
            "ci.yml:4: job `a` needs `b`, which is not a job of this workflow",
        ),
        ({"ci.yml": b"on: push\njobs: [\n"}, ("ci.yml",), "ci.yml:3: invalid YAML"),
        (
            {"ci.yml": b"on: push\njobs: {a: {steps: []}}\n", "t.json": b'{"a": '},
            ("ci.yml", "--timings", "t.json"),
            "t.json:1: invalid JSON",
        ),
        (
            {"ci.yml": b"on: push\njobs: {a: {steps: []}}\n"},
            ("ci.yml", "--timings", "nope.json"),
            "nope.json: no such timings file",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, monkeypatch, files, args, expected):
    monkeypatch.chdir(tmp_path)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"pitstop: error: {expected}")
    assert err.count("\n") == 1


def test_a_folder_is_not_a_workflow(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, ".")
    assert (code, err) == (2, "pitstop: error: .: is a folder, not a workflow file\n")


@pytest.mark.parametrize("fifo", ["ci.yml", "t.json"])
def test_a_fifo_is_refused_without_waiting_on_it(capsys, tmp_path, monkeypatch, fifo):
    # nothing writes to the FIFO: a plain read would block for ever
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci.yml").write_bytes(b"on: push\njobs: {a: {steps: []}}\n")
    (tmp_path / fifo).unlink(missing_ok=True)
    os.mkfifo(tmp_path / fifo)
    code, out, err = run(capsys, "ci.yml", "--timings", "t.json")
    assert (code, out, err) == (2, "", f"pitstop: error: {fifo}: not a regular file; not read\n")


def test_a_workflow_is_read_bounded(capsys, tmp_path, monkeypatch):
    import pitstop.files

    monkeypatch.setattr(pitstop.files.read_regular_file, "__defaults__", (64,))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci.yml").write_bytes(b"on: push\njobs: {a: {steps: []}}\n" + b"#\n" * 40)
    code, _, err = run(capsys, "ci.yml")
    assert (code, err) == (2, "pitstop: error: ci.yml: larger than 0 MiB; not read\n")
