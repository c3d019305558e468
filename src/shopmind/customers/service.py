"""One shop's customer intelligence: segments, value, churn risk, profiles, actions, tags, audiences.

:class:`CustomerIntelligence` is fitted on the shop's tables and keeps one row per customer who
bought (``customers_``) with everything the console, the API and the audience builder need. It
refreshes incrementally: :meth:`CustomerIntelligence.refresh` takes only the orders of customers
whose orders changed since the last refresh, recomputes their rows, moves everyone's recency to the
new date, re-scores and re-segments the whole shop (vectorized) and records who moved between
segments. The value, churn and profile models are refitted by a full :meth:`fit` (``shopmind train
customers``), not by a refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from shopmind.customers.segments import SEGMENTS, SegmentRules, assign_segments, segment_moves
from shopmind.customers.tags import DEFAULT_TAG_RULES, Tag, TagRule, evaluate_tags
from shopmind.errors import NotFittedError, NotFoundError, ValidationError, check_param
from shopmind.features.rfm import btyd_summary, purchases, rfm

#: What the value model adds to each customer's row.
VALUE_COLUMNS = ("expected_purchases", "p_alive", "expected_spend", "clv_12m")
#: Snapshots of segment sizes kept for the "movement over time" chart.
MAX_HISTORY = 60


@dataclass
class Snapshot:
    """Segment sizes and revenue at one refresh, and who moved since the previous one."""

    as_of: str
    customers: dict[str, int]
    revenue: dict[str, float]
    moves: list[dict[str, Any]] = field(default_factory=list)


def _utc(value: dt.datetime | pd.Timestamp | None) -> pd.Timestamp:
    ts = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def top_categories(
    orders: pd.DataFrame, items: pd.DataFrame | None, products: pd.DataFrame | None
) -> pd.Series:
    """Each customer's top-level category by spend (``生鲜`` of ``生鲜/水果/柑橘``)."""
    if items is None or products is None or items.empty or "category" not in products:
        return pd.Series(dtype=object)
    lines = items.merge(orders[["order_id", "customer_id"]], on="order_id").merge(
        products[["sku", "category"]], on="sku", how="left"
    )
    lines = lines.dropna(subset=["category", "customer_id"])
    if lines.empty:
        return pd.Series(dtype=object)
    lines["top"] = lines["category"].astype(str).str.split("/").str[0]
    lines["spend"] = lines["quantity"].astype(float) * lines["unit_price"].astype(float)
    spend = lines.groupby(["customer_id", "top"])["spend"].sum().reset_index()
    best = spend.sort_values(["customer_id", "spend", "top"], ascending=[True, False, True])
    out = best.drop_duplicates("customer_id").set_index("customer_id")["top"]
    out.index = out.index.astype(str)
    return out


class CustomerIntelligence:
    """Segments, value, churn risk, profiles and tags for one shop's customers.

    Parameters
    ----------
    rules : SegmentRules, optional
        Score edges and segment rules (default: quintiles and :data:`~.segments.DEFAULT_RULES`).
    tag_rules : sequence of TagRule
        Real-time tag rules (default :data:`~.tags.DEFAULT_TAG_RULES`).
    churn_horizon_days : int
        A customer churns when they do not buy within this many days.
    unit_days : float
        Time unit of the BG/NBD model (7: weeks).
    history_months : int
        Month-end segment snapshots computed at training, for the movement chart.
    """

    #: The latest order change the scores include (set by the store edge; see ``customers.train``).
    watermark_: dt.datetime | None = None

    def __init__(
        self,
        rules: SegmentRules | None = None,
        *,
        tag_rules: Sequence[TagRule] = DEFAULT_TAG_RULES,
        churn_horizon_days: int = 90,
        unit_days: float = 7.0,
        history_months: int = 6,
    ) -> None:
        self.rules = rules
        self.history_months = history_months
        self.tag_rules = tag_rules
        self.churn_horizon_days = churn_horizon_days
        self.unit_days = unit_days

    # -- fitting ------------------------------------------------------------------------------------
    def fit(
        self,
        orders: pd.DataFrame,
        *,
        items: pd.DataFrame | None = None,
        products: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None,
        reviews: pd.DataFrame | None = None,
        now: dt.datetime | pd.Timestamp | None = None,
    ) -> Self:
        """Learn from the shop's orders (and lines, catalog, customers, reviews when given)."""
        check_param(
            "CustomerIntelligence",
            "churn_horizon_days",
            self.churn_horizon_days,
            self.churn_horizon_days >= 1,
            "an int >= 1",
        )
        bought = purchases(orders)
        if bought.empty:
            raise NotFittedError("No purchases to learn from yet: import orders first.")
        self.as_of_ = (
            _utc(now) if now is not None else _utc(pd.to_datetime(bought["ordered_at"], utc=True).max())
        )
        self._fit_value(bought)
        table = self._rows(bought, items, products, customers, self.as_of_)
        # Quintile edges are learned here and kept until the next fit, so that refreshes move
        # customers who stop buying down the scale instead of re-ranking everyone among themselves.
        self.reference_ = table[["recency_days", "frequency", "monetary"]].copy()
        self.model_notes_: list[str] = []
        self._fit_churn(bought, items, products, reviews)
        self._fit_profiles(bought, items, products, customers)
        self.outputs_ = self._outputs(bought, items, products, reviews, customers, self.as_of_)
        self.baskets_ = self._baskets(bought, items, products)
        self.row_columns_ = list(table.columns)
        self.customers_ = self._score(table)
        self.notes_: list[str] = [*self.value_notes_, *self.model_notes_]
        self.history_: list[Snapshot] = self._backfill_history(bought)
        return self

    def _fit_value(self, bought: pd.DataFrame) -> None:
        from shopmind.customers.clv import CLVModel

        summary = btyd_summary(bought, observation_end=self.as_of_, unit_days=self.unit_days)
        notes: list[str] = []
        self.clv_: Any = None
        try:
            self.clv_ = CLVModel(unit_days=self.unit_days).fit(summary)
        except ValidationError as exc:  # e.g. nobody bought twice yet: segments still work
            notes = [
                f"No customer value or churn risk yet: {exc.message} Segments are computed; import more "
                "order history and train again for values."
            ]
        self.value_notes_ = notes + list(getattr(self.clv_, "notes_", []) if self.clv_ is not None else [])

    def _fit_churn(
        self,
        bought: pd.DataFrame,
        items: pd.DataFrame | None,
        products: pd.DataFrame | None,
        reviews: pd.DataFrame | None,
    ) -> None:
        from shopmind.customers.churn import ChurnModel

        self.churn_: Any = None
        try:
            self.churn_ = ChurnModel(horizon_days=self.churn_horizon_days, unit_days=self.unit_days).fit(
                bought, as_of=self.as_of_, items=items, products=products, reviews=reviews
            )
            if self.churn_.mode_ != "supervised":
                self.model_notes_.append(f"Churn risk from BG/NBD alone: {self.churn_.reason_}")
        except ValidationError as exc:
            self.model_notes_.append(f"No churn model: {exc.message}")

    def _fit_profiles(
        self,
        bought: pd.DataFrame,
        items: pd.DataFrame | None,
        products: pd.DataFrame | None,
        customers: pd.DataFrame | None,
    ) -> None:
        from shopmind.customers.profiles import ProfileModel, profile_features, weak_labels

        self.profiles_: Any = None
        if items is None or products is None or items.empty:
            self.model_notes_.append("No preference profiles: they need order lines and the catalog.")
            return
        try:
            features = profile_features(bought, items, products, customers=customers)
            self.profiles_ = ProfileModel(random_state=0).fit(features, weak_labels(features))
        except ValidationError as exc:
            self.model_notes_.append(f"No preference profiles: {exc.message}")

    def _outputs(
        self,
        bought: pd.DataFrame,
        items: pd.DataFrame | None,
        products: pd.DataFrame | None,
        reviews: pd.DataFrame | None,
        customers: pd.DataFrame | None,
        now: pd.Timestamp,
    ) -> pd.DataFrame:
        """Churn risk and profile of the customers in ``bought``, from the fitted models."""
        from shopmind.customers.churn import churn_features
        from shopmind.customers.profiles import profile_features

        ids = pd.Index(sorted(bought["customer_id"].dropna().astype(str).unique()), name="customer_id")
        out = pd.DataFrame(index=ids)
        if self.churn_ is not None and len(ids):
            features = churn_features(bought, as_of=now, items=items, products=products, reviews=reviews)
            out["churn_risk"] = self.churn_.predict_proba(features).reindex(ids)
        if self.profiles_ is not None and items is not None and products is not None and len(ids):
            got = self.profiles_.predict(profile_features(bought, items, products, customers=customers))
            got.index = got.index.astype(str)
            out["profile"] = got["primary_profile"].reindex(ids)
            out["profile_probability"] = got["primary_probability"].reindex(ids)
            out["profile_name_zh"] = got["primary_name_zh"].reindex(ids)
            out["profile_name_en"] = got["primary_name_en"].reindex(ids)
        return out

    def _baskets(
        self, bought: pd.DataFrame, items: pd.DataFrame | None, products: pd.DataFrame | None
    ) -> pd.DataFrame | None:
        """Each customer's typical basket value and margin (what bounds a retention coupon)."""
        from shopmind.customers.actions import basket_margins

        if items is None or items.empty:
            return None
        baskets = basket_margins(bought, items, products)
        baskets.index = baskets.index.astype(str)
        return baskets

    def _actions(self, table: pd.DataFrame) -> pd.DataFrame:
        """The retention action for each valuable customer at risk (coupon bounded by margin)."""
        from shopmind.customers.actions import retention_actions

        usable = table.dropna(subset=["churn_risk", "clv_12m"])
        if usable.empty:
            return pd.DataFrame(index=table.index)
        baskets = self.baskets_.reindex(usable.index).dropna(how="all") if self.baskets_ is not None else None
        plan = retention_actions(usable["churn_risk"], usable["clv_12m"], baskets)
        plan = plan.set_index("customer_id")
        plan.index = plan.index.astype(str)
        keep = ["action", "coupon_amount", "coupon_min_spend", "expected_value", "reason_zh", "reason_en"]
        return plan[[c for c in keep if c in plan]].add_prefix("action_")

    def _predict_value(self, summary: pd.DataFrame) -> pd.DataFrame:
        if self.clv_ is None:
            return pd.DataFrame(np.nan, index=summary.index, columns=list(VALUE_COLUMNS))
        value: pd.DataFrame = self.clv_.predict(summary, horizon_days=self.churn_horizon_days)
        return value

    def _rows(
        self,
        bought: pd.DataFrame,
        items: pd.DataFrame | None,
        products: pd.DataFrame | None,
        customers: pd.DataFrame | None,
        now: pd.Timestamp,
    ) -> pd.DataFrame:
        """The per-customer facts that do not depend on the other customers."""
        table = rfm(bought, now=now)
        summary = btyd_summary(bought, observation_end=now, unit_days=self.unit_days)
        value = self._predict_value(summary)
        table = table.join(summary.add_prefix("btyd_"))  # kept so a refresh can re-predict without orders
        table = table.join(value[list(VALUE_COLUMNS)])
        table["top_category"] = top_categories(bought, items, products).reindex(table.index)
        facts = ["province", "consent_marketing"]
        if customers is not None and len(customers):
            known = customers.assign(customer_id=customers["customer_id"].astype(str)).set_index(
                "customer_id"
            )
            for col in facts:
                table[col] = known[col].reindex(table.index) if col in known else None
        else:
            for col in facts:
                table[col] = None
        table["consent_marketing"] = table["consent_marketing"].fillna(False).astype(bool)
        return table

    def _score(self, table: pd.DataFrame) -> pd.DataFrame:
        scored = assign_segments(
            table.drop(columns=["r", "f", "m", "fm", "segment"], errors="ignore"), self.rules, self.reference_
        )
        scored = scored.join(self.outputs_.reindex(scored.index))
        if "churn_risk" not in scored:
            scored["churn_risk"] = np.nan
        scored = scored.join(self._actions(scored))
        scored.index.name = "customer_id"
        return scored

    def _backfill_history(self, bought: pd.DataFrame) -> list[Snapshot]:
        """Segments at the end of each of the last ``history_months`` months, scored on the same
        scale as today, so the console shows movement from the first training on."""
        ends = pd.date_range(
            end=self.as_of_.normalize(), periods=self.history_months + 1, freq="ME", tz="UTC"
        )
        first = pd.to_datetime(bought["ordered_at"], utc=True).min()
        snapshots: list[Snapshot] = []
        before: pd.Series | None = None
        for end in ends[ends < self.as_of_]:
            if end <= first:
                continue
            table = assign_segments(rfm(bought, now=end), self.rules, self.reference_)
            snapshots.append(self._snapshot(before, table, end))
            before = table["segment"]
        return [*snapshots, self._snapshot(before)]

    def _snapshot(
        self, before: pd.Series | None, table: pd.DataFrame | None = None, as_of: pd.Timestamp | None = None
    ) -> Snapshot:
        table = self.customers_ if table is None else table
        moves = segment_moves(before, table["segment"]) if before is not None else pd.DataFrame()
        return Snapshot(
            as_of=(as_of or self.as_of_).isoformat(),
            customers={str(s): int(n) for s, n in table["segment"].value_counts().items()},
            revenue={
                str(s): round(float(v), 2) for s, v in table.groupby("segment")["total_spend"].sum().items()
            },
            moves=[{str(k): v for k, v in m.items()} for m in moves.to_dict("records")],
        )

    # -- refresh ------------------------------------------------------------------------------------
    def refresh(
        self,
        changed_orders: pd.DataFrame,
        *,
        items: pd.DataFrame | None = None,
        products: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None,
        now: dt.datetime | pd.Timestamp | None = None,
    ) -> Self:
        """Bring the scores up to ``now``: ``changed_orders`` holds *all* orders of the customers whose
        orders changed since the last refresh (the others keep their rows, with recency moved on).

        Returns ``self``, refreshed; the previous segments are kept in ``history_`` with the moves.
        """
        self._check()
        new_now = _utc(now)
        if new_now < self.as_of_:
            raise ValidationError(
                f"Cannot refresh back in time: the scores are as of {self.as_of_.isoformat()}, "
                f"asked for {new_now.isoformat()}."
            )
        before = self.customers_["segment"].copy()
        table = self.customers_[self.row_columns_].copy()
        shift = (new_now - self.as_of_).total_seconds() / 86_400.0
        table["recency_days"] += shift
        table["tenure_days"] += shift
        table["btyd_T"] += shift / self.unit_days
        changed_ids = (
            set(changed_orders["customer_id"].dropna().astype(str)) if len(changed_orders) else set()
        )
        bought = purchases(changed_orders)
        table = table[~table.index.isin(list(changed_ids))]
        if len(bought):
            fresh = self._rows(bought, items, products, customers, new_now)
            table = pd.concat([table, fresh[table.columns]])
            changed = self._outputs(bought, items, products, None, customers, new_now)
            kept = self.outputs_[~self.outputs_.index.isin(list(changed_ids))]
            self.outputs_ = pd.concat([kept, changed.reindex(columns=kept.columns)])
            fresh_baskets = self._baskets(bought, items, products)
            if self.baskets_ is not None and fresh_baskets is not None:
                old = self.baskets_[~self.baskets_.index.isin(list(changed_ids))]
                self.baskets_ = pd.concat([old, fresh_baskets])
        # Everyone's chance of being alive moves with time since their last purchase.
        unchanged = ~table.index.isin(list(changed_ids))
        if unchanged.any():
            summary = self._summary_from_rows(table[unchanged])
            value = self._predict_value(summary)
            for col in VALUE_COLUMNS:
                table.loc[unchanged, col] = value[col].reindex(table.index[unchanged]).to_numpy()
        self.as_of_ = new_now
        self.customers_ = self._score(table.sort_index())
        self.history_ = [*self.history_, self._snapshot(before)][-MAX_HISTORY:]
        return self

    def _summary_from_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The BTYD summary of unchanged customers at the new date, from what their rows keep."""
        summary = rows[["btyd_frequency", "btyd_recency", "btyd_T", "btyd_monetary_value"]]
        return summary.rename(columns=lambda c: c.removeprefix("btyd_"))

    # -- queries ------------------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "customers_"):
            raise NotFittedError(
                "This CustomerIntelligence is not fitted yet. Call fit() with the shop's orders first."
            )

    def customer(self, customer_id: str) -> dict[str, Any]:
        """Everything known about one customer who bought (raises NotFoundError otherwise)."""
        self._check()
        if customer_id not in self.customers_.index:
            raise NotFoundError(
                f"No purchases by customer {customer_id!r} in the customer model "
                f"(as of {self.as_of_:%Y-%m-%d}). Customers appear once they have bought; retrain or "
                "refresh after importing their orders."
            )
        row = {str(k): json_value(v) for k, v in self.customers_.loc[customer_id].items()}
        out: dict[str, Any] = {k: v for k, v in row.items() if not k.startswith(("action_", "profile_name"))}
        out["customer_id"] = customer_id
        if row.get("profile"):
            out["profile_name"] = {"zh-CN": row.get("profile_name_zh"), "en": row.get("profile_name_en")}
        if row.get("action_action"):
            out["action"] = {
                "action": row["action_action"],
                "coupon_amount": row.get("action_coupon_amount"),
                "coupon_min_spend": row.get("action_coupon_min_spend"),
                "expected_value": row.get("action_expected_value"),
                "reason": {"zh-CN": row.get("action_reason_zh"), "en": row.get("action_reason_en")},
            }
        return out

    def tags(
        self, events: pd.DataFrame, *, now: dt.datetime | pd.Timestamp | None = None
    ) -> dict[str, list[Tag]]:
        """Real-time tags from the latest events (read fresh by the caller on every request)."""
        return evaluate_tags(events, now=_utc(now), rules=self.tag_rules)

    def _profile_overview(self, table: pd.DataFrame) -> list[dict[str, Any]]:
        """Customers per primary profile and what the random forest relies on for each profile."""
        from shopmind.customers.profiles import PROFILE_NAMES

        if self.profiles_ is None or "profile" not in table:
            return []
        counts = table["profile"].value_counts()
        return [
            {
                "profile": profile,
                "name": {"zh-CN": names["zh-CN"], "en": names["en"]},
                "customers": int(counts.get(profile, 0)),
                "importances": _top(self.profiles_.feature_importances_.get(profile, {})),
            }
            for profile, names in PROFILE_NAMES.items()
        ]

    def overview(self) -> dict[str, Any]:
        """Segment sizes, revenue share, value and risk per segment, and the movement history."""
        self._check()
        table = self.customers_
        total_revenue = float(table["total_spend"].sum()) or 1.0
        per = table.groupby("segment").agg(
            customers=("segment", "size"),
            revenue=("total_spend", "sum"),
            avg_value=("clv_12m", "mean"),
            avg_churn_risk=("churn_risk", "mean"),
            avg_recency_days=("recency_days", "mean"),
        )
        segments = []
        for seg in [*SEGMENTS, *sorted(set(per.index) - set(SEGMENTS))]:
            if seg not in per.index:
                continue
            r = per.loc[seg]
            segments.append(
                {
                    "segment": seg,
                    "customers": int(r["customers"]),
                    "revenue": round(float(r["revenue"]), 2),
                    "revenue_share": round(float(r["revenue"]) / total_revenue, 4),
                    "avg_value": json_value(round(float(r["avg_value"]), 2)),
                    "avg_churn_risk": json_value(round(float(r["avg_churn_risk"]), 4)),
                    "avg_recency_days": round(float(r["avg_recency_days"]), 1),
                }
            )
        return {
            "as_of": self.as_of_.isoformat(),
            "customers": len(table),
            "segments": segments,
            "profiles": self._profile_overview(table),
            "history": [s.__dict__ for s in self.history_],
            "notes": self.notes_,
        }


def _top(importances: Mapping[str, float], k: int = 6) -> dict[str, float]:
    best = sorted(importances.items(), key=lambda kv: -kv[1])[:k]
    return {name: round(float(v), 4) for name, v in best}


def json_value(value: Any) -> Any:
    """JSON-ready scalars (numpy and pandas values to Python ones, NaN to None)."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def tags_by_customer(tags: Mapping[str, Iterable[Tag]]) -> dict[str, list[str]]:
    """Tag ids per customer (what the audience filter matches)."""
    return {c: [t.tag for t in ts] for c, ts in tags.items()}
