from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.history.identity import run_identity
from pitstop.runs import RunIdentity

ACTIONS = {
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_RUN_ID": "9001",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_JOB": "tests",
    "GITHUB_SHA": "abc123",
    "GITHUB_REF_NAME": "main",
    "GITHUB_EVENT_NAME": "push",
}


def test_in_github_actions_the_environment_names_the_run():
    assert run_identity(ACTIONS, {}) == RunIdentity(
        "acme/shop", "CI", "9001", 2, "tests", "abc123", "main", "push"
    )


def test_a_pull_request_run_is_on_its_head_branch_not_the_merge_ref():
    environment = {**ACTIONS, "GITHUB_REF_NAME": "42/merge", "GITHUB_HEAD_REF": "feature"}
    assert run_identity(environment, {}).branch == "feature"


def test_options_win_over_the_environment():
    run = run_identity(ACTIONS, {"run_id": "7", "branch": "dev", "attempt": "3", "job": None})
    assert (run.run_id, run.branch, run.attempt, run.job) == ("7", "dev", 3, "tests")


def test_outside_ci_nothing_is_invented():
    assert run_identity({}, {}) == RunIdentity()


@pytest.mark.parametrize("attempt", ["0", "-1", "two", "²"])
def test_an_attempt_that_is_not_a_whole_number_from_1_is_refused(attempt):
    with pytest.raises(PitstopError, match="attempt"):
        run_identity({}, {"attempt": attempt})
