"""Fashion-MNIST from the Debian package dataset-fashion-mnist (and from any local IDX copy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.data import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_ROOT,
    fashion_mnist,
    load_dataset,
    write_idx,
)

needs_package = pytest.mark.skipif(
    not FASHION_MNIST_ROOT.is_dir(),
    reason=f"{FASHION_MNIST_ROOT} is absent (install it: sudo apt-get install "
           "dataset-fashion-mnist, or 'make data')",
)


@pytest.fixture
def tiny_copy(tmp_path):
    """A local IDX copy with 30 training and 12 test pictures."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 12)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)
    return tmp_path


def test_local_copy(tiny_copy) -> None:
    splits = load_dataset("Fashion_MNIST", root=tiny_copy, train_size=20, val_size=5,
                          test_size=None, seed=0, image_size=32)
    assert [len(s) for _, s in splits.items()] == [20, 5, 12]
    x, y = splits.train[0]
    assert x.shape == (3, 32, 32) and isinstance(y, int)
    assert splits.classes == FASHION_MNIST_CLASSES
    assert splits.describe()["location"] == str(tiny_copy)


def test_missing_files_say_how_to_get_them(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError, match="root=") as err:
        fashion_mnist(tmp_path)
    assert "dataset-fashion-mnist" in str(err.value)
    with pytest.raises(InvalidArgumentError, match="name="):
        load_dataset("cifar-100")


@needs_package
def test_real_files() -> None:
    train, test = fashion_mnist(split="train"), fashion_mnist(split="test")
    assert train.array.shape == (60_000, 28, 28) and train.array.dtype == np.uint8
    assert test.array.shape == (10_000, 28, 28)
    np.testing.assert_array_equal(np.bincount(train.targets), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(test.targets), [1000] * 10)
    # first test item of the official file: an ankle boot (label 9)
    assert int(test.targets[0]) == 9 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


@needs_package
def test_real_splits_are_disjoint_and_reproducible() -> None:
    a = load_dataset("fashion-mnist", train_size=3000, val_size=500, test_size=400, seed=7)
    b = load_dataset("fashion-mnist", train_size=3000, val_size=500, test_size=400, seed=7)
    assert not set(a.train.indices) & set(a.val.indices)
    assert a.train.source.split == a.val.source.split == "train"
    assert a.test.source.split == "test"
    for (_, va), (_, vb) in zip(a.items(), b.items(), strict=True):
        np.testing.assert_array_equal(va.indices, vb.indices)
    x, y = a.test[0]
    pixels = a.test.pixels(0)
    assert x.shape == (3, 224, 224) and pixels.min() >= 0 and pixels.max() <= 1
    torch.testing.assert_close(a.test.preprocessing.normalize(pixels), x)
    assert y == int(a.test.source.targets[a.test.indices[0]])
