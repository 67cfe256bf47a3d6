"""PS410-PS413, PS420: image builds in workflows: caches, scopes, modes, duplicates, re-tags."""

from __future__ import annotations

import pytest

from pitstop import api

from .workflows import fix_and_review, hits, write

# The build step is on line 8.
BUILD = """\
on: {on}
jobs:
  build:
    runs-on: {runs_on}
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          context: .
{inputs}"""

SINGLE = "FROM python:3.12-slim\nCOPY . /app\nUSER app\n"
MULTI = (
    "FROM python:3.12-slim AS builder\nRUN pip wheel --wheel-dir /w flask\n"
    "FROM python:3.12-slim AS test\nRUN echo test\n"
    "FROM python:3.12-slim\nCOPY --from=builder /w /w\nUSER app\n"
)


def build(inputs: str = "", on: str = "push", runs_on: str = "ubuntu-latest") -> str:
    return BUILD.format(on=on, runs_on=runs_on, inputs=inputs)


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        (build(), [("PS410", 8)]),
        (build("          cache-from: type=gha\n          cache-to: type=gha,mode=max\n"), []),
        # restore-only: another build (another workflow) writes the cache
        (build("          cache-from: type=registry,ref=ghcr.io/o/app:cache\n"), []),
        (build("          cache-to: type=gha,mode=max\n"), [("PS410", 8)]),
        (
            build(
                "          build-args: BUILDKIT_INLINE_CACHE=1\n          cache-from: ghcr.io/o/app\n"
            ),
            [],
        ),
        (build("          no-cache: true\n"), []),
        (build(runs_on="[self-hosted, linux]"), []),
        (build(runs_on="windows-2022"), []),  # no BuildKit for Windows containers
        (
            build() + "      - run: |\n          docker build -t app:test .\n",
            [("PS410", 8), ("PS410", 12)],
        ),
        (
            build("          cache-from: type=gha\n          cache-to: type=gha\n")
            + "      - run: docker buildx build --cache-from type=gha --cache-to type=gha -t x .\n",
            [],
        ),
    ],
)
def test_build_without_cache(tmp_path, workflow, expected):
    assert hits(tmp_path, "PS410", workflow, {"Dockerfile": SINGLE}) == expected


@pytest.mark.parametrize(
    ("on", "cache_to"),
    [
        ("push", "          cache-to: type=gha,scope=dockerfile,mode=max\n"),
        (
            "[push, pull_request]",
            "          cache-to: ${{ !startsWith(github.event_name, 'pull_request') && "
            "'type=gha,scope=dockerfile,mode=max' || '' }}\n",
        ),
    ],
)
def test_build_cache_fix_adds_a_scoped_gha_cache(tmp_path, on, cache_to):
    write(tmp_path, {".github/workflows/ci.yml": build(on=on), "Dockerfile": SINGLE})
    fixed, left = fix_and_review(tmp_path, "PS410")
    assert "        with:\n          cache-from: type=gha,scope=dockerfile\n" + cache_to in fixed
    assert left == []
    assert [f.rule for f in api.review(tmp_path, select=("PS404",)).findings] == []


def test_build_cache_has_no_fix_without_buildx(tmp_path):
    workflow = build().replace("      - uses: docker/setup-buildx-action@v3\n", "")
    write(tmp_path, {".github/workflows/ci.yml": workflow, "Dockerfile": SINGLE})
    (finding,) = api.review(tmp_path, select=("PS410",)).findings
    assert finding.fix is None  # the default docker driver cannot export a cache
    assert "No `docker/setup-buildx-action` comes before it" in finding.message


@pytest.mark.parametrize(
    ("before", "says_driver"),
    [
        ("", True),
        ("      - uses: docker/setup-buildx-action@v3\n", False),
        ("      - run: docker buildx create --use\n", False),
    ],
)
def test_build_cache_message_names_the_builder_it_needs(tmp_path, before, says_driver):
    workflow = build().split("      - uses: docker/setup-buildx-action")[0] + before
    workflow += "      - run: docker build -t app .\n"
    write(tmp_path, {".github/workflows/ci.yml": workflow, "Dockerfile": SINGLE})
    (finding,) = api.review(tmp_path, select=("PS410",)).findings
    assert ("docker` driver" in finding.message) is says_driver


LOAD_ACTION = """runs:
  using: composite
  steps:
    - run: zstd -d --stdout /tmp/parent.tar.zst | docker load
      shell: bash
"""


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("", [("PS410", 7)]),
        # a parent image made earlier in the run is loaded: a layer cache would miss
        ("      - run: docker load --input /tmp/parent.tar\n", []),
        ("      - run: gunzip -c parent.tar.gz | docker image load\n", []),
        ("      - uses: ./.github/actions/load-parent\n", []),
        # a local action that loads nothing changes nothing
        ("      - uses: ./.github/actions/other\n", [("PS410", 7)]),
    ],
)
def test_build_on_a_parent_loaded_in_the_run_has_no_cache_finding(tmp_path, before, expected):
    workflow = build().split("      - uses: docker/setup-buildx-action")[0] + before
    workflow += "      - run: docker build -t child .\n"
    expected = [(rule, line + (1 if before else 0)) for rule, line in expected]
    files = {
        "Dockerfile": SINGLE,
        ".github/actions/load-parent/action.yml": LOAD_ACTION,
        ".github/actions/other/action.yml": LOAD_ACTION.replace("| docker load", "> x"),
    }
    assert hits(tmp_path, "PS410", workflow, files) == expected


TWO_IMAGES = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6
        with:
          context: {first}
          cache-from: type=gha{first_scope}
          cache-to: type=gha{first_scope},mode=max
      - uses: docker/build-push-action@v6
        with:
          context: {second}
          cache-from: type=gha{second_scope}
          cache-to: type=gha{second_scope},mode=max
"""
IMAGES = {"api/Dockerfile": SINGLE, "worker/Dockerfile": SINGLE}


@pytest.mark.parametrize(
    ("first", "second", "first_scope", "second_scope", "expected"),
    [
        ("api", "worker", "", "", [("PS411", 16)]),
        ("api", "worker", ",scope=api", ",scope=api", [("PS411", 16)]),
        ("api", "worker", ",scope=api", ",scope=worker", []),
        ("api", "api", "", "", []),  # one image (built twice: PS413's business)
    ],
)
def test_gha_scope_shared(tmp_path, first, second, first_scope, second_scope, expected):
    workflow = TWO_IMAGES.format(
        first=first, second=second, first_scope=first_scope, second_scope=second_scope
    )
    assert hits(tmp_path, "PS411", workflow, IMAGES) == expected


def test_gha_scope_fix_scopes_both_inputs(tmp_path):
    workflow = TWO_IMAGES.format(first="api", second="worker", first_scope="", second_scope="")
    write(tmp_path, {".github/workflows/ci.yml": workflow, **IMAGES})
    fixed, left = fix_and_review(tmp_path, "PS411")
    assert "cache-from: type=gha,scope=worker-dockerfile\n" in fixed
    assert "cache-to: type=gha,scope=worker-dockerfile,mode=max\n" in fixed
    assert left == []


def test_gha_scope_shared_by_a_matrix_of_images(tmp_path):
    workflow = build(
        "          file: ${{ matrix.dockerfile }}\n          cache-from: type=gha\n"
        "          cache-to: type=gha,mode=max\n"
    )
    assert hits(tmp_path, "PS411", workflow, {"Dockerfile": SINGLE}) == [("PS411", 13)]


@pytest.mark.parametrize(
    ("dockerfile", "inputs", "expected"),
    [
        (MULTI, "          cache-from: type=gha\n          cache-to: type=gha\n", [("PS412", 12)]),
        (
            MULTI,
            "          cache-from: type=gha\n          cache-to: type=gha,mode=min\n",
            [("PS412", 12)],
        ),
        (MULTI, "          cache-to: type=inline\n", [("PS412", 11)]),
        (
            MULTI,
            "          cache-to: |\n            type=registry,ref=ghcr.io/o/app:cache\n",
            [("PS412", 12)],
        ),
        (MULTI, "          cache-to: type=gha,mode=max\n", []),
        (SINGLE, "          cache-to: type=gha\n", []),
        (
            MULTI,
            "          target: test\n          cache-to: type=gha\n",
            [],
        ),  # `test` needs no other stage
        (MULTI, "          cache-to: ${{ env.CACHE_TO }}\n", []),
    ],
)
def test_min_mode_cache_of_a_multi_stage_build(tmp_path, dockerfile, inputs, expected):
    assert hits(tmp_path, "PS412", build(inputs), {"Dockerfile": dockerfile}) == expected


def test_min_mode_names_the_uncached_stage_and_inline_has_no_fix(tmp_path):
    write(
        tmp_path,
        {
            ".github/workflows/ci.yml": build("          cache-to: type=inline\n"),
            "Dockerfile": MULTI,
        },
    )
    (finding,) = api.review(tmp_path, select=("PS412",)).findings
    assert "only supports min mode" in finding.message and finding.fix is None
    assert [(r.location.path, r.location.line) for r in finding.related] == [("Dockerfile", 1)]


@pytest.mark.parametrize("mode", ["", ",mode=min"])
def test_min_mode_fix(tmp_path, mode):
    inputs = f"          cache-from: type=gha\n          cache-to: type=gha,scope=app{mode}\n"
    write(tmp_path, {".github/workflows/ci.yml": build(inputs), "Dockerfile": MULTI})
    fixed, left = fix_and_review(tmp_path, "PS412")
    assert "          cache-to: type=gha,scope=app,mode=max\n" in fixed
    assert left == []


TWICE = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    {test_if}steps:
      - uses: actions/checkout@v4
      - run: docker build -t app:test {test_args}.
  publish:
    runs-on: ubuntu-latest
    {publish_if}steps:
      - uses: docker/build-push-action@v6
        with:
          context: .
          push: true
"""


@pytest.mark.parametrize(
    ("test_args", "test_if", "publish_if", "expected"),
    [
        ("", "", "", [("PS413", 11)]),
        ("", "", "if: github.ref == 'refs/heads/main'\n    ", [("PS413", 12)]),
        ("--target test ", "", "", []),
        ("--build-arg DEBUG=1 ", "", "", []),
        (
            "",
            "if: github.event_name == 'pull_request'\n    ",
            "if: github.event_name == 'push'\n    ",
            [],
        ),
    ],
)
def test_same_image_built_twice(tmp_path, test_args, test_if, publish_if, expected):
    workflow = TWICE.format(test_args=test_args, test_if=test_if, publish_if=publish_if)
    assert hits(tmp_path, "PS413", workflow, {"Dockerfile": SINGLE}) == expected


RETAG = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/o/app:${{ github.sha }}
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: docker run ghcr.io/o/app:${{ github.sha }} pytest
  tag-production-images:
    needs: [build, test]
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
      - run: |
          docker pull ghcr.io/o/app:${{ github.sha }}
          docker tag ghcr.io/o/app:${{ github.sha }} ghcr.io/o/app:production
          docker push ghcr.io/o/app:production
"""


def test_retag_only_job(tmp_path):
    assert hits(tmp_path, "PS420", RETAG, {"Dockerfile": SINGLE}) == [("PS420", 15)]
    no_build = RETAG.replace("docker/build-push-action@v6", "actions/checkout@v4")
    assert hits(tmp_path, "PS420", no_build, {"Dockerfile": SINGLE}) == []
