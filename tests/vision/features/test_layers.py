"""Layer resolution: modules, dotted names, index notation, and the automatic default layer."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from hybridxai.exceptions import InvalidTypeError, LayerNotFoundError
from hybridxai.vision.features.layers import find_default_layer, resolve_layer


@pytest.fixture(scope="module")
def resnet18():
    """torchvision ResNet-18 with random weights (no download needed)."""
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10).eval()


@pytest.fixture(scope="module")
def mobilenet_random():
    torch.manual_seed(0)
    return torchvision.models.mobilenet_v2(num_classes=10).eval()


@pytest.mark.parametrize("name", ["features.18", "features[18]", "features[-1]", " features.18 "])
def test_names_and_index_notation(mobilenet_random, name):
    dotted, module = resolve_layer(mobilenet_random, name)
    assert dotted == "features.18"
    assert module is mobilenet_random.features[18]


def test_nested_index_notation(resnet18):
    assert resolve_layer(resnet18, "layer4[-1]") == ("layer4.1", resnet18.layer4[1])
    assert resolve_layer(resnet18, "layer4[-1].conv2") == ("layer4.1.conv2", resnet18.layer4[1].conv2)
    assert resolve_layer(resnet18, "layer4[0].downsample[0]")[1] is resnet18.layer4[0].downsample[0]


def test_a_module_resolves_to_its_name(resnet18):
    assert resolve_layer(resnet18, resnet18.layer3) == ("layer3", resnet18.layer3)
    assert resolve_layer(resnet18, resnet18.layer4[1].bn2)[0] == "layer4.1.bn2"


def test_an_unknown_name_lists_close_names(mobilenet_random):
    with pytest.raises(LayerNotFoundError) as info:
        resolve_layer(mobilenet_random, "feature.18")
    message = str(info.value)
    assert "layer='feature.18'" in message and "Fix:" in message
    assert "features.18" in message  # the closest real name is suggested
    assert isinstance(info.value, ValueError)


def test_out_of_range_index_is_an_unknown_name(mobilenet_random):
    with pytest.raises(LayerNotFoundError, match=r"layer='features\[40\]'.*Fix:"):
        resolve_layer(mobilenet_random, "features[40]")


def test_a_foreign_module_is_rejected(resnet18):
    other = torchvision.models.resnet18(num_classes=10)
    with pytest.raises(LayerNotFoundError, match=r"layer=.*not a submodule.*Fix:"):
        resolve_layer(resnet18, other.layer4)


@pytest.mark.parametrize("bad", [4, 2.0, ["layer4"]])
def test_a_bad_type_is_rejected(resnet18, bad):
    with pytest.raises(InvalidTypeError, match=r"layer.*Fix:"):
        resolve_layer(resnet18, bad)


def test_default_layer_of_resnet18_is_layer4_1():
    # Several fresh models and inputs: the choice must not depend on memory reuse.
    for seed in range(2):
        torch.manual_seed(seed)
        model = torchvision.models.resnet18(num_classes=10).eval()
        for size in (64, 48):
            assert find_default_layer(model, torch.rand(1, 3, size, size)) == "layer4.1"


def test_default_layer_of_mobilenet_v2_is_features_18(mobilenet_random):
    assert find_default_layer(mobilenet_random, torch.rand(2, 3, 64, 64)) == "features.18"


@pytest.mark.parametrize("inplace", [True, False])
def test_default_layer_of_a_plain_sequential_is_the_last_activation(make_cnn, inplace):
    # Conv → ReLU → Conv → BN → ReLU: with inplace=True the BN and the ReLU return the same
    # tensor; the default must still be the ReLU (post-activation maps), as without inplace.
    assert find_default_layer(make_cnn(inplace=inplace), torch.rand(1, 3, 8, 8)) == "4"


def test_a_model_without_spatial_maps_has_no_default_layer(model_checks):
    hooks_left, _ = model_checks
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 16), nn.ReLU(), nn.Linear(16, 4))
    with pytest.raises(LayerNotFoundError) as info:
        find_default_layer(mlp, torch.rand(1, 3, 8, 8))
    message = str(info.value)
    assert "layer=None" in message and "Fix:" in message
    assert not hooks_left(mlp)


def test_the_choice_is_cached_per_input_size(resnet18, monkeypatch):
    calls = []
    original = type(resnet18).forward

    def counting(self, x):
        calls.append(tuple(x.shape))
        return original(self, x)

    monkeypatch.setattr(type(resnet18), "forward", counting)
    find_default_layer(resnet18, torch.rand(1, 3, 48, 48))
    find_default_layer(resnet18, torch.rand(1, 3, 48, 48))
    assert len(calls) == 1
    find_default_layer(resnet18, torch.rand(1, 3, 40, 40))
    assert len(calls) == 2


def test_hooks_are_removed_and_errors_propagate(model_checks):
    hooks_left, flags = model_checks

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            self.conv(x)
            raise RuntimeError("boom in forward")

    model = Broken().train()
    before = flags(model)
    with pytest.raises(RuntimeError, match="boom in forward"):
        find_default_layer(model, torch.rand(1, 3, 8, 8))
    assert not hooks_left(model)
    assert flags(model) == before


def test_a_module_called_twice_is_not_chosen():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
            self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
            self.act = nn.ReLU()  # used twice

        def forward(self, x):
            x = self.act(self.conv1(x))
            return self.act(self.conv2(x)).mean(dim=(2, 3))

    assert find_default_layer(Shared().eval(), torch.rand(1, 3, 6, 6)) == "conv2"


def test_only_reused_modules_give_a_clear_error(model_checks):
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x)).mean(dim=(2, 3))

    net = Twice().eval()
    with pytest.raises(LayerNotFoundError, match=r"layer=None.*more than once.*Fix:"):
        find_default_layer(net, torch.rand(1, 3, 5, 5))
    assert not model_checks[0](net)
