"""Measured test durations for `pitstop shard`, from a file: JUnit XML (`pytest
--junitxml`, and any runner's) or pytest-split's `.test_durations`, told apart by their
first character. The history database's durations come through `pitstop.api`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pitstop.errors import PitstopError
from pitstop.files import inside_root, read_head, read_regular_file
from pitstop.impact.shard import Durations
from pitstop.runs import TestResult, node_file


def read_durations(path: Path, shown: str) -> Durations:
    """The durations in the file at `path`; PitstopError naming `shown` on bad input."""
    raw = read_head(path, 512)
    if raw is None:
        read_regular_file(path, shown)  # says why: missing, unreadable, not a regular file
    head = (raw or b"").lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        from pitstop.parsers.junit import read_junit

        return from_results(read_junit(path, shown), shown)
    if head.startswith((b"{", b"[")):
        from pitstop.parsers.test_durations import read_test_durations

        seconds = read_test_durations(path, shown)
        return Durations(seconds, {}, (f"{shown}: {len(seconds)} tests",))
    raise PitstopError(
        "not a durations file: expected JUnit XML or pytest-split's .test_durations JSON",
        path=shown,
    )


def from_results(results: Iterable[TestResult], shown: str) -> Durations:
    """A JUnit file's durations: each test's mean over its timed attempts (a retried test's
    next run is one run); a file's first test is the first of its tests the report lists,
    which is the order they ran in (retried tests, listed last, aside)."""
    seconds: dict[str, float] = {}
    first: dict[str, str] = {}
    for result in results:
        timed = [a.seconds for a in result.attempts if a.seconds is not None]
        if not timed:
            continue
        seconds[result.test] = sum(timed) / len(timed)
        first.setdefault(node_file(result.test), result.test)
    return Durations(seconds, first, (f"{shown}: {len(seconds)} tests",))


# A test function or method as pytest's defaults collect them (`def test...`, at any depth).
_TEST_FUNCTION = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+test", re.MULTILINE)


def test_counts(root: Path, paths: Iterable[str]) -> dict[str, int]:
    """How many test functions each file's text defines (read, never imported): the
    estimate of a test file no duration names. An unreadable file, or one whose symlink
    leads out of `root`, has no count."""
    counts: dict[str, int] = {}
    for path in paths:
        if not inside_root(root / path, root):
            continue  # a symlink out of the repository is not read
        try:
            data = read_regular_file(root / path, path)
        except PitstopError:
            continue
        counts[path] = len(_TEST_FUNCTION.findall(data))
    return counts
