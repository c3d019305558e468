"""Churn: who will not buy again soon, and how well that can be told in advance.

A customer *churns* at a date ``as_of`` over a horizon of ``h`` days when they bought on or before
``as_of`` and make no purchase in the ``h`` days after it (:func:`churn_labels`). Two models score
that risk:

* a **supervised model** (:class:`ChurnModel`, LightGBM): :func:`churn_features` (recency,
  frequency, spend, tenure, the gaps between purchase days, the trend of the last 90 days, discount
  share, units per order, the mix of top-level categories, review ratings and complaints, recent
  browsing) are computed at one or more past cutoffs whose horizon is already observed, stacked and
  labelled with what happened next; the classifier learns the probability of churn from them;
* **BG/NBD baselines**, which need no labels, from :class:`shopmind.customers.clv.CLVModel`:
  ``1 - p_alive``, and the probability of no purchase in the horizon built on ``p_alive``
  (:func:`bgnbd_churn_probability`). ``1 - p_alive`` alone is a poor churn score: BG/NBD lets
  customers drop out only after a repeat purchase, so every one-time buyer gets ``p_alive = 1``
  (on CDNOW its AUC is below 0.5). :class:`ChurnModel` falls back to the second one
  (``mode_ == "bgnbd"``) when the history is too short to build a labelled cutoff.

:func:`backtest_churn` measures them honestly in time: everything is learned from data on or before
a cutoff and scored on the purchases of the following ``h`` days (AUC, precision in the riskiest
tenth, Brier score and a calibration table), with the plain recency ranking as a reference.

Days are UTC calendar days (as in :func:`shopmind.features.rfm.btyd_summary`): ``as_of`` names a day,
orders on that day are history, and the horizon is the ``h`` days that follow it.

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({
...     "customer_id": ["a", "a", "b", "c", "a"],
...     "ordered_at": pd.to_datetime(
...         ["2026-01-01", "2026-02-01", "2026-01-10", "2026-02-20", "2026-03-10"], utc=True),
...     "total_amount": [10.0, 20.0, 15.0, 30.0, 25.0],
... })
>>> churn_labels(orders, "2026-02-28", 30).to_dict()
{'a': 0, 'b': 1, 'c': 1}
>>> churn_features(orders, as_of="2026-02-28")[["recency_days", "frequency", "tenure_days"]].to_dict("index")
{'a': {'recency_days': 27.0, 'frequency': 2.0, 'tenure_days': 58.0}, 'b': {'recency_days': 49.0, 'frequency': 1.0, 'tenure_days': 49.0}, 'c': {'recency_days': 8.0, 'frequency': 1.0, 'tenure_days': 8.0}}
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import NotFittedError, ValidationError, check_param
from shopmind.features.rfm import btyd_summary, purchases

if TYPE_CHECKING:
    from shopmind.customers.clv import CLVModel

__all__ = [
    "BASE_FEATURES",
    "SYSTEM_BGNBD",
    "SYSTEM_GBM",
    "SYSTEM_P_ALIVE",
    "SYSTEM_RECENCY",
    "ChurnBacktest",
    "ChurnModel",
    "backtest_churn",
    "bgnbd_churn_probability",
    "calibration_table",
    "churn_features",
    "churn_labels",
    "churn_metrics",
    "summary_from_features",
]

DateLike = dt.date | dt.datetime | pd.Timestamp | str
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Columns :func:`churn_features` always returns (the order table alone gives them).
BASE_FEATURES = (
    "recency_days",
    "frequency",
    "purchase_days",
    "monetary",
    "total_spend",
    "tenure_days",
    "gap_mean_days",
    "gap_std_days",
    "gap_max_days",
    "overdue_ratio",
    "orders_recent",
    "orders_prior",
    "trend_recent",
    "spend_recent",
    "last_amount",
)
#: Names of the systems a backtest compares.
SYSTEM_GBM = "shopmind-churn-gbm"
SYSTEM_P_ALIVE = "shopmind-p_alive"
SYSTEM_BGNBD = "shopmind-bgnbd"
SYSTEM_RECENCY = "recency"

_NS_PER_DAY = 86_400 * 10**9
_COMPLAINT_RATING = 2


# --------------------------------------------------------------------------------------------------
# days and tables
# --------------------------------------------------------------------------------------------------


def _day(value: DateLike) -> pd.Timestamp:
    """The UTC calendar day of ``value`` (a naive value is read as UTC)."""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize()


def _day_number(day: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a UTC midnight."""
    return int(day.as_unit("ns").value // _NS_PER_DAY)


def _from_day_number(number: int) -> pd.Timestamp:
    return pd.Timestamp(number * _NS_PER_DAY, unit="ns", tz="UTC")


def _day_numbers(values: pd.Series) -> IntArray:
    """UTC calendar days (days since 1970-01-01) of timestamps; a naive value is read as UTC.

    Integers rather than timestamps: grouping and comparing them is fast, and converting
    timezone-aware timestamps to numpy one by one is what made the first version slow.
    """
    naive = pd.to_datetime(values, utc=True).dt.tz_convert(None)
    days: IntArray = naive.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return days


def _need(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValidationError(
            f"The {name} table has no column {', '.join(map(repr, missing))}. "
            f"It needs {', '.join(map(repr, columns))}; rename yours to the canonical names."
        )


def _purchase_days(
    orders: pd.DataFrame,
    customer_col: str,
    time_col: str,
    amount_col: str,
    until: int | None = None,
) -> pd.DataFrame:
    """Purchases up to day number ``until`` as ``code, day, amount`` (+ ``order_id, quantity,
    discount`` when present); ``attrs["customers"]`` holds the sorted customer ids ``code`` indexes."""
    _need(orders, "orders", (customer_col, time_col, amount_col))
    bought = purchases(orders).dropna(subset=[customer_col, time_col])
    day = _day_numbers(bought[time_col])
    if until is not None:
        keep = day <= until
        bought, day = bought[keep], day[keep]
    codes, customers = pd.factorize(bought[customer_col].astype(str), sort=True)
    out = pd.DataFrame(
        {
            "code": codes.astype(np.int64),
            "day": day,
            "amount": pd.to_numeric(bought[amount_col], errors="coerce").fillna(0.0).to_numpy(np.float64),
        }
    )
    for src, dst in (("order_id", "order_id"), ("quantity", "quantity"), ("discount_amount", "discount")):
        if src in bought:
            values = bought[src]
            out[dst] = (
                values.astype(str).to_numpy()
                if dst == "order_id"
                else pd.to_numeric(values, errors="coerce").to_numpy()
            )
    out.attrs["customers"] = pd.Index(customers, name="customer_id")
    return out


# --------------------------------------------------------------------------------------------------
# features and labels
# --------------------------------------------------------------------------------------------------


def churn_labels(
    orders: pd.DataFrame,
    as_of: DateLike,
    horizon_days: int,
    *,
    customer_col: str = "customer_id",
    time_col: str = "ordered_at",
) -> pd.Series:
    """1 for each customer who bought on or before ``as_of`` and not in the ``horizon_days`` after.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order; cancelled, returned and refunded orders are not purchases.
    as_of : date, datetime or str
        The cutoff day (UTC); orders on that day are history.
    horizon_days : int
        Length of the window after ``as_of`` in which a purchase means "not churned".
    customer_col, time_col : str
        Column names of the customer id and the order time.

    Returns
    -------
    pandas.Series
        ``churned`` (int 0/1) indexed by ``customer_id``, sorted. The caller makes sure the data
        reach ``as_of + horizon_days``; a window past the end of the data counts everyone as churned.
    """
    check_param("churn_labels", "horizon_days", horizon_days, _is_int(horizon_days, 1), "an int >= 1")
    _need(orders, "orders", (customer_col, time_col))
    bought = purchases(orders).dropna(subset=[customer_col, time_col])
    codes, customers = pd.factorize(bought[customer_col].astype(str), sort=True)
    day = _day_numbers(bought[time_col])
    end = _day_number(_day(as_of))
    seen = np.zeros(len(customers), dtype=bool)
    seen[codes[day <= end]] = True
    back = np.zeros(len(customers), dtype=bool)
    back[codes[(day > end) & (day <= end + horizon_days)]] = True
    labels = pd.Series((~back[seen]).astype(np.int64), index=customers[seen], name="churned")
    labels.index.name = "customer_id"
    return labels


def churn_features(
    orders: pd.DataFrame,
    *,
    as_of: DateLike,
    items: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    recent_days: int = 90,
    customer_col: str = "customer_id",
    time_col: str = "ordered_at",
    amount_col: str = "total_amount",
) -> pd.DataFrame:
    """Per-customer churn features as of a day, from the customer's history up to that day only.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order (``customer_id``, ``ordered_at``, ``total_amount``; ``order_id``,
        ``quantity``, ``discount_amount`` and ``status`` are used when present).
    as_of : date, datetime or str
        The day (UTC) the features describe; later orders, reviews and events are ignored.
    items, products : pandas.DataFrame, optional
        Order lines (``order_id, sku, quantity, unit_price``) and the catalog (``sku, category``):
        together they add the share of spend per top-level category.
    reviews : pandas.DataFrame, optional
        ``customer_id, rating, reviewed_at``: adds the number of reviews, the mean rating and the
        share of complaints (ratings of 2 or less).
    events : pandas.DataFrame, optional
        ``customer_id, ts`` (and ``event_type``): adds days since the last visit and events in the
        last 30 days.
    recent_days : int
        Length of the "recent" window of the trend features.
    customer_col, time_col, amount_col : str
        Column names in ``orders``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with a purchase on or before ``as_of``), all columns
        float. Always :data:`BASE_FEATURES`: ``recency_days`` and ``tenure_days`` (days from the last
        and first purchase day to ``as_of``), ``frequency`` (orders), ``purchase_days`` (distinct days),
        ``monetary`` (mean order), ``total_spend``, ``gap_mean_days / gap_std_days / gap_max_days``
        (between purchase days; NaN for one day), ``overdue_ratio`` (recency over the mean gap),
        ``orders_recent`` and ``orders_prior`` (orders in the last ``recent_days`` and the
        ``recent_days`` before), ``trend_recent`` (``log1p`` of the first minus of the second),
        ``spend_recent`` and ``last_amount``. Then, when the data allow: ``units_per_order``,
        ``discount_share``, ``category_share:<top-level category>`` and ``n_categories``,
        ``review_count``, ``mean_rating``, ``complaint_share``, ``event_recency_days``,
        ``events_30d``.
    """
    check_param("churn_features", "recent_days", recent_days, _is_int(recent_days, 1), "an int >= 1")
    end = _day_number(_day(as_of))
    frame = _purchase_days(orders, customer_col, time_col, amount_col, until=end)
    out = _order_features(frame, end, recent_days)
    if items is not None and products is not None and "order_id" in frame:
        out = out.join(_category_mix(frame, items, products), how="left")
        share_cols = [c for c in out.columns.astype(str) if c.startswith("category_share:")]
        out[share_cols] = out[share_cols].fillna(0.0)
        out["n_categories"] = out["n_categories"].fillna(0.0)
    if reviews is not None:
        out = out.join(_review_features(reviews, end), how="left")
        out["review_count"] = out["review_count"].fillna(0.0)
    if events is not None:
        out = out.join(_event_features(events, end), how="left")
        out["events_30d"] = out["events_30d"].fillna(0.0)
    return out.astype("float64")


def _order_features(frame: pd.DataFrame, end: int, recent_days: int) -> pd.DataFrame:
    customers: pd.Index = frame.attrs["customers"]
    code = frame["code"]
    grouped = frame.groupby("code", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    out = pd.DataFrame(index=first.index)
    out["recency_days"] = (end - last).astype(np.float64)
    out["frequency"] = grouped.size().astype(np.float64)
    out["monetary"] = grouped["amount"].mean()
    out["total_spend"] = grouped["amount"].sum()
    out["tenure_days"] = (end - first).astype(np.float64)

    days = frame[["code", "day"]].drop_duplicates().sort_values(["code", "day"], kind="stable")
    out["purchase_days"] = days.groupby("code").size().astype(np.float64)
    gap = days["day"].diff().astype(np.float64)
    gap[days["code"].ne(days["code"].shift()).to_numpy()] = np.nan
    gaps = gap.groupby(days["code"])
    out["gap_mean_days"] = gaps.mean()
    out["gap_std_days"] = gaps.std(ddof=0).where(out["purchase_days"] > 1)
    out["gap_max_days"] = gaps.max()
    out["overdue_ratio"] = out["recency_days"] / out["gap_mean_days"]

    is_recent = frame["day"] > end - recent_days
    is_prior = (frame["day"] > end - 2 * recent_days) & ~is_recent
    out["orders_recent"] = is_recent.groupby(code).sum().astype(np.float64)
    out["orders_prior"] = is_prior.groupby(code).sum().astype(np.float64)
    out["trend_recent"] = np.log1p(out["orders_recent"]) - np.log1p(out["orders_prior"])
    out["spend_recent"] = frame["amount"].where(is_recent, 0.0).groupby(code).sum()
    on_last_day = frame["day"].to_numpy() == last.reindex(code).to_numpy()
    out["last_amount"] = frame.loc[on_last_day].groupby("code")["amount"].sum()
    out = out[list(BASE_FEATURES)]
    if "quantity" in frame and frame["quantity"].notna().any():
        out["units_per_order"] = grouped["quantity"].mean()
    if "discount" in frame and frame["discount"].notna().any():
        disc = grouped["discount"].sum()
        gross = out["total_spend"] + disc
        out["discount_share"] = (disc / gross.where(gross > 0)).fillna(0.0)
    out.index = customers.take(out.index.to_numpy())
    return out


def _category_mix(frame: pd.DataFrame, items: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    _need(items, "order_items", ("order_id", "sku", "quantity", "unit_price"))
    _need(products, "products", ("sku", "category"))
    customers: pd.Index = frame.attrs["customers"]
    owner = frame[["order_id", "code"]].drop_duplicates("order_id")
    lines = items[["order_id", "sku", "quantity", "unit_price"]].copy()
    lines["order_id"] = lines["order_id"].astype(str)
    lines = lines.merge(owner, on="order_id", how="inner")
    top = products["category"].astype("string").str.split("/", n=1).str[0].fillna("?")
    top_of = pd.Series(top.to_numpy(), index=products["sku"].astype(str).to_numpy())
    top_of = top_of[~top_of.index.duplicated()]
    lines["top"] = top_of.reindex(lines["sku"].astype(str)).fillna("?").to_numpy()
    lines["value"] = pd.to_numeric(lines["quantity"], errors="coerce").fillna(0.0) * pd.to_numeric(
        lines["unit_price"], errors="coerce"
    ).fillna(0.0)
    spend = lines.groupby(["code", "top"])["value"].sum().unstack().fillna(0.0)
    spend.index = customers.take(spend.index.to_numpy())
    total = spend.sum(axis=1)
    shares = spend.div(total.where(total > 0), axis=0).fillna(0.0)
    shares.columns = [f"category_share:{c}" for c in shares.columns]
    shares["n_categories"] = (spend > 0).sum(axis=1).astype(float)
    return shares


def _review_features(reviews: pd.DataFrame, end: int) -> pd.DataFrame:
    _need(reviews, "reviews", ("customer_id", "rating", "reviewed_at"))
    rated = reviews.dropna(subset=["customer_id", "reviewed_at"])
    rated = rated[_day_numbers(rated["reviewed_at"]) <= end]
    rating = pd.to_numeric(rated["rating"], errors="coerce")
    cust = rated["customer_id"].astype(str)
    grouped = rating.groupby(cust.to_numpy())
    out = pd.DataFrame(
        {
            "review_count": grouped.size().astype(float),
            "mean_rating": grouped.mean(),
            "complaint_share": (rating <= _COMPLAINT_RATING)
            .where(rating.notna())
            .groupby(cust.to_numpy())
            .mean(),
        }
    )
    out.index.name = "customer_id"
    return out


def _event_features(events: pd.DataFrame, end: int) -> pd.DataFrame:
    _need(events, "events", ("customer_id", "ts"))
    seen = events.dropna(subset=["customer_id", "ts"])
    day = _day_numbers(seen["ts"])
    keep = day <= end
    cust = seen["customer_id"].astype(str).to_numpy()[keep]
    days = pd.Series(day[keep])
    grouped = days.groupby(cust)
    out = pd.DataFrame(
        {
            "event_recency_days": (end - grouped.max()).astype(np.float64),
            "events_30d": (days > end - 30).groupby(cust).sum().astype(np.float64),
        }
    )
    out.index.name = "customer_id"
    return out


# --------------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------------


def churn_metrics(labels: npt.ArrayLike, risk: npt.ArrayLike, *, probability: bool = True) -> dict[str, Any]:
    """AUC, precision in the riskiest tenth, Brier score and base rate of churn scores.

    Parameters
    ----------
    labels : array-like of 0/1
        1 where the customer churned.
    risk : array-like of float
        The scores (higher is riskier).
    probability : bool
        Whether ``risk`` is a probability; the Brier score is None when it is not.

    Returns
    -------
    dict
        ``auc`` (None when only one class is present), ``precision_top_decile`` (share of churners
        among the ``ceil(n / 10)`` riskiest, ties broken by order), ``brier``, ``base_rate`` and
        ``n_customers``.
    """
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(risk, dtype=np.float64)
    n = len(y)
    if n == 0:
        return {"auc": None, "precision_top_decile": None, "brier": None, "base_rate": None, "n_customers": 0}
    top = np.argsort(-p, kind="stable")[: math.ceil(n / 10)]
    both = 0 < y.sum() < n
    return {
        "auc": float(roc_auc_score(y, p)) if both else None,
        "precision_top_decile": float(y[top].mean()),
        "brier": float(brier_score_loss(y, np.clip(p, 0.0, 1.0))) if probability else None,
        "base_rate": float(y.mean()),
        "n_customers": int(n),
    }


def calibration_table(labels: npt.ArrayLike, probability: npt.ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed churn rate, in equal-width bins.

    Parameters
    ----------
    labels : array-like of 0/1
        1 where the customer churned.
    probability : array-like of float
        Predicted churn probabilities in [0, 1].
    bins : int
        Number of bins over [0, 1].

    Returns
    -------
    pandas.DataFrame
        One row per bin (empty bins included): ``bin_low``, ``bin_high``, ``n``,
        ``mean_predicted`` and ``observed_rate`` (NaN when the bin is empty).
    """
    check_param("calibration_table", "bins", bins, _is_int(bins, 1), "an int >= 1")
    y = np.asarray(labels, dtype=np.float64)
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    n = np.bincount(which, minlength=bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=bins) / n
        rate = np.bincount(which, weights=y, minlength=bins) / n
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "bin_low": edges[:-1],
            "bin_high": edges[1:],
            "n": n.astype(np.int64),
            "mean_predicted": mean_p,
            "observed_rate": rate,
        }
    )


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and bool(value >= minimum)


def _is_number(value: Any, low: float, high: float | None = None) -> bool:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool) and value > low
    return bool(ok) and (high is None or bool(value <= high))


class ChurnModel:
    """Probability that a customer makes no purchase in the next ``horizon_days``.

    Parameters
    ----------
    horizon_days : int
        The churn horizon.
    n_cutoffs : int
        How many past cutoffs to learn from: ``as_of - horizon_days - k * cutoff_step_days`` for
        ``k = 0 .. n_cutoffs - 1`` (each one's horizon ends on or before ``as_of``, so its labels are
        observed). Cutoffs with less than ``min_history_days`` of history before them are skipped.
    cutoff_step_days : int, optional
        Days between training cutoffs (default: ``horizon_days``, so their windows do not overlap).
    min_history_days : int
        The least history (days since the first purchase in the data) a training cutoff needs.
    min_train_rows, min_class_rows : int
        The least number of labelled rows, and of rows of each class, to fit the classifier; with
        less the model falls back to BG/NBD (:func:`bgnbd_churn_probability`).
    recent_days : int
        The "recent" window of :func:`churn_features`.
    unit_days : float
        Time unit of the BG/NBD fallback (7: weeks).
    n_estimators, learning_rate, num_leaves, min_child_samples, reg_lambda : number
        LightGBM's boosting rounds, step size, leaves per tree, rows per leaf and L2 penalty.
    random_state : int
        Seed of the row and column subsampling.

    Attributes
    ----------
    mode_ : str
        ``"supervised"`` (LightGBM on labelled cutoffs) or ``"bgnbd"`` (when the history was too
        short: BG/NBD's probability of no purchase in the horizon, built on ``p_alive`` of
        :class:`~shopmind.customers.clv.CLVModel`; see :func:`bgnbd_churn_probability`).
    reason_ : str
        Why this mode was chosen.
    as_of_ : pandas.Timestamp
        The last day of the data learned from.
    cutoffs_ : list of pandas.Timestamp
        The training cutoffs used (empty in ``bgnbd`` mode).
    n_train_rows_, train_churn_rate_ : int, float
        Size and churn rate of the stacked training set.
    feature_names_ : list of str
        The features the classifier uses, in order.
    feature_importances_ : dict of str to float
        Total gain of each feature, normalized to sum to 1 (empty in ``bgnbd`` mode).
    clv_ : CLVModel or None
        The fitted BG/NBD model in ``bgnbd`` mode (None otherwise).

    Examples
    --------
    >>> from shopmind.datasets.demo import DemoSize, generate_demo_store
    >>> store = generate_demo_store(seed=3, size=DemoSize(products=80, customers=600, days=300))
    >>> model = ChurnModel(horizon_days=60).fit(store.orders)
    >>> model.mode_
    'supervised'
    >>> risk = model.predict_proba(churn_features(store.orders, as_of=model.as_of_))
    >>> bool(risk.between(0, 1).all())
    True
    """

    def __init__(
        self,
        horizon_days: int = 90,
        *,
        n_cutoffs: int = 3,
        cutoff_step_days: int | None = None,
        min_history_days: int = 30,
        min_train_rows: int = 200,
        min_class_rows: int = 20,
        recent_days: int = 90,
        unit_days: float = 7.0,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 50,
        reg_lambda: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.horizon_days = horizon_days
        self.n_cutoffs = n_cutoffs
        self.cutoff_step_days = cutoff_step_days
        self.min_history_days = min_history_days
        self.min_train_rows = min_train_rows
        self.min_class_rows = min_class_rows
        self.recent_days = recent_days
        self.unit_days = unit_days
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def _check_params(self) -> None:
        name = "ChurnModel"
        for param, minimum in (
            ("horizon_days", 1),
            ("n_cutoffs", 1),
            ("min_history_days", 0),
            ("min_train_rows", 1),
            ("min_class_rows", 1),
            ("recent_days", 1),
            ("n_estimators", 1),
            ("num_leaves", 2),
            ("min_child_samples", 1),
            ("random_state", 0),
        ):
            value = getattr(self, param)
            check_param(name, param, value, _is_int(value, minimum), f"an int >= {minimum}")
        step = self.cutoff_step_days
        check_param(name, "cutoff_step_days", step, step is None or _is_int(step, 1), "None or an int >= 1")
        check_param(name, "unit_days", self.unit_days, _is_number(self.unit_days, 0.0), "a number > 0")
        check_param(
            name, "learning_rate", self.learning_rate, _is_number(self.learning_rate, 0.0, 1.0), "in (0, 1]"
        )
        check_param(
            name, "reg_lambda", self.reg_lambda, _is_number(self.reg_lambda, -1e-300), "a number >= 0"
        )

    def fit(
        self,
        orders: pd.DataFrame,
        *,
        as_of: DateLike | None = None,
        items: pd.DataFrame | None = None,
        products: pd.DataFrame | None = None,
        reviews: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
    ) -> ChurnModel:
        """Learn churn from the history up to ``as_of``.

        Parameters
        ----------
        orders : pandas.DataFrame
            Canonical orders (``customer_id``, ``ordered_at``, ``total_amount``, ...).
        as_of : date, datetime or str, optional
            The last day of data to learn from (default: the day of the last purchase). Anything
            later is ignored, so a backtest can pass the whole log.
        items, products, reviews, events : pandas.DataFrame, optional
            Passed to :func:`churn_features` at every cutoff.

        Returns
        -------
        ChurnModel
            ``self``.
        """
        self._check_params()
        until = _day_number(_day(as_of)) if as_of is not None else None
        frame = _purchase_days(orders, "customer_id", "ordered_at", "total_amount", until=until)
        if frame.empty:
            raise ValidationError("ChurnModel.fit needs at least one purchase; the orders table has none.")
        end = until if until is not None else int(frame["day"].max())
        self.as_of_ = _from_day_number(end)
        first_day = int(frame["day"].min())
        step = self.cutoff_step_days or self.horizon_days
        candidates = [end - (self.horizon_days + k * step) for k in range(self.n_cutoffs)]
        cutoffs = [_from_day_number(c) for c in candidates if c - first_day >= self.min_history_days]
        self.clv_: CLVModel | None = None
        self.model_: Any = None
        self.cutoffs_: list[pd.Timestamp] = []
        self.feature_names_: list[str] = []
        self.feature_importances_: dict[str, float] = {}
        self.n_train_rows_ = 0
        self.train_churn_rate_ = float("nan")
        parts: list[pd.DataFrame] = []
        labels: list[pd.Series] = []
        for cutoff in sorted(cutoffs):
            feats = churn_features(
                orders,
                as_of=cutoff,
                items=items,
                products=products,
                reviews=reviews,
                events=events,
                recent_days=self.recent_days,
            )
            parts.append(feats)
            labels.append(churn_labels(orders, cutoff, self.horizon_days).reindex(feats.index))
        y = pd.concat(labels).to_numpy(np.int64) if labels else np.zeros(0, np.int64)
        churners = int(y.sum())
        if not cutoffs:
            self.reason_ = (
                f"no cutoff has {self.horizon_days} days of observed future and {self.min_history_days} "
                "days of history"
            )
        elif len(y) < self.min_train_rows or min(churners, len(y) - churners) < self.min_class_rows:
            self.reason_ = (
                f"{len(y)} labelled rows ({churners} churned) from {len(cutoffs)} cutoff(s); "
                f"needs {self.min_train_rows} rows and {self.min_class_rows} of each class"
            )
        else:
            x = pd.concat(parts)
            self.feature_names_ = list(dict.fromkeys(c for part in parts for c in part.columns))
            self._fit_classifier(x.reindex(columns=self.feature_names_).to_numpy(np.float64), y)
            self.mode_ = "supervised"
            self.cutoffs_ = sorted(cutoffs)
            self.n_train_rows_ = len(y)
            self.train_churn_rate_ = float(y.mean())
            self.reason_ = f"{len(y)} labelled rows from {len(cutoffs)} cutoff(s)"
            return self
        self._fit_bgnbd(orders)
        return self

    def _fit_classifier(self, x: FloatArray, y: npt.NDArray[np.int64]) -> None:
        import lightgbm as lgb

        self.model_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.random_state,
            n_jobs=1,
            verbose=-1,
        )
        self.model_.fit(x, y)
        gain = np.asarray(self.model_.booster_.feature_importance(importance_type="gain"), dtype=np.float64)
        total = float(gain.sum()) or 1.0
        self.feature_importances_ = {
            name: float(g / total) for name, g in zip(self.feature_names_, gain, strict=True)
        }

    def _fit_bgnbd(self, orders: pd.DataFrame) -> None:
        from shopmind.customers.clv import CLVModel

        summary = btyd_summary(purchases(orders), observation_end=self.as_of_, unit_days=self.unit_days)
        try:
            self.clv_ = CLVModel(unit_days=self.unit_days).fit(summary)
        except ValidationError:  # tiny or degenerate shops: a small penalty makes BG/NBD converge
            self.clv_ = CLVModel(unit_days=self.unit_days, penalizer=0.001).fit(summary)
            self.reason_ += "; BG/NBD fitted with penalizer=0.001"
        self.mode_ = "bgnbd"

    def _check_fitted(self) -> None:
        if not hasattr(self, "mode_"):
            raise NotFittedError("This ChurnModel is not fitted yet. Call fit(orders) first.")

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """Churn probability of each customer.

        Parameters
        ----------
        features : pandas.DataFrame
            Output of :func:`churn_features` at the day to score (usually ``as_of_``), with the same
            optional tables as in ``fit``. Missing optional columns are treated as unknown.

        Returns
        -------
        pandas.Series
            ``churn_probability`` in [0, 1] indexed like ``features``.
        """
        self._check_fitted()
        if self.mode_ == "supervised":
            x = features.reindex(columns=self.feature_names_).to_numpy(np.float64)
            proba = self.model_.predict_proba(x)[:, 1] if len(x) else np.zeros(0)
        else:
            assert self.clv_ is not None
            summary = summary_from_features(features, unit_days=self.unit_days)
            proba = bgnbd_churn_probability(self.clv_, summary, self.horizon_days).to_numpy(np.float64)
        return pd.Series(proba, index=features.index, name="churn_probability")


def bgnbd_churn_probability(clv: CLVModel, summary: pd.DataFrame, horizon_days: float) -> pd.Series:
    """BG/NBD probability of no purchase in the next ``horizon_days``, built on ``p_alive``.

    ``1 - p_alive`` alone calls no one-time buyer at risk (BG/NBD gives them ``p_alive = 1``, since
    customers drop out only after a repeat purchase), yet they are most of the churners. A customer
    who is alive buys at a rate whose posterior is ``Gamma(r + x, alpha + T)``, so

    ``P(no purchase in t) = 1 - p_alive * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))``

    with ``t`` in the summary's unit.

    Parameters
    ----------
    clv : CLVModel
        A fitted :class:`~shopmind.customers.clv.CLVModel` (its ``params_`` and ``p_alive``).
    summary : pandas.DataFrame
        BTYD summary (``frequency, recency, T``) in the model's unit.
    horizon_days : float
        The churn horizon in days.

    Returns
    -------
    pandas.Series
        ``churn_probability`` indexed like ``summary``.
    """
    p_alive = clv.predict(summary, horizon_days=horizon_days)["p_alive"].to_numpy(np.float64)
    r, alpha = clv.params_["r"], clv.params_["alpha"]
    age = summary["T"].to_numpy(np.float64)
    x = summary["frequency"].to_numpy(np.float64)
    t = float(horizon_days) / float(clv.unit_days)
    quiet_if_alive = np.exp((r + x) * np.log((alpha + age) / (alpha + age + t)))
    return pd.Series(1.0 - p_alive * (1.0 - quiet_if_alive), index=summary.index, name="churn_probability")


def summary_from_features(features: pd.DataFrame, *, unit_days: float = 7.0) -> pd.DataFrame:
    """The BG/NBD ``frequency, recency, T, monetary_value`` summary read off :func:`churn_features`.

    Identical to :func:`shopmind.features.rfm.btyd_summary` at the same day, except that
    ``monetary_value`` is the mean order (not the mean repeat day).
    """
    _need(features, "features", ("purchase_days", "tenure_days", "recency_days", "monetary"))
    out = pd.DataFrame(
        {
            "frequency": (features["purchase_days"] - 1).astype("int64"),
            "recency": (features["tenure_days"] - features["recency_days"]) / unit_days,
            "T": features["tenure_days"] / unit_days,
            "monetary_value": features["monetary"].where(features["purchase_days"] > 1, 0.0),
        },
        index=features.index,
    )
    return out


# --------------------------------------------------------------------------------------------------
# backtest
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnBacktest:
    """What :func:`backtest_churn` measured.

    Attributes
    ----------
    cutoff : pandas.Timestamp
        The day the models were scored at (they learned from data up to it).
    horizon_days : int
        The churn horizon.
    metrics : pandas.DataFrame
        One row per system (index ``system``): ``auc``, ``precision_top_decile``, ``brier`` (NaN for
        the recency ranking, which is not a probability), ``base_rate``, ``n_customers``.
    calibration : dict of str to pandas.DataFrame
        :func:`calibration_table` of each probabilistic system.
    scores : pandas.DataFrame
        Per customer at the cutoff: ``churned`` and one risk column per system.
    model : ChurnModel
        The fitted supervised model (its ``mode_``, ``cutoffs_``, ``feature_importances_``).
    """

    cutoff: pd.Timestamp
    horizon_days: int
    metrics: pd.DataFrame
    calibration: dict[str, pd.DataFrame]
    scores: pd.DataFrame
    model: ChurnModel


def backtest_churn(
    orders: pd.DataFrame,
    cutoff: DateLike,
    horizon_days: int = 90,
    *,
    items: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    model: ChurnModel | None = None,
    unit_days: float = 7.0,
    bins: int = 10,
) -> ChurnBacktest:
    """Score churn models in time: learn from data up to ``cutoff``, judge on the ``horizon_days`` after.

    The supervised model learns from cutoffs at ``cutoff - horizon_days`` and before (their labels
    end on or before ``cutoff``). The BG/NBD baselines come from one
    :class:`~shopmind.customers.clv.CLVModel` fitted on the summary at ``cutoff``: ``1 - p_alive``
    (:data:`SYSTEM_P_ALIVE`) and the probability of no purchase in the horizon
    (:data:`SYSTEM_BGNBD`). Days since the last purchase (:data:`SYSTEM_RECENCY`) is a reference
    ranking that needs no model. All are scored on the customers who bought on or before
    ``cutoff``: churned if they did not buy in the ``horizon_days`` after it.

    Parameters
    ----------
    orders : pandas.DataFrame
        The whole order log; it must reach ``cutoff + horizon_days``.
    cutoff : date, datetime or str
        The scoring day.
    horizon_days : int
        The churn horizon.
    items, products, reviews, events : pandas.DataFrame, optional
        Extra tables for :func:`churn_features`.
    model : ChurnModel, optional
        An unfitted model with the settings to test (default ``ChurnModel(horizon_days)``); its
        ``horizon_days`` must equal ``horizon_days``.
    unit_days : float
        Time unit of the BG/NBD baselines.
    bins : int
        Bins of the calibration tables.

    Returns
    -------
    ChurnBacktest
        Metrics per system, calibration tables and per-customer scores.

    Raises
    ------
    ValidationError
        If the orders end before the last day of the horizon (the labels would be wrong).
    """
    from shopmind.customers.clv import CLVModel

    check_param("backtest_churn", "horizon_days", horizon_days, _is_int(horizon_days, 1), "an int >= 1")
    end = _day(cutoff)
    frame = _purchase_days(orders, "customer_id", "ordered_at", "total_amount")
    last = int(frame["day"].max()) if len(frame) else _day_number(end)
    horizon_end = _day_number(end) + horizon_days
    if last < horizon_end:
        raise ValidationError(
            f"The orders end on {_from_day_number(last).date()}, before the last day of the horizon "
            f"({_from_day_number(horizon_end).date()}). Choose an earlier cutoff or a shorter horizon."
        )
    churn_model = model if model is not None else ChurnModel(horizon_days, unit_days=unit_days)
    check_param(
        "backtest_churn",
        "model",
        churn_model,
        isinstance(churn_model, ChurnModel) and churn_model.horizon_days == horizon_days,
        f"a ChurnModel with horizon_days={horizon_days}",
    )
    churn_model.fit(orders, as_of=end, items=items, products=products, reviews=reviews, events=events)

    feats = churn_features(
        orders,
        as_of=end,
        items=items,
        products=products,
        reviews=reviews,
        events=events,
        recent_days=churn_model.recent_days,
    )
    labels = churn_labels(orders, end, horizon_days).reindex(feats.index)
    summary = summary_from_features(feats, unit_days=unit_days)
    clv = CLVModel(unit_days=unit_days).fit(summary)
    p_alive = clv.predict(summary, horizon_days=horizon_days)["p_alive"]

    scores = pd.DataFrame(
        {
            "churned": labels.to_numpy(np.int64),
            SYSTEM_GBM: churn_model.predict_proba(feats).to_numpy(np.float64),
            SYSTEM_P_ALIVE: 1.0 - p_alive.to_numpy(np.float64),
            SYSTEM_BGNBD: bgnbd_churn_probability(clv, summary, horizon_days).to_numpy(np.float64),
            SYSTEM_RECENCY: feats["recency_days"].to_numpy(np.float64),
        },
        index=feats.index,
    )
    systems = (SYSTEM_GBM, SYSTEM_P_ALIVE, SYSTEM_BGNBD, SYSTEM_RECENCY)
    rows = {
        system: churn_metrics(scores["churned"], scores[system], probability=system != SYSTEM_RECENCY)
        for system in systems
    }
    metrics = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    metrics.index.name = "system"
    calibration = {
        system: calibration_table(scores["churned"], scores[system], bins=bins)
        for system in systems
        if system != SYSTEM_RECENCY
    }
    return ChurnBacktest(
        cutoff=end,
        horizon_days=horizon_days,
        metrics=metrics,
        calibration=calibration,
        scores=scores,
        model=churn_model,
    )
