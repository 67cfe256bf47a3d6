"""Helpers the Dockerfile rule families share: commands of a RUN, positions in the
source, and the container paths instructions act on."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pitstop.model import Location, Related, TextEdit
from pitstop.parsers.dockerfile import Instruction, RunCommand, Stage, mount_options
from pitstop.parsers.shell import SimpleCommand
from pitstop.review.project import DockerfileSource


@lru_cache(maxsize=4096)
def commands(instruction: Instruction) -> tuple[SimpleCommand, ...]:
    """The simple commands a RUN executes (empty for other instructions)."""
    return tuple(run.command for run in instruction.run_commands)


def command_at(source: DockerfileSource, run: RunCommand) -> Location:
    """Where a command of a RUN starts: its own line and column, not the RUN's."""
    return source.location(run.line, run.column)


def insertion_at(
    source: DockerfileSource, run: RunCommand, pattern: str, text: str
) -> TextEdit | None:
    """An edit inserting `text` after `pattern` matched where `run` starts, on its line;
    None when the command does not read that way there (then no fix is offered)."""
    line = source.dockerfile.lines[run.line - 1]
    match = re.compile(pattern).match(line, run.column - 1)
    if match is None:
        return None
    column = match.end() + 1
    return TextEdit(source.path, run.line, column, run.line, column, text)


def cache_mount_targets(instruction: Instruction) -> tuple[str, ...]:
    """Targets of `RUN --mount=type=cache,...` (BuildKit keeps these out of the layer)."""
    targets = []
    for mount in instruction.flag_values("mount"):
        options = mount_options(mount)
        if options.get("type") == "cache":
            targets.append(
                options.get("target") or options.get("dst") or options.get("destination", "")
            )
    return tuple(targets)


def position(
    source: DockerfileSource, instruction: Instruction, pattern: str
) -> tuple[int, int] | None:
    """(line, column) of the first match of regex `pattern` within the instruction's lines."""
    regex = re.compile(pattern)
    lines = source.dockerfile.lines
    for number in range(instruction.line, min(instruction.end_line, len(lines)) + 1):
        match = regex.search(lines[number - 1])
        if match:
            return number, match.start() + 1
    return None


def at(source: DockerfileSource, instruction: Instruction, pattern: str | None = None) -> Location:
    """The location of `pattern` in the instruction, or of the instruction itself."""
    found = position(source, instruction, pattern) if pattern else None
    if found is None:
        return source.location(instruction.line)
    return source.location(*found)


def related(source: DockerfileSource, instruction: Instruction, message: str) -> Related:
    return Related(source.location(instruction.line), message)


@dataclass(frozen=True)
class Placed:
    """An instruction in a stage's lineage, with the stage it is in and the WORKDIR in force."""

    stage: Stage
    instruction: Instruction
    workdir: str


def walk(lineage: tuple[Stage, ...]) -> Iterator[Placed]:
    """Every instruction of the stages in `lineage`, in build order, tracking WORKDIR."""
    workdir = "/"
    for stage in lineage:
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = container_path(workdir, instruction.args[0])
            yield Placed(stage, instruction, workdir)


def container_path(workdir: str, path: str) -> str:
    """`path` made absolute against `workdir`, normalised like the builder does."""
    path = path.strip().strip('"')
    joined = path if path.startswith("/") else posixpath.join(workdir, path)
    return posixpath.normpath(joined) if joined != "/" else "/"


def copy_destination(placed: Placed) -> str | None:
    """Where a COPY/ADD puts its files, as an absolute container path; None if variable."""
    instruction = placed.instruction
    if instruction.keyword not in ("COPY", "ADD") or not instruction.args:
        return None
    destination = instruction.args[-1]
    if "$" in destination:
        return None
    return container_path(placed.workdir, destination)


def shipped_lineages(source: DockerfileSource) -> Iterator[tuple[Stage, tuple[Stage, ...]]]:
    """(shipped stage, its lineage) for each stage that becomes an image."""
    for stage in source.shipped_stages():
        yield stage, source.dockerfile.lineage(stage)


def built_instructions(source: DockerfileSource) -> Iterator[tuple[Stage, Instruction]]:
    """Every instruction of every stage that gets built, each once."""
    for stage in source.built_stages():
        for instruction in stage.instructions:
            yield stage, instruction


def in_stage(stage: Stage, source: DockerfileSource) -> str:
    """' in stage "builder"' for multi-stage files, '' for single-stage ones."""
    return f' in stage "{stage.label}"' if source.is_multi_stage() else ""


def shipped_name(stage: Stage, source: DockerfileSource) -> str:
    """'the shipped stage "runtime"' for multi-stage files, 'the image' for single-stage ones."""
    return f'the shipped stage "{stage.label}"' if source.is_multi_stage() else "the image"


def ships(stage: Stage, source: DockerfileSource, path: str = "/") -> bool:
    """Whether what `stage` leaves at container `path` ends up in an image: the stage is
    shipped or a shipped stage's FROM, or a shipped stage copies `path` (or a folder holding
    it, such as `COPY --from=build / /`) out of it."""
    for _, lineage in shipped_lineages(source):
        if stage in lineage:
            return True
        for placed in walk(lineage):
            if _copies_out(placed.instruction, stage, source, path):
                return True
    return False


def _copies_out(
    instruction: Instruction, stage: Stage, source: DockerfileSource, path: str
) -> bool:
    origin = instruction.flag("from") if instruction.keyword in ("COPY", "ADD") else None
    if origin is None or source.dockerfile.stage(origin) != stage:
        return False
    for raw in instruction.args[:-1]:
        copied = container_path("/", raw).rstrip("/") or "/"
        if copied == "/" or path == copied or path.startswith(copied + "/"):
            return True
    return False
