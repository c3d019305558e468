"""Customer intelligence: segments, one customer's insight, refresh, audiences and their export."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import ShopEngine, requires
from shopmind.customers.audience import AudienceFilter
from shopmind.customers.service import json_value

router = APIRouter(prefix="/v1", tags=["customers"])


class AudienceCount(BaseModel):
    count: int
    customers_in_model: int
    as_of: str
    sample: list[dict[str, Any]] = Field(description="Up to 20 members, best predicted value first.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full: bool = Field(False, description="Retrain the value, churn and profile models on all orders.")


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audience: AudienceFilter
    phone_format: Literal["digits", "e164"] = Field(
        "digits",
        description="Phone hashed as digits with country code (Meta, Tencent) or E.164 with '+' (Google).",
    )


_SAMPLE_COLUMNS = ["customer_id", "segment", "profile", "province", "clv_12m", "churn_risk", "recency_days"]


@router.get(
    "/segments",
    summary="Customer segments: sizes, revenue share, movement",
    dependencies=[requires("data:read")],
)
async def segments(engine: ShopEngine) -> dict[str, Any]:
    return await run_in_threadpool(engine.segments)


@router.get(
    "/customers/{customer_id}/insight",
    summary="One customer: segment, value, churn risk, profile, live tags, suggested action",
    dependencies=[requires("data:read")],
)
async def insight(engine: ShopEngine, customer_id: str) -> dict[str, Any]:
    return await run_in_threadpool(engine.customer_insight, customer_id)


@router.post(
    "/customers/refresh",
    summary="Refresh segments and scores incrementally (customers whose orders changed)",
    dependencies=[requires("models:train")],
)
async def refresh(engine: ShopEngine, body: RefreshRequest | None = None) -> dict[str, Any]:
    """A refresh re-reads only changed customers; ``{"full": true}`` retrains every customer model."""
    if body is not None and body.full:
        version = (await run_in_threadpool(engine.train, ["customers"]))[0]
        return {"version": version.version, "full": True, **version.meta.get("metrics", {})}
    return await run_in_threadpool(engine.refresh_customers)


@router.post(
    "/audiences/count", summary="How many customers an audience holds", dependencies=[requires("data:read")]
)
async def count(engine: ShopEngine, audience: AudienceFilter) -> AudienceCount:
    def run() -> AudienceCount:
        members = engine.audience(audience)
        model = engine.model("customers")
        cols = [c for c in _SAMPLE_COLUMNS if c in members]
        top = members.sort_values("clv_12m", ascending=False).head(20)[cols]
        return AudienceCount(
            count=len(members),
            customers_in_model=len(model.customers_),
            as_of=model.as_of_.isoformat(),
            sample=[{k: json_value(v) for k, v in r.items()} for r in top.to_dict("records")],
        )

    return await run_in_threadpool(run)


@router.post(
    "/audiences/export",
    summary="Export an audience as SHA-256 hashes of normalized contacts (CSV)",
    dependencies=[requires("audiences:export")],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export(
    engine: ShopEngine, body: ExportRequest, filename: str = Query("audience.csv", max_length=100)
) -> Response:
    """Only customers who consented to marketing; no raw contact and no customer id is in the file."""
    text, rows = await run_in_threadpool(engine.audience_export, body.audience, body.phone_format)
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "audience.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"', "X-Rows": str(rows)},
    )
