"""Package-manager rules (apt, pip, poetry, uv): what each install leaves in its layer,
and how apt's index goes stale in the build cache. They judge every stage that gets built."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.model import Area, Fix, Severity, TextEdit
from pitstop.parsers.dockerfile import Instruction, RunCommand, Stage, env_pairs, escape_character
from pitstop.parsers.shell import SimpleCommand, appends_cleanly, apt_get, pip_install
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import (
    built_instructions,
    cache_mount_targets,
    command_at,
    commands,
    in_stage,
    insertion_at,
    ships,
    walk,
)

_APT_INSTALL = r"apt(?:-get)?\s+(?:-\S+\s+)*install\b"
_PIP_INSTALL = r"(?:\S*/)?(?:pip[0-9.]*|python[0-9.]*\s+-m\s+pip)\s+(?:-\S+\s+)*install\b"
# Official Docker Hub images ("python", "library/python", "docker.io/library/python"): their
# Dockerfiles are public and none sets PIP_NO_CACHE_DIR, so the ENV seen here is all there is.
_OFFICIAL = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io)/)?(?:library/)?[a-z0-9._-]+(?::[^/]*)?(?:@.*)?$"
)


def _apt(instruction: Instruction, verb: str) -> list[RunCommand]:
    found = []
    for run in instruction.run_commands:
        parsed = apt_get(run.command)
        if parsed is not None and parsed[0] == verb:
            found.append(run)
    return found


_RECOMMENDS_OFF = re.compile(r"""APT::Install-Recommends\s*(?:=\s*)?["']?(?:0|false)\b""", re.I)


def _recommends_configured_off(source: DockerfileSource, stage: Stage, line: int) -> bool:
    """Whether an earlier RUN of the lineage wrote `APT::Install-Recommends "0"` into apt's
    configuration: then every later install already skips recommends, as intended."""
    return any(
        placed.instruction.keyword == "RUN"
        and placed.instruction.line < line
        and _RECOMMENDS_OFF.search(placed.instruction.original)
        for placed in walk(source.dockerfile.lineage(stage))
    )


def check_install_recommends(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        if _apt(instruction, "install") and _recommends_configured_off(
            source, stage, instruction.line
        ):
            continue
        for run in _apt(instruction, "install"):
            command = run.command
            if command.has("--no-install-recommends", "--only-upgrade") or any(
                "Install-Recommends" in w for w in command.words
            ):
                continue
            if _needs_its_recommends(command):
                continue
            edit = insertion_at(source, run, _APT_INSTALL, " --no-install-recommends")
            yield Hit(
                command_at(source, run),
                f"apt-get install{in_stage(stage, source)} also installs every package the "
                "requested ones recommend, which then lands in the layer: add "
                "--no-install-recommends and name what you need.",
                fix=Fix("add --no-install-recommends", (edit,)) if edit else None,
            )


# Compilers whose Recommends are what compiling needs: gcc recommends libc6-dev (the C
# library headers), so `--no-install-recommends gcc` on a slim base cannot build a C extension.
_COMPILERS = re.compile(r"^(gcc|g\+\+|clang|cc)(-[\d.]+)?$")


def _needs_its_recommends(command: SimpleCommand) -> bool:
    named = command.operands()
    return any(_COMPILERS.match(p) for p in named) and not any(
        p in ("libc6-dev", "libc-dev", "build-essential") for p in named
    )


def _cleans_lists(instruction: Instruction) -> bool:
    if any(t.startswith("/var/lib/apt") for t in cache_mount_targets(instruction)):
        return True
    # `apt-get dist-clean` (apt 2.7+, Debian 13) removes the lists as well as the archives
    return any(
        (c.program == "rm" and any(w.startswith("/var/lib/apt/lists") for w in c.words))
        or (apt_get(c) or ("",))[0] == "dist-clean"
        for c in commands(instruction)
    )


def _stage_cost(
    stage: Stage, source: DockerfileSource, what: str, path: str
) -> tuple[str, Severity | None]:
    """How a layer's leftovers at `path` cost: image size when they ship, else only the size
    of a builder layer in the build cache (so the finding is information, not a warning)."""
    if ships(stage, source, path if path.startswith("/") else "/"):
        return f"{what} in the layer, which ships in the image", None
    return (
        f'{what} in a layer of stage "{stage.label}", which does not ship: it costs build-cache '
        "space and cache export time, not image size",
        Severity.INFO,
    )


def check_apt_lists(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        installs, updates = _apt(instruction, "install"), _apt(instruction, "update")
        # The lists are written by `apt-get update`: a RUN that only installs from lists an
        # earlier RUN fetched adds none, and cleaning them there frees nothing.
        if not installs or not updates or _cleans_lists(instruction):
            continue
        cost, severity = _stage_cost(
            stage, source, "/var/lib/apt/lists (the package index)", "/var/lib/apt/lists"
        )
        yield Hit(
            command_at(source, installs[0]),
            f"this RUN{in_stage(stage, source)} installs with apt but leaves {cost}: end it with "
            "`&& rm -rf /var/lib/apt/lists/*`, or use a cache mount for /var/lib/apt.",
            fix=_append_fix(source, instruction, "rm -rf /var/lib/apt/lists/*"),
            severity=severity,
        )


def _append_fix(source: DockerfileSource, instruction: Instruction, command: str) -> Fix | None:
    """`&& command` after the RUN's last line, continued with the file's escape character;
    None unless the appended text certainly runs: not after a trailing `# comment` (the shell
    would read it as part of the comment), not inside a quote left open, not after an
    escape that already continues the line."""
    if instruction.json_form or instruction.heredocs:
        return None
    escape = escape_character(source.dockerfile.lines)
    last = source.dockerfile.lines[instruction.end_line - 1]
    if last.rstrip().endswith(escape) or not appends_cleanly(last):
        return None
    end = len(last.rstrip()) + 1
    edit = TextEdit(
        source.path,
        instruction.end_line,
        end,
        instruction.end_line,
        len(last) + 1,
        f" {escape}\n    && {command}",
    )
    return Fix(f"append `&& {command}` to the RUN", (edit,))


def check_update_alone(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        apts = [(run, apt_get(run.command)) for run in instruction.run_commands]
        verbs = {a[0] for _, a in apts if a is not None}
        if verbs == {"update"}:
            update = next(run for run, a in apts if a is not None)
            yield Hit(
                command_at(source, update),
                f"`apt-get update` alone in its RUN{in_stage(stage, source)} is cached on its own: "
                "a later change to the install line reuses the stale index and fails or installs "
                "old versions. Run `apt-get update && apt-get install ...` in one RUN.",
            )


def check_upgrade(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction in built_instructions(source):
        for verb in ("upgrade", "dist-upgrade", "full-upgrade"):
            found = _apt(instruction, verb)
            if found:
                yield Hit(command_at(source, found[0]), _upgrade_message(source, stage, verb))
                break


def _upgrade_message(source: DockerfileSource, stage: Stage, verb: str) -> str:
    if ships(stage, source):
        return (
            f"`apt-get {verb}`{in_stage(stage, source)} makes the image depend on the day it "
            "was built and adds a layer of changed files; rebuild on an updated base image tag "
            "(and pin it) instead."
        )
    # A stage that does not ship leaves its upgraded packages behind: only what it builds
    # may differ from one build to the next.
    return (
        f"`apt-get {verb}`{in_stage(stage, source)}, which does not ship: the image does not "
        "carry the upgraded packages, but what this stage builds depends on the day it ran, so "
        "two builds of the same commit may differ. A pinned, current base image tag keeps the "
        "build reproducible."
    )


@dataclass(frozen=True)
class _Context:
    """What is in force before a RUN: the ENV values and USER set in the lineage, and the
    image the lineage starts from (which may set ENV of its own that pitstop cannot see)."""

    env: dict[str, str]
    user: str
    base: str | None


def _with_env(source: DockerfileSource) -> Iterator[tuple[Stage, Instruction, _Context]]:
    """Each RUN of the stages that get built, with the ENV values in force before it."""
    for stage in source.built_stages():
        lineage = source.dockerfile.lineage(stage)
        env: dict[str, str] = {}
        user = "root"
        for placed in walk(lineage):
            instruction = placed.instruction
            if instruction.keyword == "ENV":
                env.update(env_pairs(instruction))
            elif instruction.keyword == "USER" and instruction.args:
                user = instruction.args[0].split(":")[0]
            elif instruction.keyword == "RUN" and placed.stage is stage:
                yield stage, instruction, _Context(dict(env), user, _base(lineage[0]))


def _base(first: Stage) -> str | None:
    """The image a lineage starts from, as written when an ARG chooses it."""
    if first.base_image is None:
        return None
    if "$" in first.written_base:
        expanded = f" (default {first.base})" if first.base else ""
        return f"{first.written_base}{expanded}"
    return first.base


def _cache_folder(command: SimpleCommand, context: _Context, variable: str, default: str) -> str:
    """Where the tool keeps its cache for `command`: `--cache-dir`, then the variable set on
    the command or by ENV, then the default under the user's home."""
    words = command.words
    for i, word in enumerate(words):
        if word == "--cache-dir" and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--cache-dir="):
            return word.split("=", 1)[1]
    for assignment in command.env:
        name, _, value = assignment.partition("=")
        if name == variable:
            return value
    if variable in context.env:
        return context.env[variable]
    home = "/root" if context.user in ("root", "0") else None
    return f"{home}/.cache/{default}" if home else f"~/.cache/{default}"


def _under_cache_mount(folder: str, instruction: Instruction) -> bool:
    """Whether `folder` is a cache mount of this RUN (or inside one): BuildKit keeps it
    out of the layer, and keeping the cache there is the point of the mount."""
    for target in cache_mount_targets(instruction):
        target = target.rstrip("/") or "/"
        if folder == target or folder.startswith(target + "/"):
            return True
        if folder.startswith("~/") and target.endswith(folder[1:]):
            return True  # a home we cannot resolve: the mount names the same cache folder
    return False


def _removed_in_run(instruction: Instruction, folder: str, name: str) -> bool:
    """Whether an `rm` in the same RUN deletes the cache `folder` (or ~/.cache holding it):
    then it never reaches the layer."""
    for command in commands(instruction):
        if command.program != "rm":
            continue
        for word in command.operands():
            removed = word.rstrip("*").rstrip("/")
            if removed and (folder == removed or folder.startswith(removed + "/")):
                return True
            if removed.endswith(("/.cache", f"/.cache/{name}")) or removed in ("~/.cache",):
                return True
    return False


def _pip_cache_off(command: SimpleCommand, instruction: Instruction, context: _Context) -> bool:
    if command.has("--no-cache-dir") or any(w.startswith("PIP_NO_CACHE_DIR=") for w in command.env):
        return True
    if command.has("--no-index"):  # local files only: nothing is downloaded into the cache
        return True
    if context.env.get("PIP_NO_CACHE_DIR", "").lower() not in ("", "0", "false", "no", "off"):
        return True
    folder = _cache_folder(command, context, "PIP_CACHE_DIR", "pip")
    return _under_cache_mount(folder, instruction) or _removed_in_run(instruction, folder, "pip")


def _base_may_configure(context: _Context) -> str | None:
    """The base image when it is not an official one: its own ENV may turn the cache off."""
    base = context.base
    if base is None or (_OFFICIAL.match(base) and "$" not in base) or base == "scratch":
        return None
    return base


def check_pip_cache(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for stage, instruction, context in _with_env(source):
        for run in instruction.run_commands:
            command = run.command
            if command.program == "uv" or pip_install(command) is None:
                continue
            if _pip_cache_off(command, instruction, context):
                continue
            if _base_may_configure(context) is not None:
                continue  # another image's ENV (PIP_NO_CACHE_DIR) is not visible from here
            yield _pip_hit(source, stage, run, context)


def _pip_hit(source: DockerfileSource, stage: Stage, run: RunCommand, context: _Context) -> Hit:
    folder = _cache_folder(run.command, context, "PIP_CACHE_DIR", "pip")
    cost, severity = _stage_cost(
        stage, source, "its download and wheel cache (~/.cache/pip)", folder
    )
    message = f"pip install{in_stage(stage, source)} keeps {cost}."
    edit = insertion_at(source, run, _PIP_INSTALL, " --no-cache-dir")
    return Hit(
        command_at(source, run),
        f"{message} Add --no-cache-dir, or keep the cache out of the layer and across builds "
        "with `RUN --mount=type=cache,target=/root/.cache/pip`.",
        fix=Fix("add --no-cache-dir", (edit,)) if edit else None,
        severity=severity,
    )


def _tool_cache_kept(
    tool: str, command: SimpleCommand, instruction: Instruction, context: _Context
) -> bool:
    # uv also takes pip's spelling, --no-cache-dir (a hidden alias, astral-sh/uv#1380), and -n
    no_cache = ("--no-cache", "--no-cache-dir", "-n") if tool == "uv" else ("--no-cache",)
    if any(command.has(flag) for flag in no_cache) or any(
        w.startswith(f"{tool.upper()}_NO_CACHE=") for w in command.env
    ):
        return False
    if tool == "uv" and context.env.get("UV_NO_CACHE", "").lower() not in ("", "0", "false"):
        return False
    cache_dir = {"uv": "uv", "poetry": "pypoetry"}[tool]
    variable = f"{tool.upper()}_CACHE_DIR"
    if _under_cache_mount(_cache_folder(command, context, variable, cache_dir), instruction):
        return False
    if any(
        cache_dir in t or t.rstrip("/").endswith(".cache") for t in cache_mount_targets(instruction)
    ):
        return False
    removed = [
        w
        for c in commands(instruction)
        if c.program == "rm"
        for w in c.words
        if cache_dir in w
        or w.rstrip("/").endswith(".cache")
        or f"${variable}" in w
        or f"${{{variable}}}" in w
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
    for stage, instruction, context in _with_env(source):
        for run in instruction.run_commands:
            tool = _installs_with(run.command)
            if tool is None or not _tool_cache_kept(tool, run.command, instruction, context):
                continue
            where = "~/.cache/pypoetry" if tool == "poetry" else "~/.cache/uv"
            target = "/root/.cache/pypoetry" if tool == "poetry" else "/root/.cache/uv"
            folder = _cache_folder(
                run.command, context, f"{tool.upper()}_CACHE_DIR", where.rsplit("/", 1)[-1]
            )
            cost, severity = _stage_cost(stage, source, f"its cache ({where})", folder)
            yield Hit(
                command_at(source, run),
                f"{tool}{in_stage(stage, source)} leaves {cost}: use "
                f"`RUN --mount=type=cache,target={target}` (faster rebuilds too), pass --no-cache, "
                "or remove the cache in the same RUN.",
                severity=severity,
            )


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
        "Deleting them in a later RUN does not help: the earlier layer still holds them. In a "
        "builder stage that does not ship, they only cost build-cache space (reported as info).",
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
        "cache mount keeps it out of the image and reuses it across builds. A cache mount on "
        "pip's cache folder means keeping the cache is intended: not reported. Nor is a pip "
        "install on a base image that is not an official one (its ENV, not visible here, may "
        "set PIP_NO_CACHE_DIR), nor `--no-index` (local files, nothing downloaded). In builder "
        "stages that do not ship, the finding is info.",
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
        "installed packages, often as large as they are. In a builder stage that does not ship, "
        "it only costs build-cache space (reported as info).",
        check_dockerfile=check_tool_cache,
    ),
)
