"""Timings from `gh run view RUN_ID --json jobs` and from a plain map, matched to jobs."""

from __future__ import annotations

import json
import time

import pytest

from pitstop.errors import PitstopError
from pitstop.pipeline.timings import job_durations, load_timings

from .conftest import FIXTURES, workflow


def gh_job(name: str, started: str, completed: str, conclusion: str = "success") -> dict:
    return {
        "completedAt": completed,
        "conclusion": conclusion,
        "databaseId": 1,
        "name": name,
        "startedAt": started,
        "status": "completed",
        "steps": [],
        "url": "https://github.com/o/r/actions/runs/1/job/1",
    }


def test_gh_run_view_output_gives_seconds_per_shown_name():
    timings = load_timings(FIXTURES / "deploy_pipeline.gh.json")
    assert timings == {
        "build-docker-image": 310.0,
        "test-suite (unit)": 500.0,
        "test-suite (integration)": 600.0,
        "coverage": 240.0,
        "all-checks": 60.0,
        "tag-production-images": 300.0,
    }


def test_unfinished_jobs_are_left_out_and_offsets_are_honoured(tmp_path):
    document = {
        "jobs": [
            gh_job("lint", "2025-01-01T10:00:00+01:00", "2025-01-01T09:01:30Z"),
            gh_job("deploy", "2025-01-01T09:02:00Z", "0001-01-01T00:00:00Z", conclusion=""),
        ]
    }
    (tmp_path / "t.json").write_text(json.dumps(document), encoding="utf-8")
    assert load_timings(tmp_path / "t.json") == {"lint": 90.0}


def test_the_rest_apis_jobs_list_is_read_too(tmp_path):
    job = {"name": "lint", "id": 1, "created_at": "2025-01-01T08:59:00Z", "steps": []}
    job |= {"started_at": "2025-01-01T09:00:00Z", "completed_at": "2025-01-01T09:01:30Z"}
    running = dict(job, name="deploy", completed_at=None)
    document = {"total_count": 2, "jobs": [job, running]}
    (tmp_path / "t.json").write_text(json.dumps(document), encoding="utf-8")
    assert load_timings(tmp_path / "t.json") == {"lint": 90.0}


def test_a_plain_map_is_read_as_seconds(tmp_path):
    (tmp_path / "t.json").write_text('{"build": 120, "test": 42.5}', encoding="utf-8")
    assert load_timings(tmp_path / "t.json") == {"build": 120.0, "test": 42.5}


MATRIX = """
build:
  name: Build image
  runs-on: ubuntu-latest
  steps: [{run: make}]
test:
  needs: build
  runs-on: ${{ matrix.os }}
  strategy:
    matrix:
      os: [ubuntu-latest, macos-latest]
      python: ["3.11", "3.12"]
  steps: [{run: pytest}]
docs:
  name: Docs ${{ matrix.flavour }}
  strategy:
    matrix:
      flavour: [html, pdf]
  runs-on: ubuntu-latest
  steps: [{run: make docs}]
docs-check:
  name: Docs check
  runs-on: ubuntu-latest
  steps: [{run: make linkcheck}]
release:
  needs: [build, test]
  uses: ./.github/workflows/release.yml
"""


def test_gh_names_map_to_jobs_by_name_or_id_and_a_matrix_takes_its_longest_instance():
    timings = {
        "Build image": 200.0,  # the job's `name:`
        "test (ubuntu-latest, 3.11)": 300.0,  # no `name:`: the id, with the matrix values
        "test (ubuntu-latest, 3.12)": 320.0,
        "test (macos-latest, 3.11)": 610.0,
        "Docs html": 50.0,  # a `name:` with an expression, filled in
        "Docs pdf": 80.0,
        "Docs check": 30.0,  # exactly another job's name: not a `Docs ${{ }}` instance
        "release / publish": 40.0,  # a job of the called reusable workflow
        "release / notes": 15.0,
        "nightly": 9.0,
    }
    durations = job_durations(workflow(MATRIX), timings)
    assert durations.seconds == {
        "build": 200.0,
        "test": 610.0,
        "docs": 80.0,
        "docs-check": 30.0,
        "release": 40.0,
    }
    assert durations.unmatched == ("nightly",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"jobs": [', "t.json:1: invalid JSON: Expecting value"),
        ('{\n  "build": 1,\n  "test": oops\n}', "t.json:3: invalid JSON: Expecting value"),
        ("[1, 2]", "t.json:1: timings must be `gh run view RUN_ID --json jobs` output"),
        ('{"build": "5m"}', "t.json: timing of `build` must be a number of seconds >= 0"),
        ('{"build": -1}', "t.json: timing of `build` must be a number of seconds >= 0"),
        ('{"build": true}', "t.json: timing of `build` must be a number of seconds >= 0"),
        ('{"jobs": [{"name": "a"}]}', "t.json: jobs[0] needs `startedAt` and `completedAt`"),
        ('{"jobs": [42]}', "t.json: jobs[0] is not a job with a `name`"),
        (
            '{"jobs": [{"name": "a", "startedAt": "yesterday", "completedAt": "now"}]}',
            "t.json: jobs[0]: `startedAt`/`completedAt` are not ISO 8601 times",
        ),
        ('{"build": Infinity}', "t.json:1: invalid JSON: Infinity is not a number"),
        ('{"build":\n -Infinity}', "t.json:2: invalid JSON: -Infinity is not a number"),
        ('{"build": NaN}', "t.json:1: invalid JSON: NaN is not a number"),
        ('{"build": 1e308}', "t.json: timing of `build` is 1e+308 seconds, over a year"),
        ('{"build": 1e999}', "t.json: timing of `build` is inf seconds, over a year"),
        ('{"a\\nb": "x"}', "t.json: timing of `a\\nb` must be a number"),
        (
            '{"jobs": [{"name": "a", "startedAt": "2025-01-01T00:00:00",'
            ' "completedAt": "2025-01-01T00:01:00Z"}]}',
            "t.json: jobs[0]: one of `startedAt`/`completedAt` has a time zone and the other not",
        ),
        (
            '{"jobs": [{"name": "a", "startedAt": "0002-01-01T00:00:00Z",'
            ' "completedAt": "9999-01-01T00:00:00Z"}]}',
            "t.json: timing of `jobs[0]` is",
        ),
        ("[" * 100_000 + "]" * 100_000, "t.json: invalid JSON: nested too deeply"),
        ('{"a":' * 5000 + "1" + "}" * 5000, "t.json: invalid JSON: nested too deeply"),
    ],
)
def test_bad_timings_name_the_file_and_line(tmp_path, monkeypatch, content, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.json").write_text(content, encoding="utf-8")
    with pytest.raises(PitstopError) as raised:
        load_timings("t.json")
    assert str(raised.value).startswith(expected)


def test_missing_and_non_utf8_timings_are_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PitstopError, match=r"^t\.json: no such timings file$"):
        load_timings("t.json")
    (tmp_path / "t.json").write_bytes(b'{\n"b\xe9": 1}')
    with pytest.raises(PitstopError, match=r"^t\.json:2: timings are not UTF-8$"):
        load_timings("t.json")


def test_naive_times_on_both_sides_are_read_as_one_clock(tmp_path):
    job = gh_job("lint", "2025-01-01T09:00:00", "2025-01-01T09:01:30")
    (tmp_path / "t.json").write_text(json.dumps({"jobs": [job]}), encoding="utf-8")
    assert load_timings(tmp_path / "t.json") == {"lint": 90.0}


def test_a_name_with_many_expressions_is_matched_in_linear_time():
    # `.+?` between the literals used to backtrack for minutes on a name that does not match.
    name = " ".join(f"x${{{{ matrix.v{i} }}}}" for i in range(8))
    jobs = f"test:\n  name: {name}\n  runs-on: ubuntu-latest\n  steps: [{{run: make}}]\n"
    shown = "x" * 60 + " y"
    started = time.perf_counter()
    durations = job_durations(workflow(jobs), {shown: 1.0, "x1 x2 x3 x4 x5 x6 x7 x8 (a)": 2.0})
    assert time.perf_counter() - started < 1.0
    assert durations.seconds == {"test": 2.0}
    assert durations.unmatched == (shown,)


@pytest.mark.parametrize(
    ("label", "shown", "belongs"),
    [
        ("Docs ${{ f }}", "Docs html", True),
        ("Docs ${{ f }}", "Docs ", False),  # an expression fills in at least one character
        ("${{ a }}${{ b }}", "xy", True),
        ("${{ a }}${{ b }}", "x", False),
        ("a${{ x }}b${{ y }}c", "a1b2c", True),
        ("a${{ x }}b${{ y }}c", "abbc", False),
        ("a${{ x }}b${{ y }}c", "a-b-bc", True),
        ("t ${{ x }}", "t 1 (3.12, ubuntu)", True),
        ("t", "t (3.12, ubuntu)", True),
        ("t", "t (3.12", False),
        ("t ${{ x }} end", "t 1 end (a) (b)", True),
    ],
)
def test_expression_labels_match_as_the_regex_did(label, shown, belongs):
    jobs = f"j:\n  name: '{label}'\n  runs-on: x\n  steps: [{{run: make}}]\n"
    assert (job_durations(workflow(jobs), {shown: 1.0}).seconds != {}) is belongs
