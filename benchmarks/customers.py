"""Customer lifetime value: shopmind (lifetimes MLE) against PyMC-Marketing on CDNOW, and refresh speed.

What is measured (the printed tables and ``benchmarks/results/customers.json`` use the same names):

- ``r``, ``alpha``, ``a``, ``b``: BG/NBD parameters fitted on the published 2,357-customer CDNOW
  summary (weeks; :func:`shopmind.datasets.real.load_cdnow_summary`), next to the published fit of
  Fader, Hardie and Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426. ``fit_s`` is the
  wall time of that fit, the library already imported (``import_s`` is the import, measured once in
  this process).
- ``holdout_mae``: the classic 39/39-week validation on the CDNOW master log (69,659 purchases,
  23,570 customers; all made their first purchase in the first 12 weeks of 1997, the cohort of
  Fader, Hardie and Lee): BTYD summary at 1997-09-30 (week 39), BG/NBD fitted on it, repeat
  purchases (distinct purchase days) predicted for the next 273 days (weeks 40-78, to 1998-06-30)
  and compared per customer with the actual ones; ``holdout_mae`` is the mean absolute error per
  customer, ``holdout_pred`` / ``holdout_actual`` the totals. The same split and cohort for every
  system (:func:`shopmind.customers.clv.calibration_holdout`). The calibration chart (mean holdout
  purchases by number of calibration repeat purchases, 0..6 and 7+) is printed and written under
  ``calibration_chart``.
- ``refresh_1m_s``: time to refresh every customer's scores from the orders, for one million
  generated customers (``--customers``; a seeded numpy simulation of the BG/NBD and Gamma-Gamma
  story, 2 years of orders): :func:`~shopmind.features.rfm.rfm` + :func:`~shopmind.features.rfm.btyd_summary`
  + ``CLVModel().fit(summary).predict(summary)`` + ``assign_segments(rfm_frame)`` when
  :mod:`shopmind.customers.segments` provides it. It runs in a child process that first reads the
  orders from a Parquet file (not timed); ``peak_mb`` is that child's peak resident memory
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: interpreter, libraries, the orders and the
  refresh) and ``data_mb`` its resident memory before the refresh started. ``refresh_cdnow_s`` is
  the same refresh on the CDNOW master log, in this process.

Peers: ``pymc-marketing`` (``BetaGeoModel`` with its documented default priors, ``fit(method="map")``)
and ``pymc-marketing (flat priors)`` (``HalfFlat`` priors on r, alpha, a, b, so that MAP is the
maximum-likelihood estimate). They are optional (the ``bench`` extra); when PyMC-Marketing is not
installed or ``--pymc off`` is given, their rows say they were skipped and why. ``--quick`` uses
50,000 generated customers and skips PyMC-Marketing unless ``--pymc on``.

Run from the project root: ``.venv/bin/python benchmarks/customers.py [--quick] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import importlib.util
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _bench import machine, shopmind_commit
from shopmind.customers.clv import CalibrationHoldout, CLVModel, calibration_holdout, holdout_by_frequency
from shopmind.datasets.real import load_cdnow, load_cdnow_summary
from shopmind.features.rfm import btyd_summary, rfm

RESULTS = Path(__file__).resolve().parent / "results" / "customers.json"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
COHORT = ("1997-01-01", "1997-03-31")
CDNOW_END = "1998-06-30"
UNIT_DAYS = 7.0
HORIZON_DAYS = 90.0  # the refresh scores expected purchases over the next 90 days
FIT_REPEATS = 3
SEED = 20_260_401

# The simulated shop: BG/NBD purchases (rate per day ~ Gamma(r, alpha), dropout after each repeat
# purchase with p ~ Beta(a, b)), Gamma-Gamma order values (mean 30), first purchases spread over
# two years. About 3 orders per customer.
SIM_DAYS = 730
SIM_START = pd.Timestamp("2024-07-01", tz="UTC")
SIM_BGNBD = {"r": 0.5, "alpha": 40.0, "a": 0.8, "b": 2.5}
SIM_GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "v": 15.0}


# -- data --------------------------------------------------------------------------------------------------
def generate_orders(customers: int, seed: int = SEED) -> pd.DataFrame:
    """``customers`` simulated customers and their orders over :data:`SIM_DAYS` days (vectorized)."""
    rng = np.random.default_rng(seed)
    s = SIM_BGNBD
    first = rng.uniform(0, SIM_DAYS, customers)  # day of the first purchase
    age = SIM_DAYS - first
    rate = rng.gamma(s["r"], 1 / s["alpha"], customers)  # purchases per day while active
    dropout = rng.beta(s["a"], s["b"], customers)
    # Purchase times of a Poisson process on (first, end]; the customer stops after a geometric
    # number of repeat purchases, so keep the earliest min(count, lifetime purchases).
    counts = rng.poisson(rate * age)
    owner = np.repeat(np.arange(customers), counts)
    times = first[owner] + rng.uniform(0, 1, len(owner)) * age[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(owner)) - starts[owner]
    kept = rank < rng.geometric(dropout)[owner]
    owner = np.concatenate((np.arange(customers), owner[kept]))
    times = np.concatenate((first, times[kept]))
    g = SIM_GAMMA_GAMMA
    scale = rng.gamma(g["q"], 1 / g["v"], customers)  # each customer's rate nu; order value ~ Gamma(p, nu)
    amount = np.round(rng.gamma(g["p"], 1 / scale[owner]), 2)
    ids = np.char.add("c", np.char.zfill(np.arange(customers).astype(str), 7)).astype(object)
    return pd.DataFrame(
        {
            "customer_id": ids[owner],
            "ordered_at": SIM_START + pd.to_timedelta(np.round(times * 86_400), unit="s"),
            "total_amount": amount,
        }
    )


def cdnow_split() -> CalibrationHoldout:
    return calibration_holdout(
        load_cdnow(),
        CALIBRATION_END,
        HOLDOUT_END,
        unit_days=UNIT_DAYS,
        cohort_start=COHORT[0],
        cohort_end=COHORT[1],
    )


# -- the refresh ---------------------------------------------------------------------------------------------
def segments_function() -> tuple[Callable[[pd.DataFrame], pd.DataFrame] | None, str]:
    """``shopmind.customers.segments.assign_segments`` if it exists, else None and why."""
    if importlib.util.find_spec("shopmind.customers.segments") is None:
        return None, "segments not included: shopmind.customers.segments does not exist"
    try:
        module = importlib.import_module("shopmind.customers.segments")
    except Exception as exc:  # another engineer's module, possibly mid-edit
        return None, f"segments not included: shopmind.customers.segments does not import ({exc})"
    assign = getattr(module, "assign_segments", None)
    if not callable(assign):
        return None, "segments not included: shopmind.customers.segments has no assign_segments"
    return assign, "segments included: shopmind.customers.segments.assign_segments(rfm_frame)"


def refresh(orders: pd.DataFrame, end: pd.Timestamp) -> dict[str, float]:
    """Recompute every customer's RFM, BTYD summary, CLV scores and segment; seconds per step."""
    assign, _ = segments_function()
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    frame = rfm(orders, now=end)
    steps["rfm_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    summary = btyd_summary(orders, observation_end=end, unit_days=UNIT_DAYS)
    steps["btyd_summary_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    model = CLVModel(unit_days=UNIT_DAYS).fit(summary)
    steps["clv_fit_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    scores = model.predict(summary, horizon_days=HORIZON_DAYS)
    steps["clv_predict_s"] = time.perf_counter() - t1
    if assign is not None:
        t1 = time.perf_counter()
        assign(frame)
        steps["segments_s"] = time.perf_counter() - t1
    steps["total_s"] = time.perf_counter() - t0
    assert len(scores) == len(frame)  # every buyer is scored
    return steps


def _rss_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def refresh_child(path: Path) -> int:
    """Child-process entry: read the orders, refresh once, print timings and memory as JSON."""
    orders = pd.read_parquet(path)
    end = SIM_START + pd.Timedelta(days=SIM_DAYS)
    with _quiet():  # import lifetimes before the clock starts, as a running engine has
        importlib.import_module("lifetimes")
    segments_function()
    data_mb = _rss_mb()
    steps = refresh(orders, end)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    print(json.dumps({"steps": steps, "data_mb": data_mb, "peak_mb": peak_mb}))
    return 0


def run_refresh(customers: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    orders = generate_orders(customers)
    generate_s = time.perf_counter() - t0
    info = {
        "customers": int(orders["customer_id"].nunique()),
        "orders": len(orders),
        "repeat_buyers": int((orders.groupby("customer_id").size() > 1).sum()),
        "generate_s": round(generate_s, 1),
    }
    with tempfile.TemporaryDirectory(prefix="shopmind-bench-") as tmp:
        path = Path(tmp) / "orders.parquet"
        orders.to_parquet(path, index=False)
        del orders
        done = subprocess.run(
            [sys.executable, __file__, "--refresh-child", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the refresh child failed:\n{done.stderr}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    return {**info, **child}


# -- systems -------------------------------------------------------------------------------------------------
def _mae(split: CalibrationHoldout, predicted: pd.Series) -> tuple[float, pd.DataFrame]:
    table = holdout_by_frequency(split, predicted)
    return float(table["mae"].loc["all"]), table


def run_shopmind(summary: pd.DataFrame, split: CalibrationHoldout) -> tuple[dict[str, Any], pd.Series]:
    t0 = time.perf_counter()
    with _quiet():
        importlib.import_module("lifetimes")
    import_s = time.perf_counter() - t0
    times, model = [], CLVModel(unit_days=UNIT_DAYS)
    for _ in range(FIT_REPEATS):
        t0 = time.perf_counter()
        model = CLVModel(unit_days=UNIT_DAYS).fit(summary)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    holdout_model = CLVModel(unit_days=UNIT_DAYS).fit(split.summary)
    holdout_fit_s = time.perf_counter() - t0
    predicted = holdout_model.predict(split.summary, horizon_days=split.horizon_days)
    mae, _ = _mae(split, predicted["expected_purchases"])
    spend_pred = float((predicted["expected_purchases"] * predicted["expected_spend"]).sum())
    row: dict[str, Any] = {
        "system": "shopmind",
        "method": "lifetimes MLE (BetaGeoFitter, GammaGammaFitter)",
        **{k: round(v, 4) for k, v in model.params_.items()},
        "fit_s": round(statistics.median(times), 3),
        "import_s": round(import_s, 2),
        "holdout_mae": round(mae, 4),
        "holdout_pred": round(float(predicted["expected_purchases"].sum()), 1),
        "holdout_actual": int(split.holdout_purchases.sum()),
        "holdout_fit_s": round(holdout_fit_s, 3),
        "holdout_spend_pred": round(spend_pred, 0),
        "holdout_spend_actual": round(float(split.holdout_spend.sum()), 0),
        "gamma_gamma": None
        if holdout_model.spend_params_ is None
        else {k: round(v, 4) for k, v in holdout_model.spend_params_.items()},
    }
    return row, predicted["expected_purchases"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence PyMC/PyTensor warnings and log lines (BLAS notice, optimizer messages)."""
    loggers = [logging.getLogger(n) for n in ("pymc", "pytensor", "pymc_marketing")]
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


def pymc_available() -> tuple[bool, str]:
    if importlib.util.find_spec("pymc_marketing") is None:
        return False, "pymc-marketing is not installed (pip install -e '.[bench]')"
    return True, ""


def run_pymc(
    name: str, priors: str, summary: pd.DataFrame, split: CalibrationHoldout
) -> tuple[dict[str, Any], pd.Series]:
    """Fit PyMC-Marketing's BetaGeoModel by MAP on the summary and on the holdout split."""
    imported = "pymc_marketing.clv" in sys.modules  # by the previous row: no import time to measure
    t0 = time.perf_counter()
    with _quiet():
        clv = importlib.import_module("pymc_marketing.clv")
        prior_module = importlib.import_module("pymc_extras.prior")
    import_s = None if imported else round(time.perf_counter() - t0, 2)
    version = importlib.import_module("pymc_marketing").__version__

    def config() -> dict[str, Any] | None:
        if priors == "default":
            return None
        flat = prior_module.Prior("HalfFlat")
        return {"r": flat, "alpha": flat, "a": flat, "b": flat}

    def fit(data: pd.DataFrame) -> tuple[Any, float]:
        frame = data[["frequency", "recency", "T"]].reset_index()
        frame = frame.rename(columns={frame.columns[0]: "customer_id"})
        with _quiet():
            model = clv.BetaGeoModel(model_config=config())
            start = time.perf_counter()
            model.fit(data=frame, method="map", progressbar=False)
            return model, time.perf_counter() - start

    times, model = [], None
    for _ in range(FIT_REPEATS):
        model, seconds = fit(summary)
        times.append(seconds)
    assert model is not None
    posterior = model.idata.posterior
    params = {k: round(float(posterior[k].values.ravel()[0]), 4) for k in ("r", "alpha", "a", "b")}
    holdout_model, holdout_fit_s = fit(split.summary)
    with _quiet():
        expected = holdout_model.expected_purchases(future_t=split.horizon_days / UNIT_DAYS)
    values = np.asarray(expected.mean(dim=[d for d in expected.dims if d != "customer_id"]))
    predicted = pd.Series(values, index=split.summary.index)
    mae, _ = _mae(split, predicted)
    prior_text = (
        "documented defaults (alpha Weibull(2, 10), r Weibull(2, 1), a, b from phi Uniform(0, 1) and kappa Pareto(1, 1))"
        if priors == "default"
        else "HalfFlat on r, alpha, a, b (MAP = maximum likelihood)"
    )
    row: dict[str, Any] = {
        "system": name,
        "method": f"pymc-marketing {version} BetaGeoModel fit(method='map'), priors: {prior_text}",
        **params,
        "fit_s": round(statistics.median(times), 3),
        "import_s": import_s,
        "holdout_mae": round(mae, 4),
        "holdout_pred": round(float(predicted.sum()), 1),
        "holdout_actual": int(split.holdout_purchases.sum()),
        "holdout_fit_s": round(holdout_fit_s, 3),
    }
    return row, predicted


def skipped_row(name: str, why: str) -> dict[str, Any]:
    return {"system": name, "skipped": why}


# -- output ------------------------------------------------------------------------------------------------
_COLUMNS = (
    ("system", "system"),
    ("r", "r"),
    ("alpha", "alpha"),
    ("a", "a"),
    ("b", "b"),
    ("fit_s", "fit_s"),
    ("holdout_mae", "holdout_mae"),
    ("holdout_pred", "holdout_pred"),
    ("refresh_1m_s", "refresh_1m_s"),
    ("peak_mb", "peak_mb"),
    ("refresh_cdnow_s", "refresh_cdnow_s"),
)


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("r", "alpha", "a", "b", "holdout_mae"):
        return f"{value:.3f}"
    if key.endswith("_s"):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


def print_tables(rows: list[dict[str, Any]], chart: list[dict[str, Any]], title: str, caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150))
    table = Table(title=title, caption=caption)
    for header, _ in _COLUMNS:
        table.add_column(header, justify="left" if header == "system" else "right")
    for r in rows:
        if "skipped" in r:
            table.add_row(r["system"], *["-"] * (len(_COLUMNS) - 1))
        else:
            table.add_row(*(_fmt(k, r.get(k)) for _, k in _COLUMNS))
    console.print(table)
    if not chart:
        return
    keys = [k for k in chart[0] if k not in ("calibration_repeat_purchases", "customers")]
    chart_table = Table(
        title="CDNOW calibration/holdout chart: mean repeat purchases in weeks 40-78 "
        "by repeat purchases in weeks 1-39"
    )
    chart_table.add_column("calibration repeat purchases")
    chart_table.add_column("customers", justify="right")
    for k in keys:
        chart_table.add_column(k, justify="right")
    for line in chart:
        chart_table.add_row(
            line["calibration_repeat_purchases"],
            f"{line['customers']:,}",
            *(f"{line[k]:.3f}" for k in keys),
        )
    console.print(chart_table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="50,000 generated customers; PyMC-Marketing off unless --pymc on.",
    )
    parser.add_argument(
        "--customers",
        type=int,
        help="Generated customers for the refresh (default 1,000,000; 50,000 with --quick).",
    )
    parser.add_argument(
        "--pymc",
        choices=("auto", "on", "off"),
        default="auto",
        help="Run the PyMC-Marketing rows: auto = on unless --quick (skipped anyway when not installed).",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    parser.add_argument("--refresh-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.refresh_child is not None:
        return refresh_child(args.refresh_child)
    customers = args.customers or (50_000 if args.quick else 1_000_000)
    started = time.perf_counter()

    summary = load_cdnow_summary()
    split = cdnow_split()
    notes: list[str] = []

    print("shopmind: fitting ...", flush=True)
    shop_row, shop_pred = run_shopmind(summary, split)
    predictions: dict[str, pd.Series] = {"shopmind": shop_pred}

    print("shopmind: refresh on CDNOW master ...", flush=True)
    cdnow = load_cdnow()
    refresh(cdnow, pd.Timestamp(CDNOW_END, tz="UTC"))  # warm-up: first-call imports and caches
    cdnow_steps = refresh(cdnow, pd.Timestamp(CDNOW_END, tz="UTC"))
    shop_row["refresh_cdnow_s"] = round(cdnow_steps["total_s"], 2)

    print(f"shopmind: refresh on {customers:,} generated customers (child process) ...", flush=True)
    generated = run_refresh(customers)
    shop_row["refresh_1m_s"] = round(generated["steps"]["total_s"], 2)
    shop_row["peak_mb"] = round(generated["peak_mb"], 0)
    shop_row["data_mb"] = round(generated["data_mb"], 0)
    shop_row["refresh_customers"] = generated["customers"]
    shop_row["refresh_orders"] = generated["orders"]
    shop_row["refresh_steps_s"] = {k: round(v, 2) for k, v in generated["steps"].items()}
    notes.append(segments_function()[1])

    rows: list[dict[str, Any]] = [
        {"system": "published (Fader, Hardie & Lee 2005)", **PUBLISHED, "measured": False},
        shop_row,
    ]
    peers = (("pymc-marketing", "default"), ("pymc-marketing (flat priors)", "flat"))
    available, why = pymc_available()
    run_peers = args.pymc == "on" or (args.pymc == "auto" and not args.quick)
    for name, priors in peers:
        if not available:
            rows.append(skipped_row(name, why))
        elif not run_peers:
            rows.append(skipped_row(name, "--pymc off" if args.pymc == "off" else "--quick (use --pymc on)"))
        else:
            print(f"{name}: fitting ...", flush=True)
            row, pred = run_pymc(name, priors, summary, split)
            rows.append(row)
            predictions[name] = pred
    for r in rows:
        if "skipped" in r:
            notes.append(f"{r['system']} skipped: {r['skipped']}")

    tables = {name: holdout_by_frequency(split, pred) for name, pred in predictions.items()}
    first = next(iter(tables.values()))
    chart: list[dict[str, Any]] = []
    for label in first.index:
        line: dict[str, Any] = {
            "calibration_repeat_purchases": str(label),
            "customers": int(first.loc[label, "customers"]),
            "actual": round(float(first.loc[label, "actual_mean"]), 4),
        }
        for name, table in tables.items():
            line[name] = round(float(table.loc[label, "predicted_mean"]), 4)
        chart.append(line)
    elapsed = time.perf_counter() - started

    data = (
        "BG/NBD parameters: the published CDNOW summary (2,357 customers, weeks 1-39, lifetimes' "
        "cdnow_customers_summary.csv). Holdout: CDNOW master (lifetimes' CDNOW_master.txt via "
        f"shopmind.datasets.real.load_cdnow), cohort first purchase {COHORT[0]}..{COHORT[1]} "
        f"({len(split.summary):,} customers), calibration to {CALIBRATION_END} (39 weeks), holdout "
        f"{split.horizon_days:.0f} days to {HOLDOUT_END}; {int(split.holdout_purchases.sum()):,} actual "
        "holdout repeat purchases (distinct purchase days). Refresh: "
        f"{generated['customers']:,} generated customers, {generated['orders']:,} orders over "
        f"{SIM_DAYS} days (numpy seed {SEED}; BG/NBD {SIM_BGNBD}, Gamma-Gamma {SIM_GAMMA_GAMMA}); "
        "rfm + btyd_summary(unit_days=7) + CLVModel().fit().predict(horizon_days=90) [+ assign_segments], "
        "in a child process after reading the orders from Parquet; peak_mb = ru_maxrss of that "
        f"child. CDNOW refresh: {len(cdnow):,} orders, in process, after one warm-up run. fit_s: "
        f"median of {FIT_REPEATS} fits, library already imported."
    )
    result = {
        "benchmark": "customers",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": data,
        "quick": args.quick,
        "run_s": round(elapsed, 1),
        "notes": notes,
        "rows": rows,
        "calibration_chart": chart,
        "refresh_cdnow_steps_s": {k: round(v, 3) for k, v in cdnow_steps.items()},
    }
    caption = "\n".join(
        [
            *notes,
            f"holdout: {len(split.summary):,} CDNOW customers, actual {int(split.holdout_purchases.sum()):,} "
            "repeat purchases in weeks 40-78",
            f"refresh: {generated['customers']:,} customers, {generated['orders']:,} orders; "
            f"whole run {elapsed:.0f} s",
        ]
    )
    print_tables(rows, chart, "customers: BG/NBD on CDNOW, 39/39-week holdout, refresh speed", caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
