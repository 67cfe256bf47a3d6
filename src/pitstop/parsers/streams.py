"""Streaming reads of CI outputs too large for files.read_regular_file's size cap: only
regular files are opened (a FIFO is refused, never waited on), and lines are read bounded."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from pitstop.errors import PitstopError, last_read

LINE_BYTES = 64 * 1024  # a longer line is cut here: no log line pitstop reads needs more


def open_regular(path: Path, shown: str) -> IO[bytes]:
    """`path` opened for binary reading if it is a regular file; PitstopError otherwise."""
    last_read.set(shown)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise PitstopError(f"cannot read: {error.strerror or error}", path=shown) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise PitstopError("not a regular file; not read", path=shown)
    return os.fdopen(descriptor, "rb")


def bounded_lines(
    stream: IO[bytes], limit: int = LINE_BYTES, digest: Digest | None = None
) -> Iterator[bytes]:
    """The lines of `stream`, each cut to `limit` bytes (the rest of a longer line is read
    and dropped), so one endless line cannot fill the memory. `digest`, if given, is fed
    every byte read, the dropped ones too: read to the end, it is the file's own digest,
    of the bytes that were parsed (no second read that could see another file)."""
    update = digest.update if digest is not None else None
    while line := stream.readline(limit):
        if update is not None:
            update(line)
        if len(line) == limit and not line.endswith(b"\n"):
            while rest := stream.readline(limit):
                if update is not None:
                    update(rest)
                if rest.endswith(b"\n"):
                    break
        yield line


class Digest(Protocol):
    """A hashlib object, as far as the readers use it."""

    def update(self, data: bytes, /) -> None: ...
