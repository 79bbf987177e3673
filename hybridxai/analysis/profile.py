"""The gap profile along the anneal: ``E_0(s)``, ``E_1(s)``, ``Δ(s)`` and ``|<1|∂ₛH|0>|``, with a plot.

The computation is :func:`hybridxai.anneal.gap_profile.compute_gap_profile` (it lives below the
samplers, which use it to build ``schedule="local-adiabatic"``); this module adds the public
entry point and the figure. ``E_1`` is the lowest level outside the ground manifold of ``H_P``
(``E_g`` for a ``g``-fold degenerate ground level, as in :func:`hybridxai.analysis.min_gap`),
and ``∂ₛH = H_P - H_D`` for the linear interpolation ``H(s) = (1 - s)·H_D + s·H_P``.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 1.2}, 0.0, "BINARY")
    >>> profile = gap_profile(bqm, num_points=16)
    >>> profile.s.size, bool(profile.min_gap > 0)
    (16, True)
    >>> fig = profile.plot()
    >>> len(fig.axes)
    2

    An adaptive profile puts its points where the gap needs them, and its lowest point is the
    minimum gap as :func:`hybridxai.analysis.min_gap` finds it (``Δ_min = 0.39658352`` here):

    >>> adaptive = gap_profile(bqm, adaptive=True)
    >>> adaptive.s.size, adaptive.info["resolved"], round(adaptive.min_gap, 8)
    (13, True, 0.39658352)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import dimod
from numpy.typing import ArrayLike

from hybridxai._util.progress import ProgressLike
from hybridxai.anneal.conventions import Conventions, GapDefinition
from hybridxai.anneal.gap_points import DEFAULT_PROFILE_POINTS
from hybridxai.anneal.gap_profile import GapProfile, compute_gap_profile
from hybridxai.anneal.spec import DriverScale

__all__ = ["GapProfileResult", "gap_profile"]


@dataclass
class GapProfileResult(GapProfile):
    """A :class:`hybridxai.anneal.gap_profile.GapProfile` that can plot itself.

    Attributes are those of :class:`~hybridxai.anneal.gap_profile.GapProfile`: ``s``,
    ``ground_energies`` (``E_0``), ``excited_energies`` (``E_1``, i.e. ``E_g``), ``gaps``,
    ``couplings`` (``|<1|∂ₛH|0>|``), ``errors``, ``degeneracy``, ``num_qubits``,
    ``driver_scale``, ``driver_coefficient``, ``solver``, ``tol``, ``matvecs``, ``seconds``.
    """

    @classmethod
    def from_profile(cls, profile: GapProfile) -> GapProfileResult:
        """Wrap a computed profile (no copy of its arrays)."""
        return cls(**{f.name: getattr(profile, f.name) for f in fields(GapProfile)})

    def plot(self, path: str | Path | None = None, *, ax: Any = None) -> Any:
        """Plot ``E_0``, ``E_1`` (top) and ``Δ``, ``|<1|∂ₛH|0>|`` (bottom, if computed) against ``s``.

        The lines run to the exact end points ``s = 0`` and ``s = 1``.

        Args:
            path: Write the figure there when given (PNG, or the format the suffix names).
            ax: Draw the bottom panel (gap and matrix element) into this matplotlib ``Axes``,
                or both panels into a pair ``(top, bottom)``, instead of a new figure.

        Returns:
            The matplotlib ``Figure`` (Agg canvas, nothing displayed).
        """
        from hybridxai.analysis.plots import plot_gap_profile

        return plot_gap_profile(self, path=path, ax=ax)


def gap_profile(
    bqm: dimod.BinaryQuadraticModel,
    num_points: int = DEFAULT_PROFILE_POINTS,
    *,
    driver_scale: DriverScale | None = None,
    s: ArrayLike | None = None,
    solver: str = "auto",
    tol: float = 1e-10,
    max_memory_bytes: int | None = None,
    seed: int = 0,
    conventions: Conventions = "hybridxai",
    gap: GapDefinition | None = None,
    adaptive: bool = False,
    rtol: float | None = None,
    matrix_elements: bool = True,
    progress: ProgressLike = None,
) -> GapProfileResult:
    """``E_0(s)``, ``E_1(s)``, the gap ``Δ(s)`` and ``|<1|∂ₛH|0>|`` on a grid of ``s``.

    Args:
        bqm: The QUBO (BINARY or SPIN; qubit ``i`` = ``i``-th variable).
        num_points: Grid size ``N``; the grid is the cell midpoints ``s_i = (i + ½)/N`` (the
            end points are excluded: the levels are degenerate there). With ``adaptive=True``
            the most points.
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (the authors' code) or a number
            (default: the preset's).
        s: Explicit grid in ``(0, 1)`` instead.
        solver: ``"auto"`` (dense ``eigh`` up to 7 qubits, warm-started block Davidson
            above), ``"dense"``, ``"davidson"`` or ``"eigsh"``.
        tol: Accuracy of each eigenvalue (see
            :func:`~hybridxai.anneal.gap_profile.compute_gap_profile` for the matrix element).
        max_memory_bytes: Memory budget (default: 80 % of the available memory).
        seed: Seed of the random fill vectors of the iterative solvers.
        conventions: ``"hybridxai"`` (default) or ``"authors"`` (driver ``(1/d)·ΣX`` and
            ``gap="lowest-two"``; see :class:`hybridxai.anneal.settings.AnnealSpec`).
        gap: ``"manifold"`` (``E_g − E_0``) or ``"lowest-two"`` (``E_1 − E_0``) (default: the
            preset's).
        adaptive: Place the points where the gap needs them (fewer points, each solved only
            as accurately as its gap needs, and the lowest at ``Δ_min`` to ``tol``; see
            :func:`~hybridxai.anneal.gap_profile.compute_gap_profile`) instead of on the grid.
        rtol: With ``adaptive=True``, the largest relative error of the gap read off the
            straight line between two points (estimated; ``info["interpolation_error"]``);
            default 1e-2. Refused without ``adaptive=True``, where it would be ignored.
        matrix_elements: Also compute ``|<1|∂ₛH|0>|`` (the default); ``False``: the gap only,
            ``couplings`` NaN, in about two thirds of the time at d = 20–24 (see
            :func:`~hybridxai.anneal.gap_profile.compute_gap_profile`).
        progress: Draw a progress bar of the points solved, with the last one's ``s``, gap and
            the products ``H(s)·v`` so far: ``True``, ``False``, ``None`` (the default: from
            :data:`~hybridxai.anneal.operators.PROGRESS_MIN_QUBITS` = 20 qubits on, where a
            profile takes seconds to minutes) or a tqdm-compatible class to draw it with.

    Returns:
        A :class:`GapProfileResult` with ``.plot(path=None)``; ``info`` records the conventions.

    Raises:
        InvalidArgumentError: For a bad argument (named in the message), or a constant ``H_P``.
        ProblemTooLargeError: When ``2**d`` vectors do not fit in memory.
    """
    return GapProfileResult.from_profile(compute_gap_profile(
        bqm, num_points, driver_scale=driver_scale, s=s, solver=solver, tol=tol,
        max_memory_bytes=max_memory_bytes, seed=seed, conventions=conventions, gap=gap,
        adaptive=adaptive, rtol=rtol, matrix_elements=matrix_elements, progress=progress,
    ))
