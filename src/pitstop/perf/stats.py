"""The statistics of `pitstop bench compare`, with the run (one execution of the suite) as
the unit of evidence: each run's median, the ratio of the medians of the run medians with a
hierarchical bootstrap interval, the Mann-Whitney U test on the run medians, and the
Benjamini-Hochberg adjustment across benchmarks.

Why runs and not rounds: two runs of the same code on a shared machine differ by more than
5% while each run's rounds are tightly grouped, so a test treating rounds as independent
reads a whole-run shift as a change of the code (benchmarks/bench_gate.py measured 15% and
50% false alarms that way). Only several runs a side show how far runs move on their own.

Own implementations, standard library only, each tested against scipy (tests/perf): importing
`scipy.stats` takes about 0.8 s on the machine this was written on (`python -X importtime -c
"import scipy.stats"`, scipy 1.17: 0.81 to 0.83 s cumulative, against 0.01 s for a bare
interpreter), several times what the whole comparison costs, and numpy would come with it
into a CLI that runs on every pull request. The formulas are short; scipy stays in the test
extra as the reference.

Minimum runs: a side with fewer than MIN_RUNS runs gets no verdict. The exact two-sided
Mann-Whitney p-value of n runs a side is at least 2 / C(2n, n): 0.1 for 3 runs (never
significant at 5%), 0.029 for 4 (not significant in a Benjamini-Hochberg family of two
when one benchmark changes), 0.0079 for 5, 1.1e-5 for 10. A lone regression among m
benchmarks needs 2 / C(2n, n) <= fdr / m: 5 runs a side for up to 6 benchmarks, 6 runs for
up to 23, 7 for up to 85, 8 for up to 321."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

# The smallest number of runs a side that met both goals for the fast benchmark of
# benchmarks/bench_gate.py (at most 1% false alarms, at least 95% of a 10% slowdown found;
# 5 runs found 93%), and the first that can flag a lone regression among 23 benchmarks.
MIN_RUNS = 6
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 15  # fixed: the same files give the same interval, run after run
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
    base: Sequence[Sequence[float]],
    head: Sequence[Sequence[float]],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """The hierarchical percentile-bootstrap interval of the ratio median of the head's run
    medians / median of the base's run medians. `base` and `head` are runs, each a run's
    timings. A resample of a side draws as many runs as it has, with replacement, then the
    rounds of each drawn run with replacement, and takes the median of those runs' medians;
    the interval is the middle `confidence` of `resamples` such ratios. Resampling the runs
    carries the spread between runs into the interval, resampling the rounds the spread
    within each (with one run a side, this is the plain bootstrap of the rounds).

    A run's resample is not drawn value by value (pytest-benchmark saves up to tens of
    thousands of rounds a benchmark): a median reads one or two order statistics of the
    resample, and the k-th smallest of n uniform draws is Beta(k, n-k+1) distributed, the next
    one above it that plus (1 - it) times Beta(1, n-k). Taking the sorted values' element
    floor(u * n) for a uniform u is one draw with replacement, so this is exactly the
    bootstrap distribution, at a cost independent of n."""
    if not base or not head or not all(base) or not all(head):
        raise ValueError("bootstrap of no values")
    base_runs, head_runs = [sorted(r) for r in base], [sorted(r) for r in head]
    generator = random.Random(seed)
    ratios = [
        ratio(_resampled_side(head_runs, generator), _resampled_side(base_runs, generator))
        for _ in range(resamples)
    ]
    return _percentile_interval(ratios, confidence)


def _percentile_interval(resampled: list[float], confidence: float) -> tuple[float, float]:
    """The middle `confidence` of a bootstrap's resampled values."""
    resampled.sort()
    tail = (1 - confidence) / 2
    return _quantile(resampled, tail), _quantile(resampled, 1 - tail)


def _resampled_side(runs: Sequence[Sequence[float]], generator: random.Random) -> float:
    """One hierarchical resample's median of run medians (the runs sorted)."""
    count = len(runs)
    return median([_resampled_median(runs[generator.randrange(count)], generator) for _ in runs])


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


@dataclass(frozen=True)
class SignedRank:
    """The two-sided Wilcoxon signed-rank test: the smaller of the two rank sums, its
    p-value, how it was computed, and the pairs that counted (a zero difference does not)."""

    statistic: float
    p_value: float
    method: str  # "exact" | "asymptotic"
    pairs: int


SIGNED_RANK_EXACT_LIMIT = 50  # scipy's rule: exact up to 50 pairs without ties or zeros
SIGNED_RANK_PERMUTATION_LIMIT = 13  # with ties or zeros: all 2^13 sign flips at most


def wilcoxon(differences: Sequence[float]) -> SignedRank:
    """The two-sided Wilcoxon signed-rank test of paired differences, as
    scipy.stats.wilcoxon(d) computes it by default: zero differences dropped ("wilcox"); up
    to 50 pairs with no zero and no tied absolute differences, the exact null distribution;
    with ties or zeros and at most 13 pairs, every sign flip of the ranks enumerated (scipy's
    permutation test, deterministic at that size); else the normal approximation with the
    tie correction of the variance and no continuity correction."""
    kept = [d for d in differences if d != 0]
    n = len(kept)
    if n == 0:
        return SignedRank(0.0, 1.0, "exact", 0)
    ranks, tie_sizes = _ranks([abs(d) for d in kept])
    plus = sum(r for r, d in zip(ranks, kept, strict=True) if d > 0)
    statistic = min(plus, n * (n + 1) / 2 - plus)
    clean = not tie_sizes and n == len(differences)
    if clean and n <= SIGNED_RANK_EXACT_LIMIT:
        p = 2 * _signed_rank_cdf(round(statistic), n)
        return SignedRank(statistic, min(1.0, p), "exact", n)
    if not clean and len(differences) <= SIGNED_RANK_PERMUTATION_LIMIT:
        return SignedRank(statistic, _sign_flips(ranks, plus), "exact", n)
    mean = n * (n + 1) / 4
    variance = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in tie_sizes) / 48
    if variance <= 0:
        return SignedRank(statistic, 1.0, "asymptotic", n)
    z = (statistic - mean) / math.sqrt(variance)
    return SignedRank(statistic, min(1.0, math.erfc(abs(z) / math.sqrt(2))), "asymptotic", n)


def _sign_flips(ranks: Sequence[float], plus: float) -> float:
    """The two-sided p-value of the rank sum `plus` over every assignment of signs to
    `ranks`: twice the smaller tail, at most 1."""
    sums = [0.0]
    for rank in ranks:
        sums = [s + added for s in sums for added in (0.0, rank)]
    tolerance = 1e-9 * max(1.0, plus)
    low = sum(s <= plus + tolerance for s in sums) / len(sums)
    high = sum(s >= plus - tolerance for s in sums) / len(sums)
    return min(1.0, 2 * min(low, high))


def _signed_rank_cdf(t: int, n: int) -> float:
    """P(T+ <= t) under the null: the number of subsets of {1..n} with sum s, for each s
    (exact integers), over 2^n."""
    top = n * (n + 1) // 2
    counts = [1] + [0] * top
    for rank in range(1, n + 1):
        for total in range(top, rank - 1, -1):
            counts[total] += counts[total - rank]
    return sum(counts[: t + 1]) / float(2**n)


def log_ratios(base: Sequence[float], head: Sequence[float]) -> list[float]:
    """log(head / base) of each pair of run medians, with `ratio`'s reading of a zero timing
    (a coarse timer): the evidence of a paired comparison."""
    return [_log_ratio(h, b) for b, h in zip(base, head, strict=True)]


def paired_ratio(base: Sequence[float], head: Sequence[float]) -> float:
    """The typical head / base ratio of paired run medians: exp of the median log ratio."""
    return math.exp(median(log_ratios(base, head)))


def paired_ratio_interval(
    base: Sequence[Sequence[float]],
    head: Sequence[Sequence[float]],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """The hierarchical percentile-bootstrap interval of `paired_ratio`: `base[i]` and
    `head[i]` are the timings of the i-th pair of runs (run next to each other). A resample
    draws as many pairs as there are, with replacement, then the rounds of each drawn run
    with replacement (see `ratio_interval`), and takes exp of the median of the pairs' log
    ratios. Drawing pairs, not runs, keeps what the pairing cancels (the machine's level at
    the time of the pair) out of the interval."""
    if len(base) != len(head) or not base or not all(base) or not all(head):
        raise ValueError("a paired bootstrap needs as many non-empty base as head runs")
    pairs = [(sorted(b), sorted(h)) for b, h in zip(base, head, strict=True)]
    generator = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        logs = []
        for _ in pairs:
            b, h = pairs[generator.randrange(len(pairs))]
            logs.append(
                _log_ratio(_resampled_median(h, generator), _resampled_median(b, generator))
            )
        ratios.append(math.exp(median(logs)))
    return _percentile_interval(ratios, confidence)


def _log_ratio(head: float, base: float) -> float:
    """log(head / base), with `ratio`'s reading of a zero timing (a coarse timer)."""
    found = ratio(head, base)
    if found == 0:
        return -math.inf
    return math.log(found) if math.isfinite(found) else math.inf
