"""`run:` steps are read in the language of their shell, end to end: a PowerShell build
says nothing, a bash build is found at the line it starts on."""

from __future__ import annotations

from pitstop import api
from tests.review.rules.workflows import WORKFLOW, write

DOCKERFILE = 'FROM python:3.12-slim\nUSER app\nCMD ["python"]\n'

PWSH = """\
on: push
jobs:
  build:
    runs-on: windows-2022
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - run: |
          docker build `
            -t ghcr.io/o/app:${{ github.sha }} `
            -f docker/Dockerfile.windows `
            .
"""


def test_a_powershell_build_yields_no_build_and_no_finding(tmp_path):
    write(tmp_path, {WORKFLOW: PWSH, "docker/Dockerfile.windows": DOCKERFILE})
    result = api.review(tmp_path)
    assert not result.problems
    assert [f for f in result.findings if f.location.path == WORKFLOW] == []
    assert [(b.dockerfile, b.declared_at) for b in result.builds] == [
        ("docker/Dockerfile.windows", None)  # built from its own folder, as if undeclared
    ]


BASH = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          # build the image \\
          docker build \\
            -f docker/Dockerfile \\
            services/api  # the service's folder
"""


def test_a_bash_build_is_found_at_its_line(tmp_path):
    write(tmp_path, {WORKFLOW: BASH, "docker/Dockerfile": DOCKERFILE})
    result = api.review(tmp_path, select=("PS201",))
    assert [(f.rule, f.location.path, f.location.line) for f in result.findings] == [
        ("PS201", WORKFLOW, 9)
    ]
    assert "services/api" in result.findings[0].message
