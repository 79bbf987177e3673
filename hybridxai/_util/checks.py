"""Small argument validators shared across the package (uniform wording, see :mod:`hybridxai.exceptions`).

* :func:`check_positive_int` — counts (workers, reads, batch sizes).
* :func:`check_bqm` — a ``dimod.BinaryQuadraticModel`` with finite biases (samplers, exact physics).
"""

from __future__ import annotations

import numbers
from typing import Any

import dimod
import numpy as np

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["check_positive_int", "check_bqm"]


def check_positive_int(name: str, value: object, fix: str, *, minimum: int = 1) -> int:
    """Validate an integer count such as ``workers`` or ``retries``.

    Python and numpy integers are accepted; ``bool``, floats (even ``2.0``) and anything else are
    refused.

    Args:
        name: The argument's name as the user wrote it (``"workers"``).
        value: The value received.
        fix: What to do instead (``"pass e.g. --workers 4"``).
        minimum: The smallest value allowed (default 1; 0 for counts such as retries).

    Returns:
        The value, as an ``int``.

    Raises:
        InvalidArgumentError: Not an integer, or below ``minimum``.

    Example:
        >>> check_positive_int("workers", 4, "pass e.g. workers=2")
        4
        >>> check_positive_int("retries", 0, "pass e.g. retries=2", minimum=0)
        0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        problem = {1: "must be a positive integer", 0: "must be a non-negative integer"}.get(
            minimum, f"must be an integer of at least {minimum}")
        raise invalid_argument(name, value, problem, fix)
    return int(value)


def check_bqm(bqm: Any, name: str = "bqm") -> dimod.BinaryQuadraticModel:
    """Refuse anything but a ``dimod.BinaryQuadraticModel`` with finite biases.

    Args:
        bqm: The value passed by the user.
        name: The argument's name, for the message.

    Returns:
        ``bqm`` unchanged.

    Raises:
        InvalidTypeError: If ``bqm`` is not a ``dimod.BinaryQuadraticModel``.
        InvalidArgumentError: If a linear or quadratic bias, or the offset, is NaN or infinite
            (every energy would be NaN, and a simulated state would lose its norm).

    Example:
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY")
        >>> check_bqm(bqm) is bqm
        True
    """
    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type(name, bqm, "a dimod.BinaryQuadraticModel",
                           "build one with hybridxai.build_qubo(...).bqm or "
                           "dimod.BinaryQuadraticModel(...)")
    linear, (_, _, quadratic), offset = bqm.to_numpy_vectors()
    finite = (np.all(np.isfinite(linear)) and np.all(np.isfinite(quadratic))
              and np.isfinite(offset))
    if not finite:
        raise invalid_argument(name, bqm, "has NaN or infinite biases, so no energy is defined",
                               "check how the QUBO was built (build_qubo refuses non-finite "
                               "feature maps and gradients)")
    return bqm
