"""Customer lifetime value (BG/NBD + Gamma-Gamma) against published fits, lifetimes and CDNOW's holdout."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.clv import (
    DAYS_PER_MONTH,
    PREDICTION_COLUMNS,
    CalibrationHoldout,
    CLVModel,
    calibration_holdout,
    holdout_by_frequency,
)
from shopmind.datasets.real import _lifetimes_file, load_cdnow, load_cdnow_summary
from shopmind.errors import InvalidParameterError, NotFittedError, ValidationError
from shopmind.features.rfm import btyd_summary

# Fader, Hardie and Lee (2005): BG/NBD on the 2,357-customer CDNOW summary, and Gamma-Gamma on its
# 946 repeat buyers ("RFM and CLV: using iso-value curves", Hardie's note 025).
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def _summary_with_spend() -> pd.DataFrame:
    """The published summary with each customer's mean repeat-purchase value (``zbar``)."""
    raw = pd.read_csv(_lifetimes_file("cdnow_customers_summary_with_transactions.csv"))
    return pd.DataFrame(
        {
            "frequency": raw["x"].to_numpy(),
            "recency": raw["t_x"].to_numpy(),
            "T": raw["T"].to_numpy(),
            "monetary_value": raw["zbar"].to_numpy(),
        },
        index=pd.Index(raw["ID"].astype(str).to_numpy(), name="customer_id"),
    )


def _tiny_summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [0, 1, 2, 0, 3, 1, 0, 5],
            "recency": [0.0, 4.0, 10.0, 0.0, 20.0, 2.0, 0.0, 25.0],
            "T": [30.0, 30.0, 26.0, 12.0, 30.0, 8.0, 3.0, 28.0],
            "monetary_value": [0.0, 20.0, 35.0, 0.0, 50.0, 10.0, 0.0, 42.0],
        },
        index=pd.Index(list("abcdefgh"), name="customer_id"),
    )


# -- fits against the published numbers -----------------------------------------------------------------
def test_bgnbd_on_the_published_cdnow_summary_matches_the_paper() -> None:
    summary = load_cdnow_summary()
    assert len(summary) == 2_357
    model = CLVModel(unit_days=7).fit(summary)
    assert model is not None
    assert set(model.params_) == set(PUBLISHED_BGNBD)
    for name, published in PUBLISHED_BGNBD.items():
        assert model.params_[name] == pytest.approx(published, rel=0.02), name
    assert model.n_customers_ == 2_357
    # No monetary values in this summary: no spend model, and predictions say so with NaN.
    assert model.spend_params_ is None
    assert any("monetary_value" in note for note in model.notes_)
    scores = model.predict(summary, horizon_days=39 * 7)
    assert scores["expected_spend"].isna().all()
    assert scores["clv_12m"].isna().all()


def test_gamma_gamma_on_the_published_summary_matches_the_paper() -> None:
    summary = _summary_with_spend()
    model = CLVModel(unit_days=7).fit(summary)
    assert model.n_repeat_buyers_ == 946
    assert model.spend_params_ is not None
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert model.spend_params_[name] == pytest.approx(published, rel=0.02), name
    p, q, v = (model.spend_params_[k] for k in "pqv")
    assert model.mean_spend_ == pytest.approx(p * v / (q - 1))
    assert abs(model.spend_frequency_corr_) < 0.3  # Fader-Hardie-Lee report 0.11


def test_predictions_agree_with_lifetimes() -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    summary = _summary_with_spend()
    model = CLVModel(unit_days=7, discount_rate_annual=0.10).fit(summary)
    scores = model.predict(summary, horizon_days=39 * 7)
    f, r, t = summary["frequency"], summary["recency"], summary["T"]
    bgf = BetaGeoFitter().fit(f, r, t)
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(39, f, r, t)
    np.testing.assert_allclose(scores["expected_purchases"], expected, rtol=1e-4)
    np.testing.assert_allclose(scores["p_alive"], bgf.conditional_probability_alive(f, r, t), rtol=1e-4)
    repeat = summary[summary["frequency"] > 0]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    spend = ggf.conditional_expected_average_profit(summary["frequency"], summary["monetary_value"])
    np.testing.assert_allclose(scores["expected_spend"], spend, rtol=1e-3)
    # lifetimes' CLV with the same monthly discount; it counts a month as 4.345 weeks, shopmind as
    # 365.25 / 12 days = 4.348 weeks, hence the tolerance.
    clv = ggf.customer_lifetime_value(
        bgf, f, r, t, summary["monetary_value"], time=12, discount_rate=1.10 ** (1 / 12) - 1, freq="W"
    )
    np.testing.assert_allclose(scores["clv_12m"], clv, rtol=0.01)


def test_parameters_are_recovered_from_simulated_customers() -> None:
    """Customers simulated from BG/NBD with known parameters give them back (a known answer)."""
    rng = np.random.default_rng(7)
    n, truth = 20_000, {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    age = rng.uniform(10, 80, n)  # weeks since the first purchase
    rate = rng.gamma(truth["r"], 1 / truth["alpha"], n)
    drop = rng.beta(truth["a"], truth["b"], n)
    counts = rng.poisson(rate * age)
    lifetime = rng.geometric(drop)  # repeat purchases before dropping out
    freq = np.minimum(counts, lifetime)
    owner = np.repeat(np.arange(n), counts)
    times = rng.uniform(0, 1, len(owner)) * age[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(len(owner)) - np.concatenate(([0], np.cumsum(counts)[:-1]))[owner]
    kept = rank < freq[owner]
    recency = np.zeros(n)
    np.maximum.at(recency, owner[kept], times[kept])
    summary = pd.DataFrame({"frequency": freq, "recency": recency, "T": age})
    model = CLVModel(unit_days=7).fit(summary)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.15), name


# -- the 39/39-week calibration/holdout on CDNOW master ---------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_split() -> CalibrationHoldout:
    return calibration_holdout(
        load_cdnow(),
        "1997-09-30",
        "1998-06-30",
        unit_days=7,
        cohort_start="1997-01-01",
        cohort_end="1997-03-31",
    )


@pytest.mark.slow
def test_calibration_split_reproduces_the_published_summary(cdnow_split: CalibrationHoldout) -> None:
    split = cdnow_split
    assert len(split.summary) == 23_570  # the whole master file is the Q1-1997 cohort
    assert split.horizon_days == 273.0  # weeks 40-78
    published = load_cdnow_summary()
    ours = split.summary.loc[published.index]
    np.testing.assert_array_equal(ours["frequency"], published["frequency"])
    np.testing.assert_allclose(ours["recency"], published["recency"], atol=0.006)  # 2 decimals there
    np.testing.assert_allclose(ours["T"], published["T"], atol=0.006)
    assert split.holdout_purchases.index.equals(split.summary.index)
    assert split.holdout_purchases.min() >= 0
    assert int(split.holdout_purchases.sum()) == 19_684


@pytest.mark.slow
def test_holdout_purchases_are_predicted_by_calibration_frequency(cdnow_split: CalibrationHoldout) -> None:
    split = cdnow_split
    model = CLVModel(unit_days=split.unit_days).fit(split.summary)
    assert model.spend_params_ is not None  # 8,000+ repeat buyers
    predicted = model.predict(split.summary, horizon_days=split.horizon_days)["expected_purchases"]
    actual_total = float(split.holdout_purchases.sum())
    # BG/NBD under-forecasts CDNOW's weeks 40-78 by about 14% (lifetimes and PyMC-Marketing agree).
    assert predicted.sum() == pytest.approx(actual_total, rel=0.20)
    table = holdout_by_frequency(split, predicted)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+", "all"]
    assert table.loc["all", "customers"] == len(split.summary)
    assert table["customers"].iloc[:-1].sum() == len(split.summary)
    by_freq = table.iloc[:-1]
    assert (np.diff(by_freq["predicted_mean"]) > 0).all()
    assert (np.diff(by_freq["actual_mean"]) < 0).sum() <= 1  # monotone, up to one dip
    # Heavy buyers are forecast well; the overall error per customer stays below one purchase.
    assert by_freq.loc["7+", "predicted_mean"] == pytest.approx(by_freq.loc["7+", "actual_mean"], rel=0.10)
    assert table.loc["all", "mae"] < 1.0
    assert table.loc["all", "actual_mean"] == pytest.approx(actual_total / len(split.summary))


def test_holdout_by_frequency_on_a_hand_made_split() -> None:
    summary = pd.DataFrame(
        {"frequency": [0, 0, 1, 3, 9], "recency": [0.0, 0.0, 1.0, 5.0, 9.0], "T": [10.0] * 5},
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    split = CalibrationHoldout(
        summary=summary,
        holdout_purchases=pd.Series([0, 2, 1, 4, 6], index=summary.index),
        holdout_spend=pd.Series([0.0] * 5, index=summary.index),
        calibration_end=pd.Timestamp("2026-01-31", tz="UTC"),
        holdout_end=pd.Timestamp("2026-03-31", tz="UTC"),
        unit_days=7.0,
    )
    # Shuffled on purpose: predictions are matched to customers by id, not by position.
    predicted = pd.Series({"e": 8.0, "c": 1.0, "a": 0.5, "d": 3.0, "b": 0.5})
    table = holdout_by_frequency(split, predicted, max_frequency=3)
    assert list(table.index) == ["0", "1", "2", "3+", "all"]
    assert table["customers"].tolist() == [2, 1, 0, 2, 5]
    assert table.loc["0"].tolist()[1:] == pytest.approx([1.0, 0.5, 1.0])  # actual, predicted, mae
    assert table.loc["1"].tolist()[1:] == pytest.approx([1.0, 1.0, 0.0])
    assert table.loc["3+"].tolist()[1:] == pytest.approx([5.0, 5.5, 1.5])
    assert np.isnan(table.loc["2", "actual_mean"])
    assert table.loc["all"].tolist()[1:] == pytest.approx([2.6, 2.6, 1.0])
    with pytest.raises(ValidationError, match="no value for 1"):
        holdout_by_frequency(split, predicted.drop("c"))


def test_calibration_holdout_counts_purchase_days_and_keeps_the_cohort() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "c", "d"],
            "ordered_at": pd.to_datetime(
                [
                    "2026-01-02 09:00",
                    "2026-01-20",
                    "2026-02-05 10:00",  # holdout
                    "2026-02-05 18:00",  # same day: one purchase
                    "2026-01-25",
                    "2026-03-01",  # after the holdout
                    "2026-02-10",  # first purchase in the holdout: not in the split
                    "2025-12-01",  # before the cohort
                ],
                utc=True,
                format="ISO8601",
            ),
            "total_amount": [10.0, 20.0, 5.0, 7.0, 30.0, 40.0, 50.0, 60.0],
        }
    )
    split = calibration_holdout(
        orders, "2026-01-31", "2026-02-28", unit_days=7, cohort_start="2026-01-01", cohort_end="2026-01-31"
    )
    assert list(split.summary.index) == ["a", "b"]
    assert split.holdout_purchases.to_dict() == {"a": 1, "b": 0}
    assert split.holdout_spend.to_dict() == {"a": 12.0, "b": 0.0}
    assert split.horizon_days == 28.0
    assert split.summary.loc["a", "frequency"] == 1
    with pytest.raises(InvalidParameterError, match="'holdout_end' parameter of calibration_holdout"):
        calibration_holdout(orders, "2026-01-31", "2026-01-31")


# -- predictions ------------------------------------------------------------------------------------------
def test_prediction_columns_and_known_values() -> None:
    summary = _summary_with_spend()
    model = CLVModel(unit_days=7, discount_rate_annual=0.0, margin=0.5).fit(summary)
    scores = model.predict(summary, horizon_days=365.25)
    assert tuple(scores.columns) == PREDICTION_COLUMNS
    assert scores.index.equals(summary.index)
    one_time = summary["frequency"] == 0
    assert (scores.loc[one_time, "p_alive"] == 1.0).all()
    np.testing.assert_allclose(scores.loc[one_time, "expected_spend"], model.mean_spend_)
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["expected_purchases"] >= 0).all()
    # Undiscounted, 12 months telescope to the purchases expected in a year (12 x 365.25/12 days).
    assert pytest.approx(365.25) == 12 * DAYS_PER_MONTH
    np.testing.assert_allclose(
        scores["clv_12m"], 0.5 * scores["expected_spend"] * scores["expected_purchases"], rtol=1e-9
    )
    discounted = CLVModel(unit_days=7, discount_rate_annual=0.2, margin=0.5).fit(summary).predict(summary)
    assert (discounted["clv_12m"] < scores["clv_12m"]).all()
    # A longer horizon never expects fewer purchases.
    longer = model.predict(summary, horizon_days=400)["expected_purchases"]
    assert (longer >= scores["expected_purchases"]).all()
    assert (model.predict(summary, horizon_days=0)["expected_purchases"] == 0).all()


def test_expected_purchases_stay_finite_when_a_plus_b_is_below_one() -> None:
    """Hardie's "#NUM!" case: the hypergeometric term is negative, lifetimes' log of it is NaN.

    Reference values computed with mpmath at 50 digits from equation 10 of the BG/NBD paper.
    """
    model = CLVModel(unit_days=7)
    model.params_ = {
        "r": 1.4829816788673682,
        "alpha": 16.200928327132196,
        "a": 0.17045612360497148,
        "b": 0.5620369869995792,
    }
    model.spend_params_, model.mean_spend_ = None, 10.0
    summary = pd.DataFrame(
        {"frequency": [0, 1, 5, 300], "recency": [0.0, 3.0, 20.0, 38.0], "T": [39.0] * 4},
        index=["a", "b", "c", "d"],
    )
    got = model.predict(summary, horizon_days=39 * 7)["expected_purchases"].to_numpy()
    reference = [0.90725175044043273, 0.31001352781788712, 2.7329285124138836, 177.68724747442711]
    np.testing.assert_allclose(got, reference, rtol=1e-9)


def test_a_short_history_without_dropout_still_fits_and_says_so() -> None:
    """No customer has dropped out yet: lifetimes' BFGS does not converge (the likelihood rises
    towards a -> 0); the bounded refit gives finite predictions close to the no-dropout NBD model."""
    rng = np.random.default_rng(0)
    n = 150
    age = rng.uniform(4, 17, n)
    x = rng.poisson(rng.gamma(1.0, 1 / 4.0, n) * age)
    recency = np.where(x > 0, age * rng.beta(np.maximum(x, 1), 1), 0.0)  # the last of x uniform times
    summary = pd.DataFrame({"frequency": x, "recency": recency, "T": age})
    model = CLVModel(unit_days=7).fit(summary)
    assert any("did not converge" in note for note in model.notes_)
    assert all(1e-4 <= v <= 1e4 for v in model.params_.values())
    scores = model.predict(summary, horizon_days=28)
    assert np.isfinite(scores.to_numpy()[:, :2]).all()
    r, alpha = model.params_["r"], model.params_["alpha"]
    nbd = (r + summary["frequency"]) / (alpha + summary["T"]) * 4  # NBD: no one drops out
    np.testing.assert_allclose(scores["expected_purchases"], nbd, rtol=0.10)


def test_too_few_repeat_buyers_fall_back_to_mean_spend() -> None:
    summary = _tiny_summary()
    model = CLVModel(unit_days=7, penalizer=0.01).fit(summary)
    assert model.spend_params_ is None
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    assert model.mean_spend_ == pytest.approx(repeat["monetary_value"].mean())
    assert any("min_repeat_buyers" in note for note in model.notes_)
    scores = model.predict(summary)
    np.testing.assert_allclose(scores["expected_spend"], model.mean_spend_)
    assert scores["clv_12m"].notna().all()


def test_predict_scores_customers_not_seen_in_fit_and_keeps_the_index() -> None:
    model = CLVModel(unit_days=7).fit(_summary_with_spend())
    new = pd.DataFrame(
        {"frequency": [2], "recency": [3.0], "T": [4.0], "monetary_value": [12.0]}, index=["new-1"]
    )
    scores = model.predict(new, horizon_days=30)
    assert list(scores.index) == ["new-1"]
    assert scores.index.name == "customer_id"


# -- the estimator contract ----------------------------------------------------------------------------------
def test_predict_before_fit_says_to_call_fit() -> None:
    with pytest.raises(NotFittedError, match=r"Call fit\(summary\) before predict\(\)"):
        CLVModel().predict(_tiny_summary())


def test_pickle_round_trip_gives_the_same_predictions() -> None:
    summary = _summary_with_spend()
    model = CLVModel(unit_days=7).fit(summary)
    again = pickle.loads(pickle.dumps(model))
    assert again.params_ == model.params_
    assert again.spend_params_ == model.spend_params_
    pd.testing.assert_frame_equal(again.predict(summary), model.predict(summary))


def test_init_only_stores_parameters() -> None:
    model = CLVModel(unit_days=-1)  # checked by fit, as scikit-learn does
    assert model.unit_days == -1
    assert not hasattr(model, "params_")
    assert "unit_days=-1" in repr(model)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"unit_days": 0}, "The 'unit_days' parameter of CLVModel must be a number > 0. Got 0 instead."),
        (
            {"penalizer": -0.1},
            "The 'penalizer' parameter of CLVModel must be a number >= 0. Got -0.1 instead.",
        ),
        (
            {"discount_rate_annual": -0.05},
            "The 'discount_rate_annual' parameter of CLVModel must be a number in [0, 10). Got -0.05 instead.",
        ),
        ({"margin": 0}, "The 'margin' parameter of CLVModel must be a number in (0, 1]. Got 0 instead."),
        (
            {"min_repeat_buyers": 2.5},
            "The 'min_repeat_buyers' parameter of CLVModel must be an int >= 1. Got 2.5 instead.",
        ),
    ],
)
def test_bad_parameters_give_the_standard_message(params: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        CLVModel(**params).fit(_tiny_summary())  # type: ignore[arg-type]
    assert str(info.value) == message


def test_bad_horizon_gives_the_standard_message() -> None:
    model = CLVModel(penalizer=0.01).fit(_tiny_summary())
    with pytest.raises(InvalidParameterError) as info:
        model.predict(_tiny_summary(), horizon_days=-1)
    assert str(info.value) == (
        "The 'horizon_days' parameter of CLVModel.predict must be a number >= 0. Got -1 instead."
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.drop(columns="T"), "no column 'T'"),
        (lambda s: s.assign(recency=s["T"] + 1), "recency larger than T"),
        (lambda s: s.assign(frequency=s["frequency"] - 1), "negative frequency"),
        (lambda s: s.assign(frequency=s["frequency"] + 0.5), "not a whole number"),
        (lambda s: s.assign(recency=np.where(s["frequency"] == 0, 1.0, s["recency"])), "frequency 0"),
        (lambda s: s.assign(T=np.nan), "missing or infinite T"),
        (lambda s: s.iloc[:0], "empty summary"),
        (lambda s: s.assign(frequency=0, recency=0.0), "bought twice"),
        (lambda s: pd.concat([s, s.iloc[:1]]), "lists some customers twice"),
    ],
)
def test_invalid_summaries_are_rejected_with_reasons(change: object, match: str) -> None:
    bad = change(_tiny_summary())  # type: ignore[operator]
    with pytest.raises(ValidationError, match=match):
        CLVModel(penalizer=0.01).fit(bad)


def test_summary_from_orders_end_to_end() -> None:
    orders = load_cdnow().head(5_000)
    summary = btyd_summary(orders, observation_end=pd.Timestamp("1997-09-30", tz="UTC"), unit_days=7)
    scores = CLVModel(unit_days=7).fit(summary).predict(summary, horizon_days=90)
    assert len(scores) == len(summary)
    assert scores.notna().all().all()
    assert (scores["clv_12m"] >= 0).all()
