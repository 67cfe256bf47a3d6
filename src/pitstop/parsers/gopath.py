"""Go's `path.Clean` and `filepath.Match`, ported: Docker cleans .dockerignore patterns with
the one and matches COPY and ADD sources with the other (BuildKit), so pitstop must too."""

from __future__ import annotations

import re

from pitstop.parsers.re2 import complement_ranges, merge_ranges, python_class


def go_clean(path: str) -> str:
    """Go's `path.Clean` (what `filepath.Clean` does on Linux): the shortest equivalent path."""
    if not path:
        return "."
    rooted = path[0] == "/"
    out: list[str] = ["/"] if rooted else []
    dotdot = len(out)
    n, r = len(path), int(rooted)
    while r < n:
        end = path.find("/", r)
        end = n if end < 0 else end
        element = path[r:end]
        r = end + 1
        if element in ("", "."):
            continue
        if element == "..":
            if len(out) > dotdot:
                del out[_last_slash(out, dotdot) :]
            elif not rooted:
                out.extend("/.." if out else "..")
                dotdot = len(out)
            continue
        if len(out) != int(rooted):
            out.append("/")
        out.extend(element)
    return "".join(out) or "."


def _last_slash(out: list[str], floor: int) -> int:
    """Where Clean's backtracking stops: the last "/" after `floor`, else `floor`."""
    w = len(out) - 1
    while w > floor and out[w] != "/":
        w -= 1
    return w


def go_match_error(pattern: str) -> str | None:
    """Why Go's `filepath.Match` rejects `pattern` (ErrBadPattern), or None if it is valid."""
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] == "\\":
            if i + 1 >= n:
                return "a trailing '\\' escapes nothing"
            i += 2
        elif pattern[i] == "[":
            i, problem = _check_class(pattern, i + 1)
            if problem:
                return problem
        else:
            i += 1
    return None


def _check_class(pattern: str, i: int) -> tuple[int, str | None]:
    """Go's matchChunk on one `[...]` starting after `[`: (index after `]`, problem)."""
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    ranges = 0
    while not (i < len(pattern) and pattern[i] == "]" and ranges > 0):
        _, i, problem = _class_char(pattern, i)
        if problem is None and pattern[i] == "-":
            _, i, problem = _class_char(pattern, i + 1)
        if problem:
            return i, problem
        ranges += 1
    return i + 1, None


def _class_char(pattern: str, i: int) -> tuple[str, int, str | None]:
    """Go's getEsc: one possibly escaped character of a class; the class must go on after it."""
    if i >= len(pattern):
        return "", i, "'[' is never closed (escape it as '\\[')"
    if pattern[i] in "-]":
        return "", i, f"'{pattern[i]}' must be escaped inside [...] (an empty class or bad range)"
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            return "", i, "'[' is never closed (escape it as '\\[')"
    char = pattern[i]
    if "\udc80" <= char <= "\udcff":
        return "", i, "the pattern is not valid UTF-8"
    if i + 1 >= len(pattern):
        return "", i + 1, "'[' is never closed (escape it as '\\[')"
    return char, i + 1, None


def go_glob_regex(pattern: str) -> re.Pattern[str] | None:
    """Go's `filepath.Match(pattern, name)` as a Python regex for `fullmatch`; None when Go
    rejects the pattern. BuildKit matches COPY and ADD wildcards with it."""
    if go_match_error(pattern) is not None:
        return None
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\":
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            i = _glob_class(pattern, i + 1, out)
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _glob_class(pattern: str, i: int, out: list[str]) -> int:
    """Append a validated Go class to `out` as a Python class; return the index after `]`."""
    negated = pattern[i] == "^"
    i += int(negated)
    ranges: list[tuple[int, int]] = []
    while not (pattern[i] == "]" and ranges):
        lo, i, _ = _class_char(pattern, i)
        hi = lo
        if pattern[i] == "-":
            hi, i, _ = _class_char(pattern, i + 1)
        ranges.append((ord(lo), ord(hi)))
    # Go accepts a reversed range and it simply matches nothing.
    valid = [(lo, hi) for lo, hi in ranges if lo <= hi]
    out.append(python_class(complement_ranges(valid) if negated else merge_ranges(valid)))
    return i + 1
