"""The hybrid recommender: candidate sources blended by a learned ranker, then business rules.

Fitting (``fit``):

1. Interactions are weighted by event type (purchase > add to cart > click > view).
2. Each customer's most recent interactions are held out as a validation set.
3. The candidate sources are fitted on the rest; for each validation customer their top
   candidates are pooled and described by features (each source's score and rank, popularity,
   category affinity, price fit, region, season, stock).
4. A LightGBM LambdaRank model learns from those features which candidates the customer went on
   to choose. On validation customers it did not learn from, it competes with reciprocal-rank
   fusion and with each source alone; the best by nDCG@10 orders the candidates when serving
   (``mode_``, with the scores in ``selection_``). With too little data, fusion is used.
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
from shopmind.recommend.base import CandidateSource
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
    holdout : float
        Share of each customer's most recent interactions held out to train and choose the ranker.
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
        holdout: float = 0.2,
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
        check_param("HybridRecommender", "holdout", self.holdout, 0 < self.holdout < 1, "a number in (0, 1)")
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
        self.mode_ = "fusion"
        self.selection_: dict[str, float] = {}
        self.feature_importances_: dict[str, float] = {}
        if self.ranker == "lambdarank" and valid["customer_id"].nunique() >= self.min_ranker_users:
            fitted = self._fit_sources(factories, train)
            features, labels, groups = self._training_pairs(fitted, train, valid)
            if len(groups) >= self.min_ranker_users and labels.sum() > 0:
                self._select(features, labels, groups)
        # Serve from sources fitted on everything.
        self.matrix_ = build_matrix(table, items=self.items_)
        self.sources_ = self._fit_sources(factories, table)
        self._table = table
        self.history_ = {
            str(u): dict(zip(g["sku"].astype(str), g["weight"].astype(float), strict=True))
            for u, g in table.groupby("customer_id")
        }
        return self

    def _new_ranker(self) -> Any:
        import lightgbm as lgb

        # Few customers per shop: shallow, regularized trees generalize better than deep ones.
        return lgb.LGBMRanker(
            objective="lambdarank",
            n_estimators=200,
            learning_rate=0.05,
            num_leaves=15,
            min_child_samples=50,
            reg_lambda=1.0,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.random_state,
            verbose=-1,
            n_jobs=1,
        )

    def _select(self, features: np.ndarray, labels: np.ndarray, groups: list[int]) -> None:
        """Choose how to order candidates: the learned ranker, reciprocal-rank fusion or one source
        alone, by nDCG@10 on validation customers the ranker did not learn from. A blend that cannot
        beat its best part on this shop's data is not used."""
        bounds = np.cumsum([0, *groups])
        order = np.random.default_rng(self.random_state).permutation(len(groups))
        learn, judge = np.sort(order[: len(groups) // 2]), np.sort(order[len(groups) // 2 :])

        def rows(users: np.ndarray) -> np.ndarray:
            return np.concatenate([np.arange(bounds[u], bounds[u + 1]) for u in users])

        def ndcg(scores: np.ndarray) -> float:
            total = 0.0
            for u in judge:
                lo, hi = bounds[u], bounds[u + 1]
                top = np.argsort(-scores[lo:hi], kind="stable")[:10]
                gains = labels[lo:hi][top]
                ideal = np.sort(labels[lo:hi])[::-1][:10]
                dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
                idcg = float((ideal / np.log2(np.arange(2, len(ideal) + 2))).sum())
                total += dcg / idcg if idcg else 0.0
            return total / max(len(judge), 1)

        candidates: dict[str, np.ndarray] = {}
        names = self.ranker_sources_
        for j, name in enumerate(names):
            candidates[f"source:{name}"] = features[:, 2 * j + 1]  # 1 / (1 + rank), 0 when absent
        candidates["fusion"] = features[:, [2 * j + 1 for j in range(len(names))]].sum(axis=1)
        half = self._new_ranker().fit(
            features[rows(learn)], labels[rows(learn)], group=[groups[u] for u in learn]
        )
        ranker_scores = np.zeros(len(labels))
        ranker_scores[rows(judge)] = half.predict(features[rows(judge)])
        candidates["lambdarank"] = ranker_scores
        self.selection_ = {mode: round(ndcg(scores), 6) for mode, scores in candidates.items()}
        self.mode_ = max(self.selection_, key=lambda m: (self.selection_[m], m == "lambdarank"))
        if self.mode_ == "lambdarank":
            self.ranker_ = self._new_ranker().fit(features, labels, group=groups)
            gains = (float(x) for x in self.ranker_.booster_.feature_importance("gain"))
            self.feature_importances_ = dict(zip(self.feature_names_, gains, strict=True))

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
        self, sources: Mapping[str, CandidateSource], train: pd.DataFrame, valid: pd.DataFrame
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
        fusion = np.array(
            [sum(1.0 / (1 + got[s][1]) for got in per_source.values() if s in got) for s in pool]
        )
        if self.mode_ == "lambdarank" and self.ranker_ is not None:
            scores = self.ranker_.predict(self._features(pool, per_source, ctx, today or dt.date.today()))
        elif self.mode_.startswith("source:"):
            # One source alone won on validation; fusion only breaks ties among what it did not rank.
            got = per_source.get(self.mode_.split(":", 1)[1], {})
            scores = np.array([1.0 / (1 + got[s][1]) if s in got else 0.0 for s in pool]) + 1e-3 * fusion
        else:
            scores = fusion
        order = np.argsort(-scores, kind="stable")[: n * 3]
        return [Scored(pool[i], float(scores[i]), reason.get(pool[i])) for i in order]


def _holdout(table: pd.DataFrame, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each customer's latest ``share`` of interactions (at least one; customers with at least 3)."""
    ordered = table.sort_values(["customer_id", "last_ts"], kind="stable")
    size = ordered.groupby("customer_id")["sku"].transform("size")
    from_end = ordered.groupby("customer_id").cumcount(ascending=False)
    keep_out = np.maximum(1, np.round(size * share)).astype(int)
    is_valid = (size >= 3) & (from_end < keep_out)
    return ordered[~is_valid], ordered[is_valid]
