"""The example's blocking issue, fixed: `pitstop review --fix` on a copy of the example."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

from pitstop import api
from pitstop.cli import main
from pitstop.review.fixes import write_changes

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


def example_with_unused_tests(tmp_path: Path) -> Path:
    """The example plus 1.5 MB that no COPY takes: PS206 fires on the context `backend/`."""
    root = tmp_path / "monorepo"
    shutil.copytree(EXAMPLE, root)
    (root / "backend" / "test").mkdir()
    (root / "backend" / "test" / "data.txt").write_text("x" * 1_500_000)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_ignore_fix_lands_in_the_file_the_relocation_makes_effective(tmp_path):
    root = example_with_unused_tests(tmp_path)
    assert sorted(f.rule for f in api.review(root).findings if f.fix) == ["PS206", "PS301"]

    main(["review", str(root), "--fix", "--format", "json"])
    ignore = (root / "backend" / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[-1] == "backend/test"  # BuildKit reads this file now, not backend/.dockerignore
    measured = api.context(root, dockerfile=root / "backend" / "Dockerfile")
    assert measured.tree.bytes < 100_000

    fixed = snapshot(root)
    assert api.fixes(api.review(root)).changes == ()  # one --fix reached the fixed point
    main(["review", str(root), "--fix", "--format", "json"])
    assert snapshot(root) == fixed


def test_a_run_cut_short_converges_to_the_same_files(tmp_path):
    """However many of the first run's files were written, --fix again ends where an
    uninterrupted run does, byte for byte."""
    whole = example_with_unused_tests(tmp_path / "whole")
    changes = api.fixes(api.review(whole)).changes
    write_changes(whole, changes)
    expected = snapshot(whole)
    assert len(changes) == 6

    subsets = [s for n in range(1, len(changes)) for s in itertools.combinations(changes, n)]
    for number, subset in enumerate(subsets):
        root = example_with_unused_tests(tmp_path / str(number))
        write_changes(root, subset)
        for _ in range(2):
            write_changes(root, api.fixes(api.review(root)).changes)
        got = snapshot(root)
        assert got == expected, ([c.path for c in subset], [p for p in got if got[p] != expected.get(p)])
