"""PS101-PS106: hardening rules judge the stage that ships."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    # PS101: build tools in the shipped stage of a multi-stage build
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        RUN apt-get update && apt-get install -y --no-install-recommends gcc
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev
        """,
        [4],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        RUN apt-get install -y gcc
        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        """,
        [],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS base
        RUN pip install poetry==1.8.0
        FROM base AS runtime
        CMD ["python"]
        """,
        [2],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        FROM python:3.12-slim
        RUN apt-get install -y gcc && pip wheel . && apt-get purge -y gcc
        """,
        [],
    ),
    (
        "PS101",
        """
        FROM alpine:3.20 AS a
        FROM alpine:3.20
        RUN apk add --no-cache git musl-dev
        """,
        [3],
    ),
    # PS102: single stage that installs build tools
    (
        "PS102",
        """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y gcc
        """,
        [2],
    ),
    (
        "PS102",
        """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y libpq5 curl
        """,
        [],
    ),
    # PS103: runs as root
    (
        "PS103",
        """
        FROM python:3.12-slim
        CMD ["python"]
        """,
        [1],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim
        USER app
        USER root
        """,
        [3],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim AS base
        USER 1000:1000
        FROM base
        CMD ["python"]
        """,
        [],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim AS build
        FROM gcr.io/distroless/python3:nonroot
        """,
        [],
    ),
    # PS104: no healthcheck on a server image
    (
        "PS104",
        """
        FROM python:3.12-slim
        EXPOSE 8080
        CMD ["python", "-m", "http.server"]
        """,
        [2],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        CMD ["gunicorn", "app:app"]
        """,
        [2],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        EXPOSE 8080
        HEALTHCHECK NONE
        """,
        [],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        CMD ["python", "batch.py"]
        """,
        [],
    ),
    # PS105: shell form without exec
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD uvicorn app:app --port ${PORT}
        """,
        [2],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        ENTRYPOINT /entrypoint.sh
        CMD ["serve"]
        """,
        [2],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD exec uvicorn app:app
        """,
        [],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD ["uvicorn", "app:app"]
        """,
        [],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim AS old
        CMD python old.py
        FROM python:3.12-slim
        CMD ["python", "new.py"]
        """,
        [],
    ),
    # PS106: shell form with exec
    (
        "PS106",
        """
        FROM python:3.12-slim
        CMD exec uvicorn app:app --port ${PORT}
        """,
        [2],
    ),
    (
        "PS106",
        """
        FROM python:3.12-slim
        CMD uvicorn app:app
        """,
        [],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_shipped_stage_is_the_build_target(tmp_path):
    # The last stage is a debug image with gcc; without a declared target it ships.
    snippet = """
        FROM python:3.12-slim AS runtime
        USER app
        FROM runtime AS debug
        RUN apt-get install -y gcc
        """
    assert hits(snippet, "PS101", tmp_path) == [("PS101", 4)]


def test_exec_fix_prefixes_a_single_command(tmp_path):
    (finding,) = findings("FROM python:3.12-slim\nCMD uvicorn app:app\n", "PS105", tmp_path)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    assert (edit.start_line, edit.start_column, edit.text) == (2, 5, "exec ")


def test_no_exec_fix_for_a_command_list(tmp_path):
    (finding,) = findings("FROM python:3.12-slim\nCMD migrate && serve\n", "PS105", tmp_path)
    assert finding.fix is None
