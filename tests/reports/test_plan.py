"""The action plan: blocking issues first, each with patch, verification and rollback."""

from __future__ import annotations

from pitstop import api
from pitstop.reports import Format

# PS134 on line 3, and PS133 (info) for the plan's other findings
DOCKERFILE = 'FROM python:3.12-slim\nUSER app\nRUN pip install flask\nRUN apt-get upgrade -y\nCMD ["flask", "run"]\n'


def test_plan_for_a_blocking_finding_with_a_fix(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / ".pitstop.toml").write_text('[severity]\nPS134 = "blocking"\n')
    plan = api.report(api.review(tmp_path), Format.PLAN.value)
    assert plan.startswith("# Action plan\n\n**Verdict**: CONDITIONALLY APPROVED")
    assert plan.index("## 1. PS134") < plan.index("## Other findings")
    assert "+RUN pip install --no-cache-dir flask" in plan
    assert "docker build -f Dockerfile . -t pitstop-verify" in plan
    assert "git checkout HEAD -- Dockerfile" in plan


def test_plan_without_blocking_findings(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    plan = api.report(api.review(tmp_path), Format.PLAN.value)
    assert "**Priority**: no blocking issue" in plan
    assert "## 1." not in plan
    assert "- **PS134** warning `Dockerfile:3`" in plan
