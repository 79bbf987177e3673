"""Independent dense references for the analysis tests (Kronecker products, numpy eigh)."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.optimize import minimize_scalar

from hybridxai.anneal.ising import basis_energies

_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def x_operator(q: int, d: int) -> np.ndarray:
    """X on qubit ``q`` of ``d`` (little-endian: qubit 0 is the last Kronecker factor)."""
    return np.kron(np.kron(np.eye(2 ** (d - 1 - q)), _X), np.eye(2**q))


def dense_hamiltonian(bqm, s: float, c: float = 1.0) -> np.ndarray:
    """``(1 - s)·(-c·Σ X_q) + s·diag(E_P)`` built from Kronecker products."""
    energies = basis_energies(bqm)
    d = len(bqm.variables)
    driver = -c * sum(x_operator(q, d) for q in range(d))
    return (1.0 - s) * driver + s * np.diag(energies)


def ground_degeneracy(bqm) -> int:
    e = basis_energies(bqm)
    return int(np.sum(e <= e.min() + 1e-9 * max(1.0, e.max() - e.min())))


def reference_gap(bqm, s: float, c: float = 1.0) -> float:
    g = ground_degeneracy(bqm)
    w = scipy.linalg.eigvalsh(dense_hamiltonian(bqm, s, c), subset_by_index=[0, g])
    return float(w[g] - w[0])


def reference_min_gap(bqm, c: float = 1.0, points: int = 201) -> tuple[float, float]:
    """Fine grid scan, then bounded Brent refinement around each of the lowest grid minima."""
    grid = np.linspace(0.0, 1.0, points)
    values = np.array([reference_gap(bqm, s, c) for s in grid])
    best = (float(values.min()), float(grid[int(values.argmin())]))
    local = [i for i in range(points)
             if (i == 0 or values[i] <= values[i - 1]) and (i == points - 1 or values[i] <= values[i + 1])]
    for i in sorted(local, key=lambda j: values[j])[:3]:
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, points - 1)]
        res = minimize_scalar(lambda s: reference_gap(bqm, s, c), bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-10})
        if res.fun < best[0]:
            best = (float(res.fun), float(res.x))
    return best
