"""What the workflow rules share: steps with their job and workflow, the commands of `run:`
scripts with the file line each starts on, what a cache path or key holds, and the edits
that add YAML lines without disturbing the rest of the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.model import Location, TextEdit
from pitstop.parsers.shell import SimpleCommand
from pitstop.parsers.workflow import Job, Step, Workflow
from pitstop.review.project import Project

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class StepAt:
    """A step with the job and workflow it belongs to."""

    workflow: Workflow
    job: Job
    step: Step

    def at(self, key: str = "uses") -> Location:
        return Location(self.workflow.path, self.step.key_line(key))

    def input_at(self, name: str) -> Location:
        return Location(self.workflow.path, self.step.input_line(name))

    def earlier(self) -> tuple[Step, ...]:
        return self.job.steps[: self.step.index]

    def later(self) -> tuple[Step, ...]:
        return self.job.steps[self.step.index + 1 :]


def workflow_steps(project: Project) -> Iterator[StepAt]:
    for workflow in project.workflows:
        for job in workflow.jobs:
            for step in job.steps:
                yield StepAt(workflow, job, step)


@dataclass(frozen=True)
class Command:
    """One simple command of a `run:` script and the file line its (continued) line starts on."""

    line: int
    command: SimpleCommand

    @property
    def words(self) -> tuple[str, ...]:
        return self.command.words


def run_commands(step: Step) -> list[Command]:
    """The simple commands of the step's script, in order (none for a `uses:` step), as the
    workflow parser split them in the language of the step's shell."""
    return [Command(step.script_line_of(command.line), command) for command in step.commands]


def job_commands(job: Job) -> Iterator[tuple[Step, Command]]:
    for step in job.steps:
        for command in run_commands(step):
            yield step, command


def program_words(command: SimpleCommand, count: int) -> tuple[str, ...]:
    """The program and its first operands (options left out), for matching subcommands."""
    return (command.program, *command.operands())[:count]


# -- what a cache holds ------------------------------------------------------------------------

_PYTHON_CACHE = re.compile(
    r"pip|pypoetry|poetry|venv|virtualenvs|site-packages|pipenv|(^|/)uv($|/)|\.tox|\.nox|"
    r"pre-commit|\.local|pdm|hatch",
    re.IGNORECASE,
)
_INTERPRETER_SPECIFIC = re.compile(
    r"venv|virtualenvs|site-packages|pypoetry|\.local|\.tox|\.nox|pre-commit|pipenv|"
    r"(^|/)(lib|python)[0-9.]*(/|$)",
    re.IGNORECASE,
)
"""Paths whose contents only work with the interpreter that made them: virtualenvs,
installed packages, tool environments (a wheel or download cache is not among them)."""


def python_cache(path: str) -> bool:
    return bool(_PYTHON_CACHE.search(path))


def interpreter_specific(path: str) -> bool:
    return bool(_INTERPRETER_SPECIFIC.search(path))


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_OS = re.compile(r"runner\.os|matrix\.os|ImageOS|(?<![a-z])(linux|ubuntu|macos|windows)", re.I)
_HASH_FILES = re.compile(r"hashFiles\([^)]*\)", re.IGNORECASE)
_PYTHON_VERSION_LITERAL = re.compile(r"(?<![\w.])(py|cp|python-?)?3\.?1?[0-9](?![\d])", re.I)


def names_os(key: str) -> bool:
    return bool(_OS.search(key))


def names_python_version(key: str) -> bool:
    """Whether a cache key changes with the Python version: an expression that reads one
    (`matrix.python-version`, `steps.setup.outputs.python-version`, `env.pythonLocation`...)
    or a literal version such as `3.12` or `py312`."""
    expressions = _HASH_FILES.sub(" ", " ".join(_EXPRESSION.findall(key)))
    if re.search(r"python|(?<![a-z])py(?![a-z])|py[-_]?ver", expressions, re.IGNORECASE):
        return True
    literal = _EXPRESSION.sub(" ", key)
    return bool(_PYTHON_VERSION_LITERAL.search(literal))


def unique_per_run(key: str) -> bool:
    """Whether the key changes on every run, so the cache saves every time."""
    return bool(re.search(r"github\.(run_id|run_number|sha|run_attempt)", key))


# -- conditions -------------------------------------------------------------------------------

_EXCLUDES_PULL_REQUESTS = re.compile(
    r"!=\s*'pull_request|==\s*'(push|schedule|release|workflow_dispatch)'|github\.ref\s*==|"
    r"github\.ref_name\s*==|refs/(heads|tags)/|startsWith\(\s*github\.ref|"
    r"github\.event_name\s*!=|github\.event\.repository\.default_branch",
)


def excludes_pull_requests(condition: str | None) -> bool:
    """Whether an `if:` keeps the job or step from running on pull-request events."""
    return bool(condition) and bool(_EXCLUDES_PULL_REQUESTS.search(condition or ""))


def pull_request_triggers(workflow: Workflow) -> list[str]:
    return [t.event for t in workflow.triggers if t.event in PULL_REQUEST_EVENTS]


# -- edits ------------------------------------------------------------------------------------


def indentation(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" "))]


def add_inputs(workflow: Workflow, step: Step, inputs: list[tuple[str, str]]) -> TextEdit | None:
    """Lines that add `inputs` to the step's `with:` (first, at the indentation of the
    inputs there), or add a `with:` after `uses:`. None unless the step is written in
    block style, where a new line at the right indentation cannot change anything else."""
    if step.with_lines:
        first = min(step.with_lines.values())
        text = workflow.lines[first - 1] if first <= len(workflow.lines) else ""
        key = next(k for k, line in step.with_lines.items() if line == first)
        with_line = step.key_lines.get("with")
        if with_line is None or with_line >= first:
            return None
        if not re.match(rf"\s*{re.escape(key)}\s*:", text):
            return None  # a flow mapping (`with: {a: 1}`) or something odder
        new = "".join(f"{indentation(text)}{name}: {value}\n" for name, value in inputs)
        return TextEdit(workflow.path, first, 1, first, 1, new)
    if "with" in step.key_lines or "uses" not in step.key_lines:
        return None
    uses = step.key_lines["uses"]
    text = workflow.lines[uses - 1] if uses <= len(workflow.lines) else ""
    match = re.match(r"(\s*(?:-\s+)?)uses\s*:\s*[^\s#]+\s*(#.*)?$", text)
    if match is None:
        return None
    pad = " " * len(match.group(1))
    step_indent = indentation_step(workflow)
    new = f"{pad}with:\n" + "".join(
        f"{pad}{step_indent}{name}: {value}\n" for name, value in inputs
    )
    return TextEdit(workflow.path, uses + 1, 1, uses + 1, 1, new)


def indentation_step(workflow: Workflow) -> str:
    """The file's indentation unit: how far `jobs:`'s first job is indented (default 2)."""
    jobs_line = workflow.key_lines.get("jobs")
    if jobs_line is not None and workflow.jobs:
        first = workflow.jobs[0].line
        if first <= len(workflow.lines):
            width = len(indentation(workflow.lines[first - 1]))
            if width:
                return " " * width
    return "  "


def replace_on_line(workflow: Workflow, line: int, old: str, new: str) -> TextEdit | None:
    """An edit replacing the one occurrence of `old` on `line`, else None."""
    if not 1 <= line <= len(workflow.lines):
        return None
    text = workflow.lines[line - 1]
    if text.count(old) != 1:
        return None
    column = text.index(old) + 1
    return TextEdit(workflow.path, line, column, line, column + len(old), new)


def line_with(workflow: Workflow, start: int, text: str, within: int = 50) -> int:
    """The first line from `start` that contains `text` (a list item under a key), else `start`."""
    for number in range(start, min(start + within, len(workflow.lines)) + 1):
        if text in workflow.lines[number - 1]:
            return number
    return start
