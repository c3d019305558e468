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
    ) -> None:
        self.rules = rules
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
        self.customers_ = self._score(table)
        self.notes_: list[str] = list(self.value_notes_)
        self.history_: list[Snapshot] = [self._snapshot(None)]
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
        scored["churn_risk"] = (1.0 - scored["p_alive"]).clip(0.0, 1.0)
        scored.index.name = "customer_id"
        return scored

    def _snapshot(self, before: pd.Series | None) -> Snapshot:
        table = self.customers_
        moves = segment_moves(before, table["segment"]) if before is not None else pd.DataFrame()
        return Snapshot(
            as_of=self.as_of_.isoformat(),
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
        table = self.customers_.drop(columns=["r", "f", "m", "fm", "segment", "churn_risk"])
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
        row = self.customers_.loc[customer_id]
        return {str(k): json_value(v) for k, v in row.items()} | {"customer_id": customer_id}

    def tags(
        self, events: pd.DataFrame, *, now: dt.datetime | pd.Timestamp | None = None
    ) -> dict[str, list[Tag]]:
        """Real-time tags from the latest events (read fresh by the caller on every request)."""
        return evaluate_tags(events, now=_utc(now), rules=self.tag_rules)

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
            "history": [s.__dict__ for s in self.history_],
            "notes": self.notes_,
        }


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
