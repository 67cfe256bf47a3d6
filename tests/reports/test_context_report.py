"""`pitstop context` as text and JSON, on a small tree written here, against goldens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitstop import api
from pitstop.reports import context_report

from .conftest import CheckGolden

TREE = {
    ".dockerignore": "**/__pycache__\n",
    "Dockerfile": "FROM python:3.12-slim\nCOPY app/ /app/\nCOPY requirements.txt /app/\n",
    "requirements.txt": "flask==3.0.0\n",
    "README.md": "# demo\n",
    "CHANGELOG.md": "x" * 1_500,
    "app/main.py": "print('hi')\n" * 200,
    "app/__pycache__/main.cpython-312.pyc": "c" * 900,
    "app/notes.md": "n" * 40,
    ".venv/pyvenv.cfg": "home = /usr\n",
    ".venv/lib/site.py": "s" * 12_000,
    "tests/test_main.py": "t" * 2_500,
    "docs/guide.rst": "d" * 700,
    "assets/intro.mp4": "m" * 1_234_567,
}


@pytest.fixture
def context_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for relative, content in TREE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    monkeypatch.chdir(tmp_path)  # the report names the context as given: "."
    return tmp_path


def test_context_text_matches_golden(context_dir: Path, check_golden: CheckGolden) -> None:
    result = api.context(".", "Dockerfile")
    check_golden("context.txt", context_report.render_text(result))


def test_context_json_matches_golden(context_dir: Path, check_golden: CheckGolden) -> None:
    result = api.context(".", "Dockerfile")
    rendered = context_report.render_json(result)
    check_golden("context.json", rendered)
    document = json.loads(rendered)
    assert document["files"] == len(TREE) - 1  # the ignore file drops the .pyc
    assert document["largest"][0]["path"] == "assets"


def test_render_is_pure(context_dir: Path) -> None:
    """Rendering reads the result only: the tree may vanish in between."""
    result = api.context(".", "Dockerfile")
    for relative in TREE:
        (context_dir / relative).unlink()
    assert "assets" in context_report.render_text(result)
