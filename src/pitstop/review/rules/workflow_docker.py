"""Workflow image-build rules: builds that start cold, caches that overwrite each other or
leave out the stages that cost the most, images built twice, jobs that only re-tag.

A GitHub-hosted runner has an empty Docker cache, so an image build reuses layers only
through `cache-from`/`cache-to` (BuildKit's cache exporters: `gha`, `registry`, `inline`,
`local`...). A registry cache, tagging at build time instead of a re-tag job, and multi-stage
builds are the usual first fixes of a slow image pipeline.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.errors import PitstopError
from pitstop.model import Area, Fix, Location, Related, Severity, TextEdit
from pitstop.parsers.build_declarations import BuildDeclaration, step_builds
from pitstop.parsers.dockerfile import Stage
from pitstop.parsers.workflow import Workflow
from pitstop.review.build_resolution import resolve
from pitstop.review.project import DockerfileSource, Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.workflow_common import (
    StepAt,
    add_inputs,
    line_with,
    program_words,
    pull_request_triggers,
    replace_on_line,
    run_commands,
)


@dataclass(frozen=True)
class ImageBuild:
    """One image build in a workflow: a build-push-action step or a `docker build` line,
    with its paths resolved against the repository root (None: an expression or unknown)."""

    at: StepAt
    line: int
    context: str | None
    dockerfile: str | None
    target: str | None
    build_args: tuple[str, ...]
    platforms: str
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...]
    action: bool

    @property
    def workflow(self) -> Workflow:
        return self.at.workflow

    @property
    def location(self) -> Location:
        return Location(self.workflow.path, self.line)

    @property
    def image(self) -> tuple[str | None, str | None, str | None]:
        """What the build produces: the same Dockerfile, context and target is the same image."""
        return (self.dockerfile, self.context, self.target)

    @property
    def label(self) -> str:
        target = f" (target {self.target})" if self.target else ""
        return f"{self.dockerfile or 'an unresolved Dockerfile'}{target}"

    def input_line(self, name: str) -> int:
        return self.at.step.input_line(name) if self.action else self.line

    @property
    def known(self) -> bool:
        return None not in (self.dockerfile, self.context) and not any(
            "${{" in (part or "") for part in self.image
        )


def image_builds(project: Project) -> list[ImageBuild]:
    """The image builds of every workflow, read from the one derivation of them
    (parsers/build_declarations.py) with their paths resolved as the context rules resolve them."""
    builds = []
    for workflow in project.workflows:
        for job, step, declaration in step_builds(workflow):
            builds.append(_image_build(StepAt(workflow, job, step), declaration))
    return builds


def _image_build(at: StepAt, declaration: BuildDeclaration) -> ImageBuild:
    resolved = resolve(declaration)
    action = declaration.kind == "workflow-action"
    args = tuple(sorted(f"{key}={value}" for key, value in declaration.build_args))
    cache_to = declaration.cache_to
    if any(a.replace(" ", "") == "BUILDKIT_INLINE_CACHE=1" for a in args) and not cache_to:
        cache_to = ("type=inline",)
    context, dockerfile = resolved.context, resolved.dockerfile
    if not action and declaration.context is None:  # `docker build` with no context operand
        context = None
        dockerfile = dockerfile if declaration.dockerfile is not None else None
    return ImageBuild(
        at=at,
        line=declaration.line,
        context=context,
        dockerfile=dockerfile,
        target=declaration.target,
        build_args=args,
        platforms=(at.step.input("platforms") or "") if action else "",
        cache_from=declaration.cache_from,
        cache_to=cache_to,
        action=action,
    )


def cache_options(entry: str) -> dict[str, str]:
    """`type=gha,scope=api,mode=max` as a mapping; a bare reference is a registry cache."""
    options = {}
    for part in entry.split(","):
        key, equals, value = part.partition("=")
        if equals:
            options[key.strip()] = value.strip()
        elif part.strip():
            options.setdefault("type", "registry")
            options.setdefault("ref", part.strip())
    options.setdefault("type", "registry" if "ref" in options else "local")
    return options


def _slug(build: ImageBuild) -> str | None:
    if build.dockerfile is None or "${{" in (build.target or ""):
        return None
    name = re.sub(r"[^a-z0-9]+", "-", build.dockerfile.lower()).strip("-")
    return f"{name}-{build.target}" if build.target else name


# -- PS410: builds without a cache -------------------------------------------------------------


def check_build_cache(project: Project) -> Iterator[Hit]:
    for build in image_builds(project):
        runner = (build.at.job.runs_on or "").lower()
        if "self-hosted" in runner:
            continue  # a persistent runner keeps its own layer cache
        if "windows" in runner:
            continue  # Windows containers build without BuildKit: no cache exporters
        if build.action and (build.at.step.input("no-cache") or "false") != "false":
            continue
        if build.cache_from:
            continue  # restores a cache; saving it is another build's job (PS404's advice)
        if _loads_an_image(project, build.at):
            continue  # built on a parent made earlier in this run: a layer cache would miss
        missing = ["cache-from"] + ([] if build.cache_to else ["cache-to"])
        yield Hit(build.location, _no_cache_message(build, missing), fix=_cache_fix(build))


def _no_cache_message(build: ImageBuild, missing: list[str]) -> str:
    what = " and ".join(f"`{m}`" for m in missing)
    effect = (
        "nothing restores earlier layers"
        if len(missing) == 2
        else "the layers it exports are never read back"
    )
    advice = (
        "Export and import a cache: `type=registry,ref=<image>:buildcache,mode=max` next to "
        "the image you push, or `type=gha` with a `scope` per image."
    )
    if not _sets_up_a_builder(build.at):
        advice = (
            "No `docker/setup-buildx-action` comes before it, so it builds with Docker's default "
            "`docker` driver, which cannot export a `gha` or `registry` cache (unless the "
            "containerd image store is on): add that action before this step, then export "
            "and import a cache: `type=registry,ref=<image>:buildcache,mode=max` next to the "
            "image you push, or `type=gha` with a `scope` per image. That builder keeps the "
            "image to itself: if a later step runs it, build with `--load` (build-push-action: "
            "`load: true`)."
        )
    return (
        f"the build of {build.label} has no {what}: a GitHub-hosted runner starts with an empty "
        f"Docker cache and {effect}, so every run rebuilds every layer. {advice}"
    )


def _sets_up_a_builder(at: StepAt) -> bool:
    """Whether a step before the build sets up a buildx builder that can export caches."""
    return any(
        step.action == "docker/setup-buildx-action"
        or any(
            program_words(c.command, 3) == ("docker", "buildx", "create")
            for c in run_commands(step)
        )
        for step in at.earlier()
    )


_DOCKER_LOAD = re.compile(r"\bdocker\s+(?:image\s+)?load\b")


def _loads_an_image(project: Project, at: StepAt) -> bool:
    """Whether a step before the build loads an image into Docker (`docker load`, in the
    step or in a local action it uses): an image made earlier in this workflow run, which
    the build starts FROM. Rebuilt every run, its layers change, and every layer of the
    build after it misses any cache."""
    for step in at.earlier():
        if any(_DOCKER_LOAD.search(" ".join(c.command.words)) for c in run_commands(step)):
            return True
        if step.uses and step.uses.startswith("./") and _action_loads(project, step.uses):
            return True
    return False


def _action_loads(project: Project, uses: str) -> bool:
    folder = posixpath.normpath(uses.partition("@")[0].removeprefix("./"))
    for name in ("action.yml", "action.yaml"):
        path = f"{folder}/{name}"
        if project.tree.exists(path):
            try:
                return bool(_DOCKER_LOAD.search(project.tree.read_text(path)))
            except PitstopError:
                return False
    return False


def _cache_fix(build: ImageBuild) -> Fix | None:
    """`type=gha` caches, scoped to the image, when the step can use them: build-push-action
    after setup-buildx-action (whose container driver can export caches), neither input set.
    On pull requests the cache is only read (PS404)."""
    slug = _slug(build)
    if not build.action or build.cache_from or build.cache_to or slug is None:
        return None
    if not any(s.action == "docker/setup-buildx-action" for s in build.at.earlier()):
        return None
    export = f"type=gha,scope={slug},mode=max"
    if pull_request_triggers(build.workflow):
        export = f"${{{{ !startsWith(github.event_name, 'pull_request') && '{export}' || '' }}}}"
    inputs = [("cache-from", f"type=gha,scope={slug}"), ("cache-to", export)]
    edit = add_inputs(build.workflow, build.at.step, inputs)
    if edit is None:
        return None
    return Fix(f"cache the build of {build.label} in the GitHub cache (scope {slug})", (edit,))


# -- PS411: one gha scope for several images ---------------------------------------------------


def _gha_scopes(build: ImageBuild) -> set[str]:
    return {
        cache_options(entry).get("scope", "buildkit")
        for entry in build.cache_to
        if cache_options(entry)["type"] == "gha"
    }


def check_gha_scope(project: Project) -> Iterator[Hit]:
    writers: dict[str, list[ImageBuild]] = {}
    for build in image_builds(project):
        for scope in _gha_scopes(build):
            if "${{" in scope:
                continue  # per-matrix or per-branch scopes: cannot tell
            if not build.known:
                yield _matrix_hit(build, scope)
                continue
            writers.setdefault(scope, []).append(build)
    for scope, builds in sorted(writers.items()):
        first = builds[0]
        for build in builds[1:]:
            if build.image != first.image:
                yield _shared_hit(build, first, scope)


def _scope_text(scope: str) -> str:
    return f"`{scope}` (the default)" if scope == "buildkit" else f"`{scope}`"


def _shared_hit(build: ImageBuild, first: ImageBuild, scope: str) -> Hit:
    return Hit(
        Location(build.workflow.path, build.input_line("cache-to")),
        f"the build of {build.label} exports its `type=gha` cache to scope {_scope_text(scope)}, "
        f"which the build of {first.label} also writes: each export replaces the other's "
        "cache, so builds that alternate restore the wrong image's layers and miss. Give each "
        "image its own `scope=` in both `cache-from` and `cache-to`.",
        related=(
            Related(
                Location(first.workflow.path, first.input_line("cache-to")),
                f"{first.label} writes scope {scope}",
            ),
        ),
        fix=_scope_fix(build),
    )


def _matrix_hit(build: ImageBuild, scope: str) -> Hit:
    return Hit(
        Location(build.workflow.path, build.input_line("cache-to")),
        f"this step builds a different image per matrix entry or expression ({build.label}) "
        f"but exports every one to the `type=gha` scope {_scope_text(scope)}: each export "
        "replaces the last. Put the same expression in `scope=`.",
    )


def _scope_fix(build: ImageBuild) -> Fix | None:
    slug = _slug(build)
    if slug is None or not build.action:
        return None
    edits = []
    for name in ("cache-from", "cache-to"):
        line = line_with(build.workflow, build.input_line(name), "type=gha", within=5)
        text = build.workflow.lines[line - 1] if line <= len(build.workflow.lines) else ""
        if "type=gha" not in text:
            continue
        scope = re.search(r"scope=[^,\s'\"]*", text)
        edit = (
            replace_on_line(build.workflow, line, scope.group(0), f"scope={slug}")
            if scope
            else replace_on_line(build.workflow, line, "type=gha", f"type=gha,scope={slug}")
        )
        if edit is None:
            return None
        edits.append(edit)
    if not edits:
        return None
    return Fix(f"give {build.label} its own gha cache scope `{slug}`", tuple(edits))


# -- PS412: min-mode cache on a multi-stage build ---------------------------------------------


def _source(project: Project, build: ImageBuild) -> DockerfileSource | None:
    return next((s for s in project.dockerfiles if s.path == build.dockerfile), None)


def _built_stages(source: DockerfileSource, target: str | None) -> tuple[Stage, ...]:
    dockerfile = source.dockerfile
    shipped = (dockerfile.stage(target) if target else None) or dockerfile.last_stage
    return dockerfile.stages_built_for(shipped)


def check_cache_mode(project: Project) -> Iterator[Hit]:
    for build in image_builds(project):
        source = _source(project, build) if build.cache_to else None
        if source is None:
            continue
        stages = _built_stages(source, build.target)
        if len(stages) < 2:
            continue
        for entry in build.cache_to:
            hit = _mode_hit(build, source, stages, entry)
            if hit is not None:
                yield hit


def _mode_hit(
    build: ImageBuild, source: DockerfileSource, stages: tuple[Stage, ...], entry: str
) -> Hit | None:
    options = cache_options(entry)
    if options.get("mode") == "max" or "${{" in entry:
        return None
    shipped = max(s.index for s in stages)  # a stage can only build FROM earlier ones
    earlier = [s for s in stages if s.index != shipped]
    names = ", ".join(f"`{s.label}`" for s in earlier)
    if options["type"] == "inline":
        advice = (
            "`type=inline` only supports min mode (the cache travels in the image, which holds "
            "only the final stage); export to `type=registry,ref=<image>:buildcache,mode=max` "
            "or `type=gha,mode=max` instead"
        )
    else:
        advice = "add `mode=max`, which exports the layers of every stage"
    line = line_with(build.workflow, build.input_line("cache-to"), entry.split(",")[0], 5)
    return Hit(
        Location(build.workflow.path, line),
        f"`cache-to: {entry}` caches in min mode, which exports only the layers of the final "
        f"image: the build of {build.label} also builds {names}, whose layers are then "
        f"rebuilt on every cold runner. {advice[0].upper()}{advice[1:]}.",
        related=tuple(
            Related(source.location(s.line), f"stage {s.label}: not cached in min mode")
            for s in earlier
        ),
        fix=_mode_fix(build, line, entry, options),
    )


def _mode_fix(build: ImageBuild, line: int, entry: str, options: dict[str, str]) -> Fix | None:
    if options["type"] == "inline":
        return None
    edit: TextEdit | None
    if "mode=" in entry:
        edit = replace_on_line(build.workflow, line, f"mode={options.get('mode')}", "mode=max")
    else:
        edit = replace_on_line(build.workflow, line, entry, f"{entry},mode=max")
    if edit is None:
        return None
    return Fix(f"cache every stage of {build.label} (`mode=max`)", (edit,))


# -- PS413: the same image built twice in one run ----------------------------------------------


def _condition(build: ImageBuild) -> str:
    return " && ".join(c for c in (build.at.job.if_, build.at.step.if_) if c)


def check_duplicate_builds(project: Project) -> Iterator[Hit]:
    groups: dict[tuple[object, ...], list[ImageBuild]] = {}
    for build in image_builds(project):
        if build.known:
            key = (build.workflow.path, build.image, build.build_args, build.platforms)
            groups.setdefault(key, []).append(build)
    for builds in groups.values():
        first = builds[0]
        for build in builds[1:]:
            if _condition(first) and _condition(build) and _condition(first) != _condition(build):
                continue  # two conditions may exclude each other (push vs pull_request)
            yield Hit(
                build.location,
                f"`{build.at.job.id}` builds {build.label} from context "
                f"`{build.context or '.'}` again: `{first.at.job.id}` builds the same image "
                f"(same Dockerfile, context, target and build arguments) at line {first.line} "
                "of this workflow run. Build it once, tag it with every name it needs, and "
                "reuse it (push it, or pass it on with `docker save` and an artifact).",
                related=(Related(first.location, f"first build of {first.label}"),),
            )


# -- PS420: a job that only re-tags an image --------------------------------------------------


def check_retag_jobs(project: Project) -> Iterator[Hit]:
    from pitstop.pipeline.analysis import redundant_jobs

    for workflow in project.workflows:
        for change in redundant_jobs(workflow):
            yield Hit(Location(workflow.path, change.line), change.reason)


RULES = (
    Rule(
        "PS410",
        "image-build-without-cache",
        "Image build without a layer cache",
        Severity.WARNING,
        Area.WORKFLOWS,
        "GitHub-hosted runners start with an empty Docker cache, so a `docker/build-push-action` "
        "step or a `docker build` line without `cache-from` rebuilds every layer on every run, "
        "dependency installs included. A build with `cache-from` and no `cache-to` restores "
        "a cache another build (often on the default branch) saves: that is the advised "
        "shape for pull requests, and is not reported. A registry cache next to the image "
        "(`type=registry,ref=<image>:buildcache,mode=max`) or the GitHub cache (`type=gha` with "
        "a scope per image) keeps unchanged layers. Builds on Windows runners (Windows "
        "containers build without BuildKit, so without cache exporters) are not reported. "
        "The fix adds a scoped `type=gha` cache when "
        "the job sets up buildx first (the default docker driver cannot export caches), and "
        "writes it only outside pull requests. Self-hosted runners are skipped, and so are "
        "builds after a step that loads an image (`docker load`, in the step or in a local "
        "action it uses): an image made earlier in the run, rebuilt every time, that the "
        "build starts FROM, so its layers would miss any cache.",
        check_project=check_build_cache,
        fixable=True,
    ),
    Rule(
        "PS411",
        "gha-cache-scope-shared",
        "One GitHub cache scope for several images",
        Severity.WARNING,
        Area.WORKFLOWS,
        "BuildKit's `type=gha` cache keeps one index per `scope` (default `buildkit`). Two "
        "images exporting to the same scope overwrite each other's index, so each build "
        "restores the other image's layers and misses. Give every image (Dockerfile and "
        "target) its own scope in `cache-from` and `cache-to`.",
        check_project=check_gha_scope,
        fixable=True,
    ),
    Rule(
        "PS412",
        "cache-mode-min-multi-stage",
        "Multi-stage build cached in min mode",
        Severity.WARNING,
        Area.WORKFLOWS,
        "`cache-to` exports only the final image's layers unless it says `mode=max`. In a "
        "multi-stage build the expensive layers (compilers, `pip install`, `poetry export`) "
        "live in the earlier stages, so a min-mode cache rebuilds them on every cold runner. "
        "`type=inline` cannot do better: the cache travels inside the image, which holds "
        "only the final stage. pitstop reads the Dockerfile the step builds and counts only "
        "the stages its target needs.",
        check_project=check_cache_mode,
        fixable=True,
    ),
    Rule(
        "PS413",
        "image-built-twice",
        "Same image built twice in one workflow run",
        Severity.WARNING,
        Area.WORKFLOWS,
        "Two builds of the same Dockerfile, context, target and build arguments in one "
        "workflow produce the same image twice: a second builder start, context upload and "
        "export, even with a warm cache. Build once and reuse the image. Builds whose jobs or "
        "steps carry different `if:` conditions are not compared (they may never run together).",
        check_project=check_duplicate_builds,
    ),
    Rule(
        "PS420",
        "retag-only-job",
        "Job that only re-tags an image built earlier in the run",
        Severity.WARNING,
        Area.WORKFLOWS,
        "A job that pulls an image built earlier in the same run, tags it and pushes it again "
        "spends a runner start, a full pull and a push on what the build could do with one "
        "more `tags:` entry, or a registry can do by copying a manifest "
        "(`docker buildx imagetools create`).",
        check_project=check_retag_jobs,
    ),
)
