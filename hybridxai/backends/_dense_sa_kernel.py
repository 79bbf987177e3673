"""Numba kernels of the dense-QUBO simulated annealer used by the "sa" backend.

Energy convention: ``E(x) = a·x + Σ_{i<j} W_ij x_i x_j`` with ``W`` symmetric, zero diagonal,
``x ∈ {0,1}^d``. Each variable keeps its *local field* ``f_i = a_i + Σ_j W_ij x_j``; flipping
``x_i`` changes the energy by ``(1 − 2 x_i)·f_i`` and costs one row update of the fields when
accepted. Every read is independent and seeded from ``(seed, read index)``, so results do not
depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["anneal_dense", "descend_dense", "local_fields"]


@njit(cache=True, fastmath=False)
def local_fields(weights: np.ndarray, linear: np.ndarray, state: np.ndarray) -> np.ndarray:
    """``f = a + W x`` for one binary state."""
    d = linear.shape[0]
    field = linear.copy()
    for j in range(d):
        if state[j]:
            for i in range(d):
                field[i] += weights[j, i]
    return field


@njit(cache=True)
def _descend(weights: np.ndarray, state: np.ndarray, field: np.ndarray, max_flips: int) -> None:
    """Steepest descent in place: flip the most improving variable until none improves."""
    d = state.shape[0]
    for _ in range(max_flips):
        best = 0
        best_delta = 0.0
        for i in range(d):
            delta = (1 - 2 * state[i]) * field[i]
            if delta < best_delta:
                best_delta = delta
                best = i
        if best_delta >= -1e-12:
            return
        sign = 1.0 - 2.0 * state[best]
        state[best] = 1 - state[best]
        for j in range(d):
            field[j] += sign * weights[best, j]


@njit(cache=True, parallel=True)
def anneal_dense(
    weights: np.ndarray,
    linear: np.ndarray,
    betas: np.ndarray,
    initial: np.ndarray,
    seed: int,
    polish: bool,
) -> np.ndarray:
    """Anneal every row of ``initial`` (``R×d`` int8) through the inverse temperatures ``betas``.

    One sweep per entry of ``betas`` visits the variables in a fresh random order and applies
    the Metropolis rule. With ``polish`` each read ends with steepest descent. Returns the
    final states (``R×d`` int8).
    """
    reads, d = initial.shape
    out = initial.copy()
    for r in prange(reads):
        np.random.seed((seed * 1_000_003 + r * 7919) % 2_147_483_647)
        state = out[r]
        field = local_fields(weights, linear, state)
        order = np.arange(d)
        for s in range(betas.shape[0]):
            beta = betas[s]
            np.random.shuffle(order)
            for k in range(d):
                i = order[k]
                delta = (1 - 2 * state[i]) * field[i]
                if delta <= 0.0 or np.random.random() < np.exp(-beta * delta):
                    sign = 1.0 - 2.0 * state[i]
                    state[i] = 1 - state[i]
                    for j in range(d):
                        field[j] += sign * weights[i, j]
        if polish:
            _descend(weights, state, field, 10 * d + 10)
    return out


@njit(cache=True, parallel=True)
def descend_dense(weights: np.ndarray, linear: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Steepest descent from every row of ``initial``; returns the local minima (``R×d``)."""
    reads, d = initial.shape
    out = initial.copy()
    for r in prange(reads):
        state = out[r]
        field = local_fields(weights, linear, state)
        _descend(weights, state, field, 10 * d + 10)
    return out
