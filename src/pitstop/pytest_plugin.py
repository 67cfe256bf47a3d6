"""`pytest --pitstop-affected[=REF]`: run only the test files a change can affect.

Registered through the `pytest11` entry point, so it is loaded in every pytest session of an
environment where pitstop is installed: this module imports nothing but pytest until the
option is given. REF defaults to HEAD, which makes the change the uncommitted work (staged,
unstaged and untracked files); in CI give the branch the pull request targets, for example
`--pitstop-affected=origin/main`. Items from files pitstop does not count as test files
(doctests in modules, non-Python tests) are always kept.
"""

from __future__ import annotations

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


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
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
    """Nothing affected is a success, not pytest's "no tests collected" (exit 5)."""
    outcome = session.config.stash.get(_OUTCOME, None)
    if (
        outcome is not None
        and not outcome.kept
        and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED
    ):
        session.exitstatus = pytest.ExitCode.OK
