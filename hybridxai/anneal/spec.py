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

__all__ = ["DriverScale", "DEFAULT_TIME_STEP", "resolve_driver_scale", "ground_fidelity"]

DriverScale = float | Literal["unit", "1/d"]

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


def ground_fidelity(
    probabilities: NDArray[np.floating], energies: NDArray[np.floating], rtol: float = 1e-9
) -> tuple[float, float, NDArray[np.int64]]:
    """Probability mass on the ground manifold of a diagonal ``H_P``.

    Args:
        probabilities: ``|ψ|²`` over the basis.
        energies: The diagonal of ``H_P`` (same order).
        rtol: Energies within ``rtol·max(1, spread)`` of the minimum count as ground states.

    Returns:
        ``(fidelity, ground_energy, ground_indices)``.
    """
    e_min = float(energies.min())
    spread = float(energies.max()) - e_min
    ground = np.flatnonzero(energies <= e_min + rtol * max(1.0, spread))
    return float(probabilities[ground].sum()), e_min, ground
