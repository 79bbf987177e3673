"""``load_dataset``: one entry point for every data set, returning seeded disjoint splits."""

from __future__ import annotations

from pathlib import Path

from hybridxai.exceptions import invalid_argument
from hybridxai.vision.data.datasets import DatasetSplits, ImageSource, LabelledImages, split_indices
from hybridxai.vision.data.sources import fashion_mnist, image_folder, stl10
from hybridxai.vision.data.transforms import PaperPreprocessing

__all__ = ["DATASETS", "canonical_name", "load_dataset", "load_sources"]

DATASETS: dict[str, str] = {
    "fashion-mnist": "Fashion-MNIST, 28×28 grey, 60k train + 10k test (local IDX files)",
    "stl10": "STL-10, 96×96 RGB, 5k train + 8k test (torchvision; needs a copy or a network)",
    "imagefolder": "any folder root/<class>/<picture> (root/train + root/test if present)",
}
"""Known data set names and what they are."""

_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
            "stl-10": "stl10", "stl_10": "stl10", "image-folder": "imagefolder",
            "folder": "imagefolder"}


def canonical_name(name: str) -> str:
    """Normalise a data set name (``"Fashion_MNIST"`` → ``"fashion-mnist"``)."""
    if not isinstance(name, str):
        raise invalid_argument("name", name, "must be a data set name",
                               f"pass one of {', '.join(DATASETS)}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise invalid_argument("name", name, "unknown data set",
                               f"pass one of {', '.join(DATASETS)}")
    return key


def load_sources(name: str, root: str | Path | None = None, *,
                 download: bool = False) -> tuple[ImageSource, ImageSource | None]:
    """The official training and test sources of a data set.

    Args:
        name: A name of :data:`DATASETS` (aliases such as ``"fashion_mnist"`` accepted).
        root: Where the data lives (see the readers in :mod:`hybridxai.vision.data.sources`).
        download: Allow downloading (STL-10 only).

    Returns:
        ``(train_source, test_source)``; ``test_source`` is ``None`` for an image folder
        without ``train/`` and ``test/`` subfolders.
    """
    key = canonical_name(name)
    if key == "fashion-mnist":
        return fashion_mnist(root, "train"), fashion_mnist(root, "test")
    if key == "stl10":
        return stl10(root, "train", download=download), stl10(root, "test", download=download)
    if root is None:
        raise invalid_argument("root", None, "an image folder needs its location",
                               "pass root='path/to/folder' laid out as root/<class>/<picture>")
    folder = Path(root).expanduser()
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        return image_folder(folder / "train"), image_folder(folder / "test")
    return image_folder(folder), None


def load_dataset(
    name: str,
    root: str | Path | None = None,
    *,
    train_size: int | float | None = None,
    val_size: int | float = 0.1,
    test_size: int | float | None = None,
    seed: int = 0,
    image_size: int = 224,
    download: bool = False,
) -> DatasetSplits:
    """Load a data set as seeded, disjoint train / validation / test splits.

    Validation is carved from the official training split (as in the paper) and never
    overlaps training; test is the official test split (or a subset of it). Every split
    yields ``(x, y)`` with ``x`` the paper's input (grey → 3 channels, bilinear resize to
    ``image_size``, ImageNet normalisation); ``split.pixels(i)`` gives the same picture in
    [0, 1] pixel space, before normalisation.

    Args:
        name: ``"fashion-mnist"``, ``"stl10"`` or ``"imagefolder"``.
        root: Where the data lives. Default: Fashion-MNIST from the Debian package
            ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``); STL-10 from
            ``~/.cache/hybridxai/datasets``; required for an image folder.
        train_size: Training items: a count, a fraction, or ``None`` for all remaining ones.
        val_size: Validation items: a count or a fraction of the official training split.
        test_size: Test items: a count, a fraction, or ``None`` for the whole test split.
        seed: Seed of the draw (same seed and sizes → same index sets).
        image_size: Side of the model input in pixels (the paper: 224).
        download: Allow downloading (STL-10 only; needs a network).

    Returns:
        The :class:`~hybridxai.vision.data.datasets.DatasetSplits`.

    Raises:
        InvalidArgumentError: Unknown name, missing files (with how to get them), bad sizes.
        ServiceUnavailableError: A requested download failed.

    Example:
        >>> splits = load_dataset("fashion-mnist", train_size=1000, val_size=200,
        ...                       test_size=200, seed=0)                     # doctest: +SKIP
        >>> x, y = splits.train[0]; x.shape                                   # doctest: +SKIP
        torch.Size([3, 224, 224])
    """
    preprocessing = PaperPreprocessing(size=image_size)
    train_source, test_source = load_sources(name, root, download=download)
    idx = split_indices(len(train_source), None if test_source is None else len(test_source),
                        train_size=train_size, val_size=val_size, test_size=test_size, seed=seed)
    return DatasetSplits(
        train=LabelledImages(train_source, idx["train"], preprocessing),
        val=LabelledImages(train_source, idx["val"], preprocessing),
        test=LabelledImages(test_source or train_source, idx["test"], preprocessing),
        seed=int(seed),
    )
