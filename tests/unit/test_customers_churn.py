"""Churn: labels and features as of a day, the supervised model and its BG/NBD fallback, the backtest."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.churn import (
    BASE_FEATURES,
    SYSTEM_BGNBD,
    SYSTEM_GBM,
    SYSTEM_P_ALIVE,
    SYSTEM_RECENCY,
    ChurnModel,
    backtest_churn,
    bgnbd_churn_probability,
    calibration_table,
    churn_features,
    churn_labels,
    churn_metrics,
    summary_from_features,
)
from shopmind.customers.clv import CLVModel
from shopmind.datasets.demo import DemoSize, DemoStore, generate_demo_store
from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.features.rfm import btyd_summary


def _orders(rows: list[tuple[str, str, float]], status: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "total_amount"])
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(frame))],
            "customer_id": frame["customer_id"],
            "status": status or ["completed"] * len(frame),
            "ordered_at": pd.to_datetime(frame["day"]).dt.tz_localize("Asia/Shanghai")
            + pd.Timedelta(hours=12),
            "total_amount": frame["total_amount"],
        }
    )


@pytest.fixture(scope="module")
def demo() -> DemoStore:
    return generate_demo_store(seed=5, size=DemoSize(products=80, customers=900, days=400))


# -- labels ----------------------------------------------------------------------------------------------
def test_labels_count_the_horizon_after_the_cutoff_day_and_ignore_cancelled_orders() -> None:
    orders = _orders(
        [
            ("a", "2026-01-05", 10.0),
            ("a", "2026-02-10", 10.0),  # 10 days after the cutoff: inside the horizon
            ("b", "2026-01-31", 10.0),  # on the cutoff day: history
            ("b", "2026-03-03", 10.0),  # 31 days after: outside a 30-day horizon
            ("c", "2026-01-20", 10.0),
            ("c", "2026-02-05", 10.0),  # cancelled: not a purchase
            ("d", "2026-02-02", 10.0),  # first bought after the cutoff: not scored
        ],
        status=["completed", "completed", "completed", "completed", "completed", "cancelled", "completed"],
    )
    labels = churn_labels(orders, "2026-01-31", 30)
    assert labels.to_dict() == {"a": 0, "b": 1, "c": 1}
    assert churn_labels(orders, "2026-01-31", 31).to_dict() == {"a": 0, "b": 0, "c": 1}


def test_labels_reject_a_bad_horizon() -> None:
    with pytest.raises(InvalidParameterError, match="'horizon_days' parameter of churn_labels"):
        churn_labels(_orders([("a", "2026-01-01", 1.0)]), "2026-01-31", 0)


# -- features --------------------------------------------------------------------------------------------
def test_features_have_known_values() -> None:
    orders = _orders(
        [
            ("a", "2026-01-01", 10.0),
            ("a", "2026-01-11", 20.0),
            ("a", "2026-01-11", 30.0),  # same day: one purchase day, two orders
            ("a", "2026-03-02", 40.0),
            ("b", "2025-06-01", 5.0),
        ]
    )
    f = churn_features(orders, as_of="2026-03-31", recent_days=30)
    assert list(f.columns) == list(BASE_FEATURES)
    a = f.loc["a"]
    assert a["recency_days"] == 29
    assert a["tenure_days"] == 89
    assert a["frequency"] == 4
    assert a["purchase_days"] == 3
    assert a["monetary"] == pytest.approx(25.0)
    assert a["total_spend"] == pytest.approx(100.0)
    assert a["gap_mean_days"] == pytest.approx(30.0)  # gaps of 10 and 50 days
    assert a["gap_std_days"] == pytest.approx(20.0)
    assert a["gap_max_days"] == 50
    assert a["overdue_ratio"] == pytest.approx(29 / 30)
    assert a["orders_recent"] == 1
    assert a["orders_prior"] == 0
    assert a["trend_recent"] == pytest.approx(np.log(2.0))
    assert a["last_amount"] == pytest.approx(40.0)
    b = f.loc["b"]
    assert np.isnan(b["gap_mean_days"])
    assert b["purchase_days"] == 1


def test_features_do_not_see_the_future() -> None:
    past = _orders([("a", "2026-01-01", 10.0), ("b", "2026-02-01", 20.0)])
    future = _orders([("a", "2026-04-01", 99.0), ("c", "2026-04-02", 5.0)])
    future["order_id"] = ["f1", "f2"]
    both = pd.concat([past, future], ignore_index=True)
    pd.testing.assert_frame_equal(
        churn_features(past, as_of="2026-03-01"), churn_features(both, as_of="2026-03-01")
    )


def test_optional_tables_add_category_mix_reviews_and_browsing(demo: DemoStore) -> None:
    store = demo
    as_of = "2026-08-31"
    f = churn_features(
        store.orders,
        as_of=as_of,
        items=store.order_items,
        products=store.products,
        reviews=store.reviews,
        events=store.events,
    )
    shares = f[[c for c in f.columns if c.startswith("category_share:")]]
    assert shares.shape[1] >= 3
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert f["n_categories"].ge(1).all()
    reviewed = f[f["review_count"] > 0]
    assert len(reviewed) > 20
    assert reviewed["mean_rating"].between(1, 5).all()
    assert reviewed["complaint_share"].between(0, 1).all()
    assert f["review_count"].eq(0).any()
    assert f.loc[f["review_count"] == 0, "mean_rating"].isna().all()
    assert (f["event_recency_days"].dropna() >= 0).all()
    assert f["events_30d"].ge(0).all()
    assert {"units_per_order", "discount_share"} <= set(f.columns)


# -- metrics ---------------------------------------------------------------------------------------------
def test_metrics_and_calibration_table_have_known_values() -> None:
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 1])
    p = np.array([0.95, 0.85, 0.8, 0.1, 0.7, 0.3, 0.2, 0.05, 0.15, 0.6])
    m = churn_metrics(y, p)
    assert m["auc"] == pytest.approx(22 / 24)  # the non-churner at 0.8 outranks two churners
    assert m["precision_top_decile"] == 1.0  # the riskiest one customer churned
    assert m["brier"] == pytest.approx(float(np.mean((p - y) ** 2)))
    assert m["base_rate"] == 0.4
    assert m["n_customers"] == 10
    table = calibration_table(y, p, bins=10)
    assert len(table) == 10
    assert table["n"].sum() == 10
    top = table.iloc[9]
    assert top["n"] == 1
    assert top["mean_predicted"] == pytest.approx(0.95)
    assert top["observed_rate"] == 1.0
    assert np.isnan(table.iloc[4]["observed_rate"])  # no prediction in [0.4, 0.5)
    assert churn_metrics(y, p, probability=False)["brier"] is None


# -- the model -------------------------------------------------------------------------------------------
def test_model_follows_the_estimator_contract() -> None:
    model = ChurnModel(horizon_days=30)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba(pd.DataFrame({"recency_days": [1.0]}))
    with pytest.raises(InvalidParameterError, match="'horizon_days' parameter of ChurnModel"):
        ChurnModel(horizon_days=0).fit(_orders([("a", "2026-01-01", 1.0)]))
    with pytest.raises(InvalidParameterError, match="'learning_rate' parameter of ChurnModel"):
        ChurnModel(learning_rate=2.0).fit(_orders([("a", "2026-01-01", 1.0)]))
    assert not hasattr(model, "mode_")  # __init__ only stores parameters


def test_supervised_model_learns_churn_on_the_demo_store(demo: DemoStore) -> None:
    store = demo
    result = backtest_churn(
        store.orders,
        "2026-08-01",
        90,
        items=store.order_items,
        products=store.products,
        reviews=store.reviews,
        events=store.events,
    )
    model = result.model
    assert model.mode_ == "supervised"
    assert len(model.cutoffs_) == 3
    assert max(model.cutoffs_) <= result.cutoff - pd.Timedelta(days=90)
    gbm = result.metrics.loc[SYSTEM_GBM]
    assert gbm["auc"] > 0.7, f"demo-store churn AUC {gbm['auc']:.3f}"
    importances = model.feature_importances_
    assert sum(importances.values()) == pytest.approx(1.0)
    assert any(k.startswith("category_share:") for k in importances)
    # the model pickles and predicts the same after a round trip
    feats = churn_features(store.orders, as_of=result.cutoff)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(feats), model.predict_proba(feats))


def test_short_history_falls_back_to_bgnbd() -> None:
    store = generate_demo_store(seed=2, size=DemoSize(products=40, customers=400, days=80))
    model = ChurnModel(horizon_days=90).fit(store.orders)
    assert model.mode_ == "bgnbd"
    assert model.cutoffs_ == []
    assert "no cutoff" in model.reason_
    feats = churn_features(store.orders, as_of=model.as_of_)
    risk = model.predict_proba(feats)
    assert risk.between(0, 1).all()
    assert risk.index.equals(feats.index)
    # a customer who has not bought for longer is at more risk, other things equal
    one_timers = feats[feats["purchase_days"] == 1]
    assert risk[one_timers.index].corr(one_timers["recency_days"], method="spearman") > 0.9


def test_bgnbd_churn_probability_matches_the_closed_form_for_new_customers(demo: DemoStore) -> None:
    from lifetimes import BetaGeoFitter

    summary = btyd_summary(demo.orders, observation_end="2026-10-31", unit_days=7)
    clv = CLVModel(unit_days=7.0).fit(summary)
    new = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]}, index=["new"])
    reference = BetaGeoFitter()
    reference.params_ = pd.Series(clv.params_)
    expected = float(reference.probability_of_n_purchases_up_to_time(13.0, 0))  # P(X(13 weeks) = 0)
    assert bgnbd_churn_probability(clv, new, 91.0)["new"] == pytest.approx(expected, rel=1e-9)
    # no time, no chance to buy; a very long horizon leaves only those who dropped out
    assert bgnbd_churn_probability(clv, summary, 0.0).eq(1).all()
    p_alive = clv.predict(summary)["p_alive"]
    far = bgnbd_churn_probability(clv, summary, 1e7)
    np.testing.assert_allclose(far, 1 - p_alive, atol=1e-3)


def test_summary_from_features_matches_btyd_summary(demo: DemoStore) -> None:
    orders = demo.orders
    feats = churn_features(orders, as_of="2026-07-15")
    got = summary_from_features(feats, unit_days=7.0)
    want = btyd_summary(
        orders[~orders["status"].isin(["cancelled", "returned", "refunded"])],
        observation_end="2026-07-15",
        unit_days=7.0,
    )
    pd.testing.assert_frame_equal(
        got[["frequency", "recency", "T"]], want.reindex(got.index)[["frequency", "recency", "T"]]
    )


def test_backtest_refuses_a_horizon_past_the_data(demo: DemoStore) -> None:
    with pytest.raises(ValidationError, match="before the last day of the horizon"):
        backtest_churn(demo.orders, "2026-10-01", 90)
    with pytest.raises(InvalidParameterError, match="'model' parameter of backtest_churn"):
        backtest_churn(demo.orders, "2026-06-01", 90, model=ChurnModel(30))


# -- real data -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_backtest_on_cdnow_beats_the_baselines() -> None:
    from shopmind.datasets.real import load_cdnow

    result = backtest_churn(load_cdnow(), "1998-03-31", 90)
    m = result.metrics
    report = m[["auc", "precision_top_decile", "brier", "base_rate"]].round(4).to_string()
    gbm, p_alive, bgnbd = m.loc[SYSTEM_GBM], m.loc[SYSTEM_P_ALIVE], m.loc[SYSTEM_BGNBD]
    assert result.model.mode_ == "supervised", result.model.reason_
    assert gbm["auc"] > 0.8, report
    assert gbm["auc"] > bgnbd["auc"], report
    assert gbm["auc"] > m.loc[SYSTEM_RECENCY, "auc"], report
    # better than always saying the base rate, and far better than 1 - p_alive
    base = gbm["base_rate"]
    assert gbm["brier"] < 0.8 * base * (1 - base), report
    assert gbm["brier"] < bgnbd["brier"] + 0.005 < p_alive["brier"], report
    # 1 - p_alive ranks badly: BG/NBD gives every one-time buyer p_alive = 1
    assert p_alive["auc"] < 0.5, report
    # the model is calibrated: in well-filled bins, the observed rate is near the predicted one
    table = result.calibration[SYSTEM_GBM]
    filled = table[table["n"] >= 500]
    gap = (filled["mean_predicted"] - filled["observed_rate"]).abs().max()
    assert gap < 0.08, f"{report}\n{table.to_string()}"
