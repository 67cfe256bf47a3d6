"""What one Python file imports and mentions, read with `ast`: the file is never imported or run.

Everything a test can reach through an import counts, wherever the import is written:

- `import a.b` and `import a.b as m`; `from pkg import name` (the graph checks whether `name`
  is a submodule, so `from pkg import sub` counts as importing `pkg.sub` when it is one);
- relative imports, kept with their level and resolved later against the file's package;
- imports inside functions and under `if TYPE_CHECKING:` (type hints are evaluated at run time
  by `typing.get_type_hints`, dataclasses and pydantic, so they are real dependencies);
- `importlib.import_module("literal")`, `__import__("literal")`, `pytest.importorskip(...)`
  and `pytest_plugins = [...]` / `"x"`;
- string literals that look like a file path or a dotted name (`"data/x.json"`,
  `"pkg.mod.func"` as `mock.patch` takes it, `"-m", "pkg"`): the graph matches them against
  data files and module names, so a dynamic import spelled as a literal still counts.

A file that does not parse (a syntax error, a bad encoding, null bytes) gives facts with an
`error` and nothing else; the selector handles it conservatively (see `selector`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from enum import StrEnum

from pitstop.impact.importtime import Binding, analyse_import_time

# Literals longer than this are prose or data, not a path or a module name.
MAX_REFERENCE_LENGTH = 200
_REFERENCE = re.compile(r"[\w.\-/\\:]+")
_DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__", "importorskip"})


class Kind(StrEnum):
    """How an import binds what it imports, which decides what the importer can reach."""

    IMPORT = "import"  # import a.b: binds `a`, so a, a.b are all reachable
    IMPORT_AS = "import-as"  # import a.b as m: binds a.b only (a is still loaded)
    FROM = "from"  # from a.b import x: binds x only
    DYNAMIC = "dynamic"  # import_module("a.b"), pytest_plugins: the whole module


@dataclass(frozen=True)
class Import:
    """One import as written; `module` has no leading dots, `level` counts them."""

    module: str
    level: int = 0
    names: tuple[str, ...] = ()
    kind: Kind = Kind.IMPORT
    line: int = 0


@dataclass(frozen=True)
class FileFacts:
    """Everything the graph needs from one file's text: keyed by content in the cache."""

    imports: tuple[Import, ...] = ()
    bindings: tuple[Binding, ...] = ()
    strings: tuple[str, ...] = ()
    reexport: bool = False  # only imports and constants: see importtime
    lazy: bool = False  # defines a module-level __getattr__
    passive: bool = False  # see importtime.analyse_import_time
    active: tuple[str, ...] = ()  # imported names used at import time (".x.y": relative)
    skeleton: str = ""  # digest of the code that runs at import time
    constants: tuple[str, ...] = ()  # names bound once to a literal (importtime.constants)
    bases: tuple[str, ...] = ()  # imported classes it subclasses: passive only if they are
    # `import pkg` / `import pkg.sub as m`: the attributes the file reads from each module it
    # binds so, or None when it uses the module otherwise (passes it, rebinds it, sets on it)
    attributes: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    error: str | None = None


def parse_facts(source: bytes) -> FileFacts:
    """The facts of one file's bytes; a file that does not parse gives `error` (never raises)."""
    try:
        tree = ast.parse(source)
        collector = _Collector()
        collector.visit(tree)
        import_time = analyse_import_time(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return FileFacts(error=_describe(error))
    return FileFacts(
        imports=tuple(collector.imports),
        bindings=import_time.bindings,
        strings=tuple(sorted(collector.strings)),
        reexport=import_time.reexport,
        lazy=import_time.lazy,
        passive=import_time.passive,
        active=import_time.active,
        skeleton=import_time.skeleton,
        constants=import_time.constants,
        bases=import_time.bases,
        attributes=module_attributes(tree),
    )


# Attributes every module has, whose values carry no code of the repository.
_MODULE_DUNDERS = frozenset(
    {"__name__", "__file__", "__path__", "__spec__", "__doc__", "__package__", "__loader__"}
)


def module_attributes(tree: ast.Module) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """For each module bound by an `import` statement (anywhere in the file), the attributes
    read from it (`pkg.name`), or None when the bound name is used in any other way: passed
    to a call, rebound, deleted, or written to (`pkg.name = x`)."""
    bound: dict[str, set[str]] = {}  # name -> modules bound to it
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                module = alias.name if alias.asname else name
                bound.setdefault(name, set()).add(module)
    if not bound:
        return ()
    used: dict[str, set[str] | None] = {name: set() for name in bound}
    read: set[int] = set()  # the Name nodes seen as `name.attribute` reads
    for node in ast.walk(tree):  # breadth first: an Attribute comes before its Name
        if isinstance(node, ast.Attribute) and (reader := _read_from(node, bound)):
            read.add(id(node.value))
            attributes = used[reader]
            if attributes is not None and node.attr not in _MODULE_DUNDERS:
                attributes.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in bound and id(node) not in read:
            used[node.id] = None
    result: dict[str, set[str] | None] = {}
    for name, modules in bound.items():
        for module in modules:
            before, attributes = result.get(module, set()), used[name]
            result[module] = None if before is None or attributes is None else before | attributes
    return tuple(
        (module, None if attrs is None else tuple(sorted(attrs)))
        for module, attrs in sorted(result.items())
    )


def _read_from(node: ast.Attribute, bound: dict[str, set[str]]) -> str | None:
    """The bound module name `node` reads an attribute of (`name.x = 1` is no read)."""
    value = node.value
    if isinstance(value, ast.Name) and value.id in bound and isinstance(node.ctx, ast.Load):
        return value.id
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg} (line {error.lineno})"
    return f"{type(error).__name__}: {error}"


def looks_like_reference(text: str) -> bool:
    """Whether a string literal could name a file, a folder or a module."""
    return 0 < len(text) <= MAX_REFERENCE_LENGTH and _REFERENCE.fullmatch(text) is not None


class _Collector(ast.NodeVisitor):
    """One pass over the whole tree, function bodies included."""

    def __init__(self) -> None:
        self.imports: list[Import] = []
        self.strings: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            kind = Kind.IMPORT_AS if alias.asname else Kind.IMPORT
            self.imports.append(Import(alias.name, 0, (), kind, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = tuple(alias.name for alias in node.names)
        self.imports.append(Import(node.module or "", node.level, names, Kind.FROM, node.lineno))

    def visit_Call(self, node: ast.Call) -> None:
        if _called_name(node.func) in _DYNAMIC_IMPORTERS and node.args:
            self._dynamic(node.args[0], node.lineno)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets):
            self._plugins(node.value, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name) and target.id == "pytest_plugins" and node.value:
            self._plugins(node.value, node.lineno)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and looks_like_reference(node.value):
            self.strings.add(node.value)

    def _plugins(self, value: ast.expr, line: int) -> None:
        elements = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        for element in elements:
            self._dynamic(element, line)

    def _dynamic(self, argument: ast.expr, line: int) -> None:
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            name = argument.value
            level = len(name) - len(name.lstrip("."))
            if name.strip("."):
                self.imports.append(Import(name[level:], level, (), Kind.DYNAMIC, line))


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
