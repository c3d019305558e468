"""Customer intelligence end to end on a small demo shop: trained once, served over the API and CLI."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import auth, client_for
from shopmind.config import Settings
from shopmind.customers.profiles import PROFILE_NAMES
from shopmind.customers.segments import SEGMENTS
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

Shop = tuple[Shopmind, TestClient, dict[str, str], Any]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp: Path = tmp_path_factory.mktemp("customers")
    sm = Shopmind.open(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'shop.db'}", secret_key="t"))
    sm.create_shop("demo", "Demo")
    store = generate_demo_store(seed=5, size=DemoSize(products=80, customers=500, days=240))
    frames = {
        name: getattr(store, name) for name in ("products", "customers", "orders", "order_items", "reviews")
    }
    import_frames(sm.engine("demo"), frames, source="demo")
    sm.engine("demo").train(["customers"])
    keys = {
        "owner": sm.create_api_key("demo", "o", "owner")[1],
        "analyst": sm.create_api_key("demo", "a", "analyst")[1],
        "service": sm.create_api_key("demo", "s", "service")[1],
    }
    yield sm, client_for(sm), keys, store
    sm.close()


def test_segments_cover_every_buyer_with_named_segments(shop: Shop) -> None:
    _, client, keys, store = shop
    r = client.get("/v1/segments", headers=auth(keys["analyst"]))
    assert r.status_code == 200, r.text
    body = r.json()
    buyers = store.orders[~store.orders["status"].isin(["cancelled", "returned", "refunded"])]
    assert body["customers"] == buyers["customer_id"].nunique()
    assert sum(s["customers"] for s in body["segments"]) == body["customers"]
    assert {s["segment"] for s in body["segments"]} <= set(SEGMENTS)
    assert abs(sum(s["revenue_share"] for s in body["segments"]) - 1) < 1e-3
    by = {s["segment"]: s for s in body["segments"]}
    # Champions bought recently and are worth more than the lost.
    assert by["champions"]["avg_recency_days"] < by["lost"]["avg_recency_days"]
    assert by["champions"]["avg_value"] > by["lost"]["avg_value"]
    assert client.get("/v1/segments", headers=auth(keys["service"])).status_code == 403


def test_customer_insight_and_tags_change_at_once(shop: Shop) -> None:
    _, client, keys, store = shop
    customer = str(store.orders["customer_id"].value_counts().index[0])
    r = client.get(f"/v1/customers/{customer}/insight", headers=auth(keys["owner"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["segment"] in SEGMENTS
    assert 0 <= body["p_alive"] <= 1
    assert body["clv_12m"] >= 0
    assert 0 <= body["churn_risk"] <= 1
    assert body["profile"] in PROFILE_NAMES
    assert body["profile_name"]["zh-CN"] == PROFILE_NAMES[body["profile"]]["zh-CN"]
    assert "seasonal_fruit_intent" not in {t["tag"] for t in body["tags"]}
    now = dt.datetime.now(dt.UTC).isoformat()
    event = {
        "event_id": "tag-1",
        "event_type": "search",
        "customer_id": customer,
        "query": "时令水果",
        "ts": now,
    }
    assert (
        client.post("/v1/events", json={"events": [event]}, headers=auth(keys["service"])).status_code == 200
    )
    tags = client.get(f"/v1/customers/{customer}/insight", headers=auth(keys["owner"])).json()["tags"]
    assert "seasonal_fruit_intent" in {t["tag"] for t in tags}
    missing = client.get("/v1/customers/nobody/insight", headers=auth(keys["owner"]))
    assert missing.status_code == 404
    assert "Customers appear once they have bought" in missing.json()["error"]


def test_valuable_customers_at_risk_get_a_bounded_action_with_its_value(shop: Shop) -> None:
    sm, client, keys, _ = shop
    table = sm.engine("demo").model("customers").customers_
    with_action = table[table["action_action"].notna()]
    assert len(with_action) > 0
    assert (with_action["churn_risk"] >= 0.5).all()  # the default policy's risk threshold
    coupons = with_action[with_action["action_action"] == "coupon"]
    # A coupon never exceeds a fifth of the typical basket (the policy's discount cap).
    assert (coupons["action_coupon_amount"] <= 0.2 * coupons["action_coupon_min_spend"] + 1e-9).all()
    customer = str(with_action["action_expected_value"].idxmax())
    body = client.get(f"/v1/customers/{customer}/insight", headers=auth(keys["analyst"])).json()
    assert body["action"]["expected_value"] > 0
    assert "流失风险" in body["action"]["reason"]["zh-CN"]
    assert "Churn risk" in body["action"]["reason"]["en"]


def test_audience_count_and_export_hold_no_raw_contacts(shop: Shop) -> None:
    _, client, keys, store = shop
    audience = {"segments": ["champions", "loyal"], "consent_only": False}
    count = client.post("/v1/audiences/count", json=audience, headers=auth(keys["analyst"])).json()
    assert count["count"] > 0
    consenting = client.post(
        "/v1/audiences/count", json={**audience, "consent_only": True}, headers=auth(keys["analyst"])
    ).json()
    assert 0 < consenting["count"] < count["count"]
    r = client.post("/v1/audiences/export", json={"audience": audience}, headers=auth(keys["analyst"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert set(rows[0]) == {"email_sha256", "phone_sha256"}
    # The export applies consent whatever the filter says.
    assert len(rows) == consenting["count"]
    contacts = store.customers.set_index("customer_id")
    for value in [*contacts["email"].dropna(), *contacts["phone"].dropna()][:300]:
        assert str(value).lower() not in r.text.lower()
    members = set(contacts.index)
    assert not any(cid in r.text for cid in list(members)[:300])
    # Hashes are of the normalized contacts of consenting members.
    emails = {hashlib.sha256(str(e).strip().lower().encode()).hexdigest() for e in contacts["email"].dropna()}
    assert {row["email_sha256"] for row in rows if row["email_sha256"]} <= emails
    # A service key may not export; bad filters get the one error shape.
    assert (
        client.post(
            "/v1/audiences/export", json={"audience": audience}, headers=auth(keys["service"])
        ).status_code
        == 403
    )
    bad = client.post("/v1/audiences/count", json={"segments": ["vip"]}, headers=auth(keys["analyst"]))
    assert bad.status_code == 422
    assert "Unknown segment 'vip'" in bad.json()["error"]


def test_refresh_reads_only_changed_customers_and_records_moves(shop: Shop) -> None:
    sm, client, keys, store = shop
    engine = sm.engine("demo")
    before = engine.model("customers")
    lost = before.customers_[before.customers_["segment"] == "lost"].index[0]
    order = {
        "order_id": "fresh-1",
        "customer_id": lost,
        "status": "paid",
        "ordered_at": dt.datetime.now(dt.UTC).isoformat(),
        "total_amount": 500,
        "items": [{"sku": store.products["sku"].iloc[0], "quantity": 2, "unit_price": 250}],
    }
    assert client.post("/v1/orders", json=order, headers=auth(keys["owner"])).status_code in (200, 201)
    r = client.post("/v1/customers/refresh", headers=auth(keys["owner"]))
    assert r.status_code == 200, r.text
    info = r.json()
    # Only customers whose orders changed since training are re-read: the new order's, plus those
    # of the last import batch (written at the training watermark, re-read to be safe).
    assert 1 <= info["changed_customers"] < len(before.customers_) / 2
    after = engine.model("customers")
    assert after is not before
    assert after.customers_.loc[lost, "frequency"] == before.customers_.loc[lost, "frequency"] + 1
    assert after.customers_.loc[lost, "recency_days"] < 1
    assert after.customers_.loc[lost, "segment"] != "lost"
    assert any(m["from"] == "lost" for m in after.history_[-1].moves)
    # The previous version still has the old row (atomic versions, nothing changed in place).
    assert before.customers_.loc[lost, "segment"] == "lost"
    # A second refresh with no new orders re-reads at most the customers touched at the watermark.
    again = client.post("/v1/customers/refresh", headers=auth(keys["owner"])).json()
    assert again["changed_customers"] <= 1


def test_cli_segments_and_audience_export(shop: Shop, tmp_path: Path) -> None:
    sm = shop[0]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SHOPMIND_SECRET_KEY": "t", "COLUMNS": "200"}
        base = ["--data-dir", str(sm.settings.data_dir), "--database-url", sm.settings.database_url]
        cmd = [sys.executable, "-m", "shopmind.cli", *base, *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)

    shown = run("customers", "segments", "--shop", "demo", "--lang", "zh-CN")
    assert shown.returncode == 0, shown.stderr
    assert "重要价值客户" in shown.stdout
    out = tmp_path / "aud.csv"
    done = run(
        "audience", "export", "--shop", "demo", "--out", str(out), "--where", '{"segments": ["at_risk"]}'
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "email_sha256,phone_sha256"
    bad = run("audience", "count", "--shop", "demo", "--where", '{"min_value": "lots"}')
    assert bad.returncode == 2, bad.stderr
    assert "The audience is not valid: min_value" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
