"""What a module does when it is imported: the facts behind the precise selection.

Importing `pkg.a` runs `pkg/__init__.py`, and with it every module that `__init__` imports,
even when the test only uses `pkg.a`. So a test depends on two sets of files:

- its *reach*: the files whose code it can call, following what each import binds
  (`from pkg import a` binds `a` only; through a pure re-export module the closure follows
  the module that defines `a`, not the module's other imports);
- its *loads*: every file that runs when it is imported (the plain module-level closure).

A change to a file in the reach can affect the test. A change to a file the test only loads
can affect it in two ways, and the selection takes the test unless both are ruled out:

1. the change alters what the module does at import time. This module computes a digest of
   the module's *skeleton*, the code that runs on import (everything except function bodies
   and `if __name__ == "__main__":`); a change that keeps the skeleton (it touches function
   bodies only) leaves import time as it was. Without the file's previous text (for example
   with `--changed` and no base), every change counts as an import-time change.
2. one of the module's function bodies runs anyway, because import-time code called it or
   handed it to code outside the module (a registering decorator, a metaclass or
   `__init_subclass__`, `atexit.register(f)`, `REGISTRY.append(f)`, `sorted(key=f)`). A
   module is *passive* when its import-time code can do neither with its own functions:
   decorators come from a short list of standard ones that never call or keep the function
   (`property`, `dataclass`, `lru_cache`, ...), class bases are builtins, standard ABCs,
   enums, typing constructs, a few standard classes without class-creation hooks
   (`datetime.tzinfo`, `threading.Thread`, ...) or classes of the same module, no class
   defines the hooks that class creation calls, no local function is called or passed to a
   call, and no instance of a local class (an enum member included) is operated on, read
   from or passed on. A passive module may still call, iterate, operate on or pass on names
   imported from the repository (`active` lists those uses): that runs *their* code, which
   is harmless when nothing they can reach was changed (the graph checks this, see
   `Graph.import_time_reach`). If every file the test loads but does not reach is passive
   and cannot run the changed code that way, nothing changed runs during the test.

   Three uses that look active are known not to run code of the module, and are allowed:
   operators on a *constant* imported from the repository (a name the defining module binds
   once, at module level, to a literal such as `"%Y" + "-%m"`: its value is a `str`, so `+`
   runs no code of ours); calling a local class whose creation runs none of the module's
   code (no `__init__`, `__new__` or `__post_init__`, not an enum, no metaclass, and bases
   that are builtins, the standard classes above, or such local classes), as long as the
   instance is only stored; and enum methods other than those enum creation calls
   (`__new__`, `__init__`, `_generate_next_value_`, `_missing_`, `__eq__`, `__hash__`),
   since a member used at import time counts as an instance.

Known limits, shared with every static selector: imports built from non-literal strings,
attribute reads that run custom descriptors or a module `__getattr__` at import time, and
code that inspects the import system (`sys.modules`, `gc`) are not seen.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# Markers in a name's sources for objects defined in the module itself.
_FUNCTION, _CLASS, _INSTANCE = "<def>", "<class>", "<instance>"
_MARKERS = frozenset({_FUNCTION, _CLASS, _INSTANCE})
_BUILTINS = frozenset(dir(builtins))
# Builtins that run or rewrite arbitrary code or namespaces.
_FORBIDDEN_CALLS = frozenset(
    f"builtins.{name}" for name in ("exec", "eval", "setattr", "delattr", "globals", "vars")
)
_TYPING = ("typing.", "typing_extensions.")
# Decorators that neither call the function they get nor keep it anywhere outside the module.
ALLOWED_DECORATORS = frozenset(
    [
        "builtins.property",
        "builtins.staticmethod",
        "builtins.classmethod",
        "abc.abstractmethod",
        "dataclasses.dataclass",
        "enum.unique",
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "functools.total_ordering",
        "functools.singledispatch",
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "warnings.deprecated",
    ]
    + [
        prefix + name
        for prefix in _TYPING
        for name in ("overload", "final", "override", "runtime_checkable", "no_type_check")
    ]
    + ["typing_extensions.deprecated", "typing.dataclass_transform"]
)
_ALLOWED_BASE_PREFIXES = ("builtins.", "abc.", "collections.abc.", "enum.", *_TYPING)
# Standard classes whose subclassing and instantiation run no code of the subclass's module
# (no `__init_subclass__`, no metaclass beyond `type`/`ABCMeta`).
_ALLOWED_BASES = frozenset(
    [f"datetime.{name}" for name in ("tzinfo", "date", "datetime", "time", "timedelta")]
    + ["decimal.Decimal", "fractions.Fraction", "json.JSONEncoder", "json.JSONDecoder"]
    + [f"collections.{name}" for name in ("OrderedDict", "defaultdict", "Counter", "deque")]
    + [f"collections.{name}" for name in ("UserDict", "UserList", "UserString")]
    + ["threading.Thread", "threading.local", "html.parser.HTMLParser", "string.Formatter"]
    + [f"logging.{name}" for name in ("Handler", "Formatter", "Filter", "LoggerAdapter")]
    + [f"argparse.{name}" for name in ("Action", "ArgumentParser", "HelpFormatter")]
    + [f"numbers.{name}" for name in ("Number", "Complex", "Real", "Rational", "Integral")]
    + ["contextlib.ContextDecorator", "contextlib.AbstractContextManager"]
)
# Methods that run when a class is called: a local class defining one runs module code then.
_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__"})
_BUILTIN_ROOTS = frozenset({"builtins"})
_ALLOWED_METACLASSES = frozenset({"abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"})
# Methods that class creation calls: defining one makes a class active at import time.
_ENUM_CREATION = frozenset(
    {"__new__", "__init__", "_generate_next_value_", "__eq__", "__hash__", "_missing_"}
)
_LITERAL_TYPES = (str, bytes, bool, int, float, complex)
_CLASS_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__class_getitem__"})
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_STATIC = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Subscript,
    ast.Starred,
    ast.expr_context,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


@dataclass(frozen=True)
class Binding:
    """A module-level name bound by an import: `from .x import a as b` binds `b` to `x.a`.

    `attr` is None when the name is bound to a module; `chain` is True for `import a.b`,
    which binds `a` and leaves `a.b` reachable through it."""

    name: str
    module: str
    level: int = 0
    attr: str | None = None
    chain: bool = False


@dataclass(frozen=True)
class ImportTime:
    bindings: tuple[Binding, ...]
    reexport: bool
    lazy: bool
    passive: bool
    active: tuple[str, ...]
    skeleton: str
    constants: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()


def analyse_import_time(tree: ast.Module) -> ImportTime:
    passivity = _Passivity(_has_future_annotations(tree.body))
    passivity.statements(tree.body)
    return ImportTime(
        bindings=tuple(_bindings(tree.body)),
        reexport=all(_reexport_statement(s) for s in tree.body),
        lazy=any(_defines(s, "__getattr__") for s in tree.body),
        passive=passivity.passive,
        active=tuple(sorted(passivity.active)),
        bases=tuple(sorted(passivity.bases)),
        skeleton=skeleton_digest(tree),
        constants=constants(tree),
    )


def skeleton_digest(tree: ast.Module) -> str:
    """A digest of the code that runs on import: equal digests, equal import-time behaviour."""
    digest = hashlib.sha256()
    for part in _skeleton(tree.body):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _skeleton(statements: Sequence[ast.AST]) -> Iterator[str]:
    for statement in statements:
        if _is_main_guard(statement):
            continue
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield _dump_without(statement, ("body",))
            continue
        yield _dump_without(statement, _BLOCKS)
        for block in _BLOCKS:
            children = getattr(statement, block, None)
            if children:
                yield "{"
                yield from _skeleton(children)
                yield "}"


def constants(tree: ast.Module) -> tuple[str, ...]:
    """The names the module binds exactly once, at module level, to a literal: a number, a
    string, bytes, a tuple of those, or operators on them and on earlier constants."""
    counts = Counter(_module_bindings(tree))
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name) and counts[target.id] == 1 and _literal(value, found):
            found.add(target.id)
    return tuple(sorted(found))


def _literal(node: ast.expr, constants: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, _LITERAL_TYPES)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.Tuple):
        return all(_literal(e, constants) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _literal(node.left, constants) and _literal(node.right, constants)
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand, constants)
    return False


def _module_bindings(tree: ast.Module) -> Iterator[str]:
    """Every binding of a module-level name, once per binding (more is safe: a name bound
    twice is not a constant); a name declared `global` anywhere counts twice."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                yield from (name, name)
    queue: list[ast.AST] = list(tree.body)
    while queue:
        node = queue.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
            queue.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            yield node.id
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield alias.asname or alias.name.split(".")[0]
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest
        queue.extend(ast.iter_child_nodes(node))


def _dump_without(node: ast.AST, fields: Iterable[str]) -> str:
    saved = {name: getattr(node, name) for name in fields if hasattr(node, name)}
    for name in saved:
        setattr(node, name, [])
    try:
        return ast.dump(node)
    finally:
        for name, value in saved.items():
            setattr(node, name, value)


def _is_main_guard(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    left, comparators = node.test.left, node.test.comparators
    return (
        isinstance(left, ast.Name)
        and left.id == "__name__"
        and len(comparators) == 1
        and isinstance(comparators[0], ast.Constant)
        and comparators[0].value == "__main__"
    )


def _has_future_annotations(body: Sequence[ast.stmt]) -> bool:
    return any(
        isinstance(s, ast.ImportFrom)
        and s.module == "__future__"
        and any(a.name == "annotations" for a in s.names)
        for s in body
    )


def _defines(statement: ast.stmt, name: str) -> bool:
    return isinstance(statement, ast.FunctionDef) and statement.name == name


def _bindings(statements: Sequence[ast.stmt]) -> Iterator[Binding]:
    """The names module-level imports bind, including those under `if` and `try`."""
    for statement in statements:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    yield Binding(alias.asname, alias.name)
                else:
                    yield Binding(alias.name.split(".")[0], alias.name, chain=True)
        elif isinstance(statement, ast.ImportFrom):
            module, level = statement.module or "", statement.level
            for alias in statement.names:
                yield Binding(alias.asname or alias.name, module, level, alias.name)
        elif isinstance(statement, ast.If | ast.Try):
            for block in ("body", "orelse", "finalbody"):
                yield from _bindings(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from _bindings(handler.body)


def _reexport_statement(statement: ast.stmt) -> bool:
    """Whether `statement` may appear in a pure re-export module: imports, constants,
    `__all__`, a lazy `__getattr__`, and `if`/`try` blocks made of those."""
    if isinstance(statement, ast.Import | ast.ImportFrom | ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant)
    if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign):
        return _static_assignment(statement)
    if isinstance(statement, ast.FunctionDef):
        return statement.name in ("__getattr__", "__dir__") and not statement.decorator_list
    if isinstance(statement, ast.If):
        return _static(statement.test) and _all_reexport(statement.body, statement.orelse)
    if isinstance(statement, ast.Try):
        handlers = [s for h in statement.handlers for s in h.body]
        return _all_reexport(statement.body, handlers, statement.orelse, statement.finalbody)
    return False


def _all_reexport(*blocks: Sequence[ast.stmt]) -> bool:
    return all(_reexport_statement(s) for block in blocks for s in block)


def _static_assignment(statement: ast.Assign | ast.AugAssign | ast.AnnAssign) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    value = statement.value
    return all(isinstance(t, ast.Name) for t in targets) and (value is None or _static(value))


def _static(node: ast.expr) -> bool:
    return all(isinstance(child, _STATIC) for child in ast.walk(node))


class _Passivity:
    """Walks the import-time code of one module (never function bodies) and decides whether
    it is passive (see the module docstring); `active` collects the imported names it uses.

    `sources` maps each name to where its value may come from: an imported reference
    (`"pkg.x"`, `".x.name"`), or the markers for functions and classes of this module."""

    def __init__(self, future_annotations: bool) -> None:
        self.future_annotations = future_annotations
        self.sources: dict[str, frozenset[str]] = {}
        self.star: frozenset[str] = frozenset()
        self.enums: set[str] = set()
        self.inert: set[str] = set()  # local classes whose call runs no code of the module
        self.passive = True
        self.active: set[str] = set()
        self.bases: set[str] = set()  # imported classes that local classes subclass

    def statements(self, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            if not self.passive:
                return
            if not _is_main_guard(statement):
                self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            self.passive = False
            return
        handler(node)

    # -- statements ----------------------------------------------------------------------

    def _Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.sources[alias.asname] = frozenset({alias.name})
            else:
                top = alias.name.split(".")[0]
                self.sources[top] = frozenset({top})

    def _ImportFrom(self, node: ast.ImportFrom) -> None:
        base = "." * node.level + (node.module or "")
        for alias in node.names:
            reference = f"{base}.{alias.name}" if node.module else f"{base}{alias.name}"
            if alias.name == "*":
                self.star |= {base}
            else:
                self.sources[alias.asname or alias.name] = frozenset({reference})

    def _Expr(self, node: ast.Expr) -> None:
        self.value(node.value, active=False)

    def _Pass(self, node: ast.Pass) -> None:
        pass

    _Global = _Nonlocal = _Break = _Continue = _TypeAlias = _Pass

    def _Assign(self, node: ast.Assign) -> None:
        sources = self.value(node.value, active=False)
        for target in node.targets:
            self.bind(target, sources)

    def _AnnAssign(self, node: ast.AnnAssign) -> None:
        self.annotation(node.annotation)
        sources = self.value(node.value, active=False) if node.value else frozenset()
        self.bind(node.target, sources)

    def _AugAssign(self, node: ast.AugAssign) -> None:
        sources = self.value(node.target, active=True) | self.value(node.value, active=True)
        self.bind(node.target, sources)

    def _Delete(self, node: ast.Delete) -> None:
        if not all(isinstance(t, ast.Name) for t in node.targets):
            self.passive = False

    def _If(self, node: ast.If) -> None:
        self.value(node.test, active=True)
        self.statements(node.body)
        self.statements(node.orelse)

    def _While(self, node: ast.While) -> None:
        self.value(node.test, active=True)
        self.statements(node.body)
        self.statements(node.orelse)

    def _For(self, node: ast.For) -> None:
        self.bind(node.target, self.value(node.iter, active=True))
        self.statements(node.body)
        self.statements(node.orelse)

    def _With(self, node: ast.With) -> None:
        for item in node.items:
            sources = self.value(item.context_expr, active=True)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, sources)
        self.statements(node.body)

    def _Try(self, node: ast.Try) -> None:
        self.statements(node.body)
        for handler in node.handlers:
            if handler.type is not None:
                self.value(handler.type, active=False)
            self.statements(handler.body)
        self.statements(node.orelse)
        self.statements(node.finalbody)

    _TryStar = _Try

    def _Raise(self, node: ast.Raise) -> None:
        for part in (node.exc, node.cause):
            if part is not None:
                self.value(part, active=False)

    def _Assert(self, node: ast.Assert) -> None:
        self.value(node.test, active=True)

    def _FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.decorators(node.decorator_list)
        arguments = node.args
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.value(default, active=False)
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for argument in every:
            self.annotation(argument.annotation)
        self.annotation(node.returns)
        self.sources[node.name] = frozenset({_FUNCTION})

    _AsyncFunctionDef = _FunctionDef

    def _ClassDef(self, node: ast.ClassDef) -> None:
        self.decorators(node.decorator_list)
        kinds = [self.base(base) for base in node.bases]  # a list: check every base
        for keyword in node.keywords:
            self.class_keyword(keyword)
        saved, saved_inert = dict(self.sources), set(self.inert)
        self.statements(node.body)
        members = [v for k, v in self.sources.items() if saved.get(k) is not v]
        if "enum" in kinds and any(_INSTANCE in v for v in members):
            self.passive = False  # enum creation compares and hashes the values
        self.sources, self.inert = saved, saved_inert
        methods = {s.name for s in node.body if isinstance(s, ast.FunctionDef)}
        methods |= {
            t.id
            for s in node.body
            if isinstance(s, ast.Assign)
            for t in s.targets
            if isinstance(t, ast.Name)
        }
        enum = "enum" in kinds
        if methods & _CLASS_HOOKS or (enum and _enum_hooks(methods)):
            self.passive = False
        if enum:
            self.enums.add(node.name)
        self.sources[node.name] = frozenset({_CLASS})
        inert = not node.keywords and not methods & _CONSTRUCTORS
        if inert and all(kind == "inert" for kind in kinds):
            self.inert.add(node.name)
        else:
            self.inert.discard(node.name)

    # -- classes and decorators ----------------------------------------------------------

    def base(self, node: ast.expr) -> str:
        """Check one base class: "enum", "inert" (calling the subclass runs no code of this
        module unless the subclass defines it) or "other"."""
        target = node.value if isinstance(node, ast.Subscript) else node
        self.value(node, active=False)
        name, roots = self.qualify(target)
        if isinstance(target, ast.Name) and roots == {_CLASS}:
            if target.id in self.enums:
                return "enum"
            return "inert" if target.id in self.inert else "other"
        if name in _ALLOWED_BASES:
            return "inert"
        imported = len(roots) == 1 and not roots & _MARKERS and not roots & _BUILTIN_ROOTS
        if name is not None and imported and not name.startswith(_ALLOWED_BASE_PREFIXES):
            self.bases.add(name)  # the graph decides: a passive repository module's class
            return "other"
        if name is None or not name.startswith(_ALLOWED_BASE_PREFIXES):
            self.passive = False
            return "other"
        if name.startswith("enum."):
            return "enum"
        return "other" if name == "builtins.type" else "inert"

    def class_keyword(self, keyword: ast.keyword) -> None:
        if keyword.arg == "metaclass":
            name, _ = self.qualify(keyword.value)
            if name not in _ALLOWED_METACLASSES:
                self.passive = False
        elif not isinstance(keyword.value, ast.Constant):
            self.passive = False

    def decorators(self, decorators: Sequence[ast.expr]) -> None:
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(decorator, ast.Call):
                for argument in [*decorator.args, *(k.value for k in decorator.keywords)]:
                    self.argument(self.value(argument, active=False), typing=False)
            if not self.allowed_decorator(target):
                self.passive = False

    def allowed_decorator(self, target: ast.expr) -> bool:
        if isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter"):
            return isinstance(target.value, ast.Name)  # @name.setter on a local property
        name, _ = self.qualify(target)
        return name in ALLOWED_DECORATORS

    def annotation(self, node: ast.expr | None) -> None:
        if node is not None and not self.future_annotations:
            self.value(node, active=False)

    # -- expressions ---------------------------------------------------------------------

    def value(self, node: ast.expr, *, active: bool) -> frozenset[str]:
        """Where the value of `node` may come from; `active`: the value's own code may run
        (it is called, iterated, subscripted, operated on)."""
        if isinstance(node, ast.Name):
            sources = self.lookup(node.id)
            if active:
                self.use(sources, call=False)
            return sources
        if isinstance(node, ast.Constant):
            return frozenset()
        if isinstance(node, ast.Attribute):
            target = node.value
            if self.enum_class(target):  # a member: its methods are the module's
                if active:
                    self.use(frozenset({_INSTANCE}), call=False)
                return frozenset({_INSTANCE})
            sources = self.value(target, active=active)
            if _INSTANCE in sources:  # a property or __getattr__ of the module may run
                self.passive = False
            return sources
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.List | ast.Tuple):
            return _union(self.value(e, active=active) for e in node.elts)
        if isinstance(node, ast.Set):  # elements are hashed
            return _union(self.value(e, active=True) for e in node.elts)
        if isinstance(node, ast.Dict):  # keys are hashed
            keys = _union(self.value(k, active=True) for k in node.keys if k is not None)
            return keys | _union(self.value(v, active=active) for v in node.values)
        if isinstance(node, ast.Starred):
            return self.value(node.value, active=True)
        if isinstance(node, ast.Subscript):
            sources = self.value(node.value, active=True)
            return sources | self.value(node.slice, active=False)
        if isinstance(node, ast.IfExp):
            self.value(node.test, active=True)
            return self.value(node.body, active=active) | self.value(node.orelse, active=active)
        if isinstance(node, ast.Lambda):
            return frozenset({_FUNCTION})
        if isinstance(node, ast.NamedExpr):
            sources = self.value(node.value, active=active)
            self.bind(node.target, sources)
            return sources
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self.comprehension(node)
        return self.operation(node)

    def operation(self, node: ast.expr) -> frozenset[str]:
        """Operators, comparisons, f-strings, slices: every operand's code may run."""
        return _union(
            self.value(child, active=True)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.expr)
        )

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> frozenset[str]:
        sources: frozenset[str] = frozenset()
        for generator in node.generators:
            sources |= self.value(generator.iter, active=True)
            self.bind(generator.target, sources)
            for condition in generator.ifs:
                self.value(condition, active=True)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return sources | _union(self.value(p, active=False) for p in parts)

    def call(self, node: ast.Call) -> frozenset[str]:
        name, _ = self.qualify(node.func)
        sources = self.value(node.func, active=False)
        if name in _FORBIDDEN_CALLS:
            self.passive = False
        func = node.func
        inert = isinstance(func, ast.Name) and func.id in self.inert and sources == {_CLASS}
        if inert:
            sources = frozenset({_INSTANCE})  # what it makes runs module code when used
        else:
            self.use(sources, call=True)
        typing = name is not None and name.startswith(_TYPING)
        wrapper = name in ALLOWED_DECORATORS  # `staticmethod(f)`: as if it decorated `f`
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            passed = self.value(argument, active=False)
            self.argument(passed - {_FUNCTION} if wrapper else passed, typing=typing or wrapper)
            sources |= passed
        return sources

    def argument(self, sources: frozenset[str], *, typing: bool) -> None:
        """A value handed to a call: the callee may call it, keep it or run its methods."""
        if _FUNCTION in sources or _INSTANCE in sources or (_CLASS in sources and not typing):
            self.passive = False
        self.active |= sources - _MARKERS

    def use(self, sources: frozenset[str], *, call: bool) -> None:
        if _FUNCTION in sources or _INSTANCE in sources or (call and _CLASS in sources):
            self.passive = False
        self.active |= sources - _MARKERS

    def bind(self, target: ast.expr, sources: frozenset[str]) -> None:
        if isinstance(target, ast.Name):
            self.sources[target.id] = sources
            self.inert.discard(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind(element, sources)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, sources)
        else:  # attribute or item assignment: it writes into another object
            self.passive = False

    def enum_class(self, node: ast.expr) -> bool:
        """Whether `node` names an enum class of this module."""
        if not isinstance(node, ast.Name) or node.id not in self.enums:
            return False
        return self.lookup(node.id) == {_CLASS}

    def lookup(self, name: str) -> frozenset[str]:
        if name in self.sources:
            return self.sources[name]
        return frozenset() if name in _BUILTINS else self.star

    def qualify(self, node: ast.expr) -> tuple[str | None, frozenset[str]]:
        """The dotted name `node` refers to (`"functools.lru_cache"`, `"builtins.property"`)
        when it is a chain of attributes on one imported or builtin name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None, frozenset()
        roots = self.lookup(node.id)
        if node.id not in self.sources and node.id in _BUILTINS:
            return ".".join(["builtins", node.id, *reversed(parts)]), roots
        if len(roots) != 1 or next(iter(roots)) in _MARKERS:
            return None, roots
        return ".".join([next(iter(roots)), *reversed(parts)]), roots


def _enum_hooks(methods: set[str]) -> bool:
    """Whether enum creation calls a method of the class being made (it makes each member
    with `__new__` and `__init__`, names values with `_generate_next_value_`, and compares
    and hashes values); other methods run only when a member is used, and an enum member
    used at import time counts as an instance of the module's code."""
    return bool(methods & _ENUM_CREATION)


def _union(parts: Iterable[frozenset[str]]) -> frozenset[str]:
    result: frozenset[str] = frozenset()
    for part in parts:
        result |= part
    return result
