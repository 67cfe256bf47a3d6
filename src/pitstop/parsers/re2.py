"""Go's regular expressions (RE2 syntax, as Go's regexp/syntax parses them) read into a small
tree and written back as Python regular expressions with the same meaning.

Docker's .dockerignore matcher (moby/patternmatcher) turns each pattern into a Go regular
expression; a pattern can put raw `[`, `]`, `^`, `-` and backslash escapes into it, and Go
reads those differently from Python's `re` (octal escapes such as `\\101`, POSIX classes,
`.` not matching a newline, `$` anchoring the whole text). This module parses that subset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, NamedTuple, NoReturn

from pitstop.errors import PitstopError


class Lit(NamedTuple):
    char: str


class Cls(NamedTuple):
    ranges: tuple[tuple[int, int], ...]


class Rep(NamedTuple):
    item: Item
    op: str
    greedy: bool


class Grp(NamedTuple):
    items: tuple[Item, ...]


class Assert(NamedTuple):
    kind: str  # begin, end, word, nonword


Item = Lit | Cls | Rep | Grp | Assert
_MAX_RUNE: Final = 0x10FFFF
_DOT: Final = Cls(((0, 9), (11, _MAX_RUNE)))  # RE2's "." does not match "\n"
BEGIN: Final = Assert("begin")
END: Final = Assert("end")
# The "(.*/)?" patternmatcher writes for "**": zero or more whole folders.
ANY_FOLDERS: Final = Rep(Grp((Rep(_DOT, "*", True), Lit("/"))), "?", True)
DOT_STAR: Final = Rep(_DOT, "*", True)

_WORD: Final = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_PERL_CLASSES: Final = {
    "d": ((0x30, 0x39),),
    "s": ((9, 10), (12, 13), (32, 32)),
    "w": _WORD,
}
_POSIX_CLASSES: Final = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0, 0x7F),),
    "blank": ((9, 9), (32, 32)),
    "cntrl": ((0, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((9, 13), (32, 32)),
    "upper": ((0x41, 0x5A),),
    "word": _WORD,
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_C_ESCAPES: Final = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_OCTAL: Final = "01234567"
_WORD_CLASS: Final = "[0-9A-Za-z_]"
_PY_ASSERTS: Final = {
    "begin": r"\A",
    "end": r"\Z",
    "word": rf"(?:(?<={_WORD_CLASS})(?!{_WORD_CLASS})|(?<!{_WORD_CLASS})(?={_WORD_CLASS}))",
    "nonword": rf"(?:(?<={_WORD_CLASS})(?={_WORD_CLASS})|(?<!{_WORD_CLASS})(?!{_WORD_CLASS}))",
}


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def complement_ranges(ranges: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in merge_ranges(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_RUNE:
        out.append((start, _MAX_RUNE))
    return tuple(out)


class BadPattern(PitstopError):
    """A pattern Docker rejects; `parse_ignore` adds the file and line."""


class Re2Parser:
    """Parses the regular expression patternmatcher builds, as Go's regexp/syntax would
    (Perl flags: "." skips "\\n", "^"/"$" anchor the whole text), into `Item`s.

    Only what a translated pattern can contain is handled: a pattern can put raw `[`, `]`,
    `^`, `-` and backslash escapes into the expression; everything else is written by the
    translator. Unicode classes (`\\p{...}`) are the one construct left out.
    """

    def __init__(self, text: str):
        self.text = text
        self.i = 0

    def fail(self, message: str) -> NoReturn:
        raise BadPattern(message)

    def parse(self) -> tuple[Item, ...]:
        return tuple(self._sequence(nested=False))

    def _sequence(self, *, nested: bool) -> list[Item]:
        items: list[Item] = []
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == ")" and nested:
                self.i += 1
                return items
            if char in ")|":  # never written raw by the translator
                self.fail(f"unexpected {char!r} in the regular expression")
            if char in "*+?":
                self._repeat(items, char)
            elif char == "(":
                self.i += 1
                items.append(Grp(tuple(self._sequence(nested=True))))
            elif char == "[":
                items.append(self._class())
            elif char == "\\":
                items.extend(self._escape())
            else:
                items.append(_ATOMS.get(char) or Lit(char))
                self.i += 1
        if nested:
            self.fail("missing closing ) in the regular expression")
        return items

    def _repeat(self, items: list[Item], op: str) -> None:
        self.i += 1
        greedy = not (self.i < len(self.text) and self.text[self.i] == "?")
        self.i += int(not greedy)
        if not items or isinstance(items[-1], (Rep, Assert)):
            self.fail(f"bad repetition operator {op!r} in the regular expression")
        items.append(Rep(items.pop(), op, greedy))

    def _escape(self) -> list[Item]:
        text, i = self.text, self.i
        code = text[i + 1] if i + 1 < len(text) else ""
        if code in ("A", "z", "b", "B"):
            self.i += 2
            return [Assert({"A": "begin", "z": "end", "b": "word", "B": "nonword"}[code])]
        if code == "Q":  # \Q...\E: literal text, to the end when \E is missing
            end = text.find("\\E", i + 2)
            self.i = len(text) if end < 0 else end + 2
            return [Lit(c) for c in text[i + 2 : (len(text) if end < 0 else end)]]
        perl = self._perl_class(i)
        if perl is not None:
            return [Cls(perl)]
        return [Lit(self._single_escape())]

    def _perl_class(self, i: int) -> tuple[tuple[int, int], ...] | None:
        code = self.text[i + 1] if i + 1 < len(self.text) else ""
        if code in ("p", "P"):
            self.fail("Unicode classes (\\p) in ignore patterns are not supported by pitstop")
        if code.lower() not in _PERL_CLASSES:
            return None
        self.i = i + 2
        ranges = _PERL_CLASSES[code.lower()]
        return complement_ranges(ranges) if code.isupper() else ranges

    def _single_escape(self) -> str:
        """Go's parseEscape: the character a backslash escape stands for."""
        text, i = self.text, self.i + 1
        if i >= len(text):
            self.fail("trailing backslash at end of the regular expression")
        code = text[i]
        i += 1
        if code.isascii() and not code.isalnum():
            self.i = i
            return code
        if code in _OCTAL and (code == "0" or (i < len(text) and text[i] in _OCTAL)):
            digits = code
            while len(digits) < 3 and i < len(text) and text[i] in _OCTAL:
                digits += text[i]
                i += 1
            self.i = i
            return chr(int(digits, 8))
        if code == "x":
            return self._hex_escape(i)
        if code in _C_ESCAPES:
            self.i = i
            return _C_ESCAPES[code]
        self.fail(f"invalid escape sequence \\{code} in the regular expression")

    def _hex_escape(self, i: int) -> str:
        """Go's `\\xHH` or `\\x{H...}` (the braces cannot come from a translated pattern)."""
        text = self.text
        if text[i : i + 1] == "{":
            end = text.find("}", i + 1)
            digits, after = (text[i + 1 : end], end + 1) if end > 0 else ("", i)
        else:
            digits, after = text[i : i + 2], i + 2
            digits = digits if len(digits) == 2 else ""
        if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
            self.fail("invalid \\x escape in the regular expression")
        if int(digits, 16) > _MAX_RUNE:
            self.fail("invalid \\x escape in the regular expression")
        self.i = after
        return chr(int(digits, 16))

    def _class(self) -> Cls:
        """Go's parseClass from the `[`: ranges, POSIX `[:name:]`, Perl `\\d`, escapes."""
        text = self.text
        self.i += 1
        negated = self.i < len(text) and text[self.i] == "^"
        self.i += int(negated)
        ranges: list[tuple[int, int]] = []
        first = True  # "]" and "-" are literal right after "[" or "[^"
        while first or self.i >= len(text) or text[self.i] != "]":
            if self.i >= len(text):
                self.fail("missing closing ] in the regular expression")
            first = False
            ranges.extend(self._class_item())
        self.i += 1
        return Cls(complement_ranges(ranges) if negated else merge_ranges(ranges))

    def _class_item(self) -> tuple[tuple[int, int], ...]:
        text, i = self.text, self.i
        if text.startswith("[:", i) and len(text) - i > 2:
            end = text.find(":]", i + 2)
            if end >= 0:
                return self._posix_class(text[i + 2 : end], end + 2)
        if text[i] == "\\":
            perl = self._perl_class(i)
            if perl is not None:
                return perl
        lo = self._class_rune()
        hi = lo
        if self.i + 1 < len(text) and text[self.i] == "-" and text[self.i + 1] != "]":
            self.i += 1
            hi = self._class_rune()
            if hi < lo:
                self.fail(f"invalid character class range {lo}-{hi} in the regular expression")
        return ((ord(lo), ord(hi)),)

    def _posix_class(self, name: str, after: int) -> tuple[tuple[int, int], ...]:
        negated = name.startswith("^")
        ranges = _POSIX_CLASSES.get(name[int(negated) :])
        if ranges is None:
            self.fail(f"invalid character class [:{name}:] in the regular expression")
        self.i = after
        return complement_ranges(ranges) if negated else ranges

    def _class_rune(self) -> str:
        if self.text[self.i] == "\\":
            return self._single_escape()
        self.i += 1
        return self.text[self.i - 1]


_ATOMS: Final[dict[str, Item]] = {".": _DOT, "^": BEGIN, "$": END}


def _py_char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\U{code:08x}"


def python_class(ranges: Sequence[tuple[int, int]]) -> str:
    """A Python character class matching exactly `ranges`.

    A class that reaches the top of Unicode is written as the negation of what it leaves out
    (`[^/]`, not `[\\x00-.0-\\U0010ffff]`): the same set, but `re.compile` builds a charset
    over every code point of a wide range, about 10 ms a pattern, which a review of a
    repository with a few ignore files felt at start-up."""
    if not ranges:
        return "(?!)"
    merged = merge_ranges(ranges)
    if merged[-1][1] == _MAX_RUNE:
        left_out = complement_ranges(merged)
        return "[^" + _py_ranges(left_out) + "]" if left_out else "(?s:.)"
    return "[" + _py_ranges(merged) + "]"


def _py_ranges(ranges: Sequence[tuple[int, int]]) -> str:
    return "".join(
        _py_char(lo) if lo == hi else f"{_py_char(lo)}-{_py_char(hi)}" for lo, hi in ranges
    )


def to_python(items: Sequence[Item]) -> str:
    """Python regex source with the meaning RE2 gives `items`.

    RE2 matches in linear time; Python's `re` backtracks, and `*a*a*a*a*a*a*a*a*a*a*a*c*b`
    against a long name of `a`s would take minutes. So a star followed by literals and then
    another star of the same class (`[^/]*abc[^/]*`) is written as an atomic group taking the
    first `abc` (`(?>[^/]*?abc)`), as CPython's fnmatch does: with another star after it, the
    earliest occurrence is always a right choice, so committing to it loses no match."""
    out, index = [], 0
    while index < len(items):
        chunk = _star_chunk(items, index)
        if chunk:
            star, literals = items[index], items[index + 1 : index + 1 + chunk]
            assert isinstance(star, Rep)
            text = "".join(re.escape(item.char) for item in literals if isinstance(item, Lit))
            out.append(f"(?>{_py_item(star.item)}*?{text})")
            index += 1 + chunk
        else:
            out.append(_py_item(items[index]))
            index += 1
    return "".join(out)


def _star_chunk(items: Sequence[Item], index: int) -> int:
    """How many literals follow a greedy star at `index` before a star of the same class,
    when each of them is in that class (0: not such a place)."""
    star = items[index]
    if not (
        isinstance(star, Rep) and star.op == "*" and star.greedy and isinstance(star.item, Cls)
    ):
        return 0
    end = index + 1
    while end < len(items) and isinstance(items[end], Lit):
        end += 1
    following = items[end] if end < len(items) else None
    literals = items[index + 1 : end]
    inside = all(
        any(lo <= ord(item.char) <= hi for lo, hi in star.item.ranges)
        for item in literals
        if isinstance(item, Lit)
    )
    return len(literals) if literals and inside and following == star else 0


def _py_item(item: Item) -> str:
    if isinstance(item, Lit):
        return re.escape(item.char)
    if isinstance(item, Cls):
        return python_class(item.ranges)
    if isinstance(item, Grp):
        return f"(?:{to_python(item.items)})"
    if isinstance(item, Rep):
        return _py_item(item.item) + item.op + ("" if item.greedy else "?")
    return _PY_ASSERTS[item.kind]


def can_match_slash(item: Item) -> bool:
    if isinstance(item, Lit):
        return item.char == "/"
    if isinstance(item, Cls):
        return any(lo <= 0x2F <= hi for lo, hi in item.ranges)
    if isinstance(item, Rep):
        return can_match_slash(item.item)
    return True  # groups and assertions are not confined to one path component
