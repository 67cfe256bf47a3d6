"""`pytest --pitstop-record`: the plugin object that records the test map of a session.

Registered by `pitstop.pytest_plugin` when the option is given, before the first conftest
is imported. Units (see `pitstop.testmap`): each test item (its setup, call and teardown),
each fixture broader than a function (its setup, and its teardown, which runs later, at
the end of its scope), each import of a repository module, and the collection. An item
depends on the broad fixtures it uses (`item.fixturenames`, matched by name and by the
fixture's base id being a prefix of the item's node id).

Under xdist the controller records nothing: each worker records the items it runs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import pytest

from pitstop.errors import PitstopError
from pitstop.impact.recorder import Recorder
from pitstop.testmap import FIXTURE, ITEM

_OUTPUT_KEY = "pitstop_test_map"  # in an xdist worker's workeroutput


class MapRecorder:
    NAME = "pitstop-map-recorder"

    def __init__(self, config: pytest.Config, backend: str | None) -> None:
        self.config = config
        self.root = config.rootpath
        try:
            self.recorder: Recorder | None = Recorder(self.root, backend)
        except PitstopError as error:
            raise pytest.UsageError(f"pitstop: {error}") from None
        self.fixtures: dict[str, list[str]] = defaultdict(list)  # argname -> unit names
        self.teardowns: dict[int, int] = {}  # id(fixturedef) -> unit being torn down
        self.messages: list[str] = []
        self.test_files: dict[Any, str] = {}  # item.path -> its path relative to the root

    def start(self) -> None:
        from pitstop.impact.git import SubprocessGit, head_commit

        self.commit, self.dirty = head_commit(SubprocessGit(self.root))
        if self.recorder is not None:
            self.recorder.start()

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        distributed = getattr(config.option, "dist", "no") not in ("no", None)
        if distributed and not hasattr(config, "workerinput"):
            self._discard()  # the xdist controller runs no test: its workers record

    def _discard(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        recorder = self.recorder
        if recorder is None:
            return (yield)
        test_file = self.test_files.get(item.path)
        if test_file is None:  # Path.relative_to costs 0.1 ms: once per test file
            test_file = self.test_files[item.path] = _relative(item, self.root)
        unit = recorder.enter(ITEM, item.nodeid, test_file)
        try:
            return (yield)
        finally:
            recorder.leave(unit)
            recorder.units[unit].fixtures = tuple(self._used(item))

    def _used(self, item: pytest.Item) -> list[str]:
        used = []
        for name in getattr(item, "fixturenames", ()):
            for key in self.fixtures.get(name, ()):
                base = key.partition("@")[2]
                if not base or item.nodeid.startswith(base):
                    used.append(key)
        return used

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        recorder = self.recorder
        if recorder is None or fixturedef.scope == "function":
            return (yield)
        key = f"{fixturedef.argname}@{fixturedef.baseid}"
        if key not in self.fixtures[fixturedef.argname]:
            self.fixtures[fixturedef.argname].append(key)
        unit = recorder.enter(FIXTURE, key)
        try:
            result = yield
        finally:
            recorder.leave(unit)

        def tearing_down() -> None:
            # Added after the fixture's own finalizers, so it runs before them.
            self.teardowns[id(fixturedef)] = recorder.enter(FIXTURE, key)

        fixturedef.addfinalizer(tearing_down)
        return result

    def pytest_fixture_post_finalizer(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        unit = self.teardowns.pop(id(fixturedef), None)
        if unit is not None and self.recorder is not None:
            self.recorder.leave(unit)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        recorder = self.recorder
        if recorder is None:
            return
        recorder.stop()
        workerinput = getattr(session.config, "workerinput", None)
        worker = str(workerinput.get("workerid", "main")) if workerinput else "main"
        from pitstop import api

        prefix = f"pitstop: {worker}: " if workerinput else "pitstop: "
        try:
            recording = recorder.recording(self.commit, self.dirty, worker)
            api.store_test_map(self.root, recording, self.config.getoption("pitstop_db"))
        except PitstopError as error:
            message = f"{prefix}the test map was not stored: {error}"
        else:
            items = sum(1 for u in recording.units if u.kind == ITEM)
            files = len({u.test_file for u in recording.units if u.kind == ITEM})
            message = (
                f"{prefix}recorded the test map of {items} tests in {files} files "
                f"({len(recording.functions)} functions, {recording.backend}) at "
                f"{self.commit[:12] or 'no commit'}"
            )
        if workerinput is not None:
            # A worker's terminal is not shown: its controller prints what it says.
            session.config.workeroutput[_OUTPUT_KEY] = message  # type: ignore[attr-defined]
        else:
            self.messages.append(message)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist, on the controller: a worker ended; keep what it said of its recording."""
        message = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
        if message is None:
            name = getattr(getattr(node, "gateway", None), "id", "a worker")
            ended = f" (it ended early: {error})" if error else ""
            message = f"pitstop: {name}: stored no test map{ended}"
        self.messages.append(str(message))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for message in sorted(self.messages):
            terminalreporter.write_line(message)


def _relative(item: pytest.Item, root: Any) -> str:
    try:
        return item.path.relative_to(root).as_posix()
    except ValueError:
        return os.fspath(item.path)
