"""Dependency-free helpers shared by every Olorin service."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

__all__ = ["slugify", "utc_now_iso"]
__version__ = "0.2.3"

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug: ``"Shalom, World!"`` -> ``"shalom-world"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_WORD.sub("-", ascii_text.lower()).strip("-")


def utc_now_iso() -> str:
    """Current time in UTC as an ISO 8601 string with a ``Z`` suffix."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
