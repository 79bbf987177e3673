"""Labelled picture collections with the paper's preprocessing, and seeded disjoint splits.

A *source* is one official split of a data set (Fashion-MNIST's 60 000 training pictures, say).
:class:`LabelledImages` is a view of some of a source's items, in a fixed order, that yields
``(model input, label)`` pairs and also gives each picture in pixel space (:meth:`pixels`).
:func:`split_indices` draws the train/validation/test index sets; validation is always carved
from the training source and never overlaps training; test comes from the test source (or, for
a single-folder data set, from items disjoint from both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset

from hybridxai.exceptions import invalid_argument
from hybridxai.vision.data.transforms import PaperPreprocessing

__all__ = ["ImageSource", "LabelledImages", "DatasetSplits", "split_indices", "resolve_size"]


@dataclass(frozen=True)
class ImageSource:
    """One official split of a data set.

    Attributes:
        name: Data set name (``"fashion-mnist"``).
        split: Official split name (``"train"`` / ``"test"``).
        classes: Class names by label.
        targets: Label of every item, ``int64``.
        load: ``load(i)`` returns item ``i`` as a raw picture (numpy array or PIL image).
        array: All pictures as one ``uint8`` array ``N×H×W`` or ``N×H×W×C`` when they share a
            size (enables fast batched preprocessing), else ``None``.
        location: Where the data was read from.
    """

    name: str
    split: str
    classes: tuple[str, ...]
    targets: NDArray[np.int64]
    load: Callable[[int], Any]
    array: NDArray[np.uint8] | None = None
    location: str = ""

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    @classmethod
    def from_array(cls, name: str, split: str, images: NDArray[np.uint8], targets: Any,
                   classes: Sequence[str], location: str = "") -> ImageSource:
        """A source backed by one in-memory ``uint8`` array (channel-last when coloured)."""
        images = np.asarray(images)
        labels = np.asarray(targets, dtype=np.int64)
        if images.shape[0] != labels.shape[0]:
            raise invalid_argument("targets", labels, f"has {labels.shape[0]} labels for "
                                   f"{images.shape[0]} images", "pass one label per image")
        return cls(name, split, tuple(classes), labels, images.__getitem__, images, location)


@dataclass
class LabelledImages(Dataset):
    """Some items of an :class:`ImageSource`, preprocessed as in the paper.

    ``dataset[i]`` is ``(x, y)``: ``x`` the normalised ``3×S×S`` model input, ``y`` the label.

    Attributes:
        source: The official split the items come from.
        indices: Positions in ``source`` of the items, in order.
        preprocessing: The :class:`~hybridxai.vision.data.transforms.PaperPreprocessing`.
    """

    source: ImageSource
    indices: NDArray[np.int64]
    preprocessing: PaperPreprocessing = field(default_factory=PaperPreprocessing)

    def __post_init__(self) -> None:
        self.indices = np.asarray(self.indices, dtype=np.int64)
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= len(self.source)):
            raise invalid_argument("indices", self.indices, f"must lie in [0, {len(self.source)})",
                                   "index items of the source")

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names by label."""
        return self.source.classes

    @property
    def targets(self) -> NDArray[np.int64]:
        """Labels of the items, in order."""
        return self.source.targets[self.indices]

    def raw(self, i: int) -> Any:
        """Item ``i`` as stored (numpy array or PIL image), before any preprocessing."""
        return self.source.load(int(self.indices[i]))

    def pixels(self, i: int) -> torch.Tensor:
        """Item ``i`` resized, ``3×S×S`` float32 in [0, 1], before normalisation."""
        return self.preprocessing.pixels(self.raw(i))

    def pixels_batch(self, positions: Sequence[int] | NDArray[np.integer]) -> torch.Tensor:
        """Items at ``positions`` (of this view) as an ``N×3×S×S`` pixel-space batch."""
        pos = np.asarray(positions, dtype=np.int64)
        if self.source.array is not None:
            return self.preprocessing.pixels_batch(self.source.array[self.indices[pos]])
        return torch.stack([self.pixels(int(i)) for i in pos])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.preprocessing.normalize(self.pixels(i)), int(self.targets[i])

    def subset(self, positions: Sequence[int] | NDArray[np.integer]) -> LabelledImages:
        """A view of some of these items (``positions`` index this view, not the source)."""
        pos = np.asarray(positions, dtype=np.int64)
        return LabelledImages(self.source, self.indices[pos], self.preprocessing)


@dataclass(frozen=True)
class DatasetSplits:
    """Disjoint train / validation / test views and how they were drawn.

    Attributes:
        train: Training items (from the training source).
        val: Validation items (from the training source, disjoint from ``train``).
        test: Test items (from the test source, or disjoint items of a single source).
        seed: Seed of the draw; the same seed and sizes give the same index sets.
    """

    train: LabelledImages
    val: LabelledImages
    test: LabelledImages
    seed: int

    @property
    def name(self) -> str:
        """Data set name."""
        return self.train.source.name

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names by label."""
        return self.train.classes

    def describe(self) -> dict[str, Any]:
        """Sizes, sources and seed, as plain data (recorded in checkpoints)."""
        return {
            "dataset": self.name, "seed": self.seed,
            **{f"{k}_size": len(v) for k, v in self.items()},
            **{f"{k}_source": v.source.split for k, v in self.items()},
            "location": self.train.source.location,
        }

    def items(self) -> list[tuple[str, LabelledImages]]:
        """``[("train", ...), ("val", ...), ("test", ...)]``."""
        return [("train", self.train), ("val", self.val), ("test", self.test)]


def resolve_size(name: str, size: int | float | None, pool: int) -> int:
    """Turn a size given as a count, a fraction of ``pool`` or ``None`` (= all) into a count.

    Args:
        name: Argument name for errors (``"val_size"``).
        size: An ``int`` count, a ``float`` fraction in (0, 1), or ``None``.
        pool: Number of items available.

    Returns:
        The count.
    """
    if size is None:
        return pool
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise invalid_argument(name, size, "must be an int count, a float fraction or None",
                               f"pass e.g. {name}=1000 or {name}=0.1")
    if isinstance(size, (float, np.floating)):
        if not 0.0 < size < 1.0:
            raise invalid_argument(name, size, "a fraction must lie in (0, 1)",
                                   f"pass e.g. {name}=0.1, or an int count")
        return max(1, int(round(size * pool)))
    if not 0 <= size <= pool:
        raise invalid_argument(name, size, f"must lie in [0, {pool}] (items available)",
                               f"pass {name}<={pool} or None for all")
    return int(size)


def split_indices(
    train_pool: int,
    test_pool: int | None,
    *,
    train_size: int | float | None = None,
    val_size: int | float = 0.1,
    test_size: int | float | None = None,
    seed: int = 0,
) -> dict[str, NDArray[np.int64]]:
    """Draw disjoint, reproducible index sets.

    Validation is drawn first from a seeded permutation of the training pool and training
    from what remains, so the two never overlap. With ``test_pool=None`` (one pool, no
    official test split) the test items are drawn first, then validation, then training, all
    from the same permutation. Each index set is returned sorted.

    Args:
        train_pool: Size of the training source.
        test_pool: Size of the test source, or ``None`` for a single shared pool.
        train_size: Training items (count, fraction or ``None`` = all remaining).
        val_size: Validation items (count or fraction of the training pool).
        test_size: Test items (count, fraction or ``None`` = the whole test source; for a
            single pool ``None`` means 20 %).
        seed: Seed for :func:`numpy.random.default_rng`.

    Returns:
        ``{"train": ..., "val": ..., "test": ...}``, each a sorted ``int64`` array.

    Example:
        >>> s = split_indices(100, 50, train_size=10, val_size=5, test_size=5, seed=0)
        >>> [len(s[k]) for k in ("train", "val", "test")]
        [10, 5, 5]
        >>> set(s["train"]) & set(s["val"])
        set()
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise invalid_argument("seed", seed, "must be a non-negative integer", "pass e.g. seed=0")
    rng = np.random.default_rng(int(seed))
    perm = rng.permutation(train_pool)
    if test_pool is None:
        n_test = resolve_size("test_size", 0.2 if test_size is None else test_size, train_pool)
        test, perm = perm[:n_test], perm[n_test:]
    else:
        n_test = resolve_size("test_size", test_size, test_pool)
        test = np.arange(test_pool) if n_test == test_pool else rng.permutation(test_pool)[:n_test]
    n_val = resolve_size("val_size", val_size, len(perm))
    val, rest = perm[:n_val], perm[n_val:]
    n_train = resolve_size("train_size", train_size, len(rest))
    train = rest[:n_train]
    if len(train) == 0 or len(val) == 0 or len(test) == 0:
        raise invalid_argument("train_size/val_size/test_size", (train_size, val_size, test_size),
                               f"would give an empty split (train {len(train)}, val {len(val)}, "
                               f"test {len(test)})", "ask for at least one item in every split")
    return {k: np.sort(v).astype(np.int64) for k, v in (("train", train), ("val", val),
                                                          ("test", test))}
