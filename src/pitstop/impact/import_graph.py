"""The dependency graph of every Python file in the repository.

Each file has two kinds of edges (see `importtime` for why both exist):

- *load* edges: the files that run when it is imported: every module it imports anywhere,
  with the packages above them, the submodules it names in `from pkg import sub`, and the
  `__init__.py` files above itself. The closure over them is the plain module-level closure.
- *reach* edges: what its code can call, as states `(file, name)`: `from pkg import a`
  reaches `(pkg/__init__.py, "a")`, and through a pure re-export module the state moves on to
  the module that defines `a`; `name=None` means the whole file.

Beyond imports, a test depends on every `conftest.py` in its folder and above (pytest runs
them for it), on the plugins every session loads (`-p` in `addopts`, the project's own
`pytest11` entry points), and on modules named by string literals (`mock.patch("pkg.mod.f")`,
`"-m", "pkg"`: the literal is resolved to its longest module prefix, and a name after it
counts as `from module import name`; a bare package name reaches only the package's
`__main__`, the one piece of it such a literal can run).

The edges come from each file's scan (`scan`), which finds the imports of a file that does
not parse as well as of one that does; the syntax-tree facts (`Facts.deep`) are read only
for the files whose re-exports or import-time behaviour the selection asks about. A deleted
file stays in the graph as a *ghost* under its old module names, so the files that still
import it find it.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import Protocol

from pitstop.impact.imports import FileFacts, Kind
from pitstop.impact.layout import Layout, is_package
from pitstop.impact.scan import ScanFacts
from pitstop.impact.settings import Settings

State = tuple[str, str | None]  # (file, name): name None means the whole file
CONFTEST = "conftest.py"


class Node:
    """One file of the graph. Its names and its scan are worked out on first use: a run
    with nothing changed needs neither."""

    __slots__ = ("_layout", "_names", "_scan", "_scans", "deleted", "path", "test")

    def __init__(
        self,
        path: str,
        test: bool,
        layout: Layout,
        scans: Mapping[str, ScanFacts],
        deleted: bool = False,
    ) -> None:
        self.path, self.test, self.deleted = path, test, deleted
        self._layout, self._scans = layout, scans
        self._names: tuple[str, ...] | None = None
        self._scan: ScanFacts | None = None

    @property
    def names(self) -> tuple[str, ...]:
        if self._names is None:
            self._names = self._layout.names(self.path)
        return self._names

    @property
    def scan(self) -> ScanFacts:
        if self._scan is None:
            self._scan = ScanFacts() if self.deleted else self._scans[self.path]
        return self._scan


class Facts(Protocol):
    """Where the graph gets each file's facts (the cache, or a fake in tests)."""

    # The Python files of the tree, as paths relative to its root.
    def python_files(self) -> list[str]: ...

    # The scan of each of `files` that exists (a mapping that may decode on access).
    def scan(self, files: list[str]) -> Mapping[str, ScanFacts]: ...

    # The syntax-tree facts of one scanned file, read when first asked for.
    def deep(self, file: str) -> FileFacts: ...


def build_graph(facts: Facts, settings: Settings, deleted: Iterable[str] = ()) -> Graph:
    """The graph of every Python file, with ghosts for the `deleted` Python files."""
    files = facts.python_files()
    scans = facts.scan(files)
    present = [f for f in files if f in scans]
    ghosts = [d for d in deleted if d.endswith(".py") and d not in scans]
    layout = Layout.of([*present, *ghosts], settings.source_roots)
    nodes = {path: Node(path, is_test_file(path, settings), layout, scans) for path in present}
    for path in ghosts:
        nodes[path] = Node(path, False, layout, scans, deleted=True)
    return Graph(nodes, layout, settings, facts.deep)


def is_test_file(path: str, settings: Settings) -> bool:
    """pytest's `python_files` patterns (on the file name, or the path for a pattern with
    `/`), within `testpaths` when those are set; conftest files are not tests. A Python file
    that `testpaths` names itself is a test file whatever its name: pytest collects a path it
    is given without asking `python_files` (`testpaths = tests.py`)."""
    name = posixpath.basename(path)
    if name == CONFTEST:
        return False
    entries = [_testpath(entry) for entry in settings.testpaths]
    if path.endswith(".py") and any(_names(path, entry) for entry in entries):
        return True
    matched = any(fnmatch.fnmatchcase(path if "/" in p else name, p) for p in settings.test_files)
    if not matched or not entries:
        return matched
    return any(_under(path, entry) for entry in entries)


@functools.lru_cache(maxsize=64)
def _testpath(entry: str) -> str | re.Pattern[str]:
    """A `testpaths` entry: a path, or a glob pytest expands (`*` and `?` within a folder
    name, `**` across folders, `[...]` a set). Translated once: every file of the tree asks."""
    entry = entry.strip("/").removeprefix("./")
    if not any(magic in entry for magic in "*?["):
        return entry
    parts: list[str] = []
    index = 0
    while index < len(entry):
        if entry.startswith("**/", index):  # any folders, none included (`src/**/tests`)
            parts.append("(?:.*/)?")
            index += 3
        elif entry.startswith("**", index):
            parts.append(".*")
            index += 2
        elif entry[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif entry[index] == "?":
            parts.append("[^/]")
            index += 1
        elif entry[index] == "[" and (close := entry.find("]", index + 2)) != -1:
            body = entry[index + 1 : close].replace("\\", "\\\\")
            parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            index = close + 1
        else:
            parts.append(re.escape(entry[index]))
            index += 1
    return re.compile("".join(parts))


def _names(path: str, entry: str | re.Pattern[str]) -> bool:
    return path == entry if isinstance(entry, str) else entry.fullmatch(path) is not None


def _under(path: str, entry: str | re.Pattern[str]) -> bool:
    """Whether `path` is `entry` or inside it (for a glob, inside a path it matches)."""
    if isinstance(entry, str):
        return entry in ("", ".") or path == entry or path.startswith(entry + "/")
    prefix = ""
    for part in path.split("/"):
        prefix = f"{prefix}/{part}" if prefix else part
        if entry.fullmatch(prefix):
            return True
    return False


class Graph:
    """The files, the names they answer to, and their edges, computed on first use."""

    def __init__(
        self,
        nodes: dict[str, Node],
        layout: Layout,
        settings: Settings,
        deep: Callable[[str], FileFacts],
    ) -> None:
        self.nodes = nodes
        self.layout = layout
        self.settings = settings
        self._read_deep = deep
        self._deep: dict[str, FileFacts] = {}
        self._loads: dict[str, dict[str, str]] = {}
        self._reach: dict[str, dict[State, str]] = {}
        self._narrowed: dict[State, list[State]] = {}
        self._passive: dict[str, bool] = {}
        self._import_time_reach: dict[str, frozenset[str] | None] = {}
        # whole-module states that only `import pkg` statements made: narrowed on first use
        self._bound_modules: dict[str, dict[State, str]] = {}
        self._mentions: dict[str, dict[str, list[tuple[str, str]]]] = {}

    @cached_property
    def modules(self) -> dict[str, list[str]]:
        """Every module name, with the files that answer to it."""
        modules: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for name in node.names:
                modules.setdefault(name, []).append(node.path)
        return modules

    @cached_property
    def tops(self) -> frozenset[str]:
        """The first part of every module name: an import that starts elsewhere (the
        standard library, third-party packages) is dismissed with one lookup."""
        return frozenset(name.partition(".")[0] for name in self.modules)

    @cached_property
    def tests(self) -> tuple[str, ...]:
        return tuple(sorted(p for p, n in self.nodes.items() if n.test and not n.deleted))

    @cached_property
    def conftests(self) -> frozenset[str]:
        return frozenset(p for p in self.nodes if posixpath.basename(p) == CONFTEST)

    @cached_property
    def python_folders(self) -> frozenset[str]:
        """The folders that directly hold a Python file."""
        return frozenset(posixpath.dirname(p) for p in self.nodes)

    def mentions(self, *, python: bool) -> dict[str, list[tuple[str, str]]]:
        """Literals by the last part of their path (`x.json`, `data`): who mentions what.
        With `python`, only those ending in `.py` (all a Python file's names end so)."""
        key = "py" if python else "all"
        if key not in self._mentions:
            index: dict[str, list[tuple[str, str]]] = {}
            for path, node in self.nodes.items():
                for text in node.scan.strings:
                    if not python or text.endswith(".py"):
                        last = normal_reference(text).rpartition("/")[2]
                        index.setdefault(last, []).append((path, text))
            self._mentions[key] = index
        return self._mentions[key]

    # -- edges ---------------------------------------------------------------------------

    def loads(self, path: str) -> dict[str, str]:
        """The files that run when `path` is imported (or collected), each with why."""
        if path not in self._loads:
            self._compute_edges(path)
        return self._loads[path]

    def reach(self, path: str) -> dict[State, str]:
        """The states `path`'s code can reach directly, each with why."""
        if path not in self._reach:
            self._compute_edges(path)
        pending = self._bound_modules.pop(path, None)
        if pending:
            self._narrow_bound_modules(path, pending)
        return self._reach[path]

    def _narrow_bound_modules(self, path: str, pending: dict[State, str]) -> None:
        """`import pkg` then only `pkg.name` reads: reach `(pkg, name)` for each name, not
        the whole package, when `pkg` is a pure re-export module (read lazily: it needs the
        importer's syntax tree)."""
        reach = self._reach[path]
        candidates = {s: m for s, m in pending.items() if self.narrowable(s[0])}
        if not candidates:
            return
        _, others, _ = self._edges(path, unbound=True)  # what reaches them otherwise
        attributes = dict(self.deep(path).attributes)
        for state, module in candidates.items():
            names = attributes.get(module)
            if names is None or state in others:
                continue
            why = reach.pop(state)
            for name in names:
                reach.setdefault((state[0], name), why)

    def next_states(self, state: State) -> Iterator[tuple[State, str]]:
        """The states one step from `state` in the reach graph."""
        path, name = state
        if name is None:
            yield from self.reach(path).items()
        else:
            for target in self._narrow(path, name):
                yield target, f"re-exports {name!r}"

    @cached_property
    def scripts(self) -> dict[str, str]:
        """The project's console scripts: name -> `module:function`."""
        return dict(self.settings.scripts)

    @cached_property
    def descendants(self) -> dict[str, list[str]]:
        """Every module name, with itself and the modules under it."""
        result: dict[str, list[str]] = {}
        for module in self.modules:
            for prefix in _prefixes(module):
                result.setdefault(prefix, []).append(module)
        return result

    @cached_property
    def importers(self) -> dict[str, set[str]]:
        """The reverse of the load edges: who runs each file on import."""
        reverse: dict[str, set[str]] = {}
        for path in self.nodes:
            for target in self.loads(path):
                reverse.setdefault(target, set()).add(path)
        return reverse

    def deep(self, path: str) -> FileFacts:
        """The syntax-tree facts of `path` (a ghost has none: nothing is known to be safe)."""
        if path not in self._deep:
            node = self.nodes[path]
            self._deep[path] = FileFacts() if node.deleted else self._read_deep(path)
        return self._deep[path]

    def passive(self, path: str) -> bool:
        """Whether importing `path` can neither run nor hand out its functions (importtime):
        its own facts say so, and every class it subclasses is defined in a passive module
        of the repository (so no class-creation hook runs)."""
        if path not in self._passive:
            self._passive[path] = False  # a cycle of subclassing modules stays not passive
            node, facts = self.nodes[path], self.deep(path)
            self._passive[path] = (
                facts.passive
                and facts.error is None
                and not node.deleted
                and all(self._passive_class(reference, node) for reference in facts.bases)
            )
        return self._passive[path]

    def _passive_class(self, reference: str, node: Node) -> bool:
        """Whether the imported class `reference` is defined in a passive repository module,
        followed through re-export modules to where it is defined."""
        if not self._in_repository(reference, node):
            return False
        states = list(self._reference_states(reference, node))
        seen: set[State] = set()
        while states:
            state = states.pop()
            if state in seen:
                continue
            seen.add(state)
            path, name = state
            targets = [state] if name is None else self._narrow(path, name)
            if targets == [(path, None)]:
                if not self.passive(path):
                    return False
            else:
                states.extend(targets)
        return bool(seen)

    def import_time_reach(self, path: str) -> frozenset[str] | None:
        """The files whose code importing `path` can run: those its import-time code calls
        or hands out names of, and what they reach. None when it runs or hands out functions
        of its own (or does not parse): then no change of a file it loads is known safe."""
        if path not in self._import_time_reach:
            node, facts = self.nodes[path], self.deep(path)
            result: frozenset[str] | None = None
            if self.passive(path):
                start: set[State] = set()
                for reference in facts.active:
                    if not self._constant(reference, node):
                        start.update(self._reference_states(reference, node))
                seen, queue = set(start), deque(start)
                while queue:
                    for target, _ in self.next_states(queue.popleft()):
                        if target not in seen:
                            seen.add(target)
                            queue.append(target)
                result = frozenset(file for file, _ in seen)
            self._import_time_reach[path] = result
        return self._import_time_reach[path]

    def _reference_states(self, reference: str, node: Node) -> set[State]:
        """What an imported reference (`"pkg.mod.name"`, `".x.y"`, `"pkg"`) can lead to: the
        module of that name with every module under it, or the name in its module."""
        level = len(reference) - len(reference.lstrip("."))
        rest = reference[level:]
        states: set[State] = set()
        for full in self.absolute(rest, level, node):
            for module in self.descendants.get(full, ()):
                states.update((path, None) for path in self.modules[module])
        module, _, name = rest.rpartition(".")
        if name and (module or level):
            for target in self.absolute(module, level, node):
                states.update((path, name) for path in self.modules.get(target, ()))
        return states

    def activity(self, path: str) -> str:
        """Why `path` is not passive, in words for `--explain`."""
        node, facts = self.nodes[path], self.deep(path)
        if node.deleted:
            return "it was deleted"
        if facts.error is not None:
            return f"it does not parse ({facts.error})"
        used = [
            r for r in facts.active if self._in_repository(r, node) and not self._constant(r, node)
        ]
        if facts.passive and used:
            return f"its import-time code uses {used[0].lstrip('.')} from the repository"
        return "its import-time code runs or hands out functions of its own"

    def narrowable(self, path: str) -> bool:
        """Whether a name imported from `path` can be followed to where it is defined."""
        node = self.nodes[path]
        return node.scan.reexport_candidate and self.deep(path).reexport and self.passive(path)

    # -- closures ------------------------------------------------------------------------

    def load_closure(self, start: str) -> dict[str, str | None]:
        """Every file that runs when `start` is imported, each with the file that loaded it."""
        parents: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            path = queue.popleft()
            for target in self.loads(path):
                if target not in parents:
                    parents[target] = path
                    queue.append(target)
        return parents

    def reach_closure(self, start: str) -> dict[State, State | None]:
        """Every state `start`'s code can reach, each with the state it was reached from."""
        parents: dict[State, State | None] = {(start, None): None}
        queue: deque[State] = deque([(start, None)])
        while queue:
            state = queue.popleft()
            for target, _ in self.next_states(state):
                if target not in parents:
                    parents[target] = state
                    queue.append(target)
        return parents

    # -- building edges ------------------------------------------------------------------

    def _compute_edges(self, path: str) -> None:
        loads, reach, bound = self._edges(path)
        self._loads[path], self._reach[path] = loads, reach
        if bound:
            self._bound_modules[path] = bound

    def _edges(
        self, path: str, *, unbound: bool = False
    ) -> tuple[dict[str, str], dict[State, str], dict[State, str]]:
        """The load and reach edges of `path`, and the whole-module states that `import`
        statements make by binding a module (with the module's name). `unbound`: leave out
        those states unless something else makes them too."""
        node = self.nodes[path]
        loads: dict[str, str] = {}
        reach: dict[State, str] = {}
        bound: dict[State, str] = {}
        for parent in self.layout.parent_inits(path):
            loads.setdefault(parent, "its package")
        tops = self.tops
        for item in node.scan.imports:
            if item.level == 0 and item.module.partition(".")[0] not in tops:
                continue
            why = f"line {item.line}"
            binding = item.kind is Kind.IMPORT or item.kind is Kind.IMPORT_AS
            if binding:
                name = item.module.partition(".")[0] if item.kind is Kind.IMPORT else item.module
                states: list[State] = [(target, None) for target in self.modules.get(name, ())]
                bound.update((state, name) for state in states)
            for module in self.absolute(item.module, item.level, node):
                if binding and unbound:
                    scratch: dict[State, str] = {}
                    self._link(module, item.kind, item.names, why, loads, scratch)
                    for state, reason in scratch.items():
                        if state not in states:
                            reach.setdefault(state, reason)
                else:
                    self._link(module, item.kind, item.names, why, loads, reach)
        scripts = self.scripts
        for text in node.scan.strings:
            if text in scripts:  # a console script run by name: its function
                module, _, function = scripts[text].partition(":")
                name = function.strip().split(".")[0]
                why = f"runs script {text!r}"
                self._link(module.strip(), Kind.FROM, (name,), why, loads, reach)
            if text.partition(".")[0] in tops:
                self._string(text, loads, reach)
        if node.test:
            self._test_edges(path, loads, reach)
        loads.pop(path, None)
        reach.pop((path, None), None)
        return loads, reach, bound

    def _link(
        self,
        module: str,
        kind: Kind,
        names: tuple[str, ...],
        why: str,
        loads: dict[str, str],
        reach: dict[State, str],
    ) -> None:
        """The edges of one import of `module` (already absolute). Loops are written out:
        this runs for every import of every file."""
        files = self.modules.get
        whole = kind is Kind.IMPORT or kind is Kind.DYNAMIC
        for prefix in _prefixes(module):
            for path in files(prefix, ()):
                loads.setdefault(path, why)
                if whole:
                    reach.setdefault((path, None), why)
        if kind is Kind.IMPORT_AS or "*" in names:
            _add_states(reach, files(module, ()), None, why)
        if kind is not Kind.FROM or "*" in names:
            return
        targets = files(module, ())
        for name in names:
            for path in files(f"{module}.{name}", ()):
                loads.setdefault(path, why)
                reach.setdefault((path, None), why)
            for path in targets:
                reach.setdefault((path, name), why)

    def _string(self, text: str, loads: dict[str, str], reach: dict[State, str]) -> None:
        """A literal naming a module (`"pkg.mod.func"`, `"-m", "pkg"`) imports it."""
        parts = text.split(".")
        if not all(p.isidentifier() for p in parts):
            return
        why = f"mentions {text!r}"
        if len(parts) == 1 and any(is_package(p) for p in self.modules.get(text, ())):
            # a bare package name is a logger name, a gettext domain, a distribution, or
            # `-m pkg`: of those only `-m` runs code, its `__main__` (and the package's
            # import-time code, which a load edge covers)
            main = self.modules.get(f"{text}.__main__", ())
            _add_files(loads, [*self.modules[text], *main], why)
            _add_states(reach, main, None, why)
            return
        for end in range(len(parts), 0, -1):
            module = ".".join(parts[:end])
            if module not in self.modules:
                continue
            if end < len(parts):  # "pkg.mod.name": the name, as `from pkg.mod import name`
                self._link(module, Kind.FROM, (parts[end],), why, loads, reach)
                return
            self._link(module, Kind.DYNAMIC, (), why, loads, reach)
            if f"{module}.__main__" in self.modules:
                self._link(f"{module}.__main__", Kind.DYNAMIC, (), why, loads, reach)
            return

    def _test_edges(self, path: str, loads: dict[str, str], reach: dict[State, str]) -> None:
        folder = posixpath.dirname(path)
        while True:
            conftest = posixpath.join(folder, CONFTEST)
            if conftest in self.nodes:
                _add_files(loads, [conftest], "conftest")
                _add_states(reach, [conftest], None, "conftest")
            if not folder:
                break
            folder = posixpath.dirname(folder)
        for plugin in self.settings.plugins:
            self._link(plugin, Kind.DYNAMIC, (), "pytest plugin", loads, reach)

    def _narrow(self, path: str, name: str) -> list[State]:
        """Where `name` imported from `path` leads: the binding's target when `path` is a
        pure re-export module, else the whole of `path`."""
        key = (path, name)
        if key not in self._narrowed:
            targets = self._binding_targets(path, name) if self.narrowable(path) else []
            self._narrowed[key] = targets or [(path, None)]
        return self._narrowed[key]

    def _binding_targets(self, path: str, name: str) -> list[State]:
        node = self.nodes[path]
        reach: dict[State, str] = {}
        loads: dict[str, str] = {}
        bindings = self.deep(path).bindings
        for binding in (b for b in bindings if b.name == name):
            for module in self.absolute(binding.module, binding.level, node):
                kind = Kind.IMPORT if binding.chain else Kind.IMPORT_AS
                names = (binding.attr,) if binding.attr else ()
                self._link(module, Kind.FROM if names else kind, names, "", loads, reach)
        if is_package(path):
            for own in node.names:
                _add_states(reach, self.modules.get(f"{own}.{name}", ()), None, "")
        if not reach:
            for star in (b for b in bindings if b.attr == "*"):
                for module in self.absolute(star.module, star.level, node):
                    _add_states(reach, self.modules.get(module, ()), name, "")
        return list(reach)

    # -- names ---------------------------------------------------------------------------

    def absolute(self, module: str, level: int, node: Node) -> list[str]:
        """`module` with `level` leading dots, as absolute names for each name of `node`."""
        if level == 0:
            return [module]
        result = []
        for name in node.names:
            package = name.split(".") if is_package(node.path) else name.split(".")[:-1]
            if level - 1 > len(package):
                continue
            base = package[: len(package) - (level - 1)]
            full = ".".join([*base, module] if module else base)
            if full:
                result.append(full)
        return list(dict.fromkeys(result))

    def _in_repository(self, reference: str, node: Node) -> bool:
        level = len(reference) - len(reference.lstrip("."))
        for module in self.absolute(reference[level:], level, node):
            if any(prefix in self.modules for prefix in _prefixes(module)):
                return True
        return False

    def _constant(self, reference: str, node: Node) -> bool:
        """Whether `reference` names a constant of the repository module defining it (a
        literal: operators on it run no code of ours), and not a submodule of that name."""
        level = len(reference) - len(reference.lstrip("."))
        module, _, name = reference[level:].rpartition(".")
        if not name:
            module, name = "", reference[level:]
        targets = self.absolute(module, level, node) if module or level else []
        paths = [path for target in targets for path in self.modules.get(target, ())]
        if not paths or any(f"{target}.{name}" in self.modules for target in targets):
            return False
        return all(
            not self.nodes[path].deleted and name in self.deep(path).constants for path in paths
        )


def normal_reference(text: str) -> str:
    """A literal as a path: `/` for `\\`, without a leading `./` or a trailing `/`."""
    return text.replace("\\", "/").removeprefix("./").rstrip("/")


@functools.cache
def _prefixes(module: str) -> tuple[str, ...]:
    parts = module.split(".")
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i])


def _add_files(target: dict[str, str], paths: Iterable[str], why: str) -> None:
    for path in paths:
        target.setdefault(path, why)


def _add_states(target: dict[State, str], paths: Iterable[str], name: str | None, why: str) -> None:
    for path in paths:
        target.setdefault((path, name), why)
