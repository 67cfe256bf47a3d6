"""Facts cached by file content, so a warm run rescans only what changed.

Two kinds of facts are kept per content: the *scan* of every file (imports and literals,
`scan`), and the *syntax-tree facts* (`imports.parse_facts`) of the few files the selection
asked about. The cache is one JSON file: under `<root>/.pitstop/` (created with a
`.gitignore` of `*`, so git never sees it) or, when `PITSTOP_CACHE_DIR` is set, in that
folder under a name derived from the root's absolute path. Facts are keyed by the sha256 of
the file's bytes; a path's last (size, mtime, ctime, inode) remembers its digest, so an
unchanged file is not even read. As in git's index, a file whose mtime is within `RACY_NS`
of the moment the cache was taken is read and hashed again: it may have changed within the
clock's granularity.

A cache of another schema, or one that cannot be read or decoded, is discarded and rebuilt;
it is written atomically (`pitstop.files.write_atomic`), and only when something changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pitstop.files import prepare_state_folder, state_folder, write_atomic
from pitstop.impact.imports import FileFacts, Import, Kind, parse_facts
from pitstop.impact.importtime import Binding
from pitstop.impact.scan import ScanFacts, scan_facts
from pitstop.impact.tree import SourceTree

# Version 1: {"schema", "taken": ns, "paths": {path: [stat..., digest]},
#             "scan": {digest: encode_scan(...)}, "deep": {digest: encode_deep(...)}}.
# Bump on any change to ScanFacts, FileFacts or what the scanner or the parser extract, so
# stale facts are never read.
SCHEMA_VERSION = 4  # also bumped when what `imports.parse_facts` decides changes
RACY_NS = 2_000_000_000  # FAT and some network filesystems keep mtimes to 2 seconds
ENVIRONMENT = "PITSTOP_CACHE_DIR"
PARALLEL_FROM = 1000  # below this many files to scan, worker processes cost more than they save

Scanner = Callable[[bytes], ScanFacts]
Parser = Callable[[bytes], FileFacts]


def cache_file(root: Path) -> Path | None:
    """Where the cache of `root` lives (see the module docstring); None, no cache, when the
    repository's `.pitstop` is a symlink or not a folder: a committed link could send the
    cache's reads and writes anywhere on the machine."""
    folder = os.environ.get(ENVIRONMENT)
    if folder:
        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        return Path(folder) / f"affected-{digest}.json"
    own = state_folder(root)
    return own / "affected.json" if own is not None else None


@dataclass
class FactsStore:
    """The facts of the files of `tree`: from the cache when the content is known, else
    scanned or parsed. `path` None: no cache (`--no-cache`). `scanner` and `parser` are
    injectable so tests can count what is really read."""

    tree: SourceTree
    path: Path | None
    scanner: Scanner = scan_facts
    parser: Parser = parse_facts
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    _old: _Snapshot = field(init=False)
    _digests: dict[str, str] = field(default_factory=dict, init=False)
    _stats: dict[str, list[Any]] = field(default_factory=dict, init=False)
    _scans: dict[str, Any] = field(default_factory=dict, init=False)
    _deep: dict[str, Any] = field(default_factory=dict, init=False)
    _dirty: bool = field(default=False, init=False)
    _taken: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._old = _Snapshot.read(self.path)

    def python_files(self) -> list[str]:
        return self.tree.python_files()

    def digest(self, file: str) -> str | None:
        """The sha256 of `file`'s content as scanned (None: not a Python file scanned)."""
        return self._digests.get(file)

    def scan(self, files: list[str]) -> Mapping[str, ScanFacts]:
        """The scan of each of `files` that exists: from the cache when the stat or the
        content is known (decoded when first read), else scanned now."""
        self._taken = time.time_ns()
        entries: dict[str, Any] = {}
        unknown: list[tuple[str, tuple[int, ...]]] = []
        for file in files:
            stat = self.tree.stat(file)
            digest = self._old.digest(file, stat) if stat is not None else None
            if digest is not None and stat is not None:
                entries[file] = self._keep(file, stat, digest, self._old.scans[digest])
            elif stat is not None:
                unknown.append((file, stat))
        for file, stat, digest, encoded in self._read(unknown):
            known = self._old.scans.get(digest)
            entries[file] = self._keep(file, stat, digest, known or encoded)
            self._dirty |= known is None
        self._dirty |= self._stats != self._old.paths or not self._old.valid
        return _LazyScans(entries, self._rescan)

    def _keep(self, file: str, stat: tuple[int, ...], digest: str, encoded: Any) -> Any:
        self._digests[file] = digest
        self._stats[file] = [*stat, digest]
        self._scans[digest] = encoded
        return encoded

    def _rescan(self, file: str) -> ScanFacts:
        """A cached scan that does not decode: scan the file again and fix the entry."""
        facts = self.scanner(self.tree.read(file) or b"")
        self._scans[self._digests[file]] = encode_scan(facts)
        self._dirty = True
        return facts

    def _read(
        self, unknown: list[tuple[str, tuple[int, ...]]]
    ) -> Iterator[tuple[str, tuple[int, ...], str, Any]]:
        """(file, stat, digest, encoded scan) of the files the stat did not vouch for,
        in worker processes when there are many (a cold run)."""
        parallel = len(unknown) >= PARALLEL_FROM and self.workers > 1
        if not parallel or self.scanner is not scan_facts:
            scanned: dict[str, Any] = {}
            for file, stat in unknown:
                data = self.tree.read(file)
                if data is None:
                    continue
                digest = hashlib.sha256(data).hexdigest()
                encoded = self._old.scans.get(digest) or scanned.get(digest)
                if encoded is None:
                    encoded = scanned[digest] = encode_scan(self.scanner(data))
                yield file, stat, digest, encoded
            return
        # Imported here: a warm run scans in-process and need not load the pool machinery.
        from concurrent.futures import ProcessPoolExecutor

        stats = dict(unknown)
        chunks = [list(stats)[i :: self.workers * 4] for i in range(self.workers * 4)]
        with ProcessPoolExecutor(self.workers) as pool:
            for results in pool.map(_scan_chunk, [self.tree] * len(chunks), chunks):
                for file, digest, encoded in results:
                    yield file, stats[file], digest, encoded

    def deep(self, file: str) -> FileFacts:
        """The syntax-tree facts of `file` (one that `scan` saw), parsed on first use."""
        digest = self._digests.get(file)
        cached = self._old.deep_facts(digest) if digest else None
        if cached is not None:
            self._deep[digest] = self._old.deep[digest]  # type: ignore[index]
            return cached
        # the scan has the imports and literals: keep the same facts cached or fresh
        facts = replace(self.parser(self.tree.read(file) or b""), imports=(), strings=())
        if digest:
            self._deep[digest] = encode_deep(facts)
            self._dirty = True
        return facts

    def save(self) -> None:
        """Write the cache when anything changed (atomically; a failure only costs time)."""
        if self.path is None or not self._dirty:
            return
        deep = {d: e for d, e in {**self._old.deep, **self._deep}.items() if d in self._scans}
        document = {
            "schema": SCHEMA_VERSION,
            "taken": self._taken,
            "paths": self._stats,
            "scan": self._scans,
            "deep": deep,
        }
        try:
            prepare_state_folder(self.path.parent)
            write_atomic(self.path, json.dumps(document, separators=(",", ":")))
        except OSError:
            pass


def _scan_chunk(tree: SourceTree, files: list[str]) -> list[tuple[str, str, Any]]:
    """A worker's share of a cold run: read, hash and scan (results travel as plain lists)."""
    results = []
    for file in files:
        data = tree.read(file)
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            results.append((file, digest, encode_scan(scan_facts(data))))
    return results


class _LazyScans(Mapping[str, ScanFacts]):
    """Scans by path, decoded from the cache's lists on first access."""

    def __init__(self, entries: dict[str, Any], rescan: Callable[[str], ScanFacts]) -> None:
        self._entries = entries
        self._rescan = rescan

    def __getitem__(self, file: str) -> ScanFacts:
        entry = self._entries[file]
        if isinstance(entry, ScanFacts):
            return entry
        try:
            facts = decode_scan(entry)
        except (ValueError, TypeError, KeyError):
            facts = self._rescan(file)
        self._entries[file] = facts
        return facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class _Snapshot:
    """The cache file as read: empty (and not `valid`) when missing, corrupt or outdated."""

    valid: bool = False
    taken: int = 0
    paths: dict[str, list[Any]] = field(default_factory=dict)
    scans: dict[str, Any] = field(default_factory=dict)
    deep: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path | None) -> _Snapshot:
        if path is None:
            return cls()
        try:
            data = json.loads(_read_cache(path))
            if type(data) is not dict or data.get("schema") != SCHEMA_VERSION:
                return cls()
            paths, scans, deep = (_mapping(data[key]) for key in ("paths", "scan", "deep"))
            if not all(_is_stat_entry(entry) for entry in paths.values()):
                return cls()
            return cls(True, _count(data["taken"]), paths, scans, deep)
        # RecursionError: JSON nested past Python's limit; the rest: any shape but ours
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return cls()

    def digest(self, file: str, stat: tuple[int, ...]) -> str | None:
        """The digest recorded for `file` if its stat is unchanged and not racy."""
        entry = self.paths.get(file)
        if not entry or entry[:-1] != list(stat) or stat[1] >= self.taken - RACY_NS:
            return None
        digest = entry[-1]
        return digest if isinstance(digest, str) and digest in self.scans else None

    def deep_facts(self, digest: str) -> FileFacts | None:  # None: parse the file again
        try:
            return decode_deep(self.deep[digest])
        except (KeyError, ValueError, TypeError):
            return None


MAX_CACHE_BYTES = 512 * 1024 * 1024  # Django's cache is ~10 MB; past this, it is not ours


def _read_cache(path: Path) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise OSError("not a regular file")
    with open(path, "rb") as stream:
        data = stream.read(MAX_CACHE_BYTES + 1)
    if len(data) > MAX_CACHE_BYTES:
        raise ValueError("cache too large")
    return data


def _mapping(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError("cache of the wrong shape")
    return value


def _is_stat_entry(entry: Any) -> bool:
    """[size, mtime, ctime, inode, digest]: what DiskTree.stat gives, and the digest."""
    return (
        type(entry) is list
        and len(entry) >= 2
        and all(type(part) is int for part in entry[:-1])
        and type(entry[-1]) is str
    )


_KINDS = {kind.value: kind for kind in Kind}


def _encode_imports(imports: tuple[Import, ...]) -> list[Any]:
    return [[i.module, i.level, list(i.names), i.kind.value, i.line] for i in imports]


def _decode_imports(data: Any) -> tuple[Import, ...]:
    found = []
    for item in _list(data):
        module, level, names, kind, line = _list(item, 5)
        found.append(Import(_str(module), _count(level), _strs(names), _KINDS[kind], _count(line)))
    return tuple(found)


def encode_scan(facts: ScanFacts) -> list[Any]:
    return [_encode_imports(facts.imports), list(facts.strings), facts.reexport_candidate]


def decode_scan(data: Any) -> ScanFacts:
    """A cached scan; TypeError (or KeyError) for anything that is not one, so a cache of
    the wrong shape is scanned again instead of believed."""
    imports, strings, candidate = _list(data, 3)
    return ScanFacts(_decode_imports(imports), _strs(strings), _bool(candidate))


# The cache is a file anyone can edit or damage: every value is checked for its type.
def _list(value: Any, length: int | None = None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise TypeError("cache entry of the wrong shape")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("cache entry of the wrong shape")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(_str(item) for item in _list(value))


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise TypeError("cache entry of the wrong shape")
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError("cache entry of the wrong shape")
    return value


def encode_deep(facts: FileFacts) -> list[Any]:
    return [
        [[b.name, b.module, b.level, b.attr, b.chain] for b in facts.bindings],
        facts.reexport,
        facts.lazy,
        facts.passive,
        list(facts.active),
        facts.skeleton,
        facts.error,
        list(facts.constants),
        [[module, attrs] for module, attrs in facts.attributes],
        list(facts.bases),
    ]


def decode_deep(data: Any) -> FileFacts:
    """The syntax-tree facts as cached: without the imports and literals (the scan has them).
    TypeError for anything of the wrong shape (see decode_scan)."""
    bindings, reexport, lazy, passive, active, skeleton, error, constants, attributes, bases = (
        _list(data, 10)
    )
    return FileFacts(
        bindings=tuple(_binding(item) for item in _list(bindings)),
        reexport=_bool(reexport),
        lazy=_bool(lazy),
        passive=_bool(passive),
        active=_strs(active),
        skeleton=_str(skeleton),
        error=_optional_str(error),
        constants=_strs(constants),
        attributes=tuple(_attribute(item) for item in _list(attributes)),
        bases=_strs(bases),
    )


def _binding(item: Any) -> Binding:
    name, module, level, attr, chain = _list(item, 5)
    return Binding(_str(name), _str(module), _count(level), _optional_str(attr), _bool(chain))


def _attribute(item: Any) -> tuple[str, tuple[str, ...] | None]:
    module, attrs = _list(item, 2)
    return _str(module), None if attrs is None else _strs(attrs)
