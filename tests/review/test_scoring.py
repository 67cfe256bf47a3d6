"""Area scores and the verdict as docs/scoring.md and the README state them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop import api
from pitstop.model import Area, ReviewResult, Severity, Verdict
from pitstop.review.scoring import area_score

CLEAN_DOCKERFILE = (
    "FROM python:3.12-slim@sha256:" + "a" * 64 + "\n"
    "WORKDIR /app\n"
    "COPY requirements.txt .\n"
    "RUN pip install --no-cache-dir -r requirements.txt\n"
    "COPY . .\n"
    "USER 1000\n"
    'CMD ["python", "app.py"]\n'
)


def scores(result: ReviewResult) -> dict[Area, float | None]:
    return {s.area: s.score for s in result.scores}


def files(result: ReviewResult) -> dict[Area, int]:
    return {s.area: s.files for s in result.scores}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(CLEAN_DOCKERFILE)
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    return tmp_path


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({Severity.INFO: 3}, 9.3),  # 9.25: half up, not float's 9.2
        ({Severity.INFO: 5}, 8.8),  # 8.75
        ({Severity.WARNING: 1, Severity.INFO: 1}, 8.8),  # 8.75
        ({Severity.BLOCKING: 1}, 6.0),
        ({Severity.BLOCKING: 3}, 0.0),  # never below 0
        ({}, 10.0),
    ],
)
def test_area_score_rounds_half_up(counts: dict[Severity, int], expected: float) -> None:
    assert area_score(1, counts) == expected


def test_area_score_divides_by_the_files_examined() -> None:
    assert area_score(4, {Severity.WARNING: 1}) == 9.8  # 9.75 -> 9.8
    assert area_score(3, {Severity.WARNING: 1}) == 9.7  # 9.666...


def test_areas_no_rule_examined_are_not_reviewed_never_a_free_10(repo: Path) -> None:
    result = api.review(repo)
    assert scores(result)[Area.WORKFLOWS] is None  # no workflow in the repository
    assert files(result)[Area.WORKFLOWS] == 0
    only_dockerfile_rules = api.review(repo, select=("PS1",))
    assert scores(only_dockerfile_rules)[Area.DEPENDENCIES] is None  # its rules did not run
    assert scores(only_dockerfile_rules)[Area.CONTEXT] is None


def test_dockerfile_and_dependencies_are_scored_when_their_files_exist(repo: Path) -> None:
    result = api.review(repo)
    assert files(result)[Area.DOCKERFILE] == 1
    assert files(result)[Area.DEPENDENCIES] == 1
    assert scores(result)[Area.DOCKERFILE] is not None
    assert scores(result)[Area.DEPENDENCIES] is not None
    assert result.verdict is Verdict.APPROVED, [f.rule for f in result.findings]
    assert len(result.files_reviewed) == 2  # the summary's count, as the table's rows say
