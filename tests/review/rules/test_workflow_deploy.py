"""PS460-PS463: Cloud Run deploys: CPU boost, scale to zero, health checks, rollback."""

from __future__ import annotations

import pytest

from .workflows import fix_and_review, hits, write

# The deploy command is on line 9.
DEPLOY = """\
name: {name}
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: {environment}
    steps:
      - run: |
          gcloud run deploy {service} \\
            --image gcr.io/p/app:${{{{ github.sha }}}} \\
            --region us-east1{flags}
{after}"""
HEALTH = '      - name: Health check\n        run: curl -sf "$URL/health"\n'
ROLLBACK = (
    "      - if: failure()\n        run: gcloud run services update-traffic api "
    '--to-revisions="$PREVIOUS=100"\n'
)


def deploy(
    flags: str = " --cpu-boost --min-instances 1",
    after: str = HEALTH + ROLLBACK,
    environment: str = "production",
    name: str = "Deploy",
    service: str = "api",
) -> str:
    return DEPLOY.format(
        name=name, environment=environment, service=service, flags=flags, after=after
    )


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (deploy(), []),
        (deploy(flags=" --min-instances 1"), [("PS460", 9)]),
        (deploy(flags=" --no-cpu-boost --min-instances 1"), []),
        (deploy(flags=" \\\n            --min-instances 1 \\\n            --cpu-boost"), []),
        (
            deploy(
                flags="",
                after="      - uses: google-github-actions/deploy-cloudrun@v2\n        with:\n          service: api\n          flags: --min-instances=1\n"
                + HEALTH
                + ROLLBACK,
            ),
            [("PS460", 9), ("PS460", 12)],
        ),
    ],
)
def test_cpu_boost(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS460", workflow) == expected


def test_cpu_boost_fix(tmp_path):
    write(tmp_path, {".github/workflows/ci.yml": deploy(flags=" --min-instances 1")})
    fixed, left = fix_and_review(tmp_path, "PS460")
    assert "          gcloud run deploy --cpu-boost api \\\n" in fixed
    assert left == []


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (deploy(), []),
        (deploy(flags=" --cpu-boost --min-instances 0"), [("PS461", 9)]),
        (deploy(flags=" --cpu-boost --min-instances=0"), [("PS461", 9)]),
        (deploy(flags=" --cpu-boost"), [("PS461", 9)]),
        (deploy(flags=" --cpu-boost", environment="staging", name="Deploy to production"), []),
        (deploy(flags=" --cpu-boost", environment="'${{ inputs.env }}'", name="Release"), []),
        (
            deploy(
                flags=" --cpu-boost",
                environment="'${{ inputs.env }}'",
                name="Release",
                service="api-prod",
            ),
            [("PS461", 9)],
        ),
        (deploy(flags=" --cpu-boost", environment="product-catalog"), []),  # not "prod"
        (deploy(flags=" --cpu-boost --min-instances ${{ env.MIN }}"), []),
    ],
)
def test_production_scaled_to_zero(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS461", workflow) == expected


LATER_JOB = """\
  smoke:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: pytest tests/smoke --base-url "$SERVICE_URL"
"""


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (HEALTH, []),
        ("", [("PS462", 9)]),
        (
            '      - run: |\n          curl -X POST "$SLACK_WEBHOOK_URL" -d \'{"text": "deployed"}\'\n',
            [("PS462", 9)],
        ),
        ("      - run: wget -qO- https://api-abc.a.run.app/\n", []),
        (LATER_JOB, []),
        ("      - name: Smoke tests\n        run: ./scripts/smoke.sh\n", []),
    ],
)
def test_health_check_after_deploy(tmp_path, after, expected):
    assert hits(tmp_path, "PS462", deploy(after=after)) == expected


def test_health_check_in_the_deploy_step_itself(tmp_path):
    workflow = deploy(
        flags=" --cpu-boost\n          curl -sf \"$(gcloud run services describe api --format 'value(status.url)')/health\"",
        after="",
    )
    assert hits(tmp_path, "PS462", workflow) == []


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (deploy(), []),
        (deploy(after=HEALTH), [("PS463", 9)]),
        (deploy(after=HEALTH + ROLLBACK.replace("failure()", "success()")), [("PS463", 9)]),
        (deploy(flags=" --cpu-boost --min-instances 1 --no-traffic", after=HEALTH), []),
        (deploy(after=HEALTH, environment="staging"), []),
    ],
)
def test_production_rollback(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS463", workflow) == expected
