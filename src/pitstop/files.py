"""Writing files safely: every file pitstop writes appears whole or not at all, and a set of
files written together is written all or none."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError, last_read

# No file pitstop reads is legitimately this large; past it the file is refused, not read.
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_regular_file(path: Path, shown: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; PitstopError
    naming it as `shown` otherwise. A FIFO or device is refused without blocking on it."""
    last_read.set(shown)
    try:
        with open(path, "rb", opener=_open_nonblocking) as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise PitstopError("not a regular file; not read", path=shown)
            data = stream.read(limit + 1)
    except OSError as error:
        raise PitstopError(f"cannot read: {error.strerror or error}", path=shown) from None
    if len(data) > limit:
        raise PitstopError(f"larger than {limit // 2**20} MiB; not read", path=shown)
    return data


def read_text_file(path: Path, shown: str) -> str:
    """The UTF-8 text of a regular file (read_regular_file), line endings as they are, a
    byte-order mark dropped; PitstopError naming `shown` and the line of the first byte
    that is not UTF-8."""
    data = read_regular_file(path, shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 (byte 0x{data[error.start]:02x})"
        raise PitstopError(message, path=shown, line=line) from None


def read_head(path: Path, size: int) -> bytes | None:
    """The first `size` bytes of a regular file, None for anything else or when unreadable."""
    try:
        with open(path, "rb", opener=_open_nonblocking) as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            return stream.read(size)
    except OSError:
        return None


def _open_nonblocking(path: str, flags: int) -> int:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` (text is UTF-8, newlines as given) to `path` atomically."""
    staged = _stage(path, data.encode("utf-8") if isinstance(data, str) else data)
    try:
        os.replace(staged.temporary, staged.target)
    except BaseException:
        staged.discard()
        raise


@dataclass(frozen=True)
class _Staged:
    """New content written beside its target, waiting to be renamed over it."""

    target: Path
    temporary: Path
    previous: bytes | None  # the target's content before, None when it did not exist

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)


def write_all(writes: Sequence[tuple[Path, bytes]]) -> None:
    """Write several files as one change: every file is staged (written in full beside its
    target) before the first is replaced, and if any replacement fails, the files already
    replaced get their old content back. A symlink is written through, not replaced."""
    staged: list[_Staged] = []
    try:
        for path, data in writes:
            staged.append(_stage(path, data))
    except BaseException:
        for item in staged:
            item.discard()
        raise
    done: list[_Staged] = []
    try:
        for item in staged:
            os.replace(item.temporary, item.target)
            done.append(item)
    except BaseException:
        _roll_back(done)
        for item in staged[len(done) :]:
            item.discard()
        raise


def _roll_back(done: list[_Staged]) -> None:
    for item in reversed(done):
        if item.previous is None:
            item.target.unlink(missing_ok=True)
        else:
            write_atomic(item.target, item.previous)


def _stage(path: Path, data: bytes) -> _Staged:
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    previous = target.read_bytes() if target.is_file() else None
    if target.exists() and not target.is_file():
        raise PitstopError("not a regular file; not changed", path=str(path))
    if previous is not None and not os.access(target, os.W_OK):
        raise PitstopError("not writable; nothing was changed", path=str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise PitstopError(f"cannot write: {error.strerror or error}", path=str(path)) from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, _mode_for(target))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return _Staged(target, temporary, previous)


def _mode_for(target: Path) -> int:
    """The mode the target keeps, or, for a new file, what the user's umask gives."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
