"""Recommendations: per customer, per product (similar, bought together), and for anonymous sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import ShopEngine, requires
from shopmind.errors import NotFoundError
from shopmind.schema.models import EventType

router = APIRouter(prefix="/v1", tags=["recommendations"], dependencies=[requires("serve:read")])


class SessionEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_type: EventType
    sku: str | None = None
    query: str | None = Field(default=None, max_length=500)
    ts: AwareDatetime | None = Field(default=None, description="Default: now.")


class RecommendationRequest(BaseModel):
    """An anonymous (or not yet synced) shopper: their session, region and stated preferences."""

    model_config = ConfigDict(extra="forbid")
    customer_id: str | None = None
    session_id: str | None = Field(
        default=None, description="Events stored under this session id are read too."
    )
    events: list[SessionEvent] = Field(default_factory=list, max_length=200)
    province: str | None = None
    onboarding: list[str] = Field(
        default_factory=list, description="Category paths chosen at sign-up, e.g. 生鲜/水果."
    )
    category: str | None = None
    n: int = Field(default=10, ge=1, le=100)


def _answer(items: list[Any], **extra: Any) -> dict[str, Any]:
    return {**extra, "items": [r.as_dict() for r in items]}


@router.get("/customers/{customer_id}/recommendations", summary="Recommendations for a customer, explained")
async def for_customer(
    engine: ShopEngine, customer_id: str, n: int = Query(10, ge=1, le=100), category: str | None = None
) -> dict[str, Any]:
    """Reads the customer's latest events at request time: what they just did changes the answer."""
    items = await run_in_threadpool(
        engine.recommend, customer_id, n, categories=(category,) if category else ()
    )
    return _answer(items, customer_id=customer_id)


@router.post("/recommendations", summary="Recommendations for an anonymous session")
async def for_session(engine: ShopEngine, body: RecommendationRequest) -> dict[str, Any]:
    import datetime as dt

    import pandas as pd

    now = dt.datetime.now(dt.UTC)
    events = pd.DataFrame(
        [
            {"event_type": e.event_type, "sku": e.sku, "query": e.query, "ts": e.ts or now}
            for e in body.events
        ],
        columns=["event_type", "sku", "query", "ts"],
    )
    items = await run_in_threadpool(
        engine.recommend,
        body.customer_id,
        body.n,
        session_id=body.session_id,
        events=events,
        province=body.province,
        categories=(body.category,) if body.category else (),
        onboarding=tuple(body.onboarding),
    )
    return _answer(items, customer_id=body.customer_id, session_id=body.session_id)


def _product_list(engine: Any, sku: str, n: int, kind: str) -> dict[str, Any]:
    if engine.data.get("products", {"sku": sku}) is None:
        raise NotFoundError(f"No product {sku!r} in this shop.")
    model = engine.model("recommender")
    items = model.similar(sku, n) if kind == "similar" else model.bought_together(sku, n)
    return _answer(items, sku=sku)


@router.get("/products/{sku}/similar", summary="Customers who viewed this also viewed; similar products")
def similar(engine: ShopEngine, sku: str, n: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
    return _product_list(engine, sku, n, "similar")


@router.get("/products/{sku}/bought-together", summary="Frequently bought together")
def bought_together(engine: ShopEngine, sku: str, n: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
    return _product_list(engine, sku, n, "bought_together")
