"""Time `pitstop affected` against grimp's `build_graph` on Django's source tree and tests.

Django's sdist (downloaded at run time with `pip download --no-deps --no-binary :all:
Django`, unpacked into benchmarks/.work/, git-ignored) holds the `django` package (~900
modules) and its test suite (~1,900 files in ~210 top-level test packages). Both tools run
in this one process, interleaved round-robin for --runs rounds; the figures are medians:

  cold:  grimp `build_graph(django, *test packages, cache_dir=None)` against
         `api.affected(root, changed=..., use_cache=False)` (`--no-cache`);
  warm:  grimp with its cache filled against `api.affected(root, changed=...)` with
         pitstop's cache filled, nothing changed on disk.

Two more rows time what a user runs: `pitstop affected --root ROOT --changed` (the CLI,
warm, nothing changed, start-up included) in its own process, against grimp's warm
`build_graph` run the same way (`python -c "import grimp; grimp.build_graph(...)"`).

Targets (issue 5): cold <= 1.5 x grimp's cold, warm <= 0.5 x grimp's warm, in process and
through the CLI (against grimp's warm `build_graph` in process, the stricter reference).
The warm run is timed with nothing changed (`--changed` with no path) as the issue asks,
and again with one changed module (`django/utils/text.py`, imported by most of Django)
for scale; the cold run is timed with that one change, so the whole graph is built and
traversed.

grimp is given every test package except `test_runner_apps`, which holds a file with a
deliberate syntax error that stops grimp (pitstop scans it like any other file).

With `--map`, one more row times the selection with a test map (issue 13): Django's tests
run under Django's own runner, not pytest, so the map is synthetic but of a real map's
size and shape. In a git copy of the tree (committed, so the map's commit resolves), every
test file is given FUNCTIONS functions (default 300) drawn, with a fixed seed, from the
functions of the files its static import closure loads, written with the store's own
writer; then `pitstop affected --root COPY --changed django/utils/text.py` runs through
the CLI with the map found in the copy's `.pitstop/history.db`, warm, as does the same
with nothing changed (the row to set against the warm CLI row without a map).

    pip install grimp
    python benchmarks/bench_affected.py [--runs 5] [--version 5.2.19] [--check] [--map]

Exit status: 0, or 1 with --check when a ratio misses its target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pitstop import api
from pitstop.impact.selector import Selection

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / ".work"
CHANGE = "django/utils/text.py"
COLD_TARGET, WARM_TARGET = 1.5, 0.5
BROKEN = "test_runner_apps"  # a deliberate syntax error: grimp refuses the whole graph


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    root = _django(options.version)
    import grimp  # imported late: the error above says to install it

    packages = _packages(root)
    sys.path[:0] = [str(root), str(root / "tests")]
    grimp_cache = tempfile.mkdtemp(prefix="grimp-cache-")
    pitstop_cache = tempfile.mkdtemp(prefix="pitstop-cache-")
    os.environ["PITSTOP_CACHE_DIR"] = pitstop_cache
    runs = {
        "grimp cold": lambda: grimp.build_graph(*packages, cache_dir=None),
        "pitstop cold": lambda: api.affected(root, changed=[CHANGE], use_cache=False),
        "grimp warm": lambda: grimp.build_graph(*packages, cache_dir=grimp_cache),
        "pitstop warm": lambda: api.affected(root, changed=[]),
        "pitstop warm, one change": lambda: api.affected(root, changed=[CHANGE]),
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    grimp_script = f"import grimp; grimp.build_graph(*{packages!r}, cache_dir={grimp_cache!r})"
    runs["grimp warm (process)"] = _process([sys.executable, "-c", grimp_script], env)
    runs["pitstop warm (CLI)"] = _process(
        [*_pitstop_command(), "affected", "--root", str(root), "--changed"], env
    )
    if options.map:
        copy = _mapped_copy(root, options.functions)
        command = [*_pitstop_command(), "affected", "--root", str(copy), "--changed"]
        runs["pitstop map (CLI)"] = _process(command, env)
        runs["pitstop map (CLI), one change"] = _process([*command, CHANGE], env)
        runs["pitstop map (CLI), one change"]()
    runs["grimp warm"]()  # fill both caches first
    runs["pitstop warm, one change"]()
    times = _interleaved(runs, options.runs)
    ok = _report(times, api.affected(root, changed=[CHANGE]), len(packages))
    shutil.rmtree(grimp_cache, ignore_errors=True)
    shutil.rmtree(pitstop_cache, ignore_errors=True)
    return 1 if options.check and not ok else 0


def _process(command: list[str], env: dict[str, str]) -> Callable[[], object]:
    return lambda: subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)


def _pitstop_command() -> list[str]:
    """The installed `pitstop` beside this interpreter, else `python -m pitstop`."""
    script = Path(sys.executable).with_name("pitstop")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pitstop"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--version", default="5.2.19", help="the Django release to measure")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--map", action="store_true", help="also time a selection with a map")
    parser.add_argument("--functions", type=int, default=300, help="(--map) hits per test file")
    return parser.parse_args(argv)


def _django(version: str) -> Path:
    """Django's sdist, downloaded once and unpacked under benchmarks/.work/."""
    root = WORK / f"django-{version}"
    if root.is_dir():
        return root
    WORK.mkdir(parents=True, exist_ok=True)
    download = ["download", "--quiet", "--no-deps", "--no-binary", ":all:", "--dest", str(WORK)]
    subprocess.run([sys.executable, "-m", "pip", *download, f"Django=={version}"], check=True)
    archive = next(WORK.glob(f"[dD]jango-{version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(WORK, filter="data")
    return root


def _mapped_copy(root: Path, functions: int) -> Path:
    """A committed git copy of `root` with a synthetic test map in .pitstop/history.db."""
    import hashlib
    import random

    from pitstop.history.coverage import write_recording
    from pitstop.history.map_read import repository_name
    from pitstop.history.store import Store, database_url
    from pitstop.impact.functions import blocks_of
    from pitstop.impact.git import SubprocessGit, head_commit
    from pitstop.impact.selection_run import run
    from pitstop.testmap import ITEM, FileState, Function, Recording, Unit

    copy = Path(tempfile.mkdtemp(prefix="pitstop-map-")) / "django"
    shutil.copytree(root, copy)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=copy, check=True)
    subprocess.run([*git, "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "django"], cwd=copy, check=True)
    commit, _ = head_commit(SubprocessGit(copy))
    graph = run(copy, changed=[]).graph
    table: list[Function] = []
    by_file: dict[str, list[int]] = {}
    for path in graph.nodes:
        blocks = blocks_of((copy / path).read_bytes()) if (copy / path).is_file() else None
        if blocks is None:
            continue
        by_file[path] = []
        for name, digest in blocks.digests.items():
            by_file[path].append(len(table))
            table.append(Function(path, name, digest))
    chooser = random.Random(0)
    units = []
    for test in graph.tests:
        pool = [i for path in graph.load_closure(test) for i in by_file.get(path, ())]
        hits = frozenset(chooser.sample(pool, min(functions, len(pool))))
        units.append(Unit(ITEM, f"{test}::test", test, hits))
    used = {table[i].path for unit in units for i in unit.hits}
    files = {
        path: FileState(
            hashlib.sha256((copy / path).read_bytes()).hexdigest(), graph.deep(path).skeleton
        )
        for path in sorted(used)
    }
    recording = Recording(commit, False, "synthetic", "", "main", files, tuple(table), tuple(units))
    store = Store.open(database_url(copy, None))
    try:
        write_recording(store, repository_name(copy), recording)
    finally:
        store.close()
    hits = sum(len(unit.hits) for unit in units)
    print(f"synthetic map: {len(units)} test files, {len(table)} functions, {hits} hits")
    return copy


def _packages(root: Path) -> list[str]:
    tests = root / "tests"
    found = [p.name for p in sorted(tests.iterdir()) if (p / "__init__.py").is_file()]
    return ["django", *(name for name in found if name != BROKEN)]


def _interleaved(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def _report(times: dict[str, list[float]], selection: Selection, packages: int) -> bool:
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:28} {value:7.3f} s  (runs: {', '.join(f'{v:.3f}' for v in times[name])})")
    cold = median["pitstop cold"] / median["grimp cold"]
    warm = median["pitstop warm"] / median["grimp warm"]
    print(
        f"grimp packages: {packages}; pitstop: {selection.total} test files, "
        f"{len(selection.selected)} selected by a change to {CHANGE}"
    )
    cli = median["pitstop warm (CLI)"] / median["grimp warm"]
    cli_process = median["pitstop warm (CLI)"] / median["grimp warm (process)"]
    print(
        f"cold ratio {cold:.2f} (target <= {COLD_TARGET}); "
        f"warm ratio {warm:.2f} (target <= {WARM_TARGET}); "
        f"warm CLI ratio {cli:.2f} against grimp in process, {cli_process:.2f} against grimp "
        f"in its own process (target <= {WARM_TARGET})"
    )
    if "pitstop map (CLI)" in median:
        with_map = median["pitstop map (CLI)"] / median["grimp warm"]
        with_map_process = median["pitstop map (CLI)"] / median["grimp warm (process)"]
        print(
            f"with a test map, CLI, nothing changed: {with_map:.2f} against grimp in process, "
            f"{with_map_process:.2f} against grimp in its own process (target <= {WARM_TARGET})"
        )
    return cold <= COLD_TARGET and warm <= WARM_TARGET and cli <= WARM_TARGET


if __name__ == "__main__":
    raise SystemExit(main())
