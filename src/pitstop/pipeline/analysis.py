"""Candidate changes to a workflow's job graph: jobs that need not exist, `needs` that only
serialise jobs which share nothing.

Both are judged from what the workflow says, and both lean towards keeping things: a
change is proposed only when no use of the job (or of the need) can be seen, and a `needs`
is dropped only from a job that merely checks the checkout, since a `needs` is an ordering
too. The workflow model does not keep every job key (`container:`, `services:`, a whole
`strategy` given as one expression, the `with:` of a reusable-workflow call), so the job's
own lines are read for `needs` as well; a reusable-workflow call keeps all its needs, and
image uses are judged broadly.
The review rules and `pitstop pipeline` both read these; what each saves is `whatif`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pitstop.parsers.shell import Dialect, SimpleCommand
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

_CHANGING_VERBS = {
    # the verbs that change a cluster or a release, not `helm lint` or `kubectl get`
    "kubectl": frozenset({"apply", "create", "delete", "replace", "patch", "rollout", "set"}),
    "helm": frozenset({"install", "upgrade", "uninstall", "rollback", "push"}),
    "terraform": frozenset({"apply", "destroy", "import"}),
}
_DEPLOY_COMMANDS = (
    ("twine", "upload"),
    ("flyctl", "deploy"),
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
        or any(_deploy_command(command) for command in _commands(job))
    )


def _deploy_command(command: SimpleCommand) -> bool:
    verbs = _CHANGING_VERBS.get(command.program)
    if verbs is not None:  # the verb may follow an option's value (`kubectl -n prod apply`)
        return any(word in verbs for word in command.words[1:])
    return _starts_with(command, _DEPLOY_COMMANDS)


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

    Such a job (a `tag-production-images` job re-tagging what `build` pushed) spends a runner
    start, a pull and a push on what the build can do with one more tag, or a registry can do
    with a manifest copy.
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

_CHECK_TOOLS = frozenset(
    {
        "pytest", "tox", "nox", "ruff", "mypy", "flake8", "pylint", "black", "isort",
        "pyright", "pre-commit", "prek", "codespell", "bandit", "pydocstyle", "djlint",
        "djhtml", "yamllint", "markdownlint", "markdownlint-cli2", "shellcheck", "shfmt",
        "hadolint", "eslint", "prettier", "stylelint", "tsc", "vulture", "unittest",
    }
)  # fmt: skip
"""Programs (or `python -m` modules, `uv run`/`poetry run` tools) that lint, type-check or test."""
_CHECK_WORDS = re.compile(
    r"(?<![a-z])(?:unit|tests?|lint\w*|check\w*|typecheck|type-check|types|mypy|ruff|flake8|"
    r"pylint|format\w*|style|pre-commit|spell\w*)(?![a-z])"
)
_NOT_PURE_WORDS = re.compile(
    r"e2e|end[-_ ]?to[-_ ]?end|integration|smoke|acceptance|system|deploy|publish|release|"
    r"promote|notify|announce|slack|discord|comment|label|benchmark|perf|load|cleanup|upload"
)
"""Words in a job's id or name that say it touches more than the checkout (or needs a
running system, which a `needs` may have started)."""
_CHECK_ACTIONS = frozenset(
    {
        "actions/checkout", "actions/cache", "actions/cache/restore", "astral-sh/setup-uv",
        "actions/download-artifact", "actions/upload-artifact", "pre-commit/action",
        "snok/install-poetry", "abatilo/actions-poetry", "pdm-project/setup-pdm",
        "astral-sh/ruff-action", "chartboost/ruff-action", "psf/black",
        "jakebailey/pyright-action", "pnpm/action-setup", "codespell-project/actions-codespell",
        "crate-ci/typos", "ludeeus/action-shellcheck", "mfinelli/setup-shfmt",
        "hadolint/hadolint-action", "dtolnay/rust-toolchain", "swatinem/rust-cache",
        "conda-incubator/setup-miniconda", "mamba-org/setup-micromamba",
    }
)  # fmt: skip
"""Actions that only set up tools, restore caches or run a linter over the checkout."""
_SIDE_EFFECT_PROGRAMS = frozenset(
    {
        "gh", "hub", "twine", "aws", "gcloud", "az", "terraform", "flyctl", "fly", "vercel",
        "netlify", "ssh", "scp", "rsync", "sentry-cli", "codecov", "coveralls", "sudo-deploy",
    }
)  # fmt: skip
"""Programs that call an API or publish something: their order against other jobs matters."""
_WRITE_OPTIONS = (
    "-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "-F", "--form", "-T",
    "--upload-file",
)  # fmt: skip


def _side_effect(command: SimpleCommand) -> bool:
    """Whether the command writes somewhere other than the runner (or may)."""
    program = command.program
    if program in _SIDE_EFFECT_PROGRAMS or program in _CONTAINER_PROGRAMS:
        return True
    if program == "git" and {"push", "tag", "commit"} & set(command.operands()[:1]):
        return True
    if program in ("curl", "wget") and any(
        w == o or w.startswith(f"{o}=") for w in command.words for o in _WRITE_OPTIONS
    ):
        return True
    return _starts_with(command, _DEPLOY_COMMANDS)


def _runs_checks(job: Job) -> bool:
    return any(
        word in _CHECK_TOOLS or word.rsplit("/", 1)[-1] in _CHECK_TOOLS
        for command in _commands(job)
        for word in _words(command, 4)
    ) or any(step.action in _CHECK_ACTIONS - _SETUP_ONLY for step in job.steps)


_SETUP_ONLY = frozenset(
    {
        "actions/checkout", "actions/cache", "actions/cache/restore", "astral-sh/setup-uv",
        "actions/download-artifact", "actions/upload-artifact", "snok/install-poetry",
        "abatilo/actions-poetry", "pdm-project/setup-pdm", "pnpm/action-setup",
        "mfinelli/setup-shfmt", "dtolnay/rust-toolchain", "swatinem/rust-cache",
        "conda-incubator/setup-miniconda", "mamba-org/setup-micromamba",
    }
)  # fmt: skip


def _pure_step(step: Step) -> bool:
    action = step.action
    if action is not None:
        return action in _CHECK_ACTIONS or action.startswith("actions/setup-")
    if step.run and step.dialect is Dialect.POWERSHELL:
        return not any(_powershell_side_effect(w) for c in step.commands for w in c.words)
    if step.run and step.dialect is not Dialect.POSIX:
        return False  # cmd, python, a custom shell: pitstop does not read the script
    commands = step.commands
    if any(command.program.startswith("${{") for command in commands):
        return False  # the command is chosen by an expression: pitstop cannot see it
    return not any(_side_effect(command) for command in commands)


_POWERSHELL_SIDE_EFFECT = re.compile(
    r"(invoke|publish|send|push|submit|deploy|register)-\w+|iwr|irm|iex|curl|wget|git", re.I
)
"""PowerShell commands that call an API, publish or run a string as code (`iex`)."""


def _powershell_side_effect(word: str) -> bool:
    """Whether a word of a PowerShell script names a command that may write outside the
    runner. Every word is checked, not only each command's first: pitstop splits PowerShell
    at `;`, `|` and newlines only, so a command inside `if (...) { ... }` is not first."""
    name = word.strip("({&}").lower()
    return (
        name in _SIDE_EFFECT_PROGRAMS
        or name in _CONTAINER_PROGRAMS
        or name in _CHANGING_VERBS
        or any(name == prefix[0] for prefix in _DEPLOY_COMMANDS)
        or bool(_POWERSHELL_SIDE_EFFECT.fullmatch(name))
    )


def _consumed_uploads(job: Job, workflow: Workflow) -> bool:
    """Whether another job of the workflow downloads an artifact `job` uploads."""
    return any(_shares_artifact(job, other) for other in workflow.jobs if other.id != job.id)


def pure_check(job: Job, workflow: Workflow) -> bool:
    """Whether `job` only checks the checkout (lint, type check, unit tests), so nothing
    outside its own runner depends on when it runs: it says it checks (its id, name or the
    tools it runs), uses no secret and no deployment environment, runs no unknown action,
    calls no API, pushes, publishes or comments nothing, and no other job downloads what it
    uploads. Anything pitstop cannot see (a local or unknown action) makes it not pure."""
    label = f"{job.id} {job.name or ''}".lower()
    if job.uses or job.environment or not job.steps or _NOT_PURE_WORDS.search(label):
        return False
    if "secrets." in _text(job) or not (_CHECK_WORDS.search(label) or _runs_checks(job)):
        return False
    return all(_pure_step(step) for step in job.steps) and not _consumed_uploads(job, workflow)


def unneeded_needs(workflow: Workflow) -> list[Change]:
    """`needs` entries a job could drop without changing what any run does.

    A `needs` is an ordering as well as a data flow: a notification after a release, a deploy
    after the build that produced its pages, a gate such as `wait-for-docker` all rely on
    it while reading nothing of the job they wait for. So a drop is proposed only when the
    waiting job is a pure check (`pure_check`) and uses nothing of the job it waits for:
    B uses A when B's expressions read `needs.A` (outputs or result, or all needs at once:
    `needs.*`, `toJSON(needs)`, a status function such as `failure()` in B's `if:`), when
    B downloads an artifact A uploads (a download without a name takes them all) or restores
    a cache A may save, when A has an `if:` (a skipped A skips B), or when A pushes an
    image and B runs a container tool or mentions a registry, image or `env` variable A's
    image reference uses. A job that only waits (runs nothing but `echo`, or calls a
    reusable workflow) keeps all its needs."""
    changes = []
    for job in workflow.jobs:
        if _is_barrier(job) or not pure_check(job, workflow):
            continue
        source = _source(workflow, job)
        for need in job.needs:
            needed = workflow.job(need)
            # a needed job with an `if:` may be skipped, and the skip carries through `needs`
            # (the waiting job is skipped too): dropping the need would run it where it is not
            if needed is not None and not needed.if_ and not _uses(job, needed, source):
                changes.append(_drop(job, needed))
    return changes


def _source(workflow: Workflow, job: Job) -> str:
    """The job's lines as written, from its key to the next job's: the model does not keep
    every key (`strategy: ${{ fromJSON(needs.x.outputs.matrix) }}`, `container:`,
    `services:`), and any of them may read `needs`."""
    later = [j.line for j in workflow.jobs if j.line > job.line]
    end = min(later) - 1 if later else len(workflow.lines)
    return "\n".join(workflow.lines[job.line - 1 : end])


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
            f"`{job.id}` only checks the checkout (no secret, environment, upload another job "
            f"reads, push, publish or API call) and reads no output or result of "
            f"`{needed.id}`, none of its artifacts, caches or images, so it need not wait "
            f"for it, unless the wait is there to fail fast (to spend no runner on "
            f"`{job.id}` when `{needed.id}` fails)."
        ),
    )


def _uses(job: Job, needed: Job, source: str = "") -> bool:
    text = f"{_text(job)}\n{source}"
    return (
        _reads_needs(text, job.if_ or "", needed.id)
        or _shares_artifact(needed, job)
        or _shares_cache(needed, job)
        or (_opaque(needed) and bool(job.downloads or _caches(job)))
        or (pushes_image(needed) and _uses_image(job, needed, text))
    )


def _opaque(job: Job) -> bool:
    """Whether what the job uploads or caches is out of sight: it calls a reusable workflow,
    or runs a local or container action."""
    return bool(job.uses) or any(
        (step.uses or "").startswith(("./", "docker://")) for step in job.steps
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


def _caches(job: Job) -> set[str]:
    """What the job's steps may save to or restore from the GitHub cache, by what identifies
    an entry: an actions/cache key or path, a setup action's package manager, a local action
    (which may cache anything)."""
    found: set[str] = set()
    for step in job.steps:
        action = step.action or ""
        if action.startswith("actions/cache"):
            found |= {f"key:{step.input('key')}", f"path:{(step.input('path') or '').strip()}"}
        elif action.startswith("actions/setup-") and step.input("cache"):
            found.add(f"{action}:{step.input('cache')}")
        elif action in ("astral-sh/setup-uv", "pdm-project/setup-pdm") or action.startswith("./"):
            found.add(action)
    return found - {"key:None", "path:"}


def _shares_cache(needed: Job, job: Job) -> bool:
    return bool(_caches(needed) & _caches(job))


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
