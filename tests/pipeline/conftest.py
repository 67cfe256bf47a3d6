"""Workflows for the pipeline tests, written as YAML snippets and parsed by the real parser."""

from __future__ import annotations

from pathlib import Path

from pitstop.parsers.workflow import Workflow, parse_workflow

FIXTURES = Path(__file__).parent / "fixtures"


def workflow(jobs: str, path: str = "ci.yml") -> Workflow:
    """A workflow whose `jobs:` mapping is `jobs` (indented by two spaces)."""
    body = "\n".join(f"  {line}" if line else line for line in jobs.strip("\n").splitlines())
    return parse_workflow(f"on: push\njobs:\n{body}\n", path)
