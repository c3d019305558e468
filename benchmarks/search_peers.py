"""BM25 peers of the search relevance benchmark: SQLite FTS5 and tantivy, as their documents say.

Both peers share one interface, ``fit(docs, fields) -> self`` and ``search(query, k) -> list of ids``:
``docs`` is a DataFrame with an ``id`` column and one text column per field in ``fields``; every field
is indexed as its own column with equal weight, and ranking is the library's BM25.

The user's query goes in as its words (split on whitespace) OR-ed together, with no query
understanding: a price or a certification in the text is just more words. Each peer offers the
options its documentation describes; ``benchmarks/search_relevance.py`` picks one per catalog on a
fixed dev split of the queries, the same way for every system:

- :class:`SqliteFts5Search` (SQLite's built-in FTS5, ``bm25()`` ranking): tokenizers ``unicode61``
  (``remove_diacritics 2``), ``porter unicode61`` (the same with Porter stemming) and ``trigram``
  (substring matching; a word shorter than three characters matches nothing, as FTS5 documents). Each
  word is quoted (a phrase of its tokens), so that no query text is taken as FTS5 syntax.
- :class:`TantivySearch` (tantivy-py 0.27): tokenizers ``default`` (split on non-alphanumeric
  characters, lowercase), ``en_stem`` (the same with English stemming) and ``ngram`` (tantivy's n-gram
  tokenizer, 2-3 characters, lowercased, registered through ``TextAnalyzerBuilder``), queries through
  ``Index.parse_query`` (disjunction by default) with syntax characters escaped, and optionally fuzzy
  terms (``fuzzy_fields``: Levenshtein distance 1 or 2, transpositions cost 1; tantivy scores a fuzzy
  match with a constant, not BM25).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd

__all__ = [
    "SQLITE_OPTIONS",
    "TANTIVY_OPTIONS",
    "SearchSystem",
    "SqliteFts5Search",
    "TantivySearch",
    "query_words",
]


class SearchSystem(Protocol):
    """What the benchmark needs of a search system."""

    name: str
    options: dict[str, Any]

    def fit(self, docs: pd.DataFrame, fields: list[str]) -> SearchSystem: ...

    def search(self, query: str, k: int) -> list[str]: ...


def query_words(query: str) -> list[str]:
    """The user's words: the query split on whitespace (nothing else is done to it)."""
    return query.split()


def _texts(docs: pd.DataFrame, field: str) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in docs[field]]


# -- SQLite FTS5 --------------------------------------------------------------------------------------------
#: FTS5 ``tokenize`` arguments tried on the dev split (https://sqlite.org/fts5.html#tokenizers).
SQLITE_OPTIONS: tuple[dict[str, Any], ...] = (
    {"tokenize": "unicode61 remove_diacritics 2"},
    {"tokenize": "porter unicode61 remove_diacritics 2"},
    {"tokenize": "trigram"},
)


class SqliteFts5Search:
    """An in-memory FTS5 table, one column per field, ranked by ``bm25()``.

    Parameters
    ----------
    tokenize : str
        The FTS5 ``tokenize`` option, e.g. ``"porter unicode61 remove_diacritics 2"`` or ``"trigram"``.
    """

    name = "sqlite-fts5"

    def __init__(self, tokenize: str = "porter unicode61 remove_diacritics 2") -> None:
        self.options: dict[str, Any] = {"tokenize": tokenize}
        self._db: sqlite3.Connection | None = None
        self._ids: list[str] = []

    def fit(self, docs: pd.DataFrame, fields: list[str]) -> SqliteFts5Search:
        columns = [f"f{i}" for i in range(len(fields))]  # field names need not be SQL identifiers
        db = sqlite3.connect(":memory:")
        tokenize = self.options["tokenize"].replace("'", "''")
        db.execute(f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(columns)}, tokenize='{tokenize}')")
        values = zip(range(len(docs)), *(_texts(docs, f) for f in fields), strict=True)
        placeholders = ", ".join("?" * (len(fields) + 1))
        db.executemany(f"INSERT INTO docs(rowid, {', '.join(columns)}) VALUES ({placeholders})", values)
        db.commit()
        self._db = db
        self._ids = [str(i) for i in docs["id"]]
        return self

    @staticmethod
    def match_expression(query: str) -> str:
        """The FTS5 query: every word as a quoted string (``"`` doubled inside), OR-ed."""
        return " OR ".join('"' + w.replace('"', '""') + '"' for w in query_words(query))

    def search(self, query: str, k: int) -> list[str]:
        if self._db is None:
            raise RuntimeError("fit() first")
        expression = self.match_expression(query)
        if not expression:
            return []
        rows = self._db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (expression, k)
        ).fetchall()
        return [self._ids[int(r[0])] for r in rows]


# -- tantivy ------------------------------------------------------------------------------------------------
#: tantivy options tried on the dev split: tokenizer, and fuzzy distance (0 = exact terms).
TANTIVY_OPTIONS: tuple[dict[str, Any], ...] = (
    {"tokenizer": "default", "fuzzy": 0},
    {"tokenizer": "default", "fuzzy": 1},
    {"tokenizer": "default", "fuzzy": 2},
    {"tokenizer": "en_stem", "fuzzy": 0},
    {"tokenizer": "en_stem", "fuzzy": 1},
    {"tokenizer": "en_stem", "fuzzy": 2},
    {"tokenizer": "ngram", "fuzzy": 0},
)

# Characters of tantivy's query grammar that a backslash turns into literal characters (checked on
# tantivy 0.27: a backslash before any other character stays in the term). A leading "+", "<" or ">"
# is an operator that cannot be escaped, so it is dropped.
_TANTIVY_SYNTAX = re.compile(r"""([\\\-(){}\[\]^":'`])""")
_TANTIVY_LEADING_OPERATORS = "+<>"
_NGRAM_TOKENIZER = "ngram23"


class TantivySearch:
    """A tantivy index in RAM, one text field per document field, BM25 ranking.

    Parameters
    ----------
    tokenizer : {"default", "en_stem", "ngram"}
        tantivy's tokenizer for every field; ``"ngram"`` is ``Tokenizer.ngram(2, 3)`` with a lowercase
        filter.
    fuzzy : int
        0 for exact terms; 1 or 2 to make every query term a fuzzy term of that Levenshtein
        distance (``parse_query(fuzzy_fields=...)``). Not offered with the n-gram tokenizer, whose
        terms are already fragments.
    """

    name = "tantivy"

    def __init__(self, tokenizer: str = "default", fuzzy: int = 0) -> None:
        if tokenizer not in ("default", "en_stem", "ngram"):
            raise ValueError(f"unknown tantivy tokenizer {tokenizer!r}")
        self.options: dict[str, Any] = {"tokenizer": tokenizer, "fuzzy": fuzzy}
        self._index: Any = None
        self._fields: list[str] = []
        self._ids: list[str] = []
        self.parse_errors = 0

    def fit(self, docs: pd.DataFrame, fields: list[str]) -> TantivySearch:
        import tantivy

        tokenizer = self.options["tokenizer"]
        tokenizer_name = _NGRAM_TOKENIZER if tokenizer == "ngram" else tokenizer
        self._fields = [f"f{i}" for i in range(len(fields))]
        builder = tantivy.SchemaBuilder()
        for name in self._fields:
            builder.add_text_field(name, stored=False, tokenizer_name=tokenizer_name)
        builder.add_integer_field("row", stored=True)
        index = tantivy.Index(builder.build())
        if tokenizer == "ngram":
            analyzer = (
                tantivy.TextAnalyzerBuilder(
                    tantivy.Tokenizer.ngram(min_gram=2, max_gram=3, prefix_only=False)
                )
                .filter(tantivy.Filter.lowercase())
                .build()
            )
            index.register_tokenizer(_NGRAM_TOKENIZER, analyzer)
        writer = index.writer(heap_size=50_000_000, num_threads=1)
        columns = [_texts(docs, f) for f in fields]
        for row in range(len(docs)):
            doc = tantivy.Document(row=row)
            for name, texts in zip(self._fields, columns, strict=True):
                doc.add_text(name, texts[row])
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._index = index
        self._ids = [str(i) for i in docs["id"]]
        return self

    @staticmethod
    def escape(query: str) -> str:
        """The user's words, lowercased (so that ``AND``, ``OR`` and ``NOT`` are words; every
        tokenizer here lowercases anyway), with tantivy's syntax characters escaped; leading ``+``,
        ``<``, ``>`` and words made of ``*`` only (the all-documents query) are dropped."""
        words = (w.lstrip(_TANTIVY_LEADING_OPERATORS) for w in query_words(query.lower()))
        return " ".join(_TANTIVY_SYNTAX.sub(r"\\\1", w) for w in words if w.strip("*"))

    def _query(self, query: str) -> Any:
        text = self.escape(query)
        fuzzy = self.options["fuzzy"]
        fuzzy_fields = (
            {name: (False, int(fuzzy), True) for name in self._fields}
            if fuzzy and self.options["tokenizer"] != "ngram"
            else None
        )
        try:
            return self._index.parse_query(text, self._fields, fuzzy_fields=fuzzy_fields)
        except ValueError:
            # never seen on the benchmark's queries; counted so that it would show
            self.parse_errors += 1
            parsed, _errors = self._index.parse_query_lenient(text, self._fields, fuzzy_fields=fuzzy_fields)
            return parsed

    def search(self, query: str, k: int) -> list[str]:
        if self._index is None:
            raise RuntimeError("fit() first")
        if not query_words(query):
            return []
        searcher = self._index.searcher()
        hits = searcher.search(self._query(query), limit=k).hits
        rows: Sequence[int] = [int(searcher.doc(address)["row"][0]) for _score, address in hits]
        return [self._ids[r] for r in rows]
