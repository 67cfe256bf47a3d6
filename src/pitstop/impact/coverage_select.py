"""The selection with a recorded test map: coverage for what runs in tests, the static net
for what runs on import.

A changed Python file either changes what it does at import time (its skeleton differs from
the base's text or from the recorded text, or either is unknown) or only function bodies.
An import-time change, a deleted file, a file named by a changed data file: the static
precise selection (`selector`), as without a map. A body-only change selects:

- the test files whose items, or whose broad fixtures, ran a function whose digest now
  differs from the recorded one (matched by file and qualified name);
- the test files that load a module whose import ran such a function (static load
  closure), and the test file that imported it while a test ran;
- when such a function ran outside any test (collection, pytest hooks), or a module
  imported before recording began can run it on import: the static selection for the file;
- for the test files the map cannot vouch for (no recording, or one of their tests started
  a process whose code was not seen): the static selection for the file.

A changed test file is selected itself. Changes since the recording count as changes: every
file that differs between the recorded commit and the work tree, and every recorded file
whose bytes differ from the recorded ones (a recording made on a dirty tree).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pitstop.impact.functions import blocks_of, recorded_skeleton
from pitstop.impact.import_graph import Graph
from pitstop.impact.selector import (
    ChangeSet,
    CoverageUse,
    Impact,
    Parser,
    Selection,
    _loaders,
    affected_tests,
    impact_of,
    run_all_reasons,
)
from pitstop.testmap import COLLECTION, IMPORT, MODULE, CoverageMap

_BLIND = (
    "its changed code ran outside any test (collection, an early import) or it does not "
    "parse, so the map cannot say which tests it acts on"
)


@dataclass(frozen=True)
class Drift:
    """The changes since the recording: paths, and their text at the recorded commit."""

    paths: tuple[str, ...]
    previous: Callable[[str], bytes | None] | None


def select_with_map(
    change: ChangeSet,
    graph: Graph,
    cmap: CoverageMap,
    drift: Drift,
    *,
    read: Callable[[str], bytes | None],
    digest: Callable[[str], str | None],
    parse: Parser,
) -> tuple[Selection, dict[str, str]]:
    """The selection for `change` with `cmap`, and why each selected test was selected."""
    use = CoverageUse(cmap.commit, len(cmap.test_files))
    combined = _combined(change, drift, cmap, digest)
    reasons = run_all_reasons(combined, graph)
    tests = graph.tests
    why: dict[str, str] = {}
    if reasons:
        why = dict.fromkeys(tests, "every test runs")
        return Selection(True, tuple(reasons), change.paths, tests, len(tests), tests, use), why
    impact = impact_of(combined, graph, parse)
    for path, origin in impact.origins.items():
        if origin in ("changed", "deleted"):
            impact.import_time[path] = _acts_on_import(path, combined, graph, cmap, read)
    import_time = [p for p, acts in impact.import_time.items() if acts]
    # with every file an import-time change, the precise selection is the load closure
    for path in import_time:  # each test names the first changed file it loads
        for test in sorted(_tests_loading(path, graph)):
            why.setdefault(test, f"loads {path}, whose change can act at import time (static net)")
    body_only = sorted(p for p, acts in impact.import_time.items() if not acts)
    _body_changes(body_only, graph, cmap, read, why)
    for path in impact.import_time:
        node = graph.nodes.get(path)
        if node is not None and node.test:
            why.setdefault(path, "changed itself")
    notes = (*change.notes, *impact.notes)
    selected = tuple(sorted(t for t in why if t in graph.nodes and graph.nodes[t].test))
    return Selection(False, notes, change.paths, selected, len(tests), tests, use), why


def _combined(
    change: ChangeSet, drift: Drift, cmap: CoverageMap, digest: Callable[[str], str | None]
) -> ChangeSet:
    """`change` plus the changes since the recording."""
    paths = dict.fromkeys(change.paths)
    since = dict.fromkeys(drift.paths)
    for path, states in cmap.files.items():
        current = digest(path)
        # None: not a file the selection sees (git-ignored, generated): no change counts it
        if current is not None and current not in {s.sha256 for s in states}:
            since[path] = None
    before = change.previous
    recorded = drift.previous

    def previous(path: str) -> bytes | None:
        if path in paths:
            return before(path) if before is not None else None
        return recorded(path) if recorded is not None else None

    all_paths = tuple({**paths, **since})
    return ChangeSet(all_paths, previous, change.run_all, change.notes)


def _acts_on_import(
    path: str,
    change: ChangeSet,
    graph: Graph,
    cmap: CoverageMap,
    read: Callable[[str], bytes | None],
) -> bool:
    """Whether the change to `path` may alter what runs on import, as the map sees import
    time (`recorded_skeleton`: lambda bodies and literal defaults are the functions'): its
    skeleton differs from the base's text's or from the recorded text's, or one is unknown."""
    node = graph.nodes.get(path)
    if node is None or node.deleted:
        return True
    current = _skeleton(read(path), cmap.lambdas)
    before = change.previous(path) if change.previous is not None else None
    if current is None or before is None or _skeleton(before, cmap.lambdas) != current:
        return True
    return any(state.skeleton != current for state in cmap.files.get(path, ()))


def _skeleton(data: bytes | None, lambdas: bool) -> str | None:
    if data is None:
        return None
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    return recorded_skeleton(tree, lambdas=lambdas)


def _body_changes(
    paths: list[str],
    graph: Graph,
    cmap: CoverageMap,
    read: Callable[[str], bytes | None],
    why: dict[str, str],
) -> None:
    if not paths:
        return
    digests = {path: _digests(read(path)) for path in paths}
    static_for: set[str] = set()
    for hit in cmap.hits(paths):
        function = hit.function
        if function.qualname == MODULE or not function.digest:
            continue  # module code and class bodies are import time: the skeleton said no
        current = digests[function.path]
        if current is not None and current.get(function.qualname) == function.digest:
            continue
        name = f"{function.path}::{function.qualname}"
        if hit.kind == COLLECTION:
            static_for.add(function.path)
            continue
        for test in hit.test_files:
            why.setdefault(test, f"ran {name}, which changed")
        if hit.kind == IMPORT:
            for test in _tests_loading(hit.unit_name, graph):
                why.setdefault(
                    test, f"loads {hit.unit_name}, whose import ran {name}, which changed"
                )
    for path in paths:
        if digests[path] is None or _early_can_run(path, graph, cmap):
            static_for.add(path)
    unvouched = {t for t in graph.tests if t not in cmap.test_files or t in cmap.spawned}
    for path in paths:
        if path not in static_for and not unvouched:
            continue  # the static selection is needed for nothing: spare its graph passes
        chosen = _static_tests(path, graph)
        if path in static_for:
            for test in chosen:
                why.setdefault(test, f"is in the static selection for {path}: {_BLIND}")
            continue
        for test in chosen & unvouched:
            reason = (
                "started a process while recorded (what it ran is not seen)"
                if test in cmap.spawned
                else "has no recording"
            )
            why.setdefault(test, f"{reason}, so the static net selects it for {path}")


def _digests(data: bytes | None) -> Mapping[str, str] | None:
    if data is None:
        return None
    blocks = blocks_of(data)
    return None if blocks is None else blocks.digests


def _tests_loading(path: str, graph: Graph) -> set[str]:
    if path not in graph.nodes:
        return set()
    return {p for p in _loaders([path], graph) if graph.nodes[p].test}


def _static_tests(path: str, graph: Graph) -> set[str]:
    impact = Impact({path: False}, {path: "changed"})
    return set(affected_tests(impact, graph, precise=True))


def _early_can_run(path: str, graph: Graph, cmap: CoverageMap) -> bool:
    """Whether a file imported before recording began can run `path`'s code on import."""
    for early in cmap.early:
        if early not in graph.nodes:
            continue
        reach = graph.import_time_reach(early)
        if reach is None or path in reach:
            return True
    return False
