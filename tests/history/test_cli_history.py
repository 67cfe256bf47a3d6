"""`pitstop record` and `pitstop report` end to end through the CLI, on SQLite and on a
real PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from pitstop.cli import main
from pitstop.history import schema
from tests.parsers.test_buildlog import PLAIN
from tests.parsers.test_github_jobs import REST

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.test_cart.TestCart" name="test_total" file="tests/test_cart.py"
  time="0.50"/>
<testcase classname="tests.test_cart.TestCart" name="test_tax[de]" file="tests/test_cart.py"
  time="1.25"><failure message="assert 19 == 7">E assert 19 == 7</failure></testcase>
<testcase classname="tests.test_cart" name="test_&lt;img src=x onerror=alert(1)&gt;"
  file="tests/test_cart.py" time="0.01"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def count(url: str, table: object) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(found)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_RUN_ID", "GITHUB_SHA", "GITHUB_REF_NAME", "GITHUB_HEAD_REF", "PITSTOP_DB"):
        monkeypatch.delenv(name, raising=False)


def test_recording_a_file_twice_adds_nothing(database_url, tmp_path, capsys, clean_environment):
    junit = write(tmp_path, "junit.xml", JUNIT)
    record = ["record", "junit", str(junit), "--db", database_url, "--run-id", "41"]
    assert main([*record, "--commit", "abc", "--branch", "main"]) == 0
    assert "3 test results recorded, 0 already there (run 41" in capsys.readouterr().err
    assert main(record) == 0
    assert "0 test results recorded, 3 already there" in capsys.readouterr().err
    assert count(database_url, schema.test_results) == 3


def test_a_bad_file_is_one_line_exit_2_and_leaves_nothing_half_written(
    database_url, tmp_path, capsys, clean_environment
):
    good = write(tmp_path, "good.xml", JUNIT)
    truncated = JUNIT.replace("</testsuite></testsuites>", "<testcase name='x'")
    bad = write(tmp_path, "bad.xml", truncated.replace("test_total", "test_other"))
    code = main(["record", "junit", str(good), str(bad), "--db", database_url, "--run-id", "7"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [e for e in err if e.startswith("pitstop: error: ")] and len(err) == 1
    assert str(bad) in err[0] and "Traceback" not in err[0]
    assert count(database_url, schema.test_results) == 3  # the good file, none of the bad


def test_entities_are_refused(database_url, tmp_path, capsys, clean_environment):
    bomb = '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>'
    path = write(tmp_path, "bomb.xml", bomb)
    assert main(["record", "junit", str(path), "--db", database_url]) == 2
    assert "DTD or entities" in capsys.readouterr().err


def test_the_github_actions_environment_names_the_run(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_HEAD_REF", raising=False)
    monkeypatch.setenv("GITHUB_RUN_ID", "9001")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    monkeypatch.setenv("GITHUB_JOB", "tests")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    junit = write(tmp_path, "junit.xml", JUNIT)
    assert main(["record", "junit", str(junit), "--db", database_url]) == 0
    assert "(run 9001, attempt 2, job tests)" in capsys.readouterr().err
    engine = create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(select(schema.runs.c.run_id, schema.runs.c.branch)).one()
    engine.dispose()
    assert tuple(row) == ("9001", "main")


def test_jobs_builds_and_images_go_in(database_url, tmp_path, capsys, clean_environment):
    jobs = write(tmp_path, "jobs.json", json.dumps(REST))
    log = write(tmp_path, "build.log", PLAIN)
    meta = write(
        tmp_path,
        "meta.json",
        json.dumps({"image.name": "ghcr.io/acme/api:1", "containerimage.digest": "sha256:ab"}),
    )
    db = ["--db", database_url, "--run-id", "12"]
    assert main(["record", "github", str(jobs), *db]) == 0
    assert main(["record", "build", str(log), "--metadata", str(meta), *db]) == 0
    assert main(["record", "image", "--size", "ghcr.io/acme/api:1=184000000", *db]) == 0
    assert count(database_url, schema.jobs) == len(REST["jobs"])
    assert count(database_url, schema.builds) == 1
    assert count(database_url, schema.images) == 1
    assert main(["record", "image", *db]) == 2  # neither --inspect nor --size
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        main(["record", "image", "--size", "no-equals-sign", *db])
    assert usage.value.code == 2


def test_prune_deletes_old_runs_only(database_url, tmp_path, capsys, clean_environment):
    junit = write(tmp_path, "junit.xml", JUNIT)
    assert main(["record", "junit", str(junit), "--db", database_url, "--run-id", "1"]) == 0
    assert main(["record", "prune", "--older-than", "180d", "--db", database_url]) == 0
    assert "pruned 0 run(s)" in capsys.readouterr().err
    assert count(database_url, schema.test_results) == 3
    with pytest.raises(SystemExit) as usage:
        main(["record", "prune", "--older-than", "0s", "--db", database_url])
    assert usage.value.code == 2


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_report_in_every_format(database_url, tmp_path, capsys, clean_environment, fmt):
    junit = write(tmp_path, "junit.xml", JUNIT)
    assert main(["record", "junit", str(junit), "--db", database_url, "--run-id", "1"]) == 0
    output = tmp_path / f"report.{fmt}"
    assert main(["report", "--db", database_url, "--format", fmt, "-o", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert "<img src=x" not in text or fmt in ("text", "json")  # escaped where it could run
    if fmt == "json":
        document = json.loads(text)
        assert document["version"] == 1 and document["runs"] == 1
        assert set(document["tests"]) >= {"slowest", "flaky"}


def test_report_slow_lists_what_mark_slow_would_mark(
    database_url, tmp_path, capsys, clean_environment
):
    for run in range(25):
        slow = JUNIT.replace('time="1.25"', f'time="{6 + run % 3}"')
        junit = write(tmp_path, f"junit-{run}.xml", slow)
        assert (
            main(["record", "junit", str(junit), "--db", database_url, "--run-id", str(run)]) == 0
        )
    capsys.readouterr()
    assert main(["report", "--slow", "--db", database_url, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [t["test"] for t in document["slow"]] == ["tests/test_cart.py::TestCart::test_tax[de]"]
    assert document["slow"][0]["runs"] == 25 and document["slow"][0]["p95"] > 5
    assert main(["report", "--slow", "--db", database_url, "--format", "html"]) == 2


def test_the_jobs_json_names_its_own_run(database_url, tmp_path, capsys, clean_environment):
    jobs = write(tmp_path, "jobs.json", json.dumps(REST))
    assert main(["record", "github", str(jobs), "--db", database_url]) == 0
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = set(connection.execute(select(schema.runs.c.run_id)).scalars())
    engine.dispose()
    assert found == {str(REST["jobs"][0]["run_id"])}


def test_the_report_measures_the_balance_of_sharded_runs(
    database_url, tmp_path, capsys, clean_environment
):
    def shard_file(name: str, seconds: float) -> Path:
        case = (
            f'<testcase classname="tests.{name}" name="t" file="tests/{name}.py" time="{seconds}"/>'
        )
        return write(
            tmp_path, f"{name}.xml", f"<testsuites><testsuite>{case}</testsuite></testsuites>"
        )

    common = ["--db", database_url, "--workflow", "CI", "--job", "test"]
    for index, seconds in ((1, 30.0), (2, 10.0), (3, 20.0)):
        path = shard_file(f"test_{index}", seconds)
        assert (
            main(["record", "junit", str(path), *common, "--run-id", "5", "--shard", f"{index}/3"])
            == 0
        )
    # a run with a shard missing is not measured
    path = shard_file("test_9", 5.0)
    assert main(["record", "junit", str(path), *common, "--run-id", "6", "--shard", "1/2"]) == 0
    capsys.readouterr()
    assert main(["report", "--db", database_url, "--format", "json"]) == 0
    sharded = json.loads(capsys.readouterr().out)["sharded"]
    assert sharded == [
        {
            "workflow": "CI",
            "run_id": "5",
            "job": "test",
            "shards": 3,
            "slowest_seconds": 30.0,
            "mean_seconds": 20.0,
            "balance": 1.5,
        }
    ]


@pytest.mark.parametrize("given", ["0/2", "3/2", "x", "1/", "\u00b2/4"])
def test_a_bad_shard_is_a_usage_error(tmp_path, capsys, given):
    junit = write(tmp_path, "junit.xml", JUNIT)
    with pytest.raises(SystemExit) as exit:
        main(
            ["record", "junit", str(junit), "--shard", given, "--db", f"sqlite:///{tmp_path}/h.db"]
        )
    assert exit.value.code == 2
    assert "invalid shard (I/N, 1 <= I <= N) value" in capsys.readouterr().err
