"""Layer rules: files a later layer rewrites or deletes are still stored by the layer
that added them, because image layers only ever add."""

from __future__ import annotations

from collections.abc import Iterator

from pitstop.model import Area, Severity
from pitstop.parsers.shell import SimpleCommand
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import (
    Placed,
    at,
    commands,
    container_path,
    copy_destination,
    in_stage,
    overlaps,
    related,
    shipped_lineages,
    walk,
)


def _recursive_targets(command: SimpleCommand) -> list[str]:
    if command.program not in ("chown", "chmod", "chgrp"):
        return []
    if not any(
        w in ("-R", "--recursive")
        or (w.startswith("-") and "R" in w[1:] and not w.startswith("--"))
        for w in command.words[1:]
    ):
        return []
    operands = command.operands()
    return [p for p in operands[1:] if "$" not in p]


def _removed_paths(command: SimpleCommand) -> list[str]:
    if command.program != "rm":
        return []
    return [p.rstrip("*").rstrip("/") or "/" for p in command.operands() if "$" not in p]


def _copies(history: list[tuple[Placed, str]], path: str) -> list[tuple[Placed, str]]:
    return [(placed, dest) for placed, dest in history if overlaps(dest, path)]


def _layer_history(lineage: tuple) -> Iterator[tuple[Placed, list[tuple[Placed, str]]]]:  # type: ignore[type-arg]
    """Each RUN with the COPY/ADD destinations written before it in the lineage."""
    history: list[tuple[Placed, str]] = []
    for placed in walk(lineage):
        destination = copy_destination(placed)
        if destination is not None:
            history.append((placed, destination))
        elif placed.instruction.keyword == "RUN":
            yield placed, list(history)


def check_recursive_chown(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    seen: set[int] = set()
    for _, lineage in shipped_lineages(source):
        for placed, history in _layer_history(lineage):
            for command in commands(placed.instruction):
                for target in _recursive_targets(command):
                    path = container_path(placed.workdir, target)
                    copied = _copies(history, path)
                    if copied and placed.instruction.line not in seen:
                        seen.add(placed.instruction.line)
                        yield _chown_hit(source, placed, command, path, copied)


def _chown_hit(
    source: DockerfileSource,
    placed: Placed,
    command: SimpleCommand,
    path: str,
    copied: list[tuple[Placed, str]],
) -> Hit:
    lines = ", ".join(str(p.instruction.line) for p, _ in copied)
    flag = "--chown" if command.program in ("chown", "chgrp") else "--chmod"
    return Hit(
        at(source, placed.instruction, rf"\b{command.program}\b"),
        f"`{' '.join(command.words)}`{in_stage(placed.stage, source)} rewrites files that "
        f"line(s) {lines} copied in, so this layer stores every one of them a second time. "
        f"Set ownership as they are copied (`COPY {flag}=...`) and drop the recursive "
        f"{command.program}.",
        related=tuple(related(source, p.instruction, f"copies into {dest}") for p, dest in copied),
    )


def check_deleted_later(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    seen: set[int] = set()
    for _, lineage in shipped_lineages(source):
        for placed, history in _layer_history(lineage):
            for command in commands(placed.instruction):
                for removed in _removed_paths(command):
                    path = container_path(placed.workdir, removed)
                    copied = [
                        (p, d)
                        for p, d in history
                        if d == path or d.startswith(path.rstrip("/") + "/")
                    ]
                    if copied and placed.instruction.line not in seen:
                        seen.add(placed.instruction.line)
                        yield _deleted_hit(source, placed, path, copied)


def _deleted_hit(
    source: DockerfileSource, placed: Placed, path: str, copied: list[tuple[Placed, str]]
) -> Hit:
    first = copied[0][0].instruction
    origin = first.flag("from")
    mount = (
        f"type=bind,from={origin},source=...,target={path}"
        if origin
        else f"type=bind,source=...,target={path}"
    )
    return Hit(
        at(source, placed.instruction, r"\brm\b"),
        f"`rm {path}` deletes files that line {first.line} added in an earlier layer: they are "
        "hidden, not removed, and still ship in that layer. Mount them for the one RUN that needs "
        f"them instead of copying (`RUN --mount={mount} ...`), or add and delete them in the "
        "same RUN.",
        related=tuple(related(source, p.instruction, f"adds {dest}") for p, dest in copied),
    )


RULES = (
    Rule(
        "PS110",
        "recursive-chown-after-copy",
        "Recursive chown/chmod duplicates copied files",
        Severity.WARNING,
        Area.DOCKERFILE,
        "A layer stores every file whose content or metadata changed. `RUN chown -R` or "
        "`chmod -R` over files an earlier COPY added writes each of them again, doubling their "
        "size in the image. `COPY --chown=user:group` and `COPY --chmod=...` set ownership and "
        "mode as the files are written, at no cost.",
        check_dockerfile=check_recursive_chown,
    ),
    Rule(
        "PS111",
        "deleted-in-later-layer",
        "Files deleted in a later layer still ship",
        Severity.WARNING,
        Area.DOCKERFILE,
        "Deleting a file in a later layer only hides it: the layer that added it is still pulled "
        "in full. Wheels or archives copied in to be installed and then removed are the usual "
        "case. A `RUN --mount=type=bind` (or `from=` another stage) makes them available to one "
        "RUN without storing them, or they can be added and removed in the same RUN.",
        check_dockerfile=check_deleted_later,
    ),
)
