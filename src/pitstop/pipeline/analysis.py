"""Candidate changes to a workflow's job graph: jobs that need not exist, `needs` that only
serialise jobs which share nothing.

Both are judged from what the workflow says, and both lean towards keeping things: a
change is proposed only when no use of the job (or of the need) can be seen. The workflow
model does not keep every job key (`container:`, `services:`, `environment:`, a whole
`strategy.matrix` given as one expression, the `with:` of a reusable-workflow call); a
reusable-workflow call therefore keeps all its needs, and image uses are judged broadly.
The review rules and `pitstop pipeline` both read these; what each saves is `whatif`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.parsers.shell import SimpleCommand
from pitstop.parsers.workflow import Job, Step, Workflow


@dataclass(frozen=True)
class Change:
    kind: str  # "remove-job" | "drop-need"
    job: str  # the job removed, or the job whose `needs` entry is dropped
    need: str | None  # for drop-need: the needed job
    line: int  # where: the job's line (remove-job) or its `needs:` line (drop-need)
    reason: str  # one sentence a user reads


# -- what jobs and steps do -------------------------------------------------------------------

_SETUP_ACTIONS = frozenset(
    {
        "actions/checkout",
        "docker/login-action",
        "docker/setup-buildx-action",
        "docker/setup-qemu-action",
        "docker/metadata-action",
        "google-github-actions/auth",
        "google-github-actions/setup-gcloud",
        "aws-actions/configure-aws-credentials",
        "aws-actions/amazon-ecr-login",
        "azure/docker-login",
        "azure/login",
        "imjasonh/setup-crane",
    }
)
"""Actions that only prepare credentials or tools: a re-tag job may use them."""

_RETAG_ACTIONS = frozenset({"akhilerm/tag-push-action", "shrink/actions-docker-registry-tag"})
_BUILD_ACTIONS = frozenset({"docker/build-push-action", "docker/bake-action"})
_DEPLOY_ACTIONS = frozenset(
    {
        "pypa/gh-action-pypi-publish",
        "google-github-actions/deploy-cloudrun",
        "google-github-actions/deploy-appengine",
        "google-github-actions/get-gke-credentials",
        "aws-actions/amazon-ecs-deploy-task-definition",
        "azure/webapps-deploy",
        "azure/k8s-deploy",
        "softprops/action-gh-release",
        "actions/deploy-pages",
        "peaceiris/actions-gh-pages",
        "superfly/flyctl-actions",
    }
)
_CONTAINER_PROGRAMS = frozenset(
    {"docker", "podman", "buildah", "crane", "skopeo", "regctl", "kubectl", "helm", "kustomize"}
)
_HARMLESS_PROGRAMS = frozenset({"echo", "printf", "set", "export", "true", ":", "for", "in"})
_GATE_WORDS = re.compile(
    r"(?<![a-z])(?:unit|py|integration[-_ ]?)?(?:test|lint|check|scan|verify|validat|audit|"
    r"secur|e2e|smoke|qa(?![a-z])|typecheck|mypy|ruff|flake8|coverage|codeql|trivy|sast)"
)
"""Words in a job's id or name that say it tests, lints, checks or scans (not `latest`)."""
_DEPLOY_WORDS = re.compile(r"(?<![a-z])(?:deploy|publish|release|promote|rollout)")
_STATUS_FUNCTIONS = re.compile(r"\b(always|failure|cancelled)\s*\(")
"""Status functions in `if:` that judge the needed jobs' results (`success()` is the default)."""
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _commands(job: Job) -> Iterator[SimpleCommand]:
    for step in job.steps:
        yield from step.commands


def _words(command: SimpleCommand, count: int) -> tuple[str, ...]:
    """The program and its first `count - 1` operands, options left out."""
    return (command.program, *command.operands())[:count]


_RETAG_COMMANDS = (
    ("docker", "tag"),
    ("docker", "push"),
    ("docker", "image", "tag"),
    ("docker", "image", "push"),
    ("podman", "tag"),
    ("podman", "push"),
    ("docker", "buildx", "imagetools", "create"),
    ("crane", "copy"),
    ("crane", "cp"),
    ("crane", "tag"),
    ("skopeo", "copy"),
    ("regctl", "image", "copy"),
    ("regctl", "tag", "add"),
    ("gcloud", "artifacts", "docker", "tags"),
    ("gcloud", "container", "images", "add-tag"),
)
"""Commands that copy or re-tag an image that already exists in a registry."""

_RETAG_HELPERS = (
    ("docker", "pull"),
    ("docker", "login"),
    ("docker", "image", "pull"),
    ("docker", "buildx", "imagetools"),
    ("podman", "pull"),
    ("podman", "login"),
    ("crane", "auth"),
    ("crane", "digest"),
    ("skopeo", "login"),
    ("skopeo", "inspect"),
    ("gcloud", "auth"),
    ("aws", "ecr"),
)
"""Commands a re-tag job runs around the copy: pulls, logins, inspections."""


def _starts_with(command: SimpleCommand, prefixes: tuple[tuple[str, ...], ...]) -> bool:
    words = _words(command, 4)
    return any(words[: len(prefix)] == prefix for prefix in prefixes)


def _is_retag(command: SimpleCommand) -> bool:
    return _starts_with(command, _RETAG_COMMANDS)


def _is_retag_helper(command: SimpleCommand) -> bool:
    return command.program in _HARMLESS_PROGRAMS or _starts_with(command, _RETAG_HELPERS)


def _step_only_retags(step: Step) -> tuple[bool, bool]:
    """(whether the step does nothing but set up, pull or re-tag, whether it re-tags)."""
    if step.uses:
        return step.action in _SETUP_ACTIONS | _RETAG_ACTIONS, step.action in _RETAG_ACTIONS
    commands = step.commands
    retags = any(_is_retag(c) for c in commands)
    return all(_is_retag(c) or _is_retag_helper(c) for c in commands), retags


_BUILD_COMMANDS = (
    ("docker", "build"),
    ("docker", "push"),
    ("docker", "buildx", "build"),
    ("docker", "buildx", "bake"),
    ("docker", "compose", "build"),
    ("podman", "build"),
    ("podman", "push"),
    ("buildah", "bud"),
    ("buildah", "push"),
    ("gcloud", "builds", "submit"),
)
"""Commands that build or push an image a later job could re-tag."""

_DEPLOY_COMMANDS = (
    ("kubectl",),
    ("helm",),
    ("twine",),
    ("flyctl",),
    ("terraform",),
    ("gcloud", "run", "deploy"),
    ("gcloud", "app"),
    ("gcloud", "functions"),
    ("aws", "ecs"),
    ("poetry", "publish"),
    ("uv", "publish"),
    ("npm", "publish"),
    ("hatch", "publish"),
    ("flit", "publish"),
)
"""Commands that deploy or publish what the run built."""


def _builds_image(job: Job) -> bool:
    return any(step.action in _BUILD_ACTIONS for step in job.steps) or any(
        _starts_with(command, _BUILD_COMMANDS) for command in _commands(job)
    )


def pushes_image(job: Job) -> bool:
    """Whether `job` pushes an image: build-push-action or bake-action with `push` not
    "false" (an expression may be true), or a command that pushes or copies one."""
    for step in job.steps:
        if step.action in _BUILD_ACTIONS and (step.input("push") or "false") != "false":
            return True
    return any(
        _is_retag(command)
        or _starts_with(command, (("gcloud", "builds", "submit"),))
        or (_starts_with(command, (("docker", "buildx", "build"),)) and command.has("--push"))
        for command in _commands(job)
    )


def deploys(job: Job) -> bool:
    """Whether `job` deploys or publishes (or says it does in its id or name)."""
    return (
        bool(_DEPLOY_WORDS.search(f"{job.id} {job.name or ''}".lower()))
        or pushes_image(job)
        or any(step.action in _DEPLOY_ACTIONS for step in job.steps)
        or any(_starts_with(command, _DEPLOY_COMMANDS) for command in _commands(job))
    )


def _is_gate(job: Job) -> bool:
    """Whether `job`'s id or name says it tests, lints, checks or scans."""
    return bool(_GATE_WORDS.search(f"{job.id} {job.name or ''}".lower()))


def _text(job: Job) -> str:
    """Every string of `job` the model keeps, where an expression could read `needs`."""
    parts = [job.name or "", job.if_ or "", job.runs_on or "", job.concurrency or ""]
    parts += [job.timeout_minutes or "", repr(dict(job.matrix)), job.uses or ""]
    parts += [*job.env.values(), *job.outputs.values()]
    for step in job.steps:
        parts += [step.name or "", step.if_ or "", step.run or "", step.working_directory or ""]
        parts += [*step.with_.values(), *step.env.values()]
    return "\n".join(parts)


# -- redundant jobs ---------------------------------------------------------------------------


def redundant_jobs(workflow: Workflow) -> list[Change]:
    """Jobs that only pull, re-tag and push an image a job they need built in this run.

    Such a job (a `tag-production-images` job, say) spends a runner start, a pull and a push
    on what the build can do with one more tag, or a registry can do with a manifest copy.
    A job that builds, tests or runs anything else is never proposed."""
    changes = []
    for job in workflow.jobs:
        builder = _upstream_builder(workflow, job)
        if builder is not None and _only_retags(job):
            changes.append(
                Change(
                    kind="remove-job",
                    job=job.id,
                    need=None,
                    line=job.line,
                    reason=(
                        f"`{job.id}` only pulls, re-tags and pushes images that `{builder}` "
                        "built earlier in this run: tag it at build time (`tags:` of "
                        "build-push-action) or `docker buildx imagetools create`, which "
                        "copies only the manifest."
                    ),
                )
            )
    return changes


def _only_retags(job: Job) -> bool:
    if job.uses or not job.steps:
        return False
    verdicts = [_step_only_retags(step) for step in job.steps]
    return all(only for only, _ in verdicts) and any(retags for _, retags in verdicts)


def _upstream_builder(workflow: Workflow, job: Job) -> str | None:
    """The nearest job `job` needs (directly or not) that builds an image, if any."""
    seen: set[str] = set()
    queue = list(job.needs)
    while queue:
        need = workflow.job(queue.pop(0))
        if need is None or need.id in seen:
            continue
        seen.add(need.id)
        if _builds_image(need):
            return need.id
        queue += need.needs
    return None


# -- needs that share nothing -----------------------------------------------------------------


def unneeded_needs(workflow: Workflow) -> list[Change]:
    """`needs` entries whose job uses nothing from the job it waits for.

    B uses A when B's expressions read `needs.A` (outputs or result, or all needs at once:
    `needs.*`, `toJSON(needs)`, a status function such as `failure()` in B's `if:`), when
    B downloads an artifact A uploads (a download without a name takes them all) or restores
    a cache A saves, or when A pushes an image and B runs a container tool, deploys, or
    mentions a registry, image or `env` variable A's image reference uses. A test-like A
    before a B that deploys or publishes is a gate, kept whatever B reads; and a job that
    only waits (runs nothing but `echo`, or calls a reusable workflow) keeps all its needs."""
    changes = []
    for job in workflow.jobs:
        if _is_barrier(job):
            continue
        for need in job.needs:
            needed = workflow.job(need)
            if needed is not None and not _uses(job, needed) and not _gate(needed, job):
                changes.append(_drop(job, needed))
    return changes


def _is_barrier(job: Job) -> bool:
    """Whether `job` exists to wait for its needs: a reusable-workflow call (its `with:` and
    `secrets:` are not in the model, so it may read them all), or a job that runs nothing
    but `echo` (an `all-checks` job a branch protection rule requires)."""
    if job.uses:
        return True
    return all(
        step.uses is None and all(_is_harmless(c) for c in step.commands) for step in job.steps
    )


def _is_harmless(command: SimpleCommand) -> bool:
    return command.program in _HARMLESS_PROGRAMS or command.program in ("exit", "test", "[")


def _drop(job: Job, needed: Job) -> Change:
    return Change(
        kind="drop-need",
        job=job.id,
        need=needed.id,
        line=job.needs_line or job.line,
        reason=(
            f"`{job.id}` reads no output or result of `{needed.id}`, downloads none of its "
            f"artifacts and uses no image it pushes, so it need not wait for it."
        ),
    )


def _gate(needed: Job, job: Job) -> bool:
    return _is_gate(needed) and deploys(job)


def _uses(job: Job, needed: Job) -> bool:
    text = _text(job)
    return (
        _reads_needs(text, job.if_ or "", needed.id)
        or _shares_artifact(needed, job)
        or _shares_cache(needed, job)
        or (pushes_image(needed) and _uses_image(job, needed, text))
    )


def _reads_needs(text: str, condition: str, need: str) -> bool:
    named = re.escape(need)
    direct = rf"needs\s*(?:\.\s*{named}(?![\w-])|\[\s*['\"]{named}['\"]\s*\])"
    everything = r"needs\s*(?:\.\s*\*|\[\s*\*|\)|,|\s*$)"
    return bool(
        re.search(direct, text)
        or re.search(everything, text, re.MULTILINE)
        or _STATUS_FUNCTIONS.search(condition)
    )


def _shares_artifact(needed: Job, job: Job) -> bool:
    uploads = needed.uploads
    for name in job.downloads:
        if uploads and (name == "*" or "${{" in name or any(_same(name, u) for u in uploads)):
            return True
    return False


def _same(download: str, upload: str) -> bool:
    return download == upload or "${{" in upload


def _shares_cache(needed: Job, job: Job) -> bool:
    saved = {s.input("key") for s in needed.steps if (s.action or "").startswith("actions/cache")}
    restored = {s.input("key") for s in job.steps if (s.action or "").startswith("actions/cache")}
    return bool((saved & restored) - {None})


def _uses_image(job: Job, needed: Job, text: str) -> bool:
    """Whether `job` may use an image `needed` pushed: broadly, since `container:` and
    `services:` are not in the model."""
    if deploys(job) or any(step.action in _BUILD_ACTIONS for step in job.steps):
        return True
    if any(c.program in _CONTAINER_PROGRAMS or c.program == "gcloud" for c in _commands(job)):
        return True
    if any((step.action or "").startswith("docker/") for step in job.steps):
        return True
    return any(token in text for token in _image_tokens(needed))


def _image_tokens(job: Job) -> set[str]:
    """Image names and the `env` variables in the image references `job` pushes, e.g.
    `app` for `ghcr.io/org/app:1.0`, `IMAGE_NAME` for `${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}`.
    A reference through a step output (`${{ steps.meta.outputs.tags }}`) names nothing
    another job can see, so the images of `docker/metadata-action` are read instead."""
    references = [s.input("tags") or "" for s in job.steps if s.action in _BUILD_ACTIONS]
    references += [s.input("images") or "" for s in job.steps]
    references += [" ".join(c.operands()[1:]) for c in _commands(job) if _is_retag(c)]
    text = "\n".join(references)
    tokens = set(re.findall(r"env\.(\w+)", text))
    for reference in re.split(r"[\s,]+", _EXPRESSION.sub("$", text)):
        if "/" not in reference and ":" not in reference:
            continue  # a subcommand or option, not an image reference
        name = re.split(r"[:@]", reference.rstrip("/").rsplit("/", 1)[-1])[0]
        if len(name) > 2 and not name.startswith("$") and "=" not in name:
            tokens.add(name)
    tokens.update(name for name in job.env if re.search(r"IMAGE|REGISTRY|REPO", name))
    return tokens
