"""`pitstop record bench` and `bench compare --base-branch`: benchmark runs recorded in the
history (on SQLite and PostgreSQL) are a base the head's runs are judged against."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pitstop import api
from pitstop.cli import main
from pitstop.history.store import Store
from pitstop.parsers.benchmarks import read_benchmarks
from tests.perf import tools

RUNS = 6  # the default minimum a side
WORK = "test_bench.py::test_work"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """pytest-benchmark runs made by the real tool: the base code, the same code again, and
    twice the work, interleaved."""
    folder = tmp_path_factory.mktemp("bench")
    made: dict[str, list[str]] = {"base": [], "again": [], "slower": []}
    for i in range(RUNS):
        for name, size in (("base", 2000), ("again", 2000), ("slower", 4000)):
            made[name].append(str(tools.pytest_benchmark(folder / f"{name}-{i}", size)))
    return made


def record(capsys, url, files, *identity):
    code = main(["record", "bench", *files, "--db", url, *identity])
    return code, capsys.readouterr().err


def record_main(capsys, url, files):
    """Each file recorded as a run of its own on main, as a benchmark job on main would."""
    for number, path in enumerate(files, start=1):
        code, err = record(capsys, url, [path], "--run-id", str(number), "--branch", "main")
        assert code == 0, err


def compare(capsys, url, *args):
    code = main(["bench", "compare", "--db", url, "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code in (0, 1) else None), err


def test_a_head_twice_as_slow_as_main_s_recorded_runs_is_a_regression(runs, database_url, capsys):
    record_main(capsys, database_url, runs["base"])
    code, found, _ = compare(
        capsys, database_url, "--base-branch", "main", "--head", *runs["slower"]
    )
    work = next(b for b in found["benchmarks"] if b["name"] == WORK)
    assert (code, work["verdict"], work["base_n"], work["head_n"]) == (1, "regression", 6, 6)
    code, found, _ = compare(
        capsys, database_url, "--base-branch", "main", "--head", *runs["again"]
    )
    work = next(b for b in found["benchmarks"] if b["name"] == WORK)
    assert (code, work["verdict"]) == (0, "no change")


def test_the_recorded_timings_are_the_file_s_raw_timings(runs, database_url, capsys):
    record_main(capsys, database_url, runs["base"][:1])
    from pitstop.history.store import Store

    store = Store.open(database_url)
    try:
        (recorded,) = api.recorded_bench_runs(store, "main")
    finally:
        store.close()
    read = read_benchmarks(Path(runs["base"][0]), "f")
    assert recorded.tool == "pytest-benchmark"
    assert {b.name: b.timings for b in recorded.benchmarks} == {
        b.name: b.timings for b in read.benchmarks
    }
    assert recorded.path.startswith("history: run 1")


def test_recording_the_same_file_twice_adds_nothing(runs, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    code, first = record(capsys, url, runs["base"][:1], "--run-id", "7")
    assert code == 0 and "2 benchmarks recorded, 0 already there" in first
    code, again = record(capsys, url, runs["base"][:1], "--run-id", "7")
    assert code == 0 and "0 benchmarks recorded, 2 already there" in again


def test_base_runs_takes_the_newest_runs_of_the_branch_only(runs, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    record_main(capsys, url, runs["base"])
    code, _ = record(capsys, url, runs["slower"][:1], "--run-id", "99", "--branch", "feature")
    assert code == 0
    code, found, _ = compare(
        capsys, url, "--base-branch", "main", "--base-runs", "3", *runs["again"][:1]
    )
    work = next(b for b in found["benchmarks"] if b["name"] == WORK)
    assert (work["verdict"], work["base_n"]) == ("insufficient data", 3)
    code, found, _ = compare(capsys, url, "--base-branch", "feature", "--head", *runs["again"])
    work = next(b for b in found["benchmarks"] if b["name"] == WORK)
    assert work["base_n"] == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--base-branch", "main", "HEAD"], "no benchmark run of branch 'main' is recorded"),
        (["--base-runs", "3", "A", "B"], "--base-runs goes with --base-branch"),
        (["--base-branch", "main", "A", "B"], "with --base-branch give only the head"),
        (["--base-branch", "main", "--base", "A", "--head", "B"], "give only the head"),
        (["--base-branch", "main", "--base-runs", "0", "H"], "--base-runs must be at least 1"),
    ],
)
def test_bad_history_usage_is_one_line_and_exit_2(runs, tmp_path, capsys, args, expected):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    args = [runs["base"][0] if a in ("HEAD", "H", "A", "B") else a for a in args]
    code, _, err = compare(capsys, url, *args)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1


def test_pruning_a_run_deletes_its_benchmarks(runs, database_url, capsys):
    record_main(capsys, database_url, runs["base"][:2])
    store = Store.open(database_url)
    try:
        assert store.prune(time.time() + 1) == 2
    finally:
        store.close()
    code, _, err = compare(capsys, database_url, "--base-branch", "main", runs["base"][0])
    assert code == 2 and "no benchmark run" in err
