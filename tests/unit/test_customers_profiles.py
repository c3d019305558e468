"""Preference profiles: behaviour features, weak-label rules, and a random forest that recovers the
demo store's hidden shopping styles."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.profiles import (
    DEFAULT_THRESHOLDS,
    PROFILE_FEATURES,
    PROFILE_NAMES,
    PROFILES,
    ProfileModel,
    profile_features,
    weak_labels,
)
from shopmind.datasets.demo import SEGMENTS, DemoSize, DemoStore, generate_demo_store
from shopmind.errors import InvalidParameterError, NotFittedError


@pytest.fixture(scope="module")
def store() -> DemoStore:
    return generate_demo_store(seed=11, size=DemoSize(products=100, customers=600, days=365))


def _tiny() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    products = pd.DataFrame(
        {
            "sku": ["cheap", "dear", "gift", "far"],
            "title": ["大米 5kg", "有机大米 5kg", "大米 礼盒装", "脐橙 5kg"],
            "category": ["粮油/大米", "粮油/大米", "粮油/大米", "生鲜/水果/柑橘"],
            "price": [30.0, 90.0, 60.0, 50.0],
            "attributes": [{"weight_kg": 5.0}, {"weight_kg": 5.0}, {"weight_kg": 2.0}, {"weight_kg": 5.0}],
            "certifications": [None, ["organic"], ["geographical_indication"], None],
            "origin_province": ["黑龙江", "黑龙江", "黑龙江", "江西省"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["a", "b"], "province": ["黑龙江省", "广东"]})
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["a", "a", "b", "b"],
            "status": ["completed", "completed", "completed", "cancelled"],
            # 2026-02-10 is a week before Spring Festival (2026-02-17)
            "ordered_at": pd.to_datetime(
                ["2026-02-10 10:00", "2026-05-01 10:00", "2026-06-01 10:00", "2026-06-02 10:00"]
            ).tz_localize("Asia/Shanghai"),
            "discount_amount": [6.0, 0.0, 0.0, 0.0],
            "coupon_code": ["FULL39-3", None, None, None],
            "shipping_province": ["北京", "黑龙江", "广东", "广东"],
        }
    )
    items = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4"],
            "sku": ["cheap", "gift", "cheap", "dear", "far"],
            "quantity": [2, 1, 1, 1, 9],
            "unit_price": [30.0, 60.0, 30.0, 90.0, 50.0],
            "discount_amount": [4.0, 2.0, 0.0, 0.0, 0.0],
        }
    )
    return orders, items, products, customers


def test_features_have_known_values() -> None:
    orders, items, products, customers = _tiny()
    f = profile_features(orders, items, products, customers=customers)
    assert list(f.columns) == list(PROFILE_FEATURES)
    assert list(f.index) == ["a", "b"]  # b's cancelled order is not a purchase
    a, b = f.loc["a"], f.loc["b"]
    assert a["orders"] == 2
    assert a["lines"] == 3
    assert a["discount_share"] == pytest.approx(6.0 / 150.0)
    assert a["coupon_share"] == pytest.approx(0.5)
    # rice category prices 30 / 60 / 90: mid-rank percentiles 1/6, 3/6, 5/6
    assert a["price_percentile"] == pytest.approx(np.mean([1 / 6, 3 / 6, 1 / 6]))
    assert b["price_percentile"] == pytest.approx(5 / 6)
    # per kg: 6, 18 (dear), 30 (gift box of 2 kg) -> the gift box is the dearest per kg
    assert b["unit_value_percentile"] == pytest.approx(3 / 6)
    assert b["certified_share"] == 1.0
    assert b["organic_share"] == 1.0
    assert a["certified_share"] == 0.0  # a geographical indication is not a quality certification
    assert a["gift_pack_share"] == pytest.approx(1 / 3)  # recognized from 礼盒 in the title
    assert a["festival_order_share"] == pytest.approx(0.5)
    assert a["ship_elsewhere_share"] == pytest.approx(0.5)  # home is 黑龙江 (from the customers table)
    assert a["units_per_order"] == pytest.approx(2.0)
    assert a["units_per_line"] == pytest.approx(4 / 3)
    assert a["mean_order_value"] == pytest.approx(75.0)
    assert a["home_origin_share"] == 1.0
    assert a["near_origin_share"] == 1.0
    assert a["top_origin_share"] == 1.0
    assert b["home_origin_share"] == 0.0
    assert b["mean_origin_km"] > 2500  # 黑龙江 rice to 广东


def test_home_province_defaults_to_where_the_customer_ships_most() -> None:
    orders, items, products, _ = _tiny()
    f = profile_features(orders, items, products)
    assert f.loc["a", "ship_elsewhere_share"] == pytest.approx(0.5)  # tie broken by order: still one of two
    assert f.loc["b", "home_origin_share"] == 0.0


def test_weak_labels_follow_the_rules_and_thresholds() -> None:
    base = dict.fromkeys(PROFILE_FEATURES, 0.0)
    rows = {
        "deal_hunter": {**base, "orders": 3, "discount_share": 0.1, "price_percentile": 0.2},
        "dear_deal_hunter": {**base, "orders": 3, "discount_share": 0.1, "price_percentile": 0.8},
        "organic_fan": {**base, "orders": 3, "certified_share": 0.8, "price_percentile": 0.9},
        "gifter": {**base, "orders": 3, "ship_elsewhere_share": 0.5, "festival_order_share": 0.3},
        "stocker": {**base, "orders": 3, "units_per_line": 2.5},
        "local": {**base, "orders": 3, "near_origin_share": 0.9},
        "one_order": {**base, "orders": 1, "discount_share": 0.5, "units_per_line": 5.0},
    }
    f = pd.DataFrame.from_dict(rows, orient="index")
    labels = weak_labels(f)
    assert list(labels.columns) == list(PROFILES)
    expect = {
        "deal_hunter": {"price_sensitive"},
        "dear_deal_hunter": set(),
        "organic_fan": {"quality_seeking"},
        "gifter": {"gift_buyer"},
        "stocker": {"bulk_buyer"},
        "local": {"regional_taste"},
        "one_order": set(),
    }
    got = {c: {p for p in PROFILES if labels.loc[c, p]} for c in labels.index}
    assert got == expect
    looser = weak_labels(f, {"min_orders": 1, "price_sensitive.max_price_percentile": 0.9})
    assert looser.loc["dear_deal_hunter", "price_sensitive"]
    assert looser.loc["one_order", "bulk_buyer"]
    with pytest.raises(InvalidParameterError, match="'thresholds' parameter of weak_labels"):
        weak_labels(f, {"price_sensitive.typo": 0.1})
    assert set(DEFAULT_THRESHOLDS) >= {"min_orders", "price_sensitive.discount_share"}


def test_names_are_given_in_chinese_and_english() -> None:
    assert set(PROFILE_NAMES) == set(SEGMENTS)
    assert PROFILE_NAMES["price_sensitive"]["zh-CN"] == "价格敏感型"
    assert PROFILE_NAMES["quality_seeking"]["zh-CN"] == "品质追求型"
    assert all(names["en"] and names["zh-CN"] for names in PROFILE_NAMES.values())


def test_model_follows_the_estimator_contract(store: DemoStore) -> None:
    model = ProfileModel()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(pd.DataFrame({"orders": [1.0]}))
    with pytest.raises(InvalidParameterError, match="'n_estimators' parameter of ProfileModel"):
        ProfileModel(n_estimators=0).fit(pd.DataFrame({"orders": [3.0]}))
    feats = profile_features(store.orders, store.order_items, store.products, customers=store.customers)
    fitted = ProfileModel(n_estimators=20, random_state=1).fit(feats)
    assert fitted is not model
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(again.predict(feats), fitted.predict(feats))


def test_profiles_recover_the_hidden_shopping_styles(store: DemoStore) -> None:
    feats = profile_features(store.orders, store.order_items, store.products, customers=store.customers)
    labels = weak_labels(feats)
    model = ProfileModel(random_state=0).fit(feats, labels)
    scored = model.predict(feats)
    assert list(scored.columns[: len(PROFILES)]) == list(PROFILES)
    assert np.allclose(scored[list(PROFILES)].to_numpy().max(axis=1), scored["primary_probability"])
    assert scored["primary_name_zh"].isin([n["zh-CN"] for n in PROFILE_NAMES.values()]).all()

    truth = store.truth.set_index("customer_id")["segment"].reindex(scored.index)
    hit = scored["primary_profile"] == truth
    accuracy = float(hit.mean())
    chance = float(truth.value_counts(normalize=True).max())  # always guessing the commonest style
    per_style = hit.groupby(truth).mean().round(2).to_dict()
    report = (
        f"primary profile = hidden style for {accuracy:.1%} of {len(hit)} buyers "
        f"(chance {chance:.1%}); by style {per_style}"
    )
    assert accuracy > max(0.6, 2 * chance), report
    assert min(per_style.values()) > 0.4, report
    # the forest beats the rules it learned from (rules: the rarest matching label; none is a miss)
    specific = labels.astype(float) / labels.mean().clip(lower=1e-9)
    by_rules = specific.idxmax(axis=1).where(labels.any(axis=1), "none")
    rules_accuracy = float((by_rules == truth).mean())
    assert accuracy > rules_accuracy + 0.1, f"{report}; rules alone {rules_accuracy:.1%}"
    # one-order buyers have no weak label, yet the forest still places them better than chance
    thin = feats["orders"] < 2
    assert thin.sum() > 30
    assert hit[thin].mean() > 1.5 * chance, report


def test_importances_show_what_each_profile_rests_on(store: DemoStore) -> None:
    feats = profile_features(store.orders, store.order_items, store.products, customers=store.customers)
    model = ProfileModel(random_state=0).fit(feats)
    imp = model.feature_importances_
    assert set(imp) == set(PROFILES)
    for profile, weights in imp.items():
        assert set(weights) == set(PROFILE_FEATURES), profile
        assert sum(weights.values()) == pytest.approx(1.0), profile

    def top3(profile: str) -> list[str]:
        return sorted(imp[profile], key=lambda k: -imp[profile][k])[:3]

    assert {"discount_share", "coupon_share", "price_percentile"} & set(top3("price_sensitive"))
    assert {"gift_pack_share", "ship_elsewhere_share"} & set(top3("gift_buyer"))
    assert {"units_per_line", "bulk_pack_share", "units_per_order"} & set(top3("bulk_buyer"))
    assert {"near_origin_share", "mean_origin_km", "home_origin_share"} & set(top3("regional_taste"))


def test_a_profile_without_enough_examples_gets_its_base_rate() -> None:
    feats = pd.DataFrame({c: np.linspace(0, 1, 40) for c in PROFILE_FEATURES})
    feats["orders"] = 3.0
    labels = pd.DataFrame({p: np.arange(40) % 2 == 0 for p in PROFILES})
    labels["gift_buyer"] = False
    labels.loc[0, "gift_buyer"] = True
    model = ProfileModel(n_estimators=10, min_positives=5).fit(feats, labels)
    assert model.feature_importances_["gift_buyer"] == {}
    proba = model.predict_proba(feats)
    assert proba["gift_buyer"].eq(1 / 40).all()
