"""Churn prediction on CDNOW: shopmind's supervised model against BG/NBD baselines, in time.

Data and protocol (the same for every system):

- CDNOW master log (69,659 purchases by 23,570 customers, 1997-01-01 to 1998-06-30; every customer
  made a first purchase in the first 12 weeks of 1997), loaded by
  :func:`shopmind.datasets.real.load_cdnow`. ``--quick`` keeps the first 3,000 customer ids.
- One time-based backtest, :func:`shopmind.customers.churn.backtest_churn`, at ``--cutoff``
  (default 1998-03-31) with a ``--horizon`` of 90 days (to 1998-06-29): every model learns only from
  purchases on or before the cutoff and is scored on the customers who bought by then; a customer
  churned if they made no purchase in the 90 days after it (base rate in the table).
- Systems: ``shopmind-churn-gbm`` (:class:`~shopmind.customers.churn.ChurnModel`, default settings:
  LightGBM on the RFM, gap and trend features of 3 past cutoffs 90 days apart, whose horizons end by
  the cutoff); ``shopmind-p_alive`` (``1 - p_alive`` of BG/NBD,
  :class:`~shopmind.customers.clv.CLVModel` fitted at the cutoff); ``shopmind-bgnbd`` (BG/NBD's
  probability of no purchase in the horizon, built on ``p_alive``: what ChurnModel falls back to on a
  short history); ``recency`` (days since the last purchase: a ranking, no probability, no Brier).
- Metrics: ``auc`` (ROC AUC), ``precision_top_decile`` (churners among the riskiest 10%), ``brier``
  (Brier score, lower is better), ``base_rate``; ``fit_s`` is the wall time of the fit (features at
  every training cutoff included). Calibration tables (10 equal-width bins of predicted probability:
  customers, mean predicted, observed churn rate) are printed for the probabilistic systems and
  written under ``calibration``.

Run from the project root: ``.venv/bin/python benchmarks/churn.py [--quick] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from _bench import machine, shopmind_commit
from shopmind.customers.churn import (
    SYSTEM_BGNBD,
    SYSTEM_GBM,
    SYSTEM_P_ALIVE,
    SYSTEM_RECENCY,
    ChurnModel,
    backtest_churn,
)
from shopmind.customers.clv import CLVModel
from shopmind.datasets.real import load_cdnow
from shopmind.features.rfm import btyd_summary, purchases

RESULTS = Path(__file__).resolve().parent / "results" / "churn.json"
SYSTEMS = (SYSTEM_GBM, SYSTEM_P_ALIVE, SYSTEM_BGNBD, SYSTEM_RECENCY)
METRICS = ("auc", "precision_top_decile", "brier", "base_rate")
QUICK_CUSTOMERS = 3000


def load(max_customers: int | None) -> pd.DataFrame:
    orders = load_cdnow()
    if max_customers is not None:
        keep = sorted(orders["customer_id"].unique())[:max_customers]
        orders = orders[orders["customer_id"].isin(keep)]
    return orders.reset_index(drop=True)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def run(orders: pd.DataFrame, cutoff: str, horizon: int) -> dict[str, Any]:
    """The backtest, with the fit times of the supervised model and of BG/NBD measured apart."""
    t0 = time.perf_counter()
    result = backtest_churn(orders, cutoff, horizon, model=ChurnModel(horizon))
    total_s = time.perf_counter() - t0
    # Fit times, measured again on their own (the backtest's total includes the scoring).
    t0 = time.perf_counter()
    ChurnModel(horizon).fit(orders, as_of=cutoff)
    gbm_fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    CLVModel(unit_days=7.0).fit(
        btyd_summary(purchases(orders), observation_end=pd.Timestamp(cutoff), unit_days=7.0)
    )
    bgnbd_fit_s = time.perf_counter() - t0

    model = result.model
    top = sorted(model.feature_importances_.items(), key=lambda kv: -kv[1])[:8]
    rows: list[dict[str, Any]] = []
    for system in SYSTEMS:
        metrics = result.metrics.loc[system].to_dict()
        row: dict[str, Any] = {"system": system, **{m: _number(metrics[m]) for m in METRICS}}
        row["n_customers"] = int(metrics["n_customers"])
        row["fit_s"] = {
            SYSTEM_GBM: round(gbm_fit_s, 2),
            SYSTEM_P_ALIVE: round(bgnbd_fit_s, 2),
            SYSTEM_BGNBD: round(bgnbd_fit_s, 2),
        }.get(system)
        if system == SYSTEM_GBM:
            row["mode"] = model.mode_
            row["train_cutoffs"] = [c.date().isoformat() for c in model.cutoffs_]
            row["train_rows"] = model.n_train_rows_
            row["train_churn_rate"] = round(model.train_churn_rate_, 4)
            row["gain_share"] = {k: round(v, 3) for k, v in top}
        rows.append(row)
    calibration = {
        system: [
            {k: (_number(v) if k not in ("n",) else int(v)) for k, v in rec.items()}
            for rec in table.to_dict("records")
        ]
        for system, table in result.calibration.items()
    }
    return {"rows": rows, "calibration": calibration, "backtest_s": round(total_s, 2)}


# -- output ------------------------------------------------------------------------------------------------
_COLUMNS = (
    ("system", "system"),
    ("auc", "auc"),
    ("precision_top_decile", "precision_top_decile"),
    ("brier", "brier"),
    ("base_rate", "base_rate"),
    ("n_customers", "n_customers"),
    ("fit_s", "fit_s"),
)


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if key == "fit_s":
        return f"{v:.2f}"
    if key == "n_customers":
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def print_tables(result: dict[str, Any], title: str, caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    table = Table(title=title, caption=caption)
    for header, _ in _COLUMNS:
        table.add_column(header, justify="left" if header == "system" else "right")
    for r in result["rows"]:
        table.add_row(*(_fmt(k, r.get(k)) for _, k in _COLUMNS))
    console.print(table)
    for system, bins in result["calibration"].items():
        cal = Table(title=f"calibration: {system}")
        for header in ("bin", "n", "mean_predicted", "observed_rate"):
            cal.add_column(header, justify="right")
        for b in bins:
            cal.add_row(
                f"{b['bin_low']:.1f}-{b['bin_high']:.1f}",
                f"{b['n']:,}",
                _fmt("", b["mean_predicted"]),
                _fmt("", b["observed_rate"]),
            )
        console.print(cal)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help=f"Only the first {QUICK_CUSTOMERS:,} customers (a smoke run)."
    )
    parser.add_argument("--customers", type=int, help="Keep only the first N customer ids (default: all).")
    parser.add_argument("--cutoff", default="1998-03-31", help="Scoring day (default 1998-03-31).")
    parser.add_argument("--horizon", type=int, default=90, help="Churn horizon in days (default 90).")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)
    max_customers = (
        args.customers if args.customers is not None else (QUICK_CUSTOMERS if args.quick else None)
    )

    started, started_cpu = time.perf_counter(), time.process_time()
    orders = load(max_customers)
    measured = run(orders, args.cutoff, args.horizon)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    first_kept = f" (first {max_customers:,} customer ids)" if max_customers else ""
    data = (
        f"CDNOW master (lifetimes, shopmind.datasets.real.load_cdnow): {len(orders):,} purchases, "
        f"{orders['customer_id'].nunique():,} customers{first_kept}, 1997-01-01 to 1998-06-30. "
        f"backtest_churn(cutoff={args.cutoff}, horizon_days={args.horizon}): models learn from purchases "
        f"on or before the cutoff; churned = no purchase in the {args.horizon} days after it."
    )
    result = {
        "benchmark": "churn",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": data,
        "quick": args.quick,
        "cutoff": args.cutoff,
        "horizon_days": args.horizon,
        "run_s": round(elapsed, 1),
        "run_cpu_s": round(elapsed_cpu, 1),
        "rows": measured["rows"],
        "calibration": measured["calibration"],
    }
    caption = f"whole run {elapsed:.0f} s wall, {elapsed_cpu:.0f} s CPU"
    title = f"churn: CDNOW master, cutoff {args.cutoff}, horizon {args.horizon} days{first_kept}"
    print_tables(measured, title, caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
