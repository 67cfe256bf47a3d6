"""PS110-PS111: what a later layer rewrites or deletes still ships in the earlier one."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

SEED_RUNTIME = """
    FROM python:3.11-slim AS runtime
    WORKDIR /app
    COPY --from=builder /build/requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY app/ ./app/
    RUN useradd -m -u 1000 appuser && chown -R appuser /app
    USER appuser
    """

CASES = [
    ("PS110", SEED_RUNTIME, [6]),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY --chown=app:app . /srv
        RUN chown -R app /var/log/app
        """,
        [],
    ),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY . /srv/app
        RUN chmod -R g+w /srv
        """,
        [3],
    ),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY . /srv/app
        RUN chown app /srv/app
        """,
        [],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
        """,
        [3],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        WORKDIR /tmp
        COPY dist/ ./dist/
        RUN pip install --no-cache-dir dist/*.whl
        RUN rm -rf dist/*
        """,
        [5],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels pip install /wheels/*.whl
        """,
        [],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        COPY app /app
        RUN rm -rf /tmp/cache
        """,
        [],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_chown_points_at_every_copy_it_rewrites(tmp_path):
    (finding,) = findings(SEED_RUNTIME, "PS110", tmp_path)
    assert [r.location.line for r in finding.related] == [3, 5]
    assert "COPY --chown" in finding.message
