"""Forecasts and the replenishment plan end to end on a small demo shop: trained from the store,
served over the API (JSON, CSV, Excel) and the CLI."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from helpers import auth, client_for
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

Shop = tuple[Shopmind, TestClient, dict[str, str], Any]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp: Path = tmp_path_factory.mktemp("forecast")
    sm = Shopmind.open(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'shop.db'}", secret_key="t"))
    sm.create_shop("demo", "Demo")
    store = generate_demo_store(seed=3, size=DemoSize(products=40, customers=300, days=240))
    frames = {n: getattr(store, n) for n in ("products", "customers", "orders", "order_items", "inventory")}
    import_frames(sm.engine("demo"), frames, source="demo")
    # A product just listed, with no sales yet: a twin of the best seller.
    best = store.order_items.groupby("sku")["quantity"].sum().idxmax()
    twin = store.products.set_index("sku").loc[best]
    sm.engine("demo").upsert(
        "products",
        [
            {
                "sku": "NEW-TWIN",
                "title": f"新品 {twin['title']}",
                "category": twin["category"],
                "price": float(twin["price"]),
            }
        ],
    )
    sm.engine("demo").train(["forecast"])
    keys = {
        "analyst": sm.create_api_key("demo", "a", "analyst")[1],
        "service": sm.create_api_key("demo", "s", "service")[1],
    }
    yield sm, client_for(sm), keys, store
    sm.close()


def test_forecast_of_a_sku_has_history_and_nested_intervals(shop: Shop) -> None:
    sm, client, keys, _ = shop
    model = sm.engine("demo").model("forecast")
    sku = model.skus_[0]
    r = client.get(f"/v1/forecasts/{sku}?history=30", headers=auth(keys["analyst"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["freq"] == "D"
    series = body["series"][0]
    assert len(series["history"]) == 30
    assert len(series["forecast"]) == body["horizon"] == 28
    assert series["model"]
    # The forecast starts the day after the history ends.
    assert series["forecast"][0]["ds"] > series["history"][-1]["ds"]
    for p in series["forecast"]:
        assert 0 <= p["lo_95"] <= p["lo_80"] + 1e-9
        assert p["lo_80"] <= p["mean"] + 1e-9 <= p["hi_80"] + 2e-9
        assert p["hi_80"] <= p["hi_95"] + 1e-9
    missing = client.get("/v1/forecasts/no-such-sku", headers=auth(keys["analyst"]))
    assert missing.status_code == 404
    assert "shopmind train forecast" in missing.json()["error"]
    assert client.get(f"/v1/forecasts/{sku}", headers=auth(keys["service"])).status_code == 403


def test_a_new_product_is_forecast_from_similar_products(shop: Shop) -> None:
    sm, client, keys, _ = shop
    model = sm.engine("demo").model("forecast")
    assert "NEW-TWIN" in model.new_products_
    body = client.get("/v1/forecasts/NEW-TWIN", headers=auth(keys["analyst"])).json()
    series = body["series"][0]
    assert series["history"] == []
    assert series["model"] == "similar-products"
    assert len(series["forecast"]) == 28
    assert sum(p["mean"] for p in series["forecast"]) > 0  # its neighbours sell


def test_replenishment_respects_shelf_life_and_supplier_minimums(shop: Shop) -> None:
    _, client, keys, _ = shop
    body = client.get("/v1/replenishment", headers=auth(keys["analyst"])).json()
    plan = body["plan"]
    assert len(plan) > 0
    for row in plan:
        assert row["order_qty"] >= 0
        if row["shelf_life_cap"] is not None:
            # Never more than can be sold before it expires (plus rounding up to whole units).
            assert row["order_qty"] <= max(row["shelf_life_cap"], 0) + 1 + 1e-9, row
        if row["order_qty"] > 0:
            assert row["reason_zh"]
            assert row["reason_en"]
            if row["min_order_qty"] and not row["moq_conflict"]:
                assert row["order_qty"] >= row["min_order_qty"] - 1e-9, row
    assert any(r["capped_by_shelf_life"] for r in plan) or all(r["shelf_life_cap"] is None for r in plan)
    only = client.get("/v1/replenishment?only_orders=true", headers=auth(keys["analyst"])).json()["plan"]
    assert all(r["order_qty"] > 0 for r in only)
    assert len(only) == sum(r["order_qty"] > 0 for r in plan)


def test_replenishment_exports_csv_and_excel(shop: Shop) -> None:
    _, client, keys, _ = shop
    r = client.get("/v1/replenishment?format=csv&lang=en", headers=auth(keys["analyst"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows
    assert "reason_en" in rows[0]
    assert "reason_zh" not in rows[0]
    x = client.get("/v1/replenishment?format=xlsx", headers=auth(keys["analyst"]))
    assert x.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert book.sheetnames == ["replenishment", "alerts"]
    header = [c.value for c in next(book["replenishment"].iter_rows(max_row=1))]
    assert "order_qty" in header
    assert "reason_zh" in header
    bad = client.get("/v1/replenishment?format=pdf", headers=auth(keys["analyst"]))
    assert bad.status_code == 422


def test_cli_writes_the_plan(shop: Shop, tmp_path: Path) -> None:
    sm = shop[0]
    env = {**os.environ, "SHOPMIND_SECRET_KEY": "t", "COLUMNS": "200"}
    base = ["--data-dir", str(sm.settings.data_dir), "--database-url", sm.settings.database_url]
    out = tmp_path / "plan.xlsx"
    cmd = [sys.executable, "-m", "shopmind.cli", *base, "replenishment", "--shop", "demo", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["replenishment", "alerts"]
    bad = subprocess.run(
        [*cmd[:-1], str(tmp_path / "plan.pdf")], capture_output=True, text=True, env=env, timeout=300
    )
    assert bad.returncode != 0
    assert "must end in .csv or .xlsx" in bad.stderr
    assert "Traceback" not in bad.stderr
