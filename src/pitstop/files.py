"""Reading and writing files safely: only regular files of bounded size are read; every
file pitstop writes appears whole or not at all, and a set of files written together is
written all or none, even across a kill (a journal at the root lets the next run finish
what a killed one started)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pitstop.errors import PitstopError, last_read

# No file pitstop reads is legitimately this large; past it the file is refused, not read.
MAX_FILE_BYTES = 10 * 1024 * 1024
# pitstop's own folder in a repository: caches, the history database.
STATE_FOLDER = ".pitstop"
HISTORY_FILE = "history.db"  # the default history database, in the state folder
# The journal of a --fix in progress, at the root; it exists only while files are written
# (or after a kill), so a fix leaves nothing new in a build context.
JOURNAL = ".pitstop-fix-journal.json"
_JOURNAL_VERSION = 1


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


def file_sha256(path: Path, shown: str) -> str:
    """The sha256 of a regular file of any size, read in chunks; PitstopError naming `shown`
    for anything else."""
    last_read.set(shown)
    try:
        with open(path, "rb", opener=_open_nonblocking) as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise PitstopError("not a regular file; not read", path=shown)
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as error:
        raise PitstopError(f"cannot read: {error.strerror or error}", path=shown) from None


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


def state_folder(root: Path) -> Path | None:
    """`root`'s `.pitstop` folder (it may not exist yet); None when it is a symlink or not a
    folder: a committed link could send pitstop's reads and writes anywhere on the machine."""
    own = root / STATE_FOLDER
    if own.is_symlink() or (own.exists() and not own.is_dir()):
        return None
    return own


def prepare_state_folder(folder: Path) -> None:
    """Create `folder`; a `.pitstop` folder gets a `.gitignore` of `*`, so git never sees it."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if folder.name == STATE_FOLDER and not ignore.exists():
        write_atomic(ignore, "# pitstop's own files: never committed\n*\n")


def write_all(writes: Sequence[tuple[Path, bytes]], *, root: Path | None = None) -> None:
    """Write several files as one change: every file is staged (written in full beside its
    target) before the first is replaced, and if any replacement fails, the files already
    replaced get their old content back. A symlink is written through, not replaced.

    With `root`, every target must lie inside it, and the change survives a kill: a journal
    at the root (JOURNAL) names the files being staged, then, once all are staged, the
    renames to do, so `finish_interrupted` discards a half-staged change or completes a
    half-renamed one. It is removed when the change is done."""
    planned = _one_write_per_file(writes, root)
    token = os.urandom(8).hex()
    targets = [target for target, _, _ in planned]
    if root is not None:
        _save_journal(root, token, targets, None)
    staged: list[_Staged] = []
    try:
        for target, path, data in planned:
            temporary = _journal_temporary(target, token) if root is not None else None
            staged.append(_stage(path, data, temporary))
        if root is not None:
            digests = [hashlib.sha256(data).hexdigest() for _, _, data in planned]
            _save_journal(root, token, targets, digests)
    except BaseException:
        for item in staged:
            item.discard()
        _forget(root)
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
        _forget(root)
        raise
    _forget(root)


def finish_interrupted(root: Path) -> str | None:
    """Finish a write_all that a kill interrupted in `root`: a change killed while staging is
    discarded (no file had changed yet), one killed while renaming is completed. What was
    done, in a sentence, or None when nothing was pending. PitstopError when the journal is
    not one pitstop wrote or the files no longer match it (nothing is changed then)."""
    journal = root / JOURNAL
    for orphan in root.glob(f".{JOURNAL}.*.tmp"):  # killed while writing the journal itself
        orphan.unlink(missing_ok=True)
    if not journal_left(root):
        return None
    shown = str(journal.relative_to(root))
    token, paths, digests = _load_journal(journal, shown)
    targets = [_inside(root / path, root, shown) for path in paths]
    temporaries = [_journal_temporary(target, token) for target in targets]
    if digests is None:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        journal.unlink()
        return f"discarded an interrupted --fix that had changed no file ({shown})"
    pending = []
    for target, temporary, digest in zip(targets, temporaries, digests, strict=True):
        source = temporary if temporary.is_file() else target
        if not source.is_file() or _digest(source) != digest:
            problem = f"{target.relative_to(root)} changed since the interrupted --fix"
            raise PitstopError(f"{problem}; check `git status`, then delete it", path=shown)
        if source is temporary:
            pending.append((temporary, target))
    for temporary, target in pending:
        os.replace(temporary, target)
    journal.unlink()
    return f"finished an interrupted --fix: {len(pending)} of {len(targets)} file(s) written"


def _one_write_per_file(
    writes: Sequence[tuple[Path, bytes]], root: Path | None
) -> list[tuple[Path, Path, bytes]]:
    """(target, path, data) of each file `writes` change, once: two paths to one file (a
    symlink and its target) must bring the same bytes, else PitstopError and nothing is
    written."""
    chosen: dict[str, tuple[Path, Path, bytes]] = {}
    for path, data in writes:
        target = _target(path, root)
        key = os.path.realpath(target)
        if key in chosen and chosen[key][2] != data:
            raise PitstopError("two different changes to one file through a link", path=str(path))
        chosen.setdefault(key, (target, path, data))
    return list(chosen.values())


def journal_left(root: Path) -> bool:
    """Whether a killed write_all left its journal in `root` (False when unreadable: the
    review reports that)."""
    try:
        os.lstat(root / JOURNAL)
    except OSError:
        return False
    return True


def _target(path: Path, root: Path | None) -> Path:
    """The file a write to `path` replaces: a symlink's target (inside `root` when given)."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    return _inside(target, root, str(path)) if root is not None else target


def _inside(path: Path, root: Path, shown: str) -> Path:
    if not inside_root(path, root):
        raise PitstopError(f"{path.name} lies outside the repository; not written", path=shown)
    return path


def inside_root(path: Path, root: Path) -> bool:
    """Whether `path`, symlinks followed, lies under `root`."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def refuse_outside(path: Path, root: Path) -> Path:
    """`path`, a file found in the repository at `root`; PitstopError naming it when a
    symlink leads it out of the repository (pitstop reads nothing outside it)."""
    if not inside_root(path, root):
        raise PitstopError("symlink points outside the repository; not followed", path=str(path))
    return path


def _journal_temporary(target: Path, token: str) -> Path:
    return target.parent / f".{target.name}.pitstop-{token}.tmp"


def _save_journal(root: Path, token: str, targets: list[Path], digests: list[str] | None) -> None:
    real = Path(os.path.realpath(root))
    files = [str(Path(os.path.realpath(t.parent)).relative_to(real) / t.name) for t in targets]
    state = {"version": _JOURNAL_VERSION, "token": token, "files": files, "sha256": digests}
    write_atomic(root / JOURNAL, json.dumps(state, indent=1) + "\n")


def _load_journal(journal: Path, shown: str) -> tuple[str, list[str], list[str] | None]:
    """The token, files and digests of a journal; PitstopError when it is not one pitstop
    wrote (it is read as hostile input: a repository could commit one)."""
    state = None
    if not journal.is_symlink():
        with contextlib.suppress(ValueError, RecursionError):
            state = json.loads(read_regular_file(journal, shown, limit=1024 * 1024))
    token = state.get("token") if isinstance(state, dict) else None
    files = state.get("files") if isinstance(state, dict) else None
    digests = state.get("sha256") if isinstance(state, dict) else None
    valid = (
        isinstance(state, dict)
        and state.get("version") == _JOURNAL_VERSION
        and isinstance(token, str)
        and len(token) == 16
        and all(c in "0123456789abcdef" for c in token)
        and isinstance(files, list)
        and all(isinstance(f, str) and f and not os.path.isabs(f) for f in files)
        and (
            digests is None
            or (
                isinstance(digests, list)
                and len(digests) == len(files)
                and all(isinstance(d, str) for d in digests)
            )
        )
    )
    if not valid:
        raise PitstopError("not a journal this pitstop wrote; delete it", path=shown)
    return token, files, digests  # type: ignore[return-value]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _forget(root: Path | None) -> None:
    """Remove the journal of a change that is done (or undone)."""
    if root is not None:
        (root / JOURNAL).unlink(missing_ok=True)


def _roll_back(done: list[_Staged]) -> None:
    for item in reversed(done):
        if item.previous is None:
            item.target.unlink(missing_ok=True)
        else:
            write_atomic(item.target, item.previous)


def _stage(path: Path, data: bytes, temporary: Path | None = None) -> _Staged:
    """`data` written in full beside `path`'s target, in `temporary` if given (created, never
    overwritten), else in a fresh temporary file."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    previous = target.read_bytes() if target.is_file() else None
    if target.exists() and not target.is_file():
        raise PitstopError("not a regular file; not changed", path=str(path))
    if previous is not None and not os.access(target, os.W_OK):
        raise PitstopError("not writable; nothing was changed", path=str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if temporary is None:
            handle, name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            temporary = Path(name)
        else:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise PitstopError(f"cannot write: {error.strerror or error}", path=str(path)) from None
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
