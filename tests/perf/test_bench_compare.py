"""`pitstop bench compare` end to end, on files the real tools wrote, several runs a side: a
regression found, an A/A comparison of interleaved runs unchanged, one run a side as
insufficient data, bad input, the JSON contract."""

from __future__ import annotations

import json
import shutil

import pytest

from pitstop.cli import main
from tests.perf import tools
from tests.test_cli import loaded_modules

RUNS = 6  # the default minimum a side


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """pytest-benchmark runs, interleaved as the README's workflow runs them: the base code
    (`base`), the same code again (`again`) and twice the work (`slower`), 6 of each."""
    folder = tmp_path_factory.mktemp("bench")
    made = {"base": [], "again": [], "slower": []}
    for i in range(RUNS):
        for name, size in (("base", 2000), ("again", 2000), ("slower", 4000)):
            made[name].append(tools.pytest_benchmark(folder / f"{name}-{i}", size))
    return made


def compare(capsys, *args):
    code = main(["bench", "compare", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def sides(base, head):
    return ["--base", *base, "--head", *head]


def verdicts(capsys, *args):
    code, out, _ = compare(capsys, *args, "--format", "json")
    return code, {b["name"]: b["verdict"] for b in json.loads(out)["benchmarks"]}


WORK, PEDANTIC = "test_bench.py::test_work", "test_bench.py::test_pedantic"


def test_twice_the_work_is_a_regression_and_exits_1(runs, capsys):
    code, found = verdicts(capsys, *sides(runs["base"], runs["slower"]))
    assert (code, found) == (1, {WORK: "regression", PEDANTIC: "regression"})


def test_a_faster_head_is_an_improvement_and_exits_0(runs, capsys):
    code, found = verdicts(capsys, *sides(runs["slower"], runs["base"]))
    assert (code, found) == (0, {WORK: "improvement", PEDANTIC: "improvement"})


def test_fail_on_never_exits_0_on_a_regression(runs, capsys):
    args = sides(runs["base"], runs["slower"])
    assert compare(capsys, *args, "--fail-on", "never")[0] == 0


def test_the_same_runs_on_both_sides_are_no_change(runs, capsys):
    code, found = verdicts(capsys, *sides(runs["base"], runs["base"]))
    assert (code, found) == (0, {WORK: "no change", PEDANTIC: "no change"})


def test_a_a_runs_of_the_same_code_interleaved_are_no_change(runs, tmp_path, capsys):
    """Real runs of the same code, base and head interleaved: the machine's noise is real
    (benchmarks/bench_gate.py measures the false-alarm rate itself: under 1% of the
    comparisons with 6 runs a side), so one fresh set of head runs is tried on a flag."""
    head = runs["again"]
    for attempt in range(2):
        code, found = verdicts(capsys, *sides(runs["base"], head))
        if code == 0 and set(found.values()) == {"no change"}:
            break
        head = [tools.pytest_benchmark(tmp_path / f"{attempt}-{i}", 2000) for i in range(RUNS)]
    assert (code, found) == (0, {WORK: "no change", PEDANTIC: "no change"})


def test_directories_stand_for_their_runs(runs, tmp_path, capsys):
    for name in ("base", "slower"):
        (tmp_path / name).mkdir()
        for i, path in enumerate(runs[name]):
            shutil.copy(path, tmp_path / name / f"{name}-{i}.json")
    code, found = verdicts(capsys, tmp_path / "base", tmp_path / "slower")
    assert (code, found) == (1, {WORK: "regression", PEDANTIC: "regression"})


def test_a_large_min_effect_turns_a_regression_into_no_change(runs, capsys):
    args = sides(runs["base"], runs["slower"])
    code, found = verdicts(capsys, *args, "--min-effect", "3")
    assert (code, found) == (0, {WORK: "no change", PEDANTIC: "no change"})


def test_one_run_a_side_is_insufficient_data_with_how_to_fix(runs, capsys):
    code, out, _ = compare(capsys, runs["base"][0], runs["slower"][0], "--format", "json")
    document = json.loads(out)
    assert code == 0  # twice the work, but one run a side cannot show it is not a run shift
    for entry in document["benchmarks"]:
        assert entry["verdict"] == "insufficient data"
        assert (entry["ratio"], entry["interval"], entry["p_value"]) == (None, None, None)
        assert entry["reason"] == (
            "one run a side: a shift of the whole run cannot be told from a change of the "
            "code; give at least 6 runs a side, base and head interleaved"
        )
    assert (document["base"]["runs"], document["settings"]["min_runs"]) == (1, 6)


def test_min_runs_lowers_the_runs_needed(runs, capsys):
    args = sides(runs["base"][:3], runs["slower"][:3])
    code, out, _ = compare(capsys, *args)
    assert code == 0 and "3 base and 3 head runs (at least 6 a side" in out
    # 3 runs a side: the smallest exact p-value is 0.1, so a verdict exists but cannot flag
    code, found = verdicts(capsys, *args, "--min-runs", "3")
    assert (code, found) == (0, {WORK: "no change", PEDANTIC: "no change"})


def test_saved_without_data_is_insufficient_data_with_how_to_fix(runs, tmp_path, capsys):
    saved = tools.pytest_benchmark_saved(tmp_path)
    code, out, _ = compare(capsys, *sides([*runs["base"], saved], runs["slower"]))
    assert code == 0
    assert "insufficient data" in out
    reason = f"base: {saved}: no raw timings (save with --benchmark-save-data)"
    assert f"  {WORK}: {reason}\n" in out


def test_json_contract(runs, capsys):
    base = [*runs["base"], *runs["again"]]  # 12 base runs against 6 head runs
    _, out, _ = compare(capsys, *sides(base, runs["slower"]), "--format", "json")
    document = json.loads(out)
    assert document["version"] == 1
    entry = document["benchmarks"][0]
    contract = {"name", "verdict", "ratio", "interval", "p_value", "base_n", "head_n"}
    assert contract | {"base_rounds", "head_rounds"} <= set(entry)
    assert entry["name"] == WORK and entry["ratio"] > 1.5
    low, high = entry["interval"]
    assert 1 < low <= entry["ratio"] <= high
    assert 0 <= entry["p_value"] < 0.05
    assert (entry["base_n"], entry["head_n"]) == (12, 6)  # runs, the unit of evidence
    assert entry["base_rounds"] > entry["base_n"] and isinstance(entry["head_rounds"], int)
    assert document["base"]["paths"] == list(map(str, base))
    assert document["base"]["runs"] == 12 and document["head"]["tool"] == "pytest-benchmark"


def test_markdown_lists_regressions_first_and_says_how(runs, capsys):
    args = sides(runs["base"], runs["slower"])
    code, out, _ = compare(capsys, *args, "--format", "markdown")
    assert code == 1
    assert out.startswith("## Benchmarks: 2 regressions\n")
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert all(" | **regression** | " in row and row.endswith(" | 6/6 |") for row in rows)
    code, out, _ = compare(capsys, runs["base"][0], runs["slower"][0], "--format", "markdown")
    assert out.startswith("## Benchmarks: no regression\n")
    assert "Insufficient data:" in out and "one run a side" in out
    assert "How it was decided" in out and "hierarchical-bootstrap" in out


def test_benchmarks_in_one_file_only_are_added_or_removed(runs, tmp_path, capsys):
    pyperf = tools.pyperf(tmp_path)
    code, out, _ = compare(capsys, runs["base"][0], pyperf, "--format", "json")
    document = json.loads(out)
    assert (code, document["benchmarks"]) == (0, [])
    assert document["added"] == ["work", "join"]
    assert document["removed"] == [WORK, PEDANTIC]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"benchmarks": [\n  {"fullname": \n', "bad.json:3: invalid JSON"),
        ('{"benchmarks": 3}', "bad.json: not a benchmark results file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, monkeypatch, capsys, text, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text(text)
    code, out, err = compare(capsys, runs["base"][0], "bad.json")
    assert (code, out) == (2, "")
    assert err.startswith(f"pitstop: error: {expected}") and err.count("\n") == 1


def test_missing_file_and_bad_options_exit_2(runs, tmp_path, capsys):
    base = runs["base"][0]
    assert compare(capsys, base, "nowhere.json")[2] == (
        "pitstop: error: nowhere.json: cannot read: No such file or directory\n"
    )
    assert compare(capsys, *sides([base], [base, "nowhere.json"]))[2] == (
        "pitstop: error: nowhere.json: cannot read: No such file or directory\n"
    )
    assert compare(capsys, base, "--head", base)[2] == (
        "pitstop: error: give BASE HEAD (one file or directory each), or --base RUN... "
        "--head RUN..., not a mix\n"
    )
    assert compare(capsys, base, tmp_path)[2] == (
        f"pitstop: error: {tmp_path}: no *.json results file in this directory\n"
    )
    assert compare(capsys, base, base, "--min-runs", "1")[2] == (
        "pitstop: error: --min-runs must be at least 2, not 1\n"
    )
    assert compare(capsys, *sides([base, base], [base]), "--paired")[2] == (
        "pitstop: error: --paired needs as many base runs as head runs, run interleaved "
        "(given 2 base and 1 head results files)\n"
    )
    assert compare(capsys, "--base-branch", "main", base, "--paired")[2] == (
        "pitstop: error: --paired needs base runs made beside the head's, not --base-branch\n"
    )
    with pytest.raises(SystemExit) as usage:
        main(["bench", "compare", str(base), str(base), "--fdr", "2"])
    assert usage.value.code == 2


def test_paired_interleaved_runs_judge_each_pair(runs, capsys):
    args = [*sides(runs["base"], runs["slower"]), "--paired"]
    code, found = verdicts(capsys, *args)
    assert (code, found) == (1, {WORK: "regression", PEDANTIC: "regression"})
    code, found = verdicts(capsys, *sides(runs["base"], runs["again"]), "--paired")
    assert (code, found) == (0, {WORK: "no change", PEDANTIC: "no change"})
    code, out, _ = compare(capsys, *args, "--format", "json")
    assert json.loads(out)["settings"]["paired"] is True
    code, out, _ = compare(capsys, *args, "--format", "markdown")
    assert "Wilcoxon signed-rank" in out and "Mann-Whitney" not in out


def test_bench_compare_loads_no_review_engine_and_review_no_perf(runs, tmp_path):
    loaded = loaded_modules("bench", "compare", str(runs["base"][0]), str(runs["slower"][0]))
    assert "pitstop.perf.compare" in loaded or "pitstop.parsers.benchmarks" in loaded
    assert not [m for m in loaded if m.startswith(("pitstop.review", "rich", "dockerfile"))]
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    loaded = loaded_modules("review", str(tmp_path / "Dockerfile"), "--color", "never")
    assert not [m for m in loaded if m.startswith(("pitstop.perf", "pitstop.parsers.bench"))]
