"""Workflows read into the Project, and bad workflow files reported in one line each, fast,
while the rest of the repository is still reviewed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pitstop.config import Config
from pitstop.model import Location
from pitstop.review.load import load_project

GOOD = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
BAD_PATH = ".github/workflows/bad.yml"
SECONDS = 5.0  # each case takes well under a second; the bound leaves room for a busy machine


def billion_laughs() -> str:
    """Nine levels of nine aliases: 9**9 nodes once expanded, 400 bytes on disk."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "on: push\n" + "\n".join(lines) + "\njobs:\n  x: *i\n"


def ten_megabytes() -> str:
    step = "      - run: docker build -t app:${{ github.sha }} .\n"
    head = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
    return head + step * ((10_000_000 - len(head)) // len(step) + 1)


def deep_block() -> str:
    """Block mappings nested 600 deep: under GitHub's size limit, past Python's recursion."""
    return "on: push\njobs:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 600))


CASES = [
    ("syntax", "on: push\njobs:\n  a:\n    steps: [\n", "bad.yml:5: invalid YAML: "),
    (
        "duplicate-key",
        "on: push\njobs:\n  a:\n    runs-on: x\n  a:\n    runs-on: y\n",
        'bad.yml:5: invalid YAML: duplicate key "a"',
    ),
    ("billion-laughs", billion_laughs(), "bad.yml:8: YAML aliases expand to more than 1000000"),
    ("ten-megabytes", ten_megabytes(), "bad.yml: workflow file is 10,000,0"),
    (
        "deep-flow",
        "on: push\njobs: " + "[" * 5000 + "]" * 5000 + "\n",
        "bad.yml:2: invalid YAML: nested deeper than 100 levels",
    ),
    ("deep-block", deep_block(), "bad.yml:101: invalid YAML: nested deeper than 100 levels"),
    ("recursive-alias", "on: push\njobs: &x\n  a: *x\n", "bad.yml:3: recursive YAML alias *x"),
    ("tab", "on: push\njobs:\n\ta: 1\n", "bad.yml:3: invalid YAML: "),
    ("not-a-mapping", "- on\n- jobs\n", "bad.yml:1: a workflow must be a mapping"),
    ("no-jobs", "on: push\njobs:\n", "bad.yml:2: a workflow needs a `jobs` mapping"),
    ("tag-int", "on: push\njobs:\n  a:\n    runs-on: !!int x\n", "bad.yml:4: invalid YAML: !!int"),
    ("tag-float", "on: push\njobs:\n  a:\n    timeout-minutes: !!float x\n", "bad.yml:4: "),
    ("tag-set", "on: push\njobs: !!set {a, b}\n", "bad.yml:2: invalid YAML: !!set is not plain"),
    ("tag-omap", "on: push\njobs: !!omap [a: {}]\n", "bad.yml:2: invalid YAML: !!omap is not"),
    ("tag-custom", "on: push\njobs:\n  a: !x {}\n", "bad.yml:3: invalid YAML: !x is not plain"),
    (
        "complex-key",
        "on: push\njobs:\n  ? {a: {b: c}}\n  : x\n",
        "bad.yml:3: invalid YAML: a mapping or list used as a key",
    ),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_workflow_is_one_line_and_the_rest_is_reviewed(tmp_path, text, message):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / BAD_PATH).write_text(text)
    (tmp_path / ".github/workflows/good.yml").write_text(GOOD)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"pitstop: error: .github/workflows/{message}"), line
    document = json.loads(done.stdout)
    assert document["files_reviewed"] == [".github/workflows/good.yml"]
    assert ("PS442", ".github/workflows/good.yml") in {
        (f["rule"], f["location"]["path"]) for f in document["findings"]
    }
    assert done.returncode == 0


@pytest.mark.parametrize(
    "services", ["  ? [a]\n  : {build: .}\n", "  app: !!set {build}\n", "  app: {build: !!int x}\n"]
)
def test_compose_with_tags_or_complex_keys_is_bad_input(tmp_path, services):
    (tmp_path / "compose.yml").write_text("services:\n" + services)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("pitstop: error: compose.yml:2: invalid YAML: "), line
    assert done.returncode == 0  # the Dockerfile is still reviewed


def test_a_workflow_that_is_not_utf8(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / BAD_PATH).write_bytes(b"on: push\njobs:\n  a:\n    name: caf\xe9\n")
    loaded = load_project(tmp_path, Config())
    assert [str(p) for p in loaded.problems] == [f"{BAD_PATH}:4: not UTF-8 (byte 0xe9)"]


def test_workflows_are_loaded_with_their_lines(tmp_path):
    (tmp_path / ".github/workflows/nested").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yaml").write_text(GOOD)
    (tmp_path / ".github/workflows/nested/not-a-workflow.yml").write_text(GOOD)
    (tmp_path / ".github/workflows/notes.md").write_text("# notes\n")
    project = load_project(tmp_path, Config()).project
    (workflow,) = project.workflows
    assert workflow.path == ".github/workflows/ci.yaml"
    assert workflow.lines == tuple(GOOD.splitlines())
    assert workflow.jobs[0].steps[0].script_line == 6


def test_a_workflow_with_docker_steps_is_parsed_once_and_reported_once(tmp_path, monkeypatch):
    from pitstop.parsers import yamlfile

    parsed: list[str] = []
    load = yamlfile._load
    monkeypatch.setattr(
        yamlfile, "_load", lambda text, path, tags: parsed.append(path) or load(text, path, tags)
    )
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / BAD_PATH).write_text(
        "on: push\njobs:\n  a:\n    steps:\n      - run: docker build .\n  a: {}\n"
    )
    (tmp_path / ".github/workflows/build.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker build -f Dockerfile .\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    loaded = load_project(tmp_path, Config())
    assert [str(p) for p in loaded.problems] == [
        f'{BAD_PATH}:6: invalid YAML: duplicate key "a"',
    ]
    assert sorted(parsed) == [".github/workflows/bad.yml", ".github/workflows/build.yml"]
    (source,) = loaded.project.dockerfiles
    assert [b.declared_at for b in source.builds] == [Location(".github/workflows/build.yml", 6)]


def test_scores_count_workflows(tmp_path):
    from pitstop import api

    (tmp_path / ".github/workflows").mkdir(parents=True)
    for name in ("a", "b"):
        (tmp_path / f".github/workflows/{name}.yml").write_text(GOOD)
    result = api.review(tmp_path)
    scores = {s.area.value: s for s in result.scores}
    assert (scores["workflows"].files, scores["workflows"].info) == (2, 2)
    assert scores["workflows"].score == 9.8  # 10 - (2 x 0.25) / 2 workflows
    assert scores["security"].files == 2


def test_example_plan_renders_workflow_findings():
    example = Path(__file__).resolve().parents[2] / "examples" / "monorepo"
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(example), "--format", "plan"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "PS412" in done.stdout and "PS402" in done.stdout


def test_compose_merge_tags_are_read_as_compose_reads_them(tmp_path):
    (tmp_path / "compose.yml").write_text(
        "services:\n  app:\n    build: .\n    ports: !override\n      - 8080:80\n"
        "    environment: !reset {}\n    labels: !reset null\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stderr == ""
    assert "compose.yml" in json.loads(done.stdout)["files_reviewed"]


def test_compose_tags_are_not_read_in_a_workflow(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / BAD_PATH).write_text("on: push\njobs: !override\n  a: {runs-on: x}\n")
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "bad.yml:2: invalid YAML: !override is not plain" in done.stderr
