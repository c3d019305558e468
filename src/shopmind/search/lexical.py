"""BM25F over the analyzer's terms, in sparse matrices, with incremental updates.

Why by hand: the Python BM25 libraries (bm25s, rank_bm25) score one flat token list per document
and rebuild on every change; shopmind needs per-field boosts (a title match counts more than one in
the description), the analyzer's term kinds with their own weights, and adding, changing and
removing single products while serving. The scoring itself is a sparse column slice and one
matrix-vector product (scipy), so there is little code.

Layout, as in Lucene: a large *main* segment and a small *delta* segment that takes changes;
a changed or removed product is tombstoned where it was. Term statistics (document frequency,
the number of documents) count both segments; field length norms use the main segment's averages
until the next merge, which happens when the delta grows past a tenth of the main segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from shopmind.errors import check_param
from shopmind.search.text import Analyzer, QueryTerm

__all__ = ["FIELD_BOOST", "LexicalIndex", "LexicalMatches"]

# How much a match in each field counts (BM25F field weights). Titles say what a product is;
# a brand, category or place name is nearly as telling; descriptions mention many things.
FIELD_BOOST: dict[str, float] = {
    "title": 3.0,
    "title_en": 3.0,
    "brand": 2.0,
    "category": 2.0,
    "origin": 1.5,
    "attributes": 1.0,
    "description": 1.0,
    "description_en": 1.0,
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LexicalMatches:
    """Documents that matched a query: their ``keys``, ``scores`` (BM25F) and ``concepts``
    (documents x query words: whether the document matched that word)."""

    keys: npt.NDArray[Any]
    scores: FloatArray
    concepts: npt.NDArray[np.bool_]


class LexicalIndex:
    """BM25F index of product fields.

    Parameters
    ----------
    analyzer : Analyzer
        Turns field text into terms.
    k1, b : float
        BM25 saturation and length normalisation (Robertson's defaults).
    field_boost : mapping, optional
        Weight of each field; defaults to :data:`FIELD_BOOST`. Unknown fields get 1.
    """

    def __init__(
        self,
        analyzer: Analyzer,
        k1: float = 1.2,
        b: float = 0.75,
        field_boost: Mapping[str, float] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.k1 = k1
        self.b = b
        self.field_boost = dict(FIELD_BOOST if field_boost is None else field_boost)

    # ------------------------------------------------------------------------------------------
    def fit(self, keys: Sequence[Any], docs: Sequence[Mapping[str, str]]) -> LexicalIndex:
        """Index *docs* (field -> text), one per key in *keys*."""
        owner = "LexicalIndex.fit"
        check_param(owner, "keys", len(keys), len(keys) == len(docs), f"one key per document ({len(docs)})")
        check_param(owner, "keys", "duplicates", len(set(keys)) == len(keys), "unique keys")
        check_param(owner, "k1", self.k1, self.k1 > 0, "> 0")
        check_param(owner, "b", self.b, 0 <= self.b <= 1, "between 0 and 1")
        self.vocab_: dict[str, int] = {}
        self.terms_: list[str] = []
        self._cache: dict[str, list[int]] = {}
        counts, lengths = self._count(docs)
        self.avg_len_ = {f: float(np.mean(v)) if len(v) else 1.0 for f, v in lengths.items()}
        self.avg_len_ = {f: max(v, 1.0) for f, v in self.avg_len_.items()}
        main = self._weights(counts, lengths, len(docs))
        self._set_main(list(keys), main)
        self._cache = {}  # only worth keeping while a whole catalog is analysed (380 MB at 100k)
        return self

    def _set_main(self, keys: list[Any], main: sp.csr_matrix) -> None:
        self.keys_ = keys
        self._row_keys = np.asarray(keys)
        self._main_csr = main
        self._main_csc = main.tocsc()
        self._df_main = np.diff(self._main_csc.indptr).astype(np.int64)
        self._alive = np.ones(len(keys), dtype=bool)
        self._row_of = {k: i for i, k in enumerate(keys)}
        self._delta_keys: list[Any] = []
        self._delta_alive = np.zeros(0, dtype=bool)
        self._delta_rows: list[sp.csr_matrix] = []
        self._delta_csc: sp.csc_matrix | None = None

    def _count(
        self, docs: Sequence[Mapping[str, str]]
    ) -> tuple[dict[str, sp.csr_matrix], dict[str, FloatArray]]:
        """Per field, a (docs x vocabulary) term-count matrix and the field lengths."""
        rows: dict[str, list[int]] = {}
        cols: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            for field, text in doc.items():
                if not text:
                    continue
                ids = self._term_ids(text)
                rows.setdefault(field, []).extend([i] * len(ids))
                cols.setdefault(field, []).extend(ids)
        counts: dict[str, sp.csr_matrix] = {}
        lengths: dict[str, FloatArray] = {}
        n, v = len(docs), len(self.terms_)
        for field in rows:
            r = np.asarray(rows[field], dtype=np.int64)
            c = np.asarray(cols[field], dtype=np.int64)
            m = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(n, v))
            m.sum_duplicates()
            counts[field] = m
            lengths[field] = np.bincount(r, minlength=n).astype(np.float64)
        return counts, lengths

    def _term_ids(self, text: str) -> list[int]:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        ids = []
        for term in self.analyzer.document_terms(text):
            tid = self.vocab_.get(term)
            if tid is None:
                tid = self.vocab_[term] = len(self.terms_)
                self.terms_.append(term)
            ids.append(tid)
        if len(self._cache) < 200_000:  # brands, categories and places repeat across products
            self._cache[text] = ids
        return ids

    def _weights(
        self, counts: dict[str, sp.csr_matrix], lengths: dict[str, FloatArray], n: int
    ) -> sp.csr_matrix:
        """BM25F: boost- and length-normalised term frequency summed over fields, saturated."""
        total = sp.csr_matrix((n, len(self.terms_)), dtype=np.float64)
        for field, m in counts.items():
            avg = self.avg_len_.get(field, max(float(np.mean(lengths[field])), 1.0))
            norm = 1 - self.b + self.b * lengths[field] / avg
            scale = self.field_boost.get(field, 1.0) / np.where(norm > 0, norm, 1.0)
            m = m.multiply(scale[:, None]).tocsr()
            m.resize((n, len(self.terms_)))
            total = total + m
        total = sp.csr_matrix(total)
        # float32 halves the postings' memory; scores are summed in float64 at query time
        total.data = (total.data * (self.k1 + 1) / (self.k1 + total.data)).astype(np.float32)
        return total

    # ------------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of live documents."""
        return int(self._alive.sum()) + int(self._delta_alive.sum())

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    def df(self, term: str) -> int:
        """Number of documents (both segments, tombstones included until merge) with *term*."""
        tid = self.vocab_.get(term)
        if tid is None:
            return 0
        d = int(self._df_main[tid]) if tid < len(self._df_main) else 0
        if self._delta_csc is not None and tid < self._delta_csc.shape[1]:
            d += int(self._delta_csc.indptr[tid + 1] - self._delta_csc.indptr[tid])
        return d

    def n_docs(self) -> int:
        return len(self.keys_) + len(self._delta_keys)

    def upsert(self, keys: Sequence[Any], docs: Sequence[Mapping[str, str]]) -> None:
        """Add or replace documents; they go to the delta segment until the next merge."""
        check_param("LexicalIndex.upsert", "keys", len(keys), len(keys) == len(docs), "one key per document")
        self.remove(keys)
        counts, lengths = self._count(docs)
        self._cache = {}
        rows = self._weights(counts, lengths, len(docs))
        base = len(self.keys_) + len(self._delta_keys)
        for i, key in enumerate(keys):
            self._row_of[key] = base + i
        self._delta_keys.extend(keys)
        self._row_keys = np.concatenate([self._row_keys, np.asarray(list(keys), dtype=self._row_keys.dtype)])
        self._delta_alive = np.concatenate([self._delta_alive, np.ones(len(keys), dtype=bool)])
        self._delta_rows.append(rows)
        if len(self._delta_keys) > max(1_000, len(self.keys_) // 10):
            self.merge()
        else:
            self._delta_csc = self._stack(self._delta_rows).tocsc()

    def remove(self, keys: Sequence[Any]) -> int:
        """Tombstone *keys*; returns how many were present."""
        n = len(self.keys_)
        removed = 0
        for key in keys:
            row = self._row_of.pop(key, None)
            if row is None:
                continue
            removed += 1
            if row < n:
                self._alive[row] = False
            else:
                self._delta_alive[row - n] = False
        return removed

    def _stack(self, parts: Sequence[sp.csr_matrix]) -> sp.csr_matrix:
        v = len(self.terms_)
        padded = []
        for p in parts:
            p = p.copy()
            p.resize((p.shape[0], v))
            padded.append(p)
        return sp.csr_matrix(sp.vstack(padded, format="csr"))

    def merge(self) -> None:
        """Fold the delta segment and tombstones into a new main segment."""
        main_rows = np.flatnonzero(self._alive)
        keys = [self.keys_[i] for i in main_rows]
        parts = [self._main_csr[main_rows]]
        if self._delta_rows:
            live = np.flatnonzero(self._delta_alive)
            parts.append(self._stack(self._delta_rows)[live])
            keys += [self._delta_keys[i] for i in live]
        self._set_main(keys, self._stack(parts))

    # ------------------------------------------------------------------------------------------
    def idf(self, df: npt.NDArray[np.int64]) -> FloatArray:
        n = self.n_docs()
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def matched_terms(self, key: Any, terms: Sequence[QueryTerm]) -> list[str]:
        """Which of *terms* the document *key* contains (for explanations)."""
        row = self._row_of.get(key)
        if row is None:
            return []
        n = len(self.keys_)
        if row < n:
            present = set(
                self._main_csr.indices[self._main_csr.indptr[row] : self._main_csr.indptr[row + 1]].tolist()
            )
        else:
            delta = self._stack(self._delta_rows)
            i = row - n
            present = set(delta.indices[delta.indptr[i] : delta.indptr[i + 1]].tolist())
        out = []
        for t in terms:
            tid = self.vocab_.get(t.term)
            if tid is not None and tid in present and t.term not in out:
                out.append(t.term)
        return out

    def match(self, terms: Sequence[QueryTerm], n_concepts: int) -> LexicalMatches:
        """Score every document matching any of *terms*."""
        cols: list[int] = []
        weights: list[float] = []
        concept_of: list[int] = []
        for t in terms:
            tid = self.vocab_.get(t.term)
            if tid is None:
                continue
            cols.append(tid)
            weights.append(t.weight)
            concept_of.append(t.concept)
        empty = LexicalMatches(self._row_keys[:0], np.empty(0), np.zeros((0, n_concepts), dtype=bool))
        if not cols:
            return empty
        col_arr = np.asarray(cols, dtype=np.int64)
        df = np.array([self.df(self.terms_[c]) for c in cols], dtype=np.int64)
        w = np.asarray(weights) * self.idf(df)
        indicator = sp.csr_matrix(
            (np.ones(len(cols)), (np.arange(len(cols)), np.asarray(concept_of))),
            shape=(len(cols), n_concepts),
        )
        found_rows, found_scores, found_concepts = [], [], []
        base = 0
        for seg in (self._main_csc, self._delta_csc):
            if seg is None:
                continue
            in_seg = col_arr < seg.shape[1]
            sub = seg[:, np.where(in_seg, col_arr, 0)].tocsr()
            if not in_seg.all():  # terms new since this segment was built match nothing in it
                sub = sub @ sp.diags(in_seg.astype(np.float64))
                sub = sp.csr_matrix(sub)
                sub.eliminate_zeros()
            rows = np.flatnonzero(np.diff(sub.indptr))
            if len(rows):
                sub_rows = sub[rows]
                scores = sub_rows @ w
                hits = (sub_rows != 0).astype(np.float64) @ indicator
                found_rows.append(rows + base)
                found_scores.append(np.asarray(scores).ravel())
                found_concepts.append(np.asarray(hits.todense()) > 0)
            base += seg.shape[0]
        if not found_rows:
            return empty
        all_rows = np.concatenate(found_rows)
        alive = np.concatenate([self._alive, self._delta_alive])
        live = alive[all_rows]
        return LexicalMatches(
            self._row_keys[all_rows[live]],
            np.concatenate(found_scores)[live],
            np.concatenate(found_concepts)[live],
        )
