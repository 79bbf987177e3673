"""Input checks shared by the samplers and the exact-physics tools (private)."""

from __future__ import annotations

from typing import Any

import dimod
import numpy as np

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["check_bqm"]


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
