"""Contracts over every API route: one JSON error shape, and no route lets a key of one shop read
or change another shop's rows."""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpers import auth, client_for
from shopmind.api.app import create_app
from shopmind.engine import Shopmind
from shopmind.schema.tables import KEYED_TABLES

PUBLIC = {"/healthz"}
#: Routes a service key may call (events in, serving out).
SERVING = {
    ("GET", "/v1/me"),
    ("POST", "/v1/events"),
    ("GET", "/v1/popular"),
    ("GET", "/v1/products/{item_id}"),
    ("GET", "/v1/customers/{customer_id}/recommendations"),
    ("POST", "/v1/recommendations"),
    ("GET", "/v1/products/{sku}/similar"),
    ("GET", "/v1/products/{sku}/bought-together"),
    ("GET", "/v1/search"),
    ("GET", "/v1/search/suggest"),
    ("POST", "/v1/search/image"),
    ("POST", "/v1/chat"),
    ("GET", "/v1/chat/{conversation_id}"),
}
ERROR_KEYS = {"ok", "error", "errors", "status"}
SECRET = "SECRET-OF-B"


def _routes(sm: Shopmind) -> list[tuple[str, str]]:
    """Every documented (method, path): the OpenAPI schema is the list integrators see."""
    spec = create_app(sm).openapi()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops)


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _sample(path: str, item_id: str) -> dict[str, Any]:
    """A valid body for a write route, naming ``item_id``."""
    resource = path.split("/")[2]
    one: dict[str, Any] = {
        "products": {"sku": item_id, "title": "A's title"},
        "customers": {"customer_id": item_id, "province": "浙江"},
        "orders": {"order_id": item_id, "ordered_at": "2026-01-01T00:00:00Z", "total_amount": 1},
        "reviews": {"review_id": item_id, "text": "A's review"},
        "inventory": {"sku": item_id, "on_hand": 1},
        "locations": {"location_id": item_id, "name": "A's place"},
        "events": {
            "events": [
                {
                    "event_id": item_id,
                    "event_type": "view",
                    "sku": item_id,
                    "session_id": "s",
                    "ts": "2026-01-01T00:00:00Z",
                }
            ]
        },
        "chat": {"message": f"where is my order {item_id}?", "customer_id": item_id},
    }.get(resource, {})
    if path.endswith("/faq") or path.endswith("/approve"):
        one = {"question": f"A's question about {item_id}?", "answer": "A's answer"}
    elif path.endswith("/reply"):
        one = {"text": "A's reply"}
    if path.endswith("/batch"):
        return {"items": [one]}
    return one


def _assert_error_shape(r: Any, status: int) -> None:
    assert r.status_code == status, (r.request.method, r.request.url, r.text)
    body = r.json()
    assert set(body) == ERROR_KEYS, body
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str)
    assert len(body["error"]) > 10
    assert isinstance(body["errors"], list)


def test_every_route_answers_errors_in_one_shape(sqlite_sm: Shopmind) -> None:
    c = client_for(sqlite_sm)
    owner = auth(sqlite_sm.create_api_key("a", "o", "owner")[1])
    service = auth(sqlite_sm.create_api_key("a", "s", "service")[1])
    routes = _routes(sqlite_sm)
    assert len(routes) > 30
    for method, path in routes:
        url = _fill(path, "missing-id")
        if path in PUBLIC:
            continue
        # No credentials, then bad credentials.
        _assert_error_shape(c.request(method, url), 401)
        _assert_error_shape(c.request(method, url, headers=auth("sm_000000000000_not-a-real-secret-xx")), 401)
        # A role that may not.
        if (method, path) not in SERVING:
            _assert_error_shape(c.request(method, url, headers=service), 403)
        # Invalid input.
        if method in ("POST", "PUT", "PATCH") and "train" not in path:
            _assert_error_shape(
                c.request(
                    method,
                    url,
                    headers=owner,
                    content=b"[1, 2",
                ),
                422,
            )
        if method == "GET" and "{" not in path and path not in ("/v1/me",):
            r = c.get(url + "?limit=-5&n=0", headers=owner)
            if r.status_code != 200:
                # Bad parameters are a 422; a route without such parameters may instead say that
                # there is nothing yet (no trained model in this empty shop).
                _assert_error_shape(r, 404 if r.status_code == 404 else 422)
        # Not found.
        if method == "GET" and "{item_id}" in path:
            _assert_error_shape(c.get(url, headers=owner), 404)
    _assert_error_shape(c.get("/v1/no-such-route", headers=owner), 404)
    _assert_error_shape(c.delete("/v1/products", headers=owner), 405)


def _seed_shop_b(sm: Shopmind) -> None:
    eng = sm.engine("b")
    eng.upsert(
        "products", [{"sku": sid, "title": f"{SECRET} {sid}", "price": 9} for sid in ("shared", "b-only")]
    )
    eng.upsert(
        "customers",
        [{"customer_id": sid, "city": SECRET, "email": f"{sid}@b.example"} for sid in ("shared", "b-only")],
    )
    eng.upsert(
        "orders",
        [
            {
                "order_id": sid,
                "customer_id": sid,
                "status": "paid",
                "ordered_at": "2026-01-01T00:00:00Z",
                "total_amount": 5,
                "coupon_code": SECRET,
                "items": [{"sku": "shared", "quantity": 1, "unit_price": 5}],
            }
            for sid in ("shared", "b-only")
        ],
    )
    eng.upsert(
        "reviews", [{"review_id": sid, "sku": "shared", "text": SECRET} for sid in ("shared", "b-only")]
    )
    eng.upsert("inventory", [{"sku": sid, "on_hand": 7, "supplier": SECRET} for sid in ("shared", "b-only")])
    eng.upsert("locations", [{"location_id": sid, "name": SECRET} for sid in ("shared", "b-only")])
    eng.add_events(
        [
            {
                "event_id": sid,
                "event_type": "search",
                "session_id": "s",
                "query": SECRET,
                "ts": __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC),
            }
            for sid in ("shared", "b-only")
        ]
    )
    # customer service: a conversation with a ticket and a person's reply, and an FAQ entry
    eng.data.upsert(
        "conversations",
        [{"conversation_id": sid, "customer_id": sid, "status": "waiting"} for sid in ("shared", "b-only")],
    )
    now = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
    eng.data.upsert(
        "chat_messages",
        [
            {"conversation_id": sid, "seq": 1, "role": "customer", "text": SECRET, "ts": now}
            for sid in ("shared", "b-only")
        ],
    )
    eng.data.upsert(
        "handoff_tickets",
        [
            {
                "ticket_id": sid,
                "conversation_id": sid,
                "reason": "asked",
                "question": SECRET,
                "status": "open",
            }
            for sid in ("shared", "b-only")
        ],
    )
    eng.desk.add_faq(f"Where is your {SECRET} farm?", f"Our farm is {SECRET}.", "en", faq_id="shared")
    eng.train()


def _snapshot(sm: Shopmind, shop: str) -> dict[str, list[dict[str, Any]]]:
    data = sm.store.shop(shop)
    return {t: data.rows(t, limit=10_000) for t in KEYED_TABLES}


def test_a_key_of_one_shop_never_reads_or_writes_another_shops_rows(sm: Shopmind) -> None:
    _seed_shop_b(sm)
    before = _snapshot(sm, "b")
    c = client_for(sm)
    key_a = auth(sm.create_api_key("a", "owner of a", "owner")[1])
    checked = 0
    for method, path in _routes(sm):
        for item_id in ("shared", "b-only"):
            url = _fill(path, item_id)
            body = _sample(path, item_id) if method in ("POST", "PUT", "PATCH") else None
            for query in ("", "?limit=1000", "?location_id="):
                r = c.request(method, url + query, headers=key_a, json=body)
                assert SECRET not in r.text, (method, url, r.text[:300])
                assert r.status_code < 500, (method, url, r.text)
                checked += 1
    # Shop b is exactly as it was: nothing of a's writes landed there.
    assert _snapshot(sm, "b") == before
    # ...while a's own writes did land in a.
    assert sm.store.shop("a").get("products", {"sku": "b-only"}) is not None
    assert checked > 150
    # And b's key sees b's data (the secret is reachable, so the check above could fail).
    key_b = auth(sm.create_api_key("b", "owner of b", "owner")[1])
    assert SECRET in c.get("/v1/products/shared", headers=key_b).text


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_both_key_headers_work(sqlite_sm: Shopmind, header: str) -> None:
    key = sqlite_sm.create_api_key("a", "k", "analyst")[1]
    value = key if header == "X-API-Key" else f"Bearer {key}"
    assert client_for(sqlite_sm).get("/v1/me", headers={header: value}).json()["role"] == "analyst"
