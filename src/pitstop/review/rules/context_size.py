"""Context-size rules: every build sends its whole context before the first step runs, so
every byte the image cannot use costs upload and cache-hashing time on every build.

Sizes are measured by walking the context with its effective ignore file, as BuildKit's
file sender does (`review/context_walk.py`). MB here means 10^6 bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.lines import text_lines
from pitstop.model import Area, Fix, Location, Related, Severity, TextEdit
from pitstop.parsers.ignore import IgnoreFile, parse_ignore
from pitstop.review.context_walk import (
    BINARIES,
    DOCS,
    TESTS,
    ContextTree,
    Miss,
    ignore_file_candidates,
    largest_folders,
    missed_by_ignore,
    used_by_copy,
    walk_context,
)
from pitstop.review.project import Build, DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.context_paths import context_label
from pitstop.units import format_size

# A miss is worth a finding when it is at least this large, or this share of the context.
MIN_SAVING_BYTES = 1_000_000
MIN_SAVING_SHARE = 0.10
# Tests, docs and binaries may be meant for the image: suggested only when no COPY uses them.
_MAYBE_NEEDED = (TESTS, DOCS, BINARIES)


@dataclass(frozen=True)
class MeasuredContext:
    """One context as one group of builds sends it."""

    builds: tuple[tuple[DockerfileSource, Build], ...]
    ignore: IgnoreFile | None
    tree: ContextTree

    @property
    def build(self) -> Build:
        return self.builds[0][1]

    @property
    def location(self) -> Location:
        source, build = self.builds[0]
        return build.context_at or Location(source.path, 1)


def measured_contexts(project: Project) -> Iterator[MeasuredContext]:
    groups: dict[tuple[str, str | None], list[tuple[DockerfileSource, Build]]] = {}
    ignores: dict[tuple[str, str | None], IgnoreFile | None] = {}
    for source in project.dockerfiles:
        for build in source.builds:
            if not project.tree.is_dir(build.context or "."):
                continue  # PS201 reports it
            ignore = project.ignore_file_for(source.path, build.context)
            key = (build.context, ignore.path if ignore else None)
            groups.setdefault(key, []).append((source, build))
            ignores[key] = ignore
    for key, builds in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        tree = project.measure(key[0], ignores[key])
        yield MeasuredContext(tuple(builds), ignores[key], tree)


def megabytes(count: int) -> str:
    """A size for people, in the one style every report uses (pitstop.units)."""
    return format_size(count)


def check_budget(project: Project) -> Iterator[Hit]:
    for context in measured_contexts(project):
        if context.tree.bytes <= project.context_budget_bytes:
            continue
        top = ", ".join(f"{p}/ {megabytes(b)}" for p, b, _ in largest_folders(context.tree, top=5))
        ignore = context.ignore.path if context.ignore else "no ignore file"
        yield Hit(
            context.location,
            f"the build context {context_label(context.build)} is {megabytes(context.tree.bytes)} "
            f"in {len(context.tree.files)} files after {ignore} (measured), over the "
            f"{megabytes(project.context_budget_bytes)} budget; largest: "
            f"{top or 'files at its root'}. Every build uploads and hashes all of it first.",
            builds=tuple(build for _, build in context.builds),
        )


def check_missed(project: Project) -> Iterator[Hit]:
    for context in measured_contexts(project):
        worth = _worth_excluding(project, context) if project.ignore_fixes else None
        if worth is None:
            continue
        misses, after = worth
        saved = context.tree.bytes - after.bytes
        listed = "; ".join(
            f"{m.category} {megabytes(m.bytes)} (`{m.suggested_pattern}`)" for m in misses
        )
        yield Hit(
            _ignore_location(project, context),
            f"the ignore file for {context_label(context.build)} lets through what no COPY needs: "
            f"{listed}. Excluding it shrinks the context from {megabytes(context.tree.bytes)} to "
            f"{megabytes(after.bytes)} (measured by walking it with the new patterns).",
            related=_build_lines(context),
            fix=_fix(project, context, misses, saved),
            builds=tuple(build for _, build in context.builds),
        )


def _worth_excluding(
    project: Project, context: MeasuredContext
) -> tuple[list[Miss], ContextTree] | None:
    """The misses PS206 reports for `context` and the context without them, or None."""
    misses = _safe_misses(context)
    if not misses:
        return None
    after = _after(project, context, misses)
    saved = context.tree.bytes - after.bytes
    if saved < MIN_SAVING_BYTES and saved < MIN_SAVING_SHARE * max(context.tree.bytes, 1):
        return None
    return misses, after


def fixed_ignore_text(project: Project, source: DockerfileSource, build: Build) -> str | None:
    """The effective ignore file of `build` of `source` as PS206's fix leaves it (its text
    on disk when PS206 has nothing to add or is turned off; None when there is no file and
    nothing to add).

    A fix that replaces that file in the same run (the relocation writes a
    `<Dockerfile>.dockerignore`, which BuildKit prefers) builds on this text, so the
    exclusions PS206 finds land in the file that is effective afterwards, in one run."""
    for context in measured_contexts(project):
        if (source, build) not in context.builds:
            continue
        path = _ignore_path(context)
        worth = _worth_excluding(project, context) if project.ignore_fixes else None
        if worth is None:
            return project.tree.read_text(path) if project.tree.exists(path) else None
        misses, after = worth
        edit = _fix(project, context, misses, context.tree.bytes - after.bytes).edits[0]
        old, _ = _new_text(project, context, misses)
        return old + edit.text
    return None


def _safe_misses(context: MeasuredContext) -> list[Miss]:
    """Misses no COPY or ADD of the builds can need: never one a named source uses, and for
    tests, docs and binaries never one any source (even `COPY . .`) would copy."""
    sources = [c.raw for source, build in context.builds for c in source.copies if c.build == build]
    named = [s for s in sources if s.strip("./") != ""]
    used_named = used_by_copy(context.tree, named)
    used_any = used_by_copy(context.tree, sources)
    safe = []
    for miss in missed_by_ignore(context.tree):
        paths = _files_of(context.tree, miss)
        used = used_any if miss.category in _MAYBE_NEEDED else used_named
        if not paths & used:
            safe.append(miss)
    return safe


def _files_of(tree: ContextTree, miss: Miss) -> set[str]:
    claimed = set(miss.paths)
    prefixes = tuple(p + "/" for p in claimed)
    return {path for path, _ in tree.files if path in claimed or path.startswith(prefixes)}


def _ignore_path(context: MeasuredContext) -> str:
    if context.ignore is not None and context.ignore.path is not None:
        return context.ignore.path
    source, build = context.builds[0]
    return ignore_file_candidates(source.path, build.context)[1]


def _new_text(project: Project, context: MeasuredContext, misses: list[Miss]) -> tuple[str, str]:
    """(old text, appended text) of the effective ignore file."""
    path = _ignore_path(context)
    old = project.tree.read_text(path) if project.tree.exists(path) else ""
    patterns = list(dict.fromkeys(m.suggested_pattern for m in misses))
    added = "".join(f"{p}\n" for p in patterns)
    return old, added


def _after(project: Project, context: MeasuredContext, misses: list[Miss]) -> ContextTree:
    old, added = _new_text(project, context, misses)
    separator = "" if not old or old.endswith("\n") else "\n"
    ignore = parse_ignore(old + separator + added, _ignore_path(context))
    return walk_context(project.tree.root / context.build.context, ignore)


def _fix(project: Project, context: MeasuredContext, misses: list[Miss], saved: int) -> Fix:
    path = _ignore_path(context)
    old, added = _new_text(project, context, misses)
    header = f"# Added by pitstop review --fix: measured to save {megabytes(saved)} per build\n"
    separator = "" if not old or old.endswith("\n") else "\n"
    line = len(text_lines(old)) + 1
    edit = TextEdit(path, line, 1, line, 1, separator + header + added)
    verb = "extend" if old else "create"
    return Fix(f"{verb} {path}: saves {megabytes(saved)} of context (measured)", (edit,))


def _ignore_location(project: Project, context: MeasuredContext) -> Location:
    path = _ignore_path(context)
    if project.tree.exists(path):
        return Location(path, 1)
    return context.location


def _build_lines(context: MeasuredContext) -> tuple[Related, ...]:
    related = []
    for _, build in context.builds:
        if build.context_at is not None:
            related.append(Related(build.context_at, f"builds from {context_label(build)}"))
    return tuple(dict.fromkeys(related))


RULES = (
    Rule(
        "PS205",
        "context-over-budget",
        "Build context over its size budget",
        Severity.WARNING,
        Area.CONTEXT,
        "The whole context is sent to the builder and hashed before the first instruction runs, "
        "on every build, in CI and on laptops. A context over the budget (50 MB by default, "
        "`context-budget-mb` in the configuration) is almost always version-control data, "
        "virtualenvs, caches or data files the image never copies.",
        check_project=check_budget,
    ),
    Rule(
        "PS206",
        "ignore-file-misses",
        "Ignore file lets through what no COPY needs",
        Severity.WARNING,
        Area.CONTEXT,
        "VCS data, virtualenvs, caches, node_modules and build outputs in the context slow every "
        "build and can leak into images through `COPY . .`. pitstop reports them when they are "
        "at least 1 MB or 10% of the context, never suggests excluding a path a COPY names, and "
        "suggests tests, docs and binaries only when no COPY at all would take them. The fix "
        "appends Docker patterns to the effective ignore file and states the measured saving.",
        check_project=check_missed,
        fixable=True,
    ),
)
