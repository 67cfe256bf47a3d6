"""Build-cache rules: they judge every stage that gets built, because a cache miss in a
builder stage costs as much build time as one in the stage that ships."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.model import Area, Severity
from pitstop.parsers.dockerfile import Instruction, Stage
from pitstop.parsers.shell import SimpleCommand, pip_install
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import Placed, at, commands, related, walk

_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_MANIFEST_NAMES = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "Pipfile",
        "Pipfile.lock",
        "requirements.txt",
        "constraints.txt",
        "README.md",
        "README.rst",
    }
)


@dataclass(frozen=True)
class Install:
    """A dependency install step and the files its installer reads."""

    placed: Placed
    tool: str
    manifests: tuple[str, ...]


def _manifests(command: SimpleCommand) -> tuple[str, tuple[str, ...]] | None:
    """(installer, files it reads) when `command` installs dependencies, else None."""
    packages = pip_install(command)
    if packages is not None:
        words = list(packages)
        reqs = [
            words[i + 1]
            for i, w in enumerate(words[:-1])
            if w in ("-r", "--requirement", "-c", "--constraint")
        ]
        reqs += [w.split("=", 1)[1] for w in words if w.startswith(("--requirement=", "-r="))]
        if reqs:
            return "pip", tuple(reqs)
        if any(w in (".", "./") or w.startswith((".[", "./[")) for w in words):
            return "pip", _PROJECT_FILES
        return None
    verb = command.words[1] if len(command.words) > 1 else ""
    if command.program == "poetry" and verb in ("install", "sync"):
        return "poetry", ("pyproject.toml", "poetry.lock")
    if command.program == "uv" and verb == "sync":
        return "uv", ("pyproject.toml", "uv.lock")
    if command.program == "pipenv" and verb in ("install", "sync"):
        return "pipenv", ("Pipfile", "Pipfile.lock")
    if command.program == "pdm" and verb in ("install", "sync"):
        return "pdm", ("pyproject.toml", "pdm.lock")
    return None


def _installs(placed: Placed) -> Iterator[Install]:
    for command in commands(placed.instruction):
        found = _manifests(command)
        if found is not None:
            yield Install(placed, found[0], found[1])


def _is_broad(source: DockerfileSource, project: Project, instruction: Instruction) -> str | None:
    """The first source of a COPY/ADD that copies a whole folder of the context, if any."""
    if instruction.flag("from") is not None or instruction.heredocs:
        return None
    for raw in instruction.args[:-1]:
        if posixpath.basename(raw.rstrip("/")) in _MANIFEST_NAMES or "requirements" in raw:
            continue
        name = raw.rstrip("/")
        if name in ("", ".", "*", "./*") or raw.endswith("/"):
            return raw
        in_context = posixpath.normpath(posixpath.join(source.folder or ".", name))
        if project.tree.is_dir(in_context):
            return raw
    return None


def _project_only(install: Install) -> bool:
    """Whether every matching command installs the project without its dependencies: it has
    to re-run when the sources change, wherever the COPY is."""
    return any(
        _manifests(c) is not None and c.has("--no-deps", "--no-dependencies")
        for c in commands(install.placed.instruction)
    )


def _installs_in(source: DockerfileSource, stage: Stage) -> bool:
    """Whether `stage` (or a stage it is built FROM) installs dependencies."""
    return any(
        next(_installs(placed), None) is not None
        for placed in walk(source.dockerfile.lineage(stage))
    )


def _brings_dependencies(source: DockerfileSource, placed: Placed) -> bool:
    """A `COPY --from=stage` of a stage that installed dependencies (a virtualenv, ~/.local):
    the dependencies are in place before the sources arrive."""
    origin = placed.instruction.flag("from")
    stage = source.dockerfile.stage(origin) if origin else None
    return stage is not None and stage.index < placed.stage.index and _installs_in(source, stage)


def check_copy_before_install(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    seen: set[int] = set()
    for stage in source.built_stages():
        broad: list[tuple[Placed, str]] = []
        # Once dependencies are installed (earlier in the lineage or in a stage copied in),
        # an install after the sources only adds the project: that order is the intended one.
        ready = False
        for placed in walk(source.dockerfile.lineage(stage)):
            if placed.instruction.keyword in ("COPY", "ADD"):
                ready = ready or _brings_dependencies(source, placed)
                copied = _is_broad(source, project, placed.instruction)
                if copied is not None:
                    broad.append((placed, copied))
            for install in _installs(placed):
                if ready or _project_only(install):
                    continue
                for copy, copied in broad:
                    if copy.instruction.line not in seen:
                        seen.add(copy.instruction.line)
                        yield _hit(source, copy, copied, install)
            ready = ready or next(_installs(placed), None) is not None


def _hit(source: DockerfileSource, copy: Placed, copied: str, install: Install) -> Hit:
    files = " ".join(install.manifests)
    step = {
        "poetry": "`poetry install --no-root`",
        "uv": "`uv sync --frozen --no-install-project`",
        "pip": "the install",
    }.get(install.tool, "the install")
    return Hit(
        at(source, copy.instruction),
        f"`COPY {copied}` at line {copy.instruction.line} comes before the {install.tool} install "
        f"at line {install.placed.instruction.line}, so any change to the copied sources re-runs "
        f"the install. Copy only what the installer reads first ({files}), run {step}, and copy "
        "the rest after it.",
        related=(
            related(
                source, install.placed.instruction, f"{install.tool} installs dependencies here"
            ),
        ),
    )


RULES = (
    Rule(
        "PS120",
        "copy-before-install",
        "Sources copied before the dependency install",
        Severity.WARNING,
        Area.DOCKERFILE,
        "Docker reuses a cached layer only while every layer before it is unchanged. When the "
        "whole source tree is copied before `pip install`, `poetry install` or `uv sync`, every "
        "code change re-installs every dependency: minutes per build instead of seconds. Copy "
        "the files the installer reads (requirements files, pyproject.toml and its lock file) "
        "first, install, then copy the sources. An install after the sources is not reported "
        "when the dependencies are already in place (installed earlier, or copied from a stage "
        "that installed them) or when it installs only the project (`--no-deps`).",
        check_dockerfile=check_copy_before_install,
    ),
)
