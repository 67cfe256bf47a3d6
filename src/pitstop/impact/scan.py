"""The fast path: a file's imports and string literals, found in its text without parsing it.

Parsing every file with `ast` costs seconds on a large repository (Django's 18 MB take about
5 s), and the graph needs only the imports and the literals. So every file is *scanned*:
regular expressions find each `import` keyword and read the statement around it, and the
quoted strings that could name a file or a module. The scan is a superset of what `ast`
finds, never a subset, which is what the selection's safety needs:

- an `import` inside a docstring or a comment reads as an import too (an extra dependency
  makes the selection larger, never unsafe);
- a file that does not parse is scanned all the same, so a syntax error on line 300 does not
  hide the imports on lines 1-20 (the `ast` reading, which the selector asks for when it
  needs more, reports the error);
- the `tests/impact/test_scan.py` corpus test checks the superset property against `ast` on
  every module of the standard library.

The facts that need the syntax tree (import-time skeleton, passivity, re-export bindings:
see `importtime`) are computed only for the files the selection asks about, by `imports`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pitstop.impact.imports import MAX_REFERENCE_LENGTH, Import, Kind

# Patterns start with their keyword, not `\b`: a literal prefix lets `re` skip ahead fast
# (25 times faster on Django); the boundary before the keyword is checked by `_starts_word`.
_FROM = re.compile(r"from[ \t]+((?:\.[ \t]*)*)([\w.]*)[ \t]*(?:\\\r?\n[ \t]*)?import\b")
_IMPORT = re.compile(r"import\b")
# The rest of a logical line: up to a newline that is not escaped, a `;` or a comment.
_REST = re.compile(r"(?:[^\n\\#;]|\\\r?\n|\\.)*")
_SPACE = re.compile(r"(?:[ \t]|\\\r?\n)*")
# Up to the closing parenthesis, skipping comments (which may hold one).
_PARENTHESISED = re.compile(r"(?:[^)#]|#[^\n]*)*")
_DYNAMIC = re.compile(r"(?:import_module|__import__|importorskip)\s*\(\s*[rRuU]?(['\"])([\w.]+)\1")
_STRING_BODY = rf"[\w.\-/\\:]{{1,{MAX_REFERENCE_LENGTH}}}"
_STRING = re.compile(rf"'({_STRING_BODY})'|\"({_STRING_BODY})\"")
# A top-level definition other than a module's lazy __getattr__/__dir__, or a decorator:
# the module is not a pure re-export (cheap test, so `ast` runs only for the others).
_DEFINES = re.compile(r"^(?:(?:async[ \t]+)?def[ \t]+(?!__getattr__\b|__dir__\b)|class\b|@)", re.M)
_NAME = re.compile(r"[^\W\d]\w*")
_DOTTED = re.compile(r"[^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*")


@dataclass(frozen=True)
class ScanFacts:
    """What the scan finds in one file (see the module docstring)."""

    imports: tuple[Import, ...] = ()
    strings: tuple[str, ...] = ()
    reexport_candidate: bool = False


def scan_facts(source: bytes) -> ScanFacts:
    text = _decode(source)
    return ScanFacts(
        imports=tuple(_imports(text)),
        strings=tuple(sorted({a or b for a, b in _STRING.findall(text)})),
        reexport_candidate=_DEFINES.search(text) is None,
    )


def _decode(source: bytes) -> str:
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        return source.decode("latin-1")  # never fails; import statements are ASCII anyway


def _imports(text: str) -> list[Import]:
    found: list[Import] = []
    keywords = set()
    lines = _Lines(text)
    for match in _FROM.finditer(text):
        if not _starts_word(text, match.start()):
            continue
        keywords.add(match.end() - len("import"))
        level = match.group(1).count(".")
        names = _from_names(text, match.end())
        module = match.group(2).rstrip(".")
        found.append(Import(module, level, names, Kind.FROM, lines.at(match.start())))
    lines = _Lines(text)
    for match in _IMPORT.finditer(text):
        if match.start() not in keywords and _starts_word(text, match.start()):
            found += _plain_imports(text, match.end(), lines.at(match.start()))
    lines = _Lines(text)
    dynamic = "import_module" in text or "__import__" in text or "importorskip" in text
    for match in _DYNAMIC.finditer(text) if dynamic else ():
        name = match.group(2)
        level = len(name) - len(name.lstrip("."))
        found.append(Import(name[level:], level, (), Kind.DYNAMIC, lines.at(match.start())))
    return found


def _starts_word(text: str, position: int) -> bool:
    return position == 0 or not (text[position - 1].isalnum() or text[position - 1] in "_.")


class _Lines:
    """Line numbers of increasing offsets, counted incrementally."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _from_names(text: str, start: int) -> tuple[str, ...]:
    """The names of `from x import ...` after `start`: a parenthesised list (comments and
    all) or the rest of the logical line; `as` aliases dropped, `*` kept."""
    position = _SPACE.match(text, start).end()  # type: ignore[union-attr]  # always matches
    if text.startswith("(", position):
        group = _PARENTHESISED.match(text, position + 1)
        body = re.sub(r"#[^\n]*", "", group.group(0) if group else "")
    else:
        rest = _REST.match(text, position)
        body = rest.group(0) if rest else ""
    names = []
    for part in body.replace("\\\n", " ").split(","):
        word = part.strip().split(" ")[0].strip()
        if word == "*" or _NAME.fullmatch(word):
            names.append(word)
    return tuple(names)


def _plain_imports(text: str, start: int, line: int) -> list[Import]:
    """`import a.b, c as d` after `start`; every dotted name found counts."""
    rest = _REST.match(text, start)
    body = rest.group(0) if rest else ""
    found = []
    for part in body.replace("\\\n", " ").split(","):
        dotted = _DOTTED.match(part.strip())
        if dotted is None:
            continue
        module = re.sub(r"[ \t]", "", dotted.group(0))
        aliased = re.match(r"[ \t]+as[ \t]", part.strip()[dotted.end() :]) is not None
        found.append(Import(module, 0, (), Kind.IMPORT_AS if aliased else Kind.IMPORT, line))
    return found
