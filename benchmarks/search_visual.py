"""Visual search on Fashion-MNIST: EfficientNet-Lite0 embeddings against raw-pixel cosine kNN.

Data and protocol (the same for every system):

- Fashion-MNIST (Zalando Research, MIT; Debian's ``dataset-fashion-mnist``, fetched by
  ``scripts/fetch_fashion_mnist.sh``, loaded by :func:`shopmind.datasets.fashion_mnist.load_fashion_mnist`):
  28x28 grayscale clothing pictures in 10 balanced classes.
- Index: all 60,000 training images, keyed by their row number. Queries: ``--queries`` (1,000) test
  images drawn without replacement with ``numpy.random.default_rng(--seed)``.
- ``precision@10``: the share of the 10 nearest training images that have the query's class,
  averaged over the queries (chance is 0.1).
- Systems:
  ``shopmind-visual`` - :class:`~shopmind.search.visual.ImageEmbedder` at ``--side`` (default 224)
  and :class:`~shopmind.search.visual.VisualIndex` with its defaults (60,000 vectors is above
  ``exact_below``, so an HNSW graph, usearch); ``shopmind-visual-exact`` - the same embeddings
  searched exactly (one matrix product); ``shopmind-visual@128`` - the embedder at 128 pixels
  (about 3x cheaper), HNSW; ``raw-pixels-cosine`` - the 784 pixel values as the vector, exact
  cosine kNN: a strong baseline on this data set, because every picture is centred, scaled and
  shot the same way.
- Speed: ``embed_img_s`` is images per second through ``ImageEmbedder.embed`` (decode-free: uint8
  arrays in, unit vectors out; resize, network, normalisation) measured afresh on 2,000 training
  images every run; ``embed_one_ms`` is the median time to embed one picture alone (a single
  upload); ``build_s`` is ``VisualIndex.fit`` on the 60,000 vectors; ``query_p50_ms`` and
  ``query_p95_ms`` time ``VisualIndex.query(vector, 10)`` one query at a time, the embedding
  excluded; ``recall@10`` is the share of the exact 10 nearest neighbours the HNSW graph returns.
- Two sweeps justify the defaults: ``side_sweep`` (precision@10 and throughput at 64-224 pixels on a
  10,000-image index, the same queries) and ``index_sweep`` (exact against HNSW query latency and
  recall at 5,000, 20,000 and 60,000 vectors).

Embeddings are cached in ``<repository>/.cache/visual-embeddings`` keyed by the model file's
SHA-256, the side and the images chosen, so a rerun only re-measures speed (``--no-cache`` to embed
again). The first full run embeds 61,000 images per side: about 4 minutes at 224 pixels on 2 cores.

Run from the project root: ``.venv/bin/python benchmarks/search_visual.py [--quick] [--no-sweep]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from _bench import machine, shopmind_commit
from shopmind.datasets.fashion_mnist import CLASSES, load_fashion_mnist
from shopmind.search.visual import ImageEmbedder, VisualIndex

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "search_visual.json"
CACHE = ROOT / ".cache" / "visual-embeddings"
K = 10
DEFAULT_SIDE = 224
SWEEP_SIDES = (64, 96, 128, 160, 224)
SWEEP_INDEX = 10_000
THROUGHPUT_IMAGES = 2_000
Matrix = npt.NDArray[np.float32]


# -- embeddings, cached -------------------------------------------------------------------------------------
def _cache_path(embedder: ImageEmbedder, images: npt.NDArray[np.uint8], tag: str) -> Path:
    digest = hashlib.sha256(images.tobytes()).hexdigest()[:16]
    sha = embedder.model_sha256[:16]
    return CACHE / f"{tag}-n{len(images)}-side{embedder.side}-{embedder.fit}-{sha}-{digest}.npy"


def embed_cached(
    embedder: ImageEmbedder, images: npt.NDArray[np.uint8], tag: str, *, use_cache: bool = True
) -> tuple[Matrix, float | None]:
    """Embeddings of ``images`` and the seconds spent (None when they came from the cache).

    The cache key is the model's SHA-256, the side, the fit mode and a digest of the pixels."""
    path = _cache_path(embedder, images, tag)
    if use_cache and path.is_file():
        return np.load(path), None
    start = time.perf_counter()
    vectors = embedder.embed(images)
    seconds = time.perf_counter() - start
    if use_cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors, seconds


def _rows_of_full_cache(
    embedder: ImageEmbedder, images: npt.NDArray[np.uint8], tag: str, rows: npt.NDArray[np.int64]
) -> Matrix | None:
    """Rows of the cached embeddings of all of ``images``, if that cache exists (no embedding)."""
    path = _cache_path(embedder, images, tag)
    return np.load(path, mmap_mode="r")[rows].astype(np.float32) if path.is_file() else None


def throughput(embedder: ImageEmbedder, images: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """(images per second for a batch, median ms to embed one image alone)."""
    embedder.embed(images[:32])  # warm-up: session creation, first allocations
    start = time.perf_counter()
    embedder.embed(images)
    per_s = len(images) / (time.perf_counter() - start)
    one = []
    for image in images[:50]:
        t0 = time.perf_counter()
        embedder.embed([image])
        one.append(time.perf_counter() - t0)
    return per_s, float(np.median(one) * 1000)


# -- retrieval ----------------------------------------------------------------------------------------------
def precision_at_k(
    index: VisualIndex,
    queries: Matrix,
    query_labels: npt.NDArray[np.uint8],
    train_labels: npt.NDArray[np.uint8],
) -> tuple[float, list[list[int]]]:
    found = index.query_many(queries, K)
    neighbours = [[int(key) for key, _ in hits] for hits in found]
    hits = [
        np.mean(train_labels[np.array(n)] == label) for n, label in zip(neighbours, query_labels, strict=True)
    ]
    return float(np.mean(hits)), neighbours


def latency(index: VisualIndex, queries: Matrix) -> tuple[float, float]:
    for q in queries[:20]:
        index.query(q, K)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        index.query(q, K)
        times.append(time.perf_counter() - t0)
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def _class_precision(
    neighbours: list[list[int]],
    query_labels: npt.NDArray[np.uint8],
    train_labels: npt.NDArray[np.uint8],
    label: int,
) -> float:
    """precision@10 over the queries of one class."""
    hits = [
        np.mean(train_labels[np.array(n)] == label)
        for n, q in zip(neighbours, query_labels, strict=True)
        if q == label
    ]
    return float(np.mean(hits)) if hits else float("nan")


def recall(found: list[list[int]], exact: list[list[int]]) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True) if b]))


def _system(
    name: str,
    keys: list[str],
    index_vectors: Matrix,
    queries: Matrix,
    query_labels: npt.NDArray[np.uint8],
    train_labels: npt.NDArray[np.uint8],
    *,
    exact: bool,
    exact_neighbours: list[list[int]] | None = None,
) -> tuple[dict[str, Any], list[list[int]]]:
    start = time.perf_counter()
    index = VisualIndex(exact_below=10**9 if exact else VisualIndex().exact_below).fit(keys, index_vectors)
    build_s = time.perf_counter() - start
    p10, neighbours = precision_at_k(index, queries, query_labels, train_labels)
    p50, p95 = latency(index, queries)
    row: dict[str, Any] = {
        "system": name,
        "precision@10": round(p10, 4),
        "index": index.backend_,
        "build_s": round(build_s, 2),
        "query_p50_ms": round(p50, 3),
        "query_p95_ms": round(p95, 3),
    }
    if exact_neighbours is not None:
        row["recall@10"] = round(recall(neighbours, exact_neighbours), 4)
    return row, neighbours


def evaluate_fashion_mnist(
    n_queries: int = 1000,
    side: int = DEFAULT_SIDE,
    seed: int = 0,
    *,
    extra_sides: tuple[int, ...] = (128,),
    n_index: int | None = None,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Precision@10 of same-class retrieval on Fashion-MNIST, ours against raw pixels, with speed.

    Parameters
    ----------
    n_queries : int
        Test images used as queries, drawn with ``seed``.
    side : int
        The embedder's input side for the main ``shopmind-visual`` rows.
    seed : int
        Seed of :func:`numpy.random.default_rng` for the query draw (and the index subset).
    extra_sides : tuple of int
        Further sides, each a ``shopmind-visual@<side>`` row (HNSW).
    n_index : int, optional
        Index only this many training images (drawn with ``seed``); default all 60,000.
    use_cache : bool
        Read and write embeddings under ``.cache/visual-embeddings``.

    Returns
    -------
    dict
        ``rows`` (one per system: ``precision@10``, speed), ``data`` (what was measured),
        ``side``, ``n_queries``, ``n_index``.
    """
    train_x, train_y = load_fashion_mnist("train")
    test_x, test_y = load_fashion_mnist("test")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(test_x), size=n_queries, replace=False))
    if n_index is not None and n_index < len(train_x):
        kept = np.sort(rng.choice(len(train_x), size=n_index, replace=False))
        train_x, train_y = train_x[kept], train_y[kept]
        keys = [str(i) for i in range(len(kept))]
    else:
        keys = [str(i) for i in range(len(train_x))]
    query_x, query_y = test_x[picked], test_y[picked]

    rows: list[dict[str, Any]] = []
    embed_s: dict[int, float | None] = {}
    exact_nn_main: list[list[int]] = []  # the main side's exact neighbours, for the per-class table
    for i, s in enumerate((side, *[x for x in extra_sides if x != side])):
        embedder = ImageEmbedder(side=s)
        print(
            f"side {s}: embedding {len(train_x):,} + {len(query_x):,} images (cached after the first run)",
            flush=True,
        )
        index_vectors, seconds_train = embed_cached(embedder, train_x, "fmnist-train", use_cache=use_cache)
        queries, seconds_test = embed_cached(embedder, query_x, "fmnist-test", use_cache=use_cache)
        embed_s[s] = None if seconds_train is None or seconds_test is None else seconds_train + seconds_test
        per_s, one_ms = throughput(embedder, train_x[:THROUGHPUT_IMAGES])
        speed: dict[str, Any] = {"side": s, "embed_img_s": round(per_s, 1), "embed_one_ms": round(one_ms, 2)}
        if i == 0:
            exact_row, exact_nn = _system(
                "shopmind-visual-exact", keys, index_vectors, queries, query_y, train_y, exact=True
            )
            exact_nn_main = exact_nn
            ann_row, _ = _system(
                "shopmind-visual",
                keys,
                index_vectors,
                queries,
                query_y,
                train_y,
                exact=False,
                exact_neighbours=exact_nn,
            )
            rows += [{**ann_row, **speed}, {**exact_row, **speed}]
        else:
            _, exact_nn = _system("exact", keys, index_vectors, queries, query_y, train_y, exact=True)
            row, _ = _system(
                f"shopmind-visual@{s}",
                keys,
                index_vectors,
                queries,
                query_y,
                train_y,
                exact=False,
                exact_neighbours=exact_nn,
            )
            rows.append({**row, **speed})

    pixels_train = train_x.reshape(len(train_x), -1).astype(np.float32)
    pixels_query = query_x.reshape(len(query_x), -1).astype(np.float32)
    raw_row, raw_nn = _system(
        "raw-pixels-cosine", keys, pixels_train, pixels_query, query_y, train_y, exact=True
    )
    rows.append({**raw_row, "side": 28})
    per_class = [
        {
            "class": name,
            "shopmind-visual-exact": round(_class_precision(exact_nn_main, query_y, train_y, label), 4),
            "raw-pixels-cosine": round(_class_precision(raw_nn, query_y, train_y, label), 4),
            "queries": int((query_y == label).sum()),
        }
        for label, name in enumerate(CLASSES)
    ]
    data = (
        f"Fashion-MNIST (dataset-fashion-mnist): index = {len(train_x):,} training images, queries = "
        f"{n_queries:,} test images drawn with numpy.random.default_rng({seed}); precision@{K} = share of "
        f"the {K} nearest training images with the query's class (chance 0.1)."
    )
    ours = next(r for r in rows if r["system"] == "shopmind-visual")
    return {
        # The headline figures, also as top-level numbers (benchmarks/search_relevance.py reads them).
        "precision@10": ours["precision@10"],
        "raw_pixels_precision@10": raw_row["precision@10"],
        "rows": rows,
        "per_class": per_class,
        "data": data,
        "side": side,
        "n_queries": n_queries,
        "n_index": len(train_x),
        "seed": seed,
        "embed_s_when_not_cached": {str(k): (None if v is None else round(v, 1)) for k, v in embed_s.items()},
    }


def sweep_sides(
    sides: tuple[int, ...] = SWEEP_SIDES, n_index: int = SWEEP_INDEX, n_queries: int = 1000, seed: int = 0
) -> list[dict[str, Any]]:
    """Precision@10 (exact search) and throughput per input side on a smaller index, to choose the side."""
    train_x, train_y = load_fashion_mnist("train")
    test_x, test_y = load_fashion_mnist("test")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(test_x), size=n_queries, replace=False))
    kept = np.sort(rng.choice(len(train_x), size=n_index, replace=False))
    keys = [str(i) for i in range(n_index)]
    out: list[dict[str, Any]] = []
    for side in sides:
        embedder = ImageEmbedder(side=side)
        vectors = _rows_of_full_cache(embedder, train_x, "fmnist-train", kept)
        if vectors is None:
            vectors, _ = embed_cached(embedder, train_x[kept], "fmnist-train")
        queries, _ = embed_cached(embedder, test_x[picked], "fmnist-test")
        index = VisualIndex(exact_below=10**9).fit(keys, vectors)
        p10, _ = precision_at_k(index, queries, test_y[picked], train_y[kept])
        per_s, one_ms = throughput(embedder, train_x[:THROUGHPUT_IMAGES])
        out.append(
            {
                "side": side,
                "precision@10": round(p10, 4),
                "embed_img_s": round(per_s, 1),
                "embed_one_ms": round(one_ms, 2),
            }
        )
        print(f"  side {side}: precision@10 {p10:.4f}, {per_s:.0f} images/s", flush=True)
    pixels = VisualIndex(exact_below=10**9).fit(keys, train_x[kept].reshape(n_index, -1).astype(np.float32))
    p10, _ = precision_at_k(
        pixels, test_x[picked].reshape(n_queries, -1).astype(np.float32), test_y[picked], train_y[kept]
    )
    out.append({"side": 28, "system": "raw-pixels-cosine", "precision@10": round(p10, 4)})
    return out


def sweep_index(
    vectors: Matrix, queries: Matrix, sizes: tuple[int, ...] = (5_000, 20_000, 60_000)
) -> list[dict[str, Any]]:
    """Exact against HNSW: query latency, build time and recall@10 at growing index sizes."""
    out: list[dict[str, Any]] = []
    for n in sizes:
        if n > len(vectors):
            continue
        keys = [str(i) for i in range(n)]
        row: dict[str, Any] = {"n": n}
        neighbours: dict[str, list[list[int]]] = {}
        for kind, exact_below in (("exact", 10**9), ("hnsw", 0)):
            t0 = time.perf_counter()
            index = VisualIndex(exact_below=exact_below).fit(keys, vectors[:n])
            row[f"{kind}_build_s"] = round(time.perf_counter() - t0, 2)
            p50, p95 = latency(index, queries)
            row[f"{kind}_p50_ms"], row[f"{kind}_p95_ms"] = round(p50, 3), round(p95, 3)
            neighbours[kind] = [[int(k) for k, _ in hits] for hits in index.query_many(queries, K)]
        row["hnsw_recall@10"] = round(recall(neighbours["hnsw"], neighbours["exact"]), 4)
        out.append(row)
        print(f"  index {n:,}: {row}", flush=True)
    return out


# -- output -------------------------------------------------------------------------------------------------
_COLUMNS = (
    "system",
    "precision@10",
    "side",
    "index",
    "embed_img_s",
    "embed_one_ms",
    "build_s",
    "query_p50_ms",
    "query_p95_ms",
    "recall@10",
)


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if key.endswith("@10"):
        return f"{v:.4f}"
    if isinstance(v, float):
        return f"{v:.2f}" if v < 100 else f"{v:,.0f}"
    return str(v)


def print_table(result: dict[str, Any], title: str, caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    table = Table(title=title, caption=caption)
    for header in _COLUMNS:
        table.add_column(header, justify="left" if header == "system" else "right")
    for r in result["rows"]:
        table.add_row(*(_fmt(k, r.get(k)) for k in _COLUMNS))
    console.print(table)
    if result.get("per_class"):
        classes = Table(title="precision@10 per class, exact search (where raw pixels win, they are marked)")
        for header in ("class", "queries", "shopmind-visual-exact", "raw-pixels-cosine"):
            classes.add_column(header, justify="left" if header == "class" else "right")
        for r in result["per_class"]:
            ours, raw = r["shopmind-visual-exact"], r["raw-pixels-cosine"]
            mark = " (raw pixels better)" if raw > ours else ""
            classes.add_row(r["class"], str(r["queries"]), f"{ours:.4f}", f"{raw:.4f}{mark}")
        console.print(classes)
    if result.get("side_sweep"):
        sweep = Table(title=f"input side ({SWEEP_INDEX:,}-image index, exact search)")
        for header in ("side", "precision@10", "embed_img_s", "embed_one_ms"):
            sweep.add_column(header, justify="right")
        for r in result["side_sweep"]:
            sweep.add_row(
                *(_fmt(k, r.get(k)) for k in ("side", "precision@10", "embed_img_s", "embed_one_ms"))
            )
        console.print(sweep)
    if result.get("index_sweep"):
        cols = (
            "n",
            "exact_p50_ms",
            "exact_p95_ms",
            "hnsw_p50_ms",
            "hnsw_p95_ms",
            "hnsw_build_s",
            "hnsw_recall@10",
        )
        sweep = Table(title="exact against HNSW (shopmind-visual embeddings)")
        for header in cols:
            sweep.add_column(header, justify="right")
        for r in result["index_sweep"]:
            sweep.add_row(*(_fmt(k, r.get(k)) for k in cols))
        console.print(sweep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--queries", type=int, default=1000, help="Test images used as queries (default 1000)."
    )
    parser.add_argument(
        "--side", type=int, default=DEFAULT_SIDE, help=f"Embedder input side (default {DEFAULT_SIDE})."
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the query draw (default 0).")
    parser.add_argument(
        "--quick", action="store_true", help="A 5,000-image index, 200 queries, no sweeps (a smoke run)."
    )
    parser.add_argument("--no-sweep", action="store_true", help="Skip the side and index sweeps.")
    parser.add_argument(
        "--no-cache", action="store_true", help="Embed again instead of reading .cache/visual-embeddings."
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    args = parser.parse_args(argv)

    started, started_cpu = time.perf_counter(), time.process_time()
    load_start = os.getloadavg()[0]
    n_queries = 200 if args.quick else args.queries
    n_index = 5_000 if args.quick else None
    result = evaluate_fashion_mnist(
        n_queries, args.side, args.seed, n_index=n_index, use_cache=not args.no_cache
    )
    if not (args.quick or args.no_sweep):
        print("side sweep:", flush=True)
        result["side_sweep"] = sweep_sides(seed=args.seed)
        print("index sweep:", flush=True)
        train_x, _ = load_fashion_mnist("train")
        test_x, _ = load_fashion_mnist("test")
        embedder = ImageEmbedder(side=args.side)
        vectors, _ = embed_cached(embedder, train_x, "fmnist-train")
        picked = np.sort(np.random.default_rng(args.seed).choice(len(test_x), size=n_queries, replace=False))
        queries, _ = embed_cached(embedder, test_x[picked], "fmnist-test")
        result["index_sweep"] = sweep_index(vectors, queries)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    out = {
        "benchmark": "search_visual",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "shopmind_commit": shopmind_commit(),
        "data": result.pop("data"),
        "quick": args.quick,
        "model": "EfficientNet-Lite0 (ImageNet), fp32 ONNX, onnxruntime "
        + __import__("onnxruntime").__version__,
        "run_s": round(elapsed, 1),
        "run_cpu_s": round(elapsed_cpu, 1),
        # Timings are wall clock: a busy machine (1-minute load average above the CPU count) slows them.
        "load_avg_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        **result,
    }
    caption = (
        f"whole run {elapsed:.0f} s wall, {elapsed_cpu:.0f} s CPU; load average {load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} CPUs)"
    )
    title = (
        f"search_visual: Fashion-MNIST, {out['n_index']:,} indexed, {n_queries:,} queries, "
        f"precision@{K} of same-class retrieval"
    )
    print_table(out, title, caption)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
