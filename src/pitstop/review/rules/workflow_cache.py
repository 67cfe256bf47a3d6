"""Workflow cache rules: what a job downloads, builds or installs again on every run because
nothing caches it, or caches it under a key that restores the wrong thing.

GitHub-hosted runners start empty. A dependency install without a cache downloads every
package again; a cache key that omits the Python version restores a virtualenv built for
another interpreter; a cache written by a pull request's code can end up where the default
branch reads it. Adding the Python version to a cache key, moving hand-installed test tools
into the declared requirements and leaving browsers out of test builds are among the first
fixes a CI review of a Python project proposes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pitstop.model import Area, Fix, Location, Related, Severity
from pitstop.parsers.dependencies import normalized_name
from pitstop.parsers.shell import SimpleCommand, apt_get, pip_install
from pitstop.parsers.tomlfile import TomlFile
from pitstop.parsers.workflow import Job, Step, Workflow
from pitstop.review.project import Project, in_requirements_folder
from pitstop.review.rules.base import Hit, Rule
from pitstop.review.rules.workflow_common import (
    PULL_REQUEST_EVENTS,
    Command,
    StepAt,
    add_inputs,
    excludes_pull_requests,
    interpreter_specific,
    job_commands,
    line_with,
    names_os,
    names_python_version,
    program_words,
    pull_request_triggers,
    python_cache,
    run_commands,
    unique_per_run,
    workflow_steps,
)

# -- PS401: setup-python without a cache -------------------------------------------------------


def installer(job: Job, after: int = -1) -> str | None:
    """The package manager the job installs with after step `after`: poetry, pipenv, uv or
    pip (a `pip install poetry` before `poetry install` is Poetry's job), None if nothing."""
    found: set[str] = set()
    for step in job.steps[after + 1 :]:
        for command in run_commands(step):
            found |= _managers(command.command)
    for manager in ("poetry", "pipenv", "uv", "pip"):
        if manager in found:
            return manager
    return None


def _managers(command: SimpleCommand) -> set[str]:
    words = program_words(command, 3)
    if words[:2] in (("poetry", "install"), ("poetry", "sync")):
        return {"poetry"}
    if words[:2] in (("pipenv", "install"), ("pipenv", "sync")):
        return {"pipenv"}
    if words[0] == "uvx" or words[:2] in _UV_INSTALLS:
        return {"uv"}
    if pip_install(command):
        return {"pip"}
    return set()


_UV_INSTALLS = (("uv", "sync"), ("uv", "pip"), ("uv", "run"), ("uv", "tool"))
"""uv subcommands that download packages (`uv run` syncs the project environment first)."""

_FIRST_DEFAULT_CACHE = 5
"""setup-uv's major version from which `enable-cache` defaults to `auto`: on GitHub-hosted
runners the uv cache is saved and restored without being asked (v5.0.0 release notes,
"Default to enable-cache: true on GitHub hosted runners"; v1-v4 cached only when asked)."""
_FIRST_TRIGGER_AWARE = 10
"""From v10.0.0, `auto` caches nothing on `pull_request_target`, `workflow_run` and `release`
runs (a defence against cache poisoning)."""
_UNCACHED_EVENTS_V10 = frozenset({"pull_request_target", "workflow_run", "release"})


def setup_uv_major(workflow: Workflow, step: Step) -> int | None:
    """setup-uv's major version from its ref (`@v6`, `@v6.1.0`), or from the version comment
    beside a commit pin (`@<sha> # v8.3.2`); a branch (`@main`) is the newest release; None
    when nothing says which release it is."""
    ref = (step.uses or "").partition("@")[2]
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        line = workflow.lines[step.key_line("uses") - 1] if workflow.lines else ""
        ref = line.partition("#")[2].strip()
    match = re.match(r"v?(\d+)(\.|$|\s)", ref)
    if match:
        return int(match.group(1))
    return 1000 if ref in ("main", "master") else None


def setup_uv_caches(workflow: Workflow, job: Job, step: Step) -> bool | None:
    """Whether a setup-uv step saves and restores uv's cache: True, False, or None when it
    cannot be known (an expression, a commit pin with no version beside it)."""
    value = (step.input("enable-cache") or "auto").strip().strip("'\"").lower()
    if value in ("true", "false"):
        return value == "true"
    if value != "auto":
        return None
    major = setup_uv_major(workflow, step)
    if major is None:
        return None
    if major < _FIRST_DEFAULT_CACHE or "self-hosted" in (job.runs_on or ""):
        return False
    events = {t.event for t in workflow.triggers}
    return not (major >= _FIRST_TRIGGER_AWARE and events and events <= _UNCACHED_EVENTS_V10)


def _tool_caches(workflow: Workflow, job: Job, step: Step) -> bool | None:
    """Whether the step caches a Python installer's downloads (None: cannot tell)."""
    action = step.action or ""
    if action == "astral-sh/setup-uv":
        return setup_uv_caches(workflow, job, step)
    if action == "actions/setup-python":
        return bool(step.input("cache"))
    if action == "pdm-project/setup-pdm":
        return (step.input("cache") or "false").lower() != "false"
    if action.startswith("actions/cache"):
        path = step.input("path") or ""
        if "${{" in path:
            return None  # a folder named by an expression (`hatch env find`'s output...)
        return python_cache(path)
    return False


def job_cached(workflow: Workflow, job: Job) -> bool:
    """Whether a step of the job caches an installer's downloads, or may (unknown version)."""
    return any(_tool_caches(workflow, job, s) is not False for s in job.steps)


def _caches_turned_off(job: Job) -> Step | None:
    """A step of the job that turns its cache off in so many words (`enable-cache: false`)."""
    return next(
        (s for s in job.steps if (s.input("enable-cache") or "").strip().lower() == "false"),
        None,
    )


def _checked_out_before(at: StepAt) -> bool:
    return any(s.action == "actions/checkout" for s in at.earlier())


def _installs_poetry(step: Step) -> bool:
    if step.action in ("snok/install-poetry", "abatilo/actions-poetry"):
        return True
    return any(
        "poetry" in c.command.operands() and c.command.program in ("pipx", "pip", "pip3")
        for c in run_commands(step)
    ) or "install.python-poetry.org" in (step.run or "")


def _pip_fix(project: Project, at: StepAt) -> list[tuple[str, str]] | None:
    """`cache: pip` when setup-python's default key files exist (any requirements.txt, else
    pyproject.toml), or with `cache-dependency-path` naming the files the job installs."""
    names = {PurePosixPath(p).name for p in project.files}
    if "requirements.txt" in names or "pyproject.toml" in names:
        return [("cache", "pip")]
    files = sorted(
        {
            word
            for _, command in job_commands(at.job)
            if (arguments := pip_install(command.command))
            for word in _requirement_files(arguments)
            if word in project.files
        }
    )
    if len(files) == 1:
        return [("cache", "pip"), ("cache-dependency-path", files[0])]
    return None


def _requirement_files(arguments: tuple[str, ...]) -> list[str]:
    files, take = [], False
    for word in arguments:
        if take:
            files.append(word.removeprefix("./"))
        take = word in ("-r", "--requirement")
        if word.startswith("--requirement="):
            files.append(word.split("=", 1)[1].removeprefix("./"))
    return files


def check_setup_python_cache(project: Project) -> Iterator[Hit]:
    for at in workflow_steps(project):
        step = at.step
        if step.action != "actions/setup-python" or "cache" in step.with_:
            continue
        manager = installer(at.job, step.index)
        if manager is None or job_cached(at.workflow, at.job) or _cannot_tell(at.job):
            continue
        if _caches_turned_off(at.job) is not None:
            continue  # turned off in the job itself: a choice, not an omission
        inputs: list[tuple[str, str]]
        env_manager = _env_manager_with_uv(project, at)
        if env_manager is not None:
            message, inputs = _env_manager_advice(*env_manager), []
        else:
            message, inputs = _advice(project, at, manager)
            message, inputs = _version_check(at, manager, message, inputs)
        edit = add_inputs(at.workflow, step, inputs) if inputs else None
        fix = Fix(f"add `cache: {inputs[0][1]}` to setup-python", (edit,)) if edit else None
        yield Hit(at.at("uses"), message, fix=fix)


_GITHUB_HOSTED = re.compile(r"(ubuntu|windows|macos)-[\w.-]+|\$\{\{")


def _cannot_tell(job: Job) -> bool:
    """Whether the job's caching is out of sight: a local composite action may set up a
    cache (`uses: ./.github/actions/...`), and a self-hosted runner keeps pip's and uv's
    folders between runs (setup-uv even turns its own cache off there)."""
    if any((step.uses or "").startswith("./") for step in job.steps):
        return True
    if job.runs_on is None:  # a list or a `group:`: labels of self-hosted runners, mostly
        return "runs-on" in job.key_lines
    return not _GITHUB_HOSTED.search(job.runs_on)


_CACHE_SINCE = {"pip": (2, 3), "pipenv": (2, 3), "poetry": (3, 1)}
"""The setup-python release whose `cache:` input first took each manager: pip and Pipenv in
v2.3.0, Poetry in v3.1.0 (the action's release notes)."""


def setup_python_version(workflow: Workflow, step: Step) -> tuple[int, int] | None:
    """(major, minor) of a setup-python ref: `@v4.7.1`, a commit pin with the version beside
    it, or a major tag (`@v2`, the newest release of that major, taken as minor 99); a branch
    is the newest release; None when nothing says."""
    ref = (step.uses or "").partition("@")[2].strip()
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        line = workflow.lines[step.key_line("uses") - 1] if workflow.lines else ""
        ref = line.partition("#")[2].strip()
    match = re.match(r"v?(\d+)(?:\.(\d+))?(?:\.\d+)*(?:\s|$)", ref)
    if match:
        return int(match.group(1)), int(match.group(2)) if match.group(2) else 99
    return (1000, 0) if ref in ("main", "master") else None


def _version_check(
    at: StepAt, manager: str, message: str, inputs: list[tuple[str, str]]
) -> tuple[str, list[tuple[str, str]]]:
    """No fix, and a message that says so, when this setup-python has no `cache` input for
    the manager: adding the input alone would fail the step ("Unexpected input")."""
    since = _CACHE_SINCE.get(manager)
    version = setup_python_version(at.workflow, at.step)
    if since is None or version is None or version >= since:
        return message, inputs
    ref = (at.step.uses or "").partition("@")[2]
    return (
        f"{message} This step's `actions/setup-python@{ref}` has no `cache` input for "
        f"{manager} (it came in v{since[0]}.{since[1]}.0): upgrade the action to a current "
        "release and add the input in the same change.",
        [],
    )


_ENV_MANAGER_COMMANDS = {
    "hatch": frozenset({"run", "test", "env", "shell", "fmt"}),
    "tox": frozenset(),  # any subcommand (or none) runs environments
    "nox": frozenset(),
}


def _env_manager_runs(command: SimpleCommand) -> str | None:
    """hatch, tox or nox when the command runs that tool's environments, else None."""
    words = program_words(command, 3)
    if re.fullmatch(r"python[0-9.]*", words[0]) and command.words[1:2] == ("-m",):
        words = tuple(command.words[2:4])
    tool = words[0] if words else ""
    subcommands = _ENV_MANAGER_COMMANDS.get(tool)
    if subcommands is None:
        return None
    if subcommands and (len(words) < 2 or words[1] not in subcommands):
        return None
    return tool


def _env_manager_with_uv(project: Project, at: StepAt) -> tuple[str, str] | None:
    """(tool, why) when the job's dependencies are installed by hatch, tox or nox into
    environments of their own, with uv: then pip's cache holds only the tool itself."""
    for step in at.job.steps[at.step.index + 1 :]:
        for command in run_commands(step):
            tool = _env_manager_runs(command.command)
            if tool is None:
                continue
            why = _uses_uv(project, at.job, tool, command.command, step.working_directory)
            if why is not None:
                return tool, why
    return None


def _uses_uv(
    project: Project, job: Job, tool: str, command: SimpleCommand, folder: str | None
) -> str | None:
    if tool == "hatch":
        return _hatch_installer_uv(project, folder, _hatch_environment(command))
    if tool == "tox":
        installs = (
            words for _, c in job_commands(job) if (words := pip_install(c.command)) is not None
        )
        if any(re.match(r"tox-uv\b", word) for words in installs for word in words):
            return "the job installs tox-uv"
        return None
    words = command.words
    for index, word in enumerate(words):
        if word in ("-db", "--default-venv-backend") and words[index + 1 : index + 2] == ("uv",):
            return f"`{word} uv`"
        if word == "--default-venv-backend=uv":
            return f"`{word}`"
    return None


def _hatch_environment(command: SimpleCommand) -> str:
    """The environment `hatch run env:script` (or `hatch -e env ...`) runs in: `default`
    unless named."""
    words = command.words
    for index, word in enumerate(words[:-1]):
        if word in ("-e", "--env"):
            return words[index + 1]
    operands = command.operands()
    if len(operands) > 1 and operands[0] == "run" and ":" in operands[1]:
        return operands[1].partition(":")[0]
    return "default"


def _hatch_installer_uv(project: Project, folder: str | None, environment: str) -> str | None:
    """Where hatch's `environment` installs with uv: its own `installer`, else the `default`
    environment's (which the others inherit), in pyproject.toml's `[tool.hatch.envs.*]` or
    hatch.toml's `[envs.*]`, in the folder hatch runs in."""
    base = (folder or "").strip("/").removeprefix("./")
    for name, prefix in (("pyproject.toml", ("tool", "hatch")), ("hatch.toml", ())):
        path = f"{base}/{name}" if base and base != "." else name
        if path not in project.files:
            continue
        document: object = project.toml(path).document  # empty when not read or not TOML
        for key in (*prefix, "envs"):
            document = document.get(key, {}) if isinstance(document, dict) else {}
        envs = document if isinstance(document, dict) else {}
        for env in dict.fromkeys((environment, "default")):
            settings = envs.get(env)
            if isinstance(settings, dict) and "installer" in settings:
                if settings["installer"] != "uv":
                    return None
                return f'`installer = "uv"` in {path}, environment `{env}`'
    return None


def _env_manager_advice(tool: str, why: str) -> str:
    return (
        f"setup-python caches nothing, and the job's dependencies are installed by {tool} into "
        f"environments of its own, with uv ({why}): every run downloads them again. "
        f"`cache: pip` would keep only what pip installs ({tool} itself), not uv's downloads. "
        "Cache uv's cache folder instead: `astral-sh/setup-uv` with its cache (it sets "
        "`UV_CACHE_DIR`, which uv reads), or `actions/cache` of the folder `uv cache "
        "dir` prints, keyed on the files that declare the environments."
    )


def _advice(project: Project, at: StepAt, manager: str) -> tuple[str, list[tuple[str, str]]]:
    start = (
        f"setup-python caches nothing while the job installs with {manager}: every run "
        "downloads (and builds) every package again."
    )
    checked_out = _checked_out_before(at)
    files = {PurePosixPath(p).name for p in project.files}
    if manager == "poetry":
        if not any(_installs_poetry(s) for s in at.earlier()):
            return (
                f"{start} `cache: poetry` asks Poetry for its cache folder, so Poetry must be "
                "installed before this step: move the Poetry install (`pipx install poetry`) "
                "above it, then add `cache: poetry`.",
                [],
            )
        inputs = [("cache", "poetry")] if "poetry.lock" in files and checked_out else []
        return f"{start} Add `cache: poetry` (keyed on poetry.lock).", inputs
    if manager == "pipenv":
        inputs = [("cache", "pipenv")] if "Pipfile.lock" in files and checked_out else []
        return f"{start} Add `cache: pipenv` (keyed on Pipfile.lock).", inputs
    if manager == "uv":
        return (
            f"{start} Install uv with `astral-sh/setup-uv` (v5 or later caches uv's downloads "
            "on GitHub-hosted runners unless `enable-cache: false`), keyed on uv.lock.",
            [],
        )
    inputs = (_pip_fix(project, at) or []) if checked_out else []
    return f"{start} Add `cache: pip` (keyed on the requirements or pyproject files).", inputs


# -- PS402, PS403: cache keys ------------------------------------------------------------------

_DEPENDENCY_FILE = re.compile(
    r"lock|requirements|pyproject|pipfile|setup\.(py|cfg)|constraints|pre-commit-config|"
    r"tox\.ini|noxfile|\.txt|\.toml",
    re.IGNORECASE,
)


def _hashes_dependencies(key: str) -> bool:
    calls = re.findall(r"hashFiles\(([^)]*)\)", key, re.IGNORECASE)
    return any(_DEPENDENCY_FILE.search(arguments) for arguments in calls)


def _cache_steps(project: Project) -> Iterator[tuple[StepAt, str, str]]:
    """(step, key, path) of each actions/cache step that caches Python dependencies."""
    for at in workflow_steps(project):
        action = at.step.action or ""
        if action not in ("actions/cache", "actions/cache/restore", "actions/cache/save"):
            continue
        key, path = at.step.input("key") or "", at.step.input("path") or ""
        if key and python_cache(path):
            yield at, key, path


def missing_from_key(key: str, path: str) -> list[str]:
    missing = []
    if not names_os(key):
        missing.append("`runner.os`")
    if interpreter_specific(path) and not names_python_version(key):
        missing.append("the Python version")
    if not _hashes_dependencies(key) and not unique_per_run(key):
        missing.append("a `hashFiles(...)` of the lock or requirements files")
    return missing


_WHY_MISSING = {
    "`runner.os`": "a cache saved on one operating system is restored on another",
    "the Python version": (
        "a virtualenv or installed packages built for one Python are restored for another "
        "(its interpreter links and compiled extensions do not work there)"
    ),
}


def check_cache_key(project: Project) -> Iterator[Hit]:
    for at, key, path in _cache_steps(project):
        missing = missing_from_key(key, path)
        if not missing:
            continue
        reasons = [_WHY_MISSING.get(m, "") for m in missing]
        if any("hashFiles" in m for m in missing):
            reasons.append(
                "a key that does not change with the dependencies is hit forever, so the "
                "cache is never saved again and grows staler with every change"
            )
        held = " (Poetry keeps its virtualenvs there)" if "pypoetry" in path else ""
        yield Hit(
            at.input_at("key"),
            f"the cache key `{key}` for `{' '.join(path.split())}`{held} omits "
            f"{', '.join(missing)}: {'; '.join(r for r in reasons if r)}.",
        )


def _restore_keys(at: StepAt) -> list[str]:
    return [k.strip() for k in (at.step.input("restore-keys") or "").splitlines() if k.strip()]


def check_restore_keys(project: Project) -> Iterator[Hit]:
    for at, key, path in _cache_steps(project):
        for prefix in _restore_keys(at):
            dropped = []
            if names_os(key) and not names_os(prefix):
                dropped.append("`runner.os`")
            if (
                interpreter_specific(path)
                and names_python_version(key)
                and not names_python_version(prefix)
            ):
                dropped.append("the Python version")
            if not dropped:
                continue
            line = line_with(at.workflow, at.step.input_line("restore-keys"), prefix)
            yield Hit(
                Location(at.workflow.path, line),
                f"the restore key `{prefix}` drops {' and '.join(dropped)} that the key "
                f"`{key}` has, so on a miss it restores `{' '.join(path.split())}` saved "
                "by another operating system or interpreter. Keep every part of the key but "
                "the hash in each restore key.",
                related=(Related(at.input_at("key"), "the cache key"),),
            )


# -- PS404: cache writes reachable from pull requests -----------------------------------------


def _writes_every_run(at: StepAt) -> str | None:
    """What the step saves on every run (not only when its key is new), if anything."""
    step = at.step
    key = step.input("key") or ""
    if step.action in ("actions/cache", "actions/cache/save") and unique_per_run(key):
        return f"`{step.action}` saves a new entry on every run (its key has a per-run part)"
    if step.action == "docker/build-push-action" and _gha_export(step.input("cache-to") or ""):
        return "`cache-to: type=gha` exports the build cache on every run"
    if any("type=gha" in _cache_to_of(c) for c in run_commands(step)):
        return "`--cache-to type=gha` exports the build cache on every run"
    return None


def _gha_export(value: str) -> bool:
    return "type=gha" in value and "${{" not in value


def _cache_to_of(command: Command) -> str:
    words = command.words
    values = [
        words[i + 1] if word == "--cache-to" and i + 1 < len(words) else word[len("--cache-to=") :]
        for i, word in enumerate(words)
        if word == "--cache-to" or word.startswith("--cache-to=")
    ]
    return " ".join(values)


def _writes_cache(at: StepAt) -> str | None:
    """What the step writes to the GitHub cache when its key is new, if anything."""
    step = at.step
    action = step.action or ""
    if action in ("actions/cache", "actions/cache/save"):
        return f"`{action}` saves `{step.input('key') or 'its key'}`"
    if action.startswith("actions/setup-") and step.input("cache"):
        return f"`{action}` with `cache: {step.input('cache')}` saves in its post step"
    if action == "astral-sh/setup-uv" and _uv_saves(at):
        how = "with `enable-cache`" if step.input("enable-cache") else "(caching by default)"
        return f"`astral-sh/setup-uv` {how} saves in its post step"
    return _writes_every_run(at)


def _uv_saves(at: StepAt) -> bool:
    saves = (at.step.input("save-cache") or "true").strip().lower() != "false"
    return saves and setup_uv_caches(at.workflow, at.job, at.step) is True


def check_cache_poisoning(project: Project) -> Iterator[Hit]:
    callers = {w.path: pull_request_callers(project, w) for w in project.workflows}
    for at in workflow_steps(project):
        if excludes_pull_requests(at.job.if_ or "") or excludes_pull_requests(at.step.if_):
            continue
        reached = _own_triggers(at) + callers[at.workflow.path]
        events = {event for event, _ in reached}
        if "pull_request_target" in events and (write := _writes_cache(at)):
            related = _related(reached, "pull_request_target")
            yield Hit(at.at("uses"), _target_message(write), related=related)
        elif (
            "pull_request" in events
            and _runs_outside_pull_requests(project, at.workflow)
            and (write := _writes_every_run(at))
        ):
            related = _related(reached, "pull_request")
            yield Hit(at.at("uses"), _pull_request_message(write), related=related)


def _runs_outside_pull_requests(project: Project, workflow: Workflow) -> bool:
    """Whether some run of `workflow` is not a pull request's. For a reusable workflow that
    depends on its callers: one only pull requests reach has no default-branch run to save
    its cache, so "restore only on pull requests" would leave it with none."""
    if workflow.trigger("workflow_call") is None:
        return True  # its own triggers decide, as the rule's other checks read them
    return _reached_outside_pull_requests(project, workflow, frozenset())


def _reached_outside_pull_requests(
    project: Project, workflow: Workflow, seen: frozenset[str]
) -> bool:
    own = {t.event for t in workflow.triggers} - {"workflow_call"} - set(PULL_REQUEST_EVENTS)
    if own:
        return True
    if workflow.path in seen or workflow.trigger("workflow_call") is None:
        return False
    return any(
        _called_path(job.uses) == workflow.path
        and _reached_outside_pull_requests(project, caller, seen | {workflow.path})
        for caller in project.workflows
        for job in caller.jobs
    )


def _own_triggers(at: StepAt) -> list[tuple[str, Related]]:
    found = []
    for event in pull_request_triggers(at.workflow):
        trigger = at.workflow.trigger(event)
        line = trigger.line if trigger else at.workflow.on_line
        found.append((event, Related(Location(at.workflow.path, line), f"triggered by `{event}`")))
    return found


def _related(reached: list[tuple[str, Related]], event: str) -> tuple[Related, ...]:
    return tuple(related for e, related in reached if e == event)


def pull_request_callers(
    project: Project, workflow: Workflow, seen: frozenset[str] = frozenset()
) -> list[tuple[str, Related]]:
    """The pull-request events that reach a reusable workflow (`on: workflow_call`) through
    the jobs of this repository that call it, each with the calling job's location: the
    called workflow runs in the caller's event, cache scope included."""
    if workflow.trigger("workflow_call") is None or workflow.path in seen:
        return []
    found = []
    for caller in project.workflows:
        for job in caller.jobs:
            if _called_path(job.uses) != workflow.path or excludes_pull_requests(job.if_):
                continue
            where = Location(caller.path, job.key_lines.get("uses", job.line))
            for event in pull_request_triggers(caller):
                found.append((event, Related(where, f"called by `{job.id}` on `{event}`")))
            found += [
                (event, Related(where, f"called by `{job.id}`, itself {related.message}"))
                for event, related in pull_request_callers(project, caller, seen | {workflow.path})
            ]
    return found


def _called_path(uses: str | None) -> str | None:
    """The repository path of a local reusable workflow (`./.github/workflows/x.yml`)."""
    if not uses or not uses.startswith("./"):
        return None
    return uses.split("@", 1)[0].removeprefix("./")


_RESTORE_ONLY = (
    "Restore on pull requests (`actions/cache/restore`, or `cache-to` only when "
    "`github.event_name != 'pull_request'`) and save from the default branch "
    "(`actions/cache/save` with `if: github.ref == 'refs/heads/main'`): pull requests keep "
    "their cache hits."
)


def _target_message(write: str) -> str:
    return (
        f"{write} on `pull_request_target` runs, which use the base branch's cache scope: what "
        "a pull request's code writes here is restored by runs on the default branch (cache "
        f"poisoning). {_RESTORE_ONLY}"
    )


def _pull_request_message(write: str) -> str:
    return (
        f"{write}, pull requests included. GitHub scopes those entries to the pull request's "
        "ref, so the default branch never restores them, but every pull request's writes "
        "count against the repository's 10 GB cache and evict the default branch's entries, "
        f"and a fork decides what is written. {_RESTORE_ONLY}"
    )


# -- PS430: test tools installed by hand ------------------------------------------------------

_TOOLS = frozenset(
    {
        "pytest", "ruff", "black", "mypy", "flake8", "coverage", "tox", "nox", "pre-commit",
        "isort", "pylint", "bandit", "pyright", "pip-audit", "safety", "codecov",
        "unittest-xml-reporting", "hypothesis", "pytype", "autopep8", "yapf", "pyflakes",
        "pycodestyle", "pydocstyle", "interrogate", "vulture", "radon", "xenon",
    }
)  # fmt: skip
_TOOL_PREFIXES = ("pytest-", "flake8-", "mypy-", "types-", "coverage-")
_DEV_GROUP = re.compile(r"dev|test|lint|typ|check|ci|qa|style|format|quality", re.IGNORECASE)


@dataclass(frozen=True)
class DevDeclaration:
    """Where the project declares development or test dependencies, and which."""

    path: str
    line: int
    label: str
    names: frozenset[str]


def _tool(requirement: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement  # 40 ms: only when used

    try:
        name = Requirement(requirement).name.lower().replace("_", "-")
    except InvalidRequirement:
        return None
    return name if name in _TOOLS or name.startswith(_TOOL_PREFIXES) else None


_DEV_REQUIREMENTS = re.compile(
    r"(requirements|constraints)[-_](dev|test|lint|ci)\w*\.(txt|in)"
    r"|(dev|test)[-_]requirements\w*\.txt"
)
_DEV_FOLDER_FILE = re.compile(r"(dev|test|lint|ci)\w*\.(txt|in)")  # in a requirements/ folder


def dev_declarations(project: Project) -> list[DevDeclaration]:
    found: list[DevDeclaration] = []
    requirements = {file.path: file for file in project.dependency_files}
    for path in sorted(project.files):
        posix = PurePosixPath(path)
        if posix.name == "pyproject.toml":
            found += _pyproject_groups(project, path)
        elif _DEV_REQUIREMENTS.fullmatch(posix.name) or (
            in_requirements_folder(path) and _DEV_FOLDER_FILE.fullmatch(posix.name)
        ):
            parsed = requirements.get(path)  # None: it could not be read (a problem says why)
            names = parsed.names if parsed is not None else frozenset()
            found.append(DevDeclaration(path, 1, path, names))
    return found


def _pyproject_groups(project: Project, path: str) -> list[DevDeclaration]:
    pyproject = project.toml(path)
    if pyproject.problem is not None:
        return []  # the dependency parser reports it
    document = pyproject.document
    groups: list[tuple[str, list[str]]] = []
    extras = _table(_table(document, "project"), "optional-dependencies")
    groups += [(f"[project.optional-dependencies] {g}", _pep508(v)) for g, v in extras.items()]
    groups = [g for g in groups if _DEV_GROUP.search(g[0].rsplit(" ", 1)[-1])]
    groups += [
        (f"[dependency-groups] {g}", _pep508(v))
        for g, v in _table(document, "dependency-groups").items()
    ]
    # every level checked for its type: a pyproject of another shape is not this rule's
    # to reject (the dependency parser reports it), and must not crash it
    poetry = _table(_table(document, "tool"), "poetry")
    for group, table in _table(poetry, "group").items():
        dependencies = _table(table if isinstance(table, dict) else {}, "dependencies")
        groups.append((f"[tool.poetry.group.{group}]", list(dependencies)))
    if _table(poetry, "dev-dependencies"):
        groups.append(("[tool.poetry.dev-dependencies]", list(_table(poetry, "dev-dependencies"))))
    return [
        DevDeclaration(
            path,
            _header_line(pyproject, label),
            label,
            frozenset(normalized_name(n) for n in names),
        )
        for label, names in groups
    ]


def _table(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key, {})
    return value if isinstance(value, dict) else {}


def _pep508(value: object) -> list[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            try:
                names.append(Requirement(item).name)
            except InvalidRequirement:
                continue
    return names


def _header_line(pyproject: TomlFile, label: str) -> int:
    """The line of a label's table: `[dependency-groups] dev` is the `[dependency-groups]`
    header alone; `[tool.poetry.group.dev]` the first header starting so."""
    header = label.split("]", 1)[0] + "]"
    return pyproject.header_line(header, exact=" " in label)


_BOOTSTRAP = frozenset(
    {"tox", "nox", "pre-commit", "tox-uv", "nox-uv", "pre-commit-uv", "tox-gh-actions"}
)
"""Tools that build their own environments from the declared dependencies: installing one
by hand is how their documentation starts a CI job, not a second copy of the dev group."""


def _applies_to(declaration: DevDeclaration, at: StepAt) -> bool:
    """Whether a declaration is the project the step works on: at the repository root, or in
    the step's working directory or one above it (a nested project in a monorepo is not)."""
    parent = PurePosixPath(declaration.path).parent
    if in_requirements_folder(declaration.path):  # it belongs to the project above
        parent = parent.parent
    folder = str(parent).removeprefix(".")
    where = (at.step.working_directory or "").removeprefix("./").rstrip("/")
    return not folder or where == folder or where.startswith(f"{folder}/")


def check_tools_installed_by_hand(project: Project) -> Iterator[Hit]:
    declarations = dev_declarations(project)
    if not declarations:
        return
    for at in workflow_steps(project):
        applicable = [d for d in declarations if _applies_to(d, at)]
        for command in run_commands(at.step):
            arguments = pip_install(command.command)
            tools = sorted({t for a in arguments or () if (t := _tool(a)) and t not in _BOOTSTRAP})
            if tools and applicable:
                yield _tools_hit(at, command, tools, applicable)


def _tools_hit(
    at: StepAt, command: Command, tools: list[str], declarations: list[DevDeclaration]
) -> Hit:
    declared = sorted({t for t in tools for d in declarations if normalized_name(t) in d.names})
    where = declarations[0]
    already = (
        f" ({', '.join(declared)} {'is' if len(declared) == 1 else 'are'} declared there "
        "already: this install is a second, unpinned copy)"
        if declared
        else ""
    )
    return Hit(
        Location(at.workflow.path, command.line),
        f"`{' '.join(command.words)}` installs {', '.join(tools)} by hand while the project "
        f"declares its development dependencies in {where.path} {where.label}{already}. "
        "Declare them there and install that group: one pinned, cached install instead of "
        "a fresh download on every run.",
        related=tuple(
            Related(Location(d.path, d.line), f"development dependencies: {d.label}")
            for d in declarations[:3]
        ),
    )


# -- PS431: browser downloads without a cache --------------------------------------------------

_BROWSER_PACKAGES = re.compile(
    r"^(chromium(-browser|-driver)?|google-chrome(-stable)?|firefox(-esr)?|chromedriver)$"
)
_BROWSER_URL = re.compile(r"chromedriver|chrome-for-testing|google-chrome|geckodriver", re.I)
_BROWSER_CACHE = re.compile(r"ms-playwright|puppeteer|cypress|chrom|firefox|gecko|apt", re.I)


def browser_download(command: SimpleCommand) -> str | None:
    """What browser download the command makes, if it makes one."""
    words = program_words(command, 4)
    if "playwright" in words and "install" in words[words.index("playwright") :]:
        return "`playwright install` downloads its browsers (hundreds of MB)"
    if words[:3] == ("npx", "cypress", "install") or words[:2] == ("cypress", "install"):
        return "`cypress install` downloads the Cypress binary"
    if "puppeteer" in words and "install" in command.words:
        return "Puppeteer downloads Chrome"
    apt = apt_get(command)
    if apt and apt[0] == "install":
        browsers = [w for w in apt[1] if _BROWSER_PACKAGES.match(w)]
        if browsers:
            return f"`apt-get install {' '.join(browsers)}` downloads a browser"
    if command.program in ("curl", "wget") and any(_BROWSER_URL.search(w) for w in command.words):
        return f"`{command.program}` downloads a browser or driver"
    return None


def _caches_browsers(job: Job) -> bool:
    return any(
        (s.action or "").startswith("actions/cache")
        and _BROWSER_CACHE.search(s.input("path") or "")
        for s in job.steps
    ) or any("cache-apt-pkgs" in (s.action or "") for s in job.steps)


def check_browser_downloads(project: Project) -> Iterator[Hit]:
    for workflow in project.workflows:
        for job in workflow.jobs:
            if _caches_browsers(job):
                continue
            for _step, command in job_commands(job):
                what = browser_download(command.command)
                if what:
                    yield Hit(
                        Location(workflow.path, command.line),
                        f"{what} on every run of `{job.id}`, with no cache of the browser "
                        "folder. Cache it (`~/.cache/ms-playwright` for Playwright) with a key "
                        "on the tool's version from the lock file, and on a hit install only "
                        "the system packages (`playwright install-deps`).",
                    )


RULES = (
    Rule(
        "PS401",
        "setup-python-without-cache",
        "setup-python without a dependency cache",
        Severity.WARNING,
        Area.WORKFLOWS,
        "A GitHub-hosted runner starts empty, so a job that installs dependencies downloads "
        "(and builds) every one of them on every run. `actions/setup-python` caches pip, "
        "Poetry or Pipenv downloads keyed on the lock or requirements files with one input, "
        "`cache:`. pitstop picks the manager the job installs with; the fix adds `cache: pip` "
        "(or poetry/pipenv when the lock file and the job say so) only where the action can "
        "work: the repository is checked out first, the key files exist, and for Poetry, "
        "Poetry is installed before the step (the action asks it for its cache folder). A "
        "job is cached when any step caches its installer: `astral-sh/setup-uv` (from v5 it "
        "caches by default on GitHub-hosted runners; v10 not on `pull_request_target`, "
        "`workflow_run` or `release`; with a commit pin and no version beside it pitstop "
        "cannot tell and stays silent), setup-python's `cache:`, setup-pdm's, or an "
        "`actions/cache` of a Python folder. A cache turned off in the job itself "
        "(`enable-cache: false`, `uv ... --no-cache`) is a choice: not reported; a choice "
        "written only in a comment needs an inline ignore. Nothing is said where the cache "
        "is out of sight: a local composite action (`uses: ./...`), a self-hosted runner "
        "(its folders persist between runs). No fix where the input cannot work: a setup-python "
        "older than the `cache` input (pip and Pipenv from v2.3.0, Poetry from v3.1.0; the "
        "action must be upgraded in the same change), or a job whose dependencies hatch, "
        'tox or nox install with uv (hatch\'s `installer = "uv"`, tox-uv, `nox -db uv`): '
        "pip's cache would hold only the tool, so the advice is to cache uv's folder.",
        check_project=check_setup_python_cache,
        fixable=True,
    ),
    Rule(
        "PS402",
        "cache-key-incomplete",
        "Dependency cache key misses the OS, the Python version or the lock file",
        Severity.WARNING,
        Area.WORKFLOWS,
        "An `actions/cache` key decides what is restored. Without `runner.os` a cache saved "
        "on one OS is restored on another; without the Python version a virtualenv (or "
        "~/.cache/pypoetry, which holds Poetry's virtualenvs) built for one interpreter is "
        "restored for another; without a `hashFiles(...)` of the lock or requirements file "
        "the key is hit forever, so the cache is never saved again.",
        check_project=check_cache_key,
    ),
    Rule(
        "PS403",
        "restore-key-too-wide",
        "Restore key can restore another interpreter's environment",
        Severity.WARNING,
        Area.WORKFLOWS,
        "On a miss, `restore-keys` restores the newest entry whose key starts with a prefix. "
        "A prefix that drops the Python version (for a virtualenv or site-packages) or "
        "`runner.os` restores an environment built by another interpreter or OS, which "
        "then fails in confusing ways or is silently rebuilt. Drop only the hash.",
        check_project=check_restore_keys,
    ),
    Rule(
        "PS404",
        "cache-written-from-pull-requests",
        "Cache written by pull-request runs",
        Severity.WARNING,
        Area.SECURITY,
        "A `pull_request_target` run uses the base branch's cache scope, so a cache it saves "
        "while running a pull request's code is restored by the default branch: cache "
        "poisoning. `pull_request` runs are scoped to their own ref, so pitstop reports "
        "those only when a step writes on every run (a per-run key, `cache-to: type=gha`): "
        "each pull request then fills the repository's 10 GB cache and evicts the default "
        "branch's entries. A reusable workflow (`workflow_call`) runs in its callers' "
        "events, so it is judged with the pull-request events of the workflows that call it "
        "(the calling job is named). The answer is never to turn caching off: restore on pull "
        "requests and save from the default branch.",
        check_project=check_cache_poisoning,
    ),
    Rule(
        "PS430",
        "tools-installed-by-hand",
        "Test or lint tools installed by hand in a workflow",
        Severity.WARNING,
        Area.WORKFLOWS,
        "`pip install pytest ruff` in a run step installs unpinned versions, outside the "
        "lock file, on every run, while the project already has a place for them "
        "(optional-dependencies, dependency groups, a Poetry group, requirements-dev.txt). "
        "Declared tools are pinned, installed with the rest and cached. Tools that build "
        "their own environments from the declarations (tox, nox, pre-commit) are installed "
        "by hand by design and not reported; nor are declarations of a nested project the "
        "step does not work in.",
        check_project=check_tools_installed_by_hand,
    ),
    Rule(
        "PS431",
        "browser-download-uncached",
        "Browser download on every run",
        Severity.WARNING,
        Area.WORKFLOWS,
        "`playwright install`, `cypress install`, a Chrome or chromedriver download, or "
        "`apt-get install chromium` fetch hundreds of megabytes on every run when nothing "
        "caches them, often in test builds whose tests use no browser. Cache the browser "
        "folder keyed on the tool's version, or leave the browser out of jobs that do not "
        "use it.",
        check_project=check_browser_downloads,
    ),
)
