"""The example's blocking issue, fixed: `pitstop review --fix` on a copy of the example."""

from __future__ import annotations

import shutil
from pathlib import Path

from pitstop import api
from pitstop.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monorepo"


def blocking(root: Path) -> list[str]:
    return [f.rule for f in api.review(root).findings if f.severity.value == "blocking"]


def test_fix_moves_the_context_and_leaves_no_blocking_finding(tmp_path):
    root = tmp_path / "monorepo"
    shutil.copytree(EXAMPLE, root)
    assert blocking(root) == ["PS301"]
    untouched = (root / "backend" / "app" / "main.py").read_text()

    assert main(["review", str(root), "--fix", "--format", "json"]) == 0
    assert blocking(root) == []

    staging = (root / ".github/workflows/deploy-staging.yml").read_text().splitlines()
    assert staging[102:104] == ["          context: .", "          file: ./backend/Dockerfile"]
    dockerfile = (root / "backend" / "Dockerfile").read_text()
    assert "COPY backend/pyproject.toml backend/poetry.lock ./\n" in dockerfile
    assert "COPY backend/app/ ./app/\n" in dockerfile
    assert (
        dockerfile.count("COPY packages/olorin-core /packages/olorin-core\n") == 2
    )  # builder, runtime
    pyproject = (root / "backend" / "pyproject.toml").read_text()
    assert 'olorin-core = { path = "../packages/olorin-core", develop = true }' in pyproject
    assert '    "olorin-core",\n' in pyproject and "/Users/" not in pyproject
    ignore = (root / "backend" / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[3:6] == ["*", "!backend", "!packages/bayit-translation"]
    assert (root / "backend" / "app" / "main.py").read_text() == untouched

    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    main(["review", str(root), "--fix", "--format", "json"])
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
