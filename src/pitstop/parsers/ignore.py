"""`.dockerignore` files with Docker's own semantics, which are not gitignore's.

Docker reads an ignore file with moby/patternmatcher's `ignorefile.ReadAll` and BuildKit's
file sender (tonistiigi/fsutil `filter.go`) judges every path with patternmatcher's
`MatchesUsingParentResults` while it walks the context. This module reimplements the three
steps from their Go sources (https://github.com/moby/patternmatcher,
https://github.com/tonistiigi/fsutil); gitignore libraries get all three wrong.

Reading (`ReadAll`):
  a UTF-8 byte order mark is dropped; lines end at "\\n" (a trailing "\\r" is dropped); a line
  is a comment only when `#` is its very first character; every other line is trimmed of
  white space and skipped when empty; a leading `!` makes an exception (the rest is trimmed
  again); the pattern is cleaned like Go's `filepath.Clean`, then one leading `/` is dropped.
Compiling (`patternmatcher.New`):
  the line is cleaned once more (so `./!x` is an exception too), `!` alone is an error, and
  the pattern must be valid for Go's `filepath.Match`. It is then translated to a Go regular
  expression: `*` is `[^/]*`, `?` is `[^/]`, `**` is `(.*/)?` (a trailing `/**` is "anything
  below"), `\\x` escapes `x`, and `[...]` is copied through. A `*` never crosses `/`, so `*.md`
  matches only at the top level; Go's `[^...]` negates a class, `[!...]` does not.
Matching (`MatchesUsingParentResults`):
  the last pattern that matches decides; a pattern that matched a folder matches everything
  below it, so excluding a folder excludes its files and a later exception can bring some
  back. This differs from `MatchesOrParentMatches` in one corner, followed here because it is
  what a build sends: with `a/f` then `!a`, the file `a/f` stays excluded (the exception never
  matched the folder `a`, which was not excluded when it was walked).

Quirks of the regex translation are kept, because they are what Docker does: `[*]` and `[?]`
turn into broken classes, `\\d` inside a pattern is a digit class, `[[:alpha:]]` is a POSIX
class. Patterns Go rejects raise `PitstopError` naming the file and line, including those
whose regular expression does not compile (Docker fails the build at the first path it
checks against them; this module fails when it reads them).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final, NamedTuple, Protocol

from pitstop.errors import PitstopError
from pitstop.parsers.gopath import go_clean, go_glob_regex, go_match_error
from pitstop.parsers.re2 import (
    ANY_FOLDERS,
    BEGIN,
    DOT_STAR,
    END,
    BadPattern,
    Item,
    Lit,
    Re2Parser,
    can_match_slash,
    to_python,
)

# go_clean and go_glob_regex live in pitstop.parsers.gopath; they stay importable from here.
__all__ = [
    "FolderMatch",
    "IgnoreFile",
    "IgnorePattern",
    "go_clean",
    "go_glob_regex",
    "parse_ignore",
]

# Go's unicode.IsSpace, which strings.TrimSpace uses (str.strip() would also strip \x1c-\x1f).
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BOM: Final = "\ufeff"
_MAX_LINE_BYTES: Final = 64 * 1024  # bufio.Scanner's MaxScanTokenSize
# fsutil descends into an excluded folder for any exception holding one of these.
_WILDCARD_CHARS: Final = frozenset("*[]?^\\")
_REGEX_ESCAPED: Final = frozenset(".+()|{}$")  # patternmatcher's shouldEscape


# --------------------------------------------------------------------------- patterns


_EXACT, _PREFIX, _SUFFIX, _REGEXP = "exact", "prefix", "suffix", "regexp"
_LIT, _RE, _ANY = 0, 1, 2


class _Step(NamedTuple):
    """One step of a pattern read component by component (see `_Program`)."""

    kind: int  # _LIT: the component equals `literal`; _RE: `regex` matches it whole;
    # _ANY: zero or more components, none holding "\n" unless `newlines`
    literal: str = ""
    regex: re.Pattern[str] | None = None
    newlines: bool = True
    source: str = ""  # Python regex for the last component, to build per-folder matchers
    suffix: str = ""  # text every component this step matches ends with, for a quick test


def _lit(text: str) -> _Step:
    return _Step(_LIT, literal=text, source=re.escape(text), suffix=text)


def _regex(source: str, suffix: str = "") -> _Step:
    return _Step(_RE, regex=re.compile(source), source=source, suffix=suffix)


def _any(newlines: bool) -> _Step:
    return _Step(_ANY, newlines=newlines, source="(?s:.+)" if newlines else "[^\n]+")


@dataclass(frozen=True)
class _Matcher:
    """One pattern as patternmatcher compiles it: `kind` and `literal`, or for a regexp the
    parsed Go expression `items`. The Python regex and the component steps are built on
    first use: a generated ignore file of 20,000 lines must not compile what no path tries."""

    kind: str
    literal: str
    items: tuple[Item, ...] = ()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(to_python(self.items))

    @cached_property
    def steps(self) -> tuple[_Step, ...] | None:
        """The pattern as component steps when it can be read that way (see `_Program`)."""
        if self.kind == _EXACT:
            return tuple(_lit(p) for p in self.literal.split("/"))
        if self.kind == _PREFIX:
            return _prefix_steps(self.literal)
        if self.kind == _SUFFIX:
            return _suffix_steps(self.literal)
        return _regex_steps(self.items)

    @cached_property
    def key(self) -> tuple[str, str]:
        """("prefix" or "suffix", text) every path the pattern matches starts or ends with,
        the longer known of the two; ("", "") when none is known. `_Index` files it there."""
        if self.kind == _PREFIX:
            return ("prefix", self.literal)
        if self.kind == _SUFFIX:  # "/x" matches "x" too: every match ends with "x"
            return ("suffix", self.literal.removeprefix("/"))
        head, tail = _literal_run(self.items[1:]), _literal_tail(self.items[:-1])
        if self.items[-1:] != (END,):
            tail = ""
        if len(head) > len(tail):
            return ("prefix", head)
        return ("suffix", tail) if tail else ("", "")

    def matches(self, path: str) -> bool:
        """patternmatcher's Pattern.match on a cleaned, slash-separated path."""
        if self.kind == _EXACT:
            return path == self.literal
        if self.kind == _PREFIX:
            return path.startswith(self.literal)
        if self.kind == _SUFFIX:
            suffix = self.literal
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        return self.regex.search(path) is not None


def _literal_run(items: Sequence[Item]) -> str:
    head: list[str] = []
    for item in items:
        if not isinstance(item, Lit):
            break
        head.append(item.char)
    return "".join(head)


def _translate(pattern: str) -> tuple[str, str]:
    """patternmatcher's Pattern.compile: (match kind, Go regular expression)."""
    out, kind, i, n = ["^"], _EXACT, 0, len(pattern)
    while i < n:
        char, first = pattern[i], i == 0
        i += 1
        if char == "*" and i < n and pattern[i] == "*":
            i += 1 + int(pattern[i + 1 : i + 2] == "/")
            if i >= n and kind == _EXACT:
                kind = _PREFIX
            else:
                out.append(".*" if i >= n else "(.*/)?")
                kind = _REGEXP
            kind = _SUFFIX if first else kind
        elif char in "*?":
            out.append("[^/]*" if char == "*" else "[^/]")
            kind = _REGEXP
        elif char in _REGEX_ESCAPED:
            out.append("\\" + char)
        elif char == "\\" and i < n:
            out.append("\\" + pattern[i])
            i += 1
            kind = _REGEXP
        else:
            out.append(char)
            kind = _REGEXP if char in "[]" else kind
    if kind == _REGEXP:
        out.append("$")
    return kind, "".join(out)


def _compile(pattern: str) -> _Matcher:
    kind, source = _translate(pattern)
    if kind == _EXACT:
        return _Matcher(kind, pattern)
    if kind == _PREFIX:
        return _Matcher(kind, pattern[:-2])
    if kind == _SUFFIX:
        return _Matcher(kind, pattern[2:])
    if any("\udc80" <= char <= "\udcff" for char in source):
        raise BadPattern("the pattern is not valid UTF-8 (Go: invalid UTF-8 in regexp)")
    items = Re2Parser(source).parse()
    if items[:1] != (BEGIN,):  # the translator always writes "^" first
        raise AssertionError(source)
    return _Matcher(kind, "", items)


def _prefix_steps(prefix: str) -> tuple[_Step, ...]:
    """HasPrefix(path, prefix): the folders before the last "/" exactly, then a component
    starting with the rest (any component when the prefix ends in "/"), then anything."""
    *folders, last = prefix.split("/")
    first = _regex(re.escape(last) + ("(?s:.*)" if last else "(?s:.+)"))
    return (*(_lit(folder) for folder in folders), first, _any(True))


def _suffix_steps(suffix: str) -> tuple[_Step, ...]:
    if not suffix:
        return (_any(True),)
    if suffix[0] == "/":
        return (_any(True), *(_lit(part) for part in suffix[1:].split("/")))
    first, *rest = suffix.split("/")
    return (_any(True), _regex("(?s:.*)" + re.escape(first), first), *(_lit(part) for part in rest))


def _regex_steps(items: tuple[Item, ...]) -> tuple[_Step, ...] | None:
    """The expression as component steps, or None when it does not split at "/"."""
    if len(items) < 2 or items[0] != BEGIN or items[-1] != END:
        return None
    segments: list[list[Item]] = [[]]
    for item in items[1:-1]:
        if item == Lit("/"):
            segments.append([])
        else:
            segments[-1].append(item)
    steps: list[_Step] = []
    for index, segment in enumerate(segments):
        while segment and segment[0] == ANY_FOLDERS:
            steps.append(_any(False))
            segment = segment[1:]
        if segment == [DOT_STAR] and index == len(segments) - 1:
            steps += [_Step(_RE, regex=re.compile("[^\n]+"), source="[^\n]+"), _any(False)]
        elif any(can_match_slash(item) for item in segment):
            return None
        elif all(isinstance(item, Lit) for item in segment):
            steps.append(_lit("".join(item.char for item in segment if isinstance(item, Lit))))
        else:
            steps.append(_regex(to_python(segment), _literal_tail(segment)))
    return tuple(steps)


def _literal_tail(items: Sequence[Item]) -> str:
    tail: list[str] = []
    for item in reversed(items):
        if not isinstance(item, Lit):
            break
        tail.append(item.char)
    return "".join(reversed(tail))


class _Program:
    """A pattern's steps as a small NFA over path components; a state is a step index and
    `end` means the whole pattern matched."""

    def __init__(self, steps: tuple[_Step, ...]):
        self.steps = steps
        self.end = len(steps)
        self.closures = tuple(self._closure(s) for s in range(self.end + 1))
        self.start = self.closures[0]
        self._finals: dict[frozenset[int], tuple[_Step, ...]] = {}

    def _closure(self, state: int) -> frozenset[int]:
        states = {state}
        while state < self.end and self.steps[state].kind == _ANY:
            state += 1
            states.add(state)
        return frozenset(states)

    def advance(self, states: frozenset[int], name: str) -> frozenset[int]:
        after: set[int] = set()
        for state in states:
            if state == self.end:
                continue
            step = self.steps[state]
            if step.kind == _LIT:
                if name == step.literal:
                    after |= self.closures[state + 1]
            elif step.kind == _RE:
                assert step.regex is not None
                if step.regex.fullmatch(name):
                    after |= self.closures[state + 1]
            elif step.newlines or "\n" not in name:
                after |= self.closures[state]
        return frozenset(after)

    def final_steps(self, states: frozenset[int]) -> tuple[_Step, ...]:
        """The steps one of which a last component must pass for the pattern to match."""
        cached = self._finals.get(states)
        if cached is None:
            cached = tuple(
                self.steps[s] for s in sorted(states) if s < self.end and self._accepts_after(s)
            )
            self._finals[states] = cached
        return cached

    def _accepts_after(self, state: int) -> bool:
        step_closure = self.closures[state if self.steps[state].kind == _ANY else state + 1]
        return self.end in step_closure


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class IgnorePattern:
    """One pattern line, cleaned as Docker cleans it.

    `exclusion` is patternmatcher's name for a `!` line: an exception that brings matching
    paths back into the context. `text` never holds the `!`.
    """

    text: str
    exclusion: bool
    line: int
    _matcher: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher", _compile_checked(self.text))

    def __str__(self) -> str:
        return f"!{self.text}" if self.exclusion else self.text

    def matches(self, path: str) -> bool:
        """Whether the pattern alone matches `path` (no parent folders, no other lines)."""
        return self._matcher.matches(path)


def _compile_checked(text: str) -> _Matcher:
    problem = go_match_error(text)
    if problem is not None:
        raise BadPattern(f"invalid pattern {text!r}: {problem} (Docker: syntax error in pattern)")
    try:
        return _compile(text)
    except BadPattern as error:
        raise BadPattern(f"invalid pattern {text!r}: {error.message}") from None


@dataclass(frozen=True)
class IgnoreFile:
    """A parsed ignore file; `path` is where it was read from (None: no ignore file)."""

    path: str | None
    patterns: tuple[IgnorePattern, ...]
    _engine: _Engine | _IndexedEngine = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        engine = _Engine if len(self.patterns) < _INDEXED_FROM else _IndexedEngine
        object.__setattr__(self, "_engine", engine(self.patterns))

    def excludes(self, relpath: str) -> bool:
        """Whether Docker leaves `relpath` (relative to the context root, with `/`) out."""
        return self._engine.verdict(relpath)[0]

    def deciding_pattern(self, relpath: str) -> IgnorePattern | None:
        """The pattern whose verdict stands for `relpath` (None: no pattern matched it)."""
        index = self._engine.verdict(relpath)[1]
        return None if index is None else self.patterns[index]

    def may_reinclude_under(self, folder: str) -> bool:
        """Whether an exception could bring back something below the excluded `folder`, so a
        walker must enter it. fsutil's rule: when any exception holds a wildcard after a
        trailing `/**` or `/*` is cut off, it enters every folder; otherwise only folders
        that are a prefix of some exception."""
        return self._engine.may_reinclude_under(folder)

    def root(self) -> FolderMatch:
        """The verdicts for the entries of the context root; `FolderMatch.enter` goes down."""
        return self._engine.root()


def parse_ignore(text: str, path: str | None) -> IgnoreFile:
    """Parse ignore-file `text` (read from `path`, for messages) as `ignorefile.ReadAll` and
    `patternmatcher.New` do; PitstopError names the line of a pattern Docker rejects."""
    where = path or ".dockerignore"
    patterns: list[IgnorePattern] = []
    for number, line in _scan_lines(text):
        if len(line.encode("utf-8", "surrogateescape")) >= _MAX_LINE_BYTES:
            raise PitstopError(
                f"line is {_MAX_LINE_BYTES} bytes or longer; Docker stops reading "
                "(bufio.Scanner: token too long)",
                path=where,
                line=number,
            )
        cleaned = _read_all(line.removeprefix(_BOM) if number == 1 else line)
        if cleaned is None:
            continue
        try:
            patterns.append(_new_pattern(cleaned, number))
        except BadPattern as error:
            raise PitstopError(_one_line(error.message), path=where, line=number) from None
    return IgnoreFile(path, tuple(patterns))


def _one_line(text: str) -> str:
    """`text` with control characters and Unicode line separators (U+0085, U+2028) escaped:
    an error quoting a pattern must stay one line in every log viewer."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _scan_lines(text: str) -> Iterator[tuple[int, str]]:
    """bufio.ScanLines: split at "\\n" only, drop one "\\r" before it, no empty last line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        yield number, line.removesuffix("\r")


def _read_all(line: str) -> str | None:
    """One line through ReadAll: None for comments and blank lines, else the pattern."""
    if line.startswith("#"):
        return None
    pattern = line.strip(_GO_SPACE)
    if not pattern:
        return None
    invert = pattern[0] == "!"
    if invert:
        pattern = pattern[1:].strip(_GO_SPACE)
    if pattern:
        pattern = go_clean(pattern)
        if len(pattern) > 1 and pattern[0] == "/":
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern


def _new_pattern(pattern: str, line: int) -> IgnorePattern:
    """patternmatcher.New on one ReadAll pattern (it trims and cleans once more)."""
    pattern = go_clean(pattern.strip(_GO_SPACE))
    exclusion = pattern[0] == "!"
    if exclusion:
        if len(pattern) == 1:
            raise BadPattern('illegal exclusion pattern: "!" (an exception needs a pattern)')
        pattern = pattern[1:]
    return IgnorePattern(pattern, exclusion, line)


# --------------------------------------------------------------------------- matching


# From this many patterns on, the engine indexes the patterns instead of following every
# one of them through every folder (which a generated file of 20,000 lines made take minutes).
_INDEXED_FROM: Final = 256
_FALLBACK: Final[frozenset[int]] = frozenset({-1})  # a pattern matched on whole paths
_DEAD: Final[frozenset[int]] = frozenset()


class _Engine:
    """MatchesUsingParentResults over an ignore file's patterns, plus the fast per-folder
    form a walker uses. Both follow the same Go code; tests check they agree."""

    def __init__(self, patterns: tuple[IgnorePattern, ...]):
        self.patterns = patterns
        self.matchers = tuple(p._matcher for p in patterns)
        self.exclusions = tuple(p.exclusion for p in patterns)
        self.programs = tuple(None if m.steps is None else _Program(m.steps) for m in self.matchers)
        self.rules: dict[tuple[bool, tuple[tuple[int, frozenset[int]], ...]], _FileRule] = {}
        exceptions = [p.text for p in patterns if p.exclusion]
        trimmed = [_without_trailing_glob(text) for text in exceptions]
        self.enter_all = any(_WILDCARD_CHARS.intersection(text) for text in trimmed)
        self.exception_prefixes = tuple(sorted(text + "/" for text in trimmed))

    def verdict(self, relpath: str) -> tuple[bool, int | None]:
        path = go_clean(relpath).lstrip("/")
        if path in (".", ""):
            return False, None  # "Don't let them exclude everything"
        parts = path.split("/")
        parent: tuple[bool, ...] = ()
        matched, decider = False, None
        for depth in range(1, len(parts) + 1):
            matched, parent, decider = self._matches("/".join(parts[:depth]), parent)
        return matched, decider

    def _matches(
        self, path: str, parent: tuple[bool, ...]
    ) -> tuple[bool, tuple[bool, ...], int | None]:
        """patternmatcher's MatchesUsingParentResults: (excluded, match info, deciding index).
        A path one level below the root has no parent information, as in fsutil."""
        matched, decider = False, None
        info: list[bool] = []
        for index, matcher in enumerate(self.matchers):
            match = bool(parent) and parent[index]
            if not match and self.exclusions[index] == matched:
                match = matcher.matches(path)
            info.append(match)
            if match:
                matched, decider = not self.exclusions[index], index
        return matched, tuple(info), decider

    def may_reinclude_under(self, folder: str) -> bool:
        return _may_reinclude_under(self.enter_all, self.exception_prefixes, folder)

    def root(self) -> FolderMatch:
        states = tuple(_FALLBACK if p is None else p.start for p in self.programs)
        return _NfaFolder(self, "", (False,) * len(self.patterns), states)

    def file_rule(self, sticky: tuple[bool, ...], states: tuple[frozenset[int], ...]) -> _FileRule:
        last = max((i for i, s in enumerate(sticky) if s), default=-1)
        default = last >= 0 and not self.exclusions[last]
        candidates: list[tuple[int, frozenset[int]]] = []
        for index in range(len(sticky) - 1, last, -1):
            program, state = self.programs[index], states[index]
            if program is None or (state and program.final_steps(state)):
                candidates.append((index, state))
        # The lowest candidates that would only confirm the default can never change it.
        while candidates and self.exclusions[candidates[-1][0]] != default:
            candidates.pop()
        key = (default, tuple(candidates))
        rule = self.rules.get(key)
        if rule is None:
            rule = self.rules[key] = _FileRule(self, default, key[1])
        return rule


def _may_reinclude_under(enter_all: bool, prefixes: tuple[str, ...], folder: str) -> bool:
    """fsutil's rule over the sorted exception prefixes: the ones starting with the folder
    sort right after it, so one bisection finds whether there is any."""
    if enter_all:
        return True
    folder_slash = go_clean(folder).lstrip("/") + "/"
    at = bisect.bisect_left(prefixes, folder_slash)
    return at < len(prefixes) and prefixes[at].startswith(folder_slash)


def _without_trailing_glob(text: str) -> str:
    """fsutil's patternWithoutTrailingGlob."""
    return text.removesuffix("/**").removesuffix("/*")


class _FileRule:
    """The verdicts for the files of folders in one matching state: one compiled regex over
    names when every live pattern reads component by component, else pattern by pattern."""

    def __init__(
        self, engine: _Engine, default: bool, candidates: tuple[tuple[int, frozenset[int]], ...]
    ):
        self.engine = engine
        self.default = default
        self.candidates = candidates
        self.fallback = any(state is _FALLBACK for _, state in candidates)
        self.regex: re.Pattern[str] | None = None
        self.verdicts: dict[str, bool] = {}
        # Literal endings every name must have to match at all: a cheap test before the regex.
        self.suffixes: tuple[str, ...] = ()
        if candidates and not self.fallback:
            groups, suffixes = [], []
            for index, state in candidates:
                program = engine.programs[index]
                assert program is not None
                steps = program.final_steps(state)
                groups.append(f"(?P<p{index}>{'|'.join(step.source for step in steps)})")
                suffixes += [step.suffix for step in steps]
                self.verdicts[f"p{index}"] = not engine.exclusions[index]
            self.regex = re.compile("|".join(groups))
            self.suffixes = tuple(suffixes) if all(suffixes) else ()
        self.single = len(set(self.verdicts.values())) == 1

    def verdicts_for(self, folder: str, names: Sequence[str]) -> list[bool]:
        if not self.candidates:
            return [self.default] * len(names)
        if self.regex is not None:
            fullmatch, default, suffixes = self.regex.fullmatch, self.default, self.suffixes
            if self.single and suffixes:
                return [
                    not default if name.endswith(suffixes) and fullmatch(name) else default
                    for name in names
                ]
            if self.single:
                return [default if fullmatch(name) is None else not default for name in names]
            verdicts = self.verdicts
            return [
                default if (m := fullmatch(name)) is None else verdicts[m.lastgroup or ""]
                for name in names
            ]
        return [self._slow(folder + name, name) for name in names]

    def _slow(self, path: str, name: str) -> bool:
        engine = self.engine
        for index, state in self.candidates:
            program = engine.programs[index]
            if program is None:
                hit = engine.matchers[index].matches(path)
            else:
                hit = program.end in program.advance(state, name)
            if hit:
                return not engine.exclusions[index]
        return self.default


class FolderMatch(Protocol):
    """How the ignore file judges the entries of one folder, as fsutil computes it while it
    walks: each folder carries its parent's match information (which patterns matched it)."""

    path: str  # relative to the context root, "" for the root, else ending in "/"

    # For each non-folder entry named in `names`: True when Docker leaves it out.
    def file_verdicts(self, names: Sequence[str]) -> list[bool]: ...

    # The verdict for the subfolder `name` (True: excluded) and its own FolderMatch.
    def enter(self, name: str) -> tuple[bool, FolderMatch]: ...


class _NfaFolder:
    """A FolderMatch that also carries, per pattern, how far the folder's path has come
    through the pattern, so a folder's files are judged by one regex over their names."""

    __slots__ = ("_engine", "_rule", "_states", "_sticky", "path")

    def __init__(
        self,
        engine: _Engine,
        path: str,
        sticky: tuple[bool, ...],
        states: tuple[frozenset[int], ...],
        rule: _FileRule | None = None,
    ):
        self._engine = engine
        self.path = path  # relative to the context root, "" for the root, else ending in "/"
        self._sticky = sticky
        self._states = states
        self._rule = rule

    def file_verdicts(self, names: Sequence[str]) -> list[bool]:
        if self._rule is None:
            self._rule = self._engine.file_rule(self._sticky, self._states)
        return self._rule.verdicts_for(self.path, names)

    def enter(self, name: str) -> tuple[bool, FolderMatch]:
        engine = self._engine
        path = self.path + name
        matched = False
        sticky: list[bool] = []
        states: list[frozenset[int]] = []
        for index, program in enumerate(engine.programs):
            state = self._states[index]
            match = self._sticky[index]
            if not match:
                if program is not None and state:
                    state = program.advance(state, name)
                if engine.exclusions[index] == matched:
                    if program is None:
                        match = engine.matchers[index].matches(path)
                    else:
                        match = program.end in state
            sticky.append(match)
            states.append(_DEAD if match else state)
            if match:
                matched = not engine.exclusions[index]
        child_sticky, child_states = tuple(sticky), tuple(states)
        if child_sticky == self._sticky and child_states == self._states:
            # Most folders leave every pattern where their parent did: share its file rule.
            return matched, _NfaFolder(engine, path + "/", self._sticky, self._states, self._rule)
        return matched, _NfaFolder(engine, path + "/", child_sticky, child_states)


# --------------------------------------------------------------------------- many patterns


class _Index:
    """Which patterns match a path, found without trying every pattern: each pattern is
    filed under a literal text every path it matches starts with (or ends with, or equals);
    a path looks up its own starts and ends of those lengths and tries only what it finds.
    Patterns with no such text are tried on every path, but first all at once by one
    regex, which says whether any of them can match."""

    def __init__(self, matchers: Sequence[_Matcher]):
        self.matchers = matchers
        self.exact: dict[str, list[int]] = {}
        self.prefixes: dict[str, list[int]] = {}
        self.suffixes: dict[str, list[int]] = {}
        others: list[int] = []
        for index, matcher in enumerate(matchers):
            if matcher.kind == _EXACT:
                self.exact.setdefault(matcher.literal, []).append(index)
                continue
            where, text = matcher.key
            table = {"prefix": self.prefixes, "suffix": self.suffixes}.get(where)
            if table is None or not text:
                others.append(index)
            else:
                table.setdefault(text, []).append(index)
        self.prefix_lengths = sorted({len(text) for text in self.prefixes})
        self.suffix_lengths = sorted({len(text) for text in self.suffixes})
        self.others = tuple(others)
        self.any_other = self._any_of(others)

    def _any_of(self, others: Sequence[int]) -> re.Pattern[str] | None:
        sources = []
        for index in others:
            matcher = self.matchers[index]
            if matcher.kind != _REGEXP:
                return None  # "**" or a bare prefix matches (nearly) everything anyway
            sources.append(to_python(matcher.items))
        return re.compile("|".join(f"(?:{source})" for source in sources)) if sources else None

    def matching(self, path: str) -> list[int]:
        """The indices of the patterns that match `path` (patternmatcher's Pattern.match)."""
        found = list(self.exact.get(path, ()))
        size = len(path)
        for length in self.prefix_lengths:
            if length > size:
                break
            found += self.prefixes.get(path[:length], ())
        for length in self.suffix_lengths:
            if length > size:
                break
            found += self.suffixes.get(path[size - length :], ())
        matchers = self.matchers
        hits = [index for index in found if matchers[index].matches(path)]
        # Every translated pattern starts with "^", so `match` asks what `search` would.
        if self.others and (self.any_other is None or self.any_other.match(path)):
            hits += [index for index in self.others if matchers[index].matches(path)]
        return hits


class _IndexedEngine:
    """MatchesUsingParentResults for many patterns. Only the patterns that match a path
    change anything, so the match information a folder hands down is kept as the set of
    patterns it holds (usually none), and the Go loop runs over the matching ones."""

    def __init__(self, patterns: tuple[IgnorePattern, ...]):
        self.exclusions = tuple(p.exclusion for p in patterns)
        self.index = _Index(tuple(p._matcher for p in patterns))
        trimmed = [_without_trailing_glob(p.text) for p in patterns if p.exclusion]
        self.enter_all = any(_WILDCARD_CHARS.intersection(text) for text in trimmed)
        self.exception_prefixes = tuple(sorted(text + "/" for text in trimmed))

    def step(self, path: str, parent: frozenset[int]) -> tuple[bool, frozenset[int], int | None]:
        """The Go loop over the patterns that matched the parent or match `path`, in order:
        (excluded, the match information for below `path`, deciding index)."""
        hits = sorted(parent.union(self.index.matching(path)))
        matched, decider, held = False, None, []
        for index in hits:
            # A pattern the parent held matches outright; another is evaluated only when
            # it would change the verdict so far (and is recorded only then).
            if index in parent or self.exclusions[index] == matched:
                matched, decider = not self.exclusions[index], index
                held.append(index)
        return matched, frozenset(held), decider

    def verdict(self, relpath: str) -> tuple[bool, int | None]:
        path = go_clean(relpath).lstrip("/")
        if path in (".", ""):
            return False, None  # "Don't let them exclude everything"
        parts = path.split("/")
        held: frozenset[int] = frozenset()
        matched, decider = False, None
        for depth in range(1, len(parts) + 1):
            matched, held, decider = self.step("/".join(parts[:depth]), held)
        return matched, decider

    def may_reinclude_under(self, folder: str) -> bool:
        return _may_reinclude_under(self.enter_all, self.exception_prefixes, folder)

    def root(self) -> FolderMatch:
        return _IndexedFolder(self, "", frozenset())


class _IndexedFolder:
    """A FolderMatch of `_IndexedEngine`: the folder's path and the patterns it holds."""

    __slots__ = ("_engine", "_held", "path")

    def __init__(self, engine: _IndexedEngine, path: str, held: frozenset[int]):
        self._engine = engine
        self.path = path
        self._held = held

    def file_verdicts(self, names: Sequence[str]) -> list[bool]:
        step, path, held = self._engine.step, self.path, self._held
        return [step(path + name, held)[0] for name in names]

    def enter(self, name: str) -> tuple[bool, FolderMatch]:
        path = self.path + name
        matched, held, _ = self._engine.step(path, self._held)
        return matched, _IndexedFolder(self._engine, path + "/", held)
