"""Audio segmentation and dubbing pipeline helpers for Bayit+."""

from __future__ import annotations

from olorin_core import make_envelope

__all__ = ["describe_plan", "plan_segments"]
__version__ = "0.4.2"


def plan_segments(
    duration_seconds: float, segment_seconds: float = 30.0
) -> list[tuple[float, float]]:
    """Split a track of ``duration_seconds`` into ``(start, end)`` windows for transcription."""
    if duration_seconds < 0 or segment_seconds <= 0:
        raise ValueError("duration must be >= 0 and segment length > 0")
    segments: list[tuple[float, float]] = []
    start = 0.0
    while start < duration_seconds:
        end = min(start + segment_seconds, duration_seconds)
        segments.append((start, end))
        start = end
    return segments


def describe_plan(duration_seconds: float, segment_seconds: float = 30.0) -> dict[str, object]:
    """The segment plan wrapped in the standard Olorin envelope."""
    segments = plan_segments(duration_seconds, segment_seconds)
    return make_envelope({"segments": segments, "count": len(segments)}, kind="voice-plan")
