"""From a shop's tables to the demand series the forecasters learn from.

One long frame, statsforecast's shape: ``unique_id`` (the sku, or ``sku|location`` when the data
has locations), ``ds`` (period start, timezone-naive), ``y`` (units) and the exogenous columns
``price`` (mean unit price paid), ``deal`` (a promotion ran) and ``feature`` (the product was
featured). Periods without sales inside a series' life are filled with zero demand (no sale is
information), at the last known price without a deal.

Two sources, in this order:

* the ``sales`` table (weekly or daily aggregates such as Dominick's orange juice), when it has rows;
* order lines of purchases (cancelled, returned and refunded orders excluded), summed per day or
  week in the shop's time zone; a line with a discount is a deal.
"""

from __future__ import annotations

import pandas as pd

from shopmind.errors import ValidationError, check_param
from shopmind.features.rfm import NOT_PURCHASES

SERIES_COLUMNS = ("unique_id", "ds", "y", "price", "deal", "feature")
#: pandas period of each frequency (weeks start on Monday, as the sales table's weeks do).
_PERIOD = {"D": "D", "W": "W-MON"}


def _complete(frame: pd.DataFrame, freq: str, end: pd.Timestamp | None) -> pd.DataFrame:
    """Every period from each series' first sale to ``end`` (or its last), zero where nothing sold."""
    step = pd.tseries.frequencies.to_offset("D" if freq == "D" else "7D")
    pieces = []
    last_end = end if end is not None else frame["ds"].max()
    for uid, g in frame.groupby("unique_id", sort=True):
        idx = pd.date_range(g["ds"].min(), last_end, freq=step)
        g = g.set_index("ds").reindex(idx)
        g["unique_id"] = uid
        g["y"] = g["y"].fillna(0.0)
        g["price"] = g["price"].ffill().bfill()
        g["deal"] = g["deal"].astype("boolean").fillna(False).astype(bool)
        g["feature"] = g["feature"].astype("boolean").fillna(False).astype(bool)
        pieces.append(g.rename_axis("ds").reset_index())
    if not pieces:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    return pd.concat(pieces, ignore_index=True)[list(SERIES_COLUMNS)]


def series_from_sales(sales: pd.DataFrame, *, by_location: bool = True) -> tuple[pd.DataFrame, str]:
    """Demand series from the ``sales`` table; returns the frame and its frequency ("D" or "W")."""
    missing = [c for c in ("sku", "period_start", "units") if c not in sales]
    if missing:
        raise ValidationError(f"The sales table has no column {missing[0]!r}.")
    periods = set(sales.get("period", pd.Series(["W"])).dropna().unique()) or {"W"}
    if len(periods) > 1:
        raise ValidationError(
            f"The sales table mixes periods {sorted(periods)}; import one granularity (D or W) per shop."
        )
    freq = periods.pop()
    loc = sales.get("location_id", pd.Series("", index=sales.index)).fillna("").astype(str)
    uid = sales["sku"].astype(str)
    if by_location and (loc != "").any():
        uid = uid + "|" + loc
    frame = pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.to_datetime(sales["period_start"]),
            "y": pd.to_numeric(sales["units"], errors="coerce").fillna(0.0),
            "price": pd.to_numeric(sales["price"], errors="coerce") if "price" in sales else float("nan"),
            "deal": sales.get("deal", False),
            "feature": sales.get("feature", False),
        }
    )
    frame = frame.groupby(["unique_id", "ds"], as_index=False).agg(
        y=("y", "sum"), price=("price", "mean"), deal=("deal", "max"), feature=("feature", "max")
    )
    return _complete(frame, freq, None), freq


def series_from_orders(
    orders: pd.DataFrame,
    items: pd.DataFrame,
    *,
    freq: str = "D",
    timezone: str = "Asia/Shanghai",
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Daily or weekly units per sku from purchase order lines (in the shop's local time)."""
    check_param("series_from_orders", "freq", freq, freq in _PERIOD, "'D' or 'W'")
    lines = items.merge(orders[["order_id", "ordered_at", "status"]], on="order_id")
    lines = lines[~lines["status"].isin(NOT_PURCHASES)]
    if lines.empty:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    local = pd.to_datetime(lines["ordered_at"], utc=True).dt.tz_convert(timezone).dt.tz_localize(None)
    day = local.dt.normalize()
    ds = day if freq == "D" else day - pd.to_timedelta(day.dt.weekday, unit="D")
    qty = pd.to_numeric(lines["quantity"], errors="coerce").fillna(0.0)
    price = pd.to_numeric(lines["unit_price"], errors="coerce")
    discount = (
        pd.to_numeric(lines["discount_amount"], errors="coerce").fillna(0.0)
        if "discount_amount" in lines
        else pd.Series(0.0, index=lines.index)
    )
    frame = pd.DataFrame(
        {
            "unique_id": lines["sku"].astype(str).to_numpy(),
            "ds": ds.to_numpy(),
            "y": qty.to_numpy(),
            "paid": (qty * price - discount).to_numpy(),
            "deal": (discount > 0).to_numpy(),
        }
    )
    agg = frame.groupby(["unique_id", "ds"], as_index=False).agg(
        y=("y", "sum"), paid=("paid", "sum"), deal=("deal", "max")
    )
    agg["price"] = (agg["paid"] / agg["y"]).where(agg["y"] > 0)
    agg["feature"] = False
    last = None
    if end is not None:
        last_local = pd.Timestamp(end).tz_convert(timezone).tz_localize(None).normalize()
        last = last_local if freq == "D" else last_local - pd.Timedelta(days=last_local.weekday())
    return _complete(agg.drop(columns="paid"), freq, last)
