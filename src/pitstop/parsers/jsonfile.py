"""Strict JSON (RFC 8259) for the parsers of CI outputs: no NaN or Infinity, a bounded
depth, and the line of the first problem in the error."""

from __future__ import annotations

import json
import re

from pitstop.errors import PitstopError


def load_json(data: bytes, shown: str) -> object:
    """Strict JSON (RFC 8259: no NaN or Infinity) from UTF-8 bytes; PitstopError with the
    line of the first problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PitstopError("not UTF-8", path=shown, line=line) from None
    return parse_json(text, shown)


def parse_json(text: str, shown: str) -> object:
    """Strict JSON from text; PitstopError with the line of the first problem."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise PitstopError(f"invalid JSON: {error.msg}", path=shown, line=error.lineno) from None
    except _NotJsonNumber as error:
        message = f"invalid JSON: {error} is not a number"
        raise PitstopError(message, path=shown, line=_line_of_constant(text, str(error))) from None
    except RecursionError:
        raise PitstopError("invalid JSON: nested too deeply", path=shown) from None


class _NotJsonNumber(ValueError):
    """`NaN`, `Infinity` or `-Infinity`: Python's json accepts them, JSON does not."""


def _no_constant(name: str) -> object:
    raise _NotJsonNumber(name)


def _line_of_constant(text: str, name: str) -> int | None:
    """The line of the first `NaN`/`Infinity` value named `name` in `text`."""
    found = re.search(rf"[:\[,]\s*{re.escape(name)}", text)
    return text.count("\n", 0, found.end()) + 1 if found else None
