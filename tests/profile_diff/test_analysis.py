"""The analysis on hand-made profiles: shares, the z statistic, recursion, moved
functions, ranking and the threshold."""

from __future__ import annotations

import math

import pytest

from pitstop.parsers.profiles import Frame, Profile
from pitstop.perf.profile import diff_profiles, flame_tree, shares, two_proportion_z


def frame(name: str, line: int = 1, file: str = "app.py") -> Frame:
    return Frame(name, file, line)


def sampled(stacks: dict[tuple[Frame, ...], float], path: str = "p") -> Profile:
    return Profile(path, "collapsed", "samples", stacks, sum(stacks.values()))


MAIN, A, B, C = frame("main"), frame("a", 5), frame("b", 9), frame("c", 13)


def test_z_is_the_pooled_two_proportion_statistic():
    # 300 of 1000 against 400 of 1000: pooled p = 0.35
    expected = 0.1 / math.sqrt(0.35 * 0.65 * (2 / 1000))
    assert two_proportion_z(0.3, 1000, 0.4, 1000) == pytest.approx(expected)
    assert two_proportion_z(0.0, 10, 0.0, 10) == 0.0  # undefined: nothing changed
    assert two_proportion_z(1.0, 10, 1.0, 20) == 0.0


def test_cumulative_counts_a_recursive_function_once_per_stack():
    profile = sampled({(MAIN, A, A, A): 3, (MAIN, B): 1})
    own, cumulative = shares(profile)
    assert cumulative[A] == 0.75 and own[A] == 0.75
    assert cumulative[MAIN] == 1.0 and MAIN not in own


@pytest.mark.parametrize(
    ("base", "head", "regressions", "improvements"),
    [
        # a grows from a third to a half of 3000 samples: z ~ 13; b and c shrink
        ({A: 1000, B: 1000, C: 1000}, {A: 1500, B: 750, C: 750}, ["a"], ["b", "c"]),
        # 3 samples against 4: no evidence either way
        ({A: 1, B: 2}, {A: 3, B: 1}, [], []),
        # the same shares: nothing
        ({A: 10, B: 10}, {A: 500, B: 500}, [], []),
        # a new function at 20% of 1000 samples
        ({A: 1000}, {A: 800, C: 200}, ["c"], ["a"]),
    ],
)
def test_what_is_listed(base, head, regressions, improvements):
    diff = diff_profiles(
        sampled({(MAIN, f): n for f, n in base.items()}),
        sampled({(MAIN, f): n for f, n in head.items()}),
    )
    assert [c.function for c in diff.regressions] == regressions
    assert sorted(c.function for c in diff.improvements) == improvements


def test_ranked_by_z_most_significant_first_and_threshold_applies():
    base = sampled({(MAIN, A): 1000, (MAIN, B): 1000, (MAIN, C): 8000})
    head = sampled({(MAIN, A): 1500, (MAIN, B): 1200, (MAIN, C): 7300})
    diff = diff_profiles(base, head)
    assert [c.function for c in diff.regressions] == ["a", "b"]
    assert diff.regressions[0].z > diff.regressions[1].z > 3
    assert [c.function for c in diff_profiles(base, head, 100).regressions] == []


def test_a_function_that_moved_is_the_same_function():
    """An edit above a function shifts its first line: not a vanished and a new function."""
    base = sampled({(MAIN, frame("a", 5)): 500, (MAIN, B): 500})
    head = sampled({(MAIN, frame("a", 8)): 800, (MAIN, frame("b", 12)): 200})
    diff = diff_profiles(base, head)
    assert [(c.function, c.line) for c in diff.regressions] == [("a", 8)]
    assert [(c.function, c.line) for c in diff.improvements] == [("b", 12)]


def test_a_name_on_several_lines_is_not_guessed_at():
    # py-spy without --function writes the current line: two lines of `a` in BASE
    base = sampled({(MAIN, frame("a", 5)): 500, (MAIN, frame("a", 6)): 500})
    head = sampled({(MAIN, frame("a", 7)): 1000})
    diff = diff_profiles(base, head)
    assert {(c.function, c.line) for c in diff.improvements} == {("a", 5), ("a", 6)}
    assert [(c.function, c.line) for c in diff.regressions] == [("a", 7)]


def test_cprofile_cumulative_is_its_cumtime():
    base = Profile("b", "cprofile", "ms", {(A,): 600.0, (B,): 400.0}, 1000.0, {A: 1000.0, B: 400.0})
    own, cumulative = shares(base)
    assert own[A] == 0.6 and cumulative[A] == 1.0 and cumulative[B] == 0.4


def test_the_flame_tree_is_heads_with_bases_shares():
    base = sampled({(MAIN, A): 50, (MAIN, B): 50})
    head = sampled({(MAIN, A): 80, (MAIN, C): 20})
    tree = flame_tree(base, head)
    assert tree.function == "all" and tree.head_weight == 100
    (main,) = tree.children
    assert [(n.function, n.head_share, n.base_share) for n in main.children] == [
        ("a", 0.8, 0.5),
        ("c", 0.2, 0.0),
    ]


def test_a_deep_stack_needs_no_recursion():
    deep = tuple(frame(f"f{i}", i) for i in range(5000))
    tree = flame_tree(sampled({deep: 1}), sampled({deep: 2}))
    depth = 0
    while tree.children:
        (tree,) = tree.children
        depth += 1
    assert depth == 5000
