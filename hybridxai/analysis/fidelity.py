"""Final ground-state fidelity of the anneal as a function of the anneal time ``T``.

``F(T) = Σ_{z ∈ argmin H_P} |<z|ψ(T)>|²`` (docs/method.md, Annealing), with ``ψ(0) = |+>^d``.

Two ways to evolve:

* ``method="expm_multiply"`` — the paper's: ``M`` steps of ``dt = T/M`` (``M = ceil(T/0.01)``
  by default), ``H(s_k)`` held constant over step ``k`` with ``s_k = s((k + ½)/M)`` and
  ``ψ ← exp(-i·dt·H(s_k))·ψ`` by :func:`scipy.sparse.linalg.expm_multiply` on the sparse
  ``H(s_k)``. Exact for the piecewise-constant Hamiltonian; slow for large ``d``.
* ``method="statevector"`` — the native digitized annealer,
  ``hybridxai.get_sampler("statevector").final_state(...)`` (Trotterized; fast).

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 2.0}, 0.0, "BINARY")
    >>> curve = fidelity_curve(bqm, [1e-6, 50.0])
    >>> round(float(curve.fidelities[0]), 4)   # no time to evolve: |<+|ground>|² = 1/4
    0.25
    >>> bool(curve.fidelities[1] > 0.99)      # slow anneal: adiabatic
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dimod
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import expm_multiply

from hybridxai.anneal.evolution import evolve
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.operators import AnnealingOperator, driver_sum_csr
from hybridxai.anneal.schedules import (
    Schedule,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
    trotter_layers,
)
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, ground_fidelity, resolve_driver_scale
from hybridxai.exceptions import ProblemTooLargeError, invalid_argument, invalid_type

__all__ = ["FidelityCurve", "fidelity_curve", "expm_multiply_final_state"]

FidelityMethod = Literal["expm_multiply", "statevector"]
_EXPM_MAX_QUBITS = 20


@dataclass
class FidelityCurve:
    """Final ground-state fidelity for each anneal time.

    Attributes:
        total_times: The anneal times ``T``.
        fidelities: ``F(T)``.
        num_steps: Number of steps ``M`` used for each ``T``.
        method: ``"expm_multiply"`` or ``"statevector"``.
        num_qubits: ``d``.
        degeneracy: ``g``, size of the ground manifold of ``H_P``.
        initial_overlap: ``g / 2**d``, the fidelity of ``|+>^d`` itself (the ``T → 0`` limit).
        driver_scale: As passed.
        schedule: The schedule's name.
        seconds: Wall time.
    """

    total_times: NDArray[np.float64]
    fidelities: NDArray[np.float64]
    num_steps: NDArray[np.int64]
    method: str
    num_qubits: int
    degeneracy: int
    initial_overlap: float
    driver_scale: DriverScale
    schedule: str
    seconds: float = 0.0

    def plot(self, path: str | Path | None = None, *, ax: Any = None) -> Any:
        """Plot ``F`` against ``T`` (log axis); returns the ``Figure``."""
        from hybridxai.analysis.plots import plot_fidelity

        return plot_fidelity(self, path=path, ax=ax)


def _check_times(total_times: ArrayLike) -> NDArray[np.float64]:
    try:
        times = np.atleast_1d(np.asarray(total_times, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        raise invalid_type("total_times", total_times, "a sequence of positive numbers",
                           "pass e.g. total_times=[10, 30, 50, 70, 100]") from None
    if times.size == 0:
        raise invalid_argument("total_times", total_times, "is empty",
                               "pass e.g. total_times=[10, 30, 50, 70, 100]")
    bad = times[~np.isfinite(times) | (times <= 0)]
    if bad.size:
        raise invalid_argument("total_times", float(bad[0]),
                               "every anneal time must be positive and finite",
                               "pass e.g. total_times=[10, 30, 50, 70, 100] (the paper's)")
    return times


def _steps_for(times: NDArray[np.float64], num_steps: int | Sequence[int] | None,
               time_step: float) -> NDArray[np.int64]:
    if isinstance(time_step, bool) or not isinstance(time_step, (int, float, np.number)) \
            or not np.isfinite(time_step) or time_step <= 0:
        raise invalid_argument("time_step", time_step, "must be a positive number",
                               "pass time_step=0.01 (the paper's dt)")
    if num_steps is None:
        return np.array([max(1, math.ceil(t / time_step - 1e-9)) for t in times], dtype=np.int64)
    steps = np.atleast_1d(np.asarray(num_steps))
    if steps.dtype.kind not in "iu" or np.any(steps < 1):
        raise invalid_argument("num_steps", num_steps, "must be a positive integer (or one per T)",
                               "pass num_steps=None to use ceil(T / 0.01) steps")
    if steps.size == 1:
        steps = np.full(times.size, int(steps[0]))
    if steps.size != times.size:
        raise invalid_argument("num_steps", num_steps,
                               f"has {steps.size} entries for {times.size} anneal times",
                               "pass one integer, one per T, or None")
    return steps.astype(np.int64)


def expm_multiply_final_state(op: AnnealingOperator, total_time: float, num_steps: int,
                              schedule: ScheduleLike = None) -> NDArray[np.complex128]:
    """``ψ(T)`` with ``H(s_k)`` constant over each of ``num_steps`` steps (the paper's method).

    Args:
        op: The operator (``d`` at most 20: it builds the sparse ``H(s_k)``).
        total_time: ``T``.
        num_steps: ``M``.
        schedule: Anything :func:`~hybridxai.anneal.schedules.as_schedule` accepts.

    Returns:
        The final state (little-endian basis), complex128.
    """
    sched = as_schedule(schedule)
    n, d = op.dimension, op.num_qubits
    dt = float(total_time) / num_steps
    # one CSR pattern with the diagonal first in every row; only the values change per step
    x_sum = driver_sum_csr(d)
    indptr = np.arange(0, n * (d + 1) + 1, d + 1, dtype=np.int64)
    indices = np.empty((n, d + 1), dtype=np.int64)
    indices[:, 0] = np.arange(n)
    indices[:, 1:] = x_sum.indices.reshape(n, d)
    indices = indices.ravel()
    data = np.empty((n, d + 1), dtype=np.complex128)
    psi = np.full(n, 1.0 / math.sqrt(n), dtype=np.complex128)
    for s in sched((np.arange(num_steps) + 0.5) / num_steps):
        data[:, 0] = -1j * dt * s * op.diagonal
        data[:, 1:] = 1j * dt * (1.0 - s) * op.driver_coefficient
        step = sp.csr_matrix((data.ravel(), indices, indptr), shape=(n, n))
        psi = expm_multiply(step, psi)
    return psi


def fidelity_curve(
    bqm: dimod.BinaryQuadraticModel,
    total_times: ArrayLike,
    *,
    num_steps: int | Sequence[int] | None = None,
    time_step: float = DEFAULT_TIME_STEP,
    driver_scale: DriverScale = "unit",
    schedule: ScheduleLike = None,
    method: FidelityMethod = "expm_multiply",
    order: int = 1,
) -> FidelityCurve:
    """Final ground-state fidelity ``F(T)`` for each anneal time ``T``.

    Args:
        bqm: The QUBO (qubit ``i`` = ``i``-th variable).
        total_times: Anneal times ``T`` (> 0), e.g. the paper's ``[10, 30, 50, 70, 100]``.
        num_steps: Steps per anneal: ``None`` (``ceil(T/time_step)``), one integer, or one
            per ``T``.
        time_step: ``dt`` when ``num_steps`` is ``None`` (the paper's 0.01).
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` or a positive number.
        schedule: ``"linear"`` (default), ``"local-adiabatic"`` (built from the gap profile of
            ``bqm``), ``("pause", s_p, fraction)``, a callable ``s(u)`` or ``(times, values)``.
        method: ``"expm_multiply"`` (the paper's piecewise-constant evolution, ``d <= 20``)
            or ``"statevector"`` (the native Trotterized annealer).
        order: Trotter order of the ``"statevector"`` method (1 or 2).

    Returns:
        A :class:`FidelityCurve`.

    Raises:
        InvalidArgumentError: For non-positive times, bad ``num_steps``, ``method`` or
            ``driver_scale``.
        ProblemTooLargeError: If the state does not fit in memory, or ``d > 20`` with
            ``"expm_multiply"``.
    """
    t0 = time.perf_counter()
    times = _check_times(total_times)
    steps = _steps_for(times, num_steps, time_step)
    if method not in ("expm_multiply", "statevector"):
        raise invalid_argument("method", method, "unknown evolution method",
                               "pass method='expm_multiply' or method='statevector'")
    checked = check_schedule(schedule)  # validated before any work; built below if gap-aware
    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type("bqm", bqm, "a dimod.BinaryQuadraticModel",
                           "build one with hybridxai.build_qubo(...).bqm or dimod")
    d = len(bqm.variables)
    if method == "expm_multiply" and d > _EXPM_MAX_QUBITS:
        raise invalid_argument(
            "bqm", f"<BQM with {d} variables>",
            f"method='expm_multiply' builds sparse matrices and is limited to {_EXPM_MAX_QUBITS} qubits",
            "pass method='statevector' (the fast native annealer) or a smaller QUBO",
            cls=ProblemTooLargeError,
        )
    op = AnnealingOperator.from_bqm(
        bqm, driver_scale, purpose=f"fidelity_curve(method='{method}')",
        bytes_per_amplitude=8 + 16 * 8 + (12 + 16) * (d + 1) if method == "expm_multiply" else 8 + 16 * 4,
    )
    sched = checked if isinstance(checked, Schedule) else checked.build(bqm, driver_scale)
    ground = ground_fidelity(op.diagonal, op.diagonal)[2]
    fidelities = np.empty(times.size)
    if method == "statevector":
        qubo = dense_qubo(bqm)
        coefficient = resolve_driver_scale(driver_scale, qubo.num_variables)
    for i, (total_time, m) in enumerate(zip(times, steps, strict=True)):
        if method == "expm_multiply":
            state = expm_multiply_final_state(op, float(total_time), int(m), sched)
        else:
            check_anneal_parameters(float(total_time), int(m), order)
            layers = trotter_layers(sched, float(total_time), int(m), order, coefficient)
            state = evolve(qubo, layers, diagonal=op.diagonal)
        probabilities = np.abs(np.asarray(state, dtype=np.complex128)) ** 2
        fidelities[i] = float(probabilities[ground].sum() / probabilities.sum())
    return FidelityCurve(times, fidelities, steps, method, op.num_qubits, int(ground.size),
                         ground.size / op.dimension, driver_scale, sched.name,
                         time.perf_counter() - t0)
