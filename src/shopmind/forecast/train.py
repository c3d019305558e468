"""Training the shop's forecasts and replenishment plan from the store (the Engine's I/O edge)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pandas as pd

from shopmind.forecast.series import series_from_orders, series_from_sales
from shopmind.forecast.service import ShopForecast
from shopmind.store import ShopStore

PRODUCT_COLUMNS = [
    "sku",
    "title",
    "title_en",
    "category",
    "price",
    "cost",
    "attributes",
    "shelf_life_days",
    "harvest_months",
    "production_date",
    "status",
]
INVENTORY_COLUMNS = ["sku", "location_id", "on_hand", "lead_time_days", "supplier", "min_order_qty"]


def shop_series(data: ShopStore, timezone: str = "Asia/Shanghai") -> tuple[pd.DataFrame, str]:
    """The shop's demand series: the ``sales`` table when it has rows, else daily order lines."""
    sales = data.frame("sales")
    if len(sales):
        return series_from_sales(sales)
    orders = data.frame("orders", ["order_id", "ordered_at", "status"])
    items = data.frame("order_items", ["order_id", "sku", "quantity", "unit_price", "discount_amount"])
    # Series run to the shop's latest order, not to today: an export imported last week must not
    # read as a week without demand.
    end = pd.to_datetime(orders["ordered_at"], utc=True).max() if len(orders) else None
    return series_from_orders(orders, items, freq="D", timezone=timezone, end=end), "D"


def inventory_for(series: pd.DataFrame, inventory: pd.DataFrame) -> pd.DataFrame:
    """Inventory in the series' grain: per SKU and location when the series have locations, else
    summed over locations (the longest lead time and the largest minimum order quantity)."""
    if series["unique_id"].astype(str).str.contains("|", regex=False).any() or inventory.empty:
        return inventory
    return (
        inventory.groupby("sku", as_index=False)
        .agg(
            on_hand=("on_hand", "sum"),
            lead_time_days=("lead_time_days", "max"),
            supplier=("supplier", "first"),
            min_order_qty=("min_order_qty", "max"),
        )
        .assign(location_id="")
    )


def train_forecast(data: ShopStore) -> tuple[ShopForecast, dict[str, Any], dict[str, int]]:
    """Forecast every series of the shop and build the replenishment plan."""
    series, freq = shop_series(data)
    products = data.frame("products", PRODUCT_COLUMNS)
    inventory = inventory_for(series, data.frame("inventory", INVENTORY_COLUMNS))
    start = time.perf_counter()
    # The plan is as of the first day after the data (today, for a shop whose data is current).
    last = pd.Timestamp(series["ds"].max()) if len(series) else pd.Timestamp(dt.datetime.now(dt.UTC).date())
    today = (last + pd.Timedelta(days=1 if freq == "D" else 7)).date()
    model = ShopForecast().fit(series, freq=freq, products=products, inventory=inventory, today=today)
    chosen = model.selection_["model"].value_counts() if "model" in model.selection_ else pd.Series(dtype=int)
    metrics: dict[str, Any] = {
        "train_s": round(time.perf_counter() - start, 2),
        "freq": freq,
        "horizon": model.horizon_,
        "models_chosen": {str(k): int(v) for k, v in chosen.items()},
        "orders_to_place": int((model.plan_["order_qty"] > 0).sum()),
        "alerts": len(model.alerts_),
    }
    sizes = {"series": int(series["unique_id"].nunique()), "periods": len(series)}
    return model, metrics, sizes
