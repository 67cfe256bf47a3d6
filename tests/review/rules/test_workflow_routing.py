"""PS440-PS442, PS450: which runs start, which get cancelled, timeouts, needless needs."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from pitstop import api

from .workflows import findings, fix_and_review, hits, write

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
        (heavy("      - uses: github/codeql-action/upload-sarif@v3\n"), []),  # uploads only
        (heavy("      - uses: zizmorcore/zizmor-action@v0.2\n"), []),  # seconds, not minutes
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


WHOLE_REPOSITORY = "FROM python:3.12-slim\nCOPY . /app\nUSER app\n"


@pytest.mark.parametrize(
    ("steps", "files", "expected"),
    [
        # every file of the repository is in the image: no paths filter can skip a push
        (IMAGE, {"Dockerfile": WHOLE_REPOSITORY}, []),
        (
            "      - run: docker build -t app .\n",
            {"Dockerfile": WHOLE_REPOSITORY, ".dockerignore": ".venv\n"},
            [],
        ),
        # the ignore file leaves README.md out: a filter could skip a README change
        (IMAGE, {"Dockerfile": WHOLE_REPOSITORY, ".dockerignore": "*.md\n"}, [("PS440", 4)]),
        # only some files are copied: a filter on them would skip the rest
        (IMAGE, {"Dockerfile": "FROM python:3.12-slim\nCOPY src /app\nUSER app\n"}, [("PS440", 4)]),
        # the job scans the image too: that is heavy work of its own
        (
            IMAGE + "      - run: trivy image app:latest\n",
            {"Dockerfile": WHOLE_REPOSITORY},
            [("PS440", 4)],
        ),
        (
            IMAGE + "      - run: playwright test tests/\n",
            {"Dockerfile": WHOLE_REPOSITORY},
            [("PS440", 4)],
        ),
    ],
)
def test_an_image_of_the_whole_repository_is_built_on_every_pull_request(
    tmp_path, steps, files, expected
):
    files = {"README.md": "# app\n", "src/app.py": "", **files}
    assert hits(tmp_path, "PS440", heavy(steps), files) == expected


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
            [],  # `false` written out: the runs queue on purpose
        ),
        (
            "on: pull_request\nconcurrency:\n  group: ci\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [("PS441", 2)],
        ),
        (
            "on:\n  pull_request:\n    types: [opened, closed, labeled]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [],  # no run per push
        ),
        (
            "on: [issues, pull_request]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: wow-actions/auto-comment@v1\n",
            [],  # a bot that checks nothing out: cancelling saves nothing, and loses events
        ),
        (
            "on:\n  pull_request:\n  workflow_call:\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [],  # also called: a group here can equal the caller's, and GitHub cancels the called run
        ),
        (
            "on:\n  pull_request_target:\n    types: [synchronize]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
            [("PS441", 1)],
        ),
        (
            "on: pull_request\njobs:\n  a:\n    runs-on: x\n    concurrency: deploy\n    steps:\n      - run: make\n",
            [],  # the jobs decide
        ),
        (
            "on: pull_request\njobs:\n  preview:\n    runs-on: x\n    environment: preview\n    steps:\n      - run: make\n",
            [],  # deploys: a cancelled run may leave a half-done deploy
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
            "    pull_request:\n\nconcurrency:\n    group: ${{ github.workflow }}-${{ github.event_name == "
            "'pull_request' && (github.ref) || github.run_id }}\n"
            "    cancel-in-progress: ${{ github.event_name == 'pull_request' }}\n\n# the jobs\njobs:\n",
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


def test_concurrency_never_groups_other_events_with_pull_requests(tmp_path):
    """Issues, comments, schedules and pushes get a group of their own (`github.run_id`): in a
    shared group a pending run is cancelled when the next arrives, and the event is lost."""
    workflow = (
        "on:\n  schedule:\n    - cron: '0 0 * * *'\n  issues:\n    types: [labeled]\n"
        "  pull_request_target:\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"
    )
    write(tmp_path, {".github/workflows/ci.yml": workflow})
    fixed, _ = fix_and_review(tmp_path, "PS441")
    concurrency = YAML(typ="safe").load(fixed)["concurrency"]
    assert concurrency["group"].endswith(
        "github.event_name == 'pull_request_target' && "
        "(github.event.pull_request.number || github.ref) || github.run_id }}"
    )
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request_target' }}"


def test_concurrency_has_no_fix_when_the_trigger_has_other_activity_types(tmp_path):
    workflow = "on:\n  pull_request:\n    types: [synchronize, labeled]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"
    (finding,) = findings(tmp_path, "PS441", workflow)
    assert finding.fix is None and "`labeled`" in finding.message


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


def test_jobs_without_timeout_make_one_finding_per_workflow(tmp_path):
    job = "  {name}:\n    runs-on: x\n    steps:\n      - run: make\n"
    call = "  call:\n    uses: ./.github/workflows/reusable.yml\n"
    workflow = "on: push\njobs:\n" + call + "".join(job.format(name=n) for n in "abc")
    (finding,) = findings(tmp_path, "PS442", workflow)
    assert finding.location.line == 5
    assert "3 jobs (`a`, `b`, `c`)" in finding.message and "call" not in finding.message
    assert [r.location.line for r in finding.related] == [9, 13]


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
        ("pytest tests/unit", [("PS450", 8)]),
        ("python -m build", []),  # not a check: a `needs` is also an ordering
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


def test_a_workflow_whose_called_workflow_cancels_is_left_alone(tmp_path):
    called = (
        "on: workflow_call\nconcurrency:\n  group: t-${{ github.head_ref }}\n"
        "  cancel-in-progress: true\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: make\n"
    )
    caller = "on: pull_request\njobs:\n  t:\n    uses: ./.github/workflows/tests.yml\n"
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/tests.yml").write_text(called)
    (tmp_path / ".github/workflows/ci.yml").write_text(caller)
    from pitstop import api

    assert [f for f in api.review(tmp_path, select=("PS441",)).findings] == []
