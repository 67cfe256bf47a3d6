"""The score formula and the verdict, as docs/scoring.md states them."""

from __future__ import annotations

import pytest

from pitstop.model import Area, AreaScore, Severity, Verdict
from pitstop.review.scoring import area_score, verdict


@pytest.mark.parametrize(
    ("files", "counts", "score"),
    [
        (2, {Severity.BLOCKING: 1, Severity.WARNING: 3}, 6.5),  # docs/scoring.md's example
        (10, {Severity.WARNING: 10}, 9.0),  # density, not volume
        (1, {Severity.WARNING: 1}, 9.0),
        (1, {Severity.INFO: 1}, 9.8),  # 9.75 rounded to one decimal
        (1, {Severity.BLOCKING: 3}, 0.0),  # never below zero
    ],
)
def test_area_score(files: int, counts: dict[Severity, int], score: float):
    assert area_score(files, counts) == score


def test_verdict_order():
    low = AreaScore(Area.DOCKERFILE, 1, score=4.9)
    passing = AreaScore(Area.DOCKERFILE, 1, score=5.0)
    not_reviewed = AreaScore(Area.WORKFLOWS, 0, score=None)
    assert verdict([], [low, not_reviewed]) is Verdict.NOT_APPROVED
    assert verdict([], [passing, not_reviewed]) is Verdict.APPROVED
