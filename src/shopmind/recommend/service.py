"""A shop's recommender as served: the hybrid, cold-start lists, session signals, product-to-product
lists, business rules and explanations, in one picklable object (the registry's ``recommender``).

It stays pure: the Engine hands it tables when fitting and the customer's recent events when
serving; it never reads the store itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import numpy as np
import pandas as pd

from shopmind.errors import NotFittedError, check_param
from shopmind.features.geo import normalize_province
from shopmind.features.interactions import build_matrix, interaction_table
from shopmind.recommend.base import EVENT_WEIGHTS
from shopmind.recommend.explain import Explanation, explain
from shopmind.recommend.hybrid import HybridRecommender
from shopmind.recommend.popularity import Popularity
from shopmind.recommend.query import QueryIntent, match, parse_query, product_terms
from shopmind.recommend.rules import ProductFacts, RuleConfig, RuleContext, apply_rules
from shopmind.results import Scored

SESSION_MINUTES = 30  # events this recent count as the current session
SESSION_BOOST = 2.0  # what the session weighs against older history
QUERY_SHARE = 0.6  # share of slots that follow a fresh search


@dataclass(frozen=True)
class Recommendation:
    """One recommended product with its score and why."""

    sku: str
    score: float
    title: str
    title_en: str | None
    reason: Explanation

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "score": round(self.score, 6),
            "title": self.title,
            "title_en": self.title_en,
            "reason": self.reason.as_dict(),
        }


@dataclass
class Session:
    """What the customer did recently: weights by product, the last search, what they viewed."""

    weights: dict[str, float] = field(default_factory=dict)
    query: QueryIntent | None = None
    viewed: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # sku -> strongest event type


_KIND_RANK = {
    k: i for i, k in enumerate(["view", "click", "share", "favorite", "rate", "add_to_cart", "purchase"])
}


def strongest_kinds(events: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per customer, per product: the strongest thing they did with it (bought > carted > viewed),
    so an explanation can say "because you bought" rather than "because you viewed"."""
    part = events.dropna(subset=["customer_id", "sku"])
    part = part[part["event_type"].isin(list(_KIND_RANK))]
    if part.empty:
        return {}
    ranked = (
        part.assign(_r=part["event_type"].map(_KIND_RANK))
        .sort_values("_r")
        .drop_duplicates(["customer_id", "sku"], keep="last")
    )
    out: dict[str, dict[str, str]] = {}
    for c, s, k in zip(
        ranked["customer_id"].astype(str),
        ranked["sku"].astype(str),
        ranked["event_type"].astype(str),
        strict=True,
    ):
        out.setdefault(c, {})[s] = k
    return out


def session_from_events(events: pd.DataFrame, now: dt.datetime, minutes: int = SESSION_MINUTES) -> Session:
    """A session from a customer's recent events (``event_type, sku, query, ts``)."""
    session = Session()
    if events is None or events.empty:
        return session
    ts = pd.to_datetime(events["ts"], utc=True)
    recent = events[ts >= pd.Timestamp(now) - pd.Timedelta(minutes=minutes)].assign(_ts=ts).sort_values("_ts")
    rank = {k: i for i, k in enumerate(["view", "click", "share", "favorite", "add_to_cart", "purchase"])}
    for row in recent.itertuples(index=False):
        kind, sku = str(row.event_type), row.sku
        if kind == "search" and isinstance(row.query, str) and row.query.strip():
            session.query = parse_query(row.query)
            continue
        if not isinstance(sku, str):
            continue
        if kind == "remove_from_cart":
            session.weights[sku] = (
                session.weights.get(sku, 0.0) - EVENT_WEIGHTS["add_to_cart"] * SESSION_BOOST
            )
            continue
        session.weights[sku] = session.weights.get(sku, 0.0) + EVENT_WEIGHTS.get(kind, 0.5) * SESSION_BOOST
        if kind in ("view", "click") and sku not in session.viewed:
            session.viewed.append(sku)
        if rank.get(kind, -1) > rank.get(session.kinds.get(sku, ""), -1):
            session.kinds[sku] = kind
    session.weights = {k: v for k, v in session.weights.items() if v > 0}
    return session


class ShopRecommender:
    """Everything a shop's recommendations need, fitted from its tables.

    Parameters
    ----------
    rules : RuleConfig
        Business rules (stock, repurchase, freshness, categories, diversity, promoted, exploration).
    new_item_days : int
        Products created this recently, or with fewer than 3 interactions, are "new".
    max_new_items : int
        At most this many new products compete for the exploration slots: the newest first, then
        those with the fewest interactions (keeps serving fast in a catalog of 100,000 products).
    hybrid : HybridRecommender, optional
        The ranker over the candidate sources (default settings when not given).
    """

    def __init__(
        self,
        rules: RuleConfig | None = None,
        new_item_days: int = 30,
        hybrid: HybridRecommender | None = None,
        max_new_items: int = 1000,
    ) -> None:
        self.rules = rules
        self.new_item_days = new_item_days
        self.max_new_items = max_new_items
        self.hybrid = hybrid

    def fit(
        self,
        events: pd.DataFrame,
        *,
        products: pd.DataFrame,
        customers: pd.DataFrame | None = None,
        inventory: pd.DataFrame | None = None,
        now: dt.datetime | None = None,
    ) -> Self:
        """Learn from events (``customer_id, session_id, sku, event_type, ts[, value]``) and tables."""
        from shopmind.recommend.sources import ContentBased

        check_param(
            "ShopRecommender", "new_item_days", self.new_item_days, self.new_item_days >= 0, "an int >= 0"
        )
        check_param(
            "ShopRecommender", "max_new_items", self.max_new_items, self.max_new_items >= 0, "an int >= 0"
        )
        now = now or (
            pd.to_datetime(events["ts"], utc=True).max().to_pydatetime()
            if len(events)
            else dt.datetime.now(dt.UTC)
        )
        self.trained_at_ = now
        self.hybrid_: HybridRecommender | None
        try:
            self.hybrid_ = (self.hybrid or HybridRecommender()).fit(
                events, products=products, customers=customers, inventory=inventory
            )
        except NotFittedError:
            self.hybrid_ = None  # no customer-product interactions yet: cold-start lists only
        self.facts_ = ProductFacts.from_frames(products, inventory)
        p = products.set_index("sku")
        self.titles_ = {
            str(s): (str(r["title"]), (str(r["title_en"]) if isinstance(r.get("title_en"), str) else None))
            for s, r in p.iterrows()
        }
        text_cols = [
            c for c in ("title", "title_en", "category", "description", "description_en", "brand") if c in p
        ]
        self.terms_ = {
            str(s): product_terms({c: r[c] if isinstance(r[c], str) else None for c in text_cols})
            for s, r in p.iterrows()
        }
        self.kinds_ = strongest_kinds(events)
        self.province_: dict[str, str] = {}
        if customers is not None and "province" in customers:
            known = customers.dropna(subset=["province"])
            self.province_ = {
                str(c): normalize_province(str(p)) or str(p)
                for c, p in zip(known["customer_id"], known["province"], strict=True)
            }

        # Popularity: purchases and carts (views inflate what is merely shown), by region.
        strong = events[events["event_type"].isin(("purchase", "add_to_cart"))].dropna(subset=["sku"])
        if strong.empty:
            strong = events.dropna(subset=["sku"])
        region = strong["customer_id"].map(self.province_) if "customer_id" in strong else None
        buys = pd.DataFrame(
            {"sku": strong["sku"].astype(str), "ts": strong["ts"], "region": region, "quantity": 1.0}
        )
        self.popularity_ = Popularity(half_life_days=14, min_region_purchases=30).fit(buys, now=now)
        self.trending_ = Popularity(half_life_days=3).fit(buys, now=now)

        # Product to product: bought together (same customer's purchases) and viewed together (same session).
        self.bought_together_ = self._cooccurrence(events, ("purchase", "add_to_cart"), "customer_id")
        self.viewed_together_ = self._cooccurrence(events, ("view", "click"), "session_id")
        self.content_ = ContentBased().fit_items(products) if len(products) else None

        table = interaction_table(events) if len(events) else pd.DataFrame(columns=["sku"])
        counts = table.groupby("sku").size()
        created = pd.to_datetime(products["created_at"], utc=True) if "created_at" in products else None
        fresh = (
            set(products.loc[created >= pd.Timestamp(now) - pd.Timedelta(days=self.new_item_days), "sku"])
            if created is not None
            else set()
        )
        rare = set(products["sku"]) - set(counts[counts >= 3].index)
        newest = (
            dict(zip(products["sku"].astype(str), created.rank(ascending=False, method="first"), strict=True))
            if created is not None
            else {}
        )
        candidates = [str(s) for s in (fresh | rare) if self.facts_.active.get(str(s), True)]
        # Fresh products first (newest first), then the least seen; the sku breaks ties.
        candidates.sort(
            key=lambda s: (
                s not in fresh,
                newest.get(s, 0.0) if s in fresh else 0.0,
                int(counts.get(s, 0)),
                s,
            )
        )
        self.new_items_ = candidates[: self.max_new_items]
        self.new_subset_ = self.content_.subset(self.new_items_) if self.content_ is not None else None
        return self

    def _cooccurrence(self, events: pd.DataFrame, kinds: tuple[str, ...], basket_col: str) -> Any:
        from shopmind.recommend.sources import ItemKNN

        part = (
            events[events["event_type"].isin(kinds)].dropna(subset=["sku", basket_col])
            if basket_col in events
            else events.iloc[:0]
        )
        if part.empty:
            return None
        table = (
            part.groupby([basket_col, "sku"])
            .size()
            .rename("weight")
            .reset_index()
            .rename(columns={basket_col: "customer_id"})
        )
        table = table[
            table.groupby("customer_id")["sku"].transform("size") > 1
        ]  # a basket of one says nothing
        if table.empty:
            return None
        return ItemKNN(k=50).fit(build_matrix(table))

    # -- serving ----------------------------------------------------------------------------------------
    def _history(self, customer_id: str | None) -> dict[str, float]:
        return self.hybrid_.customer_history(customer_id) if self.hybrid_ is not None else {}

    def _check(self) -> None:
        if not hasattr(self, "facts_"):
            raise NotFittedError(
                "This ShopRecommender is not fitted yet. Train it with `shopmind train recommender`."
            )

    def _explain(self, s: Scored, kinds: Mapping[str, str]) -> Recommendation:
        zh, en = self.titles_.get(s.id, (s.id, None))
        text = explain(
            s.reason,
            title=lambda sku: (
                self.titles_.get(sku, (sku, None))[0],
                self.titles_.get(sku, (sku, None))[1] or self.titles_.get(sku, (sku, None))[0],
            ),
            history_kind=kinds,
        )
        return Recommendation(s.id, s.score, zh, en, text)

    def cold_start(
        self, n: int, *, province: str | None, today: dt.date, categories: Sequence[str] = ()
    ) -> list[Scored]:
        """For a customer we know nothing about: popular in their region, in season, trending."""
        pool: dict[str, float] = {}
        why: dict[str, str] = {}
        top = max(self.popularity_.scores_.iloc[0], 1e-9) if len(self.popularity_.scores_) else 1.0
        for s in self.popularity_.top(300, region=province):
            pool[s.id] = s.score / top
            why[s.id] = s.reason or "popular"
        trend_top = max(self.trending_.scores_.iloc[0], 1e-9) if len(self.trending_.scores_) else 1.0
        for s in self.trending_.top(100):
            bonus = 0.3 * s.score / trend_top
            pool[s.id] = pool.get(s.id, 0.0) + bonus
            if why.get(s.id, "popular") == "popular" and bonus > 0.2:
                why[s.id] = "trending"
            why.setdefault(s.id, "trending")
        if categories:
            # Everything in the chosen categories competes, not only what is already popular.
            prefixes = tuple(categories)
            for sku, category in self.facts_.category.items():
                if category.startswith(prefixes):
                    pool[sku] = pool.get(sku, 0.0) + 10.0
                    why[sku] = f"onboarding:{category.split('/')[-1]}"
        for sku in list(pool):
            if self.facts_.in_season(sku, today):
                pool[sku] += 0.5
                if why[sku] == "popular":
                    why[sku] = "in_season"
        order = sorted(pool, key=lambda k: -pool[k])
        return [Scored(k, pool[k], why[k]) for k in order[: n * 4]]

    def _query_list(self, query: QueryIntent, base: Sequence[Scored], today: dt.date, n: int) -> list[Scored]:
        """Products the last search asked for, in season when it said so, best first."""
        order = {s.id: i for i, s in enumerate(base)}
        hits = []
        for sku, terms in self.terms_.items():
            score = match(query, terms)
            if score <= 0 or not self.facts_.active.get(sku, True):
                continue
            if query.seasonal and self.facts_.in_season(sku, today) is not True:
                continue
            hits.append((score, -order.get(sku, len(order)), self.popularity_.scores_.get(sku, 0.0), sku))
        hits.sort(reverse=True)
        return [Scored(h[3], float(h[0]), f"session_query:{query.text}") for h in hits[: n * 3]]

    def recommend(
        self,
        customer_id: str | None,
        n: int = 10,
        *,
        recent_events: pd.DataFrame | None = None,
        purchased: set[str] | None = None,
        province: str | None = None,
        categories: Sequence[str] = (),
        onboarding: Sequence[str] = (),
        out_of_stock: Collection[str] | None = None,
        now: dt.datetime | None = None,
        rules: RuleConfig | None = None,
    ) -> list[Recommendation]:
        """Top ``n`` products for a customer (or an anonymous session), explained.

        Parameters
        ----------
        customer_id : str or None
            The shop's customer id; None for an anonymous session.
        recent_events : DataFrame, optional
            The customer's or session's latest events (``event_type, sku, query, ts``): they change
            the answer at once, without retraining.
        purchased : set of str, optional
            Everything the customer bought (also after training), for the repurchase rule.
        province : str, optional
            Delivery province (default: the customer's, if known).
        categories : sequence of str
            Only these category paths (prefixes).
        onboarding : sequence of str
            Category prefixes a new customer picked when signing up.
        out_of_stock : set of str, optional
            Products out of stock now (stock changes faster than models are retrained).
        """
        self._check()
        check_param(
            "ShopRecommender.recommend", "n", n, isinstance(n, int) and 1 <= n <= 200, "an int in [1, 200]"
        )
        now = now or dt.datetime.now(dt.UTC)
        today = now.date()
        session = session_from_events(recent_events if recent_events is not None else pd.DataFrame(), now)
        province = normalize_province(province) or self.province_.get(customer_id or "")
        history_kinds = {**self.kinds_.get(customer_id or "", {}), **session.kinds}
        ranked: list[Scored] = []
        if self.hybrid_ is not None:
            ranked = self.hybrid_.rank(
                customer_id, n, session=session.weights or None, exclude=set(session.viewed), today=today
            )
        if not ranked:
            ranked = self.cold_start(n, province=province, today=today, categories=onboarding)
        config = rules or self.rules or RuleConfig()
        context = RuleContext(
            province=province,
            purchased=set(purchased or ()),
            include_categories=tuple(categories),
            out_of_stock=out_of_stock if out_of_stock is not None else frozenset(),
            recently_viewed=set(session.viewed),
        )
        pinned: list[Scored] = []
        if session.query is not None and session.query.terms:
            # A fresh search leads: its matches take the first slots (diverse at the leaf category).
            asked = self._query_list(session.query, ranked, today, n)
            k = math.ceil(n * QUERY_SHARE)
            query_rules = replace(
                config, category_depth=3, mmr_lambda=None, promoted=(), exploration_share=0.0
            )
            pinned = apply_rules(asked, k, self.facts_, context, query_rules) if asked else []
            taken = {s.id for s in pinned}
            ranked = [s for s in ranked if s.id not in taken]
        new_items = self._new_items(session.weights or self._history(customer_id), n)
        rest = (
            apply_rules(ranked, n - len(pinned), self.facts_, context, config, new_items=new_items)
            if n > len(pinned)
            else []
        )
        taken = {s.id for s in pinned}
        chosen = pinned + [s for s in rest if s.id not in taken]
        return [self._explain(s, history_kinds) for s in chosen]

    def _new_items(self, history: Mapping[str, float], n: int) -> list[Scored]:
        """New products for the exploration slots: the ones closest to the history by content."""
        if not self.new_items_:
            return []
        subset = getattr(self, "new_subset_", None)  # models saved before it existed lack it
        if history and self.content_ is not None:
            scores = (
                self.content_.score_subset(subset, None, history=dict(history))
                if subset is not None
                else self.content_.score(None, self.new_items_, history=dict(history))
            )
            order = np.argsort(-np.asarray(scores))[: n * 2]
            return [Scored(self.new_items_[i], float(scores[i]), "new_item") for i in order]
        return [Scored(s, 0.0, "new_item") for s in self.new_items_[: n * 2]]

    def similar(self, sku: str, n: int = 10) -> list[Recommendation]:
        """Customers who viewed this also viewed (co-view), topped up by content neighbours."""
        self._check()
        found: list[Scored] = []
        if self.viewed_together_ is not None and sku in self.viewed_together_.interactions_.item_index:
            found = [
                Scored(s.id, s.score, "also_viewed") for s in self.viewed_together_.similar_items(sku, n)
            ]
        if len(found) < n and self.content_ is not None and sku in self.content_.item_index_:
            seen = {s.id for s in found} | {sku}
            found += [
                Scored(s.id, s.score, "similar_product")
                for s in self.content_.similar_items(sku, n * 2)
                if s.id not in seen
            ][: n - len(found)]
        return [self._explain(s, {}) for s in found[:n]]

    def bought_together(self, sku: str, n: int = 10) -> list[Recommendation]:
        """Frequently bought together (co-purchase by the same customers)."""
        self._check()
        if self.bought_together_ is None or sku not in self.bought_together_.interactions_.item_index:
            return []
        return [
            self._explain(Scored(s.id, s.score, "bought_together"), {})
            for s in self.bought_together_.similar_items(sku, n)
        ]
