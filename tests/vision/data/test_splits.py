"""Seeded, disjoint, reproducible train/validation/test splits."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.data import ImageSource, LabelledImages, resolve_size, split_indices


def test_disjoint_and_sized() -> None:
    s = split_indices(1000, 300, train_size=500, val_size=200, test_size=100, seed=3)
    assert [len(s[k]) for k in ("train", "val", "test")] == [500, 200, 100]
    assert not set(s["train"]) & set(s["val"])
    assert all(np.all(np.diff(v) > 0) for v in s.values())  # sorted, no repeats
    assert s["test"].max() < 300 and s["train"].max() < 1000


def test_reproducible_and_seed_dependent() -> None:
    a = split_indices(1000, 300, train_size=500, val_size=200, test_size=100, seed=3)
    b = split_indices(1000, 300, train_size=500, val_size=200, test_size=100, seed=3)
    c = split_indices(1000, 300, train_size=500, val_size=200, test_size=100, seed=4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["val"], c["val"])


def test_defaults_use_everything() -> None:
    s = split_indices(100, 40, seed=0)
    assert len(s["val"]) == 10 and len(s["train"]) == 90
    np.testing.assert_array_equal(s["test"], np.arange(40))
    assert set(s["train"]) | set(s["val"]) == set(range(100))


def test_single_pool_is_split_three_ways() -> None:
    s = split_indices(200, None, val_size=0.1, seed=1)
    train, val, test = (set(s[k]) for k in ("train", "val", "test"))
    assert len(test) == 40 and len(val) == 16 and len(train) == 144
    assert not (train & val or train & test or val & test)
    assert train | val | test == set(range(200))


def test_bad_sizes() -> None:
    with pytest.raises(InvalidArgumentError, match="val_size="):
        split_indices(10, 5, val_size=11)
    with pytest.raises(InvalidArgumentError, match="val_size="):
        split_indices(10, 5, val_size=1.5)
    with pytest.raises(InvalidArgumentError, match="seed="):
        split_indices(10, 5, seed=-1)
    with pytest.raises(InvalidArgumentError, match="empty split"):
        split_indices(10, 5, val_size=10)
    assert resolve_size("x", None, 7) == 7 and resolve_size("x", 0.5, 7) == 4


def test_views_follow_the_indices() -> None:
    images = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 4, 4)
    source = ImageSource.from_array("toy", "train", images, np.arange(10) % 3, ("a", "b", "c"))
    view = LabelledImages(source, np.array([7, 2]))
    np.testing.assert_array_equal(view.targets, [1, 2])
    np.testing.assert_array_equal(view.raw(0), images[7])
    assert view.subset([1]).indices.tolist() == [2]
    with pytest.raises(InvalidArgumentError, match="indices="):
        LabelledImages(source, np.array([10]))
