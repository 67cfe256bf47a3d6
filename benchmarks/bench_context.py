"""Time `walk_context` against a bare `os.scandir` walk and docker-py on one generated tree.

The tree (default 200,000 files) is generated from a fixed seed into benchmarks/.work/
(git-ignored; reused while its shape is unchanged): a Python monorepo with `.git`, a
`.venv`, `node_modules`, packages with `__pycache__`, tests, docs and build output, several
folders deep, and a `.dockerignore` with `**` patterns that excludes the big folders and
brings one file back from an excluded folder.

Three walks run in the same process, interleaved round-robin in a rotated order for --runs
rounds (medians of wall and CPU time, with the garbage collector in its normal state):

  (a) reference: a bare recursive `os.scandir` walk collecting every path and size;
  (b) pitstop: `walk_context(root, ignore)`, which applies the ignore file;
  (c) docker-py: `docker.utils.build.exclude_paths(root, patterns)`, if `docker` imports.

Two more rows time what a user runs, each in its own process (interpreter start-up
included on both sides):

  (d) reference: `python -c <the bare walk of (a)>`;
  (e) pitstop: `pitstop context ROOT`, the CLI: the walk, the summary gathered during it
      (largest folders, what the ignore file misses) and the text report.

The CLI target is (e)/(d) <= 1.3.

Two more rows show what the matching itself costs, since (b) gains from the folders it
prunes: `walk_context` with no ignore file, and with the same file plus an exception
holding a wildcard, which makes fsutil (and so pitstop) enter every excluded folder and
judge every file. The target is (b)/(a) <= 1.3.

The files docker-py keeps are compared with pitstop's; differences are listed with their
reason (docker-py reimplements an older Docker matcher).

    python benchmarks/bench_context.py [--files 200000] [--runs 5] [--workdir DIR] [--check]

Exit status: 0, or 1 with --check when the ratio is above the target.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pitstop.parsers.ignore import IgnoreFile, parse_ignore
from pitstop.review.context_walk import walk_context

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3
SHAPE_VERSION = "1"
DOCKERIGNORE = """\
# Version control, environments and caches never belong in an image.
.git
.venv
**/node_modules
**/__pycache__
**/*.pyc
**/.pytest_cache
# Documentation and build output.
*.md
docs/**
build/
dist/
**/*.egg-info
tests/**/fixtures
# The one page the image serves.
!docs/guide/index.md
"""
# Share of the files each area gets; the rest goes to source packages.
AREAS = (
    (".git/objects", 0.15),
    ("node_modules", 0.20),
    (".venv/lib/python3.12/site-packages", 0.08),
    ("tests", 0.10),
    ("docs", 0.04),
    ("build/lib", 0.03),
)


# --------------------------------------------------------------------------- the tree


def generate(root: Path, files: int) -> None:
    """Write the tree; a marker records its shape so a later run can reuse it."""
    marker = root / ".bench-shape"
    shape = f"{SHAPE_VERSION} {files}"
    if marker.is_file() and marker.read_text() == shape:
        return
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(20240601)
    root.mkdir(parents=True)
    (root / ".dockerignore").write_text(DOCKERIGNORE)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (root / "README.md").write_text("# bench\n")
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    written = 4
    for area, share in AREAS:
        written += _fill(root / area, int(files * share), rng, area)
    written += _fill(root / "src", files - written, rng, "src")
    marker.write_text(shape)


def _fill(base: Path, count: int, rng: random.Random, area: str) -> int:
    """`count` files under `base`, 3 to 5 levels deep, 8 to 40 per folder."""
    made = 0
    while made < count:
        depth = rng.randint(2, 4)
        folder = base.joinpath(*(_folder_name(rng, area, level) for level in range(depth)))
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(min(rng.randint(8, 40), count - made)):
            name = _file_name(rng, area)
            (folder / name).write_bytes(b"x" * rng.randint(0, 2048))
            made += 1
        if area == "src" and made < count:
            cache = folder / "__pycache__"
            cache.mkdir(exist_ok=True)
            for index in range(min(rng.randint(2, 10), count - made)):
                (cache / f"m{index}.cpython-312.pyc").write_bytes(b"c" * 512)
                made += 1
    if area == "docs":
        guide = base / "guide"
        guide.mkdir(parents=True, exist_ok=True)
        (guide / "index.md").write_text("# Guide\n")
        made += 1
    return made


def _folder_name(rng: random.Random, area: str, level: int) -> str:
    if area == "tests" and level == 1 and rng.random() < 0.3:
        return "fixtures"
    return f"{'pkg' if level == 0 else 'mod'}{rng.randint(0, 40 if level == 0 else 12)}"


def _file_name(rng: random.Random, area: str) -> str:
    stem = f"f{rng.randint(0, 10**9):09d}"
    extension = {"docs": ".md", ".git/objects": ""}.get(area)
    if extension is None:
        extension = rng.choice((".py", ".py", ".py", ".json", ".txt", ".md", ".js"))
    return stem + extension


# --------------------------------------------------------------------------- the walks


def bare_walk(root: str) -> list[tuple[str, int]]:
    """The reference: every path and size, nothing else."""
    out: list[tuple[str, int]] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(os.path.join(root, prefix)) as listing:
            for entry in listing:
                path = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(path + "/")
                else:
                    out.append((path, entry.stat(follow_symlinks=False).st_size))
    return out


BARE_WALK_SCRIPT = """
import os, sys
out, stack = [], [""]
while stack:
    prefix = stack.pop()
    with os.scandir(os.path.join(sys.argv[1], prefix)) as listing:
        for entry in listing:
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append(path + "/")
            else:
                out.append((path, entry.stat(follow_symlinks=False).st_size))
print(len(out))
"""


def process(command: list[str]) -> Callable[[], object]:
    """One run of `command` in its own process, its output discarded."""
    return lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True)


def pitstop_command() -> list[str]:
    """The installed `pitstop` beside this interpreter, else `python -m pitstop`."""
    script = Path(sys.executable).with_name("pitstop")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pitstop"]


def docker_py_walk(root: str) -> Callable[[], set[str]] | None:
    try:
        build = importlib.import_module("docker.utils.build")
    except ImportError:
        return None
    exclude_paths = build.exclude_paths
    # docker-py's own reading of .dockerignore (docker/api/build.py).
    with open(os.path.join(root, ".dockerignore")) as handle:
        lines = [line.strip() for line in handle.read().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    return lambda: set(exclude_paths(root, list(patterns)))


def measure(
    walks: dict[str, Callable[[], object]], runs: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds per walk, interleaved: each round in a rotated order."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in walks}
    names = list(walks)
    for round_index in range(runs):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            wall, cpu = time.perf_counter(), _cpu()
            walks[name]()
            times[name][0].append(time.perf_counter() - wall)
            times[name][1].append(_cpu() - cpu)
            gc.collect()
    return times


def _cpu() -> float:
    """CPU seconds of this process and of the children it waited for (the CLI rows)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------- agreement


def compare(root: str, pitstop_files: set[str], docker_py: set[str], ignore: IgnoreFile) -> None:
    kept = {p for p in docker_py if os.path.islink(os.path.join(root, p)) or not _is_dir(root, p)}
    only_docker_py = sorted(kept - pitstop_files)
    only_pitstop = sorted(pitstop_files - kept)
    same = not only_docker_py and not only_pitstop
    print(f"agreement with docker-py: {'identical' if same else 'different'} file sets")
    print(f"  docker-py keeps {len(kept)} files, pitstop {len(pitstop_files)}")
    sides = (("only docker-py keeps", only_docker_py), ("only pitstop keeps", only_pitstop))
    for label, paths in sides:
        if paths:
            print(f"  {label} {len(paths)}, e.g.:")
            for path in paths[:5]:
                print(f"    {path}  <- {_why(path, ignore)}")


def _is_dir(root: str, path: str) -> bool:
    return os.path.isdir(os.path.join(root, path))


def _why(path: str, ignore: IgnoreFile) -> str:
    pattern = ignore.deciding_pattern(path)
    if path in ("Dockerfile", ".dockerignore"):
        return "docker-py always adds !Dockerfile and !.dockerignore; BuildKit does not"
    if pattern is None:
        return "no pattern matches it in Docker"
    verdict = "excluded" if ignore.excludes(path) else "kept"
    return f"Docker: {verdict} by line {pattern.line} `{pattern}`"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--check", action="store_true", help="exit 1 above the target ratio")
    args = parser.parse_args(argv)
    root = args.workdir / f"context-{args.files}"
    started = time.perf_counter()
    generate(root, args.files)
    print(f"tree: {root} ({args.files} files, ready in {time.perf_counter() - started:.1f}s)")
    top = os.fspath(root)
    ignore = parse_ignore((root / ".dockerignore").read_text(), ".dockerignore")
    unpruned = parse_ignore(DOCKERIGNORE + "!**/never-matches-*\n", ".dockerignore")
    walks: dict[str, Callable[[], object]] = {
        "bare scandir": lambda: bare_walk(top),
        "walk_context": lambda: walk_context(root, ignore),
        "  no ignore": lambda: walk_context(root, None),
        "  no pruning": lambda: walk_context(root, unpruned),
        "bare (process)": process([sys.executable, "-c", BARE_WALK_SCRIPT, top]),
        "pitstop context": process([*pitstop_command(), "context", top]),
    }
    docker_py = docker_py_walk(top)
    if docker_py is None:
        print("note: docker-py not installed, skipping it (pip install docker)")
    else:
        walks["docker-py"] = docker_py
    times = measure(walks, args.runs)
    _report(times, args.runs)
    tree = walk_context(root, ignore)
    print(f"walk_context: {len(tree.files)} files, {tree.bytes} bytes, {tree.pruned} pruned")
    if docker_py is not None:
        compare(top, {f.path for f in tree.files}, docker_py(), ignore)
    ratios = [_ratio(times, "walk_context", "bare scandir")]
    ratios.append(_ratio(times, "pitstop context", "bare (process)"))
    return 1 if args.check and max(ratios) > TARGET_RATIO else 0


def _ratio(
    times: dict[str, tuple[list[float], list[float]]], name: str, reference: str, cpu: bool = False
) -> float:
    return statistics.median(times[name][cpu]) / statistics.median(times[reference][cpu])


def _report(times: dict[str, tuple[list[float], list[float]]], runs: int) -> None:
    print(f"medians of {runs} interleaved runs (wall / CPU seconds):")
    for name, (walls, cpus) in times.items():
        print(f"  {name:<15} {statistics.median(walls):7.3f} / {statistics.median(cpus):7.3f}")
    print("  (indented rows: walk_context variants that show the cost of matching;")
    print("   process rows: CPU includes the child process, start-up and all)")
    base_wall, base_cpu = (statistics.median(t) for t in times["bare scandir"])
    wall, cpu = (statistics.median(t) for t in times["walk_context"])
    verdict = "within" if wall / base_wall <= TARGET_RATIO else "ABOVE"
    print(
        f"ratio walk_context / bare scandir: {wall / base_wall:.2f}x wall, "
        f"{cpu / base_cpu:.2f}x CPU ({verdict} the {TARGET_RATIO}x target)"
    )
    cli = _ratio(times, "pitstop context", "bare (process)")
    cli_cpu = _ratio(times, "pitstop context", "bare (process)", cpu=True)
    verdict = "within" if cli <= TARGET_RATIO else "ABOVE"
    print(
        f"ratio pitstop context (CLI) / bare scandir (process): {cli:.2f}x wall, "
        f"{cli_cpu:.2f}x CPU ({verdict} the {TARGET_RATIO}x target)"
    )


if __name__ == "__main__":
    sys.exit(main())
