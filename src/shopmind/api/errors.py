"""One JSON error shape for every error: ``{"ok": false, "error", "errors", "status"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopmind.errors import RateLimitedError, ShopmindError

log = logging.getLogger("shopmind.api")

_HTTP_HINTS = {
    404: "No such route. See /docs for the API's routes.",
    405: "This route does not accept that method. See /docs for the API's routes.",
}


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        item = {
            "loc": [str(x) if not isinstance(x, int) else x for x in e.get("loc", [])],
            "msg": e.get("msg", ""),
            "type": e.get("type"),
        }
        if "input" in e and isinstance(e["input"], (str, int, float, bool, type(None))):
            item["input"] = e["input"]
        out.append(item)
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ShopmindError)
    async def _shopmind(_: Request, exc: ShopmindError) -> JSONResponse:
        headers = (
            {"Retry-After": f"{max(1, round(exc.retry_after))}"}
            if isinstance(exc, RateLimitedError)
            else None
        )
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(
            error_body(exc.status, exc.message, exc.errors), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(list(exc.errors()))
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"])
        msg = f"Invalid request: {where}: {first['msg']}" + (
            f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        )
        return JSONResponse(
            error_body(422, msg + ". Fix the listed fields and send again.", errors), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = (
            str(exc.detail)
            if exc.detail and exc.status_code not in _HTTP_HINTS
            else _HTTP_HINTS.get(exc.status_code, str(exc.detail))
        )
        return JSONResponse(
            error_body(exc.status_code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(
                500,
                "Internal error: the server logged the details. Please report it with the time of the request.",
            ),
            status_code=500,
        )
