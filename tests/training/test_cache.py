"""cache_features: one pass, float16 on disk, resumable, keyed by the exact items."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai.training import cache_features, cache_key
from hybridxai.vision.data import ImageSource, LabelledImages, PaperPreprocessing


@pytest.fixture
def images() -> LabelledImages:
    rng = np.random.default_rng(0)
    source = ImageSource.from_array("toy", "train", rng.integers(0, 256, (10, 28, 28), np.uint8),
                                    np.arange(10) % 2, ("a", "b"))
    return LabelledImages(source, np.arange(10), PaperPreprocessing(size=32))


@pytest.fixture
def backbone() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    stage = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU())
    tail = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU())
    return stage.eval(), tail.eval()


def test_one_pass_gives_stage_and_pooled_maps(tmp_path, images, backbone) -> None:
    stage, tail = backbone
    cached = cache_features(images, stage, tail, tmp_path, batch_size=4, progress=False)
    assert cached.stage.shape == (10, 4, 16, 16) and cached.stage.dtype == np.float16
    assert cached.pooled.shape == (10, 6) and cached.pooled.dtype == np.float16
    np.testing.assert_array_equal(cached.labels, np.arange(10) % 2)
    with torch.no_grad():
        x = images.preprocessing.normalize(images.pixels_batch(np.arange(10)))
        s = stage(x)
        p = tail(s).mean(dim=(2, 3))
    torch.testing.assert_close(torch.from_numpy(np.array(cached.stage)).float(), s,
                               atol=2e-3, rtol=2e-3)
    torch.testing.assert_close(cached.inputs("full").float(), p, atol=2e-3, rtol=2e-3)
    assert cached.inputs("restricted").dtype == torch.float16
    assert json.loads((cached.path / "meta.json").read_text())["complete"] is True


def test_second_call_reuses_the_cache(tmp_path, images, backbone) -> None:
    first = cache_features(images, *backbone, tmp_path, progress=False)
    second = cache_features(images, *backbone, tmp_path, progress=False)
    assert second.path == first.path and second.seconds == 0.0
    np.testing.assert_array_equal(first.stage, second.stage)


def test_interrupted_run_resumes(tmp_path, images, backbone) -> None:
    stage, tail = backbone
    calls = {"n": 0}

    class Failing(nn.Module):
        def forward(self, x):
            calls["n"] += 1
            if calls["n"] == 3:  # probe, batch 1, then fail on batch 2
                raise KeyboardInterrupt
            return tail(x)

    with pytest.raises(KeyboardInterrupt):
        cache_features(images, stage, Failing(), tmp_path, batch_size=4, progress=False)
    path = tmp_path / cache_key(images, {})
    assert json.loads((path / "meta.json").read_text())["done"] == 4
    resumed = cache_features(images, stage, tail, tmp_path, batch_size=4, progress=False)
    fresh = cache_features(images, stage, tail, tmp_path / "fresh", batch_size=4, progress=False)
    np.testing.assert_array_equal(resumed.stage, fresh.stage)
    np.testing.assert_array_equal(resumed.pooled, fresh.pooled)


def test_key_depends_on_items_preprocessing_and_backbone(images) -> None:
    base = cache_key(images, {"weights": "a"})
    assert cache_key(images.subset(np.arange(9)), {"weights": "a"}) != base
    assert cache_key(images, {"weights": "b"}) != base
    other = LabelledImages(images.source, images.indices, PaperPreprocessing(size=64))
    assert cache_key(other, {"weights": "a"}) != base
    assert cache_key(images, {"weights": "a"}) == base


def test_default_cache_dir_is_the_platform_user_cache(monkeypatch, tmp_path) -> None:
    import platformdirs

    from hybridxai.training import default_cache_dir

    monkeypatch.delenv("HYBRIDXAI_CACHE", raising=False)
    assert default_cache_dir() == platformdirs.user_cache_path("hybridxai", appauthor=False) / "features"
    if sys.platform.startswith("linux"):  # platformdirs honours XDG_CACHE_HOME there
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert default_cache_dir() == tmp_path / "xdg" / "hybridxai" / "features"


def test_hybridxai_cache_overrides_the_folder(monkeypatch, tmp_path, images, backbone) -> None:
    from hybridxai.training import default_cache_dir

    monkeypatch.setenv("HYBRIDXAI_CACHE", "~/somewhere")
    assert default_cache_dir() == Path.home() / "somewhere"
    monkeypatch.setenv("HYBRIDXAI_CACHE", str(tmp_path / "env"))
    out = cache_features(images, *backbone, progress=False)
    assert out.path.parent == tmp_path / "env" and (out.path / "stage.npy").is_file()
