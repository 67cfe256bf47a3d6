"""Every example workflow in the repository passes actionlint and pitstop's own review with
no warning: the YAML blocks of README.md and docs/*.md, the repository's own workflows, and
action.yml's steps.

A block is checked whole when it is a workflow (`on:` and `jobs:`); a fragment is wrapped
into the smallest workflow that holds it, so every snippet a reader may copy is checked:
a list of steps becomes the steps of one job, a mapping of jobs becomes `jobs:` (with a
stub for each job it `needs` that the snippet leaves out), and `jobs:` without `on:` gets
`on: push`. A block that is none of these (a configuration file, a compose file) is not a
workflow and is left alone. The bundled `examples/` repository is not checked: its
workflows are flawed on purpose, for pitstop to find.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pitstop.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
WRAPPER_JOB = "example"


@dataclass(frozen=True)
class Example:
    name: str  # where it comes from, `README.md:631`
    workflow: str  # the text checked: the block itself, or the block wrapped
    files: tuple[tuple[str, str], ...] = ()  # more files of the repository it runs in


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _is_job(value: object) -> bool:
    return isinstance(value, dict) and bool({"runs-on", "steps", "uses"} & set(value))


def _stubs(jobs: dict[str, Any]) -> str:
    """A job for each job the snippet's jobs wait for but the snippet leaves out."""
    wanted: set[str] = set()
    for job in jobs.values():
        needs = job.get("needs", [])
        wanted.update([needs] if isinstance(needs, str) else needs)
    return "".join(
        f"  {name}:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n"
        f"    steps:\n      - run: echo {name}\n"
        for name in sorted(wanted - set(jobs))
    )


def wrap(block: str) -> str | None:
    """The workflow that checks `block`, or None when the block is no workflow or part of one."""
    text = textwrap.dedent(block)
    data = _load(text)
    if isinstance(data, dict) and "jobs" in data:
        return text if "on" in data else "on: push\n" + text
    if isinstance(data, dict) and data and all(_is_job(v) for v in data.values()):
        return "on: push\njobs:\n" + textwrap.indent(text, "  ") + _stubs(data)
    if isinstance(data, list) and data and all(isinstance(s, dict) for s in data):
        header = (
            f"on: push\njobs:\n  {WRAPPER_JOB}:\n    runs-on: ubuntu-latest\n"
            "    timeout-minutes: 30\n    steps:\n"
        )
        return header + textwrap.indent(text, "      ")
    return None


def markdown_examples() -> Iterator[Example]:
    for path in MARKDOWN:
        content = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(content):
            line = content.count("\n", 0, match.start()) + 1
            workflow = wrap(match.group(1))
            if workflow is not None:
                yield Example(f"{path.relative_to(ROOT)}:{line}", workflow)


def action_as_workflow() -> str:
    """action.yml's steps as a reusable workflow's one job, its inputs as the workflow's:
    the same expressions and scripts, where both checkers can read them."""
    action = _load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs = {
        name: {"type": "string", "required": False, "default": spec.get("default", "")}
        for name, spec in action["inputs"].items()
    }
    workflow = {
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read", "security-events": "write"},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 15,
                "steps": action["runs"]["steps"],
            }
        },
    }
    return json.dumps(workflow, indent=2)  # JSON is YAML


def all_examples() -> list[Example]:
    examples = list(markdown_examples())
    for path in sorted((ROOT / ".github" / "workflows").glob("*.y*ml")):
        examples.append(Example(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    examples.append(Example("action.yml (its steps)", action_as_workflow()))
    examples.append(action_used_locally())
    return examples


def action_used_locally() -> Example:
    """A workflow using action.yml as `./` with every input set: actionlint then reads the
    action's metadata and checks the inputs against it."""
    action = _load((ROOT / "action.yml").read_text(encoding="utf-8"))
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    given.update({"fail-on": "warning", "format": "github", "sarif": "true"})
    workflow = {
        "on": "push",
        "permissions": {"contents": "read", "security-events": "write"},
        "jobs": {
            "review": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 10,
                "steps": [
                    {"uses": "actions/checkout@v5"},
                    {"id": "pitstop", "uses": "./", "with": given},
                    {
                        "env": {"VERDICT": "${{ steps.pitstop.outputs.verdict }}"},
                        "run": 'echo "$VERDICT"',
                    },
                ],
            }
        },
    }
    files = (("action.yml", (ROOT / "action.yml").read_text(encoding="utf-8")),)
    return Example("action.yml (used as ./)", json.dumps(workflow, indent=2), files)


EXAMPLES = all_examples()


WORKFLOW = ".github/workflows/example.yml"
# The smallest project the examples are written for: a Python package with a Dockerfile at
# the root (what `pip install -e .`, `cache: pip` and a build of `.` expect to find).
PROJECT = {
    "pyproject.toml": '[project]\nname = "app"\nversion = "1.0"\n',
    "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "-m", "app"]\n',
    ".dockerignore": ".git\n",
}


def _repository(tmp_path: Path, example: Example) -> Path:
    """A git repository (actionlint looks for one) holding the project and the example as
    its one workflow."""
    repo = tmp_path / "repo"
    for name, text in {**PROJECT, **dict(example.files), WORKFLOW: example.workflow}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    found = found or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: pip install -e '.[test]' installs it")
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_actionlint_passes(example: Example, tmp_path: Path) -> None:
    repo = _repository(tmp_path, example)
    done = subprocess.run(
        [_actionlint(), "-no-color", "-oneline", WORKFLOW],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{done.stdout}{done.stderr}\n--- checked:\n{example.workflow}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_pitstop_review_finds_nothing_to_warn_about(example: Example, tmp_path: Path) -> None:
    repo = _repository(tmp_path, example)
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(repo), "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    # the example's findings; the stand-in project's own (its Dockerfile) are not its
    loud = [
        f"{f['rule']} line {f['location']['line']}: {f['message']}"
        for f in report["findings"]
        if f["severity"] in ("blocking", "warning") and f["location"]["path"] == WORKFLOW
    ]
    assert loud == [], "\n".join(loud) + f"\n--- checked:\n{example.workflow}"


def test_every_fragment_kind_is_wrapped() -> None:
    """The wrapping itself: a step list, jobs (with a stub for a job they need), a workflow
    without `on:`, a whole workflow as it is, and a non-workflow block left alone."""
    steps = wrap("- uses: actions/checkout@v4\n- run: make\n")
    assert steps is not None and "      - run: make" in steps
    jobs = wrap("  history:\n    needs: [tests]\n    runs-on: ubuntu-latest\n    steps: []\n")
    assert jobs is not None and "  tests:\n" in jobs and "  history:\n" in jobs
    assert wrap("jobs: {a: {runs-on: x, steps: []}}\n") == (
        "on: push\njobs: {a: {runs-on: x, steps: []}}\n"
    )
    whole = "on: push\njobs: {a: {runs-on: x, steps: []}}\n"
    assert wrap(whole) == whole
    assert wrap("services:\n  app:\n    build: .\n") is None


def _action_steps(workflow: Any) -> Iterator[dict[str, Any]]:
    """The steps that use pitstop's action: this repository (`./`) or its placeholder."""
    for job in (workflow.get("jobs") or {}).values():
        for step in job.get("steps") or []:
            uses = str(step.get("uses", ""))
            if uses == "./" or uses.startswith("OWNER/pitstop@"):
                yield step


def _command_line(inputs: dict[str, Any]) -> list[str]:
    """The command line the action runs for these inputs, an expression standing as `1`."""
    known = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert set(inputs) <= set(_load(known)["inputs"]), sorted(inputs)
    words = [str(inputs.get("command", "review"))]
    words += shlex.split(re.sub(r"\$\{\{.*?\}\}", "1", str(inputs.get("args", ""))))
    for name in ("format", "fail-on"):
        if inputs.get(name):
            words += [f"--{name}", str(inputs[name])]
    return words


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_action_inputs_are_a_valid_command_line(example: Example) -> None:
    """Every use of the action in an example names inputs the action has and makes a command
    line pitstop's own parser accepts (its commands, options and --format choices)."""
    parser = build_parser()
    for step in _action_steps(_load(example.workflow)):
        words = _command_line(step.get("with") or {})
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors):
            try:
                parser.parse_args(words)
            except SystemExit:
                pytest.fail(f"pitstop {shlex.join(words)}: {errors.getvalue()}")
