"""The audit with a fake pytest: safety, shares, flaky files, and a real run end to end."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.impact.audit import PytestRunner, SuiteRun, audit
from pitstop.reports.affected_report import audit_document, render_audit_text
from tests.impact.fakes import PROJECT, write

PYPROJECT = '[project]\nname = "demo"\n\n[tool.pytest.ini_options]\npythonpath = ["src"]\n'


class FakeRunner:
    """Fails the test files `verdict(copy)` names; `flaky` files fail on every run."""

    def __init__(self, verdict, flaky: Sequence[str] = ()) -> None:
        self.verdict = verdict
        self.flaky = set(flaky)
        self.runs = 0

    def run(
        self, root: Path, timeout: float, files: Sequence[str] = (), record: str | None = None
    ) -> SuiteRun:
        self.runs += 1
        tests = list(files) or ["tests/test_core.py", "tests/test_extra.py", "tests/test_alone.py"]
        failing = set(self.verdict(root)) | self.flaky
        return SuiteRun({t: (t in failing, 1.0) for t in tests})


def util_changed(root: Path) -> list[str]:
    changed = (root / "src/demo/util.py").read_text() != PROJECT["src/demo/util.py"]
    return ["tests/test_core.py"] if changed else []


def test_a_safe_selection_scores_100_percent_and_smaller_shares_than_the_module_closure(
    tmp_path: Path,
):
    root = write(tmp_path / "p", PROJECT)
    result = audit(root, mutants=20, runner=FakeRunner(util_changed))
    assert result.candidates == len(result.results) > 0
    assert result.killed and result.safety == 1.0
    assert result.share() is not None and result.share(plain=True) is not None
    assert result.share() <= result.share(plain=True)
    assert (root / "src/demo/util.py").read_text() == PROJECT["src/demo/util.py"]  # untouched
    assert "safety: 100.0%" in render_audit_text(result)


def test_a_failing_file_the_selection_missed_is_reported(tmp_path: Path):
    root = write(tmp_path / "p", PROJECT)
    missing = lambda copy: ["tests/test_alone.py"] if util_changed(copy) else []  # noqa: E731
    result = audit(root, mutants=20, runner=FakeRunner(missing))
    assert result.unsafe and result.safety == 0.0
    document = audit_document(result)
    assert document["unsafe"][0]["missed"] == ["tests/test_alone.py"]
    assert "unsafe mutants:" in render_audit_text(result)


def test_flaky_files_and_baseline_failures_are_not_misses(tmp_path: Path):
    root = write(tmp_path / "p", PROJECT)
    result = audit(root, mutants=5, runner=FakeRunner(util_changed, flaky=["tests/test_alone.py"]))
    assert result.baseline_failing == ("tests/test_alone.py",)
    assert result.unsafe == []


def test_jobs_try_mutants_side_by_side_in_separate_copies_with_the_same_results(
    tmp_path: Path,
):
    root = write(tmp_path / "p", PROJECT)
    one = audit(root, mutants=12, runner=FakeRunner(util_changed))
    runner = FakeRunner(util_changed)
    seen: set[Path] = set()
    verdict = runner.verdict
    runner.verdict = lambda copy: (seen.add(copy), verdict(copy))[1]
    two = audit(root, mutants=12, runner=runner, jobs=3)
    assert two.results == one.results and two.safety == one.safety
    assert len(seen) == 3 and {copy.name for copy in seen} == {"p"}  # the folder name kept


def test_jobs_or_mutants_below_one_is_a_usage_error(tmp_path: Path):
    root = write(tmp_path / "p", PROJECT)
    with pytest.raises(PitstopError, match="--jobs must be at least 1"):
        audit(root, runner=FakeRunner(util_changed), jobs=0)
    with pytest.raises(PitstopError, match="--mutants must be at least 1"):
        audit(root, runner=FakeRunner(util_changed), mutants=0)


def test_a_missing_root_is_a_usage_error(tmp_path: Path):
    with pytest.raises(PitstopError, match="no such directory"):
        audit(tmp_path / "nope", runner=FakeRunner(util_changed))


def test_a_real_audit_with_pytest(tmp_path: Path):
    tests = {
        "tests/test_core.py": "from demo import run\n\ndef test_run():\n    assert run() == 1\n",
        "tests/test_extra.py": "from demo import spare\n\ndef test_spare():\n    assert spare() == 2\n",
    }
    root = write(tmp_path / "p", {**PROJECT, **tests, "pyproject.toml": PYPROJECT})
    result = audit(root, mutants=4, runner=PytestRunner())
    assert len(result.results) == 4
    assert result.killed and result.safety == 1.0
    assert set(result.seconds) == {
        "tests/test_alone.py",
        "tests/test_core.py",
        "tests/test_extra.py",
    }


class OrderRunner(FakeRunner):
    """With util.py changed, `alone_fails` fail wherever they run; `after_others` fail only
    in a run of the whole suite (state an earlier failing test left behind)."""

    def __init__(self, alone_fails: Sequence[str], after_others: Sequence[str]) -> None:
        super().__init__(lambda copy: ())
        self.alone_fails, self.after_others = set(alone_fails), set(after_others)

    def run(
        self, root: Path, timeout: float, files: Sequence[str] = (), record: str | None = None
    ) -> SuiteRun:
        self.runs += 1
        tests = list(files) or ["tests/test_core.py", "tests/test_extra.py", "tests/test_alone.py"]
        failing = set(self.alone_fails) if util_changed(root) else set()
        if util_changed(root) and not files:
            failing |= self.after_others
        return SuiteRun({t: (t in failing, 1.0) for t in tests})


def test_a_miss_that_fails_only_after_other_failing_tests_is_listed_apart(tmp_path: Path):
    root = write(tmp_path / "p", PROJECT)
    runner = OrderRunner(["tests/test_core.py"], ["tests/test_alone.py"])
    result = audit(root, mutants=20, runner=runner)
    caught = [r for r in result.killed if "tests/test_alone.py" in r.failing]
    assert caught and all(r.order_dependent == ("tests/test_alone.py",) for r in caught)
    assert result.safety == 1.0 and not result.unsafe
    text = render_audit_text(result)
    assert "failed only after other tests" in text and "tests/test_alone.py" in text
    assert audit_document(result)["order_dependent"][0]["files"] == ["tests/test_alone.py"]


def test_an_order_dependent_failure_is_a_miss_when_the_selection_passes_alone(tmp_path: Path):
    root = write(tmp_path / "p", PROJECT)
    # nothing fails of itself: the change is not caught by the selection
    result = audit(root, mutants=20, runner=OrderRunner([], ["tests/test_alone.py"]))
    assert result.killed and result.safety == 0.0
    assert all(not r.order_dependent for r in result.results)
    assert audit_document(result)["order_dependent"] == []
