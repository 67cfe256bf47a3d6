"""Cloud Run deploy rules: cold starts, and what happens when a deploy goes wrong.

A `gcloud run deploy` (or `google-github-actions/deploy-cloudrun`) step sends traffic to
the new revision as soon as it is ready. What the step does not say stays as the service
had it; what the workflow does not check after it, nobody checks: the time to recover from a
bad release depends on a health check and a rollback the workflow runs itself.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pitstop.model import Area, Fix, Location, Severity
from pitstop.parsers.workflow import Job, Step, Workflow
from pitstop.review.project import Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.workflow_common import (
    Command,
    StepAt,
    replace_on_line,
    run_commands,
    workflow_steps,
)

DEPLOY_CLOUDRUN = "google-github-actions/deploy-cloudrun"


@dataclass(frozen=True)
class Deploy:
    """One Cloud Run deploy: a `gcloud run deploy` command or a deploy-cloudrun step."""

    at: StepAt
    line: int
    words: tuple[str, ...]  # the command's words, or the action's `flags` split
    service: str | None
    command: Command | None = None

    @property
    def location(self) -> Location:
        return Location(self.at.workflow.path, self.line)

    def flag(self, name: str) -> str | None:
        """The value of `--name VALUE` or `--name=VALUE`; "" for a bare switch; None if absent."""
        for index, word in enumerate(self.words):
            if word == name:
                following = self.words[index + 1] if index + 1 < len(self.words) else ""
                return "" if following.startswith("-") else following
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
        return None

    def has(self, name: str) -> bool:
        return self.flag(name) is not None


def cloud_run_deploys(project: Project) -> list[Deploy]:
    found = []
    for at in workflow_steps(project):
        if at.step.action == DEPLOY_CLOUDRUN:
            found.append(_action_deploy(at))
        for command in run_commands(at.step):
            operands = [w for w in command.words[1:] if not w.startswith("-")]
            if command.command.program == "gcloud" and _is_run_deploy(operands):
                service = operands[operands.index("deploy") + 1 :][:1]
                found.append(
                    Deploy(at, command.line, command.words, _service(at, service), command)
                )
    return found


def _is_run_deploy(operands: list[str]) -> bool:
    if operands[:1] in (["beta"], ["alpha"]):
        operands = operands[1:]
    return operands[:2] == ["run", "deploy"]


def _action_deploy(at: StepAt) -> Deploy:
    try:
        flags = tuple(shlex.split(at.step.input("flags") or ""))
    except ValueError:
        flags = tuple((at.step.input("flags") or "").split())
    return Deploy(at, at.step.key_line("uses"), flags, _service(at, [at.step.input("service")]))


def _service(at: StepAt, words: Sequence[str | None]) -> str | None:
    """The service name, with `${{ env.X }}` looked up in the job's and workflow's env."""
    name = words[0] if words else None
    if name is None:
        return None
    match = _ENV_EXPRESSION.fullmatch(name) or _SHELL_VARIABLE.fullmatch(name)
    if match:
        variable = match.group(1)
        return (
            at.step.env.get(variable) or at.job.env.get(variable) or at.workflow.env.get(variable)
        )
    return name


_ENV_EXPRESSION = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
_SHELL_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_PRODUCTION = re.compile(r"(?<![a-z0-9])prod(uction)?(?![a-z0-9])", re.IGNORECASE)
_NOT_PRODUCTION = re.compile(
    r"(?<![a-z0-9])(stag(e|ing)|dev(elopment)?|test(ing)?|preview|qa|sandbox)(?![a-z0-9])",
    re.IGNORECASE,
)


def is_production(deploy: Deploy) -> bool:
    """Whether the deploy goes to production, judged from the most specific name that says
    either way: the job's environment, the job, the service, then the workflow."""
    workflow, job = deploy.at.workflow, deploy.at.job
    for text in (
        job.environment,
        f"{job.id} {job.name or ''}",
        deploy.service,
        f"{workflow.name or ''} {workflow.path.rsplit('/', 1)[-1]}",
    ):
        if not text:
            continue
        if _PRODUCTION.search(text):
            return True
        if _NOT_PRODUCTION.search(text):
            return False
    return False


# -- PS460: startup CPU boost -----------------------------------------------------------------


def check_cpu_boost(project: Project) -> Iterator[Hit]:
    for deploy in cloud_run_deploys(project):
        if deploy.has("--cpu-boost") or deploy.has("--no-cpu-boost"):
            continue
        yield Hit(
            deploy.location,
            "the deploy does not set `--cpu-boost`, so startup CPU boost stays whatever the "
            "service last had (a new revision inherits it) and cold starts may run on the "
            "instance's normal CPU share. Add `--cpu-boost`: instances get extra CPU while "
            "they start, which shortens the import and warm-up of a Python app.",
            fix=_boost_fix(deploy),
        )


def _boost_fix(deploy: Deploy) -> Fix | None:
    if deploy.command is None:
        return None
    edit = replace_on_line(deploy.at.workflow, deploy.line, "run deploy", "run deploy --cpu-boost")
    return Fix("add `--cpu-boost` to the deploy", (edit,)) if edit else None


# -- PS461: production scaled to zero ---------------------------------------------------------


def check_min_instances(project: Project) -> Iterator[Hit]:
    for deploy in cloud_run_deploys(project):
        if not is_production(deploy):
            continue
        value = deploy.flag("--min-instances")
        if value is None:
            said = (
                "does not set `--min-instances`, so the service keeps its current minimum "
                "(0 for a new service)"
            )
        elif value.strip() == "0":
            said = "sets `--min-instances 0`"
        else:
            continue
        yield Hit(
            deploy.location,
            f"the production deploy {said}: after an idle period the first requests wait "
            "for a cold start (container start, imports, connections). `--min-instances 1` "
            "keeps one instance warm, billed while idle.",
        )


# -- PS462, PS463: what runs after the deploy ---------------------------------------------------

_CHECK_PROGRAMS = frozenset({"curl", "wget", "http", "https", "httpx", "hey", "ab", "k6"})
_CHECK_NAMES = re.compile(r"health|smoke|probe|verify|uptime|readiness", re.IGNORECASE)
_SMOKE = re.compile(r"smoke|health", re.IGNORECASE)  # `pytest tests/smoke`, `make healthcheck`
_SERVICE_TARGET = re.compile(r"health|url|\.run\.app|localhost|/api/", re.IGNORECASE)
_NOTIFICATION = re.compile(r"slack|discord|webhook|teams|api\.github\.com|pagerduty", re.I)
_ROLLBACK = re.compile(r"update-traffic|rollback|--to-revisions|rollout\s+undo", re.IGNORECASE)


def after_deploy(deploy: Deploy) -> Iterator[Step]:
    """The steps that run after the deploy: later in its job, then in every job that needs
    its job (directly or not)."""
    yield from deploy.at.later()
    for job in _dependents(deploy.at.workflow, deploy.at.job):
        yield from job.steps


def _dependents(workflow: Workflow, job: Job) -> list[Job]:
    found: list[Job] = []
    frontier = [job.id]
    while frontier:
        current = frontier.pop()
        for candidate in workflow.jobs:
            if current in candidate.needs and candidate not in found:
                found.append(candidate)
                frontier.append(candidate.id)
    return found


def _checks_service(step: Step) -> bool:
    if _CHECK_NAMES.search(f"{step.name or ''} {step.id or ''} {step.uses or ''}"):
        return True
    return any(requests_service(c) or _SMOKE.search(" ".join(c.words)) for c in run_commands(step))


def requests_service(command: Command) -> bool:
    """Whether a command requests the deployed service (not a chat or GitHub webhook)."""
    if command.command.program not in _CHECK_PROGRAMS:
        return False
    text = " ".join(command.words)
    return bool(_SERVICE_TARGET.search(text)) and not _NOTIFICATION.search(text)


def _checked_in_same_step(deploy: Deploy) -> bool:
    return deploy.command is not None and any(
        c.line > deploy.line and requests_service(c) for c in run_commands(deploy.at.step)
    )


def check_health_check(project: Project) -> Iterator[Hit]:
    for deploy in cloud_run_deploys(project):
        if _checked_in_same_step(deploy) or any(_checks_service(s) for s in after_deploy(deploy)):
            continue
        yield Hit(
            deploy.location,
            "nothing checks the service after this deploy: no later step or job requests its "
            "URL or /health. Cloud Run only waits for the container to listen on its port, so "
            "a revision that fails on its first real request passes. Add a step that curls "
            "`/health` (with retries) and a smoke request through the deployed URL.",
        )


def _rolls_back(step: Step) -> bool:
    if "failure()" not in (step.if_ or ""):
        return False
    return bool(_ROLLBACK.search(f"{step.run or ''} {step.uses or ''}"))


def check_rollback(project: Project) -> Iterator[Hit]:
    for deploy in cloud_run_deploys(project):
        if not is_production(deploy) or deploy.has("--no-traffic"):
            continue  # with --no-traffic, traffic moves only after the checks pass
        if any(_rolls_back(s) for s in after_deploy(deploy)):
            continue
        yield Hit(
            deploy.location,
            "the production deploy has no rollback: no step with `if: failure()` routes "
            "traffic back (`gcloud run services update-traffic --to-revisions=PREVIOUS=100`). "
            "Record the serving revision before deploying and restore it when a later check "
            "fails, or deploy with `--no-traffic` and move traffic only after the checks pass.",
        )


RULES = (
    Rule(
        "PS460",
        "cloud-run-without-cpu-boost",
        "Cloud Run deploy without --cpu-boost",
        Severity.WARNING,
        Area.WORKFLOWS,
        "Startup CPU boost gives a Cloud Run instance extra CPU while it starts, which is "
        "when a Python service imports its framework and opens its connections. A deploy "
        "that does not say `--cpu-boost` leaves it as the service last had it, so the "
        "setting lives nowhere in the repository.",
        check_project=check_cpu_boost,
        fixable=True,
    ),
    Rule(
        "PS461",
        "production-scales-to-zero",
        "Production Cloud Run service can scale to zero",
        Severity.WARNING,
        Area.WORKFLOWS,
        "With `--min-instances 0` (or none set on a new service) Cloud Run stops every "
        "instance when traffic pauses, and the next request waits for a cold start. For a "
        "production service (a job environment, job, service or workflow named prod or "
        "production) one warm instance is usually worth its idle cost.",
        check_project=check_min_instances,
    ),
    Rule(
        "PS462",
        "deploy-without-health-check",
        "Deploy without a health check",
        Severity.WARNING,
        Area.WORKFLOWS,
        "Cloud Run marks a revision ready once its container listens on the port; it does "
        "not call the application. Without a request to the deployed URL (a `/health` check, "
        "a smoke test) after the deploy, in the same job or a job that needs it, a broken "
        "release is found by users.",
        check_project=check_health_check,
    ),
    Rule(
        "PS463",
        "production-deploy-without-rollback",
        "Production deploy without a rollback step",
        Severity.WARNING,
        Area.WORKFLOWS,
        "When the health check after a production deploy fails, the new revision keeps "
        "serving unless a step puts the previous one back. An `if: failure()` step with "
        "`gcloud run services update-traffic --to-revisions=PREVIOUS=100` (or a deploy with "
        "`--no-traffic` and traffic moved after the checks) turns a failed check into a "
        "rollback instead of an outage.",
        check_project=check_rollback,
    ),
)
