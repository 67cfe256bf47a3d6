"""Sizes for people, one style everywhere: SI units (powers of 1000, as `docker build`
and the context budget count them), `B`, `kB`, `MB`, `GB`, one decimal above bytes."""

from __future__ import annotations

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
