"""The hybrid recommender: candidate sources blended by a learned ranker, then business rules.

Fitting (``fit``):

1. Interactions are weighted by event type (purchase > add to cart > click > view).
2. Each customer's most recent interactions are held out as a validation set.
3. The candidate sources are fitted on the rest; for each validation customer their top
   candidates are pooled and described by features (each source's score and rank, popularity,
   category affinity, price fit, region, season, stock).
4. A LightGBM LambdaRank model learns from those features which candidates the customer went on
   to choose. With too little data for that, a fixed reciprocal-rank fusion is used instead.
5. The sources are refitted on all interactions for serving.

Serving (``recommend``) takes the customer's stored history plus what they did in the current
session, so a new event changes the next answer without retraining.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from shopmind.errors import NotFittedError, check_param
from shopmind.features.geo import normalize_province
from shopmind.features.interactions import build_matrix, interaction_table
from shopmind.recommend.base import CandidateSource, InteractionMatrix
from shopmind.recommend.rules import ProductFacts
from shopmind.results import Scored

SourceFactory = Callable[[], CandidateSource]


def default_sources() -> dict[str, SourceFactory]:
    """The candidate sources the hybrid blends by default."""
    from shopmind.recommend.sources import ALS, BPR, EASE, ItemKNN, UserKNN

    return {
        "item_knn": lambda: ItemKNN(),
        "user_knn": lambda: UserKNN(),
        "als": lambda: ALS(),
        "bpr": lambda: BPR(),
        "ease": lambda: EASE(),
    }


@dataclass
class _Context:
    """What the features need about one customer."""

    history: dict[str, float]
    province: str | None = None
    price_level: float | None = None  # mean log price of what they interacted with
    category_share: dict[str, float] = field(default_factory=dict)


class HybridRecommender:
    """Candidate sources blended by a learned ranker.

    Parameters
    ----------
    sources : mapping of name to a factory, optional
        The candidate sources (default: item kNN, user kNN, ALS, BPR, EASE). Sources that fail to
        fit (too little data) are left out with a note in ``sources_skipped_``.
    candidates : int
        Candidates each source proposes per customer before ranking.
    holdout : int
        Most recent interactions per customer held out to train the ranker.
    ranker : {"lambdarank", "fusion"}
        LightGBM LambdaRank, or reciprocal-rank fusion with equal weights (no training).
    min_ranker_users : int
        Fewer validation customers than this falls back to fusion.
    random_state : int
        Seed for LightGBM and the sources that take one.
    """

    def __init__(
        self,
        sources: Mapping[str, SourceFactory] | None = None,
        *,
        candidates: int = 100,
        holdout: int = 1,
        ranker: str = "lambdarank",
        min_ranker_users: int = 30,
        random_state: int = 0,
    ) -> None:
        self.sources = sources
        self.candidates = candidates
        self.holdout = holdout
        self.ranker = ranker
        self.min_ranker_users = min_ranker_users
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------------
    def fit(
        self,
        events: pd.DataFrame,
        *,
        products: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None,
        inventory: pd.DataFrame | None = None,
        now: dt.datetime | None = None,
    ) -> Self:
        """Learn from events (``customer_id, sku, event_type, ts[, value]``) and the catalog."""
        check_param("HybridRecommender", "candidates", self.candidates, self.candidates >= 1, "an int >= 1")
        check_param("HybridRecommender", "holdout", self.holdout, self.holdout >= 1, "an int >= 1")
        check_param(
            "HybridRecommender",
            "ranker",
            self.ranker,
            self.ranker in ("lambdarank", "fusion"),
            "'lambdarank' or 'fusion'",
        )
        table = interaction_table(events)
        if table.empty:
            raise NotFittedError(
                "No interactions to learn from: the events have no customer and product pairs."
            )
        self._catalog(products, inventory, table)
        self._customers(customers)
        factories = dict(self.sources or default_sources())

        train, valid = _holdout(table, self.holdout)
        self.ranker_: Any = None
        self.ranker_sources_: list[str] = []
        self.sources_skipped_: dict[str, str] = {}
        if self.ranker == "lambdarank" and valid["customer_id"].nunique() >= self.min_ranker_users:
            fitted = self._fit_sources(factories, train)
            features, labels, groups = self._training_pairs(
                fitted, build_matrix(train, items=self.items_), train, valid
            )
            if len(groups) >= self.min_ranker_users and labels.sum() > 0:
                import lightgbm as lgb

                self.ranker_ = lgb.LGBMRanker(
                    objective="lambdarank",
                    n_estimators=200,
                    learning_rate=0.05,
                    num_leaves=31,
                    min_child_samples=20,
                    subsample=0.8,
                    subsample_freq=1,
                    colsample_bytree=0.8,
                    random_state=self.random_state,
                    verbose=-1,
                    n_jobs=1,
                )
                self.ranker_.fit(features, labels, group=groups)
                self.feature_importances_ = dict(
                    zip(
                        self.feature_names_,
                        (float(x) for x in self.ranker_.booster_.feature_importance("gain")),
                        strict=True,
                    )
                )
        # Serve from sources fitted on everything.
        self.matrix_ = build_matrix(table, items=self.items_)
        self.sources_ = self._fit_sources(factories, table)
        self._table = table
        self.history_ = {
            str(u): dict(zip(g["sku"].astype(str), g["weight"].astype(float), strict=True))
            for u, g in table.groupby("customer_id")
        }
        return self

    def _catalog(
        self, products: pd.DataFrame | None, inventory: pd.DataFrame | None, table: pd.DataFrame
    ) -> None:
        skus = sorted(
            set(table["sku"].astype(str))
            | (set(products["sku"].astype(str)) if products is not None else set())
        )
        self.items_ = skus
        self.facts_ = (
            ProductFacts.from_frames(products, inventory) if products is not None else ProductFacts()
        )
        price = (
            products.set_index("sku")["price"].dropna()
            if products is not None and "price" in products
            else pd.Series(dtype=float)
        )
        self.log_price_ = {str(k): math.log1p(float(v)) for k, v in price.items() if float(v) >= 0}
        self.top_category_ = {s: c.split("/")[0] for s, c in self.facts_.category.items()}
        counts = table.groupby("sku")["weight"].sum()
        self.item_popularity_ = {str(k): float(v) for k, v in np.log1p(counts).items()}

    def _customers(self, customers: pd.DataFrame | None) -> None:
        self.province_: dict[str, str] = {}
        if customers is not None and "province" in customers:
            known = customers.dropna(subset=["province"])
            self.province_ = {
                str(c): normalize_province(str(p)) or str(p)
                for c, p in zip(known["customer_id"], known["province"], strict=True)
            }

    def _fit_sources(
        self, factories: Mapping[str, SourceFactory], table: pd.DataFrame
    ) -> dict[str, CandidateSource]:
        matrix = build_matrix(table, items=self.items_)
        fitted: dict[str, CandidateSource] = {}
        for name, make in factories.items():
            try:
                fitted[name] = make().fit(matrix)
            except Exception as exc:  # a source that cannot learn from this data is left out
                self.sources_skipped_[name] = f"{type(exc).__name__}: {exc}"
        if not fitted:
            raise NotFittedError(f"No candidate source could be fitted: {self.sources_skipped_}")
        return fitted

    # -- features -----------------------------------------------------------------------------------
    @property
    def feature_names_(self) -> list[str]:
        names = []
        for s in self.ranker_sources_:
            names += [f"{s}_score", f"{s}_rrank"]
        return [
            *names,
            "popularity",
            "category_affinity",
            "price_gap",
            "same_province",
            "in_season",
            "in_stock",
            "history_size",
        ]

    def _context(self, customer_id: str | None, history: Mapping[str, float]) -> _Context:
        total = sum(max(w, 0.0) for w in history.values()) or 1.0
        share: dict[str, float] = {}
        prices = []
        for sku, w in history.items():
            cat = self.top_category_.get(sku)
            if cat:
                share[cat] = share.get(cat, 0.0) + max(w, 0.0) / total
            if sku in self.log_price_:
                prices.append(self.log_price_[sku])
        return _Context(
            dict(history),
            self.province_.get(customer_id or ""),
            float(np.mean(prices)) if prices else None,
            share,
        )

    def _candidates(
        self,
        sources: Mapping[str, CandidateSource],
        ctx: _Context,
        customer_id: str | None,
        exclude: set[str],
    ) -> tuple[list[str], dict[str, dict[str, tuple[float, int]]], dict[str, str]]:
        """Pooled candidates, each source's (score, rank) for them, and the best reason of each."""
        per_source: dict[str, dict[str, tuple[float, int]]] = {}
        reason: dict[str, str] = {}
        best_rank: dict[str, int] = {}
        for name, src in sources.items():
            found = src.recommend(customer_id, self.candidates, history=ctx.history, exclude=exclude)
            per_source[name] = {s.id: (s.score, r) for r, s in enumerate(found)}
            for r, s in enumerate(found):
                if s.reason and (s.id not in best_rank or r < best_rank[s.id]):
                    best_rank[s.id], reason[s.id] = r, s.reason
        pool = sorted(best_rank, key=lambda i: best_rank[i])
        return pool, per_source, reason

    def _features(
        self,
        pool: Sequence[str],
        per_source: Mapping[str, Mapping[str, tuple[float, int]]],
        ctx: _Context,
        today: dt.date,
    ) -> np.ndarray:
        # Columns follow the sources the ranker was trained with; a source missing now scores 0.
        names = self.ranker_sources_
        rows = np.zeros((len(pool), 2 * len(names) + 7), dtype=np.float32)
        for j, name in enumerate(names):
            got = per_source.get(name, {})
            for i, sku in enumerate(pool):
                hit = got.get(sku)
                if hit is not None:
                    rows[i, 2 * j] = hit[0]
                    rows[i, 2 * j + 1] = 1.0 / (1.0 + hit[1])
        base = 2 * len(names)
        hist_size = math.log1p(len(ctx.history))
        for i, sku in enumerate(pool):
            rows[i, base] = self.item_popularity_.get(sku, 0.0)
            rows[i, base + 1] = ctx.category_share.get(self.top_category_.get(sku, ""), 0.0)
            lp = self.log_price_.get(sku)
            rows[i, base + 2] = (
                abs(lp - ctx.price_level) if lp is not None and ctx.price_level is not None else -1.0
            )
            origin = normalize_province(self.facts_.origin_province.get(sku))
            rows[i, base + 3] = -1.0 if not (origin and ctx.province) else float(origin == ctx.province)
            season = self.facts_.in_season(sku, today)
            rows[i, base + 4] = -1.0 if season is None else float(season)
            stock = self.facts_.in_stock.get(sku)
            rows[i, base + 5] = -1.0 if stock is None else float(stock)
            rows[i, base + 6] = hist_size
        return rows

    def _training_pairs(
        self,
        sources: Mapping[str, CandidateSource],
        matrix: InteractionMatrix,
        train: pd.DataFrame,
        valid: pd.DataFrame,
    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        self.ranker_sources_ = sorted(sources)
        hist = {
            str(u): dict(zip(g["sku"].astype(str), g["weight"].astype(float), strict=True))
            for u, g in train.groupby("customer_id")
        }
        truth = {str(u): set(g["sku"].astype(str)) for u, g in valid.groupby("customer_id")}
        today = (
            pd.Timestamp(valid["last_ts"].max()).date()
            if "last_ts" in valid and len(valid)
            else dt.date.today()
        )
        blocks, labels, groups = [], [], []
        for user, wanted in truth.items():
            history = hist.get(user, {})
            ctx = self._context(user, history)
            pool, per_source, _ = self._candidates(sources, ctx, user, set(history))
            if not pool or not wanted & set(pool):
                continue  # nothing to learn from this customer: no positive among the candidates
            blocks.append(self._features(pool, per_source, ctx, today))
            labels.append(np.fromiter((sku in wanted for sku in pool), dtype=np.float32, count=len(pool)))
            groups.append(len(pool))
        if not blocks:
            return np.zeros((0, 0), np.float32), np.zeros(0, np.float32), []
        return np.vstack(blocks), np.concatenate(labels), groups

    # -- serving ------------------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "sources_"):
            raise NotFittedError(
                "This HybridRecommender is not fitted yet. Call fit() with the shop's events first."
            )

    def customer_history(self, customer_id: str | None) -> dict[str, float]:
        self._check()
        return dict(self.history_.get(customer_id or "", {}))

    def rank(
        self,
        customer_id: str | None,
        n: int = 10,
        *,
        session: Mapping[str, float] | None = None,
        exclude: set[str] | None = None,
        today: dt.date | None = None,
    ) -> list[Scored]:
        """The customer's candidates, best first, before business rules (``n`` × 3 of them).

        ``session`` adds what the customer did since the model was trained ({sku: weight});
        an unknown or anonymous customer is served from the session alone. Returns [] when there
        is nothing to go on (the caller then uses cold-start lists).
        """
        self._check()
        check_param("HybridRecommender.rank", "n", n, n >= 1, "an int >= 1")
        history = self.customer_history(customer_id)
        for sku, w in (session or {}).items():
            history[sku] = history.get(sku, 0.0) + w
        if not history:
            return []
        known = customer_id if customer_id in self.history_ and not session else None
        ctx = self._context(customer_id, history)
        pool, per_source, reason = self._candidates(self.sources_, ctx, known, set(exclude or ()))
        if not pool:
            return []
        if self.ranker_ is not None:
            scores = self.ranker_.predict(self._features(pool, per_source, ctx, today or dt.date.today()))
        else:
            scores = np.array(
                [sum(1.0 / (60 + got[s][1]) for got in per_source.values() if s in got) for s in pool]
            )
        order = np.argsort(-scores, kind="stable")[: n * 3]
        return [Scored(pool[i], float(scores[i]), reason.get(pool[i])) for i in order]


def _holdout(table: pd.DataFrame, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each customer's ``k`` most recent interactions (customers with at least ``k + 2``), apart."""
    ordered = table.sort_values(["customer_id", "last_ts"], kind="stable")
    size = ordered.groupby("customer_id")["sku"].transform("size")
    from_end = ordered.groupby("customer_id").cumcount(ascending=False)
    is_valid = (size >= k + 2) & (from_end < k)
    return ordered[~is_valid], ordered[is_valid]
