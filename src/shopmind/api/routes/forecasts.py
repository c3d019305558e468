"""Demand forecasts per SKU and the replenishment plan (JSON, CSV or Excel)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import ShopEngine, requires

router = APIRouter(prefix="/v1", tags=["forecasts"], dependencies=[requires("data:read")])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/forecasts/{sku}", summary="A SKU's demand history, forecast and prediction intervals")
async def forecast(
    engine: ShopEngine,
    sku: str,
    location_id: str | None = Query(
        None, description="One store or warehouse (default: every series of the SKU)."
    ),
    history: int = Query(90, ge=0, le=2000, description="Past periods to include."),
) -> dict[str, Any]:
    return await run_in_threadpool(engine.forecast_for, sku, location_id, history)


@router.get(
    "/replenishment",
    summary="What to reorder, how much, when and why, with stock-out and expiry alerts",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def replenishment(
    engine: ShopEngine,
    format: Literal["json", "csv", "xlsx"] = Query("json", description="json, csv or xlsx (Excel)."),
    only_orders: bool = Query(False, description="Only rows with a quantity to order now."),
    lang: Literal["zh-CN", "en"] = Query("zh-CN", description="Language of the reasons in CSV and Excel."),
) -> Any:
    if format == "json":
        return await run_in_threadpool(engine.replenishment, only_orders)
    body, media = await run_in_threadpool(engine.replenishment_file, format, only_orders, lang)
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="replenishment.{format}"'},
    )
