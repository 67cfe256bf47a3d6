"""Calibration of `pitstop bench compare` on real pytest-benchmark runs of this machine, with
k runs a side, beside the usual threshold gates judged on the same runs.

One long sequence of suite runs, base and head interleaved (ABAB: base, head, base, head,
...), the head doing 10% more real work (a loop 10% longer). From it:
- A/A: 2k consecutive runs of the same code (the base runs, and separately the head runs),
  given alternately to a "base" and a "head" side; every benchmark flagged (a regression or
  an improvement) is a false alarm. Goal: at most 1% of the comparisons.
- Power: k consecutive base/head pairs; the share of comparisons found as a regression.
  Goal: at least 95%.
- "windows" are disjoint, so the comparisons are independent (but few); "draws" are random
  choices of k runs a side from the whole sequence (400 for A/A, 50 for power: many,
  overlapping, and spanning the machine's drift over the whole sequence, so harsher than
  interleaved windows).
- Beside them, on the same runs (all rounds of the k runs a side pooled, as a tool reading
  one file a side would see them concatenated): pytest-benchmark's
  `--benchmark-compare-fail=mean:10%` (the head's mean more than 10% above the base's) and a
  200% alert (github-action-benchmark's default: the head's mean more than twice the base's).

The suite: a fast benchmark (a call of about 0.1 ms: thousands of rounds a second) and a
slow one (about 20 ms: some 25 to 50 rounds), two of each, so each comparison gives 4.

    python benchmarks/bench_gate.py [--runs 50] [--max-time 1.0] [--pool DIR]

The runs are kept in DIR (`run-NNN-base.json`, `run-NNN-head.json`) when --pool is given; a
second call with the same DIR analyses them again without running anything.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pitstop.parsers.benchmarks import BenchmarkResults, read_benchmarks
from pitstop.perf import compare as compare_module
from pitstop.perf.compare import Settings, Verdict, compare

SUITE = """
FAST, SLOW = {fast}, {slow}


def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def test_fast_a(benchmark):
    benchmark(work, FAST)


def test_fast_b(benchmark):
    benchmark(work, FAST)


def test_slow_a(benchmark):
    benchmark(work, SLOW)


def test_slow_b(benchmark):
    benchmark(work, SLOW)
"""
FAST, SLOW = 2_000, 400_000
SLOWDOWN = 1.10
RUNS_A_SIDE = (1, 3, 4, 5, 6, 8, 10)
DRAWS = {"A/A": 400, "+10%": 50}  # a regression's interval is computed: power draws cost more

Runs = list[BenchmarkResults]


class LazyInterval:
    """The CLI's bootstrap interval, computed only when a verdict reads it: it can only veto
    a flag (q-value and ratio decide first), and computing it for every benchmark of
    thousands of comparisons would take hours. The verdicts are exactly the CLI's."""

    def __init__(self, base: object, head: object) -> None:
        self.arguments = (base, head)

    def __iter__(self) -> Iterator[float]:
        return iter(_interval(*self.arguments))


class LazyPairedInterval(LazyInterval):
    def __iter__(self) -> Iterator[float]:
        return iter(_paired_interval(*self.arguments))


_interval = compare_module.ratio_interval
compare_module.ratio_interval = LazyInterval  # type: ignore[assignment]
_paired_interval = compare_module.paired_ratio_interval
compare_module.paired_ratio_interval = LazyPairedInterval  # type: ignore[assignment]


def run_suite(folder: Path, report: Path, scale: float, max_time: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fast, slow = round(FAST * scale), round(SLOW * scale)
    (folder / "test_suite.py").write_text(SUITE.format(fast=fast, slow=slow))
    partial = report.with_suffix(".partial")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["-p", "no:pitstop", f"--benchmark-max-time={max_time}"]
    command += [f"--benchmark-json={partial}", "--rootdir", str(folder), "test_suite.py"]
    environment = {**os.environ, "PYTEST_ADDOPTS": ""}
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    partial.replace(report)


def collect(pool: Path, runs: int, max_time: float) -> None:
    """Run the suite until `pool` holds `runs` base/head pairs, interleaved."""
    pool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for pair in range(runs):
            for side, scale in (("base", 1.0), ("head", SLOWDOWN)):
                report = pool / f"run-{pair:03d}-{side}.json"
                if not report.exists():
                    run_suite(Path(scratch, side), report, scale, max_time)
            print(f"pair {pair + 1}/{runs}, load {os.getloadavg()[0]:.1f}", file=sys.stderr)


def load(pool: Path, runs: int) -> tuple[Runs, Runs]:
    def side(name: str) -> Runs:
        files = [pool / f"run-{pair:03d}-{name}.json" for pair in range(runs)]
        return [read_benchmarks(f, str(f)) for f in files]

    return side("base"), side("head")


def kind(name: str) -> str:
    return "fast" if "fast" in name else "slow"


def mean(runs: Runs, name: str) -> float:
    return statistics.fmean(
        t for r in runs for b in r.benchmarks if b.name == name for t in b.timings
    )


def judge(
    base: Runs, head: Runs, regression: bool, paired: bool
) -> Iterator[tuple[str, bool, bool, bool]]:
    """Per benchmark: its kind, and whether pitstop (`--paired` or not), mean:10% and the
    200% alert flag it (pitstop: a regression for the power experiment, any verdict but no
    change for A/A)."""
    compared = compare(base, head, Settings(paired=paired)) if len(base) > 1 else None
    for b in head[0].benchmarks:
        ratio = mean(head, b.name) / mean(base, b.name)
        flagged = False
        if compared is not None:
            verdict = next(c.verdict for c in compared.benchmarks if c.name == b.name)
            flagged = (
                verdict is Verdict.REGRESSION
                if regression
                else verdict
                in (
                    Verdict.REGRESSION,
                    Verdict.IMPROVEMENT,
                )
            )
        yield kind(b.name), flagged, ratio > 1.10, ratio > 2.0


def aa_windows(base: Runs, head: Runs, k: int) -> Iterator[tuple[Runs, Runs]]:
    for same in (base, head):
        for start in range(0, len(same) - 2 * k + 1, 2 * k):
            window = same[start : start + 2 * k]
            yield window[0::2], window[1::2]


def power_windows(base: Runs, head: Runs, k: int) -> Iterator[tuple[Runs, Runs]]:
    for start in range(0, len(base) - k + 1, k):
        yield base[start : start + k], head[start : start + k]


def aa_draws(base: Runs, head: Runs, k: int, draws: int) -> Iterator[tuple[Runs, Runs]]:
    generator = random.Random(k)
    for draw in range(draws):
        chosen = generator.sample(base if draw % 2 else head, 2 * k)
        yield chosen[:k], chosen[k:]


def power_draws(base: Runs, head: Runs, k: int, draws: int) -> Iterator[tuple[Runs, Runs]]:
    generator = random.Random(-k)
    for _ in range(draws):
        yield generator.sample(base, k), generator.sample(head, k)


def aa_pair_draws(base: Runs, head: Runs, k: int, draws: int) -> Iterator[tuple[Runs, Runs]]:
    """k of the adjacent pairs of runs of the same code (runs 2j and 2j+1 of one side, as a
    paired job runs them), at random: one given to each side."""
    generator = random.Random(k)
    for draw in range(draws):
        same = base if draw % 2 else head
        chosen = generator.sample(range(len(same) // 2), k)
        yield [same[2 * j] for j in chosen], [same[2 * j + 1] for j in chosen]


def power_pair_draws(base: Runs, head: Runs, k: int, draws: int) -> Iterator[tuple[Runs, Runs]]:
    """k of the base/head pairs (run i of each side, run one after the other), at random."""
    generator = random.Random(-k)
    for _ in range(draws):
        chosen = generator.sample(range(len(base)), k)
        yield [base[i] for i in chosen], [head[i] for i in chosen]


Cell = dict[str, list[tuple[bool, bool, bool]]]


def tally(pairs: Iterator[tuple[Runs, Runs]], regression: bool, paired: bool = False) -> Cell:
    outcomes: Cell = {"fast": [], "slow": []}
    for base, head in pairs:
        for which, *flags in judge(base, head, regression, paired):
            outcomes[which].append((flags[0], flags[1], flags[2]))
    return outcomes


def share(outcomes: list[tuple[bool, bool, bool]], column: int) -> str:
    if not outcomes:
        return "-"
    return f"{sum(o[column] for o in outcomes) / len(outcomes):.1%}"


def print_table(
    base: Runs, head: Runs, draws: dict[str, int], sides: Sequence[int] = RUNS_A_SIDE
) -> None:
    print(
        "| experiment | runs a side | benchmark | windows: comparisons | pitstop "
        "| pitstop --paired | mean:10% | 200% | draws: comparisons | pitstop "
        "| pitstop --paired | mean:10% | 200% |"
    )
    print("|---" * 13 + "|")
    for experiment, windows, drawn, drawn_pairs, regression in (
        ("A/A", aa_windows, aa_draws, aa_pair_draws, False),
        ("+10%", power_windows, power_draws, power_pair_draws, True),
    ):
        for k in sides:
            if 2 * k > len(base):
                continue
            count = draws[experiment]
            disjoint = tally(windows(base, head, k), regression)
            disjoint_paired = tally(windows(base, head, k), regression, paired=True)
            many = tally(drawn(base, head, k, count), regression)
            many_paired = tally(drawn_pairs(base, head, k, count), regression, paired=True)
            for which in ("fast", "slow"):
                cells = [str(len(disjoint[which])), share(disjoint[which], 0)]
                cells += [share(disjoint_paired[which], 0)]
                cells += [share(disjoint[which], c) for c in (1, 2)]
                cells += [str(len(many[which])), share(many[which], 0)]
                cells += [share(many_paired[which], 0)]
                cells += [share(many[which], c) for c in (1, 2)]
                print(f"| {experiment} | {k} | {which} | " + " | ".join(cells) + " |")
    print("A/A: share flagged (pitstop: regression or improvement; thresholds: head slower).")
    print("+10%: share found as a regression. pitstop gives no verdict with one run a side.")
    print("--paired draws: k of the adjacent base/head pairs (A/A: adjacent runs of one side).")


def describe(base: Runs) -> None:
    rounds: dict[str, list[int]] = {"fast": [], "slow": []}
    for run in base:
        for b in run.benchmarks:
            rounds[kind(b.name)].append(len(b.timings))
    typical = {which: statistics.median(counts) for which, counts in rounds.items()}
    print(f"{len(base)} base and {len(base)} head runs; median rounds a run: {typical}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="base/head pairs (ABAB)")
    parser.add_argument("--max-time", type=float, default=1.0, help="--benchmark-max-time")
    parser.add_argument("--pool", type=Path, help="keep the runs here (and reuse them)")
    parser.add_argument(
        "--runs-a-side",
        type=lambda text: tuple(int(k) for k in text.split(",")),
        default=RUNS_A_SIDE,
        metavar="K,K,...",
        help="the runs a side judged (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        pool = args.pool or Path(scratch)
        collect(pool, args.runs, args.max_time)
        base, head = load(pool, args.runs)
    print(f"load average at the end: {os.getloadavg()}")
    describe(base)
    print_table(base, head, DRAWS, args.runs_a_side)


if __name__ == "__main__":
    main()
