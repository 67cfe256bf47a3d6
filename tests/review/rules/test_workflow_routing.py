"""PS440-PS442, PS450: which runs start, which get cancelled, timeouts, needless needs."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from pitstop import api

from .workflows import fix_and_review, hits, write

HEAVY = """\
on:
  pull_request:{filters}
jobs:
  check:
    runs-on: ubuntu-latest
    {condition}steps:
      - uses: actions/checkout@v4
{steps}"""
IMAGE = "      - uses: docker/build-push-action@v6\n"


def heavy(steps: str = IMAGE, filters: str = "", condition: str = "") -> str:
    return HEAVY.format(filters=filters, condition=condition, steps=steps)


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (heavy(), [("PS440", 4)]),
        (heavy("      - run: docker buildx build -t app .\n"), [("PS440", 4)]),
        (heavy("      - uses: aquasecurity/trivy-action@0.28.0\n"), [("PS440", 4)]),
        (heavy("      - run: trivy image app:latest\n"), [("PS440", 4)]),
        (heavy("      - uses: github/codeql-action/analyze@v3\n"), [("PS440", 4)]),
        (heavy("      - run: pytest tests/e2e\n"), [("PS440", 4)]),
        (heavy("      - run: npx playwright test\n"), [("PS440", 4)]),
        (heavy("      - run: pytest tests/unit\n"), []),
        (heavy(filters="\n    paths: ['src/**', 'Dockerfile']"), []),
        (heavy(filters="\n    branches: [main]"), []),
        (heavy(condition="if: github.ref == 'refs/heads/main'\n    "), []),
        (heavy(condition="if: always()\n    "), [("PS440", 4)]),
        (heavy().replace("pull_request:", "push:"), []),
    ],
)
def test_heavy_jobs_on_every_pull_request(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS440", workflow) == expected


def test_a_job_that_needs_a_filtered_job_is_filtered_too(tmp_path):
    workflow = """\
on: pull_request
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      docker: ${{ steps.filter.outputs.docker }}
    steps:
      - id: filter
        uses: dorny/paths-filter@v3
  image:
    needs: changes
    if: needs.changes.outputs.docker == 'true'
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
  scan:
    needs: image
    runs-on: ubuntu-latest
    steps:
      - run: grype app:latest
"""
    assert hits(tmp_path, "PS440", workflow) == []


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (
            "on: pull_request\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [("PS441", 1)],
        ),
        (
            "on: pull_request\nconcurrency:\n  group: ci\n  cancel-in-progress: false\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [("PS441", 2)],
        ),
        (
            "on: pull_request\nconcurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [],
        ),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n", []),
    ],
)
def test_concurrency(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS441", workflow) == expected


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (
            "name: ci\non: pull_request\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            "name: ci\non: pull_request\nconcurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n"
            "  cancel-in-progress: true\njobs:\n",
        ),
        (
            "on:\n    push:\n        branches: [main]\n    pull_request:\n\n# the jobs\njobs:\n    a:\n        runs-on: x\n        steps:\n            - run: make\n",
            "    pull_request:\n\nconcurrency:\n    group: ${{ github.workflow }}-${{ github.ref }}\n"
            "    cancel-in-progress: ${{ startsWith(github.event_name, 'pull_request') }}\n\n# the jobs\njobs:\n",
        ),
        (
            "on:\n  pull_request_target:\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            "concurrency:\n  group: ${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}\n",
        ),
    ],
    ids=["pull-request-only", "push-too", "target"],
)
def test_concurrency_fix(tmp_path, workflow, expected):
    write(tmp_path, {".github/workflows/ci.yml": workflow})
    fixed, left = fix_and_review(tmp_path, "PS441")
    assert expected in fixed
    assert left == []
    document = YAML(typ="safe").load(fixed)
    assert document["concurrency"]["group"].startswith("${{ github.workflow }}")


def test_concurrency_has_no_fix_for_a_flow_style_workflow(tmp_path):
    write(
        tmp_path,
        {
            ".github/workflows/ci.yml": "{on: pull_request, jobs: {a: {runs-on: x, steps: [{run: make}]}}}\n"
        },
    )
    (finding,) = api.review(tmp_path, select=("PS441",)).findings
    assert finding.fix is None


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ("  a:\n    runs-on: x\n    steps:\n      - run: make\n", [("PS442", 3)]),
        ("  a:\n    runs-on: x\n    timeout-minutes: 15\n    steps:\n      - run: make\n", []),
        ("  a:\n    uses: ./.github/workflows/reusable.yml\n", []),
    ],
)
def test_job_without_timeout(tmp_path, job, expected):
    assert hits(tmp_path, "PS442", "on: push\njobs:\n" + job) == expected


NEEDS = """\
on: push
jobs:
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: mkdocs build
  wheels:
    needs: docs
    runs-on: ubuntu-latest
    steps:
      - run: {run}
"""


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("python -m build", [("PS450", 8)]),
        ("echo ${{ needs.docs.result }}", []),
    ],
)
def test_needs_without_use(tmp_path, run, expected):
    assert hits(tmp_path, "PS450", NEEDS.format(run=run)) == expected


def test_a_test_job_before_a_deploy_is_a_gate(tmp_path):
    workflow = (
        NEEDS.replace("docs", "test")
        .replace("python -m build", "{run}")
        .format(run="gcloud run deploy api --image x")
    )
    assert hits(tmp_path, "PS450", workflow) == []


def test_inline_ignore_in_a_workflow(tmp_path):
    workflow = "on: push\njobs:\n  # pitstop: ignore[PS442]\n  a:\n    runs-on: x\n    steps:\n      - run: make\n  b:\n    runs-on: x\n    steps:\n      - run: make\n"
    assert hits(tmp_path, "PS442", workflow) == [("PS442", 8)]
