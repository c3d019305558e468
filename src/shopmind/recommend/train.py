"""Training the shop's recommender from the store (the Engine's edge between I/O and the model)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from shopmind.features.interactions import purchases_to_events
from shopmind.recommend.service import ShopRecommender
from shopmind.store import ShopStore

EVENT_COLUMNS = ["customer_id", "session_id", "sku", "event_type", "query", "value", "ts"]


def recommender_events(data: ShopStore) -> pd.DataFrame:
    """The shop's events, plus purchases from orders when the events do not record them."""
    events = data.frame("events", EVENT_COLUMNS)
    if not (events["event_type"] == "purchase").any():
        items = data.frame("order_items", ["order_id", "sku", "quantity", "unit_price"])
        if len(items):
            orders = data.frame("orders", ["order_id", "customer_id", "ordered_at", "status"])
            bought = purchases_to_events(items.merge(orders, on="order_id"))
            events = pd.concat([events, bought.reindex(columns=EVENT_COLUMNS)], ignore_index=True)
    return events


def train_recommender(data: ShopStore) -> tuple[ShopRecommender, dict[str, Any], dict[str, int]]:
    events = recommender_events(data)
    products = data.frame("products")
    customers = data.frame("customers", ["customer_id", "province"])
    inventory = data.frame("inventory", ["sku", "location_id", "on_hand"])
    start = time.perf_counter()
    model = ShopRecommender().fit(events, products=products, customers=customers, inventory=inventory)
    hybrid = model.hybrid_
    metrics: dict[str, Any] = {"train_s": round(time.perf_counter() - start, 2)}
    if hybrid is None:
        metrics["ranker"] = "none: no customer-product interactions yet (cold-start lists only)"
    else:
        metrics["ranker"] = "lambdarank" if hybrid.ranker_ is not None else "fusion"
        metrics["sources"] = sorted(hybrid.sources_)
        if hybrid.ranker_ is not None:
            importance = sorted(hybrid.feature_importances_.items(), key=lambda kv: -kv[1])
            metrics["feature_importance"] = {k: round(v, 1) for k, v in importance}
    sizes = {
        "events": len(events),
        "products": len(products),
        "customers": len(hybrid.history_) if hybrid else 0,
    }
    return model, metrics, sizes
