"""The gap profile of ``H(s) = (1 - s)·H_D + s·H_P``: ``E_0(s)``, ``E_g(s)``, the gap and ``|<g|∂ₛH|0>|``.

This is the spectral information an annealing schedule needs (see
:mod:`hybridxai.anneal.schedules`, ``schedule="local-adiabatic"``) and what
:func:`hybridxai.analysis.gap_profile` reports and plots. It lives here, below the samplers, so
that a sampler can build a problem-dependent schedule from the BQM it is given.

Definitions. With ``g`` the degeneracy of the ground level of ``H_P`` (:func:`ground_degeneracy`),
the gap is ``Δ(s) = E_g(s) - E_0(s)``: the distance from the ground state to the lowest level
*outside* the ground manifold (the lowest ``g`` levels all flow into ground states of ``H_P``,
so only leaving them costs fidelity; for ``g = 1`` this is ``E_1 - E_0``). The matrix element
is that of ``∂ₛH = H_P - H_D`` between the ground state and level ``E_g``,
``|<g|∂ₛH|0>|``. Degeneracies are handled so that the value does not depend on the basis
chosen inside a degenerate eigenspace: when ``E_g`` is itself degenerate (a symmetric problem,
or a level crossing on the grid) the whole eigenspace ``P_g`` of ``E_g`` counts, and when
``g > 1`` the whole block ``P_<`` of the lowest ``g`` levels does (near ``s = 1`` those levels
are exponentially close, so "the" ground vector is ill-conditioned, while their block is not):
the matrix element is the Frobenius norm ``‖P_g·∂ₛH·P_<‖``, which is ``|<1|∂ₛH|0>|`` for
``g = 1`` and a non-degenerate ``E_1``. Levels closer than
``1e-9·(s·(max E_P - min E_P) + (1 - s)·c·d)``, the spread of ``H(s)``'s terms in the
problem's own units (or than the eigensolver's error estimate or float64's rounding,
:func:`hybridxai.anneal.eigensolvers.eigenvalue_rounding`, if larger) count as degenerate.

The same machinery as :func:`hybridxai.analysis.min_gap` evaluates both (:class:`GapTracker`):
dense ``eigh`` up to 7 qubits, above that the warm-started block Davidson solver of
:mod:`hybridxai.anneal.eigensolvers`, sweeping from ``s = 1`` (where the eigenvectors are the
lowest classical states) down to ``s = 0``, each point started from the eigenvectors of the
last three extrapolated to its ``s`` (:meth:`GapTracker.start_vectors`); off the sweep (``min_gap``,
an adaptive profile's refinement) from the polynomial through the points around it, kept as
float32 warm starts. A profile solves every
point to ``tol``, so its Davidson expansions come from up to 10 CG steps on the correction
equation, run in single precision (:mod:`hybridxai.anneal.correction`): more products, far
fewer passes over the search space (docs/benchmarks.md, third and fourth rounds).
The default grid is the cell midpoints ``s_i = (i + ½)/N``: at ``s = 0`` and ``s = 1`` the
levels of ``H_D`` and ``H_P`` are degenerate, so the matrix element is not defined there.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 1.2}, 0.0, "BINARY")
    >>> profile = compute_gap_profile(bqm, num_points=8)
    >>> profile.s.tolist()[:2]
    [0.0625, 0.1875]
    >>> bool((profile.gaps > 0).all() and (profile.couplings >= 0).all())
    True
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.aligned import aligned_empty, all_rows
from hybridxai._util.checks import check_flag, check_seed
from hybridxai._util.memory import available_memory_bytes, check_memory_budget, human_bytes
from hybridxai._util.progress import ProgressLike, check_progress, progress_bar
from hybridxai._util.stack import caller_stacklevel
from hybridxai.anneal.conventions import PRESETS, check_choice
from hybridxai.anneal.correction import copy_row, single_scratch_rows
from hybridxai.anneal.eigensolvers import (
    DENSE_MAX_QUBITS,
    DavidsonWorkspace,
    Eigenpairs,
    blas_threads,
    eigenvalue_rounding,
    kernel_buffer_bytes,
    lowest_eigenpairs,
)
from hybridxai.anneal.gap_adaptive import adaptive_points, check_adaptive
from hybridxai.anneal.gap_endpoints import exact_end_points
from hybridxai.anneal.gap_points import DEFAULT_PROFILE_POINTS, GapPoint, profile_grid
from hybridxai.anneal.ising import flip_symmetries
from hybridxai.anneal.operators import PROGRESS_MIN_QUBITS, AnnealingOperator, check_analysis_memory
from hybridxai.anneal.sectors import MAX_SECTOR_SYMMETRIES, sector_count, sector_eigenpairs
from hybridxai.anneal.spec import DriverScale, ground_fidelity
from hybridxai.exceptions import (
    MemoryLimitedWarning,
    UnresolvedProfileWarning,
    invalid_argument,
    invalid_type,
)

__all__ = [
    "GapTracker",
    "GapProfile",
    "compute_gap_profile",
    "floored_tol",
    "level_tolerance",
    "ground_degeneracy",
    "planned_bytes",
    "tracker_vectors",
    "extrapolation_weights",
    "warn_symmetry_sectors",
]

_SOLVERS = ("auto", "dense", "davidson", "eigsh")
_CACHE_ENTRIES = 4  # warm starts kept; more cost a fresh (page-faulted) array per point
_WARM_START_SHARE = 0.5  # of the budget left, what an adaptive profile's warm starts may take
_PROFILE_WARM_STARTS = 24  # an adaptive profile's warm starts at most: its profiles at d = 20-24 took
# 17-23 points, and 16 kept did as well as all (docs/benchmarks.md, nineteenth round)
_INNER_STEPS = 10  # CG steps per correction in a profile (docs/benchmarks.md, third round)
_INNER_REDUCTION = 0.1
_PROFILE_SEARCH_SPACE = 12  # a profile's Davidson search space, at least (docs/benchmarks.md, 16th round)
_EXTRAPOLATION_POINTS = 3  # a sweep's start vectors: quadratic in s (docs/benchmarks.md, fourth round)
_SAME_LEVEL = 0.5  # |overlap| above which two points' vectors count as the same level
_PERRON_SHARE = 0.1  # norm² of the minority sign above which a vector is no ground state


def tracker_vectors(block: int, subspace: int, cache_entries: int = 2, *,
                    single_rows: int = 0, sectors: int = 1, levels: int | None = None) -> int:
    """Vectors of ``2**d`` float64 amplitudes a :class:`GapTracker` holds at its peak.

    The diagonal ``E_P``, one scratch vector for the Walsh-basis preconditioner of Olsen
    steps (none with inner steps, ``single_rows > 0``, whose CG has rows of its own; the
    matrix element's ``∂ₛH|0>`` takes a row of the search space's images, free between
    solves), the Davidson search space and its images (``2·subspace``), the
    residuals of the ``levels`` wanted (a guard's is never formed), one float64 block for a
    solve's output, which its start vectors are written into and its Ritz vectors formed in
    (:class:`~hybridxai.anneal.eigensolvers.DavidsonWorkspace`), ``sectors`` blocks when
    symmetry sectors are solved apart (:mod:`hybridxai.anneal.sectors`), and then as many
    more, the start vectors' own (one sector's output would overwrite the next one's start);
    the warm starts kept (``cache_entries`` blocks in float32, two rows to a float64
    vector); with single-precision inner steps also their float32 rows and a float32 copy of
    ``E_P``. Until the twenty-first round the Ritz vectors, the guards' residuals, a second
    output block and a profile's scratch vector were counted as well: the gap-only profile's
    smallest plan at d = 26 held 36 vectors instead of 27, the one with the matrix element
    45 instead of 35 (docs/benchmarks.md, twenty-first round).

    A traced profile (``tracemalloc``) stays within its plan, these vectors and the compiled
    kernels' chunk buffers (:func:`~hybridxai.anneal.eigensolvers.kernel_buffer_bytes`), up
    to small objects (``tests/anneal/test_gap_profile.py``), unless a
    degenerate ``E_g`` that no solved-apart symmetry explains makes a point widen its block,
    which the plan does not foresee (with sectors split, the level above ``E_g``'s eigenspace
    comes from the sectors' own solves: :func:`hybridxai.anneal.sectors.sector_eigenpairs`'s
    ``extend``). Nor does it count the rare rescues of one point: ARPACK's Lanczos basis (at
    least 20 vectors) and its start vectors where Davidson does not converge, and one vector
    of one sign where a ground state was lost (:meth:`GapTracker._pairs`).

    Args:
        block: Davidson block (levels wanted plus guards).
        subspace: Davidson search space.
        cache_entries: Warm starts kept.
        single_rows: Float32 scratch rows of the inner steps (0: none).
        sectors: Symmetry sectors solved apart (:func:`hybridxai.anneal.sectors.sector_count`).
        levels: Levels wanted, whose residuals are kept (default ``block``).

    Returns:
        The number of vectors.

    Example:
        >>> tracker_vectors(3, 7, levels=2)  # min_gap's smallest plan, unique ground state, guard 1
        24
        >>> tracker_vectors(4, 16, 3, single_rows=8, levels=3)  # a profile: 8 float32 rows + E_P
        51
    """
    residuals = block if levels is None else levels
    scratch = 0 if single_rows else 1
    single = -(-(single_rows + 1) // 2) if single_rows else 0
    warm = -(-(cache_entries * sectors * block) // 2)  # float32 rows, two to a vector
    return (1 + scratch + 2 * subspace + residuals + (1 + int(sectors > 1)) * sectors * block
            + warm + single)


def planned_bytes(op: AnnealingOperator, block: int, subspace: int, cache_entries: int = 2,
                  **options: Any) -> int:
    """Bytes a :class:`GapTracker` on ``op`` plans: its vectors and the kernels' chunk buffers.

    :func:`tracker_vectors` (``options``: its keywords) rows of ``2**d`` float64 amplitudes,
    and :func:`~hybridxai.anneal.eigensolvers.kernel_buffer_bytes` of the search space.

    Example:
        >>> import dimod
        >>> op = AnnealingOperator.from_bqm(dimod.BQM({0: 1.0, 1: -1.0}, {}, 0.0, "BINARY"))
        >>> planned_bytes(op, 3, 7, levels=2) - 8 * 4 * tracker_vectors(3, 7, levels=2)
        114688
    """
    return (8 * op.dimension * tracker_vectors(block, subspace, cache_entries, **options)
            + kernel_buffer_bytes(subspace, threaded=op.threaded))


def extrapolation_weights(points: ArrayLike, s: float) -> NDArray[np.float64]:
    """Lagrange weights ``l_i`` of the polynomial through ``points`` evaluated at ``s``.

    ``Σ_i l_i·f(points_i)`` is the value at ``s`` of the polynomial of degree
    ``len(points) - 1`` through the samples: exact for such polynomials.

    Args:
        points: Distinct sample positions.
        s: Where to evaluate.

    Returns:
        One weight per point (they sum to 1).

    Example:
        >>> extrapolation_weights([0.5, 0.4], 0.3).tolist()  # linear: 2·f(0.4) - f(0.5)
        [-1.0, 2.0]
        >>> w = extrapolation_weights([0.9, 0.8, 0.7], 0.6)
        >>> np.round(w, 12).tolist()
        [1.0, -3.0, 3.0]
    """
    x = np.asarray(points, dtype=np.float64)
    weights = np.ones(x.size)
    for i in range(x.size):
        for j in range(x.size):
            if j != i:
                weights[i] *= (s - x[j]) / (x[i] - x[j])
    return weights


def level_gap(s: float, lower: Eigenpairs, i: int, upper: Eigenpairs, j: int,
              coupling: float = math.nan) -> GapPoint:
    """The :class:`GapPoint` of level ``j`` of ``upper`` above level ``i`` of ``lower`` at ``s``.

    The gap, its Hellmann–Feynman slope and their errors (the two levels' added); ``lower``
    and ``upper`` are the same solve, or a merged solve and one sector's own levels.
    """
    e0, eg = float(lower.values[i]), float(upper.values[j])
    return GapPoint(s, eg - e0, float(upper.derivatives[j] - lower.derivatives[i]),
                    float(upper.derivative_errors[j] + lower.derivative_errors[i]),
                    float(upper.errors[j] + lower.errors[i]), e0, eg, coupling)


def floored_tol(op: AnnealingOperator, tol: float, purpose: str) -> float:
    """``tol``, raised with a warning to what float64 eigenvalues of ``H(s)`` resolve.

    Below :func:`~hybridxai.anneal.eigensolvers.eigenvalue_rounding`, about
    ``1e-14·(max|E_P| + c·d)`` (some 45 units in the last place of the largest levels), no
    solver can resolve a gap, and the iterative ones spend their budget trying:
    ``min_gap(tol=1e-30)`` took 88 s for the 0.6 s of ``tol=1e-12``, with the same result
    (a user trial, docs/benchmarks.md, fourteenth round).
    """
    floor = eigenvalue_rounding(op)
    if tol >= floor:
        return tol
    warnings.warn(
        f"{purpose}: tol={tol:g} is below what float64 eigenvalues of this H(s) resolve "
        f"(about {floor:.1g}, the rounding of its largest levels); using tol={floor:.1g}, as a "
        "smaller one would only cost time: pass a tol of at least that",
        RuntimeWarning, stacklevel=caller_stacklevel())
    return floor


def level_tolerance(op: AnnealingOperator, s: float) -> float:
    """How close two levels of ``H(s)`` are when the matrix element counts them as one eigenspace.

    ``1e-9·(s·(max E_P − min E_P) + (1 − s)·c·d)``, the spread of ``H(s)``'s two terms, so in
    the problem's own units, and at least what float64 eigenvalues resolve
    (:func:`~hybridxai.anneal.eigensolvers.eigenvalue_rounding`). It was
    ``1e-9·(max E_P − min E_P + d)``, absolute in the driver's part: a QUBO in units of 1e-8
    had its solve widened to 192 of 512 levels (the review, docs/benchmarks.md, fifteenth
    round).

    Example:
        >>> import dimod
        >>> op = AnnealingOperator.from_bqm(dimod.BQM({0: -3.0, 1: 1.0}, {}, 0.0, "SPIN"))
        >>> level_tolerance(op, 1.0), level_tolerance(op, 0.5)  # E_P spread 8, c·d = 2
        (8e-09, 5e-09)
    """
    spread = (s * float(op.diagonal.max() - op.diagonal.min())
              + (1.0 - s) * op.driver_coefficient * op.num_qubits)
    return max(1e-9 * spread, eigenvalue_rounding(op))


def ground_degeneracy(energies: NDArray[np.float64]) -> int:
    """Degeneracy ``g`` of the lowest value of a diagonal ``H_P`` (same tolerance as the samplers).

    Args:
        energies: ``E_P`` over the basis.

    Returns:
        The number of basis states in the ground manifold.

    Example:
        >>> ground_degeneracy(np.array([0.0, -1.0, -1.0, 2.0]))
        2
    """
    return int(ground_fidelity(energies, energies)[2].size)


def warn_symmetry_sectors(g: int, solver: str, purpose: str, sectors: int = 1, flips: int = 0) -> None:
    """Warn that an iterative eigensolver may miss levels of a symmetry it does not solve apart.

    A degenerate ground level comes from a symmetry: ``H(s)`` and the preconditioners never mix
    its sectors, so a warm-started Davidson or Lanczos solve can converge on the next level
    of the sectors its start vectors reach and miss a lower one of another, with small
    residuals (``min_gap`` 6.1e-6 and 2.6e-6 too high on two
    :func:`~hybridxai.analysis.flip_symmetric_qubo` instances; docs/benchmarks.md, twelfth
    round). The Davidson and ARPACK solvers solve the sectors of spin flips apart
    (:mod:`hybridxai.anneal.sectors`); this warns when the degeneracy is larger than those
    ``sectors`` explain (``g > sectors``: another symmetry, such as a permutation of equal
    variables, or more flips than :data:`~hybridxai.anneal.sectors.MAX_SECTOR_SYMMETRIES`,
    which are not split at all). Dense ``eigh`` is exact.

    Args:
        g: Ground degeneracy of ``H_P``.
        solver: The eigensolver.
        purpose: The function named in the message.
        sectors: Sectors the solver solves apart (:attr:`GapTracker.sectors`).
        flips: Spin flips that leave ``H_P`` unchanged
            (:func:`~hybridxai.anneal.ising.flip_symmetries`).
    """
    if g <= sectors or solver == "dense":
        return
    if flips > MAX_SECTOR_SYMMETRIES:
        why = (f"; it has {flips} spin flips that leave H_P unchanged, more than the "
               f"{MAX_SECTOR_SYMMETRIES} whose sectors the solvers split, so none is split")
    elif sectors > 1:
        why = (f"; the {sectors} sectors of its {flips} spin flip(s) are solved apart, but "
               f"{g} ground states need another symmetry as well")
    else:
        why = ""
    warnings.warn(
        f"{purpose}: H_P has {g} ground states, so it has a symmetry (a free variable, the "
        "global spin flip, a permutation of equal variables, ...) whose sectors H(s) never "
        f"mixes: the iterative solver={solver!r} can miss a level of a sector its start vectors "
        f"do not reach and report a gap too high{why}; pass solver='dense' (exact, as far as "
        "dense eigh fits) to check",
        RuntimeWarning, stacklevel=caller_stacklevel())


class GapTracker:
    """Evaluates ``Δ(s)`` (and optionally ``|<g|∂ₛH|0>|``) with warm starts; remembers every point.

    Args:
        op: The operator of ``H(s)``.
        g: Ground degeneracy of ``H_P``.
        solver: ``"dense"``, ``"davidson"`` or ``"eigsh"``.
        guard: Extra Davidson vectors beyond the levels needed.
        max_subspace: Davidson search space (default ``max(12, 4·block)``).
        cache_entries: How many points keep their eigenvectors (in float32) for warm starts.
        rng: Random generator of the fill vectors.
        couplings: Also compute the matrix element (then one level above ``E_g`` is tracked
            too, to detect a degenerate ``E_g``).
        inner_steps: CG steps on the correction equation per Davidson expansion
            (:func:`hybridxai.anneal.correction.solve_correction`); default: 10 for a profile
            (every point to ``tol``), 0 (one Olsen step) for ``min_gap``.
        profile: The points make up a profile (default: ``couplings``): they are swept along
            ``s`` and each is solved to its own ``tol``, which sets the defaults of ``sweep``
            and ``inner_steps``. A point Davidson cannot solve falls back to ARPACK, in a
            profile and in ``min_gap`` alike (``min_gap`` used to raise; the review of the
            fourteenth round found one at d = 12).
        sweep: The points come in order along ``s`` (default: ``profile``). The
            cache then keeps the most recent points, and each point starts from the
            eigenvectors of the last (up to) three extrapolated to its ``s`` by the polynomial
            through them (:meth:`start_vectors`), instead of those of the nearest point:
            an error of third instead of first order in the grid step (``gap_profile`` of the
            d = 18 ``chelsea`` QUBO: 5250 products in 27–31 s instead of 7077 in 50–55 s;
            docs/benchmarks.md, fourth round). Off a sweep (``min_gap``, a profile's
            refinement) the cache keeps the smallest gaps, and each point starts from the
            polynomial through the cached points around it (:meth:`start_points`).
        symmetries: Spin flips that leave ``H_P`` unchanged
            (:func:`hybridxai.anneal.ising.flip_symmetries`): with one to three, each solver
            solves their sectors apart
            (:func:`hybridxai.anneal.sectors.sector_eigenpairs`), so a level of one sector
            that crosses below those of another is not missed, and each sector's own gap is
            kept (:attr:`branches`); four or more are not split
            (:data:`hybridxai.anneal.sectors.MAX_SECTOR_SYMMETRIES`).

    Attributes:
        sectors: How many sectors each solve is split into (1: none).
        branches: With sectors split and ``Δ = E_g − E_0``: one dict per sector, ``s`` to the
            :class:`GapPoint` of that sector's own gap ``c_a(s)``, its lowest level outside
            the ground manifold (the manifold has ``g / sectors`` levels in each: every flip
            moves every basis state) minus ``E_0``. ``Δ = min_a c_a`` has a kink where two
            sectors' levels cross; each ``c_a`` is smooth there, so ``min_gap`` can search
            them one by one. A point is recorded only where ``Δ = min_a c_a`` holds: where
            the lowest ``g`` levels are the lowest ``g / sectors`` of each sector (at small
            ``s`` one sector's next level can lie below another's last manifold level, and
            ``c_a`` is then no gap). At ``s = 1`` every ``c_a`` is ``Δ(1)`` (slope unknown:
            NaN); ``s = 0`` is not recorded. Empty otherwise.
    """

    def __init__(self, op: AnnealingOperator, g: int, solver: str, guard: int,
                 max_subspace: int | None, cache_entries: int, rng: np.random.Generator,
                 *, couplings: bool = False, inner_steps: int | None = None,
                 sweep: bool | None = None, profile: bool | None = None,
                 symmetries: tuple[int, ...] = ()) -> None:
        self.op, self.g = op, g
        self.symmetries = tuple(symmetries)
        self.sectors = sector_count(self.symmetries, solver)
        self.branches: list[dict[float, GapPoint]] = (
            [{} for _ in range(self.sectors)] if self.sectors > 1 and g % self.sectors == 0 else [])
        # a progress bar (tqdm's update(n), and set_postfix_str if it has it) advanced by one
        # per new point and labelled with it (see hybridxai._util.progress); None: none
        self.progress: Any = None
        self.couplings = couplings
        self.profile = couplings if profile is None else profile
        self.sweep = self.profile if sweep is None else sweep
        self.inner_steps = (_INNER_STEPS if self.profile else 0) if inner_steps is None else inner_steps
        self.k = min(g + 2, op.dimension) if couplings else g + 1
        self.solver, self.guard = solver, guard
        self.max_subspace = max_subspace or max(_PROFILE_SEARCH_SPACE, 4 * (self.k + guard))
        self.workspace: DavidsonWorkspace | None = None
        self.cache_entries = max(1, cache_entries)
        self.cache: dict[float, NDArray[np.float32]] = {}  # warm starts, in float32 (_remember)
        self._spare: list[NDArray[np.float64]] = []  # the last output array, reused as the next
        self.planned_bytes: int | None = None  # set by within_budget for the Davidson solver
        self.points: dict[float, GapPoint] = {}
        self._best: GapPoint | None = None  # the lowest point, kept by _record
        self.matvecs = 0
        self.rng = rng
        block = min(self.k + guard, op.dimension)
        lowest = np.argpartition(op.diagonal, block - 1)[:block]
        lowest = lowest[np.argsort(op.diagonal[lowest], kind="stable")]
        start = aligned_empty((block, op.dimension), np.float32, zero=True, huge_pages=False)
        start[np.arange(block), lowest] = 1.0
        self.cache[1.0] = start

    @classmethod
    def within_budget(cls, op: AnnealingOperator, g: int, solver: str, guard: int, budget: int,
                      rng: np.random.Generator, *, couplings: bool = False,
                      profile: bool | None = None, purpose: str = "min_gap",
                      symmetries: tuple[int, ...] = (),
                      warm_starts: int = 0) -> GapTracker:
        """A tracker whose Davidson search space and warm-start cache fit in ``budget`` bytes.

        The search space is ``max(12, 4·block)`` vectors for a profile (``profile=True``, by
        default ``couplings``: every point to its ``tol`` in a sweep; 12 rather than 16 since
        the sixteenth round: as many products or slightly more, less of the space to read per
        iteration, 2–6 % faster from d = 20 to 24, docs/benchmarks.md) and the smallest one,
        ``2·block + 1``, for
        ``min_gap``, whose coarse points need little accuracy and whose refined points are
        warm-started from close neighbours: there it converges in as many products, each with
        less of the space to read (the ``chelsea`` QUBOs, d = 22: 25.0 s with 7 vectors, 30.6 s
        with 16, 252 and 254 products; ``python benchmarks/bench_gap.py --search-spaces 7 16
        --min-gap-d 20 22``, docs/benchmarks.md).

        The warm starts kept (float32) are the last three points for a sweep and
        :data:`_CACHE_ENTRIES` for ``min_gap`` (two where a tenth of the budget does not hold
        more); with ``warm_starts`` (an adaptive profile, whose refinement starts each point
        from the points around it: :meth:`GapTracker.start_points`) up to that many, at most
        :data:`_PROFILE_WARM_STARTS`, as far as half of what the budget leaves after the rest
        of the plan holds (the d = 22 ``chelsea`` QUBO's adaptive
        profile: 1184 products with three, 907 with every point; docs/benchmarks.md,
        nineteenth round).

        Raises:
            ProblemTooLargeError: If not even the smallest Davidson search space fits.
        """
        n = op.dimension
        profile = couplings if profile is None else profile
        k = min(g + 2, n) if couplings else g + 1
        block = min(k + guard, n)
        per_vector = 8 * n
        sectors = sector_count(symmetries, solver)
        # a sweep extrapolates from the last three points: more would be unused
        most = _EXTRAPOLATION_POINTS if profile else _CACHE_ENTRIES
        entry = sectors * block * per_vector // 2  # one point's warm start, in float32
        cache_entries = int(max(2, min(most, (budget // 10) // entry)))
        levels = min(k, block)  # the residuals kept
        single = single_scratch_rows(levels) if profile else 0  # a profile's inner steps
        shape = {"single_rows": single, "sectors": sectors, "levels": levels}
        vectors, planned = partial(tracker_vectors, **shape), partial(planned_bytes, op, **shape)
        preferred = max(_PROFILE_SEARCH_SPACE, 4 * block) if profile else 2 * block + 1
        # the vectors' share of the budget: the kernels' chunk buffers (at most those of the
        # preferred search space) come first
        usable = budget - kernel_buffer_bytes(preferred, threaded=op.threaded)
        # Davidson search space (see above), fewer vectors if memory is short
        rows = (usable // per_vector - vectors(block, 0, cache_entries)) // 2
        max_subspace = int(min(preferred, max(2 * block + 1, rows)))
        if solver == "davidson" and rows < 2 * block + 1:
            needed = planned(block, 2 * block + 1, cache_entries)
            check_analysis_memory(op.num_qubits, -(-needed // n), purpose, budget,
                                  vectors=vectors(block, 2 * block + 1, cache_entries))
        if warm_starts > cache_entries:  # more warm starts from half of what is left
            left = usable - per_vector * vectors(block, max_subspace, cache_entries)
            room = int(_WARM_START_SHARE * max(left, 0)) // entry
            cache_entries = int(min(warm_starts, _PROFILE_WARM_STARTS, cache_entries + room))
        tracker = cls(op, g, solver, guard, max_subspace, cache_entries, rng, couplings=couplings,
                      profile=profile, symmetries=symmetries)
        if solver == "davidson":
            tracker.planned_bytes = planned(block, max_subspace, cache_entries)
            if max_subspace < preferred:
                wanted = planned(block, preferred, most)
                warnings.warn(
                    f"{purpose}: the memory budget of {human_bytes(budget)} holds a Davidson "
                    f"search space of {max_subspace} vectors, fewer than the {preferred} it would "
                    f"use: as accurate, but slower; pass max_memory_bytes={wanted} (or free "
                    "memory) to avoid it",
                    MemoryLimitedWarning, stacklevel=caller_stacklevel())
        return tracker

    def add_exact(self, point: GapPoint) -> None:
        """Record a point known exactly (the end points)."""
        self._record(point)
        if point.s == 1.0:  # every sector has the classical levels there (see branches)
            for branch in self.branches:
                branch[1.0] = GapPoint(1.0, point.gap, math.nan, 0.0, point.error, point.e0, point.eg)

    def _record(self, point: GapPoint) -> None:
        """Store a point and keep :meth:`best` current without scanning every point."""
        replaced = self.points.get(point.s)
        self.points[point.s] = point
        if self._best is not None and replaced is not None and replaced.s == self._best.s:
            self._best = None  # the best point was re-solved: look again, lazily
        elif self._best is not None and (point.gap, -point.s) < (self._best.gap, -self._best.s):
            self._best = point

    def best(self) -> GapPoint:
        """The point with the smallest gap so far (the largest ``s`` among ties).

        Kept as points come in (``min_gap(dense=True)`` asks after each of its thousands of
        per-step points; scanning them all made it quadratic in the number of steps).
        """
        if self._best is None:
            self._best = min(self.points.values(), key=lambda p: (p.gap, -p.s))
        return self._best

    def start_points(self, s: float) -> list[float]:
        """The cached points the start vectors at ``s`` are made from, the nearest last.

        ``s`` itself if it is cached (a point solved again); along a sweep, the last (up to)
        :data:`_EXTRAPOLATION_POINTS` (an extrapolation); otherwise, where cached points lie
        on both sides of ``s``, the nearest on each side and the next nearest, up to
        :data:`_EXTRAPOLATION_POINTS` (an interpolation), else the nearest point alone.

        Example:
            >>> import dimod
            >>> op = AnnealingOperator.from_bqm(dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY"))
            >>> tracker = GapTracker(op, 1, "dense", 0, None, 8, np.random.default_rng(0))
            >>> for x in (0.2, 0.5, 0.6, 0.9):
            ...     _ = tracker(x, 1e-8)
            >>> tracker.start_points(0.55), tracker.start_points(0.95), tracker.start_points(0.5)
            ([0.9, 0.5, 0.6], [0.6, 1.0, 0.9], [0.5])
        """
        if not self.cache:
            return []
        if s in self.cache:
            return [s]
        if self.sweep:
            return list(self.cache)[-_EXTRAPOLATION_POINTS:]  # insertion order = evaluation order
        nearest = sorted(self.cache, key=lambda x: (abs(x - s), x))
        below = [x for x in self.cache if x < s]
        above = [x for x in self.cache if x > s]
        if not below or not above:
            return nearest[:1]
        chosen = [max(below), min(above)]
        chosen += [x for x in nearest if x not in chosen][:_EXTRAPOLATION_POINTS - 2]
        return sorted(chosen, key=lambda x: (abs(x - s), x), reverse=True)

    def start_vectors(self, s: float, out: NDArray[np.float64] | None = None) -> NDArray[np.float64] | None:
        """Start vectors for ``s``: the polynomial through nearby points' eigenvectors.

        Row ``j`` is ``Σ_i l_i·σ_ij·u_i[j]`` over the points ``s_i`` of :meth:`start_points`
        (the nearest, ``u_n``, last), with the Lagrange weights ``l_i`` of
        :func:`extrapolation_weights` and ``σ_ij = ±1`` the sign that aligns ``u_i[j]`` with
        ``u_n[j]`` (eigenvectors are defined up to sign). A row whose other vectors do not
        overlap ``u_n[j]`` by more than :data:`_SAME_LEVEL` (levels that crossed or mixed
        between the points) is ``u_n[j]`` alone. Along a sweep this extrapolates from the last
        three points; elsewhere (``min_gap``, a profile's refinement) it interpolates between
        the cached points around ``s``, which with every point kept took the d = 20 and 22
        ``chelsea`` QUBOs' adaptive profiles from 1166 and 1184 products (the nearest of the
        last three points) to 897 and 907 (docs/benchmarks.md, nineteenth round).

        Args:
            s: The next point.
            out: A float64 array of at least the cached vectors' shape to write the result
                into (e.g. the array of the last output, no longer needed); a new one if
                ``None``.

        Returns:
            The start vectors as float64 rows, or ``None`` before the first point.
        """
        points = self.start_points(s)
        if not points:
            return None
        anchor = self.cache[points[-1]]
        rows = min(self.cache[x].shape[0] for x in points)
        if (out is None or out.dtype != np.float64 or out.shape[0] < rows
                or out.shape[1:] != anchor.shape[1:]):
            out = aligned_empty((rows, anchor.shape[1]))
        result = out[:rows]
        weights = extrapolation_weights(points, s)
        others = [self.cache[x] for x in points[:-1]]
        parallel = self.op.threaded
        for j in range(rows):  # row by row: no temporary block
            overlaps = [float(np.dot(anchor[j], other[j])) for other in others]
            if not all(abs(overlap) > _SAME_LEVEL for overlap in overlaps):
                copy_row(anchor[j], result[j], parallel=parallel)
                continue
            copy_row(anchor[j], result[j], float(weights[-1]), parallel=parallel)
            for other, weight, overlap in zip(others, weights[:-1], overlaps, strict=True):
                copy_row(other[j], result[j], float(weight * np.sign(overlap)), accumulate=True,
                         parallel=parallel)
        return result

    def _pairs(self, s: float, k: int, tol: float) -> Eigenpairs:
        options: dict[str, Any] = {}
        if self.solver == "davidson":
            block = min(k + self.guard, self.op.dimension)
            if self.workspace is None or not self.workspace.fits(self.op.dimension,
                                                                 self.max_subspace, block, k):
                self.workspace = DavidsonWorkspace(self.op.dimension,
                                                   max(self.max_subspace, 2 * block + 1), block,
                                                   staggered=self.inner_steps > 0, levels=k)
            options = {"max_subspace": max(self.max_subspace, 2 * block + 1),
                       "workspace": self.workspace, "sentinel": self.couplings and k > self.g + 1,
                       "inner_steps": self.inner_steps, "inner_reduction": _INNER_REDUCTION,
                       "inner_precision": "single" if self.inner_steps else "double"}
            rows = self.sectors * block
            spare = next((i for i, a in enumerate(self._spare) if a.shape[0] >= rows), None)
            # the output array, which the start vectors are written into too, and the Ritz
            # vectors during the solve (one block: a new one before the first solve, then the
            # last one's)
            options["vectors_out"] = (self._spare.pop(spare) if spare is not None
                                      else self.workspace.output_rows(rows))

        def solve(solver: str, x0: NDArray[np.float64] | None, **options: Any) -> Eigenpairs:
            if self.sectors > 1:
                # the matrix element needs the level above E_g's eigenspace, which near s = 1
                # spans every sector: the sectors' further levels spare a wider second solve
                return sector_eigenpairs(self.op, s, k, self.symmetries, solver=solver, x0=x0,
                                         tol=tol, rng=self.rng, guard=self.guard,
                                         extend=self.couplings, **options)
            # ARPACK has no guard vectors: it is asked for the guards as levels, without which
            # it can return a higher level in place of one of a near-degenerate pair (a
            # Z2-symmetric QUBO's E_1 − E_0 near s = 1)
            levels = min(k + self.guard, self.op.dimension) if solver == "eigsh" else k
            return lowest_eigenpairs(self.op, s, levels, solver=solver,  # type: ignore[arg-type]
                                     x0=x0, tol=tol, rng=self.rng, guard=self.guard, **options)

        # the start vectors may be written into the output array: Davidson copies them into
        # its search space before it writes any output (but one sector's output would
        # overwrite the next sector's start vectors)
        def attempt(x0: NDArray[np.float64] | None, again: Callable[[], NDArray[np.float64] | None]
                    ) -> Eigenpairs:
            try:
                return solve(self.solver, x0, **options)
            except RuntimeError:
                if self.solver != "davidson":
                    raise
                # a point inside a tight cluster of levels (small s): ARPACK copes better
                # (from again(): a failed solve may have overwritten x0)
                return solve("eigsh", again())

        x0 = self.start_vectors(s, options.get("vectors_out") if self.sectors == 1 else None)
        pairs = attempt(x0, lambda: self.start_vectors(s))
        if self.solver != "dense" and not self._is_ground(s, pairs):
            # the start vectors had lost the ground state (a jump from s = 1 to 0.5, the
            # review): start again from a vector of one sign, which overlaps it
            self.matvecs += pairs.matvecs
            positive = np.full((1, self.op.dimension), self.op.dimension ** -0.5)
            pairs = attempt(positive, lambda: positive)
            if not self._is_ground(s, pairs):
                self.matvecs += pairs.matvecs
                pairs = solve("eigsh", positive)
        self.matvecs += pairs.matvecs
        return pairs

    def _is_ground(self, s: float, pairs: Eigenpairs) -> bool:
        """Whether the lowest vector found can be the ground state (Perron–Frobenius).

        For ``0 < s < 1`` and ``c > 0``, ``H(s)`` is stoquastic and irreducible: its ground
        state is the only eigenvector with amplitudes of one sign. Excited states away from
        ``s = 1`` carry 30–50 % of their norm² in amplitudes of the minority sign (dense
        ``eigh``, d = 8–10; docs/benchmarks.md, fourteenth round); a share above
        :data:`_PERRON_SHARE` is no ground state. Near ``s = 1`` some excited states are
        nearly classical and pass, so this only catches a ground state lost at smaller ``s``.
        """
        if pairs.vectors is None or not 0.0 < s < 1.0 or self.op.driver_coefficient <= 0.0:
            return True
        values, errors = pairs.values, pairs.errors
        floor = 1e-12 * max(1.0, float(np.abs(values).max()))
        for j, u in enumerate(pairs.vectors[:values.size]):
            # near s = 1 a flipped partner is degenerate with E_0 to rounding, and either
            # may come first: any vector of the lowest level may be the one-signed one
            if j and values[j] - values[0] > max(errors[0] + errors[j], floor):
                break
            positive = 0.0
            for start in range(0, u.size, 1 << 16):  # in chunks: no temporary of 2**d amplitudes
                part = np.maximum(u[start:start + (1 << 16)], 0.0)
                positive += float(part @ part)
            total = float(u @ u)
            if min(positive, total - positive) <= _PERRON_SHARE * total:
                return True
        return False

    def _coupling(self, s: float, pairs: Eigenpairs, tol: float) -> tuple[Eigenpairs, float]:
        """``‖P_g·∂ₛH·P_<‖`` (Frobenius; ``P_g``: eigenspace of ``E_g``, ``P_<``: lowest ``g`` levels)."""
        k = pairs.values.size
        g = self.g
        resolved = level_tolerance(self.op, s)

        def same() -> float:  # levels closer than this count as one eigenspace
            return max(resolved, 2.0 * float(pairs.errors[g] + pairs.errors[-1]))

        # the last computed level may belong to the eigenspace of E_g: widen until it does not
        while k < self.op.dimension and pairs.values[k - 1] - pairs.values[g] <= same():
            k = min(2 * k, self.op.dimension)
            pairs = self._pairs(s, k, tol)
        vectors = pairs.vectors
        assert vectors is not None
        members = [j for j in range(g, pairs.values.size) if pairs.values[j] - pairs.values[g] <= same()]
        total = 0.0
        # one vector for ∂ₛH|i>: a row of the Davidson workspace, free between solves
        scratch = self.workspace.idle_row if self.workspace is not None else None
        for i in range(g):  # the lowest g levels: the ground state, and its manifold when g > 1
            image = self.op.derivative_matvec(vectors[i], out=scratch)  # (H_P - H_D)|i>
            overlaps = np.array([vectors[j] @ image for j in members])  # no copy of the rows
            total += float(overlaps @ overlaps)
        return pairs, math.sqrt(total)

    def __call__(self, s: float, tol: float) -> GapPoint:
        """``Δ(s)`` with an error of at most ``tol`` (each eigenvalue to ``tol / 2``)."""
        known = self.points.get(s)
        if known is not None and known.error <= tol:
            return known
        pairs = self._pairs(s, self.k, 0.5 * tol)
        coupling = math.nan
        if self.couplings:
            pairs, coupling = self._coupling(s, pairs, 0.5 * tol)
        point = level_gap(s, pairs, 0, pairs, self.g, coupling)
        new = s not in self.points
        self._record(point)
        self._record_branches(pairs, point)
        self._report(point, new)
        if pairs.vectors is not None:
            self._remember(s, pairs.vectors)
        return point

    def _record_branches(self, pairs: Eigenpairs, point: GapPoint) -> None:
        """Each sector's own gap at this point (:attr:`branches`), where ``Δ`` is their lowest."""
        own = pairs.info.get("sector_pairs")
        if not self.branches or not own:
            return
        index = self.g // len(own)  # the ground manifold's share of each sector
        if any(sector.values.size <= index for sector in own):
            return
        # Δ = min_a c_a only while the lowest g levels are the lowest g / sectors of each
        # sector; where one sector's first level outside them lies below another's last level
        # inside (small s, another symmetry's clusters), c_a is no gap at all (the review)
        inside = max(float(sector.values[index - 1]) for sector in own) if index else -math.inf
        if inside > min(float(sector.values[index]) for sector in own):
            return
        for branch, sector in zip(self.branches, own, strict=True):
            branch[point.s] = level_gap(point.s, pairs, 0, sector, index)

    def _report(self, point: GapPoint, new: bool) -> None:
        """Advance the progress bar for a new point; relabel it for a re-solved one."""
        if self.progress is None:
            return
        if new:
            self.progress.update(1)
        label = getattr(self.progress, "set_postfix_str", None)  # tqdm's; optional elsewhere
        if label is not None:
            label(f"s={point.s:.6g} gap={point.gap:.4g} products={self.matvecs}")

    def _remember(self, s: float, vectors: NDArray[np.float64]) -> None:
        """Keep a float32 copy of a point's eigenvectors (rows) as a warm start.

        Start vectors need no float64 (Davidson refines them to ``tol``), and half the bytes
        let a profile keep every point it solves (:meth:`within_budget`). The array the
        vectors came in is kept to write the next solve's output into.
        """
        target = self.cache.pop(s, None)
        dropped = self._evict()
        if target is None or target.shape != vectors.shape:
            target = dropped if dropped is not None and dropped.shape == vectors.shape else None
        if target is None:
            # written once, then only streamed: plain pages fault faster
            target = aligned_empty(vectors.shape, np.float32, huge_pages=False)
        for source, row in zip(vectors, target, strict=True):
            copy_row(source, row, parallel=self.op.threaded)
        self.cache[s] = target
        self._recycle(vectors)

    def _evict(self) -> NDArray[np.float32] | None:
        """Drop cached points until one more fits; the last array dropped (for reuse)."""
        dropped = None
        while self.cache and len(self.cache) >= self.cache_entries:
            # a sweep drops its oldest point; otherwise the least interesting one (largest gap)
            if self.sweep:
                worst = next(iter(self.cache))
            else:
                worst = max(self.cache, key=lambda x: self.points[x].gap if x in self.points else -1)
            dropped = self.cache.pop(worst)
        return dropped

    def _recycle(self, vectors: NDArray[np.float64]) -> None:
        """Keep the array a solver's output came in (one) to write the next output into.

        A solver's output is the first rows of a cache-line-aligned array (its own, or the
        spare it was given): every row of that array is kept
        (:func:`hybridxai._util.aligned.all_rows`), so a wider solve, or sectors solved
        densely, which fill fewer rows, do not shrink the spare (the review).
        """
        array = all_rows(vectors)
        if (self.solver == "davidson" and array.ndim == 2 and array.shape[1] == self.op.dimension
                and array.dtype == np.float64):
            self._spare = [array]


@dataclass
class GapProfile:
    """``E_0``, ``E_g``, the gap and ``|<g|∂ₛH|0>|`` of one problem on a grid of ``s``.

    Attributes:
        s: Grid (or the adaptively placed points), ascending, inside ``(0, 1)``.
        ground_energies: ``E_0(s)``.
        excited_energies: ``E_g(s)``, the lowest level outside the ground manifold of ``H_P``
            (``E_1`` when the ground state of ``H_P`` is unique).
        gaps: ``Δ(s) = E_g(s) - E_0(s)``.
        couplings: ``|<g|∂ₛH|0>|`` with ``∂ₛH = H_P - H_D`` (``‖P_g·∂ₛH·P_<‖`` when levels are
            degenerate, see the module docstring); NaN when computed with
            ``matrix_elements=False``.
        errors: Estimated absolute error of each gap value.
        degeneracy: ``g``, the degeneracy of the ground level of ``H_P``.
        num_qubits: ``d``.
        driver_scale: As passed (``"unit"``, ``"1/d"`` or a number).
        driver_coefficient: ``c`` in ``H_D = -c·ΣX``.
        solver: The eigensolver used.
        tol: Requested accuracy of each eigenvalue.
        matvecs: Products ``H(s)·v`` spent (0 for the dense solver).
        seconds: Wall time.
        info: How the profile was made (``grid``, ``conventions``, ``gap``, ...; an adaptive
            profile's ``rtol``, ``interpolation_error`` and ``resolved``).
        ends: The exact points at ``s = 0`` and ``s = 1``
            (:func:`~hybridxai.anneal.gap_endpoints.exact_end_points`: energies and gap, no
            matrix element), which the plot draws; ``None`` for a profile made without them.
    """

    s: NDArray[np.float64]
    ground_energies: NDArray[np.float64]
    excited_energies: NDArray[np.float64]
    gaps: NDArray[np.float64]
    couplings: NDArray[np.float64]
    errors: NDArray[np.float64]
    degeneracy: int
    num_qubits: int
    driver_scale: DriverScale
    driver_coefficient: float
    solver: str
    tol: float
    matvecs: int = 0
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    ends: tuple[GapPoint, GapPoint] | None = None

    def _lowest(self) -> tuple[float, float]:
        """The smallest gap and its ``s``; an adaptive profile's ends count too."""
        i = int(np.argmin(self.gaps))
        gap, s = float(self.gaps[i]), float(self.s[i])
        if self.info.get("grid") == "adaptive" and self.ends is not None:
            for end in self.ends:
                if end.gap < gap:
                    gap, s = float(end.gap), float(end.s)
        return gap, s

    @property
    def min_gap(self) -> float:
        """The smallest gap among the points.

        An adaptive profile's is ``Δ_min`` to ``tol``, and counts its exact end points: ``Δ``
        can be lowest at ``s = 1`` (``E_1 − E_0`` of a degenerate ``H_P`` is 0 there; it used
        to report its lowest inner point, 0.25 at ``s = 0.875`` for a problem whose gap closes
        in a straight line, found by a user trial).
        """
        return self._lowest()[0]

    @property
    def s_min(self) -> float:
        """Where the smallest gap occurs (on the grid, or, adaptive, possibly an end point)."""
        return self._lowest()[1]

    @property
    def adiabatic_ratio(self) -> NDArray[np.float64]:
        """``|<g|∂ₛH|0>| / Δ(s)²``, the local adiabatic parameter per unit ``ds/dt``.

        NaN where the profile has no matrix elements (``matrix_elements=False``).
        """
        return self.couplings / self.gaps**2

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (no arrays), with how the profile was made (from ``info``)."""
        made = {key: self.info[key] for key in ("grid", "matrix_elements", "resolved", "rtol",
                                                "interpolation_error", "conventions", "gap")
                if key in self.info}
        return {
            "num_points": int(self.s.size), "min_gap": self.min_gap, "s_min": self.s_min,
            "degeneracy": self.degeneracy, "num_qubits": self.num_qubits,
            "driver_scale": self.driver_scale, "driver_coefficient": self.driver_coefficient,
            "solver": self.solver, "tol": self.tol, "matvecs": self.matvecs,
            "seconds": self.seconds, **made,
        }


def compute_gap_profile(
    bqm: dimod.BinaryQuadraticModel,
    num_points: int = DEFAULT_PROFILE_POINTS,
    *,
    driver_scale: DriverScale | None = None,
    s: ArrayLike | None = None,
    solver: str = "auto",
    tol: float = 1e-10,
    guard: int = 1,
    max_memory_bytes: int | None = None,
    seed: int = 0,
    conventions: str = "hybridxai",
    gap: str | None = None,
    adaptive: bool = False,
    rtol: float | None = None,
    matrix_elements: bool = True,
    progress: ProgressLike = False,
) -> GapProfile:
    """The gap profile of a BQM (see the module docstring for the definitions).

    With ``adaptive=True`` the points are placed where ``Δ`` needs them instead of on a fixed
    grid (:func:`hybridxai.anneal.gap_adaptive.adaptive_points`). The exact end points
    (:func:`~hybridxai.anneal.gap_endpoints.exact_end_points`) and the midpoints of 4 cells
    are solved first (a sweep from ``s = 1``); then, one point at a time, the interval whose
    straight line is worst is bisected until every interval's estimated interpolation error
    (:func:`~hybridxai.anneal.gap_points.interval_error`, from the Hellmann–Feynman slopes)
    is at most ``rtol`` times the smaller gap at its ends, or ``tol`` if that is larger (the
    interval to ``s = 1`` is left alone where ``E_1 − E_0`` of a degenerate ``H_P`` closes
    there, ``gap="lowest-two"``); last, the lowest point and its two neighbours are solved to
    ``tol`` and the lowest is refined at the minimum of the cubic Hermite interpolant beside
    it (:func:`~hybridxai.anneal.gap_points.hermite_minimum`) until that predicts no gap lower
    by more than ``tol``. Every other point's gap is solved to ``max(tol, rtol·Δ/100)``, so the
    profile's
    :attr:`GapProfile.min_gap` is ``Δ_min`` as :func:`hybridxai.analysis.min_gap` finds it,
    not the lowest value of a grid. Far fewer points than a fixed grid, each solved only as
    accurately as its gap needs (docs/benchmarks.md, eighth round). The points are
    placed for ``Δ`` only: the matrix element at each point is as accurate as on the grid, but
    its straight line between two points may miss a bump, which is why
    ``schedule="local-adiabatic"`` keeps the grid (its schedules came out further from a fine
    reference's with adaptive profiles, docs/benchmarks.md, eighth round).

    Args:
        bqm: The QUBO (BINARY or SPIN; qubit ``i`` = ``i``-th variable).
        num_points: Grid size ``N``; the grid is ``s_i = (i + ½)/N``. With ``adaptive=True``
            the most points (at least 4); a :class:`~hybridxai.exceptions.UnresolvedProfileWarning`
            says when they were not enough for ``rtol`` and ``tol``.
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` or a positive number (default:
            the preset's).
        s: Explicit grid in ``(0, 1)`` instead of the midpoints.
        solver: ``"auto"`` (dense ``eigh`` up to 7 qubits, block Davidson above), ``"dense"``,
            ``"davidson"`` or ``"eigsh"``.
        tol: Accuracy of each eigenvalue. The matrix element is exact to rounding with the
            dense solver; with an iterative one its error is about ``‖r‖/Δ`` with
            ``‖r‖ ≈ sqrt(tol·Δ)`` the eigenvector residual.
        guard: Extra Davidson vectors.
        max_memory_bytes: Memory budget (default: 80 % of the available memory).
        seed: Seed of the random fill vectors.
        conventions: ``"hybridxai"`` (default) or ``"authors"``: the preset of
            :class:`hybridxai.anneal.settings.AnnealSpec` filling in ``driver_scale`` (``"1/d"``
            for the authors) and ``gap`` where they are not given.
        gap: ``"manifold"`` (``E_g − E_0``) or ``"lowest-two"`` (``E_1 − E_0``, the authors').
        adaptive: Place the points by the gap's shape (above) instead of on the grid.
        rtol: With ``adaptive=True``, the largest relative error of ``Δ`` between two points
            when read off the straight line between them (estimated), in ``(0, 0.5]``; default
            :data:`~hybridxai.anneal.gap_adaptive.DEFAULT_PROFILE_RTOL` (1e-2). Refused
            without ``adaptive=True``, where it would be ignored.
        matrix_elements: Also compute ``|<g|∂ₛH|0>|`` (the default). ``False`` computes the
            gap only and leaves :attr:`GapProfile.couplings` NaN: the eigensolver then skips
            the level above ``E_g`` that tells whether ``E_g`` is degenerate, which in the
            cluster of excited levels at small ``s`` lies within a few 1e-3 of ``E_g`` and is
            the costliest to resolve (``chelsea`` QUBO, adaptive: 0.65–0.69 of the time at
            d = 20–24, docs/benchmarks.md, eleventh round). The gaps are the same to ``tol``.
        progress: Draw a progress bar that counts the points solved (of ``num_points`` on a
            grid), with the last one's ``s``, ``Δ`` and the products so far: ``True``,
            ``False`` (the default here: the gap-aware schedules build profiles inside other
            work), ``None`` (from :data:`~hybridxai.anneal.operators.PROGRESS_MIN_QUBITS`
            qubits on, the default of :func:`hybridxai.analysis.gap_profile`) or a
            tqdm-compatible class to draw it with.

    Returns:
        A :class:`GapProfile` whose ``info`` records ``grid`` (``"midpoints"``, ``"explicit"``
        or ``"adaptive"``; for ``"adaptive"`` also ``rtol``, ``interpolation_error``, the
        largest estimated relative error left, and ``resolved``), ``conventions``, ``gap``,
        ``driver_scale``, ``matrix_elements`` and ``memory_bytes`` (the Davidson solver's
        planned peak, checked against the budget before any allocation; ``None`` for the dense
        solver; a lower bound when a degenerate ``E_g`` no split symmetry explains makes a
        point widen its block to find the whole eigenspace).

    Raises:
        InvalidArgumentError: For a bad ``num_points``, ``s``, ``driver_scale``, ``solver``,
            ``tol``, ``guard`` or ``rtol`` (or ``s`` with ``adaptive=True``, or ``rtol``
            without it), or when ``H_P`` is constant (no gap).
        InvalidTypeError: For an ``adaptive`` or ``matrix_elements`` that is not a bool, an
            ``rtol`` that is not a number, or a ``progress`` that is neither a bool, ``None``
            nor a class.
        ProblemTooLargeError: When the vectors of ``2**d`` amplitudes do not fit in memory
            (checked before any allocation).
    """
    t_start = time.perf_counter()
    rtol = check_adaptive(adaptive, rtol, num_points, s)
    matrix_elements = check_flag("matrix_elements", matrix_elements,
                                 "pass matrix_elements=False for the gap only")
    check_progress(progress)
    max_memory_bytes = check_memory_budget(max_memory_bytes)
    seed = check_seed(seed)
    grid = np.empty(0) if adaptive else profile_grid(num_points, s)  # adaptive: num_points is a most
    preset = PRESETS[check_choice("conventions", conventions)]
    driver_scale = preset["driver_scale"] if driver_scale is None else driver_scale
    gap = check_choice("gap", preset["gap"] if gap is None else gap)
    if solver not in _SOLVERS:
        raise invalid_argument("solver", solver, "unknown eigensolver",
                               "pass solver='auto', 'dense', 'davidson' or 'eigsh'")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)):
        raise invalid_type("tol", tol, "a positive number", "pass e.g. tol=1e-10")
    if not np.isfinite(tol) or tol <= 0 or tol > 0.1:
        raise invalid_argument("tol", tol, "must lie in (0, 0.1]", "pass e.g. tol=1e-10")
    if isinstance(guard, bool) or not isinstance(guard, (int, np.integer)) or guard < 0:
        raise invalid_argument("guard", guard, "must be an integer >= 0", "pass guard=1")
    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type("bqm", bqm, "a dimod.BinaryQuadraticModel",
                           "build one with hybridxai.build_qubo(...).bqm or dimod")
    d = len(bqm.variables)
    if solver == "auto":
        solver = "dense" if 0 < d <= DENSE_MAX_QUBITS else "davidson"
    budget = int(0.8 * available_memory_bytes()) if max_memory_bytes is None else int(max_memory_bytes)
    levels = 3 if matrix_elements else 2  # for the memory check; refined below once g is known
    block = levels + guard
    op = AnnealingOperator.from_bqm(
        bqm, driver_scale,
        bytes_per_amplitude=8 * tracker_vectors(block, 2 * block + 1, levels=levels,
                                                single_rows=single_scratch_rows(levels)),
        max_memory_bytes=max_memory_bytes, purpose="gap_profile",
    )
    g = ground_degeneracy(op.diagonal)
    if g >= op.dimension:
        raise invalid_argument(
            "bqm", bqm, "H_P is constant: every state is a ground state, so there is no gap",
            "pass a QUBO with at least two distinct energies",
        )
    level = g if gap == "manifold" else 1  # Δ = E_level − E_0
    tracker = GapTracker.within_budget(op, level, solver, guard, budget, np.random.default_rng(seed),
                                       couplings=matrix_elements, profile=True,
                                       purpose="gap_profile", symmetries=flip_symmetries(bqm),
                                       # an adaptive profile starts its refinements from the
                                       # points around them: every point (and s = 1) kept
                                       warm_starts=int(num_points) + 1 if adaptive else 0)
    warn_symmetry_sectors(g, solver, "gap_profile", tracker.sectors, len(tracker.symmetries))
    info: dict[str, Any] = {"grid": "midpoints" if s is None else "explicit"}
    tracker.progress = progress_bar(progress, total=None if adaptive else int(grid.size),
                                    desc="gap_profile", unit="point",
                                    default=d >= PROGRESS_MIN_QUBITS)
    ends = exact_end_points(bqm, op, level, g)
    with closing(tracker.progress), blas_threads(1):
        if adaptive:
            points, worst, resolved = adaptive_points(tracker, ends, float(rtol), float(tol),
                                                      int(num_points))
            grid = np.array([p.s for p in points])
            info = {"grid": "adaptive", "rtol": float(rtol), "interpolation_error": worst,
                    "resolved": resolved}
        else:
            point_tol = floored_tol(op, float(tol), "gap_profile")
            for value in grid[::-1]:  # continuation from the classical states at s = 1
                tracker(float(value), point_tol)
            points = [tracker.points[float(value)] for value in grid]
    if adaptive and not resolved:  # after the bar is closed, so that it does not cut the line
        lowest = tracker.best()
        if lowest.error > tol and len(points) < int(num_points):  # points left, yet above tol:
            # the eigensolver's rounding floor is above tol there
            reason = (f"the eigensolver reached only {lowest.error:.2g} at the lowest point "
                      f"(s={lowest.s:.6g}), above tol={tol:g}: its rounding floor there. The "
                      "minimum was refined to that accuracy; pass a tol of at least "
                      f"{lowest.error:.0e} for a resolved profile")
        else:
            reason = (f"stopped at {len(points)} of num_points={int(num_points)} points with the "
                      f"estimated relative interpolation error at {worst:.3g} (rtol={rtol:g}) or "
                      f"the lowest point not within tol={tol:g} of the minimum; pass a larger "
                      "num_points or rtol (or tol)")
            if level < g:  # E_1 − E_0 of a degenerate H_P: the chase towards s = 1 never ends
                reason += (f". Here E_1 − E_0 closes at s = 1 (H_P has {g} ground states), so "
                           "Δ_min = 0 there and its relative shape needs ever more points; "
                           "gap='manifold' is the gap that stays open")
        if g > tracker.sectors and solver != "dense":  # the RuntimeWarning above
            # a missed level of an unsplit sector leaves points no setting brings in line
            # (four flips, eigsh: 62 points, still unresolved; a user trial, fourteenth round)
            reason += ("; or the solver missed a level of a symmetry sector it does not "
                       "split (the RuntimeWarning above), which no num_points, rtol or tol "
                       "mends: check with solver='dense'")
        warnings.warn(f"gap_profile(adaptive=True): {reason}", UnresolvedProfileWarning,
                      stacklevel=caller_stacklevel())
    return GapProfile(
        s=grid, ground_energies=np.array([p.e0 for p in points]),
        excited_energies=np.array([p.eg for p in points]), gaps=np.array([p.gap for p in points]),
        couplings=np.array([p.coupling for p in points]), errors=np.array([p.error for p in points]),
        degeneracy=g, num_qubits=d, driver_scale=driver_scale,
        driver_coefficient=op.driver_coefficient, solver=solver, tol=float(tol),
        matvecs=tracker.matvecs, seconds=time.perf_counter() - t_start,
        info={**info, "conventions": conventions, "gap": gap, "driver_scale": driver_scale,
              "matrix_elements": matrix_elements, "memory_bytes": tracker.planned_bytes},
        ends=ends,
    )
