"""`pytest --pitstop-affected[=REF]`: run only the test files a change can affect.

Registered through the `pytest11` entry point, so it is loaded in every pytest session of an
environment where pitstop is installed: this module imports nothing but pytest until the
option is given. REF defaults to HEAD, which makes the change the uncommitted work (staged,
unstaged and untracked files); in CI give the branch the pull request targets, for example
`--pitstop-affected=origin/main`. Items from files pitstop does not count as test files
(doctests in modules, non-Python tests) are always kept.

`--pitstop-mark-slow[=SECONDS]` adds the `slow` marker to the tests whose p95 duration in
pitstop's history (`pitstop record junit`) is above SECONDS (default: `slow-test` of
`[tool.pitstop.slo]`, else 5), so `pytest -m "not slow"` and a separate slow job work
without editing test files. Tests the history does not know are not marked. The history
is `--pitstop-db=URL`, else $PITSTOP_DB, else `.pitstop/history.db` under the rootdir.

`--pitstop-record` records the test map: which functions of the repository each test ran
(`pitstop.impact.recorder`), stored in the history database (`--pitstop-db`, else
$PITSTOP_DB, else `.pitstop/history.db`), where `pitstop affected` and
`--pitstop-affected` then find it. Under xdist every worker records its own tests and the
map merges them; the controller records nothing.

`--pitstop-shard=I/N` runs shard I of N (from 1): the collected tests (after
`--pitstop-affected`'s selection) split by `pitstop shard`'s plan (`--pitstop-shard-by=file`
or `item`), from the durations of the history, then of `--pitstop-durations=FILE` (JUnit XML
or pytest-split's .test_durations; repeatable), then of `.test_durations` at the rootdir.
Every shard collects the same tests and plans alike, so each test runs in exactly one; a
shard with nothing to run exits 0, not 5. Each shard must see the same durations.

`--pitstop-outcomes=FILE` writes, for each test file of the session, whether any of its
tests failed (collection, setup, call or teardown) and the seconds its tests took, as JSON:
`pitstop affected audit` runs the suite with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OPTION = "--pitstop-affected"


@dataclass
class _Outcome:
    kept: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    reasons: tuple[str, ...] = ()
    run_all: bool = False


_OUTCOME = pytest.StashKey[_Outcome]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pitstop")
    group.addoption(
        OPTION,
        nargs="?",
        const="HEAD",
        default=None,
        metavar="REF",
        help="run only the test files affected by the working tree against merge-base(REF, "
        "HEAD) (default REF: HEAD, the uncommitted changes)",
    )
    group.addoption(
        "--pitstop-mark-slow",
        nargs="?",
        const="",
        default=None,
        metavar="SECONDS",
        help="mark `slow` the tests whose p95 in pitstop's history is above SECONDS "
        "(default: slow-test of [tool.pitstop.slo], else 5)",
    )
    group.addoption(
        "--pitstop-db",
        metavar="URL",
        default=None,
        help="the history database of --pitstop-mark-slow (default: $PITSTOP_DB, else "
        ".pitstop/history.db)",
    )
    group.addoption(
        "--pitstop-record",
        action="store_true",
        default=False,
        help="record which functions each test runs into pitstop's test map (--pitstop-db)",
    )
    group.addoption(
        "--pitstop-record-backend",
        choices=("monitoring", "coverage"),
        default=None,
        help="how to record: sys.monitoring (default on Python 3.12+) or coverage.py",
    )
    group.addoption(
        "--pitstop-shard",
        metavar="I/N",
        default=None,
        help="run only shard I of N (from 1) of the tests, balanced by measured durations",
    )
    group.addoption(
        "--pitstop-shard-by",
        choices=("file", "item"),
        default="file",
        help="--pitstop-shard's unit: a test file (default) or a test",
    )
    group.addoption(
        "--pitstop-durations",
        action="append",
        default=[],
        metavar="FILE",
        help="durations for --pitstop-shard: JUnit XML or pytest-split's .test_durations",
    )
    group.addoption(
        "--pitstop-outcomes",
        metavar="FILE",
        default=None,
        help="write each test file's outcome and duration to FILE as JSON",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Recording starts before the first conftest is imported: what the repository runs on
    import must be seen."""
    namespace = early_config.known_args_namespace
    if not getattr(namespace, "pitstop_record", False):
        return
    from pitstop.pytest_record import MapRecorder

    recorder = MapRecorder(early_config, getattr(namespace, "pitstop_record_backend", None))
    early_config.pluginmanager.register(recorder, MapRecorder.NAME)
    recorder.start()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("pitstop_mark_slow") is not None:
        config.addinivalue_line(
            "markers", "slow: p95 above the threshold in pitstop's history (--pitstop-mark-slow)"
        )
    given = config.getoption("pitstop_shard")
    if given is not None:
        config.stash[_SHARD] = _ShardOutcome(*_shard_option(given))
    target = config.getoption("pitstop_outcomes")
    if target:
        config.pluginmanager.register(_Outcomes(Path(target)), "pitstop-outcomes")


class _Outcomes:
    """Per test file (the node id's path, relative to the rootdir): failed, and seconds."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.files: dict[str, dict[str, object]] = {}

    def _add(self, nodeid: str, failed: bool, seconds: float) -> None:
        entry = self.files.setdefault(nodeid.split("::")[0], {"failed": False, "seconds": 0.0})
        entry["failed"] = bool(entry["failed"]) or failed
        entry["seconds"] = float(str(entry["seconds"])) + seconds

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and report.nodeid:
            self._add(report.nodeid, True, 0.0)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._add(report.nodeid, report.failed, report.duration)

    def pytest_sessionfinish(self) -> None:
        self.target.write_text(json.dumps(self.files, indent=1), encoding="utf-8")


_SLOW = pytest.StashKey[str]()
SLOW_WINDOW = 30 * 86400  # the history --pitstop-mark-slow looks at, in seconds


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("pitstop_mark_slow") is not None:
        _mark_slow(config, items)
    _select_affected(config, items)
    if _SHARD in config.stash:
        _select_shard(config, items)


@dataclass
class _ShardOutcome:
    index: int
    count: int
    kept: int = 0
    expected: float = 0.0
    slowest: float = 0.0
    estimated: int = 0


_SHARD = pytest.StashKey[_ShardOutcome]()


def _shard_option(given: str) -> tuple[int, int]:
    from pitstop.runs import parse_shard

    try:
        return parse_shard(given)
    except ValueError:
        raise pytest.UsageError(
            f"pitstop: --pitstop-shard={given}: expected I/N with 1 <= I <= N, e.g. 2/4"
        ) from None


def _select_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    from pitstop import api
    from pitstop.errors import PitstopError

    outcome = config.stash[_SHARD]
    try:
        made = api.shard_items(
            config.rootpath,
            [item.nodeid for item in items],
            outcome.count,
            by=config.getoption("pitstop_shard_by"),
            durations=config.getoption("pitstop_durations"),
            db=config.getoption("pitstop_db"),
        )
    except PitstopError as error:
        raise pytest.UsageError(f"pitstop: {error}") from None
    mine = made.shards[outcome.index - 1]
    members = {unit.name for unit in mine.units}
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        ours = item.nodeid in members or item.nodeid.split("::", 1)[0] in members
        (kept if ours else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    outcome.kept, outcome.expected = len(kept), mine.expected_seconds
    outcome.slowest, outcome.estimated = made.slowest, made.estimated


def _mark_slow(config: pytest.Config, items: list[pytest.Item]) -> None:
    from pitstop import api
    from pitstop.errors import PitstopError

    given = config.getoption("pitstop_mark_slow")
    try:
        threshold = _threshold(given, config.rootpath)
        slow = api.slow_tests(
            config.rootpath, threshold, SLOW_WINDOW, config.getoption("pitstop_db")
        )
    except PitstopError as error:
        raise pytest.UsageError(f"pitstop: {error}") from None
    if slow is None:
        config.stash[_SLOW] = "pitstop: no history database yet: no test marked slow"
        return
    ids = {test.test for test in slow}
    marked = 0
    for item in items:
        if item.nodeid in ids:
            item.add_marker(pytest.mark.slow)
            marked += 1
    config.stash[_SLOW] = (
        f"pitstop: {marked} test(s) marked slow (p95 above {threshold:g} s in the last "
        f"{SLOW_WINDOW // 86400} days of history)"
    )


def _threshold(given: str, root: Path) -> float:
    from pitstop.errors import PitstopError

    if given:
        try:
            value = float(given)
        except ValueError:
            value = -1.0
        if not value > 0 or value == float("inf"):
            raise PitstopError(f"--pitstop-mark-slow: {given!r} is not a number of seconds")
        return value
    from pitstop import api

    return api.configure(root).slo.slow_test  # config.DEFAULT_SLOW_TEST_SECONDS if unset


def _select_affected(config: pytest.Config, items: list[pytest.Item]) -> None:
    ref = config.getoption("pitstop_affected")
    if ref is None:
        return
    from pitstop import api
    from pitstop.errors import PitstopError

    try:
        selection = api.affected(config.rootpath, base=ref)
    except PitstopError as error:
        raise pytest.UsageError(f"pitstop: {error}") from None
    outcome = _Outcome(reasons=selection.reasons, run_all=selection.run_all)
    config.stash[_OUTCOME] = outcome
    tests, selected = set(selection.tests), set(selection.selected)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        path = _relative(item.path, config.rootpath)
        skip = path in tests and path not in selected
        (dropped if skip else kept).append(item)
        (outcome.skipped if skip else outcome.kept).add(path)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    slow = terminalreporter.config.stash.get(_SLOW, None)
    if slow is not None:
        terminalreporter.write_line(slow)
    shard = terminalreporter.config.stash.get(_SHARD, None)
    if shard is not None:
        where = f"pitstop: shard {shard.index}/{shard.count}"
        if not shard.kept:
            terminalreporter.write_line(f"{where}: nothing to run (fewer units than shards)")
        else:
            terminalreporter.write_line(
                f"{where}: {shard.kept} tests, expected {shard.expected:.1f} s "
                f"(slowest shard {shard.slowest:.1f} s; {shard.estimated} tests estimated)"
            )
    outcome = terminalreporter.config.stash.get(_OUTCOME, None)
    if outcome is None:
        return
    if outcome.run_all:
        terminalreporter.write_line("pitstop: every test runs: " + "; ".join(outcome.reasons))
        return
    kept, skipped = len(outcome.kept), len(outcome.skipped)
    terminalreporter.write_line(f"pitstop: {kept} test files selected, {skipped} skipped")
    if not outcome.kept:
        terminalreporter.write_line("pitstop: no test file is affected by the change")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing affected, or an empty shard, is a success, not pytest's "no tests collected"
    (exit 5)."""
    if exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED:
        return
    outcome = session.config.stash.get(_OUTCOME, None)
    shard = session.config.stash.get(_SHARD, None)
    if (outcome is not None and not outcome.kept) or (shard is not None and not shard.kept):
        session.exitstatus = pytest.ExitCode.OK
