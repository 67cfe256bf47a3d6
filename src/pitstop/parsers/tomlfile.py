"""A project's TOML files (pyproject.toml, hatch.toml) as pitstop reads them: each decoded
once per review, with its text for the consumers that locate what they report.

tomllib keeps no positions, so the model carries the text and a locator for table headers;
`parsers/dependencies.py` locates string values in the same text. A file that cannot be
read or decoded is still a model: an empty document with the problem, which the dependency
parser reports and rules, having nothing to read, pass over.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pitstop.config import DecodedToml, invalid_toml
from pitstop.errors import PitstopError
from pitstop.lines import text_lines


@dataclass(frozen=True)
class TomlFile:
    """One TOML file: `document` as tomllib decodes it (empty when `problem` says why it
    could not be read or decoded) and `text` as read."""

    path: str
    text: str
    document: dict[str, Any] = field(repr=False)
    problem: PitstopError | None = field(default=None, compare=False)

    @cached_property
    def lines(self) -> list[str]:
        return text_lines(self.text)

    def header_line(self, header: str, *, exact: bool = False) -> int:
        """The first line that opens the table `header` (`[a.b]`): a line starting with
        it, or with `exact` the header alone; 1 when there is none."""
        opening = header.rstrip("]")
        for number, line in enumerate(self.lines, 1):
            stripped = line.strip()
            if stripped == header if exact else stripped.startswith(opening):
                return number
        return 1


def parse_toml(text: str, path: str, known: DecodedToml | None = None) -> TomlFile:
    """The model of `text`; a document tomllib refuses keeps its error, with the line.
    `known` is a decoding already made (the configuration's, of the root pyproject.toml):
    taken when it was made from this very text, so the file is not decoded twice."""
    if known is not None and known.text == text:
        return TomlFile(path, text, known.document)
    try:
        return TomlFile(path, text, tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        return TomlFile(path, text, {}, invalid_toml(error, text, path))


def unreadable_toml(path: str, problem: PitstopError) -> TomlFile:
    """The model of a file that could not be read (a symlink out of the root, not UTF-8)."""
    return TomlFile(path, "", {}, problem)
