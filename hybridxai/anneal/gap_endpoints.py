"""The gap at the two ends of the anneal, ``s = 0`` and ``s = 1``, and its one-sided slopes there.

``H(0) = -c·ΣX`` and ``H(1) = H_P`` (diagonal) have known spectra, so ``Δ(0)`` and ``Δ(1)`` cost
nothing (:func:`hybridxai.anneal.eigensolvers.endpoint_eigenvalues`); their one-sided slopes
follow from first-order (degenerate) perturbation theory, here. :func:`exact_end_points` puts
values and slopes together as two :class:`~hybridxai.anneal.gap_points.GapPoint` for
:func:`hybridxai.analysis.min_gap` and the adaptive
:func:`hybridxai.anneal.gap_profile.compute_gap_profile`.

Example:
    >>> import dimod
    >>> from hybridxai.anneal.operators import AnnealingOperator
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 1.2}, 0.0, "BINARY")
    >>> op = AnnealingOperator.from_bqm(bqm, "unit")
    >>> round(slope_at_one(op), 6), round(slope_at_zero(bqm, op, 1), 6)
    (0.5, -2.3)
"""

from __future__ import annotations

import math

import dimod
import numpy as np

from hybridxai.anneal.eigensolvers import endpoint_eigenvalues
from hybridxai.anneal.gap_points import GapPoint
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.anneal.spec import ground_tolerance

__all__ = ["exact_end_points", "slope_at_one", "slope_at_zero"]

_MAX_MANIFOLD = 2048  # classical levels with more states than this get no slope (NaN)


def slope_at_one(op: AnnealingOperator) -> float:
    """One-sided ``Δ'(1)`` of ``Δ = E_g − E_0`` from first-order degenerate perturbation theory.

    Near ``s = 1`` a classical level ``e`` with manifold ``P`` splits as
    ``E ≈ e + (1 - s)·(λ(P·H_D·P) - e)``; ``P·H_D·P = -c·A`` with ``A`` the single-flip adjacency
    inside the manifold. ``E_0`` is the lowest of the ground manifold and ``E_g`` the lowest of
    the next one, so ``Δ'(1) = (e_1 - e_0) + c·(λ_max(A_1) - λ_max(A_0))``.

    Args:
        op: The operator (its diagonal is ``E_P``; ``g``, the degeneracy of its lowest value,
            is read from it).

    Returns:
        The slope, or NaN when ``H_P`` is constant or a manifold has more than 2048 states.
    """
    energies = op.diagonal
    e_min = float(energies.min())
    atol = ground_tolerance(energies)
    ground = np.flatnonzero(energies <= e_min + atol)
    above = energies[energies > e_min + atol]
    if above.size == 0:
        return math.nan
    e1 = float(above.min())
    first = np.flatnonzero(np.abs(energies - e1) <= atol)
    lam = []
    for manifold in (ground, first):
        if manifold.size > _MAX_MANIFOLD:
            return math.nan
        adjacency = np.zeros((manifold.size, manifold.size))
        position = {int(z): i for i, z in enumerate(manifold)}
        for i, z in enumerate(manifold):
            for q in range(op.num_qubits):
                j = position.get(int(z) ^ (1 << q))
                if j is not None:
                    adjacency[i, j] = 1.0
        lam.append(float(np.linalg.eigvalsh(adjacency)[-1]) if manifold.size > 1 else 0.0)
    return (e1 - e_min) + op.driver_coefficient * (lam[1] - lam[0])


def slope_at_zero(bqm: dimod.BinaryQuadraticModel, op: AnnealingOperator, level: int) -> float:
    """One-sided ``Δ'(0)`` of ``Δ = E_level − E_0`` from first-order perturbation theory in ``s``.

    ``E_0 ≈ -c·d + s·(mean(E_P) + c·d)``; the ``d`` single-flip states of ``H_D`` (energy
    ``-c·(d - 2)``) split by ``<+|Z_p H_P Z_q|+> = mean(E_P)·δ_pq + B_pq/4`` (``B`` the symmetric
    BINARY couplings), so ``Δ'(0) = λ_level(B)/4 - 2c`` for ``level <= d`` (``λ_level`` the
    ``level``-th smallest).

    Args:
        bqm: The QUBO.
        op: Its operator.
        level: Which level above ``E_0`` (``g`` for the manifold gap, 1 for ``E_1 − E_0``).

    Returns:
        The slope, or NaN when ``level > d`` (``E_level`` is not a single-flip state at ``s = 0``).
    """
    d, c = op.num_qubits, op.driver_coefficient
    if level > d:
        return math.nan
    b = dense_qubo(bqm).quadratic
    b = b + b.T
    return float(np.linalg.eigvalsh(b)[level - 1]) / 4.0 - 2.0 * c


def exact_end_points(bqm: dimod.BinaryQuadraticModel, op: AnnealingOperator, level: int,
                     g: int) -> tuple[GapPoint, GapPoint]:
    """The exact gap points at ``s = 0`` and ``s = 1``, slopes from perturbation theory.

    Args:
        bqm: The QUBO (for the couplings behind ``Δ'(0)``).
        op: Its operator.
        level: The gap is ``E_level − E_0`` (``g`` for the manifold gap, 1 for the lowest two).
        g: Ground degeneracy of ``H_P``.

    Returns:
        ``(point at 0, point at 1)``, error 0, matrix element NaN (undefined at degenerate ends);
        a slope is NaN where perturbation theory does not give it
        (:mod:`hybridxai.anneal.gap_endpoints`).
    """
    low0 = endpoint_eigenvalues(op, 0.0, level + 1)
    low1 = endpoint_eigenvalues(op, 1.0, level + 1)
    slope1 = slope_at_one(op) if level == g else math.nan
    # below g, E_level and E_0 are one degenerate level of H_P: the gap is 0, not rounding
    e_level = float(low1[level]) if level == g else float(low1[0])
    return (
        GapPoint(0.0, float(low0[level] - low0[0]), slope_at_zero(bqm, op, level), 0.0, 0.0,
                 float(low0[0]), float(low0[level])),
        GapPoint(1.0, e_level - float(low1[0]), slope1, 0.0, 0.0, float(low1[0]), e_level),
    )
