"""Readers for the data sets the reproduction uses: Fashion-MNIST, STL-10, any image folder.

Nothing here downloads unless asked (``download=True``, STL-10 only); every failure says where
the data was looked for and how to get it.
"""

from __future__ import annotations

import functools
import socket
from pathlib import Path

import numpy as np

from hybridxai._util.paths import user_cache_dir
from hybridxai.exceptions import ServiceUnavailableError, invalid_argument
from hybridxai.vision.data.datasets import ImageSource
from hybridxai.vision.data.idx import read_idx

__all__ = [
    "FASHION_MNIST_CLASSES", "FASHION_MNIST_ROOT", "STL10_CLASSES", "default_data_dir",
    "fashion_mnist", "stl10", "image_folder",
]

FASHION_MNIST_ROOT = Path("/usr/share/datasets/fashion-mnist")
"""Where the Debian package ``dataset-fashion-mnist`` installs the IDX files."""

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

STL10_CLASSES: tuple[str, ...] = (
    "airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck",
)

_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def default_data_dir() -> Path:
    """Folder for downloaded data sets: ``$HYBRIDXAI_DATA`` when set, else ``datasets`` in the user cache.

    The user cache folder comes from :mod:`platformdirs` (:mod:`hybridxai._util.paths`):
    ``~/.cache/hybridxai/datasets`` on Linux.
    """
    return user_cache_dir("datasets", env="HYBRIDXAI_DATA")


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise invalid_argument("split", split, "must be 'train' or 'test'", "pass split='train'")
    return split


def _find_idx(root: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        if (root / name).is_file():
            return root / name
    return None


@functools.lru_cache(maxsize=4)
def _read_pair(images_path: Path, labels_path: Path,
               _mtime: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode once per process (60 000 pictures take a few seconds); arrays are read-only."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def fashion_mnist(root: str | Path | None = None, split: str = "train") -> ImageSource:
    """Fashion-MNIST (28×28 grey, 10 classes) from local IDX files, decoded with numpy.

    Args:
        root: Folder with ``train-images-idx3-ubyte.gz`` etc. (gzipped or not). Default:
            ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``).
        split: ``"train"`` (60 000 pictures) or ``"test"`` (10 000).

    Returns:
        The :class:`~hybridxai.vision.data.datasets.ImageSource` (pictures held as ``uint8 N×28×28``).

    Raises:
        InvalidArgumentError: The files are missing (the message says how to install them).
    """
    folder = Path(root).expanduser() if root is not None else FASHION_MNIST_ROOT
    image_stem, label_stem = _FASHION_FILES[_check_split(split)]
    images_path, labels_path = _find_idx(folder, image_stem), _find_idx(folder, label_stem)
    if images_path is None or labels_path is None:
        raise invalid_argument(
            "root", str(folder),
            f"has no Fashion-MNIST {split} files ({image_stem}[.gz], {label_stem}[.gz])",
            "install the Debian package (sudo apt-get install dataset-fashion-mnist, or "
            "'make data') or pass root= a folder holding the four IDX files",
        )
    images, labels = _read_pair(images_path, labels_path, images_path.stat().st_mtime_ns)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise invalid_argument("root", str(folder), f"holds IDX files of shapes {images.shape} and "
                               f"{labels.shape}, not N×28×28 images with N labels",
                               "point root= at the Fashion-MNIST files")
    return ImageSource.from_array("fashion-mnist", split, images.astype(np.uint8, copy=False),
                                  labels, FASHION_MNIST_CLASSES, str(folder))


def stl10(root: str | Path | None = None, split: str = "train", *, download: bool = False,
          timeout: float = 20.0) -> ImageSource:
    """STL-10 (96×96 RGB, 10 classes; 5 000 train / 8 000 test) via ``torchvision.datasets.STL10``.

    Args:
        root: Folder that holds (or will hold) ``stl10_binary/``. Default
            :func:`default_data_dir`.
        split: ``"train"`` or ``"test"`` (the unlabelled split is not used).
        download: Download the 2.6 GB archive when it is missing.
        timeout: Socket timeout in seconds for that download.

    Returns:
        The :class:`~hybridxai.vision.data.datasets.ImageSource` (pictures as ``uint8 N×96×96×3``).

    Raises:
        InvalidArgumentError: No local copy and ``download=False``.
        ServiceUnavailableError: The download failed (no network).
    """
    from torchvision.datasets import STL10

    folder = Path(root).expanduser() if root is not None else default_data_dir()
    split = _check_split(split)
    how = ("run once with a network connection and download=True (or 'hybridxai train "
           "--dataset stl10 --download'), or fetch "
           f"{STL10.url} yourself and extract it into {folder} (giving {folder / STL10.base_folder})")
    base = folder / STL10.base_folder
    files = [base / f"{split}_X.bin", base / f"{split}_y.bin"]
    if not download and not all(f.is_file() for f in files):
        raise invalid_argument("root", str(folder),
                               f"holds no STL-10 copy ({files[0].name} and {files[1].name} under "
                               f"{base}) and download=False", how)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        data = STL10(str(folder), split=split, download=download)
    except (OSError, RuntimeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if not download:
            raise invalid_argument("root", str(folder), f"holds a corrupt STL-10 copy ({reason})",
                                   how) from None
        raise ServiceUnavailableError(
            f"root={str(folder)!r}: STL-10 could not be downloaded ({reason}). Fix: {how}."
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    images = np.ascontiguousarray(np.transpose(data.data, (0, 2, 3, 1)))
    return ImageSource.from_array("stl10", split, images, data.labels, STL10_CLASSES, str(folder))


def image_folder(root: str | Path) -> ImageSource:
    """Any ``torchvision.datasets.ImageFolder`` tree (``root/<class>/<picture>``).

    Args:
        root: The folder; class names are its subfolder names, in sorted order.

    Returns:
        The :class:`~hybridxai.vision.data.datasets.ImageSource` (pictures opened lazily as PIL).

    Raises:
        InvalidArgumentError: ``root`` does not exist or holds no pictures in class folders.
    """
    from torchvision.datasets import ImageFolder

    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise invalid_argument("root", str(root), "is not a folder",
                               "pass a folder laid out as root/<class>/<picture>.jpg")
    try:
        data = ImageFolder(str(folder))
    except (FileNotFoundError, RuntimeError) as exc:
        raise invalid_argument("root", str(root), f"is not an image-folder tree ({exc})",
                               "lay it out as root/<class>/<picture>.jpg") from None

    def load(i: int) -> object:
        return data.loader(data.samples[i][0])

    return ImageSource(folder.name, "all", tuple(data.classes),
                       np.asarray(data.targets, dtype=np.int64), load, None, str(folder))
