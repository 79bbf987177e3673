"""The scale of a QUBO's biases, as an exact power of two (S7: tiny and huge QUBOs).

Solvers with absolute thresholds (a descent step must improve by more than 1e-12, a bias below
1e-12 counts as zero, a tolerance floor of 1) silently misbehave on a QUBO multiplied by 1e-12 or
1e12. Dividing the biases by :func:`bias_scale` first makes those thresholds relative to the
problem, and since the divisor is a power of two the division is exact: every sum, product and
comparison of the solver is the same as on the original model, only scaled (absent overflow), and
a model whose largest bias is already about 1 is left unchanged.

Example:
    >>> import numpy as np
    >>> bias_scale(np.array([3e-12, -1e-12]), np.zeros((2, 2))) == 2.0 ** -38
    True
    >>> bias_scale(np.array([-0.9, 0.2]), np.array([[0.0, 1.2], [1.2, 0.0]]))
    1.0
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bias_scale"]


def bias_scale(linear: np.ndarray, weights: np.ndarray) -> float:
    """The power of two nearest to the largest absolute bias (1 for a model without biases).

    Args:
        linear: Linear biases (any shape).
        weights: Couplings (any shape).

    Returns:
        ``2**round(log2(max |bias|))``, or 1.0 when every bias is 0 or one is not finite.
    """
    largest = max(float(np.abs(linear).max(initial=0.0)), float(np.abs(weights).max(initial=0.0)))
    if not (largest > 0 and math.isfinite(largest)):
        return 1.0
    return math.ldexp(1.0, round(math.log2(largest)))
