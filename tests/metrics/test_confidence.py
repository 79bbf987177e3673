from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torchvision import transforms

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.metrics import (
    average_drop,
    explanation_arrays,
    increase_in_confidence,
    masked_confidences,
)
from hybridxai.vision.models import ModelInfo, register_model_info
from tests.metrics._nets import MEAN, STD, MustNotRun, tiny_cnn


def _reference(model, pixels, maps, targets, mean, std):
    """Straightforward Y, O: one image at a time, masking and softmax written out by hand."""
    model.eval()
    ys, os_ = [], []
    with torch.no_grad():
        for i in range(pixels.shape[0]):
            image = pixels[i]
            masked = torch.empty_like(image)
            for ch in range(image.shape[0]):
                masked[ch] = image[ch] * maps[i]
            probs = []
            for x in (image, masked):
                normalised = torch.empty_like(x)
                for ch in range(x.shape[0]):
                    normalised[ch] = (x[ch] - mean[ch]) / std[ch]
                logits = [float(v) for v in model(normalised.unsqueeze(0))[0]]
                top = max(logits)
                exps = [math.exp(v - top) for v in logits]
                probs.append(exps[targets[i]] / sum(exps))
            ys.append(probs[0])
            os_.append(probs[1])
    return ys, os_


def _reference_drop_increase(ys, os_):
    drop = 0.0
    increase = 0
    for y, o in zip(ys, os_, strict=True):
        drop += max(0.0, y - o) / y
        increase += 1 if o > y else 0
    return 100.0 * drop / len(ys), 100.0 * increase / len(ys)


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(1)
    pixels = torch.rand(9, 3, 12, 12, generator=gen, dtype=torch.float64)
    maps = torch.rand(9, 12, 12, generator=gen, dtype=torch.float64)
    maps[0] = 1.0  # a map of ones
    maps[1] = 0.0  # a black image
    maps[2] = (maps[2] > 0.5).double()  # a binary mask
    return pixels, maps


@pytest.mark.parametrize("batch_size", [1, 4, 32])
def test_matches_independent_computation(data, batch_size):
    pixels, maps = data
    model = tiny_cnn()
    targets = [0, 1, 2, 3, 4, 0, 1, 2, 3]
    Y, O = masked_confidences(model, pixels, maps, targets, normalize=(MEAN, STD),  # noqa: E741
                              batch_size=batch_size)
    ys, os_ = _reference(model, pixels, maps, targets, MEAN, STD)
    np.testing.assert_allclose(Y, ys, rtol=0, atol=1e-10)
    np.testing.assert_allclose(O, os_, rtol=0, atol=1e-10)
    drop, increase = _reference_drop_increase(ys, os_)
    assert abs(average_drop(Y, O) - drop) < 1e-10
    assert abs(increase_in_confidence(Y, O) - increase) < 1e-10
    assert Y.dtype == np.float64 and Y.shape == (9,)


def test_default_targets_are_predicted_classes(data):
    pixels, maps = data
    model = tiny_cnn().eval()
    with torch.no_grad():
        normalised = (pixels - torch.tensor(MEAN, dtype=torch.float64)[:, None, None]) \
            / torch.tensor(STD, dtype=torch.float64)[:, None, None]
        logits = model(normalised)
    predicted = logits.argmax(1).tolist()
    Y, O = masked_confidences(model, pixels, maps, normalize=(MEAN, STD))  # noqa: E741
    ys, os_ = _reference(model, pixels, maps, predicted, MEAN, STD)
    np.testing.assert_allclose(Y, ys, rtol=0, atol=1e-10)
    np.testing.assert_allclose(O, os_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(Y, torch.softmax(logits, 1).max(1).values.numpy(), atol=1e-12)


def test_map_of_ones_gives_no_drop(data):
    pixels, _ = data
    ones = torch.ones(pixels.shape[0], 12, 12, dtype=torch.float64)
    Y, O = masked_confidences(tiny_cnn(), pixels, ones, 3, normalize=(MEAN, STD),  # noqa: E741
                              batch_size=4)
    np.testing.assert_array_equal(O, Y)
    assert average_drop(Y, O) == 0.0
    assert increase_in_confidence(Y, O) == 0.0


def test_zero_map_gives_the_black_image(data):
    pixels, _ = data
    model = tiny_cnn().eval()
    zeros = torch.zeros(pixels.shape[0], 12, 12, dtype=torch.float64)
    _, O = masked_confidences(model, pixels, zeros, 2, normalize=(MEAN, STD))  # noqa: E741
    black = torch.zeros(1, 3, 12, 12, dtype=torch.float64)
    black_probs, _ = masked_confidences(model, black, torch.ones(1, 12, 12), 2,
                                        normalize=(MEAN, STD))
    np.testing.assert_allclose(O, np.full(pixels.shape[0], black_probs[0]), rtol=0, atol=1e-12)
    with torch.no_grad():
        normalised_black = (0.0 - torch.tensor(MEAN, dtype=torch.float64)[:, None, None]) \
            / torch.tensor(STD, dtype=torch.float64)[:, None, None]
        expected = torch.softmax(model(normalised_black.expand(1, 3, 12, 12)), 1)[0, 2]
    assert abs(float(expected) - O[0]) < 1e-12


def test_training_flags_restored_and_eval_used(data):
    pixels, maps = data
    model = tiny_cnn()
    model.train()
    model[1].eval()  # a mixed state must come back exactly as it was
    before = [m.training for m in model.modules()]
    first = masked_confidences(model, pixels, maps, 0, normalize=(MEAN, STD))
    second = masked_confidences(model, pixels, maps, 0, normalize=(MEAN, STD))
    assert [m.training for m in model.modules()] == before
    np.testing.assert_array_equal(first.original, second.original)  # dropout was off
    np.testing.assert_array_equal(first.masked, second.masked)
    assert all(p.grad is None for p in model.parameters())


def test_normalize_forms_agree(data):
    pixels, maps = data
    model = tiny_cnn()
    by_pair = masked_confidences(model, pixels, maps, 1, normalize=(MEAN, STD))
    normalize = transforms.Normalize(MEAN, STD)
    by_transform = masked_confidences(model, pixels, maps, 1, normalize=normalize)
    composed = transforms.Compose([transforms.Resize(5), transforms.Normalize(MEAN, STD)])
    by_compose = masked_confidences(model, pixels, maps, 1, normalize=composed)  # Resize ignored

    def by_hand(x):
        return (x - torch.tensor(MEAN, dtype=x.dtype)[:, None, None]) \
            / torch.tensor(STD, dtype=x.dtype)[:, None, None]

    by_callable = masked_confidences(model, pixels, maps, 1, normalize=by_hand)
    for other in (by_transform, by_compose, by_callable):
        np.testing.assert_allclose(other.original, by_pair.original, atol=1e-12)
        np.testing.assert_allclose(other.masked, by_pair.masked, atol=1e-12)
    identity = masked_confidences(model, pixels, maps, 1, normalize=None)
    ys, _ = _reference(model, pixels, maps, [1] * 9, (0.0,) * 3, (1.0,) * 3)
    np.testing.assert_allclose(identity.original, ys, atol=1e-10)


def test_float32_model_and_numpy_inputs(data):
    pixels, maps = data
    model64 = tiny_cnn(seed=3)
    model32 = tiny_cnn(seed=3, dtype=torch.float32)
    model32.load_state_dict({k: v.float() for k, v in model64.state_dict().items()})
    ref = masked_confidences(model64, pixels, maps, 4, normalize=(MEAN, STD))
    got = masked_confidences(model32, pixels.float().numpy(), maps.float().numpy(), 4,
                             normalize=(MEAN, STD))
    assert got.original.dtype == np.float64
    np.testing.assert_allclose(got.original, ref.original, atol=1e-5)
    np.testing.assert_allclose(got.masked, ref.masked, atol=1e-5)


def test_maps_with_channel_axis(data):
    pixels, maps = data
    model = tiny_cnn()
    flat = masked_confidences(model, pixels, maps, 0, normalize=(MEAN, STD))
    with_axis = masked_confidences(model, pixels, maps[:, None], 0, normalize=(MEAN, STD))
    np.testing.assert_array_equal(flat.masked, with_axis.masked)


GOOD_PIXELS = torch.rand(2, 3, 6, 6)
GOOD_MAPS = torch.rand(2, 6, 6)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"maps": torch.rand(2, 5, 6)}, InvalidArgumentError, "does not match pixels"),
        ({"maps": torch.rand(3, 6, 6)}, InvalidArgumentError, "does not match pixels"),
        ({"maps": GOOD_MAPS * 2}, InvalidArgumentError, r"must lie in \[0, 1\]"),
        ({"maps": GOOD_MAPS - 0.5}, InvalidArgumentError, r"must lie in \[0, 1\]"),
        ({"maps": torch.where(GOOD_MAPS > 0.5, float("nan"), GOOD_MAPS)}, InvalidArgumentError,
         "NaN"),
        ({"maps": [[0.5]]}, InvalidTypeError, "maps"),
        ({"maps": torch.ones(2, 6, 6, dtype=torch.long)}, InvalidArgumentError, "floating"),
        ({"pixels": GOOD_PIXELS * 255}, InvalidArgumentError, "undo the normalisation"),
        ({"pixels": GOOD_PIXELS[0]}, InvalidArgumentError, r"\(N, C, H, W\)"),
        ({"pixels": GOOD_PIXELS.clone().fill_(float("nan"))}, InvalidArgumentError, "NaN"),
        ({"targets": [0, 1, 1]}, InvalidArgumentError, "gives 3 classes for a batch of 2 images"),
        ({"targets": -1}, InvalidArgumentError, "non-negative"),
        ({"targets": 1.5}, InvalidTypeError, "targets"),
        ({"targets": torch.tensor([0.0, 1.0])}, InvalidArgumentError, "integer"),
        ({"normalize": ([0.5, 0.5], [0.2, 0.2])}, InvalidArgumentError, "1 or 3 values"),
        ({"normalize": ([0.5] * 3, [0.2, 0.0, 0.2])}, InvalidArgumentError, "std must be positive"),
        ({"normalize": "imagenet"}, InvalidTypeError, "normalize"),
        ({"batch_size": 0}, InvalidArgumentError, "at least 1"),
        ({"batch_size": 2.0}, InvalidTypeError, "batch_size"),
        ({"model": lambda x: x}, InvalidTypeError, "torch.nn.Module"),
    ],
)
def test_bad_inputs_fail_before_the_model_runs(kwargs, error, match):
    args = {"model": MustNotRun(), "pixels": GOOD_PIXELS, "maps": GOOD_MAPS, "targets": 0,
            "normalize": (MEAN, STD), "batch_size": 4}
    args.update(kwargs)
    with pytest.raises(error, match=match) as info:
        masked_confidences(args.pop("model"), args.pop("pixels"), args.pop("maps"),
                           args.pop("targets"), **args)
    assert "Fix:" in str(info.value)


def test_target_out_of_range_and_non_logit_output(data):
    pixels, maps = data
    with pytest.raises(InvalidArgumentError, match=r"targets=7 .*\[0, 5\)"):
        masked_confidences(tiny_cnn(), pixels, maps, 7, normalize=(MEAN, STD))
    with pytest.raises(InvalidArgumentError, match="not logits"):
        masked_confidences(torch.nn.Identity(), pixels, maps, 0, normalize=None)


def test_targets_by_registered_name_or_tensor_equal_targets_by_index(data):
    pixels, maps = data[0][:2], data[1][:2]
    model = tiny_cnn()
    by_index = masked_confidences(model, pixels, maps, [3, 1], normalize=(MEAN, STD))
    register_model_info(model, ModelInfo("tiny", None, ("a", "b", "c", "d, delta", "e")))
    for targets in (["delta", "B"], [torch.tensor(3), "b"], np.array(["d", "b"])):
        by_name = masked_confidences(model, pixels, maps, targets, normalize=(MEAN, STD))
        np.testing.assert_array_equal(by_name.original, by_index.original)
        np.testing.assert_array_equal(by_name.masked, by_index.masked)
    with pytest.raises(InvalidArgumentError, match=r"^targets='dleta' .*'d, delta' \(3\)"):
        masked_confidences(model, pixels, maps, "dleta", normalize=(MEAN, STD))
    with pytest.raises(InvalidTypeError, match=r"^targets has type bool"):
        masked_confidences(model, pixels, maps, True, normalize=(MEAN, STD))


def test_explanation_arrays_stack_in_model_layout():
    rng = np.random.default_rng(0)
    items = [SimpleNamespace(image=rng.random((5, 4, 3), dtype=np.float32),
                             saliency=rng.random((5, 4), dtype=np.float32), target=t)
             for t in (3, 1)]
    pixels, maps, targets = explanation_arrays(items)
    assert pixels.shape == (2, 3, 5, 4) and maps.shape == (2, 5, 4)
    assert targets == (3, 1)
    np.testing.assert_array_equal(pixels[1, 2].numpy(), items[1].image[:, :, 2])
    np.testing.assert_array_equal(maps[0].numpy(), items[0].saliency)
    with pytest.raises(InvalidArgumentError, match="is empty"):
        explanation_arrays([])
    with pytest.raises(InvalidTypeError, match=r"explanations\[0\]"):
        explanation_arrays([object()])
    odd = SimpleNamespace(image=np.zeros((6, 4, 3), np.float32),
                          saliency=np.zeros((6, 4), np.float32), target=0)
    with pytest.raises(InvalidArgumentError, match="different sizes"):
        explanation_arrays([items[0], odd])


def test_with_real_explanations():
    """Y recomputed from Explanation.image matches the probability explain() reported."""
    import hybridxai

    model = tiny_cnn(dtype=torch.float32).eval()
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 256, (12, 12, 3), dtype=np.uint8) for _ in range(3)]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    explanations = hybridxai.explain_batch(model, images, transform=transform, backend="exact",
                                           layer="4", seed=0)
    pixels, maps, targets = explanation_arrays(explanations)
    Y, O = masked_confidences(model, pixels, maps, targets, normalize=transform)  # noqa: E741
    np.testing.assert_allclose(Y, [e.probability for e in explanations], atol=1e-5)
    assert 0.0 <= average_drop(Y, O) <= 100.0


def test_several_map_sets_share_one_original(data):
    pixels, maps = data
    model = tiny_cnn()
    sets = {"random": maps, "ones": torch.ones_like(maps), "half": maps / 2}
    Y, O = masked_confidences(model, pixels, sets, 1, normalize=(MEAN, STD), batch_size=4)  # noqa: E741
    assert list(O) == ["random", "ones", "half"]
    for name, stack in sets.items():
        alone = masked_confidences(model, pixels, stack, 1, normalize=(MEAN, STD), batch_size=4)
        np.testing.assert_array_equal(alone.original, Y)
        np.testing.assert_array_equal(alone.masked, O[name])  # bit-identical to separate calls
    np.testing.assert_array_equal(O["ones"], Y)


def test_several_map_sets_are_all_checked_first(data):
    pixels, maps = data
    with pytest.raises(InvalidArgumentError, match=r"maps\['bad'\].*does not match"):
        masked_confidences(MustNotRun(), pixels, {"good": maps, "bad": maps[:3]}, 0,
                           normalize=(MEAN, STD))
    with pytest.raises(InvalidArgumentError, match="empty mapping"):
        masked_confidences(MustNotRun(), pixels, {}, 0, normalize=(MEAN, STD))
