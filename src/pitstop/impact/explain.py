"""`--explain TEST`: the chain of files from a changed file to one test, or why there is none."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pitstop.impact.import_graph import Graph, State
from pitstop.impact.selector import Impact, Selection, acting_on_import, affects


@dataclass(frozen=True)
class Step:
    """One file of the chain, with how it depends on the step before it."""

    path: str
    why: str


@dataclass(frozen=True)
class Explanation:
    test: str
    selected: bool
    summary: str
    chain: tuple[Step, ...] = ()  # from the changed file to the test


def explain(
    test: str, selection: Selection, impact: Impact, graph: Graph, *, precise: bool = True
) -> Explanation:
    if selection.run_all:
        return Explanation(test, True, "every test runs: " + "; ".join(selection.reasons))
    how = affects(test, impact, graph) if precise else "import-time"
    chain = _reach_chain(test, impact, graph) if how == "reach" else ()
    chain = chain or _load_chain(test, impact, graph)
    if test not in selection.selected or not chain:
        return Explanation(test, False, _unaffected(test, chain))
    return Explanation(test, True, _summary(test, how, chain, impact, graph), chain)


def _summary(
    test: str, how: str | None, chain: tuple[Step, ...], impact: Impact, graph: Graph
) -> str:
    changed = chain[0].path
    if how == "reach":
        return f"{test} can call code of {changed}"
    if how == "active":
        culprit = acting_on_import(test, impact, graph)[0]
        what = "" if culprit == changed else f"; it also loads {culprit}, which it does not call,"
        return (
            f"{test} loads {changed}{what} but {graph.activity(culprit)}, so even a change "
            "inside a function body can reach it"
        )
    return f"{test} loads {changed}, whose change can act at import time"


def _unaffected(test: str, chain: tuple[Step, ...]) -> str:
    if not chain:
        return f"{test} is not affected: no changed file is in its import closure"
    return (
        f"{test} is not affected: it loads {chain[0].path} on import, but that change is "
        "confined to function bodies and every module it loads without using is passive"
    )


def _reach_chain(test: str, impact: Impact, graph: Graph) -> tuple[Step, ...]:
    parents = graph.reach_closure(test)
    hit = next((s for s in parents if s[0] in impact.import_time), None)
    if hit is None:
        return ()
    states: list[State] = [hit]
    while (parent := parents[states[-1]]) is not None:
        states.append(parent)
    steps = [Step(hit[0], impact.origins[hit[0]])]
    for child, parent in itertools.pairwise(states):
        why = dict(graph.next_states(parent)).get(child, "")
        if parent[0] != steps[-1].path:
            steps.append(Step(parent[0], why))
    return tuple(steps)


def _load_chain(test: str, impact: Impact, graph: Graph) -> tuple[Step, ...]:
    parents = graph.load_closure(test)
    hit = next((p for p in parents if p in impact.import_time), None)
    if hit is None:
        return ()
    steps = [Step(hit, impact.origins[hit])]
    child = hit
    while (parent := parents[child]) is not None:
        steps.append(Step(parent, graph.loads(parent).get(child, "")))
        child = parent
    return tuple(steps)
