"""RFM scores and named customer segments (Champions, Loyal, ... Lost), in Chinese and English.

Each customer who bought gets three scores from 1 to 5 (5 is best): ``r`` (recent), ``f`` (orders)
and ``m`` (spend per order). By default the scores are quintiles within the shop, so they adapt to
any shop's scale; a merchant can fix the edges instead (``recency_days=(30, 60, 120, 240)`` means
"bought within 30 days scores 5, within 60 days 4, ..."). Segments come from ``r`` and the mean of
``f`` and ``m`` (``fm``), through an ordered list of rules where the first match wins
(:data:`DEFAULT_RULES`, covering every combination):

- r 4-5: fm 4-5 Champions, fm 3 Loyal, fm 2 Potential loyalists, fm 1 New;
- r 3: fm 3-5 Loyal, fm 1-2 Potential loyalists;
- r 1-2: fm 5 Can't lose them, fm 3-4 At risk; fm 1-2 Hibernating (r 2) or Lost (r 1).

Examples
--------
>>> import pandas as pd
>>> from shopmind.features.rfm import rfm
>>> orders = pd.DataFrame({
...     "customer_id": ["a", "a", "a", "b", "c"],
...     "ordered_at": pd.to_datetime(
...         ["2026-03-01", "2026-05-01", "2026-06-20", "2025-06-01", "2026-06-25"], utc=True),
...     "total_amount": [100.0, 120.0, 90.0, 40.0, 15.0],
... })
>>> scored = assign_segments(rfm(orders, now=pd.Timestamp("2026-06-30", tz="UTC")),
...                          SegmentRules(recency_days=(15, 30, 90, 180), frequency=(2, 3, 5, 8),
...                                       monetary=(20, 50, 80, 150)))
>>> scored[["r", "f", "m", "segment"]].to_dict("index")
{'a': {'r': 5, 'f': 3, 'm': 4, 'segment': 'champions'}, 'b': {'r': 1, 'f': 1, 'm': 2, 'segment': 'lost'}, 'c': {'r': 5, 'f': 1, 'm': 1, 'segment': 'new'}}
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import ValidationError, check_param
from shopmind.features.rfm import quantile_scores

#: Segment ids in display order (best first), with their names.
SEGMENT_NAMES: dict[str, dict[str, str]] = {
    "champions": {"en": "Champions", "zh-CN": "重要价值客户"},
    "loyal": {"en": "Loyal", "zh-CN": "忠诚客户"},
    "potential_loyalists": {"en": "Potential loyalists", "zh-CN": "潜力客户"},
    "new": {"en": "New", "zh-CN": "新客户"},
    "at_risk": {"en": "At risk", "zh-CN": "流失预警客户"},
    "cant_lose": {"en": "Can't lose them", "zh-CN": "重要挽留客户"},
    "hibernating": {"en": "Hibernating", "zh-CN": "沉睡客户"},
    "lost": {"en": "Lost", "zh-CN": "已流失客户"},
}
SEGMENTS = tuple(SEGMENT_NAMES)


@dataclass(frozen=True)
class SegmentRule:
    """Customers whose ``r`` and ``fm`` scores fall in these inclusive ranges belong to ``segment``."""

    segment: str
    r: tuple[int, int]
    fm: tuple[int, int]


#: The default rules, first match wins; together they cover all 25 (r, fm) pairs.
DEFAULT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", r=(4, 5), fm=(4, 5)),
    SegmentRule("loyal", r=(3, 5), fm=(3, 5)),
    SegmentRule("new", r=(4, 5), fm=(1, 1)),
    SegmentRule("potential_loyalists", r=(3, 5), fm=(1, 2)),
    SegmentRule("cant_lose", r=(1, 2), fm=(5, 5)),
    SegmentRule("at_risk", r=(1, 2), fm=(3, 4)),
    SegmentRule("hibernating", r=(2, 2), fm=(1, 2)),
    SegmentRule("lost", r=(1, 1), fm=(1, 2)),
)


@dataclass(frozen=True)
class SegmentRules:
    """How scores and segments are assigned.

    Parameters
    ----------
    recency_days, frequency, monetary : sequence of 4 increasing numbers, optional
        Fixed score edges. ``recency_days=(30, 60, 120, 240)``: at most 30 days since the last
        order scores 5, at most 60 scores 4, ... over 240 scores 1. ``frequency`` and ``monetary``
        edges are lower bounds of scores 2..5: ``frequency=(2, 3, 5, 8)`` gives 1 order a 1 and 8+
        orders a 5. When not given, scores are quintiles within the shop.
    rules : sequence of SegmentRule
        Ordered rules; the first that matches a customer's ``r`` and ``fm`` names the segment.
    """

    recency_days: Sequence[float] | None = None
    frequency: Sequence[float] | None = None
    monetary: Sequence[float] | None = None
    rules: Sequence[SegmentRule] = field(default_factory=lambda: DEFAULT_RULES)

    def __post_init__(self) -> None:
        for name in ("recency_days", "frequency", "monetary"):
            edges = getattr(self, name)
            if edges is None:
                continue
            ok = len(edges) == 4 and all(a < b for a, b in itertools.pairwise(edges))
            check_param("SegmentRules", name, list(edges), ok, "4 strictly increasing numbers")
        unknown = [r.segment for r in self.rules if r.segment not in SEGMENT_NAMES]
        if unknown:
            raise ValidationError(
                f"Unknown segment {unknown[0]!r} in the segment rules. Use one of: {', '.join(SEGMENTS)}."
            )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SegmentRules:
        """Rules from settings or JSON: ``{"recency_days": [30, 60, 120, 240], "rules": [...]}``.

        Each rule is ``{"segment": "champions", "r": [4, 5], "fm": [4, 5]}``.
        """
        try:
            parsed = tuple(
                SegmentRule(
                    str(r["segment"]), (int(r["r"][0]), int(r["r"][1])), (int(r["fm"][0]), int(r["fm"][1]))
                )
                for r in raw.get("rules") or ()
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValidationError(
                "Each segment rule needs a segment and two [low, high] score ranges, e.g. "
                f'{{"segment": "champions", "r": [4, 5], "fm": [4, 5]}}. Got an error: {exc}.'
            ) from exc

        def edges(name: str) -> Sequence[float] | None:
            value = raw.get(name)
            return tuple(float(v) for v in value) if value else None

        return cls(edges("recency_days"), edges("frequency"), edges("monetary"), parsed or DEFAULT_RULES)


def _fixed_scores(values: pd.Series, edges: Sequence[float], *, lower_is_better: bool) -> pd.Series:
    if lower_is_better:  # recency: within edges[0] days -> 5
        scores = 5 - np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(), side="left")
    else:  # frequency, monetary: at least edges[i] -> i + 2
        scores = 1 + np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(), side="right")
    return pd.Series(scores.astype("int64"), index=values.index)


def score_rfm(
    frame: pd.DataFrame, rules: SegmentRules | None = None, reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``r``, ``f``, ``m`` and ``fm`` scores (1-5) for an :func:`~shopmind.features.rfm.rfm` frame.

    Quintile scores are taken against ``reference`` (an RFM frame kept from training) when given,
    else against ``frame`` itself.
    """
    rules = rules or SegmentRules()
    missing = [c for c in ("recency_days", "frequency", "monetary") if c not in frame]
    if missing:
        raise ValidationError(
            f"The RFM table has no column {missing[0]!r}; build it with shopmind.features.rfm.rfm()."
        )

    def ref(col: str) -> pd.Series | None:
        return None if reference is None else reference[col]

    out = pd.DataFrame(index=frame.index)
    out["r"] = (
        _fixed_scores(frame["recency_days"], rules.recency_days, lower_is_better=True)
        if rules.recency_days
        else quantile_scores(frame["recency_days"], higher_is_better=False, reference=ref("recency_days"))
    )
    for col, name, edges in (("f", "frequency", rules.frequency), ("m", "monetary", rules.monetary)):
        out[col] = (
            _fixed_scores(frame[name], edges, lower_is_better=False)
            if edges
            else quantile_scores(frame[name], reference=ref(name))
        )
    # Round half up: (f + m) / 2 = 3.5 counts as 4.
    out["fm"] = np.floor((out["f"] + out["m"]) / 2 + 0.5).astype("int64")
    return out


def assign_segments(
    frame: pd.DataFrame, rules: SegmentRules | None = None, reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The RFM frame with its scores and a ``segment`` column (ids of :data:`SEGMENT_NAMES`).

    ``reference``: see :func:`score_rfm`. A customer no rule matches (possible only with custom
    rules) gets ``"other"``.
    """
    rules = rules or SegmentRules()
    scores = score_rfm(frame, rules, reference)
    r, fm = scores["r"].to_numpy(), scores["fm"].to_numpy()
    conditions = [
        (r >= rule.r[0]) & (r <= rule.r[1]) & (fm >= rule.fm[0]) & (fm <= rule.fm[1]) for rule in rules.rules
    ]
    segment = np.select(conditions, [rule.segment for rule in rules.rules], default="other")
    out = frame.join(scores)
    out["segment"] = segment
    return out


def segment_name(segment: str, lang: str = "en") -> str:
    """The display name of a segment id in ``lang`` ("en" or "zh-CN")."""
    names = SEGMENT_NAMES.get(segment)
    if names is None:
        return segment
    return names.get(lang, names["en"])


def segment_moves(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """How many customers moved from each segment to each other between two assignments.

    ``before`` and ``after`` map customer ids to segments; a customer only in ``after`` comes from
    ``"(none)"`` (their first order was in between).
    """
    joined = pd.DataFrame({"from": before, "to": after}).dropna(subset=["to"])
    joined["from"] = joined["from"].fillna("(none)")
    moves = joined.groupby(["from", "to"], sort=False).size().rename("customers").reset_index()
    return moves[moves["from"] != moves["to"]].sort_values("customers", ascending=False, ignore_index=True)
