"""Bayit+ backend: FastAPI application served by uvicorn on Cloud Run."""

from __future__ import annotations

from typing import Any

from bayit_translation import translate_title
from bayit_voice_pipeline import plan_segments
from fastapi import FastAPI, HTTPException, Query
from olorin_core import make_envelope
from olorin_shared import slugify

app = FastAPI(title="Bayit+ Backend", version="1.4.0")


@app.get("/health")
async def health() -> dict[str, str]:
    """Liveness probe used by the Docker HEALTHCHECK and the deploy workflows."""
    return {"status": "healthy"}


@app.get("/api/v1/titles/preview")
async def preview_title(
    title: str = Query(..., min_length=1, max_length=200),
    lang: str = Query("en", min_length=2, max_length=5),
    duration: float = Query(0.0, ge=0.0, description="Track length in seconds"),
) -> dict[str, Any]:
    """Preview how a title will be published: slug, translation and dubbing plan."""
    try:
        translation = translate_title(title, lang)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return make_envelope(
        {
            "slug": slugify(title),
            "translation": translation["data"],
            "dubbing_segments": len(plan_segments(duration)),
        },
        kind="title-preview",
    )
