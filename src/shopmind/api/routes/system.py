"""Health, identity, overview, models and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from shopmind import __version__
from shopmind.api.deps import App, ShopEngine, Who
from shopmind.errors import InvalidParameterError

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness and store check")
def healthz(sm: App) -> dict[str, Any]:
    sm.store.list_shops()  # touches the database
    return {"ok": True, "version": __version__, "store": sm.store.dialect}


@router.get("/v1/me", summary="Who am I")
def me(who: Who) -> dict[str, Any]:
    return {"shop_id": who.shop_id, "role": who.role, "actor": who.actor, "permissions": sorted(who.can)}


@router.get("/v1/overview", summary="Sales overview: GMV, orders, customers, AOV, top products, regions, weeks")
def overview(engine: ShopEngine, who: Who) -> dict[str, Any]:
    who.require("data:read")
    return engine.overview()


@router.get("/v1/status", summary="Row counts and promoted models")
def status(engine: ShopEngine, who: Who) -> dict[str, Any]:
    who.require("data:read")
    return engine.status()


@router.get("/v1/models", summary="Promoted model versions with their metadata")
def models(engine: ShopEngine, who: Who) -> list[dict[str, Any]]:
    who.require("data:read")
    return engine.models()


@router.post("/v1/models/{kind}/train", summary="Train and promote a model")
async def train(engine: ShopEngine, who: Who, kind: str) -> dict[str, Any]:
    who.require("models:train")
    if kind not in engine.model_kinds():
        raise InvalidParameterError(f"Unknown model kind {kind!r}. Use one of: {', '.join(engine.model_kinds())}.")
    done = await run_in_threadpool(engine.train, [kind])
    return {"ok": True, "kind": kind, "version": done[0].version, "metrics": done[0].meta["metrics"]}


@router.get("/v1/popular", summary="Most popular products, optionally in one region")
def popular(engine: ShopEngine, who: Who, n: int = Query(10, ge=1, le=100), region: str | None = None) -> dict[str, Any]:
    who.require("serve:read")
    model = engine.model("popularity")
    return {"items": [{"sku": s.id, "score": s.score, "reason": s.reason} for s in model.top(n, region=region)]}


@router.get("/v1/audit", summary="The shop's audit log, newest first")
def audit(sm: App, who: Who, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    who.require("audit:read")
    return sm.audit_entries(who.shop_id, limit)
