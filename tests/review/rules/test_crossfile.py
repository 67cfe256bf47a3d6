"""PS201-PS203 and PS301-PS304: builds declared in one file checked against the others."""

from __future__ import annotations

import pytest

from pitstop import api

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: {context}
          file: {file}
"""
DOCKERFILE = """\
FROM python:3.12-slim
USER app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
CMD ["app"]
"""


def repo(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def found(root, prefix):
    result = api.review(root)
    return sorted(
        (f.rule, f.location.path, f.location.line)
        for f in result.findings
        if f.rule.startswith(prefix)
    )


def workflow(context, file):
    return WORKFLOW.format(context=context, file=file)


def test_missing_context_and_dockerfile(tmp_path):
    repo(
        tmp_path,
        {
            ".github/workflows/a.yml": workflow("./service", "./service/Dockerfile"),
            ".github/workflows/b.yml": workflow(".", "./docker/api.Dockerfile"),
            "Dockerfile": DOCKERFILE,
            "pyproject.toml": "[project]\nname = 'x'\n",
        },
    )
    assert found(tmp_path, "PS2") == [
        ("PS201", ".github/workflows/a.yml", 9),
        ("PS201", ".github/workflows/b.yml", 10),
    ]


@pytest.mark.parametrize(
    ("copy", "expected"),
    [
        ("COPY ../packages/core /packages/core", [("PS202", "backend/Dockerfile", 3)]),
        ("COPY missing.txt ./", [("PS203", "backend/Dockerfile", 3)]),
        # BuildKit copies nothing for a wildcard that matches nothing, if its folder exists
        ("COPY *.lock ./", []),
        ("COPY uv.loc[k] ./", []),
        ("COPY wheels/*.whl ./", [("PS203", "backend/Dockerfile", 3)]),
        ("COPY *.toml ./", []),
        ("COPY --from=builder /x /x", []),
        ("COPY https://example.com/x /x", []),
    ],
)
def test_copy_sources_against_the_declared_context(tmp_path, copy, expected):
    repo(
        tmp_path,
        {
            ".github/workflows/deploy.yml": workflow("./backend", "./backend/Dockerfile"),
            "backend/Dockerfile": f"FROM python:3.12-slim AS builder\nFROM python:3.12-slim\n{copy}\nUSER app\n",
            "backend/pyproject.toml": "[project]\nname = 'x'\n",
        },
    )
    assert found(tmp_path, "PS2") == expected


def test_the_workflow_context_wins_over_the_dockerfile_folder(tmp_path):
    # Built from the root, `COPY backend/pyproject.toml` is right and `COPY pyproject.toml` is not.
    repo(
        tmp_path,
        {
            ".github/workflows/deploy.yml": workflow(".", "backend/Dockerfile"),
            "backend/Dockerfile": "FROM python:3.12-slim\nCOPY backend/pyproject.toml ./\nCOPY pyproject.toml ./\nUSER app\n",
            "backend/pyproject.toml": "[project]\nname = 'x'\n",
        },
    )
    assert found(tmp_path, "PS2") == [("PS203", "backend/Dockerfile", 3)]


PYPROJECT = """\
[project]
name = "backend"
dependencies = [
    "fastapi>=0.110",
    "core @ {url}",
]
"""


@pytest.mark.parametrize(
    ("context", "url", "copies", "expected"),
    [
        (
            "./backend",
            "file:///Users/dev/mono/packages/core",
            "",
            [("PS301", "backend/pyproject.toml", 5)],
        ),
        ("./backend", "file:///../packages/core", "", [("PS304", "backend/pyproject.toml", 5)]),
        (".", "file:///home/dev/mono/packages/core", "", [("PS301", "backend/pyproject.toml", 5)]),
    ],
)
def test_path_dependencies(tmp_path, context, url, copies, expected):
    copy = "COPY pyproject.toml ./" if context != "." else "COPY backend/pyproject.toml ./"
    repo(
        tmp_path,
        {
            ".github/workflows/deploy.yml": workflow(context, "./backend/Dockerfile"),
            "backend/Dockerfile": f"FROM python:3.12-slim\n{copy}\n{copies}RUN pip install --no-cache-dir .\nUSER app\n",
            "backend/pyproject.toml": PYPROJECT.format(url=url),
            "packages/core/pyproject.toml": "[project]\nname = 'core'\n",
        },
    )
    assert found(tmp_path, "PS3") == expected


REQUIREMENTS_DOCKERFILE = "FROM python:3.12-slim\nCOPY requirements.txt ./\n{copy}RUN pip install --no-cache-dir -r requirements.txt\nUSER app\n"


@pytest.mark.parametrize(
    ("requirement", "copy", "expected"),
    [
        ("-e ../packages/core", "", [("PS302", "backend/requirements.txt", 1)]),
        ("./libs/core", "", [("PS303", "backend/requirements.txt", 1)]),
        ("./libs/core", "COPY libs/ ./libs/\n", []),
        ("fastapi==0.110", "", []),
    ],
)
def test_requirements_paths(tmp_path, requirement, copy, expected):
    repo(
        tmp_path,
        {
            "backend/Dockerfile": REQUIREMENTS_DOCKERFILE.format(copy=copy),
            "backend/requirements.txt": requirement + "\n",
            "backend/libs/core/pyproject.toml": "[project]\nname = 'core'\n",
            "packages/core/pyproject.toml": "[project]\nname = 'core'\n",
        },
    )
    assert found(tmp_path, "PS3") == expected


def test_a_dependency_file_no_image_copies_is_not_judged(tmp_path):
    repo(
        tmp_path,
        {
            "backend/Dockerfile": "FROM python:3.12-slim\nUSER app\n",
            "backend/pyproject.toml": PYPROJECT.format(url="file:///Users/dev/core"),
        },
    )
    assert found(tmp_path, "PS3") == []


@pytest.mark.parametrize(
    ("ignore", "expected"),
    [
        ("*.toml\n", [("PS204", "backend/Dockerfile", 3)]),
        ("*.toml\n!pyproject.toml\n", []),
        ("**/*.md\n", []),
    ],
)
def test_copy_source_excluded_by_the_ignore_file(tmp_path, ignore, expected):
    repo(
        tmp_path,
        {
            "backend/Dockerfile": "FROM python:3.12-slim AS base\nFROM python:3.12-slim\nCOPY pyproject.toml ./\nUSER app\n",
            "backend/pyproject.toml": "[project]\nname = 'x'\n",
            "backend/.dockerignore": ignore,
        },
    )
    assert found(tmp_path, "PS2") == expected


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    repo(
        tmp_path,
        {
            "backend/Dockerfile": "FROM python:3.12-slim\nCOPY pyproject.toml ./\nUSER app\n",
            "backend/pyproject.toml": "[project]\nname = 'x'\n",
            "backend/.dockerignore": "*.toml\n",
            "backend/Dockerfile.dockerignore": "*.md\n",
        },
    )
    assert found(tmp_path, "PS2") == []


def test_invalid_ignore_pattern_names_file_and_line(tmp_path):
    repo(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-slim\nUSER app\n",
            ".dockerignore": "# comment\n[unclosed\n",
        },
    )
    result = api.review(tmp_path)
    (problem,) = result.problems
    assert (problem.path, problem.line) == (".dockerignore", 2)


ASSUMED = 'FROM python:3.12-slim\nUSER app\nCOPY scripts/setup.sh /\nCMD ["app"]\n'


def _severities(root, rule):
    return [
        (f.location.path, f.severity.value) for f in api.review(root).findings if f.rule == rule
    ]


def test_assumed_context_never_blocks_and_says_so(tmp_path):
    # No workflow, compose or bake file builds it: the folder is only a guess at the context.
    repo(tmp_path, {"tools/img/Dockerfile": ASSUMED, "other/setup.sh": "#!/bin/sh\n"})
    result = api.review(tmp_path)
    (finding,) = [f for f in result.findings if f.rule == "PS203"]
    assert finding.severity.value == "warning"
    assert "assumed its own folder, `tools/img/`, is the build context" in finding.message


def test_assumed_context_claims_nothing_a_wider_context_would_find(tmp_path):
    # Built from the root (devcontainer.json's `context: ".."`, a script), the COPY works.
    repo(tmp_path, {"tools/img/Dockerfile": ASSUMED, "scripts/setup.sh": "#!/bin/sh\n"})
    assert _severities(tmp_path, "PS203") == []


def test_declared_context_still_blocks(tmp_path):
    repo(
        tmp_path,
        {
            "tools/img/Dockerfile": ASSUMED,
            ".github/workflows/a.yml": workflow("tools/img", "tools/img/Dockerfile"),
        },
    )
    assert _severities(tmp_path, "PS203") == [("tools/img/Dockerfile", "blocking")]


def test_assumed_context_lowers_dependency_findings(tmp_path):
    repo(
        tmp_path,
        {
            "svc/Dockerfile": DOCKERFILE,
            "svc/pyproject.toml": "[project]\nname = 'x'\ndependencies = ['core @ file:../core']\n"
            "[tool.uv.sources]\ncore = { path = '../core' }\n",
            "core/pyproject.toml": "[project]\nname = 'core'\n",
        },
    )
    found = [f for f in api.review(tmp_path).findings if f.rule.startswith("PS30")]
    assert found and all(f.severity.value != "blocking" for f in found)
    assert all("assumed" in f.message for f in found)


def test_quoted_copy_source_is_found(tmp_path):
    # BuildKit removes the shell quotes around COPY words.
    dockerfile = 'FROM python:3.12-slim\nUSER app\nCOPY "etc/app.cfg" /etc/app.cfg\nCMD ["app"]\n'
    repo(tmp_path, {"Dockerfile": dockerfile, "etc/app.cfg": "x\n"})
    assert _severities(tmp_path, "PS203") == []


@pytest.mark.parametrize(
    ("install", "expected"),
    [
        # pip never reads [tool.uv]: a uv workspace member it does not copy is not needed
        ("RUN pip install --no-cache-dir .", []),
        ("RUN pip install uv && uv sync --frozen", [("PS303", "pyproject.toml", 4)]),
    ],
)
def test_uv_paths_matter_only_to_uv(tmp_path, install, expected):
    repo(
        tmp_path,
        {
            "Dockerfile": f"FROM python:3.12-slim\nUSER app\nCOPY pyproject.toml ./\n{install}\n",
            "pyproject.toml": "[project]\nname = 'x'\n[tool.uv.workspace]\nmembers = ['rs']\n",
            "rs/pyproject.toml": "[project]\nname = 'rs'\n",
            ".github/workflows/a.yml": workflow(".", "Dockerfile"),
        },
    )
    assert found(tmp_path, "PS30") == expected


# Builds whose paths are relative to a folder pitstop cannot know: nothing is claimed missing.
_OVERRIDE_NAMED = {
    "tools/extra/docker-compose.extra-override.yml": (
        "services:\n  search:\n    build: ../../extra/search/\n"
    ),
}
_PARTIAL_SERVICE = {
    "dev/docker-compose.yml": (
        "services:\n  app:\n    build:\n      context: ../\n      dockerfile: docker/Dockerfile\n"
    ),
    "dev/docker-compose.final.yml": "services:\n  app:\n    build:\n      target: final\n",
    "docker/Dockerfile": DOCKERFILE,
}
_MAIN_WITHOUT_CONTEXT = {
    "dev/docker-compose.yml": "services:\n  app:\n    build:\n      target: final\n",
}
_DOCS_EXAMPLE = {
    "docs/recipes/docker-bake.hcl": 'target "custom" {\n  context = "."\n  dockerfile = "x.Dockerfile"\n}\n',
}
_BAKE_ACTION = """\
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/bake-action@v6
        with:
          {inputs}
"""
_BAKE_FILE = 'target "base" {\n  dockerfile = "Dockerfile.base"\n}\n'
_REUSABLE = """\
on:
  workflow_call:
    inputs:
      branch:
        type: string
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4{checkout}
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: ./development/Dockerfile
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # an override file's paths are relative to the first -f file's folder: unknown
        (_OVERRIDE_NAMED, []),
        # a service with no context of its own is merged with the base file's
        (_PARTIAL_SERVICE, []),
        # the default override beside its main file is read with it, from its own folder
        (
            {
                "compose.yml": "services:\n  app:\n    image: app\n",
                "compose.override.yml": "services:\n  app:\n    build:\n      context: ./app\n",
            },
            [("PS201", "compose.override.yml", 4)],
        ),
        ({"compose.override.yml": "services:\n  app:\n    build:\n      context: ./app\n"}, []),
        # a main compose file keeps its own folder as the base: `dev/` has no Dockerfile
        (_MAIN_WITHOUT_CONTEXT, [("PS201", "dev/docker-compose.yml", 3)]),
        # a bake file in the documentation is an example to copy elsewhere
        (_DOCS_EXAMPLE, []),
        # the same bake file outside docs/ is a build of this repository
        (
            {"recipes/docker-bake.hcl": _DOCS_EXAMPLE["docs/recipes/docker-bake.hcl"]},
            [("PS201", "recipes/docker-bake.hcl", 3)],
        ),
        # bake-action `source: ./docker` runs bake in docker/: Dockerfile.base is there
        (
            {
                ".github/workflows/release.yml": _BAKE_ACTION.format(inputs="source: ./docker"),
                "docker/docker-bake.hcl": _BAKE_FILE,
                "docker/Dockerfile.base": DOCKERFILE,
            },
            [],
        ),
        # ... and `workdir:` does the same
        (
            {
                ".github/workflows/release.yml": _BAKE_ACTION.format(inputs="workdir: docker"),
                "docker/docker-bake.hcl": _BAKE_FILE,
                "docker/Dockerfile.base": DOCKERFILE,
            },
            [],
        ),
        # with no bake-action reading it, the bake file's paths are the root's
        (
            {"docker/docker-bake.hcl": _BAKE_FILE, "docker/Dockerfile.base": DOCKERFILE},
            [("PS201", "docker/docker-bake.hcl", 2)],
        ),
        # a bake-action in docker/ still finds a Dockerfile that is truly missing
        (
            {
                ".github/workflows/release.yml": _BAKE_ACTION.format(inputs="source: ./docker"),
                "docker/docker-bake.hcl": _BAKE_FILE,
            },
            [("PS201", "docker/docker-bake.hcl", 2)],
        ),
        # a reusable workflow only other repositories call checks out the caller's code
        ({".github/workflows/base.yml": _REUSABLE.format(checkout="")}, []),
        # ... unless its checkout names the repository it builds
        (
            {
                ".github/workflows/base.yml": _REUSABLE.format(
                    checkout="\n        with:\n          repository: org/app"
                )
            },
            [("PS201", ".github/workflows/base.yml", 16)],
        ),
        # ... or a workflow of this repository calls it, with this repository's code
        (
            {
                ".github/workflows/base.yml": _REUSABLE.format(checkout=""),
                ".github/workflows/ci.yml": (
                    "on: push\njobs:\n  call:\n    uses: ./.github/workflows/base.yml\n"
                ),
            },
            [("PS201", ".github/workflows/base.yml", 14)],
        ),
    ],
)
def test_build_paths_relative_to_an_unknown_folder(tmp_path, files, expected):
    repo(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", **files})
    assert found(tmp_path, "PS201") == expected


def test_a_shell_variable_is_not_a_path(tmp_path):
    steps = "      - run: docker build -t x $CONTEXT\n      - run: docker build -f $FILE .\n"
    flow = WORKFLOW.split("      - uses: docker/build-push-action")[0] + steps
    repo(tmp_path, {".github/workflows/ci.yml": flow, "Dockerfile": DOCKERFILE})
    assert found(tmp_path, "PS201") == []


FOLDER_DOCKERFILE = (
    "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements/ requirements/\n"
    "RUN pip install --no-cache-dir -r requirements/prod.txt\nUSER app\n"
)


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        # pip resolves `.` and `../x` against where it runs (/app here, the folder above
        # requirements/), not the file's folder: where they lead is not judged
        ("-e .", []),
        ("-e ../libs/core", []),
        ("./libs/core", []),
        # an absolute path is wrong from any working directory
        ("-e /home/dev/core", [("PS301", "requirements/prod.txt", 2)]),
        ("-e /home/dev/proj/libs/core", [("PS301", "requirements/prod.txt", 2)]),
        ("fastapi==0.110", []),
    ],
)
def test_requirements_in_a_requirements_folder(tmp_path, requirement, expected):
    # no fix either: a path made relative to the file's folder would be read by pip from
    # the directory the install runs in
    repo(
        tmp_path,
        {
            "Dockerfile": FOLDER_DOCKERFILE,
            "requirements/prod.txt": "-r base.txt\n" + requirement + "\n",
            "requirements/base.txt": "django==5.0\n",
            "libs/core/pyproject.toml": "[project]\nname = 'core'\n",
        },
    )
    assert found(tmp_path, "PS3") == expected
    assert not [f for f in api.review(tmp_path).findings if f.fix is not None and f.rule < "PS4"]


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("requirements.txt", True),
        ("requirements-dev.in", True),
        ("constraints.txt", True),
        ("dev-requirements.txt", True),
        ("test_requirements.txt", True),
        ("requirements/base.txt", True),
        ("backend/requirements/prod.in", True),
        ("pyproject.toml", True),
        ("docs/requirements.md", False),
        ("requirements/README.md", False),
        (".riot/requirements/1a2b3c.txt", False),  # a tool's generated lock files
        (".ci/requirements.txt", True),  # named so: a declaration wherever it is
        ("notes.txt", False),
        ("myrequirements.txt", False),
    ],
)
def test_which_files_are_read_as_dependency_declarations(path, read):
    from pitstop.review.load import is_dependency_file

    assert is_dependency_file(path) is read
