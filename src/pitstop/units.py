"""Sizes for people, one style everywhere: SI units (powers of 1000, as `docker build`
and the context budget count them), `B`, `kB`, `MB`, `GB`, one decimal above bytes."""

from __future__ import annotations

import re

_UNITS = ("kB", "MB", "GB", "TB")


def format_size(count: int) -> str:
    """`512 B`, `1.5 kB`, `12.0 MB`, `3.2 GB`: SI (10^3) steps, never KiB-style 1024."""
    if abs(count) < 1000:
        return f"{count} B"
    value = float(count)
    for unit in _UNITS:
        value /= 1000
        if abs(value) < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # the loop returns at its last unit


_SIZE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)
_DURATION = re.compile(
    r"(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)m(?!s))?(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+(?:\.\d+)?)ms)?"
)
_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_size(text: str) -> int:
    """`500MB`, `1.5 GB`, `200MiB`, `1024` (bytes): SI units as `format_size` prints them,
    and the binary ones (KiB, MiB, GiB, TiB) by their own names. ValueError otherwise."""
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in {"", *_SIZE_UNITS}:
        raise ValueError(f"not a size: {text!r} (expected e.g. 500MB, 1.5GB, 200MiB)")
    return round(float(match.group(1)) * _SIZE_UNITS.get(unit, 1))


def parse_duration(text: str) -> float:
    """`90s`, `2m`, `1h30m`, `30d`, `250ms` as seconds; units in the order d, h, m, s, ms,
    each at most once. ValueError for anything else (a bare number has no unit)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 90s, 2m, 1h30m, 30d)")
    return sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v is not None)
