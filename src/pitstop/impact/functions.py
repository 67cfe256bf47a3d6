"""The functions of a Python file, each with its qualified name, lines and source digest:
how a recorded execution (a code object's first line, or an executed line) is named, and
how a later text of the file says which recorded functions changed.

Names follow Python's `__qualname__` (`Class.method`, `outer.<locals>.inner`); a class body
is named like its class and the module's own code `<module>`. Lambdas, comprehensions and
generator expressions belong to the function around them. A digest covers the syntax tree
of the whole definition, decorators included and line numbers excluded: reformatting and
comments change no digest, any change to what runs does, and a change to a nested function
changes the digests of the functions around it too.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
from dataclasses import dataclass

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


class Blocks:
    """The blocks of one file's text, looked up by line."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.by_first = {b.first: b for b in blocks}
        self.digests = {b.qualname: b.digest for b in blocks if b.function}
        # innermost first when scanning backwards: sorted by body start
        ordered = sorted(blocks, key=lambda b: (b.body, -b.end))
        self._starts = [b.body for b in ordered]
        self._ordered = ordered

    def at_start(self, line: int) -> str:
        """The block a code object whose first line is `line` belongs to."""
        block = self.by_first.get(line)
        return block.qualname if block is not None else self.around(line)

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
    found: list[Block] = []
    _visit(tree.body, "", found)
    return Blocks(found)


def _visit(statements: list[ast.stmt], prefix: str, found: list[Block]) -> None:
    for node in _scopes(statements):
        qualname = prefix + node.name
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body = node.body[0].lineno if node.body else node.lineno
        end = node.end_lineno or node.lineno
        function = not isinstance(node, ast.ClassDef)
        found.append(Block(qualname, first, body, end, digest(node), function))
        inner = qualname + (".<locals>." if function else ".")
        _visit(node.body, inner, found)


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
