"""`pytest --pitstop-shard=I/N`: real pytest sessions, each shard its own."""

from __future__ import annotations

import json
import re

import pytest

from tests.impact.fakes import PROJECT, repository, write

pytest_plugins = ["pytester"]

PYPROJECT = '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'
SUITE = {
    f"tests/test_s{n}.py": "".join(f"def test_{t}():\n    pass\n\n\n" for t in "abc")
    for n in range(5)
}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    repository(pytester.path, {**PROJECT, **SUITE, "pyproject.toml": PYPROJECT})
    durations = {f"tests/test_s{n}.py::test_{t}": float(n + 1) for n in range(5) for t in "abc"}
    (pytester.path / ".test_durations").write_text(json.dumps(durations))
    return pytester


def ran(result: pytest.RunResult) -> set[str]:
    return {m.group(1) for line in result.outlines if (m := re.match(r"(\S+::\S+) PASSED", line))}


@pytest.mark.parametrize("by", ["file", "item"])
def test_the_shards_run_every_test_once(suite: pytest.Pytester, by: str):
    seen: list[str] = []
    for index in (1, 2, 3):
        result = suite.runpytest(
            f"--pitstop-shard={index}/3", f"--pitstop-shard-by={by}", "-p", "no:cacheprovider", "-v"
        )
        assert result.ret == 0
        result.stdout.fnmatch_lines([f"pitstop: shard {index}/3: * tests, expected *"])
        seen += ran(result)
    everything = suite.runpytest("-p", "no:cacheprovider", "--co", "-q")
    collected = {line.strip() for line in everything.outlines if "::" in line}
    assert sorted(seen) == sorted(collected)  # each test in exactly one shard
    assert len(seen) == len(set(seen))


def test_an_empty_shard_exits_0_and_says_so(suite: pytest.Pytester):
    result = suite.runpytest("--pitstop-shard=40/40", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["pitstop: shard 40/40: nothing to run*"])


def test_the_shard_splits_what_the_affected_selection_kept(suite: pytest.Pytester):
    write(suite.path, {"src/demo/util.py": "def helper():\n    return 1  # same\n"})
    first = suite.runpytest("--pitstop-affected", "--pitstop-shard=1/2", "-p", "no:cacheprovider")
    second = suite.runpytest("--pitstop-affected", "--pitstop-shard=2/2", "-p", "no:cacheprovider")
    outcomes = [r.parseoutcomes().get("passed", 0) for r in (first, second)]
    assert sorted(outcomes) == [0, 1]  # the one affected test file, in one of the two
    assert first.ret == second.ret == 0


@pytest.mark.parametrize("given", ["3/2", "0/2", "a/b", "2", "\u00b2/4"])
def test_a_bad_shard_option_is_a_usage_error(suite: pytest.Pytester, given: str):
    result = suite.runpytest(f"--pitstop-shard={given}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pitstop-shard=*expected I/N*"])


def test_durations_given_on_the_command_line_are_used(suite: pytest.Pytester):
    (suite.path / ".test_durations").unlink()
    known = {
        "tests/test_s0.py::test_a": 1000.0,
        **{f"tests/test_s1.py::test_{t}": 1 for t in "abc"},
    }
    (suite.path / "d.json").write_text(json.dumps(known))  # test_s0's others: its median
    result = suite.runpytest(
        "--pitstop-shard=1/2", "--pitstop-durations=d.json", "-v", "-p", "no:cacheprovider"
    )
    assert ran(result) == {f"tests/test_s0.py::test_{t}" for t in "abc"}
