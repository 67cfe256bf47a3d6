"""What each change saves, computed on the graph with the measured durations."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.pipeline.analysis import Change
from pitstop.pipeline.job_graph import job_graph
from pitstop.pipeline.whatif import apply_change, what_if

from .conftest import workflow

# build (300) -> test (600) -> retag (300) -> deploy (120); docs (60) needs build
YAML = """
build:
  runs-on: ubuntu-latest
  steps: [{run: make image}]
test:
  needs: build
  runs-on: ubuntu-latest
  steps: [{run: pytest}]
docs:
  needs: build
  runs-on: ubuntu-latest
  steps: [{run: make docs}]
retag:
  needs: [test, docs]
  runs-on: ubuntu-latest
  steps: [{run: crane copy a b}]
deploy:
  needs: retag
  runs-on: ubuntu-latest
  steps: [{run: kubectl apply -f k8s}]
"""
DURATIONS = {"build": 300.0, "test": 600.0, "docs": 60.0, "retag": 300.0, "deploy": 120.0}
REMOVE_RETAG = Change("remove-job", "retag", None, 14, "re-tags only")
DROP_TEST = Change("drop-need", "retag", "test", 15, "shares nothing")


def graph():
    return job_graph(workflow(YAML))


def test_removing_a_job_hands_its_needs_to_the_jobs_that_needed_it():
    after = apply_change(graph(), REMOVE_RETAG)
    assert after.jobs == ("build", "test", "docs", "deploy")
    assert after.needs("deploy") == ("test", "docs")


def test_dropping_a_need_removes_one_edge():
    after = apply_change(graph(), DROP_TEST)
    assert after.needs("retag") == ("docs",)
    assert after.needs("test") == ("build",)


def test_what_if_with_timings_gives_exact_savings():
    remove, drop = what_if(graph(), DURATIONS, [REMOVE_RETAG, DROP_TEST])
    # before: build 300 + test 600 + retag 300 + deploy 120 = 1320
    assert remove.critical_path.jobs == ("build", "test", "deploy")
    assert (remove.critical_path.seconds, remove.seconds_saved, remove.jobs_saved) == (
        1020.0,
        300.0,
        1,
    )
    # without test -> retag, the path runs through docs: 300 + 60 + 300 + 120 = 780; test ends
    # at 900, later than that, so the run still takes 900 seconds
    assert drop.critical_path.jobs == ("build", "test")
    assert (drop.critical_path.seconds, drop.seconds_saved, drop.jobs_saved) == (900.0, 420.0, 2)


def test_what_if_without_timings_is_by_job_count_and_claims_no_seconds():
    (remove,) = what_if(graph(), None, [REMOVE_RETAG])
    assert remove.critical_path.by == "job count"
    assert (remove.critical_path.seconds, remove.seconds_saved, remove.jobs_saved) == (
        None,
        None,
        1,
    )


def test_a_removed_job_missing_from_the_timings_saves_nothing_it_was_not_measured_for():
    durations = {k: v for k, v in DURATIONS.items() if k != "retag"}
    (remove,) = what_if(graph(), durations, [REMOVE_RETAG])
    assert remove.seconds_saved == 0.0
    assert remove.critical_path.missing == ()


@pytest.mark.parametrize(
    "change",
    [
        Change("remove-job", "nope", None, 3, ""),
        Change("drop-need", "deploy", "build", 19, ""),
        Change("rename-job", "deploy", None, 17, ""),
    ],
)
def test_a_change_the_graph_cannot_take_is_an_error(change):
    with pytest.raises(PitstopError, match=r"^ci\.yml:\d+: "):
        apply_change(graph(), change)
