"""Layer rules: files a later layer rewrites or deletes are still stored by the layer
that added them, because image layers only ever add."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.model import Area, Severity
from pitstop.parsers.dockerfile import RunCommand, Stage
from pitstop.parsers.shell import SimpleCommand
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import (
    Placed,
    command_at,
    container_path,
    copy_destination,
    in_stage,
    related,
    shipped_lineages,
    walk,
)

_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class _Chown:
    """A recursive chown/chmod/chgrp: the paths it rewrites and, for chown, the owner it
    sets and the `--from` owner it is limited to."""

    targets: tuple[str, ...]
    owner: str | None
    only_from: str | None


def _option_values(words: tuple[str, ...], *takes_value: str) -> tuple[dict[str, str], list[str]]:
    """Long options given as `--opt=value` or `--opt value`, and the remaining words."""
    values: dict[str, str] = {}
    rest: list[str] = []
    pending: str | None = None
    for word in words:
        if pending is not None:
            values[pending], pending = word, None
        elif word.split("=", 1)[0] in takes_value:
            name, sep, value = word.partition("=")
            if sep:
                values[name] = value
            else:
                pending = name
        else:
            rest.append(word)
    return values, rest


def _recursive(words: list[str]) -> bool:
    return any(
        w in ("-R", "--recursive") or (w.startswith("-") and not w.startswith("--") and "R" in w)
        for w in words
    )


def _recursive_change(command: SimpleCommand) -> _Chown | None:
    if command.program not in ("chown", "chmod", "chgrp"):
        return None
    values, words = _option_values(command.words[1:], "--from", "--reference")
    if not _recursive(words):
        return None
    operands = [w for w in words if not w.startswith("-")]
    owner = None
    if "--reference" not in values and operands:
        setting, operands = operands[0], operands[1:]  # the owner or mode comes first
        owner = {"chown": setting, "chgrp": f":{setting}"}.get(command.program)
    targets = tuple(p for p in operands if "$" not in p)
    return _Chown(targets, owner, values.get("--from"))


def _id(name: str) -> str:
    return "0" if name in ("root", "0") else name


def _same_id(a: str, b: str) -> bool | None:
    """Whether two user (or group) names or ids are the same; None when a name and a
    number that is not root are compared (only the image's /etc/passwd could tell)."""
    a, b = _id(a), _id(b)
    if a == b:
        return True
    if a.isdigit() == b.isdigit() or "0" in (a, b):
        return False
    return None


def _owner_matches(spec: str, owner: str) -> bool | None:
    """Whether files owned by `owner` (`user[:group]`) match chown's `--from=spec`."""
    if "$" in spec or "$" in owner:
        return None
    want_user, _, want_group = spec.partition(":")
    user, _, group = owner.partition(":")
    group = group or ("0" if _id(user) == "0" else "")
    checks = [_same_id(want_user, user)] if want_user else []
    if want_group:
        checks.append(_same_id(want_group, group) if group else None)
    if False in checks:
        return False
    return None if None in checks else True


@dataclass(frozen=True)
class _Copy:
    """A COPY/ADD in the lineage and the absolute container folder or file it writes to."""

    placed: Placed
    destination: str

    @property
    def owner(self) -> str:
        return self.placed.instruction.flag("chown") or "0:0"


def _contexts(source: DockerfileSource) -> tuple[str, ...]:
    return tuple(dict.fromkeys(b.context for b in source.builds)) or (source.folder,)


def _in_context(
    source: DockerfileSource, project: Project, relative: str
) -> tuple[bool, bool] | None:
    """(exists, is a folder) for a context path in every build's context, None if they differ
    or an ignore file leaves it out somewhere."""
    relative = posixpath.normpath(relative)
    answers = set()
    for context in _contexts(source):
        ignore = project.ignore_file_for(source.path, context)
        if ignore is not None and ignore.excludes(relative):
            return None
        in_repo = posixpath.normpath(posixpath.join(context or ".", relative))
        answers.add((project.tree.exists(in_repo), project.tree.is_dir(in_repo)))
    return answers.pop() if len(answers) == 1 else None


def _writes(copy: _Copy, path: str, source: DockerfileSource, project: Project) -> bool | None:
    """Whether the COPY certainly put files at or under container `path` (None: unknown)."""
    if copy.destination == path or copy.destination.startswith(path.rstrip("/") + "/"):
        return True
    if not path.startswith(copy.destination.rstrip("/") + "/"):
        return False
    instruction = copy.placed.instruction
    if instruction.heredocs or instruction.keyword == "ADD":
        return None  # ADD unpacks archives and fetches URLs: what lands is not in the file
    sources = instruction.args[:-1]
    into_folder = instruction.args[-1].endswith("/") or len(sources) > 1
    inside = path[len(copy.destination.rstrip("/")) + 1 :]
    answers = [_source_writes(s, inside, into_folder, copy, source, project) for s in sources]
    if True in answers:
        return True
    return None if None in answers else False


def _source_writes(
    raw: str,
    inside: str,
    into_folder: bool,
    copy: _Copy,
    source: DockerfileSource,
    project: Project,
) -> bool | None:
    """Whether one COPY source lands at `inside` (a path relative to the destination)."""
    if "$" in raw or _GLOB.search(raw):
        return None
    name = posixpath.basename(raw.rstrip("/"))
    as_file = name if into_folder else ""
    if copy.placed.instruction.flag("from") is not None:
        # another stage or image: a file lands under its name, a folder's content spreads
        return True if inside == as_file else None
    relative = posixpath.normpath(raw.lstrip("/") or ".")
    found = _in_context(source, project, relative)
    if found is None:
        return None
    exists, folder = found
    if not exists:
        return False
    if folder:
        inner = _in_context(source, project, posixpath.join(relative, inside))
        return None if inner is None else inner[0]
    return inside == as_file or (as_file == "" and inside == "")


def _layer_history(
    lineage: tuple[Stage, ...], source: DockerfileSource, project: Project
) -> Iterator[tuple[Placed, list[_Copy]]]:
    """Each RUN with the COPY/ADD destinations written before it in the lineage, less the
    copies whose every file an earlier RUN moved away or deleted (nothing of them is left
    where they landed for a later command to rewrite)."""
    history: list[_Copy] = []
    for placed in walk(lineage):
        destination = copy_destination(placed)
        if destination is not None:
            history.append(_Copy(placed, destination))
        elif placed.instruction.keyword == "RUN":
            yield placed, list(history)
            gone = _moved_or_removed(placed)
            history = [c for c in history if not _all_gone(c, gone, source, project)]


def _moved_or_removed(placed: Placed) -> list[str]:
    """Container paths a RUN deletes (`rm`) or moves away (`mv`'s sources)."""
    paths = []
    for run in placed.instruction.run_commands:
        command = run.command
        if command.program == "mv":
            paths += [p for p in command.operands()[:-1] if "$" not in p and not _GLOB.search(p)]
        else:
            paths += _removed_paths(command)
    return [container_path(placed.workdir, p) for p in paths]


def _all_gone(copy: _Copy, gone: list[str], source: DockerfileSource, project: Project) -> bool:
    landed = _landed(copy, source, project)
    return landed is not None and all(
        any(path == g or path.startswith(g.rstrip("/") + "/") for g in gone) for path in landed
    )


def _landed(copy: _Copy, source: DockerfileSource, project: Project) -> list[str] | None:
    """Where a COPY's sources landed: a file's own path, or the destination folder a source
    folder's content spread into; None when that cannot be known from the repository."""
    instruction = copy.placed.instruction
    if instruction.heredocs or instruction.keyword == "ADD" or instruction.flag("from"):
        return None
    sources = instruction.args[:-1]
    into_folder = instruction.args[-1].endswith("/") or len(sources) > 1
    landed = []
    for raw in sources:
        if "$" in raw or _GLOB.search(raw):
            return None
        found = _in_context(source, project, raw.lstrip("/") or ".")
        if found is None or not found[0]:
            return None
        name = posixpath.basename(raw.rstrip("/"))
        file_at = posixpath.join(copy.destination, name) if into_folder else copy.destination
        landed.append(copy.destination if found[1] else file_at)
    return landed


def _rewritten(
    change: _Chown, copy: _Copy, path: str, source: DockerfileSource, project: Project
) -> bool:
    """Whether the recursive change certainly rewrites files this COPY wrote under `path`."""
    if change.only_from is not None and _owner_matches(change.only_from, copy.owner) is not True:
        return False  # chown --from leaves files it does not match alone
    already = change.owner is not None and _owner_matches(change.owner, copy.owner) is True
    if change.only_from is None and already:
        return False  # COPY --chown already set this owner: nothing left to move
    return _writes(copy, path, source, project) is True


def check_recursive_chown(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    seen: set[tuple[int, int]] = set()
    for _, lineage in shipped_lineages(source):
        for placed, history in _layer_history(lineage, source, project):
            for run in placed.instruction.run_commands:
                change = _recursive_change(run.command)
                if change is None or (run.line, run.column) in seen:
                    continue
                for target in change.targets:
                    path = container_path(placed.workdir, target)
                    copied = [c for c in history if _rewritten(change, c, path, source, project)]
                    if copied:
                        seen.add((run.line, run.column))
                        yield _chown_hit(source, placed, run, copied)
                        break


def _chown_hit(
    source: DockerfileSource, placed: Placed, run: RunCommand, copied: list[_Copy]
) -> Hit:
    command = run.command
    lines = ", ".join(str(c.placed.instruction.line) for c in copied)
    flag = "--chown" if command.program in ("chown", "chgrp") else "--chmod"
    return Hit(
        command_at(source, run),
        f"`{' '.join(command.words)}`{in_stage(placed.stage, source)} rewrites files that "
        f"line(s) {lines} copied in, so this layer stores every one of them a second time. "
        f"Set ownership as they are copied (`COPY {flag}=...`) and drop the recursive "
        f"{command.program}.",
        related=tuple(
            related(source, c.placed.instruction, f"copies into {c.destination}") for c in copied
        ),
    )


def _removed_paths(command: SimpleCommand) -> list[str]:
    if command.program != "rm":
        return []
    return [p.rstrip("*").rstrip("/") or "/" for p in command.operands() if "$" not in p]


def check_deleted_later(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    seen: set[tuple[int, int]] = set()
    for _, lineage in shipped_lineages(source):
        for placed, history in _layer_history(lineage, source, project):
            for run in placed.instruction.run_commands:
                for removed in _removed_paths(run.command):
                    path = container_path(placed.workdir, removed)
                    copied = [c for c in history if _writes(c, path, source, project) is True]
                    if copied and (run.line, run.column) not in seen:
                        seen.add((run.line, run.column))
                        yield _deleted_hit(source, run, path, copied)


def _deleted_hit(source: DockerfileSource, run: RunCommand, path: str, copied: list[_Copy]) -> Hit:
    first = copied[0].placed.instruction
    origin = first.flag("from")
    mount = (
        f"type=bind,from={origin},source=...,target={path}"
        if origin
        else f"type=bind,source=...,target={path}"
    )
    return Hit(
        command_at(source, run),
        f"`rm {path}` deletes files that line {first.line} added in an earlier layer: they are "
        "hidden, not removed, and still ship in that layer. Mount them for the one RUN that needs "
        f"them instead of copying (`RUN --mount={mount} ...`), or add and delete them in the "
        "same RUN.",
        related=tuple(
            related(source, c.placed.instruction, f"adds {c.destination}") for c in copied
        ),
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
        "mode as the files are written, at no cost. Only files a COPY certainly put under the "
        "changed folder count: a `chown --from=owner` that does not match their owner, or a "
        "COPY that already set that owner, leaves them alone.",
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
        "RUN without storing them, or they can be added and removed in the same RUN. A file "
        "inside a copied folder counts when it is in that folder of the build context, or when "
        "it is the copied file itself (`COPY x.tar.gz /root/` then `rm /root/x.tar.gz`).",
        check_dockerfile=check_deleted_later,
    ),
)
