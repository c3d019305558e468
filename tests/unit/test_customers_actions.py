"""Retention actions: coupons bounded by margin, recommendations, expected values and reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.actions import (
    ACTION_COLUMNS,
    ACTIONS,
    RetentionPolicy,
    basket_margins,
    retention_actions,
)
from shopmind.customers.churn import ChurnModel, churn_features
from shopmind.customers.clv import CLVModel
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.errors import InvalidParameterError
from shopmind.features.rfm import btyd_summary, purchases


def _inputs() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    risk = pd.Series({"a": 0.8, "b": 0.7, "c": 0.2, "d": 0.9, "e": 0.6})
    value = pd.Series({"a": 600.0, "b": 500.0, "c": 900.0, "d": 5.0, "e": 20.0})
    baskets = pd.DataFrame(
        {"basket_value": [200.0, 9.9, 150.0, 50.0, 100.0], "basket_margin": [60.0, 1.5, 40.0, 10.0, 30.0]},
        index=["a", "b", "c", "d", "e"],
    )
    return risk, value, baskets


def test_expected_values_follow_the_documented_formula() -> None:
    risk, value, baskets = _inputs()
    policy = RetentionPolicy(value_threshold=10.0)
    plan = retention_actions(risk, value, baskets, recommendations={"b": ["SKU-1", "SKU-2"]}, policy=policy)
    assert list(plan.columns) == list(ACTION_COLUMNS)
    assert set(plan["action"]) <= set(ACTIONS)
    # c is not at risk, d is not worth an action
    assert set(plan["customer_id"]) == {"a", "b", "e"}
    a = plan.set_index("customer_id").loc["a"]
    # coupon: min(50% of the 60 margin, 20% of the 200 basket) = 30, on orders of 200 or more
    assert a["action"] == "coupon"
    assert a["coupon_amount"] == 30.0
    assert a["coupon_min_spend"] == 200.0
    p_save = 0.8 * policy.coupon_uplift
    cost = 30.0 * (p_save + 0.2 * policy.loyal_redemption_rate)
    assert a["p_save"] == pytest.approx(p_save)
    assert a["expected_cost"] == pytest.approx(cost)
    assert a["expected_value"] == pytest.approx(p_save * 600.0 * 0.3 - cost)  # margin rate 60 / 200
    # b's basket leaves too little margin for a coupon: a recommendation costs nothing
    b = plan.set_index("customer_id").loc["b"]
    assert b["action"] == "recommendation"
    assert b["coupon_amount"] == 0.0
    assert b["recommended_skus"] == ("SKU-1", "SKU-2")
    assert b["expected_value"] == pytest.approx(0.7 * policy.recommendation_uplift * 500.0 * (1.5 / 9.9))
    assert "SKU-1" in b["reason_zh"]
    assert "SKU-1" in b["reason_en"]
    # e is worth too little for a coupon to pay for itself, and has no recommendation
    e = plan.set_index("customer_id").loc["e"]
    assert e["action"] == "none"
    assert e["expected_value"] == 0.0
    assert "暂不干预" in e["reason_zh"]
    # best first
    assert plan["expected_value"].is_monotonic_decreasing


def test_coupons_never_exceed_the_margin_share_or_the_caps() -> None:
    rng = np.random.default_rng(0)
    n = 500
    ids = [f"c{i}" for i in range(n)]
    basket_value = rng.uniform(5, 500, n)
    baskets = pd.DataFrame(
        {"basket_value": basket_value, "basket_margin": basket_value * rng.uniform(0.02, 0.6, n)}, index=ids
    )
    risk = pd.Series(rng.uniform(0.5, 1.0, n), index=ids)
    value = pd.Series(rng.uniform(100, 5000, n), index=ids)
    policy = RetentionPolicy(max_margin_share=0.4, max_discount_share=0.15, max_coupon=50.0)
    plan = retention_actions(risk, value, baskets, policy=policy).set_index("customer_id")
    coupons = plan[plan["action"] == "coupon"]
    assert len(coupons) > 100
    b = baskets.loc[coupons.index]
    assert (coupons["coupon_amount"] <= 0.4 * b["basket_margin"] + 1e-9).all()
    assert (coupons["coupon_amount"] <= 0.15 * b["basket_value"] + 1e-9).all()
    assert (coupons["coupon_amount"] <= 50.0).all()
    assert (coupons["coupon_amount"] >= policy.min_coupon).all()
    assert (coupons["coupon_amount"] % 1 == 0).all()
    assert (coupons["expected_value"] > 0).all()
    # the action chosen is never worse than doing nothing
    assert (plan["expected_value"] >= 0).all()


def test_unknown_cost_uses_the_default_margin_rate() -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["a", "a", "a", "b"],
            "status": ["completed", "completed", "cancelled", "completed"],
        }
    )
    items = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o2", "o3", "o4"],
            "sku": ["x", "x", "y", "x", "z"],
            "quantity": [1, 2, 1, 10, 1],
            "unit_price": [100.0, 100.0, 50.0, 100.0, 80.0],
            "discount_amount": [0.0, 10.0, 0.0, 0.0, 0.0],
        }
    )
    products = pd.DataFrame({"sku": ["x", "y"], "cost": [60.0, None]})
    b = basket_margins(orders, items, products, default_margin_rate=0.25)
    # a: o1 value 100, margin 40; o2 value 240, margin (190 - 120) + 0.25 * 50 = 82.5
    assert b.loc["a", "basket_value"] == pytest.approx(170.0)
    assert b.loc["a", "basket_margin"] == pytest.approx((40.0 + 82.5) / 2)
    assert b.loc["a", "orders"] == 2
    assert b.loc["a", "cost_known_share"] == pytest.approx(290.0 / 340.0)
    assert b.loc["b", "basket_margin"] == pytest.approx(20.0)  # z is not in the catalog
    no_catalog = basket_margins(orders, items)
    assert no_catalog.loc["b", "basket_margin"] == pytest.approx(0.3 * 80.0)


def test_policy_checks_its_parameters() -> None:
    with pytest.raises(InvalidParameterError, match="'coupon_uplift' parameter of RetentionPolicy"):
        RetentionPolicy(coupon_uplift=1.5)
    with pytest.raises(InvalidParameterError, match="'max_margin_share' parameter of RetentionPolicy"):
        RetentionPolicy(max_margin_share=0.0)
    with pytest.raises(InvalidParameterError, match="'policy' parameter of retention_actions"):
        retention_actions(pd.Series(dtype=float), pd.Series(dtype=float), policy={"risk_threshold": 0.5})  # type: ignore[arg-type]


def test_value_already_in_profit_is_not_discounted_again() -> None:
    risk, value, baskets = _inputs()
    revenue = retention_actions(risk, value, baskets).set_index("customer_id")
    profit = retention_actions(risk, value, baskets, policy=RetentionPolicy(value_is_profit=True))
    profit = profit.set_index("customer_id")
    assert profit.loc["a", "margin_rate"] == 1.0
    assert profit.loc["a", "expected_value"] > revenue.loc["a", "expected_value"]


def test_actions_for_the_demo_store_from_churn_and_clv() -> None:
    store = generate_demo_store(seed=4, size=DemoSize(products=80, customers=700, days=400))
    model = ChurnModel(horizon_days=90).fit(store.orders)
    risk = model.predict_proba(churn_features(store.orders, as_of=model.as_of_))
    summary = btyd_summary(purchases(store.orders), observation_end=model.as_of_, unit_days=7)
    clv = CLVModel(unit_days=7.0).fit(summary).predict(summary, horizon_days=365)
    baskets = basket_margins(store.orders, store.order_items, store.products)
    recs = {c: ["SKU-00001", "SKU-00002"] for c in risk.index}
    policy = RetentionPolicy(risk_threshold=0.5, value_threshold=float(clv["clv_12m"].quantile(0.25)))
    plan = retention_actions(risk, clv["clv_12m"], baskets, recommendations=recs, policy=policy)
    assert len(plan) > 10
    assert (plan["churn_probability"] >= 0.5).all()
    assert plan["action"].isin(["coupon", "recommendation"]).any()
    chosen = plan[plan["action"] == "coupon"].set_index("customer_id")
    margins = baskets.loc[chosen.index, "basket_margin"]
    assert (chosen["coupon_amount"] <= policy.max_margin_share * margins + 1e-9).all()
    assert plan["reason_zh"].str.startswith("流失风险").all()
    assert plan["reason_en"].str.startswith("Churn risk").all()
