"""Single-point mutations of a Python source file, for `pitstop affected audit`.

Each mutant changes one operator or constant, the kind of slip a real change makes: `+` and
`-`, `*` and `/`, a comparison flipped (`==`/`!=`, `<`/`>=`, `in`/`not in`, `is`/`is not`),
`and`/`or`, a `not` dropped, `True`/`False`, an integer off by one, a `return` that returns
None. The mutated expression is spliced back into the text at its own position (in
parentheses), so the rest of the file, comments and formatting included, is untouched; a
candidate whose result does not parse or does not change the syntax tree is dropped.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Iterator
from dataclasses import dataclass

_SWAP_BINARY: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
_SWAP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One mutation of `path`: its text after the change, and where and what it is."""

    path: str
    line: int
    description: str
    text: str


def mutants_of(path: str, source: str) -> list[Mutant]:
    """Every single-point mutant of `source` (empty when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    original = ast.dump(tree)
    found = []
    for node, replacement, description in _candidates(tree):
        text = _splice(source, node, replacement)
        if text is not None and _changes(text, original):
            found.append(Mutant(path, node.lineno, description, text))
    return found


def sample(candidates: list[Mutant], count: int, seed: int) -> list[Mutant]:
    """Up to `count` mutants drawn at random (reproducibly, by `seed`)."""
    pool = list(candidates)
    random.Random(seed).shuffle(pool)
    return pool[:count]


def _candidates(tree: ast.AST) -> Iterator[tuple[ast.expr | ast.stmt, ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BINARY:
            new = _SWAP_BINARY[type(node.op)]()
            yield node, _with(node, op=new), f"{_name(node.op)} -> {_name(new)}"
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in _SWAP_COMPARE:
            new_op = _SWAP_COMPARE[type(node.ops[0])]()
            replacement = _with(node, ops=[new_op, *node.ops[1:]])
            yield node, replacement, f"{_name(node.ops[0])} -> {_name(new_op)}"
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield node, _with(node, op=other), f"{_name(node.op)} -> {_name(other)}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, node.operand, "not dropped"
        elif isinstance(node, ast.Constant):
            yield from _constant(node)
        elif isinstance(node, ast.Return) and node.value is not None:
            yield node, ast.Return(value=ast.Constant(None)), "return None"


def _constant(node: ast.Constant) -> Iterator[tuple[ast.expr, ast.AST, str]]:
    value = node.value
    if isinstance(value, bool):
        yield node, ast.Constant(not value), f"{value} -> {not value}"
    elif isinstance(value, int) and not isinstance(value, bool):
        yield node, ast.Constant(value + 1), f"{value} -> {value + 1}"


def _with(node: ast.AST, **fields: object) -> ast.AST:
    changed = copy.copy(node)
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def _name(operator: ast.AST) -> str:
    return type(operator).__name__


def _splice(source: str, node: ast.expr | ast.stmt, replacement: ast.AST) -> str | None:
    """`source` with the text of `node` replaced by `replacement` (an expression in
    parentheses, so it binds as the original did); None when positions are missing."""
    end_line, end_column = node.end_lineno, node.end_col_offset
    if end_line is None or end_column is None:
        return None
    lines = source.splitlines(keepends=True)
    start = _offset(lines, node.lineno, node.col_offset)
    end = _offset(lines, end_line, end_column)
    text = ast.unparse(replacement)
    if isinstance(replacement, ast.expr) and not isinstance(replacement, ast.Constant):
        text = f"({text})"
    return source[:start] + text + source[end:]


def _offset(lines: list[str], line: int, column: int) -> int:
    """The string offset of (`line`, UTF-8 byte `column`), as `ast` gives positions."""
    before = sum(len(text) for text in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:column].decode("utf-8", "replace"))


def _changes(text: str, original: str) -> bool:
    try:
        return ast.dump(ast.parse(text)) != original
    except (SyntaxError, ValueError):
        return False
