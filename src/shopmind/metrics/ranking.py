"""Ranking, beyond-accuracy and fairness metrics of recommendation lists.

Every function is pure. ``recommended`` holds one ranked list of item ids per user (best first);
``relevant`` holds, for the same users in the same order, either a collection of relevant item ids
(binary relevance) or a mapping ``{item id: grade}`` (graded relevance; a grade <= 0 means "not
relevant"). Grades only change nDCG; every other accuracy metric counts an item as a hit when its
grade is > 0.

Conventions shared by the accuracy metrics:

* Only the first ``k`` items of each list count. A list shorter than ``k`` is treated as padded with
  misses, so precision@k still divides by ``k``.
* An item repeated in a list counts once, at its first position.
* Users whose relevant set is empty are **skipped** (they have no defined recall, nDCG or AP); the
  mean is over the remaining users. When no user is left the result is ``nan``.

Examples
--------
>>> round(ndcg_at_k([["a", "b", "c"]], [{"b"}], k=3), 4)  # 1 / log2(3)
0.6309
>>> round(average_precision_at_k([["a", "x", "b"]], [{"a", "b"}], k=3), 4)  # (1/1 + 2/3) / 2
0.8333
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shopmind.errors import check_param

__all__ = [
    "Relevance",
    "average_precision_at_k",
    "catalog_coverage",
    "exposure_by_group",
    "hit_rate_at_k",
    "intra_list_diversity",
    "item_exposure_share",
    "map_at_k",
    "max_min_ratio",
    "mrr",
    "ndcg_at_k",
    "novelty",
    "per_user_scores",
    "precision_at_k",
    "recall_at_k",
]

#: The relevant items of one user: a collection of ids (binary) or ``{id: grade}`` (graded).
Relevance = Collection[str] | Mapping[str, float]

#: Names of the per-user accuracy metrics, as returned by :func:`per_user_scores`.
UserMetric = Literal["precision", "recall", "ndcg", "ap", "hit_rate", "rr"]

FloatArray = npt.NDArray[np.float64]


def _check_k(owner: str, k: Any) -> int:
    ok = isinstance(k, int | np.integer) and not isinstance(k, bool) and bool(k >= 1)
    check_param(owner, "k", k, ok, "an int >= 1")
    return int(k)


def _check_optional_k(owner: str, k: Any) -> int | None:
    return None if k is None else _check_k(owner, k)


def _check_same_length(owner: str, name: str, values: Sequence[Any], recommended: Sequence[Any]) -> None:
    check_param(
        owner,
        name,
        f"<{len(values)} entries>",
        len(values) == len(recommended),
        f"a sequence with one entry per list of 'recommended' ({len(recommended)})",
    )


def _grades(relevant: Relevance) -> dict[str, float]:
    """``{item: grade > 0}`` of one user's relevance."""
    if isinstance(relevant, Mapping):
        return {str(i): float(g) for i, g in relevant.items() if float(g) > 0}
    return dict.fromkeys(map(str, relevant), 1.0)


def _truncate(items: Sequence[str], k: int | None) -> Sequence[str]:
    return items if k is None else items[:k]


def per_user_scores(
    recommended: Sequence[Sequence[str]],
    relevant: Sequence[Relevance],
    k: int,
    *,
    gain: Literal["linear", "exponential"] = "linear",
) -> dict[UserMetric, FloatArray]:
    """Every accuracy metric at ``k`` for each user, computed in one vectorised pass.

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list of item ids per user, best first.
    relevant : sequence of collection of str or mapping of str to float
        The relevant items of each user (same order), binary or graded.
    k : int
        Cut-off, >= 1.
    gain : {"linear", "exponential"}
        Gain of a grade ``g`` in nDCG: ``g`` (as scikit-learn's ``ndcg_score``) or ``2**g - 1``.
        Both are 1 for binary relevance.

    Returns
    -------
    dict of str to ndarray
        Arrays of length ``len(recommended)`` under ``"precision"``, ``"recall"``, ``"ndcg"``,
        ``"ap"`` (average precision), ``"hit_rate"`` (0 or 1) and ``"rr"`` (reciprocal rank of the
        first hit within ``k``, 0 without one). Users with no relevant item get ``nan`` everywhere.
        The formulas are those of the scalar functions (:func:`precision_at_k` and the others).
    """
    k = _check_k("per_user_scores", k)
    _check_same_length("per_user_scores", "relevant", relevant, recommended)
    check_param(
        "per_user_scores", "gain", gain, gain in ("linear", "exponential"), "'linear' or 'exponential'"
    )
    n_users = len(recommended)
    graded = np.zeros((n_users, k))  # grade of the item at each rank (0 for a miss)
    ideal = np.zeros((n_users, k))  # grades sorted best first: the ideal list
    n_relevant = np.zeros(n_users)
    for u, (items, rel) in enumerate(zip(recommended, relevant, strict=True)):
        grades = _grades(rel)
        n_relevant[u] = len(grades)
        if not grades:
            continue
        best = sorted(grades.values(), reverse=True)[:k]
        ideal[u, : len(best)] = best
        seen: set[str] = set()
        for rank, item in enumerate(items[:k]):
            if item in grades and item not in seen:
                graded[u, rank] = grades[item]
            seen.add(item)

    hits = graded > 0
    n_hits = hits.sum(axis=1)
    ranks = np.arange(1, k + 1, dtype=np.float64)
    discount = 1.0 / np.log2(ranks + 1.0)
    if gain == "exponential":
        graded, ideal = np.exp2(graded) - 1.0, np.exp2(ideal) - 1.0
    has_relevant = n_relevant > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = n_hits / k
        recall = n_hits / n_relevant
        ndcg = (graded @ discount) / (ideal @ discount)
        precision_at_hits = np.cumsum(hits, axis=1) / ranks
        ap = (precision_at_hits * hits).sum(axis=1) / np.minimum(k, n_relevant)
        hit_rate = (n_hits > 0).astype(np.float64)
        rr = np.where(n_hits > 0, 1.0 / (np.argmax(hits, axis=1) + 1.0), 0.0)
    out: dict[UserMetric, FloatArray] = {
        "precision": precision,
        "recall": recall,
        "ndcg": ndcg,
        "ap": ap,
        "hit_rate": hit_rate,
        "rr": rr,
    }
    for name, values in out.items():
        out[name] = np.where(has_relevant, values, np.nan).astype(np.float64)
    return out


def _mean(values: FloatArray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan


def precision_at_k(recommended: Sequence[Sequence[str]], relevant: Sequence[Relevance], k: int) -> float:
    """Mean precision at ``k``: ``|top-k ∩ relevant| / k``.

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list of item ids per user.
    relevant : sequence of collection of str or mapping of str to float
        The relevant items of each user, same order (grades > 0 count as relevant).
    k : int
        Cut-off, >= 1. A list shorter than ``k`` still divides by ``k``.

    Returns
    -------
    float
        The mean over users with at least one relevant item (``nan`` if there is none).
    """
    return _mean(per_user_scores(recommended, relevant, k)["precision"])


def recall_at_k(recommended: Sequence[Sequence[str]], relevant: Sequence[Relevance], k: int) -> float:
    """Mean recall at ``k``: ``|top-k ∩ relevant| / |relevant|``.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.

    Returns
    -------
    float
        The mean over users with at least one relevant item (``nan`` if there is none). It stays
        below 1 when ``|relevant| > k``, by definition.
    """
    return _mean(per_user_scores(recommended, relevant, k)["recall"])


def ndcg_at_k(
    recommended: Sequence[Sequence[str]],
    relevant: Sequence[Relevance],
    k: int,
    *,
    gain: Literal["linear", "exponential"] = "linear",
) -> float:
    """Mean normalised discounted cumulative gain at ``k``.

    ``DCG@k = Σ_{r=1..k} gain(g_r) / log2(r + 1)`` where ``g_r`` is the grade of the item at rank
    ``r`` (1 for a relevant item under binary relevance, 0 for a miss), and
    ``nDCG@k = DCG@k / IDCG@k`` where ``IDCG@k`` is the DCG of the ideal list: the user's grades
    sorted best first, cut at ``min(k, |relevant|)``.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`; here grades matter.
    gain : {"linear", "exponential"}
        ``gain(g) = g`` (the default, as scikit-learn's ``ndcg_score``) or ``2**g - 1``.

    Returns
    -------
    float
        The mean over users with at least one relevant item (``nan`` if there is none).
    """
    return _mean(per_user_scores(recommended, relevant, k, gain=gain)["ndcg"])


def average_precision_at_k(
    recommended: Sequence[Sequence[str]], relevant: Sequence[Relevance], k: int
) -> float:
    """Mean average precision at ``k`` (MAP@k).

    ``AP@k = Σ_{r=1..k} P@r · rel_r / min(k, |relevant|)`` where ``rel_r`` is 1 when the item at rank
    ``r`` is relevant. Dividing by ``min(k, |relevant|)`` rather than ``|relevant|`` is the common
    definition (Kaggle's ``apk``, RecBole, recommenders' ``map_at_k``): a perfect top-``k`` scores 1
    even when the user has more than ``k`` relevant items.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.

    Returns
    -------
    float
        The mean of ``AP@k`` over users with at least one relevant item (``nan`` if there is none).
    """
    return _mean(per_user_scores(recommended, relevant, k)["ap"])


#: MAP@k is the mean of the users' AP@k; the same function under its usual name.
map_at_k = average_precision_at_k


def hit_rate_at_k(recommended: Sequence[Sequence[str]], relevant: Sequence[Relevance], k: int) -> float:
    """Share of users with at least one relevant item in their top ``k``.

    Parameters
    ----------
    recommended, relevant, k
        As in :func:`precision_at_k`.

    Returns
    -------
    float
        ``mean_u 1[|top-k_u ∩ relevant_u| > 0]`` over users with at least one relevant item.
    """
    return _mean(per_user_scores(recommended, relevant, k)["hit_rate"])


def mrr(recommended: Sequence[Sequence[str]], relevant: Sequence[Relevance], k: int | None = None) -> float:
    """Mean reciprocal rank: ``mean_u 1 / rank of the first relevant item`` (0 without one).

    Parameters
    ----------
    recommended, relevant
        As in :func:`precision_at_k`.
    k : int, optional
        Only the first ``k`` ranks count (MRR@k); by default the whole lists.

    Returns
    -------
    float
        The mean over users with at least one relevant item (``nan`` if there is none).
    """
    k = _check_optional_k("mrr", k)
    if k is None:
        k = max((len(items) for items in recommended), default=1) or 1
    return _mean(per_user_scores(recommended, relevant, k)["rr"])


def catalog_coverage(
    recommended: Sequence[Sequence[str]], catalog_size: int, *, k: int | None = None
) -> float:
    """Share of the catalog that appears in at least one list: ``|∪_u top-k_u| / catalog_size``.

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list per user.
    catalog_size : int
        Number of items that could have been recommended, >= 1.
    k : int, optional
        Only the first ``k`` items of each list count; by default all of them.

    Returns
    -------
    float
        Coverage in ``[0, 1]`` when every recommended item belongs to the catalog (items outside it
        are counted too, so the caller should pass the size of the catalog the model draws from).
    """
    check_param(
        "catalog_coverage",
        "catalog_size",
        catalog_size,
        isinstance(catalog_size, int) and catalog_size >= 1,
        "an int >= 1",
    )
    k = _check_optional_k("catalog_coverage", k)
    shown = {item for items in recommended for item in _truncate(items, k)}
    return len(shown) / catalog_size


def novelty(
    recommended: Sequence[Sequence[str]], popularity: Mapping[str, float], *, k: int | None = None
) -> float:
    """Mean self-information of the recommended items: ``-log2 p(i)``, ``p(i) = c(i) / Σ_j c(j)``.

    ``c(i)`` is the item's popularity count (interactions in the training data). Rare items carry
    more information, so a higher novelty means less obvious recommendations; a list of items drawn
    from a uniformly popular catalog of ``n`` items scores ``log2(n)``. An item with no (or a zero)
    count is given ``c(i) = 1``, the least popularity that can be observed, so its information stays
    finite. The score of a user is the mean over the list; the result is the mean over users with a
    non-empty list.

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list per user.
    popularity : mapping of str to float
        ``{item id: count}``, counts >= 0 with a positive sum.
    k : int, optional
        Only the first ``k`` items of each list count; by default all of them.

    Returns
    -------
    float
        Mean novelty in bits (``nan`` when every list is empty).
    """
    k = _check_optional_k("novelty", k)
    total = float(sum(popularity.values()))
    check_param(
        "novelty", "popularity", "<counts>", total > 0, "a mapping of item counts with a positive sum"
    )
    per_user = []
    for items in recommended:
        top = _truncate(items, k)
        if len(top):
            counts = np.array([max(float(popularity.get(i, 0.0)), 1.0) for i in top])
            per_user.append(float(np.mean(-np.log2(counts / total))))
    return float(np.mean(per_user)) if per_user else math.nan


def _list_distance(items: Sequence[str], features: Any) -> float | None:
    """Mean pairwise distance of one list, or ``None`` when fewer than two items are known."""
    if callable(features):
        n = len(items)
        if n < 2:
            return None
        dists = [1.0 - float(features(items[a], items[b])) for a in range(n) for b in range(a + 1, n)]
        return float(np.mean(dists))
    known = [i for i in items if i in features]
    n = len(known)
    if n < 2:
        return None
    n_pairs = n * (n - 1) / 2
    if isinstance(features[known[0]], str):
        same = sum(c * (c - 1) / 2 for c in Counter(str(features[i]) for i in known).values())
        return 1.0 - same / n_pairs
    vectors = np.asarray([np.asarray(features[i], dtype=np.float64) for i in known])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    similarity = unit @ unit.T
    # mean over the pairs a < b: the off-diagonal sum counts each pair twice
    return 1.0 - float(similarity.sum() - np.trace(similarity)) / (2 * n_pairs)


def intra_list_diversity(
    recommended: Sequence[Sequence[str]],
    item_features: Mapping[str, str] | Mapping[str, npt.ArrayLike] | Callable[[str, str], float],
    *,
    k: int | None = None,
) -> float:
    """Mean pairwise dissimilarity within each list: ``ILD = mean_{a<b} (1 - sim(i_a, i_b))``.

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list per user.
    item_features : mapping or callable
        How alike two items are:

        * ``{item: category}`` (the default use): ``sim = 1`` for the same category, else 0, so ILD
          is the share of pairs from different categories;
        * ``{item: vector}``: cosine similarity of the vectors;
        * ``sim(a, b) -> float``: any similarity in ``[0, 1]``.

        With a mapping, items missing from it are left out of their list.
    k : int, optional
        Only the first ``k`` items of each list count; by default all of them.

    Returns
    -------
    float
        The mean over users whose list has at least two (known) items; ``nan`` if there is none.
    """
    k = _check_optional_k("intra_list_diversity", k)
    check_param(
        "intra_list_diversity",
        "item_features",
        type(item_features).__name__,
        callable(item_features) or isinstance(item_features, Mapping),
        "a mapping item -> category, a mapping item -> vector or a similarity callable",
    )
    scores = [_list_distance(_truncate(items, k), item_features) for items in recommended]
    kept = [s for s in scores if s is not None]
    return float(np.mean(kept)) if kept else math.nan


def exposure_by_group(
    recommended: Sequence[Sequence[str]],
    relevant: Sequence[Relevance],
    groups: Sequence[str],
    *,
    k: int = 10,
    metric: UserMetric = "ndcg",
) -> dict[str, float]:
    """Mean of a per-user accuracy metric within each user group: how well each group is served.

    ``value(G) = mean_{u ∈ G} metric_u@k``, e.g. nDCG@10 per province or per gender. Users with no
    relevant item are skipped, as in the scalar metrics; a group left without users is absent.
    :func:`max_min_ratio` turns the result into one disparity figure.

    Parameters
    ----------
    recommended, relevant
        As in :func:`precision_at_k`.
    groups : sequence of str
        The group of each user, same order.
    k : int
        Cut-off, >= 1.
    metric : {"ndcg", "hit_rate", "precision", "recall", "ap", "rr"}
        Which per-user metric of :func:`per_user_scores` to average.

    Returns
    -------
    dict of str to float
        ``{group: mean metric}``, groups in sorted order.
    """
    _check_same_length("exposure_by_group", "groups", groups, recommended)
    check_param(
        "exposure_by_group",
        "metric",
        metric,
        metric in ("precision", "recall", "ndcg", "ap", "hit_rate", "rr"),
        "one of 'precision', 'recall', 'ndcg', 'ap', 'hit_rate', 'rr'",
    )
    values = per_user_scores(recommended, relevant, k)[metric]
    sums: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for group, value in zip(groups, values, strict=True):
        if not math.isnan(value):
            sums[str(group)] += float(value)
            counts[str(group)] += 1
    return {g: sums[g] / counts[g] for g in sorted(counts)}


def max_min_ratio(values: Mapping[str, float]) -> float | None:
    """Disparity of a per-group figure: ``max(values) / min(values)`` (1 means parity).

    Parameters
    ----------
    values : mapping of str to float
        ``{group: value}``, values >= 0 (``nan`` values are ignored).

    Returns
    -------
    float or None
        The ratio; 1.0 when every value is 0; ``None`` when fewer than two groups have a value or the
        smallest is 0 while another is positive (the ratio is unbounded).
    """
    kept = [float(v) for v in values.values() if not math.isnan(float(v))]
    if len(kept) < 2:
        return None
    low, high = min(kept), max(kept)
    if high == 0:
        return 1.0
    return None if low <= 0 else high / low


def item_exposure_share(
    recommended: Sequence[Sequence[str]],
    item_group: Mapping[str, str],
    *,
    k: int | None = None,
    unknown: str = "unknown",
) -> dict[str, float]:
    """Position-discounted share of the attention each item group receives.

    An item shown at rank ``r`` (1-based) receives exposure ``1 / log2(r + 1)`` (the nDCG discount:
    the top slot counts 1, the second 0.63, the tenth 0.29). A group's share is its items' exposure
    summed over all lists divided by the total:
    ``share(G) = Σ_u Σ_{r: group(i_{u,r}) = G} 1/log2(r+1) / Σ_u Σ_r 1/log2(r+1)``.
    Compare it with the group's share of the catalog to answer "do small farms get shown?".

    Parameters
    ----------
    recommended : sequence of sequence of str
        One ranked list per user.
    item_group : mapping of str to str
        ``{item id: group}``, e.g. ``{"sku-1": "small"}``.
    k : int, optional
        Only the first ``k`` items of each list count; by default all of them.
    unknown : str
        The group of items missing from ``item_group`` (present in the result only when such
        items were shown).

    Returns
    -------
    dict of str to float
        ``{group: share}``, shares summing to 1, groups in sorted order (empty when no list has an
        item). Groups never shown are absent.
    """
    k = _check_optional_k("item_exposure_share", k)
    exposure: dict[str, float] = defaultdict(float)
    for items in recommended:
        top = _truncate(items, k)
        if not len(top):
            continue
        discount = 1.0 / np.log2(np.arange(2, len(top) + 2, dtype=np.float64))
        for item, weight in zip(top, discount, strict=True):
            exposure[str(item_group.get(item, unknown))] += float(weight)
    total = sum(exposure.values())
    return {g: exposure[g] / total for g in sorted(exposure)} if total > 0 else {}
