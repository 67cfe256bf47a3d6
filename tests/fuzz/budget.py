"""How long the fuzz tests run, and the invariants every input must keep.

The normal test run uses the short budget: few examples, the same ones every run
(derandomized, no example database), so the whole of tests/fuzz stays near a minute on a
2-core machine and never flakes. `benchmarks/fuzz.py` sets `PITSTOP_FUZZ_PROFILE=long`
(random examples, `PITSTOP_FUZZ_SCALE` times as many) to hunt for new failures.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

from hypothesis import HealthCheck, settings

# Generous: the slowest parser on the largest generated input takes well under a second.
SECONDS_PER_INPUT = 10.0

settings.register_profile(
    "pitstop-fuzz-short",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "pitstop-fuzz-long",
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
_LONG = os.environ.get("PITSTOP_FUZZ_PROFILE") == "long"
_SCALE = int(os.environ.get("PITSTOP_FUZZ_SCALE", "50")) if _LONG else 1


def fuzz(examples: int) -> settings:
    """Settings for a fuzz test that runs `examples` inputs in the short budget."""
    profile = settings.get_profile("pitstop-fuzz-long" if _LONG else "pitstop-fuzz-short")
    return settings(profile, max_examples=examples * _SCALE)


class TooSlow(AssertionError):
    pass


@contextlib.contextmanager
def time_bound(seconds: float = SECONDS_PER_INPUT) -> Iterator[None]:
    """Fail (rather than hang) when the block runs longer than `seconds`."""

    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - started < seconds


# What moves a terminal to another line. (Unicode's NEL and line separators are left to a
# test of their own: tests/fuzz/test_known_failures.py.)
TERMINAL_BREAKS = "\n\r\x0b\x0c"


def assert_one_line(message: str) -> None:
    """An error a user reads is one line: no line break a terminal would honour."""
    assert message, "empty error message"
    assert not any(c in message for c in TERMINAL_BREAKS), repr(message)
