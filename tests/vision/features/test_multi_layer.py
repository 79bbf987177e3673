"""Several target layers: maps joined along channels, each alpha its own layer's GradCAM weight."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import hybridxai
from hybridxai.anneal.qubo import build_qubo, importance
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, LayerNotFoundError
from hybridxai.vision.features import (
    FeatureBatch,
    concatenate_maps,
    extract_features,
    layer_name,
    resolve_layers,
)
from hybridxai.vision.saliency import weighted_map

SIZE = (9, 9)


def two_scale_cnn(seed: int = 0) -> nn.Sequential:
    """Layer "1": 4 maps of 9×9; layer "3": 6 maps of 5×5 (a non-integer scale, 9/5)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3),
    ).eval()


def by_hand(net: nn.Sequential, x: torch.Tensor, target: int):
    """Maps of layers "1" and "3" and ∂logit/∂maps, computed without hooks."""
    with torch.enable_grad():
        a1 = net[1](net[0](x))
        a3 = net[3](net[2](a1))
        logits = net[6](net[5](net[4](a3)))
        g1, g3 = torch.autograd.grad(logits[:, target].sum(), [a1, a3])
    return a1.detach(), a3.detach(), g1, g3


@pytest.fixture
def net() -> nn.Sequential:
    return two_scale_cnn()


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(2, 3, *SIZE, generator=torch.Generator().manual_seed(1))


def test_two_layers_equal_the_concatenation_computed_by_hand(net, images):
    fb = extract_features(net, images, layer=["3", "1"], targets=2)
    a1, a3, g1, g3 = by_hand(net, images, 2)
    # The 5×5 maps of layer "3" come first (the order given), resized bilinearly to 9×9.
    up3 = F.interpolate(a3, size=SIZE, mode="bilinear", align_corners=False)
    torch.testing.assert_close(fb.activations, torch.cat([up3, a1], dim=1), rtol=1e-5, atol=1e-6)
    assert fb.activations.shape == fb.gradients.shape == (2, 10, *SIZE)
    # Layer "1" is already the largest: its maps and gradients are kept as they are.
    torch.testing.assert_close(fb.gradients[:, 6:], g1, rtol=1e-5, atol=1e-7)
    # alpha: each map's GradCAM weight at its own layer.
    alpha = fb.importance
    torch.testing.assert_close(alpha[:, :6], importance(g3), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(alpha[:, 6:], importance(g1), rtol=1e-5, atol=1e-7)
    assert fb.layer == "3+1" and fb.layers == ("3", "1") and not fb.layer_was_default
    assert fb.channel_offsets == (0, 6) and fb.map_sizes == ((5, 5), (9, 9))
    assert fb.layer_channels == {"3": (0, 6), "1": (6, 10)}
    assert [fb.layer_of(k) for k in (0, 5, 6, 9)] == ["3", "3", "1", "1"]
    with pytest.raises(InvalidArgumentError, match=r"channel=10 .*Fix:"):
        fb.layer_of(10)


def test_each_part_matches_its_single_layer_extraction(net, images):
    both = extract_features(net, images, layer=["1", "3"])
    one = extract_features(net, images, layer="1")
    three = extract_features(net, images, layer="3")
    assert both.targets == one.targets == three.targets
    # alpha of each part is the single-layer GradCAM weight.
    torch.testing.assert_close(both.importance[:, :4], one.importance, rtol=0, atol=0)
    torch.testing.assert_close(both.importance[:, 4:], three.importance, rtol=1e-6, atol=1e-9)
    # GradCAM of each part: the largest layer's is the single-layer GradCAM exactly; the resized
    # layer's is its single-layer GradCAM resized (bilinear interpolation is linear).
    torch.testing.assert_close(weighted_map(both.activations[:, :4], both.importance[:, :4]),
                               weighted_map(one.activations, one.importance), rtol=0, atol=0)
    cam3 = torch.einsum("nk,nkhw->nhw", three.importance, three.activations.double())
    resized = F.interpolate(cam3[:, None], size=SIZE, mode="bilinear", align_corners=False)[:, 0]
    torch.testing.assert_close(weighted_map(both.activations[:, 4:], both.importance[:, 4:]),
                               torch.relu(resized), rtol=1e-5, atol=1e-6)


def test_the_qubo_of_two_layers_is_the_qubo_of_the_hand_made_concatenation(net, images):
    fb = extract_features(net, images[:1], layer=["1", "3"], targets=0)
    a1, a3, g1, g3 = by_hand(net, images[:1], 0)
    up_a3 = F.interpolate(a3, size=SIZE, mode="bilinear", align_corners=False)
    up_g3 = F.interpolate(g3, size=SIZE, mode="bilinear", align_corners=False)
    up_g3 = up_g3 + (importance(g3) - importance(up_g3))[..., None, None].float()
    hand = build_qubo(torch.cat([a1, up_a3], 1)[0], torch.cat([g1, up_g3], 1)[0], beta=0.6)
    ours = build_qubo(fb.activations[0], fb.gradients[0], beta=0.6)
    assert ours.channels == hand.channels
    np.testing.assert_allclose(ours.J, hand.J, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.h, hand.h, rtol=1e-5, atol=1e-7)
    best = dimod.ExactSolver().sample(hand.bqm).first.sample
    explanation = hybridxai.explain(net, images[0], target=0, layer=["1", "3"], backend="exact",
                                    beta=0.6, seed=0)
    assert explanation.selected == hand.interpret(best)
    assert explanation.layer == "1+3" and explanation.settings["layer"] == "1+3"
    assert explanation.info["layer_channels"] == {"1": [0, 4], "3": [4, 10]}
    assert explanation.saliency.shape == SIZE


def test_joined_names_are_accepted_back_and_mean_the_list(net, images):
    listed = extract_features(net, images, layer=["1", "3"])
    joined = extract_features(net, images, layer=listed.layer)
    torch.testing.assert_close(joined.activations, listed.activations, rtol=0, atol=0)
    torch.testing.assert_close(joined.gradients, listed.gradients, rtol=0, atol=0)
    assert layer_name(net, [net[1], "3"]) == "1+3"
    assert [name for name, _ in resolve_layers(net, (net[3],))] == ["3"]


def test_a_one_element_list_is_the_single_layer(net, images):
    single = extract_features(net, images, layer="3")
    listed = extract_features(net, images, layer=["3"])
    assert listed.layer == "3" and listed.layer_channels == {"3": (0, 6)}
    torch.testing.assert_close(listed.gradients, single.gradients, rtol=0, atol=0)


def test_a_later_layer_does_not_cut_the_gradient_of_an_earlier_one(images):
    # Layer "1" reaches the logits only through layer "3": its gradient must flow through the
    # capture of "3" (not be cut there), as when "1" is hooked alone.
    net = two_scale_cnn(seed=3)
    alone = extract_features(net, images, layer="1")
    both = extract_features(net, images, layer=["3", "1"])
    torch.testing.assert_close(both.gradients[:, 6:], alone.gradients, rtol=0, atol=0)
    assert float(alone.gradients.abs().sum()) > 0


def test_concatenate_maps_keeps_the_mean_of_gradients_at_non_integer_scales():
    g = [torch.randn(2, 3, 7, 7, dtype=torch.float64), torch.randn(2, 4, 3, 5, dtype=torch.float64)]
    a = [torch.rand(2, 3, 7, 7, dtype=torch.float64), torch.rand(2, 4, 3, 5, dtype=torch.float64)]
    acts, grads = concatenate_maps(a, g)
    assert acts.shape == grads.shape == (2, 7, 7, 7)
    torch.testing.assert_close(importance(grads), torch.cat([importance(x) for x in g], 1),
                               rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(acts[:, 3:], F.interpolate(a[1], (7, 7), mode="bilinear"))
    assert concatenate_maps(a[:1], g[:1])[0] is a[0]


def test_feature_batch_defaults_describe_one_layer():
    a = torch.zeros(1, 3, 2, 2)
    fb = FeatureBatch(a, a, torch.zeros(1, 4), (0,), "conv", False)
    assert fb.layers == ("conv",) and fb.channel_offsets == (0,) and fb.map_sizes == ((2, 2),)
    assert fb.layer_channels == {"conv": (0, 3)}


@pytest.mark.parametrize(("layer", "error", "words"), [
    ([], InvalidArgumentError, ["layer=[]", "empty"]),
    (["1", "1"], InvalidArgumentError, ["more than once"]),
    (["1", "conv9"], LayerNotFoundError, ["layer='conv9'"]),
    (["1", 3], InvalidTypeError, ["layer has type int"]),
    ("1+conv9", LayerNotFoundError, ["layer='conv9'"]),
    ({"1"}, InvalidTypeError, ["a list of them"]),
    ("1+", InvalidArgumentError, ["empty name"]),
])
def test_bad_layer_lists_are_refused_clearly(net, images, model_checks, layer, error, words):
    with pytest.raises(error) as info:
        extract_features(net, images, layer=layer)
    message = str(info.value)
    assert "Fix:" in message and all(word in message for word in words), message
    assert not model_checks[0](net)


def test_each_listed_layer_is_checked(net, images, model_checks):
    with pytest.raises(InvalidArgumentError, match=r"layer='6'.*not \(N, K, h, w\)"):
        extract_features(net, images, layer=["1", "6"])
    assert not model_checks[0](net)
