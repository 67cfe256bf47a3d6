"""Real profiles of a real program, made at test time by the real profilers (py-spy,
pyinstrument, cProfile), each in a subprocess: BASE twice and HEAD twice, where HEAD's
`render` does twice the work (an injected slowdown; nothing else changes, not even a line
number).

The program interleaves many short calls (a fraction of a millisecond each, of random
lengths) so that a sampler's consecutive samples fall in different functions and never in
step with the program's rhythm: close to the independent draws the z-test assumes. (With
calls of one fixed length, pyinstrument, which samples at the first call or return after
its interval, fell in phase with the program and an A/A pair reached |z| = 3.5.)"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROGRAM = '''"""Three steps of equal work; HEAD makes render slower."""

import random

SLOW = {slow}
ROUNDS = 2500


def parse(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def render(n):
    total = 0
    for i in range(n * SLOW):
        total += i % 5
    return total


def checksum(n):
    total = 0
    for i in range(n):
        total += i % 3
    return total


def main():
    sizes = random.Random(7)
    for _ in range(ROUNDS):
        parse(sizes.randrange(400, 2000))
        render(sizes.randrange(400, 2000))
        checksum(sizes.randrange(400, 2000))


main()
'''
SLOWED = ("render", "prog.py", 16)  # the function HEAD slows: name, file, first line
TOOLS = ("py-spy", "py-spy-speedscope", "pyinstrument", "cprofile")


@dataclass(frozen=True)
class Runs:
    """Two profiles of BASE and two of HEAD, by one profiler."""

    base: tuple[Path, Path]
    head: tuple[Path, Path]


def tool(name: str) -> str:
    """The profiler's executable, beside this Python's (the test extra installs them)."""
    return str(Path(sys.executable).parent / name)


def command(name: str, output: Path) -> list[str]:
    if name == "py-spy":
        # --function: a frame's line is the function's first line, not the current one.
        return [tool("py-spy"), "record", "--function", "--format", "raw", "-r", "1000",
                "-o", str(output), "--", sys.executable, "prog.py"]  # fmt: skip
    if name == "py-spy-speedscope":
        return [tool("py-spy"), "record", "--function", "--format", "speedscope", "-r",
                "1000", "-o", str(output), "--", sys.executable, "prog.py"]  # fmt: skip
    if name == "pyinstrument":
        # filter_threshold=0: by default pyinstrument's JSON leaves out the frames under 1%
        # of the total (their time reads as their caller's), so a function near 1% would
        # come and go between runs.
        return [tool("pyinstrument"), "-r", "json", "-p", "processor_options.filter_threshold=0",
                "-o", str(output), "prog.py"]  # fmt: skip
    return [sys.executable, "-m", "cProfile", "-o", str(output), "prog.py"]


def profile(name: str, folder: Path) -> Runs:
    """Profile BASE twice, then HEAD twice, with the profiler `name`; the program is one
    file at one path, rewritten between the sides (as a CI job checks out base then head)."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, list[Path]] = {"base": [], "head": []}
    for side, slow in (("base", 1), ("head", 2)):
        (folder / "prog.py").write_text(PROGRAM.format(slow=slow))
        for run in (1, 2):
            output = folder / f"{side}{run}.{name}"
            done = subprocess.run(
                command(name, output), cwd=folder, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0 and output.exists(), f"{name}: {done.stderr[-2000:]}"
            made[side].append(output)
    return Runs(base=(made["base"][0], made["base"][1]), head=(made["head"][0], made["head"][1]))
