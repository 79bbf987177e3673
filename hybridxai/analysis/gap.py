"""Minimum spectral gap ``Δ_min`` of the annealing Hamiltonian and where it occurs (``s*``).

Definition (docs/method.md, Annealing). With ``g`` the degeneracy of the ground level of ``H_P``, the gap is

``Δ(s) = E_g(s) - E_0(s)``,

the distance from the ground state to the lowest level *outside* the ground manifold. For
``g = 1`` this is the usual ``E_1 - E_0``. For ``g > 1`` the lowest ``g`` levels of ``H(s)`` are
split for ``s < 1`` and all flow into the ground manifold at ``s = 1`` (so population in any
of them still ends up in a ground state), which is why ``E_1 - E_0`` would wrongly go to 0 at
``s = 1``; ``E_g - E_0`` is the gap that controls the fidelity. For ``s < 1`` the ground state
itself is never degenerate (``H(s)`` is stoquastic and irreducible), but higher levels may
cross: ``Δ(s)`` can have kinks (at a crossing of ``E_{g-1}`` and ``E_g`` it has a V-shaped
minimum; at a crossing of ``E_g`` and ``E_{g+1}`` a Λ-shaped maximum). ``Δ_min = min over
s ∈ [0, 1]`` of ``Δ(s)``.

Algorithm (``dense=False``):

1. The end points are exact and free: ``H(0) = -c·ΣX`` and ``H(1) = H_P`` (diagonal), with
   one-sided slopes ``Δ'(0)`` and ``Δ'(1)`` from (degenerate) first-order perturbation theory.
2. A coarse grid (default 17 points) is swept from ``s = 1`` down to 0 by continuation: each
   point is warm-started from the eigenvectors of the previous one (the first from the lowest
   classical states). Points whose gap is far above the best gap found so far are solved only
   to the accuracy that matters (1 % of their distance to it).
3. Candidate brackets: grid points lower than both neighbours, and grid intervals across which
   the Hellmann–Feynman slope ``Δ'(s) = <g|H_P - H_D|g> - <0|H_P - H_D|0>`` changes sign
   (this also catches a narrow dip between two grid points).
4. Each bracket is refined by Brent's method (parabolic interpolation with golden-section
   safeguard, which also copes with kinks), to an ``s`` resolution that bounds the error of
   ``Δ_min`` by ``tol``; every evaluation is warm-started from the polynomial through the
   evaluated points around it (the nearest alone where none lies on one side).
5. When ``H_P`` has the global spin-flip symmetry, exactly (SPIN couplings only, so ``g > 1``)
   or nearly (typical fields weaker than typical couplings:
   :func:`hybridxai.anneal.ising.flip_asymmetry` below 1;
   :func:`hybridxai.anneal.ising.nearly_symmetric`), levels of its two sectors
   cross or nearly cross, and ``Δ`` can fall into a dip, rise to a kink and fall again
   between two points whose slopes have the same sign, which neither a lower value nor a
   slope sign change shows. Without the check, 3 of 240 such minima were missed by 6–19 %
   (couplings only, d = 7–10) and 7 of 160 by up to 7.7e-4 (fields 1e-3 and 1e-2 of the
   couplings' scale, d = 8–9); none of 240 with stronger fields (docs/benchmarks.md, twelfth
   round). A shape check then bisects every interval whose straight line is rough (Hermite
   error estimate above 3 % of its smaller gap) and could reach below the best gap (its
   smaller gap minus twice that estimate), and refines a dip found as in 4.
   ``info["shape_check"]`` says whether it ran. The feature-selection QUBOs are far from
   symmetric, and on the real d = 20–24 ones the check would cost 35 % more products.
6. When spin flips leave ``H_P`` exactly unchanged and their sectors are solved apart
   (:mod:`hybridxai.anneal.sectors`), ``Δ`` is, wherever the lowest ``g`` levels hold
   ``g / sectors`` of each sector, the lowest of the sectors' own gaps, each smooth where
   ``Δ`` has a kink, so ``Δ_min`` is the lowest of their minima: each is refined as in 4
   around its lowest point (``GapTracker.branches``). Two dips on either side of a
   kink, closer than the shape check resolves, then both count (``flip_symmetric_qubo(10,
   37)``: the lower one, 2.4e-6 below the one steps 1–5 found; docs/benchmarks.md,
   fourteenth round).

``dense=True`` instead evaluates ``Δ`` at every point of the digitized anneal's time grid and
reports the smallest of those values (no refinement). With the default conventions that grid is
hybridxai's own choice, the midpoints ``s_k = s((k + ½)/M)``, ``M = ceil(T/dt)`` (the midpoint rule
for the time-ordered product, the points the samplers use).

``conventions="authors"`` reproduces the paper's code (checc1/FS_QA ``src/finalSimulation.py``):
``dense`` defaults to ``True`` on their grid, ``M = int(T/0.01)`` points ``s_k = k/(M − 1)``
(``numpy.linspace``, both end points), the driver ``(1/d)·ΣX``, and ``gap="lowest-two"``:
``Δ(s) = E_1(s) − E_0(s)``, the two lowest eigenvalues whether or not ``H_P`` is degenerate (for a
degenerate ``H_P`` it goes to 0 at ``s = 1``). Every choice stays individually settable (see
:class:`hybridxai.anneal.settings.AnnealSpec`); the result's ``info`` records them.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 1.2}, 0.0, "BINARY")
    >>> result = min_gap(bqm)
    >>> 0 < result.s_min <= 1 and result.min_gap > 0
    True
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.checks import check_seed
from hybridxai._util.memory import available_memory_bytes, check_memory_budget
from hybridxai._util.progress import ProgressLike, check_progress, progress_bar
from hybridxai._util.stack import caller_stacklevel
from hybridxai.anneal.eigensolvers import (
    DENSE_MAX_QUBITS,
    SolverName,
    blas_threads,
    endpoint_eigenvalues,
    lowest_eigenpairs,
)
from hybridxai.anneal.gap_endpoints import exact_end_points
from hybridxai.anneal.gap_points import GapPoint, interval_error, s_values, tangent_lower_bound
from hybridxai.anneal.gap_profile import (
    GapTracker,
    floored_tol,
    ground_degeneracy,
    tracker_vectors,
    warn_symmetry_sectors,
)
from hybridxai.anneal.ising import flip_symmetries, nearly_symmetric
from hybridxai.anneal.operators import PROGRESS_MIN_QUBITS, AnnealingOperator, check_s
from hybridxai.anneal.schedules import ScheduleLike, as_schedule
from hybridxai.anneal.settings import AnnealSpec, Conventions, GapDefinition, TimeGrid
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["MinGapResult", "min_gap", "gap_at", "ground_degeneracy", "per_step_points"]

_COARSE_POINTS = 17
_ACCURACY_FRACTION = 0.01
_FAR_REGION_STEPS = 10
_COARSE_ACCURACY = 1e-4
# the shape check (step 5 above; docs/benchmarks.md, twelfth round): an interval is smooth
# enough when its line's estimated error is within 3 % of its smaller gap, and could hold a dip
# below the best gap when its smaller gap minus twice that error is below it
_SHAPE_RTOL = 0.03
_SHAPE_REACH = 2.0
_SHAPE_MAX_POINTS = 64  # the most bisection points the shape check adds (its refinements add more)


@dataclass
class MinGapResult:
    """The minimum gap of one problem and every point evaluated to find it.

    Attributes:
        min_gap: ``Δ_min``, the smallest gap found: a gap value actually evaluated, so an
            upper bound on the true minimum up to that value's own error (``errors`` at
            ``s_min``; an iterative solver's gap may lie that much below the exact one), and
            within ``tol`` of the true minimum for ``dense=False``.
        s_min: ``s*``, where it occurs.
        s: Evaluated ``s`` values, ascending.
        gaps: ``Δ(s)`` at those points.
        slopes: ``dΔ/ds`` at those points (Hellmann–Feynman; one-sided at 0 and 1;
            NaN where unknown).
        errors: Estimated absolute error of each gap value.
        ground_energies: ``E_0(s)``.
        excited_energies: ``E_g(s)`` (``E_1(s)`` with ``gap="lowest-two"``).
        degeneracy: ``g``, the degeneracy of the ground level of ``H_P``.
        num_qubits: ``d``.
        driver_scale: As passed (``"unit"``, ``"1/d"`` or a number).
        driver_coefficient: ``c`` in ``H_D = -c·ΣX``.
        method: ``"adaptive"`` or ``"per-step"`` (``dense=True``).
        solver: The eigensolver used.
        tol: Requested accuracy of ``Δ_min``.
        brackets: The ``(a, b)`` intervals that were refined.
        matvecs: Products ``H(s)·v`` spent (0 for the dense solver).
        seconds: Wall time.
        conventions: The preset the settings started from (``"hybridxai"`` or ``"authors"``).
        info: The settings used: ``conventions``, ``gap``, ``time_grid``, ``driver_scale`` and,
            for ``method="per-step"``, ``total_time``, ``time_step`` and ``num_points``;
            ``shape_check``, whether the search looked for dips between points (step 5 of the
            module docstring: near the global spin-flip symmetry); ``memory_bytes``.
    """

    min_gap: float
    s_min: float
    s: NDArray[np.float64]
    gaps: NDArray[np.float64]
    slopes: NDArray[np.float64]
    errors: NDArray[np.float64]
    ground_energies: NDArray[np.float64]
    excited_energies: NDArray[np.float64]
    degeneracy: int
    num_qubits: int
    driver_scale: DriverScale
    driver_coefficient: float
    method: str
    solver: str
    tol: float
    brackets: list[tuple[float, float]] = field(default_factory=list)
    matvecs: int = 0
    seconds: float = 0.0
    conventions: str = "hybridxai"
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def num_evaluations(self) -> int:
        """Number of ``s`` points evaluated (end points included)."""
        return int(self.s.size)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (no arrays)."""
        return {
            "min_gap": self.min_gap, "s_min": self.s_min, "degeneracy": self.degeneracy,
            "num_qubits": self.num_qubits, "driver_scale": self.driver_scale,
            "driver_coefficient": self.driver_coefficient, "method": self.method,
            "solver": self.solver, "tol": self.tol, "num_evaluations": self.num_evaluations,
            "matvecs": self.matvecs, "seconds": self.seconds, "conventions": self.conventions,
            "settings": dict(self.info),
        }

    def plot(self, path: str | Path | None = None, *, ax: Any = None) -> Any:
        """Plot ``Δ(s)`` at the evaluated points with ``s*`` marked.

        Args:
            path: Write the figure there when given (PNG, or the format the suffix names).
            ax: Draw into this matplotlib ``Axes`` instead of a new figure.

        Returns:
            The matplotlib ``Figure``.
        """
        from hybridxai.analysis.plots import plot_gap

        return plot_gap(self, path=path, ax=ax)


def per_step_points(total_time: float, time_step: float = DEFAULT_TIME_STEP,
                    schedule: ScheduleLike = None, *,
                    time_grid: TimeGrid = "midpoint") -> NDArray[np.float64]:
    """The grid points of the digitized anneal.

    ``time_grid="midpoint"`` (hybridxai's): ``s_k = s((k + ½)/M)``, ``M = ceil(T/dt)``;
    ``"endpoints"`` (the authors' code): ``M = int(T/dt)`` points ``s_k = s(k/(M − 1))``.

    Args:
        total_time: ``T`` (> 0).
        time_step: ``dt`` (> 0), the paper's 0.01 by default.
        schedule: Anything :func:`hybridxai.anneal.schedules.as_schedule` accepts.
        time_grid: ``"midpoint"`` or ``"endpoints"``.

    Returns:
        ``M`` values in ``[0, 1]``.

    Example:
        >>> per_step_points(0.04).tolist()
        [0.125, 0.375, 0.625, 0.875]
        >>> per_step_points(0.05, time_grid="endpoints").tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    for name, value in (("total_time", total_time), ("time_step", time_step)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise invalid_type(name, value, "a positive number", f"pass e.g. {name}=10")
        if not np.isfinite(value) or value <= 0:
            raise invalid_argument(name, value, "must be positive and finite",
                                   "pass e.g. total_time=10 and time_step=0.01 (the paper's)")
    spec = AnnealSpec(total_time=float(total_time), time_step=float(time_step),
                      schedule=as_schedule(schedule), time_grid=time_grid)
    return spec.s_points()


def _brent(f: Callable[[float], float], a: float, x: float, b: float, fx: float,
           xatol: float, maxiter: int = 100,
           stop: Callable[[float, float, float], bool] | None = None) -> tuple[float, float]:
    """Brent's minimisation from a bracket ``a < x < b`` with ``f(x) <= f(a), f(b)``.

    Stops when the bracket is narrower than about ``xatol`` or when ``stop(a, x, b)`` says
    the minimum is known well enough.
    """
    golden = 0.3819660112501051
    v = w = x
    fv = fw = fx
    d = e = 0.0
    for _ in range(maxiter):
        xm = 0.5 * (a + b)
        tol1 = xatol + 1e-12 * abs(x)
        tol2 = 2.0 * tol1
        if abs(x - xm) <= tol2 - 0.5 * (b - a) or (stop is not None and stop(a, x, b)):
            break
        parabolic = False
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            etemp, e = e, d
            if abs(p) < abs(0.5 * q * etemp) and q * (a - x) < p < q * (b - x):
                d = p / q
                u = x + d
                if u - a < tol2 or b - u < tol2:
                    d = tol1 if xm >= x else -tol1
                parabolic = True
        if not parabolic:
            e = (a - x) if x >= xm else (b - x)
            d = golden * e
        u = x + d if abs(d) >= tol1 else x + (tol1 if d >= 0 else -tol1)
        fu = f(u)
        if fu <= fx:
            if u >= x:
                a = x
            else:
                b = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, w, fv, fw = w, u, fw, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x, fx


def _find_interior(evaluate: Callable[[float], GapPoint], lo: GapPoint, hi: GapPoint,
                   xatol: float, maxiter: int = 60) -> tuple[GapPoint, GapPoint, GapPoint] | GapPoint:
    """Shrink ``[lo, hi]`` (``Δ'(lo) < 0 < Δ'(hi)``) until an interior point is lower than both.

    Uses the secant root of the slope (exact for a parabola), safeguarded towards bisection.
    A midpoint that is not lower than both ends keeps the side next to an end whose slope
    points into the interval (a value below that end lies between them): an end minimum
    ``Δ(1)`` with ``Δ'(1) > 0`` next to a higher local minimum used to lose the lower one
    (5.8e-7 above at ``tol=1e-8``; docs/benchmarks.md, twelfth round).
    Returns a Brent triple, or the lower end point if the interval collapses first.
    """
    for _ in range(maxiter):
        width = hi.s - lo.s
        if width <= 2 * xatol:
            break
        x = 0.5 * (lo.s + hi.s)
        if np.isfinite(lo.slope) and np.isfinite(hi.slope) and hi.slope > lo.slope:
            x = lo.s - lo.slope * width / (hi.slope - lo.slope)
        x = min(max(x, lo.s + 0.05 * width), hi.s - 0.05 * width)
        mid = evaluate(x)
        if mid.gap < min(lo.gap, hi.gap):
            return lo, mid, hi
        # an end whose slope points down into the interval certifies a value below its own
        # between it and a midpoint that is not lower: keep that side (the lower end's first),
        # whatever the midpoint's slope says (it may sit on another, higher local minimum)
        right = _sign(hi) > 0 and mid.gap >= hi.gap
        left = _sign(lo) < 0 and mid.gap >= lo.gap
        if right and (not left or hi.gap <= lo.gap):
            lo = mid
        elif left:
            hi = mid
        elif mid.slope < 0 or (not np.isfinite(mid.slope) and lo.gap > hi.gap):
            lo = mid
        else:
            hi = mid
    return lo if lo.gap <= hi.gap else hi


def _check_options(tol: float, s_grid: ArrayLike | int | None) -> NDArray[np.float64]:
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)):
        raise invalid_type("tol", tol, "a positive number", "pass e.g. tol=1e-6")
    if not np.isfinite(tol) or tol <= 0 or tol > 0.1:
        raise invalid_argument("tol", tol, "must lie in (0, 0.1]", "pass e.g. tol=1e-6")
    if s_grid is None:
        return np.linspace(0.0, 1.0, _COARSE_POINTS)
    if isinstance(s_grid, np.ndarray) and s_grid.ndim == 0:  # one number in an array
        s_grid = s_grid.item()
    if isinstance(s_grid, (int, np.integer)) and not isinstance(s_grid, bool):
        if s_grid < 3:
            raise invalid_argument("s_grid", s_grid, "needs at least 3 points",
                                   f"pass e.g. s_grid={_COARSE_POINTS}")
        return np.linspace(0.0, 1.0, int(s_grid))
    example = f"s_grid={_COARSE_POINTS} (a number of points) or values in [0, 1], e.g. [0.25, 0.5, 0.75]"
    if isinstance(s_grid, (float, np.floating)) and not 0.0 <= s_grid <= 1.0:
        raise invalid_argument("s_grid", s_grid, "a number of points must be an int, and a "
                               "single value must lie in [0, 1]", f"pass {example}")
    grid = s_values(s_grid, "s_grid", example)
    if grid.size == 0:
        raise invalid_argument("s_grid", s_grid, "is empty",
                               f"pass an int (number of points) or values in [0, 1], e.g. {_COARSE_POINTS}")
    for value in grid:
        check_s(float(value), "s_grid")
    return np.unique(np.concatenate([[0.0, 1.0], grid]))


def min_gap(
    bqm: dimod.BinaryQuadraticModel,
    *,
    driver_scale: DriverScale | None = None,
    dense: bool | None = None,
    s_grid: ArrayLike | int | None = None,
    tol: float = 1e-6,
    solver: SolverName = "auto",
    dense_total_time: float = 10.0,
    dense_time_step: float = DEFAULT_TIME_STEP,
    schedule: ScheduleLike = None,
    guard: int = 1,
    max_memory_bytes: int | None = None,
    seed: int = 0,
    conventions: Conventions = "hybridxai",
    total_time: float | None = None,
    time_grid: TimeGrid | None = None,
    gap: GapDefinition | None = None,
    progress: ProgressLike = None,
) -> MinGapResult:
    """Minimum gap ``Δ_min = min_s (E_g(s) - E_0(s))`` and its location ``s*``.

    Args:
        bqm: The QUBO (BINARY or SPIN; qubit ``i`` = ``i``-th variable).
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (the authors' code) or a number
            (default: the preset's).
        dense: ``False``: adaptive search (coarse grid + Brent refinement, accurate to
            ``tol``). ``True``: evaluate at every point of the anneal's time grid. Default:
            ``False``, or ``True`` with ``conventions="authors"``.
        s_grid: Coarse grid: number of points (default 17) or explicit values in ``[0, 1]``
            (0 and 1 are always added). Ignored when ``dense=True``.
        tol: Target accuracy of ``Δ_min`` (absolute).
        solver: ``"auto"`` (dense ``eigh`` up to 7 qubits, block Davidson above),
            ``"dense"``, ``"davidson"`` or ``"eigsh"`` (ARPACK Lanczos). When spin flips leave
            ``H_P`` unchanged (SPIN couplings only, a free variable;
            :func:`hybridxai.anneal.ising.flip_symmetries`), levels of their symmetry sectors
            cross, and one Davidson search space could miss a level of a sector its converged
            vectors no longer expand (``Δ_min`` 2.6e-6 too high for
            ``flip_symmetric_qubo(8, 8)``): every solver solves the sectors apart
            (:mod:`hybridxai.anneal.sectors`, up to three such symmetries; Davidson about
            1.8× the products, dense ``eigh`` smaller blocks; docs/benchmarks.md,
            thirteenth and fourteenth rounds), and each sector's own gap
            is searched too (step 6 of the module docstring). A ``RuntimeWarning`` says when
            more ground states than those sectors explain leave a symmetry unsplit;
            ``"dense"`` is exact.
        dense_total_time: ``T`` of the time grid (``dense=True``).
        dense_time_step: ``dt`` of the time grid (``dense=True``).
        schedule: Schedule of the time grid (``dense=True``).
        guard: Extra eigenvectors tracked beyond the ``g + 1`` needed (Davidson).
        max_memory_bytes: Memory budget (default: 80 % of the available memory).
        seed: Seed of the random fill vectors.
        conventions: ``"hybridxai"`` (default) or ``"authors"``: the preset of
            :class:`hybridxai.anneal.settings.AnnealSpec` filling in ``driver_scale``,
            ``time_grid``, ``gap`` (and ``dense``) where they are not given.
            ``min_gap(bqm, conventions="authors", total_time=T)`` is the authors' Δ_min: the
            minimum of ``E_1 − E_0`` over their grid for ``T``.
        total_time: ``T`` of the time grid; overrides ``dense_total_time``. Refused without
            ``dense=True`` (or ``conventions="authors"``), where it would be ignored.
        time_grid: ``"midpoint"`` or ``"endpoints"`` (default: the preset's).
        gap: ``"manifold"`` (``E_g − E_0``, ``g`` the ground degeneracy of ``H_P``) or
            ``"lowest-two"`` (``E_1 − E_0``) (default: the preset's).
        progress: Draw a progress bar that counts the points ``s`` solved, with the last
            one's ``s``, gap and the products ``H(s)·v`` so far: ``True``, ``False``, ``None``
            (the default: from :data:`~hybridxai.anneal.operators.PROGRESS_MIN_QUBITS` = 20
            qubits on, where the search takes seconds to minutes) or a tqdm-compatible
            class to draw it with.

    Returns:
        A :class:`MinGapResult` (``conventions`` and ``info`` record the settings;
        ``info["memory_bytes"]`` is the Davidson solver's planned peak, checked against the
        budget before any allocation, ``None`` for the dense solver).

    Raises:
        InvalidArgumentError: For a bad ``tol``, ``s_grid``, ``driver_scale`` or ``solver``,
            or when ``H_P`` is constant (every state is a ground state: no gap).
        InvalidTypeError: For a ``progress`` that is neither a bool, ``None`` nor a class.
        ProblemTooLargeError: When the vectors for ``2**d`` amplitudes do not fit in memory.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0, 2: 0.4}, {(0, 1): 0.5}, 0, "BINARY")
        >>> r = min_gap(bqm, tol=1e-8)
        >>> round(r.min_gap, 4), round(r.s_min, 3)
        (0.3922, 0.962)
    """
    t_start = time.perf_counter()
    if solver not in ("auto", "dense", "davidson", "eigsh"):
        raise invalid_argument("solver", solver, "unknown eigensolver",
                               "pass solver='auto', 'dense', 'davidson' or 'eigsh'")
    check_progress(progress)
    max_memory_bytes = check_memory_budget(max_memory_bytes)
    seed = check_seed(seed)
    if dense is not None and not isinstance(dense, (bool, np.bool_)):
        raise invalid_type("dense", dense, "True, False or None",
                           "pass dense=False (adaptive search) or dense=True (every time step)")
    if isinstance(guard, bool) or not isinstance(guard, (int, np.integer)) or guard < 0:
        raise invalid_argument("guard", guard, "must be an integer >= 0", "pass guard=1")
    grid = _check_options(tol, s_grid)
    spec = AnnealSpec.from_conventions(
        conventions, total_time=dense_total_time if total_time is None else total_time,
        time_step=dense_time_step, schedule=schedule, driver_scale=driver_scale, time_grid=time_grid,
        gap=gap)
    if dense is None:
        dense = conventions == "authors"
    if not dense and total_time is not None:
        raise invalid_argument(
            "total_time", total_time, "only the per-step search (dense=True) uses an anneal "
            "time; the adaptive search would ignore it", "pass dense=True as well, or leave "
            "total_time out (the adaptive search covers all of [0, 1])")
    points_per_step = per_step_points(spec.total_time, spec.time_step, schedule,
                                      time_grid=spec.time_grid) if dense else None
    driver_scale = spec.driver_scale

    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type("bqm", bqm, "a dimod.BinaryQuadraticModel",
                           "build one with hybridxai.build_qubo(...).bqm or dimod")
    d = len(bqm.variables)
    if solver == "auto":
        solver = "dense" if 0 < d <= DENSE_MAX_QUBITS else "davidson"
    block = 2 + guard  # for the memory check; refined below once g is known
    budget = int(0.8 * available_memory_bytes()) if max_memory_bytes is None else int(max_memory_bytes)
    minimum_subspace = 2 * block + 1
    op = AnnealingOperator.from_bqm(
        bqm, driver_scale, bytes_per_amplitude=8 * tracker_vectors(block, minimum_subspace, levels=2),
        max_memory_bytes=max_memory_bytes, purpose="min_gap",
    )
    n = op.dimension
    g = ground_degeneracy(op.diagonal)
    if g >= n:
        raise invalid_argument(
            "bqm", bqm, "H_P is constant: every state is a ground state, so there is no gap",
            "pass a QUBO with at least two distinct energies",
        )
    level = g if spec.gap == "manifold" else 1  # Δ = E_level − E_0
    tol = floored_tol(op, float(tol), "min_gap")
    evaluator = GapTracker.within_budget(op, level, solver, guard, budget, np.random.default_rng(seed),
                                         symmetries=flip_symmetries(bqm))
    warn_symmetry_sectors(g, solver, "min_gap", evaluator.sectors, len(evaluator.symmetries))

    # exact end points
    exact0, exact1 = exact_end_points(bqm, op, level, g)
    evaluator.add_exact(exact0)
    evaluator.add_exact(exact1)
    tight = tol / 2.0  # error of each refined gap value (each eigenvalue: tol / 4)
    brackets: list[tuple[float, float]] = []
    # per step, the points are known (those strictly inside (0, 1): the ends are exact)
    inside = np.unique(np.asarray(points_per_step, dtype=np.float64)) if dense else None
    evaluator.progress = progress_bar(
        progress, total=None if inside is None else int(((inside > 0.0) & (inside < 1.0)).sum()),
        desc="min_gap", unit="point", default=d >= PROGRESS_MIN_QUBITS)

    shape_check = False
    with closing(evaluator.progress), blas_threads(1):
        if dense:
            sweep = np.sort(np.asarray(points_per_step, dtype=np.float64))[::-1]
            _sweep(evaluator, sweep, tight)
            while True:  # make every point that may be the lowest accurate to tol
                evaluated = [evaluator.points[float(s)] for s in sweep]
                best = min(evaluated, key=lambda p: (p.gap + p.error, -p.s))
                vague = [p for p in evaluated if p.error > tight
                         and p.gap - p.error <= best.gap + best.error]
                if not vague:
                    break
                for p in vague:
                    evaluator(p.s, tight)
            best = min(evaluated, key=lambda p: (p.gap, -p.s))
            method = "per-step"
            for key in (0.0, 1.0):  # the per-step result is over the steps only
                if key not in set(sweep.tolist()):
                    evaluator.points.pop(key, None)
        else:
            interior = grid[(grid > 0.0) & (grid < 1.0)][::-1]
            _sweep(evaluator, interior, tight)
            brackets = _refine(evaluator, grid, tol, tight)
            brackets += _refine_branches(evaluator, tol, tight)
            shape_check = level == g and nearly_symmetric(bqm, g)
            if shape_check:  # a symmetry, exact or nearly: its sectors' levels (nearly) cross
                brackets += _hidden_dips(evaluator, tol, tight)
            best = evaluator.best()
            method = "adaptive"

    ordered = sorted(evaluator.points.values(), key=lambda p: p.s)
    info: dict[str, Any] = {"memory_bytes": evaluator.planned_bytes, "shape_check": shape_check,
                            "conventions": spec.conventions, "gap": spec.gap,
                            "driver_scale": spec.driver_scale, "time_grid": spec.time_grid}
    if dense:
        info.update(total_time=float(spec.total_time), time_step=float(spec.time_step),
                    num_points=int(len(points_per_step)))
    return MinGapResult(
        min_gap=float(best.gap), s_min=float(best.s),
        s=np.array([p.s for p in ordered]), gaps=np.array([p.gap for p in ordered]),
        slopes=np.array([p.slope for p in ordered]), errors=np.array([p.error for p in ordered]),
        ground_energies=np.array([p.e0 for p in ordered]),
        excited_energies=np.array([p.eg for p in ordered]),
        degeneracy=g, num_qubits=d, driver_scale=driver_scale,
        driver_coefficient=op.driver_coefficient, method=method, solver=solver, tol=float(tol),
        brackets=brackets, matvecs=evaluator.matvecs, seconds=time.perf_counter() - t_start,
        conventions=spec.conventions, info=info,
    )


def _loose_accuracy(tight: float, gap: float, best: float) -> float:
    """The accuracy a point needs whose gap is ``gap`` (or is expected to be) when the best is ``best``.

    1 % of its distance to the best (:data:`_ACCURACY_FRACTION`), between
    :data:`_COARSE_ACCURACY` and 0.05, and never finer than needed (``tight``): a point far
    above the best cannot be the minimum, and one close to it must be accurate.
    """
    return max(tight, min(0.05, max(_COARSE_ACCURACY, _ACCURACY_FRACTION * (gap - best))))


def _sweep(evaluator: GapTracker, s_values: NDArray[np.float64], tight: float) -> None:
    """Continuation over ``s_values`` (in the given order) with accuracy-on-demand."""
    previous = evaluator.points[1.0]
    for s in s_values:
        s = float(s)
        # predicted gap: the tangent at the previous point (exact Hellmann–Feynman slope at
        # s = 1); a prediction that is too high only costs the tightening below
        estimate = previous.gap
        if np.isfinite(previous.slope):
            estimate = max(estimate, previous.gap + previous.slope * (s - previous.s))
        best = evaluator.best().gap
        loose = _loose_accuracy(tight, estimate, best)
        point = evaluator(s, loose)
        needed = _loose_accuracy(tight, point.gap, evaluator.best().gap)
        if point.error > needed:  # it came out closer to the best than predicted: tighten
            point = evaluator(s, needed)
        previous = point


def _refine(evaluator: GapTracker, grid: NDArray[np.float64], tol: float,
            tight: float) -> list[tuple[float, float]]:
    """Find candidate brackets on the evaluated grid and refine each with Brent's method."""
    points = [evaluator.points[float(s)] for s in grid]
    candidates: list[tuple[int, int, str]] = []
    count = len(points)
    for i in range(count):
        left = points[i - 1] if i > 0 else None
        right = points[i + 1] if i + 1 < count else None
        p = points[i]
        lower_left = left is None or p.gap <= left.gap
        lower_right = right is None or p.gap <= right.gap
        if lower_left and lower_right:
            candidates.append((max(i - 1, 0), min(i + 1, count - 1), "value"))
        if right is not None and _sign(p) < 0 < _sign(right):
            candidates.append((i, i + 1, "slope"))

    # merge overlapping brackets into regions; refine each region once
    candidates.sort()
    regions: list[list[int]] = []
    for lo_i, hi_i, _kind in candidates:
        if regions and lo_i < regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], hi_i)
        else:
            regions.append([lo_i, hi_i])
    regions.sort(key=lambda r: min(p.gap for p in points[r[0]:r[1] + 1]))
    for lo_i, hi_i in regions:
        _refine_bracket(evaluator, lo_i, hi_i, points, tol, tight)
    return [(points[lo_i].s, points[hi_i].s) for lo_i, hi_i in regions]


def _hidden_dips(evaluator: GapTracker, tol: float, tight: float) -> list[tuple[float, float]]:
    """Bisect the intervals too rough to rule out a dip below the best gap; refine any dip found.

    A dip between two evaluated points whose slopes have the same sign brackets nothing
    (neither a lower value nor a slope sign change shows it): ``Δ`` falls into an avoided
    crossing, rises to a kink where ``E_g`` and ``E_{g+1}`` cross, and falls again. An
    interval ``[a, b]`` not touching the best point is bisected while its straight line is
    rough (:func:`~hybridxai.anneal.gap_points.interval_error` above :data:`_SHAPE_RTOL` of
    its smaller gap) and could reach below the best gap (its smaller gap minus
    :data:`_SHAPE_REACH` times that error is more than ``tol`` below it: at a kink the Hermite
    estimate falls short of the dip, by half on the d = 9 instance that showed it); a midpoint
    that is lower than both ends or shows a slope sign change is refined like a bracket of the
    coarse grid. The roughest such interval (lowest reach) goes first.

    Returns:
        The intervals in which a dip was refined.
    """
    brackets: list[tuple[float, float]] = []
    for added in range(_SHAPE_MAX_POINTS + 1):
        best = evaluator.best()
        nodes = sorted(evaluator.points.values(), key=lambda p: p.s)
        target: tuple[GapPoint, GapPoint] | None = None
        lowest = best.gap - tol
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            floor = min(a.gap, b.gap)
            error = interval_error(a, b)
            if (best.s in (a.s, b.s) or not math.isfinite(error)  # no slope (an end): no estimate
                    or error <= _SHAPE_RTOL * floor or floor - _SHAPE_REACH * error >= lowest):
                continue
            target, lowest = (a, b), floor - _SHAPE_REACH * error
        if target is None:
            break
        a, b = target
        middle = 0.5 * (a.s + b.s)
        if middle in (a.s, b.s):
            break
        if added == _SHAPE_MAX_POINTS:
            warnings.warn(
                f"min_gap: the shape check stopped after {_SHAPE_MAX_POINTS} points with "
                f"[{a.s:.6g}, {b.s:.6g}] still rough enough to hide a gap below {best.gap:.6g}; "
                "Δ_min may be too high there: check it with gap_profile(bqm, adaptive=True)",
                RuntimeWarning, stacklevel=caller_stacklevel())
            break
        accuracy = _loose_accuracy(tight, min(a.gap, b.gap), best.gap)
        mid = evaluator(middle, accuracy)
        trio = [a, mid, b]
        if mid.gap <= min(a.gap, b.gap):
            region = (0, 2)
        elif _sign(a) < 0 < _sign(mid):
            region = (0, 1)
        elif _sign(mid) < 0 < _sign(b):
            region = (1, 2)
        else:
            continue
        _refine_bracket(evaluator, *region, trio, tol, tight)
        brackets.append((trio[region[0]].s, trio[region[1]].s))
    return brackets


class _Branch:
    """One symmetry sector's own gap curve, searched as ``Δ`` is (:attr:`GapTracker.branches`).

    Solving a point solves every sector; the branch reads its sector's gap. ``best`` is the
    lowest ``Δ`` found anywhere, which sets how accurately a point far above it is solved.
    """

    def __init__(self, tracker: GapTracker, index: int) -> None:
        self.tracker, self.index = tracker, index

    @property
    def points(self) -> dict[float, GapPoint]:
        return self.tracker.branches[self.index]

    def best(self) -> GapPoint:
        return self.tracker.best()

    def __call__(self, s: float, tol: float) -> GapPoint:
        point = self.tracker(s, tol)
        return self.points.get(s, point)  # only s = 0 has no sector gap: Δ itself


def _refine_branches(evaluator: GapTracker, tol: float, tight: float) -> list[tuple[float, float]]:
    """Refine the minimum of each sector's own gap curve (step 6 of the module docstring).

    Where ``Δ = min_a c_a`` over the sectors' smooth curves (``GapTracker.branches`` records
    only such points), ``Δ_min = min_a min_s c_a``: near a kink, where two sectors' levels
    cross between two dips, Brent's method on ``Δ`` finds one dip and each curve's own search
    the other. A sector is skipped when the tangents at its lowest point and its neighbours
    (:func:`~hybridxai.anneal.gap_points.tangent_lower_bound`) show that its minimum there
    cannot lie more than ``tol`` below the best ``Δ``: with several sectors nearly degenerate
    at the minimum, their searches only repeated step 4 (ARPACK on two uncoupled groups took
    1.9× the products; the review).
    ``Δ`` is evaluated at every point these searches solve, so the result stays the lowest
    ``Δ`` actually evaluated.

    Returns:
        The intervals refined, one per sector searched.
    """
    brackets: list[tuple[float, float]] = []
    best = evaluator.best()
    for index in range(len(evaluator.branches)):
        branch = _Branch(evaluator, index)
        nodes = sorted(branch.points.values(), key=lambda p: p.s)
        if len(nodes) < 3:
            continue
        lowest = min(range(len(nodes)), key=lambda i: (nodes[i].gap, -nodes[i].s))
        if (0 < lowest < len(nodes) - 1
                and tangent_lower_bound(*nodes[lowest - 1:lowest + 2])[0] >= best.gap - tol):
            continue  # its minimum beside its lowest point cannot beat the best by tol
        lo_i, hi_i = max(lowest - 1, 0), min(lowest + 1, len(nodes) - 1)
        _refine_bracket(branch, lo_i, hi_i, nodes, tol, tight)  # type: ignore[arg-type]
        brackets.append((nodes[lo_i].s, nodes[hi_i].s))
    return brackets


def _sign(p: GapPoint) -> int:
    if not np.isfinite(p.slope) or abs(p.slope) <= p.slope_error:
        return 0
    return 1 if p.slope > 0 else -1


def _refine_bracket(evaluator: GapTracker, lo_i: int, hi_i: int, points: list[GapPoint],
                    tol: float, tight: float) -> None:
    """Refine one region of the coarse grid.

    Its minimum is needed to ``tol`` only if it may be the global one: a region whose best
    value is far above the best gap found elsewhere is refined only to a tenth of that
    distance (the requirement tightens as the region's minimum comes down).
    """
    region_best = [min(points[i].gap for i in range(lo_i, hi_i + 1))]

    def accuracy() -> float:
        return max(tol, 0.1 * (region_best[0] - evaluator.best().gap))

    def evaluate(s: float) -> GapPoint:
        point = evaluator(float(min(max(s, 0.0), 1.0)), max(tight, 0.5 * accuracy()))
        region_best[0] = min(region_best[0], point.gap)
        return point

    extensions = 0
    while True:
        trio = [evaluate(points[i].s) if points[i].error > max(tight, 0.5 * accuracy())
                else points[i] for i in range(lo_i, hi_i + 1)]
        slopes = [abs(p.slope) for p in trio if np.isfinite(p.slope)]
        xatol = max(1e-12, tol / (4.0 * max([1.0, *slopes])))
        lo, hi = trio[0], trio[-1]
        inner = min(trio[1:-1], key=lambda p: p.gap) if len(trio) > 2 else None
        if inner is not None and inner.gap <= min(lo.gap, hi.gap):
            break
        # no interior point below both ends: there is an interior minimum if the slope says
        # so (it falls at the lower left end, rises into the lower right end, or both) ...
        left_is_lower = lo.gap <= hi.gap
        if ((left_is_lower and _sign(lo) < 0) or (not left_is_lower and _sign(hi) > 0)
                or (_sign(lo) < 0 < _sign(hi))):
            found = _find_interior(evaluate, lo, hi, xatol)
            if isinstance(found, GapPoint):
                return
            lo, inner, hi = found
            break
        # ... or, since the coarse values were approximate, just beyond the lower end
        if extensions < 2 and left_is_lower and lo_i > 0:
            lo_i -= 1
        elif extensions < 2 and not left_is_lower and hi_i < len(points) - 1:
            hi_i += 1
        else:
            return  # the lower end point is the minimum of this region
        extensions += 1

    steps = [0]

    def known(a: float, x: float, b: float) -> bool:
        steps[0] += 1
        if accuracy() > 10.0 * tol and steps[0] > _FAR_REGION_STEPS:
            return True  # still far above the best gap: not the global minimum
        pa, px, pb = (evaluator.points.get(v) for v in (a, x, b))
        if pa is None or px is None or pb is None:
            return False
        return px.gap - tangent_lower_bound(pa, px, pb)[0] <= 0.5 * accuracy()

    _brent(lambda s: evaluate(s).gap, lo.s, inner.s, hi.s, inner.gap, xatol, stop=known)


def gap_at(bqm: dimod.BinaryQuadraticModel, s: float, *, driver_scale: DriverScale = "unit",
           solver: SolverName = "auto", tol: float = 1e-10) -> float:
    """The gap ``Δ(s) = E_g(s) - E_0(s)`` at one ``s`` (``g`` = ground degeneracy of ``H_P``).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY")
        >>> round(gap_at(bqm, 0.5), 6)   # sqrt((s/2)**2 + (1-s)**2)·2 at s = 0.5
        1.118034
    """
    s = check_s(s)
    op = AnnealingOperator.from_bqm(bqm, driver_scale, purpose="gap_at")
    g = ground_degeneracy(op.diagonal)
    if g >= op.dimension:
        raise invalid_argument("bqm", bqm, "H_P is constant, so there is no gap",
                               "pass a QUBO with at least two distinct energies")
    if s in (0.0, 1.0):
        values = endpoint_eigenvalues(op, s, g + 1)
    else:
        values = lowest_eigenpairs(op, s, g + 1, solver=solver, tol=tol, keep_vectors=False).values
    return float(values[g] - values[0])
