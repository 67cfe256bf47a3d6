"""The functions of a Python file, each with its qualified name, lines and source digest:
how a recorded execution (a code object's first line, or an executed line) is named, and
how a later text of the file says which recorded functions changed.

Names follow Python's `__qualname__` (`Class.method`, `outer.<locals>.inner`); a class body
is named like its class and the module's own code `<module>`. A lambda is a function of its
own, `<lambda>#N` after the scope holding it (the N-th lambda of that scope, in source
order), found by its first line: a code object (sys.monitoring) names it, an executed line
(coverage.py) cannot tell it from the statement around it, so `around` never answers a
lambda. Comprehensions and generator expressions belong to the code around them. A digest
covers the syntax tree of the whole definition, decorators included and line numbers
excluded: reformatting and comments change no digest, any change to what runs does, and a
change to a nested function changes the digests of the functions around it too.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pitstop.impact.importtime import skeleton_digest
from pitstop.testmap import MODULE

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_DEFINITIONS = (*_SCOPES, ast.Lambda)
# nodes without fields, written as their type name alone
_LEAVES = frozenset(
    kind
    for base in (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
    for kind in base.__subclasses__()
)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # as importtime.skeleton_digest


@dataclass(frozen=True)
class Block:
    qualname: str
    first: int  # the line a code object of it starts at: its first decorator, else `def`
    body: int  # its body's first line
    end: int
    digest: str
    function: bool  # False for a class body
    anonymous: bool = False  # a lambda


class Blocks:
    """The blocks of one file's text, looked up by line."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        named = [b for b in blocks if not b.anonymous]
        self.by_first = {b.first: b for b in named}
        self.lambdas: dict[int, list[str]] = {}
        for block in blocks:
            if block.anonymous:
                self.lambdas.setdefault(block.first, []).append(block.qualname)
        self.digests = {b.qualname: b.digest for b in blocks if b.function}
        # innermost first when scanning backwards: sorted by body start
        ordered = sorted(named, key=lambda b: (b.body, -b.end))
        self._starts = [b.body for b in ordered]
        self._ordered = ordered

    def at_start(self, line: int) -> str:
        """The block a code object whose first line is `line` belongs to."""
        block = self.by_first.get(line)
        return block.qualname if block is not None else self.around(line)

    def lambdas_at(self, line: int) -> list[str]:
        """The lambdas starting at `line` (a lambda's code object cannot say which of
        several on one line it is: all of them count), else the block around the line."""
        return self.lambdas.get(line) or [self.around(line)]

    def around(self, line: int) -> str:
        """The innermost function or class body holding `line` (its body, not its header):
        of the blocks whose body starts at or before `line`, the last one that holds it
        (nested blocks start after the blocks around them)."""
        index = bisect.bisect_right(self._starts, line)
        for block in reversed(self._ordered[:index]):
            if line <= block.end:
                return block.qualname
        return MODULE


def blocks_of(source: bytes | str) -> Blocks | None:
    """The blocks of `source`, or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return blocks_from_tree(tree)


def blocks_from_tree(tree: ast.Module) -> Blocks:
    found: list[Block] = []
    _visit(tree.body, "", _Digests(tree), found)
    return Blocks(found)


def _visit(statements: list[ast.stmt], prefix: str, digests: _Digests, found: list[Block]) -> None:
    _lambdas(statements, prefix, digests, found)
    for node in _scopes(statements):
        qualname = prefix + node.name
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body = node.body[0].lineno if node.body else node.lineno
        end = node.end_lineno or node.lineno
        function = not isinstance(node, ast.ClassDef)
        found.append(Block(qualname, first, body, end, digests.of[node], function))
        inner = qualname + (".<locals>." if function else ".")
        _visit(node.body, inner, digests, found)


def _lambdas(
    statements: list[ast.stmt], prefix: str, digests: _Digests, found: list[Block]
) -> None:
    """The lambdas of one scope (not those inside its functions or classes), numbered in
    source order. The ones in a nested definition's decorators and defaults belong here.
    Only the nodes holding a lambda are looked into (`_Digests.holding`)."""
    holding = digests.holding
    pending: list[ast.AST] = [s for s in reversed(statements) if s in holding]
    number = 0
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            outside: list[ast.AST] = [*node.decorator_list]
            if isinstance(node, ast.ClassDef):
                outside += [*node.bases, *node.keywords]
            else:
                outside += [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
            pending.extend(n for n in reversed(outside) if n in holding)
            continue
        if isinstance(node, ast.Lambda):
            number += 1
            end = node.end_lineno or node.lineno
            name = f"{prefix}<lambda>#{number}"
            found.append(Block(name, node.lineno, node.lineno, end, digests.of[node], True, True))
        pending.extend(n for n in reversed(_children(node)) if n in holding)


def _scopes(
    statements: list[ast.stmt],
) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The definitions among `statements`, looking into if/try/with/for blocks (a def under
    `if TYPE_CHECKING:` or `try:` is still one of the scope's)."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
    pending = list(statements)
    while pending:
        node = pending.pop(0)
        if isinstance(node, _SCOPES):
            found.append(node)
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, name, ()) or ():
                if isinstance(child, ast.stmt):
                    pending.append(child)
                elif isinstance(child, ast.ExceptHandler | ast.match_case):
                    pending.extend(child.body)
    return found


class _Digests:
    """The digest of every definition (function, class, lambda) of a tree, and the nodes
    that hold a lambda, from one pass over the tree.

    The pass writes the tree out once, as `ast.dump` does (each node's type and its fields'
    values in order, positions left out), and a definition's digest hashes its own stretch
    of that text: equal digests, equal syntax trees, as with `ast.dump` per definition,
    without writing a class's methods out again for the class (which made the digests of a
    file cost about four times its size). Each field's name is left out: a node type's
    fields come in one order. On marshmallow 4.4.0's 33 files (`src` and `tests`, Python
    3.12.1, CPU time, best of 3) the digests took 0.15 s against 0.57 s with `ast.dump` per
    definition, and `recorded_skeleton` 0.09 s against 0.23 s with a NodeTransformer over
    the whole tree; the same blocks, skeletons and equal digests as before on 4,062 files
    (the benchmark projects and the standard library's top two levels)."""

    def __init__(self, tree: ast.AST) -> None:
        self.of: dict[ast.AST, str] = {}
        self.holding: set[ast.AST] = set()
        _write(tree, [], self.of, self.holding)


def _write(node: ast.AST, parts: list[str], of: dict[ast.AST, str], holding: set[ast.AST]) -> bool:
    """Write `node` out into `parts`, noting the digest of each definition in `of` and each
    node that is or holds a lambda in `holding`; whether `node` is or holds one."""
    add, node_type = parts.append, ast.AST
    start = len(parts)
    add(type(node).__name__ + "(")
    lambdas = type(node) is ast.Lambda
    for name in node._fields:
        value: Any = getattr(node, name, None)
        kind = type(value)
        if kind in _LEAVES:  # Load, Add, Eq...: a call for each would be a third of them
            add(kind.__name__)
        elif kind is list:
            add("[")
            for item in value:
                if type(item) in _LEAVES:
                    add(type(item).__name__)
                elif isinstance(item, node_type):
                    lambdas |= _write(item, parts, of, holding)
                else:
                    add(repr(item))
                add(",")
            add("]")
        elif isinstance(value, node_type):
            lambdas |= _write(value, parts, of, holding)
        else:
            add(repr(value))
        add(",")
    add(")")
    if isinstance(node, _DEFINITIONS):
        of[node] = hashlib.sha256("".join(parts[start:]).encode()).hexdigest()[:24]
    if lambdas:
        holding.add(node)
    return lambdas


def _children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` as a list, without its two generators."""
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, ast.AST))
    return found


def recorded_skeleton(tree: ast.Module, *, lambdas: bool) -> str:
    """The import-time skeleton (`importtime.skeleton_digest`) less what a map can follow
    as a function of its own: the body of every lambda (with `lambdas`: a map recorded by
    code object names them), and the literal default values of undecorated module-level
    functions (a default is evaluated on import, but only a call of the function sees it;
    a decorator could read it on import, hence undecorated only). Equal values: whatever
    changed is inside functions the map names, by digest. `tree` is changed in place (a
    copy would cost more than parsing again): give a tree nothing else reads. Only what the
    skeleton covers is blanked (function bodies are not looked into: no part of them is in
    the skeleton)."""
    _blank_skeleton(tree.body, _used_on_import(tree), lambdas=lambdas, depth=0)
    return skeleton_digest(tree)


def _used_on_import(tree: ast.Module) -> set[str]:
    """The names read by code that runs on import (outside function and lambda bodies): a
    function named there may be called, registered or inspected on import."""
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            pending.extend(node.decorator_list)
            pending.extend(node.args.defaults)
            pending.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _blank_skeleton(
    statements: Sequence[ast.AST], used: set[str], *, lambdas: bool, depth: int
) -> None:
    """Blank what `recorded_skeleton` leaves out, in the parts of `statements` the skeleton
    covers: `depth` counts the classes around (a module-level function is at depth 0)."""
    for statement in statements:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = statement.args
            if depth == 0 and not statement.decorator_list and statement.name not in used:
                arguments.defaults = [_blank(d) for d in arguments.defaults]
                arguments.kw_defaults = [
                    d if d is None else _blank(d) for d in arguments.kw_defaults
                ]
            if lambdas:
                _blank_lambdas(statement, skip=("body",))
            continue
        if lambdas:
            _blank_lambdas(statement, skip=_BLOCKS)
        inner = depth + 1 if isinstance(statement, ast.ClassDef) else depth
        for block in _BLOCKS:
            children = getattr(statement, block, None)
            if children:
                _blank_skeleton(children, used, lambdas=lambdas, depth=inner)


def _blank_lambdas(node: ast.AST, skip: tuple[str, ...]) -> None:
    """Blank the body of every lambda under `node`, outside its fields named in `skip`
    (a lambda's own arguments are left as they are)."""
    pending = [getattr(node, name, None) for name in node._fields if name not in skip]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, ast.Lambda):
            value.body = ast.Constant("<lambda body>")
        elif isinstance(value, ast.AST):
            pending.extend(getattr(value, name, None) for name in value._fields)


def _blank(node: ast.expr) -> ast.expr:
    literal = isinstance(node, ast.Constant) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
    )
    return ast.Constant("<default>") if literal else node
