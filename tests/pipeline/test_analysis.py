"""Candidate changes: re-tag-only jobs, and `needs` that carry nothing (gates are kept)."""

from __future__ import annotations

import pytest

from pitstop.parsers.workflow import parse_workflow
from pitstop.pipeline.analysis import Change, redundant_jobs, unneeded_needs

from .conftest import FIXTURES, workflow


def deploy_pipeline():
    return parse_workflow(
        (FIXTURES / "deploy_pipeline.yml").read_text(encoding="utf-8"), "deploy_pipeline.yml"
    )


def test_a_job_that_only_retags_the_build_is_redundant():
    (change,) = redundant_jobs(deploy_pipeline())
    assert (change.kind, change.job, change.need, change.line) == (
        "remove-job",
        "tag-production-images",
        None,
        55,
    )
    assert "`build-docker-image`" in change.reason
    assert (
        "tag it at build time (`tags:` of build-push-action) or `docker buildx imagetools create`"
        in change.reason
    )


def test_needs_that_carry_images_and_gates_are_all_kept():
    # test-suite and coverage run the image build pushes; all-checks only waits (a required
    # check); tag-production-images pushes after a check job (a gate); cleanup runs always().
    assert unneeded_needs(deploy_pipeline()) == []


BUILD = """
build:
  runs-on: ubuntu-latest
  steps:
    - uses: docker/build-push-action@v6
      with:
        push: true
        tags: ghcr.io/acme/api:${{ github.sha }}
"""


@pytest.mark.parametrize(
    "steps",
    [
        # crane, with a login action and a checkout alongside
        """
    - uses: actions/checkout@v4
    - uses: docker/login-action@v3
      with: {registry: ghcr.io}
    - run: crane copy ghcr.io/acme/api:${{ github.sha }} ghcr.io/acme/api:latest""",
        # a manifest copy with imagetools
        """
    - uses: docker/setup-buildx-action@v3
    - run: |
        echo "promoting"
        docker buildx imagetools create -t ghcr.io/acme/api:prod ghcr.io/acme/api:${{ github.sha }}""",
        # skopeo
        """
    - run: skopeo copy docker://ghcr.io/acme/api:${{ github.sha }} docker://ghcr.io/acme/api:prod""",
    ],
)
def test_retag_only_jobs_after_a_build_are_redundant(steps):
    yaml = BUILD + f"promote:\n  needs: build\n  runs-on: ubuntu-latest\n  steps:{steps}\n"
    assert [c.job for c in redundant_jobs(workflow(yaml))] == ["promote"]


@pytest.mark.parametrize(
    ("needs", "steps"),
    [
        # builds something itself
        (
            "build",
            """
    - run: |
        docker build -t ghcr.io/acme/api:prod .
        docker push ghcr.io/acme/api:prod""",
        ),
        # runs the image: a test, not a re-tag
        (
            "build",
            """
    - run: docker pull ghcr.io/acme/api:${{ github.sha }}
    - run: docker run --rm ghcr.io/acme/api:${{ github.sha }} pytest
    - run: docker tag ghcr.io/acme/api:${{ github.sha }} ghcr.io/acme/api:tested""",
        ),
        # an action other than setup and login
        (
            "build",
            """
    - uses: docker/login-action@v3
    - uses: aquasecurity/trivy-action@0.28.0
    - run: crane copy ghcr.io/acme/api:a ghcr.io/acme/api:b""",
        ),
        # only pulls: nothing re-tagged
        ("build", "\n    - run: docker pull ghcr.io/acme/api:${{ github.sha }}"),
        # promotes an image no job of this run built
        ("[]", "\n    - run: crane copy ghcr.io/acme/api:rc ghcr.io/acme/api:prod"),
    ],
)
def test_jobs_that_do_more_than_retag_are_not_redundant(needs, steps):
    yaml = BUILD + f"promote:\n  needs: {needs}\n  runs-on: ubuntu-latest\n  steps:{steps}\n"
    assert redundant_jobs(workflow(yaml)) == []


def needs_yaml(producer: str, consumer: str, *, producer_id: str = "a", consumer_id: str = "b"):
    return (
        f"{producer_id}:\n  runs-on: ubuntu-latest\n{producer}\n"
        f"{consumer_id}:\n  needs: [{producer_id}]\n  runs-on: ubuntu-latest\n{consumer}\n"
    )


PLAIN = "  steps:\n    - run: make all"


@pytest.mark.parametrize(
    ("producer", "consumer"),
    [
        (PLAIN, "  steps:\n    - run: pytest tests/unit"),
        (
            "  outputs:\n    version: ${{ steps.v.outputs.version }}\n  steps:\n    - id: v\n      run: echo version=1 >> $GITHUB_OUTPUT",
            "  steps:\n    - run: uv run ruff check .",
        ),
        (
            "  steps:\n    - uses: actions/upload-artifact@v4\n      with: {name: wheel, path: dist}",
            "  steps:\n    - uses: actions/download-artifact@v4\n      with: {name: coverage}\n    - run: python -m mypy src",
        ),
        (
            "  steps:\n    - run: make all\n    - uses: docker/build-push-action@v6\n      with: {push: false, tags: 'acme/api:ci'}",
            "  steps:\n    - uses: actions/setup-node@v4\n    - run: npx eslint .",
        ),
        (  # PowerShell (the default on Windows) that runs only local tools
            PLAIN,
            "  steps:\n    - run: |\n        if (Test-Path req.txt) { python -m pip install -r req.txt }\n        python -m pytest\n      shell: pwsh",
        ),
    ],
)
def test_a_need_that_carries_nothing_can_be_dropped(producer, consumer):
    (change,) = unneeded_needs(workflow(needs_yaml(producer, consumer)))
    assert change == Change(
        kind="drop-need",
        job="b",
        need="a",
        line=4 + len(producer.splitlines()) + 2,  # on, jobs, a, runs-on, producer, b, needs
        reason=change.reason,
    )
    assert change.reason.startswith("`b` only checks the checkout")
    assert "fail fast" in change.reason


@pytest.mark.parametrize(
    ("producer", "consumer"),
    [
        # outputs read in env, with, run, if, a step name
        (PLAIN, "  env:\n    V: ${{ needs.a.outputs.version }}\n  steps:\n    - run: make"),
        (PLAIN, "  steps:\n    - uses: ./deploy\n      with: {v: '${{ needs.a.outputs.v }}'}"),
        (PLAIN, "  steps:\n    - run: echo ${{ needs['a'].outputs.v }}"),
        (PLAIN, "  if: needs.a.result == 'success'\n  steps:\n    - run: make"),
        (PLAIN, "  steps:\n    - run: echo '${{ toJSON(needs) }}'"),
        (PLAIN, "  steps:\n    - if: contains(needs.*.result, 'failure')\n      run: exit 1"),
        (PLAIN, "  if: failure()\n  steps:\n    - run: ./notify.sh"),
        # artifacts: by name, or a download without a name (all of them)
        (
            "  steps:\n    - uses: actions/upload-artifact@v4\n      with: {name: wheel, path: dist}",
            "  steps:\n    - uses: actions/download-artifact@v4\n      with: {name: wheel}\n    - run: pip install dist/*.whl",
        ),
        (
            "  steps:\n    - uses: actions/upload-artifact@v4\n      with: {name: wheel, path: dist}",
            "  steps:\n    - uses: actions/download-artifact@v4\n    - run: ls",
        ),
        # an image the producer pushes, pulled or run by the consumer
        (
            "  steps:\n    - uses: docker/build-push-action@v6\n      with: {push: true, tags: 'ghcr.io/acme/api:ci'}",
            "  steps:\n    - run: docker run --rm ghcr.io/acme/api:ci pytest",
        ),
        (
            "  steps:\n    - uses: docker/build-push-action@v6\n      with: {push: true, tags: 'ghcr.io/acme/api:ci'}",
            "  steps:\n    - run: ./smoke.sh ghcr.io/acme/api:ci",
        ),
        (
            "  steps:\n    - run: docker push ${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}:ci",
            "  steps:\n    - run: ./smoke.sh $IMAGE_NAME",
        ),
        # a script in a shell pitstop reads only in part may do anything
        (
            PLAIN,
            "  steps:\n    - run: pytest\n    - run: Invoke-RestMethod -Method Post -Uri $url\n      shell: pwsh",
        ),
        (  # a PowerShell command inside a script block is seen too
            PLAIN,
            "  defaults:\n    run:\n      shell: pwsh\n  steps:\n    - run: pytest\n    - run: if ($ok) { docker push x }",
        ),
        (
            PLAIN,
            "  steps:\n    - run: pytest\n    - run: import notify; notify.send()\n      shell: python",
        ),
    ],
)
def test_a_need_whose_job_uses_something_is_kept(producer, consumer):
    assert unneeded_needs(workflow(needs_yaml(producer, consumer))) == []


@pytest.mark.parametrize(
    ("producer_id", "consumer"),
    [
        ("test", "  steps:\n    - run: gcloud run deploy api --image ghcr.io/acme/api:1"),
        ("lint", "  steps:\n    - run: kubectl apply -f k8s/"),
        ("security-scan", "  steps:\n    - uses: pypa/gh-action-pypi-publish@release/v1"),
        (
            "unit-tests",
            "  steps:\n    - uses: docker/build-push-action@v6\n      with: {push: true, tags: 'acme/api:1'}",
        ),
        ("check", "  steps:\n    - run: docker push acme/api:1"),
    ],
)
def test_a_test_before_a_deploy_is_a_gate_and_kept(producer_id, consumer):
    yaml = needs_yaml(PLAIN, consumer, producer_id=producer_id, consumer_id="ship")
    assert unneeded_needs(workflow(yaml)) == []


def test_a_job_named_latest_is_not_taken_for_a_test():
    yaml = needs_yaml(PLAIN, "  steps:\n    - run: pytest", producer_id="build-latest")
    assert [c.need for c in unneeded_needs(workflow(yaml))] == ["build-latest"]


def test_waiting_jobs_and_reusable_workflow_calls_keep_their_needs():
    yaml = (
        "a:\n  runs-on: ubuntu-latest\n  steps: [{run: make}]\n"
        "all-green:\n  needs: a\n  runs-on: ubuntu-latest\n  steps: [{run: echo ok}]\n"
        "call:\n  needs: a\n  uses: ./.github/workflows/deploy.yml\n"
    )
    assert unneeded_needs(workflow(yaml)) == []


NOTIFY = "  steps:\n    - run: curl -X POST -d @payload.json $WEBHOOK"


@pytest.mark.parametrize(
    ("consumer_id", "consumer"),
    [
        # an ordering, not a data flow: a notice after the release, a deploy of the pages
        # the build wrote, a release after a gate, a cleanup after another
        ("notify-discord", NOTIFY),
        ("b", NOTIFY),
        (
            "deploy-docs",
            "  environment: github-pages\n  steps:\n    - uses: actions/deploy-pages@v4",
        ),
        ("build-release", "  steps:\n    - run: make dist\n    - run: gh release upload v1 dist/*"),
        ("cleanup", "  steps:\n    - run: gh api -X DELETE /orgs/acme/packages/x"),
        # checks that touch more than the checkout, or that pitstop cannot see into
        ("unit-tests", "  steps:\n    - run: pytest\n      env: {KEY: '${{ secrets.API_KEY }}'}"),
        ("lint", "  steps:\n    - uses: acme/lint-and-comment@v1"),
        ("lint", "  steps:\n    - uses: ./.github/actions/lint"),
        ("test", "  steps:\n    - run: pytest\n    - run: git push origin HEAD:results"),
        ("integration-tests", "  steps:\n    - run: pytest tests/integration"),
        ("b", "  steps:\n    - run: python -m build"),  # builds: not a check
    ],
)
def test_a_need_is_kept_unless_the_waiting_job_is_a_pure_check(consumer_id, consumer):
    yaml = needs_yaml(PLAIN, consumer, consumer_id=consumer_id)
    assert unneeded_needs(workflow(yaml)) == []


def test_a_check_whose_upload_another_job_downloads_keeps_its_needs():
    yaml = (
        needs_yaml(
            PLAIN,
            "  steps:\n    - run: pytest --cov\n    - uses: actions/upload-artifact@v4\n      with: {name: cov}",
        )
        + "report:\n  needs: [b]\n  runs-on: x\n  steps:\n    - uses: actions/download-artifact@v4\n      with: {name: cov}\n"
    )
    assert [c.job for c in unneeded_needs(workflow(yaml))] == []


@pytest.mark.parametrize(
    "shared",
    [
        "    - uses: actions/setup-python@v5\n      with: {cache: pip}",
        "    - uses: ./.github/actions/base-cache",
        "    - uses: actions/cache@v4\n      with: {path: ~/.cache/pre-commit, key: k}",
    ],
)
def test_a_check_that_restores_a_cache_the_needed_job_saves_keeps_its_need(shared):
    producer = f"  steps:\n{shared}\n    - run: make all"
    consumer = f"  steps:\n{shared}\n    - run: pytest"
    if "./" in shared:  # a local action is not pure: look at the cache alone
        consumer = "  steps:\n    - uses: actions/cache@v4\n      with: {path: x, key: k}\n    - run: pytest"
        producer = "  steps:\n    - uses: actions/cache/save@v4\n      with: {path: x, key: k}\n    - run: make"
    assert unneeded_needs(workflow(needs_yaml(producer, consumer))) == []


def test_a_need_read_by_a_key_the_model_does_not_keep_is_kept():
    consumer = "  strategy: ${{ fromJSON(needs.a.outputs.matrix) }}\n  steps:\n    - run: pytest"
    assert unneeded_needs(workflow(needs_yaml(PLAIN, consumer))) == []


def test_a_check_downloading_from_a_job_pitstop_cannot_see_into_keeps_its_need():
    producer = "  uses: ./.github/workflows/tests.yml"
    consumer = "  steps:\n    - uses: actions/download-artifact@v4\n      with: {pattern: cov-*}\n    - run: coverage report"
    yaml = needs_yaml(producer, consumer, consumer_id="coverage-check").replace(
        "  runs-on: ubuntu-latest\n  uses", "  uses"
    )
    assert unneeded_needs(workflow(yaml)) == []


def test_a_check_whose_commands_come_from_an_expression_keeps_its_need():
    consumer = "  steps:\n    - name: Test\n      run: ${{ matrix.runs.test }}"
    assert unneeded_needs(workflow(needs_yaml(PLAIN, consumer, consumer_id="test"))) == []


@pytest.mark.parametrize(
    ("run", "deploying"),
    [
        ("helm lint chart/ && helm template x chart/", False),
        ("kubectl get pods", False),
        ("terraform plan", False),
        ("helm upgrade --install app chart/", True),
        ("kubectl -n prod apply -f k8s/", True),
        ("terraform apply -auto-approve", True),
    ],
)
def test_only_commands_that_change_a_cluster_or_release_deploy(run, deploying):
    from pitstop.parsers.workflow import parse_workflow
    from pitstop.pipeline.analysis import deploys

    text = f"on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    (job,) = parse_workflow(text, "w.yml").jobs
    assert deploys(job) is deploying


def test_a_need_on_a_job_that_may_be_skipped_carries_the_skip_and_is_kept():
    # `format` runs only when code changed; `check-imports` needs it, so it is skipped too
    producer = (
        "  if: needs.changes.outputs.code == 'true'\n  steps:\n    - run: ruff format --check"
    )
    consumer = "  steps:\n    - run: python -c 'import app'"
    assert unneeded_needs(workflow(needs_yaml(producer, consumer))) == []
