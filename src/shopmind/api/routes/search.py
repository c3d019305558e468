"""Product search: text (Chinese, English, pinyin), suggestions, search by photo, analytics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import ShopEngine, requires
from shopmind.errors import ValidationError

router = APIRouter(prefix="/v1/search", tags=["search"])

MAX_IMAGE_BYTES = 8 * 1024 * 1024


@router.get("", summary="Search products", dependencies=[requires("serve:read")])
async def search(
    engine: ShopEngine,
    q: str = Query(
        "", max_length=500, description="What the shopper typed: 五常大米, mihoutao, organic honey under 100."
    ),
    filters: str | None = Query(
        None,
        max_length=1000,
        description="Comma-separated key:value pairs: category:茶叶, region:云南, certification:organic, "
        "price:0-50, in_stock:true.",
    ),
    customer_id: str | None = Query(None, max_length=128, description="Personalises the ranking."),
    session_id: str | None = Query(None, max_length=128, description="Stores the search for analytics."),
    sort: str | None = Query(
        None, description="relevance, price_asc, price_desc, popular, newest or rating."
    ),
    limit: int = Query(10, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000),
) -> dict[str, Any]:
    """Hybrid lexical + semantic search with query understanding, facets and explanations.

    `understood` lists what the query was turned into (price limits, certifications, places, a
    sort); `corrections` and `suggestion` say what was corrected; every hit's `explanation` gives
    the lexical and semantic ranks and the business signals that placed it."""
    return await run_in_threadpool(
        engine.search,
        q,
        filters=filters,
        customer_id=customer_id,
        session_id=session_id,
        limit=limit,
        offset=offset,
        sort=sort,
    )


@router.get("/suggest", summary="Autocomplete", dependencies=[requires("serve:read")])
def suggest(
    engine: ShopEngine,
    q: str = Query(
        ..., min_length=1, max_length=100, description="What has been typed so far (also pinyin)."
    ),
    limit: int = Query(8, ge=1, le=50),
) -> dict[str, Any]:
    return {"q": q, "suggestions": engine.search_suggest(q, limit)}


@router.post("/image", summary="Search by photo", dependencies=[requires("serve:read")])
async def search_image(
    engine: ShopEngine,
    image: UploadFile = File(..., description="A JPEG, PNG or WebP photo, at most 8 MB."),
    limit: int = Query(10, ge=1, le=100),
) -> dict[str, Any]:
    """Products whose pictures look most like the photo (EfficientNet-Lite0 embeddings)."""
    data = await image.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            "The image is larger than 8 MB: send a smaller photo (1,000 pixels a side is plenty)."
        )
    if not data:
        raise ValidationError("The upload is empty: send the photo as the 'image' field of a multipart form.")
    return await run_in_threadpool(engine.search_image, data, limit)


@router.get("/analytics", summary="Search analytics", dependencies=[requires("data:read")])
def analytics(
    engine: ShopEngine,
    days: int = Query(30, ge=1, le=3650, description="Look back this many days from the latest event."),
    top: int = Query(20, ge=1, le=200),
) -> dict[str, Any]:
    """Top queries, queries that found nothing, and click-through by query."""
    return engine.search_analytics(days=days, top=top)


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    synonyms: list[list[str]] = Field(
        default_factory=list, description='Groups: [["西红柿", "番茄", "tomato"]].'
    )
    custom_words: list[str] = Field(default_factory=list, description="Words to keep whole: 沁州黄, 大红袍.")
    intents: dict[str, Any] = Field(default_factory=dict, description="Additions shaped like intents.yaml.")


@router.get("/settings", summary="The shop's search words", dependencies=[requires("data:read")])
def get_settings(engine: ShopEngine) -> dict[str, Any]:
    return engine.search_settings()


@router.put("/settings", summary="Set synonyms and custom words", dependencies=[requires("data:write")])
def put_settings(engine: ShopEngine, body: SearchSettings) -> dict[str, Any]:
    """Stored at once; they apply when the search model is next trained (`shopmind train search`)."""
    return {
        "ok": True,
        "settings": engine.save_search_settings(body.model_dump()),
        "applies": "next training",
    }
