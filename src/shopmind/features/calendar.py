"""The Chinese shopping calendar: lunar festivals, shopping festivals and the 24 solar terms.

Everything is computed per year from astronomy (Meeus, *Astronomical Algorithms*, ch. 25 and 49),
so no holiday table goes out of date:

* :func:`festival_dates` -- Spring Festival (春节, 正月初一), Qingming (清明, a solar term),
  Dragon Boat (端午, 五月初五), 618 (June 18), Mid-Autumn (中秋, 八月十五) and Double 11 (双十一,
  November 11) of one year.
* :func:`solar_terms` -- the 24 solar terms (二十四节气) of one year, as Beijing dates.
* :func:`calendar_features` -- vectorized model features for a column of dates (daily or weekly
  periods): days to and since each festival, festival flags, the solar term in effect, week of year
  and month.

Dates are Beijing civil dates: a lunar month starts on the Beijing date of its new moon and a solar
term falls on the Beijing date of the instant the Sun reaches its longitude. The Sun's position is
good to about 0.01 degree (a quarter of an hour), so a term that falls within minutes of Beijing
midnight could land on the neighbouring day; none does in 2020-2030.

Examples
--------
>>> festival_dates(2025)["dragon_boat"]
datetime.date(2025, 5, 31)
>>> [(zh, day.isoformat()) for zh, _, day in solar_terms(2026) if zh in ("立春", "清明", "冬至")]
[('立春', '2026-02-04'), ('清明', '2026-04-05'), ('冬至', '2026-12-22')]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import ValidationError, check_param

__all__ = [
    "FESTIVALS",
    "SOLAR_TERMS",
    "calendar_features",
    "dragon_boat_festival",
    "festival_dates",
    "lunar_new_year",
    "mid_autumn_festival",
    "solar_terms",
]

#: The festivals of :func:`festival_dates`, in calendar order; also the suffixes of the
#: ``days_to_*``, ``days_since_*`` and ``*_in_period`` columns of :func:`calendar_features`.
FESTIVALS: Final = ("spring_festival", "qingming", "618", "dragon_boat", "mid_autumn", "double_11")

#: The 24 solar terms in Gregorian-year order (小寒 in early January first): Chinese name, English
#: name and the apparent ecliptic longitude of the Sun in degrees at which the term begins.
SOLAR_TERMS: Final[tuple[tuple[str, str, float], ...]] = (
    ("小寒", "Minor Cold", 285.0),
    ("大寒", "Major Cold", 300.0),
    ("立春", "Start of Spring", 315.0),
    ("雨水", "Rain Water", 330.0),
    ("惊蛰", "Awakening of Insects", 345.0),
    ("春分", "Spring Equinox", 0.0),
    ("清明", "Pure Brightness", 15.0),
    ("谷雨", "Grain Rain", 30.0),
    ("立夏", "Start of Summer", 45.0),
    ("小满", "Grain Buds", 60.0),
    ("芒种", "Grain in Ear", 75.0),
    ("夏至", "Summer Solstice", 90.0),
    ("小暑", "Minor Heat", 105.0),
    ("大暑", "Major Heat", 120.0),
    ("立秋", "Start of Autumn", 135.0),
    ("处暑", "End of Heat", 150.0),
    ("白露", "White Dew", 165.0),
    ("秋分", "Autumn Equinox", 180.0),
    ("寒露", "Cold Dew", 195.0),
    ("霜降", "Frost's Descent", 210.0),
    ("立冬", "Start of Winter", 225.0),
    ("小雪", "Minor Snow", 240.0),
    ("大雪", "Major Snow", 255.0),
    ("冬至", "Winter Solstice", 270.0),
)

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_SYNODIC = 29.530588861
_DELTA_T = 69.0 / 86_400  # TT - UT around 2000-2040 in days; a minute's error moves no festival here
_TROPICAL_YEAR = 365.2422
_UNIX_JD = 2440587.5
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Periodic terms of the new-moon correction: coefficient, power of E, multiples of (M', M, F, Omega).
_NEW_MOON_TERMS: tuple[tuple[float, int, int, int, int, int], ...] = (
    (-0.40720, 0, 1, 0, 0, 0), (0.17241, 1, 0, 1, 0, 0), (0.01608, 0, 2, 0, 0, 0),
    (0.01039, 0, 0, 0, 2, 0), (0.00739, 1, 1, -1, 0, 0), (-0.00514, 1, 1, 1, 0, 0),
    (0.00208, 2, 0, 2, 0, 0), (-0.00111, 0, 1, 0, -2, 0), (-0.00057, 0, 1, 0, 2, 0),
    (0.00056, 1, 2, 1, 0, 0), (-0.00042, 0, 3, 0, 0, 0), (0.00042, 1, 0, 1, 2, 0),
    (0.00038, 1, 0, 1, -2, 0), (-0.00024, 1, 2, -1, 0, 0), (-0.00017, 0, 0, 0, 0, 1),
    (-0.00007, 0, 1, 2, 0, 0), (0.00004, 0, 2, 0, -2, 0), (0.00004, 0, 0, 3, 0, 0),
    (0.00003, 0, 1, 1, -2, 0), (0.00003, 0, 2, 0, 2, 0), (-0.00003, 0, 1, 1, 2, 0),
    (0.00003, 0, 1, -1, 2, 0), (-0.00002, 0, 1, -1, -2, 0), (-0.00002, 0, 3, 1, 0, 0),
    (0.00002, 0, 4, 0, 0, 0),
)  # fmt: skip


# --------------------------------------------------------------------------------------------------
# astronomy
# --------------------------------------------------------------------------------------------------


def _new_moon_jde(k: int) -> float:
    """Julian ephemeris day of the k-th new moon after 2000-01-06."""
    t = k / 1236.85
    jde = 2451550.09766 + _SYNODIC * k + 0.00015437 * t**2 - 0.000000150 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    m = math.radians(2.5534 + 29.10535670 * k - 0.0000014 * t**2 - 0.00000011 * t**3)
    mp = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3 - 0.000000058 * t**4)
    f = math.radians(160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4)
    om = math.radians(124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3)
    for coef, e_pow, a_mp, a_m, a_f, a_om in _NEW_MOON_TERMS:
        jde += coef * e**e_pow * math.sin(a_mp * mp + a_m * m + a_f * f + a_om * om)
    return jde


def _sun_longitude(jde: float) -> float:
    """Apparent ecliptic longitude of the Sun in degrees (accurate to about 0.01 degree)."""
    t = (jde - 2451545.0) / 36525
    l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t**2
    m = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t**2)
    c = (
        (1.914602 - 0.004817 * t - 0.000014 * t**2) * math.sin(m)
        + (0.019993 - 0.000101 * t) * math.sin(2 * m)
        + 0.000289 * math.sin(3 * m)
    )
    om = math.radians(125.04 - 1934.136 * t)
    return (l0 + c - 0.00569 - 0.00478 * math.sin(om)) % 360


def _jd(day: dt.date) -> float:
    return day.toordinal() - _EPOCH_ORDINAL + _UNIX_JD


def _beijing_date(jde: float) -> dt.date:
    days = jde - _DELTA_T - _UNIX_JD + 8 / 24  # Chinese calendar days start at Beijing midnight
    return dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(days))


def _solar_term(year: int, longitude: float, guess: dt.date) -> float:
    """The instant (JDE) the Sun reaches ``longitude`` near ``guess`` (month and day) in ``year``."""
    jde = _jd(guess.replace(year=year))
    for _ in range(6):
        jde += ((longitude - _sun_longitude(jde) + 180) % 360 - 180) * _TROPICAL_YEAR / 360
    return jde


def _month_start_containing(jde: float) -> dt.date:
    """First day of the lunar month whose span (Beijing dates) contains the instant ``jde``."""
    target = _beijing_date(jde)
    k = math.floor((jde - 2451550.09766) / _SYNODIC) + 1
    while _beijing_date(_new_moon_jde(k)) > target:
        k -= 1
    return _beijing_date(_new_moon_jde(k))


def _check_year(year: int, owner: str) -> None:
    check_param(
        owner,
        "year",
        year,
        isinstance(year, int | np.integer) and _MIN_YEAR <= int(year) <= _MAX_YEAR,
        f"an int in {_MIN_YEAR}..{_MAX_YEAR}",
    )


# --------------------------------------------------------------------------------------------------
# festivals and solar terms of one year
# --------------------------------------------------------------------------------------------------


def lunar_new_year(year: int) -> dt.date:
    """Return the date of the Spring Festival (农历正月初一) in ``year``.

    The first lunar month is the one containing the solar term 雨水 (sun at 330 degrees); it starts
    on the Beijing date of its new moon.

    Parameters
    ----------
    year : int
        Gregorian year, reliable for 1900-2100 except where the calendar itself is disputed.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> lunar_new_year(2026)
    datetime.date(2026, 2, 17)
    """
    return _month_start_containing(_solar_term(year, 330.0, dt.date(2000, 2, 19)))


def dragon_boat_festival(year: int) -> dt.date:
    """Return the date of the Dragon Boat Festival (端午, 农历五月初五) in ``year``.

    The fifth lunar month is the one containing the summer solstice (夏至, sun at 90 degrees).

    Parameters
    ----------
    year : int
        Gregorian year.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> dragon_boat_festival(2025)
    datetime.date(2025, 5, 31)
    """
    start = _month_start_containing(_solar_term(year, 90.0, dt.date(2000, 6, 21)))
    return start + dt.timedelta(days=4)


def mid_autumn_festival(year: int) -> dt.date:
    """Return the date of the Mid-Autumn Festival (农历八月十五) in ``year``.

    The eighth lunar month is the one containing the autumnal equinox (秋分, sun at 180 degrees).

    Parameters
    ----------
    year : int
        Gregorian year.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> mid_autumn_festival(2025)
    datetime.date(2025, 10, 6)
    """
    start = _month_start_containing(_solar_term(year, 180.0, dt.date(2000, 9, 23)))
    return start + dt.timedelta(days=14)


@lru_cache(maxsize=512)
def _solar_terms(year: int) -> tuple[tuple[str, str, dt.date], ...]:
    out = []
    for i, (zh, en, longitude) in enumerate(SOLAR_TERMS):
        guess = dt.date(2001, 1, 6) + dt.timedelta(days=round(i * _TROPICAL_YEAR / 24))
        out.append((zh, en, _beijing_date(_solar_term(year, longitude, guess))))
    return tuple(out)


def solar_terms(year: int) -> list[tuple[str, str, dt.date]]:
    """Return the 24 solar terms (二十四节气) of ``year`` as Beijing dates.

    Parameters
    ----------
    year : int
        Gregorian year, 1900..2100.

    Returns
    -------
    list of (str, str, datetime.date)
        ``(name_zh, name_en, date)`` in date order, from 小寒 (early January) to 冬至 (December).

    Raises
    ------
    InvalidParameterError
        If ``year`` is not an int in 1900..2100.

    Examples
    --------
    >>> zh, en, day = solar_terms(2026)[2]
    >>> zh, en, day.isoformat()
    ('立春', 'Start of Spring', '2026-02-04')
    """
    _check_year(year, "solar_terms")
    return list(_solar_terms(int(year)))


@lru_cache(maxsize=512)
def _festival_dates(year: int) -> tuple[tuple[str, dt.date], ...]:
    qingming = next(day for zh, _, day in _solar_terms(year) if zh == "清明")
    return (
        ("spring_festival", lunar_new_year(year)),
        ("qingming", qingming),
        ("618", dt.date(year, 6, 18)),
        ("dragon_boat", dragon_boat_festival(year)),
        ("mid_autumn", mid_autumn_festival(year)),
        ("double_11", dt.date(year, 11, 11)),
    )


def festival_dates(year: int) -> dict[str, dt.date]:
    """Return the dates of the festivals that move Chinese online sales in ``year``.

    Parameters
    ----------
    year : int
        Gregorian year, 1900..2100.

    Returns
    -------
    dict of str to datetime.date
        Keyed by :data:`FESTIVALS`: ``spring_festival`` (春节, 正月初一), ``qingming`` (清明, the
        solar term), ``618`` (June 18, JD.com's anniversary sale), ``dragon_boat`` (端午, 五月初五),
        ``mid_autumn`` (中秋, 八月十五) and ``double_11`` (双十一, November 11).

    Raises
    ------
    InvalidParameterError
        If ``year`` is not an int in 1900..2100.

    Examples
    --------
    >>> {k: v.isoformat() for k, v in festival_dates(2024).items()}["spring_festival"]
    '2024-02-10'
    """
    _check_year(year, "festival_dates")
    return dict(_festival_dates(int(year)))


# --------------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------------

_PERIOD_DAYS: Final = {"D": 1, "W": 7}


def _day_numbers(dates: Any) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of each date (timezone-aware timestamps use their own wall clock)."""
    try:
        if isinstance(dates, pd.DatetimeIndex):
            index = dates
        else:
            series = dates if isinstance(dates, pd.Series) else pd.Series(list(dates), dtype=object)
            if not pd.api.types.is_datetime64_any_dtype(series):
                series = pd.to_datetime(series, errors="raise")
            index = pd.DatetimeIndex(series)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"calendar_features needs dates (datetime.date, Timestamp or ISO strings); {exc}. "
            "Convert the column with pandas.to_datetime first."
        ) from exc
    if index.hasnans:
        raise ValidationError("calendar_features got a missing date (NaT); drop or fill it first.")
    if index.tz is not None:
        index = index.tz_localize(None)
    days = index.normalize().to_numpy(dtype="datetime64[D]").astype(np.int64)
    return np.asarray(days, dtype=np.int64)


def _event_days(years: Iterable[int], name: str) -> npt.NDArray[np.int64]:
    days = [_festival_dates(y)[FESTIVALS.index(name)][1].toordinal() - _EPOCH_ORDINAL for y in years]
    return np.asarray(sorted(days), dtype=np.int64)


def calendar_features(dates: Any, freq: str = "D", window: int = 14) -> pd.DataFrame:
    """Festival and solar-term features for a column of dates (vectorized).

    Parameters
    ----------
    dates : array-like of date-like
        Dates (``datetime.date``, ``Timestamp``, ``datetime64`` or ISO strings); repeated dates are
        computed once. With ``freq="W"`` each date is the first day of a 7-day period.
    freq : {"D", "W"}, default "D"
        Daily or weekly periods.
    window : int, default 14
        Days: distances beyond it are capped at ``window + 1`` ("not near"), and
        ``festival_window`` flags periods within ``window`` days of a festival.

    Returns
    -------
    pandas.DataFrame
        One row per input date, in input order (a ``RangeIndex``), with columns

        * ``days_to_<festival>`` -- days from the period start to the next occurrence (0 when it
          is that day), capped at ``window + 1``; one per name in :data:`FESTIVALS`;
        * ``days_since_<festival>`` -- days since the last occurrence on or before the period
          start, capped at ``window + 1``;
        * ``<festival>_in_period`` -- the festival falls inside the period (that day, or that week);
        * ``festival_window`` -- some festival is within ``window`` days before or after the period;
        * ``solar_term`` -- index 0..23 into :data:`SOLAR_TERMS` of the term in effect at the
          period start (0 = 小寒, 23 = 冬至);
        * ``week_of_year`` (ISO, 1..53) and ``month`` (1..12) of the period start;
        * with ``freq="D"`` also ``day_of_week`` (0 = Monday) and ``day_of_month``.

    Raises
    ------
    InvalidParameterError
        If ``freq`` or ``window`` is out of range.
    ValidationError
        If a date cannot be parsed or is missing.

    Examples
    --------
    >>> f = calendar_features(["2025-01-27", "2025-02-03"], freq="W")
    >>> f[["days_to_spring_festival", "spring_festival_in_period", "festival_window"]].to_dict("list")
    {'days_to_spring_festival': [2, 15], 'spring_festival_in_period': [True, False], 'festival_window': [True, True]}
    """
    check_param("calendar_features", "freq", freq, freq in _PERIOD_DAYS, 'one of "D", "W"')
    check_param(
        "calendar_features",
        "window",
        window,
        isinstance(window, int | np.integer) and not isinstance(window, bool) and window >= 0,
        "an int >= 0",
    )
    all_days = _day_numbers(dates)
    if len(all_days) == 0:
        days = all_days
        inverse = all_days
    else:
        days, inverse = np.unique(all_days, return_inverse=True)
    period = _PERIOD_DAYS[freq]
    cap = int(window) + 1
    out: dict[str, npt.NDArray[Any]] = {}
    if len(days):
        first = (dt.date(1970, 1, 1) + dt.timedelta(days=int(days[0]))).year
        last = (dt.date(1970, 1, 1) + dt.timedelta(days=int(days[-1]))).year
        check_param(
            "calendar_features",
            "dates",
            f"{first}..{last}",
            first > _MIN_YEAR and last < _MAX_YEAR,
            f"within {_MIN_YEAR + 1}..{_MAX_YEAR - 1}",
        )
        years = range(first - 1, last + 2)
    else:
        years = range(2000, 2001)
    near = np.zeros(len(days), dtype=bool)
    for name in FESTIVALS:
        events = _event_days(years, name)
        nxt = events[np.searchsorted(events, days, side="left")]
        prev = events[np.searchsorted(events, days, side="right") - 1]
        to = nxt - days
        since = days - prev
        out[f"days_to_{name}"] = np.minimum(to, cap)
        out[f"days_since_{name}"] = np.minimum(since, cap)
        out[f"{name}_in_period"] = to < period
        near |= (to <= window + period - 1) | (since <= window)
    out["festival_window"] = near
    term_days = np.asarray(
        [d.toordinal() - _EPOCH_ORDINAL for y in years for _, _, d in _solar_terms(y)], dtype=np.int64
    )
    position = np.searchsorted(term_days, days, side="right") - 1
    out["solar_term"] = (position % len(SOLAR_TERMS)).astype(np.int64)
    stamps = pd.DatetimeIndex(days.astype("datetime64[D]"))
    out["week_of_year"] = stamps.isocalendar()["week"].to_numpy(dtype=np.int64)
    out["month"] = stamps.month.to_numpy(dtype=np.int64)
    if freq == "D":
        out["day_of_week"] = stamps.dayofweek.to_numpy(dtype=np.int64)
        out["day_of_month"] = stamps.day.to_numpy(dtype=np.int64)
    frame = pd.DataFrame({k: v[inverse] for k, v in out.items()})
    for name, values in out.items():
        if values.dtype == np.int64:
            frame[name] = frame[name].astype(np.int64)
    return frame
