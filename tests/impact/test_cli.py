"""`pitstop affected` on the command line: formats, exit codes, one-line usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitstop.cli import main
from tests.impact.fakes import PROJECT, repository, write


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = repository(tmp_path / "project", PROJECT)
    write(root, {"src/demo/util.py": "def helper():\n    return 2\n"})
    return root


def test_json_with_paths_relative_to_the_root(project: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["affected", "--root", str(project), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["changed"] == ["src/demo/util.py"]
    assert document["selected"] == ["tests/test_core.py"]


def test_pytest_format_for_changed_paths(project: Path, capsys: pytest.CaptureFixture[str]):
    args = ["affected", "--root", str(project), "--format", "pytest", "--no-cache"]
    assert main([*args, "--changed", "tests/test_alone.py"]) == 0
    assert capsys.readouterr().out == "tests/test_alone.py\n"
    assert main([*args, "--changed", "README.md"]) == 0
    assert capsys.readouterr().out == ""


def test_explain(project: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["affected", "--root", str(project), "--explain", "tests/test_core.py"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "tests/test_core.py can call code of src/demo/util.py",
        "  src/demo/util.py (changed)",
    ]


def test_usage_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["affected", "--root", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"pitstop: error: {tmp_path}: not a git repository: name the changes with --changed\n"
    )
    with pytest.raises(SystemExit) as raised:
        main(["affected", "--base", "main", "--changed", "x.py"])
    assert raised.value.code == 2


def test_audit_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    pyproject = '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'
    tests = {
        "tests/test_core.py": "from demo import run\n\ndef test_run():\n    assert run() == 1\n"
    }
    root = write(tmp_path / "p", {**PROJECT, **tests, "pyproject.toml": pyproject})
    args = ["affected", "audit", "--root", str(root), "--mutants", "2", "--format", "json"]
    assert main([*args, "--jobs", "2", "--", "-q"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["mutants"], document["unsafe"]) == (2, [])
    assert main(["affected", "audit", "--root", str(root), "--format", "pytest"]) == 2
    assert main(["affected", "audit", "--root", str(root), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
