"""Run `pitstop affected audit` on real projects: the evaluation of issue 5, part 9.

Each project's sdist (its tests included) is downloaded at run time with `pip download
--no-deps --no-binary :all: NAME==VERSION`, unpacked under benchmarks/.work/ (git-ignored),
and audited with N mutants (default 60): safety (killed mutants whose failing test files
were all selected), and the mean share of test files and of test time selected, beside the
plain module-level import closure's share on the same mutants. Safety must be 100%.

The tests run with this interpreter: install what they need first (pytest; hypothesis for
attrs). Each project runs in a temporary copy; nothing under benchmarks/.work/ is changed.

    python benchmarks/eval_audit.py [--mutants 60] [--seed 0] [--json FILE] [NAME==VERSION ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from pitstop import api
from pitstop.reports.affected_report import audit_document, render_audit_text

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / ".work"
PROJECTS = ("sqlparse==0.5.3", "click==8.1.8", "attrs==25.3.0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", default=list(PROJECTS))
    parser.add_argument("--mutants", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE", help="also write every result as JSON")
    options = parser.parse_args(argv)
    documents = {}
    safe = True
    for project in options.projects:
        root = unpacked(project)
        start = time.perf_counter()
        result = api.audit(root, options.mutants, options.seed)
        elapsed = time.perf_counter() - start
        print(f"== {project} ({elapsed:.0f} s)\n{render_audit_text(result)}", flush=True)
        documents[project] = {**audit_document(result), "seconds": round(elapsed, 1)}
        safe &= result.safety in (None, 1.0)
    if options.json:
        Path(options.json).write_text(json.dumps(documents, indent=2) + "\n", encoding="utf-8")
    return 0 if safe else 1


def unpacked(project: str) -> Path:
    """The sdist of `project` ("name==version"), downloaded once and unpacked."""
    name, _, version = project.partition("==")
    WORK.mkdir(parents=True, exist_ok=True)
    found = [p for p in WORK.glob(f"{name}-{version}*") if p.is_dir()]
    if found:
        return found[0]
    download = ["download", "--quiet", "--no-deps", "--no-binary", ":all:", "--dest", str(WORK)]
    subprocess.run([sys.executable, "-m", "pip", *download, project], check=True)
    archive = next(p for p in WORK.glob(f"{name}-{version}*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(WORK, filter="data")
    return next(p for p in WORK.glob(f"{name}-{version}*") if p.is_dir())


if __name__ == "__main__":
    raise SystemExit(main())
