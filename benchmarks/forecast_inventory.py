"""Inventory simulation: shopmind's perishable-aware policy against naive reorder rules, replayed on real weeks.

Two replays (:func:`shopmind.forecast.simulate.simulate`), every policy starting from the same stock:

- **Dominick's orange juice** (:func:`shopmind.datasets.real.load_orange_juice`, weekly cartons per
  brand and store, built by :func:`shopmind.forecast.series.series_from_sales`). The test weeks are
  the last ``--test-weeks`` (26: 1992-04-09 to 1992-10-01); the replay keeps the store-brand series
  with a recorded sale in every test week (473 of 913; a missing week in Dominick's data is either
  no sale or no record, so it is not replayed as demand). Assumptions, the same for every policy:
  weekly review, lead time 1 week, shelf life 8 weeks from arrival (refrigerated juice), no
  supplier minimum, lost sales, starting stock = 2 weeks of the mean demand of the 4 weeks before;
  price = the series' mean shelf price, unit cost = price x (1 - gross margin), the margin being
  the mean of bayesm's ``profit`` (the store's gross margin in percent) for that store and brand.
- **the demo store** (:func:`shopmind.datasets.demo.generate_demo_store`, seed 7): daily units per
  SKU from its purchase order lines (:func:`shopmind.forecast.series.series_from_orders`); the last
  ``--test-days`` (56) days are replayed for the active SKUs that sold in the 90 days before. Lead
  times and supplier minimums come from its inventory table, shelf lives, costs and prices from its
  products; the supplier minimum is enforced on every order (the supplier ships nothing smaller).
  The demo store's demand is generated, so these rows show the mechanics, not evidence.

Policies (rows):

- ``shopmind-policy``: :class:`~shopmind.forecast.inventory.InventoryPolicy` (service level 0.95,
  weekly / daily review), re-planned every period from rolling forecasts of
  :class:`shopmind.forecast.models.Forecaster` (model chosen per series; refitted every
  ``--refit-every`` periods, the plan skipping the periods already past); OJ: ``order_cost=0`` (a
  chain store's weekly delivery: no fixed cost per extra line, so no EOQ batching); demo:
  ``order_cost=20`` CNY, holding 25%/year, ``moq_conflict="economic"``.
- ``shopmind-policy-balance-waste``: the same with ``balance_waste=True`` (stop at the unit whose
  expected waste cost exceeds the margin it is expected to save).
- ``shopmind-policy-ets@<level>`` (OJ): the same policy on statsforecast ``AutoETS`` forecasts
  (non-seasonal: the training weeks hold less than two years) refitted every week, at service
  levels 0.80, 0.95 and 0.99, and with ``balance_waste`` at 0.95.
- ``shopmind-policy-skip-moq`` (demo): ``moq_conflict="skip"`` (never order more than can sell
  before expiry, even when the supplier minimum is larger).
- ``naive-mean-cover``: order up to 4 periods' mean demand times (lead time + 1), no safety stock,
  no shelf life; ``naive-last-period``: order last period's demand.

``forecasts`` names the model and how often it is refitted (``/4w``: every 4 weeks, ``/7d``: every
7 days). Metrics: ``fill_rate`` (units sold / demanded), ``stockout_periods`` (series-periods with lost
sales; ``stockout_rate`` their share), ``avg_stock`` (mean units on hand per series at the end of a
period), ``expired_units``, ``orders`` (orders placed), ``lost_units``; and in money (USD for OJ,
CNY for the demo): ``lost_margin`` (lost units x (price - cost)), ``expired_cost`` (at cost),
``holding_cost`` (25% of cost a year), ``total_cost`` (their sum) and ``lost_revenue``.

Run from the project root: ``.venv/bin/python benchmarks/forecast_inventory.py [--quick] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _bench import machine, shopmind_commit
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.datasets.real import load_orange_juice
from shopmind.forecast.inventory import InventoryPolicy
from shopmind.forecast.series import series_from_orders, series_from_sales
from shopmind.forecast.simulate import NaivePolicy, OrderingPolicy, simulate

RESULTS = Path(__file__).resolve().parent / "results" / "forecast_inventory.json"
OJ_LEAD_WEEKS = 1
OJ_SHELF_WEEKS = 8
DEMO_ORDER_COST = 20.0
QUICK_STORES = 3

Forecasts = Callable[[pd.Timestamp], pd.DataFrame]


# -- forecasts -----------------------------------------------------------------------------------------------
def _forecaster_available() -> bool:
    try:
        from shopmind.forecast.models import Forecaster  # noqa: F401
    except ImportError:
        return False
    return True


def _statsforecast(train: pd.DataFrame, h: int, freq: str, season_length: int) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    sf = StatsForecast(models=[AutoETS(season_length=season_length)], freq=freq, n_jobs=1)
    raw = sf.forecast(df=train, h=h, level=[80, 95])
    out = pd.DataFrame({"unique_id": raw["unique_id"].astype(str), "ds": raw["ds"], "mean": raw["AutoETS"]})
    for lv in (80, 95):
        out[f"lo_{lv}"] = raw[f"AutoETS-lo-{lv}"]
        out[f"hi_{lv}"] = raw[f"AutoETS-hi-{lv}"]
    out["model"] = "AutoETS"
    return out


def rolling_forecasts(
    series: pd.DataFrame,
    cutoffs: list[pd.Timestamp],
    *,
    engine: str,
    freq: str,
    season_length: int,
    horizon: int,
    refit_every: int,
    min_train: int | None = None,
) -> tuple[Forecasts, dict[str, Any]]:
    """Fit at every ``refit_every``-th cutoff; each cutoff gets the latest fit made by then."""
    fits: dict[pd.Timestamp, pd.DataFrame] = {}
    models: dict[str, int] = {}
    started = time.perf_counter()
    for i, cutoff in enumerate(cutoffs):
        if i % refit_every:
            continue
        train = series[series["ds"] <= cutoff][["unique_id", "ds", "y"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if engine == "forecaster":
                from shopmind.forecast.models import Forecaster

                model = Forecaster(
                    freq=freq,
                    season_length=season_length,
                    horizon=horizon,
                    level=(80, 95),
                    n_jobs=min(2, os.cpu_count() or 1),
                    min_train=min_train,
                )
                fc = model.fit(train).predict()
            else:
                fc = _statsforecast(train, horizon, "7D" if freq == "W" else "D", season_length)
        fc["unique_id"] = fc["unique_id"].astype(str)
        fits[cutoff] = fc
        for name, count in fc.drop_duplicates("unique_id")["model"].value_counts().items():
            models[str(name)] = models.get(str(name), 0) + int(count)
    fit_s = time.perf_counter() - started
    ordered = sorted(fits)

    def at(cutoff: pd.Timestamp) -> pd.DataFrame:
        made = [c for c in ordered if c <= cutoff]
        if not made:
            raise ValueError(f"no forecasts made by {cutoff}")
        return fits[made[-1]]

    return at, {"fits": len(fits), "fit_s": round(fit_s, 1), "models_chosen": models}


# -- the replays -----------------------------------------------------------------------------------------------
def _row(system: str, data: str, forecasts: str, summary: dict[str, float], **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"system": system, "data": data, "forecasts": forecasts}
    row["fill_rate"] = round(summary["fill_rate"], 4)
    row["stockout_periods"] = int(summary["stockout_periods"])
    row["stockout_rate"] = round(summary["stockout_rate"], 4)
    row["avg_stock"] = round(summary["avg_stock"], 2)
    row["expired_units"] = round(summary["expired_units"], 1)
    row["orders"] = int(summary["orders"])
    row["lost_units"] = round(summary["lost"], 1)
    row["demand_units"] = round(summary["demand"], 1)
    row["ordered_units"] = round(summary["ordered_units"], 1)
    for key in ("lost_margin", "expired_cost", "holding_cost", "total_cost", "lost_revenue"):
        if key in summary:
            row[key] = round(summary[key], 2)
    row.update(extra)
    return row


def run_oj(quick: bool, test_weeks: int, refit_every: int, engine: str) -> dict[str, Any]:
    sales = load_orange_juice()["sales"]
    if quick:
        stores = sorted(sales["location_id"].unique(), key=lambda s: int(s.split("-")[1]))[:QUICK_STORES]
        sales = sales[sales["location_id"].isin(stores)]
    series, _ = series_from_sales(sales)
    series["unique_id"] = series["unique_id"].astype(str)
    weeks = pd.DatetimeIndex(sorted(series["ds"].unique()))
    test = weeks[-test_weeks:]
    recorded = sales.assign(
        unique_id=sales["sku"] + "|" + sales["location_id"], ds=pd.to_datetime(sales["period_start"])
    )
    counts = recorded[recorded["ds"].isin(test)].groupby("unique_id").size()
    keep = sorted(counts[counts == test_weeks].index)
    series = series[series["unique_id"].isin(keep)].reset_index(drop=True)
    demand = series[["unique_id", "ds", "y"]]
    cutoffs = [weeks[len(weeks) - test_weeks - 1 + i] for i in range(test_weeks)]
    price = series.groupby("unique_id")["price"].mean()
    # bayesm's ``profit`` is the store's gross margin in percent: unit cost = price x (1 - margin)
    margin = recorded.assign(m=[a["profit"] for a in recorded["attributes"]]).groupby("unique_id")["m"].mean()
    unit_cost = price * (1.0 - margin.reindex(price.index).clip(5.0, 60.0) / 100.0)
    horizon = max(8, refit_every + OJ_LEAD_WEEKS + 2)

    kw: dict[str, Any] = {
        "start": test[0],
        "lead_time_periods": OJ_LEAD_WEEKS,
        "shelf_life_periods": OJ_SHELF_WEEKS,
        "price": price,
        "unit_cost": unit_cost,
    }
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    main_fc, info["forecaster"] = rolling_forecasts(
        demand,
        cutoffs,
        engine=engine,
        freq="W",
        season_length=52,
        horizon=horizon,
        refit_every=refit_every,
        min_train=52,
    )
    label = ("Forecaster" if engine == "forecaster" else "AutoETS") + f" /{refit_every}w"
    for name, waste in (("shopmind-policy", False), ("shopmind-policy-balance-waste", True)):
        policy = InventoryPolicy(
            service_level=0.95, review_period_days=7, order_cost=0.0, balance_waste=waste
        )
        summary = simulate(demand, policy, forecasts=main_fc, **kw).summary
        rows.append(_row(name, "oj", label, summary, service_level=0.95, balance_waste=waste))
    ets_fc, info["autoets"] = rolling_forecasts(
        demand, cutoffs, engine="autoets", freq="W", season_length=1, horizon=horizon, refit_every=1
    )
    for level, waste in ((0.80, False), (0.95, False), (0.99, False), (0.95, True)):
        policy = InventoryPolicy(
            service_level=level, review_period_days=7, order_cost=0.0, balance_waste=waste
        )
        summary = simulate(demand, policy, forecasts=ets_fc, **kw).summary
        name = f"shopmind-policy-ets{'-balance-waste' if waste else ''}@{level:.2f}"
        rows.append(_row(name, "oj", "AutoETS /1w", summary, service_level=level, balance_waste=waste))
    for name, naive in (
        ("naive-mean-cover", NaivePolicy("mean_cover", 4)),
        ("naive-last-period", NaivePolicy("last_period")),
    ):
        rows.append(_row(name, "oj", "-", simulate(demand, naive, **kw).summary))
    description = (
        f"Dominick's orange juice: {len(keep)} store-brand series with a sale recorded in each of the last "
        f"{test_weeks} weeks ({test[0].date()} to {test[-1].date()}), {demand['y'].sum():,.0f} cartons over "
        f"{len(weeks)} weeks; lead time {OJ_LEAD_WEEKS} week, shelf life {OJ_SHELF_WEEKS} weeks, weekly review"
    )
    return {
        "rows": rows,
        "info": info,
        "data": description,
        "series": len(keep),
        "elasticity": oj_price_elasticity(series),
    }


def oj_price_elasticity(series: pd.DataFrame) -> float:
    """Within-series slope of log units on log price (promotions included), as a sanity check of the default."""
    frame = series[(series["y"] > 0) & (series["price"] > 0)]
    ly = np.log(frame["y"].to_numpy(dtype=np.float64))
    lp = np.log(frame["price"].to_numpy(dtype=np.float64))
    g = frame["unique_id"].to_numpy()
    ly = ly - pd.Series(ly).groupby(g).transform("mean").to_numpy()
    lp = lp - pd.Series(lp).groupby(g).transform("mean").to_numpy()
    return round(float(-(lp @ ly) / (lp @ lp)), 3) if lp @ lp > 0 else float("nan")


def run_demo(quick: bool, test_days: int, refit_every: int, engine: str) -> dict[str, Any]:
    size = DemoSize.small() if quick else DemoSize()
    end = dt.date(2026, 10, 31)
    store = generate_demo_store(seed=7, size=size, end=end)
    last = pd.Timestamp(f"{end} 12:00", tz="Asia/Shanghai")
    series = series_from_orders(store.orders, store.order_items, freq="D", end=last)
    series["unique_id"] = series["unique_id"].astype(str)
    days = pd.DatetimeIndex(sorted(series["ds"].unique()))
    start = days[-test_days]
    products = store.products.set_index("sku")
    active = set(products.index[products["status"] == "active"])
    recent = series[(series["ds"] >= start - pd.Timedelta(days=90)) & (series["ds"] < start)]
    sold = recent.groupby("unique_id")["y"].sum()
    keep = sorted(u for u in sold.index[sold > 0] if u in active)
    demand = series[series["unique_id"].isin(keep)][["unique_id", "ds", "y"]].reset_index(drop=True)
    inventory = store.inventory.set_index("sku").reindex(keep)
    shelf = products["shelf_life_days"].reindex(keep).astype("float64")
    cutoffs = [start - pd.Timedelta(days=1) + pd.Timedelta(days=i) for i in range(test_days)]
    lead = inventory["lead_time_days"].astype("float64")
    horizon = int(lead.max()) + refit_every + 7
    kw: dict[str, Any] = {
        "start": start,
        "lead_time_periods": lead,
        "shelf_life_periods": shelf,
        "min_order_qty": inventory["min_order_qty"].astype("float64"),
        "unit_cost": products["cost"].reindex(keep).astype("float64"),
        "price": products["price"].reindex(keep).astype("float64"),
        "init_window": 28,
    }
    info: dict[str, Any] = {}
    fc, info["forecaster"] = rolling_forecasts(
        demand, cutoffs, engine=engine, freq="D", season_length=7, horizon=horizon, refit_every=refit_every
    )
    label = ("Forecaster" if engine == "forecaster" else "AutoETS") + f" /{refit_every}d"
    rows: list[dict[str, Any]] = []
    policies: list[tuple[str, InventoryPolicy | OrderingPolicy, str]] = [
        (
            "shopmind-policy",
            InventoryPolicy(service_level=0.95, order_cost=DEMO_ORDER_COST, moq_conflict="economic"),
            label,
        ),
        (
            "shopmind-policy-balance-waste",
            InventoryPolicy(
                service_level=0.95, order_cost=DEMO_ORDER_COST, moq_conflict="economic", balance_waste=True
            ),
            label,
        ),
        (
            "shopmind-policy-skip-moq",
            InventoryPolicy(service_level=0.95, order_cost=DEMO_ORDER_COST, moq_conflict="skip"),
            label,
        ),
        ("naive-mean-cover", NaivePolicy("mean_cover", 4), "-"),
        ("naive-last-period", NaivePolicy("last_period"), "-"),
    ]
    for name, policy, source in policies:
        summary = simulate(demand, policy, forecasts=fc, **kw).summary
        rows.append(_row(name, "demo", source, summary))
    perishable = int(shelf.notna().sum())
    description = (
        f"demo store (seed 7, {size.products} products): {len(keep)} active SKUs that sold in the 90 days before "
        f"{start.date()} ({perishable} with a shelf life), {test_days} days replayed ({start.date()} to "
        f"{days[-1].date()}), lead times {int(lead.min())}-{int(lead.max())} days and supplier minimums from "
        "its inventory, supplier minimum enforced"
    )
    return {"rows": rows, "info": info, "data": description, "series": len(keep)}


# -- output ------------------------------------------------------------------------------------------------
_COLUMNS = (
    "system",
    "forecasts",
    "fill_rate",
    "stockout_periods",
    "stockout_rate",
    "avg_stock",
    "expired_units",
    "orders",
    "lost_units",
    "total_cost",
)


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if key in ("fill_rate", "stockout_rate"):
        return f"{v:.3f}"
    if key in ("stockout_periods", "orders"):
        return f"{v:,}"
    if key == "total_cost":
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


def print_table(rows: list[dict[str, Any]], title: str, caption: str, extra: tuple[str, ...] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 170))
    table = Table(title=title, caption=caption)
    columns = _COLUMNS + extra
    for header in columns:
        text = header in ("system", "forecasts")
        table.add_column(header, justify="left" if text else "right", no_wrap=text)
    for r in rows:
        table.add_row(*(_fmt(k, r.get(k)) for k in columns))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"OJ: {QUICK_STORES} stores, 6 test weeks; demo: the small store, 14 days (a smoke run).",
    )
    parser.add_argument("--test-weeks", type=int, help="OJ weeks replayed (default 26; quick 6).")
    parser.add_argument("--test-days", type=int, help="Demo days replayed (default 56; quick 14).")
    parser.add_argument(
        "--refit-weeks", type=int, default=4, help="OJ: refit the Forecaster every N weeks (4)."
    )
    parser.add_argument(
        "--refit-days", type=int, default=7, help="Demo: refit the Forecaster every N days (7)."
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "forecaster", "autoets"),
        default="auto",
        help="Forecasts for shopmind-policy: shopmind's Forecaster (auto: when installed) or AutoETS.",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)
    test_weeks = args.test_weeks or (6 if args.quick else 26)
    test_days = args.test_days or (14 if args.quick else 56)
    engine = args.engine
    if engine == "auto":
        engine = "forecaster" if _forecaster_available() else "autoets"

    started, started_cpu = time.perf_counter(), time.process_time()
    oj = run_oj(args.quick, test_weeks, args.refit_weeks, engine)
    demo = run_demo(args.quick, test_days, args.refit_days, engine)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    result = {
        "benchmark": "forecast_inventory",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": f"{oj['data']}. {demo['data']}.",
        "quick": args.quick,
        "assumptions": {
            "oj_lead_time_weeks": OJ_LEAD_WEEKS,
            "oj_shelf_life_weeks": OJ_SHELF_WEEKS,
            "oj_order_cost": 0.0,
            "demo_order_cost_cny": DEMO_ORDER_COST,
            "holding_cost_rate": 0.25,
            "initial_stock": (
                "mean demand of the 4 weeks (OJ) / 28 days (demo) before the replay x (lead time + 1), fresh"
            ),
            "lost_sales": True,
            "naive_window_periods": 4,
        },
        "forecasts": {"engine": engine, "oj": oj["info"], "demo": demo["info"]},
        "oj_price_elasticity_estimate": oj["elasticity"],
        "run_s": round(elapsed, 1),
        "run_cpu_s": round(elapsed_cpu, 1),
        "rows": oj["rows"] + demo["rows"],
    }
    caption = f"whole run {elapsed:.0f} s wall, {elapsed_cpu:.0f} s CPU"
    print_table(oj["rows"], f"inventory simulation: {oj['data']}", caption)
    print_table(demo["rows"], f"inventory simulation: {demo['data']}", caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
