"""Demand forecasting on real data: a rolling-origin backtest on Dominick's orange juice.

Data: Dominick's refrigerated orange juice (:func:`shopmind.datasets.real.load_orange_juice`; 83
stores x 11 brands, 913 store-brand series, 121 weeks from 1990-06-14 to 1992-10-01): weekly units
(cartons), the shelf price per carton and the in-store ``deal`` and ``feature`` flags. 3.3% of the
store-brand-weeks are missing inside the series; they are filled for training (units linearly
interpolated, last price, no deal, no feature) and never scored.

Origins: the same for every system, global calendar dates. Horizon 12: ``--windows-12`` origins
(default 3) 12 weeks apart, the last one 12 weeks before the end, so the windows cover the last 36
weeks (the first origin leaves 85 weeks of history). Horizon 4: ``--windows-4`` origins (default 3)
4 weeks apart over the last 12 weeks. Each system is fitted at each origin on the weeks up to it
and forecasts the next ``h`` weeks; the systems with exogenous inputs get the actual future price,
deal and feature of those weeks (a store plans its prices and promotions ahead).

Systems:

- ``shopmind``: :class:`shopmind.forecast.models.Forecaster` (weekly, season 52, ``horizon=h``,
  two cross-validation windows, ``min_train=52``) with ``ml=MLCandidate(horizon=h)``: per series
  it picks the candidate (SeasonalNaive, AutoETS, AutoTheta, AutoARIMA where gated in, the
  LightGBM model) with the lowest cross-validated MASE.
- ``shopmind-ml``: :class:`shopmind.forecast.ml.MLCandidate` alone (LightGBM over lags, price,
  deal, feature and the calendar); ``shopmind-ml (no calendar)`` is the same without the Chinese
  calendar features (a Chicago chain in 1990-92 keeps none of those festivals).
- ``seasonal-naive``, ``autoets``, ``autoarima``: statsforecast's SeasonalNaive(52),
  AutoETS(season_length=52) and AutoARIMA(season_length=52) on every series, with their own
  intervals. (statsforecast's ETS has no seasonal state longer than 24, so AutoETS is non-seasonal
  here, as it would be for any user.)
- ``prophet``: Prophet's defaults with ``price``, ``deal`` and ``feature`` added through
  ``add_regressor`` (its documented way), intervals from ``predictive_samples`` (1,000 draws);
  skipped, with the reason, when ``prophet`` does not import. ``--prophet off`` skips it.

Forecasts and interval bounds of every system are clipped at zero (sales cannot be negative).

Metrics per system and horizon, on observed weeks only: ``mase`` (mean absolute error of a series
over a window, scaled by the mean absolute error of its in-sample seasonal naive forecast (lag 52)
on the observed weeks before the origin, then averaged over series and windows; series with fewer
than 65 weeks of history at an origin are scaled by the lag-1 naive error instead, and
``mase_scaled_lag1`` counts them), ``wape`` (sum of absolute errors over sum of actuals), ``bias``
(sum of forecast minus actual over sum of actuals), ``coverage80``/``coverage95`` (share of actuals
inside the 80%/95% interval), and the same MASE and WAPE on deal weeks only (``mase_deal``,
``wape_deal``: per series and window, the mean absolute error over its deal weeks, same scale).
``fit_s`` is the wall time of fitting and forecasting at all origins of that horizon.

``--quick`` takes 3 stores (33 series) and one origin per horizon: a smoke test, not evidence.

Run from the project root: ``.venv/bin/python benchmarks/forecast_backtest.py [--quick] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _bench import machine, shopmind_commit
from shopmind.datasets.real import load_orange_juice
from shopmind.forecast.ml import MLCandidate
from shopmind.forecast.new_products import SimilarProductForecaster

RESULTS = Path(__file__).resolve().parent / "results" / "forecast_backtest.json"
SEASON = 52
LEVELS = (80, 95)
HORIZONS = (12, 4)
MIN_SEASONAL_SCALE = SEASON + 13  # weeks of history before the lag-52 scale is used
QUICK_STORES = 3
DEFAULT_WINDOWS = 2
N_JOBS = 2
Forecast = pd.DataFrame  # unique_id, ds, mean, lo_80, hi_80, lo_95, hi_95
#: Models chosen by shopmind's Forecaster, summed over the origins of the current run.
SELECTION: dict[str, int] = {}
System = Callable[[pd.DataFrame, pd.DataFrame, int], pd.DataFrame]


# -- data ----------------------------------------------------------------------------------------------------
def load_panel(stores: int | None = None) -> pd.DataFrame:
    """Regular weekly series ``unique_id, ds, y, price, deal, feature, observed`` (gaps filled)."""
    sales = load_orange_juice()["sales"]
    frame = pd.DataFrame(
        {
            "unique_id": sales["sku"].str.replace("oj-brand-", "b", regex=False)
            + "|"
            + sales["location_id"].str.replace("store-", "s", regex=False),
            "store": sales["location_id"],
            "ds": pd.to_datetime(sales["period_start"]),
            "y": sales["units"].astype(np.float64),
            "price": sales["price"].astype(np.float64),
            "deal": sales["deal"].astype(bool),
            "feature": sales["feature"].astype(bool),
        }
    )
    if stores is not None:
        keep = sorted(frame["store"].unique(), key=lambda s: int(s.split("-")[1]))[:stores]
        frame = frame[frame["store"].isin(keep)]
    frame = frame.drop(columns="store").sort_values(["unique_id", "ds"])
    pieces = []
    for uid, g in frame.groupby("unique_id", sort=True):
        weeks = pd.date_range(g["ds"].min(), g["ds"].max(), freq="7D")
        g = g.set_index("ds").reindex(weeks)
        g["observed"] = g["y"].notna()
        g["unique_id"] = uid
        g["y"] = g["y"].interpolate()
        g["price"] = g["price"].ffill()
        g["deal"] = g["deal"].astype("boolean").fillna(False).astype(bool)
        g["feature"] = g["feature"].astype("boolean").fillna(False).astype(bool)
        pieces.append(g.rename_axis("ds").reset_index())
    panel = pd.concat(pieces, ignore_index=True)
    return panel[["unique_id", "ds", "y", "price", "deal", "feature", "observed"]]


def origins(panel: pd.DataFrame, h: int, n_windows: int) -> list[pd.Timestamp]:
    """Cutoff dates: the last is ``h`` weeks before the data's end, the others ``h`` weeks apart."""
    end = panel["ds"].max()
    return [end - pd.Timedelta(weeks=h * k) for k in range(n_windows, 0, -1)]


# -- systems -------------------------------------------------------------------------------------------------
def _clip(fc: pd.DataFrame) -> pd.DataFrame:
    cols = ["mean", *[f"{s}_{lv}" for lv in LEVELS for s in ("lo", "hi")]]
    fc = fc.copy()
    fc[cols] = fc[cols].astype(np.float64).clip(lower=0.0)
    return fc[["unique_id", "ds", *cols]]


def run_shopmind(train: pd.DataFrame, future: pd.DataFrame, h: int) -> pd.DataFrame:
    from shopmind.forecast.models import Forecaster

    model = Forecaster(
        freq="W",
        season_length=SEASON,
        horizon=h,
        level=LEVELS,
        n_windows=2,
        ml=MLCandidate(freq="W", horizon=h, level=LEVELS),
        n_jobs=N_JOBS,
        min_train=SEASON,
    )
    model.fit(train)
    fc = model.predict(h, future_exog=future)
    counts = model.selection_["model"].value_counts()
    for key, count in counts.items():
        SELECTION[str(key)] = SELECTION.get(str(key), 0) + int(count)
    return _clip(fc)


def run_ml(calendar: bool) -> System:
    def run(train: pd.DataFrame, future: pd.DataFrame, h: int) -> pd.DataFrame:
        model = MLCandidate(freq="W", horizon=h, level=LEVELS, calendar=calendar).fit(train)
        fc = model.predict(h, X_df=future)
        return _clip(_from_wide(fc, model.name))

    return run


def _from_wide(fc: pd.DataFrame, name: str) -> pd.DataFrame:
    out = pd.DataFrame({"unique_id": fc["unique_id"], "ds": pd.to_datetime(fc["ds"]), "mean": fc[name]})
    for lv in LEVELS:
        out[f"lo_{lv}"] = fc[f"{name}-lo-{lv}"]
        out[f"hi_{lv}"] = fc[f"{name}-hi-{lv}"]
    return out


def run_stat(model_name: str) -> System:
    def run(train: pd.DataFrame, future: pd.DataFrame, h: int) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast import models as sm

        if model_name == "SeasonalNaive":
            model: Any = sm.SeasonalNaive(season_length=SEASON)
        elif model_name == "AutoETS":
            model = sm.AutoETS(season_length=SEASON)
        else:
            model = sm.AutoARIMA(season_length=SEASON)
        sf = StatsForecast(models=[model], freq="7D", n_jobs=N_JOBS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = sf.forecast(df=train[["unique_id", "ds", "y"]], h=h, level=list(LEVELS))
        return _clip(_from_wide(fc.reset_index(drop="unique_id" in fc.columns), model_name))

    return run


def _prophet_chunk(args: tuple[list[pd.DataFrame], list[pd.DataFrame], int]) -> list[pd.DataFrame]:
    trains, futures, seed = args
    with _quiet():
        from prophet import Prophet

        for logger in ("prophet", "cmdstanpy"):
            logging.getLogger(logger).setLevel(logging.ERROR)
        out = []
        for train, future in zip(trains, futures, strict=True):
            np.random.seed(seed)
            model = Prophet(uncertainty_samples=1000)
            for col in ("price", "deal", "feature"):
                model.add_regressor(col)
            model.fit(train)
            model.uncertainty_samples = 0  # the point forecast without sampling
            point = model.predict(future)["yhat"].to_numpy()
            model.uncertainty_samples = 1000
            samples = model.predictive_samples(future)["yhat"]
            fc = pd.DataFrame({"unique_id": train["unique_id"].iloc[0], "ds": future["ds"], "mean": point})
            for lv in LEVELS:
                a = (100 - lv) / 200
                fc[f"lo_{lv}"] = np.quantile(samples, a, axis=1)
                fc[f"hi_{lv}"] = np.quantile(samples, 1 - a, axis=1)
            out.append(fc)
        return out


def run_prophet(train: pd.DataFrame, future: pd.DataFrame, h: int) -> pd.DataFrame:
    cols = ["ds", "price", "deal", "feature"]
    trains, futures = [], []
    fut: dict[Any, pd.DataFrame] = dict(list(future.groupby("unique_id", sort=False)))
    for uid, g in train.groupby("unique_id", sort=True):
        if uid not in fut:
            continue
        t = g[["unique_id", *cols, "y"]].copy()
        t[["deal", "feature"]] = t[["deal", "feature"]].astype(np.float64)
        f = fut[uid][cols].copy()
        f[["deal", "feature"]] = f[["deal", "feature"]].astype(np.float64)
        trains.append(t)
        futures.append(f.reset_index(drop=True))
    chunks = [(trains[i :: N_JOBS * 4], futures[i :: N_JOBS * 4], 0) for i in range(N_JOBS * 4)]
    with ProcessPoolExecutor(max_workers=N_JOBS) as pool:
        parts = [fc for part in pool.map(_prophet_chunk, chunks) for fc in part]
    return _clip(pd.concat(parts, ignore_index=True))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Prophet's and cmdstanpy's log lines and warnings."""
    loggers = [logging.getLogger(n) for n in ("prophet", "cmdstanpy", "prophet.plot")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def prophet_available() -> tuple[bool, str]:
    if importlib.util.find_spec("prophet") is None:
        return False, "prophet is not installed (pip install -e '.[bench]')"
    try:
        with _quiet():
            importlib.import_module("prophet")
    except Exception as exc:  # a broken Stan backend fails at import
        return False, f"prophet does not import: {exc}"
    return True, ""


# -- metrics -------------------------------------------------------------------------------------------------
def _scales(train: pd.DataFrame) -> pd.DataFrame:
    """Per series: the in-sample naive MAE (lag 52 with enough history, else lag 1) on observed weeks."""
    rows = []
    for uid, g in train.groupby("unique_id", sort=False):
        y = g["y"].to_numpy(np.float64)
        obs = g["observed"].to_numpy(bool)
        lag = SEASON if len(y) >= MIN_SEASONAL_SCALE else 1
        both = obs[lag:] & obs[:-lag]
        diff = np.abs(y[lag:] - y[:-lag])[both]
        scale = float(diff.mean()) if diff.size and diff.mean() > 0 else float(np.mean(np.abs(y)) or 1.0)
        rows.append((uid, scale, lag))
    return pd.DataFrame(rows, columns=["unique_id", "scale", "scale_lag"])


def score(scored: pd.DataFrame) -> dict[str, Any]:
    """Metrics over the observed weeks of all windows (``scored``: forecasts joined with actuals)."""
    s = scored[scored["observed"]].copy()
    s["ae"] = (s["mean"] - s["y"]).abs()
    out: dict[str, Any] = {}
    keys = ["unique_id", "cutoff"]
    per = s.groupby(keys).agg(mae=("ae", "mean"), scale=("scale", "first"), lag=("scale_lag", "first"))
    out["mase"] = float((per["mae"] / per["scale"]).mean())
    out["wape"] = float(s["ae"].sum() / s["y"].sum())
    out["bias"] = float((s["mean"] - s["y"]).sum() / s["y"].sum())
    for lv in LEVELS:
        inside = (s["y"] >= s[f"lo_{lv}"]) & (s["y"] <= s[f"hi_{lv}"])
        out[f"coverage{lv}"] = float(inside.mean())
    d = s[s["deal"]]
    per_deal = d.groupby(keys).agg(mae=("ae", "mean"), scale=("scale", "first"))
    out["mase_deal"] = float((per_deal["mae"] / per_deal["scale"]).mean())
    out["wape_deal"] = float(d["ae"].sum() / d["y"].sum())
    out["points"] = len(s)
    out["deal_points"] = len(d)
    out["series_windows"] = len(per)
    out["mase_scaled_lag1"] = int((per["lag"] == 1).sum())
    return out


def backtest(
    panel: pd.DataFrame, system: System, h: int, cutoffs: list[pd.Timestamp]
) -> tuple[pd.DataFrame, float]:
    """Fit and forecast at every origin; forecasts joined with actuals, scales and deal flags."""
    pieces, seconds = [], 0.0
    inputs = ["unique_id", "ds", "y", "price", "deal", "feature"]
    for cutoff in cutoffs:
        test = panel[(panel["ds"] > cutoff) & (panel["ds"] <= cutoff + pd.Timedelta(weeks=h))]
        train = panel[(panel["ds"] <= cutoff) & panel["unique_id"].isin(set(test["unique_id"]))]
        future = test[["unique_id", "ds", "price", "deal", "feature"]]
        t0 = time.perf_counter()
        fc = system(train[inputs].reset_index(drop=True), future.reset_index(drop=True), h)
        seconds += time.perf_counter() - t0
        fc["unique_id"] = fc["unique_id"].astype(str)
        fc["ds"] = pd.to_datetime(fc["ds"])
        joined = test.merge(fc, on=["unique_id", "ds"], how="left")
        if joined["mean"].isna().any():
            missing = joined.loc[joined["mean"].isna(), "unique_id"].iloc[0]
            raise RuntimeError(f"no forecast for {missing} at {cutoff.date()}")
        joined["cutoff"] = cutoff
        joined["step"] = (joined["ds"] - cutoff).dt.days // 7
        pieces.append(joined.merge(_scales(train), on="unique_id", how="left"))
    return pd.concat(pieces, ignore_index=True), seconds


# -- new products ------------------------------------------------------------------------------------------
def new_product_rows(panel: pd.DataFrame, cutoff: pd.Timestamp, h: int) -> list[dict[str, Any]]:
    """Each series forecast as if it were new (leave-one-out) for the ``h`` weeks after ``cutoff``."""
    products = load_orange_juice()["products"]
    size = {
        str(sku).replace("oj-brand-", "b"): attributes["size_oz"]
        for sku, attributes in zip(products["sku"], products["attributes"], strict=True)
    }
    train = panel[panel["ds"] <= cutoff]
    test = panel[(panel["ds"] > cutoff) & (panel["ds"] <= cutoff + pd.Timedelta(weeks=h))]
    ids = sorted(set(train["unique_id"]) & set(test["unique_id"]))
    table = pd.DataFrame(
        {
            "sku": ids,
            "category": "refrigerated/juice/orange",
            "attributes": [
                {"brand": u.split("|")[0], "size_oz": size[u.split("|")[0]], "store": u.split("|")[1]}
                for u in ids
            ],
            "price": train.groupby("unique_id")["price"].median().reindex(ids).to_numpy(),
        }
    )
    scales = _scales(train)
    rows = []
    t0 = time.perf_counter()
    model = SimilarProductForecaster(freq="W", horizon=h, level=LEVELS).fit(
        train[["unique_id", "ds", "y"]], table
    )
    fc = model.predict(table, h=h)
    seconds = time.perf_counter() - t0
    recent = train.groupby("unique_id")["y"].apply(lambda y: float(y.tail(8).mean())).reindex(ids)
    total = float(recent.sum())
    baselines = {
        # the mean recent weekly sales of all other series: what a shop knows without neighbours
        "category-mean": {u: (total - recent[u]) / (len(ids) - 1) for u in ids},
        # not a new product at all: the series' own last-8-week mean (what history is worth)
        "own-history-level (reference)": recent.to_dict(),
    }
    systems = {"shopmind-similar-products": fc[["unique_id", "ds", "mean", *fc.columns[3:-1]]]}
    for name, level in baselines.items():
        systems[name] = test[["unique_id", "ds"]].assign(mean=test["unique_id"].map(level))
    for name, frame in systems.items():
        joined = test.merge(frame, on=["unique_id", "ds"], how="left").merge(scales, on="unique_id")
        joined["cutoff"] = cutoff
        for lv in LEVELS:
            if f"lo_{lv}" not in joined:
                joined[f"lo_{lv}"] = np.nan
                joined[f"hi_{lv}"] = np.nan
        metrics = _rounded(score(joined))
        if name != "shopmind-similar-products":
            metrics["coverage80"] = metrics["coverage95"] = None
        row = {"system": name, "horizon": h, **metrics}
        if name == "shopmind-similar-products":
            row["fit_s"] = round(seconds, 2)
            row["loo_wape_at_fit"] = round(model.loo_wape_, 4)
        rows.append(row)
    return rows


# -- output --------------------------------------------------------------------------------------------------
_COLUMNS = (
    "system",
    "mase",
    "wape",
    "bias",
    "coverage80",
    "coverage95",
    "mase_deal",
    "wape_deal",
    "fit_s",
)


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "bias":
        return f"{value:+.1%}"
    if key.startswith(("wape", "coverage")):
        return f"{value:.1%}"
    if key.startswith("mase"):
        return f"{value:.3f}"
    if key.endswith("_s"):
        return f"{value:,.0f}"
    return str(value)


def print_tables(rows: list[dict[str, Any]], new_rows: list[dict[str, Any]], caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    for h in HORIZONS:
        table = Table(title=f"Dominick's orange juice, horizon {h} weeks")
        for key in _COLUMNS:
            table.add_column(key, justify="left" if key == "system" else "right")
        for r in rows:
            if r["horizon"] != h:
                continue
            if "skipped" in r:
                table.add_row(r["system"], *["-"] * (len(_COLUMNS) - 1))
            else:
                table.add_row(*(_fmt(k, r.get(k)) for k in _COLUMNS))
        console.print(table)
    table = Table(
        title="New products: each store-brand forecast from its neighbours as if it had no history "
        f"(last origin, {max(HORIZONS)} weeks)",
        caption=caption,
    )
    for key in _COLUMNS[:-1]:
        table.add_column(key, justify="left" if key == "system" else "right")
    for r in new_rows:
        table.add_row(*(_fmt(k, r.get(k)) for k in _COLUMNS[:-1]))
    console.print(table)


def goals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's two goals, per horizon, with the margins."""
    out: dict[str, Any] = {}
    singles = ("seasonal-naive", "autoets", "autoarima", "prophet")
    univariate = ("seasonal-naive", "autoets", "autoarima")
    for h in HORIZONS:
        by = {r["system"]: r for r in rows if r["horizon"] == h and "skipped" not in r}
        shop = by["shopmind"]
        peers = {k: by[k]["mase"] for k in singles if k in by}
        best_peer = min(peers, key=lambda k: peers[k])
        uni = {k: by[k]["mase_deal"] for k in univariate if k in by}
        best_uni = min(uni, key=lambda k: uni[k])
        ml = by["shopmind-ml"]
        out[f"h{h}"] = {
            "shopmind_beats_every_single_model_on_mase": shop["mase"] < peers[best_peer],
            "best_single_model": best_peer,
            "mase_shopmind_over_best_single": round(shop["mase"] / peers[best_peer], 3),
            "mase_shopmind_over_shopmind_ml": round(shop["mase"] / ml["mase"], 3),
            "ml_beats_univariate_on_deal_weeks": ml["mase_deal"] < uni[best_uni],
            "best_univariate_on_deal_weeks": best_uni,
            "mase_deal_ml_over_best_univariate": round(ml["mase_deal"] / uni[best_uni], 3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_STORES} stores and one origin: a smoke test."
    )
    parser.add_argument("--stores", type=int, help="Use only the first N stores (default: all 83).")
    parser.add_argument("--windows", type=int, help="Origins, 12 weeks apart (default 2; 1 with --quick).")
    parser.add_argument(
        "--prophet",
        choices=("auto", "off"),
        default="auto",
        help="Run Prophet when it imports (auto) or not.",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)
    stores = args.stores if args.stores is not None else (QUICK_STORES if args.quick else None)
    n_windows = args.windows if args.windows is not None else (1 if args.quick else DEFAULT_WINDOWS)
    started = time.perf_counter()

    panel = load_panel(stores)
    cutoffs = origins(panel, max(HORIZONS), n_windows)
    notes: list[str] = []
    # (name, system, run once per horizon?) -- the univariate models' forecasts do not depend on h,
    # so their 12-week forecasts are scored at both horizons (the first 4 weeks for h=4).
    systems: list[tuple[str, System | None, bool, str]] = [
        ("shopmind", run_shopmind, True, ""),
        ("shopmind-ml", run_ml(calendar=True), True, ""),
        ("shopmind-ml (no calendar)", run_ml(calendar=False), True, ""),
        ("seasonal-naive", run_stat("SeasonalNaive"), False, ""),
        ("autoets", run_stat("AutoETS"), False, ""),
        ("autoarima", run_stat("AutoARIMA"), False, ""),
    ]
    available, why = prophet_available()
    if args.prophet == "off":
        systems.append(("prophet", None, False, "--prophet off"))
    elif not available:
        systems.append(("prophet", None, False, why))
    else:
        systems.append(("prophet", run_prophet, False, ""))

    rows: list[dict[str, Any]] = []
    selection: dict[str, Any] = {}
    for name, system, per_horizon, skip in systems:
        if system is None:
            rows.extend({"system": name, "horizon": h, "skipped": skip} for h in HORIZONS)
            notes.append(f"{name} skipped: {skip}")
            continue
        if per_horizon:
            for h in HORIZONS:
                print(f"{name}: h={h}, {len(cutoffs)} origin(s) ...", flush=True)
                scored, seconds = backtest(panel, system, h, cutoffs)
                rows.append(
                    {"system": name, "horizon": h, **_rounded(score(scored)), "fit_s": round(seconds, 1)}
                )
                if name == "shopmind":
                    selection[f"h{h}"] = dict(SELECTION)
                    SELECTION.clear()
        else:
            print(f"{name}: h={max(HORIZONS)}, {len(cutoffs)} origin(s) ...", flush=True)
            scored, seconds = backtest(panel, system, max(HORIZONS), cutoffs)
            for h in HORIZONS:
                part = scored[scored["step"] <= h]
                rows.append(
                    {"system": name, "horizon": h, **_rounded(score(part)), "fit_s": round(seconds, 1)}
                )
    rows.sort(key=lambda r: (-r["horizon"], [s[0] for s in systems].index(r["system"])))
    print("new products: leave-one-out at the last origin ...", flush=True)
    new_rows = new_product_rows(panel, cutoffs[-1], max(HORIZONS))
    elapsed = time.perf_counter() - started
    result_goals = goals(rows)

    n_series = panel["unique_id"].nunique()
    data = (
        f"Dominick's orange juice (bayesm orangeJuice via shopmind.datasets.real.load_orange_juice): "
        f"{n_series} store-brand series ({panel['unique_id'].str.split('|').str[1].nunique()} stores x 11 brands), "
        f"weekly {panel['ds'].min().date()}..{panel['ds'].max().date()}; {int((~panel['observed']).sum())} "
        "missing weeks inside series filled for training (interpolated units, last price, no deal) and "
        f"not scored. Origins (global dates): {', '.join(str(c.date()) for c in cutoffs)}; each system "
        f"fitted at each origin and scored on the next 12 weeks (h=12) and the next 4 (h=4). Systems "
        "with exogenous inputs get the actual future price, deal and feature flags."
    )
    notes.append(
        "seasonal-naive, autoets, autoarima and prophet forecasts do not depend on the horizon: their "
        "12-week forecasts are scored at both horizons and fit_s is that one run; shopmind and "
        "shopmind-ml are fitted separately for h=4 (selection and intervals calibrated for 4 weeks)."
    )
    notes.append(
        "MASE scale: in-sample seasonal naive (lag 52) on observed weeks; series-windows with fewer "
        f"than {MIN_SEASONAL_SCALE} weeks of history use lag-1 naive (count in mase_scaled_lag1)."
    )
    result = {
        "benchmark": "forecast_backtest",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": data,
        "quick": args.quick,
        "stores": stores,
        "windows": len(cutoffs),
        "origins": [str(c.date()) for c in cutoffs],
        "horizons": list(HORIZONS),
        "run_s": round(elapsed, 1),
        "notes": notes,
        "goals": result_goals,
        "selection": selection,
        "rows": rows,
        "new_products": new_rows,
    }
    caption = "\n".join(
        [*notes[-3:], f"{n_series} series, {len(cutoffs)} origin(s); whole run {elapsed:.0f} s"]
    )
    print_tables(rows, new_rows, caption)
    for key, g in result_goals.items():
        print(f"{key}: {g}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


def _rounded(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


if __name__ == "__main__":
    raise SystemExit(main())
