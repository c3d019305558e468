"""From orders to per-customer recency, frequency and monetary value (RFM) and the BTYD summary.

Two pure, vectorized transforms over one long table of orders (column names overridable):

* :func:`rfm` gives each customer's first and last purchase, days since the last one, number of
  orders, mean and total spend and tenure, as of a date;
* :func:`btyd_summary` gives the ``frequency, recency, T, monetary_value`` summary that "buy till you
  die" models (BG/NBD, Pareto/NBD, Gamma-Gamma) are fitted on, with the conventions of Fader,
  Hardie and Lee (2005) and of lifetimes' ``summary_data_from_transaction_data``: purchases on
  the same day are one transaction; ``frequency`` counts repeat days; ``recency`` and ``T`` are
  measured from the first purchase in ``unit_days`` (7 gives weeks); ``monetary_value`` is the mean
  spend of the repeat days (0 for one-time buyers).

Orders cancelled, returned or refunded are not purchases (:data:`NOT_PURCHASES`); the caller passes
the orders it wants counted.

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({
...     "customer_id": ["a", "a", "a", "b"],
...     "ordered_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-15", "2026-01-08"], utc=True),
...     "total_amount": [10.0, 5.0, 30.0, 8.0],
... })
>>> end = pd.Timestamp("2026-01-29", tz="UTC")
>>> rfm(orders, now=end)[["recency_days", "frequency", "monetary", "total_spend"]].to_dict("index")
{'a': {'recency_days': 14.0, 'frequency': 3, 'monetary': 15.0, 'total_spend': 45.0}, 'b': {'recency_days': 21.0, 'frequency': 1, 'monetary': 8.0, 'total_spend': 8.0}}
>>> btyd_summary(orders, observation_end=end, unit_days=7).to_dict("index")
{'a': {'frequency': 1, 'recency': 2.0, 'T': 4.0, 'monetary_value': 30.0}, 'b': {'frequency': 0, 'recency': 0.0, 'T': 3.0, 'monetary_value': 0.0}}
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from shopmind.errors import ValidationError, check_param

#: Order statuses that are not purchases.
NOT_PURCHASES = ("cancelled", "returned", "refunded")

RFM_COLUMNS = (
    "first_purchase",
    "last_purchase",
    "recency_days",
    "frequency",
    "monetary",
    "total_spend",
    "tenure_days",
)
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def purchases(orders: pd.DataFrame, status_col: str = "status") -> pd.DataFrame:
    """The orders that count as purchases (drops cancelled, returned and refunded ones)."""
    if status_col not in orders:
        return orders
    return orders[~orders[status_col].isin(NOT_PURCHASES)]


def _checked(orders: pd.DataFrame, customer_col: str, time_col: str, amount_col: str | None) -> pd.DataFrame:
    needed = [c for c in (customer_col, time_col, amount_col) if c]
    missing = [c for c in needed if c not in orders]
    if missing:
        raise ValidationError(
            f"The orders table has no column {', '.join(map(repr, missing))}. "
            f"It needs {', '.join(map(repr, needed))}; pass customer_col=, time_col= or amount_col= "
            "to name yours."
        )
    frame = orders[needed].dropna(subset=[customer_col, time_col])
    ts = pd.to_datetime(frame[time_col], utc=True)
    out = pd.DataFrame({"customer_id": frame[customer_col].astype(str).to_numpy(), "ts": ts.to_numpy()})
    if amount_col:
        out["amount"] = pd.to_numeric(frame[amount_col], errors="coerce").fillna(0.0).to_numpy()
    return out


def _as_timestamp(value: dt.datetime | dt.date | pd.Timestamp | None, default: pd.Timestamp) -> pd.Timestamp:
    if value is None:
        return default
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _days(delta: pd.Series) -> pd.Series:
    days: pd.Series = delta.dt.total_seconds() / 86_400.0
    return days


def rfm(
    orders: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    time_col: str = "ordered_at",
    amount_col: str = "total_amount",
    now: dt.datetime | dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer who bought, as of ``now``.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order (purchases only; see :func:`purchases`).
    customer_col, time_col, amount_col : str
        Column names of the customer id, the order time and the order amount.
    now : datetime, optional
        The date to measure recency and tenure at (default: the last order's time).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (str), with :data:`RFM_COLUMNS`: ``recency_days`` and
        ``tenure_days`` as float days, ``frequency`` the number of orders, ``monetary`` the mean
        order amount and ``total_spend`` their sum. Orders after ``now`` are ignored.
    """
    frame = _checked(orders, customer_col, time_col, amount_col)
    end = _as_timestamp(now, frame["ts"].max() if len(frame) else pd.Timestamp.now(tz="UTC"))
    frame = frame[frame["ts"] <= end]
    grouped = frame.groupby("customer_id", sort=True)
    out = grouped.agg(
        first_purchase=("ts", "min"),
        last_purchase=("ts", "max"),
        frequency=("ts", "size"),
        total_spend=("amount", "sum"),
    )
    out["recency_days"] = _days(end - out["last_purchase"])
    out["tenure_days"] = _days(end - out["first_purchase"])
    out["monetary"] = out["total_spend"] / out["frequency"]
    out["frequency"] = out["frequency"].astype("int64")
    out.index.name = "customer_id"
    return out[list(RFM_COLUMNS)]


def btyd_summary(
    orders: pd.DataFrame,
    *,
    observation_end: dt.datetime | dt.date | pd.Timestamp,
    customer_col: str = "customer_id",
    time_col: str = "ordered_at",
    amount_col: str | None = "total_amount",
    unit_days: float = 1.0,
) -> pd.DataFrame:
    """The ``frequency, recency, T, monetary_value`` summary BG/NBD and Gamma-Gamma are fitted on.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order (purchases only).
    observation_end : datetime
        End of the calibration period; later orders are ignored.
    customer_col, time_col, amount_col : str
        Column names; ``amount_col=None`` leaves ``monetary_value`` at 0.
    unit_days : float
        Length of the time unit of ``recency`` and ``T`` in days (7 for weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, with :data:`SUMMARY_COLUMNS`. Days are calendar days in UTC.
    """
    check_param("btyd_summary", "unit_days", unit_days, unit_days > 0, "a number > 0")
    frame = _checked(orders, customer_col, time_col, amount_col)
    end = _as_timestamp(observation_end, pd.Timestamp.now(tz="UTC")).normalize()
    frame = frame[frame["ts"] < end + pd.Timedelta(days=1)]
    if amount_col is None:
        frame["amount"] = 0.0
    frame["day"] = frame["ts"].dt.floor("D")
    days = frame.groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index()
    first = days.groupby("customer_id", sort=True)["day"].transform("min")
    days["repeat"] = days["day"] > first
    per = days.groupby("customer_id", sort=True)
    out = pd.DataFrame(
        {
            "frequency": per["repeat"].sum().astype("int64"),
            "recency": _days(per["day"].max() - per["day"].min()) / unit_days,
            "T": _days(end - per["day"].min()) / unit_days,
        }
    )
    repeat_spend = days[days["repeat"]].groupby("customer_id")["amount"].mean()
    out["monetary_value"] = repeat_spend.reindex(out.index).fillna(0.0).astype(float)
    out.index.name = "customer_id"
    return out[list(SUMMARY_COLUMNS)]


def quantile_scores(
    values: pd.Series,
    bins: int = 5,
    *,
    higher_is_better: bool = True,
    reference: np.ndarray | pd.Series | None = None,
) -> pd.Series:
    """Scores 1..``bins`` by quantile of ``values`` (ties share a score; ``bins`` is best).

    The quantile of a value is its average rank among the ``reference`` values (default: ``values``
    themselves), so heavy ties (most customers bought once) do not collapse the edges. Scoring new
    values against the reference kept from training makes the scores move with time: a customer
    who stops buying falls behind the distribution they were scored against.
    """
    check_param("quantile_scores", "bins", bins, bins >= 2, "an int >= 2")
    if values.empty:
        return pd.Series(dtype="int64", index=values.index)
    ref = np.sort(np.asarray(values if reference is None else reference, dtype=float))
    if ref.size == 0:
        raise ValidationError("quantile_scores needs at least one reference value.")
    v = values.to_numpy(dtype=float)
    below = np.searchsorted(ref, v, side="left")  # reference values < v
    upto = np.searchsorted(ref, v, side="right")  # reference values <= v
    n = ref.size
    # Average 1-based rank of v among the reference, as pandas' rank(method="average", pct=True).
    pct = (below + upto + 1) / (2 * n) if higher_is_better else ((n - upto) + (n - below) + 1) / (2 * n)
    scores = np.ceil(pct * bins).clip(1, bins).astype("int64")
    return pd.Series(scores, index=values.index, name=values.name)
