"""A hand-built review result the report tests render, and the golden-file check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pitstop.model import (
    Area,
    AreaScore,
    Finding,
    Fix,
    InputProblem,
    Location,
    Related,
    ReviewResult,
    Severity,
    TextEdit,
    Verdict,
)
from pitstop.review.rules.base import Rule

GOLDEN_DIR = Path(__file__).parent / "golden"

CheckGolden = Callable[[str, str], None]

OUTSIDE_CONTEXT = Finding(
    rule="PS101",
    severity=Severity.BLOCKING,
    title="Path dependency outside the build context",
    message=(
        "`COPY ../../libs/core /libs/core` reaches outside the build context "
        "`services/api`;\nthe build fails with `failed to compute cache key`."
    ),
    location=Location("services/api/Dockerfile", 7, 1),
    area=Area.CONTEXT,
    related=(
        Related(Location("services/api/pyproject.toml", 12, 5), "path dependency declared here"),
        Related(Location(".github/workflows/ci.yml", 31, 20), "build context set here"),
    ),
)

SOURCE_BEFORE_INSTALL = Finding(
    rule="PS201",
    severity=Severity.WARNING,
    title="Dependencies installed after the source is copied",
    message=(
        "Every change to any file (100% of commits) re-runs `pip install`, "
        "because `COPY . .` comes first; <src> & tests | docs included."
    ),
    location=Location("Dockerfile", 4, 1),
    area=Area.DOCKERFILE,
    fix=Fix(
        description="Copy requirements.txt and install before copying the source",
        edits=(
            TextEdit(
                "Dockerfile",
                4,
                1,
                6,
                1,
                "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
            ),
        ),
    ),
)

UNPINNED_BASE = Finding(
    rule="PS301",
    severity=Severity.WARNING,
    title="Base image not pinned to a digest",
    message="`python:3.12-slim` can change under you; pin it as `python:3.12-slim@sha256:…`.",
    location=Location("services/api/Dockerfile", 1, 6),
    area=Area.SECURITY,
)

NO_PIP_CACHE = Finding(
    rule="PS401",
    severity=Severity.INFO,
    title="setup-python without a pip cache",
    message="Add `cache: pip` to `actions/setup-python` to reuse downloaded wheels.",
    location=Location(".github/workflows/ci.yml", 12, 9),
    area=Area.WORKFLOWS,
)


def sample_result() -> ReviewResult:
    """Three files with findings of each severity, one input problem, one unscored area."""
    return ReviewResult(
        root="/srv/shop",
        findings=(NO_PIP_CACHE, SOURCE_BEFORE_INSTALL, UNPINNED_BASE, OUTSIDE_CONTEXT),
        scores=(
            AreaScore(Area.DOCKERFILE, files=2, warning=1, score=8.5),
            AreaScore(Area.CONTEXT, files=2, blocking=1, score=4.0),
            AreaScore(Area.DEPENDENCIES, files=0, score=None),
            AreaScore(Area.WORKFLOWS, files=1, info=1, score=9.5),
            AreaScore(Area.SECURITY, files=3, warning=1, score=7.5),
        ),
        verdict=Verdict.NOT_APPROVED,
        files_reviewed=(
            ".github/workflows/ci.yml",
            "Dockerfile",
            "services/api/Dockerfile",
        ),  # as the table counts them: the dependencies area is not reviewed
        problems=(
            InputProblem("docker-compose.yml", "mapping values are not allowed here", line=4),
        ),
    )


# The rule table the SARIF tests see: the real one is still growing, and goldens must not.
PINNED_RULES = (
    Rule(
        code="PS101",
        name="dependency-outside-context",
        title="Dependency outside the build context",
        severity=Severity.BLOCKING,
        area=Area.CONTEXT,
        why="A COPY source outside the context is not sent to the builder; the build fails.",
    ),
    Rule(
        code="PS102",
        name="runs-as-root",
        title="Shipped stage runs as root",
        severity=Severity.WARNING,
        area=Area.SECURITY,
        why="Root in the container is root on the kernel interface.",
    ),
)


@pytest.fixture
def pinned_rules() -> tuple[Rule, ...]:
    """The rule table SARIF tests pass instead of the live one."""
    return PINNED_RULES


@pytest.fixture
def result() -> ReviewResult:
    return sample_result()


@pytest.fixture
def check_golden(update_goldens: bool) -> CheckGolden:
    """Compare output with `golden/<name>`; with `--update-goldens`, rewrite it instead."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if update_goldens:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual.encode("utf-8"))
            return
        assert path.exists(), f"{path} is missing; run: pytest tests/reports --update-goldens"
        assert actual == path.read_bytes().decode("utf-8")

    return check
