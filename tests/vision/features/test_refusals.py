"""Clear refusals: vision transformers without a layer, and inputs smaller than the network's stride."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

import hybridxai
from hybridxai.exceptions import InvalidArgumentError, LayerNotFoundError
from hybridxai.vision.features import MIN_MAP_SIZE, extract_features, find_default_layer

# -- vision transformers ----------------------------------------------------------------------------


def _no_forward(model: nn.Module) -> list[int]:
    calls: list[int] = []
    model.register_forward_pre_hook(lambda *_: calls.append(1))
    return calls


def test_vit_b_16_has_no_default_layer_and_is_refused_before_the_forward_pass():
    vit = torchvision.models.vit_b_16(weights=None).eval()
    calls = _no_forward(vit)
    with pytest.raises(LayerNotFoundError) as info:
        extract_features(vit, torch.rand(1, 3, 224, 224))
    message = str(info.value)
    for words in ("layer=None", "VisionTransformer", "'conv_proj'", "patch embedding",
                  "CNNs with spatial convolutional feature maps", "Fix:", "layer="):
        assert words in message, message
    assert calls == []
    with pytest.raises(LayerNotFoundError, match="patch embedding"):
        hybridxai.explain(vit, torch.rand(3, 224, 224), seed=0)
    assert calls == []


def _tiny_vit() -> nn.Module:
    torch.manual_seed(0)
    vit = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=1,
                                               num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=3)
    nn.init.normal_(vit.heads.head.weight)  # torchvision starts the head at zero: no gradient
    return vit.eval()


def test_an_explicit_layer_forces_the_patch_embedding():
    fb = extract_features(_tiny_vit(), torch.rand(2, 3, 32, 32), layer="conv_proj")
    assert fb.layer == "conv_proj" and fb.activations.shape == (2, 16, 4, 4)
    assert float(fb.gradients.abs().sum()) > 0


def test_swin_is_refused_and_convnext_with_a_patchify_stem_is_not():
    swin = torchvision.models.swin_t(weights=None).eval()
    with pytest.raises(LayerNotFoundError, match=r"'features\.0\.0', a patch embedding"):
        find_default_layer(swin, torch.rand(1, 3, 64, 64))
    # ConvNeXt's 4×4/4 stem is a patch embedding too, but its depthwise convolutions give
    # spatial feature maps: it is a CNN.
    convnext = torchvision.models.convnext_tiny(weights=None).eval()
    assert find_default_layer(convnext, torch.rand(1, 3, 64, 64)) == "features.7.2"


def test_a_model_without_any_convolution_keeps_its_message():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4))
    with pytest.raises(LayerNotFoundError, match="no module produces a spatial feature map"):
        find_default_layer(mlp, torch.rand(1, 3, 8, 8))


# -- inputs smaller than the network's stride -------------------------------------------------------


def test_an_explicit_layer_with_1x1_maps_names_input_layer_map_size_and_fix(model_checks):
    net = torchvision.models.mobilenet_v2(weights=None).eval()
    with pytest.raises(InvalidArgumentError) as info:
        extract_features(net, torch.rand(1, 3, 20, 20), layer="features.18")
    message = str(info.value)
    for words in ("images=", "20×20", "'features.18'", "1×1", "2×2", "Fix:", "larger images"):
        assert words in message, message
    assert not model_checks[0](net)
    # A 33×33 input gives 2×2 maps (stride 32): accepted.
    assert extract_features(net, torch.rand(1, 3, 33, 33), layer="features.18").map_sizes == ((2, 2),)


def test_the_registered_default_layer_is_checked_in_explain():
    net = hybridxai.vision.models.load_pretrained("mobilenet_v2", download=False)
    with pytest.raises(InvalidArgumentError, match=r"24×24 pixels, layer 'features\.18' gives 1×1"):
        hybridxai.explain(net, torch.rand(1, 3, 24, 24), transform=lambda x: x, seed=0)


def test_the_default_layer_search_refuses_collapsed_maps_and_suggests_an_earlier_layer():
    net = torchvision.models.resnet18(weights=None).eval()
    with pytest.raises(InvalidArgumentError) as info:
        find_default_layer(net, torch.rand(1, 3, 32, 32))
    message = str(info.value)
    for words in ("32×32", "'layer4.0.conv1'", "1×1", "Fix:", "layer='layer3'"):
        assert words in message, message
    # The suggested layer works at that size; 64×64 gives layer4 2×2 maps.
    assert extract_features(net, torch.rand(1, 3, 32, 32), layer="layer3").map_sizes == ((2, 2),)
    assert find_default_layer(net, torch.rand(1, 3, 64, 64)) == "layer4.1"


@pytest.mark.parametrize("shape", [(1, 3, 1, 8), (1, 3, 8, 1)])
def test_maps_one_position_wide_are_refused(make_cnn, shape):
    with pytest.raises(InvalidArgumentError, match=r"layer '4' gives (1×8|8×1) feature maps.*Fix:"):
        extract_features(make_cnn(), torch.rand(*shape), layer="4")


def test_the_minimum_is_two_by_two(make_cnn):
    assert MIN_MAP_SIZE == 2
    fb = extract_features(make_cnn(), torch.rand(1, 3, 2, 2), layer="4")
    assert fb.activations.shape[-2:] == (2, 2)


def test_a_small_layer_in_a_list_is_named(make_cnn):
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 2)).eval()
    with pytest.raises(InvalidArgumentError, match=r"layer '2' gives 1×1"):
        extract_features(net, torch.rand(1, 3, 6, 6), layer=["1", "2"])
