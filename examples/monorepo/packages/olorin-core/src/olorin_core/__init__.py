"""Core building blocks for Olorin services."""

from __future__ import annotations

import os
from typing import Any

from olorin_shared import slugify, utc_now_iso

__all__ = ["make_envelope", "service_name"]
__version__ = "0.3.1"


def service_name(default: str = "olorin-service") -> str:
    """The running service's name, from ``K_SERVICE`` (set by Cloud Run) or a default."""
    return slugify(os.environ.get("K_SERVICE", default))


def make_envelope(data: Any, *, kind: str) -> dict[str, Any]:
    """Wrap a payload in the response envelope every Olorin API returns."""
    return {
        "kind": kind,
        "service": service_name(),
        "generated_at": utc_now_iso(),
        "data": data,
    }
