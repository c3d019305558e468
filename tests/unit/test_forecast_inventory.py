"""InventoryPolicy: every rule of the replenishment plan and the alerts, each on a case it decides."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from shopmind.errors import InvalidParameterError, ValidationError
from shopmind.forecast.inventory import (
    ALERT_COLUMNS,
    PLAN_COLUMNS,
    InventoryPolicy,
    sigma_from_intervals,
)

TODAY = dt.date(2026, 3, 1)


def _forecasts(
    uid: str | list[str] = "milk", rate: float = 10.0, sigma: float = 3.0, days: int = 28, freq_days: int = 1
) -> pd.DataFrame:
    """Flat forecasts from TODAY with a 95% interval of +-1.96 sigma."""
    ids = [uid] if isinstance(uid, str) else uid
    ds = pd.date_range(pd.Timestamp(TODAY), periods=days, freq=f"{freq_days}D")
    frame = pd.DataFrame(
        {"unique_id": np.repeat(ids, len(ds)), "ds": np.tile(ds, len(ids)), "mean": rate, "model": "AutoETS"}
    )
    frame["lo_95"] = frame["mean"] - 1.959963984540054 * sigma
    frame["hi_95"] = frame["mean"] + 1.959963984540054 * sigma
    return frame


def _inventory(on_hand: float = 0.0, lead: int = 3, moq: float = 0.0, sku: str = "milk") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": [sku],
            "location_id": [""],
            "on_hand": [on_hand],
            "lead_time_days": [lead],
            "supplier": ["dairy co-op"],
            "min_order_qty": [moq],
        }
    )


def _products(shelf: float | None = None, sku: str = "milk", **extra: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "sku": sku,
        "price": 10.0,
        "cost": 6.0,
        "shelf_life_days": shelf,
        "status": "active",
        "currency": "CNY",
    }
    row.update(extra)
    return pd.DataFrame([row])


def _plan(policy: InventoryPolicy, **kwargs: object) -> pd.Series:
    fc = kwargs.pop("forecasts", _forecasts())
    inv = kwargs.pop("inventory", _inventory())
    prod = kwargs.pop("products", _products())
    plan = policy.plan(fc, inv, prod, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert list(plan.columns) == list(PLAN_COLUMNS)
    assert len(plan) == 1
    return plan.iloc[0]


# -- demand, safety stock and reorder point ---------------------------------------------------------------
def test_safety_stock_is_z_times_sigma_over_lead_time_plus_review() -> None:
    row = _plan(InventoryPolicy(service_level=0.95, order_cost=0.0), inventory=_inventory(lead=3))
    # protection interval 3 + 1 days; daily sigma 3 (one-day periods), independent days
    assert row["demand_protection_mean"] == pytest.approx(40.0)
    assert row["demand_protection_sigma"] == pytest.approx(3.0 * math.sqrt(4), rel=1e-6)
    assert row["safety_stock"] == pytest.approx(norm.ppf(0.95) * 6.0, rel=1e-6)
    assert row["reorder_point"] == pytest.approx(40.0 + norm.ppf(0.95) * 6.0, rel=1e-6)
    assert row["demand_lt_mean"] == pytest.approx(30.0)
    assert row["demand_lt_sigma"] == pytest.approx(3.0 * math.sqrt(3), rel=1e-6)


def test_safety_stock_grows_with_service_level() -> None:
    stocks = [_plan(InventoryPolicy(service_level=s))["safety_stock"] for s in (0.8, 0.9, 0.95, 0.99)]
    assert stocks == sorted(stocks)
    assert len(set(np.round(stocks, 6))) == 4


def test_safety_stock_grows_with_lead_time() -> None:
    stocks = [
        _plan(InventoryPolicy(), inventory=_inventory(lead=lead))["safety_stock"] for lead in (1, 3, 7, 14)
    ]
    assert stocks == sorted(stocks)
    assert stocks[-1] > stocks[0] * 2


def test_weekly_forecasts_are_spread_over_their_days() -> None:
    fc = _forecasts(rate=70.0, sigma=7.0, days=8, freq_days=7)
    policy = InventoryPolicy(review_period_days=7, order_cost=0.0)
    row = _plan(policy, forecasts=fc, inventory=_inventory(lead=7))
    assert row["demand_lt_mean"] == pytest.approx(70.0)  # one week of lead time
    assert row["demand_protection_mean"] == pytest.approx(140.0)
    assert row["demand_protection_sigma"] == pytest.approx(7.0 * math.sqrt(2), rel=1e-6)


def test_sigma_sources_in_order_column_residual_interval() -> None:
    fc = _forecasts(sigma=3.0)
    assert sigma_from_intervals(fc).to_numpy() == pytest.approx(np.full(len(fc), 3.0))
    base = _plan(InventoryPolicy(), forecasts=fc)["demand_lt_sigma"]
    residual = _plan(InventoryPolicy(), forecasts=fc, residual_sigma={"milk": 6.0})["demand_lt_sigma"]
    column = _plan(InventoryPolicy(), forecasts=fc.assign(sigma=1.0), residual_sigma={"milk": 6.0})
    assert residual == pytest.approx(2 * base)
    assert column["demand_lt_sigma"] == pytest.approx(base / 3)
    poisson = _plan(InventoryPolicy(), forecasts=fc.drop(columns=["lo_95", "hi_95"]))
    assert poisson["demand_lt_sigma"] == pytest.approx(math.sqrt(10.0 * 3))


def test_order_up_to_reorder_point_plus_eoq_when_position_is_low() -> None:
    policy = InventoryPolicy(order_cost=50.0, holding_cost_rate=0.25)
    row = _plan(policy, inventory=_inventory(on_hand=5.0))
    eoq = math.sqrt(2 * 50.0 * 3650.0 / (0.25 * 6.0))
    assert row["eoq"] == pytest.approx(eoq)
    assert row["order_up_to"] == pytest.approx(row["reorder_point"] + eoq)
    assert row["order_qty"] == math.ceil(row["order_up_to"] - 5.0)
    assert row["order_by"] == TODAY
    assert row["expected_arrival"] == TODAY + dt.timedelta(days=3)
    assert "今天订购" in row["reason_zh"]
    assert "order" in row["reason_en"]


def test_no_order_before_the_reorder_point_and_order_by_date() -> None:
    policy = InventoryPolicy(order_cost=0.0)
    row = _plan(policy, inventory=_inventory(on_hand=100.0))
    # position 100 falls by 10 a day to the reorder point ~ 49.9: in ~5 days
    expected_days = (100.0 - row["reorder_point"]) / 10.0
    assert row["order_qty"] == 0
    assert row["days_to_reorder"] == pytest.approx(expected_days)
    assert row["order_by"] == TODAY + dt.timedelta(days=math.floor(expected_days))
    assert f"{math.floor(expected_days)} 天内低于再订货点" in row["reason_zh"]
    assert f"in {math.floor(expected_days)} days" in row["reason_en"]


def test_on_order_counts_in_the_inventory_position() -> None:
    inv = _inventory(on_hand=10.0).assign(on_order=200.0)
    row = _plan(InventoryPolicy(), inventory=inv)
    assert row["inventory_position"] == pytest.approx(210.0)
    assert row["order_qty"] == 0


# -- shelf life ---------------------------------------------------------------------------------------------
def test_shelf_life_cap_bites_for_a_short_life_product() -> None:
    policy = InventoryPolicy(order_cost=200.0)  # a large EOQ: order-up-to far above a few days of sales
    short = _plan(policy, products=_products(shelf=4.0), inventory=_inventory(on_hand=0.0, lead=3))
    long = _plan(policy, products=_products(shelf=400.0), inventory=_inventory(on_hand=0.0, lead=3))
    # the new batch arrives on day 3 and expires on day 7: 4 days of sales at 10 a day
    assert short["shelf_life_cap"] == pytest.approx(40.0)
    assert short["order_qty"] == 40
    assert short["capped_by_shelf_life"]
    assert short["order_qty_raw"] > 100
    assert "保质期" in short["reason_zh"]
    assert "shelf life" in short["reason_en"]
    assert not long["capped_by_shelf_life"]
    assert long["order_qty"] == math.ceil(long["order_qty_raw"])


def test_shelf_life_cap_subtracts_what_stock_on_hand_will_sell_first() -> None:
    policy = InventoryPolicy(order_cost=200.0)
    fresh = _plan(policy, products=_products(shelf=6.0), inventory=_inventory(on_hand=45.0, lead=3))
    # the batch sells from day 3 to day 9: 60 units of demand; of the 45 on hand (fresh, 6 days
    # left) 30 sell before it arrives and the other 15 first in that window
    assert fresh["usable_on_hand"] == pytest.approx(45.0)
    assert fresh["shelf_life_cap"] == pytest.approx(45.0)
    on_order = _plan(
        policy, products=_products(shelf=6.0), inventory=_inventory(on_hand=0.0, lead=3).assign(on_order=25.0)
    )
    assert on_order["shelf_life_cap"] == pytest.approx(35.0)


def test_production_date_shortens_the_life_of_stock_on_hand() -> None:
    policy = InventoryPolicy(order_cost=0.0)
    produced = TODAY - dt.timedelta(days=4)
    row = _plan(
        policy,
        products=_products(shelf=6.0, production_date=produced),
        inventory=_inventory(on_hand=50.0, lead=3),
    )
    # 2 days of life left: 20 of the 50 can sell, 30 will expire
    assert row["remaining_life_days"] == pytest.approx(2.0)
    assert row["usable_on_hand"] == pytest.approx(20.0)
    unknown = _plan(policy, products=_products(shelf=6.0), inventory=_inventory(on_hand=50.0, lead=3))
    assert unknown["usable_on_hand"] == pytest.approx(50.0)
    assert row["order_qty"] > unknown["order_qty"]


def test_batches_are_sold_first_expired_first_out() -> None:
    batches = pd.DataFrame(
        {
            "sku": ["milk", "milk"],
            "qty": [30.0, 30.0],
            "expires_on": [TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=4)],
        }
    )
    row = _plan(InventoryPolicy(), products=_products(shelf=10.0), batches=batches)
    # days 0-1 sell 20 of batch 1 (10 expire), days 2-3 sell 20 of batch 2: 40 usable of 60
    assert row["on_hand"] == pytest.approx(60.0)
    assert row["usable_on_hand"] == pytest.approx(40.0)


# -- supplier minimum -----------------------------------------------------------------------------------------
def test_moq_rounds_up_when_the_shelf_life_allows() -> None:
    policy = InventoryPolicy(order_cost=0.0)
    row = _plan(policy, inventory=_inventory(on_hand=40.0, moq=100.0), products=_products(shelf=60.0))
    assert 0 < row["order_qty_raw"] < 100
    assert row["order_qty"] == 100
    assert row["moq_rounded"]
    assert not row["moq_conflict"]
    assert "起订量" in row["reason_zh"]
    assert "supplier minimum" in row["reason_en"]


def test_moq_above_the_shelf_life_cap_is_flagged_not_ordered() -> None:
    inv = _inventory(on_hand=0.0, moq=100.0, lead=3)
    prod = _products(shelf=4.0)
    keep = _plan(InventoryPolicy(order_cost=200.0), inventory=inv, products=prod)
    assert keep["moq_conflict"]
    assert not keep["moq_rounded"]
    assert keep["order_qty"] == 40  # the capped quantity, never the 100 minimum
    assert "协商" in keep["reason_zh"]
    assert "ask the supplier" in keep["reason_en"]
    skip = _plan(InventoryPolicy(order_cost=200.0, moq_conflict="skip"), inventory=inv, products=prod)
    assert skip["moq_conflict"]
    assert skip["order_qty"] == 0
    # economic: margin 40 * (10 - 6) = 160 < waste 60 * 6 = 360 -> skip; a cheap product -> order 100
    econ = InventoryPolicy(order_cost=200.0, moq_conflict="economic")
    assert _plan(econ, inventory=inv, products=prod)["order_qty"] == 0
    cheap = _products(shelf=4.0, cost=1.0)
    assert _plan(econ, inventory=inv, products=cheap)["order_qty"] == 100


# -- blocked products -----------------------------------------------------------------------------------------
def test_inactive_and_out_of_season_products_order_nothing() -> None:
    inactive = _plan(InventoryPolicy(), products=_products(status="inactive"))
    assert inactive["inactive"]
    assert inactive["order_qty"] == 0
    assert inactive["order_by"] is None
    winter = _plan(InventoryPolicy(), products=_products(harvest_months=[11, 12, 1, 2]))  # TODAY is March
    assert winter["out_of_season"]
    assert winter["order_qty"] == 0
    assert "产季" in winter["reason_zh"]
    ignored = _plan(
        InventoryPolicy(respect_harvest_months=False), products=_products(harvest_months=[11, 12])
    )
    assert ignored["order_qty"] > 0


# -- keys ---------------------------------------------------------------------------------------------------
def test_sku_location_ids_are_split_and_id_map_is_used() -> None:
    fc = _forecasts(["milk|store-1", "milk|store-2"])
    inv = pd.DataFrame(
        {"sku": ["milk", "milk"], "location_id": ["store-1", "store-2"], "on_hand": [0.0, 500.0]}
    )
    plan = InventoryPolicy().plan(fc, inv, _products(), today=TODAY)
    by_loc = plan.set_index("location_id")
    assert by_loc.loc["store-1", "order_qty"] > 0
    assert by_loc.loc["store-2", "order_qty"] == 0
    mapped = InventoryPolicy().plan(
        _forecasts("X1"), inv, _products(), today=TODAY, id_map={"X1": ("milk", "store-2")}
    )
    assert mapped.iloc[0]["on_hand"] == 500.0


def test_a_per_sku_forecast_against_per_location_stock_is_an_error() -> None:
    inv = pd.DataFrame({"sku": ["milk", "milk"], "location_id": ["a", "b"], "on_hand": [1.0, 2.0]})
    with pytest.raises(ValidationError, match="per location"):
        InventoryPolicy().plan(_forecasts(), inv, _products(), today=TODAY)


def test_several_models_need_a_choice() -> None:
    fc = pd.concat([_forecasts(), _forecasts().assign(model="SeasonalNaive", mean=20.0)])
    with pytest.raises(ValidationError, match="model="):
        InventoryPolicy().plan(fc, _inventory(), _products(), today=TODAY)
    row = InventoryPolicy().plan(fc, _inventory(), _products(), today=TODAY, model="SeasonalNaive").iloc[0]
    assert row["demand_lt_mean"] == pytest.approx(60.0)


def test_stale_forecasts_skip_the_days_that_have_passed() -> None:
    fc = _forecasts()
    fc.loc[fc["ds"] < pd.Timestamp(TODAY) + pd.Timedelta(days=5), "mean"] = 1000.0
    later = InventoryPolicy().plan(fc, _inventory(), _products(), today=TODAY + dt.timedelta(days=5))
    assert later.iloc[0]["demand_lt_mean"] == pytest.approx(30.0)


def test_missing_columns_and_bad_parameters_use_the_error_template() -> None:
    with pytest.raises(ValidationError, match="'mean'"):
        InventoryPolicy().plan(_forecasts().drop(columns="mean"), _inventory(), _products(), today=TODAY)
    with pytest.raises(InvalidParameterError) as info:
        InventoryPolicy(service_level=1.5).plan(_forecasts(), _inventory(), _products(), today=TODAY)
    assert str(info.value) == (
        "The 'service_level' parameter of InventoryPolicy must be a float in (0, 1). Got 1.5 instead."
    )
    with pytest.raises(InvalidParameterError, match="moq_conflict"):
        InventoryPolicy(moq_conflict="maybe").plan(  # type: ignore[arg-type]
            _forecasts(), _inventory(), _products(), today=TODAY
        )


# -- alerts -----------------------------------------------------------------------------------------------------
def test_stockout_alert_for_low_stock_only() -> None:
    policy = InventoryPolicy(stockout_alert_threshold=0.2)
    low = policy.alerts(_forecasts(), _inventory(on_hand=20.0, lead=3), _products(), today=TODAY)
    assert list(low.columns) == list(ALERT_COLUMNS)
    alert = low[low["kind"] == "stockout_risk"].iloc[0]
    # demand over 3 days ~ N(30, 3 * sqrt(3)): P(D > 20) ~ 0.97
    expected = 1 - norm.cdf((20.0 - 30.0) / (3.0 * math.sqrt(3)))
    assert alert["stockout_probability"] == pytest.approx(expected, rel=1e-6)
    assert alert["severity"] == "high"
    assert alert["days_of_cover"] == pytest.approx(2.0)
    assert "缺货风险" in alert["message_zh"]
    assert "Stock-out risk" in alert["message_en"]
    ample = policy.alerts(_forecasts(), _inventory(on_hand=60.0, lead=3), _products(), today=TODAY)
    assert (ample["kind"] != "stockout_risk").all()


def test_expiry_alert_with_markdown_from_the_elasticity() -> None:
    policy = InventoryPolicy(price_elasticity=2.0, max_markdown=0.5, markdown_step=0.05)
    produced = TODAY - dt.timedelta(days=3)
    prod = _products(shelf=5.0, production_date=produced)
    alerts = policy.alerts(_forecasts(), _inventory(on_hand=30.0), prod, today=TODAY)
    alert = alerts[alerts["kind"] == "expiry_risk"].iloc[0]
    # 2 days left, 20 sell: 10 at risk; selling 30 needs demand x1.5 -> d = 1 - 1.5^(-1/2) = 18.4% -> 20%
    assert alert["units_at_risk"] == pytest.approx(10.0)
    assert alert["days_to_expiry"] == pytest.approx(2.0)
    assert alert["markdown_pct"] == pytest.approx(0.20)
    assert alert["markdown_price"] == pytest.approx(8.0)
    assert alert["expected_extra_units"] == pytest.approx(10.0)
    assert "建议降价 20%" in alert["message_zh"]
    assert "20% markdown" in alert["message_en"]
    none = policy.alerts(_forecasts(), _inventory(on_hand=15.0), prod, today=TODAY)
    assert (none["kind"] != "expiry_risk").all()


def test_markdown_is_capped_and_says_so() -> None:
    policy = InventoryPolicy(max_markdown=0.3)
    prod = _products(shelf=5.0, production_date=TODAY - dt.timedelta(days=4))
    alerts = policy.alerts(_forecasts(), _inventory(on_hand=500.0), prod, today=TODAY)
    alert = alerts[alerts["kind"] == "expiry_risk"].iloc[0]
    assert alert["markdown_pct"] == pytest.approx(0.3)
    assert alert["expected_extra_units"] == pytest.approx(10.0 * (0.7**-2.0 - 1.0))
    assert "捐赠" in alert["message_zh"]
    assert "donation" in alert["message_en"]


def test_overstock_alert_for_goods_without_shelf_life() -> None:
    policy = InventoryPolicy(overstock_cover_days=30.0)
    alerts = policy.alerts(_forecasts(), _inventory(on_hand=500.0), _products(), today=TODAY)
    alert = alerts[alerts["kind"] == "overstock"].iloc[0]
    assert alert["units_at_risk"] == pytest.approx(200.0)
    assert alert["markdown_pct"] > 0
    assert "积压" in alert["message_zh"]


# -- waste balance --------------------------------------------------------------------------------------------
def test_balance_waste_orders_less_when_spoilage_costs_more_than_a_lost_sale() -> None:
    policy = InventoryPolicy(order_cost=0.0, balance_waste=True)
    inv = _inventory(on_hand=0.0, lead=3)
    thin = _plan(policy, inventory=inv, products=_products(shelf=4.0, price=10.0, cost=9.0))
    fat = _plan(policy, inventory=inv, products=_products(shelf=4.0, price=10.0, cost=1.0))
    plain = _plan(InventoryPolicy(order_cost=0.0), inventory=inv, products=_products(shelf=4.0, cost=9.0))
    # the batch's 4-day life sees demand ~ N(40, 6): with a margin of 1 and a waste cost of 9, a unit
    # is worth ordering only while P(D_P > k) >= 9 P(D_window < k), i.e. well below 40
    assert thin["capped_by_waste"]
    assert 25 <= thin["order_qty"] < 40
    assert not fat["capped_by_waste"]
    assert fat["order_qty"] == plain["order_qty"] == 40
    assert "损耗" in thin["reason_zh"]
    assert "waste" in thin["reason_en"]
    durable = _plan(policy, inventory=inv, products=_products(price=10.0, cost=9.0))
    assert not durable["capped_by_waste"]
