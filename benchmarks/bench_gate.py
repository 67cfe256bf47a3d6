"""Calibration of `pitstop bench compare` on real pytest-benchmark runs of this machine,
beside the usual threshold gates judged on the same runs.

- A/A: the same code benchmarked twice, `--pairs` times; every benchmark flagged (a
  regression or an improvement) is a false alarm. Goal: at most 1% of the comparisons.
- Power: the head does 10% more real work (a loop 10% longer), `--pairs` times; the share
  of comparisons found as a regression. Goal: at least 95%, at pytest-benchmark's default
  sample sizes (`benchmark(fn)`: at least 5 rounds, up to `--benchmark-max-time`, 1 s).
- Beside them, on the same runs: pytest-benchmark's `--benchmark-compare-fail=mean:10%`
  (the head's mean more than 10% above the base's) and a 200% alert (github-action-benchmark's
  default: the head's mean more than twice the base's).
- Where the defaults fall short: the share detected when each side keeps only its first n
  rounds, to say the sample size needed (an approximation of a run of n rounds).

The suite: a fast benchmark (a call of about 0.1 ms: thousands of rounds a second) and a
slow one (about 20 ms: some 50 rounds), two of each, so each run gives 4 comparisons.

    python benchmarks/bench_gate.py [--pairs 20] [--max-time 1.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pitstop.parsers.benchmarks import BenchmarkResults, read_benchmarks
from pitstop.perf.compare import Comparison, Settings, Verdict, compare

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


def run_suite(folder: Path, scale: float, max_time: float) -> BenchmarkResults:
    folder.mkdir(parents=True, exist_ok=True)
    fast, slow = round(FAST * scale), round(SLOW * scale)
    (folder / "test_suite.py").write_text(SUITE.format(fast=fast, slow=slow))
    report = folder / "bench.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += ["-p", "no:pitstop", f"--benchmark-max-time={max_time}"]
    command += [f"--benchmark-json={report}", "--rootdir", str(folder), "test_suite.py"]
    environment = {**os.environ, "PYTEST_ADDOPTS": ""}
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return read_benchmarks(report, str(report))


def flagged(comparison: Comparison) -> dict[str, Verdict]:
    return {b.name: b.verdict for b in comparison.benchmarks}


def mean_ratios(base: BenchmarkResults, head: BenchmarkResults) -> dict[str, float]:
    before = {b.name: statistics.fmean(b.timings) for b in base.benchmarks}
    return {b.name: statistics.fmean(b.timings) / before[b.name] for b in head.benchmarks}


def truncated(results: BenchmarkResults, rounds: int) -> BenchmarkResults:
    from dataclasses import replace

    cut = tuple(replace(b, timings=b.timings[:rounds]) for b in results.benchmarks)
    return replace(results, benchmarks=cut)


def kind(name: str) -> str:
    return "fast" if "fast" in name else "slow"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="base/head pairs of each kind")
    parser.add_argument("--max-time", type=float, default=1.0, help="--benchmark-max-time")
    args = parser.parse_args(argv)
    settings = Settings()
    rows: dict[tuple[str, str], list[tuple[bool, bool, bool]]] = {}
    rounds: dict[str, list[int]] = {"fast": [], "slow": []}
    power_pairs: list[tuple[BenchmarkResults, BenchmarkResults]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for pair in range(args.pairs):
            for experiment, scale in (("A/A", 1.0), ("+10%", SLOWDOWN)):
                # the order alternates, so a drift of the machine favours neither side
                sides = [("base", 1.0), ("head", scale)]
                done = {
                    side: run_suite(Path(scratch, f"{pair}-{experiment}-{side}"), s, args.max_time)
                    for side, s in (sides if pair % 2 == 0 else sides[::-1])
                }
                base, head = done["base"], done["head"]
                verdicts = flagged(compare(base, head, settings))
                ratios = mean_ratios(base, head)
                for b in head.benchmarks:
                    rounds[kind(b.name)].append(len(b.timings))
                    pitstop = verdicts[b.name] is not Verdict.NO_CHANGE
                    if experiment == "+10%":
                        pitstop = verdicts[b.name] is Verdict.REGRESSION
                    outcome = (pitstop, ratios[b.name] > 1.10, ratios[b.name] > 2.0)
                    rows.setdefault((experiment, kind(b.name)), []).append(outcome)
                if experiment == "+10%":
                    power_pairs.append((base, head))
            print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)
    print_table(rows, rounds)
    print_sample_sizes(power_pairs, settings)


def print_table(
    rows: dict[tuple[str, str], list[tuple[bool, bool, bool]]], rounds: dict[str, list[int]]
) -> None:
    print("| experiment | benchmark (median rounds) | comparisons | pitstop | mean:10% | 200% |")
    print("|---|---|---|---|---|---|")
    for (experiment, which), outcomes in sorted(rows.items()):
        n = len(outcomes)
        shares = [sum(o[i] for o in outcomes) / n for i in range(3)]
        cells = " | ".join(f"{share:.1%}" for share in shares)
        typical = statistics.median(rounds[which])
        print(f"| {experiment} | {which} ({typical:g}) | {n} | {cells} |")
    print("A/A: share flagged (pitstop: regression or improvement; thresholds: head slower).")
    print("+10%: share found as a regression.")


def print_sample_sizes(
    pairs: list[tuple[BenchmarkResults, BenchmarkResults]], settings: Settings
) -> None:
    print()
    print("| rounds a side (first n kept) | fast: detected | slow: detected |")
    print("|---|---|---|")
    for n in (5, 10, 15, 20, 30, 50):
        found: dict[str, list[bool]] = {"fast": [], "slow": []}
        for base, head in pairs:
            verdicts = flagged(compare(truncated(base, n), truncated(head, n), settings))
            for name, verdict in verdicts.items():
                found[kind(name)].append(verdict is Verdict.REGRESSION)
        cells = " | ".join(f"{sum(v) / len(v):.1%}" for v in found.values())
        print(f"| {n} | {cells} |")


if __name__ == "__main__":
    main()
