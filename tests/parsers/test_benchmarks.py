"""Benchmark results into one model (name -> raw timings in seconds), from files the real
tools wrote (tests/perf/tools.py); hand-written JSON only for malformed input."""

from __future__ import annotations

import json
import statistics

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.asv_results import NO_SAMPLES
from pitstop.parsers.benchmarks import read_benchmarks
from pitstop.parsers.pytest_benchmark import NO_DATA
from tests.perf import tools


def by_name(results):
    return {b.name: b for b in results.benchmarks}


def test_pytest_benchmark_json_has_every_round(tmp_path):
    path = tools.pytest_benchmark(tmp_path, rounds=9)
    results = read_benchmarks(path, "bench.json")
    found = by_name(results)
    assert results.tool == "pytest-benchmark"
    assert list(found) == ["test_bench.py::test_work", "test_bench.py::test_pedantic"]
    document = json.loads(path.read_text())
    for entry in document["benchmarks"]:
        timings = found[entry["fullname"]].timings
        assert len(timings) == entry["stats"]["rounds"]
        assert statistics.median(timings) == pytest.approx(entry["stats"]["median"])
    assert len(found["test_bench.py::test_pedantic"].timings) == 9


def test_pytest_benchmark_saved_without_data_says_how_to_save_it(tmp_path):
    found = by_name(read_benchmarks(tools.pytest_benchmark_saved(tmp_path), "saved.json"))
    work = found["test_bench.py::test_work"]
    assert (work.timings, work.missing) == ((), NO_DATA)
    assert NO_DATA == "no raw timings (save with --benchmark-save-data)"


def test_pytest_benchmark_saved_with_data(tmp_path):
    path = tools.pytest_benchmark_saved(tmp_path, "--benchmark-save-data")
    work = by_name(read_benchmarks(path, "saved.json"))["test_bench.py::test_work"]
    assert work.missing is None and len(work.timings) >= 5


def test_pyperf_values_without_warmups(tmp_path):
    path = tools.pyperf(tmp_path)
    results = read_benchmarks(path, "pyperf.json")
    assert results.tool == "pyperf"
    found = by_name(results)
    assert list(found) == ["work", "join"]
    document = json.loads(path.read_text())
    for entry, name in zip(document["benchmarks"], ["work", "join"], strict=True):
        values = [v for run in entry["runs"] for v in run.get("values", [])]
        assert found[name].timings == tuple(values)
    assert len(found["work"].timings) == 9  # 3 processes x 3 values; warmups left out


def test_asv_with_recorded_samples(tmp_path):
    found = by_name(read_benchmarks(tools.asv(tmp_path, "--record-samples"), "asv.json"))
    assert set(found) == {
        "bench.time_work",
        "bench.TimeParams.time_sum(10)",
        "bench.TimeParams.time_sum(1000)",
        "bench.track_answer",
    }
    assert len(found["bench.time_work"].timings) >= 5
    assert found["bench.TimeParams.time_sum(1000)"].missing is None
    assert found["bench.track_answer"].missing == "not a timing benchmark"


def test_asv_without_samples_says_what_it_lacks(tmp_path):
    found = by_name(read_benchmarks(tools.asv(tmp_path), "asv.json"))
    assert (found["bench.time_work"].timings, found["bench.time_work"].missing) == ((), NO_SAMPLES)
    assert "--record-samples" in NO_SAMPLES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"benchmarks": [\n  {"stats": }\n]}', "f.json:2: invalid JSON: Expecting value"),
        ("[1, 2]", "f.json: not a benchmark results file"),
        ('{"hello": 1}', "f.json: not a benchmark results file"),
        (
            '{"benchmarks": [{"fullname": "t", "stats": {"data": [0.1, "x"]}}]}',
            "f.json: t: 'x' is not a timing in seconds",
        ),
        (
            '{"benchmarks": [{"fullname": "t", "stats": {"data": [-1]}}]}',
            "f.json: t: -1 is not a timing in seconds",
        ),
        ('{"benchmarks": [{"stats": {"data": [1]}}]}', "f.json: benchmarks[0]: `fullname`"),
        (
            '{"benchmarks": [{"fullname": "t", "stats": {"data": [1]}}, '
            '{"fullname": "t", "stats": {"data": [1]}}]}',
            "f.json: benchmark 't' appears twice",
        ),
        (
            '{"benchmarks": [{"runs": [{"values": [1]}]}]}',
            "f.json: benchmarks[0]: no `metadata.name`",
        ),
        (
            '{"benchmarks": [{"metadata": {"name": "w"}, "runs": [{"values": 3}]}]}',
            "f.json: w: a run's `values` is not a list",
        ),
        (
            '{"result_columns": ["result"], "results": {"b": 1}}',
            "f.json: b: the result is not a list",
        ),
    ],
)
def test_malformed_input_is_one_line_with_the_file(tmp_path, text, message):
    path = tmp_path / "f.json"
    path.write_text(text)
    with pytest.raises(PitstopError) as raised:
        read_benchmarks(path, "f.json")
    assert str(raised.value).startswith(message)


def test_pyperf_non_timing_unit(tmp_path):
    path = tmp_path / "f.json"
    document = {
        "metadata": {"unit": "byte"},
        "benchmarks": [{"metadata": {"name": "m"}, "runs": []}],
    }
    path.write_text(json.dumps(document))
    (memory,) = read_benchmarks(path, "f.json").benchmarks
    assert memory.missing == "not a timing (pyperf unit 'byte')"
