"""Fashion-MNIST (Zalando Research, MIT): 28x28 grayscale clothing images in 10 classes.

60,000 training and 10,000 test images, read from the idx gzip files of Debian's
``dataset-fashion-mnist`` package. ``scripts/fetch_fashion_mnist.sh`` downloads that package and
unpacks it under ``<repository>/.cache/fashion-mnist`` without installing it; an installed
package (``apt-get install dataset-fashion-mnist``) is found as well. Nothing is downloaded at run
time. Used to evaluate visual search (``benchmarks/search_visual.py``, docs/search-visual.md).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from shopmind.errors import MissingDatasetError, check_param

__all__ = ["CLASSES", "fashion_mnist_dir", "load_fashion_mnist"]

#: Class names, indexed by label (from the dataset's README).
CLASSES: Final = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where the .deb puts the files, relative to the folder it is unpacked into (``dpkg -L``).
_IN_DEB: Final = Path("usr/share/datasets/fashion-mnist")
_FILES: Final = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_SIDE: Final = 28


def _candidates() -> list[Path]:
    """Folders that may hold the idx files, in the order they are searched."""
    roots: list[Path] = []
    env_dir = os.environ.get("SHOPMIND_FASHION_MNIST_DIR")
    if env_dir:
        roots.append(Path(env_dir))
    # src/shopmind/datasets/fashion_mnist.py -> repository root, for a source checkout.
    roots.append(Path(__file__).resolve().parents[3] / ".cache" / "fashion-mnist")
    roots.append(Path.cwd() / ".cache" / "fashion-mnist")
    folders: list[Path] = []
    for root in roots:
        # The folder the .deb was unpacked into, or the folder with the files themselves.
        for folder in (root / _IN_DEB, root):
            if folder not in folders:
                folders.append(folder)
    system = Path("/") / _IN_DEB  # `apt-get install dataset-fashion-mnist`
    if system not in folders:
        folders.append(system)
    return folders


def _has_all(folder: Path) -> bool:
    return all((folder / name).is_file() for pair in _FILES.values() for name in pair)


def _missing(searched: list[Path]) -> MissingDatasetError:
    where = "\n".join(f"  {p}" for p in searched)
    return MissingDatasetError(
        "Fashion-MNIST not found; looked in:\n"
        f"{where}\n"
        "Fetch it (Debian/Ubuntu) from the repository root with:\n"
        "  bash scripts/fetch_fashion_mnist.sh\n"
        "or install it system-wide with `apt-get install dataset-fashion-mnist`, "
        "or set SHOPMIND_FASHION_MNIST_DIR to the folder you unpacked the .deb into."
    )


def fashion_mnist_dir(path: str | Path | None = None) -> Path:
    """Find the folder with Fashion-MNIST's four idx gzip files.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The folder with the files, or the folder ``dataset-fashion-mnist``'s .deb was unpacked
        into. When omitted, looks in ``$SHOPMIND_FASHION_MNIST_DIR``, then
        ``<repository>/.cache/fashion-mnist``, then ``./.cache/fashion-mnist``, then the system
        install ``/usr/share/datasets/fashion-mnist``.

    Returns
    -------
    pathlib.Path
        The folder holding ``train-images-idx3-ubyte.gz`` and the three other files.

    Raises
    ------
    MissingDatasetError
        If no such folder exists; the message gives the command that fetches the data.
    """
    if path is not None:
        given = Path(path)
        folders = [given / _IN_DEB, given]
    else:
        folders = _candidates()
    for folder in folders:
        if _has_all(folder):
            return folder
    raise _missing(folders)


def _read_idx(path: Path, magic: int, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = 8 if magic == 2049 else 16
    found = int.from_bytes(raw[:4], "big")
    count = int.from_bytes(raw[4:8], "big")
    if found != magic or len(raw) != header + count * int(np.prod(shape, dtype=np.int64)):
        raise MissingDatasetError(
            f"{path} is not a valid idx file (magic {found}, {len(raw)} bytes). Delete it and run "
            "`bash scripts/fetch_fashion_mnist.sh` again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape((count, *shape))


def load_fashion_mnist(
    split: str, path: str | Path | None = None
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Load one split of Fashion-MNIST.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    path : str or pathlib.Path, optional
        Where the files are; see :func:`fashion_mnist_dir` for the default search.

    Returns
    -------
    images : numpy.ndarray
        ``(n, 28, 28)`` uint8, white clothing on a black background (0 = background).
    labels : numpy.ndarray
        ``(n,)`` uint8 class numbers 0..9; :data:`CLASSES` names them.

    Raises
    ------
    MissingDatasetError
        If the files are not there; the message gives the command that fetches them.

    Examples
    --------
    >>> images, labels = load_fashion_mnist("test")  # doctest: +SKIP
    >>> images.shape, CLASSES[labels[0]]  # doctest: +SKIP
    ((10000, 28, 28), 'Ankle boot')
    """
    check_param("load_fashion_mnist", "split", split, split in _FILES, "'train' or 'test'")
    folder = fashion_mnist_dir(path)
    image_file, label_file = _FILES[split]
    images = _read_idx(folder / image_file, 2051, (_SIDE, _SIDE))
    labels = _read_idx(folder / label_file, 2049, ())
    if len(images) != len(labels):
        raise MissingDatasetError(
            f"{folder} holds {len(images)} {split} images but {len(labels)} labels. Delete the folder "
            "and run `bash scripts/fetch_fashion_mnist.sh` again."
        )
    return images, labels
