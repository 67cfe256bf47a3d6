"""Build declarations: build-push-action steps, `docker build` commands, compose and bake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.build_declarations import (
    BuildDeclaration,
    docker_build_commands,
    parse_bake_builds,
    parse_compose_builds,
    workflow_builds,
)
from pitstop.parsers.workflow import parse_workflow
from pitstop.parsers.yamlfile import MAX_YAML_CHARS, load_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "monorepo" / ".github" / "workflows"


def parse_workflow_builds(text: str, path: str) -> list[BuildDeclaration]:
    """The builds of a workflow, read from its model as the review reads them."""
    return workflow_builds(parse_workflow(text, path))


def workflow(steps: str, job_extra: str = "", top_extra: str = "") -> str:
    """A workflow with one job whose steps are `steps` (written at column 0)."""
    body = textwrap.indent(textwrap.dedent(steps), "      ")
    extra = textwrap.indent(textwrap.dedent(job_extra), "    ")
    return f"on: push\n{top_extra}jobs:\n  build:\n    runs-on: ubuntu-latest\n{extra}    steps:\n{body}"


# Lines: 1 on, 2 jobs, 3 build, 4 runs-on, 5 steps, 6 first step...
@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "- uses: docker/build-push-action@v6\n  with:\n    context: ./backend\n    file: ./backend/Dockerfile\n    target: runtime\n",
            [("./backend", "./backend/Dockerfile", "runtime", 6, 8, 9)],
        ),
        (  # no context: the Git context, recorded as None
            "- name: Build\n  uses: docker/build-push-action@v5\n  with:\n    push: true\n",
            [(None, None, None, 7, None, None)],
        ),
        (  # owner and repository are case-insensitive; a SHA pin is a ref like any other
            "- uses: Docker/Build-Push-Action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75\n  with:\n    context: .\n",
            [(".", None, None, 6, 8, None)],
        ),
        ("- uses: docker/setup-buildx-action@v3\n- uses: docker/build-push-action-fork@v1\n", []),
        (
            "- uses: docker/build-push-action@v6\n  with:\n    context: ${{ env.CTX }}\n    file: ${{ matrix.dockerfile }}\n",
            [("${{ env.CTX }}", "${{ matrix.dockerfile }}", None, 6, 8, 9)],
        ),
        (
            '- uses: docker/build-push-action@v6\n  with:\n    context: ""\n',
            [(None, None, None, 6, 8, None)],
        ),
    ],
)
def test_build_push_action_steps(steps, expected):
    builds = parse_workflow_builds(workflow(steps), ".github/workflows/ci.yml")
    assert [
        (b.context, b.dockerfile, b.target, b.line, b.context_line, b.dockerfile_line)
        for b in builds
    ] == expected
    assert all(b.kind == "workflow-action" for b in builds)


def test_build_push_action_list_inputs_split_on_newlines_only():
    steps = """\
    - uses: docker/build-push-action@v6
      with:
        build-args: |
          PY=3.12
          EMPTY=
          URL=https://x/?a=b
        cache-from: |
          type=registry,ref=ghcr.io/o/app:cache
          "type=gha,scope=main"
        cache-to: type=gha,mode=max
    """
    (build,) = parse_workflow_builds(workflow(steps), "ci.yml")
    assert build.build_args == (("PY", "3.12"), ("EMPTY", ""), ("URL", "https://x/?a=b"))
    assert build.cache_from == ("type=registry,ref=ghcr.io/o/app:cache", "type=gha,scope=main")
    assert build.cache_to == ("type=gha,mode=max",)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("- run: docker build -t app .\n", [(".", None, None, 6)]),
        (
            "- run: docker buildx build --file=docker/Dockerfile --target=prod ./svc\n",
            [("./svc", "docker/Dockerfile", "prod", 6)],
        ),
        (  # a literal block keeps its lines: the command's own line, continuations joined
            "- name: Build\n  run: |\n    echo start\n    docker build \\\n      -f backend/Dockerfile \\\n      backend\n",
            [("backend", "backend/Dockerfile", None, 9)],
        ),
        (
            "- run: |\n    docker image build -t x:${{ github.sha }} ctx && docker buildx build -fD2 ctx2\n",
            [("ctx", None, None, 7), ("ctx2", "D2", None, 7)],
        ),
        (  # a folded block joins its lines, so its commands are reported at the run: line
            "- run: >\n    docker build\n    --target t .\n",
            [(".", None, "t", 6)],
        ),
        ("- run: docker compose build\n- run: docker run --rm app\n- run: echo docker build\n", []),
    ],
)
def test_docker_build_in_run_steps(steps, expected):
    builds = parse_workflow_builds(workflow(steps), "ci.yml")
    assert [(b.context, b.dockerfile, b.target, b.line) for b in builds] == expected
    assert all(b.kind == "workflow-run" and b.context_line == b.line for b in builds)


@pytest.mark.parametrize(
    ("steps", "job_extra", "top_extra", "directory"),
    [
        ("- run: docker build .\n", "", "", None),
        ("- run: docker build .\n  working-directory: svc\n", "", "", "svc"),
        ("- run: docker build .\n", "defaults:\n  run:\n    working-directory: job\n", "", "job"),
        ("- run: docker build .\n", "", "defaults:\n  run:\n    working-directory: top\n", "top"),
        (
            "- run: docker build .\n  working-directory: step\n",
            "defaults:\n  run:\n    working-directory: job\n",
            "",
            "step",
        ),
    ],
)
def test_run_steps_record_their_working_directory(steps, job_extra, top_extra, directory):
    (build,) = parse_workflow_builds(workflow(steps, job_extra, top_extra), "ci.yml")
    assert build.working_directory == directory


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("docker build .", [(0, ".", None, None)]),
        ("DOCKER_BUILDKIT=1 sudo docker build -f x/Dockerfile x", [(0, "x", "x/Dockerfile", None)]),
        ("docker build - < Dockerfile", [(0, "-", None, None)]),
        ("docker build -t a:b --platform linux/amd64 --target dev ctx", [(0, "ctx", None, "dev")]),
        (
            "docker build --build-arg REF=${GITHUB_REF#refs/tags/} .  # a comment",
            [(0, ".", None, None)],
        ),
        ("echo hi\n\ndocker buildx build \\\n  --push \\\n  .", [(2, ".", None, None)]),
        ("docker build -t ${{ env.IMAGE }} ${{ env.CTX }}", [(0, "${{ env.CTX }}", None, None)]),
        ("docker build . 2>&1 | tee build.log", [(0, ".", None, None)]),
        ("/usr/bin/docker builder build -- ctx", [(0, "ctx", None, None)]),
        ("docker buildx bake app", []),
        ("echo 'docker build .'", []),
    ],
)
def test_docker_build_commands(script, expected):
    found = docker_build_commands(script)
    assert [(i, c.context, c.dockerfile, c.target) for i, c in found] == expected


def test_docker_build_options():
    script = "docker build --build-arg A=1 --build-arg B --cache-from type=gha --cache-to=type=gha,mode=max ."
    ((_, command),) = docker_build_commands(script)
    assert command.build_args == (("A", "1"), ("B", ""))
    assert command.cache_from == ("type=gha",)
    assert command.cache_to == ("type=gha,mode=max",)


@pytest.mark.parametrize(
    ("name", "context", "context_line", "line"),
    [
        ("deploy-staging.yml", "./backend", 103, 101),
        ("deploy-production.yml", "./backend", 120, 118),
    ],
)
def test_example_workflows_build_the_backend_folder(name, context, context_line, line):
    path = EXAMPLES / name
    (build,) = parse_workflow_builds(path.read_text(), f".github/workflows/{name}")
    assert (build.context, build.context_line, build.line) == (context, context_line, line)
    assert (build.dockerfile, build.target) == (None, None)
    assert build.name == "Build and push Docker image"
    assert build.cache_to == ("type=inline",)
    assert build.cache_from[0].startswith("type=registry,ref=${{ env.ARTIFACT_REGISTRY }}/")


def test_yaml_1_2_keeps_on_a_string_key():
    assert list(load_yaml("on: push\nyes: no\n", "ci.yml").items()) == [
        ("on", "push"),
        ("yes", "no"),
    ]


COMPOSE = """\
x-build: &common
  context: ./shared
  dockerfile: docker/Dockerfile
services:
  web:
    build: ./web
  api:
    image: api
    build:
      context: ./api
      dockerfile: Dockerfile.prod
      target: runtime
      args:
        PY: "3.12"
        DEBUG: true
        EMPTY:
      cache_from:
        - type=registry,ref=x/api:cache
      cache_to: [type=inline]
  worker:
    build:
      <<: *common
      target: worker
      args:
        - A=1
        - B
  cron:
    build: *common
  db:
    image: postgres
"""


def test_compose_builds():
    builds = parse_compose_builds(COMPOSE, "compose.yaml")
    assert [
        (b.name, b.context, b.dockerfile, b.target, b.line, b.context_line, b.dockerfile_line)
        for b in builds
    ] == [
        ("web", "./web", None, None, 6, 6, None),
        ("api", "./api", "Dockerfile.prod", "runtime", 9, 10, 11),
        # merged keys point at the mapping that merges them; an alias at its anchor
        ("worker", "./shared", "docker/Dockerfile", "worker", 21, 22, 22),
        ("cron", "./shared", "docker/Dockerfile", None, 28, 2, 3),
    ]
    api, worker = builds[1], builds[2]
    assert api.build_args == (("PY", "3.12"), ("DEBUG", "true"), ("EMPTY", ""))
    assert (api.cache_from, api.cache_to) == (("type=registry,ref=x/api:cache",), ("type=inline",))
    assert worker.build_args == (("A", "1"), ("B", ""))
    assert all(b.kind == "compose" for b in builds)


BAKE_HCL = """\
variable "TAG" {
  default = "latest"
}

group "default" {
  targets = ["app"]
}

target "docker-metadata-action" {}

target "base" {
  dockerfile = "docker/Dockerfile"
  args = {
    PY = "3.12"
    "QUOTED" = "a\\"b"
  }
  cache-from = ["type=gha"]
}

target "app" {
  inherits = ["base", "docker-metadata-action", "defined-elsewhere"]
  context = "./backend"
  target = "runtime"
  args = {
    TAG = "${TAG}"
  }
  cache-to = [{ type = "gha", mode = "max" }]
}

target "tools" {
  context = CTX
  dockerfile-inline = <<EOT
FROM alpine
EOT
}

target "tools" {
  target = upper("dev")
}
"""


def test_bake_hcl_targets_with_inheritance():
    builds = {b.name: b for b in parse_bake_builds(BAKE_HCL, "docker-bake.hcl")}
    app = builds["app"]
    assert (app.context, app.dockerfile, app.target) == (
        "./backend",
        "docker/Dockerfile",
        "runtime",
    )
    assert (app.line, app.context_line, app.dockerfile_line) == (20, 22, 12)
    assert app.build_args == (("PY", "3.12"), ("QUOTED", 'a"b'), ("TAG", "${TAG}"))
    assert (app.cache_from, app.cache_to) == (("type=gha",), ("type=gha,mode=max",))
    assert (builds["base"].context, builds["base"].line) == (None, 11)
    # repeated blocks merge; expressions that are not string literals read as ${...}
    tools = builds["tools"]
    assert (tools.context, tools.target, tools.line) == ("${CTX}", '${upper("dev")}', 30)
    assert all(b.kind == "bake" for b in builds.values())


BAKE_JSON = """\
{
  "group": {"default": {"targets": ["app"]}},
  "target": {
    "base": {
      "dockerfile": "Dockerfile",
      "args": {"PY": "3.12"}
    },
    "app": {
      "inherits": ["base"],
      "context": "./app",
      "target": "prod"
    }
  }
}
"""


def test_bake_json_targets():
    builds = parse_bake_builds(BAKE_JSON, "docker-bake.json")
    assert [
        (b.name, b.context, b.dockerfile, b.target, b.line, b.context_line, b.dockerfile_line)
        for b in builds
    ] == [
        ("base", None, "Dockerfile", None, 4, None, 5),
        ("app", "./app", "Dockerfile", "prod", 8, 10, 5),
    ]
    assert builds[1].build_args == (("PY", "3.12"),)


def billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("parse", "text", "line", "message"),
    [
        (parse_workflow_builds, "jobs:\n  a: [1\n  b: 2\n", 3, "invalid YAML"),
        (parse_workflow_builds, "on: push\njobs: {}\non: pull_request\n", 3, "duplicate key"),
        (parse_compose_builds, "services: {}\n---\nservices: {}\n", 2, "single document"),
        (parse_compose_builds, "services:\n  a: *nothing\n", 2, "undefined alias"),
        (parse_compose_builds, "a: &a\n  b: *a\n", 2, "recursive YAML alias *a"),
        (parse_compose_builds, billion_laughs(9), 7, "billion laughs"),
        (parse_bake_builds, 'target "a" {\n  context = \n}\n', 2, "invalid HCL"),
        (
            parse_bake_builds,
            'target "a" {\n  inherits = ["b"]\n}\ntarget "b" {\n  inherits = ["a"]\n}\n',
            1,
            "cycle: a -> b -> a",
        ),
    ],
)
def test_errors_name_the_line(parse, text, line, message):
    with pytest.raises(PitstopError) as error:
        parse(text, "file")
    assert error.value.path == "file"
    assert error.value.line == line
    assert message in error.value.message


def test_bake_json_error_names_the_line():
    with pytest.raises(PitstopError) as error:
        parse_bake_builds('{\n  "target": {\n    "a": {,}\n  }\n}\n', "docker-bake.json")
    assert error.value.line == 3


def test_yaml_with_a_few_aliases_is_fine():
    assert parse_compose_builds(billion_laughs(3), "compose.yaml") == []


def test_oversized_yaml_is_refused():
    with pytest.raises(PitstopError, match="larger than 10 MiB"):
        load_yaml("#" * (MAX_YAML_CHARS + 1), "big.yml")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n", "jobs: 3\n"])
def test_documents_without_builds(text):
    assert parse_compose_builds(text, "compose.yaml") == []


PWSH_BUILD = """\
- run: |
    docker build `
      -t ghcr.io/o/app:${{ github.sha }} `
      -f docker/Dockerfile.windows `
      .
  shell: SHELL
"""


@pytest.mark.parametrize(
    ("steps", "job_extra", "top_extra", "runs_on"),
    [
        (PWSH_BUILD.replace("SHELL", "pwsh"), "", "", "ubuntu-latest"),
        (PWSH_BUILD.replace("SHELL", "powershell"), "", "", "windows-2022"),
        (PWSH_BUILD.replace("SHELL", "cmd"), "", "", "windows-latest"),
        (PWSH_BUILD.replace("  shell: SHELL\n", ""), "", "", "windows-latest"),
        (PWSH_BUILD.replace("  shell: SHELL\n", ""), "", "", "[self-hosted, Windows, X64]"),
        (
            PWSH_BUILD.replace("  shell: SHELL\n", ""),
            "strategy:\n  matrix:\n    os: [windows-2022, windows-2025]\n",
            "",
            "${{ matrix.os }}",
        ),
        (
            PWSH_BUILD.replace("  shell: SHELL\n", ""),
            "",
            "",
            "{group: big-runners, labels: [windows-latest]}",
        ),
        (
            PWSH_BUILD.replace("  shell: SHELL\n", ""),
            "strategy:\n  matrix:\n    include:\n      - os: windows-latest\n",
            "",
            "${{ matrix.os }}",
        ),
        (
            PWSH_BUILD.replace("  shell: SHELL\n", ""),
            "defaults:\n  run:\n    shell: pwsh\n",
            "",
            "ubuntu-latest",
        ),
        (
            PWSH_BUILD.replace("  shell: SHELL\n", ""),
            "",
            "defaults:\n  run:\n    shell: powershell\n",
            "ubuntu-latest",
        ),
        (PWSH_BUILD.replace("SHELL", "python"), "", "", "ubuntu-latest"),
    ],
)
def test_no_builds_are_read_from_scripts_that_are_not_posix(steps, job_extra, top_extra, runs_on):
    text = workflow(steps, job_extra, top_extra).replace("ubuntu-latest", runs_on)
    assert parse_workflow_builds(text, "ci.yml") == []


BASH_BUILD = """\
- run: |
    # build the image \\
    docker build \\
      -f docker/Dockerfile \\
      .  # the repository root
    echo done
  shell: SHELL
"""


@pytest.mark.parametrize(
    ("steps", "job_extra", "runs_on"),
    [
        (BASH_BUILD.replace("SHELL", "bash"), "", "windows-latest"),
        (BASH_BUILD.replace("SHELL", "bash -e {0}"), "", "ubuntu-latest"),
        (BASH_BUILD.replace("SHELL", "sh"), "", "macos-latest"),
        (BASH_BUILD.replace("  shell: SHELL\n", ""), "", "ubuntu-latest"),
        (  # the same script runs on Linux too, where bash reads it
            BASH_BUILD.replace("  shell: SHELL\n", ""),
            "strategy:\n  matrix:\n    os: [ubuntu-latest, windows-latest]\n",
            "${{ matrix.os }}",
        ),
        (  # the step's own shell wins over the job's default
            BASH_BUILD.replace("SHELL", "bash"),
            "defaults:\n  run:\n    shell: pwsh\n",
            "windows-latest",
        ),
    ],
)
def test_posix_scripts_are_read_on_any_runner(steps, job_extra, runs_on):
    text = workflow(steps, job_extra).replace("ubuntu-latest", runs_on, 1)
    (build,) = parse_workflow_builds(text, "ci.yml")
    # Lines: 6 `- run: |` (after the job's extra lines), 7 the comment, 8 `docker build \`
    line = 8 + job_extra.count("\n")
    assert (build.context, build.dockerfile, build.line) == (".", "docker/Dockerfile", line)
