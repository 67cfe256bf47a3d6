"""Where Dockerfiles are built from, as workflows, compose files and bake files declare it.

A Dockerfile is reviewed against the context it is built from, and that context is
declared elsewhere: a `docker/build-push-action` step or a `docker build` command in a
GitHub Actions workflow, a compose service's `build:`, or a bake target. This module
reads those declarations as written (paths unresolved, `${{ ... }}` and `${VAR}` left
alone) with the lines they sit on; the caller resolves each path against the right
base, which differs per kind:

- build-push-action: `context` is relative to the workspace (the checkout), and `file`
  is relative to the workspace too, not to the context (it becomes `--file` of a
  `docker buildx build` run in the workspace). With no `context` the action builds
  from the Git context (`https://github.com/<owner>/<repo>.git#<ref>`), i.e. the
  repository root at the pushed commit: recorded as `context=None`.
- `docker build` in a `run:` step: both relative to the step's working directory,
  recorded in `working_directory` (the step's, else the job's or the workflow's
  `defaults.run.working-directory`); the default `-f` is `<context>/Dockerfile`.
- compose: `context` is relative to the project directory (the compose file's folder
  unless `--project-directory` says otherwise) and `dockerfile` relative to the context.
- bake: `context` is relative to the directory bake runs in and `dockerfile` relative
  to the context.

Workflow builds are read from the `Workflow` model (parsers/workflow.py), so a workflow
is parsed once and its `run:` scripts are split once, in their shell's language. Compose
files are read here with the same guarded YAML loader (parsers/yamlfile.py), and bake
files with an HCL2 parser (or as JSON).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pitstop.errors import PitstopError
from pitstop.parsers.shell import Dialect, SimpleCommand, split_commands
from pitstop.parsers.workflow import Job, Step, Workflow
from pitstop.parsers.yamlfile import COMPOSE_TAGS, line_of, load_yaml, mapping, scalar_text

BUILD_PUSH_ACTION = "docker/build-push-action"


@dataclass(frozen=True)
class BuildDeclaration:
    """One place that builds a Dockerfile, with its paths exactly as written.

    `kind` is "workflow-action", "workflow-run", "compose" or "bake". `context` and
    `dockerfile` are None when the declaration leaves them to the default (see the
    module docstring for what each kind defaults to and resolves against). `name` is
    the step name, compose service or bake target. `build_args` values are "" for an
    argument named without a value (taken from the environment at build time).
    """

    source: str
    line: int
    context: str | None
    dockerfile: str | None
    target: str | None
    build_args: tuple[tuple[str, str], ...]
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...]
    kind: str
    context_line: int | None
    dockerfile_line: int | None
    name: str | None
    working_directory: str | None = None
    run_user: str | None = None  # compose `user:`: who the service's container runs as
    # compose: services running the built image that another service waits for healthy
    healthy_waits: tuple[HealthyWait, ...] = ()


@dataclass(frozen=True)
class HealthyWait:
    """A compose service running a built image (the building service, or one naming its
    `image:`) that another service's `depends_on` waits for with `condition:
    service_healthy`. `healthcheck` is the waited service's own: True when it defines one,
    False when it disables it (`disable: true`, `test: ["NONE"]`), None when it says nothing
    (the image's HEALTHCHECK then decides)."""

    service: str
    dependant: str
    line: int  # the dependant's `condition: service_healthy`
    healthcheck: bool | None


# --- GitHub Actions workflows ----------------------------------------------------------


def workflow_builds(workflow: Workflow) -> list[BuildDeclaration]:
    """Every build-push-action step and `docker build` command of a parsed workflow, in order.

    Reusable workflows are ordinary workflows here; a job that calls one (`jobs.<id>.uses`)
    builds nothing itself.
    """
    return [build for _, _, build in step_builds(workflow)]


def step_builds(workflow: Workflow) -> list[tuple[Job, Step, BuildDeclaration]]:
    """`workflow_builds` with the job and step each build is declared in, for the rules
    that judge a build by its step (its other inputs, the steps around it)."""
    builds: list[tuple[Job, Step, BuildDeclaration]] = []
    for job in workflow.jobs:
        for step in job.steps:
            if step.uses is not None and _is_build_push_action(step.uses):
                builds.append((job, step, _action_build(step, workflow.path)))
            builds += [(job, step, build) for build in _run_builds(step, workflow.path)]
    return builds


def _is_build_push_action(uses: str) -> bool:
    """Action references are case-insensitive in owner and repository, like GitHub's URLs."""
    action, at, _ = uses.strip().partition("@")
    return bool(at) and action.lower() == BUILD_PUSH_ACTION


def _action_build(step: Step, path: str) -> BuildDeclaration:
    return BuildDeclaration(
        source=path,
        line=step.key_line("uses"),
        context=step.input("context") or None,
        dockerfile=step.input("file") or None,
        target=step.input("target") or None,
        build_args=tuple(_split_arg(item) for item in action_list(step.input("build-args"))),
        cache_from=action_list(step.input("cache-from")),
        cache_to=action_list(step.input("cache-to")),
        kind="workflow-action",
        context_line=step.with_lines.get("context"),
        dockerfile_line=step.with_lines.get("file"),
        name=step.name,
    )


def action_list(value: object) -> tuple[str, ...]:
    """A list input of build-push-action: one item per line, CSV-unquoted.

    The action splits `build-args`, `cache-from` and `cache-to` on newlines only
    (`getInputList(name, {ignoreComma: true})`), because a cache spec such as
    `type=registry,ref=x` is itself comma-separated; quotes are CSV quotes.
    """
    if isinstance(value, list):
        lines = [text for item in value if (text := scalar_text(item))]
    else:
        lines = (scalar_text(value) or "").splitlines()
    items = []
    for line in lines:
        fields = next(csv.reader([line]), [])
        item = ",".join(fields).strip()
        if item:
            items.append(item)
    return tuple(items)


def _split_arg(item: str) -> tuple[str, str]:
    key, _, value = item.partition("=")
    return key.strip(), value


# --- `docker build` commands in run: steps ---------------------------------------------


def _run_builds(step: Step, path: str) -> list[BuildDeclaration]:
    builds = []
    for index, command in step_docker_builds(step):
        line = step.script_line_of(index)
        builds.append(
            BuildDeclaration(
                source=path,
                line=line,
                context=command.context,
                dockerfile=command.dockerfile,
                target=command.target,
                build_args=command.build_args,
                cache_from=command.cache_from,
                cache_to=command.cache_to,
                kind="workflow-run",
                context_line=line if command.context is not None else None,
                dockerfile_line=line if command.dockerfile is not None else None,
                name=step.name,
                working_directory=step.working_directory,
            )
        )
    return builds


@dataclass(frozen=True)
class DockerBuildCommand:
    """The build-relevant options of one `docker build` command line."""

    context: str | None
    dockerfile: str | None
    target: str | None
    build_args: tuple[tuple[str, str], ...]
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...]


_BUILD_SUBCOMMANDS = (
    ("build",), ("buildx", "build"), ("buildx", "b"), ("image", "build"), ("builder", "build"),
)  # fmt: skip
# Options of `docker build` / `docker buildx build` that take a value as the next word;
# any other option is taken as a switch, so the positional context is found correctly.
_VALUE_OPTIONS = frozenset({
    "-f", "--file", "-t", "--tag", "--target", "--build-arg", "--cache-from", "--cache-to",
    "--label", "--platform", "--network", "--secret", "--ssh", "-o", "--output", "--progress",
    "--iidfile", "--metadata-file", "--build-context", "--add-host", "--allow", "--builder",
    "--shm-size", "--ulimit", "--cgroup-parent", "-m", "--memory", "--memory-swap", "-c",
    "--cpu-shares", "--cpuset-cpus", "--cpuset-mems", "--cpu-period", "--cpu-quota",
    "--isolation", "--security-opt", "--annotation", "--attest", "--no-cache-filter",
    "--call", "--invoke", "--policy",
})  # fmt: skip


def step_docker_builds(step: Step) -> list[tuple[int, DockerBuildCommand]]:
    """The `docker build` commands of a `run:` step, with the 0-based script line each
    starts on; none unless the step's shell is POSIX.

    pitstop does not model how PowerShell and cmd expand arguments (a variable holding an
    array passes several, `@splat`, `%VAR%`), so it says nothing about builds in those
    shells rather than guess their context and Dockerfile.
    """
    if step.dialect is not Dialect.POSIX:
        return []
    return _docker_builds(step.commands)


def docker_build_commands(script: str) -> list[tuple[int, DockerBuildCommand]]:
    """Each `docker build`, `docker buildx build` or `docker image build` in a POSIX script,
    with the 0-based index of the script line its (continued) command line starts on."""
    return _docker_builds(split_commands(script))


def _docker_builds(commands: Iterable[SimpleCommand]) -> list[tuple[int, DockerBuildCommand]]:
    found = []
    for command in commands:
        arguments = _build_arguments(command)
        if arguments is not None:
            found.append((command.line, _parse_build_options(arguments)))
    return found


def _build_arguments(command: SimpleCommand) -> list[str] | None:
    """The arguments after `docker build` (or an alias), or None for any other command."""
    if command.program != "docker":
        return None
    rest = list(command.words[1:])
    for subcommand in _BUILD_SUBCOMMANDS:
        if tuple(rest[: len(subcommand)]) == subcommand:
            return rest[len(subcommand) :]
    return None


def _parse_build_options(arguments: list[str]) -> DockerBuildCommand:
    values: dict[str, list[str]] = {}
    positional: list[str] = []
    words = iter(arguments)
    for word in words:
        if word == "--":
            positional.extend(words)
        elif word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            values.setdefault(name, []).append(value)
        elif word in _VALUE_OPTIONS:
            values.setdefault(word, []).append(next(words, ""))
        elif word.startswith("-f") and len(word) > 2 and not word.startswith("--"):
            values.setdefault("-f", []).append(word[2:])
        elif not word.startswith("-") or word == "-":
            positional.append(word)
    files = values.get("-f", []) + values.get("--file", [])
    targets = values.get("--target", [])
    return DockerBuildCommand(
        context=positional[0] if positional else None,
        dockerfile=files[-1] if files else None,
        target=targets[-1] if targets else None,
        build_args=tuple(_split_arg(item) for item in values.get("--build-arg", [])),
        cache_from=tuple(values.get("--cache-from", [])),
        cache_to=tuple(values.get("--cache-to", [])),
    )


# --- Compose ---------------------------------------------------------------------------


def parse_compose_builds(text: str, path: str) -> list[BuildDeclaration]:
    """Every `services.<name>.build` of a compose file, in service order."""
    services = mapping(mapping(load_yaml(text, path, COMPOSE_TAGS)).get("services"))
    builds = []
    for name, service in services.items():
        if isinstance(service, Mapping) and "build" in service:
            build = _compose_build(str(name), service, path)
            builds.append(replace(build, healthy_waits=_healthy_waits(str(name), services)))
    return builds


def _healthy_waits(built_by: str, services: Mapping[Any, Any]) -> tuple[HealthyWait, ...]:
    """The waits for `condition: service_healthy` on the services that run the image
    `built_by` builds: itself, and those naming the same `image:` without building."""
    image = scalar_text(mapping(services[built_by]).get("image"))
    running = [built_by] + [
        str(name)
        for name, service in services.items()
        if image
        and "build" not in mapping(service)
        and scalar_text(mapping(service).get("image")) == image
    ]
    return tuple(
        HealthyWait(waited, str(name), line, _own_healthcheck(mapping(services[waited])))
        for waited in running
        for name, service in services.items()
        if (line := _waits_healthy(mapping(service), waited)) is not None
    )


def _waits_healthy(service: Mapping[Any, Any], waited: str) -> int | None:
    """The line of `depends_on.<waited>.condition: service_healthy` in `service`, if any
    (the list form of depends_on only waits for the start)."""
    condition = mapping(mapping(service.get("depends_on")).get(waited))
    if scalar_text(condition.get("condition")) != "service_healthy":
        return None
    return line_of(condition, "condition")


def _own_healthcheck(service: Mapping[Any, Any]) -> bool | None:
    check = mapping(service.get("healthcheck"))
    test = check.get("test")
    words = [scalar_text(w) for w in test] if isinstance(test, list) else [scalar_text(test)]
    if scalar_text(check.get("disable")) == "true" or words[:1] == ["NONE"]:
        return False
    # Without `test`, compose keeps the image's probe and only changes its timings.
    return True if test else None


def _compose_build(name: str, service: Mapping[Any, Any], path: str) -> BuildDeclaration:
    build = service["build"]
    line = line_of(service, "build")
    if isinstance(build, Mapping):
        context_line = line_of(build, "context") if "context" in build else None
    else:  # `build: ./dir` is the context alone
        build, context_line = {"context": build}, line
    return BuildDeclaration(
        source=path,
        line=line,
        context=scalar_text(build.get("context")),
        dockerfile=scalar_text(build.get("dockerfile")),
        target=scalar_text(build.get("target")),
        build_args=_compose_args(build.get("args")),
        cache_from=_text_list(build.get("cache_from")),
        cache_to=_text_list(build.get("cache_to")),
        kind="compose",
        context_line=context_line,
        dockerfile_line=line_of(build, "dockerfile") if "dockerfile" in build else None,
        name=name,
        run_user=scalar_text(service.get("user")),
    )


def _compose_args(args: object) -> tuple[tuple[str, str], ...]:
    """`args` as a mapping or as a list of `KEY=VALUE` / bare `KEY` entries."""
    if isinstance(args, Mapping):
        return tuple((str(key), scalar_text(value) or "") for key, value in args.items())
    if isinstance(args, list):
        return tuple(_split_arg(text) for item in args if (text := scalar_text(item)))
    return ()


def _text_list(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(text for item in value if (text := scalar_text(item)))
    text = scalar_text(value)
    return (text,) if text else ()


# --- Bake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BakeTarget:
    """A bake target's attributes (already plain values) and the line each was set on."""

    name: str
    line: int
    attributes: Mapping[str, tuple[object, int]]


def parse_bake_builds(text: str, path: str) -> list[BuildDeclaration]:
    """Every target of a bake file (HCL, or JSON when `path` ends in `.json`).

    Blocks that repeat a target name are merged, later attributes winning, as bake
    merges them; `inherits` is resolved within this file, and a parent defined
    elsewhere (`docker-metadata-action`, another bake file) is skipped.
    """
    targets = _bake_json(text, path) if path.endswith(".json") else _bake_hcl(text, path)
    merged: dict[str, _BakeTarget] = {}
    for target in targets:
        previous = merged.get(target.name)
        if previous is not None:
            target = _BakeTarget(
                target.name, previous.line, {**previous.attributes, **target.attributes}
            )
        merged[target.name] = target
    return [_bake_build(_inherit(name, merged, path, ()), path) for name in merged]


def _inherit(
    name: str, targets: Mapping[str, _BakeTarget], path: str, chain: tuple[str, ...]
) -> _BakeTarget:
    """`name` with what it inherits filled in: parents in order, each overriding the last,
    then the target's own attributes; `args` maps are merged key by key."""
    target = targets[name]
    if name in chain:
        cycle = " -> ".join([*chain, name])
        raise PitstopError(f"bake targets inherit in a cycle: {cycle}", path=path, line=target.line)
    parents = target.attributes.get("inherits", ([], 0))[0]
    attributes: dict[str, tuple[object, int]] = {}
    for parent in parents if isinstance(parents, list) else [parents]:
        if isinstance(parent, str) and parent in targets:
            inherited = _inherit(parent, targets, path, (*chain, name))
            attributes = _merge_attributes(attributes, inherited.attributes)
    attributes = _merge_attributes(attributes, target.attributes)
    return _BakeTarget(name, target.line, attributes)


def _merge_attributes(
    base: Mapping[str, tuple[object, int]], override: Mapping[str, tuple[object, int]]
) -> dict[str, tuple[object, int]]:
    merged = {**base, **override}
    base_args, override_args = base.get("args"), override.get("args")
    if (
        base_args
        and override_args
        and isinstance(base_args[0], Mapping)
        and isinstance(override_args[0], Mapping)
    ):
        merged["args"] = ({**base_args[0], **override_args[0]}, override_args[1])
    return merged


def _bake_build(target: _BakeTarget, path: str) -> BuildDeclaration:
    attributes = target.attributes

    def text(key: str) -> str | None:
        return scalar_text(attributes[key][0]) if key in attributes else None

    def line(key: str) -> int | None:
        return attributes[key][1] if key in attributes else None

    args = attributes.get("args", ({}, 0))[0]
    return BuildDeclaration(
        source=path,
        line=target.line,
        context=text("context"),
        dockerfile=text("dockerfile"),
        target=text("target"),
        build_args=tuple(
            (str(key), scalar_text(value) or "") for key, value in mapping(args).items()
        ),
        cache_from=_bake_cache(attributes.get("cache-from", (None, 0))[0]),
        cache_to=_bake_cache(attributes.get("cache-to", (None, 0))[0]),
        kind="bake",
        context_line=line("context"),
        dockerfile_line=line("dockerfile"),
        name=target.name,
    )


def _bake_cache(value: object) -> tuple[str, ...]:
    """Cache entries as CSV strings; bake also takes `{type = "gha", mode = "max"}` objects."""
    entries = value if isinstance(value, list) else [] if value is None else [value]
    specs = []
    for entry in entries:
        if isinstance(entry, Mapping):
            specs.append(",".join(f"{key}={scalar_text(item)}" for key, item in entry.items()))
        elif (spec := scalar_text(entry)) is not None and spec:
            specs.append(spec)
    return tuple(specs)


def _bake_hcl(text: str, path: str) -> list[_BakeTarget]:
    """Targets of an HCL bake file, via python-hcl2's document view (lines from Lark).

    python-hcl2 8 dropped the `with_meta` line markers of earlier versions (the option
    still exists but adds nothing), so lines come from the Lark tree of each node.
    """
    from hcl2.query.body import DocumentView
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError, UnexpectedInput

    options = SerializationOptions(with_comments=False, explicit_blocks=False)
    try:
        document: Any = DocumentView.parse(text)
        targets = []
        for block in document.blocks("target"):
            labels = block.name_labels
            attributes = {
                attribute.name: (
                    _unhcl(attribute.to_dict(options)[attribute.name]),
                    attribute.raw.to_lark().meta.line,
                )
                for attribute in block.attributes()
            }
            name = str(labels[0]).strip('"') if labels else ""
            targets.append(_BakeTarget(name, block.raw.to_lark().meta.line, attributes))
    except UnexpectedInput as error:
        raise PitstopError(
            f"invalid HCL at column {error.column}", path=path, line=error.line
        ) from None
    except (LarkError, ValueError, RecursionError) as error:
        raise PitstopError(f"invalid HCL: {error}", path=path) from None
    return targets


def _unhcl(value: object) -> object:
    """A value serialised by python-hcl2 as plain data: string literals unquoted and
    unescaped, heredocs reduced to their text, and any other expression (a variable,
    a function call) written as `${...}` so it reads as interpolation, not as a path."""
    if isinstance(value, Mapping):  # keys are names, or quoted names
        return {str(key).strip('"'): _unhcl(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unhcl(item) for item in value]
    if not isinstance(value, str):
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _hcl_string(value[1:-1])
    return value if value.startswith("${") else f"${{{value}}}"


def _hcl_string(body: str) -> str:
    heredoc = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n", body)
    if heredoc:
        content = body[heredoc.end() :]
        return content[: content.rfind("\n") + 1] if "\n" in content else ""
    try:
        decoded = json.loads(f'"{body}"')
    except ValueError:
        return body
    return decoded if isinstance(decoded, str) else body


def _bake_json(text: str, path: str) -> list[_BakeTarget]:
    """Targets of a JSON bake file; lines are found by searching for each key in order,
    since the json module keeps no positions."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PitstopError(f"invalid JSON: {error.msg}", path=path, line=error.lineno) from None
    section = mapping(document).get("target")
    offset = _key_offset(text, "target", 0)
    targets = []
    for name, body in mapping(section).items():
        start = _key_offset(text, name, offset)
        attributes = {}
        for key, value in mapping(body).items():
            at = _key_offset(text, key, start)
            attributes[str(key)] = (value, _line_at(text, at))
        targets.append(_BakeTarget(str(name), _line_at(text, start), attributes))
        offset = start
    return targets


def _key_offset(text: str, key: str, start: int) -> int:
    match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, start)
    return match.start() if match else start


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
