"""Run one rule over a Dockerfile snippet, the way the engine does, and return (code, line)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pitstop.config import Config
from pitstop.model import Finding
from pitstop.parsers.ignore import parse_ignore
from pitstop.review.engine import run_rules
from pitstop.review.load import read_dockerfiles
from pitstop.review.project import Project, Tree
from pitstop.review.registry import RULES


def findings(
    snippet: str,
    code: str,
    root: Path,
    files: tuple[str, ...] = (),
    name: str = "Dockerfile",
    ignore: str | None = None,
) -> list[Finding]:
    """The findings of rule `code` on `snippet` saved as `root/<name>`; `files` are
    created (a name ending in `/` as a folder) so rules can see the build context, and
    `ignore` is the context's .dockerignore."""
    for created in files:
        target = root / created
        if created.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("x\n")
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(snippet).lstrip("\n"))
    tree = Tree(root)
    sources, problems = read_dockerfiles(tree, [name])
    assert not problems, problems
    ignore_files = (parse_ignore(ignore, ".dockerignore"),) if ignore is not None else ()
    project = Project(
        root=tree.root, tree=tree, dockerfiles=tuple(sources), ignore_files=ignore_files
    )
    return run_rules(project, Config(select=(code,)), RULES)


def hits(
    snippet: str, code: str, root: Path, files: tuple[str, ...] = (), ignore: str | None = None
) -> list[tuple[str, int]]:
    return [(f.rule, f.location.line) for f in findings(snippet, code, root, files, ignore=ignore)]
