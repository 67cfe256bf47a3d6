"""Package-manager rules (apt, pip, poetry, uv): what each install leaves in its layer,
and how apt's index goes stale in the build cache. They judge every stage that gets built."""

from __future__ import annotations

from collections.abc import Iterator

from pitstop.model import Area, Fix, Severity, TextEdit
from pitstop.parsers.dockerfile import Instruction, Stage, env_pairs
from pitstop.parsers.shell import SimpleCommand, apt_get, pip_install
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import (
    at,
    built_instructions,
    cache_mount_targets,
    commands,
    in_stage,
    insertion,
    walk,
)

_APT_INSTALL = r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b"
_PIP_INSTALL = r"\bpip[0-9.]*\s+install\b"


def _apt(instruction: Instruction, verb: str) -> list[SimpleCommand]:
    found = []
    for command in commands(instruction):
        parsed = apt_get(command)
        if parsed is not None and parsed[0] == verb:
            found.append(command)
    return found


def check_install_recommends(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        for command in _apt(instruction, "install"):
            if command.has("--no-install-recommends") or any(
                "Install-Recommends" in w for w in command.words
            ):
                continue
            edit = insertion(source, instruction, _APT_INSTALL, " --no-install-recommends")
            yield Hit(
                at(source, instruction, _APT_INSTALL),
                f"apt-get install{in_stage(stage, source)} also installs every recommended "
                "package, often doubling what lands in the layer: add --no-install-recommends "
                "and name what you need.",
                fix=Fix("add --no-install-recommends", (edit,)) if edit else None,
            )


def _cleans_lists(instruction: Instruction) -> bool:
    if any(t.startswith("/var/lib/apt") for t in cache_mount_targets(instruction)):
        return True
    return any(
        c.program == "rm" and any(w.startswith("/var/lib/apt/lists") for w in c.words)
        for c in commands(instruction)
    )


def check_apt_lists(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        if not _apt(instruction, "install") or _cleans_lists(instruction):
            continue
        yield Hit(
            at(source, instruction, r"\bapt(-get)?\b"),
            f"this RUN{in_stage(stage, source)} installs with apt but leaves /var/lib/apt/lists "
            "(tens of MB of package index) in the layer: end it with `&& rm -rf "
            "/var/lib/apt/lists/*`, or use a cache mount for /var/lib/apt.",
            fix=_append_fix(source, instruction, "rm -rf /var/lib/apt/lists/*"),
        )


def _append_fix(source: DockerfileSource, instruction: Instruction, command: str) -> Fix | None:
    if instruction.json_form or instruction.heredocs:
        return None
    last = source.dockerfile.lines[instruction.end_line - 1]
    if last.rstrip().endswith("\\"):
        return None
    end = len(last.rstrip()) + 1
    edit = TextEdit(
        source.path,
        instruction.end_line,
        end,
        instruction.end_line,
        len(last) + 1,
        f" \\\n    && {command}",
    )
    return Fix(f"append `&& {command}` to the RUN", (edit,))


def check_update_alone(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        apts = [apt_get(c) for c in commands(instruction)]
        verbs = {a[0] for a in apts if a is not None}
        if verbs == {"update"}:
            yield Hit(
                at(source, instruction, r"\bupdate\b"),
                f"`apt-get update` alone in its RUN{in_stage(stage, source)} is cached on its own: "
                "a later change to the install line reuses the stale index and fails or installs "
                "old versions. Run `apt-get update && apt-get install ...` in one RUN.",
            )


def check_upgrade(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        for verb in ("upgrade", "dist-upgrade", "full-upgrade"):
            if _apt(instruction, verb):
                yield Hit(
                    at(source, instruction, rf"\b{verb}\b"),
                    f"`apt-get {verb}`{in_stage(stage, source)} makes the image depend on the day "
                    "it was built and adds a layer of changed files; rebuild on an updated base "
                    "image tag (and pin it) instead.",
                )
                break


def _with_env(source: DockerfileSource) -> Iterator[tuple[Stage, Instruction, dict[str, str]]]:
    """Each RUN of the stages that get built, with the ENV values in force before it."""
    for stage in source.built_stages():
        env: dict[str, str] = {}
        for placed in walk(source.dockerfile.lineage(stage)):
            instruction = placed.instruction
            if instruction.keyword == "ENV":
                env.update(env_pairs(instruction))
            elif instruction.keyword == "RUN" and placed.stage is stage:
                yield stage, instruction, env


def _pip_cache_off(command: SimpleCommand, instruction: Instruction, env: dict[str, str]) -> bool:
    if command.has("--no-cache-dir") or any(w.startswith("PIP_NO_CACHE_DIR=") for w in command.env):
        return True
    if env.get("PIP_NO_CACHE_DIR", "").lower() not in ("", "0", "false", "no", "off"):
        return True
    return any(".cache" in t or t.endswith("/pip") for t in cache_mount_targets(instruction))


def check_pip_cache(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction, env in _with_env(source):
        for command in commands(instruction):
            if command.program == "uv" or pip_install(command) is None:
                continue
            if _pip_cache_off(command, instruction, env):
                continue
            edit = insertion(source, instruction, _PIP_INSTALL, " --no-cache-dir")
            yield Hit(
                at(source, instruction, _PIP_INSTALL),
                f"pip install{in_stage(stage, source)} keeps its download and wheel cache in "
                "~/.cache/pip inside the layer. Add --no-cache-dir, or keep the cache out of the "
                "image and across builds with `RUN --mount=type=cache,target=/root/.cache/pip`.",
                fix=Fix("add --no-cache-dir", (edit,)) if edit else None,
            )
            break


def _tool_cache_kept(
    tool: str, command: SimpleCommand, instruction: Instruction, env: dict[str, str]
) -> bool:
    if command.has("--no-cache") or any(
        w.startswith(f"{tool.upper()}_NO_CACHE=") for w in command.env
    ):
        return False
    if tool == "uv" and env.get("UV_NO_CACHE", "").lower() not in ("", "0", "false"):
        return False
    cache_dir = {"uv": "uv", "poetry": "pypoetry"}[tool]
    if any(
        cache_dir in t or t.rstrip("/").endswith(".cache") for t in cache_mount_targets(instruction)
    ):
        return False
    variable = f"${tool.upper()}_CACHE_DIR"
    removed = [
        w
        for c in commands(instruction)
        if c.program == "rm"
        for w in c.words
        if cache_dir in w
        or w.rstrip("/").endswith(".cache")
        or variable in w
        or f"${{{variable[1:]}}}" in w
    ]
    return not removed


def _installs_with(command: SimpleCommand) -> str | None:
    verb = command.words[1] if len(command.words) > 1 else ""
    if command.program == "poetry" and verb in ("install", "sync", "add"):
        return "poetry"
    if command.program == "uv" and (
        verb in ("sync", "add") or command.words[1:3] == ("pip", "install")
    ):
        return "uv"
    return None


def check_tool_cache(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction, env in _with_env(source):
        for command in commands(instruction):
            tool = _installs_with(command)
            if tool is None or not _tool_cache_kept(tool, command, instruction, env):
                continue
            where = "~/.cache/pypoetry" if tool == "poetry" else "~/.cache/uv"
            target = "/root/.cache/pypoetry" if tool == "poetry" else "/root/.cache/uv"
            yield Hit(
                at(source, instruction, rf"\b{tool}\b"),
                f"{tool}{in_stage(stage, source)} leaves its cache ({where}) in the layer: use "
                f"`RUN --mount=type=cache,target={target}` (faster rebuilds too), pass --no-cache, "
                "or remove the cache in the same RUN.",
            )
            break


RULES = (
    Rule(
        "PS130",
        "apt-install-recommends",
        "apt-get install without --no-install-recommends",
        Severity.WARNING,
        Area.DOCKERFILE,
        "Debian and Ubuntu install recommended packages by default. In an image they are rarely "
        "used and often double the size of the layer and the time to build and pull it.",
        check_dockerfile=check_install_recommends,
        fixable=True,
    ),
    Rule(
        "PS131",
        "apt-lists-kept",
        "apt lists not removed in the same RUN",
        Severity.WARNING,
        Area.DOCKERFILE,
        "`apt-get update` downloads package indexes to /var/lib/apt/lists. Unless the same RUN "
        "deletes them (or a cache mount keeps them out of the layer), they ship in the image. "
        "Deleting them in a later RUN does not help: the earlier layer still holds them.",
        check_dockerfile=check_apt_lists,
        fixable=True,
    ),
    Rule(
        "PS132",
        "apt-update-alone",
        "apt-get update in its own RUN",
        Severity.WARNING,
        Area.DOCKERFILE,
        "The build cache keys a RUN by its text. An `apt-get update` alone in a RUN stays cached "
        "for months, so a later change to the install step runs against a stale index: packages "
        "that no longer exist, or old versions with known vulnerabilities.",
        check_dockerfile=check_update_alone,
    ),
    Rule(
        "PS133",
        "apt-upgrade",
        "apt-get upgrade in a Dockerfile",
        Severity.INFO,
        Area.DOCKERFILE,
        "Upgrading packages inside the build makes the image depend on when it was built, adds "
        "a layer of changed files on top of the base, and hides that the base image is stale. "
        "Pin a current base image tag and rebuild when it changes.",
        check_dockerfile=check_upgrade,
    ),
    Rule(
        "PS134",
        "pip-cache-kept",
        "pip cache kept in the image",
        Severity.WARNING,
        Area.DOCKERFILE,
        "pip keeps every downloaded wheel in ~/.cache/pip. In a Dockerfile that cache is written "
        "into the layer and shipped, and is useless there. `--no-cache-dir` drops it; a BuildKit "
        "cache mount keeps it out of the image and reuses it across builds.",
        check_dockerfile=check_pip_cache,
        fixable=True,
    ),
    Rule(
        "PS135",
        "tool-cache-kept",
        "Poetry or uv cache kept in the image",
        Severity.WARNING,
        Area.DOCKERFILE,
        "Poetry and uv cache downloaded packages under ~/.cache. Unless a cache mount, --no-cache "
        "or a removal in the same RUN keeps it out, the cache is stored in the layer next to the "
        "installed packages, often as large as they are.",
        check_dockerfile=check_tool_cache,
    ),
)
