"""Review small repositories whose workflows are snippets, the way `pitstop review` does."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pitstop import api
from pitstop.model import Finding

WORKFLOW = ".github/workflows/ci.yml"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def findings(
    root: Path, code: str, workflow: str, files: dict[str, str] | None = None
) -> list[Finding]:
    """The findings of `code` with `workflow` saved as `.github/workflows/ci.yml` and the
    other `files` beside it."""
    write(root, {WORKFLOW: workflow, **(files or {})})
    result = api.review(root, select=(code,))
    assert not result.problems, result.problems
    return [f for f in result.findings if f.rule == code]


def hits(
    root: Path, code: str, workflow: str, files: dict[str, str] | None = None
) -> list[tuple[str, int]]:
    return [(f.rule, f.location.line) for f in findings(root, code, workflow, files)]


def fix_and_review(root: Path, code: str) -> tuple[str, list[Finding]]:
    """Apply the fixes of `code`'s findings; the fixed workflow and what is left. A second
    round of fixes must change nothing."""
    result = api.review(root, select=(code,))
    plan = api.fixes(result)
    assert plan.changes, "no fix to apply"
    api.apply_fixes(plan, root)
    again = api.review(root, select=(code,))
    assert not again.problems, again.problems
    assert not api.fixes(again).changes, "a second --fix changed something"
    return (root / WORKFLOW).read_text(), [f for f in again.findings if f.rule == code]
