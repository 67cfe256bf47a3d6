"""eval_commits.py on a two-commit repository made here: a commit that makes a test file
fail to import is evaluated (that file's outcome changed, and the selection holds it), not
skipped as a suite that does not run."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def evaluator(pytestconfig):
    with pytest.MonkeyPatch.context() as patch:  # a script, not a module of a package
        patch.syspath_prepend(str(pytestconfig.rootpath / "benchmarks"))
        yield importlib.import_module("eval_commits")


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def commit(repo, files, message):
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", message)


def test_a_commit_breaking_a_test_files_import_is_an_outcome_change(
    tmp_path, evaluator, monkeypatch
):
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(
        repo,
        {
            "src/shapes.py": "def area(w, h):\n    return w * h\n",
            "tests/test_area.py": "from shapes import area\n\n\ndef test_area():\n"
            "    assert area(2, 3) == 6\n",
            "tests/test_other.py": "def test_other():\n    assert True\n",
        },
        "start",
    )
    commit(repo, {"src/shapes.py": "def surface(w, h):\n    return w * h\n"}, "rename area")
    monkeypatch.delenv("PITSTOP_DB", raising=False)
    report = tmp_path / "report.json"

    assert evaluator.main([str(repo), "--python", sys.executable, "--json", str(report)]) == 0

    rows = json.loads(report.read_text())["commits"]
    assert [row["status"] for row in rows] == ["ok"]
    assert rows[0]["differing"] == ["tests/test_area.py"]
    assert rows[0]["misses"] == []
