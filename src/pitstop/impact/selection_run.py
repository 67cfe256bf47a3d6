"""One run of the selection: the change, the graph, the answer, wired to the real world."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.impact.cache import FactsStore, cache_file
from pitstop.impact.coverage_select import Drift, select_with_map
from pitstop.impact.git import (
    Git,
    SubprocessGit,
    change_since,
    difference,
    generated,
    inside_work_tree,
)
from pitstop.impact.git import previous_text as git_previous
from pitstop.impact.import_graph import Graph, build_graph
from pitstop.impact.imports import parse_facts
from pitstop.impact.selector import ChangeSet, Impact, Selection, impact_of, select
from pitstop.impact.settings import load_settings
from pitstop.impact.tree import DiskTree
from pitstop.testmap import CoverageMap


@dataclass(frozen=True)
class Run:
    change: ChangeSet
    graph: Graph
    selection: Selection
    why: Mapping[str, str] | None = None  # with a test map: why each test was selected

    def impact(self) -> Impact:
        return impact_of(self.change, self.graph)


def run(
    root: Path,
    *,
    base: str | None = None,
    changed: Sequence[str] | None = None,
    use_cache: bool = True,
    precise: bool = True,
    previous: Mapping[str, bytes] | None = None,
    coverage: CoverageMap | None = None,
    since: Sequence[str] | None = None,
) -> Run:
    """The selection for a change given as `changed` paths, or from git against `base`
    (default HEAD: the uncommitted changes). `previous` gives the text of changed files
    before the change, when the caller knows it (the audit does). With `coverage`, a
    recorded test map, body-only changes select by what the tests ran (coverage_select);
    `since` gives the paths changed since the map was recorded when the caller knows them
    (the audit does), else git tells."""
    if not root.is_dir():
        raise PitstopError("no such directory", path=str(root))
    if base is not None and changed is not None:
        raise PitstopError("give either --base or --changed, not both")
    git = SubprocessGit(root)
    in_git = inside_work_tree(git)
    change = listed_change(root, changed, previous) if changed is not None else None
    if change is None:
        if not in_git:
            raise PitstopError(
                "not a git repository: name the changes with --changed", path=str(root)
            )
        change = git_change(git, base or "HEAD")
    tree = DiskTree(root, git if in_git else None)
    store = FactsStore(tree, cache_file(root) if use_cache else None)
    settings = load_settings(root)
    drift = None
    if coverage is not None and precise:
        known = Drift(tuple(since), None) if since is not None else None
        drift = known or _drift(git if in_git else None, coverage)
    if coverage is not None and drift is None:
        change = replace(change, notes=(*change.notes, _unusable(coverage, in_git)))
    if coverage is None or drift is None:
        graph = build_graph(store, settings, deleted=change.paths)
        selection = select(change, graph, precise=precise)
        store.save()
        return Run(change, graph, selection)
    gone = [p for p in coverage.files if not (root / p).is_file()]
    graph = build_graph(store, settings, deleted=[*change.paths, *drift.paths, *gone])
    selection, why = select_with_map(
        change, graph, coverage, drift, read=tree.read, digest=store.digest, parse=parse_facts
    )
    store.save()
    return Run(change, graph, selection, why)


def _drift(git: Git | None, coverage: CoverageMap) -> Drift | None:
    """The changes between the recorded commit and the work tree, or None when they cannot
    be known (the commit is not in this clone; outside git, only the recorded files' own
    bytes tell, which is not enough for data files)."""
    if git is None or not coverage.commit:
        return None
    paths = difference(git, coverage.commit)
    if paths is None:
        return None
    return Drift(paths, partial(git_previous, git, coverage.commit))


def _unusable(coverage: CoverageMap, in_git: bool) -> str:
    if not in_git or not coverage.commit:
        return (
            "the test map was recorded outside git, so changes since then are unknown: "
            "static selection"
        )
    return (
        f"the test map's commit {coverage.commit[:12]} is not in this clone, so changes since "
        "the recording are unknown: static selection (fetch it, or record again)"
    )


def git_change(git: Git, ref: str) -> ChangeSet:
    found = change_since(git, ref)
    notes: tuple[str, ...] = ()
    if found.outside:
        notes = (f"{len(found.outside)} changed file(s) outside the root were not considered",)
    base = found.base
    previous = partial(git_previous, git, base) if base else None
    return ChangeSet(found.paths, previous, found.run_all, notes)


def listed_change(
    root: Path, paths: Sequence[str], previous: Mapping[str, bytes] | None = None
) -> ChangeSet:
    """`--changed` paths, relative to `root` (absolute ones are made relative to it)."""
    inside: dict[str, None] = {}
    outside = 0
    for path in paths:
        relative = _relative(root, path)
        if relative is None:
            outside += 1
        elif not generated(relative):
            inside[relative] = None
    notes = (f"{outside} changed path(s) outside the root were not considered",) if outside else ()
    before = previous.get if previous is not None else None
    return ChangeSet(tuple(inside), before, notes=notes)


def _relative(root: Path, path: str) -> str | None:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(root.resolve())
        except ValueError:
            return None
    text = os.path.normpath(candidate.as_posix()).replace(os.sep, "/")
    return None if text.startswith("../") or text == ".." else text
