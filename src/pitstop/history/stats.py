"""The statistics of the history report, small and tested: percentiles as numpy computes them
by default (linear interpolation), a bootstrap confidence interval of a percentile, and the
Wilson score interval of a proportion. Standard library only: numpy and scipy cost more
start-up than a CLI report can afford, for three formulas.

Minimum samples: below them the report prints "not enough data (n=...)" instead of a figure.
A median of fewer than 5 values moves with any one of them; a 95th percentile of fewer than
20 values is an interpolation towards the maximum, not a tail estimate (with 20 values it
sits between the two largest)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

MIN_SAMPLE_P50 = 5
MIN_SAMPLE_P95 = 20
MIN_SAMPLE_RATE = 5  # builds behind a cache hit rate
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 12  # fixed: the same store gives the same report
Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def minimum_sample(q: float) -> int:
    """The fewest values a `q`th percentile is given for (5 up to the median, 20 above)."""
    return MIN_SAMPLE_P50 if q <= 50 else MIN_SAMPLE_P95


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`th percentile (0..100) with linear interpolation between the closest ranks:
    numpy.percentile's default ("linear", type 7 of Hyndman and Fan)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    ordered = sorted(values)
    return _interpolated(ordered, q)


def _interpolated(ordered: Sequence[float], q: float) -> float:
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def bootstrap_interval(
    values: Sequence[float],
    q: float,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """The percentile-bootstrap interval of the `q`th percentile: `resamples` resamples of the
    values with replacement, each one's percentile, and the middle `confidence` of those.

    A resample is not drawn value by value (2,000 x 5,000 draws would take seconds): a
    percentile reads only two order statistics of the resample, and the k-th smallest of n
    uniform draws is Beta(k, n-k+1) distributed, the next one above it that plus (1 - it)
    times Beta(1, n-k). Mapping a uniform u to the sorted values' element floor(u * n) is
    drawing one value with replacement, so the result has exactly the distribution of
    resampling, at a cost independent of n."""
    if not values:
        raise ValueError("bootstrap of no values")
    ordered = sorted(values)
    generator = random.Random(seed)
    estimates = [_resampled_percentile(ordered, q, generator) for _ in range(resamples)]
    tail = (1 - confidence) / 2 * 100
    estimates.sort()
    return _interpolated(estimates, tail), _interpolated(estimates, 100 - tail)


def _resampled_percentile(ordered: Sequence[float], q: float, generator: random.Random) -> float:
    n = len(ordered)
    rank = (n - 1) * q / 100
    k = math.floor(rank) + 1  # the 1-based order statistic below the rank
    u_low = generator.betavariate(k, n - k + 1)
    low = ordered[min(int(u_low * n), n - 1)]
    if k >= n or rank == k - 1:
        return low
    # the smallest of the n - k draws above u_low: u_low + (1 - u_low) * Beta(1, n - k)
    u_high = u_low + (1 - u_low) * (1 - generator.random() ** (1 / (n - k)))
    high = ordered[min(int(u_high * n), n - 1)]
    return low + (rank - (k - 1)) * (high - low)


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of the proportion successes / n (95% by default): unlike
    the normal approximation it stays inside 0..1 and is not zero-width at 0 or n."""
    if n <= 0:
        raise ValueError("a proportion of no trials")
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
