"""The evaluation harness: splits, no leakage, oracle bounds and group tables on toy data."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, ValidationError
from shopmind.recommend.evaluate import evaluate, random_split, temporal_split

LOG2_3 = math.log2(3)


@pytest.fixture
def log() -> pd.DataFrame:
    """Four users; rows deliberately not in time order. u4 has a single interaction."""
    rows = [
        ("u1", "a", "2026-01-03"),
        ("u1", "b", "2026-01-01"),
        ("u1", "c", "2026-01-05"),  # u1's last
        ("u2", "a", "2026-01-02"),
        ("u2", "d", "2026-01-09"),  # u2's last
        ("u3", "b", "2026-01-04"),
        ("u3", "e", "2026-01-04"),  # same time as the row above, later row: u3's last
        ("u3", "c", "2026-01-01"),
        ("u4", "a", "2026-01-07"),  # alone: stays in train
        ("u2", "c", "2026-01-06"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "sku", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def test_temporal_split_holds_out_exactly_each_users_last_interaction(log: pd.DataFrame) -> None:
    train, test = temporal_split(log)
    assert list(test.index) == [2, 4, 6]  # original order and index kept
    assert list(train.index) == [0, 1, 3, 5, 7, 8, 9]
    assert dict(zip(test["customer_id"], test["sku"], strict=True)) == {"u1": "c", "u2": "d", "u3": "e"}
    for user, part in test.groupby("customer_id"):
        assert part["ts"].max() >= train.loc[train["customer_id"] == user, "ts"].max()
    assert set(test["customer_id"]) <= set(train["customer_id"])
    assert "u4" not in set(test["customer_id"])
    assert test.attrs["split"]["method"] == "temporal"
    assert len(train) + len(test) == len(log)


def test_temporal_split_accepts_numbers_and_strings_as_time(log: pd.DataFrame) -> None:
    as_text = log.assign(ts=log["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    as_number = log.assign(ts=log["ts"].astype("int64"))
    expected = list(temporal_split(log)[1].index)
    assert list(temporal_split(as_text)[1].index) == expected
    assert list(temporal_split(as_number)[1].index) == expected


def test_temporal_split_fraction_and_minimum(log: pd.DataFrame) -> None:
    # u1, u2, u3 have 3 rows each: round(0.5 * 3) = 2 held out
    train, test = temporal_split(log, holdout=0.5)
    assert sorted(test.loc[test["customer_id"] == "u2", "sku"]) == ["c", "d"]
    assert test.groupby("customer_id").size().to_dict() == {"u1": 2, "u2": 2, "u3": 2}
    # a fraction never empties a user's history
    _, test = temporal_split(log, holdout=0.99)
    assert test.groupby("customer_id").size().max() == 2
    # users below the minimum stay in train
    train, test = temporal_split(log, min_user_interactions=4)
    assert test.empty
    assert len(train) == len(log)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"holdout": 1.0}, "holdout"),
        ({"holdout": "first"}, "holdout"),
        ({"min_user_interactions": 1}, "min_user_interactions"),
        ({"time_col": "when"}, "time_col"),
    ],
)
def test_temporal_split_checks_parameters(log: pd.DataFrame, kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of temporal_split"):
        temporal_split(log, **kwargs)  # type: ignore[arg-type]


def test_temporal_split_rejects_empty_keys(log: pd.DataFrame) -> None:
    broken = log.astype({"customer_id": object})
    broken.loc[0, "customer_id"] = None
    with pytest.raises(ValidationError, match="customer_id"):
        temporal_split(broken)


def test_random_split_is_reproducible_by_seed(log: pd.DataFrame) -> None:
    big = pd.concat(
        [log.assign(customer_id=log["customer_id"] + f"-{i}") for i in range(30)], ignore_index=True
    )
    _, first = random_split(big, test_fraction=0.4, seed=7)
    _, again = random_split(big, test_fraction=0.4, seed=7)
    _, other = random_split(big, test_fraction=0.4, seed=8)
    assert list(first.index) == list(again.index)
    assert list(first.index) != list(other.index)
    assert list(first.index) == sorted(first.index)
    # round(0.4 * 3) = 1 per user with 3 rows; the single-row users stay in train
    assert (first.groupby("customer_id").size() == 1).all()
    assert first["customer_id"].nunique() == 90
    train, _ = random_split(big, test_fraction=0.4, seed=7)
    assert set(first["customer_id"]) <= set(train["customer_id"])
    assert first.attrs["split"] == {
        "method": "random",
        "test_fraction": 0.4,
        "seed": 7,
        "min_user_interactions": 2,
    }


def _catalog() -> list[str]:
    return ["a", "b", "c", "d", "e", "f"]


def test_oracle_gets_recall_one_and_reverse_oracle_zero(log: pd.DataFrame) -> None:
    train, test = temporal_split(log)
    truth = test.groupby("customer_id")["sku"].agg(list).to_dict()

    def oracle(users: Sequence[str], n: int) -> list[list[str]]:
        return [truth[u][:n] for u in users]

    def reverse_oracle(users: Sequence[str], n: int) -> list[list[str]]:
        return [[i for i in _catalog() if i not in truth[u]][:n] for u in users]

    best = evaluate(oracle, train, test, k=3, catalog=_catalog())
    assert best["n_users"] == 3
    assert best["metrics"]["recall@3"] == 1.0
    assert best["metrics"]["ndcg@3"] == 1.0
    assert best["metrics"]["hit_rate@3"] == 1.0
    assert best["metrics"]["precision@3"] == pytest.approx(1 / 3, abs=1e-6)
    worst = evaluate(reverse_oracle, train, test, k=3, catalog=_catalog())
    for name in ("precision@3", "recall@3", "ndcg@3", "map@3", "hit_rate@3", "mrr@3"):
        assert worst["metrics"][name] == 0.0


def test_recommender_only_sees_train_users_in_batches(log: pd.DataFrame) -> None:
    extra = pd.DataFrame(
        {
            "customer_id": ["cold", "cold"],
            "sku": ["a", "b"],
            "ts": pd.to_datetime(["2026-02-01"] * 2, utc=True),
        }
    )
    train, test = temporal_split(log)
    test = pd.concat([test, extra])  # a user the model never saw
    train_users = set(train["customer_id"])
    calls: list[tuple[list[str], int]] = []

    def guarded(users: Sequence[str], n: int) -> list[list[str]]:
        assert all(isinstance(u, str) for u in users)
        assert isinstance(n, int)
        for user in users:
            if user not in train_users:
                raise AssertionError(f"asked for {user}, who is not in train")
        calls.append((list(users), n))
        return [["a", "b", "c", "d", "e"] for _ in users]

    report = evaluate(guarded, train, test, k=2, batch_size=2)
    assert report["n_users_cold"] == 1
    assert report["n_users_test"] == 4
    assert [len(users) for users, _ in calls] == [2, 1]
    assert sorted(u for users, _ in calls for u in users) == ["u1", "u2", "u3"]
    # n leaves room for k items after removing the training history of the batch
    history = train.groupby("customer_id").size().to_dict()
    for users, n in calls:
        assert n == 2 + max(history[u] for u in users)


def test_exclude_train_removes_history_from_answers_and_truth() -> None:
    train = pd.DataFrame({"customer_id": ["u1", "u1", "u2"], "sku": ["a", "b", "a"]})
    test = pd.DataFrame({"customer_id": ["u1", "u1", "u2"], "sku": ["a", "c", "a"]})  # re-purchases of "a"

    def always(users: Sequence[str], n: int) -> list[list[str]]:
        return [["a", "c", "b", "d"][:n] for _ in users]

    report = evaluate(always, train, test, k=1)
    # u2 only re-bought a training item: nothing left to predict, not scored
    assert report["n_users"] == 1
    assert report["n_users_no_relevant"] == 1
    assert report["metrics"]["precision@1"] == 1.0  # "a" removed, "c" moves to the top
    kept = evaluate(always, train, test, k=1, exclude_train=False)
    assert kept["n_users"] == 2
    assert kept["metrics"]["recall@1"] == pytest.approx((1 / 2 + 1) / 2)


def test_report_on_a_toy_dataset() -> None:
    train = pd.DataFrame(
        {
            "customer_id": ["u1", "u1", "u2", "u2", "u3", "u4"],
            "sku": ["a", "b", "a", "c", "a", "b"],
        }
    )
    test = pd.DataFrame({"customer_id": ["u1", "u2", "u3", "u4"], "sku": ["c", "b", "d", "c"]})
    answers = {"u1": ["c", "d"], "u2": ["d", "b"], "u3": ["b", "c"], "u4": ["c", "d"]}
    category = {"a": "tea", "b": "tea", "c": "fruit", "d": "fruit"}
    regions = {"u1": "浙江", "u2": "浙江", "u3": "广东"}  # u4 unassigned
    producers = {"a": "large", "b": "large", "c": "small", "d": "small"}

    report = evaluate(
        lambda users, n: [answers[u] for u in users],
        train,
        test,
        k=2,
        catalog=["a", "b", "c", "d", "e"],
        item_category=category,
        user_groups={"region": regions},
        item_groups={"producer_size": producers},
        split="hand-made",
    )
    json.dumps(report, allow_nan=False)  # strictly JSON-serialisable
    assert report["k"] == 2
    assert report["n_users"] == 4
    assert report["n_items"] == 5
    assert report["split"] == "hand-made"
    m = report["metrics"]
    # hits: u1 rank 1, u2 rank 2, u3 none, u4 rank 1
    assert m["hit_rate@2"] == 0.75
    assert m["recall@2"] == 0.75
    assert m["precision@2"] == pytest.approx(3 / 8, abs=1e-6)
    assert m["ndcg@2"] == pytest.approx((1 + 1 / LOG2_3 + 0 + 1) / 4, abs=1e-6)
    assert m["mrr@2"] == pytest.approx((1 + 0.5 + 0 + 1) / 4, abs=1e-6)
    assert m["catalog_coverage"] == pytest.approx(3 / 5, abs=1e-6)  # b, c, d
    # ILD: (c,d) same, (d,b) different, (b,c) different, (c,d) same -> 2/4
    assert m["intra_list_diversity"] == 0.5
    # training popularity a:3, b:2, c:1 of 6; d unseen -> counted as 1
    info = {"b": -math.log2(2 / 6), "c": -math.log2(1 / 6), "d": -math.log2(1 / 6)}
    per_user = [(info[x] + info[y]) / 2 for x, y in answers.values()]
    assert m["novelty"] == pytest.approx(sum(per_user) / 4, abs=1e-6)

    region = report["user_groups"]["region"]
    assert region["n_users_unassigned"] == 1
    assert region["groups"]["浙江"] == {
        "n_users": 2,
        "ndcg@2": pytest.approx((1 + 1 / LOG2_3) / 2, abs=1e-6),
        "hit_rate@2": 1.0,
    }
    assert region["groups"]["广东"] == {"n_users": 1, "ndcg@2": 0.0, "hit_rate@2": 0.0}
    assert region["disparity"] == {"ndcg@2": None, "hit_rate@2": None}  # unbounded: a group at 0

    producer = report["item_groups"]["producer_size"]
    # small items fill u1's and u4's lists, u2's first slot and u3's second; large ones the rest:
    # small = 3·1 + 3/log2(3), large = 1 + 1/log2(3), so shares of 3/4 and 1/4
    assert producer["small"]["exposure_share"] == 0.75
    assert producer["large"]["exposure_share"] == 0.25
    assert producer["small"]["catalog_share"] == 0.4
    assert producer["unknown"] == {"exposure_share": 0.0, "catalog_share": 0.2, "ratio": 0.0}
    assert producer["small"]["ratio"] == pytest.approx(0.75 / 0.4, abs=1e-6)
    assert producer["large"]["ratio"] == pytest.approx(0.25 / 0.4, abs=1e-6)


def test_group_disparity_ratio() -> None:
    train = pd.DataFrame({"customer_id": ["u1", "u2", "u3"], "sku": ["z", "z", "z"]})
    test = pd.DataFrame({"customer_id": ["u1", "u2", "u3"], "sku": ["a", "a", "a"]})
    answers = {"u1": ["a"], "u2": ["b", "a"], "u3": ["a"]}
    report = evaluate(
        lambda users, n: [answers[u] for u in users],
        train,
        test,
        k=2,
        user_groups={"gender": {"u1": "f", "u2": "m", "u3": "m"}},
    )
    table = report["user_groups"]["gender"]
    mean_m = (1 / LOG2_3 + 1) / 2
    assert table["groups"]["m"]["ndcg@2"] == pytest.approx(mean_m, abs=1e-6)
    assert table["disparity"]["ndcg@2"] == pytest.approx(1 / mean_m, abs=1e-5)
    assert table["disparity"]["hit_rate@2"] == 1.0


def test_graded_relevance_column() -> None:
    train = pd.DataFrame({"customer_id": ["u1"], "sku": ["z"]})
    test = pd.DataFrame({"customer_id": ["u1", "u1", "u1"], "sku": ["a", "b", "b"], "w": [1.0, 0.5, 3.0]})
    report = evaluate(lambda users, n: [["a", "b"]], train, test, k=2, relevance_col="w")
    # grades a:1, b:max(0.5, 3) = 3
    expected = (1 + 3 / LOG2_3) / (3 + 1 / LOG2_3)
    assert report["metrics"]["ndcg@2"] == pytest.approx(expected, abs=1e-6)


def test_evaluate_checks_the_callable_and_parameters(log: pd.DataFrame) -> None:
    train, test = temporal_split(log)
    with pytest.raises(InvalidParameterError, match="'recommend' parameter of evaluate"):
        evaluate(lambda users, n: [], train, test)
    with pytest.raises(InvalidParameterError, match="'k' parameter of evaluate"):
        evaluate(lambda users, n: [[] for _ in users], train, test, k=0)
    with pytest.raises(InvalidParameterError, match="'item_col' parameter of evaluate"):
        evaluate(lambda users, n: [[] for _ in users], train, test, item_col="product")


def test_empty_test_gives_an_empty_but_valid_report(log: pd.DataFrame) -> None:
    train, test = temporal_split(log)
    report = evaluate(
        lambda users, n: [[] for _ in users],
        train,
        test.iloc[:0],
        user_groups={"region": {"u1": "浙江"}},
        item_groups={"producer_size": {"a": "small"}},
    )
    assert report["n_users"] == 0
    assert report["metrics"]["ndcg@10"] is None
    assert report["user_groups"]["region"] == {
        "groups": {},
        "disparity": {"ndcg@10": None, "hit_rate@10": None},
        "n_users_unassigned": 0,
    }
    assert report["item_groups"]["producer_size"]["small"]["exposure_share"] == 0.0
    json.dumps(report, allow_nan=False)
