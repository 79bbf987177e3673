"""Dense numpy references for the circuit and backend tests (small d only).

Built from the formulas of docs/method.md (Annealing) directly, not from ``trotter_layers``, so the layer
bookkeeping is checked as well. Each factor is a dense matrix exponential: ``scipy.linalg.expm``
(``exponential="expm"``) or, much faster for d = 8, the eigendecomposition of the dense driver
(``exponential="eigh"``, the default; :func:`test_reference_exponentials_agree` ties the two).
"""

from __future__ import annotations

from functools import reduce

import dimod
import numpy as np
from scipy.linalg import expm

from hybridxai.anneal.ising import indices_to_bits

X = np.array([[0.0, 1.0], [1.0, 0.0]])
I2 = np.eye(2)


def dimod_energies(bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """Energies of every basis state (little-endian index) computed by dimod."""
    d = len(bqm.variables)
    bits = indices_to_bits(np.arange(2**d), d).astype(np.int64)
    samples = bits if bqm.vartype is dimod.BINARY else 2 * bits - 1
    if d == 0:
        return np.full(1, bqm.offset, dtype=float)
    return np.asarray(bqm.energies((samples, list(bqm.variables))), dtype=float)


def dense_driver(d: int, scale: float = 1.0) -> np.ndarray:
    """``-scale * sum_i X_i`` with qubit 0 the least significant bit (rightmost kron factor)."""
    total = np.zeros((2**d, 2**d))
    for i in range(d):
        factors = [X if q == i else I2 for q in reversed(range(d))]
        total -= reduce(np.kron, factors, np.eye(1))
    return scale * total


def reference_state(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule=None,
    order: int = 1,
    driver_scale: float = 1.0,
    exponential: str = "eigh",
) -> np.ndarray:
    """The digitized anneal applied to |+>^d with dense matrix exponentials of each factor."""
    d = len(bqm.variables)
    energies = dimod_energies(bqm)  # H_P is diagonal: expm(-i t H_P) = diag(exp(-i t E))
    hd = dense_driver(d, driver_scale)
    if exponential == "expm":
        def driver_exp(t: float) -> np.ndarray:
            return expm(-1j * t * hd)
    else:
        values, vectors = np.linalg.eigh(hd)

        def driver_exp(t: float) -> np.ndarray:
            return (vectors * np.exp(-1j * t * values)) @ vectors.T
    sched = schedule or (lambda u: u)
    dt = total_time / num_steps
    psi = np.full(2**d, 2 ** (-d / 2), dtype=complex)
    for k in range(num_steps):
        s = float(sched((k + 0.5) / num_steps))
        if order == 1:
            psi = driver_exp((1 - s) * dt) @ psi
            psi = np.exp(-1j * s * dt * energies) * psi
        else:
            half = driver_exp(0.5 * (1 - s) * dt)
            psi = half @ (np.exp(-1j * s * dt * energies) * (half @ psi))
    return psi


def mixed_label_bqm(vartype: str = "BINARY", seed: int = 3) -> dimod.BinaryQuadraticModel:
    """A 4-variable BQM with labels of mixed types and a non-zero offset."""
    rng = np.random.default_rng(seed)
    labels = ["a", 7, ("x", 1), (("a",),)]
    linear = {v: float(rng.normal()) for v in labels}
    quadratic = {(labels[i], labels[j]): float(rng.normal())
                 for i in range(4) for j in range(i + 1, 4) if (i + j) % 3}
    return dimod.BinaryQuadraticModel(linear, quadratic, 1.25, vartype)
