"""Training and refreshing the shop's customer model from the store (the Engine's I/O edge)."""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from shopmind.customers.service import CustomerIntelligence
from shopmind.schema import tables as t
from shopmind.store import ShopStore

ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "status",
    "ordered_at",
    "total_amount",
    "discount_amount",
    "quantity",
    "coupon_code",
    "shipping_province",
]
ITEM_COLUMNS = ["order_id", "line_no", "sku", "quantity", "unit_price", "discount_amount"]
CUSTOMER_COLUMNS = ["customer_id", "province", "city", "consent_marketing"]
REVIEW_COLUMNS = ["review_id", "sku", "customer_id", "order_id", "rating", "text", "reviewed_at"]
#: Customers read per query when refreshing (keeps the IN list within every driver's limits).
CHUNK = 500


def orders_watermark(data: ShopStore) -> dt.datetime | None:
    """The latest change to any order: what the next refresh starts from."""
    o = t.orders
    rows = data.execute(select(func.max(o.c.updated_at).label("latest")).where(o.c.shop_id == data.shop_id))
    return rows[0]["latest"] if rows else None


def _frame(data: ShopStore, table: Any, columns: Sequence[str], where: Any = None) -> pd.DataFrame:
    stmt = select(*[table.c[c] for c in columns]).where(table.c.shop_id == data.shop_id)
    if where is not None:
        stmt = stmt.where(where)
    return pd.DataFrame(data.execute(stmt), columns=list(columns))


def customer_tables(data: ShopStore, customer_ids: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Orders (and their lines, the catalog, customers, reviews) of the shop or of some customers."""
    if customer_ids is None:
        orders = data.frame("orders", ORDER_COLUMNS)
        items = data.frame("order_items", ITEM_COLUMNS)
        customers = data.frame("customers", CUSTOMER_COLUMNS)
    else:
        ids = list(customer_ids)
        chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
        orders = pd.concat(
            [_frame(data, t.orders, ORDER_COLUMNS, t.orders.c.customer_id.in_(c)) for c in chunks]
            or [pd.DataFrame(columns=ORDER_COLUMNS)],
            ignore_index=True,
        )
        order_ids = orders["order_id"].tolist()
        items = pd.concat(
            [
                _frame(
                    data, t.order_items, ITEM_COLUMNS, t.order_items.c.order_id.in_(order_ids[i : i + CHUNK])
                )
                for i in range(0, len(order_ids), CHUNK)
            ]
            or [pd.DataFrame(columns=ITEM_COLUMNS)],
            ignore_index=True,
        )
        customers = pd.concat(
            [_frame(data, t.customers, CUSTOMER_COLUMNS, t.customers.c.customer_id.in_(c)) for c in chunks]
            or [pd.DataFrame(columns=CUSTOMER_COLUMNS)],
            ignore_index=True,
        )
    products = data.frame(
        "products", ["sku", "title", "category", "price", "cost", "certifications", "attributes"]
    )
    return {"orders": orders, "items": items, "products": products, "customers": customers}


def train_customers(data: ShopStore) -> tuple[CustomerIntelligence, dict[str, Any], dict[str, int]]:
    """Fit the customer model on every order of the shop."""
    watermark = orders_watermark(data)
    frames = customer_tables(data)
    reviews = data.frame("reviews", REVIEW_COLUMNS)
    start = time.perf_counter()
    model = CustomerIntelligence().fit(
        frames["orders"],
        items=frames["items"],
        products=frames["products"],
        customers=frames["customers"],
        reviews=reviews,
        now=dt.datetime.now(dt.UTC),
    )
    model.watermark_ = watermark
    metrics: dict[str, Any] = {
        "train_s": round(time.perf_counter() - start, 2),
        "segments": model.history_[-1].customers,
        "bgnbd": {k: round(float(v), 4) for k, v in model.clv_.params_.items()}
        if model.clv_ is not None
        else None,
        "notes": model.notes_,
    }
    sizes = {"orders": len(frames["orders"]), "customers": len(model.customers_)}
    return model, metrics, sizes


def refresh_customers(
    data: ShopStore, model: CustomerIntelligence, now: dt.datetime | None = None
) -> tuple[CustomerIntelligence, dict[str, Any]]:
    """A refreshed copy of ``model``: re-reads only the customers whose orders changed since it was
    last fitted or refreshed (``model.watermark_``)."""
    o = t.orders
    since = getattr(model, "watermark_", None)
    latest = orders_watermark(data)
    stmt = select(o.c.customer_id).distinct().where(o.c.shop_id == data.shop_id, o.c.customer_id.is_not(None))
    if since is not None:
        stmt = stmt.where(o.c.updated_at >= since)  # re-reading a customer is harmless; missing one is not
    changed = [r["customer_id"] for r in data.execute(stmt)]
    frames = customer_tables(data, changed)
    start = time.perf_counter()
    fresh = copy.deepcopy(model)  # the promoted model may be serving requests right now
    fresh.refresh(
        frames["orders"],
        items=frames["items"],
        products=frames["products"],
        customers=frames["customers"],
        now=now or dt.datetime.now(dt.UTC),
    )
    fresh.watermark_ = latest
    return fresh, {
        "changed_customers": len(changed),
        "refresh_s": round(time.perf_counter() - start, 3),
        "moves": fresh.history_[-1].moves[:20],
    }
