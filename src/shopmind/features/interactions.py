"""From events and orders to the customers × products interaction matrix the recommenders learn from.

Three pure steps, each usable alone:

* :func:`purchases_to_events` turns order lines into ``purchase`` events, so a shop that imports
  orders but sends no events still has interactions;
* :func:`interaction_table` sums what each (customer, product) pair is worth, by event type
  (:data:`~shopmind.recommend.base.EVENT_WEIGHTS`), optionally decayed with age;
* :func:`build_matrix` lays that table out as an :class:`~shopmind.recommend.base.InteractionMatrix`
  (float32 CSR with the shop's ids on both axes).

Examples
--------
>>> import pandas as pd
>>> events = pd.DataFrame({
...     "customer_id": ["c1", "c1", "c2", None],
...     "sku": ["rice", "tea", "rice", "rice"],
...     "event_type": ["purchase", "view", "add_to_cart", "view"],
...     "ts": pd.to_datetime(["2026-01-01"] * 4, utc=True),
... })
>>> table = interaction_table(events)
>>> table[["customer_id", "sku", "weight", "n"]].to_string(index=False)
'customer_id  sku  weight  n\\n         c1 rice     5.0  1\\n         c1  tea     0.5  1\\n         c2 rice     3.0  1'
>>> build_matrix(table, items=["rice", "tea", "honey"]).shape
(2, 3)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopmind.errors import ValidationError, check_param
from shopmind.recommend.base import EVENT_WEIGHTS, InteractionMatrix

#: Columns of the table :func:`interaction_table` returns.
TABLE_COLUMNS = ("customer_id", "sku", "weight", "last_ts", "n")

#: Order statuses whose lines are not turned into purchases (the customer did not end up buying).
NOT_PURCHASED_STATUSES = ("cancelled",)


def _present(values: pd.Series) -> np.ndarray:
    """True where an id is given (not missing, not blank)."""
    text = values.astype("string")
    return (text.notna() & (text.str.strip() != "")).to_numpy(dtype=bool, na_value=False)


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what} needs the columns {', '.join(map(repr, missing))}; the table has "
            f"{', '.join(map(repr, map(str, frame.columns))) or 'no columns'}. Rename them or pass the "
            "matching *_col arguments."
        )


def interaction_table(
    events: pd.DataFrame,
    *,
    weights: Mapping[str, float] = EVENT_WEIGHTS,
    half_life_days: float | None = None,
    now: dt.datetime | pd.Timestamp | None = None,
    user_col: str = "customer_id",
    item_col: str = "sku",
    type_col: str = "event_type",
    time_col: str = "ts",
    value_col: str = "value",
) -> pd.DataFrame:
    """What each customer's interactions with each product are worth, summed over events.

    Parameters
    ----------
    events : DataFrame
        One row per event, with at least ``user_col``, ``item_col`` and ``type_col``; ``time_col`` is
        needed for ``last_ts`` and time decay, ``value_col`` for ``rate`` events.
    weights : mapping of str to float
        Worth of one event, by type. ``rate`` events are worth their rating (``value_col``) instead;
        types missing from ``weights`` (``remove_from_cart``, ``search``) are ignored.
    half_life_days : float, optional
        When given, each event counts ``0.5 ** (age_days / half_life_days)``, so recent interest weighs
        more. Ages are measured from ``now``.
    now : datetime, optional
        Reference time for the decay; the newest event by default (so results do not depend on the
        clock). Naive datetimes are taken as UTC.
    user_col, item_col, type_col, time_col, value_col : str
        Column names in ``events``.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``sku`` (the shop's ids, as str), ``weight`` (float), ``last_ts``
        (time of the newest event of the pair, UTC; NaT without ``time_col``) and ``n`` (number of
        events counted), one row per pair with a positive weight, sorted by customer then product.
        Rows without a customer or a product are dropped (anonymous sessions belong to
        session-based models, not to the customer matrix).
    """
    check_param(
        "interaction_table",
        "half_life_days",
        half_life_days,
        half_life_days is None or (isinstance(half_life_days, int | float) and half_life_days > 0),
        "None or a number > 0",
    )
    _require_columns(events, [user_col, item_col, type_col], "interaction_table")
    has_time = time_col in events.columns
    if half_life_days is not None and not has_time:
        raise ValidationError(
            f"interaction_table needs the time column {time_col!r} to decay weights; pass time_col or "
            "half_life_days=None."
        )

    keep = _present(events[user_col]) & _present(events[item_col])
    frame = events.loc[keep]
    kinds = frame[type_col].astype("string").str.strip().str.lower()
    weight = kinds.map(dict(weights)).astype("float64").to_numpy(dtype=float, na_value=np.nan)
    is_rate = (kinds == "rate").to_numpy(dtype=bool, na_value=False)
    if is_rate.any():
        if value_col in frame.columns:
            values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        else:
            values = np.full(len(frame), np.nan)
        weight = np.where(is_rate, values, weight)

    ts = (
        pd.to_datetime(frame[time_col], utc=True)
        if has_time
        else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    )
    if half_life_days is not None:
        if now is not None:
            ref = pd.Timestamp(now)
            ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
        else:
            ref = ts.max() if ts.notna().any() else pd.Timestamp.now(tz="UTC")
        age_days = (ref - ts).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400.0
        weight = weight * np.power(0.5, np.clip(age_days, 0.0, None) / float(half_life_days))

    out = pd.DataFrame(
        {
            "customer_id": frame[user_col].astype(str).str.strip().to_numpy(),
            "sku": frame[item_col].astype(str).str.strip().to_numpy(),
            "weight": weight,
            "last_ts": ts.array,
        }
    )
    out = out[np.isfinite(out["weight"].to_numpy())]
    if out.empty:
        return pd.DataFrame(
            {
                "customer_id": pd.Series([], dtype=object),
                "sku": pd.Series([], dtype=object),
                "weight": pd.Series([], dtype=float),
                "last_ts": pd.Series([], dtype="datetime64[ns, UTC]"),
                "n": pd.Series([], dtype="int64"),
            }
        )
    grouped = out.groupby(["customer_id", "sku"], sort=True).agg(
        weight=("weight", "sum"), last_ts=("last_ts", "max"), n=("weight", "size")
    )
    table = grouped.reset_index()
    table = table[table["weight"] > 0].reset_index(drop=True)
    table["n"] = table["n"].astype("int64")
    out_table: pd.DataFrame = table[list(TABLE_COLUMNS)]
    return out_table


def build_matrix(
    table: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    users: Sequence[str] | None = None,
    user_col: str = "customer_id",
    item_col: str = "sku",
    weight_col: str = "weight",
) -> InteractionMatrix:
    """Lay an interaction table out as a customers × products CSR matrix (float32).

    Parameters
    ----------
    table : DataFrame
        One row per (customer, product) with a weight, as :func:`interaction_table` returns; repeated
        pairs are summed.
    items : sequence of str, optional
        A fixed item universe, in column order (typically the whole catalog), so products nobody has
        interacted with yet still exist as (empty) columns. Rows for products outside it are dropped.
        Without it, the columns are the products in ``table``, sorted.
    users : sequence of str, optional
        A fixed customer universe, likewise; without it, the customers in ``table``, sorted.
    user_col, item_col, weight_col : str
        Column names in ``table``.

    Returns
    -------
    InteractionMatrix
    """
    _require_columns(table, [user_col, item_col, weight_col], "build_matrix")
    user_values = table[user_col].astype(str).to_numpy()
    item_values = table[item_col].astype(str).to_numpy()
    weight = pd.to_numeric(table[weight_col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    item_ids = _universe(items, item_values, "items")
    user_ids = _universe(users, user_values, "users")
    item_index = {item: j for j, item in enumerate(item_ids)}
    user_index = {user: i for i, user in enumerate(user_ids)}

    cols = pd.Series(item_values).map(item_index).to_numpy(dtype=np.float64, na_value=np.nan)
    rows = pd.Series(user_values).map(user_index).to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.isfinite(cols) & np.isfinite(rows) & np.isfinite(weight) & (weight != 0)
    matrix = sp.csr_matrix(
        (weight[ok].astype(np.float32), (rows[ok].astype(np.int64), cols[ok].astype(np.int64))),
        shape=(len(user_ids), len(item_ids)),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return InteractionMatrix(
        matrix=matrix,
        user_ids=np.asarray(user_ids, dtype=object),
        item_ids=np.asarray(item_ids, dtype=object),
        user_index=user_index,
        item_index=item_index,
    )


def _universe(fixed: Sequence[str] | None, seen: np.ndarray, what: str) -> list[str]:
    if fixed is None:
        return sorted(set(seen.tolist()))
    ids = [str(x) for x in fixed]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"build_matrix got repeated ids in {what}; pass each id once.")
    return ids


def purchases_to_events(
    order_items_with_orders: pd.DataFrame,
    *,
    order_col: str = "order_id",
    item_col: str = "sku",
    quantity_col: str = "quantity",
    user_col: str = "customer_id",
    time_col: str = "ordered_at",
    status_col: str = "status",
    price_col: str = "unit_price",
) -> pd.DataFrame:
    """Turn order lines (joined with their orders) into ``purchase`` events.

    Parameters
    ----------
    order_items_with_orders : DataFrame
        One row per order line with ``order_id``, ``sku``, ``quantity``, ``customer_id`` and
        ``ordered_at``; ``status`` (lines of cancelled orders are dropped; returned and refunded ones
        still show interest and are kept), ``unit_price`` and ``line_no`` are used when present.
    order_col, item_col, quantity_col, user_col, time_col, status_col, price_col : str
        Column names.

    Returns
    -------
    DataFrame
        Columns of the events table: ``event_id`` (``"order:<order_id>:<line>"``), ``event_type``
        (``"purchase"``), ``customer_id``, ``session_id`` (None), ``sku``, ``value`` (amount paid for
        the line, ``quantity × unit_price``, when the price is known), ``ts`` (UTC) and ``quantity``.
        One event per line, not per unit: buying five bags of rice at once is one purchase of rice.
    """
    _require_columns(
        order_items_with_orders, [order_col, item_col, user_col, time_col], "purchases_to_events"
    )
    frame = order_items_with_orders
    if status_col in frame.columns:
        status = frame[status_col].astype("string").str.strip().str.lower()
        frame = frame.loc[~status.isin(NOT_PURCHASED_STATUSES).to_numpy(dtype=bool, na_value=False)]
    quantity = (
        pd.to_numeric(frame[quantity_col], errors="coerce").fillna(1.0)
        if quantity_col in frame.columns
        else pd.Series(1.0, index=frame.index)
    )
    value = (
        quantity * pd.to_numeric(frame[price_col], errors="coerce")
        if price_col in frame.columns
        else pd.Series(np.nan, index=frame.index)
    )
    if "line_no" in frame.columns:
        line = frame["line_no"].astype(str)
    else:
        line = frame.groupby(order_col, sort=False).cumcount().add(1).astype(str)
    order_ids = frame[order_col].astype(str)
    return pd.DataFrame(
        {
            "event_id": ("order:" + order_ids + ":" + line).to_numpy(),
            "event_type": "purchase",
            "customer_id": frame[user_col].to_numpy(),
            "session_id": None,
            "sku": frame[item_col].to_numpy(),
            "value": value.to_numpy(dtype=float),
            "ts": pd.to_datetime(frame[time_col], utc=True).array,
            "quantity": quantity.to_numpy(dtype=float),
        }
    ).reset_index(drop=True)
