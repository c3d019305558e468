"""Retention actions: what to do for each valuable customer at risk of churning, and what it is worth.

For every customer whose churn probability and value are both above thresholds,
:func:`retention_actions` weighs two actions against doing nothing and keeps the one with the highest
expected value:

* a **coupon** ("满 X 减 Y"): its amount is bounded by the margin of the customer's typical basket
  (never more than ``max_margin_share`` of it, nor more than ``max_discount_share`` of the basket's
  value) and it needs a basket at least that large, so it can never turn the order into a loss;
* a **personalized recommendation** (the SKUs the caller's recommender picked for the customer;
  this module stays pure, they come in a mapping): no cost beyond the contact, a smaller effect.

The expected value of an action ``a`` for a customer with churn probability ``r`` and value ``V``::

    P(save | a)  = r * uplift_a                       # a share of would-be churners is kept
    cost(coupon) = amount * (P(save | coupon) + (1 - r) * loyal_redemption_rate) + contact_cost
    cost(rec)    = contact_cost
    EV(a)        = P(save | a) * V * margin_rate - cost(a)

``V`` is in revenue (``clv_12m`` of :class:`~shopmind.customers.clv.CLVModel` with its default
``margin=1``) and is turned into profit with the customer's basket margin rate, so that gains and
coupon costs are in the same money; set ``value_is_profit=True`` when ``V`` is already profit. The
uplift rates are assumptions, not measurements: the defaults are modest guesses, and a shop should
replace them with what its own A/B tests of coupons and recommendations show.

Examples
--------
>>> import pandas as pd
>>> risk = pd.Series({"a": 0.8, "b": 0.7, "c": 0.2})
>>> value = pd.Series({"a": 600.0, "b": 500.0, "c": 900.0})
>>> baskets = pd.DataFrame({"basket_value": [200.0, 9.9, 150.0], "basket_margin": [60.0, 1.5, 40.0]},
...                        index=["a", "b", "c"])
>>> plan = retention_actions(risk, value, baskets, recommendations={"b": ["SKU-1", "SKU-2"]})
>>> plan[["customer_id", "action", "coupon_amount"]].to_dict("records")
[{'customer_id': 'a', 'action': 'coupon', 'coupon_amount': 30.0}, {'customer_id': 'b', 'action': 'recommendation', 'coupon_amount': 0.0}]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import pandas as pd

from shopmind.errors import ValidationError, check_param
from shopmind.features.rfm import purchases

__all__ = [
    "ACTIONS",
    "ACTION_COLUMNS",
    "ACTION_NAMES",
    "RetentionPolicy",
    "basket_margins",
    "retention_actions",
]

#: Action ids with their display names.
ACTION_NAMES: Final[dict[str, dict[str, str]]] = {
    "coupon": {"en": "Coupon", "zh-CN": "发放优惠券"},
    "recommendation": {"en": "Personalized recommendation", "zh-CN": "个性化推荐"},
    "none": {"en": "No action", "zh-CN": "暂不干预"},
}
ACTIONS: Final = tuple(ACTION_NAMES)
#: Columns of :func:`retention_actions`.
ACTION_COLUMNS: Final = (
    "customer_id",
    "action",
    "coupon_amount",
    "coupon_min_spend",
    "recommended_skus",
    "churn_probability",
    "value",
    "margin_rate",
    "p_save",
    "expected_cost",
    "expected_value",
    "reason_zh",
    "reason_en",
)


@dataclass(frozen=True)
class RetentionPolicy:
    """Who gets an action and the assumptions its expected value rests on.

    Parameters
    ----------
    risk_threshold : float
        Customers with a churn probability at or above this are at risk.
    value_threshold : float
        ... and with a value at or above this are worth an action.
    coupon_uplift : float
        Share of would-be churners a coupon keeps (an assumption; measure it with an A/B test).
    recommendation_uplift : float
        Share of would-be churners a personalized recommendation keeps (an assumption, smaller).
    loyal_redemption_rate : float
        Share of customers who would have bought anyway that use the coupon (a pure subsidy).
    max_margin_share : float
        A coupon is at most this share of the typical basket's margin (price - cost).
    max_discount_share : float
        ... and at most this share of the typical basket's value.
    default_margin_rate : float
        Margin rate of the basket when the cost is unknown (used by :func:`basket_margins` too).
    max_coupon : float, optional
        An absolute cap on the coupon amount (default: none beyond the margin and discount shares).
    min_coupon : float
        Coupons smaller than this are not offered.
    coupon_step : float
        Coupon amounts and minimum spends are rounded down to a multiple of this (1 yuan).
    contact_cost : float
        Cost of reaching the customer once (an SMS or a push), paid for any action.
    value_is_profit : bool
        Whether the value passed in is profit already (default: revenue, turned into profit with
        the basket's margin rate).
    """

    risk_threshold: float = 0.5
    value_threshold: float = 0.0
    coupon_uplift: float = 0.15
    recommendation_uplift: float = 0.05
    loyal_redemption_rate: float = 0.3
    max_margin_share: float = 0.5
    max_discount_share: float = 0.2
    default_margin_rate: float = 0.3
    max_coupon: float | None = None
    min_coupon: float = 1.0
    coupon_step: float = 1.0
    contact_cost: float = 0.0
    value_is_profit: bool = False

    def __post_init__(self) -> None:
        unit = ("risk_threshold", "coupon_uplift", "recommendation_uplift", "loyal_redemption_rate")
        shares = ("max_margin_share", "max_discount_share", "default_margin_rate")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "max_coupon" and value is None:
                continue
            if f.name == "value_is_profit":
                check_param("RetentionPolicy", f.name, value, isinstance(value, bool), "a bool")
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if f.name in unit:
                check_param(
                    "RetentionPolicy", f.name, value, number and 0 <= value <= 1, "a number in [0, 1]"
                )
            elif f.name in shares:
                check_param("RetentionPolicy", f.name, value, number and 0 < value <= 1, "a number in (0, 1]")
            elif f.name == "coupon_step":
                check_param("RetentionPolicy", f.name, value, number and value > 0, "a number > 0")
            elif f.name == "value_threshold":
                check_param("RetentionPolicy", f.name, value, number, "a finite number")
            else:
                check_param("RetentionPolicy", f.name, value, number and value >= 0, "a number >= 0")


def basket_margins(
    orders: pd.DataFrame,
    items: pd.DataFrame,
    products: pd.DataFrame | None = None,
    *,
    default_margin_rate: float = 0.3,
) -> pd.DataFrame:
    """Each customer's typical basket: its value and its margin (price - cost).

    Parameters
    ----------
    orders : pandas.DataFrame
        ``order_id, customer_id`` (and ``status``; cancelled, returned and refunded orders are left
        out).
    items : pandas.DataFrame
        ``order_id, sku, quantity, unit_price`` (and ``discount_amount``).
    products : pandas.DataFrame, optional
        ``sku, cost``: lines whose cost is unknown (no catalog, no cost) get ``default_margin_rate``.
    default_margin_rate : float
        Margin rate of a line whose cost is unknown.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``basket_value`` and ``basket_margin`` (medians over the
        customer's orders of the value paid for the goods, after line discounts, and of that value
        minus the goods' cost), ``orders`` and ``cost_known_share`` (share of the value whose cost
        was known).
    """
    check_param(
        "basket_margins",
        "default_margin_rate",
        default_margin_rate,
        isinstance(default_margin_rate, int | float) and 0 < default_margin_rate <= 1,
        "a number in (0, 1]",
    )
    for table, name, columns in (
        (orders, "orders", ("order_id", "customer_id")),
        (items, "order_items", ("order_id", "sku", "quantity", "unit_price")),
    ):
        missing = [c for c in columns if c not in table]
        if missing:
            raise ValidationError(
                f"The {name} table has no column {', '.join(map(repr, missing))}; it needs {', '.join(map(repr, columns))}."
            )
    bought = purchases(orders).dropna(subset=["customer_id"])
    owner = pd.DataFrame(
        {
            "order_id": bought["order_id"].astype(str).to_numpy(),
            "customer_id": bought["customer_id"].astype(str).to_numpy(),
        }
    ).drop_duplicates("order_id")
    qty = pd.to_numeric(items["quantity"], errors="coerce").fillna(0.0).to_numpy(np.float64)
    lines = pd.DataFrame(
        {
            "order_id": items["order_id"].astype(str).to_numpy(),
            "sku": items["sku"].astype(str).to_numpy(),
            "qty": qty,
            "value": qty
            * pd.to_numeric(items["unit_price"], errors="coerce").fillna(0.0).to_numpy(np.float64)
            - (
                pd.to_numeric(items["discount_amount"], errors="coerce").fillna(0.0).to_numpy(np.float64)
                if "discount_amount" in items
                else 0.0
            ),
        }
    ).merge(owner, on="order_id", how="inner")
    cost = pd.Series(np.nan, index=lines.index)
    if products is not None and "cost" in products and "sku" in products:
        unit_cost = pd.Series(
            pd.to_numeric(products["cost"], errors="coerce").to_numpy(np.float64),
            index=products["sku"].astype(str).to_numpy(),
        )
        unit_cost = unit_cost[~unit_cost.index.duplicated(keep="last")]
        cost = pd.Series(
            unit_cost.reindex(lines["sku"]).to_numpy() * lines["qty"].to_numpy(), index=lines.index
        )
    known = cost.notna()
    lines["margin"] = np.where(known, lines["value"] - cost, default_margin_rate * lines["value"])
    lines["known_value"] = np.where(known, lines["value"], 0.0)
    per_order = lines.groupby(["customer_id", "order_id"], sort=False)[
        ["value", "margin", "known_value"]
    ].sum()
    grouped = per_order.groupby(level="customer_id", sort=True)
    out = pd.DataFrame(
        {
            "basket_value": grouped["value"].median(),
            "basket_margin": grouped["margin"].median(),
            "orders": grouped.size().astype("int64"),
        }
    )
    total = grouped["value"].sum()
    out["cost_known_share"] = (grouped["known_value"].sum() / total.where(total > 0)).fillna(0.0)
    out.index.name = "customer_id"
    return out


def _money(values: pd.Series) -> pd.Series:
    text: pd.Series = values.round(0).astype("int64").astype(str)
    return text


def _percent(values: pd.Series) -> pd.Series:
    text: pd.Series = (values * 100).round(0).astype("int64").astype(str) + "%"
    return text


def retention_actions(
    churn_probability: pd.Series,
    value: pd.Series,
    baskets: pd.DataFrame | None = None,
    *,
    recommendations: Mapping[str, Sequence[str]] | None = None,
    policy: RetentionPolicy | None = None,
    currency_symbol: str = "¥",
) -> pd.DataFrame:
    """The best retention action, with its expected value, for each valuable customer at risk.

    Parameters
    ----------
    churn_probability : pandas.Series
        Churn probability per ``customer_id`` (e.g. :meth:`ChurnModel.predict_proba
        <shopmind.customers.churn.ChurnModel.predict_proba>`).
    value : pandas.Series
        What keeping each customer is worth per ``customer_id`` (e.g. ``clv_12m`` of
        :class:`~shopmind.customers.clv.CLVModel`); revenue unless ``policy.value_is_profit``.
    baskets : pandas.DataFrame, optional
        :func:`basket_margins`: ``basket_value`` and ``basket_margin`` per ``customer_id``. Without
        a basket a customer gets no coupon.
    recommendations : mapping of str to sequence of str, optional
        SKUs recommended to each customer (from shopmind's recommender); customers without any get
        no recommendation action.
    policy : RetentionPolicy, optional
        Thresholds and assumptions (default ``RetentionPolicy()``).
    currency_symbol : str
        Shown before amounts in the reasons.

    Returns
    -------
    pandas.DataFrame
        One row per customer with ``churn_probability >= risk_threshold`` and
        ``value >= value_threshold``, best expected value first, with :data:`ACTION_COLUMNS`:
        ``action`` (one of :data:`ACTIONS`; ``none`` when no action is expected to pay),
        ``coupon_amount`` and ``coupon_min_spend`` (0 unless the action is a coupon),
        ``recommended_skus`` (tuple; empty unless the action is a recommendation),
        ``margin_rate`` (used to turn the value into profit), ``p_save``, ``expected_cost``,
        ``expected_value`` (of the chosen action; 0 for ``none``), ``reason_zh`` and ``reason_en``.
    """
    policy = policy if policy is not None else RetentionPolicy()
    check_param(
        "retention_actions", "policy", policy, isinstance(policy, RetentionPolicy), "a RetentionPolicy"
    )
    risk = pd.Series(churn_probability, dtype="float64")
    risk.index = risk.index.astype(str)
    worth = pd.Series(value, dtype="float64")
    worth.index = worth.index.astype(str)
    ids = risk.index.intersection(worth.index)
    r = risk.reindex(ids)
    v = worth.reindex(ids)
    chosen = (r >= policy.risk_threshold) & (v >= policy.value_threshold)
    ids = ids[chosen.to_numpy()]
    r, v = r[ids].clip(0.0, 1.0), v[ids]
    if baskets is not None:
        b = baskets.copy()
        b.index = b.index.astype(str)
        basket_value = pd.to_numeric(b["basket_value"], errors="coerce").reindex(ids)
        basket_margin = pd.to_numeric(b["basket_margin"], errors="coerce").reindex(ids)
    else:
        basket_value = pd.Series(np.nan, index=ids)
        basket_margin = pd.Series(np.nan, index=ids)

    rate = (basket_margin / basket_value.where(basket_value > 0)).clip(0.0, 1.0)
    margin_rate = (
        pd.Series(1.0, index=ids) if policy.value_is_profit else rate.fillna(policy.default_margin_rate)
    )
    profit = v * margin_rate
    step = policy.coupon_step
    cap = (policy.max_margin_share * basket_margin).clip(upper=policy.max_discount_share * basket_value)
    if policy.max_coupon is not None:
        cap = cap.clip(upper=policy.max_coupon)
    amount = (np.floor(cap.fillna(0.0).clip(lower=0.0) / step) * step).where(
        lambda a: a >= max(policy.min_coupon, step), 0.0
    )
    min_spend = np.floor(basket_value.fillna(0.0) / step) * step
    p_coupon = r * policy.coupon_uplift
    cost_coupon = amount * (p_coupon + (1.0 - r) * policy.loyal_redemption_rate) + policy.contact_cost
    ev_coupon = (p_coupon * profit - cost_coupon).where(amount > 0, -np.inf)

    recs = recommendations or {}
    rec_skus = pd.Series([tuple(recs.get(c, ())) for c in ids], index=ids, dtype=object)
    has_recs = rec_skus.map(len) > 0
    p_rec = r * policy.recommendation_uplift
    ev_rec = (p_rec * profit - policy.contact_cost).where(has_recs, -np.inf)

    best_coupon = (ev_coupon >= ev_rec) & (ev_coupon > 0)
    best_rec = ~best_coupon & (ev_rec > 0)
    action = np.select([best_coupon, best_rec], ["coupon", "recommendation"], "none")
    out = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "action": action,
            "coupon_amount": amount.where(best_coupon, 0.0).to_numpy(),
            "coupon_min_spend": min_spend.where(best_coupon, 0.0).to_numpy(),
            "recommended_skus": rec_skus.where(
                best_rec, pd.Series([()] * len(ids), index=ids, dtype=object)
            ).to_numpy(),
            "churn_probability": r.to_numpy(),
            "value": v.to_numpy(),
            "margin_rate": margin_rate.to_numpy(),
            "p_save": np.select([best_coupon, best_rec], [p_coupon, p_rec], 0.0),
            "expected_cost": np.select([best_coupon, best_rec], [cost_coupon, policy.contact_cost], 0.0),
            "expected_value": np.select([best_coupon, best_rec], [ev_coupon, ev_rec], 0.0),
        }
    )
    out["reason_zh"], out["reason_en"] = _reasons(out, policy, currency_symbol)
    out = out.sort_values(["expected_value", "customer_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[list(ACTION_COLUMNS)]


def _reasons(plan: pd.DataFrame, policy: RetentionPolicy, cur: str) -> tuple[pd.Series, pd.Series]:
    """Why each action was chosen, in Chinese and English (vectorized string building)."""
    risk = _percent(plan["churn_probability"])
    worth = cur + _money(plan["value"])
    gain = cur + _money(plan["expected_value"])
    amount = _money(plan["coupon_amount"])
    spend = _money(plan["coupon_min_spend"])
    share = f"{policy.max_margin_share:.0%}"
    skus_zh = plan["recommended_skus"].map(lambda skus: "、".join(map(str, skus[:3])))
    skus_en = plan["recommended_skus"].map(lambda skus: ", ".join(map(str, skus[:3])))
    is_coupon, is_rec = plan["action"] == "coupon", plan["action"] == "recommendation"

    head = "流失风险" + risk + "，未来价值约" + worth + "："
    coupon = (
        "发放满"
        + cur
        + spend
        + "减"
        + cur
        + amount
        + "优惠券（不超过常购订单毛利的"
        + share
        + "），预期收益"
        + gain
    )
    rec = "推送个性化推荐（" + skus_zh + "），无优惠成本，预期收益" + gain
    zh = head + pd.Series(
        np.select([is_coupon, is_rec], [coupon, rec], "优惠券与推荐的预期收益都不为正，暂不干预"),
        index=plan.index,
    )

    head = "Churn risk " + risk + ", value about " + worth + ": "
    coupon = (
        "a "
        + cur
        + amount
        + " coupon on orders of "
        + cur
        + spend
        + " or more (at most "
        + share
        + " of the usual basket's margin), expected gain "
        + gain
    )
    rec = "send personalized recommendations (" + skus_en + "), no discount cost, expected gain " + gain
    en = head + pd.Series(
        np.select(
            [is_coupon, is_rec],
            [coupon, rec],
            "neither a coupon nor a recommendation is expected to pay; no action",
        ),
        index=plan.index,
    )
    return zh, en
