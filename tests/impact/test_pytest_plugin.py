"""`pytest --pitstop-affected`: real pytest sessions on a small git repository."""

from __future__ import annotations

import pytest

from tests.impact.fakes import PROJECT, commit, repository, write

pytest_plugins = ["pytester"]

PYPROJECT = '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    repository(pytester.path, {**PROJECT, "pyproject.toml": PYPROJECT})
    return pytester


def test_only_affected_test_files_run(project: pytest.Pytester):
    write(project.path, {"src/demo/util.py": "def helper():\n    return 1  # same\n"})
    result = project.runpytest("--pitstop-affected", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["pitstop: 1 test files selected, 2 skipped"])
    assert result.ret == 0


def test_nothing_affected_exits_0_and_says_so(project: pytest.Pytester):
    result = project.runpytest("--pitstop-affected")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(deselected=3)
    result.stdout.fnmatch_lines(
        ["pitstop: 0 test files selected, 3 skipped", "pitstop: no test file is affected*"]
    )


def test_a_base_ref_can_be_given(project: pytest.Pytester):
    from tests.impact.fakes import git

    git(project.path, "checkout", "-q", "-b", "feature")
    write(project.path, {"tests/test_alone.py": "def test_alone():\n    assert 1\n"})
    commit(project.path, "work")
    result = project.runpytest("--pitstop-affected=main")
    result.assert_outcomes(passed=1, deselected=2)


def test_everything_runs_when_a_run_all_file_changed(project: pytest.Pytester):
    write(project.path, {"pyproject.toml": PYPROJECT + "# touched\n"})
    result = project.runpytest("--pitstop-affected")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["pitstop: every test runs: pyproject.toml changed*"])


def test_without_the_option_the_plugin_does_nothing(project: pytest.Pytester):
    result = project.runpytest()
    result.assert_outcomes(passed=3)
    assert "pitstop:" not in result.stdout.str()


def test_a_usage_problem_is_a_pytest_usage_error(pytester: pytest.Pytester):
    write(pytester.path, {"test_x.py": "def test_x():\n    pass\n"})
    result = pytester.runpytest("--pitstop-affected")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pitstop: *not a git repository*"])


def test_record_writes_each_test_files_outcome_and_time(pytester: pytest.Pytester):
    import json

    pytester.makepyfile(
        test_ok="def test_ok():\n    pass\n",
        test_bad="def test_bad():\n    assert False\n",
        test_broken="import nowhere_to_be_found\n",
    )
    record = pytester.path / "record.json"
    pytester.runpytest(f"--pitstop-outcomes={record}", "--continue-on-collection-errors")
    data = json.loads(record.read_text())
    assert {path: entry["failed"] for path, entry in data.items()} == {
        "test_ok.py": False,
        "test_bad.py": True,
        "test_broken.py": True,
    }
