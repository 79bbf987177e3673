"""Random-subset baseline: as many maps as a QUBO selection, drawn at random.

The candidates are the positive-importance maps ``P = {k : alpha_k > 0}`` — the maps the
QUBO chooses from — so a QUBO selection ``S`` and a random subset of ``|S|`` maps from ``P``
differ only in *which* maps are chosen. The map is built exactly like the QUBO explanation:
``ReLU(Σ_{k∈S} alpha_k·A_k)``, upsampled and min–max scaled (docs/method.md, The map).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from hybridxai.baselines.base import image_size as _image_size
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.features import FeatureBatch
from hybridxai.vision.saliency import class_activation_map

__all__ = ["RandomSubset", "random_subset", "random_subset_map"]

Seed = int | np.random.Generator | None


@dataclass(frozen=True)
class RandomSubset:
    """A random subset of feature maps and its explanation map.

    Attributes:
        channels: The chosen channel indices, ascending.
        map: float32 ``(H, W)`` in [0, 1] (all zeros when nothing is chosen).
    """

    channels: tuple[int, ...]
    map: NDArray[np.float32]


def _importance_vector(importance: ArrayLike | torch.Tensor) -> NDArray[np.float64]:
    if isinstance(importance, torch.Tensor):
        importance = importance.detach().to("cpu", torch.float64).numpy()
    try:
        values = np.asarray(importance, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_type("importance", importance, "a 1-D tensor/array of K importances",
                           "pass FeatureBatch.importance[i] for image i") from None
    if values.ndim != 1:
        raise invalid_argument("importance", importance,
                               f"must be 1-D (K,) for one image, got {values.ndim}-D",
                               "pass one image's row, e.g. features.importance[0]")
    if not np.all(np.isfinite(values)):
        raise invalid_argument("importance", importance, "contains NaN or inf values",
                               "check the gradients of the target layer")
    return values


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise invalid_type("size", size, "an int (the number of maps to draw)",
                           "pass the size of the QUBO selection, e.g. size=len(selection)")
    if size < 0:
        raise invalid_argument("size", size, "must be non-negative",
                               "pass the size of the QUBO selection, e.g. size=len(selection)")
    return int(size)


def random_subset(
    importance: ArrayLike | torch.Tensor,
    size: int,
    *,
    seed: Seed,
    positive_only: bool = True,
) -> tuple[int, ...]:
    """Draw ``size`` distinct channels uniformly at random.

    Args:
        importance: One image's importances ``alpha``, shape ``(K,)``
            (``FeatureBatch.importance[i]``).
        size: How many channels to draw — the size of the QUBO selection to compare with.
        seed: An int or ``numpy.random.Generator`` (reproducible), or ``None`` for fresh
            randomness.
        positive_only: Draw only from ``{k : alpha_k > 0}`` (the QUBO's candidates);
            ``False`` draws from all ``K``.

    Returns:
        The chosen channel indices, ascending.

    Raises:
        InvalidArgumentError: ``size`` exceeds the number of candidates, or bad input.

    Example:
        >>> random_subset([0.3, -0.1, 0.2, 0.5, 0.0], 2, seed=0)
        (2, 3)
    """
    values = _importance_vector(importance)
    size = _check_size(size)
    candidates = np.flatnonzero(values > 0) if positive_only else np.arange(values.size)
    if size > candidates.size:
        kind = "positive-importance maps" if positive_only else "maps"
        raise invalid_argument(
            "size", size, f"exceeds the {candidates.size} {kind} available",
            "pass at most that many (a QUBO selection never has more than the positive maps), "
            "or positive_only=False to draw from all maps",
        )
    if not (seed is None or isinstance(seed, np.random.Generator)
            or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool))):
        raise invalid_type("seed", seed, "an int, a numpy.random.Generator or None",
                           "pass seed=0 for a reproducible draw")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    chosen = rng.choice(candidates, size=size, replace=False)
    return tuple(sorted(int(k) for k in chosen))


def random_subset_map(
    features: FeatureBatch,
    size: int,
    *,
    image_size: Sequence[int] | int,
    seed: Seed,
    index: int = 0,
    positive_only: bool = True,
) -> RandomSubset:
    """A random subset of one image's maps and its explanation map (no new forward pass).

    Args:
        features: The extracted batch (:func:`~hybridxai.vision.features.extract_features`).
        size: How many maps to draw — the size of the QUBO selection to compare with.
        image_size: Output ``(H, W)``, normally the model input's size.
        seed: An int or ``numpy.random.Generator`` (reproducible), or ``None``.
        index: Which image of the batch.
        positive_only: Draw only from the positive-importance maps (the QUBO's candidates).

    Returns:
        The :class:`RandomSubset` (channels and map).

    Example:
        >>> import torch, torchvision
        >>> from hybridxai.vision.features import extract_features
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> fb = extract_features(net, torch.rand(1, 3, 64, 64))
        >>> rs = random_subset_map(fb, 5, image_size=(64, 64), seed=1)
        >>> len(rs.channels), rs.map.shape
        (5, (64, 64))
    """
    if not isinstance(features, FeatureBatch):
        raise invalid_type("features", features, "a hybridxai.vision.features.FeatureBatch",
                           "call hybridxai.vision.features.extract_features(model, batch) first")
    n = features.activations.shape[0]
    try:
        i = operator.index(index)
    except TypeError:
        raise invalid_type("index", index, "an int", f"pass an image index in [0, {n})") from None
    if isinstance(index, bool) or not -n <= i < n:
        raise invalid_argument("index", index, f"the batch has {n} image(s)",
                               f"pass an image index in [0, {n})")
    alpha = features.importance[i]
    channels = random_subset(alpha, size, seed=seed, positive_only=positive_only)
    cam = class_activation_map(features.activations[i], alpha, _image_size(image_size), channels)
    return RandomSubset(channels=channels, map=cam)
