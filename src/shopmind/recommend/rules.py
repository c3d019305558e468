"""Business rules applied to a ranked list (like Amazon Personalize's filters, plus produce sense).

- only active products, in stock where stock is known;
- already-bought products left out, except categories people buy again (rice, tea, eggs …);
- products that cannot reach the customer fresh left out (shelf life vs delivery days);
- category include / exclude lists;
- diversity: at most ``max_per_category`` per category, then maximal marginal relevance;
- a share of slots for promoted products and for new products (exploration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shopmind.errors import check_param
from shopmind.features.geo import delivery_days as estimate_delivery_days
from shopmind.results import Scored

#: Category prefixes customers buy again and again: a past purchase does not exclude them.
REPURCHASABLE = ("粮油", "茶叶", "蜂蜜", "禽蛋肉", "生鲜/蔬菜", "干货")


@dataclass(frozen=True)
class RuleConfig:
    """Which rules apply and how. Defaults suit a produce shop."""

    exclude_out_of_stock: bool = True
    exclude_purchased: bool = True
    repurchasable_categories: tuple[str, ...] = REPURCHASABLE
    freshness_margin_days: int = 1
    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    max_per_category: int | None = 3
    category_depth: int = 2
    mmr_lambda: float | None = 0.8
    promoted: tuple[str, ...] = ()
    promoted_share: float = 0.0
    exploration_share: float = 0.1

    def check(self) -> None:
        check_param(
            "RuleConfig",
            "promoted_share",
            self.promoted_share,
            0 <= self.promoted_share <= 1,
            "a number in [0, 1]",
        )
        check_param(
            "RuleConfig",
            "exploration_share",
            self.exploration_share,
            0 <= self.exploration_share <= 1,
            "a number in [0, 1]",
        )
        check_param(
            "RuleConfig",
            "max_per_category",
            self.max_per_category,
            self.max_per_category is None or self.max_per_category >= 1,
            "None or an int >= 1",
        )
        check_param(
            "RuleConfig",
            "mmr_lambda",
            self.mmr_lambda,
            self.mmr_lambda is None or 0 <= self.mmr_lambda <= 1,
            "None or a number in [0, 1]",
        )


@dataclass(frozen=True)
class ProductFacts:
    """What the rules need to know of each product, by sku."""

    category: Mapping[str, str] = field(default_factory=dict)
    active: Mapping[str, bool] = field(default_factory=dict)
    in_stock: Mapping[str, bool] = field(default_factory=dict)  # absent: stock unknown, not excluded
    shelf_life_days: Mapping[str, int] = field(default_factory=dict)
    origin_province: Mapping[str, str] = field(default_factory=dict)
    harvest_months: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_frames(cls, products: pd.DataFrame, inventory: pd.DataFrame | None = None) -> ProductFacts:
        """From the canonical ``products`` and ``inventory`` tables."""
        p = products.set_index("sku")

        def col(name: str) -> dict[str, Any]:
            return {str(k): v for k, v in p[name].dropna().items()} if name in p else {}

        stock: dict[str, bool] = {}
        if inventory is not None and len(inventory):
            stock = {str(k): bool(v) for k, v in (inventory.groupby("sku")["on_hand"].sum() > 0).items()}
        return cls(
            category={k: str(v) for k, v in col("category").items()},
            active={k: v == "active" for k, v in col("status").items()},
            in_stock=stock,
            shelf_life_days={k: int(v) for k, v in col("shelf_life_days").items()},
            origin_province={k: str(v) for k, v in col("origin_province").items()},
            harvest_months={k: tuple(int(m) for m in v) for k, v in col("harvest_months").items() if len(v)},
        )

    def category_key(self, sku: str, depth: int) -> str:
        return "/".join(self.category.get(sku, "").split("/")[:depth])

    def in_season(self, sku: str, day: dt.date) -> bool | None:
        """True in a harvest month, False out of it, None for products without a season."""
        months = self.harvest_months.get(sku)
        return None if not months else day.month in months


@dataclass
class RuleContext:
    """Who the list is for."""

    province: str | None = None
    purchased: set[str] = field(default_factory=set)
    include_categories: tuple[str, ...] = ()  # per request, on top of the config's
    out_of_stock: Collection[str] = field(
        default_factory=frozenset
    )  # stock now, which may differ from training
    recently_viewed: set[str] = field(default_factory=set)  # shown elsewhere on the page, not pushed again


def why_excluded(
    sku: str,
    facts: ProductFacts,
    context: RuleContext,
    config: RuleConfig,
    delivery_days: Callable[[str | None, str | None], int | None] = estimate_delivery_days,
) -> str | None:
    """The rule that leaves ``sku`` out for this customer, or None if it may be shown."""
    if not facts.active.get(sku, True):
        return "inactive"
    if sku in context.recently_viewed:
        return "recently_viewed"
    if config.exclude_out_of_stock and (sku in context.out_of_stock or facts.in_stock.get(sku) is False):
        return "out_of_stock"
    category = facts.category.get(sku, "")
    if (
        config.exclude_purchased
        and sku in context.purchased
        and not category.startswith(config.repurchasable_categories)
    ):
        return "already_purchased"
    includes = config.include_categories + context.include_categories
    if includes and not category.startswith(includes):
        return "category_not_included"
    if config.exclude_categories and category.startswith(config.exclude_categories):
        return "category_excluded"
    shelf = facts.shelf_life_days.get(sku)
    if shelf is not None and context.province:
        days = delivery_days(facts.origin_province.get(sku), context.province)
        if days is not None and days + config.freshness_margin_days > shelf:
            return "cannot_arrive_fresh"
    return None


def _mmr(items: list[Scored], n: int, facts: ProductFacts, lam: float, depth: int) -> list[Scored]:
    """Maximal marginal relevance with category similarity (same leaf 1, same top level 0.5)."""
    if not items:
        return []
    top, low = items[0].score, items[-1].score
    span = (top - low) or 1.0
    rel = {s.id: (s.score - low) / span for s in items}
    chosen: list[Scored] = []
    rest = list(items)
    while rest and len(chosen) < n:

        def gain(s: Scored) -> float:
            cat = facts.category.get(s.id, "")
            sim = 0.0
            for c in chosen:
                other = facts.category.get(c.id, "")
                if cat and cat == other:
                    sim = 1.0
                    break
                if cat and cat.split("/")[0] == other.split("/")[0]:
                    sim = max(sim, 0.5)
            return lam * rel[s.id] - (1 - lam) * sim

        best = max(rest, key=gain)
        chosen.append(best)
        rest.remove(best)
    return chosen


def apply_rules(
    ranked: Sequence[Scored],
    n: int,
    facts: ProductFacts,
    context: RuleContext,
    config: RuleConfig = RuleConfig(),
    *,
    new_items: Sequence[Scored] = (),
    delivery_days: Callable[[str | None, str | None], int | None] = estimate_delivery_days,
) -> list[Scored]:
    """The final ``n`` products: filtered, diversified, with promoted and new products mixed in.

    ``ranked`` is best first. ``new_items`` are candidates for the exploration slots (best first).
    Promoted products (``config.promoted``) take ``promoted_share`` of the slots, new products
    ``exploration_share``; both must pass the same filters.
    """
    config.check()
    check_param("apply_rules", "n", n, n >= 1, "an int >= 1")

    def allowed(items: Sequence[Scored], seen: set[str]) -> list[Scored]:
        out = []
        for s in items:
            if s.id in seen or why_excluded(s.id, facts, context, config, delivery_days) is not None:
                continue
            seen.add(s.id)
            out.append(s)
        return out

    seen: set[str] = set()
    n_promoted = round(n * config.promoted_share) if config.promoted else 0
    promoted = allowed([Scored(p, 0.0, "promoted") for p in config.promoted], seen)[:n_promoted]
    n_new = round(n * config.exploration_share) if new_items else 0
    fresh = allowed([Scored(s.id, s.score, "new_item") for s in new_items], seen)[:n_new]
    main = allowed(ranked, seen)

    # At most max_per_category per category; the overflow only fills what would stay empty.
    kept, overflow = [], []
    per_cat: dict[str, int] = {}
    for s in main:
        key = facts.category_key(s.id, config.category_depth)
        if config.max_per_category is not None and key and per_cat.get(key, 0) >= config.max_per_category:
            overflow.append(s)
            continue
        per_cat[key] = per_cat.get(key, 0) + 1
        kept.append(s)
    n_main = n - len(promoted) - len(fresh)
    pool = kept[: max(n_main * 3, n_main)]
    body = (
        _mmr(pool, n_main, facts, config.mmr_lambda, config.category_depth)
        if config.mmr_lambda is not None
        else pool[:n_main]
    )
    body += overflow[: max(0, n_main - len(body))]

    # Interleave: promoted and new products at evenly spaced slots, the ranked list around them.
    result: list[Scored] = []
    specials = promoted + fresh
    slots = {round((i + 1) * n / (len(specials) + 1)) for i in range(len(specials))} if specials else set()
    it_body, it_special = iter(body), iter(specials)
    for pos in range(n):
        source = it_special if pos in slots else it_body
        item = next(source, None) or next(it_body, None) or next(it_special, None)
        if item is None:
            break
        result.append(item)
    return result
