"""Small dense random QUBOs shared by the eigensolver tests."""

from __future__ import annotations

import dimod
import numpy as np


def dense_random_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """All-to-all QUBO: fields in ``[-1, 0]``, couplings in ``[0, 0.5]`` (feature-selection-like)."""
    rng = np.random.default_rng(seed)
    return dimod.BinaryQuadraticModel(
        {i: float(rng.uniform(-1.0, 0.0)) for i in range(d)},
        {(i, j): float(rng.uniform(0.0, 0.5)) for i in range(d) for j in range(i + 1, d)}, 0.0,
        "BINARY")
