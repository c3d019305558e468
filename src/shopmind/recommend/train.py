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
        metrics["ranker"] = hybrid.mode_
        metrics["selection_ndcg@10"] = hybrid.selection_
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


def evaluate_recommender(
    data: ShopStore, *, k: int = 10, holdout: float = 0.2, split: str = "temporal", seed: int = 0
) -> dict[str, Any]:
    """Offline evaluation on the shop's own data: a ``holdout`` share of each customer's
    interactions is hidden (the latest ones, or a random draw with ``split="random"``), the
    recommender is fitted on the rest and asked for ``k`` products. Popularity is evaluated on the
    same split for comparison. Returns a JSON-ready report."""
    from shopmind.errors import check_param
    from shopmind.recommend.evaluate import evaluate, random_split, temporal_split

    check_param(
        "evaluate_recommender", "split", split, split in ("temporal", "random"), "'temporal' or 'random'"
    )
    from shopmind.recommend.popularity import Popularity

    events = recommender_events(data)
    products = data.frame("products")
    customers = data.frame("customers", ["customer_id", "province", "gender", "age_band"])
    inventory = data.frame("inventory", ["sku", "location_id", "on_hand"])
    rated = events.dropna(subset=["customer_id", "sku"])
    if split == "temporal":
        train_ev, test_ev = temporal_split(rated, time_col="ts", holdout=holdout, min_user_interactions=5)
        described = (
            f"temporal: each customer's last {holdout:.0%} of interactions held out (customers with >= 5)"
        )
    else:
        train_ev, test_ev = random_split(rated, test_fraction=holdout, seed=seed, min_user_interactions=5)
        described = f"random: {holdout:.0%} of each customer's interactions held out at random (seed {seed}, customers with >= 5)"
    cutoff = pd.to_datetime(train_ev["ts"], utc=True).max().to_pydatetime()
    train_events = pd.concat([train_ev, events[events["customer_id"].isna()]], ignore_index=True)
    model = ShopRecommender().fit(
        train_events, products=products, customers=customers, inventory=inventory, now=cutoff
    )
    pop = Popularity().fit(train_ev.assign(quantity=1.0), now=cutoff)

    def hybrid(users: Any, n: int) -> list[list[str]]:
        return [[r.sku for r in model.recommend(u, n, now=cutoff)] for u in users]

    def popular(users: Any, n: int) -> list[list[str]]:
        top = [s.id for s in pop.top(n)]
        return [top for _ in users]

    groups = {
        col: {
            str(c): str(v)
            for c, v in zip(customers["customer_id"], customers[col], strict=True)
            if isinstance(v, str)
        }
        for col in ("province", "gender", "age_band")
    }
    # Producers: brands with few products stand for small farms and cooperatives.
    brand_size = products.groupby("brand")["sku"].transform("size") if "brand" in products else None
    item_groups = {}
    if brand_size is not None:
        item_groups["producer"] = {
            str(s): ("small" if n <= 3 else "large") for s, n in zip(products["sku"], brand_size, strict=True)
        }
    category = {
        str(s): str(c).split("/")[0] for s, c in zip(products["sku"], products["category"], strict=True)
    }
    catalog = list(products["sku"].astype(str))
    return {
        "split": described,
        "systems": {
            "shopmind": evaluate(
                hybrid,
                train_ev,
                test_ev,
                k=k,
                catalog=catalog,
                item_category=category,
                user_groups=groups,
                item_groups=item_groups,
            ),
            "popularity": evaluate(popular, train_ev, test_ev, k=k, catalog=catalog, item_category=category),
        },
    }
