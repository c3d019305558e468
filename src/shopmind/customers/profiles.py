"""Preference profiles: price-sensitive, quality-seeking, gift buyer, bulk buyer, regional taste.

Each customer's behaviour is summarized by :func:`profile_features` (discount share, the price
percentile of what they buy within its category, the share of certified or organic goods, gifting
around festivals, basket size, how local their taste is). :func:`weak_labels` turns the features
into five yes/no profiles with simple rules whose thresholds the merchant can change
(:data:`DEFAULT_THRESHOLDS`); a customer may have several or none. :class:`ProfileModel` learns a
random forest per profile from those weak labels on the customers with enough history and gives
every customer a probability per profile and a primary profile, with the features each profile
rests on (``feature_importances_``). This follows the audience-positioning approach of the seed
paper on rural e-commerce (价格敏感型 / 品质追求型 customers found with a random forest).

The rules see only a few features each; the forest sees them all, so its probabilities generalize
the rules (a customer with one order, whose rule features are noisy, still gets a profile from the
rest) rather than copy them.

Examples
--------
>>> from shopmind.datasets.demo import DemoSize, generate_demo_store
>>> store = generate_demo_store(seed=1, size=DemoSize.small())
>>> feats = profile_features(store.orders, store.order_items, store.products, customers=store.customers)
>>> labels = weak_labels(feats)
>>> sorted(labels.columns) == sorted(PROFILES)
True
>>> scored = ProfileModel(random_state=0).fit(feats, labels).predict(feats)
>>> set(scored["primary_profile"]) <= set(PROFILES)
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.errors import NotFittedError, ValidationError, check_param
from shopmind.features.geo import distance_km, normalize_province
from shopmind.features.rfm import purchases

__all__ = [
    "DEFAULT_THRESHOLDS",
    "PROFILES",
    "PROFILE_FEATURES",
    "PROFILE_NAMES",
    "ProfileModel",
    "profile_features",
    "weak_labels",
]

FloatArray = npt.NDArray[np.float64]

#: Profile ids with their display names.
PROFILE_NAMES: Final[dict[str, dict[str, str]]] = {
    "price_sensitive": {"en": "Price-sensitive", "zh-CN": "价格敏感型"},
    "quality_seeking": {"en": "Quality-seeking", "zh-CN": "品质追求型"},
    "gift_buyer": {"en": "Gift buyer", "zh-CN": "礼品型"},
    "bulk_buyer": {"en": "Bulk buyer", "zh-CN": "囤货型"},
    "regional_taste": {"en": "Regional taste", "zh-CN": "地域口味型"},
}
PROFILES: Final = tuple(PROFILE_NAMES)

#: Columns of :func:`profile_features`.
PROFILE_FEATURES: Final = (
    "orders",
    "lines",
    "discount_share",
    "coupon_share",
    "price_percentile",
    "unit_value_percentile",
    "certified_share",
    "organic_share",
    "gift_pack_share",
    "festival_order_share",
    "ship_elsewhere_share",
    "units_per_order",
    "units_per_line",
    "mean_order_value",
    "bulk_pack_share",
    "home_origin_share",
    "near_origin_share",
    "top_origin_share",
    "mean_origin_km",
)

#: Thresholds of :func:`weak_labels` (see its docstring for the rules).
DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "min_orders": 2,
    "price_sensitive.discount_share": 0.05,
    "price_sensitive.coupon_share": 0.4,
    "price_sensitive.max_price_percentile": 0.4,
    "quality_seeking.certified_share": 0.5,
    "quality_seeking.organic_share": 0.3,
    "quality_seeking.unit_value_percentile": 0.65,
    "gift_buyer.gift_pack_share": 0.4,
    "gift_buyer.ship_elsewhere_share": 0.2,
    "bulk_buyer.units_per_line": 1.5,
    "bulk_buyer.bulk_pack_share": 0.4,
    "regional_taste.near_origin_share": 0.5,
    "regional_taste.home_origin_share": 0.3,
}

#: Certifications that mark quality goods (``products.certifications``).
QUALITY_CERTIFICATIONS: Final = frozenset({"organic", "green_food", "pollution_free"})
_GIFT_WORDS: Final = ("礼盒", "礼品", "gift")
_BULK_WORDS: Final = ("整箱", "量贩", "批发", "bulk")


# --------------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------------


def _need(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValidationError(
            f"The {name} table has no column {', '.join(map(repr, missing))}. "
            f"It needs {', '.join(map(repr, columns))}; rename yours to the canonical names."
        )


def _provinces(values: pd.Series) -> pd.Series:
    """Short province names (浙江省 → 浙江), normalizing each distinct value once."""
    names = {v: normalize_province(v) for v in values.dropna().unique() if isinstance(v, str)}
    out: pd.Series = values.map(names).astype(object)
    return out.where(out.notna(), None)


def _attr(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _pack(attributes: Any, title: Any) -> str | None:
    """The pack type: ``attributes["pack"]``, else guessed from the title (礼盒 → gift_box)."""
    pack = _attr(attributes, "pack")
    if isinstance(pack, str) and pack:
        return pack
    text = str(title).lower() if isinstance(title, str) else ""
    if any(w in text for w in _GIFT_WORDS):
        return "gift_box"
    if any(w in text for w in _BULK_WORDS):
        return "bulk"
    return None


def _catalog(products: pd.DataFrame) -> pd.DataFrame:
    """Per SKU: price percentiles within the leaf category, certification and pack flags, origin.

    Loops over the catalog (thousands of rows), never over customers or order lines.
    """
    _need(products, "products", ("sku", "category", "price"))
    cat = products.drop_duplicates("sku", keep="last").copy()
    cat["sku"] = cat["sku"].astype(str)
    cat["category"] = cat["category"].astype("string").fillna("?")
    price = pd.to_numeric(cat["price"], errors="coerce")
    attrs = cat["attributes"] if "attributes" in cat else pd.Series(None, index=cat.index, dtype=object)
    titles = cat["title"] if "title" in cat else pd.Series(None, index=cat.index, dtype=object)
    weight = pd.to_numeric(
        pd.Series([_attr(a, "weight_kg") for a in attrs], index=cat.index), errors="coerce"
    )
    per_kg = price / weight.where(weight > 0)

    def percentile(values: pd.Series) -> pd.Series:
        grouped = values.groupby(cat["category"])
        # mid-rank percentile: a category's only product sits at 0.5, not at 1
        pct: pd.Series = (grouped.rank(method="average") - 0.5) / grouped.transform("count")
        return pct

    certs = (
        cat["certifications"] if "certifications" in cat else pd.Series(None, index=cat.index, dtype=object)
    )
    cert_sets = [set(c) if isinstance(c, list | tuple | set) else set() for c in certs]
    packs = [_pack(a, t) for a, t in zip(attrs, titles, strict=True)]
    origin = (
        _provinces(cat["origin_province"])
        if "origin_province" in cat
        else pd.Series(None, index=cat.index, dtype=object)
    )
    out = pd.DataFrame(
        {
            "price_pct": percentile(price).to_numpy(),
            "unit_value_pct": percentile(per_kg).to_numpy(),
            "certified": [bool(c & QUALITY_CERTIFICATIONS) for c in cert_sets],
            "organic": ["organic" in c for c in cert_sets],
            "gift_pack": [p == "gift_box" for p in packs],
            "bulk_pack": [p == "bulk" for p in packs],
            "origin": origin.to_numpy(dtype=object),
        },
        index=pd.Index(cat["sku"].to_numpy(), name="sku"),
    )
    return out


def _festival_days(years: range, window_days: int) -> pd.DatetimeIndex:
    """Every day in the ``window_days`` up to and including Spring Festival and Mid-Autumn."""
    from shopmind.datasets.demo import lunar_new_year, mid_autumn_festival

    days: list[dt.date] = []
    for year in years:
        for festival in (lunar_new_year(year), mid_autumn_festival(year)):
            days.extend(festival - dt.timedelta(days=k) for k in range(window_days + 1))
    return pd.DatetimeIndex(sorted(set(days)))


def _province_distances(home: pd.Series, origin: pd.Series) -> pd.Series:
    """Great-circle km between each pair of provinces, computed once per distinct pair."""
    pairs = pd.DataFrame({"home": home.to_numpy(dtype=object), "origin": origin.to_numpy(dtype=object)})
    unique = pairs.drop_duplicates().dropna()
    km = [distance_km(h, o) for h, o in zip(unique["home"], unique["origin"], strict=True)]
    table = unique.assign(km=pd.to_numeric(pd.Series(km, index=unique.index, dtype=object), errors="coerce"))
    merged = pairs.merge(table, on=["home", "origin"], how="left")
    return pd.Series(merged["km"].to_numpy(dtype=np.float64), index=home.index)


def profile_features(
    orders: pd.DataFrame,
    items: pd.DataFrame,
    products: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    festival_window_days: int = 21,
    near_km: float = 600.0,
    local_timezone: str = "Asia/Shanghai",
) -> pd.DataFrame:
    """Per-customer behaviour behind the preference profiles.

    Parameters
    ----------
    orders : pandas.DataFrame
        Canonical orders (``order_id, customer_id, ordered_at``; ``discount_amount``,
        ``coupon_code``, ``shipping_province`` and ``status`` are used when present). Cancelled,
        returned and refunded orders are left out.
    items : pandas.DataFrame
        Order lines: ``order_id, sku, quantity, unit_price`` (and ``discount_amount``).
    products : pandas.DataFrame
        The catalog: ``sku, category, price`` (and ``title``, ``attributes`` with ``pack`` and
        ``weight_kg``, ``certifications``, ``origin_province``).
    customers : pandas.DataFrame, optional
        ``customer_id, province``: the home province. Without it, the province a customer ships
        to most often is taken as home.
    festival_window_days : int
        Orders placed in this many days up to Spring Festival or Mid-Autumn (local dates) count as
        festival orders.
    near_km : float
        Origins within this distance of home (between provincial capitals) count as near.
    local_timezone : str
        Time zone of the festival calendar.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with at least one purchased line), with
        :data:`PROFILE_FEATURES`, all float:

        - ``orders``, ``lines``: counts (how much evidence there is);
        - ``discount_share``: discounts over the list value of what they bought;
        - ``coupon_share``: share of orders with a coupon (NaN without ``coupon_code``);
        - ``price_percentile``: mean over lines of the product's price percentile within its leaf
          category (0 cheapest, 1 dearest); ``unit_value_percentile`` the same for price per kg
          (NaN when the catalog gives no ``weight_kg``), which separates premium goods from big packs;
        - ``certified_share``, ``organic_share``: share of lines with a quality certification
          (:data:`QUALITY_CERTIFICATIONS`) and with ``organic``;
        - ``gift_pack_share``: share of lines that are gift boxes; ``festival_order_share``: share of
          orders in the festival windows; ``ship_elsewhere_share``: share of orders shipped to another
          province than home (NaN without ``shipping_province``);
        - ``units_per_order``, ``units_per_line``, ``mean_order_value`` (list value), ``bulk_pack_share``;
        - ``home_origin_share``, ``near_origin_share``: share of lines made in the home province and
          within ``near_km`` of it; ``top_origin_share``: share of lines from their most frequent
          origin province; ``mean_origin_km``.
    """
    check_param(
        "profile_features",
        "festival_window_days",
        festival_window_days,
        isinstance(festival_window_days, int)
        and not isinstance(festival_window_days, bool)
        and festival_window_days >= 0,
        "an int >= 0",
    )
    check_param(
        "profile_features",
        "near_km",
        near_km,
        isinstance(near_km, int | float) and near_km > 0,
        "a number > 0",
    )
    _need(orders, "orders", ("order_id", "customer_id", "ordered_at"))
    _need(items, "order_items", ("order_id", "sku", "quantity", "unit_price"))
    bought = purchases(orders).dropna(subset=["customer_id", "ordered_at"])
    head = pd.DataFrame(
        {
            "order_id": bought["order_id"].astype(str).to_numpy(),
            "customer_id": bought["customer_id"].astype(str).to_numpy(),
        }
    )
    local_day = (
        pd.to_datetime(bought["ordered_at"], utc=True).dt.tz_convert(local_timezone).dt.tz_localize(None)
    )
    local_day = local_day.dt.normalize()
    years = (
        range(int(local_day.dt.year.min()) - 1, int(local_day.dt.year.max()) + 2)
        if len(local_day)
        else range(0)
    )
    head["festival"] = local_day.isin(_festival_days(years, festival_window_days)).to_numpy()
    head["coupon"] = (
        bought["coupon_code"].notna().to_numpy()
        & (bought["coupon_code"].astype(str).str.len() > 0).to_numpy()
        if "coupon_code" in bought
        else np.nan
    )
    head["ship_to"] = (
        _provinces(bought["shipping_province"]).to_numpy(dtype=object)
        if "shipping_province" in bought
        else None
    )
    head = head.drop_duplicates("order_id")

    lines = pd.DataFrame(
        {
            "order_id": items["order_id"].astype(str).to_numpy(),
            "sku": items["sku"].astype(str).to_numpy(),
            "qty": pd.to_numeric(items["quantity"], errors="coerce").fillna(0.0).to_numpy(np.float64),
            "price": pd.to_numeric(items["unit_price"], errors="coerce").fillna(0.0).to_numpy(np.float64),
            "discount": (
                pd.to_numeric(items["discount_amount"], errors="coerce").fillna(0.0).to_numpy(np.float64)
                if "discount_amount" in items
                else 0.0
            ),
        }
    ).merge(head[["order_id", "customer_id"]], on="order_id", how="inner")
    lines["gross"] = lines["qty"] * lines["price"]
    catalog = _catalog(products)
    lines = lines.join(catalog, on="sku")
    head = head.merge(lines[["order_id"]].drop_duplicates(), on="order_id", how="inner")

    home = _home_province(head, customers)
    lines["home"] = home.reindex(lines["customer_id"]).to_numpy(dtype=object)
    lines["km"] = _province_distances(lines["home"], lines["origin"]).to_numpy()
    known_origin = lines["origin"].notna()
    lines["at_home"] = np.where(known_origin, lines["origin"].to_numpy() == lines["home"].to_numpy(), np.nan)
    lines["near"] = np.where(lines["km"].notna(), lines["km"] <= near_km, np.nan)

    by_line = lines.groupby("customer_id", sort=True)
    out = pd.DataFrame(index=by_line.size().index)
    out["lines"] = by_line.size().astype(float)
    out["orders"] = head.groupby("customer_id").size().reindex(out.index).astype(float)
    gross = by_line["gross"].sum()
    out["discount_share"] = (by_line["discount"].sum() / gross.where(gross > 0)).fillna(0.0).clip(0.0, 1.0)
    by_order = head.groupby("customer_id")
    out["coupon_share"] = pd.to_numeric(head["coupon"], errors="coerce").groupby(head["customer_id"]).mean()
    out["price_percentile"] = by_line["price_pct"].mean()
    out["unit_value_percentile"] = by_line["unit_value_pct"].mean()
    out["certified_share"] = by_line["certified"].mean()
    out["organic_share"] = by_line["organic"].mean()
    out["gift_pack_share"] = by_line["gift_pack"].mean()
    out["festival_order_share"] = by_order["festival"].mean()
    ship = head["ship_to"]
    elsewhere = (ship != home.reindex(head["customer_id"]).to_numpy()).where(ship.notna())
    out["ship_elsewhere_share"] = (
        pd.to_numeric(elsewhere, errors="coerce").groupby(head["customer_id"]).mean()
    )
    out["units_per_order"] = by_line["qty"].sum() / out["orders"]
    out["units_per_line"] = by_line["qty"].mean()
    out["mean_order_value"] = gross / out["orders"]
    out["bulk_pack_share"] = by_line["bulk_pack"].mean()
    out["home_origin_share"] = by_line["at_home"].mean()
    out["near_origin_share"] = by_line["near"].mean()
    origin_counts = lines[known_origin].groupby(["customer_id", "origin"]).size()
    out["top_origin_share"] = origin_counts.groupby(level=0).max() / origin_counts.groupby(level=0).sum()
    out["mean_origin_km"] = by_line["km"].mean()
    out.index.name = "customer_id"
    return out[list(PROFILE_FEATURES)].astype("float64")


def _home_province(head: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series:
    """Each customer's home province: ``customers.province``, else where they ship most often."""
    shipped = head.dropna(subset=["ship_to"])
    modal = shipped.groupby(["customer_id", "ship_to"]).size().sort_values(ascending=False, kind="stable")
    modal = modal.reset_index().drop_duplicates("customer_id").set_index("customer_id")["ship_to"]
    if customers is not None and "province" in customers:
        given = pd.Series(
            _provinces(customers["province"]).to_numpy(dtype=object),
            index=customers["customer_id"].astype(str).to_numpy(),
        ).dropna()
        given = given[~given.index.duplicated(keep="last")]
        modal = given.combine_first(modal)
    return modal.astype(object)


# --------------------------------------------------------------------------------------------------
# weak labels
# --------------------------------------------------------------------------------------------------


def weak_labels(features: pd.DataFrame, thresholds: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Rule-based yes/no profiles from :func:`profile_features` (several or none per customer).

    Rules (thresholds by name in :data:`DEFAULT_THRESHOLDS`; pass a mapping to override some):

    - **price_sensitive**: ``discount_share >= price_sensitive.discount_share`` or
      ``coupon_share >= price_sensitive.coupon_share``, and
      ``price_percentile <= price_sensitive.max_price_percentile`` (they chase deals and buy the
      cheaper end of each category);
    - **quality_seeking**: ``certified_share >= quality_seeking.certified_share`` or
      ``unit_value_percentile >= quality_seeking.unit_value_percentile`` (price per kg; the plain
      price percentile where the catalog has no weights);
    - **gift_buyer**: ``gift_pack_share >= gift_buyer.gift_pack_share``, or
      ``ship_elsewhere_share >= gift_buyer.ship_elsewhere_share`` with at least one festival order;
    - **bulk_buyer**: ``units_per_line >= bulk_buyer.units_per_line`` or
      ``bulk_pack_share >= bulk_buyer.bulk_pack_share``;
    - **regional_taste**: ``near_origin_share >= regional_taste.near_origin_share`` or
      ``top_origin_share >= regional_taste.top_origin_share``.

    Customers with fewer than ``min_orders`` orders get no label at all (their behaviour is too
    thin to judge).

    Parameters
    ----------
    features : pandas.DataFrame
        Output of :func:`profile_features`.
    thresholds : mapping of str to float, optional
        Overrides of :data:`DEFAULT_THRESHOLDS`.

    Returns
    -------
    pandas.DataFrame
        Bool columns :data:`PROFILES`, indexed like ``features``.

    Raises
    ------
    InvalidParameterError
        If a threshold name is unknown.
    """
    t = dict(DEFAULT_THRESHOLDS)
    for key, value in (thresholds or {}).items():
        check_param(
            "weak_labels",
            "thresholds",
            key,
            key in DEFAULT_THRESHOLDS,
            f"keys among {sorted(DEFAULT_THRESHOLDS)}",
        )
        t[key] = float(value)
    _need(features, "features", PROFILE_FEATURES)
    f = features

    def at_least(column: str, key: str) -> pd.Series:
        result: pd.Series = f[column].fillna(-math.inf) >= t[key]
        return result

    enough = f["orders"] >= t["min_orders"]
    value_pct = f["unit_value_percentile"].fillna(f["price_percentile"])
    labels = pd.DataFrame(
        {
            "price_sensitive": (
                at_least("discount_share", "price_sensitive.discount_share")
                | at_least("coupon_share", "price_sensitive.coupon_share")
            )
            & (f["price_percentile"].fillna(math.inf) <= t["price_sensitive.max_price_percentile"]),
            "quality_seeking": at_least("certified_share", "quality_seeking.certified_share")
            | at_least("organic_share", "quality_seeking.organic_share")
            | (value_pct.fillna(-math.inf) >= t["quality_seeking.unit_value_percentile"]),
            "gift_buyer": at_least("gift_pack_share", "gift_buyer.gift_pack_share")
            | (
                at_least("ship_elsewhere_share", "gift_buyer.ship_elsewhere_share")
                & (f["festival_order_share"] > 0)
            ),
            "bulk_buyer": at_least("units_per_line", "bulk_buyer.units_per_line")
            | at_least("bulk_pack_share", "bulk_buyer.bulk_pack_share"),
            "regional_taste": at_least("near_origin_share", "regional_taste.near_origin_share")
            | at_least("home_origin_share", "regional_taste.home_origin_share"),
        },
        index=f.index,
    )
    return labels.mul(enough.to_numpy(), axis=0).astype(bool)


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


class ProfileModel:
    """A random forest per profile, learned from weak labels; a probability per profile per customer.

    Parameters
    ----------
    n_estimators : int
        Trees per forest.
    max_depth : int or None
        Depth limit of the trees (None: grow until ``min_samples_leaf``).
    min_samples_leaf : int
        Fewest customers in a leaf (smooths the probabilities).
    min_orders : int
        Only customers with at least this many orders are learned from (the labels of the others
        are unreliable); everyone is scored.
    min_positives : int
        A profile with fewer positive (or negative) training customers gets no forest; its
        probability is then the share of positives.
    max_train : int
        At most this many customers (a random sample) are learned from, so that fitting stays
        quick on a million customers; rules are simple and a sample learns them as well.
    random_state : int
        Seed of the forests.

    Attributes
    ----------
    feature_names_ : list of str
        Features the forests use.
    feature_importances_ : dict of str to dict of str to float
        Per profile, the forest's impurity-based importance of each feature (sums to 1).
    base_rates_ : dict of str to float
        Share of training customers with each profile.
    n_train_ : int
        Customers learned from (those with ``min_orders`` orders, at most ``max_train``).

    Examples
    --------
    >>> import pandas as pd
    >>> feats = pd.DataFrame({c: [0.0, 1.0] * 20 for c in PROFILE_FEATURES})
    >>> feats["orders"] = 3.0
    >>> labels = pd.DataFrame({p: [False, True] * 20 for p in PROFILES})
    >>> model = ProfileModel(n_estimators=10, min_positives=5).fit(feats, labels)
    >>> model.predict(feats.iloc[:2])["primary_profile"].tolist()
    ['price_sensitive', 'price_sensitive']
    """

    def __init__(
        self,
        n_estimators: int = 200,
        *,
        max_depth: int | None = 8,
        min_samples_leaf: int = 3,
        min_orders: int = 2,
        min_positives: int = 5,
        max_train: int = 50_000,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_orders = min_orders
        self.min_positives = min_positives
        self.max_train = max_train
        self.random_state = random_state

    def _check_params(self) -> None:
        for name, minimum in (
            ("n_estimators", 1),
            ("min_samples_leaf", 1),
            ("min_orders", 0),
            ("min_positives", 1),
            ("max_train", 1),
            ("random_state", 0),
        ):
            value = getattr(self, name)
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
            check_param("ProfileModel", name, value, ok, f"an int >= {minimum}")
        depth = self.max_depth
        ok_depth = depth is None or (isinstance(depth, int) and not isinstance(depth, bool) and depth >= 1)
        check_param("ProfileModel", "max_depth", depth, ok_depth, "None or an int >= 1")

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame | None = None) -> ProfileModel:
        """Learn one forest per profile.

        Parameters
        ----------
        features : pandas.DataFrame
            Output of :func:`profile_features` (extra numeric columns are used too).
        labels : pandas.DataFrame, optional
            Bool columns :data:`PROFILES` indexed like ``features`` (default:
            ``weak_labels(features)``).

        Returns
        -------
        ProfileModel
            ``self``.
        """
        from sklearn.ensemble import RandomForestClassifier

        self._check_params()
        if labels is None:
            labels = weak_labels(features)
        missing = [p for p in PROFILES if p not in labels]
        if missing:
            raise ValidationError(
                f"The labels have no column {', '.join(map(repr, missing))}; use weak_labels()."
            )
        labels = labels.reindex(features.index).fillna(False).astype(bool)
        keep = (
            (features["orders"] >= self.min_orders).to_numpy()
            if "orders" in features
            else np.ones(len(features), bool)
        )
        if not keep.any():
            raise ValidationError(
                f"No customer has {self.min_orders} orders or more to learn profiles from; lower min_orders."
            )
        if keep.sum() > self.max_train:
            rng = np.random.default_rng(self.random_state)
            chosen = rng.choice(np.flatnonzero(keep), size=self.max_train, replace=False)
            keep = np.zeros(len(keep), dtype=bool)
            keep[chosen] = True
        self.feature_names_ = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
        x = self._matrix(features[keep])
        self.n_train_ = int(keep.sum())
        self.forests_: dict[str, Any] = {}
        self.base_rates_: dict[str, float] = {}
        self.feature_importances_: dict[str, dict[str, float]] = {}
        for profile in PROFILES:
            y = labels[profile].to_numpy()[keep]
            positives = int(y.sum())
            self.base_rates_[profile] = positives / len(y)
            if min(positives, len(y) - positives) < self.min_positives:
                self.feature_importances_[profile] = {}
                continue
            forest = RandomForestClassifier(
                n_estimators=self.n_estimators,
                max_depth=self.max_depth,
                min_samples_leaf=self.min_samples_leaf,
                class_weight="balanced_subsample",
                random_state=self.random_state,
                n_jobs=1,
            ).fit(x, y)
            self.forests_[profile] = forest
            self.feature_importances_[profile] = {
                name: float(v)
                for name, v in zip(self.feature_names_, forest.feature_importances_, strict=True)
            }
        return self

    def _matrix(self, features: pd.DataFrame) -> FloatArray:
        # Forests in scikit-learn >= 1.4 accept NaN, but a missing feature means "not observed";
        # -1 keeps it apart from every real share, percentile or count.
        x: FloatArray = features.reindex(columns=self.feature_names_).to_numpy(np.float64)
        return np.nan_to_num(x, nan=-1.0, posinf=-1.0, neginf=-1.0)

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """Probability of each profile (columns :data:`PROFILES`) for every customer of ``features``."""
        if not hasattr(self, "forests_"):
            raise NotFittedError("This ProfileModel is not fitted yet. Call fit(features) first.")
        x = self._matrix(features)
        out = pd.DataFrame(index=features.index)
        for profile in PROFILES:
            forest = self.forests_.get(profile)
            if forest is None or not len(x):
                out[profile] = self.base_rates_[profile]
                continue
            classes = list(forest.classes_)
            out[profile] = forest.predict_proba(x)[:, classes.index(True)]
        return out.astype("float64")

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per-customer probabilities, the primary profile and its names.

        Parameters
        ----------
        features : pandas.DataFrame
            Output of :func:`profile_features`.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``features``: one probability column per profile (:data:`PROFILES`), then
            ``primary_profile`` (the most probable one; forests are trained with balanced class
            weights, so a common profile is not favoured just for being common),
            ``primary_probability``, ``primary_name_zh`` and ``primary_name_en``.
        """
        proba = self.predict_proba(features)
        values = proba.to_numpy(np.float64)
        best = values.argmax(axis=1) if len(values) else np.zeros(0, np.int64)
        primary = np.asarray(PROFILES, dtype=object)[best]
        proba["primary_profile"] = primary
        proba["primary_probability"] = values[np.arange(len(values)), best] if len(values) else np.zeros(0)
        for column, lang in (("primary_name_zh", "zh-CN"), ("primary_name_en", "en")):
            names = {p: PROFILE_NAMES[p][lang] for p in PROFILES}
            proba[column] = proba["primary_profile"].map(names)
        return proba
