"""Visual search: upload a photo, get the products that look like it.

Three parts, all numpy + onnxruntime + Pillow (no torch at run time):

* :class:`ImageEmbedder` - ImageNet EfficientNet-Lite0 cut after its global average pool, shipped
  as ONNX (``models/efficientnet_lite0.onnx``, made once by ``scripts/export_efficientnet_onnx.py``).
  Any picture (PIL image, numpy array, encoded bytes, file path) becomes a unit 1280-d vector.
* :class:`VisualIndex` - nearest neighbours by cosine, keyed by the shop's ids: one exact matrix
  product up to ``exact_below`` images, an HNSW graph (``usearch``) above.
* :func:`render_product_image` / :func:`write_demo_images` - procedural pictures for the demo store,
  whose products have no photos: same kind of product, similar picture.

Measured on Fashion-MNIST (``benchmarks/search_visual.py``, docs/search-visual.md).

Import order: onnxruntime is imported here before usearch on purpose. usearch's extension links
libstdc++ statically and exports its locale symbols; loading onnxruntime *after* it crashes the
process (SIGSEGV in ``std::codecvt``) in a fresh interpreter, while the other order is fine.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError
from usearch.index import BatchMatches, Index

from shopmind.errors import NotFittedError, ValidationError, check_param
from shopmind.search.semantic import dot_single_thread

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_PATH",
    "ImageEmbedder",
    "ImageLike",
    "UnreadableImageError",
    "VisualIndex",
    "render_product_image",
    "write_demo_images",
]

#: The shipped model: EfficientNet-Lite0 (ImageNet) up to the global average pool, fp32 ONNX.
MODEL_PATH: Final = Path(__file__).resolve().parent / "models" / "efficientnet_lite0.onnx"
#: Length of an image embedding.
EMBEDDING_DIM: Final = 1280

#: What :meth:`ImageEmbedder.embed` takes as one image.
ImageLike: TypeAlias = (
    Image.Image | npt.NDArray[Any] | bytes | bytearray | memoryview | str | os.PathLike[str]
)
Matrix: TypeAlias = npt.NDArray[np.float32]

_FORMATS: Final = "JPEG, PNG, WebP, GIF, BMP or TIFF"


class UnreadableImageError(ValidationError):
    """An image could not be decoded or has an unusable shape; the message says which and why."""


# --------------------------------------------------------------------------------------------------
# embedder
# --------------------------------------------------------------------------------------------------


class ImageEmbedder:
    """Image embeddings from EfficientNet-Lite0 (ImageNet), run with onnxruntime.

    Parameters
    ----------
    side : int
        Images are made square and resized to ``side`` x ``side`` pixels before the network; a
        multiple of 32 from 32 to 512. 224 is the network's training size and the most accurate;
        128 is about 3x faster (950 against 290 images/s on two cores) and about 0.01 lower in
        precision@10 on Fashion-MNIST (0.827 against 0.838; docs/search-visual.md).
    fit : {"pad", "crop"}
        How a non-square picture becomes square: ``"pad"`` keeps all of it and fills the margins
        with the colour of its border (product photos on a plain background); ``"crop"`` cuts the
        centre square.
    batch_size : int
        Images per network call.
    intra_op_num_threads : int
        Threads onnxruntime uses inside one call; 0 lets it choose (one per core).
    model_path : str or pathlib.Path, optional
        Another ONNX file with the same input (``image``: float32 N x 3 x H x W, RGB, scaled as
        ``(x - 127) / 128``) and a (N, 1280) output. Defaults to the shipped :data:`MODEL_PATH`.

    Notes
    -----
    The onnxruntime session is created on first use and is not pickled; a pickled embedder
    carries only its parameters. Calls from several threads are safe.

    Examples
    --------
    >>> from PIL import Image
    >>> vectors = ImageEmbedder(side=128).embed([Image.new("RGB", (60, 40), "red")])
    >>> vectors.shape, round(float((vectors**2).sum()), 4)
    ((1, 1280), 1.0)
    """

    dim: Final = EMBEDDING_DIM

    def __init__(
        self,
        side: int = 224,
        *,
        fit: Literal["pad", "crop"] = "pad",
        batch_size: int = 16,
        intra_op_num_threads: int = 0,
        model_path: str | Path | None = None,
    ) -> None:
        owner = "ImageEmbedder"
        ok_side = _is_int(side) and 32 <= side <= 512 and side % 32 == 0
        check_param(owner, "side", side, ok_side, "a multiple of 32 from 32 to 512")
        check_param(owner, "fit", fit, fit in ("pad", "crop"), "'pad' or 'crop'")
        check_param(owner, "batch_size", batch_size, _is_int(batch_size) and batch_size >= 1, "an int >= 1")
        ok_threads = _is_int(intra_op_num_threads) and intra_op_num_threads >= 0
        check_param(owner, "intra_op_num_threads", intra_op_num_threads, ok_threads, "an int >= 0")
        self.side = int(side)
        self.fit = fit
        self.batch_size = int(batch_size)
        self.intra_op_num_threads = int(intra_op_num_threads)
        self.model_path = Path(model_path) if model_path is not None else MODEL_PATH
        if not self.model_path.is_file():
            raise ValidationError(
                f"The image model {self.model_path} does not exist. Reinstall shopmind (the model ships "
                "with it) or rebuild it with scripts/export_efficientnet_onnx.py."
            )
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()
        self._sha256: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "fit": self.fit,
            "batch_size": self.batch_size,
            "intra_op_num_threads": self.intra_op_num_threads,
            "model_path": str(self.model_path),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["side"],
            fit=state["fit"],
            batch_size=state["batch_size"],
            intra_op_num_threads=state["intra_op_num_threads"],
            model_path=state["model_path"],
        )

    def __repr__(self) -> str:
        return (
            f"ImageEmbedder(side={self.side}, fit={self.fit!r}, batch_size={self.batch_size}, "
            f"intra_op_num_threads={self.intra_op_num_threads})"
        )

    @property
    def model_sha256(self) -> str:
        """SHA-256 of the ONNX file: part of any cache key for embeddings."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.model_path.read_bytes()).hexdigest()
        return self._sha256

    def _get_session(self) -> ort.InferenceSession:
        with self._lock:
            if self._session is None:
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.intra_op_num_threads
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                self._session = ort.InferenceSession(
                    str(self.model_path), options, providers=["CPUExecutionProvider"]
                )
            return self._session

    def prepare(self, image: ImageLike) -> npt.NDArray[np.uint8]:
        """One image as the network sees it: ``side`` x ``side`` x 3 RGB uint8.

        Raises
        ------
        UnreadableImageError
            If bytes or a file cannot be decoded, or an array is not HxW / HxWx3 (or HxWx4) uint8.
        """
        pixels = self._pixels(image)
        return np.repeat(pixels[:, :, None], 3, axis=2) if pixels.ndim == 2 else pixels

    def _pixels(self, image: ImageLike) -> npt.NDArray[np.uint8]:
        """``side`` x ``side`` uint8: one channel for grayscale arrays, else RGB."""
        side = self.side
        if (
            isinstance(image, np.ndarray)
            and image.dtype == np.uint8
            and image.ndim == 2
            and 0 not in image.shape
        ):
            # Grayscale arrays stay one channel until the network input: 3x less resizing.
            if image.shape[0] == image.shape[1] == side:
                return image
            return np.asarray(self._square(Image.fromarray(image)))
        picture = _to_rgb(image, draft=side)
        return np.asarray(self._square(picture), dtype=np.uint8)

    def _square(self, picture: Image.Image) -> Image.Image:
        side = self.side
        w, h = picture.size
        if w != h:
            if self.fit == "crop":
                s = min(w, h)
                left, top = (w - s) // 2, (h - s) // 2
                picture = picture.crop((left, top, left + s, top + s))
            else:
                s = max(w, h)
                colour = _border_fill(np.asarray(picture))
                canvas = Image.new(picture.mode, (s, s), colour)
                canvas.paste(picture, ((s - w) // 2, (s - h) // 2))
                picture = canvas
        if picture.size != (side, side):
            # reducing_gap: big photos are first shrunk by whole factors (fast), then resampled.
            picture = picture.resize((side, side), Image.Resampling.BICUBIC, reducing_gap=3.0)
        return picture

    def embed(self, images: Sequence[ImageLike] | npt.NDArray[Any]) -> Matrix:
        """Embed images.

        Parameters
        ----------
        images : sequence of images, or a numpy array batch
            Each image is a :class:`PIL.Image.Image`, a uint8 numpy array (H x W grayscale,
            H x W x 3 RGB or H x W x 4 RGBA), encoded bytes (JPEG, PNG, WebP...) or a file path.
            A numpy array is read as a batch: (n, H, W) grayscale or (n, H, W, 3) RGB. To embed
            one image, pass ``[image]``.

        Returns
        -------
        numpy.ndarray
            ``(n, 1280)`` float32, each row of unit length (cosine similarity is a dot product).

        Raises
        ------
        UnreadableImageError
            If an image cannot be decoded; the message names which one (by position) and why.
        """
        if isinstance(images, np.ndarray) and (
            images.dtype != np.uint8
            or images.ndim not in (3, 4)
            or (images.ndim == 4 and images.shape[3] != 3)
        ):
            raise UnreadableImageError(
                f"A numpy batch of images must be uint8 of shape (n, H, W) or (n, H, W, 3); got "
                f"{images.dtype} of shape {images.shape}. Pass a list to embed images of other shapes."
            )
        n = len(images)
        out = np.empty((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        session = self._get_session()
        side = self.side
        batch = np.empty((min(self.batch_size, n), 3, side, side), dtype=np.float32)
        for start in range(0, n, self.batch_size):
            chunk = images[start : start + self.batch_size]
            view = batch[: len(chunk)]
            for i, image in enumerate(chunk):
                try:
                    pixels = self._pixels(image)
                except UnreadableImageError as exc:
                    raise UnreadableImageError(f"Image {start + i}: {exc.message}") from exc
                # (x - 127) / 128, channels first; a grayscale plane is broadcast to R, G and B.
                plane = (
                    pixels.astype(np.float32)
                    if pixels.ndim == 2
                    else pixels.transpose(2, 0, 1).astype(np.float32)
                )
                np.multiply(plane - 127.0, 1.0 / 128.0, out=view[i] if pixels.ndim == 3 else view[i, 0])
                if pixels.ndim == 2:
                    view[i, 1:] = view[i, 0]
            out[start : start + len(chunk)] = session.run(["embedding"], {"image": view})[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-12)
        return out

    def embed_one(self, image: ImageLike) -> Matrix:
        """Embed one image: a unit ``(1280,)`` float32 vector."""
        return self.embed([image]).reshape(self.dim)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _border_fill(pixels: npt.NDArray[Any]) -> tuple[int, ...] | int:
    """The median colour of an image's outermost pixels: what padding should look like."""
    tail = pixels.shape[2:]
    sides = [pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]]
    median = np.median(np.concatenate([side.reshape(-1, *tail) for side in sides]), axis=0)
    if np.ndim(median) == 0:
        return int(median)
    return tuple(int(v) for v in np.atleast_1d(median))


def _describe(data: bytes) -> str:
    return f"{len(data):,} bytes starting {data[:8]!r}"


def _open(data: bytes, what: str, draft: int) -> Image.Image:
    if not data:
        raise UnreadableImageError(f"{what} is empty (0 bytes). Send the image file's contents ({_FORMATS}).")
    try:
        picture = Image.open(io.BytesIO(data))
        if picture.format == "JPEG":
            # Decode big JPEGs at a reduced scale that still covers the target size.
            picture.draft("RGB", (draft, draft))
        picture.load()
    except Image.DecompressionBombError as exc:
        raise UnreadableImageError(
            f"{what} is too large to decode safely ({exc}). Resize it below 89 megapixels and try again."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = (
            "not an image format Pillow recognises" if isinstance(exc, UnidentifiedImageError) else str(exc)
        )
        raise UnreadableImageError(
            f"{what} could not be read as an image ({_describe(data)}): {reason}. Send a complete "
            f"{_FORMATS} file, not a truncated upload, a URL or base64 text."
        ) from exc
    return picture


def _to_rgb(image: ImageLike, draft: int) -> Image.Image:
    """Any accepted image as an RGB PIL image, upright, transparency flattened onto white."""
    if isinstance(image, Image.Image):
        picture = image
    elif isinstance(image, np.ndarray):
        ok = image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4)))
        if not ok or 0 in image.shape:
            raise UnreadableImageError(
                f"An image array must be uint8 of shape (H, W), (H, W, 3) or (H, W, 4); got {image.dtype} "
                f"of shape {image.shape}. Convert it with np.clip(a, 0, 255).astype(np.uint8)."
            )
        picture = Image.fromarray(image)
    elif isinstance(image, bytes | bytearray | memoryview):
        picture = _open(bytes(image), "The image", draft)
    elif isinstance(image, str | os.PathLike):
        path = Path(image)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableImageError(
                f"Image file {path} could not be read ({exc.strerror or exc}). Check the path and its "
                "permissions."
            ) from exc
        picture = _open(data, f"Image file {path}", draft)
    else:
        raise UnreadableImageError(
            f"Cannot use a {type(image).__name__} as an image. Pass a PIL image, a uint8 numpy array, "
            "encoded bytes or a file path."
        )
    picture = ImageOps.exif_transpose(picture) if "exif" in picture.info else picture
    if picture.mode == "RGB":
        return picture
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grayscale: scale to 8 bits (a plain convert would clip at 255).
        arr = np.asarray(picture, dtype=np.float64)
        peak = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / peak)).astype(np.uint8)).convert("RGB")
    return picture.convert("RGB")


# --------------------------------------------------------------------------------------------------
# index
# --------------------------------------------------------------------------------------------------


class VisualIndex:
    """Nearest images by cosine similarity, keyed by the shop's ids (skus).

    Parameters
    ----------
    exact_below : int
        Below this many vectors a query is one exact matrix product; from this size on the index
        is an HNSW graph (``usearch``). The switch happens in :meth:`fit` and, once, in :meth:`add`
        when the index grows past it. Measured on two cores with 1280-d image vectors: an exact
        query takes 0.5 ms over 5,000 images, 2 ms over 20,000 and 8.5 ms over 60,000; the graph
        answers in about 0.3-0.5 ms with 99.3-99.5% of the exact top 10, but costs 4 s (20,000) to
        10 s (60,000) to build (docs/search-visual.md).
    dtype : {"f16", "f32"}
        How the graph stores vectors. ``"f16"`` halves the memory and built 3x faster than
        ``"f32"`` here, for 0.3 points of recall@10; the exact path always keeps float32.
    connectivity, expansion_add, expansion_search : int
        HNSW settings (the graph's links per node, and how wide insertion and search look).
    threads : int
        Threads usearch uses to build and search; 0 means one per core.

    Examples
    --------
    >>> import numpy as np
    >>> index = VisualIndex().fit(["a", "b", "c"], np.eye(3, dtype=np.float32))
    >>> index.query(np.array([1.0, 0.2, 0.0], dtype=np.float32), k=2)[0]
    ('a', 0.98058...)
    """

    def __init__(
        self,
        exact_below: int = 20_000,
        *,
        dtype: Literal["f16", "f32"] = "f16",
        connectivity: int = 16,
        expansion_add: int = 64,
        expansion_search: int = 64,
        threads: int = 0,
    ) -> None:
        owner = "VisualIndex"
        check_param(owner, "dtype", dtype, dtype in ("f16", "f32"), "'f16' or 'f32'")
        check_param(
            owner, "exact_below", exact_below, _is_int(exact_below) and exact_below >= 0, "an int >= 0"
        )
        for name, value, low in (
            ("connectivity", connectivity, 2),
            ("expansion_add", expansion_add, 1),
            ("expansion_search", expansion_search, 1),
            ("threads", threads, 0),
        ):
            check_param(owner, name, value, _is_int(value) and value >= low, f"an int >= {low}")
        self.exact_below = exact_below
        self.dtype = dtype
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        self.threads = threads

    # ---- state: label_of_ (key -> int label), key_of_ (label -> key), next_label_, dim_;
    # exact: matrix_ (rows, dim) and row_labels_; graph: ann_ (usearch Index keyed by labels).

    def fit(self, keys: Sequence[str], vectors: npt.ArrayLike) -> VisualIndex:
        """Index ``vectors[i]`` under ``keys[i]``, replacing whatever was indexed before.

        Parameters
        ----------
        keys : sequence of str
            The shop's ids, unique.
        vectors : array-like
            ``(len(keys), dim)`` embeddings; rows are normalized to unit length here.

        Returns
        -------
        VisualIndex
            ``self``.
        """
        key_list = self._check_keys(keys, "fit")
        matrix = self._check_vectors(vectors, len(key_list), "fit", dim=None)
        self.dim_ = int(matrix.shape[1])
        self.label_of_: dict[str, int] = {}
        self.key_of_: dict[int, str] = {}
        self.next_label_ = 0
        self.matrix_ = np.zeros((0, self.dim_), dtype=np.float32)
        self.row_labels_ = np.zeros(0, dtype=np.uint64)
        self.ann_: Index | None = None
        labels = self._assign(key_list)
        if len(key_list) >= self.exact_below:
            self.ann_ = self._new_graph()
            self._graph_add(labels, matrix)
        else:
            self.matrix_, self.row_labels_ = matrix, labels
        return self

    def add(self, keys: Sequence[str], vectors: npt.ArrayLike) -> VisualIndex:
        """Add images, replacing those of keys already indexed. Returns ``self``."""
        self._check_fitted()
        key_list = self._check_keys(keys, "add")
        matrix = self._check_vectors(vectors, len(key_list), "add", dim=self.dim_)
        self.remove(key_list)
        labels = self._assign(key_list)
        if self.ann_ is not None:
            self._graph_add(labels, matrix)
            return self
        self.matrix_ = np.concatenate([self.matrix_, matrix])
        self.row_labels_ = np.concatenate([self.row_labels_, labels])
        if len(self.row_labels_) >= self.exact_below:
            self.ann_ = self._new_graph()
            self._graph_add(self.row_labels_, self.matrix_)
            self.matrix_ = np.zeros((0, self.dim_), dtype=np.float32)
            self.row_labels_ = np.zeros(0, dtype=np.uint64)
        return self

    def remove(self, keys: Sequence[str]) -> VisualIndex:
        """Forget the images of ``keys``; keys not indexed are ignored. Returns ``self``."""
        self._check_fitted()
        labels = [self.label_of_.pop(k) for k in self._check_keys(keys, "remove") if k in self.label_of_]
        if not labels:
            return self
        for label in labels:
            del self.key_of_[label]
        gone = np.array(labels, dtype=np.uint64)
        if self.ann_ is not None:
            self.ann_.remove(gone)
        else:
            keep = ~np.isin(self.row_labels_, gone)
            self.matrix_, self.row_labels_ = self.matrix_[keep], self.row_labels_[keep]
        return self

    def __len__(self) -> int:
        return len(self.label_of_) if hasattr(self, "label_of_") else 0

    def __contains__(self, key: object) -> bool:
        return hasattr(self, "label_of_") and key in self.label_of_

    @property
    def keys_(self) -> list[str]:
        """The indexed keys, in the order they were added."""
        self._check_fitted()
        return list(self.label_of_)

    @property
    def backend_(self) -> Literal["exact", "hnsw"]:
        """How queries are answered now."""
        self._check_fitted()
        return "exact" if self.ann_ is None else "hnsw"

    def vector(self, key: str) -> Matrix:
        """The stored (unit) vector of ``key``.

        Raises
        ------
        KeyError
            :class:`shopmind.errors.NotFoundError` if ``key`` is not indexed.
        """
        from shopmind.errors import NotFoundError

        self._check_fitted()
        label = self.label_of_.get(key)
        if label is None:
            raise NotFoundError(f"No image is indexed for {key!r}. Add it with VisualIndex.add first.")
        if self.ann_ is not None:
            found = self.ann_.get(label, dtype="f32")
            return np.asarray(found, dtype=np.float32).reshape(-1)
        row = int(np.flatnonzero(self.row_labels_ == label)[0])
        return np.array(self.matrix_[row], dtype=np.float32)

    def query(self, vector: npt.ArrayLike, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` indexed images nearest to one query vector.

        Parameters
        ----------
        vector : array-like
            One embedding, ``(dim,)`` or ``(1, dim)``; it need not be normalized.
        k : int
            How many neighbours.

        Returns
        -------
        list of (str, float)
            ``(key, cosine similarity)``, most similar first; fewer than ``k`` if the index is smaller.
        """
        q = np.asarray(vector, dtype=np.float32)
        if q.ndim == 2 and q.shape[0] == 1:
            q = q[0]
        check_param("VisualIndex.query", "vector", q.shape, q.ndim == 1, "one vector, (dim,) or (1, dim)")
        return self.query_many(q[None, :], k)[0]

    def query_many(self, vectors: npt.ArrayLike, k: int = 10) -> list[list[tuple[str, float]]]:
        """:meth:`query` for each row of ``vectors`` (``(n, dim)``), in one call."""
        self._check_fitted()
        check_param("VisualIndex.query", "k", k, _is_int(k) and k >= 1, "an int >= 1")
        queries = np.asarray(vectors, dtype=np.float32)
        ok = queries.ndim == 2 and queries.shape[1] == self.dim_ and bool(np.isfinite(queries).all())
        check_param(
            "VisualIndex.query", "vectors", queries.shape, ok, f"finite vectors of length {self.dim_}"
        )
        queries = _normalize(queries)
        n = len(queries)
        k = min(int(k), len(self))
        if n == 0 or k == 0:
            return [[] for _ in range(n)]
        if self.ann_ is None:
            # one query (a shopper's photo) without BLAS: its spinning threads would starve
            # onnxruntime's on the next upload (see shopmind.search.semantic.dot_single_thread)
            sims = (
                dot_single_thread(self.matrix_, queries[0])[None, :] if n == 1 else queries @ self.matrix_.T
            )
            if k < sims.shape[1]:
                top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            else:
                top = np.broadcast_to(np.arange(sims.shape[1]), (n, sims.shape[1]))
            top_sims = np.take_along_axis(sims, top, axis=1)
            order = np.argsort(-top_sims, axis=1, kind="stable")
            top, top_sims = (
                np.take_along_axis(top, order, axis=1),
                np.take_along_axis(top_sims, order, axis=1),
            )
            labels = self.row_labels_[top]
            return [
                [(self.key_of_[int(lab)], float(s)) for lab, s in zip(lrow, srow, strict=True)]
                for lrow, srow in zip(labels, top_sims, strict=True)
            ]
        found = self.ann_.search(queries, k, threads=self.threads)
        if isinstance(found, BatchMatches):
            keys2 = np.asarray(found.keys).reshape(n, -1)
            dist2 = np.asarray(found.distances).reshape(n, -1)
            counts = np.asarray(found.counts).reshape(n)
        else:
            keys2 = np.asarray(found.keys).reshape(1, -1)
            dist2 = np.asarray(found.distances).reshape(1, -1)
            counts = np.array([keys2.shape[1]])
        return [
            [
                (self.key_of_[int(lab)], float(1.0 - d))
                for lab, d in zip(keys2[i, : counts[i]], dist2[i, : counts[i]], strict=True)
            ]
            for i in range(n)
        ]

    def similar(self, key: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` images nearest to the indexed image of ``key``, itself left out."""
        found = self.query(self.vector(key), k + 1)
        return [(other, s) for other, s in found if other != key][:k]

    # ---- pickling: the usearch graph travels as its own serialized bytes.

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        ann = state.pop("ann_", None)
        if ann is not None:
            state["ann_bytes_"] = bytes(ann.save())
        elif "label_of_" in state:
            state["ann_bytes_"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        blob = state.pop("ann_bytes_", None)
        self.__dict__.update(state)
        if "label_of_" in state:
            self.ann_ = None
            if blob is not None:
                restored = Index.restore(
                    bytearray(blob),
                    view=False,
                    connectivity=self.connectivity,
                    expansion_add=self.expansion_add,
                    expansion_search=self.expansion_search,
                )
                if restored is None:
                    raise ValidationError(
                        "The pickled visual index is damaged: train the visual model again."
                    )
                self.ann_ = restored

    # ---- helpers

    def _check_fitted(self) -> None:
        if not hasattr(self, "label_of_"):
            raise NotFittedError("This VisualIndex is not fitted yet. Call fit(keys, vectors) first.")

    @staticmethod
    def _check_keys(keys: Sequence[str], method: str) -> list[str]:
        key_list = [keys] if isinstance(keys, str) else list(keys)
        bad = [k for k in key_list if not isinstance(k, str)]
        check_param(f"VisualIndex.{method}", "keys", bad[:3], not bad, "a sequence of str")
        if method != "remove" and len(set(key_list)) != len(key_list):
            counts = Counter(key_list)
            dupes = sorted(k for k, c in counts.items() if c > 1)
            raise ValidationError(
                f"VisualIndex.{method} got the same key more than once ({', '.join(dupes[:5])}). "
                "Give one image per key."
            )
        return key_list

    @staticmethod
    def _check_vectors(vectors: npt.ArrayLike, n: int, method: str, dim: int | None) -> Matrix:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim == 1 and n == 1:
            matrix = matrix[None, :]
        if matrix.ndim == 2 and matrix.shape[0] == 0 and n == 0 and dim is not None:
            matrix = matrix.reshape(0, dim)
        expected = f"a ({n}, {dim if dim is not None else 'dim'}) array of finite numbers, one row per key"
        ok = (
            matrix.ndim == 2
            and matrix.shape[0] == n
            and (dim is None or matrix.shape[1] == dim)
            and matrix.shape[1] >= 1
            and bool(np.isfinite(matrix).all())
        )
        check_param(f"VisualIndex.{method}", "vectors", matrix.shape, ok, expected)
        return _normalize(np.ascontiguousarray(matrix))

    def _assign(self, keys: list[str]) -> npt.NDArray[np.uint64]:
        labels = np.arange(self.next_label_, self.next_label_ + len(keys), dtype=np.uint64)
        self.next_label_ += len(keys)
        for key, label in zip(keys, labels.tolist(), strict=True):
            self.label_of_[key] = label
            self.key_of_[label] = key
        return labels

    def _new_graph(self) -> Index:
        return Index(
            ndim=self.dim_,
            metric="cos",
            dtype=self.dtype,
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
            expansion_search=self.expansion_search,
        )

    def _graph_add(self, labels: npt.NDArray[np.uint64], matrix: Matrix) -> None:
        if len(labels):
            assert self.ann_ is not None
            self.ann_.add(labels, matrix, threads=self.threads)


def _normalize(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# demo-store pictures
# --------------------------------------------------------------------------------------------------

RGB: TypeAlias = tuple[int, int, int]
_Painter: TypeAlias = Callable[[ImageDraw.ImageDraw, Image.Image, int, random.Random, int], None]

#: (category prefix, title keyword or None, kind), first match wins; keywords are Chinese or English.
_KINDS: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("生鲜/水果/柑橘", (), "citrus"),
    ("生鲜/水果/苹果", (), "apple"),
    ("生鲜/水果/瓜果", (), "melon"),
    ("生鲜/水果/梨", (), "pear"),
    ("生鲜/水果/热带水果", ("百香果", "passion"), "passion_fruit"),
    ("生鲜/水果/热带水果", (), "mango"),
    ("生鲜/水果/莓果", (), "strawberry"),
    ("生鲜/水果/猕猴桃", (), "kiwi"),
    ("生鲜/水果", (), "apple"),
    ("生鲜/水产", (), "crab"),
    ("生鲜/菌菇", (), "fresh_mushroom"),
    ("生鲜/蔬菜", ("西红柿", "番茄", "tomato"), "tomato"),
    ("生鲜/蔬菜", ("笋", "bamboo"), "bamboo_shoot"),
    ("生鲜/蔬菜", ("山药", "yam"), "yam"),
    ("生鲜/蔬菜", (), "tomato"),
    ("生鲜", (), "apple"),
    ("粮油/大米", (), "rice"),
    ("粮油/杂粮", (), "grain"),
    ("粮油/食用油", (), "oil"),
    ("粮油", (), "rice"),
    ("茶叶/绿茶", (), "green_tea"),
    ("茶叶/红茶", (), "black_tea"),
    ("茶叶/乌龙茶", (), "oolong"),
    ("茶叶/黑茶", (), "puer"),
    ("茶叶", (), "green_tea"),
    ("蜂蜜", (), "honey"),
    ("干货/菌菇", ("木耳", "fungus"), "black_fungus"),
    ("干货/菌菇", (), "dried_mushroom"),
    ("干货/坚果", ("松子", "pine"), "pine_nut"),
    ("干货/坚果", (), "walnut"),
    ("干货/滋补", (), "goji"),
    ("干货/干果", ("葡萄干", "raisin"), "raisin"),
    ("干货/干果", (), "jujube"),
    ("干货", (), "walnut"),
    ("禽蛋肉/鸡蛋", (), "eggs"),
    ("禽蛋肉/腊肉", ("肠", "sausage"), "sausage"),
    ("禽蛋肉", (), "bacon"),
    ("手工艺品", ("竹", "bamboo"), "basket"),
    ("手工艺品", ("绣", "embroider"), "embroidery"),
    ("手工艺品", ("壶", "teapot"), "teapot"),
    ("手工艺品", ("瓷", "porcelain"), "porcelain"),
    ("手工艺品", (), "embroidery"),
)

#: Background tint per pack (gift boxes also get a red ribbon frame).
_PACK_BACKGROUND: Final[dict[str, RGB]] = {
    "trial": (250, 250, 247),
    "family": (246, 241, 231),
    "gift_box": (250, 238, 236),
    "bulk": (240, 245, 238),
}


def product_kind(product: Mapping[str, Any]) -> str:
    """Which picture a product gets (``"citrus"``, ``"green_tea"``, ``"eggs"``...), from its
    category and title; ``"parcel"`` when nothing matches."""
    category = str(product.get("category") or "")
    title = f"{product.get('title') or ''} {product.get('title_en') or ''}".lower()
    for prefix, words, kind in _KINDS:
        if category.startswith(prefix) and (not words or any(w.lower() in title for w in words)):
            return kind
    return "parcel"


def render_product_image(product: Mapping[str, Any], size: int = 224) -> Image.Image:
    """A deterministic procedural picture of a demo-store product.

    The kind of product (from ``category`` and ``title``, see :func:`product_kind`) chooses the
    shapes, colours and texture: round fruit, tea leaves, a honey jar, a rice sack, eggs in a tray,
    mushrooms, an embroidered pattern... The ``sku`` seeds small variations (position, tint, count)
    and ``attributes["pack"]`` the background and item count, so products of one kind look alike
    and different kinds look different.

    Parameters
    ----------
    product : mapping
        A products row: ``sku``, ``category``, ``title`` (optional ``title_en``, ``attributes``).
    size : int
        Width and height in pixels, 32 to 1024.

    Returns
    -------
    PIL.Image.Image
        An RGB image; the same product and size always give the same pixels.
    """
    check_param(
        "render_product_image", "size", size, _is_int(size) and 32 <= size <= 1024, "an int from 32 to 1024"
    )
    sku = str(product.get("sku") or "")
    seed = int.from_bytes(hashlib.sha256(sku.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    attributes = product.get("attributes")
    pack = str(attributes.get("pack", "")) if isinstance(attributes, Mapping) else ""
    kind = product_kind(product)

    big = 2 * int(size)  # drawn at twice the size, then downsampled: smooth edges
    background = _jitter(_PACK_BACKGROUND.get(pack, (248, 248, 246)), rng, 3)
    image = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(image)
    extra = {"trial": -1, "bulk": 2}.get(pack, 0)
    _PAINTERS.get(kind, _parcel)(draw, image, big, rng, extra)
    if pack == "gift_box":
        width = max(2, big // 48)
        draw.rectangle(
            (width // 2, width // 2, big - width // 2, big - width // 2), outline=(190, 30, 40), width=width
        )
        draw.polygon(
            [(big - 6 * width, 0), (big, 0), (big, 6 * width)],
            fill=(200, 35, 45),
        )
    return image.resize((int(size), int(size)), Image.Resampling.LANCZOS)


def write_demo_images(products: pd.DataFrame, root: Path) -> int:
    """Write :func:`render_product_image` pictures for every product that has an ``image_path``.

    Parameters
    ----------
    products : pandas.DataFrame
        The products table (``sku``, ``category``, ``title``, ``attributes``, ``image_path``...).
        Rows whose ``image_path`` is null are skipped.
    root : pathlib.Path
        Folder the relative ``image_path`` values (``images/products/sku-00001.jpg``) are under.

    Returns
    -------
    int
        How many files were written; files that already exist are left as they are.

    Raises
    ------
    ValidationError
        If an ``image_path`` is absolute or leads outside ``root``.
    """
    if "image_path" not in products.columns:
        return 0
    root = Path(root)
    base = root.resolve()
    written = 0
    for row in products[products["image_path"].notna()].to_dict("records"):
        relative = str(row["image_path"])
        target = (root / relative).resolve()
        if Path(relative).is_absolute() or not target.is_relative_to(base):
            raise ValidationError(
                f"image_path {relative!r} of {row.get('sku')!r} is not a relative path inside {root}; "
                "demo pictures are only written under the shop folder."
            )
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        render_product_image({str(k): v for k, v in row.items()}).save(tmp, format="JPEG", quality=90)
        tmp.replace(target)
        written += 1
    return written


# ---- drawing helpers (all on the double-size canvas)


def _jitter(colour: RGB, rng: random.Random, amount: int) -> RGB:
    r, g, b = (max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)
    return (r, g, b)


def _shade(colour: RGB, factor: float) -> RGB:
    r, g, b = (max(0, min(255, round(c * factor))) for c in colour)
    return (r, g, b)


def _ellipse_points(
    cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 36
) -> list[tuple[float, float]]:
    ca, sa = math.cos(angle), math.sin(angle)
    points = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return points


def _layout(rng: random.Random, s: int, count: int, spread: float = 0.22) -> list[tuple[float, float]]:
    """Item centres around the middle of the canvas, in rows, jittered."""
    count = max(1, count)
    per_row = math.ceil(math.sqrt(count))
    rows = math.ceil(count / per_row)
    centres = []
    for i in range(count):
        row, col = divmod(i, per_row)
        in_row = min(per_row, count - row * per_row)
        x = 0.5 + (col - (in_row - 1) / 2) * spread
        y = 0.52 + (row - (rows - 1) / 2) * spread
        centres.append(((x + rng.uniform(-0.025, 0.025)) * s, (y + rng.uniform(-0.025, 0.025)) * s))
    return centres


def _leaf(draw: ImageDraw.ImageDraw, cx: float, cy: float, length: float, angle: float, colour: RGB) -> None:
    draw.polygon(_ellipse_points(cx, cy, length / 2, length / 5, angle), fill=colour)
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    draw.line(
        [(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=_shade(colour, 0.7), width=max(1, int(length / 25))
    )


def _round_fruit(
    draw: ImageDraw.ImageDraw,
    s: int,
    rng: random.Random,
    count: int,
    colour: RGB,
    radius: float,
    *,
    dimples: bool = False,
    stem: bool = True,
    leaf: bool = True,
    squash: float = 1.0,
) -> None:
    for cx, cy in _layout(rng, s, count, spread=radius * 2.1 / s):
        r = radius * rng.uniform(0.92, 1.06)
        c = _jitter(colour, rng, 10)
        draw.ellipse(
            (cx - r, cy - r * squash, cx + r, cy + r * squash), fill=c, outline=_shade(c, 0.75), width=2
        )
        if dimples:
            for _ in range(26):
                a, d = rng.uniform(0, 2 * math.pi), r * math.sqrt(rng.random()) * 0.85
                px, py = cx + d * math.cos(a), cy + d * math.sin(a) * squash
                draw.ellipse((px - 2, py - 2, px + 2, py + 2), fill=_shade(c, 0.85))
        draw.ellipse((cx - r * 0.55, cy - r * 0.6, cx - r * 0.2, cy - r * 0.3), fill=_shade(c, 1.25))
        top = cy - r * squash
        if stem:
            draw.line(
                [(cx, top + 4), (cx + r * 0.08, top - r * 0.25)], fill=(95, 60, 30), width=max(2, int(r / 12))
            )
        if leaf:
            _leaf(draw, cx + r * 0.3, top - r * 0.12, r * 0.7, -0.5 + rng.uniform(-0.2, 0.2), (70, 140, 50))


def _citrus(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _round_fruit(d, s, rng, 3 + extra, (243, 140, 22), s * 0.16, dimples=True)


def _apple(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _round_fruit(d, s, rng, 3 + extra, (196, 32, 42), s * 0.16, squash=0.9)


def _tomato(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 3 + extra, spread=0.3):
        r = s * 0.14 * rng.uniform(0.92, 1.06)
        c = _jitter((222, 48, 35), rng, 10)
        d.ellipse((cx - r, cy - r * 0.85, cx + r, cy + r * 0.85), fill=c, outline=_shade(c, 0.7), width=2)
        d.ellipse((cx - r * 0.5, cy - r * 0.55, cx - r * 0.15, cy - r * 0.3), fill=_shade(c, 1.3))
        for k in range(5):
            a = -math.pi / 2 + k * 2 * math.pi / 5
            d.line(
                [(cx, cy - r * 0.8), (cx + r * 0.4 * math.cos(a), cy - r * 0.8 + r * 0.3 * math.sin(a))],
                fill=(40, 120, 40),
                width=5,
            )


def _melon(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    cx, cy = s * (0.5 + rng.uniform(-0.03, 0.03)), s * 0.52
    rx, ry = s * 0.34, s * 0.25
    c = _jitter((214, 198, 110), rng, 10)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=c, outline=_shade(c, 0.7), width=3)
    net = _shade(c, 0.8)
    for i in range(-6, 7):
        x = cx + i * rx / 6.5
        half = ry * math.sqrt(max(0.0, 1 - ((x - cx) / rx) ** 2))
        d.line([(x - 10, cy - half), (x + 10, cy + half)], fill=net, width=2)
    for j in range(-4, 5):
        y = cy + j * ry / 4.5
        half = rx * math.sqrt(max(0.0, 1 - ((y - cy) / ry) ** 2))
        d.line([(cx - half, y), (cx + half, y + 6)], fill=net, width=2)


def _pear(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 2 + extra, spread=0.32):
        r = s * 0.12 * rng.uniform(0.93, 1.05)
        c = _jitter((214, 204, 96), rng, 10)
        d.ellipse((cx - r * 0.62, cy - r * 1.45, cx + r * 0.62, cy - r * 0.2), fill=c)
        d.ellipse((cx - r, cy - r * 0.6, cx + r, cy + r * 1.1), fill=c)
        for _ in range(14):
            px, py = cx + rng.uniform(-0.7, 0.7) * r, cy + rng.uniform(-0.3, 0.9) * r
            d.ellipse((px - 2, py - 2, px + 2, py + 2), fill=_shade(c, 0.8))
        d.line([(cx, cy - r * 1.4), (cx + 6, cy - r * 1.8)], fill=(90, 60, 30), width=6)


def _mango(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 2 + extra, spread=0.34):
        r = s * 0.15 * rng.uniform(0.93, 1.05)
        angle = 0.5 + rng.uniform(-0.15, 0.15)
        d.polygon(_ellipse_points(cx, cy, r * 1.25, r * 0.8, angle), fill=_jitter((238, 176, 40), rng, 8))
        d.polygon(_ellipse_points(cx + r * 0.3, cy + r * 0.15, r * 0.75, r * 0.5, angle), fill=(232, 120, 45))
        d.polygon(
            _ellipse_points(cx - r * 0.5, cy - r * 0.35, r * 0.3, r * 0.15, angle), fill=(250, 214, 110)
        )


def _passion_fruit(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    centres = _layout(rng, s, 3 + extra, spread=0.3)
    for i, (cx, cy) in enumerate(centres):
        r = s * 0.13 * rng.uniform(0.93, 1.05)
        if i == 0:  # one cut in half: yellow pulp, black seeds
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(95, 40, 80))
            d.ellipse((cx - r * 0.82, cy - r * 0.82, cx + r * 0.82, cy + r * 0.82), fill=(236, 196, 60))
            for _ in range(16):
                a, dd = rng.uniform(0, 2 * math.pi), r * 0.6 * math.sqrt(rng.random())
                px, py = cx + dd * math.cos(a), cy + dd * math.sin(a)
                d.ellipse((px - 4, py - 4, px + 4, py + 4), fill=(30, 25, 20))
            continue
        c = _jitter((92, 38, 82), rng, 8)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=c)
        for _ in range(18):
            px, py = cx + rng.uniform(-0.7, 0.7) * r, cy + rng.uniform(-0.7, 0.7) * r
            d.ellipse((px - 2, py - 2, px + 2, py + 2), fill=(170, 130, 160))


def _strawberry(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 4 + extra, spread=0.26):
        r = s * 0.1 * rng.uniform(0.9, 1.08)
        c = _jitter((214, 30, 45), rng, 10)
        d.polygon(
            [
                (cx - r, cy - r * 0.6),
                (cx + r, cy - r * 0.6),
                (cx + r * 0.55, cy + r * 0.6),
                (cx, cy + r * 1.2),
                (cx - r * 0.55, cy + r * 0.6),
            ],
            fill=c,
        )
        d.ellipse((cx - r, cy - r * 1.0, cx + r, cy - r * 0.1), fill=c)
        for _ in range(12):
            px, py = cx + rng.uniform(-0.6, 0.6) * r, cy + rng.uniform(-0.6, 0.7) * r
            d.ellipse((px - 2, py - 3, px + 2, py + 3), fill=(245, 220, 90))
        for k in range(5):
            a = math.pi + k * math.pi / 4
            _leaf(
                d,
                cx + r * 0.45 * math.cos(a),
                cy - r * 0.8 + r * 0.2 * math.sin(a),
                r * 0.7,
                a,
                (50, 135, 45),
            )


def _kiwi(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    centres = _layout(rng, s, 3 + extra, spread=0.3)
    for i, (cx, cy) in enumerate(centres):
        r = s * 0.13 * rng.uniform(0.93, 1.05)
        if i == 0:  # a slice: green flesh, pale core, a ring of black seeds
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(125, 100, 60))
            d.ellipse((cx - r * 0.9, cy - r * 0.9, cx + r * 0.9, cy + r * 0.9), fill=(120, 180, 50))
            d.ellipse((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=(225, 230, 170))
            for k in range(18):
                a = 2 * math.pi * k / 18
                px, py = cx + r * 0.45 * math.cos(a), cy + r * 0.45 * math.sin(a)
                d.ellipse((px - 3, py - 3, px + 3, py + 3), fill=(25, 20, 15))
            continue
        c = _jitter((128, 98, 58), rng, 8)
        d.polygon(_ellipse_points(cx, cy, r * 1.15, r * 0.85, rng.uniform(-0.3, 0.3)), fill=c)
        for _ in range(30):
            px, py = cx + rng.uniform(-0.8, 0.8) * r, cy + rng.uniform(-0.6, 0.6) * r
            d.point((px, py), fill=_shade(c, 0.7))


def _crab(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    cx, cy = s * (0.5 + rng.uniform(-0.03, 0.03)), s * (0.55 + rng.uniform(-0.02, 0.02))
    rx, ry = s * 0.2, s * 0.14
    c = _jitter((86, 84, 54), rng, 8)
    leg = _shade(c, 0.8)
    for side in (-1, 1):
        for k in range(4):
            x0, y0 = cx + side * rx * 0.7, cy - ry * 0.2 + k * ry * 0.3
            x1, y1 = x0 + side * s * 0.13, y0 + s * (0.02 + 0.035 * k)
            d.line([(x0, y0), (x1, y1 - s * 0.04), (x1 + side * s * 0.04, y1 + s * 0.03)], fill=leg, width=8)
        claw_x, claw_y = cx + side * rx * 0.9, cy - ry * 1.6
        d.line([(cx + side * rx * 0.5, cy - ry * 0.6), (claw_x, claw_y)], fill=leg, width=10)
        d.ellipse((claw_x - 22, claw_y - 16, claw_x + 22, claw_y + 16), fill=c)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=c, outline=_shade(c, 0.6), width=3)
    d.line([(cx - rx, cy), (cx + rx, cy)], fill=(215, 180, 70), width=6)  # the straw string
    d.line([(cx, cy - ry), (cx, cy + ry)], fill=(215, 180, 70), width=6)


def _mushroom(
    d: ImageDraw.ImageDraw, s: int, rng: random.Random, count: int, cap: RGB, stem: RGB, tall: float
) -> None:
    for cx, cy in _layout(rng, s, count, spread=0.27):
        r = s * 0.1 * rng.uniform(0.9, 1.08)
        d.rounded_rectangle(
            (cx - r * 0.35, cy - r * 0.2, cx + r * 0.35, cy + r * tall), radius=int(r * 0.2), fill=stem
        )
        c = _jitter(cap, rng, 10)
        d.chord(
            (cx - r, cy - r * 0.9, cx + r, cy + r * 0.5), 180, 360, fill=c, outline=_shade(c, 0.7), width=2
        )


def _fresh_mushroom(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _mushroom(d, s, rng, 3 + extra, (150, 105, 70), (236, 226, 206), tall=1.6)


def _dried_mushroom(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 6 + extra, spread=0.2):
        r = s * 0.075 * rng.uniform(0.85, 1.1)
        c = _jitter((112, 72, 40), rng, 10)
        d.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=c)
        for _ in range(5):  # cracked caps
            a = rng.uniform(0, 2 * math.pi)
            d.line(
                [(cx, cy), (cx + r * 0.8 * math.cos(a), cy + r * 0.6 * math.sin(a))],
                fill=(220, 200, 165),
                width=3,
            )


def _black_fungus(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 6 + extra, spread=0.2):
        for _ in range(4):
            r = s * 0.05 * rng.uniform(0.7, 1.2)
            ox, oy = rng.uniform(-0.03, 0.03) * s, rng.uniform(-0.03, 0.03) * s
            d.polygon(
                _ellipse_points(cx + ox, cy + oy, r * 1.3, r * 0.8, rng.uniform(0, math.pi)),
                fill=_jitter((34, 28, 30), rng, 6),
            )


def _bamboo_shoot(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 2 + extra, spread=0.3):
        h, w = s * 0.36 * rng.uniform(0.9, 1.05), s * 0.09
        c = _jitter((196, 160, 90), rng, 8)
        d.polygon([(cx - w, cy + h / 2), (cx + w, cy + h / 2), (cx, cy - h / 2)], fill=c)
        for k in range(1, 6):
            y = cy + h / 2 - k * h / 6
            half = w * (1 - k / 6)
            d.line([(cx - half, y), (cx + half, y - 10)], fill=(120, 90, 50), width=3)


def _yam(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for k in range(3 + extra):
        x = s * (0.3 + 0.4 * (k + 0.5) / (3 + extra)) + rng.uniform(-0.02, 0.02) * s
        c = _jitter((150, 118, 80), rng, 8)
        d.rounded_rectangle((x - s * 0.025, s * 0.15, x + s * 0.025, s * 0.88), radius=int(s * 0.02), fill=c)
        for _ in range(10):
            y = rng.uniform(0.2, 0.85) * s
            d.line([(x - s * 0.02, y), (x + s * 0.02, y + 4)], fill=_shade(c, 0.7), width=2)


def _sack(d: ImageDraw.ImageDraw, s: int, rng: random.Random, colour: RGB, grain: RGB, grains: int) -> None:
    c = _jitter(colour, rng, 8)
    cx = s * (0.5 + rng.uniform(-0.02, 0.02))
    top, bottom = s * 0.2, s * 0.86
    d.polygon(
        [
            (cx - s * 0.2, top + s * 0.08),
            (cx + s * 0.2, top + s * 0.08),
            (cx + s * 0.28, bottom),
            (cx - s * 0.28, bottom),
        ],
        fill=c,
    )
    d.polygon(
        [
            (cx - s * 0.12, top),
            (cx + s * 0.12, top),
            (cx + s * 0.06, top + s * 0.1),
            (cx - s * 0.06, top + s * 0.1),
        ],
        fill=_shade(c, 0.9),
    )
    d.line([(cx - s * 0.08, top + s * 0.09), (cx + s * 0.08, top + s * 0.09)], fill=(150, 90, 40), width=8)
    d.rectangle((cx - s * 0.14, s * 0.45, cx + s * 0.14, s * 0.62), fill=(186, 40, 40))
    for _ in range(grains):
        x, y = rng.uniform(0.2, 0.8) * s, rng.uniform(0.86, 0.95) * s
        d.ellipse((x - 4, y - 2, x + 4, y + 2), fill=grain)


def _rice(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _sack(d, s, rng, (232, 218, 184), (252, 250, 240), 90 + 20 * extra)


def _grain(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _sack(d, s, rng, (206, 170, 96), (236, 190, 60), 140 + 20 * extra)


def _oil(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, _cy in _layout(rng, s, 1 + max(0, extra), spread=0.32):
        w = s * 0.12
        c = _jitter((222, 172, 42), rng, 8)
        d.rounded_rectangle(
            (cx - w, s * 0.35, cx + w, s * 0.86), radius=int(w * 0.3), fill=c, outline=_shade(c, 0.7), width=3
        )
        d.polygon(
            [(cx - w, s * 0.36), (cx + w, s * 0.36), (cx + w * 0.35, s * 0.22), (cx - w * 0.35, s * 0.22)],
            fill=_shade(c, 1.1),
        )
        d.rectangle((cx - w * 0.35, s * 0.15, cx + w * 0.35, s * 0.22), fill=(40, 110, 50))
        d.rectangle((cx - w * 0.8, s * 0.5, cx + w * 0.8, s * 0.66), fill=(245, 240, 225))


def _tea_leaves(
    d: ImageDraw.ImageDraw, s: int, rng: random.Random, colour: RGB, count: int, length: float, width: float
) -> None:
    for _ in range(count):
        a, dd = rng.uniform(0, 2 * math.pi), s * 0.3 * math.sqrt(rng.random())
        cx, cy = s * 0.5 + dd * math.cos(a), s * 0.54 + dd * math.sin(a) * 0.8
        c = _jitter(colour, rng, 14)
        d.polygon(
            _ellipse_points(cx, cy, s * length / 2, s * width / 2, rng.uniform(0, math.pi), n=16), fill=c
        )


def _green_tea(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _tea_leaves(d, s, rng, (118, 150, 62), 150 + 30 * extra, 0.09, 0.022)


def _black_tea(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _tea_leaves(d, s, rng, (84, 44, 30), 170 + 30 * extra, 0.07, 0.018)


def _oolong(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for _ in range(110 + 20 * extra):
        a, dd = rng.uniform(0, 2 * math.pi), s * 0.3 * math.sqrt(rng.random())
        cx, cy = s * 0.5 + dd * math.cos(a), s * 0.54 + dd * math.sin(a) * 0.8
        r = s * 0.018 * rng.uniform(0.8, 1.3)
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_jitter((58, 80, 48), rng, 10))


def _puer(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    cx, cy, r = s * (0.5 + rng.uniform(-0.02, 0.02)), s * 0.53, s * 0.34
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(238, 228, 205), outline=(180, 160, 130), width=3)
    inner = r * 0.8
    c = _jitter((112, 74, 44), rng, 8)
    d.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=c)
    for _ in range(160):
        a, dd = rng.uniform(0, 2 * math.pi), inner * math.sqrt(rng.random()) * 0.95
        px, py = cx + dd * math.cos(a), cy + dd * math.sin(a)
        d.line(
            [(px, py), (px + rng.uniform(-8, 8), py + rng.uniform(-8, 8))],
            fill=_shade(c, rng.uniform(0.7, 1.3)),
            width=3,
        )
    d.rectangle((cx - r * 0.18, cy - r * 0.95, cx + r * 0.18, cy - r * 0.72), fill=(190, 30, 35))


def _honey(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    hexagon = (250, 226, 150)
    h = s * 0.06
    for row in range(-1, 13):
        for col in range(-1, 13):
            x = col * h * 1.75 + (row % 2) * h * 0.87
            y = row * h * 1.5
            d.polygon(
                [
                    (
                        x + h * math.cos(math.pi / 6 + k * math.pi / 3),
                        y + h * math.sin(math.pi / 6 + k * math.pi / 3),
                    )
                    for k in range(6)
                ],
                outline=hexagon,
                width=3,
            )
    cx = s * (0.5 + rng.uniform(-0.02, 0.02))
    w = s * 0.2
    c = _jitter((226, 150, 28), rng, 8)
    d.rounded_rectangle(
        (cx - w, s * 0.32, cx + w, s * 0.86), radius=int(w * 0.35), fill=c, outline=_shade(c, 0.7), width=3
    )
    d.rounded_rectangle((cx - w * 0.85, s * 0.22, cx + w * 0.85, s * 0.33), radius=8, fill=(120, 80, 40))
    d.ellipse((cx - w * 0.7, s * 0.42, cx - w * 0.35, s * 0.7), fill=_shade(c, 1.25))
    d.rectangle((cx - w * 0.75, s * 0.52, cx + w * 0.75, s * 0.7), fill=(250, 244, 225))


def _small_items(
    d: ImageDraw.ImageDraw,
    s: int,
    rng: random.Random,
    count: int,
    colour: RGB,
    rx: float,
    ry: float,
    highlight: bool,
) -> None:
    for _ in range(count):
        a, dd = rng.uniform(0, 2 * math.pi), s * 0.3 * math.sqrt(rng.random())
        cx, cy = s * 0.5 + dd * math.cos(a), s * 0.54 + dd * math.sin(a) * 0.8
        c = _jitter(colour, rng, 12)
        d.polygon(
            _ellipse_points(cx, cy, s * rx, s * ry, rng.uniform(0, math.pi), n=18),
            fill=c,
            outline=_shade(c, 0.7),
        )
        if highlight:
            d.ellipse((cx - s * rx * 0.4, cy - s * ry * 0.5, cx, cy - s * ry * 0.1), fill=_shade(c, 1.4))


def _walnut(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for cx, cy in _layout(rng, s, 5 + extra, spread=0.22):
        r = s * 0.085 * rng.uniform(0.9, 1.08)
        c = _jitter((166, 124, 74), rng, 10)
        d.ellipse((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), fill=c, outline=_shade(c, 0.65), width=3)
        d.line([(cx, cy - r * 0.9), (cx, cy + r * 0.9)], fill=_shade(c, 0.6), width=4)
        for _ in range(7):
            x0, y0 = cx + rng.uniform(-0.7, 0.7) * r, cy + rng.uniform(-0.6, 0.6) * r
            d.arc(
                (x0 - 10, y0 - 8, x0 + 10, y0 + 8),
                rng.uniform(0, 180),
                rng.uniform(180, 360),
                fill=_shade(c, 0.7),
                width=2,
            )


def _pine_nut(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _small_items(d, s, rng, 70 + 15 * extra, (232, 212, 160), 0.03, 0.017, highlight=False)


def _goji(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _small_items(d, s, rng, 80 + 15 * extra, (205, 40, 32), 0.03, 0.014, highlight=True)


def _raisin(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _small_items(d, s, rng, 80 + 15 * extra, (118, 112, 40), 0.024, 0.016, highlight=False)


def _jujube(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    _small_items(d, s, rng, 14 + 3 * extra, (140, 32, 30), 0.06, 0.04, highlight=True)


def _eggs(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    cols, rows = (3, 2) if extra < 2 else (4, 3)
    if extra < 0:
        cols, rows = 2, 2
    d.rectangle((s * 0.12, s * 0.25, s * 0.88, s * 0.8), fill=(196, 182, 150))
    shell = (218, 176, 128) if rng.random() < 0.5 else (236, 222, 196)
    for row in range(rows):
        for col in range(cols):
            cx = s * (0.12 + 0.76 * (col + 0.5) / cols)
            cy = s * (0.25 + 0.55 * (row + 0.5) / rows)
            r = min(0.76 / cols, 0.55 / rows) * s * 0.36
            c = _jitter(shell, rng, 10)
            d.ellipse((cx - r * 0.8, cy - r, cx + r * 0.8, cy + r), fill=c, outline=_shade(c, 0.8), width=2)
            d.ellipse((cx - r * 0.45, cy - r * 0.7, cx - r * 0.1, cy - r * 0.3), fill=_shade(c, 1.12))


def _bacon(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for k, (cx, _cy) in enumerate(_layout(rng, s, 1 + max(0, extra // 2), spread=0.3)):
        w, top, bottom = s * 0.16, s * (0.2 + 0.03 * k), s * 0.85
        c = _jitter((122, 52, 30), rng, 8)
        d.rectangle((cx - w, top, cx + w, bottom), fill=c)
        for j in range(1, 6):
            y = top + j * (bottom - top) / 6
            d.line([(cx - w, y), (cx + w, y + rng.uniform(-6, 6))], fill=(236, 206, 168), width=10)
        d.line([(cx, top), (cx, s * 0.08)], fill=(120, 110, 90), width=4)


def _sausage(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    for k in range(4 + extra):
        x = s * (0.22 + 0.56 * (k + 0.5) / (4 + extra))
        c = _jitter((150, 36, 36), rng, 10)
        d.rounded_rectangle((x - s * 0.04, s * 0.2, x + s * 0.04, s * 0.82), radius=int(s * 0.04), fill=c)
        for _ in range(8):
            y = rng.uniform(0.25, 0.78) * s
            d.ellipse((x - 4, y - 3, x + 4, y + 3), fill=(230, 200, 180))
        d.line([(x, s * 0.2), (x, s * 0.12)], fill=(200, 190, 170), width=4)


def _basket(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    c = _jitter((204, 170, 108), rng, 8)
    left, right, top, bottom = s * 0.16, s * 0.84, s * 0.38, s * 0.84
    d.polygon([(left, top), (right, top), (right - s * 0.08, bottom), (left + s * 0.08, bottom)], fill=c)
    dark = _shade(c, 0.72)
    step = s * 0.045
    x = left - (bottom - top)
    while x < right:
        d.line([(x, bottom), (x + (bottom - top), top)], fill=dark, width=4)
        d.line([(x + (bottom - top), bottom), (x, top)], fill=dark, width=4)
        x += step
    d.polygon([(0, 0), (left, 0), (left, s), (0, s)], fill=im.getpixel((1, 1)))
    d.polygon([(right, 0), (s, 0), (s, s), (right, s)], fill=im.getpixel((s - 2, 1)))
    d.arc((left + s * 0.1, s * 0.14, right - s * 0.1, top + s * 0.22), 180, 360, fill=dark, width=12)


def _embroidery(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    m = s * 0.14
    d.rectangle((m, m, s - m, s - m), fill=(30, 30, 62))
    palette = [(214, 40, 60), (245, 190, 40), (40, 160, 90), (236, 110, 160), (60, 140, 220)]
    cell = (s - 2 * m) / 6
    for row in range(6):
        for col in range(6):
            cx, cy = m + (col + 0.5) * cell, m + (row + 0.5) * cell
            colour = palette[(row + col + rng.randint(0, 1)) % len(palette)]
            r = cell * 0.42
            d.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=colour)
            d.polygon(
                [(cx, cy - r * 0.4), (cx + r * 0.4, cy), (cx, cy + r * 0.4), (cx - r * 0.4, cy)],
                fill=(250, 245, 230),
            )
    for k in range(2):
        y = m + k * (s - 2 * m) - 6 + 12 * k
        d.line([(m, y), (s - m, y)], fill=(245, 190, 40), width=10)


def _teapot(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    c = _jitter((118, 58, 46), rng, 8)
    cx, cy = s * (0.5 + rng.uniform(-0.02, 0.02)), s * 0.58
    rx, ry = s * 0.22, s * 0.17
    d.polygon(
        [
            (cx + rx * 0.8, cy),
            (cx + rx * 1.6, cy - ry * 0.9),
            (cx + rx * 1.7, cy - ry * 0.75),
            (cx + rx * 0.9, cy + ry * 0.4),
        ],
        fill=c,
    )
    d.arc((cx - rx * 1.55, cy - ry * 0.8, cx - rx * 0.5, cy + ry * 0.7), 90, 270, fill=c, width=16)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=c, outline=_shade(c, 0.7), width=3)
    d.ellipse((cx - rx * 0.5, cy - ry * 1.2, cx + rx * 0.5, cy - ry * 0.8), fill=_shade(c, 0.9))
    d.ellipse((cx - rx * 0.12, cy - ry * 1.45, cx + rx * 0.12, cy - ry * 1.1), fill=_shade(c, 0.85))
    d.ellipse((cx - rx * 0.6, cy - ry * 0.6, cx - rx * 0.25, cy - ry * 0.2), fill=_shade(c, 1.2))


def _porcelain(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    white, blue = (244, 245, 250), _jitter((32, 62, 150), rng, 10)
    cx = s * (0.5 + rng.uniform(-0.02, 0.02))
    d.ellipse(
        (cx - s * 0.22, s * 0.35, cx + s * 0.22, s * 0.85), fill=white, outline=(190, 195, 210), width=3
    )
    d.rectangle((cx - s * 0.07, s * 0.16, cx + s * 0.07, s * 0.4), fill=white)
    d.ellipse((cx - s * 0.1, s * 0.12, cx + s * 0.1, s * 0.2), fill=white, outline=(190, 195, 210), width=2)
    for y in (0.45, 0.77):
        d.line([(cx - s * 0.19, s * y), (cx + s * 0.19, s * y)], fill=blue, width=8)
    for k in range(5):
        px = cx - s * 0.14 + k * s * 0.07
        d.arc((px - 18, s * 0.55, px + 18, s * 0.67), 0, 300, fill=blue, width=5)
    d.line([(cx - s * 0.07, s * 0.25), (cx + s * 0.07, s * 0.25)], fill=blue, width=6)


def _parcel(d: ImageDraw.ImageDraw, im: Image.Image, s: int, rng: random.Random, extra: int) -> None:
    c = _jitter((190, 150, 100), rng, 8)
    d.rectangle((s * 0.22, s * 0.3, s * 0.78, s * 0.8), fill=c, outline=_shade(c, 0.7), width=4)
    d.rectangle((s * 0.46, s * 0.3, s * 0.54, s * 0.8), fill=(220, 200, 160))


_PAINTERS: Final[dict[str, _Painter]] = {
    "citrus": _citrus,
    "apple": _apple,
    "melon": _melon,
    "pear": _pear,
    "mango": _mango,
    "passion_fruit": _passion_fruit,
    "strawberry": _strawberry,
    "kiwi": _kiwi,
    "crab": _crab,
    "fresh_mushroom": _fresh_mushroom,
    "tomato": _tomato,
    "bamboo_shoot": _bamboo_shoot,
    "yam": _yam,
    "rice": _rice,
    "grain": _grain,
    "oil": _oil,
    "green_tea": _green_tea,
    "black_tea": _black_tea,
    "oolong": _oolong,
    "puer": _puer,
    "honey": _honey,
    "black_fungus": _black_fungus,
    "dried_mushroom": _dried_mushroom,
    "walnut": _walnut,
    "pine_nut": _pine_nut,
    "goji": _goji,
    "raisin": _raisin,
    "jujube": _jujube,
    "eggs": _eggs,
    "bacon": _bacon,
    "sausage": _sausage,
    "basket": _basket,
    "embroidery": _embroidery,
    "teapot": _teapot,
    "porcelain": _porcelain,
    "parcel": _parcel,
}
