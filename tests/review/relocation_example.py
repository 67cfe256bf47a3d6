"""The example where two fixes meet: the context relocation (PS301) writes six files, and
1.5 MB that no COPY takes gives PS206 an ignore-file fix to the file the relocation
replaces. Shared by the relocation and kill tests and benchmarks/kill_fix.py."""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monorepo"


def example_with_unused_tests(folder: Path) -> Path:
    """A copy of the example in `folder`/monorepo plus backend/test/data.txt (1.5 MB)."""
    root = folder / "monorepo"
    shutil.copytree(EXAMPLE, root)
    (root / "backend" / "test").mkdir()
    (root / "backend" / "test" / "data.txt").write_text("x" * 1_500_000)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
