"""STL-10 without a copy or a network, and ImageFolder trees."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hybridxai.exceptions import InvalidArgumentError, ServiceUnavailableError
from hybridxai.vision.data import load_dataset, stl10


def test_stl10_offline_message(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError, match="root=") as err:
        stl10(tmp_path)
    message = str(err.value)
    assert "stl10_binary.tar.gz" in message and "download=True" in message
    with pytest.raises(InvalidArgumentError, match="STL-10"):
        load_dataset("stl-10", root=tmp_path)


def test_stl10_failed_download_is_service_unavailable(tmp_path, monkeypatch) -> None:
    import torchvision.datasets

    def no_network(self):
        raise OSError("Name or service not known")

    monkeypatch.setattr(torchvision.datasets.STL10, "download", no_network)
    with pytest.raises(ServiceUnavailableError, match="could not be downloaded") as err:
        stl10(tmp_path, download=True)
    assert "Fix:" in str(err.value)


def _tree(root, classes=("cat", "dog"), per_class=6, size=(20, 30)):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_image_folder_single_pool(tmp_path) -> None:
    _tree(tmp_path)
    splits = load_dataset("imagefolder", root=tmp_path, val_size=2, seed=0, image_size=32)
    assert splits.classes == ("cat", "dog")
    sets = [set(v.indices) for _, v in splits.items()]
    assert sum(len(s) for s in sets) == 12 and len(set.union(*sets)) == 12
    x, y = splits.test[0]
    assert x.shape == (3, 32, 32) and y in (0, 1)
    assert splits.test.pixels_batch([0]).shape == (1, 3, 32, 32)


def test_image_folder_with_train_and_test(tmp_path) -> None:
    _tree(tmp_path / "train")
    _tree(tmp_path / "test", per_class=2)
    splits = load_dataset("imagefolder", root=tmp_path, val_size=0.25, seed=0, image_size=32)
    assert [len(v) for _, v in splits.items()] == [9, 3, 4]
    assert splits.test.source.location.endswith("test")


def test_image_folder_errors(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError, match="root="):
        load_dataset("imagefolder")
    with pytest.raises(InvalidArgumentError, match="root="):
        load_dataset("imagefolder", root=tmp_path / "nope")
