"""Small dense random QUBOs and padded row blocks shared by the eigensolver tests."""

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


def nan_padded(values: np.ndarray, pad: int = 16) -> np.ndarray:
    """``values`` as rows ``pad`` entries apart in one buffer, the padding NaN (as a staggered
    workspace lays out rows of 1 MiB and more, with poison in the gaps)."""
    rows, n = values.shape
    buffer = np.full(rows * (n + pad), np.nan, dtype=values.dtype)
    padded = buffer.reshape(rows, n + pad)[:, :n]
    padded[...] = values
    return padded


def float32_product_tolerance(expected: np.ndarray) -> float:
    """Absolute tolerance of a float32 product ``H·v`` against its float64 value ``expected``:
    float32 rounding (about 1e-7) of terms up to the largest entry, with a hundredfold margin."""
    return 1e-5 * (float(np.abs(expected).max()) + 1.0)

