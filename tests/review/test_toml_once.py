"""One model per input: a review decodes each pyproject.toml and hatch.toml once, and the
configuration, the dependency parser and the workflow rules (PS401's hatch installer,
PS430's dev groups) read that one model."""

from __future__ import annotations

import tomllib
from collections import Counter
from typing import Any

from pitstop import api
from pitstop.config import Config
from pitstop.review.engine import review_tree

from .rules.workflows import write

PYPROJECT = """\
[tool.pitstop]
ignore = ["PS402"]

[project]
name = "app"
dependencies = ["shared @ file:///srv/shared"]

[dependency-groups]
test = ["pytest>=8"]
"""
HATCH = '[envs.default]\ninstaller = "uv"\n'
JOB = """\
  {name}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install pytest hatch
      - run: hatch run test
"""
DOCKERFILE = "FROM python:3.12-slim\nCOPY . .\nRUN pip install .\n"
WORKFLOW = "on: push\njobs:\n" + JOB.format(name="unit") + JOB.format(name="lint")


def test_each_toml_file_is_decoded_once_per_review(tmp_path, monkeypatch):
    write(tmp_path, {"pyproject.toml": PYPROJECT, "hatch.toml": HATCH, "Dockerfile": DOCKERFILE})
    write(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    decoded: Counter[str] = Counter()
    loads = tomllib.loads

    def counting(text: str, **options: Any) -> dict[str, Any]:
        decoded[text] += 1
        return loads(text, **options)

    monkeypatch.setattr(tomllib, "loads", counting)
    # as the CLI runs it: the configuration is read from [tool.pitstop] first
    result = api.review(tmp_path)

    # the dependency parser, PS430 (a dev group, twice) and PS401 (hatch's installer, in
    # two jobs) all read the files
    assert [(f.rule, f.location.line) for f in result.findings if f.rule == "PS301"] == [
        ("PS301", 6)
    ]
    ps430 = [f for f in result.findings if f.rule == "PS430"]
    ps401 = [f for f in result.findings if f.rule == "PS401"]
    assert len(ps430) == 2 and ps430[0].related[0].location.line == 8
    assert len(ps401) == 2 and all("hatch.toml" in f.message for f in ps401)
    assert decoded[PYPROJECT] == 1
    assert decoded[HATCH] == 1


def test_a_configuration_from_other_text_is_not_taken_for_the_pyproject(tmp_path, monkeypatch):
    # the decoding is reused only for the very text it was made from: a .pitstop.toml
    # beside the pyproject leaves the pyproject to be decoded as itself
    write(tmp_path, {"pyproject.toml": PYPROJECT, ".pitstop.toml": 'ignore = ["PS401"]\n'})
    write(tmp_path, {"Dockerfile": DOCKERFILE})
    result = api.review(tmp_path)
    assert [(f.rule, f.location.line) for f in result.findings if f.rule == "PS301"] == [
        ("PS301", 6)
    ]


def test_a_pyproject_that_is_not_toml_is_one_problem_and_no_finding(tmp_path):
    broken = '[project]\nname = "app"\n\n[dependency-groups]\ntest = ["pytest",,]\n'
    write(tmp_path, {"pyproject.toml": broken, ".github/workflows/ci.yml": WORKFLOW})
    result = review_tree(tmp_path, Config())
    assert [(p.path, p.line) for p in result.problems] == [("pyproject.toml", 5)]
    assert "invalid TOML" in result.problems[0].message
    assert not [f for f in result.findings if f.rule == "PS430"]
