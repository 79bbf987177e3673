"""The paper's preprocessing: grey → 3 channels, bilinear resize, ImageNet normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.data import IMAGENET_MEAN, IMAGENET_STD, PaperPreprocessing
from hybridxai.vision.images import find_normalization


@pytest.fixture
def grey() -> np.ndarray:
    return (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)


def test_grey_becomes_three_equal_channels(grey) -> None:
    pixels = PaperPreprocessing().pixels(grey)
    assert pixels.shape == (3, 224, 224) and pixels.dtype == torch.float32
    assert torch.equal(pixels[0], pixels[1]) and torch.equal(pixels[1], pixels[2])
    assert 0.0 <= float(pixels.min()) and float(pixels.max()) <= 1.0


def test_resize_is_bilinear(grey) -> None:
    expected = F.interpolate(torch.from_numpy(grey).float()[None, None] / 255, size=(224, 224),
                             mode="bilinear", align_corners=False)[0, 0]
    torch.testing.assert_close(PaperPreprocessing().pixels(grey)[0], expected)


def test_normalisation_is_imagenet(grey) -> None:
    prep = PaperPreprocessing()
    x = prep(grey)
    pixels = prep.pixels(grey)
    mean = torch.tensor(IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(IMAGENET_STD)[:, None, None]
    torch.testing.assert_close(x, (pixels - mean) / std)
    assert find_normalization(prep) == (list(IMAGENET_MEAN), list(IMAGENET_STD))


def test_pil_numpy_and_batch_agree(grey) -> None:
    prep = PaperPreprocessing(size=64)
    a = prep.pixels(grey)
    b = prep.pixels(Image.fromarray(grey))
    c = prep.pixels_batch(np.stack([grey, grey]))[1]
    d = prep.pixels(torch.from_numpy(grey).float() / 255)
    assert torch.equal(a, b) and torch.equal(a, c)
    torch.testing.assert_close(a, d)


def test_rgb_input_keeps_its_channels() -> None:
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[..., 0] = 255
    pixels = PaperPreprocessing(size=32).pixels(rgb)
    assert torch.all(pixels[0] == 1.0) and torch.all(pixels[1:] == 0.0)


def test_dict_round_trip() -> None:
    prep = PaperPreprocessing(size=96)
    spec = prep.to_dict()
    assert spec["grey_to_rgb"] is True and spec["interpolation"] == "bilinear"
    assert PaperPreprocessing.from_dict(spec) == prep


def test_bad_inputs() -> None:
    with pytest.raises(InvalidArgumentError, match="size="):
        PaperPreprocessing(size=8)
    with pytest.raises(InvalidArgumentError, match="image="):
        PaperPreprocessing().pixels(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(InvalidArgumentError, match="image="):
        PaperPreprocessing().pixels(np.full((4, 4), 2.0))
