"""PS120: a broad COPY before the dependency install busts the install's cache."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    (
        """
        FROM python:3.12-slim
        COPY . .
        RUN pip install --no-cache-dir -r requirements.txt
        """,
        (),
        [2],
    ),
    (
        """
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        """,
        (),
        [],
    ),
    (
        """
        FROM python:3.12-slim
        COPY src src
        COPY pyproject.toml poetry.lock ./
        RUN poetry install --no-root
        """,
        ("src/",),
        [2],
    ),
    (
        """
        FROM python:3.12-slim
        COPY pyproject.toml uv.lock ./
        RUN uv sync --frozen --no-install-project
        COPY app/ ./app/
        RUN uv sync --frozen
        """,
        (),
        [],  # dependencies first, then the project: the order PS120 asks for
    ),
    (
        """
        FROM python:3.12-slim
        COPY main.py .
        RUN pip install --no-cache-dir -r requirements.txt
        """,
        ("main.py",),
        [],
    ),
    (
        """
        FROM python:3.12-slim AS builder
        COPY . /src
        FROM python:3.12-slim
        RUN pip install --no-cache-dir flask
        """,
        (),
        [],
    ),
    # dependencies installed in a stage whose result is copied in before the sources
    (
        """
        FROM python:3.12 AS deps
        COPY requirements.txt .
        RUN pip install --user --no-cache-dir -r requirements.txt
        FROM python:3.12-slim
        COPY --from=deps /root/.local /root/.local
        COPY . /app/
        RUN pip install --no-cache-dir -e /app
        """,
        (),
        [],
    ),
    # dependencies from the requirements first (no broad COPY yet), the project after
    (
        """
        FROM python:3.12-slim
        COPY requirements.txt /requirements.txt
        RUN pip install --no-cache-dir -r /requirements.txt
        COPY . .
        RUN pip install --no-cache-dir -e .
        """,
        (),
        [],
    ),
    # the project without its dependencies: it has to follow the sources
    (
        """
        FROM python:3.12-slim
        COPY src ./src
        RUN pip install --no-cache-dir --no-dependencies .
        """,
        ("src/",),
        [],
    ),
]


@pytest.mark.parametrize(("snippet", "files", "lines"), CASES)
def test_rule(snippet, files, lines, tmp_path):
    assert hits(snippet, "PS120", tmp_path, files) == [("PS120", line) for line in lines]


def test_message_names_the_files_the_installer_reads(tmp_path):
    snippet = "FROM python:3.12-slim\nCOPY . .\nRUN poetry install\n"
    (finding,) = findings(snippet, "PS120", tmp_path)
    assert "pyproject.toml poetry.lock" in finding.message
    assert "poetry install --no-root" in finding.message
    assert finding.related[0].location.line == 3
