"""`pytest --pitstop-mark-slow`: real pytest sessions reading a real history."""

from __future__ import annotations

from pathlib import Path

import pytest

import pitstop.history.analysis
import pitstop.history.store
from pitstop.cli import main

# Imported before the `pytester` fixture snapshots sys.modules: it unloads what a test
# imported, and SQLAlchemy imported afresh beside its first copy breaks.
assert pitstop.history.analysis and pitstop.history.store

pytest_plugins = ["pytester"]

TESTS = """
def test_fast():
    pass

def test_slow():
    pass

def test_new():
    pass
"""


def history(folder: Path, url: str, seconds: dict[str, float], runs: int = 25) -> None:
    """`runs` recorded runs in which each test of `seconds` took that long."""
    cases = "".join(
        f'<testcase classname="test_demo" name="{name}" file="test_demo.py" time="{took}"/>'
        for name, took in seconds.items()
    )
    junit = folder / "junit.xml"
    junit.write_text(f'<testsuite name="pytest">{cases}</testsuite>', encoding="utf-8")
    for run in range(runs):
        assert main(["record", "junit", str(junit), "--db", url, "--run-id", str(run)]) == 0


@pytest.fixture
def project(pytester: pytest.Pytester, tmp_path_factory) -> tuple[pytest.Pytester, str]:
    pytester.makepyfile(test_demo=TESTS)
    folder = tmp_path_factory.mktemp("history")
    url = f"sqlite:///{folder / 'history.db'}"
    history(folder, url, {"test_fast": 0.01, "test_slow": 8.0})
    return pytester, url


def test_slow_tests_are_marked_and_deselected_by_m(project):
    pytester, url = project
    result = pytester.runpytest("--pitstop-mark-slow=5", "--pitstop-db", url, "-m", "not slow")
    result.assert_outcomes(passed=2, deselected=1)  # test_new is unknown: not marked
    result.stdout.fnmatch_lines(["pitstop: 1 test(s) marked slow (p95 above 5 s*"])
    only_slow = pytester.runpytest("--pitstop-mark-slow=5", "--pitstop-db", url, "-m", "slow")
    only_slow.assert_outcomes(passed=1, deselected=2)


def test_the_threshold_comes_from_the_configuration(project):
    pytester, url = project
    pytester.makepyprojecttoml('[tool.pitstop.slo]\nslow-test = "10s"\n')
    result = pytester.runpytest("--pitstop-mark-slow", "--pitstop-db", url, "-m", "not slow")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["pitstop: 0 test(s) marked slow (p95 above 10 s*"])


def test_without_a_history_nothing_is_marked_and_nothing_is_created(pytester):
    pytester.makepyfile(test_demo=TESTS)
    result = pytester.runpytest("--pitstop-mark-slow", "-m", "not slow")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["pitstop: no history database yet: no test marked slow"])
    assert not (pytester.path / ".pitstop" / "history.db").exists()


def test_a_threshold_that_is_not_seconds_is_a_usage_error(pytester):
    pytester.makepyfile(test_demo=TESTS)
    result = pytester.runpytest("--pitstop-mark-slow=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pitstop-mark-slow: 'fast' is not a number of seconds*"])
