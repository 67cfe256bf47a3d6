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
  docker/buildx#1028, unless a `docker/bake-action` step of a workflow reads the file from
  its `workdir` and local `source` folder), `dockerfile` to the context.

Some builds have no base pitstop can know, and their paths are left unresolved (None), so no
rule claims they are missing:
- a compose override file (`*override*`, or a file other than `compose.yaml` /
  `docker-compose.yml` whose service `build` names no context): Compose resolves an
  override's relative paths against the project directory of the first `-f` file, and a
  partial service is merged with the base file's (compose-spec, "Merge and override").
  `compose.override.yaml` beside a main file is read with it by default, so its folder is
  the project directory;
- compose and bake files under a `docs/` or `doc/` folder: examples meant to be copied
  next to the reader's own Dockerfile;
- builds in a reusable workflow (`on: workflow_call` only) that no workflow of this
  repository calls, when its checkout names no `repository:`: the workspace then holds the
  caller's repository, not this one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from pitstop.errors import PitstopError
from pitstop.model import InputProblem, Location
from pitstop.parsers.build_declarations import (
    BuildDeclaration,
    action_list,
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
    workflows = list(workflows)
    called_here = {path for w in workflows for path in _local_calls(w)}
    for workflow in workflows:
        if _builds_the_callers_repository(workflow, called_here):
            builds += [DeclaredBuild(d, None, None) for d in workflow_builds(workflow)]
        else:
            builds += [resolve(d) for d in workflow_builds(workflow)]
    files = list(files)
    bake_folders = _bake_action_folders(workflows)
    main_compose_folders = {
        str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name in _MAIN_COMPOSE_FILES
    }
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
        beside_main = str(PurePosixPath(path).parent) in main_compose_folders
        builds += [
            resolve(d, bake_folders.get(path, "."), beside_main_compose=beside_main)
            for d in declarations
        ]
    return builds, problems, read_files


def resolve(
    declaration: BuildDeclaration, bake_folder: str = ".", beside_main_compose: bool = False
) -> DeclaredBuild:
    """`declaration`'s paths against the repository root; a bake file's against
    `bake_folder`, the folder bake runs in. `beside_main_compose`: a compose file sits in
    the same folder as a `compose.yaml` or `docker-compose.yml`."""
    if _base_unknown(declaration, beside_main_compose):
        return DeclaredBuild(declaration, None, None)
    base = bake_folder if declaration.kind == "bake" else _base_folder(declaration)
    context = _join(base, declaration.context if declaration.context is not None else ".")
    if declaration.dockerfile is None:
        dockerfile = _join(context, "Dockerfile") if context is not None else None
    elif declaration.kind in ("compose", "bake"):
        dockerfile = _join(context, declaration.dockerfile) if context is not None else None
    else:
        dockerfile = _join(base, declaration.dockerfile)
    return DeclaredBuild(declaration, context, dockerfile)


_MAIN_COMPOSE_FILES = frozenset(
    {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}
)
_DOCUMENTATION_FOLDERS = frozenset({"docs", "doc"})


_DEFAULT_OVERRIDE_FILES = frozenset(
    {
        "compose.override.yaml",
        "compose.override.yml",
        "docker-compose.override.yaml",
        "docker-compose.override.yml",
    }
)


def _base_unknown(declaration: BuildDeclaration, beside_main_compose: bool = False) -> bool:
    """Whether the folder this build's paths are relative to cannot be known from the
    repository (see the module docstring). Compose reads `compose.override.yaml` (and its
    other spellings) with the main file beside it when no `-f` is given, so that project
    directory is the override's own folder."""
    path = PurePosixPath(declaration.source)
    if declaration.kind not in ("compose", "bake"):
        return False
    if _DOCUMENTATION_FOLDERS & set(path.parts[:-1]):
        return True
    if declaration.kind != "compose":
        return False
    if path.name not in _MAIN_COMPOSE_FILES and declaration.context is None:
        return True  # a partial service, merged with the base file's
    default_override = beside_main_compose and path.name in _DEFAULT_OVERRIDE_FILES
    return "override" in path.name and not default_override


def _local_calls(workflow: Workflow) -> set[str]:
    """The reusable workflows of this repository that `workflow` calls (`uses: ./...`)."""
    return {
        posixpath.normpath(job.uses.partition("@")[0].removeprefix("./"))
        for job in workflow.jobs
        if job.uses and job.uses.startswith("./")
    }


def _builds_the_callers_repository(workflow: Workflow, called_here: set[str]) -> bool:
    """A reusable workflow no workflow of this repository calls, whose checkouts name no
    repository: `actions/checkout` (and build-push-action's git context) then fetch the
    caller's repository, so its build paths say nothing about this one."""
    events = {trigger.event for trigger in workflow.triggers}
    if events != {"workflow_call"} or workflow.path in called_here:
        return False
    return not any(
        step.action == "actions/checkout" and step.input("repository")
        for job in workflow.jobs
        for step in job.steps
    )


BAKE_ACTION = "docker/bake-action"
_DEFAULT_BAKE_FILES = (
    "docker-bake.json",
    "docker-bake.hcl",
    "docker-bake.override.json",
    "docker-bake.override.hcl",
)


def _bake_action_folders(workflows: Iterable[Workflow]) -> dict[str, str]:
    """Bake file -> the folder bake runs in, for the bake files `docker/bake-action` steps
    read from a local folder: `workdir` joined with a local `source` (`.`, `./docker`).
    The files are the `files` input's, else bake's default names, in that folder."""
    folders: dict[str, str] = {}
    for workflow in workflows:
        for job in workflow.jobs:
            for step in job.steps:
                if step.action != BAKE_ACTION:
                    continue
                folder = _bake_folder(step.input("workdir"), step.input("source"))
                if folder is None:
                    continue
                names = action_list(step.input("files")) or _DEFAULT_BAKE_FILES
                for name in names:
                    file = _join(folder or ".", name.removeprefix("cwd://"))
                    if file:
                        folders.setdefault(file, folder or ".")
    return folders


def _bake_folder(workdir: str | None, source: str | None) -> str | None:
    """The folder bake runs in; None for a remote (git) source, whose files pitstop has not."""
    source = (source or ".").strip()
    if "://" in source or source.startswith("git@") or "${{" in source:
        return None
    base = _join(".", (workdir or ".").strip())
    return _join(base, source) if base is not None else None


def _base_folder(declaration: BuildDeclaration) -> str:
    if declaration.kind == "compose":
        return str(PurePosixPath(declaration.source).parent)
    if declaration.kind == "workflow-run" and declaration.working_directory:
        return declaration.working_directory
    return "."


def _join(base: str | None, path: str) -> str | None:
    """`path` against `base`, normalised and relative to the root ("" is the root itself);
    None for expressions and variables (`${{ }}`, `${VAR}`, a shell's `$VAR`: values pitstop
    does not know), URLs and paths that leave the repository."""
    if base is None or "$" in path or "://" in path or path.startswith("git@"):
        return None
    joined = posixpath.normpath(posixpath.join(base, path))
    if joined.startswith("/") or joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined
