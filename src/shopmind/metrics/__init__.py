"""Metrics: pure functions over predictions and ground truth.

``shopmind.metrics.ranking`` scores recommendation lists: accuracy (precision, recall, nDCG, MAP,
hit rate, MRR), beyond-accuracy (catalog coverage, novelty, intra-list diversity) and fairness
(metrics per user group, position-discounted exposure per item group).
"""

from __future__ import annotations

from shopmind.metrics.ranking import (
    Relevance,
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
