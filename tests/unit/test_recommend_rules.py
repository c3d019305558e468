"""Every business rule has a test that fails without it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError
from shopmind.recommend.rules import ProductFacts, RuleConfig, RuleContext, apply_rules, why_excluded
from shopmind.results import Scored

PRODUCTS = pd.DataFrame(
    [
        # sku, category, status, shelf life, origin, harvest months
        ("rice", "粮油/大米", "active", 365, "黑龙江", None),
        ("tea", "茶叶/绿茶", "active", 540, "浙江", [3, 4, 5]),
        ("strawberry", "生鲜/水果/莓果", "active", 3, "辽宁", [12, 1, 2, 3]),
        ("orange", "生鲜/水果/柑橘", "active", 30, "江西", [11, 12, 1, 2]),
        ("apple", "生鲜/水果/苹果", "active", 60, "山东", [9, 10, 11]),
        ("pear", "生鲜/水果/梨", "active", 30, "安徽", [8, 9]),
        ("teapot", "手工艺品/茶具", "active", None, "江苏", None),
        ("old", "手工艺品/竹编", "inactive", None, "浙江", None),
        ("honey", "蜂蜜", "active", 720, "陕西", None),
    ],
    columns=["sku", "category", "status", "shelf_life_days", "origin_province", "harvest_months"],
)
INVENTORY = pd.DataFrame(
    {"sku": ["rice", "tea", "teapot", "honey"], "location_id": "", "on_hand": [10, 0, 3, 5]}
)
FACTS = ProductFacts.from_frames(PRODUCTS, INVENTORY)
NO_DIVERSITY = RuleConfig(max_per_category=None, mmr_lambda=None, exploration_share=0)


def ranked(*skus: str) -> list[Scored]:
    return [Scored(s, float(len(skus) - i), "collaborative") for i, s in enumerate(skus)]


def ids(items: list[Scored]) -> list[str]:
    return [s.id for s in items]


def test_out_of_stock_and_inactive_products_are_left_out() -> None:
    out = apply_rules(ranked("tea", "old", "rice", "teapot"), 4, FACTS, RuleContext(), NO_DIVERSITY)
    assert ids(out) == ["rice", "teapot"]
    assert why_excluded("tea", FACTS, RuleContext(), NO_DIVERSITY) == "out_of_stock"
    # A product without inventory rows is not assumed out of stock.
    assert "apple" in ids(apply_rules(ranked("apple"), 1, FACTS, RuleContext(), NO_DIVERSITY))
    keep_all = RuleConfig(exclude_out_of_stock=False, max_per_category=None, mmr_lambda=None)
    assert "tea" in ids(apply_rules(ranked("tea"), 1, FACTS, RuleContext(), keep_all))


def test_already_bought_is_left_out_except_what_people_buy_again() -> None:
    context = RuleContext(purchased={"teapot", "rice", "honey"})
    out = apply_rules(ranked("teapot", "rice", "honey", "apple"), 4, FACTS, context, NO_DIVERSITY)
    assert ids(out) == ["rice", "honey", "apple"]  # rice and honey are bought again; a teapot is not
    strict = RuleConfig(repurchasable_categories=(), max_per_category=None, mmr_lambda=None)
    assert ids(apply_rules(ranked("teapot", "rice", "apple"), 3, FACTS, context, strict)) == ["apple"]


def test_produce_that_cannot_arrive_fresh_is_left_out() -> None:
    # Liaoning strawberries keep 3 days: fine for Beijing, not for Guangdong.
    near, far = RuleContext(province="北京"), RuleContext(province="广东省")
    assert "strawberry" in ids(apply_rules(ranked("strawberry"), 1, FACTS, near, NO_DIVERSITY))
    assert apply_rules(ranked("strawberry", "apple"), 2, FACTS, far, NO_DIVERSITY) == [
        Scored("apple", 1.0, "collaborative")
    ]
    assert why_excluded("strawberry", FACTS, far, NO_DIVERSITY) == "cannot_arrive_fresh"
    # Unknown province: no evidence, nothing excluded.
    assert "strawberry" in ids(apply_rules(ranked("strawberry"), 1, FACTS, RuleContext(), NO_DIVERSITY))


def test_category_include_and_exclude() -> None:
    fruit_only = RuleContext(include_categories=("生鲜/水果",))
    out = apply_rules(ranked("rice", "apple", "teapot", "orange"), 4, FACTS, fruit_only, NO_DIVERSITY)
    assert ids(out) == ["apple", "orange"]
    no_crafts = RuleConfig(exclude_categories=("手工艺品",), max_per_category=None, mmr_lambda=None)
    assert "teapot" not in ids(apply_rules(ranked("teapot", "rice"), 2, FACTS, RuleContext(), no_crafts))


def test_at_most_k_per_category_then_backfill() -> None:
    config = RuleConfig(max_per_category=2, mmr_lambda=None, exploration_share=0)
    out = apply_rules(ranked("apple", "orange", "pear", "rice", "honey"), 4, FACTS, RuleContext(), config)
    assert ids(out) == ["apple", "orange", "rice", "honey"]  # the third fruit waits
    out = apply_rules(ranked("apple", "orange", "pear", "rice"), 4, FACTS, RuleContext(), config)
    assert ids(out) == ["apple", "orange", "rice", "pear"]  # …and fills a slot that would stay empty


def test_mmr_mixes_categories() -> None:
    config = RuleConfig(max_per_category=None, mmr_lambda=0.5, exploration_share=0)
    out = apply_rules(ranked("apple", "orange", "pear", "honey", "rice"), 3, FACTS, RuleContext(), config)
    assert ids(out)[0] == "apple"
    assert len({FACTS.category_key(s, 1) for s in ids(out)}) >= 2
    plain = RuleConfig(max_per_category=None, mmr_lambda=None, exploration_share=0)
    assert ids(
        apply_rules(ranked("apple", "orange", "pear", "honey", "rice"), 3, FACTS, RuleContext(), plain)
    ) == ["apple", "orange", "pear"]


def test_promoted_and_new_products_get_their_share() -> None:
    config = RuleConfig(
        max_per_category=None,
        mmr_lambda=None,
        promoted=("teapot",),
        promoted_share=0.2,
        exploration_share=0.2,
    )
    new = [Scored("honey", 0.3, "content")]
    out = apply_rules(
        ranked("apple", "orange", "pear", "rice", "tea"), 5, FACTS, RuleContext(), config, new_items=new
    )
    assert "teapot" in ids(out)
    assert next(s for s in out if s.id == "honey").reason == "new_item"
    assert next(s for s in out if s.id == "teapot").reason == "promoted"
    assert len(out) == 5
    assert ids(out)[0] == "apple"  # the best-ranked product keeps the first slot


def test_season() -> None:
    assert FACTS.in_season("orange", dt.date(2026, 12, 1)) is True
    assert FACTS.in_season("orange", dt.date(2026, 7, 1)) is False
    assert FACTS.in_season("rice", dt.date(2026, 7, 1)) is None


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(InvalidParameterError, match="'promoted_share' parameter of RuleConfig"):
        apply_rules([], 3, FACTS, RuleContext(), RuleConfig(promoted_share=2))
