"""Request dependencies: the installation, the caller and the caller's shop engine."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from shopmind.engine import Engine, Principal, Shopmind
from shopmind.errors import AuthenticationError


def get_app(request: Request) -> Shopmind:
    sm: Shopmind = request.app.state.shopmind
    return sm


def get_principal(request: Request, sm: Annotated[Shopmind, Depends(get_app)]) -> Principal:
    """The caller, from ``Authorization: Bearer <key>``, ``X-API-Key`` or a console session."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
    if key:
        who = sm.authenticate_key(key)
    else:
        session = request.scope.get("session") or {}
        found = sm.session_principal(session) if session.get("actor") else None
        if found is None:
            raise AuthenticationError(
                "No credentials. Send your API key as 'Authorization: Bearer sm_...' or log in to the console."
            )
        who = found
    request.state.principal = who
    return who


def get_engine(
    who: Annotated[Principal, Depends(get_principal)], sm: Annotated[Shopmind, Depends(get_app)]
) -> Engine:
    """The engine of the caller's own shop: there is no way to name another shop."""
    return sm.engine(who.shop_id)


def requires(permission: str) -> Any:
    """A dependency that checks the caller's role before anything else (the body included), so a
    caller without the right gets 403 rather than a validation error."""

    def check(who: Annotated[Principal, Depends(get_principal)]) -> Principal:
        who.require(permission)
        return who

    return Depends(check)


App = Annotated[Shopmind, Depends(get_app)]
Who = Annotated[Principal, Depends(get_principal)]
ShopEngine = Annotated[Engine, Depends(get_engine)]
