"""Class-activation maps: ReLU(Σ w A) on the chosen maps, bilinear upsampling, min–max scaling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hybridxai.vision.saliency import class_activation_map, upsample_and_scale, weighted_map


@pytest.fixture
def maps():
    g = torch.Generator().manual_seed(0)
    return torch.rand(5, 4, 6, generator=g), torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0])


def hand_weighted(acts, weights, channels):
    K, h, w = acts.shape
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            total = 0.0
            for k in channels:
                total += float(weights[k]) * float(acts[k, i, j])
            out[i, j] = max(total, 0.0)
    return out


def test_weighted_map_is_relu_of_the_weighted_sum(maps):
    acts, weights = maps
    for channels in (None, [0, 2], [1], [], (4, 0)):
        cam = weighted_map(acts, weights, channels)
        chosen = range(5) if channels is None else channels
        assert cam.dtype == torch.float64 and cam.shape == (4, 6)
        np.testing.assert_allclose(cam.numpy(), hand_weighted(acts, weights, chosen), atol=1e-12)
    assert not weighted_map(acts, weights, [1]).any()  # negative weight on positive maps → 0


def test_weighted_map_on_a_batch(maps):
    acts, weights = maps
    batch = torch.stack([acts, acts.flip(-1)])
    cams = weighted_map(batch, torch.stack([weights, weights]), [0, 4])
    assert cams.shape == (2, 4, 6)
    torch.testing.assert_close(cams[1], weighted_map(acts.flip(-1), weights, [0, 4]))


def test_upsample_and_scale_is_bilinear_then_min_max():
    cam = torch.tensor([[0.0, 1.0], [2.0, 4.0]], dtype=torch.float64)
    out = upsample_and_scale(cam, (8, 10))
    assert out.shape == (8, 10) and out.dtype == np.float32
    up = F.interpolate(cam[None, None], size=(8, 10), mode="bilinear", align_corners=False)[0, 0]
    expected = ((up - up.min()) / (up.max() - up.min())).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out.min() == 0.0 and out.max() == pytest.approx(1.0)
    assert out[-1, -1] == pytest.approx(1.0) and out[0, 0] == 0.0  # corners stay in place


def test_a_constant_map_becomes_zeros():
    for value in (0.0, 2.5):
        out = upsample_and_scale(torch.full((3, 3), value), (7, 7))
        assert out.shape == (7, 7) and not out.any() and np.isfinite(out).all()


def test_batched_upsampling():
    cams = torch.rand(3, 4, 4, dtype=torch.float64)
    out = upsample_and_scale(cams, (16, 12))
    assert out.shape == (3, 16, 12)
    for i in range(3):
        np.testing.assert_allclose(out[i], upsample_and_scale(cams[i], (16, 12)), atol=1e-7)


def test_class_activation_map_composes_the_two(maps):
    acts, weights = maps
    out = class_activation_map(acts, weights, (20, 30), channels=[0, 4])
    np.testing.assert_array_equal(out, upsample_and_scale(weighted_map(acts, weights, [0, 4]),
                                                          (20, 30)))
    assert out.shape == (20, 30) and out.min() == 0.0 and out.max() == pytest.approx(1.0)
    assert not class_activation_map(acts, weights, (20, 30), channels=[]).any()


def test_small_real_variation_on_a_large_offset_is_kept():
    cam = torch.full((4, 4), 1000.0, dtype=torch.float64)
    cam[0, 0] += 1e-3  # relative 1e-6: a real (if faint) structure, not rounding noise
    out = upsample_and_scale(cam, (8, 8))
    assert out.max() == pytest.approx(1.0) and out.min() == 0.0
    assert out[0, 0] == out.max()
