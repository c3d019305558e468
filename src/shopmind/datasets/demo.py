"""Deterministic demo store: a believable rural-produce shop in China.

:func:`generate_demo_store` builds a catalog of regional specialities (五常大米, 赣南脐橙, 西湖龙井, ...),
customers across China with hidden shopping styles, and 400 days of sessions, orders, reviews and
stock, all from one seed. The latent traits are returned separately (``DemoStore.truth``) so tests
can check that models recover them; they are never loaded into the store.

Conventions of the generated frames
-----------------------------------
* Columns are those of the canonical tables in :mod:`shopmind.schema.tables` without ``shop_id``,
  ``created_at`` and ``updated_at``; customers carry plain ``email``/``phone`` instead of the
  encrypted and hashed columns (the importer encrypts them).
* Timestamps are timezone-aware (``Asia/Shanghai``); a missing one is ``NaT``. Dates are
  :class:`datetime.date`. JSON columns hold lists/dicts or ``None``. Nullable text columns are
  ``object`` columns holding ``None``; ``events.value`` is a float column with ``NaN`` when absent.
* Money is CNY rounded to the cent. ``orders.discount_amount`` is the sum of the order's
  ``order_items.discount_amount`` (promotions and the coupon, allocated to lines), and
  ``total_amount = sum(quantity * unit_price) - discount_amount + shipping_fee``.
* A ``purchase`` event's ``value`` is what was paid for that line
  (``quantity * unit_price - discount_amount``); its ``properties`` name the ``order_id``.
  An ``add_to_cart`` event's ``value`` is the unit list price.
* Order timestamps follow ``ordered_at <= paid_at <= shipped_at <= delivered_at`` where present;
  cash-on-delivery orders have no ``paid_at`` (the courier collects the money).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.datasets import demo_catalog as cat
from shopmind.errors import check_param
from shopmind.features.calendar import lunar_new_year, mid_autumn_festival

__all__ = [
    "SEGMENTS",
    "DemoSize",
    "DemoStore",
    "generate_demo_store",
    "lunar_new_year",
    "mid_autumn_festival",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TZ = "Asia/Shanghai"
SEGMENTS = ("price_sensitive", "quality_seeking", "gift_buyer", "bulk_buyer", "regional_taste")
_PS, _QS, _GB, _BB, _RT, _ANON = range(6)
_CHANNELS = ("web", "app", "mini_program", "live_stream", "short_video")
_PACKS = ("trial", "family", "gift_box", "bulk")
_TRIAL, _FAMILY, _GIFT, _BULK = range(4)
_AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
_EV_TYPES = ("search", "view", "click", "favorite", "share", "add_to_cart", "remove_from_cart", "purchase")
_EV = {name: i for i, name in enumerate(_EV_TYPES)}
_DAY = 86_400


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSize:
    """How big the demo store is.

    Parameters
    ----------
    products : int
        Number of SKUs.
    customers : int
        Number of registered customers.
    days : int
        Length of the simulated history, ending at the ``end`` date given to
        :func:`generate_demo_store`.
    """

    products: int = 300
    customers: int = 3000
    days: int = 400

    def __post_init__(self) -> None:
        for name, minimum in (("products", 1), ("customers", 1), ("days", 7)):
            value = getattr(self, name)
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
            check_param("DemoSize", name, value, ok, f"an int >= {minimum}")

    @classmethod
    def small(cls) -> DemoSize:
        """Return a small store (60 products, 200 customers, 120 days) for fast tests."""
        return cls(products=60, customers=200, days=120)


@dataclass(frozen=True)
class DemoStore:
    """The generated tables, plus the customers' hidden traits in ``truth``.

    ``truth`` has one row per customer: ``customer_id``, ``segment`` (one of :data:`SEGMENTS`),
    ``price_sensitivity`` (0..1), ``preferred_categories`` (list of top-level categories),
    ``activity`` (relative visit rate) and ``churn_date`` (the day they stopped visiting, or ``None``).
    It is not part of the store.
    """

    products: pd.DataFrame
    customers: pd.DataFrame
    orders: pd.DataFrame
    order_items: pd.DataFrame
    events: pd.DataFrame
    reviews: pd.DataFrame
    inventory: pd.DataFrame
    truth: pd.DataFrame


def generate_demo_store(
    seed: int = 7,
    size: DemoSize = DemoSize(),  # frozen, so safe as a default
    end: dt.date = dt.date(2026, 10, 31),
) -> DemoStore:
    """Generate a deterministic demo store for a small rural-produce shop.

    Parameters
    ----------
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed, size and end give identical frames.
    size : DemoSize
        Number of products and customers and the number of days of history.
    end : datetime.date
        Last day of the history (inclusive, shop-local time).

    Returns
    -------
    DemoStore
        Frames named like the canonical tables, plus ``truth`` with each customer's latent traits.

    Examples
    --------
    >>> store = generate_demo_store(seed=1, size=DemoSize.small())
    >>> len(store.products), store.products["sku"].iloc[0]
    (60, 'SKU-00001')
    """
    owner = "generate_demo_store"
    ok_seed = isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0
    check_param(owner, "seed", seed, ok_seed, "an int >= 0")
    check_param(owner, "size", size, isinstance(size, DemoSize), "a DemoSize")
    ok_end = isinstance(end, dt.date) and not isinstance(end, dt.datetime)
    check_param(owner, "end", end, ok_end, "a datetime.date")

    # One child stream per stage, so changing one stage leaves the others' draws unchanged.
    r_prod, r_cust, r_sess, r_ord, r_rev, r_inv = np.random.default_rng(int(seed)).spawn(6)
    cal = _calendar(end, size.days)
    catalog = _make_products(r_prod, size.products, end)
    people = _make_customers(r_cust, size.customers, cal)
    sessions = _simulate_sessions(r_sess, cal, catalog, people)
    orders, items, events = _build_orders_and_events(r_ord, cal, catalog, people, sessions)
    reviews = _make_reviews(r_rev, cal, catalog, people, orders, items)
    inventory = _make_inventory(r_inv, cal, catalog, items, orders)
    return DemoStore(
        products=catalog.frame,
        customers=people.frame,
        orders=orders.frame,
        order_items=items.frame,
        events=events,
        reviews=reviews,
        inventory=inventory,
        truth=people.truth,
    )


# --------------------------------------------------------------------------------------------------
# calendar: daily demand intensity, promotions, festivals
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    dates: list[dt.date]
    day_start: IntArray  # epoch seconds of local midnight, len(days) + 1
    month: IntArray  # 1..12
    start_s: int
    end_s: int  # last second of the window
    intensity: FloatArray  # (6, days): per segment (and anonymous), mean 1
    promo_rate: FloatArray  # platform-wide promotion on every line
    sf_ramp: FloatArray  # 0..1: the run-up to the Spring Festival (年货节)
    ma_ramp: FloatArray  # 0..1: the run-up to Mid-Autumn
    shutdown: list[tuple[int, int]]  # couriers stop over the Spring Festival: [from, to) epoch seconds
    coupon_windows: dict[str, BoolArray]


def _epoch_seconds(days: list[dt.date]) -> IntArray:
    idx = pd.DatetimeIndex(pd.to_datetime(days)).tz_localize(TZ)
    return np.asarray((idx - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1), dtype=np.int64)


def _triangle(delta: IntArray, lo: int, peak: int, hi: int) -> FloatArray:
    up = (delta - lo) / max(peak - lo, 1)
    down = (hi - delta) / max(hi - peak, 1)
    out = np.where(delta <= peak, up, down)
    return np.clip(np.where((delta >= lo) & (delta <= hi), out, 0.0), 0.0, 1.0)


def _calendar(end: dt.date, days: int) -> _Calendar:
    start = end - dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    day_start = _epoch_seconds([*dates, end + dt.timedelta(days=1)])
    ords = np.array([d.toordinal() for d in dates], dtype=np.int64)
    month = np.array([d.month for d in dates], dtype=np.int64)
    mday = np.array([d.day for d in dates], dtype=np.int64)
    weekday = np.array([d.weekday() for d in dates], dtype=np.int64)

    years = range(start.year - 1, end.year + 2)
    sf = np.array([lunar_new_year(y).toordinal() for y in years], dtype=np.int64)
    ma = np.array([mid_autumn_festival(y).toordinal() for y in years], dtype=np.int64)
    to_sf = sf[np.searchsorted(sf, ords)] - ords  # days until the next Spring Festival (0 on the day)
    since_sf = ords - sf[np.searchsorted(sf, ords, side="right") - 1]
    to_ma = ma[np.searchsorted(ma, ords)] - ords
    # 年货 shopping peaks about two weeks ahead and stops when couriers go home a few days before.
    sf_ramp = _triangle(to_sf, 3, 12, 30)
    sf_holiday = (to_sf <= 2) | (since_sf <= 6)
    ma_ramp = _triangle(to_ma, 1, 6, 18)

    s618 = (month == 6) & (mday <= 18)
    s618_peak = (month == 6) & (mday >= 16) & (mday <= 18)
    d11 = ((month == 10) & (mday >= 20)) | ((month == 11) & (mday <= 11))
    d11_presale = (month == 11) & (mday <= 11)
    d11_peak = (month == 11) & (mday >= 10) & (mday <= 11)
    d12 = (month == 12) & (mday == 12)
    # Double 11 is the year's biggest day: a pre-sale from late October and a two-day peak.
    sale = 1.0 + 0.3 * (s618 | d11) + 0.4 * d11_presale + 1.0 * s618_peak + 2.6 * d11_peak + 0.3 * d12

    weekly = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25])[weekday]
    base = weekly * sale * (1 + 0.5 * sf_ramp) * np.where(sf_holiday, 0.55, 1.0) * (1 + 0.3 * ma_ramp)
    seg = np.stack(
        [
            base * sale**0.8,  # price-sensitive shoppers wait for the big sales
            base,
            base * (1 + 3.0 * sf_ramp + 3.0 * ma_ramp) * np.where(sf_holiday, 0.7, 1.0),
            base * (1 + 0.8 * sf_ramp),  # stocking up for the New Year
            base * (1 + 0.5 * sf_ramp),  # the taste of home at New Year
            base,
        ]
    )
    seg = seg / seg.mean(axis=1, keepdims=True)

    promo = np.where(d11, 0.08, 0.0)
    promo = np.where(d11_peak, 0.15, promo)
    promo = np.where(s618, 0.08, promo)
    promo = np.where(s618_peak, 0.12, promo)
    promo = np.where(d12, 0.05, promo)

    stop_days = [(dt.date.fromordinal(int(s) - 3), dt.date.fromordinal(int(s) + 6)) for s in sf]
    shutdown = [(int(_epoch_seconds([a])[0]), int(_epoch_seconds([b])[0])) for a, b in stop_days]
    return _Calendar(
        dates=dates,
        day_start=day_start,
        month=month,
        start_s=int(day_start[0]),
        end_s=int(day_start[-1]) - 1,
        intensity=seg,
        promo_rate=promo,
        sf_ramp=sf_ramp,
        ma_ramp=ma_ramp,
        shutdown=shutdown,
        coupon_windows={"DOUBLE11": d11, "618": s618, "NEWYEAR": sf_ramp > 0, "MIDAUTUMN": ma_ramp > 0},
    )


# --------------------------------------------------------------------------------------------------
# products
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    frame: pd.DataFrame
    sku: list[str]
    spec: IntArray
    price: FloatArray
    top_cat: IntArray
    fresh: BoolArray  # category 生鲜: perishable, cold chain
    seasonal_fresh: BoolArray  # fresh and with harvest months
    in_season: BoolArray  # (12, n): month m+1 is a harvest month (all True when there are none)
    pack: IntArray
    grade: IntArray  # +1 premium, 0, -1 standard
    cert_score: FloatArray
    quality: FloatArray
    origin: IntArray  # province index
    log_weight_rel: FloatArray
    rel_price: FloatArray  # log price minus the speciality's mean log price
    rel_unit_price: FloatArray  # the same per kg: premium grades and organic score high
    z_price: FloatArray  # standardized log price over the catalog
    popularity: FloatArray  # log scale
    inactive: BoolArray
    family: list[str]


_PROVINCES = tuple(cat.PROVINCE_COORDS)
_PROV_IDX = {p: i for i, p in enumerate(_PROVINCES)}


def _distance_km() -> FloatArray:
    lat, lon = (np.radians(np.array([cat.PROVINCE_COORDS[p][i] for p in _PROVINCES])) for i in (0, 1))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(a)), dtype=np.float64)


_DIST = _distance_km()


def _sku_quotas(rng: np.random.Generator, n: int) -> IntArray:
    specs = cat.SPECIALITIES
    pop = np.array([s.popularity for s in specs])
    if n < len(specs):
        chosen = rng.choice(len(specs), size=n, replace=False, p=pop / pop.sum())
        quota = np.zeros(len(specs), dtype=np.int64)
        quota[chosen] = 1
        return quota
    # One SKU per speciality, the rest by popularity (largest remainder, so it sums to n exactly).
    share = pop / pop.sum() * (n - len(specs))
    quota = np.asarray(1 + np.floor(share), dtype=np.int64)
    rest = n - int(quota.sum())
    quota[np.argsort(-(share - np.floor(share)), kind="stable")[:rest]] += 1
    return quota


def _round_price(p: FloatArray) -> FloatArray:
    """Shop-style prices: 59.9 under a hundred, 129 above."""
    return np.where(p < 100, np.floor(p) + 0.9, np.ceil(p / 10) * 10 - 1)


def _make_products(rng: np.random.Generator, n: int, end: dt.date) -> _Catalog:
    specs = cat.SPECIALITIES
    quota = _sku_quotas(rng, n)
    rows: list[tuple[int, int, int, int]] = []  # speciality, brand, pack, grade
    for si, spec in enumerate(specs):
        packs = cat.PACK_SETS[spec.packs]
        combos = [(b, p, g) for b in range(len(spec.brands)) for p in range(len(packs)) for g in range(3)]
        take = rng.permutation(len(combos))[: quota[si]]
        # Cycle through the combinations again if a huge catalog asks for more than exist.
        while len(take) < quota[si]:
            take = np.concatenate([take, rng.permutation(len(combos))])[: quota[si]]
        rows.extend((si, *combos[i]) for i in sorted(take.tolist()))
    n = len(rows)
    spec_i = np.array([r[0] for r in rows], dtype=np.int64)
    brand_i = np.array([r[1] for r in rows], dtype=np.int64)
    grade_i = np.array([r[3] for r in rows], dtype=np.int64)
    pack_objs = [cat.PACK_SETS[specs[r[0]].packs][r[2]] for r in rows]
    pack_i = np.array([_PACKS.index(p.pack) for p in pack_objs], dtype=np.int64)
    weight = np.array([p.weight_kg for p in pack_objs])
    is_craft = np.array([specs[s].packs == "craft" for s in spec_i])
    grades = [cat.CRAFT_GRADES if c else cat.GRADES for c in is_craft]
    grade_mult = np.array([grades[i][g][2] for i, g in enumerate(grade_i)])
    grade_shift = np.array([grades[i][g][3] for i, g in enumerate(grade_i)])
    category = [specs[s].category for s in spec_i]
    fresh = np.array([c.startswith("生鲜") for c in category])
    food = ~is_craft

    # Certifications: premium grades are more often organic; GI only where the region holds one.
    gi = np.array([specs[s].gi for s in spec_i]) & (rng.random(n) < 0.55)
    organic = food & (rng.random(n) < np.where(grade_i == 0, 0.28, 0.08))
    green = food & ~organic & (rng.random(n) < 0.18)
    eggs = np.array([c.startswith("禽蛋肉/鸡蛋") for c in category])
    pollution_free = (fresh | eggs) & ~organic & (rng.random(n) < 0.15)
    cert_score = np.minimum(1.0 * organic + 0.5 * green + 0.4 * gi + 0.3 * pollution_free, 1.2)

    brand_effect = rng.normal(0.0, 0.08, size=(len(specs), 3))[spec_i, brand_i]
    pack_mult = np.array([cat.PACK_PRICE[_PACKS[p]][0] for p in pack_i])
    box_cost = np.array([cat.PACK_PRICE[_PACKS[p]][1] for p in pack_i])
    per_kg = np.array([specs[s].price_per_kg for s in spec_i])
    raw = (
        per_kg * weight * pack_mult * grade_mult * np.exp(brand_effect) * np.where(organic, 1.3, 1.0)
        + box_cost
    )
    price = _round_price(raw)
    cost = np.round(price * rng.uniform(0.45, 0.68, size=n), 2)
    quality = np.clip(
        np.array([specs[s].quality for s in spec_i]) + grade_shift + brand_effect * 0.5 + 0.05 * organic,
        0.0,
        1.0,
    )

    log_p = np.log(price)
    spec_mean = np.bincount(spec_i, weights=log_p, minlength=len(specs)) / np.maximum(
        np.bincount(spec_i, minlength=len(specs)), 1
    )
    rel_price = log_p - spec_mean[spec_i]
    z_price = (log_p - log_p.mean()) / (log_p.std() + 1e-9)
    log_w = np.log(weight)
    w_mean = np.bincount(spec_i, weights=log_w, minlength=len(specs)) / np.maximum(
        np.bincount(spec_i, minlength=len(specs)), 1
    )
    popularity = np.log(np.array([specs[s].popularity for s in spec_i])) + rng.normal(0.0, 0.35, size=n)
    inactive = rng.random(n) < 0.04

    harvest = [specs[s].harvest_months for s in spec_i]
    in_season = np.ones((12, n), dtype=bool)
    for j, months in enumerate(harvest):
        if months is not None:
            in_season[:, j] = np.isin(np.arange(1, 13), months)
    seasonal_fresh = fresh & np.array([h is not None for h in harvest])

    shelf = [specs[s].shelf_life_days for s in spec_i]
    production = _production_dates(rng, end, harvest, shelf)
    certs: list[list[str] | None] = []
    for j in range(n):
        names = [
            name
            for name, flag in (
                ("organic", organic[j]),
                ("green_food", green[j]),
                ("geographical_indication", gi[j]),
                ("pollution_free", pollution_free[j]),
            )
            if flag
        ]
        certs.append(names or None)

    sku = [f"SKU-{j + 1:05d}" for j in range(n)]
    titles, titles_en, descs, descs_en, brands, attrs = [], [], [], [], [], []
    for j, (si, bi, _pi, gi_) in enumerate(rows):
        spec = specs[si]
        pk = pack_objs[j]
        g_zh, g_en, _, _ = grades[j][gi_]
        b_zh, b_en = spec.brands[bi]
        pack_zh, pack_en = cat.PACK_ZH[pk.pack], cat.PACK_EN[pk.pack]
        org_zh, org_en = ("有机", "organic ") if organic[j] else ("", "")
        titles.append(f"{b_zh} {org_zh}{spec.name} {g_zh} {pk.size_zh} {pack_zh}")
        titles_en.append(f"{b_en} {org_en}{spec.name_en}, {g_en}, {pk.size_en} {pack_en}")
        place = f"{spec.province}{spec.city}{spec.county or ''}"
        place_en = f"{spec.county + ', ' if spec.county else ''}{spec.city}, {spec.province}"
        descs.append(f"{place}产地直发。{spec.blurb}{pack_zh}，{g_zh}品质。")
        descs_en.append(f"Shipped direct from {place_en}. {spec.blurb_en} {pack_en.capitalize()}, {g_en}.")
        brands.append(b_zh)
        attr: dict[str, Any] = {
            "weight_kg": round(float(pk.weight_kg), 3),
            "grade": g_zh,
            "grade_en": g_en,
            "pack": pk.pack,
            "size": pk.size_zh,
            "storage": "冷藏" if fresh[j] else ("常温" if is_craft[j] else "阴凉干燥"),
        }
        if spec.county:
            attr["origin_county"] = spec.county
        attrs.append(attr)

    image = [
        f"images/products/{s.lower()}.jpg" if u < 0.7 else None
        for s, u in zip(sku, rng.random(n), strict=True)
    ]
    frame = pd.DataFrame(
        {
            "sku": sku,
            "title": titles,
            "title_en": titles_en,
            "description": descs,
            "description_en": descs_en,
            "category": category,
            "brand": brands,
            "price": price,
            "cost": cost,
            "currency": "CNY",
            "attributes": pd.Series(attrs, dtype=object),
            "origin_province": [specs[s].province for s in spec_i],
            "origin_city": [specs[s].city for s in spec_i],
            "harvest_months": pd.Series([list(h) if h else None for h in harvest], dtype=object),
            "shelf_life_days": pd.array(shelf, dtype="Int64"),
            "certifications": pd.Series(certs, dtype=object),
            "production_date": pd.Series(production, dtype=object),
            "image_path": pd.Series(image, dtype=object),
            "status": np.where(inactive, "inactive", "active"),
        }
    )
    return _Catalog(
        frame=frame,
        sku=sku,
        spec=spec_i,
        price=price,
        top_cat=np.array([cat.TOP_CATEGORIES.index(c.split("/")[0]) for c in category], dtype=np.int64),
        fresh=fresh,
        seasonal_fresh=seasonal_fresh,
        in_season=in_season,
        pack=pack_i,
        grade=1 - grade_i,
        cert_score=cert_score,
        quality=quality,
        origin=np.array([_PROV_IDX[specs[s].province] for s in spec_i], dtype=np.int64),
        log_weight_rel=log_w - w_mean[spec_i],
        rel_price=rel_price,
        rel_unit_price=rel_price - (log_w - w_mean[spec_i]),
        z_price=z_price,
        popularity=popularity,
        inactive=inactive,
        family=[cat.review_family(c) for c in category],
    )


def _production_dates(
    rng: np.random.Generator, end: dt.date, harvest: list[tuple[int, ...] | None], shelf: list[int | None]
) -> list[dt.date]:
    """Latest batch date: inside the last harvest period for seasonal goods, recent otherwise."""
    out = []
    jitter = rng.random(len(harvest))
    for months, life, u in zip(harvest, shelf, jitter, strict=True):
        if months is not None:
            day = end
            while day.month not in months:  # walk back to the last harvest month
                day = day.replace(day=1) - dt.timedelta(days=1)
            out.append(day - dt.timedelta(days=int(u * min(10, day.day))))
        elif life is None:
            out.append(end - dt.timedelta(days=30 + int(u * 370)))
        else:
            out.append(end - dt.timedelta(days=int(u * max(1, life // 3))))
    return out


# --------------------------------------------------------------------------------------------------
# customers
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _People:
    frame: pd.DataFrame
    truth: pd.DataFrame
    ids: list[str]
    province: IntArray
    city: list[str]
    segment: IntArray
    price_sensitivity: FloatArray
    preferred: BoolArray  # (n, len(TOP_CATEGORIES))
    activity: FloatArray
    active_from: IntArray  # first active day index
    active_to: IntArray  # one past the last active day index
    channel_pref: IntArray
    age: IntArray  # index into _AGE_BANDS, -1 unknown
    new_user: BoolArray  # signed up inside the window
    devices: list[list[str]]
    ips: list[list[str]]


# Segment mix by age band (rows: 18-24 ... 55+, unknown); columns follow SEGMENTS.
_SEGMENT_BY_AGE = np.array(
    [
        [0.45, 0.20, 0.10, 0.10, 0.15],
        [0.30, 0.27, 0.15, 0.12, 0.16],
        [0.24, 0.22, 0.22, 0.16, 0.16],
        [0.24, 0.18, 0.24, 0.14, 0.20],
        [0.36, 0.14, 0.16, 0.10, 0.24],
        [0.30, 0.22, 0.18, 0.12, 0.18],
    ]
)
# Preferred top-level categories by segment; columns follow TOP_CATEGORIES.
_CATEGORY_TASTE = np.array(
    [
        [3.0, 2.5, 0.6, 1.0, 1.0, 2.0, 0.2],
        [2.5, 1.5, 2.0, 1.8, 1.0, 1.2, 0.6],
        [1.2, 0.8, 2.5, 1.8, 2.0, 1.2, 1.5],
        [2.5, 3.0, 0.5, 1.0, 1.0, 2.0, 0.2],
        [2.0, 1.5, 1.5, 1.2, 1.8, 2.0, 0.8],
    ]
)
_SEG_SENSITIVITY = ((8.0, 2.5), (2.0, 8.0), (3.0, 5.0), (5.0, 4.0), (4.0, 4.0))  # beta(a, b)
_CHANNEL_BY_AGE = np.array(
    [
        [0.10, 0.35, 0.15, 0.15, 0.25],
        [0.12, 0.32, 0.26, 0.14, 0.16],
        [0.15, 0.28, 0.32, 0.12, 0.13],
        [0.15, 0.20, 0.40, 0.15, 0.10],
        [0.15, 0.10, 0.45, 0.20, 0.10],
        [0.20, 0.30, 0.30, 0.10, 0.10],
    ]
)
_PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "158", "159", "177", "180", "181", "185", "186", "187", "188", "189", "199",
)  # fmt: skip
_SOURCES = ("wechat_group", "douyin", "xiaohongshu", "referral", "search", "live_stream", "county_station")


def _pick(rng: np.random.Generator, probs: FloatArray) -> IntArray:
    """One categorical draw per row of ``probs`` (rows need not be normalized)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cdf[:, -1]
    picked: IntArray = np.minimum((cdf < u[:, None]).sum(axis=1), probs.shape[1] - 1).astype(np.int64)
    return picked


def _hex(rng: np.random.Generator, shape: tuple[int, ...]) -> npt.NDArray[np.object_]:
    raw = rng.integers(0, 2**63, size=shape, dtype=np.int64)
    return np.array([f"{x:016x}" for x in raw.ravel()], dtype=object).reshape(shape)


def _make_customers(rng: np.random.Generator, n: int, cal: _Calendar) -> _People:
    days = len(cal.dates)
    # A quarter joined before the window; the rest sign up as the shop grows, more at busy times.
    before = rng.random(n) < 0.25
    growth = np.linspace(0.6, 1.4, days) * cal.intensity[_ANON]
    cdf = np.cumsum(growth) / growth.sum()
    inside = np.searchsorted(cdf, rng.random(n), side="right")
    signup_idx = np.where(before, -rng.integers(1, 730, size=n), inside)
    signup_idx = np.sort(signup_idx, kind="stable")  # customer ids follow signup order
    start = cal.dates[0]
    signup = [start + dt.timedelta(days=int(i)) for i in signup_idx]

    prov_names = list(cat.PROVINCE_WEIGHTS)
    pw = np.array([cat.PROVINCE_WEIGHTS[p] for p in prov_names])
    prov_local = rng.choice(len(prov_names), size=n, p=pw / pw.sum())
    province = np.array([_PROV_IDX[prov_names[i]] for i in prov_local], dtype=np.int64)
    city = _cities(rng, [prov_names[i] for i in prov_local])

    gender = rng.choice(np.array(["female", "male", "unknown"], dtype=object), size=n, p=[0.55, 0.36, 0.09])
    age = rng.choice(6, size=n, p=[0.12, 0.32, 0.27, 0.16, 0.08, 0.05])
    segment = _pick(rng, _SEGMENT_BY_AGE[age])
    a = np.array([_SEG_SENSITIVITY[s][0] for s in segment])
    b = np.array([_SEG_SENSITIVITY[s][1] for s in segment])
    sensitivity = rng.beta(a, b)
    # Two favourite top-level categories: Gumbel top-2 over the segment's taste.
    taste = np.log(_CATEGORY_TASTE[segment]) + rng.gumbel(size=(n, len(cat.TOP_CATEGORIES)))
    top2 = np.argsort(-taste, axis=1)[:, :2]
    preferred = np.zeros((n, len(cat.TOP_CATEGORIES)), dtype=bool)
    np.put_along_axis(preferred, top2, True, axis=1)
    activity = rng.lognormal(0.0, 0.9, size=n)
    activity /= activity.mean()

    active_from = np.maximum(signup_idx, 0)
    churns = rng.random(n) < 0.3
    churn_idx = active_from + (rng.random(n) * (days - active_from)).astype(np.int64)
    churns &= churn_idx < days
    active_to = np.where(churns, np.maximum(churn_idx, active_from + 1), days)
    channel_pref = _pick(rng, _CHANNEL_BY_AGE[age])

    ids = [f"C{i + 1:06d}" for i in range(n)]
    email_no = rng.choice(900_000, size=n, replace=False) + 100_000
    domains = rng.choice(np.array(["example.com", "example.net", "example.org"], dtype=object), size=n)
    has_email = rng.random(n) < 0.7
    email = [f"user{k}@{d}" if h else None for k, d, h in zip(email_no, domains, has_email, strict=True)]
    suffix = rng.choice(10**8, size=n, replace=False)
    prefix = rng.integers(0, len(_PHONE_PREFIXES), size=n)
    phone = [f"{_PHONE_PREFIXES[p]}{s:08d}" for p, s in zip(prefix, suffix, strict=True)]
    src = rng.integers(0, len(_SOURCES), size=n)
    level = rng.integers(1, 4, size=n)
    kind = rng.random(n)
    attributes: list[dict[str, Any] | None] = [
        None
        if k < 0.6
        else ({"source": _SOURCES[s]} if k < 0.85 else {"source": _SOURCES[s], "member_level": int(lv)})
        for k, s, lv in zip(kind, src, level, strict=True)
    ]
    n_dev = 1 + (rng.random(n) < 0.4) + (rng.random(n) < 0.12)
    n_ip = 1 + (rng.random(n) < 0.5) + (rng.random(n) < 0.25) + (rng.random(n) < 0.1)
    dev_hex = _hex(rng, (n, 3))
    ip_hex = _hex(rng, (n, 4))
    devices = [list(dev_hex[i, : n_dev[i]]) for i in range(n)]
    ips = [list(ip_hex[i, : n_ip[i]]) for i in range(n)]

    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "province": [_PROVINCES[p] for p in province],
            "city": city,
            "signup_date": pd.Series(signup, dtype=object),
            "gender": pd.Series([None if g == "unknown" else g for g in gender], dtype=object),
            "age_band": pd.Series([_AGE_BANDS[a_] if a_ < 5 else None for a_ in age], dtype=object),
            "consent_marketing": rng.random(n) < 0.85,
            "consent_analytics": np.ones(n, dtype=bool),
            "email": pd.Series(email, dtype=object),
            "phone": phone,
            "attributes": pd.Series(attributes, dtype=object),
        }
    )
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": [SEGMENTS[s] for s in segment],
            "price_sensitivity": np.round(sensitivity, 4),
            "preferred_categories": pd.Series(
                [[cat.TOP_CATEGORIES[j] for j in np.flatnonzero(row)] for row in preferred], dtype=object
            ),
            "activity": np.round(activity, 4),
            "churn_date": pd.Series(
                [
                    start + dt.timedelta(days=int(c)) if ch else None
                    for c, ch in zip(active_to, churns, strict=True)
                ],
                dtype=object,
            ),
        }
    )
    return _People(
        frame=frame,
        truth=truth,
        ids=ids,
        province=province,
        city=city,
        segment=segment,
        price_sensitivity=sensitivity,
        preferred=preferred,
        activity=activity,
        active_from=active_from.astype(np.int64),
        active_to=active_to.astype(np.int64),
        channel_pref=channel_pref,
        age=np.where(age < 5, age, -1).astype(np.int64),
        new_user=signup_idx >= 0,
        devices=devices,
        ips=ips,
    )


def _cities(rng: np.random.Generator, provinces: list[str]) -> list[str]:
    u = rng.random(len(provinces))
    out = []
    for p, x in zip(provinces, u, strict=True):
        options = cat.PROVINCE_CITIES[p]
        total = sum(w for _, w in options)
        acc = 0.0
        chosen = options[-1][0]
        for name, w in options:
            acc += w / total
            if x < acc:
                chosen = name
                break
        out.append(chosen)
    return out


# --------------------------------------------------------------------------------------------------
# sessions: who visits when, what they see, what they do
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sessions:
    customer: IntArray  # -1 anonymous
    segment: IntArray  # 5 anonymous
    day: IntArray
    start: IntArray  # epoch seconds
    channel: IntArray
    search: BoolArray
    # one row per product viewed
    v_sess: IntArray
    v_rank: IntArray
    v_prod: IntArray
    clicked: BoolArray
    favorite: BoolArray
    shared: BoolArray
    carted: BoolArray
    removed: BoolArray
    bought: BoolArray
    qty: IntArray


_SESSIONS_PER_ACTIVE_DAY = 0.07
_HOURS = np.array(
    [
        0.6,
        0.3,
        0.15,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.6,
        1.9,
        2.0,
        2.2,
        2.6,
        2.3,
        1.8,
        1.8,
        1.9,
        2.1,
        2.5,
        3.2,
        3.8,
        4.0,
        3.4,
        1.8,
    ]
)
_LIVE_HOURS = np.array(
    [
        0.2,
        0.1,
        0,
        0,
        0,
        0,
        0,
        0.1,
        0.2,
        0.3,
        0.5,
        0.5,
        0.6,
        0.5,
        0.5,
        0.5,
        0.6,
        0.8,
        1.2,
        3.0,
        5.0,
        5.5,
        4.5,
        1.5,
    ]
)


def _affinity(catalog: _Catalog, people: _People) -> FloatArray:
    """Customer x product utility; the last row is the anonymous visitor."""
    seg = people.segment
    ps = people.price_sensitivity
    is_q = (seg == _QS)[:, None]
    is_g = (seg == _GB)[:, None]
    is_b = (seg == _BB)[:, None]
    is_p = (seg == _PS)[:, None]
    is_r = (seg == _RT)[:, None]
    gift = (catalog.pack == _GIFT)[None, :]
    bulk = (catalog.pack == _BULK)[None, :]
    trial = (catalog.pack == _TRIAL)[None, :]
    price_term = catalog.rel_price + 0.5 * catalog.z_price  # what the basket costs
    dist = _DIST[people.province][:, catalog.origin] / 1000.0  # thousands of km
    pack_base = np.array([-0.3, 0.4, 0.0, -0.2])[catalog.pack]  # family packs sell best
    aff = (
        (catalog.popularity + pack_base)[None, :]
        + 1.3 * people.preferred[:, catalog.top_cat]
        + (0.6 - 2.4 * ps)[:, None] * price_term[None, :]
        + is_q * (1.4 * catalog.cert_score + 0.8 * catalog.grade + 0.8 * catalog.rel_unit_price)[None, :]
        + is_g * (2.0 * gift - 0.6 * bulk)
        + is_b * (2.2 * bulk + 0.5 * catalog.log_weight_rel[None, :] - 0.8 * trial)
        - is_p * 0.8 * gift
        - (0.35 + 2.2 * is_r) * dist
        # northern fruit cannot reach the far south fresh, and shoppers know it
        - 0.5 * (catalog.fresh[None, :] & (dist > 2.0))
        - 1.5 * catalog.inactive[None, :]
    )
    anon = catalog.popularity - 0.5 * catalog.z_price - 1.5 * catalog.inactive
    return np.vstack([aff, anon[None, :]])


def _time_affinity(cal: _Calendar, catalog: _Catalog) -> FloatArray:
    """Day x product utility shift: harvest seasons and festival goods."""
    months = cal.month - 1
    in_season = catalog.in_season[months]  # (days, n)
    near = catalog.in_season[(months + 1) % 12] | catalog.in_season[(months - 1) % 12]
    season = np.where(in_season, 0.0, np.where(near, -1.6, -3.2)) * catalog.seasonal_fresh[None, :]
    tea = np.array([c == cat.TOP_CATEGORIES.index("茶叶") for c in catalog.top_cat])
    seasonal_tea = tea & ~catalog.in_season.all(axis=0)
    season = season + 0.5 * (in_season & seasonal_tea[None, :])  # 新茶上市
    spec_keys = [cat.SPECIALITIES[s].key for s in catalog.spec]
    cured = np.array([cat.SPECIALITIES[s].category.startswith("禽蛋肉/腊肉") for s in catalog.spec])
    nuts = np.array(
        [cat.SPECIALITIES[s].category.startswith(("干货/坚果", "干货/干果")) for s in catalog.spec]
    )
    crab = np.array([k == "hairy_crab" for k in spec_keys])
    gift = catalog.pack == _GIFT
    sf = cal.sf_ramp[:, None] * (1.0 * gift + 1.5 * cured + 0.8 * nuts)[None, :]
    ma = cal.ma_ramp[:, None] * (0.8 * gift + 1.2 * crab + 0.4 * tea)[None, :]
    return np.asarray(season + sf + ma, dtype=np.float64)


def _session_days(rng: np.random.Generator, cal: _Calendar, people: _People) -> tuple[IntArray, IntArray]:
    """Sample visit days per customer from their segment's intensity over their active span."""
    cust_parts: list[IntArray] = []
    day_parts: list[IntArray] = []
    for s in range(len(SEGMENTS)):
        members = np.flatnonzero(people.segment == s)
        if len(members) == 0:
            continue
        cum = np.concatenate([[0.0], np.cumsum(cal.intensity[s])])
        lo = cum[people.active_from[members]]
        hi = cum[people.active_to[members]]
        lam = _SESSIONS_PER_ACTIVE_DAY * people.activity[members] * (hi - lo)
        count = rng.poisson(lam)
        who = np.repeat(members, count)
        u = np.repeat(lo, count) + rng.random(len(who)) * np.repeat(hi - lo, count)
        day = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(cal.dates) - 1)
        cust_parts.append(who.astype(np.int64))
        day_parts.append(day.astype(np.int64))
    cust = np.concatenate(cust_parts) if cust_parts else np.zeros(0, dtype=np.int64)
    days = np.concatenate(day_parts) if day_parts else np.zeros(0, dtype=np.int64)
    # Anonymous visitors: about one session in ten, on the general rhythm.
    n_anon = int(rng.poisson(0.11 * len(cust)))
    cum = np.cumsum(cal.intensity[_ANON])
    anon_days = np.searchsorted(cum / cum[-1], rng.random(n_anon), side="right")
    cust = np.concatenate([cust, np.full(n_anon, -1, dtype=np.int64)])
    days = np.concatenate([days, np.minimum(anon_days, len(cal.dates) - 1).astype(np.int64)])
    return cust, days


def _top_k(
    rng: np.random.Generator, aff: FloatArray, time_aff: FloatArray, rows: IntArray, days: IntArray, k: int
) -> IntArray:
    """The k products each session looks at, best first (Gumbel top-k = sampling without replacement)."""
    out = np.empty((len(rows), k), dtype=np.int64)
    chunk = 4096
    for lo in range(0, len(rows), chunk):
        hi = min(lo + chunk, len(rows))
        score = aff[rows[lo:hi]] + time_aff[days[lo:hi]] + rng.gumbel(size=(hi - lo, aff.shape[1]))
        part = np.argpartition(-score, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(score, part, axis=1), axis=1, kind="stable")
        out[lo:hi] = np.take_along_axis(part, order, axis=1)
    return out


def _simulate_sessions(
    rng: np.random.Generator, cal: _Calendar, catalog: _Catalog, people: _People
) -> _Sessions:
    cust, day = _session_days(rng, cal, people)
    n = len(cust)
    anon = cust < 0
    seg = np.where(anon, _ANON, people.segment[np.maximum(cust, 0)])
    age_row = np.where(anon, 5, people.age[np.maximum(cust, 0)])
    age_row = np.where(age_row < 0, 5, age_row)
    own = people.channel_pref[np.maximum(cust, 0)]
    other = _pick(rng, _CHANNEL_BY_AGE[age_row])
    channel = np.where(~anon & (rng.random(n) < 0.65), own, other)
    live = channel == _CHANNELS.index("live_stream")
    hour = np.where(
        live,
        rng.choice(24, size=n, p=_LIVE_HOURS / _LIVE_HOURS.sum()),
        rng.choice(24, size=n, p=_HOURS / _HOURS.sum()),
    )
    start = cal.day_start[day] + hour * 3600 + rng.integers(0, 3600, size=n)
    order = np.lexsort((cust, start))  # session ids follow time
    cust, day, seg, channel, start, anon = (
        cust[order],
        day[order],
        seg[order],
        channel[order],
        start[order],
        anon[order],
    )

    k_max = min(8, len(catalog.sku))
    n_view = np.minimum(1 + rng.poisson(1.3, size=n), k_max)
    aff = _affinity(catalog, people)
    rows = np.where(anon, len(people.ids), cust)
    top = _top_k(rng, aff, _time_affinity(cal, catalog), rows, day, k_max)
    rank = np.tile(np.arange(k_max), (n, 1))
    keep = rank < n_view[:, None]
    v_sess = np.repeat(np.arange(n), n_view)
    v_rank = rank[keep]
    v_prod = top[keep]

    v_seg = seg[v_sess]
    v_anon = anon[v_sess]
    m = len(v_sess)
    p_search = np.array([0.30, 0.45, 0.35, 0.30, 0.40, 0.35])[seg]
    search = rng.random(n) < p_search
    clicked = rng.random(m) < np.where(v_rank == 0, 0.8, 0.4) * np.where(v_anon, 0.8, 1.0)
    p_cart = np.array([0.55, 0.50, 0.60, 0.60, 0.55, 0.20])[v_seg]
    carted = clicked & (rng.random(m) < p_cart)
    removed = carted & (rng.random(m) < np.where(v_seg == _PS, 0.22, 0.12))
    favorite = clicked & (rng.random(m) < np.where(v_seg == _QS, 0.12, 0.06))
    social = np.isin(
        channel[v_sess], [_CHANNELS.index(c) for c in ("mini_program", "live_stream", "short_video")]
    )
    shared = rng.random(m) < np.where(social, 0.05, 0.015)
    kept = carted & ~removed
    has_cart = np.bincount(v_sess, weights=kept, minlength=n) > 0
    converts = has_cart & ~anon & (rng.random(n) < 0.85)
    bought = kept & converts[v_sess]

    festive = (cal.sf_ramp[day] > 0) | (cal.ma_ramp[day] > 0)
    v_festive = festive[v_sess]
    cheap = catalog.price[v_prod] < 200  # nobody buys five teapots at once
    extra = np.where(
        v_seg == _BB,
        rng.poisson(np.where(cheap, 1.2, 0.2), size=m),
        np.where(
            (v_seg == _GB) & v_festive,
            rng.poisson(0.9, size=m),
            (rng.random(m) < 0.15) + (rng.random(m) < 0.03),
        ),
    )
    qty = (1 + extra).astype(np.int64)
    return _Sessions(
        customer=cust,
        segment=seg,
        day=day,
        start=start,
        channel=channel,
        search=search,
        v_sess=v_sess,
        v_rank=v_rank,
        v_prod=v_prod,
        clicked=clicked,
        favorite=favorite,
        shared=shared,
        carted=carted,
        removed=removed,
        bought=bought,
        qty=qty,
    )


# --------------------------------------------------------------------------------------------------
# orders, order items and the event log
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Orders:
    frame: pd.DataFrame
    customer: IntArray
    delivered: FloatArray  # epoch seconds, NaN when not delivered
    transit_days: FloatArray
    status: npt.NDArray[np.object_]


@dataclass(frozen=True)
class _Items:
    frame: pd.DataFrame
    order: IntArray  # order row
    prod: IntArray
    qty: IntArray


_COUPONS: tuple[tuple[str, str | None, float, float], ...] = (
    # code, window (None: always; "NEWUSER": first order of a new customer), threshold, amount
    ("FULL39-3", None, 39.0, 3.0),
    ("FULL99-8", None, 99.0, 8.0),
    ("FULL199-15", None, 199.0, 15.0),
    ("NEWUSER-10", "NEWUSER", 59.0, 10.0),
    ("DOUBLE11-20", "DOUBLE11", 199.0, 20.0),
    ("DOUBLE11-50", "DOUBLE11", 399.0, 50.0),
    ("618-15", "618", 159.0, 15.0),
    ("618-30", "618", 299.0, 30.0),
    ("NEWYEAR-30", "NEWYEAR", 299.0, 30.0),
    ("MIDAUTUMN-20", "MIDAUTUMN", 199.0, 20.0),
)
_PAYMENTS = ("alipay", "wechat_pay", "unionpay", "cod")
_SHARE_TARGETS = ("wechat", "moments", "douyin", "weibo", "xiaohongshu")


def _event_times(rng: np.random.Generator, cal: _Calendar, s: _Sessions) -> dict[str, Any]:
    """Lay out every event of every session in time and return them sorted by (session, step)."""
    n = len(s.customer)
    vs, vr = s.v_sess, s.v_rank
    n_search = int(s.search.sum())
    no_view = np.full(n_search, -1, dtype=np.int64)
    parts: list[tuple[IntArray, IntArray, int, IntArray]] = [
        (np.flatnonzero(s.search), np.zeros(n_search, dtype=np.int64), _EV["search"], no_view),
    ]
    views = np.arange(len(vs))
    for name, mask, offset in (
        ("view", np.ones(len(vs), dtype=bool), 0),
        ("click", s.clicked, 1),
        ("favorite", s.favorite, 2),
        ("share", s.shared, 3),
        ("add_to_cart", s.carted, 4),
    ):
        parts.append((vs[mask], 10 + 10 * vr[mask] + offset, _EV[name], views[mask]))
    parts.append((vs[s.removed], 900 + vr[s.removed], _EV["remove_from_cart"], views[s.removed]))
    parts.append((vs[s.bought], 1000 + vr[s.bought], _EV["purchase"], views[s.bought]))
    sess = np.concatenate([p[0] for p in parts]).astype(np.int64)
    step = np.concatenate([p[1] for p in parts]).astype(np.int64)
    etype = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    view_row = np.concatenate([p[3] for p in parts]).astype(np.int64)
    order = np.lexsort((step, sess))
    sess, step, etype, view_row = sess[order], step[order], etype[order], view_row[order]

    # Gaps between consecutive events: dwell on a product, checkout; all lines of an order share a time.
    mean_gap = np.array([8.0, 25.0, 15.0, 8.0, 10.0, 30.0, 60.0, 90.0])[etype]
    gap = np.round(3 + rng.exponential(mean_gap)).astype(np.int64)
    first = np.ones(len(sess), dtype=bool)
    first[1:] = sess[1:] != sess[:-1]
    later_purchase = np.zeros(len(sess), dtype=bool)
    later_purchase[1:] = (etype[1:] == _EV["purchase"]) & (etype[:-1] == _EV["purchase"]) & ~first[1:]
    gap[first | later_purchase] = 0
    csum = np.cumsum(gap)
    starts = np.flatnonzero(first)
    offset = csum - np.repeat(csum[starts], np.diff(np.append(starts, len(sess))))
    ts = s.start[sess] + offset
    # Keep late-night sessions on the last day inside the window.
    overflow = np.zeros(n, dtype=np.int64)
    np.maximum.at(overflow, sess, ts - cal.end_s)
    ts = ts - overflow[sess]
    return {"sess": sess, "etype": etype, "view_row": view_row, "ts": ts, "first": first}


def _build_orders_and_events(
    rng: np.random.Generator, cal: _Calendar, catalog: _Catalog, people: _People, s: _Sessions
) -> tuple[_Orders, _Items, pd.DataFrame]:
    ev = _event_times(rng, cal, s)
    sess, etype, view_row, ts = ev["sess"], ev["etype"], ev["view_row"], ev["ts"]

    # ---- orders: one per converting session, numbered by time
    is_purchase = etype == _EV["purchase"]
    p_rows = np.flatnonzero(is_purchase)
    p_sess = sess[p_rows]
    o_sess, first_line = np.unique(p_sess, return_index=True)
    o_time = ts[p_rows[first_line]]
    o_order = np.lexsort((o_sess, o_time))
    o_sess, o_time = o_sess[o_order], o_time[o_order]
    n_o = len(o_sess)
    sess_to_order = np.full(len(s.customer), -1, dtype=np.int64)
    sess_to_order[o_sess] = np.arange(n_o)

    line_view = view_row[p_rows]
    line_order = sess_to_order[p_sess]
    lo = np.lexsort((s.v_rank[line_view], line_order))
    line_view, line_order = line_view[lo], line_order[lo]
    n_l = len(line_view)
    line_starts = (
        np.flatnonzero(np.r_[True, line_order[1:] != line_order[:-1]]) if n_l else np.zeros(0, np.int64)
    )
    line_no = np.arange(n_l) - np.repeat(line_starts, np.diff(np.append(line_starts, n_l))) + 1
    prod = s.v_prod[line_view]
    qty = s.qty[line_view]
    unit = catalog.price[prod]
    gross_line = qty * unit

    o_cust = s.customer[o_sess]
    o_seg = s.segment[o_sess]
    o_day = s.day[o_sess]
    o_channel = s.channel[o_sess]

    # ---- discounts: platform promotions, clearance markdowns, then one coupon per order
    clearance = rng.random(n_l) < np.where(o_seg[line_order] == _PS, 0.15, 0.03)
    rate = cal.promo_rate[o_day[line_order]] + 0.15 * clearance
    promo = np.round(gross_line * rate, 2)
    net_pre = np.bincount(line_order, weights=gross_line - promo, minlength=n_o)
    first_of_cust = np.zeros(n_o, dtype=bool)
    _, first_idx = np.unique(o_cust, return_index=True)
    first_of_cust[first_idx] = True
    new_user = first_of_cust & people.new_user[o_cust]
    uses = rng.random(n_o) < np.array([0.8, 0.1, 0.2, 0.25, 0.2])[o_seg]
    best_amt = np.zeros(n_o)
    best_code = np.full(n_o, -1, dtype=np.int64)
    for ci, (_code, window, threshold, amount) in enumerate(_COUPONS):
        if window is None:
            ok = np.ones(n_o, dtype=bool)
        elif window == "NEWUSER":
            ok = new_user
        else:
            ok = cal.coupon_windows[window][o_day]
        better = uses & ok & (net_pre >= threshold) & (amount > best_amt)
        best_amt = np.where(better, amount, best_amt)
        best_code = np.where(better, ci, best_code)
    line_net_pre = gross_line - promo
    share = np.divide(line_net_pre, net_pre[line_order], out=np.zeros(n_l), where=net_pre[line_order] > 0)
    alloc = np.round(best_amt[line_order] * share, 2)
    residual = best_amt - np.bincount(line_order, weights=alloc, minlength=n_o)
    alloc[line_starts] += residual[line_order[line_starts]]
    line_disc = np.round(promo + alloc, 2)
    gross = np.round(np.bincount(line_order, weights=gross_line, minlength=n_o), 2)
    discount = np.round(np.bincount(line_order, weights=line_disc, minlength=n_o), 2)
    units = np.bincount(line_order, weights=qty, minlength=n_o).astype(np.int64)

    # ---- destination, shipping fee, payment
    gift_to_other = rng.random(n_o) < np.where(o_seg == _GB, 0.3, 0.06)
    prov_names = list(cat.PROVINCE_WEIGHTS)
    pw = np.array([cat.PROVINCE_WEIGHTS[p] for p in prov_names])
    other_prov = rng.choice(len(prov_names), size=n_o, p=pw / pw.sum())
    other_city = _cities(rng, [prov_names[i] for i in other_prov])
    ship_prov = np.where(
        gift_to_other, [_PROV_IDX[prov_names[i]] for i in other_prov], people.province[o_cust]
    )
    ship_city = [
        oc if g else people.city[c] for g, oc, c in zip(gift_to_other, other_city, o_cust, strict=True)
    ]
    any_fresh = np.bincount(line_order, weights=catalog.fresh[prod], minlength=n_o) > 0
    remote = np.isin(ship_prov, [_PROV_IDX[p] for p in cat.REMOTE_PROVINCES])
    net = gross - discount
    free = net >= np.where(any_fresh, 199.0, 99.0)
    fee = np.where(free, 0.0, 8.0 + 10.0 * any_fresh) + 12.0 * remote
    total = np.round(gross - discount + fee, 2)

    age = people.age[o_cust]
    mini = o_channel == _CHANNELS.index("mini_program")
    pay_p = np.stack(
        [
            np.where(mini, 0.08, 0.45),
            np.where(mini, 0.85, 0.42),
            np.full(n_o, 0.07),
            np.where(age == 4, 0.14, 0.04),
        ],
        axis=1,
    )
    payment = _pick(rng, pay_p)
    cod = payment == _PAYMENTS.index("cod")
    n_dev = np.array([len(people.devices[c]) for c in o_cust])
    dev_pick = np.minimum(_pick(rng, np.tile([0.75, 0.2, 0.05], (n_o, 1))), n_dev - 1)
    n_ip = np.array([len(people.ips[c]) for c in o_cust])
    ip_pick = np.minimum(_pick(rng, np.tile([0.6, 0.25, 0.1, 0.05], (n_o, 1))), n_ip - 1)

    # ---- timeline: pay, ship (couriers stop over the Spring Festival), deliver by distance
    dist = _DIST[catalog.origin[prod], ship_prov[line_order]]
    o_dist = np.zeros(n_o)
    np.maximum.at(o_dist, line_order, dist)
    paid = o_time + rng.integers(20, 600, size=n_o)
    handling = np.where(any_fresh, rng.uniform(4, 20, size=n_o), rng.uniform(8, 48, size=n_o)) * 3600
    shipped = paid + handling.astype(np.int64)
    for lo_s, hi_s in cal.shutdown:
        stopped = (shipped >= lo_s) & (shipped < hi_s)
        shipped = np.where(stopped, hi_s + 9 * 3600 + rng.integers(0, 8 * 3600, size=n_o), shipped)
    mday = np.array([d.day for d in cal.dates], dtype=np.int64)[o_day]
    d11_rush = (cal.month[o_day] == 11) & (mday >= 9) & (mday <= 15)  # parcels pile up after Double 11
    transit = (
        np.where(
            any_fresh,
            0.5 + o_dist / 1500 + rng.gamma(2.0, 0.25, size=n_o),
            0.6 + o_dist / 900 + rng.gamma(2.0, 0.35, size=n_o),
        )
        + 1.5 * remote
        + 1.5 * d11_rush
    )
    delivered = shipped + (transit * _DAY).astype(np.int64)

    u = rng.random(n_o)
    p_cancel = np.where(o_seg == _PS, 0.07, 0.04)
    cancelled = u < p_cancel
    p_refund = np.where(any_fresh, 0.05, 0.02)  # spoiled fruit is refunded, not sent back
    p_return = np.where(any_fresh, 0.0, 0.02)
    refunded = ~cancelled & (u < p_cancel + p_refund)
    returned = ~cancelled & ~refunded & (u < p_cancel + p_refund + p_return)
    unpaid_cancel = cancelled & (rng.random(n_o) < 0.5)
    unpaid = (cod | (paid > cal.end_s)) & ~cancelled  # checkout still open when the window ends
    not_shipped = ~cancelled & (shipped > cal.end_s)
    in_transit = ~cancelled & ~not_shipped & (delivered > cal.end_s)
    done = ~cancelled & ~not_shipped & ~in_transit
    recent = delivered > cal.end_s - 7 * _DAY
    status = np.full(n_o, "completed", dtype=object)
    status[done & recent] = "delivered"
    status[done & refunded] = "refunded"
    status[done & returned] = "returned"
    status[in_transit] = "shipped"
    status[not_shipped] = np.where(unpaid[not_shipped], "created", "paid")
    status[cancelled] = "cancelled"
    shipped_ok = done | in_transit
    # Cash on delivery is collected by the courier: no online payment time (the canonical order
    # model also requires paid_at <= shipped_at).
    paid_f = np.where(cod | unpaid_cancel | (paid > cal.end_s), np.nan, paid).astype(float)
    shipped_f = np.where(shipped_ok, shipped, np.nan)
    delivered_f = np.where(done, delivered, np.nan)

    order_ids = [f"O{i + 1:07d}" for i in range(n_o)]
    coupon = [_COUPONS[c][0] if c >= 0 else None for c in best_code]
    orders_frame = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": [people.ids[c] for c in o_cust],
            "status": list(status),
            "ordered_at": _ts(o_time),
            "paid_at": _ts(paid_f),
            "shipped_at": _ts(shipped_f),
            "delivered_at": _ts(delivered_f),
            "total_amount": total,
            "discount_amount": discount,
            "shipping_fee": fee,
            "quantity": units,
            "currency": "CNY",
            "coupon_code": pd.Series(coupon, dtype=object),
            "payment_method": [_PAYMENTS[p] for p in payment],
            "channel": [_CHANNELS[c] for c in o_channel],
            "shipping_province": [_PROVINCES[p] for p in ship_prov],
            "shipping_city": ship_city,
            "device_fingerprint": [people.devices[c][d] for c, d in zip(o_cust, dev_pick, strict=True)],
            "ip_fingerprint": [people.ips[c][d] for c, d in zip(o_cust, ip_pick, strict=True)],
        }
    )
    items_frame = pd.DataFrame(
        {
            "order_id": [order_ids[o] for o in line_order],
            "line_no": line_no.astype(np.int64),
            "sku": [catalog.sku[p] for p in prod],
            "quantity": qty,
            "unit_price": unit,
            "discount_amount": line_disc,
        }
    )

    # Shipment: fresh produce goes by SF Express cold chain, the rest by ZTO (as the demo FAQ says);
    # tracking numbers follow from the order number, so the random streams above are unchanged.
    fresh_line = catalog.frame["category"].str.startswith("生鲜").to_numpy()[prod]
    fresh_order = np.zeros(n_o, dtype=bool)
    np.logical_or.at(fresh_order, line_order, fresh_line)
    orders_frame["carrier"] = pd.Series(
        [
            ("顺丰速运" if f else "中通快递") if s else None
            for s, f in zip(shipped_ok, fresh_order, strict=True)
        ],
        dtype=object,
    )
    orders_frame["tracking_number"] = pd.Series(
        [
            (f"SF{1_400_000_000_000 + i * 7_919:d}" if fresh_order[i] else f"7{73_100_000_000 + i * 6_133:d}")
            if shipped_ok[i]
            else None
            for i in range(n_o)
        ],
        dtype=object,
    )

    # ---- event log
    paid_line = np.round(gross_line - line_disc, 2)
    # purchase rows -> their order line (both sorted by order, then rank)
    view_to_line = np.full(len(s.v_sess), -1, dtype=np.int64)
    view_to_line[line_view] = np.arange(n_l)
    events = _events_frame(rng, cal, catalog, people, s, ev, view_to_line, paid_line, line_order, order_ids)
    return (
        _Orders(
            frame=orders_frame,
            customer=o_cust,
            delivered=delivered_f,
            transit_days=transit,
            status=status,
        ),
        _Items(frame=items_frame, order=line_order, prod=prod, qty=qty),
        events,
    )


def _ts(seconds: FloatArray | IntArray) -> pd.DatetimeIndex:
    """Epoch seconds (NaN for missing) as tz-aware shop-local timestamps, whole seconds."""
    values = np.asarray(seconds, dtype=np.float64)
    missing = np.isnan(values)
    # Go through int64: float seconds pick up stray nanoseconds on the way to datetime64.
    stamps = np.where(missing, 0, values).astype(np.int64).astype("datetime64[s]").astype("datetime64[us]")
    stamps[missing] = np.datetime64("NaT")
    return pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(TZ)


def _events_frame(
    rng: np.random.Generator,
    cal: _Calendar,
    catalog: _Catalog,
    people: _People,
    s: _Sessions,
    ev: dict[str, Any],
    view_to_line: IntArray,
    paid_line: FloatArray,
    line_order: IntArray,
    order_ids: list[str],
) -> pd.DataFrame:
    sess, etype, view_row, ts = ev["sess"], ev["etype"], ev["view_row"], ev["ts"]
    n_e = len(sess)
    order = np.lexsort((np.arange(n_e), ts))  # chronological, ties kept in session order
    sess, etype, view_row, ts = sess[order], etype[order], view_row[order], ts[order]
    prod = np.where(view_row >= 0, s.v_prod[np.maximum(view_row, 0)], -1)
    line = np.where(view_row >= 0, view_to_line[np.maximum(view_row, 0)], -1)

    value = np.full(n_e, np.nan)
    cart = etype == _EV["add_to_cart"]
    value[cart] = catalog.price[prod[cart]]
    buy = etype == _EV["purchase"]
    value[buy] = paid_line[line[buy]]

    queries = _queries(rng, cal, catalog, s)
    share_target = rng.integers(0, len(_SHARE_TARGETS), size=n_e)
    live = _CHANNELS.index("live_stream")
    props: list[dict[str, Any] | None] = []
    query_col: list[str | None] = []
    for i in range(n_e):
        t = etype[i]
        q = None
        p: dict[str, Any] | None = None
        if t == 0:  # search
            q = queries[sess[i]]
        elif t == 1:  # view
            if s.search[sess[i]]:
                p = {"source": "search", "position": int(s.v_rank[view_row[i]]) + 1}
            elif s.channel[sess[i]] == live:
                p = {"source": "live_room"}
        elif t == 4:  # share
            p = {"target": _SHARE_TARGETS[share_target[i]]}
        elif t == 5:  # add_to_cart
            p = {"quantity": int(s.qty[view_row[i]])}
        elif t == 7:  # purchase
            p = {
                "order_id": order_ids[line_order[line[i]]],
                "quantity": int(s.qty[view_row[i]]),
                "unit_price": float(catalog.price[prod[i]]),
            }
        props.append(p)
        query_col.append(q)

    cust = s.customer[sess]
    ids = people.ids
    return pd.DataFrame(
        {
            "event_id": [f"E{i + 1:09d}" for i in range(n_e)],
            "event_type": [_EV_TYPES[t] for t in etype],
            "customer_id": pd.Series([ids[c] if c >= 0 else None for c in cust], dtype=object),
            "session_id": [f"S{x + 1:08d}" for x in sess],
            "sku": pd.Series([catalog.sku[p] if p >= 0 else None for p in prod], dtype=object),
            "query": pd.Series(query_col, dtype=object),
            "value": value,
            "ts": _ts(ts),
            "channel": [_CHANNELS[c] for c in s.channel[sess]],
            "properties": pd.Series(props, dtype=object),
        }
    )


def _queries(rng: np.random.Generator, cal: _Calendar, catalog: _Catalog, s: _Sessions) -> dict[int, str]:
    """Search text for each searching session, consistent with what the shopper then looks at."""
    first_view = np.full(len(s.customer), -1, dtype=np.int64)
    top = s.v_rank == 0
    first_view[s.v_sess[top]] = s.v_prod[top]
    searching = np.flatnonzero(s.search)
    u = rng.random((len(searching), 3))
    pick = rng.integers(0, 1_000_000, size=len(searching))
    out: dict[int, str] = {}
    for j, si in enumerate(searching):
        p = int(first_view[si])
        spec = cat.SPECIALITIES[catalog.spec[p]]
        seg = int(s.segment[si])
        in_season = bool(catalog.in_season[cal.month[s.day[si]] - 1, p])
        english = u[j, 1] < 0.15
        word = min(spec.queries_en if english else spec.queries, key=len)  # 苹果, rice, ...
        pool: tuple[str, ...]
        if u[j, 0] < 0.5:
            pool = spec.queries_en if english else spec.queries
        elif u[j, 0] < 0.65 and catalog.seasonal_fresh[p] and in_season:
            pool = cat.SEASONAL_QUERIES
        elif u[j, 2] < 0.6 and seg < _ANON:
            # the shopper's intent in their own words, about the product they go on to view
            pool = _intent_queries(seg, word, english, spec.province, catalog, p)
        else:
            pool = cat.GENERIC_QUERIES[SEGMENTS[seg] if seg < _ANON else "anonymous"]
        out[int(si)] = pool[pick[j] % len(pool)]
    return out


def _intent_queries(
    seg: int, word: str, english: bool, province: str, catalog: _Catalog, p: int
) -> tuple[str, ...]:
    if seg == _PS:
        return (
            (f"cheap {word}", f"{word} deal") if english else (f"{word} 特价", f"便宜{word}", f"{word} 包邮")
        )
    if seg == _QS:
        if catalog.cert_score[p] >= 1.0:
            return (f"organic {word}",) if english else (f"有机{word}",)
        return (f"premium {word}",) if english else (f"{word} 特级", f"正宗{word}")
    if seg == _GB:
        return (f"{word} gift box",) if english else (f"{word}礼盒", f"{word} 送礼")
    if seg == _BB:
        return (f"{word} bulk",) if english else (f"{word} 整箱", f"{word} 量贩装")
    return ("local specialty",) if english else (f"{province}特产", f"{province}{word}")


# --------------------------------------------------------------------------------------------------
# reviews
# --------------------------------------------------------------------------------------------------


def _make_reviews(
    rng: np.random.Generator,
    cal: _Calendar,
    catalog: _Catalog,
    people: _People,
    orders: _Orders,
    items: _Items,
) -> pd.DataFrame:
    o = items.order
    st = orders.status[o]
    delivered = orders.delivered[o]
    eligible = np.isin(st, ["completed", "delivered", "refunded", "returned"]) & ~np.isnan(delivered)
    bad_order = np.isin(st, ["refunded", "returned"])
    seg = people.segment[orders.customer[o]]
    p_review = np.where(bad_order, 0.5, np.array([0.15, 0.35, 0.2, 0.2, 0.25])[seg])
    chosen = np.flatnonzero(eligible & (rng.random(len(o)) < p_review))
    n = len(chosen)
    prod = items.prod[chosen]
    fresh = catalog.fresh[prod]
    transit = orders.transit_days[o[chosen]]
    late = transit > 4.0
    mu = 2.6 + 2.6 * catalog.quality[prod] - 0.8 * late - 0.7 * (fresh & (transit > 3.5))
    mu = np.where(bad_order[chosen], 1.7, mu)
    rating = np.clip(np.round(mu + rng.normal(0, 0.7, size=n)), 1, 5).astype(np.int64)
    when = delivered[chosen] + (0.3 + rng.exponential(3.5, size=n)) * _DAY
    keep = when <= cal.end_s
    chosen, prod, rating, when, late = chosen[keep], prod[keep], rating[keep], when[keep], late[keep]
    n = len(chosen)
    english = rng.random(n) < 0.15
    draws = rng.integers(0, 1_000_000, size=(n, 6))
    has_title = rng.random(n) < 0.35
    texts, titles = [], []
    for j in range(n):
        text, title = _review_text(
            catalog.family[prod[j]], int(rating[j]), bool(late[j]), bool(english[j]), draws[j]
        )
        texts.append(text)
        titles.append(title if has_title[j] else None)
    lengths = np.array([len(t) for t in texts])
    helpful = rng.poisson(0.4 + 1.2 * (rating <= 2) + 0.2 * (rating == 5) + lengths / 60.0)

    # A few unverified reviews without an order: one-star or five-star, the usual suspects.
    n_fake = max(1, round(0.03 * n)) if n else 0
    f_prod = rng.integers(0, len(catalog.sku), size=n_fake)
    f_cust = rng.integers(0, len(people.ids), size=n_fake)
    f_rating = np.where(rng.random(n_fake) < 0.6, 5, 1).astype(np.int64)
    f_when = cal.start_s + rng.integers(0, cal.end_s - cal.start_s, size=n_fake)
    f_eng = rng.random(n_fake) < 0.15
    f_draws = rng.integers(0, 1_000_000, size=(n_fake, 6))
    f_text = [
        _review_text(catalog.family[f_prod[j]], int(f_rating[j]), False, bool(f_eng[j]), f_draws[j])[0]
        for j in range(n_fake)
    ]

    item_frame = items.frame
    order_ids = item_frame["order_id"].to_numpy()[chosen]
    all_when = np.concatenate([when, f_when.astype(np.float64)])
    order = np.lexsort((np.arange(len(all_when)), all_when))
    frame = pd.DataFrame(
        {
            "sku": [catalog.sku[p] for p in prod] + [catalog.sku[p] for p in f_prod],
            "customer_id": [people.ids[orders.customer[items.order[c]]] for c in chosen]
            + [people.ids[c] for c in f_cust],
            "order_id": pd.Series(list(order_ids) + [None] * n_fake, dtype=object),
            "rating": np.concatenate([rating, f_rating]),
            "title": pd.Series(titles + [None] * n_fake, dtype=object),
            "text": texts + f_text,
            "language": ["en" if e else "zh" for e in english] + ["en" if e else "zh" for e in f_eng],
            "verified_purchase": np.r_[np.ones(n, dtype=bool), np.zeros(n_fake, dtype=bool)],
            "helpful_votes": np.concatenate([helpful, np.zeros(n_fake, dtype=np.int64)]).astype(np.int64),
            "label": pd.Series([None] * (n + n_fake), dtype=object),
            "reviewed_at": _ts(all_when),
        }
    ).iloc[order]
    frame = frame.reset_index(drop=True)
    frame.insert(0, "review_id", [f"R{i + 1:07d}" for i in range(len(frame))])
    return frame


def _review_text(
    family: str, rating: int, late: bool, english: bool, draws: npt.NDArray[np.int64]
) -> tuple[str, str]:
    pos = (cat.REVIEW_POS_EN if english else cat.REVIEW_POS_ZH)[family]
    neg = (cat.REVIEW_NEG_EN if english else cat.REVIEW_NEG_ZH)[family]
    logistics = cat.REVIEW_LOGISTICS_EN if english else cat.REVIEW_LOGISTICS_ZH
    titles = (cat.REVIEW_TITLES_EN if english else cat.REVIEW_TITLES_ZH)[rating]

    def take(pool: tuple[str, ...], count: int, salt: int) -> list[str]:
        start = int(draws[salt]) % len(pool)
        return [pool[(start + i) % len(pool)] for i in range(min(count, len(pool)))]

    if rating >= 4:
        phrases = take(pos, 1 + int(draws[0]) % 3, 1)
        if not late and draws[2] % 2 == 0:
            phrases += take(logistics["fast"], 1, 3)
    elif rating == 3:
        phrases = take(pos, 1, 1) + take(neg, 1, 2)
    else:
        phrases = take(neg, 1 + int(draws[0]) % 2, 2)
    if late and rating <= 3:
        phrases += take(logistics["slow"], 1, 4)
    if english:
        text = ", ".join(phrases)
        text = text[0].upper() + text[1:] + ("!" if rating == 5 and draws[5] % 2 == 0 else ".")
    else:
        text = "，".join(phrases) + ("！" if rating == 5 and draws[5] % 2 == 0 else "。")
    return text, titles[int(draws[5]) % len(titles)]


# --------------------------------------------------------------------------------------------------
# inventory
# --------------------------------------------------------------------------------------------------


def _make_inventory(
    rng: np.random.Generator, cal: _Calendar, catalog: _Catalog, items: _Items, orders: _Orders
) -> pd.DataFrame:
    n = len(catalog.sku)
    ordered = orders.frame["ordered_at"]
    recent_order = (
        (ordered >= ordered.max() - pd.Timedelta(days=28)).to_numpy() if len(ordered) else np.zeros(0, bool)
    )
    recent = recent_order[items.order] if len(items.order) else np.zeros(0, dtype=bool)
    velocity = np.bincount(items.prod[recent], weights=items.qty[recent], minlength=n) / 28.0
    cover = rng.uniform(10, 40, size=n)
    on_hand = np.round(velocity * cover + rng.integers(0, 20, size=n))
    out_of_season = catalog.seasonal_fresh & ~catalog.in_season[cal.month[-1] - 1]
    on_hand = np.where(out_of_season | catalog.inactive | (rng.random(n) < 0.04), 0.0, on_hand)
    family = np.array(catalog.family, dtype=object)
    fresh_like = np.isin(family, ["fruit", "fresh", "eggs"])
    craft = family == "craft"
    lead = np.where(
        fresh_like,
        rng.integers(2, 6, size=n),
        np.where(craft, rng.integers(15, 31, size=n), rng.integers(5, 16, size=n)),
    )
    moq = np.where(
        craft,
        rng.choice([2.0, 5.0, 10.0], size=n),
        np.where(
            family == "tea",
            rng.choice([5.0, 10.0, 20.0], size=n),
            rng.choice([10.0, 20.0, 50.0, 100.0], size=n),
        ),
    )
    return pd.DataFrame(
        {
            "sku": catalog.sku,
            "location_id": "",
            "on_hand": on_hand.astype(np.float64),
            "lead_time_days": lead.astype(np.int64),
            "supplier": [cat.SPECIALITIES[s].supplier for s in catalog.spec],
            "min_order_qty": moq,
        }
    )


def demo_faq_rows() -> list[dict[str, Any]]:
    """The demo shop's FAQ (``demo_faq.yaml``: shipping, invoices, coupons, storage tips…) as rows of
    ``faq_entries``, one per entry and language."""
    import yaml

    text = (resources.files("shopmind.datasets") / "demo_faq.yaml").read_text(encoding="utf-8")
    rows = []
    for entry in yaml.safe_load(text):
        for lang in ("zh", "en"):
            part = entry.get(lang)
            if part:
                rows.append(
                    {
                        "faq_id": f"{entry['id']}-{lang}",
                        "language": lang,
                        "question": part["question"],
                        "alternates": list(part.get("alternates") or []),
                        "answer": part["answer"],
                        "intent": entry.get("intent"),
                        "origin": "demo",
                    }
                )
    return rows
