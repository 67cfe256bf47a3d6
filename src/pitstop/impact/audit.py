"""`pitstop affected audit`: how safe the selection is on the user's own code, by mutation.

The project is copied to a temporary folder (without `.git`, virtualenvs and caches), so
the user's files are never touched. In the copy, the whole suite runs once as a baseline
(tests that fail already are set aside), then for each of N single-point mutants of a
source file that some test loads (`mutate`): the selection is computed for the mutated file
(with its previous text known, as `--base` has it), precise and module-level, and the whole
suite runs with the mutant in place. A mutant is *killed* when some test file fails; it is
*unsafe* when one of those files was not selected. A failing file that fails again on the
unmutated copy is flaky, not a miss, and is not counted. A failing file that was not
selected and passes when it runs without the rest of the suite, the mutant in place, failed
only after other tests (state a failing test left behind): it is *order-dependent*, and not
a miss when the selection, run alone with the mutant, fails too (the change is caught, and
once the selected failures are mended it passes again); it is listed apart, never dropped.
With `jobs` above 1, as many copies each try one mutant at a time, side by side.

Python runs with `PYTHONDONTWRITEBYTECODE=1` (a mutant of the same size in the same second
must never be served from a stale `.pyc`) and with the copy's source roots first on
`PYTHONPATH`, so an editable install of the project imports the copy, not the original.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pitstop.errors import PitstopError
from pitstop.impact.import_graph import CONFTEST, Graph
from pitstop.impact.mutate import Mutant, mutants_of, sample
from pitstop.impact.selection_run import run as select_run
from pitstop.impact.tree import SKIPPED_FOLDERS
from pitstop.testmap import CoverageMap

TEST_FOLDERS = frozenset({"tests", "test", "testing"})
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SuiteRun:
    """One run of the suite: each test file's (failed, seconds); `broken` when the session
    itself failed (a conftest that no longer imports), so no file's outcome is known."""

    files: dict[str, tuple[bool, float]] = field(default_factory=dict)
    broken: bool = False
    timed_out: bool = False

    def failing(self) -> set[str]:
        return {path for path, (failed, _) in self.files.items() if failed}


class Runner(Protocol):
    """Runs pytest in a folder; tests pass a fake."""

    # The suite (or only `files`) run in `root`, within `timeout` seconds; `record` is a
    # database URL to record the test map into (pytest --pitstop-record), if any.
    def run(
        self, root: Path, timeout: float, files: Sequence[str] = (), record: str | None = None
    ) -> SuiteRun: ...


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    failing: tuple[str, ...]  # test files the mutant made fail (flaky ones removed)
    selected: tuple[str, ...]  # the precise selection
    plain: tuple[str, ...]  # the module-level closure's selection
    run_all: bool = False
    covered: tuple[str, ...] | None = None  # the selection with the test map (--coverage)
    timed_out: bool = False
    broken: bool = False  # the session did not run: not counted either way
    # failing files not selected that failed only after other tests, while the selections
    # missing them fail of themselves (the module docstring): not misses, listed apart
    order_dependent: tuple[str, ...] = ()

    @property
    def killed(self) -> bool:
        return bool(self.failing)

    @property
    def missed(self) -> tuple[str, ...]:
        return self._missed(self.selected)

    @property
    def missed_covered(self) -> tuple[str, ...]:
        return () if self.covered is None else self._missed(self.covered)

    @property
    def missed_plain(self) -> tuple[str, ...]:
        return self._missed(self.plain)

    def _missed(self, chosen: tuple[str, ...]) -> tuple[str, ...]:
        if self.run_all:
            return ()
        return tuple(f for f in self.failing if f not in chosen and f not in self.order_dependent)


@dataclass(frozen=True)
class AuditResult:
    root: str
    tests: tuple[str, ...]
    seconds: dict[str, float]  # each test file's baseline time
    results: tuple[MutantResult, ...]
    baseline_failing: tuple[str, ...] = ()
    candidates: int = 0  # mutants that could have been drawn
    coverage: bool = False  # whether a test map was recorded and each mutant selected with it

    @property
    def killed(self) -> list[MutantResult]:
        return [r for r in self.results if r.killed]

    @property
    def unsafe(self) -> list[MutantResult]:
        return [r for r in self.killed if r.missed]

    @property
    def safety(self) -> float | None:
        killed = self.killed
        return None if not killed else 1 - len(self.unsafe) / len(killed)

    @property
    def unsafe_covered(self) -> list[MutantResult]:
        return [r for r in self.killed if r.missed_covered]

    @property
    def safety_covered(self) -> float | None:
        killed = self.killed
        if not self.coverage or not killed:
            return None
        return 1 - len(self.unsafe_covered) / len(killed)

    def share(
        self, *, plain: bool = False, time: bool = False, covered: bool = False
    ) -> float | None:
        """The mean share of test files (or of test time) selected, over every mutant: by
        the precise selection, the module closure (`plain`) or the test map (`covered`)."""
        if not self.results or not self.tests or (covered and not self.coverage):
            return None
        total = sum(self.seconds.get(t, 0.0) for t in self.tests) if time else len(self.tests)
        shares = []
        for result in self.results:
            chosen = _chosen(result, self.tests, plain=plain, covered=covered)
            size = sum(self.seconds.get(t, 0.0) for t in chosen) if time else len(chosen)
            shares.append(size / total if total else 1.0)
        return sum(shares) / len(shares)


def _chosen(
    result: MutantResult, tests: tuple[str, ...], *, plain: bool, covered: bool
) -> tuple[str, ...]:
    if result.run_all:
        return tests
    if covered:
        return result.covered or ()
    return result.plain if plain else result.selected


def audit(
    root: Path,
    *,
    mutants: int = 50,
    seed: int = 0,
    runner: Runner | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    open_map: MapOpener | None = None,
) -> AuditResult:
    """Measure the selection's safety on `root` with `mutants` mutants (see the docstring).

    With `jobs` above 1, that many copies of the project each run one mutant at a time, side
    by side (the runner must then be safe to call from several threads, as `PytestRunner`
    is); the results are the same, in the same order, as with one."""
    if not root.is_dir():
        raise PitstopError("no such directory", path=str(root))
    if mutants < 1:
        raise PitstopError("--mutants must be at least 1")
    if jobs < 1:
        raise PitstopError("--jobs must be at least 1")
    runner = runner or PytestRunner()
    with tempfile.TemporaryDirectory(prefix="pitstop-audit-") as folder:
        test_map = f"sqlite:///{Path(folder) / 'map.db'}" if open_map else None
        maps = _MapSource(test_map, open_map)
        try:
            return _audit_copies(Path(folder), root, mutants, seed, runner, progress, jobs, maps)
        finally:
            maps.close()


def _audit_copies(
    folder: Path,
    root: Path,
    count: int,
    seed: int,
    runner: Runner,
    progress: Progress | None,
    jobs: int,
    maps: _MapSource,
) -> AuditResult:
    def copy(n: int) -> Path:
        # Each copy keeps the project's folder name: a test may look at it.
        destination = folder / str(n) / root.resolve().name
        copy_project(root, destination)
        return destination

    first = copy(0)
    graph = select_run(first, changed=[]).graph
    baseline = runner.run(first, timeout=3600)
    if maps.url is not None:  # a run of its own: the baseline's times stay a plain run's
        runner.run(first, timeout=3600, record=maps.url)
    if baseline.broken:
        raise PitstopError("the test suite does not run on the unchanged project", path=str(root))
    seconds = {path: time for path, (_, time) in baseline.files.items()}
    timeout = 60 + 10 * sum(seconds.values())
    pool = [m for path in mutable_files(graph) for m in _mutants(first, path)]
    chosen = sample(pool, count, seed)
    copies = [first, *(copy(n) for n in range(1, min(jobs, len(chosen))))]
    results = _try_all(copies, chosen, baseline, runner, timeout, progress, maps)
    failing = tuple(sorted(baseline.failing()))
    return AuditResult(
        str(root), graph.tests, seconds, tuple(results), failing, len(pool), maps.url is not None
    )


# Opens the test map in a database URL for a copy of the project: the map (None: nothing
# recorded) and what closes its store. The history store is a layer beside this one, so
# the caller (pitstop.api) gives it.
MapOpener = Callable[[str, Path], tuple[CoverageMap | None, Callable[[], None]]]


class _MapSource:
    """The test map recorded at the baseline, read once, shared by every copy (they hold
    the same files at the same relative paths); its store stays open for its hits."""

    def __init__(self, url: str | None, opener: MapOpener | None) -> None:
        self.url = url
        self.opener = opener
        self.map: CoverageMap | None = None
        self.closer: Callable[[], None] | None = None
        self.lock = threading.Lock()

    def get(self, copy: Path) -> CoverageMap | None:
        if self.url is None or self.opener is None:
            return None
        with self.lock:
            if self.closer is None:
                self.map, self.closer = self.opener(self.url, copy)
                if self.map is None:
                    raise PitstopError("the baseline run recorded no test map", path=str(copy))
            return self.map

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


def _try_all(
    copies: list[Path],
    chosen: list[Mutant],
    baseline: SuiteRun,
    runner: Runner,
    timeout: float,
    progress: Progress | None,
    maps: _MapSource,
) -> list[MutantResult]:
    """Every mutant's result, in `chosen` order, trying one mutant per copy at a time (with
    one copy, the mutants are tried in order, as a runner that counts its calls expects)."""
    free: queue.SimpleQueue[Path] = queue.SimpleQueue()
    for copy in copies:
        free.put(copy)

    def attempt(mutant: Mutant) -> MutantResult:
        copy = free.get()
        try:
            return _try(copy, mutant, baseline, runner, timeout, maps)
        finally:
            free.put(copy)

    with ThreadPoolExecutor(max_workers=len(copies)) as pool:
        pending = [pool.submit(attempt, mutant) for mutant in chosen]
        for done, _ in enumerate(as_completed(pending), 1):
            if progress is not None:
                progress(done, len(chosen))
        return [future.result() for future in pending]


def _mutants(copy: Path, path: str) -> list[Mutant]:
    try:
        return mutants_of(path, (copy / path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def _try(
    copy: Path,
    mutant: Mutant,
    baseline: SuiteRun,
    runner: Runner,
    timeout: float,
    maps: _MapSource,
) -> MutantResult:
    """Apply `mutant` in the copy: its selections and the suite's verdict, then undo it."""
    with _applied(copy, mutant) as original:
        previous = {mutant.path: original}
        precise = select_run(copy, changed=[mutant.path], previous=previous).selection
        plain = select_run(copy, changed=[mutant.path], previous=previous, precise=False)
        test_map = maps.get(copy)
        covered = None
        if test_map is not None:
            # nothing changed in the copy since the baseline recorded the map but the mutant
            with_map = select_run(
                copy, changed=[mutant.path], previous=previous, coverage=test_map, since=()
            )
            covered = with_map.selection.selected
        outcome = runner.run(copy, timeout)
    failing = set() if outcome.broken else outcome.failing() - baseline.failing()
    chosen = set(precise.selected) & set(covered if covered is not None else precise.selected)
    missed = [f for f in failing if f not in chosen and not precise.run_all]
    flaky = runner.run(copy, timeout, missed).failing() if missed else set()
    selections = [precise.selected] if covered is None else [precise.selected, covered]
    missed = [f for f in missed if f not in flaky]
    after_others = _order_dependent(copy, mutant, runner, timeout, missed, selections)
    return MutantResult(
        mutant,
        tuple(sorted(failing - flaky)),
        precise.selected,
        plain.selection.selected,
        run_all=precise.run_all,
        timed_out=outcome.timed_out,
        broken=outcome.broken,
        covered=covered,
        order_dependent=after_others,
    )


@contextmanager
def _applied(copy: Path, mutant: Mutant) -> Iterator[bytes]:
    """The mutant in place in the copy for the block, which gets the file's bytes before it;
    those bytes restored after."""
    target = copy / mutant.path
    original = target.read_bytes()
    target.write_text(mutant.text, encoding="utf-8")
    try:
        yield original
    finally:
        target.write_bytes(original)


def _order_dependent(
    copy: Path,
    mutant: Mutant,
    runner: Runner,
    timeout: float,
    missed: list[str],
    selections: list[tuple[str, ...]],
) -> tuple[str, ...]:
    """The missed files that pass when they run without the rest of the suite, the mutant in
    place, provided every selection missing one of them fails when it runs alone with the
    mutant (the change caught). Two or three more runs, for the rare mutant with a miss."""
    if not missed:
        return ()
    with _applied(copy, mutant):
        alone = runner.run(copy, timeout, missed).failing()
        candidates = {f for f in missed if f not in alone}
        for selected in selections:
            if candidates and not candidates <= set(selected):
                caught = bool(selected) and bool(runner.run(copy, timeout, selected).failing())
                if not caught:
                    return ()
    return tuple(sorted(candidates))


def mutable_files(graph: Graph) -> list[str]:
    """Source files some test loads: never tests, conftests or files under test folders."""
    loaded = set(graph.tests)
    queue = deque(loaded)
    while queue:
        for target in graph.loads(queue.popleft()):
            if target not in loaded:
                loaded.add(target)
                queue.append(target)
    return sorted(p for p in loaded if _source(p, graph))


def _source(path: str, graph: Graph) -> bool:
    node = graph.nodes[path]
    parts = path.split("/")
    return (
        not node.test
        and not node.deleted
        and parts[-1] != CONFTEST
        and TEST_FOLDERS.isdisjoint(parts[:-1])
    )


def copy_project(root: Path, destination: Path) -> None:
    """Copy `root` without what a test run never needs: `.git`, virtualenvs, caches."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in SKIPPED_FOLDERS and n not in ("build", "dist")}
        skipped |= {n for n in names if n.endswith((".pyc", ".egg-info"))}
        skipped |= {".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"} & set(names)
        return skipped | {n for n in names if (Path(folder, n) / "pyvenv.cfg").is_file()}

    shutil.copytree(root, destination, symlinks=True, ignore=ignored)


@dataclass(frozen=True)
class PytestRunner:
    """`python -m pytest` in the copy, recording outcomes with `--pitstop-outcomes`."""

    arguments: tuple[str, ...] = ()
    python: str = sys.executable

    def run(
        self, root: Path, timeout: float, files: Sequence[str] = (), record: str | None = None
    ) -> SuiteRun:
        outcomes = root / ".pitstop-outcomes.json"
        outcomes.unlink(missing_ok=True)
        command = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command.append("--continue-on-collection-errors")  # a broken test file is a failure
        command += [f"--rootdir={root}", f"--pitstop-outcomes={outcomes}", *self.arguments]
        if record is not None:
            command += ["--pitstop-record", f"--pitstop-db={record}"]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
            command += ["-p", "pitstop.pytest_plugin"]
        try:
            subprocess.run(
                [*command, *files],
                cwd=root,
                env=environment(root),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return SuiteRun(_read_record(outcomes), timed_out=True)
        return SuiteRun(_read_record(outcomes), broken=not outcomes.is_file())


def environment(root: Path) -> dict[str, str]:
    """The environment tests run in: the copy's source roots first on `PYTHONPATH`."""
    roots = [str(root / r) for r in ("src", "lib") if (root / r).is_dir()] + [str(root)]
    path = os.pathsep.join([*roots, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def _read_record(record: Path) -> dict[str, tuple[bool, float]]:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return {path: (bool(e["failed"]), float(e["seconds"])) for path, e in data.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def describe(result: MutantResult) -> Iterator[str]:
    """One line per unsafe mutant: where, what, and the failing files it did not select."""
    mutant = result.mutant
    yield f"{mutant.path}:{mutant.line} {mutant.description}: missed {', '.join(result.missed)}"
