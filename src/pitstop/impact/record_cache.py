"""What the recording read from each repository file, kept by content for the next session.

At the end of a recorded session every file that ran is parsed for its functions' digests
and its skeleton (`impact.functions`); on a small suite that costs as much as the tests'
own work. An unchanged file gives the same answer, so it is kept by the sha256 of the
file's bytes, in `<root>/.pitstop/record.json` (the folder git-ignored, see
`files.prepare_state_folder`) or, when `PITSTOP_CACHE_DIR` is set, in that folder under a
name derived from the root's path.

The file lies in the repository: it is read as untrusted JSON. One of another schema, of
another Python (its syntax trees, hence its digests, differ), of the other backend (the
skeleton depends on it), larger than `MAX_BYTES`, or of any shape but ours, is ignored as a
whole; an entry that does not check out is parsed again. Only the entries of the files this
session read are written back, atomically, and only when they changed: it never grows past
one repository's files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from pitstop.files import prepare_state_folder, state_folder, write_atomic
from pitstop.impact.functions import Block, Blocks

# Version 1: {"schema": 1, "python": "3.12.1", "lambdas": bool,
#             "files": {sha256: {"blocks": [[qualname, first, body, end, digest,
#                                            function, anonymous], ...], "skeleton": str}}}
# Bump whenever `functions.blocks_from_tree` or `functions.recorded_skeleton` give other
# values for the same text, so that stale digests are never read.
SCHEMA_VERSION = 1
ENVIRONMENT = "PITSTOP_CACHE_DIR"
MAX_BYTES = 64 * 1024 * 1024  # a repository's worth of entries is a few MB
_MAX_LINE = 10**8
_MAX_TEXT = 4096  # a qualified name, a digest or a skeleton digest


class RecordCache:
    """The entries of one recording: those read back, and those this session used."""

    def __init__(self, path: Path | None, *, lambdas: bool) -> None:
        self.path = path
        self.key = {"python": _python(), "lambdas": lambdas}
        self._old = _load(path, self.key)
        self._new: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, root: Path, *, lambdas: bool) -> RecordCache:
        return cls(cache_file(root), lambdas=lambdas)

    def get(self, sha256: str) -> tuple[Blocks, str] | None:
        """The blocks and recorded skeleton of a file with this content, if kept."""
        entry = self._old.get(sha256)
        decoded = _decode(entry) if entry is not None else None
        if decoded is not None:
            self._new[sha256] = entry  # type: ignore[assignment]
        return decoded

    def put(self, sha256: str, blocks: Blocks, skeleton: str) -> None:
        rows = [
            [b.qualname, b.first, b.body, b.end, b.digest, b.function, b.anonymous]
            for b in blocks.blocks
        ]
        self._new[sha256] = {"blocks": rows, "skeleton": skeleton}

    def save(self) -> None:
        """Write this session's entries back, if they differ from what was read. A cache
        that cannot be written is no error: the next session parses again."""
        if self.path is None or self._new == self._old:
            return
        document = {"schema": SCHEMA_VERSION, **self.key, "files": self._new}
        try:
            prepare_state_folder(self.path.parent)
            write_atomic(self.path, json.dumps(document, separators=(",", ":")))
        except OSError:
            pass


def cache_file(root: Path) -> Path | None:
    """Where the cache of `root` lives; None (no cache) when the repository's `.pitstop` is
    a symlink or not a folder."""
    folder = os.environ.get(ENVIRONMENT)
    if folder:
        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        return Path(folder) / f"record-{digest}.json"
    own = state_folder(root)
    return own / "record.json" if own is not None else None


def _python() -> str:
    return f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}"


def _load(path: Path | None, key: dict[str, Any]) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
            return {}
        data = json.loads(path.read_bytes())
    # RecursionError: JSON nested past Python's limit; the rest: unreadable or not JSON
    except (OSError, ValueError, RecursionError):
        return {}
    if type(data) is not dict or data.get("schema") != SCHEMA_VERSION:
        return {}
    if any(data.get(name) != value for name, value in key.items()):
        return {}
    files = data.get("files")
    return files if type(files) is dict else {}


def _decode(entry: Any) -> tuple[Blocks, str] | None:
    """An entry as blocks and a skeleton; None when it is not exactly of our shape."""
    if type(entry) is not dict or not _text(entry.get("skeleton")):
        return None
    rows = entry.get("blocks")
    if type(rows) is not list:
        return None
    blocks = [_block(row) for row in rows]
    if any(block is None for block in blocks):
        return None
    return Blocks([b for b in blocks if b is not None]), entry["skeleton"]


def _block(row: Any) -> Block | None:
    if type(row) is not list or len(row) != 7:
        return None
    qualname, first, body, end, digest, function, anonymous = row
    lines = (first, body, end)
    if not (_text(qualname) and _text(digest)):
        return None
    if not all(type(n) is int and 0 <= n <= _MAX_LINE for n in lines):
        return None
    if type(function) is not bool or type(anonymous) is not bool:
        return None
    return Block(qualname, first, body, end, digest, function, anonymous)


def _text(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= _MAX_TEXT
