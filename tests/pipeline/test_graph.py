"""The job graph and its critical path: shapes, tie-breaking, matrix jobs, missing timings and
the errors a broken `needs` gives."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.pipeline.job_graph import critical_path, job_graph

from .conftest import workflow


def jobs(needs: dict[str, list[str]]) -> str:
    """YAML for jobs named by `needs`' keys, each needing its list (one echo step each)."""
    lines = []
    for job, wanted in needs.items():
        lines.append(f"{job}:")
        if wanted:
            lines.append(f"  needs: [{', '.join(wanted)}]")
        lines += ["  runs-on: ubuntu-latest", "  steps:", f"    - run: echo {job}"]
    return "\n".join(lines)


DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
CHAIN = {"a": [], "b": ["a"], "c": ["b"]}
PARALLEL = {"a": [], "b": ["a"], "x": [], "y": ["x"], "z": ["y"]}


@pytest.mark.parametrize(
    ("shape", "durations", "expected_jobs", "expected_seconds"),
    [
        (DIAMOND, {"a": 10, "b": 30, "c": 20, "d": 5}, ("a", "b", "d"), 45.0),
        (DIAMOND, {"a": 10, "b": 20, "c": 30, "d": 5}, ("a", "c", "d"), 45.0),
        (CHAIN, {"a": 1, "b": 2, "c": 3}, ("a", "b", "c"), 6.0),
        (PARALLEL, {"a": 100, "b": 100, "x": 10, "y": 10, "z": 10}, ("a", "b"), 200.0),
        (PARALLEL, {"a": 1, "b": 1, "x": 10, "y": 10, "z": 10}, ("x", "y", "z"), 30.0),
    ],
)
def test_critical_path_by_timings(shape, durations, expected_jobs, expected_seconds):
    path = critical_path(job_graph(workflow(jobs(shape))), durations)
    assert (path.jobs, path.seconds, path.by, path.missing) == (
        expected_jobs,
        expected_seconds,
        "timings",
        (),
    )


@pytest.mark.parametrize(
    ("shape", "expected_jobs"),
    [
        (DIAMOND, ("a", "b", "d")),  # a tie between b and c: the first listed need wins
        (CHAIN, ("a", "b", "c")),
        (PARALLEL, ("x", "y", "z")),
    ],
)
def test_critical_path_by_job_count(shape, expected_jobs):
    path = critical_path(job_graph(workflow(jobs(shape))))
    assert (path.jobs, path.seconds, path.by) == (expected_jobs, None, "job count")


def test_jobs_missing_from_the_timings_count_as_zero_and_are_named():
    path = critical_path(job_graph(workflow(jobs(DIAMOND))), {"a": 10, "c": 20})
    assert (path.jobs, path.seconds, path.missing) == (("a", "c", "d"), 30.0, ("b", "d"))


def test_a_matrix_job_is_one_node():
    yaml = """
build:
  runs-on: ubuntu-latest
  steps: [{run: make}]
test:
  needs: build
  runs-on: ubuntu-latest
  strategy:
    matrix:
      python: ["3.11", "3.12", "3.13"]
  steps: [{run: pytest}]
"""
    graph = job_graph(workflow(yaml))
    assert [(n.id, n.matrix) for n in graph.nodes] == [("build", False), ("test", True)]
    assert critical_path(graph, {"build": 60, "test": 300}).seconds == 360.0


def test_an_empty_workflow_has_an_empty_path():
    graph = job_graph(workflow("{}"))
    assert critical_path(graph).jobs == ()


def test_an_unknown_need_names_the_file_and_the_needs_line():
    yaml = jobs({"a": [], "b": ["a", "nope"]})
    with pytest.raises(PitstopError) as raised:
        job_graph(workflow(yaml, path=".github/workflows/ci.yml"))
    assert str(raised.value).startswith(".github/workflows/ci.yml:8: job `b` needs `nope`")
    assert "(jobs: a, b)" in str(raised.value)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ({"a": ["b"], "b": ["a"]}, "ci.yml:4: jobs need each other in a cycle: a → b → a"),
        ({"a": ["a"]}, "ci.yml:4: jobs need each other in a cycle: a → a"),
        (
            {"s": [], "a": ["s", "c"], "b": ["a"], "c": ["b"]},
            "ci.yml:8: jobs need each other in a cycle: a → c → b → a",
        ),
    ],
)
def test_a_cycle_is_an_error_at_the_needs_line_of_its_first_job(shape, expected):
    with pytest.raises(PitstopError) as raised:
        job_graph(workflow(jobs(shape)))
    assert str(raised.value).startswith(expected)
