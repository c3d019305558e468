"""Real-time tag rules and the audience filter (pure parts)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from shopmind.customers.audience import AudienceFilter, hashed_contacts, select_audience
from shopmind.customers.tags import DEFAULT_TAG_RULES, TagRule, evaluate_tags, window_hours
from shopmind.errors import InvalidParameterError, ValidationError

NOW = pd.Timestamp("2026-07-01 12:00", tz="UTC")


def _events(rows: list[tuple[str, str, str | None, str | None, pd.Timedelta]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"customer_id": c, "event_type": e, "sku": s, "query": q, "ts": NOW - age}
            for c, e, s, q, age in rows
        ]
    )


def _tags(events: pd.DataFrame) -> dict[str, set[str]]:
    return {c: {t.tag for t in tags} for c, tags in evaluate_tags(events, now=NOW).items()}


def test_seasonal_fruit_search_in_either_language_within_a_week() -> None:
    ev = _events(
        [
            ("zh", "search", None, "时令水果", pd.Timedelta(days=1)),
            ("en", "search", None, "Seasonal FRUIT box", pd.Timedelta(days=6)),
            ("old", "search", None, "时令水果", pd.Timedelta(days=8)),
            ("veg", "search", None, "时令蔬菜", pd.Timedelta(hours=1)),
        ]
    )
    tags = _tags(ev)
    assert "seasonal_fruit_intent" in tags["zh"]
    assert "seasonal_fruit_intent" in tags["en"]
    assert "old" not in tags  # older than the 7-day window
    assert "veg" not in tags  # seasonal, but not fruit


def test_cart_abandoner_needs_an_unbought_cart_older_than_an_hour_within_a_day() -> None:
    ev = _events(
        [
            ("abandoned", "add_to_cart", "rice", None, pd.Timedelta(hours=5)),
            ("bought", "add_to_cart", "rice", None, pd.Timedelta(hours=5)),
            ("bought", "purchase", "rice", None, pd.Timedelta(hours=4)),
            ("just_now", "add_to_cart", "rice", None, pd.Timedelta(minutes=10)),
            ("yesterday", "add_to_cart", "rice", None, pd.Timedelta(hours=30)),
            ("other_sku", "add_to_cart", "rice", None, pd.Timedelta(hours=5)),
            ("other_sku", "purchase", "tea", None, pd.Timedelta(hours=4)),
            ("bought_before", "purchase", "rice", None, pd.Timedelta(hours=6)),
            ("bought_before", "add_to_cart", "rice", None, pd.Timedelta(hours=5)),
        ]
    )
    tags = _tags(ev)
    abandoners = {c for c, t in tags.items() if "cart_abandoner" in t}
    assert abandoners == {"abandoned", "other_sku", "bought_before"}


def test_min_count_and_future_events() -> None:
    views = [("busy", "view", f"p{i}", None, pd.Timedelta(hours=i)) for i in range(10)]
    few = [("calm", "view", f"p{i}", None, pd.Timedelta(hours=i)) for i in range(9)]
    future = [("future", "search", None, "有机大米", -pd.Timedelta(hours=1))]
    tags = _tags(_events(views + few + future))
    assert tags == {"busy": {"engaged_browser"}}


def test_custom_rule_from_mapping_and_bad_rules() -> None:
    rule = TagRule.from_mapping(
        {"tag": "tea_lover", "event_types": ["search"], "within_hours": 48, "query_groups": [["茶", "tea"]]}
    )
    ev = _events([("c", "search", None, "西湖龙井 tea", pd.Timedelta(hours=2))])
    assert {t.tag for t in evaluate_tags(ev, now=NOW, rules=[rule])["c"]} == {"tea_lover"}
    with pytest.raises(ValidationError, match="needs at least 'tag'"):
        TagRule.from_mapping({"tag": "x"})
    with pytest.raises(InvalidParameterError, match="within_hours"):
        TagRule("x", "x", "x", ("view",), within_hours=0)
    assert window_hours(DEFAULT_TAG_RULES) == 14 * 24


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "segment": ["champions", "at_risk", "at_risk", "lost"],
            "profile": ["quality_seeking", "price_sensitive", "gift_buyer", "price_sensitive"],
            "province": ["浙江", "广东", "浙江", "浙江"],
            "top_category": ["茶叶", "生鲜", "生鲜", "粮油"],
            "clv_12m": [900.0, 300.0, 50.0, 10.0],
            "churn_risk": [0.05, 0.6, 0.7, 0.9],
            "recency_days": [3.0, 120.0, 150.0, 400.0],
            "consent_marketing": [True, True, False, True],
        }
    )


def test_audience_conditions_all_hold() -> None:
    people = _customers()
    pick = lambda **kw: set(select_audience(people, AudienceFilter(**kw))["customer_id"])  # noqa: E731
    assert pick(segments=["at_risk"], consent_only=False) == {"b", "c"}
    assert pick(segments=["at_risk"]) == {"b"}  # c did not consent
    assert pick(min_value=100, consent_only=False) == {"a", "b"}
    assert pick(min_churn_risk=0.65, provinces=["浙江"], consent_only=False) == {"c", "d"}
    assert pick(not_bought_within_days=100, categories=["生鲜"]) == {"b"}
    assert pick(bought_within_days=30) == {"a"}
    assert pick(profiles=["price_sensitive"]) == {"b", "d"}
    tagged = select_audience(
        people, AudienceFilter(tags=["cart_abandoner"]), {"d": ["cart_abandoner"], "a": []}
    )
    assert set(tagged["customer_id"]) == {"d"}


def test_audience_rejects_unknown_segments_and_fields() -> None:
    with pytest.raises(ValidationError, match="Unknown segment 'vip'"):
        select_audience(_customers(), AudienceFilter(segments=["vip"]))
    with pytest.raises(ValueError, match="extra"):
        AudienceFilter.model_validate({"segmnts": ["lost"]})


def test_hashed_contacts_normalize_then_hash_and_hold_no_clear_text() -> None:
    store = {b"e1": "  Li.Wei@Example.COM ", b"p1": "138-0013-8000", b"p2": "+1 (415) 555-0100"}
    rows = [
        {"customer_id": "a", "email_enc": b"e1", "phone_enc": b"p1"},
        {"customer_id": "b", "email_enc": None, "phone_enc": b"p2"},
    ]
    out = hashed_contacts(rows, lambda token: store.get(token) if token else None)
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    assert out.loc[0, "email_sha256"] == sha("li.wei@example.com")
    assert out.loc[0, "phone_sha256"] == sha("8613800138000")
    assert out.loc[1, "phone_sha256"] == sha("14155550100")
    assert pd.isna(out.loc[1, "email_sha256"])
    e164 = hashed_contacts(rows, lambda token: store.get(token) if token else None, phone_format="e164")
    assert e164.loc[0, "phone_sha256"] == sha("+8613800138000")
    text = out.to_csv()
    assert "example" not in text.lower()
    assert "138" not in text.replace(sha("8613800138000"), "")
