"""Visual search: the ONNX image embedder, the visual index and the demo-store pictures.

Real model, real data: Fashion-MNIST comes from Debian's dataset-fashion-mnist, fetched by
``scripts/fetch_fashion_mnist.sh`` (``make test`` runs it through ``make datasets``).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.datasets.fashion_mnist import load_fashion_mnist
from shopmind.errors import (
    InvalidParameterError,
    MissingDatasetError,
    NotFittedError,
    NotFoundError,
    ValidationError,
)
from shopmind.search.visual import (
    EMBEDDING_DIM,
    ImageEmbedder,
    ImageLike,
    UnreadableImageError,
    VisualIndex,
    product_kind,
    render_product_image,
    write_demo_images,
)


@pytest.fixture(scope="module")
def embedder() -> ImageEmbedder:
    # 128 pixels: about 3x faster than the default 224, plenty for these checks.
    return ImageEmbedder(side=128, intra_op_num_threads=2)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    """A non-square RGB picture with some structure (a red disc and a blue bar on white)."""
    from PIL import ImageDraw

    picture = Image.new("RGB", (90, 60), "white")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((10, 10, 50, 50), fill=(200, 30, 30))
    draw.rectangle((60, 5, 80, 55), fill=(30, 60, 200))
    return picture


def _encoded(picture: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **({"quality": 95, "subsampling": 0} if fmt == "JPEG" else {}))
    return buffer.getvalue()


# -- embedder -------------------------------------------------------------------------------------


def test_embeddings_are_unit_vectors_of_the_right_shape(
    embedder: ImageEmbedder, photo: Image.Image, tmp_path: Path
) -> None:
    path = tmp_path / "photo.png"
    photo.save(path)
    rgba = photo.convert("RGBA")
    images: list[ImageLike] = [
        photo,
        photo.convert("L"),
        rgba,
        np.asarray(photo.convert("L")),
        np.asarray(photo),
        _encoded(photo, "JPEG"),
        _encoded(photo, "PNG"),
        str(path),
        path,
    ]
    vectors = embedder.embed(images)
    assert vectors.shape == (len(images), EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The same picture through different doors lands in the same place.
    assert float(vectors[0] @ vectors[7]) > 0.999  # PIL image and its PNG file
    assert float(vectors[0] @ vectors[5]) > 0.95  # JPEG loses a little
    assert embedder.embed([]).shape == (0, EMBEDDING_DIM)
    assert embedder.embed_one(photo).shape == (EMBEDDING_DIM,)


def test_a_numpy_batch_is_embedded_like_a_list(embedder: ImageEmbedder) -> None:
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    np.testing.assert_allclose(embedder.embed(gray), embedder.embed(list(gray)), atol=1e-6)
    rgb = rng.integers(0, 256, size=(2, 40, 40, 3), dtype=np.uint8)
    assert embedder.embed(rgb).shape == (2, EMBEDDING_DIM)
    # A grayscale array and the same picture as RGB give the same vector.
    np.testing.assert_allclose(
        embedder.embed([gray[0]]), embedder.embed([np.repeat(gray[0][:, :, None], 3, axis=2)]), atol=1e-6
    )


def test_the_same_image_twice_gives_identical_vectors(embedder: ImageEmbedder, photo: Image.Image) -> None:
    first = embedder.embed([photo])
    second = embedder.embed([photo])
    assert np.array_equal(first, second)
    both = embedder.embed([photo, photo.copy()])
    np.testing.assert_allclose(both[0], both[1], atol=1e-6)
    np.testing.assert_allclose(both[0], first[0], atol=1e-5)


def test_unreadable_bytes_raise_a_clear_error(embedder: ImageEmbedder, photo: Image.Image) -> None:
    with pytest.raises(UnreadableImageError, match="could not be read as an image") as info:
        embedder.embed([b"this is not a picture at all"])
    message = str(info.value)
    assert "Image 0" in message
    assert "Send a complete JPEG, PNG" in message
    assert isinstance(info.value, ValidationError)
    assert info.value.status == 422

    truncated = _encoded(photo, "JPEG")[:200]
    with pytest.raises(UnreadableImageError, match=r"Image 1: .*could not be read"):
        embedder.embed([photo, truncated])
    with pytest.raises(UnreadableImageError, match="is empty"):
        embedder.embed([b""])
    with pytest.raises(UnreadableImageError, match=r"could not be read.*Check the path"):
        embedder.embed([Path("/nonexistent/picture.jpg")])
    with pytest.raises(UnreadableImageError, match="uint8"):
        embedder.embed([np.zeros((10, 10), dtype=np.float64)])
    with pytest.raises(UnreadableImageError, match="Cannot use a int"):
        embedder.embed([42])  # type: ignore[list-item]


def test_embedder_parameters_are_checked() -> None:
    with pytest.raises(
        InvalidParameterError, match="'side' parameter of ImageEmbedder must be a multiple of 32"
    ):
        ImageEmbedder(side=100)
    with pytest.raises(InvalidParameterError, match="'fit'"):
        ImageEmbedder(fit="stretch")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="does not exist"):
        ImageEmbedder(model_path="/nonexistent/model.onnx")


def test_embedder_pickles_without_its_session(embedder: ImageEmbedder, photo: Image.Image) -> None:
    expected = embedder.embed([photo])
    clone = pickle.loads(pickle.dumps(embedder))
    assert clone.side == embedder.side
    assert clone.model_sha256 == embedder.model_sha256
    assert np.array_equal(clone.embed([photo]), expected)


def test_crop_and_pad_differ_only_for_non_square_pictures(photo: Image.Image) -> None:
    pad, crop = ImageEmbedder(side=64, fit="pad"), ImageEmbedder(side=64, fit="crop")
    assert pad.prepare(photo).shape == crop.prepare(photo).shape == (64, 64, 3)
    assert not np.array_equal(pad.prepare(photo), crop.prepare(photo))
    # Padding uses the border colour (white here), so the corners stay white.
    assert tuple(pad.prepare(photo)[0, 0]) == (255, 255, 255)
    square = photo.crop((0, 0, 60, 60))
    assert np.array_equal(pad.prepare(square), crop.prepare(square))


# -- index ----------------------------------------------------------------------------------------


def _unit(rng: np.random.Generator, n: int, dim: int = 32) -> npt.NDArray[np.float32]:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float32)


@pytest.mark.parametrize(("exact_below", "backend"), [(10_000, "exact"), (0, "hnsw")])
def test_index_add_remove_query_and_pickle(exact_below: int, backend: str) -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 200)
    keys = [f"SKU-{i:05d}" for i in range(200)]
    index = VisualIndex(exact_below=exact_below, threads=1).fit(keys, vectors)
    assert index.backend_ == backend
    assert len(index) == 200
    assert "SKU-00007" in index

    hits = index.query(vectors[7], k=5)
    assert len(hits) == 5
    assert hits[0][0] == "SKU-00007"
    assert hits[0][1] == pytest.approx(1.0, abs=2e-3)  # the graph stores float16
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert index.query(vectors[7][None, :] * 3.0, k=1)[0][0] == "SKU-00007"  # scale does not matter
    assert index.query_many(vectors[:3], k=2)[2][0][0] == "SKU-00002"

    # add: new keys, and a new picture for an existing key
    extra = _unit(rng, 3)
    index.add(["NEW-1", "NEW-2", "SKU-00007"], extra)
    assert len(index) == 202
    assert index.query(extra[2], k=1)[0][0] == "SKU-00007"
    np.testing.assert_allclose(index.vector("SKU-00007"), extra[2], atol=2e-3)
    assert index.query(extra[0], k=1)[0][0] == "NEW-1"
    assert index.similar("NEW-1", k=3)[0][0] != "NEW-1"

    # remove: gone from every answer; unknown keys are ignored
    index.remove(["NEW-1", "SKU-00003", "never-indexed"])
    assert len(index) == 200
    assert "NEW-1" not in index
    found = {key for hits in index.query_many(np.vstack([extra[0], vectors[3]]), k=10) for key, _ in hits}
    assert "NEW-1" not in found
    assert "SKU-00003" not in found
    with pytest.raises(NotFoundError, match="No image is indexed for 'NEW-1'"):
        index.vector("NEW-1")

    clone = pickle.loads(pickle.dumps(index))
    assert clone.backend_ == backend
    assert len(clone) == 200
    assert clone.keys_ == index.keys_
    queries = _unit(rng, 5)
    assert clone.query_many(queries, k=10) == index.query_many(queries, k=10)
    clone.add(["AFTER"], _unit(rng, 1))  # still mutable after unpickling
    assert "AFTER" in clone
    assert "AFTER" not in index


def test_index_switches_to_hnsw_when_it_grows() -> None:
    rng = np.random.default_rng(2)
    index = VisualIndex(exact_below=50, threads=1).fit([f"a{i}" for i in range(40)], _unit(rng, 40))
    assert index.backend_ == "exact"
    more = _unit(rng, 20)
    index.add([f"b{i}" for i in range(20)], more)
    assert str(index.backend_) == "hnsw"
    assert len(index) == 60
    assert index.query(more[4], k=1)[0][0] == "b4"
    assert len(index.query(more[4], k=100)) == 60


def test_index_errors() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        VisualIndex().query(np.ones(4, dtype=np.float32))
    with pytest.raises(ValidationError, match="same key more than once"):
        VisualIndex().fit(["a", "a"], np.eye(2, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match="'vectors' parameter"):
        VisualIndex().fit(["a", "b"], np.eye(3, dtype=np.float32))
    index = VisualIndex().fit(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(InvalidParameterError, match="'vectors' parameter"):
        index.add(["c"], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        index.query(np.ones(2, dtype=np.float32), k=0)
    with pytest.raises(InvalidParameterError, match="'exact_below' parameter"):
        VisualIndex(exact_below=-1)


# -- Fashion-MNIST --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion() -> tuple[
    npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]
]:
    try:
        train_x, train_y = load_fashion_mnist("train")
        test_x, test_y = load_fashion_mnist("test")
    except MissingDatasetError as exc:
        pytest.skip(f"Fashion-MNIST is not installed; run `bash scripts/fetch_fashion_mnist.sh`. ({exc})")
    return train_x, train_y, test_x, test_y


def test_fashion_mnist_loader(
    fashion: tuple[
        npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]
    ],
) -> None:
    train_x, train_y, test_x, test_y = fashion
    assert train_x.shape == (60_000, 28, 28)
    assert test_x.shape == (10_000, 28, 28)
    assert train_x.dtype == np.uint8
    assert set(np.unique(train_y)) == set(range(10))
    assert np.bincount(test_y).tolist() == [1000] * 10
    with pytest.raises(InvalidParameterError, match="'split'"):
        load_fashion_mnist("validation")
    with pytest.raises(MissingDatasetError, match=r"fetch_fashion_mnist\.sh"):
        load_fashion_mnist("train", path="/nonexistent/fashion")


def test_same_class_retrieval_is_well_above_chance_on_fashion_mnist(
    embedder: ImageEmbedder,
    fashion: tuple[
        npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]
    ],
) -> None:
    train_x, train_y, test_x, test_y = fashion
    rng = np.random.default_rng(0)
    kept = rng.choice(len(train_x), size=300, replace=False)
    picked = rng.choice(len(test_x), size=100, replace=False)
    index = VisualIndex().fit([str(i) for i in kept], embedder.embed(train_x[kept]))
    found = index.query_many(embedder.embed(test_x[picked]), k=10)
    precision = np.mean(
        [
            np.mean([train_y[int(key)] == test_y[q] for key, _ in hits])
            for q, hits in zip(picked, found, strict=True)
        ]
    )
    assert precision > 0.5  # chance is 0.1; about 0.63 here, 0.8+ with the full 60,000-image index


# -- demo-store pictures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_products() -> list[dict[str, object]]:
    products = generate_demo_store(seed=3, size=DemoSize.small()).products
    return [{str(k): v for k, v in row.items()} for row in products.to_dict("records")]


def test_render_product_image_is_deterministic(demo_products: list[dict[str, object]]) -> None:
    first = render_product_image(demo_products[0])
    assert first.size == (224, 224)
    assert first.mode == "RGB"
    assert np.array_equal(np.asarray(first), np.asarray(render_product_image(demo_products[0])))
    assert render_product_image(demo_products[0], size=64).size == (64, 64)
    # Another sku of the same kind varies a little; it is not the same picture.
    kind = product_kind(demo_products[0])
    twin = next((p for p in demo_products[1:] if product_kind(p) == kind), None)
    if twin is not None:
        assert not np.array_equal(np.asarray(first), np.asarray(render_product_image(twin)))
    assert product_kind({"category": "茶叶/黑茶", "title": "云南普洱茶"}) == "puer"
    assert product_kind({"category": "手工艺品", "title": "宜兴紫砂壶"}) == "teapot"
    assert product_kind({"category": "unknown"}) == "parcel"


def test_same_category_products_look_alike(demo_products: list[dict[str, object]]) -> None:
    vectors = ImageEmbedder().embed([render_product_image(p) for p in demo_products])
    categories = np.array([str(p["category"]) for p in demo_products])
    sims = vectors @ vectors.T
    same = (categories[:, None] == categories[None, :]) & ~np.eye(len(categories), dtype=bool)
    different = categories[:, None] != categories[None, :]
    assert same.any()
    assert sims[same].mean() > sims[different].mean() + 0.15


def test_write_demo_images(tmp_path: Path, demo_products: list[dict[str, object]]) -> None:
    import pandas as pd

    products = pd.DataFrame(demo_products)
    expected = int(products["image_path"].notna().sum())
    assert 0 < expected < len(products)
    assert write_demo_images(products, tmp_path) == expected
    assert write_demo_images(products, tmp_path) == 0  # existing files are kept
    first = products["image_path"].dropna().iloc[0]
    written = tmp_path / first
    assert written.is_file()
    assert Image.open(written).format == "JPEG"
    assert ImageEmbedder(side=64).embed([written]).shape == (1, EMBEDDING_DIM)
    bad = products.head(1).assign(image_path="../outside.jpg")
    with pytest.raises(ValidationError, match="not a relative path inside"):
        write_demo_images(bad, tmp_path)
