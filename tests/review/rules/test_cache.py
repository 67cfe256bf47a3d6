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
        [4],
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
