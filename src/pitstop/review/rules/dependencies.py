"""Dependency rules: local path dependencies checked against what the image will hold.

A dependency file matters to a build when the Dockerfile copies it from the build
context; its path dependencies must then exist inside the image when the installer runs:
never an absolute path from a laptop, never a path outside the context, and always
copied in before the install step.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pitstop.model import Area, Fix, Location, Related, Severity
from pitstop.parsers.dependencies import PathDependency
from pitstop.review.project import (
    Build,
    CopySource,
    DependencyFile,
    DockerfileSource,
    Project,
    in_requirements_folder,
)
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import commands
from pitstop.review.rules.context_paths import build_related, context_label


@dataclass(frozen=True)
class Use:
    """A dependency file that a build copies into its image, and the copy that does it."""

    file: DependencyFile
    source: DockerfileSource
    build: Build
    copy: CopySource


def covers(copied: str, path: str) -> bool:
    """Whether a COPY of repository path `copied` brings `path` along."""
    return copied in (".", path) or path.startswith(copied.rstrip("/") + "/")


def uses(project: Project) -> Iterator[Use]:
    """Each (dependency file with path dependencies, build that copies it)."""
    for file in project.dependency_files:
        if not file.dependencies:
            continue
        for source in project.dockerfiles:
            for copy in source.copies:
                if covers(copy.in_repository, file.path):
                    yield Use(file, source, copy.build, copy)


def target_in_repository(file: DependencyFile, dependency: PathDependency) -> str | None:
    """The repository path a relative path dependency names; None when it names none, or
    when where it leads is not known (below)."""
    if dependency.path is None or dependency.absolute:
        return None
    if dependency.kind.startswith("requirements-") and _working_directory_unknown(file):
        return None
    folder = posixpath.dirname(file.path)
    return posixpath.normpath(posixpath.join(folder or ".", dependency.path))


def _working_directory_unknown(file: DependencyFile) -> bool:
    """Whether where pip resolves `file`'s relative paths is unknown. pip resolves them
    against the directory it runs in, not the file's folder (pypa/pip#8765). Beside the
    project, both are taken to be the folder the file is copied with; a `requirements/`
    folder is read from the project above it (`pip install -r requirements/prod.txt`), an
    assumption pitstop does not make: where its relative paths lead is not judged, and no
    fix rewrites them."""
    return in_requirements_folder(file.path)


def inside(context: str, path: str) -> bool:
    return not path.startswith("..") and covers(context or ".", path)


def suffix_in_repository(project: Project, absolute: str) -> str | None:
    """The longest tail of an absolute path that names a folder of this repository."""
    parts = [p for p in absolute.replace("\\", "/").split("/") if p and not p.endswith(":")]
    folders = project.folders()
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in folders:
            return candidate
    return None


def _grouped(
    project: Project, select: str
) -> Iterator[tuple[DependencyFile, list[PathDependency], list[Use]]]:
    """Per dependency file: its dependencies with problem `select`, and the builds using it."""
    by_file: dict[str, list[Use]] = {}
    for use in uses(project):
        by_file.setdefault(use.file.path, []).append(use)
    for path in sorted(by_file):
        file_uses = by_file[path]
        file = file_uses[0].file
        chosen = [d for d in file.dependencies if _problem(d, file, file_uses) == select]
        if chosen:
            yield file, chosen, file_uses


def _problem(dependency: PathDependency, file: DependencyFile, file_uses: list[Use]) -> str | None:
    if dependency.malformed:
        return "malformed"
    if dependency.absolute:
        return "absolute"
    target = target_in_repository(file, dependency)
    if target is None:
        return None
    if dependency.kind.startswith("uv-") and not any(_runs_uv(use) for use in file_uses):
        return None  # pip, Poetry and PDM never read `[tool.uv]`: only uv installs these
    if any(not inside(use.build.context, target) for use in file_uses):
        return "outside"
    if any(not _copied_before_install(use, target) for use in file_uses):
        return "not-copied"
    return None


def _runs_uv(use: Use) -> bool:
    """Whether a stage built for this use runs uv (`uv pip install`, `uv sync`...)."""
    return any(
        command.program in ("uv", "uvx")
        for stage in use.source.built_stages()
        for instruction in stage.of("RUN")
        for command in commands(instruction)
    )


def _copied_before_install(use: Use, target: str) -> bool:
    line = use.copy.instruction.line
    installs = [i.line for i in use.copy.stage.of("RUN") if i.line > line]
    deadline = installs[0] if installs else 10**9
    return any(
        c.instruction.line < deadline and covers(c.in_repository, target)
        for c in use.source.copies
        if c.build == use.build and c.stage == use.copy.stage
    )


def _related(
    file: DependencyFile, chosen: list[PathDependency], file_uses: list[Use]
) -> tuple[Related, ...]:
    related = [
        Related(Location(file.path, d.line, d.column), f"also `{d.raw}`") for d in chosen[1:]
    ]
    seen: set[Location] = set()
    for use in file_uses:
        for item in build_related(use.build):
            if item.location not in seen:
                seen.add(item.location)
                related.append(item)
        copy_at = Location(use.source.path, use.copy.instruction.line)
        if copy_at not in seen:
            seen.add(copy_at)
            related.append(Related(copy_at, f"copies {file.path} into the image"))
    return tuple(sorted(related, key=lambda r: (r.location.path != file.path, r.location)))


def _contexts(file_uses: list[Use]) -> str:
    return ", ".join(sorted({context_label(u.build) for u in file_uses}))


def _names(chosen: list[PathDependency]) -> str:
    names = sorted({d.name or d.raw for d in chosen})
    return ", ".join(names)


def _count(chosen: list[PathDependency]) -> str:
    distinct = len({d.name or d.raw for d in chosen})
    noun, verb = ("path dependency", "is") if distinct == 1 else ("path dependencies", "are")
    twice = f" (declared {len(chosen)} times)" if len(chosen) > distinct else ""
    return f"{distinct} {noun}{twice} {verb}"


def _fix(
    project: Project, file: DependencyFile, chosen: list[PathDependency], file_uses: list[Use]
) -> Fix | None:
    """Relocate the build when every use is one Dockerfile and every path names a folder here."""
    from pitstop.review.relocate import relocation_fix

    sources = {u.source.path for u in file_uses}
    if len(sources) != 1 or _working_directory_unknown(file):
        return None
    targets: dict[PathDependency, str] = {}
    for dependency in [d for d in file.dependencies if d.path and not d.malformed]:
        target = target_in_repository(file, dependency)
        if dependency.absolute:
            target = suffix_in_repository(project, dependency.path or "")
        if target is None:
            return None
        targets[dependency] = target
    if not targets or not all(d in targets for d in chosen):
        return None
    builds = list(dict.fromkeys(u.build for u in file_uses))
    return relocation_fix(project, file, targets, file_uses[0].source, builds)


def check_absolute(project: Project) -> Iterator[Hit]:
    for file, chosen, file_uses in _grouped(project, "absolute"):
        first = chosen[0]
        tails = sorted(
            {t for d in chosen if d.path and (t := suffix_in_repository(project, d.path))}
        )
        where = (
            f" They name {', '.join(tails)} of this repository, outside the build context "
            f"{_contexts(file_uses)}: build from a context that holds both, copy the packages "
            "in before the install, and make the paths relative."
            if tails and not all(inside(u.build.context, t) for u in file_uses for t in tails)
            else " Make them relative to the project (or publish the packages)."
        )
        yield Hit(
            Location(file.path, first.line, first.column),
            f"{_count(chosen)} absolute "
            f"paths from a developer's machine (`{first.path}`; {_names(chosen)}): they exist "
            f"only there, so the image build from {_contexts(file_uses)} fails to install "
            f"them.{where}",
            related=_related(file, chosen, file_uses),
            fix=_fix(project, file, chosen, file_uses),
            imports=_modules(project, tails),
            builds=_context_builds(file_uses),
        )


def _modules(project: Project, folders: Iterable[str]) -> tuple[str, ...]:
    """The top-level import packages inside `folders` (flat or src layout), from the files."""
    found = set()
    for folder in folders:
        for base in (f"{folder}/src/", f"{folder}/"):
            for path in project.files:
                parts = path[len(base) :].split("/") if path.startswith(base) else []
                if len(parts) == 2 and parts[1] == "__init__.py" and parts[0] != "tests":
                    found.add(parts[0])
    return tuple(sorted(found))


Describe = Callable[[PathDependency, list[PathDependency], list[Use]], str]


def _hits(
    project: Project, problem: str, describe: Describe, fixable: bool = True
) -> Iterator[Hit]:
    """One hit per dependency file with `problem`, at its first such dependency."""
    for file, chosen, file_uses in _grouped(project, problem):
        first = chosen[0]
        yield Hit(
            Location(file.path, first.line, first.column),
            describe(first, chosen, file_uses),
            related=_related(file, chosen, file_uses),
            fix=_fix(project, file, chosen, file_uses) if fixable else None,
            imports=_modules(project, {t for d in chosen if (t := target_in_repository(file, d))}),
            builds=_context_builds(file_uses),
        )


def _context_builds(file_uses: list[Use]) -> tuple[Build, ...]:
    """The builds the claim depends on: which file a COPY brings in depends on the context."""
    return tuple(dict.fromkeys(use.build for use in file_uses))


def check_outside(project: Project) -> Iterator[Hit]:
    yield from _hits(
        project,
        "outside",
        lambda first, chosen, uses: (
            f"{_names(chosen)}: `{first.raw}` resolves outside the build context "
            f"{_contexts(uses)}, which Docker never sends: the install in the image fails. "
            "Build from a context that holds the project and its path dependencies."
        ),
    )


def check_not_copied(project: Project) -> Iterator[Hit]:
    yield from _hits(
        project,
        "not-copied",
        lambda first, chosen, uses: (
            f"{_names(chosen)}: `{first.raw}` is inside the build context but the Dockerfile "
            "does not copy it into the image before the step that installs the project, so the "
            "install cannot find it. COPY it before that step."
        ),
    )


def check_malformed(project: Project) -> Iterator[Hit]:
    yield from _hits(
        project,
        "malformed",
        lambda first, chosen, uses: (
            f"{first.malformed} ({_names(chosen)}). Use a path relative to the project instead."
        ),
        fixable=False,
    )


RULES = (
    Rule(
        "PS301",
        "absolute-path-dependency",
        "Path dependency on an absolute path from a developer's machine",
        Severity.BLOCKING,
        Area.DEPENDENCIES,
        '`name @ file:///Users/...` or `{ path = "/home/..." }` works on the laptop it was '
        "written on and nowhere else: not on a colleague's machine, not in CI, not in a Docker "
        "build. Relative paths (Poetry, uv, `./path` in requirements) inside the build context "
        "make the same dependency portable.",
        check_project=check_absolute,
    ),
    Rule(
        "PS302",
        "path-dependency-outside-context",
        "Path dependency outside the build context",
        Severity.BLOCKING,
        Area.DEPENDENCIES,
        "A relative path dependency such as `../packages/core` resolves outside a build "
        "context of `backend/`. Docker sends only the context, so the installer in the image "
        "cannot find the package. Widen the context to the folder that holds both.",
        check_project=check_outside,
    ),
    Rule(
        "PS303",
        "path-dependency-not-copied",
        "Path dependency not copied before the install",
        Severity.BLOCKING,
        Area.DEPENDENCIES,
        "A path dependency inside the context still has to be copied into the image before "
        "the step that installs the project; otherwise the installer fails to find it.",
        check_project=check_not_copied,
    ),
    Rule(
        "PS304",
        "malformed-file-url",
        "file: URL that does not mean what it says",
        Severity.BLOCKING,
        Area.DEPENDENCIES,
        "`file:///../packages/x` looks relative but is an absolute URL: its path is "
        "`/../packages/x`, which is `/packages/x`. `file://../x` makes `..` a host name. Neither "
        "points next to the project.",
        check_project=check_malformed,
    ),
)
