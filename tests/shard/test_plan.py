"""The shard planner (pitstop.impact.shard): balance, determinism, estimates, setup costs."""

from __future__ import annotations

import random

import pytest

from pitstop.impact.shard import (
    BY_FILE,
    BY_ITEM,
    Durations,
    Unit,
    file_units,
    item_units,
    plan,
    plan_items,
    setup_costs,
    shard_selection,
    shard_tests,
)


def units(*seconds: float) -> list[Unit]:
    return [
        Unit(f"tests/test_{i:03}.py", f"tests/test_{i:03}.py", s) for i, s in enumerate(seconds)
    ]


def loads(made) -> list[float]:
    return [round(s.expected_seconds, 6) for s in made.shards]


@pytest.mark.parametrize(
    ("seconds", "shards", "slowest"),
    [
        ((5, 4, 3, 3, 3), 2, 9),  # LPT alone gives 10 (5+3+3 | 4+3); a swap reaches 9
        ((8, 7, 6, 5, 4), 2, 15),
        ((3, 3, 2, 2, 2), 2, 6),  # LPT gives 7 (3+2+2 | 3+2): the improvement pass finds 6
        ((10, 1, 1), 3, 10),  # the longest unit is the bound
        ((1, 1, 1, 1), 4, 1),
    ],
)
def test_the_slowest_shard_is_the_best_split(seconds, shards, slowest):
    made = plan(units(*seconds), shards)
    assert made.slowest == pytest.approx(slowest)
    assert sorted(u.name for s in made.shards for u in s.units) == sorted(
        u.name for u in units(*seconds)
    )


def test_the_ideal_is_the_total_over_n_or_the_longest_unit():
    even = plan(units(4, 4, 4, 4), 2)
    assert (even.ideal_seconds, even.longest_bound) == (8, False)
    lopsided = plan(units(20, 1, 1), 2)
    assert (lopsided.ideal_seconds, lopsided.longest_bound) == (20, True)


def test_fewer_units_than_shards_leaves_shards_empty_not_missing():
    made = plan(units(3, 2), 4)
    assert [len(s.units) for s in made.shards] == [1, 1, 0, 0]
    assert [s.index for s in made.shards] == [1, 2, 3, 4]


def test_the_same_input_gives_the_same_plan_whatever_its_order():
    rng = random.Random(7)
    seconds = [rng.lognormvariate(0, 1.2) for _ in range(300)]
    one = plan(units(*seconds), 8)
    shuffled = units(*seconds)
    rng.shuffle(shuffled)
    two = plan(shuffled, 8)
    assert [[u.name for u in s.units] for s in one.shards] == [
        [u.name for u in s.units] for s in two.shards
    ]


def test_a_heavy_tailed_suite_comes_within_a_percent_of_the_ideal():
    rng = random.Random(3)
    seconds = [rng.paretovariate(1.5) for _ in range(2000)]
    for shards in (2, 4, 8, 16):
        made = plan(units(*seconds), shards)
        assert made.slowest <= made.ideal_seconds * 1.01, shards


def test_unknown_files_get_the_median_of_the_measured_files():
    durations = Durations(
        {"tests/test_a.py::t": 1.0, "tests/test_b.py::t": 3.0, "tests/test_c.py::t": 10.0}
    )
    found, estimated = file_units(["tests/test_a.py", "tests/test_new.py"], durations)
    assert [(u.name, u.seconds, u.estimated) for u in found] == [
        ("tests/test_a.py", 1.0, False),
        ("tests/test_new.py", 3.0, True),
    ]
    assert estimated == 1


def test_unknown_tests_get_their_files_median_else_the_suites():
    durations = Durations(
        {"tests/test_a.py::x": 1.0, "tests/test_a.py::y": 3.0, "tests/test_b.py::z": 10.0}
    )
    found, estimated = item_units(
        ["tests/test_a.py::new", "tests/test_c.py::new", "tests/test_b.py::z"], durations, {}
    )
    assert {u.name: (u.seconds, u.estimated) for u in found} == {
        "tests/test_a.py::new": (2.0, True),
        "tests/test_b.py::z": (10.0, False),
        "tests/test_c.py::new": (3.0, True),  # the suite's median
    }
    assert estimated == 2


def test_nothing_measured_splits_by_count():
    made = plan_items([f"tests/test_{i}.py::t" for i in range(6)], Durations(), 3, BY_FILE)
    assert not made.measured
    assert loads(made) == [2.0, 2.0, 2.0]


def test_the_setup_cost_is_the_first_tests_excess_over_the_files_median():
    durations = Durations(
        {"t.py::a": 5.0, "t.py::b": 1.0, "t.py::c": 1.0, "u.py::a": 1.0, "u.py::b": 1.0},
        first={"t.py": "t.py::a", "u.py": "u.py::a"},
    )
    assert setup_costs(durations) == {"t.py": 4.0}  # u.py's first test costs no more


def test_by_item_a_split_file_pays_its_setup_in_each_shard():
    # one heavy file: 4 tests of 1 s after a 2 s setup carried by its first test
    seconds = {"tests/test_big.py::a": 3.0, **{f"tests/test_big.py::{n}": 1.0 for n in "bcd"}}
    durations = Durations(seconds, first={"tests/test_big.py": "tests/test_big.py::a"})
    made = plan_items(list(seconds), durations, 2, BY_ITEM)
    assert made.by == BY_ITEM
    assert sorted(loads(made)) == [4.0, 4.0]  # 2 s of tests + 2 s of setup, on each side
    by_file = plan_items(list(seconds), durations, 2, BY_FILE)
    assert by_file.by == BY_FILE and loads(by_file) == [6.0, 0.0]


def test_by_item_keeps_whole_files_when_splitting_does_not_balance_better():
    seconds = {f"tests/test_{f}.py::{t}": 1.0 for f in "abcd" for t in "xy"}
    made = plan_items(list(seconds), Durations(seconds), 2, BY_ITEM)
    assert made.by == BY_FILE
    assert loads(made) == [4.0, 4.0]


def test_a_split_file_runs_by_path_with_the_tests_planned_elsewhere_deselected():
    seconds = {"tests/test_big.py::a": 4.0, "tests/test_big.py::b": 4.0, "tests/test_s.py::c": 1.0}
    made, tests = shard_selection(
        ["tests/test_big.py", "tests/test_s.py"], Durations(seconds), 2, BY_ITEM
    )
    assert made.by == BY_ITEM
    placed = [t for s in tests for t in s.tests]
    assert sorted(placed) == ["tests/test_big.py::a", "tests/test_big.py::b", "tests/test_s.py"]
    for shard in tests:
        assert shard.args[0] == "tests/test_big.py"  # a test added since runs, not lost
        assert len([a for a in shard.args if a.startswith("--deselect=")]) == 1


def test_whole_files_are_listed_by_path():
    made = plan(units(3, 2, 1), 2)
    assert [s.tests for s in shard_tests(made)] == [
        ("tests/test_000.py",),
        ("tests/test_001.py", "tests/test_002.py"),
    ]


def test_a_file_no_duration_names_is_estimated_by_its_test_functions():
    durations = Durations({"tests/test_a.py::x": 2.0, "tests/test_a.py::y": 4.0})
    found, estimated = file_units(
        ["tests/helpers_test.py", "tests/test_new.py", "tests/test_unread.py"],
        durations,
        {"tests/helpers_test.py": 0, "tests/test_new.py": 3},
    )
    assert {u.name: u.seconds for u in found} == {
        "tests/helpers_test.py": 0.0,  # no test in it: no phantom time
        "tests/test_new.py": 9.0,  # 3 tests at the median test's 3 s
        "tests/test_unread.py": 6.0,  # no count: the median file
    }
    assert estimated == 3


def test_by_item_splits_only_the_files_that_must_be_split():
    # one file as long as all the others together, and small files with a setup each
    seconds = {f"tests/test_big.py::t{i}": 1.0 for i in range(8)}
    first = {}
    for n in range(8):
        seconds[f"tests/test_{n}.py::a"] = 1.5
        seconds[f"tests/test_{n}.py::b"] = 0.5
        seconds[f"tests/test_{n}.py::c"] = 0.5
        first[f"tests/test_{n}.py"] = f"tests/test_{n}.py::a"  # 1 s of setup in each
    made = plan_items(list(seconds), Durations(seconds, first), 4, BY_ITEM)
    assert made.by == BY_ITEM
    spread = {u.file for s in made.shards for u in s.units if u.file != "tests/test_big.py"}
    homes = {f: {s.index for s in made.shards for u in s.units if u.file == f} for f in spread}
    assert all(len(shards) == 1 for shards in homes.values())  # small files stay whole
    assert made.slowest == pytest.approx(made.ideal_seconds)


def test_test_functions_are_counted_from_the_text(tmp_path):
    from pitstop.impact.durations import test_counts

    (tmp_path / "t.py").write_text(
        "def helper():\n    pass\n\ndef test_a():\n    pass\n\nclass TestB:\n"
        "    async def test_c(self):\n        pass\n"
    )
    assert test_counts(tmp_path, ["t.py", "missing.py"]) == {"t.py": 2}
