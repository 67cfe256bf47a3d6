"""pytest-split's `.test_durations`: `{"node id": seconds, ...}` as `pytest --store-durations`
writes it (and the list of `[node id, seconds]` pairs its versions before 0.4 wrote)."""

from __future__ import annotations

import math
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import read_regular_file
from pitstop.parsers.jsonfile import load_json


def read_test_durations(path: Path, shown: str) -> dict[str, float]:
    """Seconds by node id; PitstopError naming `shown` (and the line of a JSON syntax
    error, or the test of a bad value) on anything else."""
    document = load_json(read_regular_file(path, shown), shown)
    if isinstance(document, list):
        pairs = [_pair(entry, shown) for entry in document]
    elif isinstance(document, dict):
        pairs = list(document.items())
    else:
        raise PitstopError(
            'not a pytest-split durations file: expected {"node id": seconds, ...}', path=shown
        )
    durations: dict[str, float] = {}
    for test, seconds in pairs:
        if not isinstance(test, str) or not test:
            raise PitstopError(f"{test!r} is not a test's node id", path=shown)
        durations[test] = _seconds(test, seconds, shown)
    return durations


def _pair(entry: object, shown: str) -> tuple[object, object]:
    if isinstance(entry, list) and len(entry) == 2:
        return entry[0], entry[1]
    raise PitstopError(f"{entry!r} is not a [node id, seconds] pair", path=shown)


def _seconds(test: str, value: object, shown: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PitstopError(f"{test}: {value!r} is not a number of seconds", path=shown)
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise PitstopError(f"{test}: {value!r} is not a number of seconds", path=shown)
    return seconds
