"""Profiles, one model for four formats: weights per stack of frames (root first).

- collapsed stacks (`frame;frame;frame COUNT` a line: `py-spy record --format raw`,
  Brendan Gregg's stackcollapse scripts); py-spy writes a frame as `func (file.py:12)`;
- speedscope JSON as py-spy writes it (`--format speedscope`: "sampled" profiles);
- pyinstrument's JSON (`pyinstrument -r json`): a tree of frames with inclusive times;
- cProfile/pstats files (`python -m cProfile -o FILE`), read with `pstats.Stats`.

The format is told from the content: binary data (a NUL byte, or marshal's dict code
first) is a pstats file, text starting with `{` is JSON (speedscope or pyinstrument by its
keys), any other text is collapsed stacks.

What a weight is, per format (the analysis compares shares, weight / total weight):
- collapsed stacks and speedscope: samples, counted; `observations` = the samples.
- pyinstrument: seconds of self time per stack (pyinstrument weights each sample by the time
  since the previous one); `observations` = its `sample_count`.
- cProfile: milliseconds of `tottime` per function, with no stacks (cProfile keeps callers,
  not stacks: each function is a one-frame stack) and `cumtime` kept beside as the
  inclusive figure; `observations` = the total milliseconds, as if a 1 kHz sampler had
  taken one sample a millisecond (the assumption the z-test then rests on: see
  pitstop.perf.profile).
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pitstop.errors import PitstopError
from pitstop.parsers.jsonfile import load_json
from pitstop.parsers.streams import open_regular

TEXT_BYTES = 256 * 2**20  # collapsed stacks are read streaming, line by line
JSON_BYTES = 64 * 2**20  # JSON and pstats files are read whole: their decoded form is larger
LINE_BYTES = 2**20  # a 1000-deep Python stack with long paths fits in well under this
MAX_DEPTH = 10_000  # frames in one stack
MAX_STACKS = 2_000_000  # distinct stacks in one profile

# py-spy's frame: `name (file:line)`; the name may hold spaces and parentheses.
_PY_SPY_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")
# py-spy writes a sample with no Python frame (start-up) as a count alone: an empty stack.
_COLLAPSED_LINE = re.compile(r"^(?:(?P<stack>.*\S)\s+)?(?P<count>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Frame:
    """A function as the profiler named it; `file` is "" and `line` None when not written."""

    name: str
    file: str
    line: int | None


Stack = tuple[Frame, ...]  # root first


@dataclass(frozen=True)
class Profile:
    """One profile: weights per stack, and what a weight is (`unit`)."""

    path: str  # as given, for messages and reports
    source: str  # the format: "collapsed", "speedscope", "pyinstrument", "cprofile"
    unit: str  # "samples", "seconds" or "ms"
    stacks: Mapping[Stack, float]
    observations: float  # the n of the z-test (see the module docstring, per format)
    inclusive: Mapping[Frame, float] | None = None  # cProfile's cumtime (ms); else None

    @property
    def total(self) -> float:
        return sum(self.stacks.values())


def read_profile(path: Path, shown: str) -> Profile:
    """The profile in `path`, its format told from its content; PitstopError (with the line
    for text and JSON) on anything else."""
    with open_regular(path, shown) as stream:
        head = stream.read(4096)
        # marshal writes a pstats dict as 0xfb ("{" with its reference flag) and small ints
        # with NUL bytes; text profiles hold neither (a non-UTF-8 text file is then text,
        # and its error names the line).
        binary = b"\0" in head or head.startswith(b"\xfb")
        if not binary and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return _json_profile(_bounded_read(stream, head, shown), shown)
        if not binary:
            return _collapsed(_lines(stream, shown), shown)
        data = _bounded_read(stream, head, shown)
    return read_pstats(data, shown)


def _bounded_read(stream: IO[bytes], head: bytes, shown: str) -> bytes:
    data = head + stream.read(max(JSON_BYTES + 1 - len(head), 0))
    if len(data) > JSON_BYTES:
        raise PitstopError(f"larger than {JSON_BYTES // 2**20} MiB; not read", path=shown)
    return data


def _lines(stream: IO[bytes], shown: str) -> Iterator[bytes]:
    """The lines of `stream` (a regular file, read again from its start), bounded in
    length and in total."""
    stream.seek(0)
    read = 0
    while line := stream.readline(LINE_BYTES + 1):
        read += len(line)
        if read > TEXT_BYTES:
            raise PitstopError(f"larger than {TEXT_BYTES // 2**20} MiB; not read", path=shown)
        if len(line) > LINE_BYTES:
            raise PitstopError(f"a line longer than {LINE_BYTES // 2**20} MiB", path=shown)
        yield line


# -- collapsed stacks ---------------------------------------------------------------------


def _collapsed(lines: Iterator[bytes], shown: str) -> Profile:
    stacks: dict[Stack, float] = {}
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise PitstopError("not UTF-8", path=shown, line=number) from None
        if not text or text.startswith("#"):
            continue
        stack, count = _collapsed_line(text, shown, number)
        stacks[stack] = stacks.get(stack, 0.0) + count
        _check_count(stacks, shown)
    if not stacks:
        message = "no stack in the profile (expected `frame;frame COUNT` lines)"
        raise PitstopError(message, path=shown)
    total = sum(stacks.values())
    return Profile(shown, "collapsed", "samples", stacks, total)


def _collapsed_line(text: str, shown: str, number: int) -> tuple[Stack, float]:
    found = _COLLAPSED_LINE.match(text)
    if found is None:
        message = "not a collapsed stack: expected `frame;frame;frame COUNT`"
        raise PitstopError(message, path=shown, line=number)
    if found["stack"] is None:
        return (), float(found["count"])
    names = found["stack"].split(";")
    if len(names) > MAX_DEPTH:
        raise PitstopError(f"a stack deeper than {MAX_DEPTH} frames", path=shown, line=number)
    return tuple(_collapsed_frame(name) for name in names), float(found["count"])


def _collapsed_frame(text: str) -> Frame:
    found = _PY_SPY_FRAME.match(text)
    if found is None:
        return Frame(text, "", None)
    return Frame(found["name"], found["file"], int(found["line"]))


def _check_count(stacks: Mapping[Stack, float], shown: str) -> None:
    if len(stacks) > MAX_STACKS:
        raise PitstopError(f"more than {MAX_STACKS:,} distinct stacks; not read", path=shown)


# -- JSON: speedscope and pyinstrument ----------------------------------------------------


def _json_profile(data: bytes, shown: str) -> Profile:
    document = load_json(data, shown)
    if isinstance(document, dict) and "root_frame" in document:
        return _pyinstrument(document, shown)
    if isinstance(document, dict) and "profiles" in document and "shared" in document:
        return _speedscope(document, shown)
    message = "JSON but not a profile pitstop reads (speedscope or pyinstrument's -r json)"
    raise PitstopError(message, path=shown)


def _speedscope(document: dict[str, Any], shown: str) -> Profile:
    frames = _speedscope_frames(document["shared"], shown)
    profiles = document["profiles"]
    if not isinstance(profiles, list):
        raise PitstopError("speedscope: `profiles` is not a list", path=shown)
    stacks: dict[Stack, float] = {}
    for index, profile in enumerate(profiles):
        for sample in _speedscope_samples(profile, index, shown):
            stack = _speedscope_stack(sample, frames, index, shown)
            stacks[stack] = stacks.get(stack, 0.0) + 1.0
            _check_count(stacks, shown)
    if not stacks:
        raise PitstopError("speedscope: no sample in any profile", path=shown)
    return Profile(shown, "speedscope", "samples", stacks, sum(stacks.values()))


def _speedscope_frames(shared: object, shown: str) -> list[Frame]:
    frames = shared.get("frames") if isinstance(shared, dict) else None
    if not isinstance(frames, list):
        raise PitstopError("speedscope: `shared.frames` is not a list", path=shown)
    return [_speedscope_frame(frame, index, shown) for index, frame in enumerate(frames)]


def _speedscope_frame(frame: object, index: int, shown: str) -> Frame:
    if not isinstance(frame, dict) or not isinstance(frame.get("name"), str):
        raise PitstopError(f"speedscope: frame {index} has no name", path=shown)
    file, line = frame.get("file"), frame.get("line")
    return Frame(
        frame["name"],
        file if isinstance(file, str) else "",
        line if isinstance(line, int) and not isinstance(line, bool) else None,
    )


def _speedscope_samples(profile: object, index: int, shown: str) -> list[Any]:
    if not isinstance(profile, dict) or profile.get("type") != "sampled":
        kind = profile.get("type") if isinstance(profile, dict) else None
        message = f"speedscope: profile {index} is {kind!r}; only sampled profiles are read"
        raise PitstopError(message, path=shown)
    samples = profile.get("samples")
    if not isinstance(samples, list):
        raise PitstopError(f"speedscope: profile {index} has no sample list", path=shown)
    return samples


def _speedscope_stack(sample: object, frames: list[Frame], index: int, shown: str) -> Stack:
    valid = (
        isinstance(sample, list)
        and len(sample) <= MAX_DEPTH
        and all(type(i) is int and 0 <= i < len(frames) for i in sample)
    )
    if not valid:
        message = f"speedscope: profile {index} has a sample that is not a list of frame indexes"
        raise PitstopError(message, path=shown)
    assert isinstance(sample, list)
    return tuple(frames[i] for i in sample)


def _pyinstrument(document: dict[str, Any], shown: str) -> Profile:
    count = document.get("sample_count")
    if type(count) is not int or count < 1:
        raise PitstopError("pyinstrument: no `sample_count`", path=shown)
    stacks: dict[Stack, float] = {}
    pending: list[tuple[Stack, object]] = [((), document["root_frame"])]
    while pending:
        parent, node = pending.pop()
        frame, time, children = _pyinstrument_node(node, shown)
        stack = (*parent, frame)
        if len(stack) > MAX_DEPTH:
            raise PitstopError(f"pyinstrument: a stack deeper than {MAX_DEPTH}", path=shown)
        own = time
        for child in children:
            child_frame, child_time, _ = _pyinstrument_node(child, shown)
            if child_frame.name.startswith("[self]"):
                continue  # pyinstrument's node for its parent's self time: left in `own`
            own -= child_time
            pending.append((stack, child))
        if own > 0:
            stacks[stack] = stacks.get(stack, 0.0) + own
            _check_count(stacks, shown)
    if not stacks:
        raise PitstopError("pyinstrument: the profile holds no time", path=shown)
    return Profile(shown, "pyinstrument", "seconds", stacks, float(count))


def _pyinstrument_node(node: object, shown: str) -> tuple[Frame, float, list[object]]:
    if not isinstance(node, dict):
        raise PitstopError("pyinstrument: a frame is not an object", path=shown)
    name, time, children = node.get("function"), node.get("time"), node.get("children", [])
    line = node.get("line_no")
    file = node.get("file_path")
    if not isinstance(name, str) or not _number(time) or not isinstance(children, list):
        raise PitstopError("pyinstrument: a frame lacks function, time or children", path=shown)
    assert isinstance(time, int | float)
    line_no = line if type(line) is int else None
    return Frame(name, file if isinstance(file, str) else "", line_no), float(time), children


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


# -- cProfile / pstats --------------------------------------------------------------------


def read_pstats(data: bytes, shown: str) -> Profile:
    """A cProfile/pstats file's functions, each a one-frame stack weighted by its tottime
    in milliseconds, with its cumtime kept as the inclusive figure.

    pstats files are `marshal` data, and marshal is not secure against hostile input.
    What is guarded: the size (JSON_BYTES, read once: no second open, no FIFO), the
    shape (a dict of (file, line, name) to five numbers and a callers dict, checked before
    pstats sees it), and every exception marshal or pstats raises becomes a one-line error.
    What is not: marshal can build code objects (never run here: nothing loaded is called),
    and a bug in CPython's marshal reader itself could still crash the interpreter or use
    memory out of proportion to the file; read pstats files you or your CI produced."""
    try:
        loaded = marshal.loads(data)
    except Exception as error:  # marshal raises ValueError, EOFError, TypeError, ...
        what = " ".join(str(error).split())[:120]
        raise PitstopError(f"not a profile (pstats/marshal: {what})", path=shown) from None
    if not _pstats_shape(loaded):
        raise PitstopError("not a cProfile/pstats file (unexpected marshal content)", path=shown)
    return _pstats_profile(loaded, shown)


def _pstats_shape(loaded: object) -> bool:
    if not isinstance(loaded, dict) or not loaded:
        return False
    return all(_pstats_key(key) and _pstats_value(value) for key, value in loaded.items())


def _pstats_key(key: object) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(key[0], str)
        and type(key[1]) is int
        and isinstance(key[2], str)
    )


def _pstats_value(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 5
        and all(_number(figure) for figure in value[:4])
        and isinstance(value[4], dict)
        and all(_pstats_key(key) for key in value[4])
    )


def _pstats_profile(loaded: dict[Any, Any], shown: str) -> Profile:
    import pstats

    class _Loaded:
        """What pstats.Stats accepts besides a file name: it takes `stats` after
        calling create_stats (so the bytes already read are the ones used)."""

        def __init__(self) -> None:
            self.stats = loaded

        def create_stats(self) -> None:
            pass

    try:
        stats = pstats.Stats(_Loaded())  # type: ignore[arg-type]
        table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        return _from_table(table, shown)
    except PitstopError:
        raise
    except Exception as error:
        what = " ".join(f"{type(error).__name__}: {error}".split())[:120]
        raise PitstopError(f"not a readable pstats file ({what})", path=shown) from None


def _from_table(table: dict[tuple[str, int, str], tuple[Any, ...]], shown: str) -> Profile:
    stacks: dict[Stack, float] = {}
    inclusive: dict[Frame, float] = {}
    for (file, line, name), (_cc, _nc, tottime, cumtime, _callers) in table.items():
        frame = Frame(name, file, line)
        stacks[(frame,)] = stacks.get((frame,), 0.0) + tottime * 1000
        inclusive[frame] = inclusive.get(frame, 0.0) + cumtime * 1000
    total = sum(stacks.values())
    if total <= 0:
        raise PitstopError("the cProfile file holds no time", path=shown)
    return Profile(shown, "cprofile", "ms", stacks, total, inclusive)
