"""Offline evaluation of recommenders: per-user splits and one harness that returns a report.

Pure, as every model module: interaction tables in, a JSON-serialisable report out. The caller fits
its model on ``train`` and hands :func:`evaluate` a ``recommend(user_ids, n)`` callable; the harness
asks it for the test users in batches and scores the answers against ``test``. The callable only
ever receives user ids that appear in ``train`` and a list length, so no test data can reach it.

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({
...     "customer_id": ["u1", "u1", "u1", "u2", "u2"],
...     "sku": ["a", "b", "c", "a", "c"],
...     "ts": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-01", "2026-01-05"]),
... })
>>> train, test = temporal_split(log)
>>> sorted(test["sku"])
['c', 'c']
>>> report = evaluate(lambda users, n: [["c", "b", "a"] for _ in users], train, test, k=2)
>>> report["metrics"]["recall@2"], report["n_users"]
(1.0, 2)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from shopmind.errors import ValidationError, check_param
from shopmind.metrics.ranking import (
    Relevance,
    catalog_coverage,
    intra_list_diversity,
    item_exposure_share,
    max_min_ratio,
    novelty,
    per_user_scores,
)

__all__ = ["Recommend", "evaluate", "random_split", "temporal_split"]

#: ``recommend(user_ids, n) -> one ranked list of at most n item ids per user``, same order.
Recommend = Callable[[Sequence[str], int], Sequence[Sequence[str]]]

_DIGITS = 6


def _check_columns(owner: str, frame: pd.DataFrame, frame_name: str, **columns: str | None) -> None:
    for param, column in columns.items():
        if column is not None:
            check_param(
                owner,
                param,
                column,
                column in frame.columns,
                f"a column of {frame_name} {list(frame.columns)}",
            )


def _check_no_nulls(owner: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        missing = int(frame[column].isna().sum())
        if missing:
            raise ValidationError(
                f"{owner}: column {column!r} has {missing} empty value(s). Drop or fill those rows first."
            )


def _check_min_interactions(owner: str, value: Any) -> int:
    check_param(
        owner,
        "min_user_interactions",
        value,
        isinstance(value, int) and not isinstance(value, bool) and value >= 2,
        "an int >= 2 (a user needs a training interaction besides the held-out one)",
    )
    return int(value)


def _holdout_mask(
    users: pd.Series,
    sort_key: np.ndarray,
    n_test_of: Callable[[np.ndarray], np.ndarray],
    min_user_interactions: int,
) -> np.ndarray:
    """True for the rows that go to test: each user's last ``n_test`` rows by ``sort_key``.

    Ties in ``sort_key`` are broken by row order (a later row counts as later).
    """
    codes = pd.factorize(users)[0]
    position = np.arange(len(users))
    order = np.lexsort((position, sort_key, codes))
    sorted_codes = codes[order]
    sizes = np.bincount(codes)
    # rank from the end within each user, in sorted order: 0 = the user's last row
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    rank_in_user = np.arange(len(order)) - starts[sorted_codes]
    from_end = sizes[sorted_codes] - 1 - rank_in_user
    n_test = n_test_of(sizes)[sorted_codes]
    eligible = sizes[sorted_codes] >= min_user_interactions
    mask = np.zeros(len(users), dtype=bool)
    mask[order] = eligible & (from_end < n_test)
    return mask


def _n_held_out(holdout: Literal["last"] | float) -> Callable[[np.ndarray], np.ndarray]:
    if holdout == "last":
        return np.ones_like
    fraction = float(holdout)

    def n_test(sizes: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(sizes * fraction), 1, np.maximum(sizes - 1, 1)).astype(np.int64)

    return n_test


def temporal_split(
    interactions: pd.DataFrame,
    *,
    user_col: str = "customer_id",
    item_col: str = "sku",
    time_col: str = "ts",
    holdout: Literal["last"] | float = "last",
    min_user_interactions: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave-last-out: each user's latest interaction(s) go to test, the rest to train.

    Parameters
    ----------
    interactions : DataFrame
        One row per interaction with at least ``user_col``, ``item_col`` and ``time_col``.
    user_col, item_col, time_col : str
        Column names. ``time_col`` may hold datetimes or numbers; ties are broken by row order
        (of two rows with the same time, the later row is the later interaction).
    holdout : "last" or float
        ``"last"`` holds out each user's last interaction; a fraction ``f`` in ``(0, 1)`` holds out
        each user's latest ``round(f · n_u)`` interactions, at least 1 and at most ``n_u - 1``.
    min_user_interactions : int
        Users with fewer interactions (>= 2) stay entirely in train, so every test user also has
        training history: no user is ever only in test.

    Returns
    -------
    train, test : DataFrame
        Row subsets of ``interactions`` in their original order and with their original index.
        ``test.attrs["split"]`` describes the split (:func:`evaluate` reports it).

    Raises
    ------
    InvalidParameterError
        For a missing column or a parameter out of range.
    ValidationError
        When the user, item or time column has empty values.
    """
    owner = "temporal_split"
    _check_columns(
        owner, interactions, "interactions", user_col=user_col, item_col=item_col, time_col=time_col
    )
    check_param(
        owner,
        "holdout",
        holdout,
        holdout == "last"
        or (isinstance(holdout, float | int) and not isinstance(holdout, bool) and 0 < holdout < 1),
        "'last' or a fraction in (0, 1)",
    )
    min_n = _check_min_interactions(owner, min_user_interactions)
    _check_no_nulls(owner, interactions, [user_col, item_col, time_col])
    times = interactions[time_col]
    if times.dtype == object or pd.api.types.is_string_dtype(times):
        times = pd.to_datetime(times, utc=True)
    sort_key = pd.factorize(times, sort=True)[0]
    mask = _holdout_mask(interactions[user_col], sort_key, _n_held_out(holdout), min_n)
    train, test = interactions[~mask], interactions[mask]
    description = {
        "method": "temporal",
        "holdout": holdout,
        "min_user_interactions": min_n,
        "time_col": time_col,
    }
    train.attrs = {**train.attrs, "split": dict(description)}
    test.attrs = {**test.attrs, "split": description}
    return train, test


def random_split(
    interactions: pd.DataFrame,
    *,
    user_col: str = "customer_id",
    item_col: str = "sku",
    test_fraction: float = 0.2,
    seed: int | None = 0,
    min_user_interactions: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split: ``round(test_fraction · n_u)`` of each user's rows go to test.

    Parameters
    ----------
    interactions : DataFrame
        One row per interaction with at least ``user_col`` and ``item_col``.
    user_col, item_col : str
        Column names.
    test_fraction : float
        In ``(0, 1)``. Each eligible user holds out at least 1 and at most ``n_u - 1`` rows.
    seed : int or None
        Seed of the random generator; the same seed on the same table gives the same split.
    min_user_interactions : int
        Users with fewer interactions (>= 2) stay entirely in train, so no user is ever only in test.

    Returns
    -------
    train, test : DataFrame
        Row subsets of ``interactions`` in their original order; ``test.attrs["split"]`` describes
        the split.
    """
    owner = "random_split"
    _check_columns(owner, interactions, "interactions", user_col=user_col, item_col=item_col)
    check_param(
        owner,
        "test_fraction",
        test_fraction,
        isinstance(test_fraction, float | int)
        and not isinstance(test_fraction, bool)
        and 0 < test_fraction < 1,
        "a fraction in (0, 1)",
    )
    check_param(
        owner,
        "seed",
        seed,
        seed is None or (isinstance(seed, int) and not isinstance(seed, bool)),
        "an int or None",
    )
    min_n = _check_min_interactions(owner, min_user_interactions)
    _check_no_nulls(owner, interactions, [user_col, item_col])
    sort_key = np.random.default_rng(seed).random(len(interactions))
    mask = _holdout_mask(interactions[user_col], sort_key, _n_held_out(float(test_fraction)), min_n)
    train, test = interactions[~mask], interactions[mask]
    description = {
        "method": "random",
        "test_fraction": test_fraction,
        "seed": seed,
        "min_user_interactions": min_n,
    }
    train.attrs = {**train.attrs, "split": dict(description)}
    test.attrs = {**test.attrs, "split": description}
    return train, test


def _strings(column: pd.Series) -> list[str]:
    """A column as a list of Python strings (ids are compared as text)."""
    return [str(v) for v in column.to_numpy(dtype=object).tolist()]


def _round(value: float | None) -> float | None:
    """A JSON-safe float: rounded, with ``nan`` and infinities as ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), _DIGITS)


def _nanmean(values: np.ndarray) -> float | None:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _round(value)
    return value


def _ask(
    recommend: Recommend,
    users: list[str],
    history: Mapping[str, set[str]],
    k: int,
    exclude_train: bool,
    batch_size: int,
) -> list[list[str]]:
    """Top-``k`` lists of ``users`` (same order): asked in batches, deduplicated, history removed.

    With ``exclude_train`` a batch asks for ``k + the longest history in the batch`` items, so that
    ``k`` remain after removing what the user already has; users are batched by history length to
    keep that number small.
    """
    sizes = np.array([len(history[u]) for u in users]) if exclude_train else np.zeros(len(users), int)
    order = np.argsort(sizes, kind="stable")
    lists: list[list[str]] = [[] for _ in users]
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = [users[i] for i in rows]
        n = k + int(sizes[rows].max())
        answer = recommend(batch, n)
        check_param(
            "evaluate",
            "recommend",
            f"<{len(answer)} lists for {len(batch)} users>",
            len(answer) == len(batch),
            "a callable returning one list per user id it is given",
        )
        for i, items in zip(rows, answer, strict=True):
            seen = set(history[users[i]]) if exclude_train else set()
            ranked: list[str] = []
            for item in map(str, items):
                if item not in seen:
                    seen.add(item)
                    ranked.append(item)
                    if len(ranked) == k:
                        break
            lists[i] = ranked
    return lists


def evaluate(
    recommend: Recommend,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    k: int = 10,
    catalog: Sequence[str] | None = None,
    item_category: Mapping[str, str] | None = None,
    user_groups: Mapping[str, Mapping[str, str]] | None = None,
    item_groups: Mapping[str, Mapping[str, str]] | None = None,
    exclude_train: bool = True,
    user_col: str = "customer_id",
    item_col: str = "sku",
    relevance_col: str | None = None,
    batch_size: int = 1000,
    split: str | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score a recommender on held-out interactions: accuracy, beyond-accuracy and fairness.

    The evaluated users are the test users who also appear in ``train`` (others are cold-start users
    the callable cannot know; they are counted, not scored) and who keep at least one relevant item.
    Ids are compared as strings.

    Parameters
    ----------
    recommend : callable
        ``recommend(user_ids, n) -> list of ranked item-id lists``, one per user id, same order,
        built from ``train`` only. It is called with batches of user ids that all appear in
        ``train``; it may return fewer than ``n`` items.
    train, test : DataFrame
        Interactions, e.g. from :func:`temporal_split` or :func:`random_split`.
    k : int
        Cut-off of every metric, >= 1.
    catalog : sequence of str, optional
        The items the model may recommend; by default the items of ``train``. Its size is
        ``n_items`` and the denominator of catalog coverage and of the catalog shares.
    item_category : mapping of str to str, optional
        ``{sku: category}``; enables intra-list diversity (share of pairs from different
        categories, see :func:`shopmind.metrics.intra_list_diversity`).
    user_groups : mapping of str to mapping of str to str, optional
        ``{attribute: {user id: group}}``, e.g. ``{"region": {"u1": "浙江"}}``. For each attribute the
        report holds nDCG@k and hit rate@k per group and their max/min ratio as a disparity figure
        (1 is parity; ``None`` when unbounded or with fewer than two groups). Users missing from an
        attribute's mapping are left out of its table and counted as ``n_users_unassigned``.
    item_groups : mapping of str to mapping of str to str, optional
        ``{attribute: {sku: group}}``, e.g. ``{"producer_size": {"sku-1": "small"}}``. For each group
        the report holds its position-discounted exposure share in the top-``k`` lists (see
        :func:`shopmind.metrics.item_exposure_share`), its share of the catalog and their ratio
        (> 1: shown more than its catalog share). Items without a group count as ``"unknown"``.
    exclude_train : bool
        Remove each user's training items from the answers (asking for more so ``k`` remain) and
        from the relevant items (a re-purchase of a training item cannot be recommended then).
    user_col, item_col : str
        Column names in ``train`` and ``test``.
    relevance_col : str, optional
        A numeric column of ``test`` holding relevance grades (e.g. ``EVENT_WEIGHTS`` of the event
        type) for graded nDCG; a user-item pair takes its largest grade. Binary relevance without it.
    batch_size : int
        How many user ids each call of ``recommend`` receives, >= 1.
    split : str or mapping, optional
        Description of the split for the report; by default ``test.attrs["split"]`` as set by the
        split functions.

    Returns
    -------
    dict
        JSON-serialisable (floats rounded to 6 decimals, undefined values ``None``)::

            {"k", "n_users", "n_items", "n_users_test", "n_users_cold", "n_users_no_relevant",
             "n_train_interactions", "n_test_interactions", "exclude_train", "split",
             "metrics": {"precision@k", "recall@k", "ndcg@k", "map@k", "hit_rate@k", "mrr@k",
                         "catalog_coverage", "novelty", "intra_list_diversity"},
             "user_groups": {attribute: {"groups": {group: {"n_users", "ndcg@k", "hit_rate@k"}},
                                         "disparity": {"ndcg@k", "hit_rate@k"},
                                         "n_users_unassigned"}},
             "item_groups": {attribute: {group: {"exposure_share", "catalog_share", "ratio"}}}}

        ``map@k`` divides each user's AP by ``min(k, |relevant|)``; ``novelty`` is in bits, from the
        training popularity of each item.
    """
    owner = "evaluate"
    check_param(owner, "recommend", type(recommend).__name__, callable(recommend), "a callable")
    check_param(owner, "k", k, isinstance(k, int) and not isinstance(k, bool) and k >= 1, "an int >= 1")
    check_param(
        owner,
        "batch_size",
        batch_size,
        isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size >= 1,
        "an int >= 1",
    )
    _check_columns(owner, train, "train", user_col=user_col, item_col=item_col)
    _check_columns(owner, test, "test", user_col=user_col, item_col=item_col, relevance_col=relevance_col)

    train_items = _strings(train[item_col])
    history: dict[str, set[str]] = defaultdict(set)
    for user, item in zip(_strings(train[user_col]), train_items, strict=True):
        history[user].add(item)
    history = dict(history)
    grade_values = test[relevance_col].to_numpy(dtype=float).tolist() if relevance_col else None
    grades: dict[str, dict[str, float]] = defaultdict(dict)
    for row, (user, item) in enumerate(zip(_strings(test[user_col]), _strings(test[item_col]), strict=True)):
        grade = 1.0 if grade_values is None else grade_values[row]
        previous = grades[user].get(item)
        grades[user][item] = grade if previous is None else max(previous, grade)
    test_users = sorted(grades)
    warm_users = [u for u in test_users if u in history]
    relevant_of: dict[str, Relevance] = {}
    for user in warm_users:
        kept = {
            item: grade
            for item, grade in grades[user].items()
            if grade > 0 and not (exclude_train and item in history[user])
        }
        if kept:
            relevant_of[user] = kept if relevance_col else set(kept)
    users = [u for u in warm_users if u in relevant_of]

    items = [str(i) for i in catalog] if catalog is not None else sorted(set(train_items))
    catalog_items = list(dict.fromkeys(items))
    popularity: Counter[str] = Counter(train_items)

    lists = _ask(recommend, users, history, k, exclude_train, batch_size)
    scores = per_user_scores(lists, [relevant_of[u] for u in users], k)
    metrics: dict[str, float | None] = {
        f"precision@{k}": _nanmean(scores["precision"]),
        f"recall@{k}": _nanmean(scores["recall"]),
        f"ndcg@{k}": _nanmean(scores["ndcg"]),
        f"map@{k}": _nanmean(scores["ap"]),
        f"hit_rate@{k}": _nanmean(scores["hit_rate"]),
        f"mrr@{k}": _nanmean(scores["rr"]),
        "catalog_coverage": catalog_coverage(lists, len(catalog_items)) if catalog_items else None,
        "novelty": novelty(lists, popularity) if users and popularity else None,
        "intra_list_diversity": intra_list_diversity(lists, item_category) if item_category else None,
    }

    user_tables: dict[str, Any] = {}
    for attribute, mapping in (user_groups or {}).items():
        members: dict[str, list[int]] = {}
        for row, user in enumerate(users):
            if user in mapping:
                members.setdefault(str(mapping[user]), []).append(row)
        by_metric: dict[str, dict[str, float]] = {}
        for name, values in ((f"ndcg@{k}", scores["ndcg"]), (f"hit_rate@{k}", scores["hit_rate"])):
            means = {group: _nanmean(values[rows]) for group, rows in members.items()}
            by_metric[name] = {group: value for group, value in means.items() if value is not None}
        table = {
            group: {"n_users": len(rows)} | {name: by_metric[name].get(group) for name in by_metric}
            for group, rows in sorted(members.items())
        }
        user_tables[attribute] = {
            "groups": table,
            "disparity": {name: max_min_ratio(values) for name, values in by_metric.items()},
            "n_users_unassigned": len(users) - sum(len(rows) for rows in members.values()),
        }

    item_tables: dict[str, Any] = {}
    for attribute, mapping in (item_groups or {}).items():
        exposure = item_exposure_share(lists, mapping)
        counts = Counter(str(mapping.get(i, "unknown")) for i in catalog_items)
        catalog_share = {group: n / len(catalog_items) for group, n in counts.items()}
        item_tables[attribute] = {
            group: {
                "exposure_share": exposure.get(group, 0.0),
                "catalog_share": catalog_share.get(group, 0.0),
                "ratio": exposure.get(group, 0.0) / catalog_share[group]
                if catalog_share.get(group)
                else None,
            }
            for group in sorted(set(exposure) | set(catalog_share))
        }

    description = split if split is not None else test.attrs.get("split", "unspecified")
    report = {
        "k": k,
        "n_users": len(users),
        "n_items": len(catalog_items),
        "n_users_test": len(test_users),
        "n_users_cold": len(test_users) - len(warm_users),
        "n_users_no_relevant": len(warm_users) - len(users),
        "n_train_interactions": len(train),
        "n_test_interactions": len(test),
        "exclude_train": exclude_train,
        "split": description,
        "metrics": metrics,
        "user_groups": user_tables,
        "item_groups": item_tables,
    }
    result: dict[str, Any] = _json_safe(report)
    return result
