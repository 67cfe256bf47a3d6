"""Fuzz pitstop for longer than the test suite does: the suite in tests/fuzz/ with random
inputs and `--scale` times as many of them, round after round until `--minutes` are up.

The normal `pytest` run uses a short, fixed budget (the same few hundred inputs every run,
about a minute for the whole of tests/fuzz); this script sets `PITSTOP_FUZZ_PROFILE=long`,
which draws new inputs every round and prints the reproduction blob of any failure
(`@reproduce_failure(...)`), so a failure found here becomes a regression test.

    python benchmarks/fuzz.py [--minutes 30] [--scale 50] [-k EXPRESSION]

Exit status: 0 when every round passed, 1 when one failed (its output is kept in
benchmarks/.work/fuzz-ROUND.log).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="stop starting rounds after")
    parser.add_argument("--scale", type=int, default=50, help="inputs per test, x the suite's")
    parser.add_argument("-k", metavar="EXPRESSION", help="only the fuzz tests pytest -k selects")
    args = parser.parse_args()
    env = {**os.environ, "PITSTOP_FUZZ_PROFILE": "long", "PITSTOP_FUZZ_SCALE": str(args.scale)}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/fuzz"]
    command += ["-k", args.k] if args.k else []
    WORK.mkdir(exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60
    failed, round_ = [], 0
    while time.monotonic() < deadline:
        round_ += 1
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=HERE.parent, env=env, capture_output=True, text=True, check=False
        )
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"round {round_}: {summary} ({time.monotonic() - started:.0f} s)", flush=True)
        if done.returncode != 0:
            log = WORK / f"fuzz-{round_}.log"
            log.write_text(done.stdout + done.stderr, encoding="utf-8")
            failed.append(log)
    for log in failed:
        print(f"failure kept in {log}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
