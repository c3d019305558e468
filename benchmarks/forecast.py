"""Forecasting throughput: shopmind's whole pipeline (selection included) against statsforecast alone.

What is measured (the printed table and ``benchmarks/results/forecast.json`` use the same names):

- Data: ``--series`` generated daily demand series (default 1,000) of ``--days`` days (default 730,
  two years), seeded (:func:`generate_series`): 45% seasonal NB counts with a random weekday profile,
  a yearly wave, a trend and unannounced promotions; 15% a drifting local level; 30% slow movers
  (Poisson, 0.05-1.5 a day); 10% lumpy (rare orders of random size). Every system gets the first
  ``days - horizon`` days of each series and forecasts ``--horizon`` (28) days, with 80% and 95%
  intervals.
- ``series_per_s``: series divided by the wall time of the one call that produces the forecasts:
  ``Forecaster(...).fit(train).predict()`` for shopmind (classification, rolling-origin
  cross-validation on ``n_windows=2`` origins, selection, final fit), and
  ``StatsForecast(models=[...]).forecast(df=train, h=28, level=[80, 95])`` for the peers. Each system
  runs in its own child process with the data already in memory; ``import_s`` (importing the
  library) and ``warmup_s`` (one call on three series, paid once per process: statsforecast 2.x has
  no numba JIT left, but first calls still load code) are measured and reported, not counted:
  a running engine pays them once, not per forecast. ``n_jobs`` is the same for every local row
  (``--n-jobs``, default 1, so that ``series_per_s`` is per core).
- ``series_per_cpu_s``: series divided by the CPU seconds (user + system) that the child's process
  tree spent in that call (Spark: the driver, the JVM and the Python workers). On a machine shared
  with other jobs, wall time stretches with their load and CPU time hardly does, so this is the
  steadier figure for comparing systems; on an idle machine it equals ``series_per_s`` divided by
  the cores kept busy.
- ``peak_mb``: peak resident memory of the child's process tree (the Python process, its worker
  processes and, for Spark, the JVM and Spark's Python workers), sampled every 0.1 s, and never less
  than the child's own ``ru_maxrss``; ``base_mb`` is the same before the timed call (interpreter,
  libraries, data).
- Accuracy on the held-out last ``horizon`` days, so that speed is not bought with accuracy:
  ``mase`` and ``rmsse`` (each series' errors scaled by its in-sample seasonal naive error, lag 7,
  then averaged over series), ``cover_80`` / ``cover_95`` (share of held-out days inside the
  intervals). Forecasts of every system are clipped at zero (demand is never negative), as
  shopmind does.
- ``shopmind-spark``: the same Forecaster call with ``engine="spark"`` on a local Spark session
  (``local[2]``: two cores, ``cores`` says so); ``startup_s`` is the session start (not counted,
  like imports). Skipped, with the reason, when pyspark or Java is missing or with ``--spark off``.

Run from the project root: ``.venv/bin/python benchmarks/forecast.py [--quick] [--out PATH]``.
``--quick`` uses 24 series of 730 days. ``--set key=value`` (repeatable) passes a Forecaster
option to the shopmind rows (``--set window=None --set refit=True``); the JSON records them under
``shopmind_options``. ``base_mb`` and ``import_s`` are in the JSON only.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _bench import machine, shopmind_commit

RESULTS = Path(__file__).resolve().parent / "results" / "forecast.json"
SEED = 20_260_505
START = pd.Timestamp("2023-01-02")
LEVELS = (80, 95)
SEASON = 7
#: kinds of generated series and their shares
KINDS = (("seasonal", 0.45), ("local_level", 0.15), ("slow_mover", 0.30), ("lumpy", 0.10))
SYSTEMS = ("shopmind", "statsforecast-autoets", "statsforecast-seasonalnaive", "shopmind-spark")
_COLUMNS = (
    ("system", "system"),
    ("series/s", "series_per_s"),
    ("fit+predict s", "run_s"),
    ("series/CPU-s", "series_per_cpu_s"),
    ("cores", "cores"),
    ("peak MB", "peak_mb"),
    ("MASE", "mase"),
    ("RMSSE", "rmsse"),
    ("cover 80", "cover_80"),
    ("cover 95", "cover_95"),
    ("warm-up s", "warmup_s"),
    ("start-up s", "startup_s"),
)


# -- data --------------------------------------------------------------------------------------------------
def generate_series(n_series: int, days: int = 730, seed: int = SEED) -> pd.DataFrame:
    """``n_series`` daily demand series (``unique_id, ds, y, kind``), vectorized per kind, seeded."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    dow = (START.dayofweek + t) % 7
    kinds = rng.choice([k for k, _ in KINDS], size=n_series, p=[p for _, p in KINDS])
    ys = np.empty((n_series, days))
    for i, kind in enumerate(kinds):
        weekly = 1 + rng.uniform(0.05, 0.6) * rng.dirichlet(np.ones(7) * 2) * 7
        weekly = weekly / weekly.mean()
        if kind == "seasonal":
            level = np.exp(rng.uniform(np.log(5), np.log(300)))
            yearly = 1 + rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
            trend = np.exp(rng.normal(0, 0.2) * t / 365)
            promo = np.ones(days)
            for s in np.flatnonzero(rng.random(days) < 0.01):
                promo[s : s + rng.integers(3, 8)] = rng.uniform(1.3, 2.5)
            mu = level * weekly[dow] * yearly * trend * promo
            k = rng.uniform(5, 50)
            ys[i] = rng.negative_binomial(k, k / (k + mu))
        elif kind == "local_level":
            level = np.exp(np.log(rng.uniform(10, 200)) + np.cumsum(rng.normal(0, 0.03, days)))
            ys[i] = rng.poisson(level * weekly[dow])
        elif kind == "slow_mover":
            rate = np.exp(rng.uniform(np.log(0.05), np.log(1.5)))
            ys[i] = rng.poisson(rate * weekly[dow])
        else:
            p, size = rng.uniform(0.03, 0.3), rng.uniform(3, 30)
            ys[i] = (rng.random(days) < p) * (1 + rng.negative_binomial(1.0, 1.0 / (1.0 + size), days))
    ids = np.char.add("sku-", np.char.zfill(np.arange(n_series).astype(str), 5))
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, days),
            "ds": np.tile(pd.date_range(START, periods=days, freq="D").to_numpy(), n_series),
            "y": ys.ravel(),
            "kind": np.repeat(kinds, days),
        }
    )


def split(frame: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    pos = frame.groupby("unique_id").cumcount()
    size = frame.groupby("unique_id")["y"].transform("size")
    return frame[pos < size - horizon].reset_index(drop=True), frame[pos >= size - horizon].reset_index(
        drop=True
    )


# -- memory ------------------------------------------------------------------------------------------------
def _tree(root: int) -> set[int]:
    """``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return tree


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, in MB."""
    total = 0
    for pid in _tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def _tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and its descendants, reaped children included."""
    ticks = 0
    for pid in _tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def peak_memory() -> Iterator[dict[str, float]]:
    """Sample this process tree's resident memory every 0.1 s; ``peak_mb`` when the block ends."""
    out: dict[str, float] = {"peak_mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):
                out["peak_mb"] = max(out["peak_mb"], _tree_rss_mb(os.getpid()))
            stop.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
        out["peak_mb"] = max(out["peak_mb"], own)


# -- systems (each runs in a child process) ----------------------------------------------------------------
def _rename_peer(fc: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = {name: "mean"}
    for lv in LEVELS:
        cols[f"{name}-lo-{lv}"] = f"lo_{lv}"
        cols[f"{name}-hi-{lv}"] = f"hi_{lv}"
    out = fc.rename(columns=cols)
    out["model"] = name
    return out


def _peer(
    model_name: str, n_jobs: int
) -> tuple[Callable[[pd.DataFrame, int], pd.DataFrame], Callable[[], None]]:
    def do_import() -> None:
        import statsforecast  # noqa: F401

    def run(train: pd.DataFrame, horizon: int) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, SeasonalNaive

        model = (
            AutoETS(season_length=SEASON) if model_name == "AutoETS" else SeasonalNaive(season_length=SEASON)
        )
        sf = StatsForecast(models=[model], freq="D", n_jobs=n_jobs)
        return _rename_peer(sf.forecast(df=train, h=horizon, level=list(LEVELS)), model_name)

    return run, do_import


def _shopmind(
    engine: str, n_jobs: int, options: dict[str, Any]
) -> tuple[Callable[[pd.DataFrame, int], pd.DataFrame], Callable[[], None]]:
    def do_import() -> None:
        import statsforecast.models  # noqa: F401

        import shopmind.forecast.models  # noqa: F401

    def run(train: pd.DataFrame, horizon: int) -> pd.DataFrame:
        from shopmind.forecast.models import Forecaster

        fc = Forecaster(freq="D", horizon=horizon, level=LEVELS, engine=engine, n_jobs=n_jobs, **options)
        return fc.fit(train).predict()

    return run, do_import


def shopmind_options(pairs: list[str]) -> dict[str, Any]:
    """Forecaster options of the shopmind rows from ``--set key=value`` (Python literals)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise SystemExit(f"--set expects key=value, got {pair!r}")
        try:
            options[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            options[key] = text
    return options


def child(system: str, data_dir: Path, horizon: int, n_jobs: int, options: dict[str, Any]) -> int:
    """Child-process entry: import, warm up, run one system once, print timings and memory as JSON."""
    warnings.simplefilter("ignore")
    train = pd.read_parquet(data_dir / "train.parquet")
    if system == "shopmind":
        run, do_import = _shopmind("local", n_jobs, options)
    elif system == "shopmind-spark":
        run, do_import = _shopmind("spark", n_jobs, options)
    elif system == "statsforecast-autoets":
        run, do_import = _peer("AutoETS", n_jobs)
    else:
        run, do_import = _peer("SeasonalNaive", n_jobs)
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    do_import()
    info["import_s"] = time.perf_counter() - t0
    if system == "shopmind-spark":
        from shopmind.forecast.spark import session

        t0 = time.perf_counter()
        spark = session()
        info["startup_s"] = time.perf_counter() - t0
        info["cores"] = int(spark.sparkContext.defaultParallelism)
    else:
        info["cores"] = n_jobs
    first = train["unique_id"].drop_duplicates().head(3)
    t0 = time.perf_counter()
    run(train[train["unique_id"].isin(first)], horizon)
    info["warmup_s"] = time.perf_counter() - t0
    info["base_mb"] = _tree_rss_mb(os.getpid())
    cpu0 = _tree_cpu_s(os.getpid())
    with peak_memory() as memory:
        t0 = time.perf_counter()
        forecasts = run(train, horizon)
        info["run_s"] = time.perf_counter() - t0
    info["cpu_s"] = _tree_cpu_s(os.getpid()) - cpu0
    info["peak_mb"] = memory["peak_mb"]
    info["models"] = {str(k): int(v) for k, v in forecasts.groupby("model")["unique_id"].nunique().items()}
    forecasts.to_parquet(data_dir / f"{system}.parquet", index=False)
    print(json.dumps(info))
    return 0


def run_system(system: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", system, "--data", str(data_dir)]
    cmd += ["--horizon", str(args.horizon), "--n-jobs", str(args.n_jobs)]
    for pair in args.set:
        cmd += ["--set", pair]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{system} failed:\n{done.stderr[-4000:]}")
    info: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return info


def spark_available() -> tuple[bool, str]:
    if importlib.util.find_spec("pyspark") is None:
        return False, "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return False, "Java is not installed (make system-deps installs openjdk-17-jre-headless)"
    return True, ""


# -- scoring -----------------------------------------------------------------------------------------------
def score(
    forecasts: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame, kinds: pd.Series | None = None
) -> dict[str, Any]:
    """Mean MASE and RMSSE over series (seasonal naive scale, lag 7), interval coverage, and the
    mean MASE of each kind of series when ``kinds`` (kind by unique_id) is given."""
    y = train.groupby("unique_id", sort=True)["y"]
    scale = y.apply(lambda s: float(np.mean(np.abs(s.to_numpy()[SEASON:] - s.to_numpy()[:-SEASON]))))
    scale_sq = y.apply(lambda s: float(np.mean((s.to_numpy()[SEASON:] - s.to_numpy()[:-SEASON]) ** 2)))
    m = test[["unique_id", "ds", "y"]].merge(forecasts, on=["unique_id", "ds"], how="left")
    values = ["mean", *[f"{s}_{lv}" for lv in LEVELS for s in ("lo", "hi")]]
    m[values] = m[values].clip(lower=0.0)
    err = m["y"] - m["mean"]
    mae = err.abs().groupby(m["unique_id"]).mean()
    mse = (err**2).groupby(m["unique_id"]).mean()
    mase = mae / scale.replace(0, np.nan)
    out: dict[str, Any] = {
        "mase": float(mase.mean()),
        "rmsse": float(np.sqrt(mse / scale_sq.replace(0, np.nan)).mean()),
    }
    for lv in LEVELS:
        inside = (m["y"] >= m[f"lo_{lv}"]) & (m["y"] <= m[f"hi_{lv}"])
        out[f"cover_{lv}"] = float(inside.mean())
    if kinds is not None:
        by_kind = mase.groupby(kinds.reindex(mase.index)).mean()
        out["mase_by_kind"] = {str(k): round(float(v), 4) for k, v in by_kind.items()}
    return out


# -- report ------------------------------------------------------------------------------------------------
def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if key in ("mase", "rmsse", "cover_80", "cover_95"):
            return f"{value:.3f}"
        if key in ("series_per_s", "series_per_cpu_s"):
            return f"{value:.2f}" if value < 100 else f"{value:,.0f}"
        return f"{value:,.1f}"
    return str(value)


def print_table(rows: list[dict[str, Any]], title: str, caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 170))
    table = Table(title=title, caption=caption)
    for header, _ in _COLUMNS:
        table.add_column(header, justify="left" if header == "system" else "right")
    for r in rows:
        if "skipped" in r:
            table.add_row(r["system"], *["-"] * (len(_COLUMNS) - 1))
        else:
            table.add_row(*(_fmt(k, r.get(k)) for _, k in _COLUMNS))
    console.print(table)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("statsforecast", "pyspark", "numpy", "pandas"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="24 series instead of 1,000.")
    parser.add_argument("--series", type=int, help="Generated series (default 1,000; 24 with --quick).")
    parser.add_argument("--days", type=int, default=730, help="Days per series, holdout included (730).")
    parser.add_argument("--horizon", type=int, default=28, help="Days forecast (28).")
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="Processes of every local system (1: per core)."
    )
    parser.add_argument(
        "--spark",
        choices=("auto", "on", "off"),
        default="auto",
        help="The shopmind-spark row: auto = when pyspark and Java are installed.",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="A Forecaster option of the shopmind rows, e.g. --set window=None --set refit=True.",
    )
    parser.add_argument("--systems", nargs="*", choices=SYSTEMS, help="Run only these systems.")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child, args.data, args.horizon, args.n_jobs, shopmind_options(args.set))
    n_series = args.series or (24 if args.quick else 1_000)
    started = time.perf_counter()
    frame = generate_series(n_series, args.days)
    train, test = split(frame, args.horizon)
    kind_of = frame.drop_duplicates("unique_id").set_index("unique_id")["kind"]
    kinds = kind_of.value_counts().to_dict()
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    wanted = args.systems or list(SYSTEMS)
    spark_ok, why = spark_available()
    with tempfile.TemporaryDirectory(prefix="shopmind-forecast-bench-") as tmp:
        data_dir = Path(tmp)
        train[["unique_id", "ds", "y"]].to_parquet(data_dir / "train.parquet", index=False)
        for system in SYSTEMS:
            if system not in wanted:
                continue
            if system == "shopmind-spark" and (args.spark == "off" or not spark_ok):
                reason = "--spark off" if args.spark == "off" else why
                rows.append({"system": system, "skipped": reason})
                notes.append(f"{system} skipped: {reason}")
                continue
            print(f"{system}: forecasting {n_series:,} series ...", flush=True)
            info = run_system(system, data_dir, args)
            forecasts = pd.read_parquet(data_dir / f"{system}.parquet")
            row: dict[str, Any] = {
                "system": system,
                "series_per_s": n_series / info["run_s"],
                "series_per_cpu_s": n_series / info["cpu_s"] if info["cpu_s"] > 0 else None,
            }
            row.update({k: v for k, v in info.items() if k != "models"})
            row.update(score(forecasts, train, test, kind_of))
            row["models"] = info["models"]
            rows.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    elapsed = time.perf_counter() - started
    data = (
        f"{n_series:,} generated daily series of {args.days} days (seed {SEED}; kinds {kinds}); "
        f"each system fits the first {args.days - args.horizon} days and forecasts {args.horizon} "
        f"with {LEVELS[0]}% and {LEVELS[1]}% intervals; accuracy on the held-out last {args.horizon} days."
    )
    result = {
        "benchmark": "forecast",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(load=True),
        "shopmind_commit": shopmind_commit(),
        "versions": _versions(),
        "data": data,
        "quick": args.quick,
        "n_jobs": args.n_jobs,
        "shopmind_options": shopmind_options(args.set),
        "run_s": round(elapsed, 1),
        "notes": notes,
        "rows": rows,
    }
    caption = "\n".join([*notes, data, f"whole run {elapsed:.0f} s"])
    print_table(rows, f"forecast: {n_series:,} daily series, horizon {args.horizon}", caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
