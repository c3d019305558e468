"""Health, identity, overview, models and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from shopmind import __version__
from shopmind.api.deps import App, ShopEngine, Who, requires
from shopmind.errors import InvalidParameterError

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness and store check")
def healthz(sm: App) -> dict[str, Any]:
    sm.store.list_shops()  # touches the database
    return {"ok": True, "version": __version__, "store": sm.store.dialect}


@router.get("/v1/me", summary="Who am I")
def me(who: Who) -> dict[str, Any]:
    return {"shop_id": who.shop_id, "role": who.role, "actor": who.actor, "permissions": sorted(who.can)}


@router.get(
    "/v1/overview",
    summary="Sales overview: GMV, orders, customers, AOV, top products, regions, weeks",
    dependencies=[requires("data:read")],
)
def overview(engine: ShopEngine, who: Who) -> dict[str, Any]:
    return engine.overview()


@router.get("/v1/status", summary="Row counts and promoted models", dependencies=[requires("data:read")])
def status(engine: ShopEngine, who: Who) -> dict[str, Any]:
    return engine.status()


@router.get(
    "/v1/models", summary="Promoted model versions with their metadata", dependencies=[requires("data:read")]
)
def models(engine: ShopEngine, who: Who) -> list[dict[str, Any]]:
    return engine.models()


@router.post(
    "/v1/models/{kind}/train", summary="Train and promote a model", dependencies=[requires("models:train")]
)
async def train(engine: ShopEngine, who: Who, kind: str) -> dict[str, Any]:
    if kind not in engine.model_kinds():
        raise InvalidParameterError(
            f"Unknown model kind {kind!r}. Use one of: {', '.join(engine.model_kinds())}."
        )
    done = await run_in_threadpool(engine.train, [kind])
    return {"ok": True, "kind": kind, "version": done[0].version, "metrics": done[0].meta["metrics"]}


@router.get(
    "/v1/popular",
    summary="Most popular products, optionally in one region",
    dependencies=[requires("serve:read")],
)
def popular(
    engine: ShopEngine, who: Who, n: int = Query(10, ge=1, le=100), region: str | None = None
) -> dict[str, Any]:
    model = engine.model("popularity")
    return {
        "items": [{"sku": s.id, "score": s.score, "reason": s.reason} for s in model.top(n, region=region)]
    }


@router.get("/v1/audit", summary="The shop's audit log, newest first", dependencies=[requires("audit:read")])
def audit(sm: App, who: Who, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    return sm.audit_entries(who.shop_id, limit)
