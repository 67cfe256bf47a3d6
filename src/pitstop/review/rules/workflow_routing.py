"""Workflow routing rules: which runs start, which get cancelled, how long a stuck job may
hold a runner, and which jobs wait for others they do not need.

Every pull-request push starts every job of every workflow it triggers; without a filter,
a concurrency group and a timeout, the heavy ones run for changes they cannot be affected
by, keep running after a newer push made them pointless, and hang for GitHub's default of
six hours. A `needs` is an ordering as well as a data flow, so only a check that shares
nothing with the job it waits for is told it need not wait.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pitstop.model import Area, Fix, Location, Related, Severity, TextEdit
from pitstop.parsers.workflow import Job, Trigger, Workflow
from pitstop.review.project import Project
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.workflow_common import (
    PULL_REQUEST_EVENTS,
    indentation,
    job_commands,
    program_words,
)
from pitstop.review.rules.workflow_docker import image_builds

# -- PS440: heavy jobs on every pull request ---------------------------------------------------

_SCAN_ACTIONS = (
    "github/codeql-action/analyze",
    "aquasecurity/trivy-action",
    "anchore/scan-action",
    "snyk/actions",
    "returntocorp/semgrep-action",
    "semgrep/semgrep-action",
)
"""Scans that take minutes. CodeQL's `upload-sarif` only uploads another tool's results, and
zizmor lints the workflow files in seconds: neither makes a job heavy."""
_SCANNERS = frozenset({"trivy", "grype", "snyk", "semgrep", "codeql"})
_E2E = re.compile(r"(?<![a-z])(e2e|end[-_ ]?to[-_ ]?end)(?![a-z])", re.IGNORECASE)
_TRIVIAL_CONDITION = re.compile(r"^\s*(\$\{\{)?\s*(always|success|!\s*cancelled)\(\)\s*(\}\})?\s*$")


def heavy_work(job: Job) -> str | None:
    """What makes the job heavy: an image build, a security scan, end-to-end tests."""
    for step in job.steps:
        action = step.action or ""
        if action in ("docker/build-push-action", "docker/bake-action"):
            return "builds an image"
        if action.startswith(_SCAN_ACTIONS):
            return f"runs a security scan (`{action}`)"
    for _step, command in job_commands(job):
        words = program_words(command.command, 3)
        if words[0] in ("docker", "podman") and (
            words[1:2] == ("build",) or words[1:3] in (("buildx", "build"), ("buildx", "bake"))
        ):
            return "builds an image"
        if words[0] in _SCANNERS:
            return f"runs a security scan (`{words[0]}`)"
        if _end_to_end(words):
            return "runs end-to-end tests"
        if "pytest" in words and any(_E2E.search(w) for w in command.words):
            return "runs end-to-end tests"
    if _E2E.search(f"{job.id} {job.name or ''}"):
        return "runs end-to-end tests"
    return None


def _end_to_end(words: tuple[str, ...]) -> bool:
    runners = (("playwright", "test"), ("cypress", "run"))
    return words[:2] in runners or words[1:3] in runners


def restricted(workflow: Workflow, job: Job, seen: frozenset[str] = frozenset()) -> bool:
    """Whether the job (or a job it needs, which skips it when skipped) has a real `if:`."""
    if job.if_ and not _TRIVIAL_CONDITION.match(job.if_):
        return True
    for need in job.needs:
        needed = workflow.job(need)
        if needed is not None and need not in seen and restricted(workflow, needed, seen | {need}):
            return True
    return False


def _images_hold_every_file(project: Project, job: Job) -> bool:
    """Whether every image the job builds copies the whole repository (`COPY .` from the
    root, an ignore file that excludes none of its files), and the job does nothing else
    heavy: then every change reaches the image, no `paths` filter can skip a push, and a
    build on the default branch only would drop the pull request's test of its image."""
    builds = [b for b in image_builds(project) if b.at.job is job]
    if not builds or _other_heavy_work(job):
        return False
    return all(_copies_the_repository(project, b.dockerfile, b.context) for b in builds)


def _other_heavy_work(job: Job) -> bool:
    """A scan, end-to-end tests or a bake build (whose images pitstop does not list here)."""
    if any(
        s.action == "docker/bake-action" or (s.action or "").startswith(_SCAN_ACTIONS)
        for s in job.steps
    ):
        return True
    for _step, command in job_commands(job):
        words = program_words(command.command, 3)
        if words[0] in _SCANNERS or words[1:3] == ("buildx", "bake") or _end_to_end(words):
            return True
        if "pytest" in words and any(_E2E.search(w) for w in command.command.words):
            return True
    return bool(_E2E.search(f"{job.id} {job.name or ''}"))


def _copies_the_repository(project: Project, dockerfile: str | None, context: str | None) -> bool:
    if dockerfile is None or context != "":
        return False
    source = next((s for s in project.dockerfiles if s.path == dockerfile), None)
    if source is None or not any(c.cleaned == "." and c.build.context == "" for c in source.copies):
        return False
    ignore = project.ignore_file_for(dockerfile, "")
    return ignore is None or not any(ignore.excludes(path) for path in project.files)


def check_heavy_jobs(project: Project) -> Iterator[Hit]:
    for workflow in project.workflows:
        trigger = next(
            (t for t in workflow.triggers if t.event in PULL_REQUEST_EVENTS and not t.filtered),
            None,
        )
        if trigger is None:
            continue
        for job in workflow.jobs:
            what = heavy_work(job)
            if what is None or restricted(workflow, job):
                continue
            if what == "builds an image" and _images_hold_every_file(project, job):
                continue
            yield Hit(
                Location(workflow.path, job.line),
                f"`{job.id}` {what} on every `{trigger.event}` push: the trigger has no "
                "`paths` or `branches` filter and the job no `if:`. Run it only when the files "
                "it depends on change (`paths:`, or a changes job the heavy job `needs`), or "
                "only on the default branch (`if: github.ref == 'refs/heads/main'`).",
                related=(
                    Related(Location(workflow.path, trigger.line), f"`{trigger.event}` trigger"),
                ),
            )


# -- PS441: no concurrency group on pull requests ---------------------------------------------


_NEW_CODE_TYPES = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
"""Pull-request activity types whose run a newer push makes obsolete; a run for any other
type (`labeled`, `closed`, `edited`...) does its own work, which cancelling would lose."""


def runs_per_push(trigger: Trigger) -> bool:
    """Whether the trigger starts a run for each push to a pull request: a pull-request event
    whose `types` are the default or include `synchronize`."""
    return trigger.event in PULL_REQUEST_EVENTS and (
        not trigger.types or "synchronize" in trigger.types
    )


def check_concurrency(project: Project) -> Iterator[Hit]:
    for workflow in project.workflows:
        events = [t for t in workflow.triggers if runs_per_push(t)]
        if not events or workflow.concurrency_cancels or _stated(workflow):
            continue
        if _called_workflows_cancel(project, workflow) or not _checks_out(workflow):
            continue
        if workflow.concurrency is not None:
            message = (
                f"the concurrency group `{workflow.concurrency}` never cancels (no "
                "`cancel-in-progress`): each push to a pull request queues behind the run it "
                f"made obsolete. Cancel pull-request runs only (`cancel-in-progress: "
                f"{_cancel(workflow, events)}`); if the runs must queue on purpose, say so "
                "with `cancel-in-progress: false`."
            )
        else:
            message = (
                f"triggered by `{events[0].event}` with no `concurrency` group: every push to a "
                "pull request starts a full run while the runs for its earlier commits keep "
                f"going, using runners for results nobody will read.{_no_fix_reason(events)}"
            )
        line = workflow.key_lines.get("concurrency", workflow.on_line)
        fix = None
        if workflow.concurrency is None and not _other_types(events):
            fix = _concurrency_fix(workflow, events)
        yield Hit(Location(workflow.path, line), message, fix=fix)


def _checks_out(workflow: Workflow) -> bool:
    """Whether a job works on the pushed code (checks it out, runs commands, or calls a
    workflow that may): a bot made only of actions that comment or label saves nothing by
    cancelling, and a cancelled run of it can lose the one event it acts on."""
    return any(
        job.uses or any(step.run or step.action == "actions/checkout" for step in job.steps)
        for job in workflow.jobs
    )


def _called_workflows_cancel(project: Project, workflow: Workflow) -> bool:
    """Whether a reusable workflow of this repository that a job calls has a concurrency of
    its own (top-level or on its jobs): superseded runs are then its business already."""
    paths = {j.uses.removeprefix("./") for j in workflow.jobs if j.uses and j.uses.startswith("./")}
    return any(
        w.path in paths and (w.concurrency is not None or any(j.concurrency for j in w.jobs))
        for w in project.workflows
    )


def _stated(workflow: Workflow) -> bool:
    """Whether the workflow decides about concurrency itself (`cancel-in-progress` written
    out, `false` included, or groups on its jobs), or deploys or publishes: a run cancelled
    mid-deploy can leave a half-done release, so its runs per push are not pitstop's call."""
    from pitstop.pipeline.analysis import deploys

    return (
        workflow.cancel_in_progress is not None
        or any(j.concurrency for j in workflow.jobs)
        or any(j.environment or deploys(j) for j in workflow.jobs)
        # also called by other workflows: a group computed here can equal the caller's own,
        # which GitHub resolves by cancelling the called run (a deadlock it reports)
        or any(trigger.event == "workflow_call" for trigger in workflow.triggers)
    )


def _other_types(events: list[Trigger]) -> list[str]:
    return sorted({t for e in events for t in e.types if t not in _NEW_CODE_TYPES})


def _no_fix_reason(events: list[Trigger]) -> str:
    others = _other_types(events)
    if not others:
        return ""
    return (
        f" The trigger also runs on {', '.join(f'`{t}`' for t in others)}, whose runs a "
        "cancelling group could cancel (or replace while pending), so pitstop proposes no "
        "edit: cancel only runs for `synchronize` if you add a group."
    )


def _concurrency_fix(workflow: Workflow, events: list[Trigger]) -> Fix | None:
    """A top-level `concurrency:` after the `on:` block, when both it and the next key start
    at column 1 (block style), so the new lines cannot land inside another mapping."""
    following = sorted(line for line in workflow.key_lines.values() if line > workflow.on_line)
    on_text = _line(workflow, workflow.on_line)
    if not following or not re.match(r"""["']?(on|true)["']?\s*:""", on_text):
        return None
    end = following[0]
    if indentation(_line(workflow, end)):
        return None
    insert = end
    while insert - 1 > workflow.on_line and _blank_or_comment(_line(workflow, insert - 1)):
        insert -= 1
    pad = _indent_unit(workflow)
    block = (
        f"concurrency:\n{pad}group: {_group(workflow, events)}\n{pad}cancel-in-progress: "
        f"{_cancel(workflow, events)}\n"
    )
    text = "\n" + block if insert < end else block
    edit = TextEdit(workflow.path, insert, 1, insert, 1, text)
    return Fix("cancel superseded pull-request runs (top-level `concurrency:`)", (edit,))


def _line(workflow: Workflow, number: int) -> str:
    return workflow.lines[number - 1] if 1 <= number <= len(workflow.lines) else ""


def _blank_or_comment(text: str) -> bool:
    return not text.strip() or text.startswith("#")


def _indent_unit(workflow: Workflow) -> str:
    width = len(indentation(_line(workflow, workflow.on_line + 1)))
    return " " * width if width else "  "


def _only_pull_requests(workflow: Workflow, events: list[Trigger]) -> bool:
    return len(events) == len(workflow.triggers)


def _pull_request_run(events: list[Trigger]) -> str:
    """An expression true for the runs of `events` only."""
    if len(events) == 1:
        return f"github.event_name == '{events[0].event}'"
    return "startsWith(github.event_name, 'pull_request')"


def _group(workflow: Workflow, events: list[Trigger]) -> str:
    """Pull-request runs share a group per pull request: `github.ref` is its merge ref, but
    on `pull_request_target` it is the base branch, shared by every pull request. Runs of any
    other event get a group of their own (`github.run_id`): in a shared group GitHub cancels
    a pending run when another arrives, whatever `cancel-in-progress` says, and a push, a
    schedule, an issue or a release event would be lost."""
    key = "github.ref"
    if any(e.event == "pull_request_target" for e in events):
        key = "github.event.pull_request.number || github.ref"
    if _only_pull_requests(workflow, events):
        return f"${{{{ github.workflow }}}}-${{{{ {key} }}}}"
    return (
        f"${{{{ github.workflow }}}}-${{{{ {_pull_request_run(events)} && ({key}) || "
        "github.run_id }}"
    )


def _cancel(workflow: Workflow, events: list[Trigger]) -> str:
    """`true` when only pull requests trigger the workflow; otherwise only their runs cancel,
    so a push to the default branch never cancels a run that may be deploying."""
    if _only_pull_requests(workflow, events):
        return "true"
    return f"${{{{ {_pull_request_run(events)} }}}}"


# -- PS442: no timeout ------------------------------------------------------------------------


def check_timeouts(project: Project) -> Iterator[Hit]:
    """One finding per workflow, at its first job without a timeout, listing them all. A job
    that calls a reusable workflow cannot take `timeout-minutes` (its jobs set their own), and
    a job with `# pitstop: ignore[PS442]` above it is left out of the list."""
    from pitstop.review.engine import inline_ignores  # the engine imports the rule tables

    for workflow in project.workflows:
        jobs = [
            job
            for job in workflow.jobs
            if job.timeout_minutes is None
            and job.uses is None
            and "PS442" not in inline_ignores(workflow.lines, job.line)
        ]
        if jobs:
            yield _timeout_hit(workflow, jobs)


def _timeout_hit(workflow: Workflow, jobs: list[Job]) -> Hit:
    names = ", ".join(f"`{job.id}`" for job in jobs)
    which = f"`{jobs[0].id}` has" if len(jobs) == 1 else f"{len(jobs)} jobs ({names}) have"
    return Hit(
        Location(workflow.path, jobs[0].line),
        f"{which} no `timeout-minutes`: a hung step holds its runner for GitHub's default of "
        "360 minutes. Set each to a few times the job's usual duration (`pitstop pipeline "
        "--timings` shows the measured ones).",
        related=tuple(
            Related(Location(workflow.path, job.line), f"`{job.id}`: no `timeout-minutes`")
            for job in jobs[1:]
        ),
    )


# -- PS450: needs that share nothing ----------------------------------------------------------


def check_unneeded_needs(project: Project) -> Iterator[Hit]:
    from pitstop.pipeline.analysis import unneeded_needs

    for workflow in project.workflows:
        for change in unneeded_needs(workflow):
            needed = workflow.job(change.need or "")
            related = (
                (Related(Location(workflow.path, needed.line), f"`{needed.id}`"),) if needed else ()
            )
            yield Hit(
                Location(workflow.path, change.line),
                f"{change.reason} Waiting adds `{change.need}`'s whole duration to "
                f"`{change.job}`'s start.",
                related=related,
            )


RULES = (
    Rule(
        "PS440",
        "heavy-job-on-every-pull-request",
        "Heavy job on every pull request",
        Severity.WARNING,
        Area.WORKFLOWS,
        "Image builds, security scans (Trivy, Grype, Snyk, Semgrep, CodeQL analysis) and "
        "end-to-end tests are the slowest jobs of a pipeline. On a `pull_request` trigger with no "
        "`paths` or `branches` filter, and no `if:` on the job (or on a job it needs), they "
        "run for every push, documentation typos included. Not reported: a job whose only "
        "heavy work is building images that copy the whole repository (`COPY .` from the "
        "root, no file excluded by the ignore file), where every change reaches the image, "
        "so no filter can skip a push, and building on pull requests is the test of it.",
        check_project=check_heavy_jobs,
    ),
    Rule(
        "PS441",
        "no-cancel-in-progress",
        "Pull-request workflow without a cancelling concurrency group",
        Severity.WARNING,
        Area.WORKFLOWS,
        "Each push to a pull request starts a new run; without `concurrency` and "
        "`cancel-in-progress`, the runs for the earlier commits keep their runners until they "
        "finish. Only triggers that run per push count (`types` including `synchronize`, or "
        "none); a `cancel-in-progress` written out, `false` included, or groups on the jobs "
        "are the workflow's own choice, and a workflow that deploys or publishes is left "
        "alone (a run cancelled mid-deploy can leave a half-done release). The fix adds a "
        "group per workflow and ref after `on:`; when other events trigger the workflow too, "
        "only pull-request runs cancel and every other run gets a group of its own "
        "(`github.run_id`), since GitHub cancels a pending run of a group when the next "
        "arrives and a push, schedule, issue or release event would be lost. No fix when the "
        "trigger also lists activity types such as `labeled`, whose runs are not made "
        "obsolete by a push.",
        check_project=check_concurrency,
        fixable=True,
    ),
    Rule(
        "PS442",
        "job-without-timeout",
        "Job without timeout-minutes",
        Severity.INFO,
        Area.WORKFLOWS,
        "GitHub cancels a job after 360 minutes by default. A test waiting on a dead service "
        "or a prompt holds its runner (and blocks the jobs after it) for six hours. pitstop "
        "suggests no number: set one from the job's measured durations. One finding per "
        "workflow lists its jobs; a job calling a reusable workflow cannot take the key and "
        "is not counted.",
        check_project=check_timeouts,
    ),
    Rule(
        "PS450",
        "needs-without-use",
        "Job waits for a job it uses nothing from",
        Severity.WARNING,
        Area.WORKFLOWS,
        "`needs:` serialises jobs: the dependent job starts only when the other finishes. "
        "A `needs` is an ordering as well as a data flow (a notice after a release, a deploy "
        "of the pages a build wrote, a release after a gate), so pitstop proposes dropping "
        "one only from a pure check: a lint, type-check or unit-test job that uses no secret "
        "or environment, runs no unknown or local action, pushes, publishes, comments or "
        "calls no API, and uploads nothing another job reads; and only when it reads none "
        "of the other job's outputs or results, artifacts, caches or images. The wait may "
        "still be there to fail fast (no runner spent on tests when lint fails); the message "
        "says so.",
        check_project=check_unneeded_needs,
    ),
)
