"""Forecaster: per-series model selection, intervals, parameter checks and the ML candidate hook.

Synthetic series with a known answer, kept short (150-200 days, horizon 14) so the file runs in
seconds.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.forecast.models import INTERMITTENT_MODELS, Forecaster, classify_demand

H = 14
START = pd.Timestamp("2024-01-01")  # a Monday


def _frame(uid: str, y: np.ndarray, start: pd.Timestamp = START, freq: str = "D") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq=freq), "y": y})


def _seasonal(n: int = 196, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    profile = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.8, 1.6])  # weekends sell more
    return 40 * profile[t % 7] + rng.normal(0, 2.5, n)


def _intermittent(n: int = 196, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.15) * rng.integers(1, 4, n).astype(float)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.concat(
        [
            _frame("seasonal", _seasonal()),
            _frame("slow", _intermittent()),
            _frame("new", np.array([3.0, 4, 2, 5, 3, 6, 4, 3, 5, 2])),
            _frame("flat", np.full(120, 2.0)),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def fitted(panel: pd.DataFrame) -> Forecaster:
    return Forecaster(horizon=H).fit(panel)


def _sel(fc: Forecaster, uid: str) -> pd.Series:
    return fc.selection_.set_index("unique_id").loc[uid]


def test_classify_demand_follows_syntetos_boylan() -> None:
    assert classify_demand(_intermittent()) in ("intermittent", "lumpy")
    assert classify_demand(_seasonal()) == "smooth"
    assert classify_demand([0, 0, 0]) == "no_demand"
    assert classify_demand([0, 0, 1, 0, 0, 60, 0, 0, 2, 0]) == "lumpy"


def test_fit_returns_self_and_one_selection_row_per_series(panel: pd.DataFrame, fitted: Forecaster) -> None:
    assert Forecaster(horizon=H).fit(panel.head(196)) is not None
    sel = fitted.selection_
    assert sorted(sel["unique_id"]) == ["flat", "new", "seasonal", "slow"]
    assert {"model", "demand_class", "status", "intervals", "metric", "n_obs", "scale"} <= set(sel.columns)


def test_intermittent_series_gets_an_intermittent_model(fitted: Forecaster) -> None:
    row = _sel(fitted, "slow")
    assert row["demand_class"] in ("intermittent", "lumpy")
    assert row["model"] in INTERMITTENT_MODELS
    assert row["intervals"] == "conformal"
    assert row["metric"] == "rmsse"
    # the smooth-series models were not tried on it, the intermittent ones were
    assert np.isnan(row["mase_AutoETS"])
    assert all(np.isfinite(row[f"mase_{m}"]) for m in INTERMITTENT_MODELS)


def test_seasonal_series_model_beats_seasonal_naive(fitted: Forecaster) -> None:
    row = _sel(fitted, "seasonal")
    assert row["demand_class"] == "smooth"
    assert row["model"] in ("AutoETS", "AutoTheta", "AutoARIMA")
    assert row[f"mase_{row['model']}"] < row["mase_SeasonalNaive"]
    assert row["intervals"] == "native"


def test_seasonal_naive_beats_naive_on_a_strongly_seasonal_series() -> None:
    df = _frame("s", _seasonal())
    sel = Forecaster(horizon=H, models=["Naive", "SeasonalNaive"]).fit(df).selection_.iloc[0]
    assert sel["model"] == "SeasonalNaive"
    assert sel["mase_SeasonalNaive"] < 0.5 * sel["mase_Naive"]


def test_short_and_constant_series_are_flagged(fitted: Forecaster) -> None:
    new = _sel(fitted, "new")
    assert (new["status"], new["model"]) == ("short_history", "SeasonalNaive")
    flat = _sel(fitted, "flat")
    assert (flat["status"], flat["model"]) == ("constant", "Naive")
    out = fitted.predict()
    assert np.allclose(out.loc[out["unique_id"] == "flat", "mean"], 2.0)


def test_predict_shape_columns_and_dates(fitted: Forecaster) -> None:
    out = fitted.predict()
    assert list(out.columns) == ["unique_id", "ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95", "model"]
    assert len(out) == 4 * H
    seasonal = out[out["unique_id"] == "seasonal"]
    assert seasonal["ds"].iloc[0] == START + pd.Timedelta(days=196)
    assert (seasonal["ds"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert (seasonal["model"] == _sel(fitted, "seasonal")["model"]).all()


def test_intervals_nest_and_widen_with_the_horizon(fitted: Forecaster) -> None:
    out = fitted.predict()
    assert (out["lo_95"] <= out["lo_80"] + 1e-9).all()
    assert (out["lo_80"] <= out["mean"] + 1e-9).all()
    assert (out["mean"] <= out["hi_80"] + 1e-9).all()
    assert (out["hi_80"] <= out["hi_95"] + 1e-9).all()
    s = out[out["unique_id"] == "seasonal"]
    width = (s["hi_95"] - s["lo_95"]).to_numpy()
    assert width[-1] > width[0]
    # demand never went below zero, so neither does the forecast
    assert (out["lo_95"] >= 0).all()


@pytest.mark.parametrize("refit", [False, True])
def test_predict_slices_and_extends_the_horizon(panel: pd.DataFrame, refit: bool) -> None:
    fitted = Forecaster(horizon=H, refit=refit).fit(panel)
    full = fitted.predict()
    short = fitted.predict(7)
    assert len(short) == 4 * 7
    longer = fitted.predict(2 * H)
    assert len(longer) == 4 * 2 * H
    a = longer[longer["unique_id"] == "seasonal"]["mean"].to_numpy()[:H]
    b = full[full["unique_id"] == "seasonal"]["mean"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_forwarded_models_stay_in_phase_when_the_horizon_is_not_whole_weeks() -> None:
    """A model fitted at the first origin and forwarded must keep the weekday pattern in place."""
    y = _seasonal(420)
    df = _frame("s", y)
    profile = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.8, 1.6]) * 40
    expected = profile[np.arange(420, 430) % 7]
    for window in (None, 100, "auto"):
        out = Forecaster(horizon=10, models=["AutoETS"], window=window).fit(df).predict()
        assert np.abs(out["mean"].to_numpy() - expected).mean() < 3.0, window


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match=r"Call fit\(df\) before predict"):
        Forecaster().predict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 0}, "The 'horizon' parameter of Forecaster must be an int >= 1. Got 0 instead."),
        (
            {"engine": "dask"},
            "The 'engine' parameter of Forecaster must be one of ['local', 'spark']. Got 'dask' instead.",
        ),
        (
            {"level": (80, 100)},
            "The 'level' parameter of Forecaster must be a sequence of distinct ints between 1 and 99",
        ),
        (
            {"models": ["AutoETS", "Prophet"]},
            "The 'models' parameter of Forecaster must be 'auto', 'all' or a list",
        ),
        ({"n_windows": 0}, "The 'n_windows' parameter of Forecaster must be an int >= 1. Got 0 instead."),
        (
            {"window": 1},
            "The 'window' parameter of Forecaster must be an int >= 2, 'auto' or None. Got 1 instead.",
        ),
        ({"metric": "mape"}, "The 'metric' parameter of Forecaster must be one of ['auto', 'mase', 'rmsse']"),
        ({"ml": object()}, "The 'ml' parameter of Forecaster must be an ML candidate"),
    ],
)
def test_bad_parameters_use_the_one_message_template(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Forecaster(**kwargs).fit(_frame("s", _seasonal(60)))
    assert str(info.value).startswith(message)


def test_init_only_stores_parameters() -> None:
    fc = Forecaster(horizon=0, engine="nope")  # checked at fit, as scikit-learn does
    assert fc.get_params()["horizon"] == 0
    assert "horizon=0" in repr(fc)


def test_bad_data_is_rejected_with_reasons() -> None:
    good = _frame("s", _seasonal(60))
    with pytest.raises(ValidationError, match="no column 'y'"):
        Forecaster().fit(good.drop(columns="y"))
    with pytest.raises(ValidationError, match="missing periods"):
        Forecaster().fit(good.drop(index=[10, 11]))
    with pytest.raises(ValidationError, match="repeat a"):
        Forecaster().fit(pd.concat([good, good.tail(1)]))
    bad = good.copy()
    bad.loc[3, "y"] = np.nan
    with pytest.raises(ValidationError, match="missing or not numbers") as info:
        Forecaster().fit(bad)
    assert info.value.errors == [{"unique_id": "s", "error": "missing or non-numeric target"}]


def test_weekly_series_keep_their_anchor_day() -> None:
    rng = np.random.default_rng(3)
    y = 100 + rng.normal(0, 5, 80)
    df = _frame("w", y, start=pd.Timestamp("2023-01-02"), freq="7D")  # Mondays
    fc = Forecaster(freq="W", horizon=4).fit(df)
    out = fc.predict()
    assert fc.plan_.m == 52
    assert list(out["ds"]) == [df["ds"].iloc[-1] + pd.Timedelta(weeks=k) for k in range(1, 5)]


def test_custom_column_names_round_trip() -> None:
    df = _frame("s", _seasonal(120)).rename(columns={"unique_id": "sku", "ds": "day", "y": "units"})
    fc = Forecaster(horizon=7, id_col="sku", time_col="day", target_col="units").fit(df)
    assert "sku" in fc.selection_.columns
    assert {"sku", "day", "mean"} <= set(fc.predict().columns)


def test_process_pool_gives_the_same_answer(panel: pd.DataFrame, fitted: Forecaster) -> None:
    parallel = Forecaster(horizon=H, n_jobs=2).fit(panel)
    pd.testing.assert_frame_equal(parallel.predict(), fitted.predict())
    assert list(parallel.selection_["model"]) == list(fitted.selection_["model"])


def test_fitted_forecaster_pickles(fitted: Forecaster) -> None:
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(again.predict(), fitted.predict())


def test_arima_is_tried_only_where_ets_and_theta_do_not_beat_the_baseline(panel: pd.DataFrame) -> None:
    never = Forecaster(horizon=H, arima_gate=float("inf")).fit(panel).selection_
    assert "mase_AutoARIMA" not in never.columns
    always = Forecaster(horizon=H, arima_gate=0.0).fit(panel).selection_.set_index("unique_id")
    assert np.isfinite(always.loc["seasonal", "mase_AutoARIMA"])
    assert np.isnan(always.loc["slow", "mase_AutoARIMA"])  # intermittent: not a candidate


class DealAwareModel:
    """A tiny ML candidate that knows demand is 10 + 20 x deal (what no statistical model sees)."""

    name = "dealer"

    def __init__(self, base: float = 10.0, lift: float = 20.0) -> None:
        self.base, self.lift = base, lift
        self.fitted = False

    def _predict(self, frame: pd.DataFrame) -> pd.Series:
        return self.base + self.lift * frame["deal"].astype(float)

    def cross_validation(
        self, df: pd.DataFrame, h: int, n_windows: int, step_size: int, level: list[int]
    ) -> pd.DataFrame:
        parts = []
        for uid, g in df.groupby("unique_id"):
            for w in range(n_windows):
                end = len(g) - h - (n_windows - 1 - w) * step_size
                test = g.iloc[end : end + h]
                parts.append(
                    pd.DataFrame(
                        {
                            "unique_id": uid,
                            "ds": test["ds"].to_numpy(),
                            "cutoff": g["ds"].iloc[end - 1],
                            "y": test["y"].to_numpy(),
                            self.name: self._predict(test).to_numpy(),
                        }
                    )
                )
        return pd.concat(parts, ignore_index=True)

    def fit(self, df: pd.DataFrame) -> DealAwareModel:
        self.fitted = True
        return self

    def predict(
        self,
        h: int,
        X_df: pd.DataFrame | None = None,  # noqa: N803 (statsforecast's name)
        level: list[int] | None = None,
    ) -> pd.DataFrame:
        assert X_df is not None
        out = X_df[["unique_id", "ds"]].copy()
        out[self.name] = self._predict(X_df).to_numpy()
        return out  # no interval columns: the Forecaster adds conformal ones


def _deal_panel(n: int = 150) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    frames = []
    for uid in ("promo-a", "promo-b"):
        deal = rng.random(n + H) < 0.3
        y = 10 + 20 * deal + rng.normal(0, 0.5, n + H)
        frames.append(
            pd.DataFrame({"unique_id": uid, "ds": pd.date_range(START, periods=n + H), "y": y, "deal": deal})
        )
    frames.append(_frame("seasonal", _seasonal(n + H)).assign(deal=False))
    full = pd.concat(frames, ignore_index=True)
    pos = full.groupby("unique_id").cumcount()
    return full[pos < n].reset_index(drop=True), full[pos >= n].reset_index(drop=True)


def test_ml_candidate_joins_the_selection_per_series() -> None:
    train, future = _deal_panel()
    ml = DealAwareModel()
    fc = Forecaster(horizon=H, ml=ml).fit(train)
    sel = fc.selection_.set_index("unique_id")
    assert sel.loc["promo-a", "model"] == "dealer"
    assert sel.loc["promo-b", "model"] == "dealer"
    assert sel.loc["promo-a", "mase_dealer"] < sel.loc["promo-a", "mase_SeasonalNaive"]
    assert sel.loc["seasonal", "model"] != "dealer"  # 10 + 20 x deal is wrong there
    assert ml.fitted
    out = fc.predict(future_exog=future.drop(columns="y"))
    promo = out[out["unique_id"] == "promo-a"]
    expected = 10 + 20 * future.loc[future["unique_id"] == "promo-a", "deal"].astype(float).to_numpy()
    np.testing.assert_allclose(promo["mean"].to_numpy(), expected)
    assert (promo["model"] == "dealer").all()
    assert (promo["lo_95"] <= promo["lo_80"]).all()
    assert (promo["hi_80"] <= promo["hi_95"]).all()
    assert (promo["hi_80"] > promo["mean"]).all()  # conformal intervals from its CV errors
    assert list(out["unique_id"].unique()) == ["promo-a", "promo-b", "seasonal"]


def test_ml_candidate_that_loses_everywhere_is_not_fitted() -> None:
    train, _ = _deal_panel()
    ml = DealAwareModel(base=1000.0)
    fc = Forecaster(horizon=H, ml=ml).fit(train)
    assert "dealer" not in set(fc.selection_["model"])
    assert not ml.fitted
    assert "dealer" not in set(fc.predict()["model"])


def test_cross_validation_backtests_the_whole_selection(panel: pd.DataFrame) -> None:
    cv = Forecaster(horizon=H).cross_validation(
        panel[panel["unique_id"].isin(["seasonal", "slow"])], n_windows=2
    )
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "y",
        "mean",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
        "model",
    ]
    assert len(cv) == 2 * 2 * H
    assert cv.groupby("unique_id")["cutoff"].nunique().eq(2).all()
    assert (cv["ds"] > cv["cutoff"]).all()
