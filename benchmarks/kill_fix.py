"""Kill `pitstop review --fix` at random moments and check that the next `--fix` ends
where an uninterrupted one does (files byte-identical, no temporary file left).

Each round copies the example (plus 1.5 MB no COPY takes, so the context relocation and
an ignore-file fix meet: six files in one change), starts `--fix` in a child process and
sends it SIGKILL after a random delay of 0.3-1.0 of the time an uninterrupted run takes
(the writing takes milliseconds, so few kills land inside it: tests/review/test_fix_journal.py
kills at every rename instead), then runs `--fix` again and compares.

    python benchmarks/kill_fix.py [--kills 50] [--seed 0]

Prints how many kills left the files untouched, half-written (a journal left at the root) or
complete, and how many re-runs did not converge. Exit 1 when any did not.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.review.relocation_example import example_with_unused_tests, snapshot

FIX = [sys.executable, "-m", "pitstop", "review", "--fix", "--format", "json"]


def fix(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run([*FIX, str(root)], capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    chance = random.Random(args.seed)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    os.environ.clear()
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as scratch:
        whole = example_with_unused_tests(Path(scratch) / "whole")
        original = snapshot(whole)
        duration = min(fix(example_with_unused_tests(Path(scratch) / f"warm{n}")) for n in range(3))
        fix(whole)
        expected = snapshot(whole)
        states: Counter[str] = Counter()
        diverged = []
        for number in range(args.kills):
            root = example_with_unused_tests(Path(scratch) / str(number))
            child = subprocess.Popen(
                [*FIX, str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(chance.uniform(0.3, 1.0) * duration)
            child.send_signal(signal.SIGKILL)
            child.wait()
            now = snapshot(root)
            journal = ".pitstop-fix-journal.json" in now
            state = (
                "untouched"
                if now == original
                else "complete"
                if now == expected
                else "journal left"
                if journal
                else "half-written, no journal"
            )
            states[state] += 1
            fix(root)
            if snapshot(root) != expected:
                diverged.append((number, state))
    print(f"uninterrupted --fix: {duration:.2f} s; kills at 0.3-1.0x that, seed {args.seed}")
    for state, count in states.most_common():
        print(f"  killed leaving {state}: {count}")
    print(
        f"re-runs that did not end where an uninterrupted run does: {len(diverged)} of {args.kills}"
    )
    for number, state in diverged:
        print(f"  kill {number} ({state})")
    return 1 if diverged else 0


if __name__ == "__main__":
    sys.exit(main())
