"""pitstop.perf.stats against scipy, the reference it replaces at run time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from pitstop.perf.stats import (
    benjamini_hochberg,
    mann_whitney,
    median,
    paired_ratio,
    paired_ratio_interval,
    ratio,
    ratio_interval,
    wilcoxon,
)


def sample(seed: int, n: int, shift: float = 0.0) -> list[float]:
    generator = random.Random(seed)
    return [generator.lognormvariate(0, 0.2) + shift for _ in range(n)]


@pytest.mark.parametrize(
    ("n1", "n2", "shift", "method"),
    [
        (5, 5, 0.3, "exact"),
        (3, 8, 0.0, "exact"),
        (8, 20, 0.5, "exact"),  # one side at most 8: exact, however large the other
        (5, 200, 0.2, "exact"),
        (9, 9, 0.3, "asymptotic"),
        (30, 40, 0.1, "asymptotic"),
        (500, 700, 0.02, "asymptotic"),
    ],
)
def test_mann_whitney_matches_scipy(n1, n2, shift, method):
    x, y = sample(1, n1), sample(2, n2, shift)
    ours, theirs = mann_whitney(x, y), scipy_stats.mannwhitneyu(x, y)
    assert ours.method == method
    assert ours.u == theirs.statistic
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)


def test_mann_whitney_ties_use_the_corrected_normal_approximation():
    x, y = [1, 1, 2, 2, 3, 3, 4], [2, 3, 3, 4, 5, 5, 5]  # small, but tied: not exact
    ours, theirs = mann_whitney(x, y), scipy_stats.mannwhitneyu(x, y)
    assert ours.method == "asymptotic"
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-12)


def test_mann_whitney_of_identical_constant_samples_is_no_evidence():
    assert mann_whitney([2.0] * 6, [2.0] * 6).p_value == 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
    st.lists(st.integers(0, 6), min_size=1, max_size=12),
)
def test_mann_whitney_matches_scipy_on_any_small_sample(x, y):
    """Ties, exact and asymptotic, unequal sizes: whatever scipy's default computes. Where
    every value is the same, scipy 1.18 answers nan (1.17 answered 1.0): pitstop keeps 1.0,
    no evidence of a difference (the test above)."""
    if len(set(x + y)) == 1:
        assert mann_whitney(x, y).p_value == 1.0
        return
    expected = scipy_stats.mannwhitneyu(x, y).pvalue
    assert mann_whitney(x, y).p_value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "p_values",
    [[0.01, 0.04, 0.03, 0.2, 0.001], [0.5], [0.04, 0.04, 0.04], [0.9, 0.01, 0.02, 0.8, 0.03]],
)
def test_benjamini_hochberg_matches_scipy(p_values):
    expected = scipy_stats.false_discovery_control(p_values, method="bh")
    assert benjamini_hochberg(p_values) == pytest.approx(list(expected), rel=1e-12)


def test_median_of_odd_and_even_counts():
    assert (median([3, 1, 2]), median([4, 1, 3, 2])) == (2, 2.5)


def test_ratio_interval_agrees_with_scipy_bootstrap():
    """Same estimator, different random streams: the percentile intervals agree to Monte
    Carlo error (about 1% here), for an odd and an even sample size."""
    for n in (301, 300):
        base, head = sample(3, n), [v * 1.1 for v in sample(4, n)]
        ours = ratio_interval([base], [head], resamples=4000)  # one run a side
        theirs = scipy_stats.bootstrap(
            (base, head),
            lambda b, h, axis: _median(h, axis) / _median(b, axis),
            n_resamples=4000,
            method="percentile",
            paired=False,
            vectorized=True,
            rng=0,
        ).confidence_interval
        assert ours[0] == pytest.approx(theirs.low, rel=0.015)
        assert ours[1] == pytest.approx(theirs.high, rel=0.015)


def _median(values, axis):
    import numpy

    return numpy.median(values, axis=axis)


def test_ratio_interval_is_deterministic_and_holds_the_ratio():
    base, head = [sample(5, 50), sample(7, 30)], [sample(6, 50, 0.3), sample(8, 40, 0.3)]
    low, high = ratio_interval(base, head)
    assert ratio_interval(base, head) == (low, high)
    assert low < median(sample(6, 50, 0.3)) / median(sample(5, 50)) < high


def runs(seed: int, shifts: list[float], rounds: int = 41, spread: float = 0.01):
    """Runs whose rounds are tightly grouped around a level that moves from run to run."""
    generator = random.Random(seed)
    return [[s * generator.lognormvariate(0, spread) for _ in range(rounds)] for s in shifts]


def naive_hierarchical(base, head, resamples, seed):
    """The hierarchical bootstrap drawn value by value: runs with replacement, then the
    rounds of each drawn run with replacement; the ratio of medians of run medians."""
    generator = random.Random(seed)

    def side(sample_runs):
        drawn = generator.choices(sample_runs, k=len(sample_runs))
        return median([median(generator.choices(run, k=len(run))) for run in drawn])

    ratios = sorted(side(head) / side(base) for _ in range(resamples))
    return ratios[round(0.025 * (resamples - 1))], ratios[round(0.975 * (resamples - 1))]


@pytest.mark.parametrize("rounds", [41, 40])  # a run median of one or of two order statistics
def test_hierarchical_interval_agrees_with_drawing_value_by_value(rounds):
    base = runs(9, [1.0, 1.07, 0.95, 1.02, 0.99, 1.1], rounds, 0.05)
    head = runs(10, [1.12, 1.05, 1.18, 1.09, 1.1, 1.03], rounds, 0.05)
    ours = ratio_interval(base, head, resamples=4000)
    reference = naive_hierarchical(base, head, 4000, seed=1)
    assert ours[0] == pytest.approx(reference[0], rel=0.01)
    assert ours[1] == pytest.approx(reference[1], rel=0.01)


def test_run_shifts_widen_the_interval_beyond_the_rounds_alone():
    """The same code run 5 times a side, each run shifted by up to 8% with its rounds tight:
    the runs' interval holds 1, while one run a side's rounds alone would exclude it."""
    base = runs(11, [1.0, 1.08, 0.94, 1.03, 0.97])
    head = runs(12, [1.06, 0.95, 1.01, 0.93, 1.07])
    low, high = ratio_interval(base, head)
    assert low < 1 < high
    one_low, one_high = ratio_interval(base[:1], head[:1])
    assert one_low > 1.03 and one_high - one_low < (high - low) / 3


def test_mann_whitney_of_five_separated_run_medians_is_exact():
    """Five run medians a side, every head one above every base one: 2 / C(10, 5)."""
    found = mann_whitney([1.0, 1.01, 0.99, 1.02, 0.98], [1.1, 1.12, 1.09, 1.11, 1.13])
    expected = scipy_stats.mannwhitneyu(
        [1.0, 1.01, 0.99, 1.02, 0.98], [1.1, 1.12, 1.09, 1.11, 1.13], method="exact"
    ).pvalue
    assert (found.method, found.p_value) == ("exact", pytest.approx(expected))
    assert found.p_value == pytest.approx(2 / 252)


def test_ratio_of_zero_medians():
    assert (ratio(0.0, 0.0), ratio(1.0, 0.0), ratio(3.0, 2.0)) == (1.0, float("inf"), 1.5)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-6, 6), min_size=1, max_size=20))
def test_wilcoxon_matches_scipy_with_ties_and_zeros(differences):
    """Zeros dropped, ties: the sign-flip enumeration up to 13 pairs, else asymptotic."""
    if not any(differences):
        return  # scipy gives nan: nothing to test; pitstop says p = 1 (tested below)
    expected = scipy_stats.wilcoxon(differences)
    found = wilcoxon(differences)
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    assert found.statistic == expected.statistic


@pytest.mark.parametrize("n", [1, 2, 5, 6, 10, 30, 50, 51, 80])
@pytest.mark.parametrize("shift", [0.0, 0.4, 1.5])
def test_wilcoxon_matches_scipy_exact_and_asymptotic(n, shift):
    generator = random.Random(n)
    differences = [generator.gauss(shift, 1) for _ in range(n)]
    found, expected = wilcoxon(differences), scipy_stats.wilcoxon(differences)
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    assert found.method == ("exact" if n <= 50 else "asymptotic")


def test_wilcoxon_of_no_difference_is_no_evidence():
    assert wilcoxon([0.0, 0.0]).p_value == 1.0


def test_paired_interval_cancels_what_pairs_share_and_unpaired_does_not():
    """Runs whose level swings 3x from pair to pair, the head 10% slower in each pair: the
    paired interval is tight around 1.1, the unpaired one spans 1."""
    generator = random.Random(3)
    levels = [0.03, 0.09, 0.045, 0.03, 0.06, 0.09, 0.035, 0.05]
    base = [[lv * generator.lognormvariate(0, 0.01) for _ in range(20)] for lv in levels]
    head = [[1.1 * lv * generator.lognormvariate(0, 0.01) for _ in range(20)] for lv in levels]
    low, high = paired_ratio_interval(base, head)
    assert 1.05 < low < 1.1 < high < 1.15
    assert paired_ratio([median(r) for r in base], [median(r) for r in head]) == pytest.approx(
        1.1, rel=0.01
    )
    low, high = ratio_interval(base, head)
    assert low < 1 < high
