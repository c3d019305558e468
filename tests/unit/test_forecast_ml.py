"""The LightGBM candidate: it learns what deals and prices do, speaks statsforecast's columns and
calibrates its intervals. Small synthetic panels with a known answer."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.forecast.ml import MLCandidate

LIFT = 2.5  # a deal multiplies demand by this much in the synthetic shop
FAST = {"n_estimators": 60, "learning_rate": 0.1, "min_child_samples": 10}


def panel(n_series: int = 12, weeks: int = 90, seed: int = 0, deal_lift: float = LIFT) -> pd.DataFrame:
    """Weekly Poisson demand around a per-series level; deals (25% of weeks) multiply it."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-05", periods=weeks, freq="7D")
    pieces = []
    for i in range(n_series):
        level = rng.uniform(20, 200)
        deal = rng.random(weeks) < 0.25
        price = np.where(deal, 2.5, 3.0) * (1 + 0.1 * i)
        y = rng.poisson(level * np.where(deal, deal_lift, 1.0)).astype(float)
        pieces.append(
            pd.DataFrame(
                {"unique_id": f"s{i}", "ds": ds, "y": y, "price": price, "deal": deal, "feature": False}
            )
        )
    return pd.concat(pieces, ignore_index=True)


def future_with_deals(model: MLCandidate, df: pd.DataFrame, h: int) -> pd.DataFrame:
    """Deals in the odd future weeks, at the deal price."""
    last = df.groupby("unique_id")["ds"].max()
    rows = []
    for uid, end in last.items():
        regular = df.loc[df["unique_id"] == uid, "price"].max()
        for k in range(1, h + 1):
            deal = k % 2 == 1
            rows.append((uid, end + pd.Timedelta(weeks=k), regular * (2.5 / 3.0) if deal else regular, deal))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "price", "deal"])


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return panel()


@pytest.fixture(scope="module")
def fitted(data: pd.DataFrame) -> MLCandidate:
    return MLCandidate(freq="W", horizon=6, calendar=False, **FAST).fit(data)


def test_deals_raise_the_forecast(fitted: MLCandidate, data: pd.DataFrame) -> None:
    future = future_with_deals(fitted, data, 6)
    fc = fitted.predict(6, X_df=future)
    fc = fc.merge(future, on=["unique_id", "ds"])
    ratio = fc.loc[fc["deal"], "LightGBM"].mean() / fc.loc[~fc["deal"], "LightGBM"].mean()
    assert ratio > 1.8  # the true lift is 2.5


def test_without_the_deal_feature_the_lift_is_invisible(data: pd.DataFrame) -> None:
    blind = MLCandidate(freq="W", horizon=6, calendar=False, exog=(), **FAST).fit(data)
    future = future_with_deals(blind, data, 6)
    fc = blind.predict(6, X_df=future).merge(future, on=["unique_id", "ds"])
    ratio = fc.loc[fc["deal"], "LightGBM"].mean() / fc.loc[~fc["deal"], "LightGBM"].mean()
    assert 0.8 < ratio < 1.25
    assert blind.exog_ == []


def test_deal_aware_model_is_more_accurate_on_deal_weeks(data: pd.DataFrame) -> None:
    aware = MLCandidate(freq="W", calendar=False, **FAST).cross_validation(data, h=4, n_windows=2)
    blind = MLCandidate(freq="W", calendar=False, exog=(), **FAST).cross_validation(data, h=4, n_windows=2)
    deals = data[["unique_id", "ds", "deal"]]
    aware, blind = aware.merge(deals, on=["unique_id", "ds"]), blind.merge(deals, on=["unique_id", "ds"])

    def wape(cv: pd.DataFrame) -> float:
        d = cv[cv["deal"]]
        return float((d["LightGBM"] - d["y"]).abs().sum() / d["y"].sum())

    assert wape(aware) < 0.6 * wape(blind)


def test_unknown_future_means_last_price_and_no_deal(fitted: MLCandidate, data: pd.DataFrame) -> None:
    plain = fitted.predict(4)
    no_deals = future_with_deals(fitted, data, 4).assign(deal=False)
    no_deals["price"] = no_deals["unique_id"].map(fitted.last_values_["price"])
    explicit = fitted.predict(4, X_df=no_deals)
    pd.testing.assert_frame_equal(plain, explicit)
    with_deals = fitted.predict(4, X_df=future_with_deals(fitted, data, 4))
    assert with_deals["LightGBM"].sum() > 1.3 * plain["LightGBM"].sum()
    assert fitted.flags_ == ["deal", "feature"]


def test_partial_future_is_completed_by_the_defaults(fitted: MLCandidate, data: pd.DataFrame) -> None:
    future = future_with_deals(fitted, data, 4)
    only_deal = future.drop(columns="price")
    fc = fitted.predict(4, X_df=only_deal)
    assert fc["LightGBM"].notna().all()
    assert len(fc) == 4 * data["unique_id"].nunique()


def test_predict_columns_and_interval_order(fitted: MLCandidate, data: pd.DataFrame) -> None:
    fc = fitted.predict(6)
    assert list(fc.columns) == [
        "unique_id",
        "ds",
        "LightGBM",
        "LightGBM-lo-95",
        "LightGBM-lo-80",
        "LightGBM-hi-80",
        "LightGBM-hi-95",
    ]
    assert len(fc) == 6 * data["unique_id"].nunique()
    assert (fc["ds"] > data["ds"].max()).all()
    assert (fc["LightGBM-lo-95"] <= fc["LightGBM-lo-80"]).all()
    assert (fc["LightGBM-lo-80"] <= fc["LightGBM"]).all()
    assert (fc["LightGBM"] <= fc["LightGBM-hi-80"]).all()
    assert (fc["LightGBM-hi-80"] <= fc["LightGBM-hi-95"]).all()
    assert (fc["LightGBM-lo-95"] >= 0).all()
    other = fitted.predict(3, level=[50])
    assert list(other.columns[2:]) == ["LightGBM", "LightGBM-lo-50", "LightGBM-hi-50"]
    # beyond the calibrated horizon the last step's calibration is reused
    assert len(fitted.predict(9)) == 9 * data["unique_id"].nunique()


def test_cross_validation_layout_and_coverage(data: pd.DataFrame) -> None:
    model = MLCandidate(freq="W", calendar=False, name="gbm", **FAST)
    cv = model.cross_validation(data, h=4, n_windows=3, step_size=2, level=[80, 95])
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "gbm",
        "gbm-lo-95",
        "gbm-lo-80",
        "gbm-hi-80",
        "gbm-hi-95",
    ]
    assert cv["cutoff"].nunique() == 3
    assert len(cv) == 3 * 4 * data["unique_id"].nunique()
    assert (cv["ds"] > cv["cutoff"]).all()
    inside = (cv["y"] >= cv["gbm-lo-95"]) & (cv["y"] <= cv["gbm-hi-95"])
    assert 0.75 <= inside.mean() <= 1.0
    assert not hasattr(model, "model_")  # cross-validation fits copies


def test_per_series_intervals_use_mlforecast(data: pd.DataFrame) -> None:
    model = MLCandidate(freq="W", horizon=4, calendar=False, intervals="per-series", **FAST).fit(data)
    fc = model.predict(4)
    assert model.calibration_["method"] == "mlforecast"
    assert (fc["LightGBM-lo-95"] <= fc["LightGBM-hi-95"]).all()


def test_calendar_features_are_used(data: pd.DataFrame) -> None:
    model = MLCandidate(freq="W", horizon=4, **FAST).fit(data)
    assert "cal_days_to_spring_festival" in model.features_
    assert {"price", "price_rel", "deal", "deal_prev"} <= set(model.features_)
    assert model.predict(4)["LightGBM"].notna().all()


def test_daily_series() -> None:
    rng = np.random.default_rng(3)
    ds = pd.date_range("2025-01-01", periods=150, freq="D")
    y = rng.poisson(20 * np.where(ds.dayofweek >= 5, 2.0, 1.0)).astype(float)
    df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})
    model = MLCandidate(freq="D", horizon=14, **FAST).fit(df)
    fc = model.predict(14).set_index("ds")["LightGBM"]
    weekend = fc[fc.index.dayofweek >= 5].mean()
    weekday = fc[fc.index.dayofweek < 5].mean()
    assert weekend > 1.4 * weekday


def test_pickle_round_trip(fitted: MLCandidate) -> None:
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(again.predict(4), fitted.predict(4))


def test_errors(data: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        MLCandidate().predict(4)
    with pytest.raises(InvalidParameterError, match="'freq' parameter of MLCandidate"):
        MLCandidate(freq="M").fit(data)
    with pytest.raises(InvalidParameterError, match="'lags' parameter"):
        MLCandidate(lags=[0]).fit(data)
    with pytest.raises(InvalidParameterError, match="'intervals' parameter"):
        MLCandidate(intervals="bootstrap").fit(data)
    gappy = data.drop(index=data.index[5])
    with pytest.raises(ValidationError, match="not regular"):
        MLCandidate(**FAST).fit(gappy)
    with pytest.raises(ValidationError, match="'y' is missing"):
        MLCandidate().fit(data.drop(columns="y"))


def test_short_history_falls_back_to_training_errors(data: pd.DataFrame) -> None:
    short = data.groupby("unique_id").head(15)
    model = MLCandidate(horizon=12, **FAST).fit(short)
    assert model.calibration_["method"] == "in-sample"
    fc = model.predict(12)
    assert (fc["LightGBM-lo-95"] < fc["LightGBM-hi-95"]).any()
    # one 4-week window fits 15 weeks (4 + 8 for training)
    assert MLCandidate(horizon=4, **FAST).fit(short).calibration_["method"] == "holdout"
    cv = MLCandidate(**FAST).cross_validation(short, h=4, n_windows=2)
    assert cv["cutoff"].nunique() == 2


def test_joins_the_forecaster_selection() -> None:
    models = pytest.importorskip("shopmind.forecast.models")
    df = panel(n_series=6, weeks=80, seed=1, deal_lift=3.0)
    ml = MLCandidate(freq="W", horizon=4, calendar=False, **FAST)
    protocol = getattr(models, "MLCandidateLike", None) or models.MLCandidate
    assert isinstance(ml, protocol)  # the Forecaster's protocol
    forecaster = models.Forecaster(
        freq="W", season_length=52, horizon=4, n_windows=2, ml=ml, min_train=26, models=["SeasonalNaive"]
    )
    forecaster.fit(df)
    # demand that a deal multiplies by three: the deal-aware model wins most series
    assert (forecaster.selection_["model"] == "LightGBM").sum() >= 4
    future = df.groupby("unique_id").tail(4).assign(ds=lambda f: f["ds"] + pd.Timedelta(weeks=4))
    fc = forecaster.predict(4, future_exog=future[["unique_id", "ds", "price", "deal"]])
    assert set(fc.columns) >= {"unique_id", "ds", "mean", "lo_80", "hi_95", "model"}
    assert len(fc) == 4 * 6
