"""Lines as the files' own tools count them.

BuildKit, YAML, TOML and Docker's ignore-file reader end a line at `\\n` (a `\\r` before it
belongs to the ending); `str.splitlines` also breaks at form feed, vertical tab, U+0085,
U+2028 and U+2029, so a comment holding one of those would shift every line number after it.
Every parser, rule and fix that counts lines uses this module.
"""

from __future__ import annotations


def text_lines(text: str) -> list[str]:
    """`text`'s lines without their endings, broken at `\\n` only (no empty last line)."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def lines_with_endings(text: str) -> list[str]:
    """`text`'s lines with their endings, broken at `\\n` only."""
    lines = text.split("\n")
    ended = [line + "\n" for line in lines[:-1]]
    return [*ended, lines[-1]] if lines[-1] else ended
