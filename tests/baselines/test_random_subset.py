"""The random-subset baseline on the real MobileNetV2's features of two photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai.baselines import RandomSubset, random_subset, random_subset_map
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.vision.features import FeatureBatch, extract_features
from hybridxai.vision.saliency import class_activation_map

SIZE = (224, 224)


@pytest.fixture(scope="module")
def features(mobilenet, photos) -> FeatureBatch:
    return extract_features(mobilenet, photos)


@pytest.fixture(scope="module")
def positive(features) -> list[set[int]]:
    """The QUBO's candidates ``P = {k : alpha_k > 0}`` of each image."""
    return [set(torch.nonzero(a > 0).flatten().tolist()) for a in features.importance]


def test_the_photos_have_positive_and_other_channels(features, positive):
    K = features.activations.shape[1]
    assert all(32 < len(p) < K for p in positive)
    assert positive[0] != positive[1]


@pytest.mark.parametrize("size", [0, 1, 16, 100])
@pytest.mark.parametrize("index", [0, 1])
def test_right_size_and_only_positive_channels(features, positive, size, index):
    result = random_subset_map(features, size, image_size=SIZE, seed=size, index=index)
    assert isinstance(result, RandomSubset)
    assert len(result.channels) == size
    assert list(result.channels) == sorted(set(result.channels))
    assert set(result.channels) <= positive[index]
    assert result.map.shape == SIZE and result.map.dtype == np.float32
    assert 0.0 <= result.map.min() and result.map.max() <= 1.0


def test_the_map_is_the_qubo_map_of_the_chosen_channels(features):
    result = random_subset_map(features, 16, image_size=SIZE, seed=3, index=1)
    expected = class_activation_map(features.activations[1], features.importance[1], SIZE,
                                    result.channels)
    np.testing.assert_array_equal(result.map, expected)
    assert result.map.max() == 1.0


def test_empty_subset_gives_an_all_zero_map(features):
    result = random_subset_map(features, 0, image_size=SIZE, seed=0)
    assert result.channels == () and not result.map.any()


def test_all_positive_channels_when_size_is_d(features, positive):
    d = len(positive[0])
    assert set(random_subset(features.importance[0], d, seed=5)) == positive[0]
    with pytest.raises(InvalidArgumentError, match=rf"size={d + 1}.*{d} positive-importance"):
        random_subset(features.importance[0], d + 1, seed=5)


def test_reproducible_with_a_seed(features):
    first = random_subset_map(features, 16, image_size=SIZE, seed=42)
    again = random_subset_map(features, 16, image_size=SIZE, seed=42)
    assert first.channels == again.channels
    np.testing.assert_array_equal(first.map, again.map)
    from_generator = random_subset(features.importance[0], 16, seed=np.random.default_rng(42))
    assert from_generator == first.channels


def test_different_seeds_differ(features):
    draws = {random_subset(features.importance[0], 16, seed=s) for s in range(10)}
    assert len(draws) == 10


def test_accepts_tensors_arrays_and_lists(features):
    alpha = features.importance[0]
    by_tensor = random_subset(alpha, 8, seed=1)
    assert random_subset(alpha.numpy(), 8, seed=1) == by_tensor
    assert random_subset(alpha.tolist(), 8, seed=1) == by_tensor


def test_positive_only_false_draws_from_all_channels(features, positive):
    K = features.importance.shape[1]
    everything = random_subset(features.importance[0], K, seed=0, positive_only=False)
    assert everything == tuple(range(K))
    some = random_subset(features.importance[0], 400, seed=0, positive_only=False)
    assert not set(some) <= positive[0]


def test_small_example():
    alpha = [0.3, -0.1, 0.2, 0.5, 0.0]
    for seed in range(20):
        chosen = random_subset(alpha, 2, seed=seed)
        assert len(chosen) == 2 and set(chosen) <= {0, 2, 3}


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    ({"size": -1}, InvalidArgumentError, r"size=-1.*Fix:"),
    ({"size": 2.5}, InvalidTypeError, r"size has type float"),
    ({"size": True}, InvalidTypeError, r"size has type bool"),
    ({"size": 2, "seed": "zero"}, InvalidTypeError, r"seed has type str"),
    ({"size": 2, "index": 2}, InvalidArgumentError, r"index=2.*2 image"),
    ({"size": 2, "index": "0"}, InvalidTypeError, r"index has type str"),
])
def test_bad_arguments_raise(features, kwargs, error, pattern):
    arguments = {"image_size": SIZE, "seed": 0, **kwargs}
    with pytest.raises(error, match=pattern):
        random_subset_map(features, **arguments)


def test_bad_importance_and_features_raise(features):
    with pytest.raises(InvalidArgumentError, match=r"importance=.*1-D"):
        random_subset(features.importance, 2, seed=0)
    with pytest.raises(InvalidArgumentError, match="NaN"):
        random_subset([0.1, float("nan")], 1, seed=0)
    with pytest.raises(InvalidTypeError, match="features"):
        random_subset_map(features.importance, 2, image_size=SIZE, seed=0)
