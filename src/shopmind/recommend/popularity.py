"""Popularity with time decay, globally and per region: the cold-start baseline every shop has."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

import numpy as np
import pandas as pd

from shopmind.errors import NotFittedError, check_param
from shopmind.results import Scored
from shopmind.store import ShopStore


class Popularity:
    """Items ranked by recent purchases, each weighted by ``0.5 ** (age / half_life_days)``.

    Parameters
    ----------
    half_life_days : float
        Age at which a purchase counts half. Small values follow trends; large ones, steady sellers.
    min_region_purchases : int
        A region with fewer purchases falls back to the global ranking.

    Examples
    --------
    >>> import pandas as pd
    >>> buys = pd.DataFrame({"sku": ["a", "a", "b"], "ts": pd.to_datetime(["2026-01-01"] * 3, utc=True),
    ...                      "region": ["浙江", "浙江", "广东"], "quantity": [1, 1, 1]})
    >>> Popularity(min_region_purchases=1).fit(buys).top(1, region="广东")[0].id
    'b'
    """

    def __init__(self, half_life_days: float = 30.0, min_region_purchases: int = 20) -> None:
        self.half_life_days = half_life_days
        self.min_region_purchases = min_region_purchases

    def fit(
        self,
        purchases: pd.DataFrame,
        *,
        item_col: str = "sku",
        time_col: str = "ts",
        region_col: str = "region",
        weight_col: str | None = "quantity",
        now: dt.datetime | None = None,
    ) -> Self:
        """Learn the rankings from a purchases table (one row per purchased line)."""
        check_param(
            "Popularity", "half_life_days", self.half_life_days, self.half_life_days > 0, "a number > 0"
        )
        check_param(
            "Popularity",
            "min_region_purchases",
            self.min_region_purchases,
            self.min_region_purchases >= 1,
            "an int >= 1",
        )
        ts = pd.to_datetime(purchases[time_col], utc=True)
        ref = pd.Timestamp(now) if now is not None else (ts.max() if len(ts) else pd.Timestamp.now(tz="UTC"))
        age_days = (ref - ts).dt.total_seconds().to_numpy() / 86400.0
        weight = np.power(0.5, np.clip(age_days, 0, None) / self.half_life_days)
        if weight_col and weight_col in purchases:
            weight = weight * purchases[weight_col].fillna(1).to_numpy(dtype=float)
        frame = pd.DataFrame({"item": purchases[item_col].astype(str).to_numpy(), "w": weight})
        self.scores_ = frame.groupby("item")["w"].sum().sort_values(ascending=False)
        self.by_region_: dict[str, pd.Series] = {}
        if region_col in purchases:
            frame["region"] = purchases[region_col].to_numpy()
            counts = frame.groupby("region").size()
            for region in counts[counts >= self.min_region_purchases].index:
                part = frame[frame["region"] == region]
                self.by_region_[str(region)] = part.groupby("item")["w"].sum().sort_values(ascending=False)
        self.fitted_at_ = ref.isoformat()
        return self

    def top(self, n: int = 10, *, region: str | None = None, exclude: set[str] | None = None) -> list[Scored]:
        """The ``n`` most popular items, in ``region`` when it has enough data."""
        if not hasattr(self, "scores_"):
            raise NotFittedError("This Popularity model is not fitted yet. Call fit() with purchases first.")
        check_param("Popularity.top", "n", n, isinstance(n, int) and n >= 1, "an int >= 1")
        scores, reason = self.scores_, "popular"
        if region is not None and region in self.by_region_:
            scores, reason = self.by_region_[region], f"popular_in_region:{region}"
        out = []
        for item, score in scores.items():
            if exclude and item in exclude:
                continue
            out.append(Scored(str(item), float(score), reason))
            if len(out) == n:
                break
        return out


def purchases_frame(data: ShopStore) -> pd.DataFrame:
    """Purchased lines with time and region, from order items or, without them, purchase events."""
    items = data.frame("order_items", ["order_id", "sku", "quantity"])
    if len(items):
        orders = data.frame(
            "orders", ["order_id", "customer_id", "ordered_at", "status", "shipping_province"]
        )
        orders = orders[orders["status"] != "cancelled"]
        merged = items.merge(orders, on="order_id")
        return merged.rename(columns={"ordered_at": "ts", "shipping_province": "region"})[
            ["sku", "customer_id", "ts", "region", "quantity"]
        ]
    events = data.frame("events", ["event_type", "sku", "customer_id", "ts"])
    bought = events[events["event_type"] == "purchase"].assign(region=None, quantity=1)
    return bought[["sku", "customer_id", "ts", "region", "quantity"]]


def holdout_hit_rate(
    purchases: pd.DataFrame, model: Popularity, n: int = 10, share: float = 0.1
) -> float | None:
    """Share of the last ``share`` of purchases (by time) whose item is in a model's top ``n``
    when fitted on the purchases before them."""
    if len(purchases) < 50:
        return None
    ordered = purchases.sort_values("ts")
    cut = int(len(ordered) * (1 - share))
    train, test = ordered.iloc[:cut], ordered.iloc[cut:]
    fitted = Popularity(model.half_life_days, model.min_region_purchases).fit(train)
    tops = {s.id for s in fitted.top(n)}
    return float(test["sku"].astype(str).isin(tops).mean())


def train_popularity(data: ShopStore) -> tuple[Popularity, dict[str, Any], dict[str, int]]:
    purchases = purchases_frame(data)
    model = Popularity().fit(purchases)
    hit = holdout_hit_rate(purchases, model)
    metrics = {"holdout_hit_rate@10": hit} if hit is not None else {}
    return model, metrics, {"purchases": len(purchases), "items": len(model.scores_)}
