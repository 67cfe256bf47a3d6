"""PS130-PS135: apt, pip, poetry and uv."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    ("PS130", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", [2]),
    (
        "PS130",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        [],
    ),
    ("PS130", "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y curl\n", []),
    (
        "PS131",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        [2],
    ),
    (
        "PS131",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n",
        [],
    ),
    (
        "PS131",
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n",
        [],
    ),
    ("PS132", "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n", [2]),
    ("PS132", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", []),
    ("PS133", "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n", [2]),
    ("PS133", "FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN python -m pip install flask\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n", []),
    ("PS134", "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", []),
    (
        "PS134",
        "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        [],
    ),
    ("PS134", "FROM python:3.12-slim\nRUN uv pip install --system flask\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install --only main\n", [2]),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install --no-cache --only main\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install && rm -rf $POETRY_CACHE_DIR\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN uv sync --frozen\n", [2]),
    (
        "PS135",
        "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen\n",
        [],
    ),
    ("PS135", "FROM python:3.12-slim\nENV UV_NO_CACHE=1\nRUN uv sync --frozen\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN poetry export -f requirements.txt -o r.txt\n", []),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def _fixed(snippet: str, code: str, tmp_path) -> str:
    (finding,) = findings(snippet, code, tmp_path)
    assert finding.fix is not None
    lines = snippet.splitlines(keepends=True)
    for edit in reversed(finding.fix.edits):
        assert edit.start_line == edit.end_line
        line = lines[edit.start_line - 1]
        lines[edit.start_line - 1] = (
            line[: edit.start_column - 1] + edit.text + line[edit.end_column - 1 :]
        )
    return "".join(lines)


def test_fix_adds_no_install_recommends(tmp_path):
    snippet = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    assert _fixed(snippet, "PS130", tmp_path) == (
        "FROM debian:12\nRUN apt-get update && apt-get install --no-install-recommends -y curl\n"
    )


def test_fix_removes_apt_lists_in_the_same_run(tmp_path):
    snippet = (
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    )
    assert _fixed(snippet, "PS131", tmp_path).endswith(
        "curl \\\n    && rm -rf /var/lib/apt/lists/*\n"
    )


def test_fix_adds_no_cache_dir(tmp_path):
    snippet = "FROM python:3.12-slim\nRUN pip install flask\n"
    assert (
        _fixed(snippet, "PS134", tmp_path)
        == "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n"
    )


def test_fixed_file_passes_the_rule(tmp_path):
    snippet = "FROM python:3.12-slim\nRUN pip install flask\n"
    assert hits(_fixed(snippet, "PS134", tmp_path), "PS134", tmp_path) == []


def test_update_with_another_apt_verb_is_not_alone(tmp_path):
    snippet = "FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y && rm -rf /var/lib/apt/lists/*\n"
    assert hits(snippet, "PS132", tmp_path) == []


def test_env_set_in_a_parent_stage_counts(tmp_path):
    snippet = (
        "FROM python:3.12-slim AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n"
    )
    assert hits(snippet, "PS134", tmp_path) == []
