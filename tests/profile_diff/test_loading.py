"""`pitstop profile diff` loads its modules only when it runs: `import pitstop.api` and
`pitstop review` never load them."""

from __future__ import annotations

import subprocess
import sys

MINE = ("pitstop.perf", "pitstop.parsers.profiles", "pitstop.reports.profile_report")
LOADED = f"""
import sys
from pitstop import api, cli
code = cli.main(sys.argv[1:]) if len(sys.argv) > 1 else 0
print(sorted(m for m in sys.modules if m.startswith({MINE!r})))
"""


def loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    return eval(done.stdout.strip().splitlines()[-1])  # a list literal printed above


def test_review_and_importing_api_load_no_profile_module(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    assert loaded() == []
    assert loaded("review", str(tmp_path / "Dockerfile"), "--color", "never") == []


def test_profile_diff_loads_them(tmp_path):
    (tmp_path / "p.txt").write_text("main;f 3\n")
    modules = loaded("profile", "diff", str(tmp_path / "p.txt"), str(tmp_path / "p.txt"))
    assert "pitstop.parsers.profiles" in modules and "pitstop.perf.profile" in modules
