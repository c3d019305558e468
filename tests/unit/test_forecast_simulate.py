"""The inventory simulation: accounting identities, lead times, perishability, and policy against naive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import ValidationError
from shopmind.forecast.inventory import InventoryPolicy
from shopmind.forecast.simulate import NaivePolicy, SimulationView, simulate

START = pd.Timestamp("2024-01-04")


def _demand(values: dict[str, list[float]], freq_days: int = 7, start: pd.Timestamp = START) -> pd.DataFrame:
    rows = []
    for uid, ys in values.items():
        ds = pd.date_range(start, periods=len(ys), freq=f"{freq_days}D")
        rows.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": ys}))
    return pd.concat(rows, ignore_index=True)


class _Fixed:
    """Orders the given quantities in the given periods (for checking the mechanics)."""

    def __init__(self, orders: dict[int, float]) -> None:
        self.orders = orders
        self.views: list[SimulationView] = []

    def order_quantities(self, view: SimulationView) -> np.ndarray:
        self.views.append(view)
        return np.full(len(view.ids), self.orders.get(view.period, 0.0))


def test_accounting_identities_hold() -> None:
    rng = np.random.default_rng(3)
    demand = _demand({f"s{i}": list(rng.poisson(20, 40).astype(float)) for i in range(5)})
    start = START + pd.Timedelta(weeks=10)
    for policy in (NaivePolicy(), NaivePolicy("last_period"), _Fixed({0: 100.0, 5: 300.0})):
        result = simulate(demand, policy, start=start, lead_time_periods=2, shelf_life_periods=3)
        s, by = result.summary, result.by_series
        assert s["sold"] + s["lost"] == pytest.approx(s["demand"])
        assert (by["sold"] + by["lost"]).to_numpy() == pytest.approx(by["demand"].to_numpy())
        stock_flow = (
            by["initial_stock"] + by["received"] - by["sold"] - by["expired_units"] - by["final_stock"]
        )
        assert stock_flow.to_numpy() == pytest.approx(np.zeros(len(by)), abs=1e-9)
        assert (by["ordered_units"] == by["received"] + by["on_order_at_end"]).all()
        assert 0.0 <= s["fill_rate"] <= 1.0
        assert ((by["fill_rate"] >= 0) & (by["fill_rate"] <= 1)).all()
        assert s["periods"] == 30
        assert s["series"] == 5
        assert len(result.periods) == 5 * 30


def test_expired_units_are_counted_after_the_shelf_life() -> None:
    demand = _demand({"a": [0.0] * 10})
    result = simulate(
        demand, _Fixed({}), start=START + pd.Timedelta(weeks=2), shelf_life_periods=3, initial_on_hand=12.0
    )
    log = result.periods
    assert log["expired"].tolist() == [0.0, 0.0, 12.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert result.summary["expired_units"] == 12.0
    assert result.summary["final_stock"] == 0.0
    keeps = simulate(demand, _Fixed({}), start=START + pd.Timedelta(weeks=2), initial_on_hand=12.0)
    assert keeps.summary["expired_units"] == 0.0
    assert keeps.summary["final_stock"] == 12.0


def test_oldest_stock_sells_first() -> None:
    # 10 old units (shelf life 3), 10 fresh units arrive in period 1; demand 10 in period 1 takes the old
    demand = _demand({"a": [0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0]})
    result = simulate(
        demand,
        _Fixed({0: 10.0}),
        start=START + pd.Timedelta(weeks=2),
        lead_time_periods=1,
        shelf_life_periods=3,
        initial_on_hand=10.0,
    )
    log = result.periods
    assert log["sold"].tolist()[1] == 10.0
    assert result.summary["expired_units"] == 10.0  # the fresh batch, three periods after it arrived
    assert log["expired"].tolist()[3] == 10.0


def test_orders_arrive_after_the_lead_time_and_sales_are_lost_meanwhile() -> None:
    demand = _demand({"a": [5.0] * 12})
    policy = _Fixed({0: 50.0})
    result = simulate(
        demand, policy, start=START + pd.Timedelta(weeks=2), lead_time_periods=3, initial_on_hand=0.0
    )
    log = result.periods
    assert log["received"].tolist()[:5] == [0.0, 0.0, 0.0, 50.0, 0.0]
    assert log["lost"].tolist()[:4] == [5.0, 5.0, 5.0, 0.0]
    assert result.by_series["stockout_periods"].iloc[0] == 3
    assert policy.views[3].on_order.tolist() == [0.0]
    assert policy.views[1].on_order.tolist() == [50.0]
    now = simulate(demand, _Fixed({0: 50.0}), start=START + pd.Timedelta(weeks=2), lead_time_periods=0)
    assert now.periods["lost"].sum() == 0.0


def test_supplier_minimum_is_enforced_on_every_policy() -> None:
    demand = _demand({"a": [3.0] * 10})
    result = simulate(
        demand, _Fixed({0: 2.0}), start=START + pd.Timedelta(weeks=2), min_order_qty=20.0, initial_on_hand=0.0
    )
    assert result.summary["ordered_units"] == 20.0
    free = simulate(
        demand,
        _Fixed({0: 2.0}),
        start=START + pd.Timedelta(weeks=2),
        min_order_qty=20.0,
        initial_on_hand=0.0,
        enforce_moq=False,
    )
    assert free.summary["ordered_units"] == 2.0


def test_naive_policies_follow_their_definitions() -> None:
    demand = _demand({"a": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})
    fixed = _Fixed({})
    simulate(demand, fixed, start=START + pd.Timedelta(weeks=4), initial_on_hand=5.0, lead_time_periods=1)
    view = fixed.views[0]
    assert NaivePolicy("last_period").order_quantities(view).tolist() == [40.0]
    # mean of the last 4 periods (25) times lead time + 1 (2), less 5 on hand
    assert NaivePolicy("mean_cover", window=4).order_quantities(view).tolist() == [45.0]


def _seasonal_case() -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Weekly demand with a strong half-year cycle and rolling forecasts that know the cycle."""
    rng = np.random.default_rng(0)
    n, weeks, h = 12, 104, 6
    ds = pd.date_range(START, periods=weeks, freq="7D")
    level = 50 + 35 * np.sin(2 * np.pi * np.arange(weeks + h) / 26)
    ids = [f"s{i}" for i in range(n)]
    demand = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, weeks),
            "ds": np.tile(ds, n),
            "y": rng.poisson(np.tile(level[:weeks], n)).astype(float),
        }
    )
    pieces = []
    for k in range(51, weeks - 1):  # cutoff = week k, forecasts for weeks k+1 .. k+h
        steps = np.arange(k + 1, k + 1 + h)
        fc = pd.DataFrame(
            {
                "unique_id": np.repeat(ids, h),
                "ds": np.tile(START + pd.to_timedelta(7 * steps, unit="D"), n),
                "cutoff": ds[k],
                "mean": np.tile(level[steps], n),
            }
        )
        half = 1.959963984540054 * np.sqrt(fc["mean"])
        pieces.append(fc.assign(lo_95=fc["mean"] - half, hi_95=fc["mean"] + half))
    return demand, pd.concat(pieces, ignore_index=True), ds[52]


def test_policy_beats_naive_on_a_seasonal_perishable_case() -> None:
    demand, rolling, start = _seasonal_case()
    kw = {"start": start, "lead_time_periods": 2, "shelf_life_periods": 3}
    policy = InventoryPolicy(review_period_days=7, order_cost=0.0)
    planned = simulate(demand, policy, forecasts=rolling, **kw).summary  # type: ignore[arg-type]
    for naive in (NaivePolicy(), NaivePolicy("last_period")):
        base = simulate(demand, naive, **kw).summary  # type: ignore[arg-type]
        assert planned["fill_rate"] > base["fill_rate"] + 0.05
        assert planned["expired_units"] < base["expired_units"]
        assert planned["stockout_periods"] < base["stockout_periods"]
    assert planned["fill_rate"] > 0.95


def test_shelf_life_cap_cuts_waste_when_the_order_up_to_is_high() -> None:
    demand, rolling, start = _seasonal_case()
    kw = {"start": start, "forecasts": rolling, "lead_time_periods": 1, "shelf_life_periods": 2}
    big_batches = InventoryPolicy(review_period_days=7, order_cost=500.0, holding_cost_rate=0.01)
    capped = simulate(demand, big_batches, unit_cost=1.0, **kw).summary  # type: ignore[arg-type]
    uncapped = simulate(
        demand,
        big_batches,
        unit_cost=1.0,
        **{**kw, "shelf_life_periods": None},  # type: ignore[arg-type]
    ).summary
    assert uncapped["avg_stock"] > 3 * capped["avg_stock"]
    assert capped["expired_units"] < 0.05 * capped["demand"]


def test_rolling_forecasts_need_every_cutoff() -> None:
    demand, rolling, start = _seasonal_case()
    policy = InventoryPolicy(review_period_days=7)
    with pytest.raises(ValidationError, match="cutoff"):
        simulate(demand, policy, start=start, forecasts=rolling[rolling["cutoff"] != rolling["cutoff"].max()])
    with pytest.raises(ValidationError, match="forecasts"):
        simulate(demand, policy, start=start)


def test_gaps_in_the_simulated_periods_are_rejected() -> None:
    demand = _demand({"a": [1.0] * 10, "b": [1.0] * 10})
    demand = demand.drop(index=15)
    with pytest.raises(ValidationError, match="'b'"):
        simulate(demand, NaivePolicy(), start=START + pd.Timedelta(weeks=2))
    with pytest.raises(ValidationError, match="start"):
        simulate(demand, NaivePolicy(), start="2030-01-01")


def test_costs_are_lost_margin_plus_waste_plus_holding() -> None:
    demand = _demand({"a": [0.0, 0.0, 0.0, 0.0, 3.0, 0.0]})
    result = simulate(
        demand,
        _Fixed({}),
        start=START + pd.Timedelta(weeks=2),
        shelf_life_periods=2,
        initial_on_hand=12.0,
        unit_cost=2.0,
        price=5.0,
        holding_cost_rate=0.52,
    )
    s = result.summary
    assert s["expired_cost"] == pytest.approx(12 * 2.0)
    assert s["lost_margin"] == pytest.approx(3 * (5.0 - 2.0))
    assert s["lost_revenue"] == pytest.approx(3 * 5.0)
    # 12 units held at the end of the first period only: 12 x 2 x 0.52 x 7 / 365
    assert s["holding_cost"] == pytest.approx(12 * 2.0 * 0.52 * 7 / 365)
    assert s["total_cost"] == pytest.approx(s["lost_margin"] + s["expired_cost"] + s["holding_cost"])
