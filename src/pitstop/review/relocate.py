"""The fix for path dependencies a build cannot see: move the build context to the folder
that holds the project and its path dependencies, and make everything agree with it.

One Fix, edits across files:
- the workflow: `context:` becomes that folder, and `file:` names the Dockerfile;
- the Dockerfile: COPY sources are rewritten relative to the new context, and each path
  dependency is copied in before the step that installs it, at the container path its
  relative path points to (also in stages that install what that stage exported);
- the dependency file: absolute paths become relative ones; a PEP 508 `name @ file:///...`
  keeps only `name` when Poetry or uv declares the path (they install it from there);
- `<Dockerfile>.dockerignore` beside the Dockerfile (which takes precedence over the
  context's `.dockerignore`): send only the project folder and the packages, with the old
  ignore file's patterns (with what PS206 adds to it in the same run) moved under the
  project folder.
No fix is offered when any step cannot be done safely.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from pitstop.lines import text_lines
from pitstop.model import Fix, TextEdit
from pitstop.parsers.dependencies import PathDependency
from pitstop.parsers.dockerfile import Instruction, Stage
from pitstop.review.context_walk import ignore_file_candidates
from pitstop.review.project import Build, CopySource, DependencyFile, DockerfileSource, Project
from pitstop.review.rules.common import container_path, walk
from pitstop.review.rules.context_size import fixed_ignore_text

_TOOL_KINDS = ("poetry-path", "uv-source")


def common_folder(paths: list[str]) -> str:
    parts = [PurePosixPath(p).parts if p else () for p in paths]
    shared: list[str] = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1:
            break
        shared.append(group[0])
    return "/".join(shared)


def relocation_fix(
    project: Project,
    file: DependencyFile,
    targets: dict[PathDependency, str],
    source: DockerfileSource,
    builds: list[Build],
) -> Fix | None:
    """The edits that make `file`'s path dependencies (`targets`: repository paths) part of
    the `builds` of `source` (all with one context), or None when a step is not safe."""
    build = builds[0]
    if any(b.context != build.context or b.target != build.target for b in builds):
        return None
    new_context = common_folder([build.context, *targets.values()])
    edits: list[TextEdit] = []
    if new_context != build.context:
        for each in builds:
            workflow = _workflow_edits(project, source, each, new_context)
            if workflow is None:
                return None
            edits += workflow
        prefix = posixpath.relpath(build.context or ".", new_context or ".")
        edits += [
            e for c in source.copies if c.build == build for e in _prefixed(source, c, prefix)
        ]
        edits += _ignore_file(
            project, source, build, prefix, sorted(set(targets.values())), new_context
        )
    copies = _package_copies(source, build, file, targets, new_context)
    paths = _relative_paths(project, file, targets)
    if copies is None or paths is None:
        return None
    unique = list(dict.fromkeys(edits + copies + paths))
    where = new_context or "the repository root"
    return Fix(f"build {source.path} from {where} and copy its path dependencies in", tuple(unique))


def _workflow_edits(
    project: Project, source: DockerfileSource, build: Build, new: str
) -> list[TextEdit] | None:
    at = build.context_at
    if at is None or build.declared_at is None or not at.path.startswith(".github/workflows/"):
        return None
    lines = text_lines(project.tree.read_text(at.path))
    match = re.match(r"^(\s*)context:\s*(\S.*?)\s*$", lines[at.line - 1])
    if match is None:
        return None
    value_start = match.start(2) + 1
    edits = [
        TextEdit(
            at.path, at.line, value_start, at.line, match.end(2) + 1, f"./{new}" if new else "."
        )
    ]
    if build.dockerfile_at is None or build.dockerfile_at == build.declared_at:
        line = f"{match.group(1)}file: ./{source.path}\n"
        edits.append(TextEdit(at.path, at.line + 1, 1, at.line + 1, 1, line))
    return edits


def _prefixed(source: DockerfileSource, copy: CopySource, prefix: str) -> Iterator[TextEdit]:
    if prefix in ("", "."):
        return
    line_text = source.dockerfile.lines[copy.instruction.line - 1]
    for match in re.finditer(rf"(?<=\s){re.escape(copy.raw)}(?=\s|$)", line_text):
        new = posixpath.join(prefix, copy.cleaned) if copy.cleaned != "." else prefix
        new += "/" if copy.raw.endswith("/") and not new.endswith("/") else ""
        start = match.start() + 1
        yield TextEdit(
            source.path,
            copy.instruction.line,
            start,
            copy.instruction.line,
            start + len(copy.raw),
            new,
        )
        return


def _package_copies(
    source: DockerfileSource,
    build: Build,
    file: DependencyFile,
    targets: dict[PathDependency, str],
    new: str,
) -> list[TextEdit] | None:
    copy = next((c for c in source.copies if c.build == build and _covers(c, file.path)), None)
    if copy is None:
        return None
    folder_in_image = _container_folder(source, copy, file.path)
    lines = []
    for target in sorted(set(targets.values())):
        relative = posixpath.relpath(target, posixpath.dirname(file.path) or ".")
        in_context = posixpath.relpath(target, new or ".")
        lines.append(
            f"COPY {in_context} {posixpath.normpath(posixpath.join(folder_in_image, relative))}\n"
        )
    edits = []
    for stage in [copy.stage, *_consumers(source, copy.stage)]:
        run = _first_run_after(stage, copy.instruction.line if stage is copy.stage else 0)
        if run is None:
            return None
        # A run cut short may have written these lines already: never copy a package twice.
        missing = [c for c in lines if c.rstrip("\n") not in _stage_lines(source, stage)]
        line = _above_comments(source, run.line)
        if missing:
            edits.append(TextEdit(source.path, line, 1, line, 1, "".join(missing)))
    return edits


def _stage_lines(source: DockerfileSource, stage: Stage) -> set[str]:
    """The instruction lines of `stage`, as written."""
    return {source.dockerfile.lines[i.line - 1].strip() for i in stage.instructions}


def _above_comments(source: DockerfileSource, line: int) -> int:
    """The first line of the comment block right above `line` (or `line` itself)."""
    while line > 1 and source.dockerfile.lines[line - 2].lstrip().startswith("#"):
        line -= 1
    return line


def _covers(copy: CopySource, path: str) -> bool:
    where = copy.in_repository
    return where in (".", path) or path.startswith(where.rstrip("/") + "/")


def _container_folder(source: DockerfileSource, copy: CopySource, path: str) -> str:
    """The folder of the image that receives `path` through `copy`."""
    lineage = source.dockerfile.lineage(copy.stage)
    workdir = next(p.workdir for p in walk(lineage) if p.instruction is copy.instruction)
    destination = container_path(workdir, copy.instruction.args[-1])
    sources = copy.instruction.args[:-1]
    if len(sources) > 1 or copy.instruction.args[-1].endswith("/") or copy.in_repository != path:
        return destination
    return posixpath.dirname(destination)


def _consumers(source: DockerfileSource, producer: Stage) -> list[Stage]:
    """Stages that copy from `producer` (an exported requirements file names the packages)."""
    found = []
    for stage in source.built_stages():
        froms = [i.flag("from") for i in stage.of("COPY")]
        if any(f and source.dockerfile.stage(f) is producer for f in froms):
            found.append(stage)
    return found


def _first_run_after(stage: Stage, line: int) -> Instruction | None:
    if line == 0:
        copies = [i.line for i in stage.of("COPY") if i.flag("from")]
        line = copies[0] if copies else stage.line
    return next((i for i in stage.of("RUN") if i.line > line), None)


def _relative_paths(
    project: Project, file: DependencyFile, targets: dict[PathDependency, str]
) -> list[TextEdit] | None:
    lines = text_lines(project.tree.read_text(file.path))
    tool_sources = {d.name for d in file.dependencies if d.kind in _TOOL_KINDS}
    edits = []
    for dependency, target in targets.items():
        relative = posixpath.relpath(target, posixpath.dirname(file.path) or ".")
        if dependency.kind in _TOOL_KINDS:
            edits.append(_replace(file.path, dependency, relative))
        elif dependency.kind.startswith("requirements"):
            edits.append(
                _replace(
                    file.path, dependency, relative if relative.startswith(".") else f"./{relative}"
                )
            )
        elif dependency.kind == "pep508-file-url" and dependency.name in tool_sources:
            edit = _name_only(file.path, lines[dependency.line - 1], dependency)
            if edit is None:
                return None
            edits.append(edit)
        else:
            return None
    return edits


def _replace(path: str, dependency: PathDependency, text: str) -> TextEdit:
    end = dependency.column + len(dependency.raw)
    return TextEdit(path, dependency.line, dependency.column, dependency.line, end, text)


def _name_only(path: str, line: str, dependency: PathDependency) -> TextEdit | None:
    """`"name @ file:///x"` -> `"name"`: the tool's own table says where the path is."""
    before = line[: dependency.column - 1]
    match = re.search(r"(\s*@\s*)$", before)
    if match is None:
        return None
    start = match.start() + 1
    end = dependency.column + len(dependency.raw)
    return TextEdit(path, dependency.line, start, dependency.line, end, "")


def _ignore_file(
    project: Project,
    source: DockerfileSource,
    build: Build,
    prefix: str,
    targets: list[str],
    new: str,
) -> list[TextEdit]:
    """A `<Dockerfile>.dockerignore` that keeps the wider context as small as the old one."""
    target = f"{source.path}.dockerignore"
    if project.tree.exists(target):
        return []
    old = ignore_file_candidates(source.path, build.context)[1]
    lines = [
        "# Written by pitstop review --fix: this Dockerfile is now built from a wider context.",
        "# Send only the project and its path dependencies (Docker reads this file instead of",
        "# the context's .dockerignore when it sits beside the Dockerfile).",
        "*",
        f"!{prefix}",
        *(f"!{posixpath.relpath(t, new or '.')}" for t in targets),
    ]
    # The old file as this run's PS206 fix leaves it: its exclusions must reach the file
    # that is effective after the move, or they would be lost with the old file.
    text = fixed_ignore_text(project, source, build)
    if text is not None:
        lines.append(f"# From {old}, relative to the new context:")
        lines += list(_moved_patterns(text, prefix))
    return [TextEdit(target, 1, 1, 1, 1, "\n".join(lines) + "\n")]


def _moved_patterns(text: str, prefix: str) -> Iterator[str]:
    for raw in text_lines(text):
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        body = pattern[1:].strip() if negated else pattern
        yield ("!" if negated else "") + posixpath.join(prefix, body.lstrip("/"))
