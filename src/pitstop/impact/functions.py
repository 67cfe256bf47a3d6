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
from dataclasses import dataclass

from pitstop.impact.importtime import skeleton_digest
from pitstop.testmap import MODULE

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


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
    _visit(tree.body, "", found)
    return Blocks(found)


def _visit(statements: list[ast.stmt], prefix: str, found: list[Block]) -> None:
    _lambdas(statements, prefix, found)
    for node in _scopes(statements):
        qualname = prefix + node.name
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body = node.body[0].lineno if node.body else node.lineno
        end = node.end_lineno or node.lineno
        function = not isinstance(node, ast.ClassDef)
        found.append(Block(qualname, first, body, end, digest(node), function))
        inner = qualname + (".<locals>." if function else ".")
        _visit(node.body, inner, found)


def _lambdas(statements: list[ast.stmt], prefix: str, found: list[Block]) -> None:
    """The lambdas of one scope (not those inside its functions or classes), numbered in
    source order. The ones in a nested definition's decorators and defaults belong here."""
    pending: list[ast.AST] = list(reversed(statements))
    number = 0
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            outside: list[ast.AST] = [*node.decorator_list]
            if isinstance(node, ast.ClassDef):
                outside += [*node.bases, *node.keywords]
            else:
                outside += [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
            pending.extend(reversed(outside))
            continue
        if isinstance(node, ast.Lambda):
            number += 1
            end = node.end_lineno or node.lineno
            name = f"{prefix}<lambda>#{number}"
            found.append(Block(name, node.lineno, node.lineno, end, digest(node), True, True))
        pending.extend(reversed(list(ast.iter_child_nodes(node))))


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


def digest(node: ast.AST) -> str:
    return hashlib.sha256(ast.dump(node).encode()).hexdigest()[:24]


def recorded_skeleton(tree: ast.Module, *, lambdas: bool) -> str:
    """The import-time skeleton (`importtime.skeleton_digest`) less what a map can follow
    as a function of its own: the body of every lambda (with `lambdas`: a map recorded by
    code object names them), and the literal default values of undecorated module-level
    functions (a default is evaluated on import, but only a call of the function sees it;
    a decorator could read it on import, hence undecorated only). Equal values: whatever
    changed is inside functions the map names, by digest. `tree` is changed in place (a
    copy would cost more than parsing again): give a tree nothing else reads."""
    used = _used_on_import(tree)
    return skeleton_digest(_Blanked(lambdas, used).visit(tree))


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


class _Blanked(ast.NodeTransformer):
    def __init__(self, lambdas: bool, used: set[str]) -> None:
        self.lambdas = lambdas
        self.used = used
        self.depth = 0

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        if self.lambdas:
            node.body = ast.Constant("<lambda body>")
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._function(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        if self.depth == 0 and not node.decorator_list and node.name not in self.used:
            arguments = node.args
            arguments.defaults = [_blank(d) for d in arguments.defaults]
            arguments.kw_defaults = [d if d is None else _blank(d) for d in arguments.kw_defaults]
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node


def _blank(node: ast.expr) -> ast.expr:
    literal = isinstance(node, ast.Constant) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)
    )
    return ast.Constant("<default>") if literal else node
