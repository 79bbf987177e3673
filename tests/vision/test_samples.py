"""Bundled real photos (scikit-image, scikit-learn, matplotlib), all offline."""

from __future__ import annotations

import pytest
from PIL import Image

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.samples import load_sample, sample_names


def test_every_sample_loads_as_rgb():
    names = sample_names()
    assert names == sorted(names) and {"chelsea", "coffee", "grace_hopper", "china"} <= set(names)
    for name in names:
        img = load_sample(name)
        assert isinstance(img, Image.Image) and img.mode == "RGB", name
        assert min(img.size) >= 100, name


def test_known_sizes_and_name_normalisation():
    assert load_sample("chelsea").size == (451, 300)
    assert load_sample(" Coffee ").size == (600, 400)


def test_an_unknown_sample_lists_the_names():
    with pytest.raises(InvalidArgumentError) as info:
        load_sample("mona_lisa")
    message = str(info.value)
    assert message.startswith("sample='mona_lisa'") and "Fix:" in message
    for name in sample_names():
        assert name in message
