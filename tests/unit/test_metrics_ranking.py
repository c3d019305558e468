"""Ranking metrics against values computed by hand (and scikit-learn's nDCG where it applies)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from shopmind.errors import InvalidParameterError
from shopmind.metrics import (
    average_precision_at_k,
    catalog_coverage,
    exposure_by_group,
    hit_rate_at_k,
    intra_list_diversity,
    item_exposure_share,
    map_at_k,
    max_min_ratio,
    mrr,
    ndcg_at_k,
    novelty,
    per_user_scores,
    precision_at_k,
    recall_at_k,
)

LOG2_3 = math.log2(3)


def test_ndcg_single_hit_at_rank_two() -> None:
    assert ndcg_at_k([["a", "b", "c"]], [{"b"}], k=3) == pytest.approx(1 / LOG2_3)


def test_ndcg_ideal_is_cut_at_min_k_and_relevant() -> None:
    # two relevant, k=3: IDCG = 1 + 1/log2(3); hits at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5
    expected = 1.5 / (1 + 1 / LOG2_3)
    assert ndcg_at_k([["a", "x", "b"]], [{"a", "b"}], k=3) == pytest.approx(expected)
    # five relevant but k=2 with both slots hits: perfect
    assert ndcg_at_k([["a", "b"]], [{"a", "b", "c", "d", "e"}], k=2) == pytest.approx(1.0)


def test_ndcg_graded_linear_and_exponential() -> None:
    grades = {"a": 1.0, "b": 3.0}
    dcg = 1.0 + 3.0 / LOG2_3
    idcg = 3.0 + 1.0 / LOG2_3
    assert ndcg_at_k([["a", "b"]], [grades], k=2) == pytest.approx(dcg / idcg)
    dcg_exp = 1.0 + 7.0 / LOG2_3
    idcg_exp = 7.0 + 1.0 / LOG2_3
    assert ndcg_at_k([["a", "b"]], [grades], k=2, gain="exponential") == pytest.approx(dcg_exp / idcg_exp)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_ndcg_matches_scikit_learn(k: int) -> None:
    items = ["a", "b", "c", "d", "e"]
    recommended = [["c", "a", "e", "b", "d"], ["b", "d", "a", "e", "c"]]
    relevant = [{"a": 2.0, "b": 1.0, "d": 3.0}, {"e": 1.0, "c": 2.0}]
    y_true = np.array([[rel.get(i, 0.0) for i in items] for rel in relevant])
    # distinct scores that reproduce each ranking (no ties, so no tie averaging in sklearn)
    y_score = np.array([[len(items) - ranked.index(i) for i in items] for ranked in recommended], dtype=float)
    expected = ndcg_score(y_true, y_score, k=k)
    assert ndcg_at_k(recommended, relevant, k=k) == pytest.approx(expected)


def test_average_precision_normalised_by_min_k_relevant() -> None:
    # hits at ranks 1 and 3, 2 relevant: (1/1 + 2/3) / 2
    assert average_precision_at_k([["a", "x", "b"]], [{"a", "b"}], k=3) == pytest.approx((1 + 2 / 3) / 2)
    # 4 relevant, k=2, both slots hit: divided by min(2, 4) = 2 -> 1.0
    assert map_at_k([["a", "b"]], [{"a", "b", "c", "d"}], k=2) == pytest.approx(1.0)
    # 2 relevant, k=3, a single hit at rank 2: (1/2) / 2
    assert map_at_k([["x", "a", "y"]], [{"a", "b"}], k=3) == pytest.approx(0.25)


def test_precision_recall_hit_rate_mean_over_users() -> None:
    recommended = [["a", "b", "c"], ["d", "e", "f"]]
    relevant = [{"a", "c", "z", "w"}, {"q"}]
    assert precision_at_k(recommended, relevant, k=3) == pytest.approx((2 / 3 + 0) / 2)
    assert recall_at_k(recommended, relevant, k=3) == pytest.approx((2 / 4 + 0) / 2)
    assert hit_rate_at_k(recommended, relevant, k=3) == pytest.approx(0.5)
    assert recall_at_k(recommended, relevant, k=1) == pytest.approx((1 / 4) / 2)


def test_k_larger_than_the_list_counts_missing_slots_as_misses() -> None:
    assert precision_at_k([["a"]], [{"a"}], k=4) == pytest.approx(0.25)
    assert recall_at_k([["a"]], [{"a"}], k=4) == pytest.approx(1.0)
    assert ndcg_at_k([["a"]], [{"a"}], k=4) == pytest.approx(1.0)
    assert precision_at_k([[]], [{"a"}], k=2) == 0.0


def test_users_with_empty_relevant_are_skipped() -> None:
    recommended = [["a", "b"], ["c", "d"]]
    relevant: list[set[str]] = [{"a"}, set()]
    assert precision_at_k(recommended, relevant, k=2) == pytest.approx(0.5)
    assert hit_rate_at_k(recommended, relevant, k=2) == pytest.approx(1.0)
    assert math.isnan(recall_at_k([["a"]], [set()], k=1))
    scores = per_user_scores(recommended, relevant, k=2)
    assert math.isnan(scores["ndcg"][1])
    # a grade of 0 means "not relevant"
    assert math.isnan(ndcg_at_k([["a"]], [{"a": 0.0}], k=1))


def test_duplicates_count_once() -> None:
    assert precision_at_k([["a", "a"]], [{"a"}], k=2) == pytest.approx(0.5)
    assert ndcg_at_k([["a", "a", "b"]], [{"a", "b"}], k=3) == pytest.approx(
        (1 + 1 / math.log2(4)) / (1 + 1 / LOG2_3)
    )


def test_mrr_with_and_without_cut_off() -> None:
    recommended = [["x", "a"], ["b"], ["x", "y", "z", "c"]]
    relevant = [{"a"}, {"b"}, {"c"}]
    assert mrr(recommended, relevant) == pytest.approx((1 / 2 + 1 + 1 / 4) / 3)
    assert mrr(recommended, relevant, k=2) == pytest.approx((1 / 2 + 1 + 0) / 3)


def test_per_user_scores_shape_and_values() -> None:
    scores = per_user_scores([["a", "x", "b"], ["y"]], [{"a", "b"}, {"y"}], k=3)
    assert set(scores) == {"precision", "recall", "ndcg", "ap", "hit_rate", "rr"}
    np.testing.assert_allclose(scores["precision"], [2 / 3, 1 / 3])
    np.testing.assert_allclose(scores["rr"], [1.0, 1.0])
    np.testing.assert_allclose(scores["ap"], [(1 + 2 / 3) / 2, 1.0])


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3"])
def test_k_is_checked(k: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"The 'k' parameter of \w+ must be an int >= 1"):
        ndcg_at_k([["a"]], [{"a"}], k=k)  # type: ignore[arg-type]


def test_lengths_must_match() -> None:
    with pytest.raises(InvalidParameterError, match="relevant"):
        precision_at_k([["a"], ["b"]], [{"a"}], k=1)


def test_catalog_coverage() -> None:
    recommended = [["a", "b", "c"], ["a", "d"]]
    assert catalog_coverage(recommended, catalog_size=8) == pytest.approx(4 / 8)
    assert catalog_coverage(recommended, catalog_size=8, k=1) == pytest.approx(1 / 8)
    with pytest.raises(InvalidParameterError, match="catalog_size"):
        catalog_coverage(recommended, catalog_size=0)


def test_novelty_of_a_uniformly_popular_catalog_is_log2_n() -> None:
    popularity = dict.fromkeys("abcdefgh", 10)
    assert novelty([["a", "b"], ["h"]], popularity) == pytest.approx(3.0)


def test_novelty_rewards_rare_items_and_smooths_unseen_ones() -> None:
    popularity = {"hit": 7, "rare": 1}
    assert novelty([["hit"]], popularity) == pytest.approx(-math.log2(7 / 8))
    assert novelty([["rare"]], popularity) == pytest.approx(3.0)
    assert novelty([["never-seen"]], popularity) == pytest.approx(3.0)  # counted as 1
    # mean per list, then over lists
    assert novelty([["hit", "rare"], ["rare"]], popularity) == pytest.approx(
        ((-math.log2(7 / 8) + 3.0) / 2 + 3.0) / 2
    )
    assert math.isnan(novelty([[]], popularity))


def test_intra_list_diversity_by_category() -> None:
    category = {"a": "fruit", "b": "fruit", "c": "tea", "d": "rice"}
    assert intra_list_diversity([["a", "b"]], category) == 0.0
    assert intra_list_diversity([["a", "c", "d"]], category) == pytest.approx(1.0)
    # pairs ab (same), ac, bc (different): 2/3
    assert intra_list_diversity([["a", "b", "c"]], category) == pytest.approx(2 / 3)
    # mean over lists; a list with fewer than two known items is skipped
    assert intra_list_diversity([["a", "b"], ["a", "c"], ["zzz", "a"]], category) == pytest.approx(0.5)


def test_intra_list_diversity_with_vectors_and_callable() -> None:
    vectors = {"a": [1.0, 0.0], "b": [2.0, 0.0], "c": [0.0, 3.0]}
    assert intra_list_diversity([["a", "b"]], vectors) == pytest.approx(0.0)
    assert intra_list_diversity([["a", "c"]], vectors) == pytest.approx(1.0)
    assert intra_list_diversity([["a", "b", "c"]], lambda x, y: 0.25) == pytest.approx(0.75)


def test_item_exposure_share_is_position_discounted() -> None:
    groups = {"a": "small", "b": "large", "c": "large"}
    share = item_exposure_share([["a", "b", "c"]], groups)
    w = [1.0, 1 / LOG2_3, 0.5]
    assert share["small"] == pytest.approx(w[0] / sum(w))
    assert share["large"] == pytest.approx((w[1] + w[2]) / sum(w))
    # the same items in reverse order give the small farm less attention
    assert item_exposure_share([["c", "b", "a"]], groups)["small"] == pytest.approx(w[2] / sum(w))
    assert item_exposure_share([["a", "zzz"]], groups, k=2)["unknown"] == pytest.approx(
        (1 / LOG2_3) / (1 + 1 / LOG2_3)
    )
    assert item_exposure_share([[]], groups) == {}


def test_exposure_by_group_and_disparity() -> None:
    recommended = [["a"], ["x"], ["b"], ["y", "c"]]
    relevant = [{"a"}, {"a"}, {"b"}, {"c"}]
    groups = ["north", "north", "south", "south"]
    hit = exposure_by_group(recommended, relevant, groups, k=2, metric="hit_rate")
    assert hit == {"north": pytest.approx(0.5), "south": pytest.approx(1.0)}
    ndcg = exposure_by_group(recommended, relevant, groups, k=2)
    assert ndcg["south"] == pytest.approx((1 + 1 / LOG2_3) / 2)
    assert max_min_ratio(hit) == pytest.approx(2.0)
    assert max_min_ratio({"a": 0.0, "b": 0.5}) is None
    assert max_min_ratio({"a": 0.0, "b": 0.0}) == 1.0
    assert max_min_ratio({"a": 0.3}) is None
    with pytest.raises(InvalidParameterError, match="metric"):
        exposure_by_group(recommended, relevant, groups, metric="auc")  # type: ignore[arg-type]
