"""RFM features, scores and named segments."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.segments import (
    DEFAULT_RULES,
    SEGMENT_NAMES,
    SegmentRules,
    assign_segments,
    score_rfm,
    segment_moves,
    segment_name,
)
from shopmind.errors import InvalidParameterError, ValidationError
from shopmind.features.rfm import btyd_summary, purchases, quantile_scores, rfm

UTC = "UTC"


def _orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "d"],
            "ordered_at": pd.to_datetime(
                [
                    "2026-01-01 09:00",
                    "2026-01-01 18:00",
                    "2026-02-01",
                    "2026-01-10",
                    "2026-02-20",
                    "2026-02-25",
                ],
                utc=True,
                format="ISO8601",
            ),
            "total_amount": [10.0, 20.0, 40.0, 5.0, 7.0, 99.0],
            "status": ["paid", "paid", "completed", "delivered", "delivered", "refunded"],
        }
    )


def test_rfm_counts_purchases_only_and_measures_from_now() -> None:
    now = pd.Timestamp("2026-03-01", tz=UTC)
    table = rfm(purchases(_orders()), now=now)
    assert list(table.index) == ["a", "b", "c"]  # d's only order was refunded
    assert table.loc["a", "frequency"] == 3
    assert table.loc["a", "total_spend"] == pytest.approx(70.0)
    assert table.loc["a", "monetary"] == pytest.approx(70.0 / 3)
    assert table.loc["a", "recency_days"] == pytest.approx(28.0)
    assert table.loc["b", "tenure_days"] == pytest.approx(50.0)


def test_rfm_names_missing_columns() -> None:
    with pytest.raises(ValidationError, match="amount_col"):
        rfm(_orders().drop(columns="total_amount"))


def test_btyd_summary_merges_same_day_orders_and_uses_repeat_spend() -> None:
    summary = btyd_summary(
        purchases(_orders()), observation_end=pd.Timestamp("2026-03-01", tz=UTC), unit_days=1
    )
    # a bought twice on 1 January (one transaction of 30) and once on 1 February (40).
    assert summary.loc["a"].to_dict() == {"frequency": 1, "recency": 31.0, "T": 59.0, "monetary_value": 40.0}
    assert summary.loc["b", "frequency"] == 0
    assert summary.loc["b", "monetary_value"] == 0.0


@pytest.mark.slow
def test_btyd_summary_matches_lifetimes_on_cdnow() -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    from shopmind.datasets.real import load_cdnow

    orders = load_cdnow()
    end = pd.Timestamp("1997-09-30", tz=orders["ordered_at"].dt.tz)
    ours = btyd_summary(orders, observation_end=end, unit_days=7)
    tx = orders.assign(day=orders["ordered_at"].dt.tz_localize(None).dt.normalize())
    theirs = summary_data_from_transaction_data(
        tx,
        "customer_id",
        "day",
        monetary_value_col="total_amount",
        observation_period_end="1997-09-30",
        freq="D",
    )
    theirs[["recency", "T"]] /= 7
    theirs = theirs.reindex(ours.index)
    assert len(ours) == len(theirs) > 10_000
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), theirs["frequency"].to_numpy())
    np.testing.assert_allclose(ours[["recency", "T"]].to_numpy(), theirs[["recency", "T"]].to_numpy())
    np.testing.assert_allclose(
        ours["monetary_value"].to_numpy(), theirs["monetary_value"].to_numpy(), rtol=1e-9
    )


def test_quantile_scores_spread_and_keep_ties_together() -> None:
    values = pd.Series([1, 1, 1, 1, 2, 3, 4, 5, 6, 7], dtype=float)
    scores = quantile_scores(values)
    assert scores.between(1, 5).all()
    assert scores.iloc[:4].nunique() == 1  # ties share a score
    assert scores.iloc[-1] == 5
    assert scores.is_monotonic_increasing
    assert quantile_scores(values, higher_is_better=False).iloc[-1] == 1


def test_default_rules_cover_every_score_pair() -> None:
    frame = pd.DataFrame(
        [(r, fm) for r, fm in itertools.product(range(1, 6), range(1, 6))], columns=["r", "fm"]
    )
    for r, fm in frame.itertuples(index=False):
        assert any(
            rule.r[0] <= r <= rule.r[1] and rule.fm[0] <= fm <= rule.fm[1] for rule in DEFAULT_RULES
        ), (
            r,
            fm,
        )
    assert {rule.segment for rule in DEFAULT_RULES} == set(SEGMENT_NAMES)


def test_fixed_edges_name_the_expected_segments() -> None:
    table = pd.DataFrame(
        {
            "recency_days": [3.0, 400.0, 2.0, 200.0, 230.0],
            "frequency": [9, 9, 1, 3, 1],
            "monetary": [300.0, 300.0, 10.0, 100.0, 10.0],
        },
        index=["champ", "cant_lose", "new", "at_risk", "hib"],
    )
    rules = SegmentRules(recency_days=(30, 60, 120, 240), frequency=(2, 3, 5, 8), monetary=(20, 50, 80, 150))
    got = assign_segments(table, rules)
    assert got["segment"].to_dict() == {
        "champ": "champions",
        "cant_lose": "cant_lose",
        "new": "new",
        "at_risk": "at_risk",
        "hib": "hibernating",
    }


def test_quintile_scores_rank_recent_big_spenders_first() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    table = pd.DataFrame(
        {
            "recency_days": rng.uniform(0, 365, n),
            "frequency": rng.integers(1, 10, n),
            "monetary": rng.uniform(10, 500, n),
        }
    )
    scores = score_rfm(table)
    assert scores["r"].value_counts().min() > 150  # quintiles: about 200 each
    best = scores["r"].idxmax()
    assert table.loc[best, "recency_days"] < 80
    segments = assign_segments(table)["segment"]
    champions = table[segments == "champions"]
    assert champions["recency_days"].mean() < table["recency_days"].mean()
    assert champions["monetary"].mean() > table["monetary"].mean()


def test_rules_from_mapping_and_bad_rules() -> None:
    rules = SegmentRules.from_mapping(
        {"recency_days": [7, 14, 30, 60], "rules": [{"segment": "champions", "r": [1, 5], "fm": [1, 5]}]}
    )
    table = pd.DataFrame({"recency_days": [1.0, 90.0], "frequency": [1, 2], "monetary": [1.0, 2.0]})
    assert set(assign_segments(table, rules)["segment"]) == {"champions"}
    with pytest.raises(InvalidParameterError, match="4 strictly increasing numbers"):
        SegmentRules(recency_days=(30, 20, 10, 5))
    with pytest.raises(ValidationError, match="Unknown segment 'vip'"):
        SegmentRules.from_mapping({"rules": [{"segment": "vip", "r": [1, 5], "fm": [1, 5]}]})
    with pytest.raises(ValidationError, match="two \\[low, high\\] score ranges"):
        SegmentRules.from_mapping({"rules": [{"segment": "lost"}]})


def test_segment_names_and_moves() -> None:
    assert segment_name("champions", "zh-CN") == "重要价值客户"
    assert segment_name("cant_lose") == "Can't lose them"
    before = pd.Series({"a": "loyal", "b": "new", "c": "lost"})
    after = pd.Series({"a": "at_risk", "b": "new", "c": "loyal", "d": "new"})
    moves = segment_moves(before, after)
    assert {(f, t): n for f, t, n in moves[["from", "to", "customers"]].itertuples(index=False)} == {
        ("loyal", "at_risk"): 1,
        ("lost", "loyal"): 1,
        ("(none)", "new"): 1,
    }
