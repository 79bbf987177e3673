"""The annealing specification shared by every annealer and every physics analysis.

``H(s) = A(s)·H_D + B(s)·H_P`` with the driver ``H_D = -c·ΣX`` (``c`` from ``driver_scale``), the
time step ``dt`` used when only ``T`` is given, and the ground-state fidelity of a final state.
Samplers (:mod:`hybridxai.backends`) and analyses (:mod:`hybridxai.analysis`) both read these
from here, so that a gap and an anneal always mean the same Hamiltonian.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["DriverScale", "DEFAULT_TIME_STEP", "resolve_driver_scale", "ground_fidelity", "ground_tolerance"]

DriverScale = float | Literal["unit", "1/d"]

_ROUNDING = 1e-12  # relative rounding of float64 basis energies (sums of up to d² terms)

DEFAULT_TIME_STEP = 0.01
"""The paper's ``dt``: when ``num_steps`` is not given, ``num_steps = ceil(total_time / dt)``."""


def resolve_driver_scale(driver_scale: DriverScale, num_qubits: int) -> float:
    """Turn ``"unit"`` / ``"1/d"`` / a positive number into the driver coefficient ``c``."""
    if isinstance(driver_scale, str):
        if driver_scale == "unit":
            return 1.0
        if driver_scale == "1/d":
            return 1.0 / max(num_qubits, 1)
        raise invalid_argument(
            "driver_scale", driver_scale, "must be 'unit', '1/d' or a positive number",
            "pass driver_scale='unit' (H_D = -ΣX) or '1/d' (the authors' code)",
        )
    if isinstance(driver_scale, bool) or not isinstance(driver_scale, (int, float, np.number)):
        raise invalid_type("driver_scale", driver_scale, "'unit', '1/d' or a number",
                           "pass driver_scale='unit'")
    if not np.isfinite(driver_scale) or driver_scale <= 0:
        raise invalid_argument("driver_scale", driver_scale, "must be positive and finite",
                               "pass driver_scale='unit'")
    return float(driver_scale)


def ground_tolerance(energies: NDArray[np.floating], rtol: float = 1e-9) -> float:
    """How far above the lowest entry of a diagonal ``H_P`` an entry still counts as equal to it.

    ``rtol`` times the spread of the energies, so that a QUBO in any units (couplings of order
    1e-9, or 1e6) has the same ground manifold; at least the rounding of float64 energies of
    that size, ``1e-12·max|E|`` (equal energies summed in another order differ by that much).
    Until the fifteenth round it was ``rtol·max(1, spread)``: an absolute 1e-9 for energies
    smaller than 1, which merged 70 distinct states into the ground manifold of a QUBO
    scaled by 1e-8 and called one scaled by 1e-9 constant (docs/benchmarks.md).

    Example:
        >>> energies = np.array([0.0, -1.0, -1.0 + 1e-12, 2.0])
        >>> ground_tolerance(energies)
        3e-09
        >>> ground_tolerance(energies * 1e-8) == 1e-8 * ground_tolerance(energies)
        True
    """
    e_min, e_max = float(energies.min()), float(energies.max())
    return max(rtol * (e_max - e_min), _ROUNDING * max(abs(e_min), abs(e_max)))


def ground_fidelity(
    probabilities: NDArray[np.floating], energies: NDArray[np.floating], rtol: float = 1e-9
) -> tuple[float, float, NDArray[np.int64]]:
    """Probability mass on the ground manifold of a diagonal ``H_P``.

    Args:
        probabilities: ``|ψ|²`` over the basis.
        energies: The diagonal of ``H_P`` (same order).
        rtol: Energies within :func:`ground_tolerance` (``rtol`` times their spread) of the
            minimum count as ground states.

    Returns:
        ``(fidelity, ground_energy, ground_indices)``.

    Example:
        >>> energies = 1e-8 * np.array([0.0, -1.0, -1.0, 2.0])  # any units
        >>> fidelity, ground_energy, ground = ground_fidelity(np.full(4, 0.25), energies)
        >>> fidelity, ground.tolist()
        (0.5, [1, 2])
    """
    e_min = float(energies.min())
    ground = np.flatnonzero(energies <= e_min + ground_tolerance(energies, rtol))
    return float(probabilities[ground].sum()), e_min, ground
