"""Perishable-aware replenishment: safety stock, reorder points, shelf-life-capped orders, alerts.

:class:`InventoryPolicy` turns demand forecasts into a replenishment plan and stock alerts. It is
pure (tables in, tables out): it reads

* **forecasts** -- statsforecast's long shape, one row per series and period:
  ``unique_id, ds, mean`` and, when available, ``lo_80, hi_80, lo_95, hi_95`` and ``model``
  (what :class:`shopmind.forecast.models.Forecaster` returns). ``unique_id`` is the sku, or
  ``"sku|location_id"`` for a forecast per location; any other naming is mapped with ``id_map``.
  An optional ``sigma`` column (the forecast error's standard deviation for that period, for
  instance a cross-validation residual scale) overrides the interval widths;
* **inventory** -- the canonical rows ``sku, location_id, on_hand, lead_time_days, supplier,
  min_order_qty`` (``on_order``, units ordered and not yet received, is read when present);
* **products** -- ``sku, price, cost, shelf_life_days, production_date, harvest_months, status``
  (and ``currency`` for the messages), all optional but ``sku``;
* optionally **batches** -- on-hand stock by batch, ``sku, location_id, qty, expires_on``, for a
  shop (or the simulation in :mod:`shopmind.forecast.simulate`) that tracks batches.

Every formula is documented on :class:`InventoryPolicy`; ``docs/forecast-inventory.md`` has the
worked example and the measured simulation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr, ndtri

from shopmind.errors import ValidationError, check_param

__all__ = ["ALERT_COLUMNS", "PLAN_COLUMNS", "InventoryPolicy", "sigma_from_intervals"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_Z95: Final = 1.959963984540054  # Phi^-1(0.975)
_Z80: Final = 1.2815515655446004  # Phi^-1(0.90)
#: Stands in for "never" (days) so that arithmetic stays finite: 2.7 million years.
_NEVER: Final = 1e9
_MOQ_CONFLICT: Final = ("keep", "skip", "economic")

#: Columns of :meth:`InventoryPolicy.plan`, in order.
PLAN_COLUMNS: Final = (
    "sku",
    "location_id",
    "unique_id",
    "supplier",
    "on_hand",
    "usable_on_hand",
    "on_order",
    "inventory_position",
    "lead_time_days",
    "review_period_days",
    "shelf_life_days",
    "remaining_life_days",
    "demand_lt_mean",
    "demand_lt_sigma",
    "demand_protection_mean",
    "demand_protection_sigma",
    "safety_stock",
    "reorder_point",
    "eoq",
    "order_up_to",
    "order_qty_raw",
    "shelf_life_cap",
    "min_order_qty",
    "order_qty",
    "capped_by_shelf_life",
    "capped_by_waste",
    "moq_rounded",
    "moq_conflict",
    "out_of_season",
    "inactive",
    "days_to_reorder",
    "order_by",
    "expected_arrival",
    "reason_zh",
    "reason_en",
)

#: Columns of :meth:`InventoryPolicy.alerts`, in order.
ALERT_COLUMNS: Final = (
    "sku",
    "location_id",
    "kind",
    "severity",
    "stockout_probability",
    "days_of_cover",
    "lead_time_days",
    "on_hand",
    "units_at_risk",
    "days_to_expiry",
    "markdown_pct",
    "markdown_price",
    "expected_extra_units",
    "order_qty",
    "message_zh",
    "message_en",
)


def sigma_from_intervals(forecasts: pd.DataFrame) -> pd.Series:
    """Per-row forecast standard deviation implied by the prediction intervals.

    ``sigma = (hi_95 - lo_95) / (2 * 1.96)`` when the 95% interval is there, otherwise
    ``(hi_80 - lo_80) / (2 * 1.2816)``; NaN when neither is. This reads a symmetric (normal)
    interval: for a skewed one (e.g. from a log model) it is the average of the two half-widths.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Rows with ``lo_95, hi_95`` and/or ``lo_80, hi_80``.

    Returns
    -------
    pandas.Series
        One float per row, aligned with ``forecasts.index``.
    """
    sigma = pd.Series(np.nan, index=forecasts.index, dtype="float64")
    for lo, hi, z in (("lo_95", "hi_95", _Z95), ("lo_80", "hi_80", _Z80)):
        if lo in forecasts and hi in forecasts:
            width = pd.to_numeric(forecasts[hi], errors="coerce") - pd.to_numeric(
                forecasts[lo], errors="coerce"
            )
            sigma = sigma.fillna((width / (2.0 * z)).clip(lower=0.0))
    return sigma


# ----------------------------------------------------------------------------------------------
# cumulative demand curves
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Curve:
    """A per-key cumulative curve over days from ``today``: ``C(t) = integral of rate``.

    ``rate[i, k]`` is the daily rate on day ``k`` (``0 <= k < H``) and ``tail[i]`` the rate after
    the last forecast day. Used for the mean (rate = mean / period) and for the variance
    (rate = sigma^2 / period) of demand.
    """

    rate: FloatArray  # (n, H)
    cum: FloatArray  # (n, H + 1), cum[:, 0] == 0
    tail: FloatArray  # (n,)

    @classmethod
    def build(cls, per_period: FloatArray, start_day: FloatArray, period_days: int) -> _Curve:
        """Spread each period's value evenly over its ``period_days`` days.

        ``per_period[i, j]`` belongs to the period starting ``start_day[i] + j * period_days`` days
        after today (NaN when missing). Days before the first forecast period take the first
        period's rate; missing periods and days after the last one take ``tail``, the key's mean
        daily rate over its forecast periods.
        """
        n, n_periods = per_period.shape
        daily = per_period / float(period_days)
        with np.errstate(invalid="ignore"):
            counts = np.sum(~np.isnan(daily), axis=1)
            tail = np.where(counts > 0, np.nansum(daily, axis=1) / np.maximum(counts, 1), 0.0)
        end = start_day + n_periods * period_days
        horizon = int(max(1.0, float(np.max(end)) if n else 1.0))
        days = np.arange(horizon, dtype=np.float64)
        j = np.floor((days[None, :] - start_day[:, None]) / period_days)
        inside = j < n_periods
        jj = np.clip(j, 0, n_periods - 1).astype(np.int64)
        rate = np.take_along_axis(daily, jj, axis=1) if n_periods else np.full((n, horizon), np.nan)
        rate = np.where(inside & ~np.isnan(rate), rate, tail[:, None])
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(rate, axis=1)], axis=1)
        return cls(rate=rate, cum=cum, tail=tail)

    @property
    def horizon(self) -> int:
        return int(self.rate.shape[1])

    def at(self, t: FloatArray, rows: IntArray | None = None) -> FloatArray:
        """``C(t)`` for one ``t`` per key (``rows`` picks the key of each ``t`` when given)."""
        idx = np.arange(len(self.tail)) if rows is None else rows
        t = np.clip(np.nan_to_num(t, nan=0.0, posinf=_NEVER), 0.0, _NEVER)
        h = self.horizon
        k = np.minimum(np.floor(t), h).astype(np.int64)
        r = np.where(k < h, self.rate[idx, np.minimum(k, h - 1)], self.tail[idx])
        out: FloatArray = self.cum[idx, k] + (t - k) * r
        return out

    def time_to(self, x: FloatArray) -> FloatArray:
        """First ``t`` with ``C(t) >= x`` (0 for ``x <= 0``; ``inf`` if the curve never gets there)."""
        n, h = self.rate.shape
        rows = np.arange(n)
        k = np.sum(self.cum[:, 1:] < x[:, None], axis=1)
        inside = k < h
        kk = np.minimum(k, h - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_in = kk + (x - self.cum[rows, kk]) / self.rate[rows, kk]
            t_out = h + (x - self.cum[rows, h]) / self.tail
        t = np.where(inside, t_in, np.where(self.tail > 0, t_out, np.inf))
        out: FloatArray = np.where(x <= 0, 0.0, t)
        return out


# ----------------------------------------------------------------------------------------------
# FEFO over batches
# ----------------------------------------------------------------------------------------------


def _fefo(
    key: IntArray, qty: FloatArray, demand_at_expiry: FloatArray, n: int
) -> tuple[FloatArray, FloatArray]:
    """Expected units of each key's batches sold before they expire, first-expired-first-out.

    Rows must be sorted by key, then expiry. With ``Q_k`` the cumulative quantity of the first
    ``k`` batches and ``D_k`` the expected cumulative demand until batch ``k`` expires, the units
    sold from the first ``k`` batches follow ``S_k = min(S_{k-1} + q_k, D_k)``, whose closed form
    is ``S_k = Q_k + min(0, min_{j<=k}(D_j - Q_j))``. Returns ``S_K`` per key and the demand
    multiplier ``m = max_k Q_k / D_k`` that would sell every batch in time (``m <= 1``: nothing
    expires).
    """
    sold = np.zeros(n)
    need = np.zeros(n)
    if len(key) == 0:
        return sold, need
    q_cum = pd.Series(qty).groupby(key).cumsum().to_numpy(dtype=np.float64)
    gap = pd.Series(demand_at_expiry - q_cum).groupby(key).cummin().to_numpy(dtype=np.float64)
    s = q_cum + np.minimum(0.0, gap)
    last = np.r_[key[1:] != key[:-1], True]
    sold[key[last]] = s[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q_cum <= 0, 0.0, np.where(demand_at_expiry > 0, q_cum / demand_at_expiry, np.inf))
    np.maximum.at(need, key, ratio)
    return sold, need


# ----------------------------------------------------------------------------------------------
# the policy
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    """Everything :meth:`InventoryPolicy.plan` and :meth:`InventoryPolicy.alerts` compute."""

    frame: pd.DataFrame  # one row per key, numeric columns of PLAN_COLUMNS and helpers
    mean: _Curve
    var: _Curve
    batch_key: IntArray
    batch_qty: FloatArray
    batch_expiry: FloatArray  # days from today


class InventoryPolicy:
    r"""A periodic-review, perishable-aware replenishment policy.

    Parameters
    ----------
    service_level : float, default 0.95
        Target cycle service level ``alpha``: the probability of no stock-out between an order
        and the next order's arrival. ``z = Phi^{-1}(alpha)``.
    review_period_days : int, default 1
        Days between two ordering decisions ``R`` (7 for a weekly order).
    holding_cost_rate : float, default 0.25
        Yearly cost of holding one unit, as a share of its unit cost ``h``.
    order_cost : float, default 20.0
        Fixed cost of placing one order line ``K`` (shop currency). 0 turns EOQ off: the policy
        then orders up to the reorder point every time it is reached (an (R, S) policy).
    default_lead_time_days : int, default 7
        Lead time ``L`` of inventory rows that have none (and of forecasts with no inventory row).
    forecast_period_days : int, optional
        Length of one forecast period in days (1 daily, 7 weekly). Inferred from the spacing of
        ``ds`` when not given.
    arrival_age_days : int, default 0
        Days of shelf life already used when an order arrives (0: the supplier ships fresh stock
        and the shelf life counts from arrival).
    moq_conflict : {"keep", "skip", "economic"}, default "keep"
        What to order when the supplier minimum is more than can be sold before expiry: "keep"
        orders the shelf-life-capped quantity and flags it (ask the supplier); "skip" orders
        nothing; "economic" orders the minimum when the margin on the units expected to sell
        before expiry, ``min(moq, cap) * (price - cost)``, is larger than the cost of the units
        expected to expire, ``max(moq - cap, 0) * cost``, and nothing otherwise. Only "keep" and
        "skip" always respect the shelf life.
    respect_harvest_months : bool, default True
        Order nothing for a product with ``harvest_months`` when the current month is not one of
        them (the supplier has no fresh stock).
    balance_waste : bool, default False
        For perishables with a known price and cost, also stop ordering at the unit whose
        expected waste cost exceeds the margin it is expected to save (see Notes). This lowers
        the service level where spoilage costs more than a lost sale.
    stockout_alert_threshold : float, default 0.2
        :meth:`alerts` reports ``stockout_risk`` when ``P(demand over the lead time > stock)`` is
        above this.
    expiry_alert_min_units : float, default 1.0
        :meth:`alerts` reports ``expiry_risk`` when at least this many units are expected to
        expire unsold.
    overstock_cover_days : float, default 180.0
        :meth:`alerts` reports ``overstock`` for a product without shelf life whose stock covers
        more than this many days of expected demand.
    price_elasticity : float, default 2.0
        Own-price elasticity ``e`` of the markdown model (a constant-elasticity demand curve).
    max_markdown : float, default 0.5
        Largest markdown suggested (a share of the price).
    markdown_step : float, default 0.05
        Suggested markdowns are rounded up to a multiple of this.

    Notes
    -----
    **Demand over a period of days.** Each forecast period's ``mean`` and ``sigma`` are spread
    evenly over its days (``rate = mean / p``, daily variance ``sigma^2 / p``, for periods of
    ``p`` days), so for ``t`` days from ``today``

    .. math:: \mu(t) = \sum_{d < t} \text{rate}_d, \qquad \sigma(t) = \sqrt{\sum_{d < t} \sigma^2_d / p}

    (fractional days interpolate). Forecast errors of different periods are taken as
    independent. Days beyond the last forecast period use the series' mean daily rate over its
    forecast; days between ``today`` and the first forecast period use the first period's.
    ``sigma`` per period comes from, in order: a ``sigma`` column of ``forecasts``;
    ``residual_sigma`` (a per-series scale, e.g. from cross-validation); the 95% interval,
    ``(hi_95 - lo_95) / (2 * 1.96)``; the 80% interval, ``(hi_80 - lo_80) / (2 * 1.2816)``;
    Poisson, ``sqrt(mean)``. Negative means count as 0.

    **Usable stock.** On-hand units that will expire before they can be sold do not protect
    against a stock-out. With batches sorted by expiry ``e_k`` (days from today) and sold
    first-expired-first-out, the expected units sold before expiry are
    ``S_k = min(S_{k-1} + q_k, mu(e_k))``; ``usable_on_hand = S_K`` and ``on_hand - S_K`` are
    the units at risk of expiring. Without batches, ``on_hand`` is one batch expiring at
    ``shelf_life_days - (today - production_date)`` days, or ``shelf_life_days -
    arrival_age_days`` when the production date is unknown (assumed fresh), or never for a product
    without shelf life.

    **Order quantity.** With lead time ``L``, review period ``R`` and the protection interval
    ``P = L + R`` (an order placed now must cover demand until the next order can arrive):

    - inventory position ``IP = usable_on_hand + on_order``;
    - ``safety_stock = z * sigma(P)``; ``reorder_point = mu(P) + safety_stock``;
    - ``eoq = sqrt(2 K D / (h c))`` with ``D`` the yearly demand (365 times the mean daily
      rate of the forecast) and ``c`` the unit cost (the price when there is no cost; 0 when
      neither is known, or when ``K = 0``);
    - ``order_up_to = reorder_point + eoq``;
    - when ``IP <= reorder_point``: ``order_qty_raw = order_up_to - IP``, else 0 (and
      ``order_by`` is the day ``mu(t)`` reaches ``IP - reorder_point``).

    **Caps.** The *shelf-life cap* is what can be sold between the new batch's arrival (day
    ``L``) and its expiry (day ``W = L + shelf_life_days - arrival_age_days``), less what the
    stock already there will sell in that window:
    ``cap = max(0, mu(W) - mu(L) - (S^{+}(W) - S(L)))``, where ``S(L)`` runs the FEFO recursion
    over the on-hand batches with every expiry cut at ``L`` (what they sell before the order
    arrives) and ``S^{+}(W)`` over the on-hand batches and ``on_order`` with every expiry cut at
    ``W``.
    ``order_qty = min(ceil(order_qty_raw), floor(cap))``. Then the *supplier minimum*: a positive
    order below ``min_order_qty`` is rounded up to it when the minimum is within the cap
    (``moq_rounded``); otherwise ``moq_conflict`` is flagged and resolved as ``moq_conflict``
    says. Inactive products, and products out of their harvest months, order nothing.

    **Waste balance** (``balance_waste=True``; perishables with a price above their cost). The
    ``k``-th unit ordered prevents a lost sale when demand over the protection interval exceeds
    ``IP + k`` and expires unsold when demand over the new batch's life (days ``L`` to ``W``,
    normal with mean ``mu(W) - mu(L)`` and the matching variance) stays below what the existing
    stock sells in that window plus ``k``. The protection part of the order (up to the reorder
    point) stops at the largest ``k`` with ``(price - cost) * P(D(P) > IP + k) >= cost *
    P(D(L, W) < E + k)`` -- a newsvendor-style marginal rule between the margin a unit saves and
    the cost of throwing it away -- and the EOQ batch is added on top:
    ``order_qty <= k + eoq`` (those units serve later cycles; the shelf-life cap still bounds
    them). The supplier minimum must then fit under this bound too.

    **Alerts.** ``stockout_risk``: ``P = 1 - Phi((stock - mu(L)) / sigma(L))`` with ``stock =
    usable_on_hand + on_order`` (normal demand over the lead time; no new order can arrive
    before ``L``). ``expiry_risk``: ``units_at_risk = on_hand - usable_on_hand``; ``overstock``
    (no shelf life): ``units_at_risk = on_hand - mu(overstock_cover_days)``. The markdown
    assumes constant-elasticity demand, ``q(p) = q_0 (p / p_0)^{-e}``: a discount ``d``
    multiplies demand by ``(1 - d)^{-e}``, so selling everything in time needs the multiplier
    ``m = max_k Q_k / mu(e_k)`` (the FEFO condition) and ``d = 1 - m^{-1/e}``, rounded up to
    ``markdown_step`` and capped at ``max_markdown``; ``expected_extra_units`` is the FEFO
    usable stock at the discounted demand minus that at full price.

    Examples
    --------
    >>> import pandas as pd
    >>> fc = pd.DataFrame({"unique_id": "milk", "ds": pd.date_range("2026-01-01", periods=14),
    ...                    "mean": 10.0, "lo_95": 4.0, "hi_95": 16.0})
    >>> inv = pd.DataFrame({"sku": ["milk"], "on_hand": [25.0], "lead_time_days": [3]})
    >>> products = pd.DataFrame({"sku": ["milk"], "shelf_life_days": [5], "cost": [3.0]})
    >>> row = InventoryPolicy().plan(fc, inv, products, today="2026-01-01").iloc[0]
    >>> int(row["order_qty"]), int(row["shelf_life_cap"])
    (50, 50)
    """

    def __init__(
        self,
        service_level: float = 0.95,
        review_period_days: int = 1,
        holding_cost_rate: float = 0.25,
        order_cost: float = 20.0,
        default_lead_time_days: int = 7,
        forecast_period_days: int | None = None,
        arrival_age_days: int = 0,
        moq_conflict: Literal["keep", "skip", "economic"] = "keep",
        respect_harvest_months: bool = True,
        balance_waste: bool = False,
        stockout_alert_threshold: float = 0.2,
        expiry_alert_min_units: float = 1.0,
        overstock_cover_days: float = 180.0,
        price_elasticity: float = 2.0,
        max_markdown: float = 0.5,
        markdown_step: float = 0.05,
    ) -> None:
        self.service_level = service_level
        self.review_period_days = review_period_days
        self.holding_cost_rate = holding_cost_rate
        self.order_cost = order_cost
        self.default_lead_time_days = default_lead_time_days
        self.forecast_period_days = forecast_period_days
        self.arrival_age_days = arrival_age_days
        self.moq_conflict = moq_conflict
        self.respect_harvest_months = respect_harvest_months
        self.balance_waste = balance_waste
        self.stockout_alert_threshold = stockout_alert_threshold
        self.expiry_alert_min_units = expiry_alert_min_units
        self.overstock_cover_days = overstock_cover_days
        self.price_elasticity = price_elasticity
        self.max_markdown = max_markdown
        self.markdown_step = markdown_step

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters and their values."""
        return {
            name: getattr(self, name)
            for name in (
                "service_level",
                "review_period_days",
                "holding_cost_rate",
                "order_cost",
                "default_lead_time_days",
                "forecast_period_days",
                "arrival_age_days",
                "moq_conflict",
                "respect_harvest_months",
                "balance_waste",
                "stockout_alert_threshold",
                "expiry_alert_min_units",
                "overstock_cover_days",
                "price_elasticity",
                "max_markdown",
                "markdown_step",
            )
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"InventoryPolicy({args})"

    # -- parameters -------------------------------------------------------------------------------

    def _check_params(self) -> None:
        owner = "InventoryPolicy"

        def number(value: Any) -> bool:
            return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

        def integer(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        sl = self.service_level
        check_param(owner, "service_level", sl, number(sl) and 0 < sl < 1, "a float in (0, 1)")
        rp = self.review_period_days
        check_param(owner, "review_period_days", rp, integer(rp) and rp >= 1, "an int >= 1")
        for name in ("holding_cost_rate", "order_cost", "expiry_alert_min_units"):
            v = getattr(self, name)
            check_param(owner, name, v, number(v) and v >= 0, "a float >= 0")
        lt = self.default_lead_time_days
        check_param(owner, "default_lead_time_days", lt, integer(lt) and lt >= 0, "an int >= 0")
        fp = self.forecast_period_days
        check_param(
            owner, "forecast_period_days", fp, fp is None or (integer(fp) and fp >= 1), "None or an int >= 1"
        )
        aa = self.arrival_age_days
        check_param(owner, "arrival_age_days", aa, integer(aa) and aa >= 0, "an int >= 0")
        mc = self.moq_conflict
        check_param(owner, "moq_conflict", mc, mc in _MOQ_CONFLICT, "one of 'keep', 'skip', 'economic'")
        rh = self.respect_harvest_months
        check_param(owner, "respect_harvest_months", rh, isinstance(rh, bool), "a bool")
        bw = self.balance_waste
        check_param(owner, "balance_waste", bw, isinstance(bw, bool), "a bool")
        th = self.stockout_alert_threshold
        check_param(owner, "stockout_alert_threshold", th, number(th) and 0 <= th < 1, "a float in [0, 1)")
        oc = self.overstock_cover_days
        check_param(owner, "overstock_cover_days", oc, number(oc) and oc > 0, "a float > 0")
        pe = self.price_elasticity
        check_param(owner, "price_elasticity", pe, number(pe) and pe > 0, "a float > 0")
        mm = self.max_markdown
        check_param(owner, "max_markdown", mm, number(mm) and 0 <= mm < 1, "a float in [0, 1)")
        ms = self.markdown_step
        check_param(owner, "markdown_step", ms, number(ms) and 0 < ms <= 1, "a float in (0, 1]")

    # -- public API -----------------------------------------------------------------------------

    def plan(
        self,
        forecasts: pd.DataFrame,
        inventory: pd.DataFrame,
        products: pd.DataFrame,
        *,
        today: dt.date | str | pd.Timestamp,
        batches: pd.DataFrame | None = None,
        id_map: Mapping[str, str | tuple[str, str]] | None = None,
        residual_sigma: Mapping[str, float] | pd.Series | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """The replenishment plan: one row per forecast series (sku, or sku and location).

        Parameters
        ----------
        forecasts : pandas.DataFrame
            ``unique_id, ds, mean`` and optionally ``lo_80, hi_80, lo_95, hi_95, sigma, model``.
        inventory : pandas.DataFrame
            ``sku, on_hand`` and optionally ``location_id, lead_time_days, min_order_qty,
            supplier, on_order``. A series without an inventory row starts from nothing, with
            ``default_lead_time_days``.
        products : pandas.DataFrame
            ``sku`` and optionally ``price, cost, shelf_life_days, production_date,
            harvest_months, status, currency``.
        today : date, str or pandas.Timestamp
            The planning day (day 0); orders placed today arrive after ``lead_time_days``.
        batches : pandas.DataFrame, optional
            On-hand stock by batch (``sku, qty, expires_on`` and optionally ``location_id``);
            for a key with batches, their total replaces the inventory's ``on_hand``.
        id_map : mapping, optional
            ``unique_id -> sku`` or ``unique_id -> (sku, location_id)``. By default a
            ``unique_id`` of the form ``"sku|location_id"`` is split at the first ``|`` and any
            other is a sku at location ``""``.
        residual_sigma : mapping or pandas.Series, optional
            Per ``unique_id`` standard deviation of one period's forecast error (e.g. from
            cross-validation), used where ``forecasts`` has no ``sigma`` column.
        model : str, optional
            Keep only the forecasts of this ``model`` (needed when the frame holds several).

        Returns
        -------
        pandas.DataFrame
            The columns of :data:`PLAN_COLUMNS`, sorted by ``order_by``: quantities in units,
            days as floats, ``order_by`` and ``expected_arrival`` as :class:`datetime.date`
            (None when no order is due within the forecast), ``reason_zh`` / ``reason_en`` the
            explanation. ``order_qty > 0`` rows are the reorder list for today.

        Raises
        ------
        InvalidParameterError
            If a parameter of the policy is out of range.
        ValidationError
            If a frame lacks a required column or a forecast series is ambiguous.
        """
        self._check_params()
        state = self._evaluate(forecasts, inventory, products, today, batches, id_map, residual_sigma, model)
        out = state.frame
        out["reason_zh"], out["reason_en"] = _plan_reasons(out)
        out = out.sort_values(["order_by_days", "sku", "location_id"], kind="stable", na_position="last")
        return out[list(PLAN_COLUMNS)].reset_index(drop=True)

    def alerts(
        self,
        forecasts: pd.DataFrame,
        inventory: pd.DataFrame,
        products: pd.DataFrame,
        *,
        today: dt.date | str | pd.Timestamp,
        batches: pd.DataFrame | None = None,
        id_map: Mapping[str, str | tuple[str, str]] | None = None,
        residual_sigma: Mapping[str, float] | pd.Series | None = None,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Stock-out, expiry and overstock alerts with a markdown suggestion.

        Takes the same inputs as :meth:`plan`.

        Returns
        -------
        pandas.DataFrame
            The columns of :data:`ALERT_COLUMNS`, one row per alert, high severity first.
            ``kind`` is ``"stockout_risk"`` (``stockout_probability`` above
            ``stockout_alert_threshold``; severity high from 0.5), ``"expiry_risk"`` (perishable
            stock expected to expire unsold) or ``"overstock"`` (stock without shelf life
            covering more than ``overstock_cover_days``); for the last two, severity is high
            when half the stock or more is at risk, and ``markdown_pct`` (0..1),
            ``markdown_price`` and ``expected_extra_units`` suggest a markdown.

        Raises
        ------
        InvalidParameterError
            If a parameter of the policy is out of range.
        ValidationError
            If a frame lacks a required column or a forecast series is ambiguous.
        """
        self._check_params()
        state = self._evaluate(forecasts, inventory, products, today, batches, id_map, residual_sigma, model)
        return self._alerts(state)

    # -- the computation ------------------------------------------------------------------------

    def _evaluate(
        self,
        forecasts: pd.DataFrame,
        inventory: pd.DataFrame,
        products: pd.DataFrame,
        today_like: dt.date | str | pd.Timestamp,
        batches: pd.DataFrame | None,
        id_map: Mapping[str, str | tuple[str, str]] | None,
        residual_sigma: Mapping[str, float] | pd.Series | None,
        model: str | None,
    ) -> _State:
        today = _day(today_like)
        fc = _clean_forecasts(forecasts, model)
        period = self.forecast_period_days or _infer_period(fc)
        uids = pd.Index(pd.unique(fc["unique_id"]))
        n = len(uids)
        sku, loc = _split_ids(uids, id_map)
        keys = pd.DataFrame({"unique_id": uids, "sku": sku, "location_id": loc})
        if keys.duplicated(["sku", "location_id"]).any():
            dup = keys[keys.duplicated(["sku", "location_id"], keep=False)]
            raise ValidationError(
                f"Several forecast series map to sku {dup['sku'].iloc[0]!r} at location "
                f"{dup['location_id'].iloc[0]!r}; forecast each sku/location once or pass model=...",
            )

        # -- forecasts -> per-period mean and variance matrices
        row = uids.get_indexer(pd.Index(fc["unique_id"]))
        first = fc.groupby("unique_id", sort=False)["ds"].transform("min")
        j = np.rint((fc["ds"] - first).dt.days.to_numpy(dtype=np.float64) / period).astype(np.int64)
        n_periods = int(j.max()) + 1 if len(j) else 1
        mean_pp = np.full((n, n_periods), np.nan)
        var_pp = np.full((n, n_periods), np.nan)
        mu = np.clip(pd.to_numeric(fc["mean"], errors="coerce").to_numpy(dtype=np.float64), 0.0, None)
        sigma = _sigma(fc, residual_sigma).to_numpy(dtype=np.float64)
        sigma = np.where(np.isnan(sigma), np.sqrt(mu), sigma)
        mean_pp[row, j] = mu
        var_pp[row, j] = sigma**2
        first_day = pd.Series(first.to_numpy(), index=fc["unique_id"]).groupby(level=0).first()
        start_day = np.asarray((first_day.reindex(uids) - today).dt.days, dtype=np.float64)
        mean_curve = _Curve.build(mean_pp, start_day, period)
        var_curve = _Curve.build(var_pp, start_day, period)

        # -- inventory and products per key
        inv = _inventory_rows(inventory, keys)
        prod = _product_rows(products, keys["sku"])
        lead = inv["lead_time_days"].fillna(float(self.default_lead_time_days)).to_numpy(np.float64)
        lead = np.clip(lead, 0.0, None)
        on_order = np.clip(inv["on_order"].fillna(0.0).to_numpy(np.float64), 0.0, None)
        moq = np.clip(inv["min_order_qty"].fillna(0.0).to_numpy(np.float64), 0.0, None)
        shelf = prod["shelf_life_days"].to_numpy(np.float64)
        perishable = ~np.isnan(shelf)
        fresh_life = np.where(perishable, np.maximum(shelf - self.arrival_age_days, 0.0), _NEVER)
        prod_age = np.array(
            [
                (today - pd.Timestamp(d)).days if d is not None and not pd.isna(d) else np.nan
                for d in prod["production_date"]
            ],
            dtype=np.float64,
        )
        cost = prod["cost"].to_numpy(np.float64)
        price = prod["price"].to_numpy(np.float64)
        unit_cost = np.where(cost > 0, cost, np.where(price > 0, price, np.nan))
        inactive = prod["inactive"].to_numpy(bool)
        out_of_season = (
            _out_of_season(prod["harvest_months"], today.month)
            if self.respect_harvest_months
            else np.zeros(n, bool)
        )

        # -- on-hand batches: given, or one batch from on_hand and the production date
        b_key, b_qty, b_exp = _batch_rows(batches, keys, today)
        has_batches = np.zeros(n, bool)
        has_batches[b_key] = True
        on_hand = inv["on_hand"].fillna(0.0).to_numpy(np.float64)
        given = np.zeros(n)
        np.add.at(given, b_key, b_qty)
        on_hand = np.where(has_batches, given, np.clip(on_hand, 0.0, None))
        single = ~has_batches & (on_hand > 0)
        single_exp = np.where(perishable, np.where(np.isnan(prod_age), fresh_life, shelf - prod_age), _NEVER)
        keep = b_qty > 0
        b_key = np.concatenate([b_key[keep], np.flatnonzero(single)])
        b_qty = np.concatenate([b_qty[keep], on_hand[single]])
        b_exp = np.concatenate([b_exp[keep], single_exp[single]])
        b_exp = np.where(perishable[b_key], b_exp, _NEVER)  # a product without shelf life never expires
        order = np.lexsort((b_exp, b_key))
        b_key, b_qty, b_exp = b_key[order], b_qty[order], b_exp[order]
        usable, _ = _fefo(b_key, b_qty, mean_curve.at(b_exp, b_key), n)
        remaining = np.full(n, np.nan)
        np.fmin.at(remaining, b_key, np.where(b_exp >= _NEVER, np.nan, b_exp))

        # -- demand over the lead time and over the protection interval
        review = float(self.review_period_days)
        protection = lead + review
        z = float(ndtri(self.service_level))
        mu_lt, sd_lt = mean_curve.at(lead), np.sqrt(var_curve.at(lead))
        mu_p, sd_p = mean_curve.at(protection), np.sqrt(var_curve.at(protection))
        safety = z * sd_p
        reorder = mu_p + safety
        yearly = 365.0 * mean_curve.tail
        with np.errstate(divide="ignore", invalid="ignore"):
            eoq = np.sqrt(2.0 * self.order_cost * yearly / (self.holding_cost_rate * unit_cost))
        eoq = np.where(np.isfinite(eoq), eoq, 0.0)
        up_to = reorder + eoq
        position = usable + on_order
        blocked = inactive | out_of_season
        due = (position <= reorder) & ~blocked & (up_to > position)
        raw = np.where(due, up_to - position, 0.0)

        # -- shelf-life cap: demand between the new batch's arrival and its expiry, less what the
        # stock already there (on hand and on order) sells in that window
        window = np.where(perishable, lead + fresh_life, _NEVER)
        sold_by_arrival, _ = _fefo(b_key, b_qty, mean_curve.at(np.minimum(b_exp, lead[b_key]), b_key), n)
        w_key = np.concatenate([b_key, np.flatnonzero(on_order > 0)])
        w_qty = np.concatenate([b_qty, on_order[on_order > 0]])
        w_exp = np.concatenate([np.minimum(b_exp, window[b_key]), window[on_order > 0]])
        order_w = np.lexsort((w_exp, w_key))
        sold_by_expiry, _ = _fefo(
            w_key[order_w], w_qty[order_w], mean_curve.at(w_exp[order_w], w_key[order_w]), n
        )
        in_window = mean_curve.at(window) - mean_curve.at(lead)
        cap = np.where(perishable, np.clip(in_window - (sold_by_expiry - sold_by_arrival), 0.0, None), np.inf)
        raw_units = np.ceil(np.maximum(raw - 1e-9, 0.0))
        cap_units = np.floor(cap + 1e-9)
        qty = np.minimum(raw_units, cap_units)
        capped = due & (raw_units > cap_units)

        # -- optional: protect only up to the unit whose expected waste cost exceeds the margin it
        # saves; the EOQ batch on top serves later cycles and stays under the shelf-life cap
        waste_limited = np.zeros(n, bool)
        limit = cap_units  # the most worth ordering: the supplier minimum must fit under it
        if self.balance_waste:
            sd_window = np.sqrt(np.clip(var_curve.at(window) - var_curve.at(lead), 0.0, None))
            protect = np.where(due, np.ceil(np.maximum(reorder - position - 1e-9, 0.0)), 0.0)
            balance = _waste_balance(
                protect,
                position,
                mu_p,
                sd_p,
                in_window,
                sd_window,
                sold_by_expiry - sold_by_arrival,
                price - cost,
                cost,
            )
            applies = perishable & due & (price > cost) & (cost > 0)
            worth = np.ceil(np.maximum(balance + eoq - 1e-9, 0.0))
            waste_limited = applies & (worth < qty)
            qty = np.where(applies, np.minimum(qty, worth), qty)
            limit = np.where(applies, np.minimum(cap_units, worth), cap_units)
        after_caps = qty.copy()

        # -- supplier minimum
        below = (qty > 0) & (qty < moq)
        moq_ok = moq <= limit
        moq_rounded = below & moq_ok
        conflict = below & ~moq_ok
        qty = np.where(moq_rounded, moq, qty)
        if self.moq_conflict == "skip":
            qty = np.where(conflict, 0.0, qty)
        elif self.moq_conflict == "economic":
            # ordering the minimum: what sells before expiry earns its margin, the rest is thrown away
            margin = np.minimum(moq, cap_units) * (price - np.nan_to_num(cost, nan=0.0))
            waste = np.maximum(moq - cap_units, 0.0) * np.nan_to_num(unit_cost, nan=0.0)
            qty = np.where(conflict, np.where(margin > waste, moq, 0.0), qty)

        # -- when: the day the inventory position is expected to reach the reorder point
        days_to_reorder = np.where(due, 0.0, mean_curve.time_to(position - reorder))
        days_to_reorder = np.where(blocked, np.inf, days_to_reorder)
        order_by_days = np.where(np.isfinite(days_to_reorder), np.floor(days_to_reorder), np.nan)

        def dates(offset: FloatArray) -> list[dt.date | None]:
            base = today.date()
            return [None if np.isnan(o) else base + dt.timedelta(days=int(o)) for o in offset]

        frame = keys.copy()
        frame["supplier"] = inv["supplier"].to_numpy(dtype=object)
        frame["currency"] = prod["currency"].to_numpy(dtype=object)
        frame["price"] = price
        frame["cost"] = cost
        frame["on_hand"] = on_hand
        frame["usable_on_hand"] = usable
        frame["on_order"] = on_order
        frame["inventory_position"] = position
        frame["lead_time_days"] = lead
        frame["review_period_days"] = review
        frame["shelf_life_days"] = shelf
        frame["remaining_life_days"] = remaining
        frame["demand_lt_mean"] = mu_lt
        frame["demand_lt_sigma"] = sd_lt
        frame["demand_protection_mean"] = mu_p
        frame["demand_protection_sigma"] = sd_p
        frame["safety_stock"] = safety
        frame["reorder_point"] = reorder
        frame["eoq"] = eoq
        frame["order_up_to"] = up_to
        frame["order_qty_raw"] = raw
        frame["shelf_life_cap"] = cap
        frame["min_order_qty"] = moq
        frame["order_qty"] = qty
        frame["capped_by_shelf_life"] = capped
        frame["capped_by_waste"] = waste_limited
        frame["qty_after_caps"] = after_caps
        frame["moq_limit"] = limit
        frame["moq_rounded"] = moq_rounded
        frame["moq_conflict"] = conflict
        frame["out_of_season"] = out_of_season
        frame["inactive"] = inactive
        frame["days_to_reorder"] = days_to_reorder
        frame["order_by_days"] = order_by_days
        frame["order_by"] = dates(order_by_days)
        frame["expected_arrival"] = dates(np.where(qty > 0, lead, np.nan))
        frame["due"] = due
        frame["moq_policy"] = self.moq_conflict
        frame["harvest_months"] = prod["harvest_months"].to_numpy(dtype=object)
        return _State(frame, mean_curve, var_curve, b_key, b_qty, b_exp)

    def _alerts(self, state: _State) -> pd.DataFrame:
        f = state.frame
        n = len(f)
        mean_curve = state.mean
        lead = f["lead_time_days"].to_numpy(np.float64)
        stock = f["usable_on_hand"].to_numpy(np.float64) + f["on_order"].to_numpy(np.float64)
        mu_l = f["demand_lt_mean"].to_numpy(np.float64)
        sd_l = f["demand_lt_sigma"].to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_out = np.where(sd_l > 0, 1.0 - ndtr((stock - mu_l) / sd_l), (mu_l > stock).astype(float))
        blocked = f["inactive"].to_numpy(bool) | f["out_of_season"].to_numpy(bool)
        cover = mean_curve.time_to(stock)
        stockout = (p_out > self.stockout_alert_threshold) & ~blocked & (mu_l > 0)

        on_hand = f["on_hand"].to_numpy(np.float64)
        perishable = ~np.isnan(f["shelf_life_days"].to_numpy(np.float64))
        usable = f["usable_on_hand"].to_numpy(np.float64)
        at_risk_exp = np.where(perishable, on_hand - usable, 0.0)
        expiry = at_risk_exp >= max(self.expiry_alert_min_units, 1e-9)
        horizon = np.full(n, float(self.overstock_cover_days))
        at_risk_over = np.where(perishable, 0.0, on_hand - mean_curve.at(horizon))
        overstock = ~perishable & (at_risk_over >= max(self.expiry_alert_min_units, 1e-9))

        # markdown: demand multiplier needed to sell everything in time, batch by batch (FEFO)
        key, qty, exp = state.batch_key, state.batch_qty, state.batch_expiry
        exp = np.where(perishable[key], exp, horizon[key])  # overstock: sell within the cover days
        d_exp = mean_curve.at(exp, key)
        base_sold, need = _fefo(key, qty, d_exp, n)
        e = self.price_elasticity
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = np.where(need > 1, 1.0 - np.power(need, -1.0 / e), 0.0)
        step = self.markdown_step
        pct = np.round(np.minimum(np.ceil(np.round(exact / step, 9)) * step, self.max_markdown), 6)
        multiplier = np.power(1.0 - pct, -e)
        new_sold, _ = _fefo(key, qty, d_exp * multiplier[key], n)
        extra = np.clip(new_sold - base_sold, 0.0, None)
        expiry_days = np.full(n, np.nan)
        np.fmax.at(expiry_days, key, np.where(perishable[key] & (exp < _NEVER), exp, np.nan))

        price = f["price"].to_numpy(np.float64)
        rows: list[dict[str, Any]] = []
        plan_zh, plan_en = _plan_reasons(f)
        for i in range(n):
            base = {"sku": f["sku"].iat[i], "location_id": f["location_id"].iat[i]}
            common = {
                "lead_time_days": lead[i],
                "on_hand": on_hand[i],
                "order_qty": f["order_qty"].iat[i],
                "days_of_cover": cover[i],
            }
            if stockout[i]:
                zh = (
                    f"缺货风险 {p_out[i]:.0%}：可用库存 {_u(stock[i])} 件约够 {_days(cover[i])} 天，"
                    f"补货提前期 {_u(lead[i])} 天（期间预计需求 {_u(mu_l[i])} ± {_u(sd_l[i])} 件）。"
                )
                en = (
                    f"Stock-out risk {p_out[i]:.0%}: {_u(stock[i])} usable units cover about "
                    f"{_days(cover[i])} days, resupply takes {_u(lead[i])} days (expected demand "
                    f"{_u(mu_l[i])} ± {_u(sd_l[i])})."
                )
                rows.append(
                    {
                        **base,
                        **common,
                        "kind": "stockout_risk",
                        "severity": "high" if p_out[i] >= 0.5 else "medium",
                        "stockout_probability": p_out[i],
                        "message_zh": zh + "补货计划：" + plan_zh[i],
                        "message_en": en + " Plan: " + plan_en[i],
                    }
                )
            for kind, flag, units in (
                ("expiry_risk", expiry[i], at_risk_exp[i]),
                ("overstock", overstock[i], at_risk_over[i]),
            ):
                if not flag:
                    continue
                mp = price[i] * (1.0 - pct[i]) if price[i] > 0 else np.nan
                cur = str(f["currency"].iat[i] or "")
                if kind == "expiry_risk":
                    when = expiry_days[i]
                    zh = f"临期风险：库存 {_u(on_hand[i])} 件中约 {_u(units)} 件在 {_days(when)} 天内到期前卖不完。"
                    en = (
                        f"Expiry risk: about {_u(units)} of {_u(on_hand[i])} units will not sell before "
                        f"they expire within {_days(when)} days."
                    )
                else:
                    when = np.nan
                    zh = (
                        f"库存积压：库存 {_u(on_hand[i])} 件，按预测约需 {_days(cover[i])} 天才能卖完，"
                        f"超过 {_u(self.overstock_cover_days)} 天。"
                    )
                    en = (
                        f"Overstock: {_u(on_hand[i])} units take about {_days(cover[i])} days to sell, "
                        f"more than {_u(self.overstock_cover_days)}."
                    )
                if pct[i] > 0:
                    price_zh = f"（至 {mp:.2f} {cur}）" if np.isfinite(mp) else ""
                    price_en = f" (to {mp:.2f} {cur})".replace(" )", ")") if np.isfinite(mp) else ""
                    zh += (
                        f"建议降价 {pct[i]:.0%}{price_zh}：按价格弹性 {e:g} 估计可多卖约 {_u(extra[i])} 件。"
                    )
                    en += (
                        f" Suggest a {pct[i]:.0%} markdown{price_en}: at a price elasticity of {e:g} "
                        f"it should sell about {_u(extra[i])} more units."
                    )
                    if need[i] > np.power(1.0 - self.max_markdown, -e) + 1e-9:
                        zh += "降价也难以全部售完，可考虑组合销售、转做加工品或捐赠。"
                        en += " A markdown alone will not clear it: consider bundles, processing or donation."
                rows.append(
                    {
                        **base,
                        **common,
                        "kind": kind,
                        "severity": "high" if units >= 0.5 * on_hand[i] else "medium",
                        "units_at_risk": units,
                        "days_to_expiry": when,
                        "markdown_pct": pct[i],
                        "markdown_price": mp,
                        "expected_extra_units": extra[i],
                        "message_zh": zh,
                        "message_en": en,
                    }
                )
        out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
        if out.empty:
            return out
        rank = out["severity"].map({"high": 0, "medium": 1})
        out = out.assign(_rank=rank).sort_values(["_rank", "kind", "sku", "location_id"], kind="stable")
        return out.drop(columns="_rank").reset_index(drop=True)


def _waste_balance(
    upper: FloatArray,
    position: FloatArray,
    mu_p: FloatArray,
    sd_p: FloatArray,
    mu_w: FloatArray,
    sd_w: FloatArray,
    existing_w: FloatArray,
    margin: FloatArray,
    cost: FloatArray,
) -> FloatArray:
    """Largest whole ``k <= upper`` with ``margin * P(D_P > IP + k) >= cost * P(D_W < E + k)``.

    Both sides are monotone in ``k`` (the left falls, the right rises), so a vectorized bisection
    over ``[0, upper]`` finds it.
    """
    tiny = 1e-9

    def gain(k: FloatArray) -> FloatArray:
        saved = 1.0 - ndtr((position + k - mu_p) / np.maximum(sd_p, tiny))
        wasted = ndtr((existing_w + k - mu_w) / np.maximum(sd_w, tiny))
        out: FloatArray = np.nan_to_num(margin) * saved - np.nan_to_num(cost) * wasted
        return out

    lo = np.zeros_like(upper)
    hi = np.maximum(upper, 0.0)
    ok_all = gain(hi) >= 0
    for _ in range(60):
        mid = np.floor((lo + hi) / 2.0)
        good = gain(mid) >= 0
        lo = np.where(good, mid, lo)
        hi = np.where(good, hi, mid)
        if np.all(hi - lo <= 1):
            break
    first = gain(np.zeros_like(upper)) >= 0
    best = np.where(ok_all, hi, lo)
    out: FloatArray = np.where(first, best, 0.0)
    return out


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------


def _day(value: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"'today' must be a date. Got {value!r} instead.") from exc
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    return day.normalize()


def _require(frame: Any, name: str, columns: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"'{name}' must be a pandas DataFrame. Got {type(frame).__name__} instead.")
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValidationError(
            f"The {name} frame has no column {missing[0]!r}; it needs {', '.join(columns)}.",
            errors=[{"field": c, "message": "required column"} for c in missing],
        )


def _clean_forecasts(forecasts: pd.DataFrame, model: str | None) -> pd.DataFrame:
    _require(forecasts, "forecasts", ("unique_id", "ds", "mean"))
    fc = forecasts
    if model is not None:
        if "model" not in fc:
            raise ValidationError("model=... was given but the forecasts frame has no 'model' column.")
        fc = fc[fc["model"] == model]
    fc = fc.assign(unique_id=fc["unique_id"].astype(str), ds=_naive_days(fc["ds"]))
    fc = fc[fc["ds"].notna()]
    if fc.empty:
        raise ValidationError("The forecasts frame has no rows (after the model filter).")
    if fc.duplicated(["unique_id", "ds"]).any():
        hint = (
            " (it holds several models: pass model=...)"
            if "model" in fc and fc["model"].nunique() > 1
            else ""
        )
        raise ValidationError(f"The forecasts frame has more than one row per unique_id and ds{hint}.")
    return fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _naive_days(values: pd.Series) -> pd.Series:
    ds = pd.to_datetime(values)
    if isinstance(ds.dtype, pd.DatetimeTZDtype):
        ds = ds.dt.tz_localize(None)
    return ds.dt.normalize()


def _infer_period(fc: pd.DataFrame) -> int:
    gaps = fc.groupby("unique_id", sort=False)["ds"].diff().dt.days.dropna()
    gaps = gaps[gaps > 0]
    if gaps.empty:
        raise ValidationError(
            "Cannot infer the forecast period from one forecast row per series; set "
            "InventoryPolicy(forecast_period_days=...) (1 for daily, 7 for weekly)."
        )
    return max(1, round(float(gaps.min())))


def _sigma(fc: pd.DataFrame, residual_sigma: Mapping[str, float] | pd.Series | None) -> pd.Series:
    sigma = (
        pd.to_numeric(fc["sigma"], errors="coerce").astype("float64")
        if "sigma" in fc
        else pd.Series(np.nan, index=fc.index, dtype="float64")
    )
    if residual_sigma is not None:
        scale = pd.Series(residual_sigma, dtype="float64")
        scale.index = scale.index.astype(str)
        sigma = sigma.fillna(fc["unique_id"].map(scale))
    sigma = sigma.fillna(sigma_from_intervals(fc))
    return sigma.clip(lower=0.0)


def _split_ids(
    uids: pd.Index, id_map: Mapping[str, str | tuple[str, str]] | None
) -> tuple[list[str], list[str]]:
    sku: list[str] = []
    loc: list[str] = []
    for uid in uids:
        target: str | tuple[str, str] | None = None if id_map is None else id_map.get(uid)
        if target is None:
            s, sep, rest = str(uid).partition("|")
            sku.append(s)
            loc.append(rest if sep else "")
        elif isinstance(target, tuple):
            sku.append(str(target[0]))
            loc.append("" if target[1] is None else str(target[1]))
        else:
            sku.append(str(target))
            loc.append("")
    return sku, loc


def _location(frame: pd.DataFrame) -> pd.Series:
    if "location_id" not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame["location_id"].astype(object).where(frame["location_id"].notna(), "").astype(str)


def _inventory_rows(inventory: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """One inventory row per key (NaN where the key has none)."""
    _require(inventory, "inventory", ("sku", "on_hand"))
    inv = pd.DataFrame(
        {
            "sku": inventory["sku"].astype(str),
            "location_id": _location(inventory),
            "on_hand": pd.to_numeric(inventory["on_hand"], errors="coerce"),
        }
    )
    for col in ("lead_time_days", "min_order_qty", "on_order"):
        inv[col] = pd.to_numeric(inventory[col], errors="coerce") if col in inventory else np.nan
    inv["supplier"] = inventory["supplier"].astype(object) if "supplier" in inventory else None
    if inv.duplicated(["sku", "location_id"]).any():
        first = inv[inv.duplicated(["sku", "location_id"])].iloc[0]
        raise ValidationError(
            f"The inventory frame has more than one row for sku {first['sku']!r} at location "
            f"{first['location_id']!r}; keep one row per sku and location."
        )
    # A forecast per sku (location "") against an inventory kept per location is ambiguous.
    per_sku = keys["location_id"] == ""
    located = inv[inv["location_id"] != ""]
    clash = keys.loc[per_sku, "sku"].isin(located["sku"]) & ~keys.loc[per_sku, "sku"].isin(
        inv.loc[inv["location_id"] == "", "sku"]
    )
    if clash.any():
        sku = keys.loc[per_sku, "sku"][clash].iloc[0]
        raise ValidationError(
            f"The forecast for sku {sku!r} has no location but its inventory is kept per location; "
            "forecast per location (unique_id 'sku|location_id') or pass id_map."
        )
    return keys[["sku", "location_id"]].merge(inv, on=["sku", "location_id"], how="left")


def _product_rows(products: pd.DataFrame, sku: pd.Series) -> pd.DataFrame:
    _require(products, "products", ("sku",))
    p = products.drop_duplicates("sku").set_index(products["sku"].drop_duplicates().astype(str))
    p = p.reindex(sku.astype(str))
    n = len(sku)

    def numeric(col: str) -> pd.Series:
        if col not in p:
            return pd.Series(np.nan, index=p.index, dtype="float64")
        return pd.to_numeric(p[col], errors="coerce").astype("float64")

    shelf = numeric("shelf_life_days")
    status = p["status"] if "status" in p else pd.Series(None, index=p.index, dtype=object)
    return pd.DataFrame(
        {
            "shelf_life_days": shelf.where(shelf > 0).to_numpy(),
            "cost": numeric("cost").to_numpy(),
            "price": numeric("price").to_numpy(),
            "production_date": (
                p["production_date"].to_numpy(dtype=object) if "production_date" in p else [None] * n
            ),
            "harvest_months": (
                p["harvest_months"].to_numpy(dtype=object) if "harvest_months" in p else [None] * n
            ),
            "inactive": status.isin(["inactive", "archived", "discontinued"]).to_numpy(),
            "currency": p["currency"].to_numpy(dtype=object) if "currency" in p else [None] * n,
        }
    )


def _out_of_season(harvest: pd.Series, month: int) -> BoolArray:
    out = []
    for months in harvest:
        if months is None or (isinstance(months, float) and math.isnan(months)):
            out.append(False)
            continue
        values = [int(m) for m in months]
        out.append(bool(values) and month not in values)
    return np.array(out, dtype=bool)


def _batch_rows(
    batches: pd.DataFrame | None, keys: pd.DataFrame, today: pd.Timestamp
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Key index, quantity and days to expiry (``_NEVER`` when none) of the given batches."""
    if batches is None or len(batches) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    _require(batches, "batches", ("sku", "qty", "expires_on"))
    index = pd.MultiIndex.from_frame(keys[["sku", "location_id"]])
    lookup = pd.MultiIndex.from_arrays([batches["sku"].astype(str), _location(batches)])
    key = index.get_indexer(lookup)
    found = key >= 0
    qty = pd.to_numeric(batches["qty"], errors="coerce").fillna(0.0).to_numpy(np.float64)
    expires = _naive_days(batches["expires_on"])
    days = np.asarray((expires - today).dt.days, dtype=np.float64)
    days = np.where(np.isnan(days), _NEVER, days)
    return key[found].astype(np.int64), np.clip(qty[found], 0.0, None), days[found]


# ----------------------------------------------------------------------------------------------
# explanations
# ----------------------------------------------------------------------------------------------


def _u(x: float) -> str:
    """A quantity for a message: whole numbers with separators, small ones with one decimal."""
    if not np.isfinite(x):
        return "∞"
    if abs(x - round(x)) < 0.05 or abs(x) >= 100:
        return f"{round(x):,}"
    return f"{x:.1f}"


def _days(x: float) -> str:
    if not np.isfinite(x):
        return "∞"
    return f"{max(0, math.floor(x + 1e-9)):,}"


def _plan_reasons(f: pd.DataFrame) -> tuple[list[str], list[str]]:
    zh_out: list[str] = []
    en_out: list[str] = []
    for r in f.to_dict("records"):
        if r["inactive"]:
            zh_out.append("商品已下架，不补货。")
            en_out.append("The product is inactive: no order.")
            continue
        if r["out_of_season"]:
            months = "、".join(str(int(m)) for m in r["harvest_months"])
            months_en = ", ".join(str(int(m)) for m in r["harvest_months"])
            zh_out.append(f"不在产季（产季 {months} 月），暂不补货。")
            en_out.append(f"Out of harvest season (months {months_en}): no order.")
            continue
        demand_zh = (
            f"提前期 {_u(r['lead_time_days'])} 天 + 盘点周期 {_u(r['review_period_days'])} 天预计需求 "
            f"{_u(r['demand_protection_mean'])} ± {_u(r['demand_protection_sigma'])} 件，安全库存 {_u(r['safety_stock'])} 件"
        )
        demand_en = (
            f"expected demand over the {_u(r['lead_time_days'])}-day lead time and "
            f"{_u(r['review_period_days'])}-day review period is {_u(r['demand_protection_mean'])} ± "
            f"{_u(r['demand_protection_sigma'])}, safety stock {_u(r['safety_stock'])}"
        )
        if r["due"]:
            zh = (
                f"可用库存 {_u(r['usable_on_hand'])} 件（含在途 {_u(r['on_order'])} 件后 {_u(r['inventory_position'])} 件）"
                f"已低于再订货点 {_u(r['reorder_point'])} 件（{demand_zh}）"
            )
            en = (
                f"The inventory position {_u(r['inventory_position'])} (usable on hand "
                f"{_u(r['usable_on_hand'])}, on order {_u(r['on_order'])}) is at or below the reorder point "
                f"{_u(r['reorder_point'])} ({demand_en})"
            )
            if r["order_qty"] > 0:
                zh += f"：今天订购 {_u(r['order_qty'])} 件，预计 {r['expected_arrival']} 到货。"
                en += f": order {_u(r['order_qty'])} units today, arriving {r['expected_arrival']}."
            else:
                zh += "。"
                en += "."
            if r["capped_by_shelf_life"]:
                zh += (
                    f"受保质期 {_u(r['shelf_life_days'])} 天限制，到期前最多能卖出 {_u(math.floor(r['shelf_life_cap'] + 1e-9))} 件，"
                    f"订货量从 {_u(math.ceil(r['order_qty_raw'] - 1e-9))} 件减少。"
                )
                en += (
                    f" Capped by the {_u(r['shelf_life_days'])}-day shelf life: at most "
                    f"{_u(math.floor(r['shelf_life_cap'] + 1e-9))} more units can sell before expiry (instead of "
                    f"{_u(math.ceil(r['order_qty_raw'] - 1e-9))})."
                )
            if r["capped_by_waste"]:
                zh += (
                    f"按毛利与损耗权衡：再多订一件，其过期损耗的预期成本将超过它能挽回的预期毛利，"
                    f"订货量减到 {_u(r['qty_after_caps'])} 件。"
                )
                en += (
                    f" Balanced against waste: beyond {_u(r['qty_after_caps'])} units, one more unit's "
                    "expected waste cost exceeds the margin it is expected to save."
                )
            if r["moq_rounded"]:
                zh += f"已按供应商起订量 {_u(r['min_order_qty'])} 件上调。"
                en += f" Rounded up to the supplier minimum of {_u(r['min_order_qty'])}."
            if r["moq_conflict"]:
                if r["capped_by_waste"]:
                    what_zh, what_en = "值得订购的数量", "units worth ordering against waste"
                else:
                    what_zh, what_en = "保质期内可售数量", "units that can sell before expiry"
                zh += f"注意：供应商起订量 {_u(r['min_order_qty'])} 件超过{what_zh} {_u(r['moq_limit'])} 件，"
                en += (
                    f" Note: the supplier minimum of {_u(r['min_order_qty'])} is more than the "
                    f"{_u(r['moq_limit'])} {what_en}: "
                )
                if r["moq_policy"] == "keep":
                    zh += "请与供应商协商少量订货，或放弃本次订货。"
                    en += "ask the supplier for a smaller order, or skip it."
                elif r["order_qty"] > 0:
                    zh += "按起订量订货的毛利高于预计损耗，仍按起订量订购。"
                    en += "ordering the minimum still earns more than the expected waste costs."
                else:
                    zh += "本次不订货。"
                    en += "no order."
            zh_out.append(zh)
            en_out.append(en)
            continue
        if np.isfinite(r["days_to_reorder"]):
            d = _days(r["days_to_reorder"])
            when_zh, when_en = (
                (f"库存将在 {d} 天内", f"in {d} days") if d != "0" else ("库存今天内将", "within a day")
            )
            zh_out.append(
                f"{when_zh}低于再订货点 {_u(r['reorder_point'])} 件（{demand_zh}）：请在 {r['order_by']} 前下单。"
            )
            en_out.append(
                f"Stock falls below the reorder point of {_u(r['reorder_point'])} {when_en} "
                f"({demand_en}): order by {r['order_by']}."
            )
        else:
            zh_out.append("按预测需求，现有库存足够，无需订货。")
            en_out.append(
                "At the forecast demand the stock never reaches the reorder point: no order needed."
            )
    return zh_out, en_out
