"""Final ground-state fidelity of the anneal as a function of the anneal time ``T``.

``F(T) = Σ_{z ∈ argmin H_P} |<z|ψ(T)>|²`` (docs/method.md, Annealing), with ``ψ(0) = |+>^d``
(``fidelity="manifold"``, hybridxai's default), or the probability of the one basis state with
the lowest ``H_P`` entry (``fidelity="lowest-state"``, the authors'; see
:mod:`hybridxai.anneal.settings`).

Two ways to evolve:

* ``method="expm_multiply"`` — piecewise-constant ``H``: one step per grid point ``s_k``
  (:meth:`hybridxai.anneal.settings.AnnealSpec.s_points`), ``ψ ← exp(-i·dt·H(s_k))·ψ`` by
  :func:`scipy.sparse.linalg.expm_multiply` on the sparse ``H(s_k)``. With the default
  conventions the grid is hybridxai's midpoints ``s_k = s((k + ½)/M)``, ``M = ceil(T/0.01)``,
  ``dt = T/M``; with ``conventions="authors"`` it is the authors' ``M = int(T/0.01)`` points
  ``s_k = k/(M − 1)``, each for ``dt = 0.01`` (checc1/FS_QA ``src/finalSimulation.py``). Exact
  for the piecewise-constant Hamiltonian; slow for large ``d``.
* ``method="statevector"`` — the native digitized annealer on the same grid (Trotterized; fast).

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
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import dimod
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import expm_multiply

from hybridxai._util.progress import ProgressLike, check_progress, progress_bar
from hybridxai.anneal.evolution import evolve
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.operators import PROGRESS_MIN_QUBITS, AnnealingOperator, driver_sum_csr
from hybridxai.anneal.schedules import (
    Schedule,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
)
from hybridxai.anneal.settings import AnnealSpec, Conventions, FidelityDefinition, TimeGrid
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, ground_fidelity
from hybridxai.exceptions import ProblemTooLargeError, invalid_argument, invalid_type

__all__ = ["FidelityCurve", "fidelity_curve", "expm_multiply_final_state"]

FidelityMethod = Literal["expm_multiply", "statevector"]
_EXPM_MAX_QUBITS = 20
# expm_multiply's steps are slow: 2.8, 11.6, 58.7 and 332.3 ms each at d = 12, 14, 16, 18 on the
# chelsea QUBOs (docs/benchmarks.md, tenth round), so the paper's five anneal times (26 000
# steps) take over a minute from d = 12 on: its bar is shown from there by default
_EXPM_PROGRESS_MIN_QUBITS = 12


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
        initial_overlap: The fidelity of ``|+>^d`` itself (the ``T → 0`` limit): ``g / 2**d``,
            or ``1 / 2**d`` with ``fidelity="lowest-state"``.
        driver_scale: The driver scale used.
        schedule: The schedule's name.
        seconds: Wall time.
        conventions: The preset the settings started from (``"hybridxai"`` or ``"authors"``).
        info: The settings used (:meth:`hybridxai.anneal.settings.AnnealSpec.to_dict`, without
            the per-``T`` ``total_time``/``num_steps``), for manifests.
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
    conventions: str = "hybridxai"
    info: dict[str, Any] = field(default_factory=dict)

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
               spec: AnnealSpec) -> NDArray[np.int64]:
    if num_steps is None:
        return np.array([replace(spec, total_time=float(t)).steps() for t in times], dtype=np.int64)
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
                              schedule: ScheduleLike = None, *, time_grid: TimeGrid = "midpoint",
                              step_time: float | None = None,
                              on_step: Callable[[int], Any] | None = None) -> NDArray[np.complex128]:
    """``ψ(T)`` with ``H(s_k)`` constant over each of ``num_steps`` steps.

    Args:
        op: The operator (``d`` at most 20: it builds the sparse ``H(s_k)``).
        total_time: ``T``.
        num_steps: ``M``.
        schedule: Anything :func:`~hybridxai.anneal.schedules.as_schedule` accepts.
        time_grid: ``"midpoint"`` (``s_k = s((k + ½)/M)``, hybridxai's) or ``"endpoints"``
            (``s_k = s(k/(M − 1))``, the authors').
        step_time: The time each point is applied for (default ``T/M``).
        on_step: Called with 1 after each step (e.g. a progress bar's ``update``).

    Returns:
        The final state (little-endian basis), complex128.
    """
    sched = as_schedule(schedule)
    spec = AnnealSpec(total_time=float(total_time), num_steps=int(num_steps), schedule=sched,
                      time_grid=time_grid)
    n, d = op.dimension, op.num_qubits
    dt = spec.step_time() if step_time is None else float(step_time)
    # one CSR pattern with the diagonal first in every row; only the values change per step
    x_sum = driver_sum_csr(d)
    indptr = np.arange(0, n * (d + 1) + 1, d + 1, dtype=np.int64)
    indices = np.empty((n, d + 1), dtype=np.int64)
    indices[:, 0] = np.arange(n)
    indices[:, 1:] = x_sum.indices.reshape(n, d)
    indices = indices.ravel()
    data = np.empty((n, d + 1), dtype=np.complex128)
    psi = np.full(n, 1.0 / math.sqrt(n), dtype=np.complex128)
    for s in spec.s_points():
        data[:, 0] = -1j * dt * s * op.diagonal
        data[:, 1:] = 1j * dt * (1.0 - s) * op.driver_coefficient
        step = sp.csr_matrix((data.ravel(), indices, indptr), shape=(n, n))
        psi = expm_multiply(step, psi)
        if on_step is not None:
            on_step(1)
    return psi


def fidelity_curve(
    bqm: dimod.BinaryQuadraticModel,
    total_times: ArrayLike,
    *,
    num_steps: int | Sequence[int] | None = None,
    time_step: float = DEFAULT_TIME_STEP,
    driver_scale: DriverScale | None = None,
    schedule: ScheduleLike = None,
    method: FidelityMethod = "expm_multiply",
    order: int = 1,
    conventions: Conventions = "hybridxai",
    time_grid: TimeGrid | None = None,
    fidelity: FidelityDefinition | None = None,
    progress: ProgressLike = None,
) -> FidelityCurve:
    """Final ground-state fidelity ``F(T)`` for each anneal time ``T``.

    Args:
        bqm: The QUBO (qubit ``i`` = ``i``-th variable).
        total_times: Anneal times ``T`` (> 0), e.g. the paper's ``[10, 30, 50, 70, 100]``.
        num_steps: Steps per anneal: ``None`` (derived from ``time_step``: ``ceil(T/dt)``
            midpoints, or ``int(T/dt)`` points on the authors' grid), one integer, or one per ``T``.
        time_step: ``dt`` when ``num_steps`` is ``None`` (the paper's 0.01).
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` or a positive number (default:
            the preset's).
        schedule: ``"linear"`` (default), ``"local-adiabatic"`` (built from the gap profile of
            ``bqm``), ``("pause", s_p, fraction)``, a callable ``s(u)`` or ``(times, values)``.
        method: ``"expm_multiply"`` (piecewise-constant evolution, ``d <= 20``) or
            ``"statevector"`` (the native Trotterized annealer).
        order: Trotter order of the ``"statevector"`` method (1 or 2); refused with
            ``"expm_multiply"``, whose steps are exact.
        conventions: ``"hybridxai"`` (default) or ``"authors"``: the preset of
            :class:`hybridxai.anneal.settings.AnnealSpec` filling in ``driver_scale``,
            ``time_grid`` and ``fidelity`` where they are not given. ``"authors"`` reproduces
            the paper's code: driver ``(1/d)·ΣX``, ``M = int(T/0.01)`` points ``s_k = k/(M − 1)``
            each for ``dt = 0.01``, fidelity = probability of the lowest-``H_P`` basis state.
        time_grid: ``"midpoint"`` or ``"endpoints"`` (default: the preset's).
        fidelity: ``"manifold"`` or ``"lowest-state"`` (default: the preset's).
        progress: Draw a progress bar that counts the steps of all the anneals (and, first,
            one of the gap profile a gap-aware ``schedule`` needs, unless it is cached):
            ``True``, ``False``, ``None`` (the default: from 12 qubits on with
            ``"expm_multiply"``, whose steps are slow, from
            :data:`~hybridxai.anneal.operators.PROGRESS_MIN_QUBITS` = 20 on with
            ``"statevector"``) or a tqdm-compatible class to draw it with.

    Returns:
        A :class:`FidelityCurve` (its ``conventions`` and ``info`` record the settings).

    Raises:
        InvalidArgumentError: For non-positive times, bad ``num_steps``, ``method``,
            ``driver_scale`` or conventions.
        InvalidTypeError: For a ``progress`` that is neither a bool, ``None`` nor a class.
        ProblemTooLargeError: If the state does not fit in memory, or ``d > 20`` with
            ``"expm_multiply"``.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 2.0}, 0.0, "BINARY")
        >>> curve = fidelity_curve(bqm, [0.05], conventions="authors")
        >>> curve.num_steps.tolist(), curve.info["time_grid"], curve.info["driver_scale"]
        ([5], 'endpoints', '1/d')
    """
    t0 = time.perf_counter()
    times = _check_times(total_times)
    if isinstance(time_step, bool) or not isinstance(time_step, (int, float, np.number)) \
            or not np.isfinite(time_step) or time_step <= 0:
        raise invalid_argument("time_step", time_step, "must be a positive number",
                               "pass time_step=0.01 (the paper's dt)")
    if method not in ("expm_multiply", "statevector"):
        raise invalid_argument("method", method, "unknown evolution method",
                               "pass method='expm_multiply' or method='statevector'")
    checked = check_schedule(schedule)  # validated before any work; built below if gap-aware
    check_progress(progress)
    if method == "expm_multiply" and order != 1:  # its steps are exact exponentials
        raise invalid_argument("order", order, "is the Trotter order of method='statevector'; "
                               "method='expm_multiply' applies each step exactly",
                               "drop order, or pass method='statevector'")
    base = AnnealSpec.from_conventions(conventions, total_time=float(times[0]), time_step=time_step,
                                       driver_scale=driver_scale, time_grid=time_grid,
                                       fidelity=fidelity, order=order)
    steps = _steps_for(times, num_steps, base)
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
        bqm, base.driver_scale, purpose=f"fidelity_curve(method='{method}')",
        bytes_per_amplitude=8 + 16 * 8 + (12 + 16) * (d + 1) if method == "expm_multiply" else 8 + 16 * 4,
    )
    sched = checked if isinstance(checked, Schedule) else checked.build(bqm, base.driver_scale,
                                                                        progress=progress)
    base = replace(base, schedule=sched)
    target = base.final_fidelity(op.diagonal, op.diagonal)[2]
    g = int(ground_fidelity(op.diagonal, op.diagonal)[2].size)
    fidelities = np.empty(times.size)
    if method == "statevector":
        qubo = dense_qubo(bqm)
    runs = []  # every anneal's settings, checked before the first one runs
    for total_time, m in zip(times, steps, strict=True):
        if num_steps is None:
            runs.append(replace(base, total_time=float(total_time)))
        else:
            check_anneal_parameters(float(total_time), int(m), order)
            runs.append(replace(base, total_time=float(total_time), num_steps=int(m)))
    long = d >= (_EXPM_PROGRESS_MIN_QUBITS if method == "expm_multiply" else PROGRESS_MIN_QUBITS)
    bar = progress_bar(progress, total=sum(run.steps() for run in runs), desc="fidelity_curve",
                       unit="step", default=long)
    with closing(bar):
        for i, run in enumerate(runs):
            if method == "expm_multiply":
                state = expm_multiply_final_state(op, run.total_time, run.steps(), sched,
                                                  time_grid=run.time_grid, step_time=run.step_time(),
                                                  on_step=bar.update)
            else:
                state = evolve(qubo, run.trotter_layers(d), diagonal=op.diagonal, on_step=bar.update)
            probabilities = np.abs(np.asarray(state, dtype=np.complex128)) ** 2
            fidelities[i] = run.final_fidelity(probabilities / probabilities.sum(), op.diagonal)[0]
    info = {k: v for k, v in base.to_dict().items() if k not in ("total_time", "num_steps")}
    return FidelityCurve(times, fidelities, steps, method, op.num_qubits, g,
                         target.size / op.dimension, base.driver_scale, sched.name,
                         time.perf_counter() - t0, conventions=base.conventions, info=info)
