"""Replay actual demand through a replenishment policy, period by period.

:func:`simulate` steps through the periods of a demand history (days or weeks) for every series at
once. Each period, in this order:

1. **receive** the orders placed ``lead_time_periods`` periods ago (they arrive at the start of
   the period, as a fresh batch of age 0);
2. **decide**: the policy sees the stock by age, what is on order and the demand of every past
   period, and returns how much to order; the supplier minimum is applied to positive orders when
   ``enforce_moq`` (the supplier ships nothing smaller). An order placed now arrives at the start
   of period ``t + lead_time_periods`` (with a lead time of 0, at once);
3. **sell** the period's actual demand from stock, oldest batch first (first-expired-first-out);
   demand that finds no stock is **lost** (no backorders);
4. **expire** what is left of the batches that reach their shelf life: a unit received in period
   ``r`` can be sold in periods ``r .. r + shelf_life_periods - 1``.

Policies: :class:`~shopmind.forecast.inventory.InventoryPolicy` (re-planned every period from the
forecasts available at that time: ``forecasts`` is a function ``cutoff -> forecasts frame`` or a
frame of rolling forecasts with a ``cutoff`` column, as statsforecast's ``cross_validation``
returns; the cutoff is the start of the last observed period) and :class:`NaivePolicy`, the
baseline; any object with ``order_quantities(view) -> array`` (:class:`OrderingPolicy`) works.

Metrics (per series in ``by_series``, totals in ``summary``): ``fill_rate`` = units sold / units
demanded; ``stockout_periods`` = periods with lost sales; ``avg_stock`` = mean units on hand at the
end of a period (after expiry); ``expired_units``; ``orders`` = orders placed. By construction
``sold + lost = demand`` and ``initial + received = sold + expired + final stock``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import ValidationError, check_param
from shopmind.forecast.inventory import InventoryPolicy

__all__ = [
    "NaivePolicy",
    "OrderingPolicy",
    "PlannedPolicy",
    "SimulationResult",
    "SimulationView",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ForecastSource = Callable[[pd.Timestamp], pd.DataFrame] | pd.DataFrame
PerSeries = float | int | Mapping[str, float] | pd.Series | None

_NAIVE_KINDS: Final = ("mean_cover", "last_period")


@dataclass(frozen=True)
class SimulationView:
    """What a policy sees when it decides, for every series at once (arrays are row-aligned with ``ids``).

    Attributes
    ----------
    period : int
        Index of the current period in the simulation (0 for the first).
    today : pandas.Timestamp
        Start of the current period.
    cutoff : pandas.Timestamp
        Start of the last observed period (the forecasts' cutoff).
    ids : tuple of str
        The series (``unique_id``).
    history : numpy.ndarray
        ``(n, h)`` demand of every period before ``today`` (NaN where unknown).
    stock : numpy.ndarray
        ``(n, A)`` units on hand by age in periods (column 0: received this period).
    pipeline : numpy.ndarray
        ``(n, P)`` units on order; column ``k`` arrives at the start of period ``period + 1 + k``.
    lead_time_periods : numpy.ndarray
        ``(n,)`` lead time of each series, in periods.
    shelf_life_periods : numpy.ndarray
        ``(n,)`` periods a unit can be sold after it arrives (``inf`` when it does not expire).
    min_order_qty : numpy.ndarray
        ``(n,)`` supplier minimum.
    period_days : int
        Days in one period.
    """

    period: int
    today: pd.Timestamp
    cutoff: pd.Timestamp
    ids: tuple[str, ...]
    history: FloatArray
    stock: FloatArray
    pipeline: FloatArray
    lead_time_periods: IntArray
    shelf_life_periods: FloatArray
    min_order_qty: FloatArray
    period_days: int

    @property
    def on_hand(self) -> FloatArray:
        """Units on hand per series."""
        out: FloatArray = self.stock.sum(axis=1)
        return out

    @property
    def on_order(self) -> FloatArray:
        """Units ordered and not yet received per series."""
        out: FloatArray = self.pipeline.sum(axis=1)
        return out


class OrderingPolicy(Protocol):
    """Anything that decides order quantities from a :class:`SimulationView`."""

    def order_quantities(self, view: SimulationView) -> FloatArray:
        """Units to order now for each series (row-aligned with ``view.ids``)."""
        ...


class NaivePolicy:
    """The baseline a shop without forecasts would use.

    Parameters
    ----------
    kind : {"mean_cover", "last_period"}, default "mean_cover"
        ``"mean_cover"``: order up to the mean demand of the last ``window`` periods times
        ``lead_time_periods + 1``, with no safety stock and no regard for shelf life:
        ``order = max(0, ceil(mean * (L + 1) - on_hand - on_order))``.
        ``"last_period"``: order what was demanded in the last period,
        ``order = ceil(demand[t - 1])`` (replace what sold).
    window : int, default 4
        Periods averaged by ``"mean_cover"``.

    Notes
    -----
    Both see the true past demand, as the forecasts do (the simulation replays recorded sales, so
    demand lost in a stock-out is known to every policy alike).
    """

    def __init__(self, kind: Literal["mean_cover", "last_period"] = "mean_cover", window: int = 4) -> None:
        self.kind = kind
        self.window = window

    def __repr__(self) -> str:
        return f"NaivePolicy(kind={self.kind!r}, window={self.window!r})"

    def order_quantities(self, view: SimulationView) -> FloatArray:
        """Units to order now (see the class notes)."""
        check_param(
            "NaivePolicy", "kind", self.kind, self.kind in _NAIVE_KINDS, "'mean_cover' or 'last_period'"
        )
        w = self.window
        ok = isinstance(w, int) and not isinstance(w, bool) and w >= 1
        check_param("NaivePolicy", "window", w, ok, "an int >= 1")
        n = len(view.ids)
        if view.history.shape[1] == 0:
            return np.zeros(n)
        if self.kind == "last_period":
            last = np.nan_to_num(view.history[:, -1], nan=0.0)
            out: FloatArray = np.ceil(np.clip(last, 0.0, None))
            return out
        recent = view.history[:, -w:]
        with np.errstate(invalid="ignore"):
            counts = np.sum(~np.isnan(recent), axis=1)
            mean = np.where(counts > 0, np.nansum(recent, axis=1) / np.maximum(counts, 1), 0.0)
        target = mean * (view.lead_time_periods + 1)
        need: FloatArray = np.ceil(np.clip(target - view.on_hand - view.on_order, 0.0, None) - 1e-9)
        return np.clip(need, 0.0, None)


class PlannedPolicy:
    """Runs :meth:`InventoryPolicy.plan` every period from the forecasts available then.

    Parameters
    ----------
    policy : InventoryPolicy
        The policy; its ``review_period_days`` should be one period.
    forecasts : callable or pandas.DataFrame
        ``forecasts(cutoff)`` returning a forecasts frame (``unique_id, ds, mean, ...``) made with
        data up to and including the period starting at ``cutoff``; or one frame of rolling
        forecasts with a ``cutoff`` column. A forecast made at an earlier cutoff may be returned
        (say, forecasts refitted weekly for a daily simulation): the plan skips the periods that
        have passed.
    unit_cost, price : float or mapping of unique_id to float, optional
        For EOQ and the ``"economic"`` MOQ rule.
    residual_sigma : mapping or pandas.Series, optional
        Passed to :meth:`InventoryPolicy.plan`.

    Notes
    -----
    Each series is planned as its own sku (``sku = unique_id`` at location ``""``); on-hand stock
    is passed as batches whose expiry follows their age, so the plan sees exactly the simulated
    shelf life left.
    """

    def __init__(
        self,
        policy: InventoryPolicy,
        forecasts: ForecastSource,
        *,
        unit_cost: PerSeries = None,
        price: PerSeries = None,
        residual_sigma: Mapping[str, float] | pd.Series | None = None,
    ) -> None:
        self.policy = policy
        self.forecasts = forecasts
        self.unit_cost = unit_cost
        self.price = price
        self.residual_sigma = residual_sigma
        self._by_cutoff: dict[pd.Timestamp, pd.DataFrame] | None = None

    def __repr__(self) -> str:
        return f"PlannedPolicy({self.policy!r})"

    def _forecasts_at(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        source = self.forecasts
        if callable(source):
            return source(cutoff)
        if self._by_cutoff is None:
            if "cutoff" not in source:
                raise ValidationError(
                    "Rolling forecasts need a 'cutoff' column (or pass a function cutoff -> forecasts)."
                )
            cut = pd.to_datetime(source["cutoff"])
            self._by_cutoff = {pd.Timestamp(k): g for k, g in source.groupby(cut, sort=False)}
        found = self._by_cutoff.get(pd.Timestamp(cutoff))
        if found is None:
            raise ValidationError(
                f"No rolling forecasts with cutoff {cutoff.date()}; make one per simulated period."
            )
        return found

    def order_quantities(self, view: SimulationView) -> FloatArray:
        """Units to order now: the plan's ``order_qty`` for each series."""
        ids = list(view.ids)
        n = len(ids)
        p = view.period_days
        shelf = view.shelf_life_periods
        perishable = np.isfinite(shelf)
        inventory = pd.DataFrame(
            {
                "sku": ids,
                "location_id": "",
                "on_hand": view.on_hand,
                "on_order": view.on_order,
                "lead_time_days": view.lead_time_periods * p,
                "min_order_qty": view.min_order_qty,
            }
        )
        products = pd.DataFrame(
            {
                "sku": ids,
                "shelf_life_days": np.where(perishable, shelf * p, np.nan),
                "cost": _per_series(self.unit_cost, ids, "unit_cost", np.nan),
                "price": _per_series(self.price, ids, "price", np.nan),
                "status": "active",
            }
        )
        rows, ages = np.nonzero((view.stock > 0) & perishable[:, None])
        today = view.today.normalize()
        left_days = (shelf[rows] - ages) * p
        batches = pd.DataFrame(
            {
                "sku": np.asarray(ids, dtype=object)[rows],
                "location_id": "",
                "qty": view.stock[rows, ages],
                "expires_on": today + pd.to_timedelta(left_days, unit="D"),
            }
        )
        forecasts = self._forecasts_at(view.cutoff)
        plan = self.policy.plan(
            forecasts,
            inventory,
            products,
            today=today,
            batches=batches,
            id_map={uid: (uid, "") for uid in ids},
            residual_sigma=self.residual_sigma,
        )
        qty = plan.set_index("sku")["order_qty"].reindex(ids).fillna(0.0)
        out: FloatArray = np.clip(qty.to_numpy(dtype=np.float64), 0.0, None)
        return out if len(out) == n else np.zeros(n)


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` measured.

    Attributes
    ----------
    summary : dict of str to float
        Totals over all series: ``demand, sold, lost, expired_units, received, ordered_units,
        orders, fill_rate, stockout_periods, stockout_rate`` (share of series-periods with lost
        sales), ``avg_stock`` (mean end-of-period units on hand per series), ``initial_stock``,
        ``final_stock``, ``series``, ``periods``. With ``unit_cost``: ``expired_cost`` (expired
        units at cost) and ``holding_cost`` (end-of-period stock at cost times
        ``holding_cost_rate`` per year, per period of ``period_days``); with ``price`` as well:
        ``lost_revenue``, ``lost_margin`` (lost units times ``price - unit_cost``) and
        ``total_cost = lost_margin + expired_cost + holding_cost``.
    by_series : pandas.DataFrame
        The same per series (``unique_id`` column).
    periods : pandas.DataFrame
        One row per series and period: ``unique_id, ds, demand, sold, lost, expired, received,
        ordered, on_hand``.
    """

    summary: dict[str, float]
    by_series: pd.DataFrame
    periods: pd.DataFrame = field(repr=False)


def simulate(
    demand: pd.DataFrame,
    policy: InventoryPolicy | OrderingPolicy,
    *,
    start: dt.date | str | pd.Timestamp,
    periods: int | None = None,
    forecasts: ForecastSource | None = None,
    lead_time_periods: PerSeries = 1,
    shelf_life_periods: PerSeries = None,
    min_order_qty: PerSeries = 0.0,
    initial_on_hand: PerSeries = None,
    unit_cost: PerSeries = None,
    price: PerSeries = None,
    enforce_moq: bool = True,
    holding_cost_rate: float = 0.25,
    init_window: int = 4,
    residual_sigma: Mapping[str, float] | pd.Series | None = None,
) -> SimulationResult:
    """Replay ``demand`` from ``start`` through ``policy`` (see the module notes for the steps).

    Parameters
    ----------
    demand : pandas.DataFrame
        ``unique_id, ds, y``: actual demand per series and period (days or weeks, evenly
        spaced), including the history before ``start`` that the naive policy and the initial
        stock read. Every series needs a value in every simulated period.
    policy : InventoryPolicy or OrderingPolicy
        An :class:`InventoryPolicy` is wrapped in :class:`PlannedPolicy` with ``forecasts``;
        anything else must implement ``order_quantities(view)``.
    start : date, str or pandas.Timestamp
        First simulated period (a ``ds`` of ``demand``).
    periods : int, optional
        Number of periods to simulate (default: to the end of ``demand``).
    forecasts : callable or pandas.DataFrame, optional
        Required with an :class:`InventoryPolicy`; see :class:`PlannedPolicy`.
    lead_time_periods : int or mapping of unique_id to int, default 1
        Periods between placing an order and receiving it.
    shelf_life_periods : int or mapping, optional
        Periods a unit can be sold after it arrives, rounded down to whole periods; None (or a
        missing or non-positive value) for goods that do not expire.
    min_order_qty : float or mapping, default 0
        Supplier minimum per order.
    initial_on_hand : float or mapping, optional
        Stock at the start, as a fresh batch. Default: the mean demand of the last
        ``init_window`` periods before ``start`` times ``lead_time_periods + 1``, rounded up
        (the same for every policy).
    unit_cost, price : float or mapping, optional
        Used by the planned policy (EOQ, the MOQ rule) and for the cost metrics of
        :class:`SimulationResult`.
    enforce_moq : bool, default True
        Round every positive order below the supplier minimum up to it.
    holding_cost_rate : float, default 0.25
        Yearly cost of holding a unit, as a share of its unit cost (for ``holding_cost``).
    init_window : int, default 4
        Periods averaged for the default ``initial_on_hand``.
    residual_sigma : mapping or pandas.Series, optional
        Passed to the planned policy.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValidationError
        If ``demand`` lacks a column, has gaps in the simulated periods, or ``start`` is not one of
        its periods.
    InvalidParameterError
        If a parameter is out of range.
    """
    owner = "simulate"
    ok_w = isinstance(init_window, int) and not isinstance(init_window, bool) and init_window >= 1
    check_param(owner, "init_window", init_window, ok_w, "an int >= 1")
    check_param(owner, "enforce_moq", enforce_moq, isinstance(enforce_moq, bool), "a bool")
    hr = holding_cost_rate
    ok_h = isinstance(hr, int | float) and not isinstance(hr, bool) and hr >= 0
    check_param(owner, "holding_cost_rate", hr, ok_h, "a float >= 0")
    matrix, ids, grid, period_days = _demand_matrix(demand)
    first = pd.Timestamp(start).normalize()
    if first not in grid:
        raise ValidationError(f"start {first.date()} is not a period of the demand frame.")
    t0 = int(grid.searchsorted(first))
    n_sim = len(grid) - t0 if periods is None else periods
    ok_p = isinstance(n_sim, int) and not isinstance(n_sim, bool) and 1 <= n_sim <= len(grid) - t0
    check_param(owner, "periods", periods, ok_p, f"an int in [1, {len(grid) - t0}]")
    actual = matrix[:, t0 : t0 + n_sim]
    if np.isnan(actual).any():
        bad = ids[int(np.flatnonzero(np.isnan(actual).any(axis=1))[0])]
        raise ValidationError(
            f"Series {bad!r} has no demand value in some simulated periods; fill them (0 for no sale) or drop it."
        )
    actual = np.clip(actual, 0.0, None)
    n = len(ids)

    lead = _per_series(lead_time_periods, ids, "lead_time_periods", 1.0)
    if np.isnan(lead).any() or (lead < 0).any():
        raise ValidationError("lead_time_periods must be >= 0 for every series.")
    lead_i = np.rint(lead).astype(np.int64)
    shelf = np.floor(_per_series(shelf_life_periods, ids, "shelf_life_periods", np.nan))
    shelf = np.where(np.isnan(shelf) | (shelf <= 0), np.inf, shelf)
    moq = np.clip(np.nan_to_num(_per_series(min_order_qty, ids, "min_order_qty", 0.0)), 0.0, None)
    cost = _per_series(unit_cost, ids, "unit_cost", np.nan)
    unit_price = _per_series(price, ids, "price", np.nan)
    if initial_on_hand is None:
        hist = matrix[:, max(0, t0 - init_window) : t0]
        with np.errstate(invalid="ignore"):
            counts = np.sum(~np.isnan(hist), axis=1)
            base = np.where(counts > 0, np.nansum(hist, axis=1) / np.maximum(counts, 1), 0.0)
        initial = np.ceil(base * (lead_i + 1))
    else:
        initial = np.clip(np.nan_to_num(_per_series(initial_on_hand, ids, "initial_on_hand", 0.0)), 0.0, None)

    if isinstance(policy, InventoryPolicy):
        if forecasts is None:
            raise ValidationError(
                "Simulating an InventoryPolicy needs forecasts (a function or rolling frame)."
            )
        decider: OrderingPolicy = PlannedPolicy(
            policy, forecasts, unit_cost=unit_cost, price=price, residual_sigma=residual_sigma
        )
    elif callable(getattr(policy, "order_quantities", None)):
        decider = policy
    else:
        raise ValidationError(
            f"policy must be an InventoryPolicy or have order_quantities(view). Got {type(policy).__name__} instead."
        )

    ages = n_sim + 1
    stock = np.zeros((n, ages))
    stock[:, 0] = initial
    pipeline = np.zeros((n, max(1, int(lead_i.max()) if n else 1)))
    age_index = np.arange(ages, dtype=np.float64)
    expires_after = age_index[None, :] + 1 >= shelf[:, None]  # after selling this period, these expire
    log = {k: np.zeros((n_sim, n)) for k in ("sold", "lost", "expired", "received", "ordered", "on_hand")}
    ids_t = tuple(ids)
    for step in range(n_sim):
        t = t0 + step
        # 1. receive
        received = pipeline[:, 0].copy()
        pipeline[:, :-1] = pipeline[:, 1:]
        pipeline[:, -1] = 0.0
        stock[:, 0] += received
        # 2. decide
        view = SimulationView(
            period=step,
            today=grid[t],
            cutoff=grid[t - 1] if t > 0 else grid[t] - pd.Timedelta(days=period_days),
            ids=ids_t,
            history=matrix[:, :t],
            stock=stock.copy(),
            pipeline=pipeline.copy(),
            lead_time_periods=lead_i,
            shelf_life_periods=shelf,
            min_order_qty=moq,
            period_days=period_days,
        )
        qty = np.asarray(decider.order_quantities(view), dtype=np.float64)
        if qty.shape != (n,):
            raise ValidationError(f"The policy returned {qty.shape} order quantities for {n} series.")
        qty = np.clip(np.nan_to_num(qty), 0.0, None)
        if enforce_moq:
            qty = np.where((qty > 0) & (qty < moq), moq, qty)
        now = lead_i == 0
        stock[now, 0] += qty[now]
        later = ~now
        np.add.at(pipeline, (np.flatnonzero(later), lead_i[later] - 1), qty[later])
        # 3. sell, oldest first
        want = actual[:, step]
        rev = stock[:, ::-1]
        before = np.cumsum(rev, axis=1) - rev
        take = np.clip(want[:, None] - before, 0.0, rev)
        stock = (rev - take)[:, ::-1].copy()
        sold = take.sum(axis=1)
        # 4. expire, then age by one period
        expired = np.where(expires_after, stock, 0.0).sum(axis=1)
        stock = np.where(expires_after, 0.0, stock)
        stock[:, 1:] = stock[:, :-1].copy()
        stock[:, 0] = 0.0
        log["sold"][step] = sold
        log["lost"][step] = want - sold
        log["expired"][step] = expired
        log["received"][step] = received + np.where(now, qty, 0.0)
        log["ordered"][step] = qty
        log["on_hand"][step] = stock.sum(axis=1)

    holding = float(holding_cost_rate) * period_days / 365.0
    return _result(ids, grid[t0 : t0 + n_sim], actual, log, initial, pipeline, cost, unit_price, holding)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _demand_matrix(demand: pd.DataFrame) -> tuple[FloatArray, list[str], pd.DatetimeIndex, int]:
    if not isinstance(demand, pd.DataFrame):
        raise ValidationError(f"'demand' must be a pandas DataFrame. Got {type(demand).__name__} instead.")
    missing = [c for c in ("unique_id", "ds", "y") if c not in demand]
    if missing:
        raise ValidationError(f"The demand frame has no column {missing[0]!r}; it needs unique_id, ds, y.")
    ds = pd.to_datetime(demand["ds"])
    if isinstance(ds.dtype, pd.DatetimeTZDtype):
        ds = ds.dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "unique_id": demand["unique_id"].astype(str),
            "ds": ds.dt.normalize(),
            "y": pd.to_numeric(demand["y"], errors="coerce"),
        }
    )
    if frame.duplicated(["unique_id", "ds"]).any():
        raise ValidationError("The demand frame has more than one row per unique_id and ds.")
    wide = frame.pivot(index="unique_id", columns="ds", values="y").sort_index()
    days = pd.DatetimeIndex(wide.columns)
    gaps = np.diff(days.asi8) // (86_400 * 10**9) if len(days) > 1 else np.array([1])
    period_days = int(gaps.min()) if len(gaps) else 1
    if (gaps % period_days).any():
        raise ValidationError("The demand frame's periods are not evenly spaced.")
    grid = pd.date_range(days[0], days[-1], freq=f"{period_days}D")
    wide = wide.reindex(columns=grid)
    return wide.to_numpy(dtype=np.float64), [str(u) for u in wide.index], grid, period_days


def _per_series(value: PerSeries, ids: list[str], name: str, default: float) -> FloatArray:
    """A scalar or a per-``unique_id`` mapping as one float per series (``default`` where missing)."""
    if value is None:
        return np.full(len(ids), default, dtype=np.float64)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return np.full(len(ids), float(value), dtype=np.float64)
    if isinstance(value, pd.Series | Mapping):
        series = pd.Series(value, dtype="float64")
        series.index = series.index.astype(str)
        out: FloatArray = np.asarray(series.reindex(ids).fillna(default), dtype=np.float64)
        return out
    raise ValidationError(
        f"{name!r} must be a number or a mapping of unique_id to number. Got {value!r} instead."
    )


def _result(
    ids: list[str],
    dates: pd.DatetimeIndex,
    actual: FloatArray,
    log: dict[str, FloatArray],
    initial: FloatArray,
    pipeline: FloatArray,
    cost: FloatArray,
    price: FloatArray,
    holding_per_period: float,
) -> SimulationResult:
    n, n_sim = actual.shape
    demand_total = actual.sum(axis=1)
    sold = log["sold"].sum(axis=0)
    lost = log["lost"].sum(axis=0)
    stockout = (log["lost"] > 1e-9).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(demand_total > 0, sold / demand_total, np.nan)
    by_series = pd.DataFrame(
        {
            "unique_id": ids,
            "demand": demand_total,
            "sold": sold,
            "lost": lost,
            "fill_rate": fill,
            "stockout_periods": stockout,
            "avg_stock": log["on_hand"].mean(axis=0),
            "expired_units": log["expired"].sum(axis=0),
            "received": log["received"].sum(axis=0),
            "ordered_units": log["ordered"].sum(axis=0),
            "orders": (log["ordered"] > 0).sum(axis=0),
            "initial_stock": initial,
            "final_stock": log["on_hand"][-1],
            "on_order_at_end": pipeline.sum(axis=1),
        }
    )
    total_demand = float(demand_total.sum())
    summary: dict[str, float] = {
        "series": float(n),
        "periods": float(n_sim),
        "demand": total_demand,
        "sold": float(sold.sum()),
        "lost": float(lost.sum()),
        "fill_rate": float(sold.sum() / total_demand) if total_demand > 0 else float("nan"),
        "stockout_periods": float(stockout.sum()),
        "stockout_rate": float(stockout.sum() / (n * n_sim)) if n else float("nan"),
        "avg_stock": float(log["on_hand"].mean()) if n else float("nan"),
        "expired_units": float(log["expired"].sum()),
        "received": float(log["received"].sum()),
        "ordered_units": float(log["ordered"].sum()),
        "orders": float((log["ordered"] > 0).sum()),
        "initial_stock": float(initial.sum()),
        "final_stock": float(log["on_hand"][-1].sum()),
    }
    if not np.isnan(cost).all():
        by_series["expired_cost"] = by_series["expired_units"].to_numpy() * cost
        by_series["holding_cost"] = log["on_hand"].sum(axis=0) * cost * holding_per_period
        summary["expired_cost"] = float(np.nansum(by_series["expired_cost"]))
        summary["holding_cost"] = float(np.nansum(by_series["holding_cost"]))
    if not np.isnan(price).all():
        by_series["lost_revenue"] = lost * price
        summary["lost_revenue"] = float(np.nansum(by_series["lost_revenue"]))
    if not np.isnan(cost).all() and not np.isnan(price).all():
        by_series["lost_margin"] = lost * (price - cost)
        by_series["total_cost"] = (
            by_series["lost_margin"] + by_series["expired_cost"] + by_series["holding_cost"]
        )
        summary["lost_margin"] = float(np.nansum(by_series["lost_margin"]))
        summary["total_cost"] = summary["lost_margin"] + summary["expired_cost"] + summary["holding_cost"]
    periods_frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(ids, dtype=object), n_sim),
            "ds": np.tile(dates.to_numpy(), n),
            "demand": actual.reshape(-1),
            **{
                k: log[k].T.reshape(-1) for k in ("sold", "lost", "expired", "received", "ordered", "on_hand")
            },
        }
    )
    return SimulationResult(summary=summary, by_series=by_series, periods=periods_frame)
