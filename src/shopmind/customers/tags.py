"""Real-time tags: rules over a customer's latest events, evaluated when asked, so a new event
changes the tags at once (no retraining, no batch job).

A :class:`TagRule` says which events count (types, words in the search text), within what window,
how many are needed, and which later event cancels them (a purchase after an add-to-cart means
the cart was not abandoned). :data:`DEFAULT_TAG_RULES` are the rules a produce shop starts with;
a merchant adds their own in the same form (``TagRule.from_mapping``).

Examples
--------
>>> import pandas as pd
>>> now = pd.Timestamp("2026-07-01 12:00", tz="UTC")
>>> events = pd.DataFrame({
...     "customer_id": ["c1", "c2", "c2"],
...     "event_type": ["search", "add_to_cart", "purchase"],
...     "sku": [None, "rice", "rice"],
...     "query": ["时令水果", None, None],
...     "ts": [now - pd.Timedelta(days=2), now - pd.Timedelta(hours=5), now - pd.Timedelta(hours=4)],
... })
>>> {c: [t.tag for t in tags] for c, tags in evaluate_tags(events, now=now).items()}
{'c1': ['seasonal_fruit_intent']}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import ValidationError, check_param


@dataclass(frozen=True)
class TagRule:
    """Tag customers whose events in the last ``within_hours`` match.

    Parameters
    ----------
    tag : str
        The tag id (``seasonal_fruit_intent``).
    name_en, name_zh : str
        Display names.
    event_types : tuple of str
        Event types that count.
    within_hours : float
        Only events this recent count.
    query_groups : tuple of tuples of str
        For search events: the query must contain a word of *every* group (case-insensitive).
        ``(("时令", "seasonal"), ("水果", "fruit"))`` needs a seasonal word and a fruit word.
    min_count : int
        Matching events needed.
    min_age_hours : float
        A matching event must be at least this old (a cart is not abandoned after one minute).
    cancelled_by : tuple of str
        Event types that cancel a matching event when they come later for the same product
        (or for any product when the matching event has none).
    """

    tag: str
    name_en: str
    name_zh: str
    event_types: tuple[str, ...]
    within_hours: float
    query_groups: tuple[tuple[str, ...], ...] = ()
    min_count: int = 1
    min_age_hours: float = 0.0
    cancelled_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_param("TagRule", "within_hours", self.within_hours, self.within_hours > 0, "a number > 0")
        check_param("TagRule", "min_count", self.min_count, self.min_count >= 1, "an int >= 1")
        check_param(
            "TagRule",
            "min_age_hours",
            self.min_age_hours,
            0 <= self.min_age_hours < self.within_hours,
            "a number >= 0 and below within_hours",
        )
        check_param(
            "TagRule", "event_types", list(self.event_types), bool(self.event_types), "a non-empty list"
        )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> TagRule:
        """A rule from JSON or settings (lists for the tuples)."""
        try:
            return cls(
                tag=str(raw["tag"]),
                name_en=str(raw.get("name_en") or raw["tag"]),
                name_zh=str(raw.get("name_zh") or raw.get("name_en") or raw["tag"]),
                event_types=tuple(str(t) for t in raw["event_types"]),
                within_hours=float(raw["within_hours"]),
                query_groups=tuple(tuple(str(w) for w in g) for g in raw.get("query_groups") or ()),
                min_count=int(raw.get("min_count", 1)),
                min_age_hours=float(raw.get("min_age_hours", 0.0)),
                cancelled_by=tuple(str(t) for t in raw.get("cancelled_by") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                "A tag rule needs at least 'tag', 'event_types' and 'within_hours', e.g. "
                '{"tag": "gift_intent", "event_types": ["search"], "within_hours": 336, '
                f'"query_groups": [["礼盒", "gift"]]}}. Got an error: {exc!r}.'
            ) from exc

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


@dataclass(frozen=True)
class Tag:
    """A tag a customer has now, with the evidence behind it."""

    tag: str
    name_en: str
    name_zh: str
    count: int
    last_seen: pd.Timestamp

    def as_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "count": self.count,
            "last_seen": pd.Timestamp(self.last_seen).isoformat(),
        }


_SEASONAL = ("时令", "当季", "应季", "应时", "seasonal", "in season")

#: The rules a shop starts with.
DEFAULT_TAG_RULES: tuple[TagRule, ...] = (
    TagRule(
        "seasonal_fruit_intent",
        "Looking for seasonal fruit",
        "时令水果意向",
        ("search",),
        within_hours=7 * 24,
        query_groups=(_SEASONAL, ("水果", "果", "fruit")),
    ),
    TagRule(
        "cart_abandoner",
        "Abandoned cart",
        "放弃购物车",
        ("add_to_cart",),
        within_hours=24,
        min_age_hours=1,
        cancelled_by=("purchase", "remove_from_cart"),
    ),
    TagRule(
        "gift_intent",
        "Shopping for gifts",
        "送礼意向",
        ("search",),
        within_hours=14 * 24,
        query_groups=(("礼盒", "送礼", "礼品", "礼物", "gift"),),
    ),
    TagRule(
        "organic_intent",
        "Looking for organic food",
        "有机食品意向",
        ("search",),
        within_hours=14 * 24,
        query_groups=(("有机", "绿色食品", "organic"),),
    ),
    TagRule(
        "engaged_browser",
        "Browsing a lot",
        "高频浏览",
        ("view", "click"),
        within_hours=3 * 24,
        min_count=10,
    ),
)

#: Event columns the rules read.
TAG_EVENT_COLUMNS = ("customer_id", "event_type", "sku", "query", "ts")


def window_hours(rules: Sequence[TagRule] = DEFAULT_TAG_RULES) -> float:
    """How far back the rules look: the events to read for them."""
    return max((r.within_hours for r in rules), default=0.0)


def _matches(rule: TagRule, ev: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    age = now - ev["ts"]
    hit = ev["event_type"].isin(rule.event_types) & (age <= pd.Timedelta(hours=rule.within_hours))
    if rule.min_age_hours:
        hit &= age >= pd.Timedelta(hours=rule.min_age_hours)
    if rule.query_groups:
        query = ev["query"].fillna("").astype(str).str.lower()
        for group in rule.query_groups:
            hit &= np.logical_or.reduce([query.str.contains(w.lower(), regex=False) for w in group])
    found = ev[hit]
    if rule.cancelled_by and len(found):
        later = ev[ev["event_type"].isin(rule.cancelled_by)]
        # The latest cancelling event per (customer, product) and per customer.
        by_sku = later.groupby(["customer_id", "sku"])["ts"].max()
        by_customer = later.groupby("customer_id")["ts"].max()
        key = pd.MultiIndex.from_arrays([found["customer_id"], found["sku"]])
        cancel_ts = np.where(
            found["sku"].notna(),
            by_sku.reindex(key).to_numpy(),
            by_customer.reindex(found["customer_id"]).to_numpy(),
        )
        cancel = pd.to_datetime(pd.Series(cancel_ts, index=found.index), utc=True)
        found = found[~(cancel > found["ts"])]
    return found


def evaluate_tags(
    events: pd.DataFrame,
    *,
    now: pd.Timestamp | None = None,
    rules: Sequence[TagRule] = DEFAULT_TAG_RULES,
) -> dict[str, list[Tag]]:
    """The tags each customer has at ``now`` from their events (columns :data:`TAG_EVENT_COLUMNS`).

    Anonymous events (no customer id) are ignored; events after ``now`` do not count.
    """
    missing = [c for c in ("customer_id", "event_type", "ts") if c not in events]
    if missing:
        raise ValidationError(f"The events table has no column {missing[0]!r}; it needs {TAG_EVENT_COLUMNS}.")
    ev = events.dropna(subset=["customer_id"]).copy()
    for col in ("sku", "query"):
        if col not in ev:
            ev[col] = None
    ev["ts"] = pd.to_datetime(ev["ts"], utc=True)
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    ev = ev[ev["ts"] <= now]
    ev["customer_id"] = ev["customer_id"].astype(str)
    out: dict[str, list[Tag]] = {}
    for rule in rules:
        found = _matches(rule, ev, now)
        if found.empty:
            continue
        per = found.groupby("customer_id")["ts"].agg(["size", "max"])
        for cid, count, last in per[per["size"] >= rule.min_count].itertuples():
            out.setdefault(str(cid), []).append(Tag(rule.tag, rule.name_en, rule.name_zh, int(count), last))
    return out
