"""Area scores and the verdict, computed only from the findings (docs/scoring.md).

    score(area) = max(0, 10 - (4 * blocking + 1 * warning + 0.25 * info) / files)

rounded half up to one decimal (9.25 is 9.3, as a reader rounds it), where `files` is
how many files the area's rules examined and the counts are the area's findings after
suppressions and severity overrides.
An area no enabled rule examined has no score (it is "not reviewed", never a 10).

Verdict: NOT APPROVED when a reviewed area scores below 5.0; otherwise CONDITIONALLY
APPROVED while any blocking finding remains; otherwise APPROVED.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pitstop.model import Area, AreaScore, Finding, Severity, Verdict
from pitstop.review.project import Project
from pitstop.review.rules.base import Rule

WEIGHTS = {
    Severity.BLOCKING: Decimal(4),
    Severity.WARNING: Decimal(1),
    Severity.INFO: Decimal("0.25"),
}
PASSING_SCORE = 5.0


def files_examined(area: Area, project: Project) -> int:
    """How many files the rules of `area` read; the divisor of the area's score."""
    if area is Area.DOCKERFILE:
        return len(project.dockerfiles)
    if area is Area.SECURITY:  # secrets in Dockerfiles, cache writes in workflows
        return len(project.dockerfiles) + len(project.workflows)
    if area is Area.CONTEXT:
        return len({b.context for s in project.dockerfiles for b in s.builds})
    if area is Area.DEPENDENCIES:
        return len(project.dependency_files)
    if area is Area.WORKFLOWS:
        return len(project.workflows)
    return 0


def reviewed_files(project: Project, areas: Iterable[Area]) -> tuple[str, ...]:
    """The files the rules of `areas` read, each once: the "files reviewed" of the summary.
    Dockerfiles, dependency files and workflows are the `files` of the dockerfile,
    dependencies and workflows rows; compose and bake files count when context rules run
    (they declare the builds those rules judge)."""
    chosen = set(areas)
    paths: list[str] = []
    if chosen & {Area.DOCKERFILE, Area.SECURITY, Area.CONTEXT}:
        paths += [s.path for s in project.dockerfiles]
    if Area.CONTEXT in chosen:
        paths += project.build_files
    if Area.DEPENDENCIES in chosen:
        paths += [d.path for d in project.dependency_files]
    if chosen & {Area.WORKFLOWS, Area.SECURITY}:
        paths += [w.path for w in project.workflows]
    return tuple(dict.fromkeys(paths))


def area_score(files: int, counts: Mapping[Severity, int]) -> float:
    """The formula in decimal arithmetic: float's `round(9.25, 1)` gives 9.2 (9.25 is stored
    as 9.2499... and ties go to even), where a reader recomputing it expects 9.3."""
    penalty = sum((WEIGHTS[severity] * count for severity, count in counts.items()), Decimal(0))
    exact = max(Decimal(0), Decimal(10) - penalty / files)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score_areas(
    findings: Iterable[Finding], project: Project, rules: Sequence[Rule]
) -> tuple[AreaScore, ...]:
    findings = list(findings)
    ruled = {rule.area for rule in rules}
    scores = []
    for area in Area:
        files = files_examined(area, project) if area in ruled else 0
        counts = {
            s: sum(1 for f in findings if f.area is area and f.severity is s) for s in Severity
        }
        score = area_score(files, counts) if files else None
        scores.append(
            AreaScore(
                area,
                files,
                counts[Severity.BLOCKING],
                counts[Severity.WARNING],
                counts[Severity.INFO],
                score,
            )
        )
    return tuple(scores)


def verdict(findings: Iterable[Finding], scores: Iterable[AreaScore]) -> Verdict:
    if any(s.score is not None and s.score < PASSING_SCORE for s in scores):
        return Verdict.NOT_APPROVED
    if any(f.severity is Severity.BLOCKING for f in findings):
        return Verdict.CONDITIONALLY_APPROVED
    return Verdict.APPROVED
