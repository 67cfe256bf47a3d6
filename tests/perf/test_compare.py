"""pitstop.perf.compare with the run as the unit: run medians, runs a side, the reasons for
no verdict. In-memory results; tests/perf/test_bench_compare.py runs the real tools."""

from __future__ import annotations

import random

import pytest

from pitstop.parsers.benchmarks import Benchmark, BenchmarkResults
from pitstop.perf.compare import Settings, Verdict, compare
from pitstop.perf.stats import median


def run(path: str, level: float, seed: int, rounds: int = 31) -> BenchmarkResults:
    """One run of a one-benchmark suite: rounds 1% apart around `level` seconds."""
    generator = random.Random(seed)
    timings = tuple(level * generator.lognormvariate(0, 0.01) for _ in range(rounds))
    return BenchmarkResults(path, "pytest-benchmark", (Benchmark("work", timings),))


def side(name: str, levels: list[float], seed: int) -> list[BenchmarkResults]:
    return [run(f"{name}-{i}.json", level, seed + i) for i, level in enumerate(levels)]


# The same code, each run of it shifted by up to 8% as on a busy shared machine.
SHIFTS = [1.0, 1.08, 0.94, 1.03, 0.97, 1.06, 0.95]


def only(base, head, settings=None):
    (found,) = compare(base, head, settings or Settings()).benchmarks
    return found


def test_run_shifts_of_the_same_code_are_no_change():
    found = only(side("a", SHIFTS[:6], 1), side("b", SHIFTS[1:7], 20))
    assert found.verdict is Verdict.NO_CHANGE
    assert (found.base_n, found.head_n, found.base_rounds, found.head_rounds) == (6, 6, 186, 186)


def test_ratio_is_of_the_medians_of_run_medians():
    base, head = side("a", SHIFTS[:6], 1), side("b", [1.2 * s for s in SHIFTS[:6]], 20)
    found = only(base, head)
    assert found.measured is not None
    medians = [median(r.benchmarks[0].timings) for r in base]
    assert found.measured.base_median == median(medians)
    assert found.measured.ratio == found.measured.head_median / found.measured.base_median
    assert found.measured.ratio == pytest.approx(1.2, rel=0.02)
    assert found.measured.p_value == pytest.approx(2 / 924)  # exact, on 6 run medians a side
    assert found.verdict is Verdict.REGRESSION


def test_one_run_a_side_is_insufficient_data_however_far_apart():
    found = only(side("a", [1.0], 1), side("b", [1.5], 2))
    assert found.verdict is Verdict.INSUFFICIENT and found.measured is None
    assert found.reason == (
        "one run a side: a shift of the whole run cannot be told from a change of the code; "
        "give at least 6 runs a side, base and head interleaved"
    )


def test_fewer_runs_than_the_minimum_is_insufficient_unless_lowered():
    base, head = side("a", SHIFTS[:4], 1), side("b", [1.3] * 4, 9)
    found = only(base, head)
    assert (found.verdict, found.reason) == (
        Verdict.INSUFFICIENT,
        "4 base and 4 head runs (at least 6 a side, base and head interleaved)",
    )
    assert only(base, head, Settings(min_runs=4)).verdict is Verdict.REGRESSION


def test_a_file_without_timings_names_the_file():
    base = side("a", SHIFTS[:6], 1)
    saved = BenchmarkResults("a-5.json", "pytest-benchmark", (Benchmark("work", (), "no raw"),))
    found = only([*base, saved], side("b", SHIFTS[:6], 9))
    assert (found.verdict, found.reason) == (Verdict.INSUFFICIENT, "base: a-5.json: no raw")


def test_benchmarks_on_one_side_only_are_added_or_removed():
    base = side("a", SHIFTS[:5], 1)
    other = BenchmarkResults("b.json", "pyperf", (Benchmark("join", (1.0, 1.1)),))
    comparison = compare(base, [other], Settings())
    assert (comparison.added, comparison.removed, comparison.benchmarks) == (
        ("join",),
        ("work",),
        (),
    )
    assert (comparison.base_tool, comparison.head, comparison.head_tool) == (
        "pytest-benchmark",
        ("b.json",),
        "pyperf",
    )


# A machine whose level swings 3x between moments: each pair of runs shares its moment.
SWINGS = [1.0, 3.0, 1.5, 1.0, 2.0, 3.0, 1.2, 1.7, 2.6, 1.1]


def test_paired_runs_find_a_slowdown_that_swings_of_the_machine_hide_unpaired():
    base = side("a", SWINGS, 1)
    head = side("b", [1.1 * s for s in SWINGS], 40)
    assert only(base, head).verdict is Verdict.NO_CHANGE
    found = only(base, head, Settings(paired=True))
    assert found.verdict is Verdict.REGRESSION
    assert found.measured is not None and found.measured.method == "Wilcoxon signed-rank"
    assert found.measured.ratio == pytest.approx(1.1, rel=0.01)
    assert found.measured.p_value == pytest.approx(2 / 2**10)  # exact: all 10 pairs slower


def test_paired_runs_of_the_same_code_are_no_change():
    base = side("a", SWINGS, 1)
    head = side("b", [s * (1.01 if i % 2 else 0.99) for i, s in enumerate(SWINGS)], 40)
    assert only(base, head, Settings(paired=True)).verdict is Verdict.NO_CHANGE


def test_pairing_follows_the_files_and_drops_a_partner_without_the_benchmark():
    base = side("a", SWINGS[:7], 1)
    head = side("b", [1.1 * s for s in SWINGS[:7]], 40)
    empty = BenchmarkResults("b-gap.json", "pytest-benchmark", ())
    head[2] = empty
    found = only(base, head, Settings(paired=True))
    assert (found.base_n, found.head_n, found.verdict) == (6, 6, Verdict.REGRESSION)
    head[3] = empty
    found = only(base, head, Settings(paired=True))
    assert (found.base_n, found.verdict) == (5, Verdict.INSUFFICIENT)
