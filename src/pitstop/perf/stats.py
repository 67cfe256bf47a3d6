"""The statistics of `pitstop bench compare`: the ratio of medians with a bootstrap interval,
the Mann-Whitney U test, and the Benjamini-Hochberg adjustment across benchmarks.

Own implementations, standard library only, each tested against scipy (tests/perf): importing
`scipy.stats` takes about 0.8 s on the machine this was written on (`python -X importtime -c
"import scipy.stats"`, scipy 1.17: 0.81 to 0.83 s cumulative, against 0.01 s for a bare
interpreter), several times what the whole comparison costs, and numpy would come with it
into a CLI that runs on every pull request. The three formulas are short; scipy stays in the
test extra as the reference.

Minimum sample: a side with fewer than MIN_SAMPLES timings gets no verdict. With 4 values a
side, the smallest two-sided exact Mann-Whitney p-value is 2/70 = 0.029, so a
Benjamini-Hochberg family of two benchmarks already could never find anything; a median of
fewer than 5 values moves with any one of them."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SAMPLES = 5
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 15  # fixed: the same two files give the same interval, run after run
EXACT_LIMIT = 8  # scipy's rule: the exact U distribution when a side has at most 8 values


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two of an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def ratio_interval(
    base: Sequence[float],
    head: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """The percentile-bootstrap interval of median(head) / median(base): each side resampled
    with replacement on its own, `resamples` times, and the middle `confidence` of the ratios.

    A resample is not drawn value by value (pytest-benchmark saves up to tens of thousands
    of rounds a benchmark): a median reads one or two order statistics of the resample, and
    the k-th smallest of n uniform draws is Beta(k, n-k+1) distributed, the next one above it
    that plus (1 - it) times Beta(1, n-k). Taking the sorted values' element floor(u * n) for
    a uniform u is one draw with replacement, so this is exactly the bootstrap distribution,
    at a cost independent of n."""
    if not base or not head:
        raise ValueError("bootstrap of no values")
    base_sorted, head_sorted = sorted(base), sorted(head)
    generator = random.Random(seed)
    ratios = sorted(
        ratio(_resampled_median(head_sorted, generator), _resampled_median(base_sorted, generator))
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    return _quantile(ratios, tail), _quantile(ratios, 1 - tail)


def ratio(head: float, base: float) -> float:
    """head / base; a timer too coarse for the benchmark reads 0, and two zeros are equal."""
    if base == 0:
        return 1.0 if head == 0 else math.inf
    return head / base


def _resampled_median(ordered: Sequence[float], generator: random.Random) -> float:
    n = len(ordered)
    k = (n + 1) // 2  # the 1-based order statistic of the median (the lower middle if even)
    u_low = generator.betavariate(k, n - k + 1)
    low = ordered[min(int(u_low * n), n - 1)]
    if n % 2:
        return low
    u_high = u_low + (1 - u_low) * (1 - generator.random() ** (1 / (n - k)))
    return (low + ordered[min(int(u_high * n), n - 1)]) / 2


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy.quantile's default)."""
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


@dataclass(frozen=True)
class MannWhitney:
    """The two-sided test's U (of the first sample), its p-value, and how it was computed."""

    u: float
    p_value: float
    method: str  # "exact" | "asymptotic"


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """The two-sided Mann-Whitney U test, as scipy.stats.mannwhitneyu(x, y) computes it by
    default: the exact null distribution when a side has at most 8 values and nothing ties,
    else the normal approximation with the tie correction of the variance and a continuity
    correction of 0.5."""
    n1, n2 = len(x), len(y)
    if not n1 or not n2:
        raise ValueError("Mann-Whitney U of an empty sample")
    ranks, tie_sizes = _ranks([*x, *y])
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    if min(n1, n2) <= EXACT_LIMIT and not tie_sizes:
        p = 2 * _exact_sf(round(u), n1, n2)
        return MannWhitney(u1, min(1.0, p), "exact")
    return MannWhitney(u1, min(1.0, 2 * _normal_sf(u, n1, n2, tie_sizes)), "asymptotic")


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Average ranks (from 1) in the input order, and the size of each group of ties."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        if end > start:
            ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


def _normal_sf(u: float, n1: int, n2: int, tie_sizes: Sequence[int]) -> float:
    n = n1 + n2
    tie_term = sum(t**3 - t for t in tie_sizes)
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:  # every value equal: nothing tells the samples apart
        return 0.5
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _exact_sf(u: int, n1: int, n2: int) -> float:
    """P(U >= u) under the null: the counts of U over all C(n1+n2, n1) arrangements are the
    coefficients of the Gaussian binomial [n1+n2 choose n1](q), the product over i = 1..m of
    (1 - q^(M+i)) / (1 - q^i) for m = min, M = max of the sizes; exact integers."""
    m, big = min(n1, n2), max(n1, n2)
    counts = [1] + [0] * (m * big)
    for i in range(1, m + 1):
        for power in range(len(counts) - 1, big + i - 1, -1):  # times (1 - q^(M+i))
            counts[power] -= counts[power - big - i]
        for power in range(i, len(counts)):  # divided by (1 - q^i): a running sum
            counts[power] += counts[power - i]
    return sum(counts[u:]) / math.comb(n1 + n2, n1)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order: a test is a
    discovery at false discovery rate `fdr` when its adjusted value is at most `fdr`
    (scipy.stats.false_discovery_control's "bh")."""
    count = len(p_values)
    order = sorted(range(count), key=p_values.__getitem__, reverse=True)
    adjusted = [0.0] * count
    smallest = 1.0
    for position, index in enumerate(order):
        rank = count - position
        smallest = min(smallest, p_values[index] * count / rank)
        adjusted[index] = smallest
    return adjusted
