"""Fixtures for the baseline tests: the real MobileNetV2 and two real photos.

The model is loaded once per test module (``load_pretrained`` reads the offline ImageNet
weights); the photos are scikit-image's ``chelsea`` (a cat) and ``coffee`` (a cup),
preprocessed by the model's own transform.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def mobilenet() -> torch.nn.Module:
    """ImageNet MobileNetV2 in eval mode, with its transform registered."""
    from hybridxai.vision.models import load_pretrained

    return load_pretrained("mobilenet_v2", download=False)


@pytest.fixture(scope="module")
def pictures() -> list[Image.Image]:
    """The raw photos: chelsea (Egyptian cat) and coffee (espresso)."""
    return [Image.fromarray(skimage_data.chelsea()), Image.fromarray(skimage_data.coffee())]


@pytest.fixture(scope="module")
def photos(mobilenet: torch.nn.Module, pictures: list[Image.Image]) -> torch.Tensor:
    """The photos preprocessed by ``model_info(model).transform``: ``(2, 3, 224, 224)``."""
    from hybridxai.vision.models import model_info

    transform = model_info(mobilenet).transform
    return torch.stack([transform(p) for p in pictures])
