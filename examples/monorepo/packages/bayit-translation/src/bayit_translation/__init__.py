"""Subtitle and metadata translation helpers for Bayit+."""

from __future__ import annotations

from olorin_core import make_envelope

__all__ = ["SUPPORTED_LANGUAGES", "translate_title"]
__version__ = "0.5.0"

SUPPORTED_LANGUAGES = ("en", "he", "es", "fr", "ru")

# A tiny offline glossary; the real service calls a translation API.
_GLOSSARY: dict[tuple[str, str], str] = {
    ("shalom", "en"): "hello / peace",
    ("bayit", "en"): "home",
    ("home", "he"): "bayit",
}


def translate_title(text: str, target_lang: str) -> dict[str, object]:
    """Translate a short title, returning it in the standard Olorin envelope."""
    if target_lang not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language: {target_lang!r}")
    translated = _GLOSSARY.get((text.strip().lower(), target_lang), text)
    return make_envelope(
        {"source": text, "target_lang": target_lang, "text": translated},
        kind="translation",
    )
