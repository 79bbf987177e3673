"""The classifier runner (hybridxai.vision.classifier): device, dtype, eval mode, logits, batches.

The metrics (``masked_confidences``, deletion/insertion curves) and the feature extraction run
models through this module; their own tests cover it end to end, these test it directly.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torchvision import transforms

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.vision.classifier import (
    ClassifierRunner,
    SelectOutput,
    check_image_device,
    check_model_device,
    chunks,
    eval_mode,
    logits_of,
    make_normalizer,
    model_device,
    model_floating_dtype,
    target_probabilities,
)

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def test_eval_mode_restores_flags_after_an_exception(make_cnn, model_checks):
    _, flags = model_checks
    model = make_cnn().train()
    model[3].eval()
    before = flags(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyError), eval_mode(model):
            assert not any(flags(model).values())
            raise KeyError("inside")
    assert flags(model) == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with eval_mode(make_cnn()):  # an eval model gives no warning
            pass
    with pytest.warns(UserWarning, match="training mode"), eval_mode(make_cnn().train()):
        pass


def test_model_device_and_dtype():
    assert model_device(nn.Conv2d(1, 1, 1)) == torch.device("cpu")
    assert model_device(nn.ReLU()) == torch.device("cpu")
    bn = nn.BatchNorm2d(2, affine=False)  # buffers only
    assert model_device(bn) == torch.device("cpu")
    assert model_floating_dtype(nn.Linear(2, 2)) == torch.float32
    assert model_floating_dtype(nn.Linear(2, 2).double()) == torch.float64
    assert model_floating_dtype(bn.double()) == torch.float64
    assert model_floating_dtype(nn.ReLU()) is None


def test_the_meta_device_is_refused():
    with torch.device("meta"):
        meta = nn.Linear(2, 2)
    with pytest.raises(InvalidArgumentError, match=r"^model=.*'meta' device.*Fix: materialise"):
        check_model_device(meta)
    assert check_model_device(nn.Linear(2, 2)) == torch.device("cpu")
    with pytest.raises(InvalidArgumentError, match=r"^pixels=<Tensor.*'meta' device.*Fix:"):
        check_image_device(torch.empty(1, 3, 2, 2, device="meta"), "pixels")


def test_logits_of_takes_2d_tensors_and_hf_outputs_only():
    net = nn.Linear(3, 2)
    logits = torch.zeros(4, 2)
    assert logits_of(net, logits) is logits
    assert logits_of(net, SimpleNamespace(logits=logits)) is logits
    for output, words in (((logits,), "a tuple"), ({"logits": logits}, "a dict"),
                          (torch.zeros(4), "a tensor of shape (4,)")):
        with pytest.raises(InvalidArgumentError) as info:
            logits_of(net, output)
        message = str(info.value)
        assert message.startswith("model=Linear is invalid: its forward returned " + words)
        assert "Fix: wrap the model" in message and "SelectOutput(model, 0)" in message


def test_select_output_picks_the_logits():
    class Pair(nn.Module):
        def forward(self, x):
            return x.flatten(1), x

    wrapped = SelectOutput(Pair().eval(), 0)
    assert not wrapped.training
    x = torch.rand(2, 3, 1, 1)
    assert torch.equal(wrapped(x), x.flatten(1))


def test_make_normalizer_forms_agree():
    x = torch.rand(2, 3, 4, 4, dtype=torch.float64)
    expected = (x - torch.tensor(MEAN, dtype=torch.float64)[None, :, None, None]) / torch.tensor(
        STD, dtype=torch.float64)[None, :, None, None]
    torch.testing.assert_close(make_normalizer((MEAN, STD), 3)(x), expected, rtol=0, atol=1e-15)
    composed = transforms.Compose([transforms.Resize(2), transforms.Normalize(MEAN, STD)])
    by_transform = make_normalizer(composed, 3)
    torch.testing.assert_close(by_transform(x), expected, rtol=0, atol=1e-15)  # Resize ignored
    assert make_normalizer(None, 3)(x) is x
    assert make_normalizer(torch.neg, 3) is torch.neg
    with pytest.raises(InvalidArgumentError, match="1 or 3 values"):
        make_normalizer(([0.5, 0.5], [0.2, 0.2, 0.2]), 3)
    with pytest.raises(InvalidArgumentError, match="std must be positive"):
        make_normalizer(([0.5], [0.0]), 3)
    with pytest.raises(InvalidTypeError, match="normalize has type int"):
        make_normalizer(3, 3)


def test_the_runner_gives_the_model_logits_in_eval_mode_without_autograd(make_cnn, model_checks):
    hooks_left, flags = model_checks
    model = make_cnn().double().train()
    runner = ClassifierRunner(model, (MEAN, STD), 3, torch.float32)
    assert runner.device == torch.device("cpu") and runner.dtype == torch.float64
    pixels = torch.rand(3, 3, 8, 8)  # float32 pixels go to the model's dtype
    with runner.evaluating():
        logits = runner.logits(pixels)
        assert not any(flags(model).values())
    assert all(flags(model).values()) and not logits.requires_grad and not hooks_left(model)
    with eval_mode(model, warn=False), torch.no_grad():
        reference = model(make_normalizer((MEAN, STD), 3)(pixels.double()))
    torch.testing.assert_close(logits, reference, rtol=0, atol=0)
    targets = torch.tensor([0, 4, 2])
    probs = ClassifierRunner.probabilities(logits, targets)
    expected = torch.softmax(reference, dim=1)[torch.arange(3), targets]
    assert probs.dtype == torch.float64
    torch.testing.assert_close(probs, expected, rtol=0, atol=0)
    assert torch.equal(target_probabilities(logits, [0, 4, 2]), probs)
    assert ClassifierRunner(nn.Flatten(), None, 3, torch.float16).dtype == torch.float16  # no params


def test_chunks_cover_the_range():
    assert list(chunks(5, 2)) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    assert list(chunks(4, 4)) == [slice(0, 4)]
    assert list(chunks(0, 3)) == []
