"""Ingest speed and memory of `pitstop record junit`, beside junitparser on the same files.

Generates JUnit XML as pytest writes it (xunit1: classname, name, file, line, time; one
test in 50 fails, one in 100 is rerun by pytest-rerunfailures and passes) with `--cases`
test cases in all, split over `--files` files, then, each in a fresh process:

- `pitstop record junit FILE...` into a new SQLite database (parse and store), through the
  CLI as a user runs it (bytecode caches kept);
- pitstop's parser alone (`pitstop.parsers.junit.read_junit`, every result consumed);
- junitparser (`JUnitXml.fromfile`, every case's name, time and result read).

Wall time (median of `--runs`) and peak memory (the child's max RSS) of each; then the
memory of pitstop's parser on one file 4x as large, to show memory flat in file size.

    python benchmarks/bench_history.py [--cases 1000000] [--files 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODULES = ["api", "auth", "billing", "search", "export", "users", "orders", "payments"]


def write_junit(path: Path, cases: int, seed: int) -> None:
    chance = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" ')
        out.write(f'errors="0" failures="0" skipped="0" tests="{cases}" time="1.0">\n')
        for number in range(cases):
            module = MODULES[number % len(MODULES)]
            klass = f"Test{module.title()}{number // 1000}"
            name = f"test_case_{number}[param-{number % 7}]"
            seconds = f"{chance.expovariate(20):.3f}"
            head = (
                f'<testcase classname="tests.{module}.test_{module}.{klass}" name="{name}" '
                f'file="tests/{module}/test_{module}.py" line="{number % 900}" time="{seconds}"'
            )
            roll = chance.random()
            if roll < 0.01:
                out.write(
                    f'{head}><rerun message="AssertionError: flaky">Traceback ...</rerun>'
                    "</testcase>\n"
                )
            elif roll < 0.03:
                out.write(
                    f'{head}><failure message="assert 1 == 2">def {name}():\n'
                    "&gt;   assert 1 == 2\nE   assert 1 == 2</failure></testcase>\n"
                )
            else:
                out.write(f"{head} />\n")
        out.write("</testsuite></testsuites>\n")


PARSE_PITSTOP = """
import sys
from pathlib import Path
from pitstop.parsers.junit import read_junit
count = 0
for name in sys.argv[1:]:
    for result in read_junit(Path(name), name):
        count += 1
print(count)
"""

PARSE_JUNITPARSER = """
import sys
from junitparser import JUnitXml
count = 0
for name in sys.argv[1:]:
    xml = JUnitXml.fromfile(name)
    for suite in xml:
        for case in suite:
            _ = (case.classname, case.name, case.time, [r.message for r in case.result])
            count += 1
print(count)
"""


def peak_of(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of `command`, run under a wrapper process so
    each peak is its own (RUSAGE_CHILDREN only ever grows within one process)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "d = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "t = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([d.returncode, t, peak, d.stdout.strip(), d.stderr[-2000:]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], env=env, capture_output=True, text=True
    )
    code, seconds, peak, out, err = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"{command[:4]} failed ({code}): {err}")
    return float(seconds), float(peak), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    pitstop = str(Path(sys.executable).parent / "pitstop")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = [folder / f"junit-{n}.xml" for n in range(args.files)]
        for number, path in enumerate(files):
            write_junit(path, args.cases // args.files, number)
        size = sum(p.stat().st_size for p in files) / 1e6
        print(f"{args.cases:,} test cases in {args.files} files, {size:.0f} MB")
        names = [str(p) for p in files]
        rows: dict[str, list[tuple[float, float]]] = {"record": [], "parse": [], "junitparser": []}
        for run in range(args.runs):
            database = f"sqlite:///{folder / f'history-{run}.db'}"
            record = [pitstop, "record", "junit", *names, "--db", database, "--run-id", "1"]
            for key, command in (
                ("record", record),
                ("parse", [sys.executable, "-c", PARSE_PITSTOP, *names]),
                ("junitparser", [sys.executable, "-c", PARSE_JUNITPARSER, *names]),
            ):
                seconds, peak, _ = peak_of(command, env)
                rows[key].append((seconds, peak))
        reference = statistics.median(s for s, _ in rows["junitparser"])
        print("| what | wall (median) | vs junitparser | peak memory |")
        print("|---|---:|---:|---:|")
        labels = {
            "record": "`pitstop record junit` (parse + SQLite)",
            "parse": "pitstop's parser alone",
            "junitparser": "junitparser (parse only)",
        }
        for key, samples in rows.items():
            seconds = statistics.median(s for s, _ in samples)
            peak = max(p for _, p in samples)
            print(
                f"| {labels[key]} | {seconds:.2f} s | {seconds / reference:.2f}x | {peak:.0f} MB |"
            )
        big = folder / "big.xml"
        write_junit(big, 4 * args.cases // args.files, 99)
        _, small_peak, _ = peak_of([sys.executable, "-c", PARSE_PITSTOP, names[0]], env)
        _, big_peak, _ = peak_of([sys.executable, "-c", PARSE_PITSTOP, str(big)], env)
        small_mb, big_mb = files[0].stat().st_size / 1e6, big.stat().st_size / 1e6
        print(
            f"pitstop's parser, peak memory: {small_peak:.0f} MB on a {small_mb:.0f} MB file, "
            f"{big_peak:.0f} MB on a {big_mb:.0f} MB file"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
