"""Independent dense references for the analysis tests (Kronecker products, numpy eigh)."""

from __future__ import annotations

import functools

import numpy as np
import scipy.linalg
from scipy.optimize import minimize_scalar

from hybridxai.anneal.ising import basis_energies

_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def x_operator(q: int, d: int) -> np.ndarray:
    """X on qubit ``q`` of ``d`` (little-endian: qubit 0 is the last Kronecker factor)."""
    return np.kron(np.kron(np.eye(2 ** (d - 1 - q)), _X), np.eye(2**q))


@functools.lru_cache(maxsize=4)
def _driver_sum(d: int) -> np.ndarray:
    """``Σ X_q`` over ``d`` qubits (read-only: shared between calls)."""
    out = sum(x_operator(q, d) for q in range(d))
    out.setflags(write=False)
    return out


def dense_hamiltonian(bqm, s: float, c: float = 1.0) -> np.ndarray:
    """``(1 - s)·(-c·Σ X_q) + s·diag(E_P)`` built from Kronecker products."""
    energies = basis_energies(bqm)
    d = len(bqm.variables)
    return (1.0 - s) * (-c) * _driver_sum(d) + s * np.diag(energies)


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


def _flip(mask: int, d: int) -> np.ndarray:
    """The product of X over the qubits in ``mask``."""
    out = np.eye(2**d)
    for q in range(d):
        if mask >> q & 1:
            out = out @ x_operator(q, d)
    return out


def sector_bases(masks, d: int) -> list[np.ndarray]:
    """Orthonormal bases (columns) of the joint ±1 eigenspaces of the flips, from their projectors."""
    import itertools

    bases = []
    for signs in itertools.product((1.0, -1.0), repeat=len(masks)):
        projector = np.eye(2**d)
        for mask, sign in zip(masks, signs, strict=True):
            projector = projector @ (0.5 * (np.eye(2**d) + sign * _flip(mask, d)))
        w, v = np.linalg.eigh(projector)
        bases.append(v[:, w > 0.5])
    return bases


def sector_gaps(bqm, bases, s: float, c: float = 1.0) -> list[float]:
    """``Δ(s)``, then each sector's own gap, never below ``Δ``.

    A sector's own gap is its lowest level outside the ground manifold (``g / sectors``
    levels of each sector) minus ``E_0``. Where the lowest ``g`` levels hold ``g / sectors`` of
    every sector, ``Δ`` is the lowest of them; elsewhere one can lie below ``Δ``, and is
    raised to it.
    """
    h = dense_hamiltonian(bqm, s, c)
    g = ground_degeneracy(bqm)
    per = g // len(bases)
    low = scipy.linalg.eigvalsh(h, subset_by_index=[0, g])
    gap = float(low[g] - low[0])
    own = [float(scipy.linalg.eigvalsh(q.T @ h @ q, subset_by_index=[per, per])[0] - low[0]) for q in bases]
    return [gap] + [max(x, gap) for x in own]


def sector_reference_min_gap(bqm, masks, c: float = 1.0, points: int = 201,
                             bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """``min_s Δ(s)`` over ``bounds``: a grid, then bounded Brent around the three lowest grid
    minima of ``Δ`` and of each sector's own gap (:func:`sector_gaps`), which is smooth where
    ``Δ`` has a kink, so that two dips either side of a kink are both found."""
    d = len(bqm.variables)
    bases = sector_bases(masks, d)
    grid = np.linspace(*bounds, points)
    values = np.array([sector_gaps(bqm, bases, s, c) for s in grid])  # (points, 1 + sectors)
    best = (float(values[:, 0].min()), float(grid[int(values[:, 0].argmin())]))
    for a in range(values.shape[1]):
        curve = values[:, a]
        local = [i for i in range(points) if (i == 0 or curve[i] <= curve[i - 1])
                 and (i == points - 1 or curve[i] <= curve[i + 1])]
        for i in sorted(local, key=lambda j: curve[j])[:3]:
            lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, points - 1)]
            res = minimize_scalar(lambda s, a=a: sector_gaps(bqm, bases, s, c)[a], bounds=(lo, hi),
                                  method="bounded", options={"xatol": 1e-10})
            if res.fun < best[0]:
                best = (float(res.fun), float(res.x))
    return best
