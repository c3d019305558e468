"""The Chinese shopping calendar: festivals, solar terms and model features, against published dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopmind.datasets import demo
from shopmind.errors import InvalidParameterError, ValidationError
from shopmind.features.calendar import (
    FESTIVALS,
    SOLAR_TERMS,
    calendar_features,
    dragon_boat_festival,
    festival_dates,
    lunar_new_year,
    mid_autumn_festival,
    solar_terms,
)

# Published dates (State Council holiday notices and the Purple Mountain Observatory's almanac).
SPRING_FESTIVAL = {2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17"}
DRAGON_BOAT = {2023: "2023-06-22", 2024: "2024-06-10", 2025: "2025-05-31", 2026: "2026-06-19"}
MID_AUTUMN = {2023: "2023-09-29", 2024: "2024-09-17", 2025: "2025-10-06", 2026: "2026-09-25"}
QINGMING = {2023: "2023-04-05", 2024: "2024-04-04", 2025: "2025-04-04", 2026: "2026-04-05"}
# Solar terms, including two that fall late in the Beijing evening (2025 立春 22:10, 冬至 23:03).
TERMS = [
    (2026, "立春", "2026-02-04"),
    (2026, "清明", "2026-04-05"),
    (2026, "冬至", "2026-12-22"),
    (2025, "立春", "2025-02-03"),
    (2025, "冬至", "2025-12-21"),
    (2024, "小寒", "2024-01-06"),
    (2024, "夏至", "2024-06-21"),
    (2024, "大雪", "2024-12-06"),
    (2023, "大暑", "2023-07-23"),
    (2023, "寒露", "2023-10-08"),
]


@pytest.mark.parametrize("year", sorted(SPRING_FESTIVAL))
def test_festival_dates_match_the_published_calendar(year: int) -> None:
    days = {k: v.isoformat() for k, v in festival_dates(year).items()}
    assert days == {
        "spring_festival": SPRING_FESTIVAL[year],
        "qingming": QINGMING[year],
        "618": f"{year}-06-18",
        "dragon_boat": DRAGON_BOAT[year],
        "mid_autumn": MID_AUTUMN[year],
        "double_11": f"{year}-11-11",
    }
    assert tuple(days) == FESTIVALS


def test_single_festival_functions() -> None:
    assert lunar_new_year(2024) == dt.date(2024, 2, 10)
    assert dragon_boat_festival(2025) == dt.date(2025, 5, 31)
    assert mid_autumn_festival(2025) == dt.date(2025, 10, 6)


def test_demo_store_uses_the_same_calendar() -> None:
    assert demo.lunar_new_year is lunar_new_year
    assert demo.mid_autumn_festival is mid_autumn_festival


@pytest.mark.parametrize(("year", "name", "day"), TERMS)
def test_solar_terms_match_published_dates(year: int, name: str, day: str) -> None:
    found = {zh: d.isoformat() for zh, _, d in solar_terms(year)}
    assert found[name] == day


def test_solar_terms_are_24_in_order_about_15_days_apart() -> None:
    terms = solar_terms(2026)
    assert [zh for zh, _, _ in terms] == [zh for zh, _, _ in SOLAR_TERMS]
    assert terms[0][:2] == ("小寒", "Minor Cold")
    days = [d for _, _, d in terms]
    assert all(d.year == 2026 for d in days)
    gaps = np.diff([d.toordinal() for d in days])
    assert gaps.min() >= 14
    assert gaps.max() <= 16


@pytest.mark.parametrize("year", [1899, 2101, 2025.0, "2025"])
def test_year_out_of_range(year: object) -> None:
    with pytest.raises(InvalidParameterError, match="'year' parameter of festival_dates"):
        festival_dates(year)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'year' parameter of solar_terms"):
        solar_terms(year)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- features
def test_daily_features_around_the_spring_festival() -> None:
    days = pd.date_range("2026-02-10", "2026-02-20", freq="D")
    f = calendar_features(days, freq="D", window=14)
    assert len(f) == len(days)
    festival = f.index[days == pd.Timestamp("2026-02-17")][0]
    assert f.loc[festival, "days_to_spring_festival"] == 0
    assert f.loc[festival, "days_since_spring_festival"] == 0
    assert bool(f.loc[festival, "spring_festival_in_period"])
    assert f["spring_festival_in_period"].sum() == 1
    assert f["days_to_spring_festival"].iloc[0] == 7
    assert f["days_since_spring_festival"].iloc[-1] == 3
    # a year away is "not near": capped at window + 1
    assert f["days_since_spring_festival"].iloc[0] == 15
    assert f["days_to_double_11"].max() == 15
    assert f["festival_window"].all()
    assert f["day_of_week"].iloc[0] == days[0].dayofweek
    assert set(f.columns) >= {"solar_term", "week_of_year", "month", "day_of_month"}


def test_weekly_features_flag_the_week_that_holds_the_festival() -> None:
    weeks = pd.date_range("2025-09-22", periods=4, freq="7D")  # Mondays; Mid-Autumn is Mon 2025-10-06
    f = calendar_features(weeks, freq="W")
    assert f["mid_autumn_in_period"].tolist() == [False, False, True, False]
    assert f["days_to_mid_autumn"].tolist() == [14, 7, 0, 15]
    assert "day_of_week" not in f.columns
    # the week of 2025-10-27 holds no festival; Double 11 is 15 days after its start
    late = calendar_features(["2025-10-27", "2025-11-10"], freq="W")
    assert late["double_11_in_period"].tolist() == [False, True]
    assert late["days_to_double_11"].tolist() == [15, 1]


def test_festival_window_is_false_far_from_every_festival() -> None:
    f = calendar_features(["2025-08-10", "2025-03-10"], freq="D", window=7)
    assert f["festival_window"].tolist() == [False, False]


def test_solar_term_index_changes_on_the_term_day() -> None:
    f = calendar_features(["2026-02-03", "2026-02-04", "2026-12-21", "2026-12-22", "2027-01-01"])
    assert f["solar_term"].tolist() == [1, 2, 22, 23, 23]


def test_features_keep_input_order_and_accept_many_date_types() -> None:
    as_strings = ["2025-10-06", "2024-02-10", "2025-10-06"]
    expected = calendar_features(as_strings)
    assert expected["mid_autumn_in_period"].tolist() == [True, False, True]
    assert expected["spring_festival_in_period"].tolist() == [False, True, False]
    as_dates = [dt.date.fromisoformat(s) for s in as_strings]
    pd.testing.assert_frame_equal(calendar_features(as_dates), expected)
    aware = pd.Series(pd.to_datetime(as_strings)).dt.tz_localize("Asia/Shanghai") + pd.Timedelta(hours=23)
    pd.testing.assert_frame_equal(calendar_features(aware), expected)
    pd.testing.assert_frame_equal(calendar_features(pd.DatetimeIndex(as_strings)), expected)
    assert calendar_features([]).empty


def test_features_are_vectorized_over_many_rows() -> None:
    days = pd.date_range("2020-01-01", periods=2000, freq="D")
    f = calendar_features(np.tile(days.to_numpy(), 30))
    assert len(f) == 60_000
    assert (f["days_to_spring_festival"] >= 0).all()
    assert f["month"].between(1, 12).all()


def test_feature_errors() -> None:
    with pytest.raises(InvalidParameterError, match="'freq' parameter of calendar_features"):
        calendar_features(["2025-01-01"], freq="M")
    with pytest.raises(InvalidParameterError, match="'window' parameter"):
        calendar_features(["2025-01-01"], window=-1)
    with pytest.raises(ValidationError, match="to_datetime"):
        calendar_features(["not a date"])
    with pytest.raises(ValidationError, match="NaT"):
        calendar_features([pd.NaT])
