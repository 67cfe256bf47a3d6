"""Read a repository into the Project model: its Dockerfiles, the builds that use them,
the dependency declarations their images install, and its GitHub Actions workflows. What
cannot be read or parsed becomes an InputProblem; the rest is still loaded."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pitstop.config import Config
from pitstop.errors import PitstopError
from pitstop.model import InputProblem, Location
from pitstop.parsers.dependencies import parse_requirements, pyproject_dependencies
from pitstop.parsers.dockerfile import parse_dockerfile
from pitstop.parsers.ignore import IgnoreFile, parse_ignore
from pitstop.parsers.tomlfile import TomlFile
from pitstop.parsers.workflow import Workflow, parse_workflow
from pitstop.review.build_resolution import DeclaredBuild, declared_builds
from pitstop.review.context_walk import ignore_file_candidates
from pitstop.review.discovery import find_dockerfiles, repository_files
from pitstop.review.project import (
    Build,
    DependencyFile,
    DockerfileSource,
    Project,
    Tree,
    in_requirements_folder,
)

_REQUIREMENTS = re.compile(
    r"(requirements|constraints)[\w.-]*\.(txt|in)"  # requirements.txt, requirements-dev.in
    r"|[\w.-]*[-_]requirements[\w.-]*\.txt"  # dev-requirements.txt, test_requirements.txt
)


@dataclass
class Loaded:
    project: Project
    problems: list[InputProblem] = field(default_factory=list)


def load_project(root: Path, config: Config, only: str | None = None) -> Loaded:
    """The project at `root`; with `only`, just that Dockerfile (and no builds)."""
    tree = Tree(root, config.decoded)
    problems: list[InputProblem] = []
    files = [only] if only else repository_files(root)
    workflows, workflow_problems = read_workflows(tree, [] if only else files)
    problems += workflow_problems
    declared, build_problems, build_files = declared_builds(
        files, lambda p: read_text(tree, p), workflows
    )
    problems += build_problems
    candidates = [only] if only else _dockerfiles(files, declared, config, tree)
    sources, parse_problems = read_dockerfiles(tree, candidates, declared)
    problems += parse_problems
    toml_files: dict[str, TomlFile] = {}  # decoded once, for the dependency parser and rules
    dependency_files, dependency_problems = read_dependency_files(tree, files, toml_files)
    ignore_files, ignore_problems = read_ignore_files(tree, sources)
    problems += ignore_problems
    project = Project(
        root=tree.root,
        tree=tree,
        dockerfiles=tuple(sources),
        files=frozenset(files),
        build_files=tuple(build_files),
        missing_paths=tuple(_missing(declared, tree)),
        dependency_files=tuple(dependency_files),
        ignore_files=tuple(ignore_files),
        context_budget_bytes=int(config.context_budget_mb * 1000 * 1000),
        ignore_fixes=config.enabled("PS206"),
        workflows=tuple(workflows),
        toml_files=toml_files,
    )
    return Loaded(project, problems + dependency_problems)


def _dockerfiles(
    files: list[str], declared: list[DeclaredBuild], config: Config, tree: Tree
) -> list[str]:
    found = find_dockerfiles(files, config.exclude)
    named = {b.dockerfile for b in declared if b.dockerfile and tree.exists(b.dockerfile)}
    return sorted(set(found) | {n for n in named if not tree.is_dir(n)})


def _missing(declared: list[DeclaredBuild], tree: Tree) -> list[tuple[Location, str, str]]:
    missing = []
    for build in declared:
        if build.context is not None and not tree.is_dir(build.context):
            missing.append((build.context_location, "context", build.context or "."))
        elif build.dockerfile is not None and not tree.exists(build.dockerfile):
            missing.append((build.dockerfile_location, "Dockerfile", build.dockerfile))
    return missing


def read_dockerfiles(
    tree: Tree, paths: Iterable[str], declared: Iterable[DeclaredBuild] = ()
) -> tuple[list[DockerfileSource], list[InputProblem]]:
    sources, problems = [], []
    declared = list(declared)
    for path in paths:
        try:
            dockerfile = parse_dockerfile(read_text(tree, path), path)
        except PitstopError as error:
            problems.append(InputProblem(error.path or path, error.message, error.line))
            continue
        sources.append(DockerfileSource(path, dockerfile, _builds_of(path, declared)))
    return sources, problems


def _builds_of(path: str, declared: list[DeclaredBuild]) -> tuple[Build, ...]:
    builds = [
        Build(
            b.context or "",
            b.declaration.target,
            b.location,
            b.context_location,
            b.dockerfile_location,
            b.declaration.run_user,
            b.declaration.healthy_waits,
        )
        for b in declared
        if b.dockerfile == path and b.context is not None
    ]
    if builds:
        return tuple(builds)
    folder = str(PurePosixPath(path).parent)
    return (Build("" if folder == "." else folder),)


def is_dependency_file(path: str) -> bool:
    """pyproject.toml, and pip requirements files by the names projects give them: in a
    `requirements/` folder, any `.txt` or `.in` file (`requirements/base.txt`), unless the
    folder is inside a hidden one: tools keep generated lock files there by the thousand
    (riot's `.riot/requirements/`), which are no project's declarations."""
    posix = PurePosixPath(path)
    if posix.name == "pyproject.toml" or _REQUIREMENTS.fullmatch(posix.name):
        return True
    return (
        in_requirements_folder(path)
        and posix.suffix in (".txt", ".in")
        and not any(part.startswith(".") for part in posix.parts[:-1])
    )


def read_dependency_files(
    tree: Tree, files: Iterable[str], toml_files: dict[str, TomlFile] | None = None
) -> tuple[list[DependencyFile], list[InputProblem]]:
    """The dependency declarations in `files`; each pyproject.toml decoded is kept in
    `toml_files`, which the Project passes on to the rules that read it too."""
    found, problems = [], []
    toml_files = {} if toml_files is None else toml_files
    for path in files:
        if not is_dependency_file(path):
            continue
        try:
            if path.endswith("pyproject.toml"):
                toml_files[path] = pyproject = tree.read_toml(path)
                found.append(DependencyFile(path, tuple(pyproject_dependencies(pyproject))))
            else:
                parsed = parse_requirements(read_text(tree, path), path)
                found.append(
                    DependencyFile(
                        path, tuple(parsed.dependencies), tuple(parsed.includes), parsed.names
                    )
                )
        except PitstopError as error:
            problems.append(InputProblem(error.path or path, error.message, error.line))
    return found, problems


def read_ignore_files(
    tree: Tree, sources: Iterable[DockerfileSource]
) -> tuple[list[IgnoreFile], list[InputProblem]]:
    """The ignore files any build could use: beside each Dockerfile and in each context."""
    candidates = {
        path
        for source in sources
        for build in source.builds
        for path in ignore_file_candidates(source.path, build.context)
    }
    found, problems = [], []
    for path in sorted(candidates):
        if not tree.exists(path):
            continue
        try:
            found.append(parse_ignore(read_text(tree, path), path))
        except PitstopError as error:
            problems.append(InputProblem(error.path or path, error.message, error.line))
    return found, problems


def is_workflow_file(path: str) -> bool:
    """GitHub runs the YAML files directly in `.github/workflows/`, not in its subfolders."""
    posix = PurePosixPath(path)
    return str(posix.parent) == ".github/workflows" and posix.suffix in (".yml", ".yaml")


def read_workflows(tree: Tree, files: Iterable[str]) -> tuple[list[Workflow], list[InputProblem]]:
    found, problems = [], []
    for path in sorted(p for p in files if is_workflow_file(p)):
        try:
            found.append(parse_workflow(read_text(tree, path), path))
        except PitstopError as error:
            problems.append(InputProblem(error.path or path, error.message, error.line))
    return found, problems


def read_text(tree: Tree, path: str) -> str:
    """The UTF-8 text of `path`; PitstopError naming the file (and line) otherwise."""
    return tree.read_text(path)
