"""The ASGI application: the REST API under /v1 and the web console under /console."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from shopmind import __version__
from shopmind.api.errors import install_error_handlers
from shopmind.config import Settings
from shopmind.engine import Shopmind
from shopmind.schema.models import ErrorResponse, EventBatch

_ACTIONS = {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def create_app(sm: Shopmind | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app around an installation (opened from settings when not given)."""
    sm = sm or Shopmind.open(settings)
    app = FastAPI(
        title="shopmind",
        version=__version__,
        description="Offline-first AI engine for e-commerce. Authenticate with `Authorization: Bearer <API key>`.",
        responses={code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 422, 429)},
    )
    app.state.shopmind = sm
    install_error_handlers(app)

    @app.middleware("http")
    async def audit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        who = getattr(request.state, "principal", None)
        path = request.url.path
        audited = getattr(request.state, "audited", False)
        if who is not None and not audited and path.startswith("/v1/") and path != "/v1/me":
            detail: dict[str, Any] = {"status": response.status_code}
            if request.url.query:
                detail["query"] = request.url.query[:200]
            await run_in_threadpool(
                sm.audit, who, _ACTIONS.get(request.method, request.method.lower()), request.url.path, detail
            )
        return response

    # Sessions sign the console cookie with the installation secret; gzip keeps pages small.
    app.add_middleware(
        SessionMiddleware, secret_key=sm.secret, max_age=sm.settings.session_max_age_s, same_site="lax"
    )
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    # The chat widget runs on the shop's own pages (another origin) and calls /v1/chat with a
    # service key in a header; no cookies cross origins.
    origins = [o.strip() for o in sm.settings.assistant_widget_origins.split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        allow_credentials=False,
    )

    from shopmind.api.routes import assistant, customers, data, events, forecasts, recommend, search, system
    from shopmind.console import routes as console

    app.include_router(system.router)
    app.include_router(events.router)
    app.include_router(recommend.router)
    app.include_router(data.router)
    app.include_router(customers.router)
    app.include_router(forecasts.router)
    app.include_router(search.router)
    app.include_router(assistant.router)
    console.mount(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    # The events route reads raw bytes for speed; still document its body schema.
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["EventBatch"] = (
            EventBatch.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        for name, sub in (
            EventBatch.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
        ):
            schema["components"]["schemas"][name] = sub
        schema["components"]["schemas"]["EventBatch"].pop("$defs", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    # The app imports pandas and friends: ~150,000 long-lived objects that every full garbage
    # collection would scan again (~80 ms, the p95 of event ingestion). Move them out of its way.
    gc.collect()
    gc.freeze()
    return app
