from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.metrics import (
    area_under_curve,
    deletion_curves,
    gaussian_blur,
    insertion_curves,
    saliency_ranks,
)
from tests.metrics._nets import MEAN, STD, MustNotRun, PixelLogit, tiny_cnn

H = W = 8


@pytest.fixture
def synthetic():
    """Images whose class-1 logit is a weighted sum of 10 bright pixels (all others ~dark)."""
    gen = torch.Generator().manual_seed(5)
    weights = torch.zeros(H * W, dtype=torch.float64)
    important = torch.randperm(H * W, generator=gen)[:10]
    weights[important] = 0.5 + 1.5 * torch.rand(10, generator=gen, dtype=torch.float64)
    weights = weights.view(H, W)
    pixels = 0.05 * torch.rand(3, 3, H, W, generator=gen, dtype=torch.float64)
    pixels[:, :, weights > 0] = 0.8 + 0.2 * torch.rand(3, 3, 10, generator=gen,
                                                        dtype=torch.float64)
    full = (pixels.sum(1) * weights).sum((1, 2))
    model = PixelLogit(weights, bias=float(full.min()) / 2)
    oracle = weights * pixels.sum(1)  # each pixel's contribution to the logit
    oracle = oracle / oracle.amax(dim=(1, 2), keepdim=True)
    return model, pixels, oracle


def _sigmoid(v: float) -> float:
    return float(1.0 / (1.0 + np.exp(-v)))


def _direct_deletion(model, pixels, saliency, steps):
    """Independent deletion curve: sort pixels in Python, black them out, evaluate the formula."""
    curves = []
    for x, m in zip(pixels, saliency, strict=True):
        flat = m.flatten().tolist()
        order = sorted(range(H * W), key=lambda p: (-flat[p], p))
        curve = []
        for k in range(steps + 1):
            removed = order[: round(k * H * W / steps)]
            y = x.clone()
            for p in removed:
                y[:, p // W, p % W] = 0.0
            s = float((y.sum(0) * model.w).sum()) - model.bias
            curve.append(_sigmoid(s))
        curves.append(curve)
    return np.array(curves)


def test_deletion_curves_match_direct_computation(synthetic):
    model, pixels, oracle = synthetic
    curves = deletion_curves(model, pixels, oracle, 1, normalize=None, steps=16, batch_size=5)
    expected = _direct_deletion(model, pixels, oracle, 16)
    np.testing.assert_allclose(curves.probabilities, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(curves.fractions, np.arange(17) / 16, atol=0)
    assert curves.kind == "deletion" and curves.targets == (1, 1, 1)
    # the AUC is the trapezoid rule over the curve
    by_hand = [(sum(c) - c[0] / 2 - c[-1] / 2) / 16 for c in expected]
    np.testing.assert_allclose(curves.auc, by_hand, atol=1e-12)
    assert curves.mean_auc == pytest.approx(np.mean(by_hand))


def test_oracle_map_beats_reversed_map(synthetic):
    model, pixels, oracle = synthetic
    reversed_map = 1.0 - oracle
    kwargs = {"normalize": None, "steps": 16, "batch_size": 20}
    good = deletion_curves(model, pixels, oracle, 1, **kwargs)
    bad = deletion_curves(model, pixels, reversed_map, 1, **kwargs)
    assert np.all(good.auc < bad.auc)
    assert good.mean_auc < 0.3 < 0.7 < bad.mean_auc
    ins_good = insertion_curves(model, pixels, oracle, 1, **kwargs)
    ins_bad = insertion_curves(model, pixels, reversed_map, 1, **kwargs)
    assert np.all(ins_good.auc > ins_bad.auc)
    # both curves end on the original image and start where nothing is changed
    np.testing.assert_allclose(good.probabilities[:, 0], ins_good.probabilities[:, -1], atol=1e-12)
    np.testing.assert_allclose(good.probabilities[:, -1],
                               [_sigmoid(-model.bias)] * 3, atol=1e-12)  # all black


def test_insertion_starts_from_the_blurred_image(synthetic):
    model, pixels, oracle = synthetic
    curves = insertion_curves(model, pixels, oracle, 1, normalize=None, steps=4, sigma=2.0,
                              kernel_size=5)
    blurred = gaussian_blur(pixels, 2.0, 5)
    start = [_sigmoid(float((b.sum(0) * model.w).sum()) - model.bias) for b in blurred]
    np.testing.assert_allclose(curves.probabilities[:, 0], start, atol=1e-12)
    assert curves.kind == "insertion"


def test_batching_does_not_change_results():
    model = tiny_cnn()
    gen = torch.Generator().manual_seed(0)
    pixels = torch.rand(3, 3, 12, 12, generator=gen, dtype=torch.float64)
    maps = torch.rand(3, 12, 12, generator=gen, dtype=torch.float64)
    runs = [deletion_curves(model, pixels, maps, normalize=(MEAN, STD), steps=9, batch_size=b)
            for b in (1, 7, 1000)]
    for other in runs[1:]:
        np.testing.assert_allclose(other.probabilities, runs[0].probabilities, atol=1e-12)
        assert other.targets == runs[0].targets
    ins = [insertion_curves(model, pixels, maps, [0, 1, 2], normalize=(MEAN, STD), steps=9,
                            batch_size=b) for b in (2, 100)]
    np.testing.assert_allclose(ins[0].probabilities, ins[1].probabilities, atol=1e-12)


def test_uneven_steps_use_true_fractions():
    model = tiny_cnn()
    pixels = torch.rand(1, 3, 12, 12, dtype=torch.float64)
    curves = deletion_curves(model, pixels, torch.rand(1, 12, 12), normalize=(MEAN, STD),
                             steps=5)
    counts = [round(k * 144 / 5) for k in range(6)]  # 0, 29, 58, 86, 115, 144
    np.testing.assert_allclose(curves.fractions, np.array(counts) / 144)
    np.testing.assert_allclose(curves.auc, area_under_curve(curves.probabilities,
                                                            curves.fractions))


def test_ranks_break_ties_stably():
    assert saliency_ranks(torch.zeros(1, 3, 3)).tolist() == [list(range(9))]
    maps = torch.tensor([[[0.5, 1.0, 0.5], [1.0, 0.0, 0.5]]])
    # order: 1.0 at flat 1, 1.0 at flat 3, 0.5 at 0, 2, 5, then 0.0 at 4
    assert saliency_ranks(maps).tolist() == [[2, 0, 3, 1, 5, 4]]


def test_area_under_curve_by_hand():
    assert float(area_under_curve([1.0, 0.5, 0.5, 0.0])) == pytest.approx(0.5)
    # x = 0, 0.25, 1: 0.25 * (1 + 1) / 2 + 0.75 * (1 + 0) / 2 = 0.625
    assert float(area_under_curve([1.0, 1.0, 0.0], [0.0, 0.25, 1.0])) == pytest.approx(0.625)
    # fractions are rescaled to [0, 1]
    assert float(area_under_curve([1.0, 1.0, 0.0], [0.0, 1.0, 4.0])) == pytest.approx(0.625)
    np.testing.assert_allclose(area_under_curve(np.ones((2, 3, 5))), np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="at least two"):
        area_under_curve([1.0])
    with pytest.raises(InvalidArgumentError, match="non-decreasing"):
        area_under_curve([1.0, 0.5, 0.0], [0.0, 0.6, 0.5])


def test_gaussian_blur_properties():
    constant = torch.full((1, 3, 7, 9), 0.3, dtype=torch.float64)
    torch.testing.assert_close(gaussian_blur(constant), constant)
    torch.testing.assert_close(gaussian_blur(constant[..., :3, :3], 1.0, 11), constant[..., :3, :3])
    spike = torch.zeros(1, 1, 15, 15, dtype=torch.float64)
    spike[0, 0, 7, 7] = 1.0
    out = gaussian_blur(spike, 1.5, 7)
    assert float(out.sum()) == pytest.approx(1.0)  # mass kept away from the border
    assert torch.equal(out[0, 0], out[0, 0].T) and float(out.max()) < 1.0
    with pytest.raises(InvalidArgumentError, match="odd"):
        gaussian_blur(spike, 1.0, 4)
    with pytest.raises(InvalidArgumentError, match="sigma"):
        gaussian_blur(spike, 0.0, 5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": 0}, InvalidArgumentError, "steps=0"),
        ({"steps": 65}, InvalidArgumentError, r"\[1, 64\]"),
        ({"steps": 2.5}, InvalidTypeError, "steps"),
        ({"maps": torch.rand(2, 8, 7)}, InvalidArgumentError, "does not match"),
        ({"maps": torch.full((2, 8, 8), float("nan"))}, InvalidArgumentError, "NaN"),
        ({"pixels": torch.rand(2, 3, 8, 8) + 1.0}, InvalidArgumentError, r"\[0, 1\]"),
        ({"batch_size": -3}, InvalidArgumentError, "at least 1"),
        ({"targets": [0]}, InvalidArgumentError, "gives 1 classes for a batch of 2 images"),
        ({"kernel_size": 4}, InvalidArgumentError, "odd"),
        ({"sigma": -1.0}, InvalidArgumentError, "sigma"),
    ],
)
def test_bad_inputs_fail_before_the_model_runs(kwargs, error, match):
    args = {"pixels": torch.rand(2, 3, 8, 8), "maps": torch.rand(2, 8, 8), "targets": 0,
            "normalize": None, "steps": 8, "batch_size": 4}
    args.update(kwargs)
    blur = {k: args.pop(k) for k in ("kernel_size", "sigma") if k in args}
    function = insertion_curves if blur else deletion_curves
    with pytest.raises(error, match=match) as info:
        function(MustNotRun(), args.pop("pixels"), args.pop("maps"), args.pop("targets"),
                 **args, **blur)
    assert "Fix:" in str(info.value)


def test_saliency_maps_need_not_be_in_unit_range(synthetic):
    model, pixels, oracle = synthetic
    scaled = deletion_curves(model, pixels, 7.0 * oracle - 3.0, 1, normalize=None, steps=8)
    plain = deletion_curves(model, pixels, oracle, 1, normalize=None, steps=8)
    np.testing.assert_array_equal(scaled.probabilities, plain.probabilities)
