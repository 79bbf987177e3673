"""The lowest ``k`` levels of ``H(s) = (1 - s)·H_D + s·H_P`` along the anneal.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): -0.7}, 0.0, "BINARY")
    >>> result = spectrum(bqm, [0.0, 0.5, 1.0], k=2)
    >>> result.energies.shape
    (3, 2)
    >>> [round(float(e), 6) + 0.0 for e in result.energies[0]]   # H_D = -(X_0 + X_1)
    [-2.0, 0.0]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.checks import check_positive_int, check_seed
from hybridxai.anneal.conventions import PRESETS, Conventions, check_choice
from hybridxai.anneal.eigensolvers import (
    SolverName,
    blas_threads,
    endpoint_eigenvalues,
    lowest_eigenpairs,
)
from hybridxai.anneal.operators import AnnealingOperator, check_s
from hybridxai.anneal.spec import DriverScale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["SpectrumResult", "spectrum", "check_s_values", "SPECTRUM_DENSE_MAX_QUBITS"]

SPECTRUM_DENSE_MAX_QUBITS = 10
"""``spectrum(solver="auto")`` diagonalises ``H(s)`` densely up to this many qubits and uses
ARPACK above: ``k`` levels at every ``s`` of a grid, where dense ``eigh`` gives them all at once
(not measured against ARPACK; :data:`hybridxai.anneal.eigensolvers.DENSE_MAX_QUBITS`, the
threshold of ``min_gap`` and ``gap_profile``, is)."""


@dataclass
class SpectrumResult:
    """Lowest levels of ``H(s)`` at each requested ``s``.

    Attributes:
        s: The ``s`` values, in the order given.
        energies: Shape ``(len(s), k)``, ascending in each row.
        num_qubits: ``d``.
        driver_scale: As passed.
        driver_coefficient: ``c`` in ``H_D = -c·ΣX``.
        solver: ``"dense"``, ``"eigsh"`` or ``"davidson"`` (end points are always exact).
        matvecs: Products ``H(s)·v`` spent.
        seconds: Wall time.
        conventions: The preset the driver scale came from (``"hybridxai"`` or ``"authors"``).
    """

    s: NDArray[np.float64]
    energies: NDArray[np.float64]
    num_qubits: int
    driver_scale: DriverScale
    driver_coefficient: float
    solver: str
    matvecs: int = 0
    seconds: float = 0.0
    conventions: str = "hybridxai"

    @property
    def k(self) -> int:
        """Number of levels per ``s``."""
        return int(self.energies.shape[1])

    @property
    def gaps(self) -> NDArray[np.float64]:
        """``E_j - E_0`` for ``j = 1 … k-1``, shape ``(len(s), k - 1)``."""
        return self.energies[:, 1:] - self.energies[:, :1]

    def plot(self, path: str | Path | None = None, *, ax: Any = None, relative: bool = False) -> Any:
        """Plot the levels along ``s`` (relative to ``E_0`` when ``relative``).

        See :func:`hybridxai.analysis.plots.plot_spectrum`. Returns the ``Figure``.
        """
        from hybridxai.analysis.plots import plot_spectrum

        return plot_spectrum(self, path=path, ax=ax, relative=relative)


def check_s_values(s_values: ArrayLike, name: str = "s_values") -> NDArray[np.float64]:
    """Validate a 1-D sequence of annealing parameters in ``[0, 1]``.

    Raises:
        InvalidTypeError: If it is not numeric.
        InvalidArgumentError: If it is empty or a value lies outside ``[0, 1]``.
    """
    try:
        values = np.asarray(s_values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise invalid_type(name, s_values, "a sequence of numbers in [0, 1]",
                           f"pass e.g. {name}=numpy.linspace(0, 1, 51)") from None
    if values.size == 0:
        raise invalid_argument(name, s_values, "is empty",
                               f"pass at least one value, e.g. {name}=numpy.linspace(0, 1, 51)")
    bad = values[~np.isfinite(values) | (values < 0.0) | (values > 1.0)]
    if bad.size:
        check_s(float(bad[0]), name)
    return values


def spectrum(
    bqm: dimod.BinaryQuadraticModel,
    s_values: ArrayLike,
    k: int = 4,
    *,
    driver_scale: DriverScale | None = None,
    solver: SolverName = "auto",
    tol: float = 1e-10,
    seed: int = 0,
    conventions: Conventions = "hybridxai",
) -> SpectrumResult:
    """Lowest ``k`` eigenvalues of ``H(s)`` at each ``s``.

    Interior points are solved in the given order, each warm-started from the previous
    one: ARPACK gets the previous ground vector as ``v0`` (plus a little noise, so that a
    symmetric start vector cannot hide the levels of other symmetry sectors), the Davidson
    solver the previous block. ``s = 0`` and ``s = 1`` are exact (binomial levels of
    ``H_D``; the sorted diagonal of ``H_P``).

    Args:
        bqm: The QUBO (qubit ``i`` = ``i``-th variable).
        s_values: Annealing parameters in ``[0, 1]``.
        k: Number of levels (``1 <= k <= 2**d``).
        driver_scale: ``"unit"``, ``"1/d"`` or a positive number (default: the preset's).
        solver: ``"auto"`` (dense ``eigh`` up to 10 qubits, ARPACK ``eigsh`` above),
            ``"dense"``, ``"eigsh"`` or ``"davidson"``.
        tol: Eigenvalue accuracy (absolute; ARPACK is given it relative to a bound on
            ``‖H(s)‖``).
        seed: Seed of the symmetry-breaking noise and random start vectors.
        conventions: ``"hybridxai"`` (driver ``"unit"``) or ``"authors"`` (driver ``"1/d"``); the
            only setting of :class:`hybridxai.anneal.settings.AnnealSpec` a spectrum depends on
            (the authors' ``+(1/d)·ΣX`` has the same levels as ``-(1/d)·ΣX``).

    Returns:
        A :class:`SpectrumResult`.

    Raises:
        InvalidArgumentError: For ``s`` outside ``[0, 1]``, ``k < 1`` or ``k > 2**d``, an
            unknown ``solver`` or a bad ``driver_scale``.
        ProblemTooLargeError: If ``2**d`` vectors do not fit in memory.
    """
    t0 = time.perf_counter()
    s_arr = check_s_values(s_values)
    if driver_scale is None:
        driver_scale = PRESETS[check_choice("conventions", conventions)]["driver_scale"]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise invalid_type("k", k, "a positive integer", "pass e.g. k=4")
    check_positive_int("k", k, "pass e.g. k=4")
    seed = check_seed(seed)
    if solver not in ("auto", "dense", "eigsh", "davidson"):
        raise invalid_argument("solver", solver, "unknown eigensolver",
                               "pass solver='auto', 'dense', 'eigsh' or 'davidson'")
    if isinstance(bqm, dimod.BinaryQuadraticModel):  # before the memory check, which k drives
        d = len(bqm.variables)
        if d < 64 and k > 2**d:
            raise invalid_argument("k", k, f"exceeds the {2**d} levels of a {d}-qubit problem",
                                   f"pass k <= {2**d}")
    op = AnnealingOperator.from_bqm(bqm, driver_scale, purpose="spectrum",
                                    bytes_per_amplitude=8 * (4 * int(k) + 24))
    n = op.dimension
    if solver == "auto":
        solver = "dense" if op.num_qubits <= SPECTRUM_DENSE_MAX_QUBITS else "eigsh"
    if solver == "eigsh" and k >= n - 1:
        solver = "dense"  # ARPACK needs k < n - 1
    rng = np.random.default_rng(seed)
    energies = np.empty((s_arr.size, k))
    previous = None
    matvecs = 0
    with blas_threads(1):
        for i, s in enumerate(s_arr):
            s = float(s)
            if s in (0.0, 1.0):
                energies[i] = endpoint_eigenvalues(op, s, k)
                continue
            pairs = lowest_eigenpairs(op, s, k, solver=solver, x0=previous, tol=tol, rng=rng)
            energies[i] = pairs.values
            previous = pairs.vectors
            matvecs += pairs.matvecs
    return SpectrumResult(s_arr, energies, op.num_qubits, driver_scale, op.driver_coefficient,
                          solver, matvecs, time.perf_counter() - t0, conventions=conventions)
