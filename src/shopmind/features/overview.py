"""Sales overview: the KPIs and series the console's first page shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

UNKNOWN_REGION = "?"
_NOT_SALES = ("cancelled",)


def sales_overview(
    orders: pd.DataFrame,
    items: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    currency: str = "CNY",
    timezone: str = "Asia/Shanghai",
    top_n: int = 10,
    regions_n: int = 12,
) -> dict[str, Any]:
    """GMV, orders, buyers, average order value, top products, sales by region and by week.

    GMV is the sum of ``total_amount`` over orders that were not cancelled (returns and refunds
    still count, as GMV is gross). A region is the order's shipping province, else the
    customer's province.
    """
    live = orders[~orders["status"].isin(_NOT_SALES)] if len(orders) else orders
    gmv = float(live["total_amount"].sum()) if len(live) else 0.0
    n_orders = len(live)
    out: dict[str, Any] = {
        "currency": currency,
        "gmv": round(gmv, 2),
        "orders": n_orders,
        "customers": int(live["customer_id"].nunique()) if n_orders else 0,
        "aov": round(gmv / n_orders, 2) if n_orders else 0.0,
        "top_products": [],
        "regions": [],
        "weeks": [],
    }
    if not n_orders:
        return out

    if len(items):
        lines = items[items["order_id"].isin(live["order_id"])].copy()
        lines["revenue"] = lines["quantity"] * lines["unit_price"] - lines["discount_amount"].fillna(0)
        top = (
            lines.groupby("sku", as_index=False)
            .agg(revenue=("revenue", "sum"), units=("quantity", "sum"))
            .nlargest(top_n, "revenue")
            .merge(products, on="sku", how="left")
        )
        out["top_products"] = [
            {
                "sku": r.sku,
                "title": r.title if isinstance(r.title, str) else r.sku,
                "title_en": r.title_en if isinstance(r.title_en, str) else None,
                "revenue": round(float(r.revenue), 2),  # type: ignore[arg-type]
                "units": int(r.units),  # type: ignore[arg-type]
            }
            for r in top.itertuples()
        ]

    region = live["shipping_province"]
    if len(customers):
        home = live["customer_id"].map(customers.set_index("customer_id")["province"])
        region = region.fillna(home)
    by_region = live.assign(region=region.fillna(UNKNOWN_REGION)).groupby("region")["total_amount"].sum()
    by_region = by_region.sort_values(ascending=False).head(regions_n)
    out["regions"] = [{"region": str(k), "gmv": round(float(v), 2)} for k, v in by_region.items()]

    ts = pd.to_datetime(live["ordered_at"], utc=True).dt.tz_convert(timezone).dt.tz_localize(None)
    weekly = (
        live.assign(week=ts.dt.to_period("W-SUN").dt.start_time)
        .groupby("week")
        .agg(gmv=("total_amount", "sum"), orders=("order_id", "count"))
    )
    out["weeks"] = [
        {"week": pd.Timestamp(k).date().isoformat(), "gmv": round(float(r.gmv), 2), "orders": int(r.orders)}  # type: ignore[arg-type]
        for k, r in weekly.iterrows()
    ]
    return out
