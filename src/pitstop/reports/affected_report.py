"""`pitstop affected`: the selection as text, JSON (DESIGN.md's contract) or pytest arguments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the audit machinery loads only for `affected audit` (start-up time)
    from pitstop.impact.audit import AuditResult
    from pitstop.impact.explain import Explanation
    from pitstop.impact.selector import Selection

FORMAT_VERSION = 1
FORMATS = ("text", "json", "pytest")


def render(selection: Selection, fmt: str) -> str:
    if fmt == "json":
        return render_json(selection)
    if fmt == "pytest":
        return render_pytest(selection)
    return render_text(selection)


def document(selection: Selection) -> dict[str, object]:
    return {
        "version": FORMAT_VERSION,
        "run_all": selection.run_all,
        "reasons": list(selection.reasons),
        "changed": list(selection.changed),
        "selected": list(selection.selected),
        "total": selection.total,
        "coverage": _coverage(selection),
    }


def _coverage(selection: Selection) -> dict[str, object] | None:
    used = selection.coverage
    return None if used is None else {"recorded_at": used.recorded_at, "tests": used.tests}


def render_json(selection: Selection) -> str:
    return json.dumps(document(selection), indent=2) + "\n"


def render_pytest(selection: Selection) -> str:
    """Arguments for `pytest $(...)`: `.` to run everything, nothing when nothing is
    affected (the caller must not run a bare `pytest` then: it would run every test)."""
    if selection.run_all:
        return ".\n"
    return "".join(f"{path}\n" for path in selection.selected)


def render_text(selection: Selection) -> str:
    changed = len(selection.changed)
    if selection.run_all:
        head = f"run all {selection.total} test files"
    else:
        head = f"{len(selection.selected)} of {selection.total} test files affected"
    lines = [f"pitstop affected: {head} ({changed} changed file{'s' * (changed != 1)})"]
    if selection.coverage is not None:
        used = selection.coverage
        recorded = used.recorded_at[:12] or "outside git"
        lines.append(f"  with the test map recorded at {recorded} ({used.tests} test files)")
    lines += [f"  because {reason}" for reason in selection.reasons]
    if not selection.run_all:
        lines += [f"  {path}" for path in selection.selected]
    return "\n".join(lines) + "\n"


def render_explanation(explanation: Explanation) -> str:
    lines = [explanation.summary]
    for index, step in enumerate(explanation.chain):
        arrow = "  " if index == 0 else "  <- "
        lines.append(f"{arrow}{step.path} ({step.why})" if step.why else f"{arrow}{step.path}")
    return "\n".join(lines) + "\n"


def audit_document(result: AuditResult) -> dict[str, object]:
    return {
        "version": FORMAT_VERSION,
        "root": result.root,
        "mutants": len(result.results),
        "candidates": result.candidates,
        "killed": len(result.killed),
        "broken": sum(r.broken for r in result.results),
        "timed_out": sum(r.timed_out for r in result.results),
        "safety": result.safety,
        "selected_files_share": result.share(),
        "selected_time_share": result.share(time=True),
        "module_level_files_share": result.share(plain=True),
        "module_level_time_share": result.share(plain=True, time=True),
        "module_level_unsafe": sum(bool(r.missed_plain) for r in result.killed),
        "coverage": _audit_coverage(result),
        "unsafe": [
            {
                "path": r.mutant.path,
                "line": r.mutant.line,
                "mutation": r.mutant.description,
                "missed": list(r.missed),
            }
            for r in result.unsafe
        ],
        "order_dependent": [
            {
                "path": r.mutant.path,
                "line": r.mutant.line,
                "mutation": r.mutant.description,
                "files": list(r.order_dependent),
            }
            for r in result.results
            if r.order_dependent
        ],
        "baseline_failing": list(result.baseline_failing),
    }


def _audit_coverage(result: AuditResult) -> dict[str, object] | None:
    """The figures of the selection with the test map (`audit --coverage`), else None."""
    if not result.coverage:
        return None
    return {
        "safety": result.safety_covered,
        "selected_files_share": result.share(covered=True),
        "selected_time_share": result.share(covered=True, time=True),
        "unsafe": [
            {
                "path": r.mutant.path,
                "line": r.mutant.line,
                "mutation": r.mutant.description,
                "missed": list(r.missed_covered),
            }
            for r in result.unsafe_covered
        ],
    }


def render_audit(result: AuditResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(audit_document(result), indent=2) + "\n"
    return render_audit_text(result)


def render_audit_text(result: AuditResult) -> str:
    from pitstop.impact.audit import describe

    killed, mutants = len(result.killed), len(result.results)
    broken = sum(r.broken for r in result.results)
    lines = [
        f"pitstop affected audit: {mutants} mutants (of {result.candidates} possible), "
        f"{killed} killed, {mutants - killed - broken} survived, {broken} broke the session"
    ]
    safety = result.safety
    if safety is None:
        lines.append("safety: unknown (no mutant made a test fail)")
    else:
        unsafe = len(result.unsafe)
        lines.append(
            f"safety: {safety:.1%} ({killed - unsafe} of {killed} killed mutants had every "
            "failing test file selected)"
        )
    lines.append(
        f"selected: {_percent(result.share())} of test files, "
        f"{_percent(result.share(time=True))} of test time (module-level closure: "
        f"{_percent(result.share(plain=True))}, {_percent(result.share(plain=True, time=True))})"
    )
    if result.coverage:
        covered = result.safety_covered
        unsafe = len(result.unsafe_covered)
        lines.append(
            f"with the test map: safety {_percent(covered)} ({killed - unsafe} of {killed}), "
            f"selected {_percent(result.share(covered=True))} of test files, "
            f"{_percent(result.share(covered=True, time=True))} of test time"
        )
        lines += [
            f"  the map missed: {r.mutant.path}:{r.mutant.line} {r.mutant.description}: "
            f"{', '.join(r.missed_covered)}"
            for r in result.unsafe_covered
        ]
    if result.baseline_failing:
        lines.append(f"already failing, set aside: {', '.join(result.baseline_failing)}")
    after_others = [r for r in result.results if r.order_dependent]
    if after_others:
        lines.append(
            "failed only after other tests (pass alone with the mutant; the selection fails "
            "of itself), not counted as misses:"
        )
        lines += [
            f"  {r.mutant.path}:{r.mutant.line} {r.mutant.description}: "
            f"{', '.join(r.order_dependent)}"
            for r in after_others
        ]
    lines += ["unsafe mutants:", *(f"  {line}" for r in result.unsafe for line in describe(r))]
    return "\n".join(lines if result.unsafe else lines[:-1]) + "\n"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
