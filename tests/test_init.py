"""`pitstop init`: what it detects, what it writes and where, and that what it writes is
accepted by pitstop's configuration loader, by actionlint and by pitstop's own review."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pitstop.cli import main
from pitstop.config import load_config
from pitstop.init.detect import detect

ACTIONLINT = shutil.which("actionlint") or str(Path(sys.executable).with_name("actionlint"))
WORKFLOW = ".github/workflows/pitstop.yml"

UV = {
    "pyproject.toml": '[project]\nname = "demo"\nrequires-python = ">=3.11"\n\n'
    '[dependency-groups]\ndev = ["pytest>=8"]\n\n# kept\n[tool.ruff]\nline-length = 99\n',
    "uv.lock": "",
    "tests/test_a.py": "",
    "docker/api.Dockerfile": "FROM python:3.12-slim\n",
}
POETRY = {
    "pyproject.toml": '[tool.poetry]\nname = "demo"\n\n[tool.pytest.ini_options]\n'
    'testpaths = ["tests"]\n',
    "poetry.lock": "",
    "tests/test_a.py": "",
    ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
    "    timeout-minutes: 5\n    steps:\n      - run: echo\n",
}
REQUIREMENTS = {
    "requirements.txt": "flask\n",
    "requirements-dev.txt": "pytest\n",
    "pytest.ini": "[pytest]\ntestpaths = checks\n",
    "checks/test_a.py": "",
    "Dockerfile": "FROM python:3.12-slim\n",
}
EXTRA = {
    "pyproject.toml": '[project]\nname = "demo"\n[project.optional-dependencies]\n'
    'test = ["pytest>=8"]\n[build-system]\nbuild-backend = "setuptools.build_meta"\n',
    "libs/shared/__init__.py": "",
    "test/test_a.py": "",
}
PIPENV = {"Pipfile": "", "Pipfile.lock": "{}", "tests/test_a.py": ""}
PDM = {
    "pyproject.toml": '[project]\nname = "demo"\n[dependency-groups]\ntest = ["pytest"]\n',
    "pdm.lock": "",
}
BARE: dict[str, str] = {"app.py": ""}

# (files, config file written, manager, the install line of the test job)
REPOSITORIES = [
    pytest.param(UV, "pyproject.toml", "uv", "uv sync --locked", id="uv"),
    pytest.param(
        POETRY, "pyproject.toml", "poetry", "poetry install --no-interaction", id="poetry"
    ),
    pytest.param(
        REQUIREMENTS,
        ".pitstop.toml",
        "pip",
        "pip install -r requirements.txt -r requirements-dev.txt",
        id="requirements-no-pyproject",
    ),
    pytest.param(EXTRA, "pyproject.toml", "pip", "pip install -e '.[test]'", id="pyproject-extra"),
    pytest.param(
        PIPENV,
        ".pitstop.toml",
        "pipenv",
        "pip install pipenv && pipenv install --dev --deploy",
        id="pipenv",
    ),
    pytest.param(PDM, "pyproject.toml", "pdm", "pip install pdm && pdm sync -G test", id="pdm"),
    pytest.param(BARE, ".pitstop.toml", "pip", "pip install pytest", id="nothing-declared"),
]


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git/" not in p.as_posix()
    }


@pytest.mark.parametrize(("files", "config_file", "manager", "install"), REPOSITORIES)
def test_init_writes_a_config_the_loader_takes_and_a_workflow_that_lints_clean(
    tmp_path, capsys, files, config_file, manager, install
):
    root = make(tmp_path, files)
    before = snapshot(root)
    assert main(["init", str(root), "--workflow"]) == 0
    config = load_config(root)
    assert config.source == str(root / config_file)
    text = (root / config_file).read_text()
    assert f"# Package manager: {manager} " in text
    if config_file == "pyproject.toml":  # the user's bytes come first, unchanged
        assert (root / config_file).read_bytes().startswith(before[config_file])
    workflow = (root / WORKFLOW).read_text()
    assert f"      - run: {install}\n" in workflow
    assert set(snapshot(root)) == set(before) | {config_file, WORKFLOW}
    assert_actionlint_clean(root / WORKFLOW)
    assert_pitstop_review_clean(root)


def assert_actionlint_clean(workflow: Path) -> None:
    done = subprocess.run(
        [ACTIONLINT, "-no-color", str(workflow)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def assert_pitstop_review_clean(root: Path) -> None:
    """No finding at all (not even info) on the written workflow or configuration."""
    done = subprocess.run(
        [sys.executable, "-m", "pitstop", "review", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    ours = [f for f in findings if f["location"]["path"] in (WORKFLOW, "pyproject.toml")]
    assert ours == []


def test_the_comments_say_what_was_found(tmp_path):
    root = make(tmp_path, UV | {".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    assert main(["init", str(root)]) == 0
    text = (root / "pyproject.toml").read_text()
    assert "# Package manager: uv (uv.lock at the root).\n" in text
    assert "# Dockerfiles found: docker/api.Dockerfile\n" in text
    assert "# Workflows found: .github/workflows/ci.yml\n" in text
    assert "# Tests: pytest assumed, no configuration found; in tests.\n" in text
    assert not (root / WORKFLOW).exists()  # only with --workflow


@pytest.mark.parametrize(
    ("files", "key", "expected"),
    [
        (UV, "python", "3.13"),  # the newest Python >=3.11 accepts
        (UV | {".python-version": "3.11.4\n"}, "python", "3.11"),
        (EXTRA, "source_roots", ("libs",)),
        (EXTRA, "testpaths", ("test",)),
        (EXTRA, "test_extra", "test"),
        (REQUIREMENTS, "testpaths", ("checks",)),
        (POETRY | {"pyproject.toml": "[tool.pytest.ini_options]\n"}, "testpaths", ("tests",)),
        (REQUIREMENTS, "pytest_why", "[pytest] in pytest.ini"),
        (POETRY, "pytest_why", "[tool.pytest.ini_options] in pyproject.toml"),
        (PDM, "test_group", "test"),
        (UV, "dockerfiles", ("docker/api.Dockerfile",)),
        (POETRY, "workflows", (".github/workflows/ci.yml",)),
        (UV, "default_branch", "main"),
        (
            UV | {".git/refs/remotes/origin/HEAD": "ref: refs/remotes/origin/trunk\n"},
            "default_branch",
            "trunk",
        ),
        (UV | {".pitstop.toml": ""}, "existing", ".pitstop.toml"),
        (UV, "existing", None),
    ],
)
def test_detection(tmp_path, files, key, expected):
    assert getattr(detect(make(tmp_path, files)), key) == expected


@pytest.mark.parametrize(
    ("files", "args", "shown"),
    [
        (UV | {"pyproject.toml": "[tool.pitstop]\nselect = ['PS1']\n"}, [], "pyproject.toml"),
        (UV | {".pitstop.toml": "fail-on = 'warning'\n"}, [], ".pitstop.toml"),
        (UV | {WORKFLOW: "on: push\n"}, ["--workflow"], WORKFLOW),
        (UV | {WORKFLOW: "on: push\n"}, ["--workflow", "--dry-run"], WORKFLOW),
    ],
)
def test_never_overwrites_without_force(tmp_path, capsys, files, args, shown):
    root = make(tmp_path, files)
    before = snapshot(root)
    assert main(["init", str(root), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "pitstop is set up already" in captured.err and shown in captured.err
    assert snapshot(root) == before


def test_force_replaces_the_old_table_and_keeps_the_rest(tmp_path):
    pyproject = (
        '[project]\nname = "demo"\n\n[tool.pitstop]\nselect = ["PS1"]\n\n'
        '[tool.pitstop.severity]\nPS140 = "info"\n\n# a comment\n[tool.ruff]\nline-length = 99\n'
    )
    root = make(tmp_path, {"pyproject.toml": pyproject, "uv.lock": ""})
    assert main(["init", str(root), "--force"]) == 0
    text = (root / "pyproject.toml").read_text()
    # The old tables' lines are gone; the comment before the next table stays with it.
    kept = '[project]\nname = "demo"\n\n\n# a comment\n[tool.ruff]\nline-length = 99\n\n'
    assert text.startswith(kept + "[tool.pitstop]\n")
    assert text.count("[tool.pitstop") == 2 and "PS140" not in text
    assert load_config(root).select == () and load_config(root).severity == {}


def test_force_replaces_an_existing_workflow(tmp_path):
    root = make(tmp_path, UV | {WORKFLOW: "on: push\n"})
    assert main(["init", str(root), "--workflow", "--force"]) == 0
    assert (root / WORKFLOW).read_text().startswith("# Written by `pitstop init`")


def test_dry_run_prints_a_diff_that_git_applies_to_what_init_writes(tmp_path, capsys):
    dry, real = make(tmp_path / "dry", UV), make(tmp_path / "real", UV)
    before = snapshot(dry)
    assert main(["init", str(dry), "--workflow", "--dry-run"]) == 0
    patch = capsys.readouterr().out
    assert snapshot(dry) == before  # nothing written
    assert patch.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    assert "--- /dev/null\n+++ b/.github/workflows/pitstop.yml\n" in patch
    subprocess.run(["git", "init", "-q", str(dry)], check=True)
    subprocess.run(["git", "-C", str(dry), "apply"], input=patch, text=True, check=True)
    assert main(["init", str(real), "--workflow"]) == 0
    assert snapshot(dry) == snapshot(real)


def test_crlf_pyproject_stays_crlf_with_its_bytes(tmp_path):
    original = UV["pyproject.toml"].replace("\n", "\r\n").encode()
    root = make(tmp_path, {"uv.lock": ""})
    (root / "pyproject.toml").write_bytes(original)
    assert main(["init", str(root)]) == 0
    written = (root / "pyproject.toml").read_bytes()
    assert written.startswith(original)
    assert b"\n" not in written.replace(b"\r\n", b"")  # every line ends in CRLF
    assert load_config(root).source == str(root / "pyproject.toml")


def test_a_byte_order_mark_is_kept(tmp_path):
    original = b"\xef\xbb\xbf" + UV["pyproject.toml"].encode()
    root = make(tmp_path, {"uv.lock": ""})
    (root / "pyproject.toml").write_bytes(original)
    assert main(["init", str(root)]) == 0
    assert (root / "pyproject.toml").read_bytes().startswith(original)


def test_force_with_crlf_keeps_the_other_lines_crlf(tmp_path):
    pyproject = '[tool.pitstop]\r\nselect = ["PS1"]\r\n\r\n[tool.ruff]\r\nline-length = 99\r\n'
    root = make(tmp_path, {"pyproject.toml": pyproject})
    assert main(["init", str(root), "--force"]) == 0
    written = (root / "pyproject.toml").read_bytes()
    assert written.startswith(b"\r\n[tool.ruff]\r\nline-length = 99\r\n\r\n[tool.pitstop]\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")


def test_force_with_an_inline_pitstop_table_falls_back_to_tomlkit(tmp_path):
    pyproject = '[project]\nname = "demo"\n\n[tool]\npitstop = { select = ["PS1"] }\nx = 1\n'
    root = make(tmp_path, {"pyproject.toml": pyproject})
    assert main(["init", str(root), "--force"]) == 0
    text = (root / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "demo"\n\n[tool]\nx = 1\n\n[tool.pitstop]\n')
    assert load_config(root).select == ()


def test_a_pyproject_without_final_newline_gets_one_before_the_table(tmp_path):
    root = make(tmp_path, {"pyproject.toml": '[project]\nname = "demo"'})
    assert main(["init", str(root)]) == 0
    assert (
        (root / "pyproject.toml")
        .read_text()
        .startswith('[project]\nname = "demo"\n\n[tool.pitstop]\n')
    )


def test_a_tool_table_that_cannot_take_a_subtable_sends_the_config_to_the_dotfile(tmp_path, capsys):
    pyproject = 'tool = { ruff = { line-length = 99 } }\n[project]\nname = "demo"\n'
    root = make(tmp_path, {"pyproject.toml": pyproject})
    assert main(["init", str(root)]) == 0
    assert (root / "pyproject.toml").read_text() == pyproject
    assert load_config(root).source == str(root / ".pitstop.toml")
    assert "inline table" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_not_read(tmp_path, capsys):
    os.mkfifo(tmp_path / "pyproject.toml")
    assert main(["init", str(tmp_path)]) == 2
    assert "pyproject.toml: not a regular file" in capsys.readouterr().err


def test_a_link_out_of_the_repository_is_not_read(tmp_path, capsys):
    outside = make(tmp_path / "outside", {"pyproject.toml": '[project]\nname = "secret"\n'})
    root = make(tmp_path / "repo", {"app.py": ""})
    (root / "pyproject.toml").symlink_to(outside / "pyproject.toml")
    assert main(["init", str(root)]) == 2
    assert "link out of the repository" in capsys.readouterr().err
    assert (outside / "pyproject.toml").read_text() == '[project]\nname = "secret"\n'


def test_invalid_pyproject_is_one_line_with_its_line(tmp_path, capsys):
    root = make(tmp_path, {"pyproject.toml": '[project]\nname = "demo\n'})
    assert main(["init", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pitstop: error: pyproject.toml:2: invalid TOML") and err.count("\n") == 1


def test_init_loads_nothing_heavy(tmp_path):
    root = make(tmp_path, UV)
    heavy = ("rich", "dockerfile", "tomlkit", "sqlalchemy", "ruamel", "pitstop.review.engine")
    code = (
        "import sys; from pitstop.cli import main; "
        f"main(['init', {str(root)!r}, '--workflow', '--dry-run']); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]"
