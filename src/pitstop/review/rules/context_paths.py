"""Build-context rules: what a build declares against what Docker will really send.

Docker sends the context folder (less what the effective ignore file excludes) and
nothing else. BuildKit resolves every COPY/ADD source inside it: `../x` is cleaned to
`x` within the context, so it never reaches outside.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from pitstop.model import Area, Location, Related, Severity
from pitstop.review.project import Build, CopySource, DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.common import at

_WILDCARD = frozenset("*?[")


def context_label(build: Build) -> str:
    return f"{build.context}/" if build.context else "the repository root"


def build_related(build: Build) -> tuple[Related, ...]:
    if build.context_at is None:
        return ()
    return (Related(build.context_at, f"the build context is {context_label(build)}"),)


def check_missing_build_paths(project: Project) -> Iterator[Hit]:
    for location, kind, path in project.missing_paths:
        yield Hit(
            location,
            f"the build's {kind} `{path}` does not exist in the repository, so this build "
            "fails before its first step. Fix the path, or remove the build.",
        )


def check_outside_context(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for copy in source.copies:
        if not posixpath.normpath(copy.raw).startswith(".."):
            continue
        yield Hit(
            at(source, copy.instruction, _escaped(copy.raw)),
            f"`{copy.instruction.keyword} {copy.raw}` reaches outside the build context "
            f"({context_label(copy.build)}): Docker never sends files outside it, and BuildKit "
            f"reads this source as `{copy.cleaned.lstrip('./')}` inside the context. Build from a "
            "context that holds both (for example the repository root, with `file:` naming "
            "this Dockerfile) and copy the path relative to it.",
            related=build_related(copy.build),
            builds=(copy.build,),
        )


def check_missing_source(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for copy in source.copies:
        if posixpath.normpath(copy.raw).startswith("..") or _exists(project, copy.in_repository):
            continue
        if not copy.build.declared and _in_a_wider_context(project, copy.build.context, copy):
            continue
        yield Hit(
            at(source, copy.instruction, _escaped(copy.raw)),
            f"`{copy.raw}` is not in the build context ({context_label(copy.build)}): "
            f'`{copy.in_repository}` does not exist, so the build fails with "not found". '
            "If an earlier CI step generates it, ignore this finding on that line.",
            related=build_related(copy.build),
            builds=(copy.build,),
        )


def check_ignored_source(source: DockerfileSource, project: Project) -> Iterator[Hit]:
    for copy in source.copies:
        ignore = project.ignore_file_for(source.path, copy.build.context)
        cleaned = copy.cleaned
        if ignore is None or cleaned.startswith("..") or _WILDCARD & set(cleaned) or cleaned == ".":
            continue
        if not ignore.excludes(cleaned):
            continue
        if project.tree.is_dir(copy.in_repository) and ignore.may_reinclude_under(cleaned):
            continue
        pattern = ignore.deciding_pattern(cleaned)
        related = list(build_related(copy.build))
        if pattern is not None and ignore.path is not None:
            related.insert(
                0, Related(Location(ignore.path, pattern.line), f"`{pattern}` excludes it")
            )
        yield Hit(
            at(source, copy.instruction, _escaped(copy.raw)),
            f"`{copy.raw}` is excluded by {ignore.path}, so Docker never sends it and the COPY "
            'fails with "not found". Remove the pattern, or add an exception (`!path`) after it.',
            related=tuple(related),
            builds=(copy.build,),
        )


def _in_a_wider_context(project: Project, assumed: str, copy: CopySource) -> bool:
    """Whether the source exists from a folder above the assumed context: a Dockerfile no
    build file names is often built from the repository root (devcontainer.json's
    `context: ".."`, a script, a README's `docker build -f`), which pitstop cannot see; a
    source found from there is no certain failure, so nothing is claimed."""
    folder = assumed
    while folder:
        folder = posixpath.dirname(folder)
        if _exists(project, posixpath.normpath(posixpath.join(folder or ".", copy.cleaned))):
            return True
    return False


def _exists(project: Project, path: str) -> bool:
    if not _WILDCARD & set(path):
        return project.tree.exists(path)
    # BuildKit copies nothing, without error, for a wildcard that matches nothing
    # (AllowEmptyWildcard), as long as the folder before the first wildcard exists.
    fixed = path.split("/")
    first = next(i for i, part in enumerate(fixed) if _WILDCARD & set(part))
    return project.tree.is_dir("/".join(fixed[:first]) or ".")


def _escaped(raw: str) -> str:
    import re

    return re.escape(raw)


RULES = (
    Rule(
        "PS201",
        "missing-build-path",
        "Build context or Dockerfile does not exist",
        Severity.BLOCKING,
        Area.CONTEXT,
        "A workflow, compose or bake file that names a context folder or Dockerfile that is "
        "not in the repository fails the moment it runs, usually after a rename. Because the "
        "build only runs in CI (often only on the deploy branch), the mistake is found late. "
        "Paths are resolved as each tool does (a bake file read by `docker/bake-action` "
        "against its `workdir` and local `source`); pitstop says nothing where the base "
        "folder is not in the repository: compose override files (resolved against the "
        "first `-f` file's folder, their services merged with the base file's; not "
        "`compose.override.yaml` beside its main file, which Compose reads with it), compose "
        "and bake files under `docs/` or `doc/` (examples to copy), and reusable workflows "
        "only other repositories call (the checkout holds the caller's code).",
        check_project=check_missing_build_paths,
    ),
    Rule(
        "PS202",
        "copy-outside-context",
        "COPY or ADD source outside the build context",
        Severity.BLOCKING,
        Area.CONTEXT,
        "Docker sends the build context and nothing else; `COPY ../x` cannot reach a sibling "
        "folder. BuildKit cleans the path to `x` inside the context, which usually does not "
        "exist, and the build fails. The fix is a wider context (and `-f`/`file:` for the "
        "Dockerfile), not a path outside it.",
        check_dockerfile=check_outside_context,
    ),
    Rule(
        "PS203",
        "copy-source-missing",
        "COPY or ADD source missing from the build context",
        Severity.BLOCKING,
        Area.CONTEXT,
        'A COPY whose source is not in the context fails the build with "not found". It '
        "happens when the context in CI differs from the folder the Dockerfile was written "
        "for, or when a file was moved.",
        check_dockerfile=check_missing_source,
    ),
    Rule(
        "PS204",
        "copy-source-ignored",
        "COPY or ADD source excluded by the ignore file",
        Severity.BLOCKING,
        Area.CONTEXT,
        "The effective ignore file (`<Dockerfile>.dockerignore` beside the Dockerfile, else the "
        "context's `.dockerignore`) removes paths before anything is sent. A COPY of an excluded "
        'path fails with "not found", typically after someone adds a broad pattern such as '
        "`*.toml` or `config/`. An exception later in the file (`!path`) brings a path back.",
        check_dockerfile=check_ignored_source,
    ),
)
