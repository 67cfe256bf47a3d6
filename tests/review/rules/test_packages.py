"""PS130-PS135: apt, pip, poetry and uv."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    ("PS130", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", [2]),
    (
        "PS130",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --only-upgrade libexpat1\n",
        [],
    ),
    # the lists come from the earlier RUN: cleaning them in the install's RUN frees nothing
    (
        "PS131",
        "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n",
        [],
    ),
    ("PS134", "FROM python:3.12\nRUN pip install --no-index --find-links /tmp/wheels app\n", []),
    ("PS135", "FROM python:3.12\nRUN uv pip install --system --no-cache-dir flask\n", []),
    ("PS135", "FROM python:3.12\nRUN uv pip install --system -n flask\n", []),
    ("PS135", "FROM python:3.12\nRUN uv pip install --system flask\n", [2]),
    (
        "PS130",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        [],
    ),
    ("PS130", "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y curl\n", []),
    (
        "PS130",
        "FROM debian:12 AS base\n"
        "RUN echo 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/99no-recommends\n"
        "FROM base\nRUN apt-get update && apt-get install -y curl\n",
        [],
    ),
    (
        "PS131",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        [2],
    ),
    (
        "PS131",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n",
        [],
    ),
    (
        "PS131",
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n",
        [],
    ),
    (
        "PS131",
        "FROM debian:13\nRUN apt-get update; apt-get install -y --no-install-recommends curl; "
        "apt-get dist-clean\n",
        [],
    ),
    ("PS132", "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n", [2]),
    ("PS132", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", []),
    ("PS133", "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n", [2]),
    ("PS133", "FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN python -m pip install flask\n", [2]),
    ("PS134", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n", []),
    ("PS134", "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", []),
    (
        "PS134",
        "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        [],
    ),
    ("PS134", "FROM python:3.12-slim\nRUN uv pip install --system flask\n", []),
    ("PS134", "FROM python:3.12-slim\nRUN pip install flask && rm -rf /root/.cache\n", []),
    ("PS134", "FROM python:3.12-slim\nRUN pip install flask && rm -rf ~/.cache/pip\n", []),
    ("PS134", "FROM python:3.12-slim\nRUN pip install flask && rm -rf /tmp/*\n", [2]),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install --only main\n", [2]),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install --no-cache --only main\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN poetry install && rm -rf $POETRY_CACHE_DIR\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN uv sync --frozen\n", [2]),
    (
        "PS135",
        "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen\n",
        [],
    ),
    ("PS135", "FROM python:3.12-slim\nENV UV_NO_CACHE=1\nRUN uv sync --frozen\n", []),
    ("PS135", "FROM python:3.12-slim\nRUN poetry export -f requirements.txt -o r.txt\n", []),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def _fixed(snippet: str, code: str, tmp_path) -> str:
    (finding,) = findings(snippet, code, tmp_path)
    assert finding.fix is not None
    lines = snippet.splitlines(keepends=True)
    for edit in reversed(finding.fix.edits):
        assert edit.start_line == edit.end_line
        line = lines[edit.start_line - 1]
        lines[edit.start_line - 1] = (
            line[: edit.start_column - 1] + edit.text + line[edit.end_column - 1 :]
        )
    return "".join(lines)


def test_fix_adds_no_install_recommends(tmp_path):
    snippet = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    assert _fixed(snippet, "PS130", tmp_path) == (
        "FROM debian:12\nRUN apt-get update && apt-get install --no-install-recommends -y curl\n"
    )


def test_fix_removes_apt_lists_in_the_same_run(tmp_path):
    snippet = (
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    )
    assert _fixed(snippet, "PS131", tmp_path).endswith(
        "curl \\\n    && rm -rf /var/lib/apt/lists/*\n"
    )


def test_fix_adds_no_cache_dir(tmp_path):
    snippet = "FROM python:3.12-slim\nRUN pip install flask\n"
    assert (
        _fixed(snippet, "PS134", tmp_path)
        == "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n"
    )


def test_fixed_file_passes_the_rule(tmp_path):
    snippet = "FROM python:3.12-slim\nRUN pip install flask\n"
    assert hits(_fixed(snippet, "PS134", tmp_path), "PS134", tmp_path) == []


def test_update_with_another_apt_verb_is_not_alone(tmp_path):
    snippet = "FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y && rm -rf /var/lib/apt/lists/*\n"
    assert hits(snippet, "PS132", tmp_path) == []


def test_env_set_in_a_parent_stage_counts(tmp_path):
    snippet = (
        "FROM python:3.12-slim AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask\n"
    )
    assert hits(snippet, "PS134", tmp_path) == []


RUN_CHAIN = """\
FROM debian:12
RUN apt-get update \\
    && apt-get install -y curl \\
    && apt-get install -y git \\
    && echo done \\
    && apt-get install -y make
"""

# Each finding points at its own command inside a multi-line RUN, not the RUN's first line.
PLACED = [
    ("PS130", RUN_CHAIN, [(3, 8), (4, 8), (6, 8)]),
    ("PS131", RUN_CHAIN, [(3, 8)]),
    ("PS132", "FROM debian:12\nRUN echo refresh \\\n && apt-get update\n", [(3, 5)]),
    ("PS133", "FROM debian:12\nRUN apt-get update \\\n && apt-get upgrade -y\n", [(3, 5)]),
    ("PS134", "FROM python:3.12\nRUN echo pip \\\n && pip install flask\n", [(3, 5)]),
    ("PS135", "FROM python:3.12\nRUN echo uv \\\n && uv sync --frozen\n", [(3, 5)]),
]


@pytest.mark.parametrize(("code", "snippet", "places"), PLACED)
def test_findings_point_at_their_own_command(code, snippet, places, tmp_path):
    found = findings(snippet, code, tmp_path)
    assert [(f.location.line, f.location.column) for f in found] == places


def test_fix_inserts_into_the_command_on_a_continuation_line(tmp_path):
    snippet = "FROM python:3.12\nRUN echo a \\\n && pip install flask\n"
    assert _fixed(snippet, "PS134", tmp_path).endswith("&& pip install --no-cache-dir flask\n")


MOUNTED = [
    # a cache mount on pip's own cache folder: keeping that cache is the point
    (
        "FROM python:3.12-slim\nENV PIP_CACHE_DIR=/cache/pip\n"
        "RUN --mount=type=cache,target=/cache/pip pip install flask\n",
        [],
    ),
    (
        "FROM python:3.12-slim\n"
        "RUN --mount=type=cache,target=/tmp/pipc pip install --cache-dir /tmp/pipc flask\n",
        [],
    ),
    (
        "FROM python:3.12-slim\nUSER app\n"
        "RUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000 pip install flask\n",
        [],
    ),
    # a cache mount for another tool leaves pip's cache in the layer
    (
        "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/uv pip install flask\n",
        [2],
    ),
]


@pytest.mark.parametrize(("snippet", "lines"), MOUNTED)
def test_pip_cache_mount_on_its_own_folder(snippet, lines, tmp_path):
    assert hits(snippet, "PS134", tmp_path) == [("PS134", line) for line in lines]


def test_mounted_uv_cache_folder_is_intended(tmp_path):
    snippet = (
        "FROM python:3.12-slim\nENV UV_CACHE_DIR=/opt/uvcache\n"
        "RUN --mount=type=cache,target=/opt/uvcache uv sync --frozen\n"
    )
    assert hits(snippet, "PS135", tmp_path) == []


@pytest.mark.parametrize(
    ("base", "reported"),
    [
        ("python:3.12-slim", True),
        ("docker.io/library/python:3.12", True),
        # another repository's image may set PIP_NO_CACHE_DIR in its ENV (getsentry/sentry,
        # Habana's images do): not visible from here, so nothing is claimed
        ("ghcr.io/example/app:latest", False),
        ("example/app", False),
        ("${APP_IMAGE}", False),
    ],
)
def test_pip_cache_on_another_repositorys_image_is_not_claimed(base, reported, tmp_path):
    snippet = f"ARG APP_IMAGE\nFROM {base}\nRUN pip install flask\n"
    found = findings(snippet, "PS134", tmp_path)
    assert [f.severity.value for f in found] == (["warning"] if reported else [])


BUILDER = """\
FROM python:3.12 AS builder
RUN apt-get update && apt-get install -y --no-install-recommends gcc
RUN pip install -r requirements.txt
RUN poetry install --only main
FROM python:3.12-slim
COPY --from=builder /venv /venv
"""


@pytest.mark.parametrize("code", ["PS131", "PS134", "PS135"])
def test_builder_stage_costs_cache_not_image_size(code, tmp_path):
    (finding,) = findings(BUILDER, code, tmp_path)
    assert finding.severity.value == "info"
    assert "does not ship" in finding.message
    assert "in the image" not in finding.message


def test_builder_stage_copied_whole_into_the_image_ships(tmp_path):
    snippet = (
        "FROM python:3.12 AS build\nRUN pip install flask\nFROM scratch\nCOPY --from=build / /\n"
    )
    (finding,) = findings(snippet, "PS134", tmp_path)
    assert finding.severity.value == "warning"
    assert "ships in the image" in finding.message


def test_builder_stage_whose_venv_alone_is_copied_does_not_ship_its_cache(tmp_path):
    snippet = (
        "FROM python:3.12 AS build\nRUN pip install flask\n"
        "FROM python:3.12-slim\nCOPY --from=build /venv /venv\n"
    )
    (finding,) = findings(snippet, "PS134", tmp_path)
    assert finding.severity.value == "info"


def test_builder_stage_whose_root_cache_is_copied_ships_it(tmp_path):
    snippet = (
        "FROM python:3.12 AS build\nRUN pip install flask\n"
        "FROM python:3.12-slim\nCOPY --from=build /root /root\n"
    )
    (finding,) = findings(snippet, "PS134", tmp_path)
    assert finding.severity.value == "warning"


# (snippet, line, what the message says): an upgrade in a stage that does not ship costs
# the build's reproducibility only; the image does not carry the upgraded packages.
UPGRADE_CLAIMS = [
    (
        "FROM debian:12 AS build\nRUN apt-get upgrade -y\nRUN make\n"
        "FROM debian:12\nCOPY --from=build /out /out\n",
        2,
        "which does not ship",
    ),
    (
        'FROM debian:12 AS base\nRUN apt-get upgrade -y\nFROM base\nCMD ["serve"]\n',
        2,
        "adds a layer of changed files",
    ),
    # the whole file system of the stage copied out ships its upgrade
    (
        "FROM debian:12 AS build\nRUN apt-get upgrade -y\nFROM scratch\nCOPY --from=build / /\n",
        2,
        "adds a layer of changed files",
    ),
]


@pytest.mark.parametrize(("snippet", "line", "says"), UPGRADE_CLAIMS)
def test_upgrade_claim_follows_what_ships(snippet, line, says, tmp_path):
    (finding,) = findings(snippet, "PS133", tmp_path)
    assert (finding.location.line, finding.severity.value) == (line, "info")
    assert says in finding.message
