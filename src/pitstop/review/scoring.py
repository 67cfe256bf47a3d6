"""Area scores and the verdict, computed only from the findings (docs/scoring.md).

    score(area) = max(0, 10 - (4 * blocking + 1 * warning + 0.25 * info) / files)

rounded to one decimal, where `files` is how many files the area's rules examined
and the counts are the area's findings after suppressions and severity overrides.
An area no enabled rule examined has no score (it is "not reviewed", never a 10).

Verdict: NOT APPROVED when a reviewed area scores below 5.0; otherwise CONDITIONALLY
APPROVED while any blocking finding remains; otherwise APPROVED.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pitstop.model import Area, AreaScore, Finding, Severity, Verdict
from pitstop.review.project import Project
from pitstop.review.rules.base import Rule

WEIGHTS = {Severity.BLOCKING: 4.0, Severity.WARNING: 1.0, Severity.INFO: 0.25}
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


def area_score(files: int, counts: dict[Severity, int]) -> float:
    penalty = sum(WEIGHTS[severity] * count for severity, count in counts.items())
    return round(max(0.0, 10.0 - penalty / files), 1)


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
