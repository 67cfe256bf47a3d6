"""Where each Dockerfile is built from: the builds declared in GitHub workflows, compose
files and bake files, resolved to folders and files of the repository.

Path rules, as each tool applies them:
- docker/build-push-action: `context` and `file` are relative to the workspace (the
  repository root); no `context` means the git context, the repository at the ref: the root.
  `file` defaults to `<context>/Dockerfile`.
- `docker build [-f FILE] CONTEXT` in a run step: both relative to the step's
  working-directory (default: the root).
- compose: `build.context` is relative to the compose file's folder, `dockerfile` to the
  context.
- bake: `context` is relative to where `docker buildx bake` runs (taken as the root, see
  docker/buildx#1028), `dockerfile` to the context.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from pitstop.errors import PitstopError
from pitstop.model import InputProblem, Location
from pitstop.parsers.builds import (
    BuildDeclaration,
    parse_bake_builds,
    parse_compose_builds,
    workflow_builds,
)
from pitstop.parsers.workflow import Workflow

Parser = Callable[[str, str], list[BuildDeclaration]]


@dataclass(frozen=True)
class DeclaredBuild:
    """A build as declared, with its paths resolved relative to the repository root
    (`None` when they hold an expression pitstop cannot evaluate, like `${{ env.X }}`)."""

    declaration: BuildDeclaration
    context: str | None
    dockerfile: str | None

    @property
    def location(self) -> Location:
        return Location(self.declaration.source, self.declaration.line)

    @property
    def context_location(self) -> Location:
        line = self.declaration.context_line or self.declaration.line
        return Location(self.declaration.source, line)

    @property
    def dockerfile_location(self) -> Location:
        line = self.declaration.dockerfile_line or self.declaration.line
        return Location(self.declaration.source, line)


def build_file_parser(path: str) -> Parser | None:
    """The parser for a compose or bake file, by its path (workflows are parsed once, into
    `Workflow`, and their builds read from that model)."""
    name = PurePosixPath(path).name
    if name.startswith(("docker-compose", "compose")) and name.endswith((".yml", ".yaml")):
        return parse_compose_builds
    if name.startswith("docker-bake") and name.endswith((".hcl", ".json")):
        return parse_bake_builds
    return None


def declared_builds(
    files: Iterable[str], read: Callable[[str], str], workflows: Iterable[Workflow] = ()
) -> tuple[list[DeclaredBuild], list[InputProblem], list[str]]:
    """Every build declared in `workflows` and in the compose and bake files among `files`,
    the compose and bake files that could not be read, and those that were."""
    builds: list[DeclaredBuild] = []
    problems: list[InputProblem] = []
    read_files: list[str] = []
    for workflow in workflows:
        builds += [resolve(d) for d in workflow_builds(workflow)]
    for path in files:
        parser = build_file_parser(path)
        if parser is None:
            continue
        try:
            text = read(path)
            declarations = parser(text, path)
        except PitstopError as error:
            problems.append(InputProblem(error.path or path, error.message, error.line))
            continue
        read_files.append(path)
        builds += [resolve(d) for d in declarations]
    return builds, problems, read_files


def resolve(declaration: BuildDeclaration) -> DeclaredBuild:
    base = _base_folder(declaration)
    context = _join(base, declaration.context if declaration.context is not None else ".")
    if declaration.dockerfile is None:
        dockerfile = _join(context, "Dockerfile") if context is not None else None
    elif declaration.kind in ("compose", "bake"):
        dockerfile = _join(context, declaration.dockerfile) if context is not None else None
    else:
        dockerfile = _join(base, declaration.dockerfile)
    return DeclaredBuild(declaration, context, dockerfile)


def _base_folder(declaration: BuildDeclaration) -> str:
    if declaration.kind == "compose":
        return str(PurePosixPath(declaration.source).parent)
    if declaration.kind == "workflow-run" and declaration.working_directory:
        return declaration.working_directory
    return "."


def _join(base: str | None, path: str) -> str | None:
    """`path` against `base`, normalised and relative to the root ("" is the root itself);
    None for expressions, URLs and paths that leave the repository."""
    if base is None or "${" in path or "://" in path or path.startswith("git@"):
        return None
    joined = posixpath.normpath(posixpath.join(base, path))
    if joined.startswith("/") or joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined
