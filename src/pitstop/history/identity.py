"""The run a record belongs to: from the GitHub Actions environment when pitstop runs in a
workflow, from command-line options otherwise (an option wins over the environment)."""

from __future__ import annotations

from collections.abc import Mapping

from pitstop.errors import PitstopError
from pitstop.runs import RunIdentity

# https://docs.github.com/en/actions/reference/variables-reference (default variables)
_FROM_ENVIRONMENT = {
    "repository": "GITHUB_REPOSITORY",
    "workflow": "GITHUB_WORKFLOW",
    "run_id": "GITHUB_RUN_ID",
    "attempt": "GITHUB_RUN_ATTEMPT",
    "job": "GITHUB_JOB",
    "commit": "GITHUB_SHA",
    "event": "GITHUB_EVENT_NAME",
}


def run_identity(environment: Mapping[str, str], options: Mapping[str, str | None]) -> RunIdentity:
    """The identity from `options` (keys: RunIdentity's fields; None = not given), each
    missing value taken from the GitHub Actions `environment`. The branch of a pull request
    run is its head branch (GITHUB_HEAD_REF); of any other run, GITHUB_REF_NAME."""
    values: dict[str, str] = {}
    for name, variable in _FROM_ENVIRONMENT.items():
        given = options.get(name)
        values[name] = given if given is not None else environment.get(variable, "")
    branch = options.get("branch")
    if branch is None:
        branch = environment.get("GITHUB_HEAD_REF") or environment.get("GITHUB_REF_NAME", "")
    attempt = values.pop("attempt") or "1"
    if not attempt.isascii() or not attempt.isdigit() or int(attempt) < 1:
        raise PitstopError(f"the run attempt must be a whole number from 1, not {attempt!r}")
    return RunIdentity(**values, branch=branch, attempt=int(attempt))
