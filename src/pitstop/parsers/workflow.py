"""GitHub Actions workflow YAML in, a typed model out, every part with its line.

The model keeps what review rules and the pipeline graph read: triggers with their branch
and path filters, jobs with `needs`, matrix, steps (`uses`/`with`/`run`), env,
`concurrency`, `timeout-minutes`, outputs, `if:`, reusable-workflow calls, and the
artifacts steps upload and download. Expressions (`${{ ... }}`) stay as written.

A `run:` script is split into commands here, once, in the language of the shell it runs
under (`Step.shell`, `Step.commands`), so every rule reads the same commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pitstop.errors import PitstopError
from pitstop.lines import text_lines
from pitstop.parsers.shell import Dialect, SimpleCommand, shell_dialect, split_commands
from pitstop.parsers.yamlfile import key_line, line_of, load_yaml, mapping, scalar_text


@dataclass(frozen=True)
class Trigger:
    """One event under `on:`, with its filters (empty tuples: no filter of that kind)."""

    event: str
    line: int
    branches: tuple[str, ...] = ()
    branches_ignore: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    paths_ignore: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # activity types (`types: [opened, labeled]`); () is the default

    @property
    def filtered(self) -> bool:
        """Whether a branch, tag or path filter narrows this trigger."""
        return bool(
            self.branches or self.branches_ignore or self.paths or self.paths_ignore or self.tags
        )


@dataclass(frozen=True)
class Step:
    index: int
    line: int
    name: str | None
    id: str | None
    uses: str | None
    with_: Mapping[str, str] = field(default_factory=dict)
    with_lines: Mapping[str, int] = field(default_factory=dict)
    run: str | None = None
    run_line: int | None = None
    if_: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    working_directory: str | None = None
    key_lines: Mapping[str, int] = field(default_factory=dict)
    script_line: int | None = None
    """The file line of the script's first line when its lines map one to one onto the file's
    (a literal block, `run: |`, or a one-line scalar); None when YAML folds or joins them."""
    shell: str | None = None
    """The shell a `run:` script runs under: the step's `shell:`, else the job's, else the
    workflow's `defaults.run.shell`, else `pwsh` on a runner that is certainly Windows
    (GitHub's default there). None: GitHub's default elsewhere, bash (or sh)."""

    @property
    def dialect(self) -> Dialect:
        """The language of the `run:` script: only a POSIX one is read in full."""
        return shell_dialect(self.shell)

    @cached_property
    def commands(self) -> tuple[SimpleCommand, ...]:
        """The simple commands of the `run:` script in its shell's language (none for a
        `uses:` step, nor for a shell pitstop cannot read, such as `python`)."""
        return tuple(split_commands(self.run or "", self.dialect))

    @property
    def action(self) -> str | None:
        """`owner/repo` (or `./path`) of `uses`, without the `@ref`."""
        return self.uses.split("@", 1)[0].lower() if self.uses else None

    @property
    def label(self) -> str:
        return (
            self.name
            or self.id
            or self.uses
            or (self.run or "").strip().splitlines()[0][:40]
            or f"step {self.index + 1}"
        )

    def input(self, name: str) -> str | None:
        return self.with_.get(name)

    def input_line(self, name: str) -> int:
        return self.with_lines.get(name, self.line)

    def key_line(self, name: str) -> int:
        """The line of the step's key `name` (`uses`, `with`, `run`, `if`...), else the step's."""
        return self.key_lines.get(name, self.line)

    def script_line_of(self, index: int) -> int:
        """The file line of the script's 0-based line `index`, else the `run:` line."""
        if self.script_line is None:
            return self.run_line or self.line
        return self.script_line + index


@dataclass(frozen=True)
class Job:
    id: str
    line: int
    name: str | None
    needs: tuple[str, ...]
    needs_line: int | None
    runs_on: str | None
    steps: tuple[Step, ...]
    if_: str | None = None
    timeout_minutes: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    matrix: Mapping[str, Any] = field(default_factory=dict)
    uses: str | None = None  # a reusable workflow call
    env: Mapping[str, str] = field(default_factory=dict)
    concurrency: str | None = None
    environment: str | None = None  # the deployment environment's name
    key_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def uploads(self) -> tuple[str, ...]:
        """Names of artifacts this job uploads (`actions/upload-artifact`)."""
        return tuple(
            s.input("name") or "artifact"
            for s in self.steps
            if s.action == "actions/upload-artifact"
        )

    @property
    def downloads(self) -> tuple[str, ...]:
        return tuple(
            s.input("name") or "*" for s in self.steps if s.action == "actions/download-artifact"
        )


@dataclass(frozen=True)
class Workflow:
    path: str
    name: str | None
    triggers: tuple[Trigger, ...]
    jobs: tuple[Job, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    concurrency: str | None = None
    concurrency_cancels: bool = False
    cancel_in_progress: str | None = None  # `cancel-in-progress` as written, None if absent
    on_line: int = 1
    key_lines: Mapping[str, int] = field(default_factory=dict)
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def job(self, job_id: str) -> Job | None:
        return next((j for j in self.jobs if j.id == job_id), None)

    def trigger(self, event: str) -> Trigger | None:
        return next((t for t in self.triggers if t.event == event), None)


MAX_WORKFLOW_BYTES = 512_000
"""GitHub does not run a workflow file larger than this ("500 KB" in
https://docs.github.com/en/actions/reference/limits: 512,000 bytes), so a bigger one is
reported unread; it also bounds parse time (ruamel reads about 200 kB a second)."""


def check_workflow_size(text: str, path: str) -> None:
    """PitstopError for a workflow file over GitHub's limit: GitHub would not run it."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_WORKFLOW_BYTES:
        raise PitstopError(
            f"workflow file is {size:,} bytes, over GitHub's {MAX_WORKFLOW_BYTES:,}-byte limit "
            "(GitHub does not run it); not parsed",
            path=path,
        )


def parse_workflow(text: str, path: str) -> Workflow:
    """The workflow in `text`; PitstopError naming `path` and the line for bad YAML or shape."""
    check_workflow_size(text, path)
    document = load_yaml(text, path)
    if not isinstance(document, Mapping):
        raise PitstopError("a workflow must be a mapping with `on` and `jobs`", path=path, line=1)
    jobs_node = document.get("jobs")
    if not isinstance(jobs_node, Mapping):
        raise PitstopError(
            "a workflow needs a `jobs` mapping", path=path, line=key_line(document, "jobs") or 1
        )
    on_key = "on" if "on" in document else True if True in document else None
    concurrency = document.get("concurrency")
    return Workflow(
        path=path,
        name=scalar_text(document.get("name")),
        triggers=_triggers(document.get(on_key) if on_key is not None else None, document, on_key),
        jobs=tuple(
            _job(str(job_id), node, jobs_node, _run_defaults(document))
            for job_id, node in jobs_node.items()
        ),
        env=_strings(document.get("env")),
        concurrency=_concurrency_group(concurrency),
        concurrency_cancels=_cancels(concurrency),
        cancel_in_progress=scalar_text(mapping(concurrency).get("cancel-in-progress")),
        on_line=key_line(document, on_key) or 1 if on_key is not None else 1,
        key_lines=_key_lines(document),
        lines=tuple(text_lines(text)),
    )


def _key_lines(node: Mapping[Any, Any]) -> dict[str, int]:
    """The line of each key of a mapping, by its text (`on` for YAML 1.1's `True`)."""
    return {
        "on" if key is True else str(key): line
        for key in node
        if (line := key_line(node, key)) is not None
    }


def _strings(node: object) -> dict[str, str]:
    return {str(k): scalar_text(v) or "" for k, v in mapping(node).items()}


def _list(node: object) -> tuple[str, ...]:
    if isinstance(node, str):
        return (node,)
    if isinstance(node, list):
        return tuple(str(item) for item in node)
    return ()


def _triggers(node: object, document: Mapping[Any, Any], key: object) -> tuple[Trigger, ...]:
    line = (key_line(document, key) or 1) if key is not None else 1
    if isinstance(node, str):
        return (Trigger(node, line),)
    if isinstance(node, list):
        return tuple(Trigger(str(event), line) for event in node)
    triggers = []
    for event, config in mapping(node).items():
        filters = mapping(config)
        triggers.append(
            Trigger(
                str(event),
                key_line(node, event) or line,
                branches=_list(filters.get("branches")),
                branches_ignore=_list(filters.get("branches-ignore")),
                paths=_list(filters.get("paths")),
                paths_ignore=_list(filters.get("paths-ignore")),
                tags=_list(filters.get("tags")),
                types=_list(filters.get("types")),
            )
        )
    return tuple(triggers)


def _concurrency_group(node: object) -> str | None:
    if isinstance(node, Mapping):
        return scalar_text(node.get("group"))
    return scalar_text(node)


def _cancels(node: object) -> bool:
    return isinstance(node, Mapping) and scalar_text(node.get("cancel-in-progress")) not in (
        None,
        "false",
    )


def _run_defaults(node: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """`defaults.run` of a workflow or a job: what applies to its `run:` steps."""
    return mapping(mapping(node.get("defaults")).get("run"))


def _job(job_id: str, node: object, jobs: Mapping[Any, Any], top: Mapping[Any, Any]) -> Job:
    job = mapping(node)
    strategy = mapping(job.get("strategy"))
    steps_node = job.get("steps")
    steps = steps_node if isinstance(steps_node, list) else []
    defaults = {**top, **_run_defaults(job)}
    directory = scalar_text(defaults.get("working-directory"))
    shell = scalar_text(defaults.get("shell")) or (
        "pwsh" if _on_windows(job.get("runs-on"), strategy.get("matrix")) else None
    )
    return Job(
        id=job_id,
        line=key_line(jobs, job_id) or 1,
        name=scalar_text(job.get("name")),
        needs=_list(job.get("needs")),
        needs_line=key_line(job, "needs"),
        runs_on=scalar_text(job.get("runs-on"))
        if not isinstance(job.get("runs-on"), list)
        else ",".join(_list(job.get("runs-on"))),
        steps=tuple(_step(i, s, steps, directory, shell) for i, s in enumerate(steps)),
        if_=scalar_text(job.get("if")),
        timeout_minutes=scalar_text(job.get("timeout-minutes")),
        outputs=_strings(job.get("outputs")),
        matrix=dict(mapping(strategy.get("matrix"))),
        uses=scalar_text(job.get("uses")),
        env=_strings(job.get("env")),
        concurrency=_concurrency_group(job.get("concurrency")),
        environment=_environment(job.get("environment")),
        key_lines=_key_lines(job),
    )


def _environment(node: object) -> str | None:
    if isinstance(node, Mapping):
        return scalar_text(node.get("name"))
    return scalar_text(node)


def _on_windows(runs_on: object, matrix: object) -> bool:
    """Whether the job certainly runs on Windows: a label naming Windows, or a
    `${{ matrix.KEY }}` whose every value does (a job that may also run on Linux or macOS
    is not: a script it runs must be valid there too)."""
    if isinstance(runs_on, Mapping):  # `runs-on: {group: ..., labels: ...}`
        runs_on = runs_on.get("labels")
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return any(
        all("windows" in value.lower() for value in values)
        for label in labels
        if (values := _label_values(scalar_text(label) or "", mapping(matrix)))
    )


def _label_values(label: str, matrix: Mapping[Any, Any]) -> list[str]:
    """The values a `runs-on` label can take: itself, or each value of the matrix key it
    names; none when it holds another expression."""
    reference = re.fullmatch(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", label.strip())
    if reference is None:
        return [] if "${{" in label else [label]
    key = reference.group(1)
    values = matrix.get(key)
    found = [str(v) for v in values] if isinstance(values, list) else []
    includes = matrix.get("include")
    for entry in includes if isinstance(includes, list) else []:
        if isinstance(entry, Mapping) and key in entry:
            found.append(str(entry[key]))
    return [] if any("${{" in value for value in found) else found


def _step(
    index: int, node: object, steps: list[Any], directory: str | None, shell: str | None
) -> Step:
    step = mapping(node)
    inputs = mapping(step.get("with"))
    line = _item_line(steps, index)
    return Step(
        index=index,
        line=line,
        name=scalar_text(step.get("name")),
        id=scalar_text(step.get("id")),
        uses=scalar_text(step.get("uses")),
        with_={str(k): scalar_text(v) or "" for k, v in inputs.items()},
        with_lines={str(k): line_of(inputs, k) for k in inputs},
        run=scalar_text(step.get("run")),
        run_line=key_line(step, "run"),
        if_=scalar_text(step.get("if")),
        env=_strings(step.get("env")),
        working_directory=scalar_text(step.get("working-directory")) or directory,
        key_lines=_key_lines(step),
        script_line=_script_line(step),
        shell=scalar_text(step.get("shell")) or shell,
    )


def _script_line(step: Mapping[Any, Any]) -> int | None:
    """Where the script's first line is, when each of its lines is one line of the file."""
    script = step.get("run")
    try:
        value_line = int(step.lc.value("run")[0]) + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return None
    if type(script).__name__ == "LiteralScalarString":
        return value_line + 1  # the block starts on the line after `|`
    if isinstance(script, str) and "\n" not in script and type(script).__name__ == "str":
        return value_line  # a plain one-line scalar
    return None


def _item_line(items: list[Any], index: int) -> int:
    try:
        return int(items.lc.item(index)[0]) + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, IndexError):
        return 1
