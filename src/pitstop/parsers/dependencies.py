"""Python dependency declarations that name local paths, with where each is written.

A Docker build installs a project's dependencies inside the build context; a
dependency on `../packages/x` or `file:///Users/someone/x` cannot be satisfied there.
This module finds every such declaration in `pyproject.toml` (PEP 621, PEP 735
dependency groups, Poetry, uv) and in requirements files, decodes the path it names,
and says whether that path is absolute or the URL is malformed. It judges nothing else.

Paths stay as written; the caller resolves them, against different bases: pip and uv
take `-r`/`-c` includes relative to the including file, but `-e ../x`, `../x` and
`file:../x` relative to the directory the installer runs in
(https://github.com/pypa/pip/issues/8765, https://github.com/astral-sh/uv/pull/1421).

tomllib keeps no positions, so lines come from a light scan of the TOML text for
string literals (comments skipped, escapes decoded by tomllib itself); each value is
matched to the next unused literal with the same decoded text, starting at its table's
header, so repeated strings map to their occurrences in order.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from pitstop.errors import PitstopError
from pitstop.parsers.tomlfile import TomlFile, parse_toml


@dataclass(frozen=True)
class PathDependency:
    """A dependency on a local path, as declared.

    `kind` is one of "pep508-file-url", "poetry-path", "uv-source", "uv-workspace",
    "requirements-editable", "requirements-path", "requirements-file-url". `raw` is the
    path or URL exactly as written and `line`/`column` (1-based) point at it. `path` is
    the local path it names, percent-decoded (None when it names none, such as a URL
    with a host). `absolute` is true for paths that only exist on one machine: `/x`,
    `C:\\x`, `\\\\host\\share`, `~/x`, and every `file:///` URL, including
    `file:///../x`. `malformed` says what is wrong with a URL that does not mean what
    it appears to. `group` is the optional-dependency extra, dependency group or Poetry
    group (None for the main dependencies).
    """

    source: str
    line: int
    column: int
    name: str | None
    raw: str
    kind: str
    path: str | None
    absolute: bool
    malformed: str | None
    group: str | None


@dataclass(frozen=True)
class IncludedFile:
    """A `-r`/`--requirement` (or, with `constraint`, `-c`/`--constraint`) line: the
    path as written, relative to the including file's folder."""

    source: str
    line: int
    path: str
    constraint: bool = False


# --- Paths and file: URLs --------------------------------------------------------------


@dataclass(frozen=True)
class LocalPath:
    """What a path or `file:` URL names: the decoded path, whether absolute, what is wrong."""

    path: str | None
    absolute: bool
    malformed: str | None = None


_DRIVE = re.compile(r"^[A-Za-z]:")
_HATCH_ROOT = re.compile(r"^\{root((?::parent)*):uri\}(.*)$")


def is_absolute(path: str) -> bool:
    """Absolute on any platform a developer might have written it on.

    `~` counts: a home directory is as machine-specific as `/Users/x`.
    """
    return path.startswith(("/", "\\", "~")) or bool(_DRIVE.match(path))


def local_path(raw: str) -> LocalPath:
    """The local path that a path, a `file:` URL or Hatch's `{root:uri}` form names."""
    if raw[:5].lower() == "file:":
        return _file_url(raw)
    hatch = _HATCH_ROOT.match(raw)
    if hatch:  # {root:uri} is the project folder as a URL: what follows is relative to it
        parents = hatch.group(1).count(":parent")
        base = "/".join([".."] * parents) or "."
        return LocalPath(posixpath.normpath(base + "/" + hatch.group(2).lstrip("/")), False)
    return LocalPath(raw, is_absolute(raw))


def _file_url(raw: str) -> LocalPath:
    """Decode a `file:` URL as RFC 8089 and pip read it.

    `file:///p` and `file://localhost/p` name the absolute path `/p`; `file:p` (no
    slashes) is taken as relative by pip. `file://../x` has the host `..`, and
    `file:///../x` is absolute: `/..` is `/`, so it never means "the parent folder".
    """
    parts = urlsplit(raw)
    host, path = parts.netloc, unquote(parts.path)
    if host and host.lower() != "localhost":
        if _DRIVE.fullmatch(host):
            drive_path = host + path
            problem = (
                f"{raw}: the drive {host} is parsed as a host name; write file:///{drive_path}"
            )
            return LocalPath(drive_path, True, problem)
        problem = (
            f"{raw}: {host!r} is parsed as a host name, so this names {path or '/'!r} on the "
            f"machine {host!r}, not a local path"
        )
        return LocalPath(None, False, problem)
    if re.match(r"^/[A-Za-z]:([/\\]|$)", path):  # file:///C:/x is the Windows path C:/x
        path = path[1:]
    if host or path.startswith("/"):
        return LocalPath(path, True, _above_root(raw, path))
    return LocalPath(path, is_absolute(path))


def _above_root(raw: str, path: str) -> str | None:
    if not re.match(r"^/\.\.(/|$)", path):
        return None
    return (
        f"{raw} is an absolute URL: {path!r} starts at the root's parent, which is the root "
        f"itself, so it names {posixpath.normpath(path)!r}, not a folder beside this project"
    )


# --- Locating TOML strings -------------------------------------------------------------


@dataclass(frozen=True)
class _TomlString:
    start: int  # offset of the opening quote
    body: int  # offset of the first character inside the quotes
    end: int  # offset just past the closing quote
    value: str


def _toml_strings(text: str) -> list[_TomlString]:
    """Every string literal in a TOML document, keys included, comments skipped."""
    strings: list[_TomlString] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            end = _string_end(text, index + len(quote), quote)
            value = _decode_toml_string(text[index:end])
            if value is not None:
                strings.append(_TomlString(index, index + len(quote), end, value))
            index = end
        else:
            index += 1
    return strings


def _string_end(text: str, index: int, quote: str) -> int:
    escapes = quote[0] == '"'
    while index < len(text):
        if escapes and text[index] == "\\":
            index += 2
        elif text.startswith(quote, index):
            end = index + len(quote)
            while len(quote) == 3 and text.startswith(quote[0], end) and end - index < 5:
                end += 1  # up to two quotes may end a multi-line string's content
            return end
        elif len(quote) == 1 and text[index] == "\n":
            return index
        else:
            index += 1
    return len(text)


def _decode_toml_string(literal: str) -> str | None:
    try:
        value = tomllib.loads(f"v = {literal}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    return value if isinstance(value, str) else None


class _Locator:
    """Finds where each string value of a TOML document is written, each literal once."""

    def __init__(self, text: str):
        self._text = text
        self._strings = _toml_strings(text)
        self._used: set[int] = set()

    def find(self, value: str, raw: str, table: tuple[str, ...]) -> tuple[int, int]:
        """(line, column) of `raw` inside the next unused literal equal to `value`,
        looked for from `table`'s header on, then anywhere; (1, 1) if never found."""
        start = self._table_offset(table)
        candidates = [s for s in self._strings if s.start >= start] + self._strings
        for string in candidates:
            if string.value == value and string.start not in self._used:
                self._used.add(string.start)
                inside = self._text.find(raw, string.body, string.end)
                return self._position(inside if inside >= 0 else string.start)
        return 1, 1

    def _table_offset(self, table: tuple[str, ...]) -> int:
        if not table:
            return 0
        parts = r"\s*\.\s*".join(rf"[\"']?{re.escape(part)}[\"']?" for part in table)
        match = re.search(rf"^\s*\[\s*{parts}\s*\]", self._text, re.MULTILINE)
        return match.start() if match else 0

    def _position(self, offset: int) -> tuple[int, int]:
        line_start = self._text.rfind("\n", 0, offset) + 1
        return self._text.count("\n", 0, offset) + 1, offset - line_start + 1


# --- pyproject.toml --------------------------------------------------------------------


def parse_pyproject_dependencies(text: str, path: str) -> list[PathDependency]:
    """Every local-path dependency a pyproject.toml's text declares, in document order."""
    return pyproject_dependencies(parse_toml(text, path))


def pyproject_dependencies(pyproject: TomlFile) -> list[PathDependency]:
    """Every local-path dependency a decoded pyproject.toml declares, in document order;
    the file's problem (not TOML, not readable) as a PitstopError."""
    if pyproject.problem is not None:
        raise pyproject.problem
    document, path = pyproject.document, pyproject.path
    locator = _Locator(pyproject.text)
    found = [
        *_pep621(document, path, locator),
        *_poetry(document, path, locator),
        *_uv(document, path, locator),
    ]
    return sorted(found, key=lambda d: (d.line, d.column))


def _table(node: object, *keys: str) -> Mapping[str, Any]:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _pep621(document: Mapping[str, Any], path: str, locator: _Locator) -> Iterator[PathDependency]:
    """PEP 621 dependencies and extras, and PEP 735 dependency groups."""
    project = _table(document, "project")
    lists: list[tuple[str | None, tuple[str, ...], object]] = [
        (None, ("project",), project.get("dependencies"))
    ]
    for extra, items in _table(project, "optional-dependencies").items():
        lists.append((extra, ("project", "optional-dependencies"), items))
    for name, items in _table(document, "dependency-groups").items():
        lists.append((name, ("dependency-groups",), items))
    for group, table, items in lists:
        for requirement in _strings(items):
            dependency = _pep508_dependency(requirement, path, locator, table, group)
            if dependency is not None:
                yield dependency


def _pep508_dependency(
    text: str, path: str, locator: _Locator, table: tuple[str, ...], group: str | None
) -> PathDependency | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        line, _ = locator.find(text, text, table)
        reason = str(error).splitlines()[0]
        raise PitstopError(
            f"invalid requirement {text!r}: {reason}", path=path, line=line
        ) from None
    url = requirement.url
    if url is None or not _names_local_path(url):
        return None
    line, column = locator.find(text, url, table)
    return _dependency(path, line, column, requirement.name, url, "pep508-file-url", group)


def _names_local_path(url: str) -> bool:
    """A `file:` URL, Hatch's `{root:uri}`, or a bare path where a URL belongs."""
    return url[:5].lower() == "file:" or bool(_HATCH_ROOT.match(url)) or url.startswith((".", "/"))


def _dependency(
    source: str,
    line: int,
    column: int,
    name: str | None,
    raw: str,
    kind: str,
    group: str | None,
    local_raw: str | None = None,
) -> PathDependency:
    """The record for one path dependency; `local_raw` is what names the path, when `raw`
    carries more (a `#egg=` fragment in a requirements URL)."""
    local = local_path(raw if local_raw is None else local_raw)
    return PathDependency(
        source=source,
        line=line,
        column=column,
        name=name,
        raw=raw,
        kind=kind,
        path=local.path,
        absolute=local.absolute,
        malformed=local.malformed,
        group=group,
    )


def _poetry(document: Mapping[str, Any], path: str, locator: _Locator) -> Iterator[PathDependency]:
    """`{ path = "..." }` entries of Poetry's main, legacy dev and group dependency tables."""
    poetry = _table(document, "tool", "poetry")
    tables: list[tuple[str | None, tuple[str, ...]]] = [
        (None, ("tool", "poetry", "dependencies")),
        ("dev", ("tool", "poetry", "dev-dependencies")),
    ]
    for name in _table(poetry, "group"):
        tables.append((name, ("tool", "poetry", "group", name, "dependencies")))
    for group, keys in tables:
        for name, spec in _table(document, *keys).items():
            for entry in spec if isinstance(spec, list) else [spec]:
                yield from _path_entry(entry, name, "poetry-path", group, path, locator, keys)


def _path_entry(
    entry: object,
    name: str,
    kind: str,
    group: str | None,
    path: str,
    locator: _Locator,
    table: tuple[str, ...],
) -> Iterator[PathDependency]:
    raw = entry.get("path") if isinstance(entry, Mapping) else None
    if isinstance(raw, str):
        line, column = locator.find(raw, raw, table)
        yield _dependency(path, line, column, name, raw, kind, group)


def _uv(document: Mapping[str, Any], path: str, locator: _Locator) -> Iterator[PathDependency]:
    """uv's `[tool.uv.sources]` path entries and `[tool.uv.workspace]` member globs."""
    table = ("tool", "uv", "sources")
    for name, spec in _table(document, *table).items():
        for entry in spec if isinstance(spec, list) else [spec]:
            yield from _path_entry(entry, name, "uv-source", None, path, locator, table)
    workspace = ("tool", "uv", "workspace")
    for member in _strings(_table(document, *workspace).get("members")):
        line, column = locator.find(member, member, workspace)
        yield _dependency(path, line, column, None, member, "uv-workspace", None)


# --- requirements files ----------------------------------------------------------------

_COMMENT = re.compile(r"(^|\s+)#.*$")
_INCLUDES = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_EDITABLE = ("-e", "--editable")
_PEP508_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ARCHIVE = re.compile(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar)$", re.IGNORECASE)
_EXTRAS = re.compile(r"\[[^\]]*\]$")


@dataclass(frozen=True)
class _LogicalLine:
    """A requirements line with continuations joined, comment removed, and where each
    joined piece came from, so an offset in `text` maps back to a line and column."""

    text: str
    pieces: tuple[tuple[int, int], ...]  # (offset in text, file line), in order

    @property
    def line(self) -> int:
        return self.pieces[0][1]

    def position(self, offset: int) -> tuple[int, int]:
        start, line = next((s, n) for s, n in reversed(self.pieces) if s <= offset)
        return line, offset - start + 1


class Requirements(NamedTuple):
    """What a pip requirements file declares, as pitstop reads it."""

    dependencies: list[PathDependency]  # the local-path requirements
    includes: list[IncludedFile]  # the `-r` and `-c` lines
    names: frozenset[str]  # every requirement's distribution name, normalised (PEP 503)


def parse_requirements(text: str, path: str) -> Requirements:
    """The local-path requirements, included files and requirement names of a pip
    requirements file.

    Follows pip's reading: `\\` joins lines, `#` after whitespace starts a comment,
    per-requirement options (`--hash`) and environment markers are dropped.
    """
    dependencies: list[PathDependency] = []
    includes: list[IncludedFile] = []
    names: set[str] = set()
    for logical in _logical_lines(text):
        stripped = logical.text.strip()
        if not stripped:
            continue
        if stripped.startswith("-"):
            _option_line(logical, path, dependencies, includes)
        else:
            dependency, name = _requirement_line(logical, stripped, path)
            if dependency is not None:
                dependencies.append(dependency)
            if name is not None:
                names.add(normalized_name(name))
    return Requirements(dependencies, includes, frozenset(names))


def normalized_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: `Foo_Bar.baz` is `foo-bar-baz`."""
    return _SEPARATORS.sub("-", name).lower()


_SEPARATORS = re.compile(r"[-_.]+")


def _logical_lines(text: str) -> Iterator[_LogicalLine]:
    pieces: list[tuple[int, int]] = []
    joined = ""
    for number, line in enumerate(text.splitlines(), start=1):
        pieces.append((len(joined), number))
        if line.endswith("\\") and not _COMMENT.match(line):
            joined += line[:-1]
            continue
        joined += line
        yield _LogicalLine(_COMMENT.sub("", joined), tuple(pieces))
        pieces, joined = [], ""
    if pieces:
        yield _LogicalLine(_COMMENT.sub("", joined), tuple(pieces))


def _option_line(
    logical: _LogicalLine,
    path: str,
    dependencies: list[PathDependency],
    includes: list[IncludedFile],
) -> None:
    option, value = _option(logical.text)
    if option in _INCLUDES and value:
        includes.append(IncludedFile(path, logical.line, value, constraint=_INCLUDES[option]))
    elif option in _EDITABLE and value and _is_local(value):
        dependencies.append(_located(logical, value, "requirements-editable", path))


def _option(text: str) -> tuple[str, str]:
    """The option of an option line and its value: `-r x`, `-rx`, `--requirement=x`.

    Words split on whitespace, not with shlex as pip does: shlex drops the backslashes
    of `-e C:\\Users\\x`, and the path is wanted as written.
    """
    words = [word.strip("\"'") for word in text.split()]
    first = words[0] if words else ""
    if first.startswith("--") and "=" in first:
        option, _, value = first.partition("=")
        return option, value
    for short in ("-r", "-c", "-e"):
        if first.startswith(short) and len(first) > 2 and not first.startswith("--"):
            return short, first[2:]
    return first, words[1] if len(words) > 1 else ""


def _is_local(location: str) -> bool:
    """A path or a `file:` URL, as opposed to a VCS or remote URL."""
    return location[:5].lower() == "file:" or not _URL_SCHEME.match(location)


def _requirement_line(
    logical: _LogicalLine, stripped: str, path: str
) -> tuple[PathDependency | None, str | None]:
    """The line's local-path dependency, if it names one, and its distribution name, if it
    gives one (`name @ url` and plain requirements do; a bare path or URL does not)."""
    requirement = _without_options(stripped)
    if _PEP508_URL.match(requirement):
        return _requirement_url(logical, requirement, path)
    location = _without_markers(requirement)
    if location[:5].lower() == "file:":
        return _located(logical, location, "requirements-file-url", path), None
    if _URL_SCHEME.match(location):
        return None, None  # a remote archive or VCS URL
    if _looks_like_path(location):
        return _located(logical, location, "requirements-path", path), None
    return None, _checked_requirement(requirement, path, logical.line)


def _requirement_url(
    logical: _LogicalLine, text: str, path: str
) -> tuple[PathDependency | None, str]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        raise PitstopError(
            f"invalid requirement {text!r}: {reason}", path=path, line=logical.line
        ) from None
    url = requirement.url
    if url is None or not _names_local_path(url):
        return None, requirement.name
    return _located(logical, url, "pep508-file-url", path, requirement.name), requirement.name


def _checked_requirement(text: str, path: str, line: int) -> str:
    """The distribution name of a PEP 508 requirement; PitstopError naming the line when
    pip would refuse it."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text).name
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        raise PitstopError(
            f"invalid requirement {text!r}: {reason}", path=path, line=line
        ) from None


def _without_options(text: str) -> str:
    """The requirement before its per-requirement options, split as pip splits them."""
    words = text.split(" ")
    for index, word in enumerate(words):
        if index and word.startswith("-"):
            return " ".join(words[:index]).strip()
    return text


def _without_markers(text: str) -> str:
    """A path or URL without its `; marker`: pip wants whitespace before the `;` of a URL."""
    return re.split(r"\s;|;\s", text, maxsplit=1)[0].strip()


def _looks_like_path(location: str) -> bool:
    return (
        location.startswith((".", "/", "\\", "~"))
        or "/" in location
        or "\\" in location
        or bool(_DRIVE.match(location))
        or bool(_ARCHIVE.search(location))
    )


def _located(
    logical: _LogicalLine, location: str, kind: str, path: str, name: str | None = None
) -> PathDependency:
    """A dependency on `location` (extras dropped, `#egg=` read for the name)."""
    raw = _EXTRAS.sub("", location)
    if name is None:
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        name = egg.group(1) if egg else None
    offset = logical.text.find(raw)
    line, column = logical.position(max(offset, 0))
    local_raw = raw.split("#", 1)[0] if kind != "requirements-path" else raw
    return _dependency(path, line, column, name, raw, kind, None, local_raw)
