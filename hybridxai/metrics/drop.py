"""Average Drop % and Increase in Confidence % from two arrays of probabilities.

``Y_i`` is the softmax probability of the explained class on image ``i``, ``O_i`` the same on
the image multiplied pixel-wise by its explanation map (see
:func:`~hybridxai.metrics.masked_confidences`, which computes both). Lower drop and higher
increase are better.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hybridxai.exceptions import invalid_argument
from hybridxai.metrics._checks import as_probabilities

__all__ = ["average_drop", "increase_in_confidence", "drop_per_image"]


def _pair(original: Any, masked: Any) -> tuple[np.ndarray, np.ndarray]:
    y = as_probabilities("original", original)
    o = as_probabilities("masked", masked)
    if y.shape != o.shape:
        raise invalid_argument("masked", masked,
                               f"has {o.size} values but original has {y.size}",
                               "pass one masked probability per original probability")
    return y, o


def drop_per_image(original: Any, masked: Any) -> np.ndarray:
    """Relative drop ``max(0, Y_i − O_i) / Y_i`` of each image, in [0, 1].

    Args:
        original: ``Y``, shape ``(N,)``: probability of the class on the image.
        masked: ``O``, shape ``(N,)``: probability on the masked image.

    Returns:
        float64 array ``(N,)``.

    Raises:
        InvalidArgumentError: Shapes differ, values outside [0, 1] or NaN, or some ``Y_i = 0``
            (the relative drop is undefined).

    Example:
        >>> drop_per_image([0.5, 0.25], [0.125, 0.5]).tolist()
        [0.75, 0.0]

    """
    y, o = _pair(original, masked)
    zero = np.flatnonzero(y == 0.0)
    if zero.size:
        raise invalid_argument(
            "original", original,
            f"Y is 0 for image {int(zero[0])} ({zero.size} image(s) in all), so the relative "
            "drop is undefined",
            "explain a class the model gives a positive probability (e.g. the predicted class), "
            "or leave those images out",
        )
    return np.maximum(0.0, y - o) / y


def average_drop(original: Any, masked: Any) -> float:
    """Average Drop % = ``100/N · Σ_i max(0, Y_i − O_i) / Y_i``, in [0, 100] (lower is better).

    Args:
        original: ``Y``, shape ``(N,)``: softmax probability of the class on each image.
        masked: ``O``, shape ``(N,)``: the same on the image multiplied by its map.

    Returns:
        The percentage.

    Raises:
        InvalidArgumentError: See :func:`drop_per_image`.

    Example:
        >>> average_drop([0.8, 0.5, 0.2, 0.4], [0.4, 0.6, 0.1, 0.4])
        25.0

    """
    return float(100.0 * np.mean(drop_per_image(original, masked)))


def increase_in_confidence(original: Any, masked: Any) -> float:
    """Increase in Confidence % = ``100/N · Σ_i 1[O_i > Y_i]`` (higher is better).

    Equality (``O_i = Y_i``, e.g. a map of all ones) is not an increase.

    Args:
        original: ``Y``, shape ``(N,)``.
        masked: ``O``, shape ``(N,)``.

    Returns:
        The percentage, in [0, 100].

    Raises:
        InvalidArgumentError: Shapes differ, or values outside [0, 1] or NaN.

    Example:
        >>> increase_in_confidence([0.8, 0.5, 0.2, 0.4], [0.4, 0.6, 0.1, 0.4])
        25.0

    """
    y, o = _pair(original, masked)
    return float(100.0 * np.mean(o > y))
