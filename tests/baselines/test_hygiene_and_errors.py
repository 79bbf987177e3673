"""The baselines leave the model as they found it, and bad inputs raise the library's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from hybridxai.baselines import cam_from_features, gradcam, gradcam_pp, gradcam_pp_weights
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, LayerNotFoundError


def _assert_untouched(model: nn.Module) -> None:
    """No parameter gradient, and no hook left on any module or globally."""
    assert all(p.grad is None for p in model.parameters())
    for name, module in model.named_modules():
        for kind in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                     "_backward_pre_hooks"):
            assert len(getattr(module, kind)) == 0, f"{kind} left on {name or 'model'}"
    from torch.nn.modules import module as torch_module

    assert not torch_module._global_forward_hooks
    assert not torch_module._global_backward_hooks


def _tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(4, 3)).eval()


@pytest.mark.parametrize("method", [gradcam, gradcam_pp], ids=["gradcam", "gradcam_pp"])
def test_no_gradients_and_no_hooks_remain(mobilenet, photos, method):
    _assert_untouched(mobilenet)
    maps = method(mobilenet, photos, target=[1, 2])
    assert maps.shape == (2, 224, 224)
    _assert_untouched(mobilenet)


@pytest.mark.parametrize("method", [gradcam, gradcam_pp], ids=["gradcam", "gradcam_pp"])
def test_targets_by_name_or_tensor_equal_targets_by_index(mobilenet, photos, method):
    by_index = method(mobilenet, photos, target=[281, 967])
    by_name = method(mobilenet, photos, target=["tabby", torch.tensor(967)])
    np.testing.assert_array_equal(by_name, by_index)
    np.testing.assert_array_equal(method(mobilenet, photos[0], target=np.int64(281)),
                                  method(mobilenet, photos[0], target="Tabby"))
    with pytest.raises(InvalidArgumentError, match=r"target='tabbby'.*'tabby' \(281\)"):
        method(mobilenet, photos[0], target="tabbby")
    with pytest.raises(InvalidTypeError, match="target has type str"):  # no class names known
        method(_tiny_cnn(), torch.rand(3, 8, 8), target="tabby")


def test_training_flags_are_restored(mobilenet, photos):
    reference = gradcam(mobilenet, photos[0])
    mobilenet.features[3].train()
    mobilenet.classifier.train()  # dropout: must be off while explaining
    flags = {name: m.training for name, m in mobilenet.named_modules()}
    assert any(flags.values()) and not all(flags.values())
    try:
        with pytest.warns(UserWarning, match="training mode"):
            maps = gradcam(mobilenet, photos[0])
        assert {name: m.training for name, m in mobilenet.named_modules()} == flags
    finally:
        mobilenet.eval()
    np.testing.assert_array_equal(maps, reference)
    _assert_untouched(mobilenet)


def test_layer_as_module_equals_the_default(mobilenet, photos):
    by_module = gradcam_pp(mobilenet, photos[0], layer=mobilenet.features[-1])
    by_name = gradcam_pp(mobilenet, photos[0], layer="features[-1]")
    np.testing.assert_array_equal(by_module, by_name)


@pytest.mark.parametrize("target", [1000, -1, [1, 2, 3]], ids=["too-big", "negative", "count"])
def test_bad_target_raises_and_leaves_no_hooks(mobilenet, photos, target):
    with pytest.raises(InvalidArgumentError, match=r"target=.*Fix:"):
        gradcam(mobilenet, photos, target=target)
    _assert_untouched(mobilenet)


def test_unknown_layer_name_raises(mobilenet, photos):
    with pytest.raises(LayerNotFoundError, match=r"layer='features\.99'.*Closest names"):
        gradcam_pp(mobilenet, photos[0], layer="features.99")
    with pytest.raises(InvalidTypeError, match="layer"):
        gradcam(mobilenet, photos[0], layer=3.5)
    _assert_untouched(mobilenet)


def test_raw_picture_without_a_known_transform_raises():
    picture = Image.new("RGB", (32, 32), (120, 40, 200))
    with pytest.raises(InvalidArgumentError, match=r"transform=None.*Fix:"):
        gradcam(_tiny_cnn(), picture)


def test_bad_eps_raises_before_any_pass():
    with pytest.raises(InvalidArgumentError, match=r"eps=-1.*Fix:"):
        gradcam_pp(_tiny_cnn(), torch.rand(3, 8, 8), eps=-1.0)
    with pytest.raises(InvalidTypeError, match="eps"):
        gradcam_pp_weights(torch.ones(1, 2, 2), torch.ones(1, 2, 2), eps="small")


def test_weights_need_matching_shapes():
    with pytest.raises(InvalidArgumentError, match="gradients="):
        gradcam_pp_weights(torch.ones(2, 3, 3), torch.ones(2, 3, 4))


def test_cam_from_features_checks_its_inputs():
    with pytest.raises(InvalidTypeError, match="features"):
        cam_from_features({"activations": torch.ones(1, 2, 3, 3)}, gradcam_pp_weights, 8)
    from hybridxai.vision.features import extract_features

    fb = extract_features(_tiny_cnn(), torch.rand(1, 3, 8, 8))
    with pytest.raises(InvalidArgumentError, match="image_size"):
        cam_from_features(fb, gradcam_pp_weights, (0, 8))
    with pytest.raises(InvalidTypeError, match="image_size"):
        cam_from_features(fb, gradcam_pp_weights, (8, 8, 3))


def test_gradcam_pp_zero_gradients_give_zero_weights():
    # g = 0 everywhere: a = 0 by definition (no 0/0), the map is constant -> all zeros.
    A = torch.rand(2, 5, 4, 4)
    w = gradcam_pp_weights(A, torch.zeros_like(A))
    assert torch.equal(w, torch.zeros(2, 5, dtype=torch.float64))
    # Vanishing denominator (S·g = -2, only with negative activations): a = 0, not inf.
    A = torch.full((1, 2, 2), -0.5)  # S = -2
    g = torch.ones(1, 2, 2)
    assert torch.equal(gradcam_pp_weights(A, g), torch.zeros(1, dtype=torch.float64))
    # Tiny gradients: 1 / (2 + S·g) stays 1/2 where g²/(2g² + S·g³) would be 0/0 (g² = 0).
    A = torch.ones(1, 2, 2, dtype=torch.float64)  # S = 4
    for tiny in (1e-30, 1e-200):
        g = torch.full((1, 2, 2), tiny, dtype=torch.float64)
        torch.testing.assert_close(gradcam_pp_weights(A, g),
                                   torch.tensor([4 * tiny / 2], dtype=torch.float64),
                                   rtol=1e-12, atol=0)
    # With eps, a = 1 / (2 + S·g + eps/g²) -> 0 as g -> 0, also when g² underflows.
    g = torch.full((1, 2, 2), 1e-200, dtype=torch.float64)
    assert torch.equal(gradcam_pp_weights(A, g, eps=1e-6), torch.zeros(1, dtype=torch.float64))
