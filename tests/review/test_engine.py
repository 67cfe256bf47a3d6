"""The review run: discovery, suppressions, overrides, bad input."""

from __future__ import annotations

import os
import subprocess

import pytest

from pitstop import api
from pitstop.errors import PitstopError
from pitstop.review.discovery import is_dockerfile_name
from pitstop.review.engine import inline_ignores

ROOT_CMD = "FROM python:3.12-slim\nCMD python app.py\n"


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())


def codes(result):
    return sorted({(f.location.path, f.rule) for f in result.findings})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dockerfile", True),
        ("api.Dockerfile", True),
        ("Dockerfile.prod", True),
        ("Containerfile", True),
        ("Dockerfile.dockerignore", False),
        ("Dockerfile.md", False),
        ("dockerfile_parser.py", False),
        ("README", False),
        # `docker build -f` names: underscore and dash suffixes, extensions, any case
        ("Dockerfile_py311_debug_mode", True),
        ("Dockerfile-dolt", True),
        ("jax.dockerfile", True),
        ("API.DOCKERFILE", True),
        ("DockerFile", True),
        ("Containerfile.dev", True),
        ("Containerfile_arm", True),
        ("web.Containerfile", True),
        # named after a Dockerfile, but not one
        ("Dockerfile.fuzz.dockerignore", False),
        ("Containerfile.containerignore", False),
        ("Dockerfile-linux.template", False),
        ("Dockerfile.j2", False),
        ("dockerfile-build.yaml", False),
        ("dockerfile.yml", False),
        ("Dockerfile_notes.MD", False),
        ("Dockerfiles", False),
    ],
)
def test_dockerfile_names(name, expected):
    assert is_dockerfile_name(name) is expected


def test_discovery_skips_virtualenvs_node_modules_and_git_ignored(tmp_path):
    write(
        tmp_path,
        {
            "Dockerfile": ROOT_CMD,
            "svc/api.Dockerfile": ROOT_CMD,
            "node_modules/x/Dockerfile": ROOT_CMD,
            ".venv/lib/Dockerfile": ROOT_CMD,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/Dockerfile": ROOT_CMD,
            "generated/Dockerfile": ROOT_CMD,
            ".gitignore": "generated/\n",
        },
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = api.review(tmp_path)
    assert result.files_reviewed == ("Dockerfile", "svc/api.Dockerfile")


def test_discovery_without_git_skips_virtualenvs(tmp_path):
    write(tmp_path, {"Dockerfile": ROOT_CMD, "env/pyvenv.cfg": "", "env/Dockerfile": ROOT_CMD})
    result = api.review(tmp_path)
    assert result.files_reviewed == ("Dockerfile",)


def test_a_single_dockerfile_can_be_named(tmp_path):
    write(tmp_path, {"Dockerfile": ROOT_CMD, "other/Dockerfile": "FROM x\n"})
    result = api.review(tmp_path / "Dockerfile")
    assert result.files_reviewed == ("Dockerfile",)


@pytest.mark.parametrize(
    ("lines", "line", "expected"),
    [
        (("# pitstop: ignore[PS105]", "CMD python app.py"), 2, {"PS105"}),
        (("CMD python app.py # pitstop: ignore[PS105, ps106]",), 1, {"PS105", "PS106"}),
        (
            (
                "# pitstop: ignore[PS130]",
                "# why: we need recommends",
                "RUN apt-get install \\",
                "  curl",
            ),
            4,
            {"PS130"},
        ),
        (("# pitstop: ignore[PS130]", "", "RUN apt-get install curl"), 3, set()),
    ],
)
def test_inline_ignores(lines, line, expected):
    assert inline_ignores(lines, line) == expected


def test_bare_ignore_silences_every_rule():
    assert "PS140" in inline_ignores(("# pitstop: ignore", "FROM python"), 2)


def test_suppression_and_overrides_apply(tmp_path):
    write(
        tmp_path,
        {
            "Dockerfile": "# pitstop: ignore[PS140]\nFROM python\nENV API_KEY=abc\nCMD python app.py\n",
            "legacy/Dockerfile": ROOT_CMD,
            ".pitstop.toml": '[severity]\nPS150 = "info"\n[per-path-ignores]\n"legacy/**" = ["PS105"]\n',
        },
    )
    result = api.review(tmp_path)
    assert ("Dockerfile", "PS140") not in codes(result)
    assert ("legacy/Dockerfile", "PS105") not in codes(result)
    assert ("Dockerfile", "PS105") in codes(result)
    (secret,) = [f for f in result.findings if f.rule == "PS150"]
    assert secret.severity.value == "info"


def test_bad_files_are_reported_and_the_rest_reviewed(tmp_path):
    write(
        tmp_path,
        {
            "good/Dockerfile": ROOT_CMD,
            "typo/Dockerfile": "FROM python:3.12\nRUNN x\n",
            "latin1/Dockerfile": b"FROM python:3.12\n# caf\xe9\n",
        },
    )
    result = api.review(tmp_path)
    assert result.files_reviewed == ("good/Dockerfile",)
    assert sorted(str(p) for p in result.problems) == [
        "latin1/Dockerfile:2: not UTF-8 (byte 0xe9)",
        "typo/Dockerfile:2: unknown instruction: RUNN (is it a typo?)",
    ]
    assert api.exit_code(result) == 0


def test_nothing_reviewable_exits_2(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nRUNN x\n"})
    assert api.exit_code(api.review(tmp_path)) == 2


def test_symlink_out_of_the_repository_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"Dockerfile": ROOT_CMD})
    repo = tmp_path / "repo"
    write(repo, {"Dockerfile": ROOT_CMD})
    os.symlink(outside / "Dockerfile", repo / "linked.Dockerfile")
    result = api.review(repo)
    assert result.files_reviewed == ("Dockerfile",)
    assert [str(p) for p in result.problems] == [
        "linked.Dockerfile: symlink points outside the repository; not followed"
    ]


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(PitstopError, match="no such file or directory"):
        api.review(tmp_path / "nope")


def test_fail_on_levels(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nUSER app\nCMD python app.py\n"})
    assert api.exit_code(api.review(tmp_path)) == 0
    assert api.exit_code(api.review(tmp_path, fail_on="warning")) == 1
    assert api.exit_code(api.review(tmp_path, fail_on="never")) == 0
