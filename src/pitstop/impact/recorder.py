"""Recording which functions of the repository each test runs (`pytest --pitstop-record`).

Two backends see the same thing and give the same units:

- `monitoring` (Python 3.12+): `sys.monitoring` tells when a code object starts or a
  generator resumes; code outside the repository is disabled for good the first time,
  and a repository code object calls back once per unit it runs in, noted in that
  unit's set. This is the default where it exists.
- `coverage`: coverage.py's C tracer (its sys.monitoring core keeps no dynamic contexts),
  one dynamic context per unit; the executed lines are mapped to the functions holding
  them.

Units (see `pitstop.testmap`) are entered and left as a stack on the main thread; code run
by other threads counts for the unit the main thread is in. The import of a repository file
is a unit of its own, entered around the module's execution by a finder at the front of
`sys.meta_path`, so a function that runs at import time is known as such. A process
started during a unit (the `subprocess.Popen`, `os.exec`, `os.posix_spawn`, `os.system`
and `os.fork` audit events) marks it `spawned`: what the child runs is not seen.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, Protocol

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.impact.functions import Blocks, blocks_from_tree, recorded_skeleton
from pitstop.impact.record_cache import RecordCache
from pitstop.impact.tree import SKIPPED_FOLDERS
from pitstop.testmap import (
    COLLECTION,
    IMPORT,
    ITEM,
    MODULE,
    FileState,
    Function,
    Recording,
    Unit,
)

BACKENDS = ("monitoring", "coverage")
_SPAWNS = frozenset(
    {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork"}
)
_START, _LINE, _LAMBDA = "start", "line", "lambda"
_FREE_TOOL_IDS = (3, 4)  # sys.monitoring ids no standard tool claims (debugger 0, coverage 1,
# profiler 2, optimizer 5)


def default_backend() -> str:
    return "monitoring" if sys.version_info >= (3, 12) else "coverage"


@dataclass
class _Unit:
    kind: str
    name: str
    test_file: str = ""
    fixtures: tuple[str, ...] = ()
    spawned: bool = False
    parent: int | None = None


class Backend(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    # Make `unit` (an index) the one executed code counts for.
    def switch(self, unit: int) -> None: ...

    # (unit index, file name, line, how) for every code start or executed line seen: how is
    # START (a code object's first line), MODULE (a module's code) or LINE (an executed line).
    def executions(self, units: Sequence[_Unit]) -> Iterator[tuple[int, str, int, str]]: ...


class Recorder:
    """The units of one session and what each ran."""

    def __init__(self, root: Path, backend: str | None = None) -> None:
        self.root = root.resolve()
        self._prefixes = tuple(
            dict.fromkeys(str(r).rstrip(os.sep) + os.sep for r in (root.absolute(), self.root))
        )
        self.backend_name = backend or default_backend()
        self._relative: dict[str, str | None] = {}
        self.backend = _make_backend(self.backend_name, self.root, self._is_repository)
        # code objects name lambdas; executed lines cannot tell one from its statement
        self.lambdas = self.backend_name == "monitoring"
        self.units: list[_Unit] = [_Unit(COLLECTION, "")]
        self.stack: list[int] = [0]
        self.main_thread = threading.get_ident()
        self.active = False
        self._finder: _ImportFinder | None = None
        self.early_files: tuple[str, ...] = ()

    def start(self) -> None:
        self.early_files = tuple(sorted(self._loaded_files()))
        _install_audit_hook()
        _AUDIT.recorder = self
        self.active = True
        self.backend.start()
        self.backend.switch(0)
        self._finder = _ImportFinder(self)
        sys.meta_path.insert(0, self._finder)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self.backend.stop()
        _AUDIT.recorder = None
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)

    def enter(self, kind: str, name: str, test_file: str = "", fixtures: Sequence[str] = ()) -> int:
        """Start counting execution for a new unit (on the main thread); its index."""
        unit = _Unit(kind, name, test_file, tuple(fixtures), parent=self.stack[-1])
        self.units.append(unit)
        index = len(self.units) - 1
        if self.active and threading.get_ident() == self.main_thread:
            self.stack.append(index)
            self.backend.switch(index)
        return index

    def leave(self, index: int) -> None:
        if not self.active or threading.get_ident() != self.main_thread:
            return
        if index in self.stack:
            del self.stack[self.stack.index(index) :]
        if not self.stack:
            self.stack.append(0)
        self.backend.switch(self.stack[-1])

    def spawned(self) -> None:
        self.units[self.stack[-1]].spawned = True

    def relative(self, filename: str) -> str | None:
        """`filename` relative to the root when it is a source file of the repository."""
        if filename not in self._relative:
            self._relative[filename] = self._resolve(filename)
        return self._relative[filename]

    def _is_repository(self, filename: str) -> bool:
        return self.relative(filename) is not None

    def _resolve(self, filename: str) -> str | None:
        """By the path's text, not by resolving it (a file system call for each of the
        thousands of files a session runs): under the root as given or as resolved."""
        if not filename.endswith(".py") or filename.startswith("<"):
            return None
        if not os.path.isabs(filename):  # imported through a relative sys.path entry
            filename = os.path.abspath(filename)
        relative = next(
            (filename[len(p) :] for p in self._prefixes if filename.startswith(p)), None
        )
        if relative is None:
            return None
        parts = relative.split(os.sep)
        if any(p in SKIPPED_FOLDERS or p == "site-packages" for p in parts[:-1]):
            return None
        return "/".join(parts)

    def _loaded_files(self) -> Iterator[str]:
        for module in list(sys.modules.values()):
            filename = getattr(module, "__file__", None)
            if isinstance(filename, str) and (relative := self.relative(filename)):
                yield relative

    def recording(self, commit: str, dirty: bool, worker: str) -> Recording:
        """What was recorded, named by the files' current text (read once each)."""
        texts: dict[str, _Text | None] = {}
        cache = RecordCache.of(self.root, lambdas=self.lambdas)
        functions: dict[tuple[str, str], int] = {}
        table: list[Function] = []
        hits: list[set[int]] = [set() for _ in self.units]
        # a code object runs in many units: each is named once
        named: dict[tuple[str, int, str], list[int]] = {}
        for unit, filename, line, how in self.backend.executions(self.units):
            execution = (filename, line, how)
            indices = named.get(execution)
            if indices is None:
                indices = named[execution] = self._named(execution, texts, cache, functions, table)
            hits[unit].update(indices)
        cache.save()
        units = tuple(self._unit(u, frozenset(h)) for u, h in zip(self.units, hits, strict=True))
        files = {path: text.state for path, text in texts.items() if text is not None}
        python = ".".join(map(str, sys.version_info[:3]))
        return Recording(
            commit,
            dirty,
            self.backend_name,
            python,
            worker,
            files,
            tuple(table),
            units,
            self.early_files,
        )

    def _named(
        self,
        execution: tuple[str, int, str],
        texts: dict[str, _Text | None],
        cache: RecordCache,
        functions: dict[tuple[str, str], int],
        table: list[Function],
    ) -> list[int]:
        """The indices in `table` of the functions an execution names, added if new."""
        filename, line, how = execution
        path = self.relative(filename)
        if path is None:
            return []
        if path not in texts:
            texts[path] = _read(self.root / path, path, cache, lambdas=self.lambdas)
        text = texts[path]
        if text is None:
            return []
        indices = []
        for qualname in _qualnames(text.blocks, line, how):
            key = (path, qualname)
            if key not in functions:
                functions[key] = len(table)
                table.append(Function(path, qualname, text.blocks.digests.get(qualname, "")))
            indices.append(functions[key])
        return indices

    def _unit(self, unit: _Unit, hits: frozenset[int]) -> Unit:
        test_file = unit.test_file
        if unit.kind == IMPORT and not test_file and unit.parent is not None:
            test_file = self._item_file(unit.parent)  # imported while a test ran
        return Unit(unit.kind, unit.name, test_file, hits, unit.fixtures, unit.spawned)

    def _item_file(self, index: int | None) -> str:
        while index is not None:
            unit = self.units[index]
            if unit.kind == ITEM:
                return unit.test_file
            index = unit.parent
        return ""


def _qualnames(blocks: Blocks, line: int, how: str) -> list[str]:
    if how == MODULE:
        return [MODULE]
    if how == _LAMBDA:
        return blocks.lambdas_at(line)
    return [blocks.at_start(line) if how == _START else blocks.around(line)]


@dataclass(frozen=True)
class _Text:
    blocks: Blocks
    state: FileState


def _read(path: Path, shown: str, cache: RecordCache, *, lambdas: bool) -> _Text | None:
    try:
        data = read_regular_file(path, shown)
    except PitstopError:
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    kept = cache.get(sha256)
    if kept is not None:
        return _Text(kept[0], FileState(sha256, kept[1]))
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    blocks = blocks_from_tree(tree)  # before recorded_skeleton changes the tree
    skeleton = recorded_skeleton(tree, lambdas=lambdas)
    cache.put(sha256, blocks, skeleton)
    return _Text(blocks, FileState(sha256, skeleton))


def _make_backend(name: str, root: Path, repository: Callable[[str], bool]) -> Backend:
    if name == "monitoring":
        if sys.version_info < (3, 12):
            raise PitstopError("the monitoring backend needs Python 3.12+ (sys.monitoring)")
        return _Monitoring(repository)
    if name == "coverage":
        return _Coverage(root)
    raise PitstopError(f"unknown recording backend {name!r}: {' or '.join(BACKENDS)}")


class _Monitoring:
    """sys.monitoring with two tools, so that a repository function costs one callback per
    unit it runs in (and per `yield` it resumes at), not one per call.

    The finder sees PY_START and PY_RESUME everywhere and disables each for good where it
    first fires: for code outside the repository (pytest, the standard library,
    dependencies: nearly all the code a session runs) that is all; a repository code
    object, which it also notes, gets the recorder's events on it alone (local events).
    This is how the code of modules imported before recording started is found too.

    The recorder notes the code object and disables that event there. At a unit switch,
    the code objects noted since the last one go into the unit left and get their local
    events anew (none, then both: setting the same events again changes nothing), which
    clears the recorder's DISABLEs and only those (the finder stays off): each calls back
    once more in the next unit it starts or resumes in. On jinja2 3.1.6's suite 1.42
    million callbacks became 115,000 and as many re-armings: 1.67 times the plain run
    against 2.15 (Python 3.12.1; marshmallow and click, about 88,000 callbacks each
    before, measured the same as before: see README). With the end of the session made
    cheaper (digests from one pass over each file, and a cache of them by content), 1.37,
    and marshmallow 1.14, click 1.22 (Python 3.12.1, 5 rounds, CPU time; the map's write,
    105,000 rows on jinja2, is most of what is left). Re-arming every code object
    (`restart_events`) made every test pay again for all the code it ran, pytest's
    included: 1.7 to 2.7 times the plain run (see benchmarks/bench_record.py)."""

    def __init__(self, repository: Callable[[str], bool]) -> None:
        self.repository = repository
        self.sets: list[set[CodeType]] = []
        self.current = 0
        # the code objects run since the last switch: the ones whose events are disabled
        self.hits: list[set[CodeType]] = [set()]
        self.known: set[CodeType] = set()
        self.tools: tuple[int, int] | None = None

    def start(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        free = [t for t in _FREE_TOOL_IDS if monitoring.get_tool(t) is None]
        if len(free) < 2:
            raise PitstopError(
                "pitstop's recording needs sys.monitoring tool ids "
                f"{' and '.join(map(str, _FREE_TOOL_IDS))}: another tool holds one"
            )
        finder, recorder = free[:2]
        for tool in (finder, recorder):
            monitoring.use_tool_id(tool, "pitstop")
        self.tools = (finder, recorder)
        hits, known, repository = self.hits, self.known, self.repository
        disable, events = monitoring.DISABLE, monitoring.events
        local, armed = monitoring.set_local_events, events.PY_START | events.PY_RESUME

        def found(code: CodeType, offset: int) -> Any:
            if code in known:  # after someone's restart_events
                hits[0].add(code)
            elif repository(code.co_filename):
                known.add(code)
                hits[0].add(code)
                local(recorder, code, armed)
            return disable

        def seen(code: CodeType, offset: int) -> Any:
            hits[0].add(code)
            return disable

        for event in (events.PY_START, events.PY_RESUME):
            monitoring.register_callback(finder, event, found)
            monitoring.register_callback(recorder, event, seen)
        monitoring.set_events(finder, armed)

    def stop(self) -> None:
        if self.tools is None:
            return
        self._flush()
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        finder, recorder = self.tools
        monitoring.set_events(finder, 0)
        for code in self.known:  # before 3.14, freeing a tool id leaves its local events
            monitoring.set_local_events(recorder, code, 0)
        for tool in self.tools:
            for event in (monitoring.events.PY_START, monitoring.events.PY_RESUME):
                monitoring.register_callback(tool, event, None)
            monitoring.free_tool_id(tool)
        self.tools = None

    def switch(self, unit: int) -> None:
        codes = self._flush()
        if self.tools is not None:
            monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
            local, recorder = monitoring.set_local_events, self.tools[1]
            armed = monitoring.events.PY_START | monitoring.events.PY_RESUME
            for code in codes:
                local(recorder, code, 0)  # none, then both: clears their DISABLEs
                local(recorder, code, armed)
        self.current = unit

    def _flush(self) -> set[CodeType]:
        """The code objects run since the last switch, now in the current unit's set."""
        codes, self.hits[0] = self.hits[0], set()
        while len(self.sets) <= self.current:
            self.sets.append(set())
        self.sets[self.current] |= codes
        return codes

    def executions(self, units: Sequence[_Unit]) -> Iterator[tuple[int, str, int, str]]:
        self._flush()
        for index, codes in enumerate(self.sets):
            for code in codes:
                name = code.co_name
                how = MODULE if name == MODULE else _LAMBDA if name == "<lambda>" else _START
                yield index, code.co_filename, code.co_firstlineno, how


class _Coverage:
    """coverage.py with one dynamic context per unit (named by the unit's index)."""

    def __init__(self, root: Path) -> None:
        try:
            import coverage
        except ImportError:
            raise PitstopError(
                "recording on Python 3.11 needs coverage.py: pip install coverage"
            ) from None
        self.coverage = coverage.Coverage(
            data_file=None, config_file=False, source=[str(root)], branch=False
        )
        # Its own sys.monitoring core (COVERAGE_CORE=sysmon, the default from 3.14) keeps
        # no dynamic contexts: every line would count for the first unit that ran it.
        self.coverage.set_option("run:core", "ctrace")
        self.coverage._warn_no_data = False

    def start(self) -> None:
        self.coverage.start()

    def stop(self) -> None:
        self.coverage.stop()

    def switch(self, unit: int) -> None:
        self.coverage.switch_context(str(unit))

    def executions(self, units: Sequence[_Unit]) -> Iterator[tuple[int, str, int, str]]:
        data = self.coverage.get_data()
        for filename in data.measured_files():
            for line, contexts in data.contexts_by_lineno(filename).items():
                for context in contexts:
                    if context.isdigit():
                        yield int(context), filename, line, _LINE


class _ImportFinder(importlib.abc.MetaPathFinder):
    """Makes the execution of every repository module imported while recording a unit of
    its own. The loader stays the loader (code checks its type: jinja2's PackageLoader asks
    for a `zipimporter`): its `exec_module` is wrapped on the instance, once. A loader that
    takes no attributes, or a module that is not a regular file (one inside a zip archive),
    is left alone: its import-time code then counts for the unit around it."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            origin = spec.origin or ""
            if spec.has_location and self.recorder.relative(origin) and os.path.isfile(origin):
                _wrap(spec.loader, self.recorder)
            return spec
        return None


def _wrap(loader: Any, recorder: Recorder) -> None:
    execute = getattr(loader, "exec_module", None)
    if execute is None or isinstance(execute, _Execution):
        return
    with contextlib.suppress(AttributeError, TypeError):
        loader.exec_module = _Execution(execute, recorder)


class _Execution:
    """A loader's `exec_module`, run as the import unit of the module's file."""

    def __init__(self, execute: Callable[[ModuleType], None], recorder: Recorder) -> None:
        self.execute = execute
        self.recorder = recorder

    def __call__(self, module: ModuleType) -> None:
        spec = getattr(module, "__spec__", None)
        path = self.recorder.relative(getattr(spec, "origin", None) or "")
        if path is None or not self.recorder.active:
            self.execute(module)
            return
        unit = self.recorder.enter(IMPORT, path)
        try:
            self.execute(module)
        finally:
            self.recorder.leave(unit)


class _Audit:
    recorder: Recorder | None = None


_AUDIT = _Audit()
_HOOKED: list[bool] = []


def _install_audit_hook() -> None:
    """One hook per process (audit hooks cannot be removed): it marks the current unit of
    the active recorder, if any, when a process is started."""
    if _HOOKED:
        return
    audit = _AUDIT
    spawns = _SPAWNS

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in spawns and audit.recorder is not None:
            audit.recorder.spawned()

    sys.addaudithook(hook)
    _HOOKED.append(True)
