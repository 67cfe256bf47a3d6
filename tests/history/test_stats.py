from __future__ import annotations

import random
import time

import pytest

from pitstop.history import stats


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),  # halfway between the middle two
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
        ([1, 2, 3, 4, 5], 50, 3),
        ([10, 20, 30, 40, 50], 95, 48.0),  # rank 3.8: 40 + 0.8 * 10
        ([5, 1, 4, 2, 3], 25, 2),  # unsorted input, rank 1 exactly
        ([7], 95, 7),
        (list(range(1, 21)), 95, 19.05),  # rank 18.05: 19 + 0.05 * 1
    ],
)
def test_percentile_interpolates_linearly_between_ranks(values, q, expected):
    assert stats.percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1.0], 101)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (3, 10, 0.1078, 0.6032),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    assert stats.wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.wilson_interval(1, 0)
    with pytest.raises(ValueError):
        stats.wilson_interval(4, 3)


def _naive_bootstrap(values, q, resamples, seed):
    generator = random.Random(seed)
    estimates = [
        stats.percentile([generator.choice(values) for _ in values], q) for _ in range(resamples)
    ]
    return stats.percentile(estimates, 2.5), stats.percentile(estimates, 97.5)


@pytest.mark.parametrize("q", [50, 95])
def test_bootstrap_interval_agrees_with_resampling_value_by_value(q):
    generator = random.Random(3)
    values = [generator.lognormvariate(3, 0.6) for _ in range(120)]
    low, high = stats.bootstrap_interval(values, q)
    naive_low, naive_high = _naive_bootstrap(values, q, 3000, seed=4)
    width = naive_high - naive_low
    assert low == pytest.approx(naive_low, abs=0.1 * width)
    assert high == pytest.approx(naive_high, abs=0.1 * width)
    assert low <= stats.percentile(values, q) <= high


def test_bootstrap_interval_is_deterministic():
    values = [float(v) for v in range(100)]
    assert stats.bootstrap_interval(values, 95) == stats.bootstrap_interval(values, 95)


def test_bootstrap_of_identical_values_is_a_point():
    assert stats.bootstrap_interval([4.0] * 30, 95) == (4.0, 4.0)


def test_bootstrap_of_5000_values_takes_milliseconds():
    generator = random.Random(5)
    values = [generator.random() for _ in range(5000)]
    start = time.perf_counter()
    stats.bootstrap_interval(values, 95)
    assert time.perf_counter() - start < 0.2  # about 10 ms; generous for a busy machine


@pytest.mark.parametrize(("q", "minimum"), [(50, 5), (95, 20)])
def test_minimum_samples(q, minimum):
    assert stats.minimum_sample(q) == minimum
