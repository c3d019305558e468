"""Tests for the deterministic demo-store generator."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopmind.datasets import demo_catalog
from shopmind.datasets.demo import (
    SEGMENTS,
    DemoSize,
    DemoStore,
    generate_demo_store,
    lunar_new_year,
    mid_autumn_festival,
)
from shopmind.schema import tables

FRAMES = ("products", "customers", "orders", "order_items", "events", "reviews", "inventory")
SKIP = {"shop_id", "created_at", "updated_at"}
ENCRYPTED = ("email_enc", "phone_enc", "email_hash", "phone_hash")
END_D11 = dt.date(2025, 12, 31)


def _expected_columns(name: str) -> list[str]:
    cols = [c.name for c in tables.metadata.tables[name].columns if c.name not in SKIP]
    if name == "customers":
        at = cols.index(ENCRYPTED[0])
        cols = [c for c in cols if c not in ENCRYPTED]
        cols[at:at] = ["email", "phone"]
    return cols


def _window(store: DemoStore, size: DemoSize, end: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(end - dt.timedelta(days=size.days - 1), tz="Asia/Shanghai")
    stop = pd.Timestamp(end + dt.timedelta(days=1), tz="Asia/Shanghai")
    return start, stop


@pytest.fixture(scope="module")
def small() -> DemoStore:
    return generate_demo_store(seed=7, size=DemoSize.small())


@pytest.fixture(scope="module")
def small_d11() -> DemoStore:
    """A small store whose window covers Double 11 (the default end date's window does not)."""
    return generate_demo_store(seed=7, size=DemoSize.small(), end=END_D11)


def _items_with_segments(store: DemoStore) -> pd.DataFrame:
    return (
        store.order_items.merge(
            store.orders[["order_id", "customer_id", "ordered_at", "status"]], on="order_id"
        )
        .merge(store.truth[["customer_id", "segment"]], on="customer_id")
        .merge(
            store.products[["sku", "category", "harvest_months", "attributes", "origin_province"]],
            on="sku",
        )
    )


# ---------------------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(small: DemoStore) -> None:
    again = generate_demo_store(seed=7, size=DemoSize.small())
    for name in (*FRAMES, "truth"):
        left, right = getattr(small, name), getattr(again, name)
        pd.testing.assert_frame_equal(left, right, check_exact=True)
        assert pickle.dumps(left) == pickle.dumps(right), name


def test_different_seed_gives_different_data(small: DemoStore) -> None:
    other = generate_demo_store(seed=8, size=DemoSize.small())
    assert not small.orders.equals(other.orders)
    assert not small.events.equals(other.events)
    assert not small.truth["segment"].equals(other.truth["segment"])


# ---------------------------------------------------------------------------------------------- shape


@pytest.mark.parametrize("name", FRAMES)
def test_columns_are_the_table_columns(small: DemoStore, name: str) -> None:
    assert list(getattr(small, name).columns) == _expected_columns(name)


def test_truth_columns(small: DemoStore) -> None:
    truth = small.truth
    assert {"customer_id", "segment", "price_sensitivity", "preferred_categories"} <= set(truth.columns)
    assert list(truth["customer_id"]) == list(small.customers["customer_id"])
    assert set(truth["segment"]) == set(SEGMENTS)
    assert truth["price_sensitivity"].between(0, 1).all()
    assert all(
        set(p) <= set(demo_catalog.TOP_CATEGORIES) and len(p) == 2 for p in truth["preferred_categories"]
    )


def test_sizes_follow_demo_size() -> None:
    size = DemoSize(products=80, customers=150, days=60)
    store = generate_demo_store(seed=3, size=size)
    assert len(store.products) == 80
    assert len(store.customers) == 150
    assert len(store.inventory) == 80
    tiny = generate_demo_store(seed=3, size=DemoSize(products=5, customers=5, days=10))
    assert len(tiny.products) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "'days' parameter"),
        ({"products": -1}, "'products' parameter"),
        ({"customers": 1.5}, "customers"),
    ],
)
def test_bad_size_is_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DemoSize(**kwargs)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="'seed' parameter"):
        generate_demo_store(seed=-1, size=DemoSize.small())
    with pytest.raises(ValueError, match="'end' parameter"):
        generate_demo_store(end=dt.datetime(2026, 1, 1), size=DemoSize.small())


def test_primary_keys_are_unique(small: DemoStore) -> None:
    for name in FRAMES:
        pk = list(tables.DATA_TABLES[name])
        frame = getattr(small, name)
        assert not frame.duplicated(subset=pk).any(), name
    assert small.products["sku"].str.fullmatch(r"SKU-\d{5}").all()
    assert small.customers["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert small.orders["order_id"].str.startswith("O").all()
    assert small.events["event_id"].str.fullmatch(r"E\d+").all()


def test_timestamps_are_tz_aware_and_inside_the_window(small: DemoStore) -> None:
    start, stop = _window(small, DemoSize.small(), dt.date(2026, 10, 31))
    checks = {
        "orders": ("ordered_at", "paid_at", "shipped_at", "delivered_at"),
        "events": ("ts",),
        "reviews": ("reviewed_at",),
    }
    for name, cols in checks.items():
        for col in cols:
            series = getattr(small, name)[col]
            assert isinstance(series.dtype, pd.DatetimeTZDtype), (name, col)
            assert str(series.dt.tz) == "Asia/Shanghai"
            present = series.dropna()
            assert len(present) > 0, (name, col)
            assert (present >= start).all(), (name, col)
            assert (present < stop).all(), (name, col)


def test_dates_and_json_columns_hold_python_objects(small: DemoStore) -> None:
    p = small.products
    assert all(type(d) is dt.date for d in p["production_date"])
    assert all(type(d) is dt.date for d in small.customers["signup_date"])
    assert all(isinstance(a, dict) for a in p["attributes"])
    assert all(
        h is None or (isinstance(h, list) and set(h) <= set(range(1, 13))) for h in p["harvest_months"]
    )
    allowed = {"organic", "green_food", "geographical_indication", "pollution_free"}
    assert all(c is None or (isinstance(c, list) and set(c) <= allowed) for c in p["certifications"])
    assert all(x is None or isinstance(x, dict) for x in small.events["properties"])
    assert all(x is None or isinstance(x, dict) for x in small.customers["attributes"])
    assert (p["production_date"] <= dt.date(2026, 10, 31)).all()


def test_products_look_like_a_produce_shop(small: DemoStore) -> None:
    p = small.products
    assert (p["cost"] < p["price"]).all()
    assert (p["cost"] > 0).all()
    assert (p["currency"] == "CNY").all()
    assert set(p["status"]) <= set(tables.PRODUCT_STATUSES)
    assert (p["status"] == "active").mean() > 0.85
    assert p["category"].str.split("/").str[0].isin(demo_catalog.TOP_CATEGORIES).all()
    assert p["title"].str.contains(r"[\u4e00-\u9fff]").all()
    assert not p["title_en"].str.contains(r"[\u4e00-\u9fff]").any()
    craft = p["category"] == "手工艺品"
    assert p.loc[craft, "shelf_life_days"].isna().all()
    assert p.loc[~craft, "shelf_life_days"].notna().all()
    fresh = p["category"].str.startswith("生鲜")
    assert p.loc[fresh, "harvest_months"].notna().all()
    assert p["certifications"].notna().mean() < 0.9


def test_customers_contacts_are_fake_and_unique(small: DemoStore) -> None:
    c = small.customers
    assert c["phone"].str.fullmatch(r"1\d{10}").all()
    assert c["phone"].is_unique
    emails = c["email"].dropna()
    assert emails.str.fullmatch(r"user\d+@example\.(com|net|org)").all()
    assert emails.is_unique
    assert c["consent_analytics"].all()
    assert c["consent_marketing"].mean() > 0.6
    assert set(c["gender"].dropna()) <= {"female", "male"}
    assert set(c["age_band"].dropna()) <= {"18-24", "25-34", "35-44", "45-54", "55+"}
    assert set(c["province"]) <= set(demo_catalog.PROVINCE_CITIES)
    for province, city in zip(c["province"], c["city"], strict=True):
        assert city in {name for name, _ in demo_catalog.PROVINCE_CITIES[province]}


# ---------------------------------------------------------------------------------------------- integrity


def test_referential_integrity(small: DemoStore) -> None:
    skus = set(small.products["sku"])
    customers = set(small.customers["customer_id"])
    orders = set(small.orders["order_id"])
    assert set(small.order_items["sku"]) <= skus
    assert set(small.order_items["order_id"]) == orders
    assert set(small.orders["customer_id"]) <= customers
    assert set(small.events["customer_id"].dropna()) <= customers
    assert set(small.events["sku"].dropna()) <= skus
    assert set(small.reviews["sku"]) <= skus
    assert set(small.reviews["customer_id"]) <= customers
    assert set(small.reviews["order_id"].dropna()) <= orders
    assert set(small.inventory["sku"]) == skus
    assert (small.inventory["location_id"] == "").all()


def test_purchase_events_match_orders(small: DemoStore) -> None:
    ev = small.events
    buys = ev[ev["event_type"] == "purchase"]
    assert len(buys) == len(small.order_items)
    order_of = [p["order_id"] for p in buys["properties"]]
    merged = pd.DataFrame(
        {
            "order_id": order_of,
            "sku": buys["sku"].to_numpy(),
            "customer_id": buys["customer_id"].to_numpy(),
            "ts": buys["ts"].to_numpy(),
        }
    )
    merged = merged.merge(
        small.orders[["order_id", "customer_id", "ordered_at"]], on="order_id", suffixes=("", "_o")
    )
    assert len(merged) == len(buys)
    assert (merged["customer_id"] == merged["customer_id_o"]).all()
    assert (merged["ts"] == merged["ordered_at"]).all()
    lines = set(zip(small.order_items["order_id"], small.order_items["sku"], strict=True))
    assert set(zip(merged["order_id"], merged["sku"], strict=True)) == lines
    # every purchase followed an add_to_cart of the same sku in the same session
    carts = ev[ev["event_type"] == "add_to_cart"]
    first_cart = carts.groupby(["session_id", "sku"])["ts"].min()
    keys = list(zip(buys["session_id"], buys["sku"], strict=True))
    assert all(first_cart.loc[k] <= t for k, t in zip(keys, buys["ts"], strict=True))


def test_events_vocabulary(small: DemoStore) -> None:
    ev = small.events
    assert set(ev["event_type"]) <= set(tables.EVENT_TYPES) - {"rate"}
    assert {
        "view",
        "click",
        "add_to_cart",
        "purchase",
        "search",
        "favorite",
        "share",
        "remove_from_cart",
    } <= set(ev["event_type"])
    assert set(ev["channel"]) <= set(tables.CHANNELS)
    search = ev["event_type"] == "search"
    assert ev.loc[search, "query"].notna().all()
    assert ev.loc[search, "sku"].isna().all()
    assert ev.loc[~search, "query"].isna().all()
    assert ev.loc[~search, "sku"].notna().all()
    valued = ev["event_type"].isin(["purchase", "add_to_cart"])
    assert (ev.loc[valued, "value"] > 0).all()
    assert ev.loc[~valued, "value"].isna().all()
    assert ev["customer_id"].isna().any()  # anonymous sessions
    assert not ev.loc[ev["customer_id"].isna(), "event_type"].eq("purchase").any()
    queries = ev.loc[search, "query"]
    assert queries.str.contains(r"[\u4e00-\u9fff]").mean() > 0.5
    assert queries.str.fullmatch(r"[A-Za-z0-9' ]+").any()  # some English
    assert ev["ts"].is_monotonic_increasing


def test_order_arithmetic(small: DemoStore) -> None:
    o = small.orders.set_index("order_id")
    it = small.order_items.assign(gross=lambda d: d["quantity"] * d["unit_price"])
    per = it.groupby("order_id").agg(
        gross=("gross", "sum"), disc=("discount_amount", "sum"), units=("quantity", "sum")
    )
    per = per.loc[o.index]
    assert np.allclose(o["total_amount"], per["gross"] - o["discount_amount"] + o["shipping_fee"], atol=0.005)
    assert np.allclose(o["discount_amount"], per["disc"], atol=0.005)
    assert (o["quantity"] == per["units"]).all()
    assert (o["total_amount"] > 0).all()
    assert (o["discount_amount"] >= 0).all()
    assert (o["shipping_fee"] >= 0).all()
    assert (it["discount_amount"] <= it["gross"]).all()
    lines = small.order_items.groupby("order_id")["line_no"].agg(["min", "max", "count"])
    assert (lines["min"] == 1).all()
    assert (lines["max"] == lines["count"]).all()
    assert (o["currency"] == "CNY").all()


def test_order_timeline_is_consistent(small: DemoStore) -> None:
    o = small.orders
    assert set(o["status"]) <= set(tables.ORDER_STATUSES)
    assert (o["status"].isin(["completed", "delivered"])).mean() > 0.75
    for a, b in (("ordered_at", "paid_at"), ("paid_at", "shipped_at"), ("shipped_at", "delivered_at")):
        both = o[a].notna() & o[b].notna()
        assert (o.loc[both, a] <= o.loc[both, b]).all(), (a, b)
    # cash on delivery has no online payment time
    assert o.loc[o["payment_method"] == "cod", "paid_at"].isna().all()
    done = o["status"].isin(["completed", "delivered", "returned", "refunded"])
    assert o.loc[done, "delivered_at"].notna().all()
    assert o.loc[o["status"] == "cancelled", "shipped_at"].isna().all()
    assert o.loc[o["status"] == "shipped", "delivered_at"].isna().all()
    assert o.loc[o["payment_method"] != "cod", "paid_at"].notna().sum() > 0
    assert set(o["payment_method"]) <= {"alipay", "wechat_pay", "unionpay", "cod"}
    assert o["device_fingerprint"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert o["ip_fingerprint"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_reviews(small: DemoStore) -> None:
    r = small.reviews
    assert len(r) > 0
    assert r["rating"].between(1, 5).all()
    assert set(r["language"]) <= {"zh", "en"}
    assert r["text"].str.len().gt(0).all()
    assert r["verified_purchase"].mean() > 0.8
    assert r["label"].isna().all()
    verified = r[r["verified_purchase"]].merge(small.orders[["order_id", "delivered_at"]], on="order_id")
    assert (verified["reviewed_at"] > verified["delivered_at"]).all()
    zh = r[r["language"] == "zh"]["text"]
    assert zh.str.contains(r"[\u4e00-\u9fff]").all()


# ---------------------------------------------------------------------------------------------- latent tastes


def test_price_sensitive_customers_pay_less_than_quality_seekers(small: DemoStore) -> None:
    m = _items_with_segments(small)
    mean_price = m.groupby("segment")["unit_price"].mean()
    assert mean_price["price_sensitive"] < mean_price["quality_seeking"]
    o = small.orders.merge(small.truth, on="customer_id")
    coupon_rate = o.groupby("segment")["coupon_code"].apply(lambda s: s.notna().mean())
    assert coupon_rate["price_sensitive"] > coupon_rate["quality_seeking"]


def test_gift_and_bulk_buyers_buy_their_packs(small: DemoStore) -> None:
    m = _items_with_segments(small)
    m["pack"] = [a["pack"] for a in m["attributes"]]
    gift_share = m.assign(g=m["pack"] == "gift_box").groupby("segment")["g"].mean()
    assert gift_share["gift_buyer"] > gift_share.drop("gift_buyer").max()
    bulk_share = m.assign(b=m["pack"] == "bulk").groupby("segment")["b"].mean()
    assert bulk_share["bulk_buyer"] > bulk_share.drop("bulk_buyer").max()


def test_regional_taste_buys_closer_to_home(small: DemoStore) -> None:
    m = _items_with_segments(small).merge(small.customers[["customer_id", "province"]], on="customer_id")

    def km(a: str, b: str) -> float:
        (la1, lo1), (la2, lo2) = demo_catalog.PROVINCE_COORDS[a], demo_catalog.PROVINCE_COORDS[b]
        scale = math.cos(math.radians((la1 + la2) / 2))  # equirectangular: fine at these distances
        return math.dist((la1, lo1 * scale), (la2, lo2 * scale)) * 111.2

    m["km"] = [km(a, b) for a, b in zip(m["province"], m["origin_province"], strict=True)]
    regional = m.loc[m["segment"] == "regional_taste", "km"].mean()
    others = m.loc[m["segment"] != "regional_taste", "km"].mean()
    assert regional < others


def test_fresh_produce_sells_in_its_harvest_months(small: DemoStore) -> None:
    m = _items_with_segments(small)
    fresh = m[m["category"].str.startswith("生鲜") & m["harvest_months"].notna()]
    assert len(fresh) > 20
    months = fresh["ordered_at"].dt.month
    in_season = [mo in hm for mo, hm in zip(months, fresh["harvest_months"], strict=True)]
    assert np.mean(in_season) > 0.6


def test_double_eleven_week_beats_the_average_week(small_d11: DemoStore) -> None:
    when = small_d11.orders["ordered_at"].dt.tz_localize(None)
    start = pd.Timestamp(END_D11 - dt.timedelta(days=DemoSize.small().days - 1))
    week = ((when - start).dt.days // 7).to_numpy()
    full_weeks = DemoSize.small().days // 7
    counts = np.bincount(week, minlength=full_weeks + 1)[:full_weeks]
    d11 = ((when >= "2025-11-05") & (when < "2025-11-12")).sum()
    assert d11 > counts.mean()


def test_gift_buyers_peak_before_mid_autumn(small: DemoStore) -> None:
    festival = pd.Timestamp(mid_autumn_festival(2026), tz="Asia/Shanghai")
    o = small.orders.merge(small.truth, on="customer_id")
    before = (o["ordered_at"] >= festival - pd.Timedelta(days=18)) & (o["ordered_at"] < festival)
    share = before.groupby(o["segment"]).mean()
    assert share["gift_buyer"] > share["price_sensitive"]


# ---------------------------------------------------------------------------------------------- calendar


KNOWN_FESTIVALS = {
    # year: (Spring Festival, Mid-Autumn)
    2015: ("2015-02-19", "2015-09-27"),
    2016: ("2016-02-08", "2016-09-15"),
    2017: ("2017-01-28", "2017-10-04"),
    2018: ("2018-02-16", "2018-09-24"),
    2019: ("2019-02-05", "2019-09-13"),
    2020: ("2020-01-25", "2020-10-01"),
    2021: ("2021-02-12", "2021-09-21"),
    2022: ("2022-02-01", "2022-09-10"),
    2023: ("2023-01-22", "2023-09-29"),
    2024: ("2024-02-10", "2024-09-17"),
    2025: ("2025-01-29", "2025-10-06"),
    2026: ("2026-02-17", "2026-09-25"),
    2027: ("2027-02-06", "2027-09-15"),
    2028: ("2028-01-26", "2028-10-03"),
    2029: ("2029-02-13", "2029-09-22"),
    2030: ("2030-02-03", "2030-09-12"),
}


@pytest.mark.parametrize("year", sorted(KNOWN_FESTIVALS))
def test_lunar_festivals_match_the_published_calendar(year: int) -> None:
    spring, autumn = KNOWN_FESTIVALS[year]
    assert lunar_new_year(year).isoformat() == spring
    assert mid_autumn_festival(year).isoformat() == autumn


# ---------------------------------------------------------------------------------------------- default size


def test_default_size_volumes_and_seasons() -> None:
    store = generate_demo_store()
    assert len(store.products) == 300
    assert len(store.customers) == 3000
    assert 150_000 <= len(store.events) <= 300_000
    assert 15_000 <= len(store.orders) <= 30_000
    assert len(store.reviews) > 0.1 * len(store.orders)
    assert store.reviews["language"].eq("en").mean() == pytest.approx(0.15, abs=0.05)
    # Spring Festival 2026-02-17: the fortnight before is busy, the holiday week is quiet.
    when = store.orders["ordered_at"].dt.tz_localize(None)
    per_day = when.dt.normalize().value_counts()
    run_up = per_day[(per_day.index >= "2026-02-01") & (per_day.index < "2026-02-12")].mean()
    holiday = per_day[(per_day.index >= "2026-02-17") & (per_day.index < "2026-02-23")].mean()
    march = per_day[(per_day.index >= "2026-03-01") & (per_day.index < "2026-03-15")].mean()
    assert run_up > march > holiday
    # couriers stop over the holiday: nothing ships from three days before to six days after
    shipped = store.orders["shipped_at"].dropna().dt.tz_localize(None)
    assert not ((shipped >= "2026-02-14") & (shipped < "2026-02-23")).any()
    # weekends are busier than weekdays
    sessions = store.events.drop_duplicates("session_id")["ts"].dt.day_of_week
    assert (sessions >= 5).mean() > 2 / 7
