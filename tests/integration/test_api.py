"""The REST API end to end, in process (httpx transport), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import auth, client_for
from shopmind.engine import Shopmind


def _keys(sm: Shopmind, shop: str = "a") -> dict[str, str]:
    return {role: sm.create_api_key(shop, role, role)[1] for role in ("owner", "analyst", "service")}


def _event(i: int, **kw: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "event_type": "view",
        "sku": "p1",
        "customer_id": "c1",
        "ts": "2026-06-18T20:00:00+08:00",
        **kw,
    }


def test_healthz_needs_no_key(sm: Shopmind) -> None:
    r = client_for(sm).get("/healthz")
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert r.json()["store"] == sm.store.dialect


def test_products_create_read_update(sm: Shopmind) -> None:
    c = client_for(sm)
    h = auth(_keys(sm)["owner"])
    body = {
        "sku": "rice-5kg",
        "title": "五常大米 5kg",
        "title_en": "Wuchang rice 5 kg",
        "price": 89.9,
        "category": "粮油/大米",
        "harvest_months": [9, 10],
        "certifications": ["geographical_indication"],
        "shelf_life_days": 365,
    }
    r = c.post("/v1/products", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "五常大米 5kg"
    assert c.post("/v1/products", json=body, headers=h).status_code == 409
    r = c.patch("/v1/products/rice-5kg", json={"price": 79.9}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["price"] == 79.9
    assert r.json()["harvest_months"] == [9, 10]
    r = c.put("/v1/products/rice-5kg", json={**body, "title": "五常稻花香大米 5kg"}, headers=h)
    assert r.status_code == 200
    assert c.get("/v1/products/rice-5kg", headers=h).json()["title"] == "五常稻花香大米 5kg"
    page = c.get("/v1/products?limit=10", headers=h).json()
    assert page["total"] == 1
    assert page["items"][0]["sku"] == "rice-5kg"
    r = c.post("/v1/products/batch", json={"items": [body, {**body, "sku": "rice-10kg"}]}, headers=h)
    assert r.json() == {"ok": True, "inserted": 1, "updated": 1, "unchanged": 0}


def test_orders_with_items_and_inventory(sm: Shopmind) -> None:
    c = client_for(sm)
    h = auth(_keys(sm)["owner"])
    order = {
        "order_id": "o1",
        "customer_id": "c1",
        "status": "paid",
        "ordered_at": "2026-11-11T00:05:00+08:00",
        "paid_at": "2026-11-11T00:06:00+08:00",
        "total_amount": 99.0,
        "coupon_code": "DOUBLE11-20",
        "items": [{"sku": "p1", "quantity": 2, "unit_price": 59.5, "discount_amount": 20}],
    }
    assert c.post("/v1/orders", json=order, headers=h).status_code == 201
    got = c.get("/v1/orders/o1", headers=h).json()
    assert got["items"][0]["quantity"] == 2
    assert got["ordered_at"] == "2026-11-10T16:05:00Z"
    bad = {**order, "order_id": "o2", "paid_at": "2026-11-10T00:00:00+08:00"}
    r = c.post("/v1/orders", json=bad, headers=h)
    assert r.status_code == 422
    assert "before the previous step" in r.json()["error"]
    assert (
        c.put(
            "/v1/inventory/p1",
            json={"sku": "p1", "on_hand": 40, "lead_time_days": 3, "min_order_qty": 10},
            headers=h,
        ).status_code
        == 201
    )
    assert c.get("/v1/inventory/p1", headers=h).json()["on_hand"] == 40
    assert c.get("/v1/inventory/p1?location_id=elsewhere", headers=h).status_code == 404


def test_events_are_validated_idempotent_and_counted(sm: Shopmind) -> None:
    c = client_for(sm)
    h = auth(_keys(sm)["service"])
    batch = {
        "events": [_event(i) for i in range(5)] + [_event(9, event_type="search", sku=None, query="时令水果")]
    }
    r = c.post("/v1/events", json=batch, headers=h)
    assert r.json() == {"ok": True, "received": 6, "inserted": 6, "duplicates": 0}
    r = c.post("/v1/events", json=batch, headers=h)
    assert r.json() == {"ok": True, "received": 6, "inserted": 0, "duplicates": 6}
    assert sm.engine("a").data.count("events") == 6
    bad = {"events": [_event(20), _event(21, ts="2026-06-18T20:00:00"), _event(22, event_type="teleport")]}
    r = c.post("/v1/events", json=bad, headers=h)
    assert r.status_code == 422
    body = r.json()
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("events", 1, "ts"), ("events", 2, "event_type")}
    assert "Nothing was stored" in body["error"]
    assert sm.engine("a").data.count("events") == 6
    assert c.post("/v1/events", content=b"{not json", headers=h).status_code == 422


def test_rate_limit_answers_429_with_retry_after(sm: Shopmind) -> None:
    sm.rate_limiter.rate, sm.rate_limiter.burst = 10.0, 10.0
    c = client_for(sm)
    h = auth(_keys(sm)["service"])
    assert c.post("/v1/events", json={"events": [_event(i) for i in range(8)]}, headers=h).status_code == 200
    r = c.post("/v1/events", json={"events": [_event(i) for i in range(10, 18)]}, headers=h)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 429


def test_roles(sm: Shopmind) -> None:
    c = client_for(sm)
    keys = _keys(sm)
    owner, analyst, service = (auth(keys[r]) for r in ("owner", "analyst", "service"))
    customer = {
        "customer_id": "c1",
        "province": "浙江",
        "email": "Li.Hua@Example.com",
        "phone": "13800138000",
    }
    assert c.post("/v1/customers", json=customer, headers=owner).status_code == 201
    # Owners read contacts in clear, analysts masked, service keys not at all.
    assert c.get("/v1/customers/c1", headers=owner).json()["email"] == "Li.Hua@Example.com"
    masked = c.get("/v1/customers/c1", headers=analyst).json()
    assert masked["email"] == "L***@Example.com"
    assert masked["phone"] == "138****00"
    assert not any(k.endswith(("_enc", "_hash")) for k in masked)
    assert c.get("/v1/customers/c1", headers=service).status_code == 403
    # Service keys send events and read serving endpoints only.
    assert c.post("/v1/events", json={"events": [_event(1)]}, headers=service).status_code == 200
    assert c.post("/v1/products", json={"sku": "p", "title": "t"}, headers=service).status_code == 403
    assert c.get("/v1/overview", headers=service).status_code == 403
    assert c.post("/v1/products", json={"sku": "p", "title": "t"}, headers=analyst).status_code == 403
    assert c.get("/v1/products/p", headers=service).status_code == 404  # allowed, just absent
    assert c.get("/v1/audit", headers=analyst).status_code == 403


def test_contacts_are_encrypted_at_rest(sm: Shopmind) -> None:
    c = client_for(sm)
    h = auth(_keys(sm)["owner"])
    c.post(
        "/v1/customers",
        json={"customer_id": "c1", "email": "wang@example.com", "phone": "+86 139 0000 1111"},
        headers=h,
    )
    with sm.store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT email_enc, phone_enc, email_hash FROM customers").one()
    assert b"wang@example.com" not in bytes(raw[0])
    assert b"1390000" not in bytes(raw[1])
    assert raw[2] == sm.cipher.blind_index(" WANG@example.com ", "email")


def test_keys_and_revocation(sm: Shopmind) -> None:
    c = client_for(sm)
    key_id, key = sm.create_api_key("a", "temp", "owner")
    assert c.get("/v1/me", headers=auth(key)).json()["shop_id"] == "a"
    sm.revoke_api_key(key_id)
    r = c.get("/v1/me", headers=auth(key))
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]
    assert c.get("/v1/me", headers=auth(key[:-2] + "xx")).status_code == 401
    assert c.get("/v1/me", headers=auth("hello")).status_code == 401
    with sm.store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT secret_hash FROM api_keys").scalar_one()
    assert stored.startswith("$argon2id$")
    assert key.split("_", 2)[2] not in stored


def test_audit_log_records_who_read_and_changed_what(sm: Shopmind) -> None:
    c = client_for(sm)
    keys = _keys(sm)
    c.post("/v1/products", json={"sku": "p1", "title": "蜂蜜"}, headers=auth(keys["owner"]))
    c.get("/v1/products/p1", headers=auth(keys["analyst"]))
    entries = c.get("/v1/audit", headers=auth(keys["owner"])).json()
    seen = {(e["action"], e["resource"], e["role"]) for e in entries}
    assert ("create", "/v1/products", "owner") in seen
    assert ("read", "/v1/products/p1", "analyst") in seen
    assert all(e["shop_id"] == "a" for e in entries)


def test_training_and_serving_pick_up_new_versions(sm: Shopmind) -> None:
    c = client_for(sm)
    h = auth(_keys(sm)["owner"])
    assert c.get("/v1/popular", headers=h).status_code == 404
    orders = [
        {
            "order_id": f"o{i}",
            "customer_id": f"c{i % 7}",
            "status": "completed",
            "ordered_at": f"2026-05-{1 + i % 28:02d}T10:00:00+08:00",
            "total_amount": 10,
            "shipping_province": "浙江",
            "items": [{"sku": "honey" if i % 3 else "tea", "quantity": 1, "unit_price": 10}],
        }
        for i in range(60)
    ]
    assert c.post("/v1/orders/batch", json={"items": orders}, headers=h).status_code == 200
    r = c.post("/v1/models/popularity/train", headers=h)
    assert r.status_code == 200, r.text
    top = c.get("/v1/popular?n=2", headers=h).json()["items"]
    assert [t["sku"] for t in top] == ["honey", "tea"]
    # A newer version trained elsewhere (another process, the CLI) is served without a restart.
    more = [
        {**o, "order_id": f"x{i}", "items": [{"sku": "tea", "quantity": 5, "unit_price": 10}]}
        for i, o in enumerate(orders)
    ]
    sm.engine("a").upsert("orders", more)
    sm.engine("a").train(["popularity"])
    assert c.get("/v1/popular?n=1", headers=h).json()["items"][0]["sku"] == "tea"
    assert c.post("/v1/models/nope/train", headers=h).status_code == 422


@pytest.mark.parametrize("path", ["/v1/overview", "/v1/status", "/v1/models"])
def test_analytics_routes_answer(sm: Shopmind, path: str) -> None:
    c = client_for(sm)
    r = c.get(path, headers=auth(_keys(sm)["analyst"]))
    assert r.status_code == 200, r.text


def test_openapi_documents_every_route(sqlite_sm: Shopmind) -> None:
    spec = client_for(sqlite_sm).get("/openapi.json").json()
    assert "/v1/events" in spec["paths"]
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/EventBatch"
    assert "EventCreate" in spec["components"]["schemas"]
    for path in (
        "/v1/products",
        "/v1/customers/{item_id}",
        "/v1/orders/batch",
        "/v1/reviews",
        "/v1/inventory/{item_id}",
    ):
        assert path in spec["paths"]


def test_console_sessions_end_when_the_key_is_revoked(sqlite_sm: Shopmind) -> None:
    c = client_for(sqlite_sm)
    key_id, key = sqlite_sm.create_api_key("a", "console", "analyst")
    r = c.post("/console/login", data={"api_key": key}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/v1/me").json()["role"] == "analyst"  # the session cookie authenticates the API too
    assert c.get("/console/", follow_redirects=False).status_code == 200
    sqlite_sm.revoke_api_key(key_id)
    assert c.get("/v1/me").status_code == 401
    assert c.get("/console/", follow_redirects=False).headers["location"] == "/console/login"


def test_console_login_with_a_user_account(sqlite_sm: Shopmind) -> None:
    sqlite_sm.create_user("a", "li", "correct horse", "owner")
    c = client_for(sqlite_sm)
    bad = c.post("/console/login", data={"username": "li", "password": "wrong"})
    assert "Wrong user name or password" in bad.text
    assert c.get("/v1/me").status_code == 401
    assert (
        c.post(
            "/console/login", data={"username": "li", "password": "correct horse"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert c.get("/v1/me").json()["actor"] == "user:li"
    assert "console" in {e["resource"] for e in sqlite_sm.audit_entries("a")}
