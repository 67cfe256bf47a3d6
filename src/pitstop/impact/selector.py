"""The selection: which test files a change can affect, or a reason to run them all.

What a change selects:

- a Python file: the tests whose closure contains it (precise: see `importtime`), and the
  test file itself when it is one; the files that mention its path in a string literal
  count as changed too (a script a test runs by path);
- a deleted Python file: the tests whose files still import it (it stays in the graph as a
  ghost under its old names); a rename is a delete and an add;
- a data file: the files that mention it in a string literal (its name `x.json`, a path
  ending in it `data/x.json`, or a folder between it and the nearest folder with Python
  files, `data`) count as changed. When no file mentions it, every Python file of the
  nearest folder above it that holds Python files counts as changed (a fixture folder next
  to tests selects those tests; a template inside a package selects the package's tests).
  A file with no Python folder above it but the root (a README, a workflow) selects nothing;
- one of the run-all files (`settings.DEFAULT_RUN_ALL`, `[tool.pitstop.affected]
  run-all`), the root `conftest.py`, or a changed Python file that does not parse: every
  test, with a reason naming the file.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pitstop.config import glob_match
from pitstop.impact.import_graph import CONFTEST, Graph, State, normal_reference
from pitstop.impact.imports import FileFacts, parse_facts


@dataclass(frozen=True)
class CoverageUse:
    """What a selection took from a recorded test map: its commit and its test files."""

    recorded_at: str
    tests: int


@dataclass(frozen=True)
class Selection:
    """The answer: paths relative to the root, `selected` sorted (every test when run_all);
    `tests` lists every test file (`total` of them); `coverage` says which recorded map
    was used, if any."""

    run_all: bool
    reasons: tuple[str, ...]
    changed: tuple[str, ...]
    selected: tuple[str, ...]
    total: int
    tests: tuple[str, ...] = ()
    coverage: CoverageUse | None = None


@dataclass(frozen=True)
class ChangeSet:
    """The changed paths; `previous(path)` gives a file's text before the change when it is
    known (with `--base`), which lets a body-only change skip the tests that only load it."""

    paths: tuple[str, ...]
    previous: Callable[[str], bytes | None] | None = None
    run_all: str | None = None
    notes: tuple[str, ...] = ()


@dataclass
class Impact:
    """The Python files that count as changed, each with whether its change can act at
    import time (`import_time`) and why it counts (`origins`)."""

    import_time: dict[str, bool] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, path: str, import_time: bool, origin: str) -> None:
        self.import_time[path] = self.import_time.get(path, False) or import_time
        self.origins.setdefault(path, origin)


def select(
    change: ChangeSet, graph: Graph, *, precise: bool = True, parse: Parser = parse_facts
) -> Selection:
    reasons = run_all_reasons(change, graph)
    if reasons:
        tests = graph.tests
        return Selection(True, tuple(reasons), change.paths, tests, len(tests), tests)
    impact = impact_of(change, graph, parse)
    selected = affected_tests(impact, graph, precise=precise)
    notes = (*change.notes, *impact.notes)
    tests = graph.tests
    return Selection(False, notes, change.paths, tuple(sorted(selected)), len(tests), tests)


Parser = Callable[[bytes], FileFacts]


def run_all_reasons(change: ChangeSet, graph: Graph) -> list[str]:
    reasons = [change.run_all] if change.run_all else []
    for path in change.paths:
        pattern = next((p for p in graph.settings.run_all if glob_match(p, path)), None)
        node = graph.nodes.get(path)
        if path == CONFTEST:
            reasons.append(f"{path} changed: the root conftest applies to every test")
        elif pattern is not None:
            reasons.append(
                f"{path} changed (run-all pattern {pattern!r}): it can affect every test"
            )
        elif node is not None and not node.deleted and graph.deep(path).error is not None:
            error = graph.deep(path).error
            reasons.append(f"{path} does not parse ({error}): its imports are unknown")
    return reasons


def impact_of(change: ChangeSet, graph: Graph, parse: Parser = parse_facts) -> Impact:
    impact = Impact()
    for path in change.paths:
        node = graph.nodes.get(path)
        if node is not None:
            origin = "deleted" if node.deleted else "changed"
            impact.add(path, _import_time_change(path, change, graph, parse), origin)
            _mentions(path, graph, impact, folders=False)
        elif not _mentions(path, graph, impact, folders=True):
            _whole_folder(path, graph, impact)
    return impact


def _import_time_change(path: str, change: ChangeSet, graph: Graph, parse: Parser) -> bool:
    """Whether the change to `path` may alter what it does on import (unknown: yes)."""
    node = graph.nodes[path]
    before = change.previous(path) if change.previous and not node.deleted else None
    if before is None:
        return True
    old = parse(before)
    return old.error is not None or old.skeleton != graph.deep(path).skeleton


def _mentions(path: str, graph: Graph, impact: Impact, *, folders: bool) -> bool:
    """Count the files that mention `path` in a string literal as changed."""
    keys = reference_keys(path, graph, folders=folders)
    found = False
    for last in {key.rpartition("/")[2] for key in keys}:
        for other, text in graph.mentions(python=path.endswith(".py")).get(last, ()):
            if other != path and _matches(text, keys):
                impact.add(other, True, f"mentions {text!r} ({path} changed)")
                found = True
    return found


def reference_keys(path: str, graph: Graph, *, folders: bool) -> frozenset[str]:
    """The strings that name `path`: its path suffixes and, with `folders`, those of the
    folders between it and the nearest folder that holds Python files."""
    keys = set(_suffixes(path))
    folder = posixpath.dirname(path)
    while folders and folder and not _holds_python(folder, graph):
        keys.update(_suffixes(folder))
        folder = posixpath.dirname(folder)
    return frozenset(keys)


def _suffixes(path: str) -> Iterable[str]:
    parts = path.split("/")
    return ("/".join(parts[i:]) for i in range(len(parts)))


def _matches(text: str, keys: frozenset[str]) -> bool:
    normal = normal_reference(text)
    if "/" not in normal:
        return normal in keys
    return any(suffix in keys for suffix in _suffixes(normal))


def _holds_python(folder: str, graph: Graph) -> bool:
    return folder in graph.python_folders


def _whole_folder(path: str, graph: Graph, impact: Impact) -> None:
    """An unreferenced data file: everything in the nearest folder with Python files."""
    folder = posixpath.dirname(path)
    while folder and not _holds_python(folder, graph):
        folder = posixpath.dirname(folder)
    if not folder:
        return
    origin = f"in {folder}/, like {path}, which no file mentions"
    for other in graph.nodes:
        if other.startswith(folder + "/"):
            impact.add(other, True, origin)
    impact.notes.append(f"{path}: no file mentions it, so every test of {folder}/ is selected")


def affected_tests(impact: Impact, graph: Graph, *, precise: bool) -> list[str]:
    """The tests whose closure holds a changed file; `precise` applies `importtime`'s rule.

    Whole-graph passes, not one closure per test: the tests that load a changed file (the
    candidates), those among them that can reach one, and those that load a file whose
    change acts at import time. Only the candidates left need their own closures."""
    changed = impact.import_time.keys()
    if not changed:
        return []  # nothing to follow: no need for a single edge
    candidates = _tests_in(_loaders(changed, graph), graph)
    if not precise:
        return sorted(candidates)
    import_time = [path for path, acts in impact.import_time.items() if acts]
    selected = _reaching(candidates, changed, graph)
    selected |= _tests_in(_loaders(import_time, graph), graph)
    rest = {t for t in candidates - selected if affects(t, impact, graph) is not None}
    return sorted(selected | rest)


def _tests_in(paths: set[str], graph: Graph) -> set[str]:
    return {path for path in paths if path in graph.nodes and graph.nodes[path].test}


def _reaching(tests: set[str], changed: Iterable[str], graph: Graph) -> set[str]:
    """The `tests` whose reach holds a changed file: one forward pass over the states the
    tests reach, then one backward pass from the states of the changed files."""
    start: set[State] = {(test, None) for test in tests}
    reverse: dict[State, list[State]] = {}
    seen, queue = set(start), deque(start)
    while queue:
        state = queue.popleft()
        for target, _ in graph.next_states(state):
            reverse.setdefault(target, []).append(state)
            if target not in seen:
                seen.add(target)
                queue.append(target)
    files = set(changed)
    marked = {state for state in seen if state[0] in files}
    queue = deque(marked)
    while queue:
        for source in reverse.get(queue.popleft(), ()):
            if source not in marked:
                marked.add(source)
                queue.append(source)
    return {test for test in tests if (test, None) in marked}


def _loaders(changed: Iterable[str], graph: Graph) -> set[str]:
    """Every file whose load closure holds one of `changed` (the files themselves too)."""
    seen = set(changed)
    queue = deque(seen)
    while queue:
        for importer in graph.importers.get(queue.popleft(), ()):
            if importer not in seen:
                seen.add(importer)
                queue.append(importer)
    return seen


def affects(test: str, impact: Impact, graph: Graph) -> str | None:
    """Why a change affects `test` in the precise selection ("reach", "import-time" or
    "active"), or None when it cannot."""
    reached = {path for path, _ in graph.reach_closure(test)}
    if not reached.isdisjoint(impact.import_time):
        return "reach"
    loaded = graph.load_closure(test).keys()
    if any(impact.import_time.get(path, False) for path in loaded):
        return "import-time"
    if loaded.isdisjoint(impact.import_time):
        return None
    return "active" if acting_on_import(test, impact, graph) else None


def acting_on_import(test: str, impact: Impact, graph: Graph) -> list[str]:
    """The files `test` loads without reaching whose import-time code can run a changed
    file's code, or run or hand out functions of their own."""
    reached = {path for path, _ in graph.reach_closure(test)}
    loaded = graph.load_closure(test).keys() - reached
    changed = impact.import_time.keys()
    acting = []
    for path in sorted(loaded):
        runs = graph.import_time_reach(path)
        if runs is None or not runs.isdisjoint(changed):
            acting.append(path)
    return acting
