"""The build context as Docker sends it: which files, how many bytes, and what they are.

What is sent follows BuildKit, the builder behind `docker build` and `docker buildx build`:

- The ignore file is `<Dockerfile>.dockerignore` beside the Dockerfile when it exists, else
  `.dockerignore` at the context root (moby/buildkit `frontend/dockerui`).
- The client's file sender (tonistiigi/fsutil `filter.go`) walks the context with the
  ignore patterns and nothing else: unlike the classic builder, whose CLI added
  `!.dockerignore` and `!<Dockerfile>` (docker/cli `TrimBuildFilesFromExcludes`) and whose
  daemon then removed them again, BuildKit reads the Dockerfile and the ignore file through
  a separate channel. An excluded Dockerfile or `.dockerignore` is therefore not in the
  context (`COPY . .` does not copy it), and neither is counted here.
- Symbolic links are never followed: a link is sent as a link, and its size is what
  `lstat` reports (the length of its target), as fsutil's `mkstat` records it. A link to a
  folder is a file to the ignore patterns, and a link loop cannot hang the walk.
- A second hard link to a file already sent goes as a link of size 0 (fsutil
  `setUnixOpt`); the first in Go's walk order (names sorted per folder) keeps the size.
- An excluded folder is entered only when an exception could bring something below it back
  (`IgnoreFile.may_reinclude_under`, fsutil's rule); otherwise it is pruned unread.
- A folder Docker must read but cannot makes the build fail ("error from sender: ...
  permission denied"); inside an excluded folder fsutil ignores the error. Here the first
  becomes an `InputProblem` and the second is skipped. A name that is not valid UTF-8 is an
  `InputProblem` too (Docker would send it; pitstop cannot name it in a report), and it is
  left out of the files and bytes.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Final, NamedTuple, cast

from pitstop.model import InputProblem
from pitstop.parsers.gopath import go_clean, go_glob_regex
from pitstop.parsers.ignore import FolderMatch, IgnoreFile
from pitstop.review.context_records import (
    ContextFile,
    ContextSummary,
    ContextTree,
    FolderSize,
    Miss,
)

__all__ = ["ContextFile", "ContextSummary", "ContextTree", "FolderSize", "Miss"]

_PROGRESS_EVERY: Final = 1000
# (category, claimed folder or file, suggested pattern): how missed_by_ignore groups a file.
_Claim = tuple[str, str, str]
LARGE_FILE_BYTES: Final = 10 * 1000 * 1000  # 10 MB, SI like every size pitstop prints


# --------------------------------------------------------------------------- ignore file


def ignore_file_candidates(dockerfile: str, context: str) -> tuple[str, str]:
    """Where BuildKit looks for the ignore file, in order: `<dockerfile>.dockerignore`
    beside the Dockerfile, then `<context>/.dockerignore` (repository-relative paths)."""
    return f"{dockerfile}.dockerignore", f"{context}/.dockerignore" if context else ".dockerignore"


def effective_ignore_file(tree_root: Path, context: str, dockerfile: str | None) -> str | None:
    """The ignore file BuildKit applies to `context` built with `dockerfile` (both relative to
    `tree_root`, with `/`), as found on disk; relative to `tree_root`."""
    return choose_ignore_file(context, dockerfile, lambda path: (tree_root / path).is_file())


def choose_ignore_file(
    context: str, dockerfile: str | None, exists: Callable[[str], bool]
) -> str | None:
    """BuildKit's precedence: the first of `ignore_file_candidates` that `exists`, or None.
    A Dockerfile read from stdin (`-`) has no file beside it."""
    named = _relative(dockerfile) if dockerfile and dockerfile != "-" else ""
    beside, default = ignore_file_candidates(named, _relative(context))
    if named and exists(beside):
        return beside
    return default if exists(default) else None


def _relative(path: str) -> str:
    cleaned = go_clean(path).lstrip("/")
    return "" if cleaned == "." else cleaned


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


# --------------------------------------------------------------------------- the walk


def walk_context(
    root: Path,
    ignore: IgnoreFile | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ContextTree:
    """Walk the context folder `root` as BuildKit's sender does (see the module docstring).

    `progress`, when given, is called with the number of files found so far, now and then
    and once at the end."""
    walk = _Walk(os.fspath(root), ignore, progress)
    walk.run()
    return walk.tree()


class _Folder(NamedTuple):
    prefix: str  # relative path ending in "/" ("" for the root): where its files sort
    match: FolderMatch | None
    excluded: bool
    claim: _Claim | None = None  # what an ancestor folder was claimed as (missed_by_ignore)


_by_path = itemgetter(0)
_new_tuple = tuple.__new__


class _Walk:
    """One walk over an explicit stack, so deep trees cannot exhaust recursion.

    The stack holds folders still to read and files waiting for their turn. A folder's files
    and subfolders are sorted together by `path` and `prefix` (everything below a subfolder
    sorts right where "name/" does); the files before the first subfolder go straight out,
    the rest wait on the stack. Files so come out sorted by path with no sort over the whole
    tree, which would cost a third of the walk on large trees."""

    def __init__(self, top: str, ignore: IgnoreFile | None, progress: Callable[[int], None] | None):
        self.top = top
        self.ignore = ignore
        self.progress = progress
        self.files: list[ContextFile] = []
        self.bytes = 0
        self.problems: list[InputProblem] = []
        self.pruned = 0
        self.links: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
        self.summary = _Summary()

    def run(self) -> None:
        files, progress, reported = self.files, self.progress, 0
        root = _Folder("", None if self.ignore is None else self.ignore.root(), False)
        stack: list[ContextFile | _Folder] = [root]
        while stack:
            item = stack.pop()
            if type(item) is ContextFile:
                files.append(item)
                continue
            assert isinstance(item, _Folder)
            listed = self._list(item)
            if listed is None:
                continue
            kept = self._kept_files(item, *listed[:2])
            claim = self.summary.add_folder(item, kept)
            subfolders = list(self._enter(item, listed[2], claim))
            if subfolders:
                batch: list[ContextFile | _Folder] = [*kept, *subfolders]
                batch.sort(key=_by_path)
                first = next(i for i, entry in enumerate(batch) if type(entry) is _Folder)
                files.extend(cast(list[ContextFile], batch[:first]))  # files before folders
                stack.extend(reversed(batch[first:]))
            else:
                kept.sort(key=_by_path)
                files.extend(kept)
            if progress is not None and len(files) - reported >= _PROGRESS_EVERY:
                reported = len(files)
                progress(reported)
        if progress is not None:
            progress(len(files))

    def _list(self, folder: _Folder) -> tuple[list[os.DirEntry[str]], list[str], list[str]] | None:
        """(entries that are not folders, their names, folder names); None if unreadable."""
        entries: list[os.DirEntry[str]] = []
        names: list[str] = []
        subfolders: list[str] = []
        try:
            with os.scandir(os.path.join(self.top, folder.prefix)) as listing:
                for entry in listing:
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.name)
                    else:
                        entries.append(entry)
                        names.append(entry.name)
        except OSError as error:
            if not folder.excluded and not isinstance(error, FileNotFoundError):
                self._problem(folder.prefix.rstrip("/") or ".", _unreadable(error))
            return None
        return entries, names, subfolders

    def _kept_files(
        self, folder: _Folder, entries: list[os.DirEntry[str]], names: list[str]
    ) -> list[ContextFile]:
        if folder.match is None:
            verdicts: Iterable[bool] = itertools.repeat(False)
        else:
            verdicts = folder.match.file_verdicts(names)
        kept: list[ContextFile] = []
        keep, new, prefix, total = kept.append, _new_tuple, folder.prefix, 0
        for entry, name, excluded in zip(entries, names, verdicts, strict=False):
            if excluded:
                continue
            if not name.isascii() and not _is_utf8(name):
                self._problem(_printable(prefix + name), _NOT_UTF8)
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed while walking; fsutil skips it too
            except OSError as error:
                self._problem(prefix + name, _unreadable(error))
                continue
            size = status.st_size
            if status.st_nlink > 1:
                self.links[(status.st_dev, status.st_ino)].append(prefix + name)
            keep(new(ContextFile, (prefix + name, size)))
            total += size
        self.bytes += total
        return kept

    def _enter(self, folder: _Folder, names: list[str], claim: _Claim | None) -> Iterator[_Folder]:
        for name in names:
            excluded, match = False, None
            if folder.match is not None:
                excluded, match = folder.match.enter(name)
            path = folder.prefix + name
            if not name.isascii() and not _is_utf8(name):
                if not excluded:
                    self._problem(_printable(path), _NOT_UTF8)
                continue
            if excluded and not (self.ignore and self.ignore.may_reinclude_under(path)):
                self.pruned += 1
                continue
            yield _Folder(path + "/", match, excluded, claim)

    def _problem(self, path: str, message: str) -> None:
        self.problems.append(InputProblem(path, message))

    def tree(self) -> ContextTree:
        files, total = self.files, self.bytes
        summary: ContextSummary | None = self.summary.result()
        if any(len(paths) > 1 for paths in self.links.values()):
            files = _share_hard_links(files, self.links)
            total = sum(size for _, size in files)
            summary = None  # sizes changed after the walk: summarised from the files instead
        problems = sorted(self.problems, key=lambda p: p.path)
        tree = ContextTree(tuple(files), total, tuple(problems), self.pruned)
        if summary is None:
            summary = summarize(tree)
        return ContextTree(tree.files, total, tree.problems, self.pruned, summary)


def _share_hard_links(
    files: list[ContextFile], links: dict[tuple[int, int], list[str]]
) -> list[ContextFile]:
    """Size 0 for every hard link but the first in Go's walk order (per-folder name order)."""
    later: set[str] = set()
    for paths in links.values():
        if len(paths) > 1:
            later.update(sorted(paths, key=lambda path: path.split("/"))[1:])
    return [file._replace(size=0) if file.path in later else file for file in files]


_NOT_UTF8: Final = (
    "the name is not valid UTF-8; Docker sends it, pitstop leaves it out of the figures"
)


def _unreadable(error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"cannot read this ({reason}); Docker fails the build with 'error from sender'"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: str) -> str:
    """A path with undecodable bytes shown as escapes, so reports can print it."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- analysis


def summarize(tree: ContextTree) -> ContextSummary:
    """The summary of `tree` computed from its files (a walk gathers the same on its way)."""
    folders = tuple(FolderSize(*row) for row in _largest_from_files(tree, 1, None))
    return ContextSummary(folders, tuple(_missed_from_files(tree)))


def largest_folders(
    tree: ContextTree, depth: int = 1, top: int | None = 10
) -> list[tuple[str, int, int]]:
    """The `top` folders holding the most bytes, cut at `depth` levels below the context root:
    (folder, bytes, files), largest first. Files at the root belong to no folder."""
    if depth == 1 and tree.summary is not None:
        return [tuple(row) for row in tree.summary.folders[:top]]  # type: ignore[misc]
    return _largest_from_files(tree, depth, top)


def _largest_from_files(
    tree: ContextTree, depth: int, top: int | None
) -> list[tuple[str, int, int]]:
    totals: dict[str, list[int]] = {}
    for path, size in tree.files:
        parts = path.split("/")
        if len(parts) == 1:
            continue
        folder = "/".join(parts[: min(depth, len(parts) - 1)])
        entry = totals.setdefault(folder, [0, 0])
        entry[0] += size
        entry[1] += 1
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [(folder, size, count) for folder, (size, count) in ranked[:top]]


class _FolderRule(NamedTuple):
    category: str
    names: frozenset[str]
    top_level_only: bool


VCS, VIRTUALENVS, NODE_MODULES, CACHES = "VCS data", "virtualenvs", "node_modules", "caches"
BUILD_OUTPUTS, TESTS, DOCS, BINARIES = "build outputs", "tests", "docs", "large binaries"

# Checked in this order; the first rule that claims a folder claims everything below it.
_FOLDER_RULES: Final = (
    _FolderRule(VCS, frozenset({".git", ".hg", ".svn"}), False),
    _FolderRule(VIRTUALENVS, frozenset({".venv", "venv"}), False),
    _FolderRule(NODE_MODULES, frozenset({"node_modules"}), False),
    _FolderRule(
        CACHES,
        frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}),
        False,
    ),
    _FolderRule(BUILD_OUTPUTS, frozenset({"dist", "build", "htmlcov"}), True),
    _FolderRule(TESTS, frozenset({"tests", "test"}), True),
    _FolderRule(DOCS, frozenset({"docs"}), True),
)
_ARCHIVES: Final = (".zip", ".tar", ".tgz", ".tbz2", ".txz", ".gz", ".bz2", ".xz", ".zst", ".7z")
_MEDIA: Final = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".mp3", ".wav", ".flac", ".ogg")
_MODELS: Final = (
    ".pt",
    ".pth",
    ".ckpt",
    ".safetensors",
    ".onnx",
    ".h5",
    ".hdf5",
    ".tflite",
    ".gguf",
    ".joblib",
)
_BINARY_EXTENSIONS: Final = frozenset(_ARCHIVES + _MEDIA + _MODELS)
# Every ending _file_claim can claim below the size limit (lower case: a superset).
_FILE_ENDINGS: Final = _BINARY_EXTENSIONS | {".pyc", ".md"}
_PATTERN_SPECIALS: Final = frozenset("\\*?[]^")
_GO_SPACE_ENDS: Final = " \t\n\v\f\r\x85\xa0"


def missed_by_ignore(tree: ContextTree) -> list[Miss]:
    """What the ignore file lets through that an image rarely needs, by category, each with
    Docker patterns that would exclude it. A file is claimed once: the outermost folder rule
    (a virtualenv, `node_modules`, ...) takes everything below it before the file rules
    (`*.pyc`, `*.md`, archives, files of 10 MB or more). `dist`, `build`, `htmlcov`, `tests`,
    `test` and `docs` count only at the root: deeper, such folders are often source packages.
    README files at the root are never flagged (packaging often reads them): Markdown below
    the root is matched by `*/**/*.md`, other Markdown at the root by name."""
    if tree.summary is not None:
        return list(tree.summary.missed)
    return _missed_from_files(tree)


def _missed_from_files(tree: ContextTree) -> list[Miss]:
    venvs = {path[: -len("/pyvenv.cfg")] for path, _ in tree.files if path.endswith("/pyvenv.cfg")}
    groups: defaultdict[tuple[str, str], defaultdict[str, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for path, size in tree.files:
        claim = _folder_claim(path, venvs) or _file_claim(path, size)
        if claim is not None:
            category, claimed, pattern = claim
            groups[(category, pattern)][claimed] += size
    return _misses(groups)


def _misses(groups: Mapping[tuple[str, str], Mapping[str, int]]) -> list[Miss]:
    ordered = sorted(groups.items(), key=lambda item: (_CATEGORIES.index(item[0][0]), item[0][1]))
    return [
        Miss(category, tuple(sorted(claimed)), sum(claimed.values()), pattern)
        for (category, pattern), claimed in ordered
    ]


_CATEGORIES: Final = (VCS, VIRTUALENVS, NODE_MODULES, CACHES, BUILD_OUTPUTS, TESTS, DOCS, BINARIES)


def _is_root_readme(path: str) -> bool:
    return "/" not in path and path.upper().startswith("README") and path.endswith(".md")


def _folder_claim(path: str, venvs: set[str]) -> _Claim | None:
    """(category, claimed folder, pattern) for the outermost rule-matching folder of `path`."""
    parts = path.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        claim = _claim_of_folder(folder, parts[depth - 1], depth, folder in venvs)
        if claim is not None:
            return claim
    return None


def _claim_of_folder(folder: str, name: str, depth: int, is_venv: bool) -> _Claim | None:
    """The rule that claims `folder` itself (its last component `name`, `depth` levels
    below the root; `is_venv`: it holds a `pyvenv.cfg` that is sent), if any."""
    if is_venv and name not in (".venv", "venv"):
        return VIRTUALENVS, folder, _literal_pattern(folder)
    for rule in _FOLDER_RULES:
        if name in rule.names and not (rule.top_level_only and depth > 1):
            return rule.category, folder, name if depth == 1 else f"**/{name}"
    if name.endswith(".egg-info"):
        return BUILD_OUTPUTS, folder, "**/*.egg-info"
    return None


class _Summary:
    """The context summary, gathered one folder listing at a time during the walk: a folder
    a rule claims adds its bytes in one step, and only files no folder rule claims are
    looked at one by one. Gives what `summarize` computes from the files afterwards."""

    def __init__(self) -> None:
        self.folders: dict[str, list[int]] = {}
        self.groups: defaultdict[tuple[str, str], defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )

    def add_folder(self, folder: _Folder, kept: list[ContextFile]) -> _Claim | None:
        """Count the files sent from `folder`; the claim its subfolders inherit."""
        prefix, claim = folder.prefix, folder.claim
        total = sum(size for _, size in kept)
        if prefix:
            if claim is None:
                claim = self._own_claim(prefix[:-1], kept)
            if kept:
                entry = self.folders.setdefault(prefix[: prefix.index("/")], [0, 0])
                entry[0] += total
                entry[1] += len(kept)
        if claim is not None:
            if kept:
                self.groups[(claim[0], claim[2])][claim[1]] += total
            return claim
        groups, start, large, endings = self.groups, len(prefix), LARGE_FILE_BYTES, _FILE_ENDINGS
        for path, size in kept:
            name = path[start:]
            # Most files are none of _file_claim's kinds: a cheap test before the full one.
            ending = name[name.rfind(".") :].lower()
            if size < large and ending not in endings and not name.startswith(".coverage"):
                continue
            found = _file_claim(path, size)
            if found is not None:
                groups[(found[0], found[2])][found[1]] += size
        return None

    @staticmethod
    def _own_claim(folder: str, kept: list[ContextFile]) -> _Claim | None:
        name = folder.rsplit("/", 1)[-1]
        is_venv = any(path.endswith("/pyvenv.cfg") for path, _ in kept)
        return _claim_of_folder(folder, name, folder.count("/") + 1, is_venv)

    def result(self) -> ContextSummary:
        ranked = sorted(self.folders.items(), key=lambda item: (-item[1][0], item[0]))
        folders = tuple(FolderSize(folder, size, count) for folder, (size, count) in ranked)
        return ContextSummary(folders, tuple(_misses(self.groups)))


def _file_claim(path: str, size: int) -> _Claim | None:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".pyc"):
        return CACHES, path, "**/*.pyc"
    if name == ".coverage" or name.startswith(".coverage."):
        return BUILD_OUTPUTS, path, "**/.coverage*"
    if name.endswith(".md") and not _is_root_readme(path):
        return DOCS, path, "*/**/*.md" if "/" in path else _literal_pattern(path)
    if size >= LARGE_FILE_BYTES:
        return BINARIES, path, _literal_pattern(path)
    extension = _extension(name)
    if extension.lower() in _BINARY_EXTENSIONS:
        # Docker patterns are case-sensitive: the pattern keeps the file's own spelling.
        return BINARIES, path, f"**/*{_literal_pattern(extension)}"
    return None


def _extension(name: str) -> str:
    return name[name.rfind(".") :] if "." in name.lstrip(".") else ""


def _literal_pattern(path: str) -> str:
    """An ignore line that matches exactly `path`: wildcards and `^` escaped, a leading `#`
    or `!` escaped; a line break, or white space at either end (which Docker trims), becomes
    `?`, which matches any one character but "/"."""
    escaped = "".join("\\" + c if c in _PATTERN_SPECIALS else c for c in path)
    escaped = escaped.replace("\n", "?")
    if escaped[:1] in ("#", "!"):
        escaped = "\\" + escaped
    if escaped[:1] in _GO_SPACE_ENDS:
        escaped = "?" + escaped[1:]
    if escaped[-1:] in _GO_SPACE_ENDS:
        escaped = escaped[:-1] + "?"
    return escaped


# --------------------------------------------------------------------------- COPY sources


def used_by_copy(tree: ContextTree, sources: Sequence[str]) -> set[str]:
    """The context files that COPY or ADD `sources` (relative to the context) would copy.

    BuildKit cleans each source under the context root (`..` cannot leave it), splits it at
    the first path component with a wildcard, and matches the rest with Go's
    `filepath.Match` against every path below the fixed part; a matching folder is copied
    whole (fsutil `copy.ResolveWildcards`). A source Go cannot parse matches nothing."""
    paths = [path for path, _ in tree.files]
    used: set[str] = set()
    for source in sources:
        used.update(_copied(paths, source))
    return used


def _copied(paths: list[str], source: str) -> Iterable[str]:
    spec = go_clean("/" + source).lstrip("/")
    if not spec:
        return paths
    fixed, wildcard = _split_wildcards(spec)
    if not wildcard:
        return (p for p in paths if p == fixed or p.startswith(fixed + "/"))
    regex = go_glob_regex(wildcard)
    if regex is None:
        return ()
    base = fixed + "/" if fixed else ""
    return (p for p in paths if p.startswith(base) and _any_prefix(regex, p[len(base) :]))


def _any_prefix(regex: re.Pattern[str], relative: str) -> bool:
    """Whether `relative` or one of its folders matches: resolveWildcards' walk copies a
    matching folder whole."""
    parts = relative.split("/")
    return any(regex.fullmatch("/".join(parts[:k])) for k in range(1, len(parts) + 1))


def _split_wildcards(spec: str) -> tuple[str, str]:
    """fsutil's splitWildcards: the components before the first one with a wildcard, and
    the rest."""
    parts = spec.split("/")
    for index, part in enumerate(parts):
        if _contains_wildcards(part):
            return "/".join(parts[:index]), "/".join(parts[index:])
    return spec, ""


def _contains_wildcards(name: str) -> bool:
    i = 0
    while i < len(name):
        if name[i] == "\\":
            i += 2
            continue
        if name[i] in "*?[":
            return True
        i += 1
    return False
