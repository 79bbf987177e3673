"""Feature extraction: one hooked forward/backward pass, targets, hygiene, real MobileNetV2."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, LayerNotFoundError
from hybridxai.vision.features import SelectOutput, extract_features
from hybridxai.vision.models import ModelInfo, model_info, register_model_info
from tests.conftest import build_no_grad_head_cnn

EGYPTIAN_CAT = 285
ESPRESSO = 967


def manual_mobilenet(model, x, target):
    """Activations of features.18 and ∂logit/∂A, by hand (no hooks)."""
    with torch.enable_grad():
        a = model.features(x).detach().requires_grad_(True)
        logits = model.classifier(torch.flatten(F.adaptive_avg_pool2d(a, (1, 1)), 1))
        (g,) = torch.autograd.grad(logits[0, target], a)
    return a.detach(), g, logits.detach()


# -- the real MobileNetV2 ----------------------------------------------------------------------------


def test_real_photos_are_classified_and_the_default_layer_is_features_18(mobilenet,
                                                                          mobilenet_features):
    fb = mobilenet_features
    assert fb.targets == (EGYPTIAN_CAT, ESPRESSO)
    names = model_info(mobilenet).class_names
    assert names[fb.targets[0]] == "Egyptian cat" and names[fb.targets[1]] == "espresso"
    assert fb.layer == "features.18" and fb.layer_was_default
    assert fb.activations.shape == fb.gradients.shape == (2, 1280, 7, 7)
    assert fb.logits.shape == (2, 1000)
    assert not fb.activations.requires_grad and not fb.gradients.requires_grad
    probs = fb.probabilities
    assert probs.shape == (2,) and bool(torch.all((probs > 0.3) & (probs <= 1)))
    assert fb.importance.dtype == torch.float64  # alpha is taken in float64 (anneal.qubo.importance)
    torch.testing.assert_close(fb.importance, fb.gradients.double().mean(dim=(2, 3)), rtol=0, atol=0)


def test_activations_and_gradients_match_a_manual_pass(mobilenet, mobilenet_inputs,
                                                       mobilenet_features):
    for i, target in enumerate((EGYPTIAN_CAT, ESPRESSO)):
        a, g, logits = manual_mobilenet(mobilenet, mobilenet_inputs[i : i + 1], target)
        torch.testing.assert_close(mobilenet_features.activations[i : i + 1], a, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(mobilenet_features.gradients[i : i + 1], g, atol=1e-6, rtol=1e-4)
        torch.testing.assert_close(mobilenet_features.logits[i : i + 1], logits, atol=1e-4, rtol=1e-4)


def test_a_batch_equals_single_calls(mobilenet, mobilenet_inputs, mobilenet_features):
    for i in range(2):
        single = extract_features(mobilenet, mobilenet_inputs[i : i + 1], layer="features.18")
        assert single.targets == (mobilenet_features.targets[i],)
        torch.testing.assert_close(single.activations[0], mobilenet_features.activations[i],
                                   atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(single.gradients[0], mobilenet_features.gradients[i],
                                   atol=1e-5, rtol=1e-5)


def test_targets_per_image_and_one_for_all(mobilenet, mobilenet_inputs, mobilenet_features):
    swapped = extract_features(mobilenet, mobilenet_inputs, layer="features[-1]",
                               targets=[ESPRESSO, EGYPTIAN_CAT])
    assert swapped.layer == "features.18" and not swapped.layer_was_default
    assert swapped.targets == (ESPRESSO, EGYPTIAN_CAT)
    torch.testing.assert_close(swapped.activations, mobilenet_features.activations)
    _, g_cup_on_cat, _ = manual_mobilenet(mobilenet, mobilenet_inputs[:1], ESPRESSO)
    torch.testing.assert_close(swapped.gradients[:1], g_cup_on_cat, atol=1e-6, rtol=1e-4)
    assert not torch.allclose(swapped.gradients[0], mobilenet_features.gradients[0])

    shared = extract_features(mobilenet, mobilenet_inputs, layer="features.18", targets=EGYPTIAN_CAT)
    assert shared.targets == (EGYPTIAN_CAT, EGYPTIAN_CAT)
    torch.testing.assert_close(shared.gradients[0], mobilenet_features.gradients[0])
    torch.testing.assert_close(shared.gradients[1], swapped.gradients[1])


def test_the_real_model_is_left_untouched(mobilenet, mobilenet_inputs, model_checks):
    hooks_left, flags = model_checks
    before = flags(mobilenet)
    extract_features(mobilenet, mobilenet_inputs[:1], layer="features.18")
    assert not hooks_left(mobilenet)
    assert flags(mobilenet) == before
    assert all(p.grad is None for p in mobilenet.parameters())


# -- gradients and activations on small models --------------------------------------------------------


def test_frozen_parameters_still_give_gradients(make_cnn):
    x = torch.rand(2, 3, 8, 8)
    reference = extract_features(make_cnn(), x, layer="2")
    frozen = make_cnn()
    for p in frozen.parameters():
        p.requires_grad_(False)
    result = extract_features(frozen, x, layer="2")
    assert result.gradients.abs().sum() > 0
    torch.testing.assert_close(result.gradients, reference.gradients)
    torch.testing.assert_close(result.activations, reference.activations)
    assert all(not p.requires_grad and p.grad is None for p in frozen.parameters())


@pytest.mark.parametrize("caller_grad", [True, False])
def test_only_the_layers_after_the_target_record_autograd(make_cnn, model_checks, caller_grad):
    model = make_cnn()
    modes: dict[str, bool] = {}

    def record(name: str):
        def hook(_module, _inputs, output) -> None:
            modes[name] = output.requires_grad
        return hook

    handles = [model[i].register_forward_hook(record(str(i))) for i in (0, 2, 3, 8)]
    x = torch.rand(2, 3, 8, 8)
    try:
        with torch.set_grad_enabled(caller_grad):
            result = extract_features(model, x, layer="2")
            assert torch.is_grad_enabled() is caller_grad  # the caller's mode is untouched
    finally:
        for handle in handles:
            handle.remove()
    # up to the target layer no graph (this hook on "2" runs before extract_features' own);
    # after it, the graph from the captured maps to the logits
    assert modes == {"0": False, "2": False, "3": True, "8": True}
    with torch.enable_grad():  # reference: autograd through the whole network
        a = model[:3](x).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(model[3:](a).max(dim=1).values.sum(), a)
    torch.testing.assert_close(result.gradients, g)
    assert not model_checks[0](model)


def test_grad_mode_is_restored_when_the_head_raises(make_cnn):
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    model = nn.Sequential(*make_cnn()[:3], Boom()).eval()
    with torch.no_grad(), pytest.raises(RuntimeError, match="boom"):
        extract_features(model, torch.rand(1, 3, 8, 8), layer="2")
    assert torch.is_grad_enabled()
    with torch.no_grad():
        with pytest.raises(RuntimeError, match="boom"):
            extract_features(model, torch.rand(1, 3, 8, 8), layer="2")
        assert not torch.is_grad_enabled()


def test_an_inplace_relu_after_the_hooked_layer_does_not_corrupt_the_maps(make_cnn):
    model = make_cnn(inplace=True)  # Conv, ReLU(inplace), Conv, BN, ReLU(inplace), ...
    x = torch.rand(2, 3, 8, 8) - 0.5
    result = extract_features(model, x, layer="3", targets=[1, 4])  # the BN output
    with torch.enable_grad():
        bn = model[:4](x).detach().requires_grad_(True)
        logits = model[4:](bn.clone())
        (g,) = torch.autograd.grad(logits[0, 1] + logits[1, 4], bn)
    assert bool((result.activations < 0).any())  # pre-ReLU values survived
    torch.testing.assert_close(result.activations, bn)
    torch.testing.assert_close(result.gradients, g)
    torch.testing.assert_close(result.logits, logits.detach())


def test_an_inplace_residual_add_after_the_hooked_layer(model_checks):
    torch.manual_seed(3)
    net = torchvision.models.resnet18(num_classes=10).eval()
    x = torch.rand(1, 3, 64, 64)
    result = extract_features(net, x, layer="layer4.1.bn2", targets=7)
    block = net.layer4[1]
    with torch.enable_grad():
        h = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        h = net.layer4[0](net.layer3(net.layer2(net.layer1(h))))
        bn2 = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(h))))).detach()
        bn2.requires_grad_(True)
        out = torch.relu(bn2 + h)
        logits = net.fc(torch.flatten(net.avgpool(out), 1))
        (g,) = torch.autograd.grad(logits[0, 7], bn2)
    torch.testing.assert_close(result.activations, bn2.detach())
    torch.testing.assert_close(result.gradients, g)
    assert not model_checks[0](net)


def test_targets_default_to_the_argmax(make_cnn):
    model = make_cnn()
    x = torch.rand(3, 3, 8, 8)
    fb = extract_features(model, x, layer="2")
    assert fb.targets == tuple(model(x).argmax(1).tolist())


def test_dict_outputs_need_select_output():
    class DictNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            a = self.conv(x)
            return {"logits": self.fc(a.mean(dim=(2, 3))), "maps": a}

    net = DictNet().eval()
    with pytest.raises(InvalidArgumentError) as info:
        extract_features(net, torch.rand(1, 3, 5, 5), layer="conv")
    assert "model=" in str(info.value) and "SelectOutput" in str(info.value)
    assert "Fix:" in str(info.value)
    wrapped = SelectOutput(net, "logits")
    assert not wrapped.training  # mirrors the wrapped model: no spurious training-mode warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fb = extract_features(wrapped, torch.rand(1, 3, 5, 5), layer="model.conv")
    assert fb.activations.shape == (1, 4, 5, 5) and fb.layer == "model.conv"


# -- targets (parsed by hybridxai.vision.targets; see tests/vision/test_targets.py) ---------------


def test_targets_may_be_names_tensors_and_are_parsed_before_the_forward_pass(make_cnn):
    model = make_cnn(num_classes=3)
    x = torch.rand(2, 3, 8, 8)
    names = ("tench", "tabby, tabby cat", "tiger cat")
    by_index = extract_features(model, x, layer="2", targets=[1, 2])
    by_name = extract_features(model, x, layer="2", targets=["Tabby cat", torch.tensor(2)],
                               class_names=names)
    assert by_name.targets == by_index.targets == (1, 2)
    assert torch.equal(by_name.gradients, by_index.gradients)
    register_model_info(model, ModelInfo("tiny", None, names))  # names registered with the model
    assert extract_features(model, x, layer="2", targets="tabby").targets == (1, 1)
    calls = []
    model.register_forward_pre_hook(lambda *_: calls.append(1))
    for bad in ("tabbby", [0, 1, 2], True, 1.5):
        with pytest.raises((InvalidArgumentError, InvalidTypeError), match="target"):
            extract_features(model, x, layer="2", targets=bad)
    assert not calls  # refused before the model ran


# -- errors leave no trace --------------------------------------------------------------------------


def _mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 16), nn.ReLU(), nn.Linear(16, 5))


ERROR_CASES = [
    # (description, model factory, images, kwargs, exception, words in message)
    ("mlp", "mlp", (1, 3, 8, 8), {}, LayerNotFoundError, ["layer=None"]),
    ("unknown layer", "cnn", (1, 3, 8, 8), {"layer": "conv9"}, LayerNotFoundError, ["layer='conv9'"]),
    ("linear layer", "cnn", (1, 3, 8, 8), {"layer": "8"}, InvalidArgumentError, ["layer="]),
    ("target out of range", "cnn", (2, 3, 8, 8), {"layer": "2", "targets": 5}, InvalidArgumentError,
     ["target="]),
    ("target count", "cnn", (2, 3, 8, 8), {"layer": "2", "targets": [1, 2, 3]}, InvalidArgumentError,
     ["target="]),
    ("uint8", "cnn", "uint8", {}, InvalidArgumentError, ["images="]),
    ("3-D", "cnn", (3, 8, 8), {}, InvalidArgumentError, ["images="]),
    ("5-D", "cnn", (1, 1, 3, 8, 8), {}, InvalidArgumentError, ["images="]),
    ("nan", "cnn", "nan", {}, InvalidArgumentError, ["images=", "NaN"]),
    ("not a tensor", "cnn", "array", {}, InvalidTypeError, ["images"]),
]


@pytest.mark.parametrize(("case", "factory", "shape", "kwargs", "error", "words"), ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_are_clear_and_leave_no_hooks_or_mode_changes(make_cnn, model_checks, case, factory,
                                                            shape, kwargs, error, words):
    hooks_left, flags = model_checks
    model = _mlp() if factory == "mlp" else make_cnn()
    model.train()
    model[-1].eval()  # mixed flags must come back exactly
    before = flags(model)
    if shape == "uint8":
        images = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    elif shape == "nan":
        images = torch.rand(1, 3, 8, 8)
        images[0, 0, 0, 0] = float("nan")
    elif shape == "array":
        images = np.zeros((1, 3, 8, 8), dtype=np.float32)
    else:
        images = torch.rand(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(error) as info:
            extract_features(model, images, **kwargs)
    message = str(info.value)
    assert "Fix:" in message
    for word in words:
        assert word in message
    assert "\n" not in message
    assert not hooks_left(model)
    assert flags(model) == before
    assert all(p.grad is None for p in model.parameters())


def test_a_layer_called_twice_is_refused(model_checks):
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(self.conv(self.conv(x)).mean(dim=(2, 3)))

    net = Shared().eval()
    with pytest.raises(InvalidArgumentError, match=r"layer='conv'.*more than once.*Fix:"):
        extract_features(net, torch.rand(1, 3, 6, 6), layer="conv")
    assert not model_checks[0](net)


def test_a_layer_off_the_path_is_refused(model_checks):
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)
            self.spare = nn.Conv2d(3, 3, 3, padding=1)
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(self.conv(x).mean(dim=(2, 3)))

    net = Unused().eval()
    with pytest.raises(InvalidArgumentError, match=r"layer='spare'.*never called.*Fix:"):
        extract_features(net, torch.rand(1, 3, 6, 6), layer="spare")
    assert not model_checks[0](net)


@pytest.mark.parametrize("frozen", [False, True])
def test_a_called_layer_that_does_not_reach_the_logits_is_refused(model_checks, frozen):
    class SideBranch(nn.Module):
        def __init__(self):
            super().__init__()
            self.side = nn.Conv2d(3, 4, 3, padding=1)
            self.conv = nn.Conv2d(3, 3, 3, padding=1)
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            self.side(x)  # computed, then discarded
            return self.fc(self.conv(x).mean(dim=(2, 3)))

    net = SideBranch().eval().requires_grad_(not frozen)
    with pytest.raises(InvalidArgumentError, match=r"layer='side'.*do not depend on its output.*Fix:"):
        extract_features(net, torch.rand(2, 3, 6, 6), layer="side")
    assert not model_checks[0](net)


def test_a_head_run_without_autograd_is_refused():
    with pytest.raises(InvalidArgumentError, match=r"layer='body.2'.*torch.no_grad\(\).*Fix:"):
        extract_features(build_no_grad_head_cnn(), torch.rand(1, 3, 8, 8), layer="body.2")


def test_a_model_that_raises_keeps_its_error_and_loses_the_hook(make_cnn, model_checks):
    model = make_cnn()
    with pytest.raises(RuntimeError):  # 4 input channels for a 3-channel conv
        extract_features(model, torch.rand(1, 4, 8, 8), layer="2")
    assert not model_checks[0](model)


# -- training mode ------------------------------------------------------------------------------------


def test_a_training_model_is_explained_in_eval_mode_and_handed_back(make_cnn, model_checks):
    hooks_left, flags = model_checks
    model = make_cnn()
    x = torch.rand(2, 3, 8, 8)
    reference = extract_features(model, x, layer="3")
    model.train()
    running_mean = model[3].running_mean.clone()
    with pytest.warns(UserWarning, match="training mode"):
        result = extract_features(model, x, layer="3")
    assert model.training and all(flags(model).values())
    torch.testing.assert_close(result.activations, reference.activations)  # BN/dropout in eval
    torch.testing.assert_close(result.gradients, reference.gradients)
    torch.testing.assert_close(model[3].running_mean, running_mean)  # statistics not updated
    assert not hooks_left(model)


def test_default_layer_maps_do_not_depend_on_inplace(make_cnn):
    x = torch.rand(2, 3, 8, 8) - 0.5
    a = extract_features(make_cnn(inplace=True), x)
    b = extract_features(make_cnn(inplace=False), x)
    assert a.layer == b.layer == "4" and a.layer_was_default
    assert bool((a.activations >= 0).all())  # post-ReLU maps
    torch.testing.assert_close(a.activations, b.activations)
    torch.testing.assert_close(a.gradients, b.gradients)


def test_a_layer_given_as_a_module(make_cnn):
    model = make_cnn()
    x = torch.rand(1, 3, 8, 8)
    by_module = extract_features(model, x, layer=model[2])
    by_name = extract_features(model, x, layer="2")
    assert by_module.layer == "2" and not by_module.layer_was_default
    torch.testing.assert_close(by_module.activations, by_name.activations)
    torch.testing.assert_close(by_module.gradients, by_name.gradients)
