"""PS101-PS106: hardening rules judge the stage that ships."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    # PS101: build tools in the shipped stage of a multi-stage build
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        RUN apt-get update && apt-get install -y --no-install-recommends gcc
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev
        """,
        [4],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        RUN apt-get install -y gcc
        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        """,
        [],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS base
        RUN pip install poetry==1.8.0
        FROM base AS runtime
        CMD ["python"]
        """,
        [2],
    ),
    (
        "PS101",
        """
        FROM python:3.12-slim AS builder
        FROM python:3.12-slim
        RUN apt-get install -y gcc && pip wheel . && apt-get purge -y gcc
        """,
        [],
    ),
    (
        "PS101",
        """
        FROM alpine:3.20 AS a
        FROM alpine:3.20
        RUN apk add --no-cache git musl-dev
        """,
        [3],
    ),
    # PS102: single stage that installs build tools
    (
        "PS102",
        """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y gcc
        """,
        [2],
    ),
    (
        "PS102",
        """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y libpq5 curl
        """,
        [],
    ),
    # PS102: build dependencies removed as a group in the same RUN do not ship
    (
        "PS102",
        """
        FROM alpine:3.20
        RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\
            && pip install --no-cache-dir uwsgi \\
            && apk del --no-network .build-deps
        """,
        [],
    ),
    (
        "PS102",
        """
        FROM alpine:3.20
        RUN apk add --no-cache --virtual .build-deps gcc musl-dev && pip install uwsgi
        """,
        [2],
    ),
    (
        "PS102",
        """
        FROM debian:bookworm-slim
        RUN savedAptMark="$(apt-mark showmanual)"; \\
            apt-get update; apt-get install -y --no-install-recommends gcc libc6-dev; \\
            make install; \\
            apt-mark auto '.*' > /dev/null; apt-mark manual $savedAptMark; \\
            apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false
        """,
        [],
    ),
    (
        "PS102",
        """
        FROM debian:bookworm-slim
        RUN apt-get install -y gcc && make && apt-get purge -y --auto-remove
        """,
        [2],
    ),
    # PS103: runs as root
    (
        "PS103",
        """
        FROM python:3.12-slim
        CMD ["gunicorn", "app:app"]
        """,
        [1],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim
        CMD ["python"]
        """,
        [],  # not evidently a service: an interpreter alone serves nothing
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim
        USER app
        USER root
        """,
        [3],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim AS base
        USER 1000:1000
        FROM base
        CMD ["python"]
        """,
        [],
    ),
    (
        "PS103",
        """
        FROM python:3.12-slim AS build
        FROM gcr.io/distroless/python3:nonroot
        """,
        [],
    ),
    # PS104: a server without HEALTHCHECK is not reported on its own (the platform decides
    # whether it needs one); see COMPOSE_HEALTH for what certainly breaks
    (
        "PS104",
        """
        FROM python:3.12-slim
        EXPOSE 8080
        CMD ["python", "-m", "http.server"]
        """,
        [],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        CMD ["gunicorn", "app:app"]
        """,
        [],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        EXPOSE 8080
        HEALTHCHECK NONE
        """,
        [],
    ),
    (
        "PS104",
        """
        FROM python:3.12-slim
        CMD ["python", "batch.py"]
        """,
        [],
    ),
    # PS105: shell form without exec
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD uvicorn app:app --port ${PORT}
        """,
        [2],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        ENTRYPOINT /entrypoint.sh
        CMD ["serve"]
        """,
        [2],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD exec uvicorn app:app
        """,
        [],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD ["uvicorn", "app:app"]
        """,
        [],
    ),
    (
        "PS105",
        """
        FROM python:3.12-slim AS old
        CMD python old.py
        FROM python:3.12-slim
        CMD ["python", "new.py"]
        """,
        [],
    ),
    # PS106: shell form with exec
    (
        "PS106",
        """
        FROM python:3.12-slim
        CMD exec uvicorn app:app --port ${PORT}
        """,
        [2],
    ),
    (
        "PS106",
        """
        FROM python:3.12-slim
        CMD uvicorn app:app
        """,
        [],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_shipped_stage_is_the_build_target(tmp_path):
    # The last stage is a debug image with gcc; without a declared target it ships.
    snippet = """
        FROM python:3.12-slim AS runtime
        USER app
        FROM runtime AS debug
        RUN apt-get install -y gcc
        """
    assert hits(snippet, "PS101", tmp_path) == [("PS101", 4)]


def test_exec_fix_prefixes_a_single_command(tmp_path):
    (finding,) = findings("FROM python:3.12-slim\nCMD uvicorn app:app\n", "PS105", tmp_path)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    assert (edit.start_line, edit.start_column, edit.text) == (2, 5, "exec ")


def test_no_exec_fix_for_a_command_list(tmp_path):
    (finding,) = findings("FROM python:3.12-slim\nCMD migrate && serve\n", "PS105", tmp_path)
    assert finding.fix is None


# (Dockerfile path, snippet, repository files {path: text}, code, expected (line, severity))
JUDGED = [
    # Windows images get no Linux rule: no uid 0, no /bin/sh -c.
    (
        "Dockerfile.windows",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD python app.py\n",
        {},
        "PS103",
        [],
    ),
    (
        "Dockerfile",
        "FROM mcr.microsoft.com/powershell:lts-windowsservercore-ltsc2022\nCMD pwsh -File a.ps1\n",
        {},
        "PS105",
        [],
    ),
    (
        "Dockerfile",
        "FROM python:3.13-windowsservercore-ltsc2022\nCMD python app.py\n",
        {},
        "PS106",
        [],
    ),
    (
        "Dockerfile",
        "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN chown -R app /app\n",
        {},
        "PS103",
        [],
    ),
    # the same Linux image is judged
    ("Dockerfile", "FROM python:3.13-slim\nCMD python app.py\n", {}, "PS105", [(2, "warning")]),
    # an official distribution or language image runs as root: a warning
    (
        "Dockerfile",
        'FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n',
        {},
        "PS103",
        [(1, "warning")],
    ),
    # another base image may set a user itself: nothing certain to say
    (
        "Dockerfile",
        'FROM quay.io/acme/base-notebook:2024\nCMD ["gunicorn", "app"]\n',
        {},
        "PS103",
        [],
    ),
    # a port alone does not make a service (supervisors, monitors, preview servers)
    (
        "Dockerfile",
        'FROM python:3.12-slim\nEXPOSE 8000\nCMD ["mkdocs", "serve"]\n',
        {},
        "PS103",
        [],
    ),
    # the entrypoint script (in the repository) drops privileges with gosu: info
    (
        "Dockerfile",
        "FROM debian:bookworm-slim\nCOPY docker/entrypoint.sh /usr/local/bin/\n"
        'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]\nCMD ["gunicorn", "app"]\n',
        {"docker/entrypoint.sh": '#!/bin/sh\nchown -R app /data\nexec gosu app "$@"\n'},
        "PS103",
        [(1, "info")],
    ),
    # ... relative to WORKDIR, with su-exec
    (
        "Dockerfile",
        "FROM alpine:3.20\nWORKDIR /app\nCOPY start.sh .\nCMD ./start.sh uvicorn app:app\n",
        {"start.sh": '#!/bin/sh\nexec su-exec app:app "$@"\n'},
        "PS103",
        [(1, "info")],
    ),
    # a script that drops nothing stays a warning
    (
        "Dockerfile",
        'FROM debian:bookworm-slim\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n'
        'CMD ["uvicorn", "app:app"]\n',
        {"entrypoint.sh": '#!/bin/sh\nexec "$@"\n'},
        "PS103",
        [(1, "warning")],
    ),
    # the command itself drops privileges
    (
        "Dockerfile",
        'FROM debian:bookworm-slim\nCMD ["setpriv", "--reuid=1000", "gunicorn", "app"]\n',
        {},
        "PS103",
        [(1, "info")],
    ),
    (
        "Dockerfile",
        'FROM debian:bookworm-slim\nCMD ["chpst", "-u", "app", "gunicorn", "app"]\n',
        {},
        "PS103",
        [(1, "info")],
    ),
    # a devcontainer or a test fixture is not a runtime image
    (
        ".devcontainer/Dockerfile",
        "FROM python:3.12\nRUN apt-get install -y build-essential\n",
        {},
        "PS102",
        [],
    ),
    (".devcontainer/Dockerfile", "FROM python:3.12\n", {}, "PS103", []),
    ("tests/fixtures/Dockerfile", "FROM python:3.12-slim\nEXPOSE 80\n", {}, "PS104", []),
    # a base image published for others (its command is only an interpreter): info
    (
        "3.12/slim/Dockerfile",
        'FROM debian:bookworm-slim\nRUN apt-get install -y gcc && make\nCMD ["python3"]\n',
        {},
        "PS102",
        [(2, "info")],
    ),
    (
        "3.12/slim/Dockerfile",
        'FROM debian:bookworm-slim\nCMD ["python3"]\n',
        {},
        "PS103",
        [],  # a base image for others: PS103 speaks of services only
    ),
    # ... but an interpreter running a program is a service
    (
        "Dockerfile",
        'FROM python:3.12-slim\nRUN apt-get install -y gcc && pip install x\nCMD ["python3", "app.py"]\n',
        {},
        "PS102",
        [(2, "warning")],
    ),
    # development images: info, saying what was assumed
    (
        "docker/development/Dockerfile",
        "FROM python:3.12-slim\nRUN apt-get install -y gcc\n",
        {},
        "PS102",
        [(2, "info")],
    ),
    # documentation examples: info, saying what was assumed
    (
        "docs/recipes/x.dockerfile",
        "FROM python:3.12-slim\nRUN apt-get install -y gcc\n",
        {},
        "PS102",
        [(2, "info")],
    ),
]


@pytest.mark.parametrize(("name", "snippet", "files", "code", "expected"), JUDGED)
def test_images_judged_by_platform_and_purpose(name, snippet, files, code, expected, tmp_path):
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = findings(snippet, code, tmp_path, name=name)
    assert [(f.location.line, f.severity.value) for f in found] == expected


def test_lowered_findings_say_why(tmp_path):
    snippet = 'FROM debian:bookworm-slim\nCMD ["gosu", "app", "gunicorn", "app"]\n'
    (finding,) = findings(snippet, "PS103", tmp_path)
    assert "`gosu`" in finding.message
    assert findings('FROM debian:bookworm-slim\nCMD ["bash"]\n', "PS103", tmp_path) == []


def test_compose_user_drops_root(tmp_path):
    from pitstop import api

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text('FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: ./app\n    user: '1000:1000'\n"
    )
    found = [f for f in api.review(tmp_path).findings if f.rule == "PS103"]
    assert [(f.severity.value, "`user:`" in f.message) for f in found] == [("info", True)]


@pytest.mark.parametrize(
    ("app_from", "expected"),
    [
        # another Dockerfile of the repository starts FROM this one's image: a base image
        ("FROM ghcr.io/acme/base:1.2", [("base/Dockerfile", "info")]),
        ("FROM acme/Base", [("base/Dockerfile", "info")]),
        # an official image of the same name is not this one
        ("FROM base:1.2", [("base/Dockerfile", "warning")]),
    ],
)
def test_image_used_as_a_base_by_the_repository(tmp_path, app_from, expected):
    from pitstop import api

    for path, text in {
        "base/Dockerfile": 'FROM python:3.12-slim\nRUN apt-get install -y gcc && make\nCMD ["serve"]\n',
        "app/Dockerfile": f'{app_from}\nUSER app\nCMD ["serve"]\n',
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    found = [f for f in api.review(tmp_path).findings if f.rule == "PS102"]
    assert [(f.location.path, f.severity.value) for f in found] == expected


_WAITS = """
services:
  api:
    build: ./app
{api}
  worker:
    image: acme/app:1
{worker}
  web:
    image: nginx
    depends_on:
      {waited}:
        condition: service_healthy
"""

# (Dockerfile, compose service `api` extra lines, `worker` extra lines, waited service,
#  expected PS104 (path, line, severity))
COMPOSE_HEALTH = [
    # compose refuses to start `web`: `api` has no healthcheck anywhere
    (
        'FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n',
        "",
        "",
        "api",
        [("app/Dockerfile", 1, "warning")],
    ),
    # the compose service defines one
    (
        'FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n',
        "    healthcheck:\n      test: [CMD, curl, -f, http://localhost]",
        "",
        "api",
        [],
    ),
    # the image defines one, inherited through the FROM chain of the shipped stage
    (
        'FROM python:3.12-slim AS base\nHEALTHCHECK CMD curl -f http://localhost\nFROM base\nCMD ["gunicorn", "app"]\n',
        "",
        "",
        "api",
        [],
    ),
    # HEALTHCHECK NONE is no healthcheck
    (
        'FROM python:3.12-slim\nHEALTHCHECK NONE\nCMD ["gunicorn", "app"]\n',
        "",
        "",
        "api",
        [("app/Dockerfile", 2, "warning")],
    ),
    # compose disabling the image's healthcheck
    (
        "FROM python:3.12-slim\nHEALTHCHECK CMD curl -f http://localhost\n",
        "    healthcheck:\n      disable: true",
        "",
        "api",
        [("app/Dockerfile", 1, "warning")],
    ),
    # a service running the built image by its name is that image too
    (
        'FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n',
        "    image: acme/app:1",
        "",
        "worker",
        [("app/Dockerfile", 1, "warning")],
    ),
    (
        'FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n',
        "    image: acme/app:1",
        "    healthcheck:\n      test: [CMD, true]",
        "worker",
        [],
    ),
    # a base image pitstop cannot read may define one: said, as info
    ('FROM acme/server:2\nCMD ["serve"]\n', "", "", "api", [("app/Dockerfile", 1, "info")]),
]


@pytest.mark.parametrize(("dockerfile", "api", "worker", "waited", "expected"), COMPOSE_HEALTH)
def test_compose_waits_for_a_healthcheck(dockerfile, api, worker, waited, expected, tmp_path):
    from pitstop import api as pitstop_api

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text(dockerfile)
    compose = _WAITS.format(api=api, worker=worker, waited=waited)
    (tmp_path / "compose.yaml").write_text(compose)
    found = [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"]
    assert [(f.location.path, f.location.line, f.severity.value) for f in found] == expected
    assert all(r.location.path == "compose.yaml" for f in found for r in f.related)


def test_compose_waiting_only_for_the_start_needs_no_healthcheck(tmp_path):
    from pitstop import api as pitstop_api

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text('FROM python:3.12-slim\nCMD ["gunicorn", "app"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    build: ./app\n  web:\n    image: nginx\n    depends_on: [api]\n"
    )
    assert [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"] == []


# (rule, snippet, expected (line, severity)): build tools are certainly for building only
# when they are compilers or headers and a later command builds; otherwise the image may
# build at run time (notebooks, JIT kernels, asset builders) and the finding is info.
BUILD_TOOLS = [
    # git is a runtime tool of many images (an app that clones repositories)
    ("PS102", "FROM python:3.12-slim\nRUN apt-get install -y git\n", []),
    ("PS101", "FROM alpine AS a\nFROM alpine\nRUN apk add git\n", []),
    # compilers with nothing that builds afterwards: maybe used at run time
    ("PS102", "FROM python:3.12-slim\nRUN apt-get install -y gcc gfortran\n", [(2, "info")]),
    (
        "PS101",
        "FROM python:3.12-slim AS build\nFROM python:3.12-slim\n"
        "RUN apt-get install -y build-essential g++\nCOPY --from=build /app /app\n",
        [(3, "info")],
    ),
    # compilers and headers a later command builds with, in the same RUN or a later one
    (
        "PS102",
        "FROM python:3.12-slim\nRUN apt-get install -y gcc libpq-dev\nRUN pip install psycopg2\n",
        [(2, "warning")],
    ),
    (
        "PS101",
        "FROM python:3.12-slim AS a\nFROM python:3.12-slim\n"
        "RUN apt-get install -y gcc && uv sync --frozen\n",
        [(3, "warning")],
    ),
    # a build before the install does not use it
    (
        "PS102",
        "FROM python:3.12-slim\nRUN pip install x\nRUN apt-get install -y gcc\n",
        [(3, "info")],
    ),
    # a tool that is not a compiler stays info even when something builds afterwards
    ("PS102", "FROM node:20\nRUN apt-get install -y nasm make\nRUN make\n", [(2, "info")]),
    (
        "PS101",
        "FROM python:3.12 AS a\nFROM a\nRUN pip install poetry && poetry install\n",
        [(3, "info")],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "expected"), BUILD_TOOLS)
def test_build_tools_certainly_for_building(code, snippet, expected, tmp_path):
    found = findings(snippet, code, tmp_path)
    assert [(f.location.line, f.severity.value) for f in found] == expected
    assert all("if " in f.message.lower() or "unless" in f.message for f in found)


# (snippet, repository files, expected (line, severity), words the message says)
ROOT_ON_PURPOSE = [
    # an explicit USER root is a decision: info, said so
    (
        'FROM python:3.12-slim\nUSER app\nUSER root\nCMD ["cron", "-f"]\n',
        {},
        [(3, "info")],
        "deliberate",
    ),
    ('FROM debian:12\nUSER 0\nCMD ["supervisord"]\n', {}, [(2, "info")], "deliberate"),
    # gosu installed, the entrypoint script cannot be read: assumed to drop privileges
    (
        "FROM debian:12\nRUN apt-get install -y gosu\nCOPY entrypoint.sh /entrypoint.sh\n"
        'ENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "app"]\n',
        {"entrypoint.sh": ""},
        [(1, "info")],
        "assumed",
    ),
    (
        "FROM debian:12\nCOPY --from=tianon/gosu /gosu /usr/local/bin/\n"
        'ENTRYPOINT ["/usr/local/bin/start"]\nCMD ["gunicorn", "app"]\n',
        {},
        [(1, "info")],
        "gosu",
    ),
    # ... but a script pitstop reads that does not use it decides
    (
        "FROM debian:12\nRUN apt-get install -y gosu\nCOPY entrypoint.sh /entrypoint.sh\n"
        'ENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "app"]\n',
        {"entrypoint.sh": '#!/bin/sh\nexec "$@"\n'},
        [(1, "warning")],
        "USER <name>",
    ),
    # tini is an init, not a privilege drop
    (
        "FROM debian:12\nRUN apt-get install -y tini\nCOPY entrypoint.sh /entrypoint.sh\n"
        'ENTRYPOINT ["tini", "--", "/entrypoint.sh"]\nCMD ["gunicorn", "app"]\n',
        {"entrypoint.sh": ""},
        [(1, "warning")],
        "USER <name>",
    ),
]


@pytest.mark.parametrize(("snippet", "files", "expected", "says"), ROOT_ON_PURPOSE)
def test_root_on_purpose(snippet, files, expected, says, tmp_path):
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    found = findings(snippet, "PS103", tmp_path)
    assert [(f.location.line, f.severity.value) for f in found] == expected
    assert all(says in f.message for f in found)


def test_healthcheck_inherited_from_a_stage_named_by_a_variable(tmp_path):
    from pitstop import api as pitstop_api

    (tmp_path / "app").mkdir()
    dockerfile = (
        "ARG ARCH=${TARGETARCH:-amd64}\n"
        "FROM python:3.12-slim AS base\nHEALTHCHECK CMD curl -f http://localhost\n"
        "FROM base AS deps-amd64\nFROM base AS deps-arm64\n"
        'FROM deps-${ARCH} AS dev\nCMD ["serve"]\n'
    )
    (tmp_path / "app/Dockerfile").write_text(dockerfile)
    (tmp_path / "compose.yaml").write_text(_WAITS.format(api="", worker="", waited="api"))
    assert [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"] == []
    # none of the stages it can name probes: compose fails on every platform
    (tmp_path / "app/Dockerfile").write_text(
        dockerfile.replace("HEALTHCHECK CMD", "HEALTHCHECK NONE\n#")
    )
    found = [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"]
    assert [(f.location.line, f.severity.value) for f in found] == [(7, "warning")]


def test_every_dependant_in_one_finding(tmp_path):
    from pitstop import api as pitstop_api

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text('FROM python:3.12-slim\nCMD ["serve"]\n')
    compose = _WAITS.format(api="", worker="", waited="api") + (
        "  beat:\n    image: nginx\n    depends_on:\n      api:\n        condition: service_healthy\n"
    )
    (tmp_path / "compose.yaml").write_text(compose)
    (finding,) = [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"]
    assert "`web` (compose.yaml:13) and `beat` (compose.yaml:18) wait for `api`" in finding.message
    assert [r.location.line for r in finding.related] == [13, 18]


def test_an_override_file_compose_merges_may_add_the_healthcheck(tmp_path):
    from pitstop import api as pitstop_api

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text('FROM python:3.12-slim\nCMD ["serve"]\n')
    (tmp_path / "compose.yaml").write_text(_WAITS.format(api="", worker="", waited="api"))
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  api:\n    healthcheck:\n      test: [CMD, true]\n"
    )
    (finding,) = [f for f in pitstop_api.review(tmp_path).findings if f.rule == "PS104"]
    assert finding.severity.value == "info"
    assert "compose.override.yaml" in finding.message
