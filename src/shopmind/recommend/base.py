"""Shared shapes of the recommenders: the interaction matrix and the candidate-source contract.

Every candidate source follows the estimator contract of DESIGN.md: ``__init__`` stores parameters,
``fit(...) -> self``, learned state ends in ``_``, query methods raise ``NotFittedError`` before
``fit`` and speak the shop's own ids (never row numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
import scipy.sparse as sp

from shopmind.results import Scored

#: What an interaction is worth, by event type (purchase > add to cart > click > view).
#: ``rate`` events use their rating as the weight instead.
EVENT_WEIGHTS: dict[str, float] = {
    "purchase": 5.0,
    "add_to_cart": 3.0,
    "favorite": 2.5,
    "share": 2.0,
    "click": 1.0,
    "view": 0.5,
}


@dataclass(frozen=True)
class InteractionMatrix:
    """Customers × products weights (CSR, float32) with the shop's ids on both axes."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray  # object array of str, row order
    item_ids: np.ndarray  # object array of str, column order
    user_index: Mapping[str, int]
    item_index: Mapping[str, int]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.user_ids), len(self.item_ids))

    def user_row(self, user_id: str) -> sp.csr_matrix | None:
        i = self.user_index.get(user_id)
        return None if i is None else self.matrix[i]

    def history_row(self, history: Mapping[str, float]) -> sp.csr_matrix:
        """A 1 × items row from {item id: weight} (unknown items are ignored)."""
        cols = [self.item_index[i] for i in history if i in self.item_index]
        vals = [float(history[i]) for i in history if i in self.item_index]
        return sp.csr_matrix(
            (np.asarray(vals, np.float32), ([0] * len(cols), cols)), shape=(1, len(self.item_ids))
        )


class CandidateSource(Protocol):
    """A model that proposes and scores products for a customer or an anonymous history."""

    name: str

    def fit(self, interactions: InteractionMatrix) -> Self: ...

    def recommend(
        self,
        user_id: str | None,
        n: int = 10,
        *,
        history: Mapping[str, float] | None = None,
        exclude: set[str] | None = None,
    ) -> list[Scored]:
        """Top ``n`` products for a known customer, or for ``history`` ({sku: weight}) when the
        customer is unknown or anonymous; ``exclude`` removes products from the answer."""
        ...

    def score(
        self, user_id: str | None, item_ids: Sequence[str], *, history: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """A score per product in ``item_ids`` (0 where the source knows nothing), same order."""
        ...
