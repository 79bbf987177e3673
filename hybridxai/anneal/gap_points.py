"""Points of a gap profile: one ``Δ(s)`` with its slope, where they lie, and the cubic between two.

A :class:`GapPoint` is what :class:`hybridxai.anneal.gap_profile.GapTracker` learns at one
``s``: the gap, its Hellmann–Feynman slope and their errors. Two neighbouring points define
the cubic Hermite interpolant of ``Δ`` between them; :func:`interval_error` estimates how far
the straight line between them is from it, :func:`hermite_minimum` finds its lowest
value and :func:`hermite_value` its value at one ``s``; :func:`tangent_lower_bound` bounds
``Δ`` from below on an interval around a minimum, kinks included, where the cubic does not.
The adaptive profile (:mod:`hybridxai.anneal.gap_adaptive`) places its points with these;
``min_gap`` (:mod:`hybridxai.analysis.gap`) refines with the bound too and records its
evaluations as :class:`GapPoint`; :func:`profile_grid` gives the fixed grid of an ordinary
profile.

Example:
    >>> a = GapPoint(0.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0)
    >>> b = GapPoint(1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0)
    >>> interval_error(a, b)  # a parabola: largest at the middle, h/8·|Δ'(a) − Δ'(b)|
    0.5
    >>> profile_grid(2).tolist()
    [0.25, 0.75]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicHermiteSpline

from hybridxai._util.memory import check_count_memory
from hybridxai.anneal.operators import check_s
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["GapPoint", "profile_grid", "s_values", "interval_error", "hermite_minimum",
           "hermite_value", "tangent_lower_bound", "interval_dip", "DEFAULT_PROFILE_POINTS"]

DEFAULT_PROFILE_POINTS = 64
"""Grid points of a gap profile unless told otherwise (with ``adaptive=True``: the most points)."""

_BYTES_PER_POINT = 512
"""Memory per point of a profile (its :class:`GapPoint`, the tracker's entry and the result's
arrays): what an absurd ``num_points`` is checked against before the grid is built."""

_EPS = 8 * float(np.finfo(np.float64).eps)  # relative rounding of a gap or a slope


@dataclass
class GapPoint:
    """``Δ(s)`` at one ``s`` and what was learnt computing it.

    Attributes:
        s: The annealing parameter.
        gap: ``E_g - E_0``.
        slope: ``dΔ/ds`` (Hellmann–Feynman; NaN where unknown).
        slope_error: Rough bound on the error of ``slope``.
        error: Estimated absolute error of ``gap``.
        e0: ``E_0(s)``.
        eg: ``E_g(s)``.
        coupling: ``|<g|∂ₛH|0>|`` (NaN unless the tracker computes couplings).
    """

    s: float
    gap: float
    slope: float
    slope_error: float
    error: float
    e0: float
    eg: float
    coupling: float = math.nan


def s_values(s: ArrayLike, name: str, example: str) -> NDArray[np.float64]:
    """``s`` as a flat float64 array, refusing text (``"0.5"``, ``b"0.5"``), bools and other types.

    Args:
        s: The values given.
        name: The argument that passed them, for error messages.
        example: What to pass instead, for error messages.

    Raises:
        InvalidTypeError: For text, bools, or values that are not int or float numbers.

    Example:
        >>> s_values([0.5, 0.25], "s", "values in (0, 1)").tolist()
        [0.5, 0.25]
    """
    items = np.asarray(s, dtype=object).ravel()
    if not all(isinstance(x, (int, float, np.integer, np.floating))
               and not isinstance(x, (bool, np.bool_)) for x in items):
        raise invalid_type(name, s, "int or float numbers (not text, bools or other types)",
                           f"pass {example}")
    return np.asarray(s, dtype=np.float64).ravel()


def profile_grid(num_points: int = DEFAULT_PROFILE_POINTS, s: ArrayLike | None = None, *,
                 name: str = "s") -> NDArray[np.float64]:
    """The validated ``s`` grid of a profile: explicit values, or the ``num_points`` cell midpoints.

    Args:
        num_points: ``N`` (at least 2), used when ``s`` is not given.
        s: Explicit values in the open interval ``(0, 1)``.
        name: The argument that passed ``s``, for error messages.

    Returns:
        Ascending, distinct values in ``(0, 1)``.

    Example:
        >>> profile_grid(4).tolist()
        [0.125, 0.375, 0.625, 0.875]
    """
    if s is None:
        if isinstance(num_points, bool) or not isinstance(num_points, (int, np.integer)):
            raise invalid_type("num_points", num_points, "an integer >= 2", "pass e.g. num_points=64")
        if num_points < 2:
            raise invalid_argument("num_points", num_points, "needs at least 2 grid points",
                                   f"pass e.g. num_points={DEFAULT_PROFILE_POINTS}")
        check_count_memory("num_points", num_points, int(num_points), _BYTES_PER_POINT,
                           "profile points", f"pass e.g. num_points={DEFAULT_PROFILE_POINTS}, or "
                           "adaptive=True to place the points where the gap needs them")
        return (np.arange(int(num_points)) + 0.5) / int(num_points)
    grid = s_values(s, name, f"values in (0, 1), e.g. {name}=[0.25, 0.5, 0.75]")
    if grid.size == 0:
        raise invalid_argument(name, s, "is empty", f"pass values in (0, 1), e.g. {name}=[0.25, 0.5, 0.75]")
    for value in grid:
        check_s(float(value), name)
        if value in (0.0, 1.0):
            raise invalid_argument(
                name, float(value),
                "the end points are excluded: the levels of H_D (s = 0) and H_P (s = 1) are "
                "degenerate there, so the matrix element is not defined",
                "pass values strictly between 0 and 1",
            )
    return np.unique(grid)


def interval_error(a: GapPoint, b: GapPoint) -> float:
    """Estimated error of the straight line between two gap points.

    With both slopes known it is the largest distance between the chord and the cubic Hermite
    interpolant on the interval: with ``h = b − a``, the chord's slope ``c`` and
    ``p = Δ'(a) − c``, ``q = Δ'(b) − c``, that distance is ``h·t(1 − t)·|p − (p + q)·t|`` at
    ``a + t·h``. For a smooth ``Δ`` its maximum lies near the midpoint, ``h/8·|Δ'(a) − Δ'(b)|``
    (``h²/8·|Δ''|``, the leading error of linear interpolation); where the end slopes agree
    but the chord does not (``Δ`` rises at both ends and falls in between), it lies near a
    quarter point, which the midpoint alone misses (an adaptive profile of a 16-fold
    degenerate problem stopped 18 % above its minimum; docs/benchmarks.md, twelfth round).
    With one slope known it is that of the quadratic through it,
    ``h/4·|Δ' − (Δ(b) − Δ(a))/h|``; with none, infinite.

    Example:
        >>> a = GapPoint(0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 1.0)
        >>> b = GapPoint(0.5, 0.5, 1.0, 0.0, 0.0, 0.0, 0.5)
        >>> round(interval_error(a, b), 6)  # 4/27, at t = 2/3 (the midpoint: 0.125)
        0.148148
        >>> c = GapPoint(0.5, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0)  # equal slopes, a flat chord
        >>> round(interval_error(GapPoint(0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0), c), 6)
        0.048113
    """
    h = b.s - a.s
    known = [x for x in (a.slope, b.slope) if math.isfinite(x)]
    if len(known) == 2:
        chord = (b.gap - a.gap) / h
        p, q = a.slope - chord, b.slope - chord
        # the distance's stationary points: roots of p − 2(2p + q)t + 3(p + q)t² in (0, 1)
        places = [0.5, *(float(r.real) for r in np.roots([3.0 * (p + q), -2.0 * (2.0 * p + q), p])
                         if abs(r.imag) <= 1e-12 and 0.0 < r.real < 1.0)]
        return max(h * abs(t * (1.0 - t) * (p - (p + q) * t)) for t in places)
    if known:
        return h / 4.0 * abs(known[0] - (b.gap - a.gap) / h)
    return math.inf


def hermite_minimum(a: GapPoint, b: GapPoint) -> tuple[float, float]:
    """Where the cubic Hermite interpolant of ``Δ`` on ``[a.s, b.s]`` is lowest, and its value.

    Both slopes must be finite (:class:`scipy.interpolate.CubicHermiteSpline`).

    Example:
        >>> a = GapPoint(0.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0)
        >>> b = GapPoint(1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0)
        >>> [round(v, 6) for v in hermite_minimum(a, b)]
        [0.5, 0.5]
    """
    spline = _hermite(a, b)
    roots = spline.derivative().roots(extrapolate=False)
    # a derivative that vanishes on the whole interval (a constant) reports NaN as its root
    candidates = np.concatenate([[a.s, b.s], roots[np.isfinite(roots)]])
    values = spline(candidates)
    best = int(np.argmin(values))
    return float(candidates[best]), float(values[best])


def hermite_value(a: GapPoint, b: GapPoint, s: float) -> float:
    """The cubic Hermite interpolant of ``Δ`` on ``[a.s, b.s]`` at ``s``; NaN without both slopes.

    An adaptive profile predicts a new point's gap by it, to set the accuracy the point is
    solved to (:mod:`hybridxai.anneal.gap_adaptive`).

    Example:
        >>> a = GapPoint(0.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0)
        >>> b = GapPoint(1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0)
        >>> hermite_value(a, b, 0.5), hermite_value(a, b, 1.0)
        (0.5, 1.0)
        >>> hermite_value(a, GapPoint(1.0, 1.0, float("nan"), 0.0, 0.0, 0.0, 1.0), 0.5)
        nan
    """
    if not (math.isfinite(a.slope) and math.isfinite(b.slope)):
        return math.nan
    return float(_hermite(a, b)(s))


def _hermite(a: GapPoint, b: GapPoint) -> CubicHermiteSpline:
    """The cubic through both points with their slopes (both finite)."""
    return CubicHermiteSpline([a.s, b.s], [a.gap, b.gap], [a.slope, b.slope])


def tangent_lower_bound(pa: GapPoint, px: GapPoint, pb: GapPoint) -> tuple[float, float]:
    """A lower bound of ``Δ`` on ``[a, b]`` from the tangents at both ends, and where it lies.

    The slopes are widened by their error bounds. Valid for a convex ``Δ`` (as it is close
    enough to a minimum, kinks included: there the tangents meet at the kink, where a cubic
    through both points stays above it); ``-inf`` unless the three points are consistent with
    convexity: the slopes at ``a < x < b`` increase (within their errors), and no point's
    tangent passes above another point's value (allowing for the errors). The slopes alone are
    not enough: at a
    sharp avoided crossing ``Δ`` is convex near its minimum but concave beyond it, and the
    tangent at ``b`` then passes far above ``Δ(x)`` (``chelsea``, d = 18: a "bound" of 0.0325
    against the true minimum 0.02998; docs/benchmarks.md, eighth round).

    Returns:
        The bound, and the ``s`` in ``[a, b]`` where the two tangents meet (NaN with no bound).

    Example:
        >>> v = [GapPoint(s, abs(s - 0.5) + 0.1, 1.0 if s > 0.5 else -1.0, 0.0, 1e-12, 0.0, 0.0)
        ...      for s in (0.3, 0.45, 0.6)]  # a V with its tip at 0.5
        >>> [round(x, 9) for x in tangent_lower_bound(*v)]
        [0.1, 0.5]
    """
    da = pa.slope - pa.slope_error
    db = pb.slope + pb.slope_error
    if not (math.isfinite(da) and math.isfinite(db) and math.isfinite(px.slope)) or da >= 0 or db <= 0:
        return -math.inf, math.nan
    if not (pa.slope - pa.slope_error <= px.slope + px.slope_error
            and px.slope - px.slope_error <= pb.slope + pb.slope_error):  # within their errors
        return -math.inf, math.nan
    trio = (pa, px, pb)
    for p in trio:
        for q in trio:
            reach = abs(q.s - p.s)
            if q is not p and (p.gap + p.slope * (q.s - p.s) - reach * p.slope_error
                               > q.gap + p.error + q.error):
                return -math.inf, math.nan  # a tangent above another point: not convex on [a, b]
    return _tangents_meet(pa, pb, da, db, pa.error + pb.error)


def _tangents_meet(a: GapPoint, b: GapPoint, da: float, db: float, errors: float) -> tuple[float, float]:
    """Where the lines of slopes ``da < 0 < db`` through ``a`` and ``b`` meet, and their value.

    The place is kept inside ``[a, b]``; the value is less ``errors``.
    """
    x = (b.gap - a.gap + da * a.s - db * b.s) / (da - db)
    x = min(max(x, a.s), b.s)
    return min(a.gap + da * (x - a.s), b.gap + db * (x - b.s)) - errors, x


def interval_dip(a: GapPoint, b: GapPoint, *, errors: bool = True) -> tuple[float, float, bool]:
    """How low ``Δ`` may fall between ``a < b``, where, and whether it changes branch there.

    On a piece that is convex (concave) between two points the chord's slope lies between the
    slopes at its ends, the smaller (larger) first. Where it lies outside both ranges (the
    slopes widened by their errors, the chord by the gaps' errors) ``Δ`` changes branch
    between them: its level ``E_g`` is another one at ``b`` than at ``a``, as where two kinks
    lie close together (a W). Each branch lies above its tangents (convex near its minimum),
    so ``Δ`` may then fall as low as the lower of the two tangents anywhere on ``[a, b]``;
    the middle is the place to look. Where a convex piece fits and the slopes change sign,
    the bound is where the tangents meet (a V's tip, or below a smooth minimum); elsewhere
    ``Δ`` is monotone or concave between the points, and the lower end is the bound (NaN
    place). With ``errors=False`` the values and slopes count as exact (whether solving the
    points more accurately could show a dip). An adaptive profile looks into every
    interval whose bound lies below its lowest point
    (:func:`hybridxai.anneal.gap_adaptive.adaptive_points`; docs/benchmarks.md, seventeenth round).

    Returns:
        The bound, where to look (NaN: nowhere), and whether ``Δ`` changes branch.

    Example:
        >>> a = GapPoint(0.4, 1.5, 3.0, 0.0, 0.0, 0.0, 1.5)  # rising
        >>> b = GapPoint(0.5, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0)  # rising, yet lower: a well between
        >>> bound, where, switch = interval_dip(a, b)  # b's tangent at s = 0.4; the middle
        >>> round(bound, 12), round(where, 12), switch
        (0.8, 0.45, True)
        >>> interval_dip(a, GapPoint(0.5, 1.8, 2.0, 0.0, 0.0, 0.0, 1.8))  # concave: rises
        (1.5, nan, False)
    """
    width = b.s - a.s
    lower = min(a.gap - (a.error if errors else 0.0), b.gap - (b.error if errors else 0.0))
    if not (width > 0.0 and math.isfinite(a.slope) and math.isfinite(b.slope)):
        return lower, math.nan, False
    ea, eb, sa, sb = (a.error, b.error, a.slope_error, b.slope_error) if errors else (0.0,) * 4
    chord = (b.gap - a.gap) / width
    # and the rounding of the chord and the slopes (a straight arm's chord is its slope)
    slack = (ea + eb + _EPS * (abs(a.gap) + abs(b.gap))) / width + _EPS * max(abs(a.slope), abs(b.slope))
    convex = a.slope - sa - slack <= chord <= b.slope + sb + slack
    concave = b.slope - sb - slack <= chord <= a.slope + sa + slack
    if not (convex or concave):
        tangents = min(a.gap - ea + (a.slope - sa) * width,  # a's tangent at b
                       b.gap - eb - (b.slope + sb) * width)  # b's tangent at a
        return min(lower, tangents), 0.5 * (a.s + b.s), True
    if convex and a.slope - sa < 0.0 < b.slope + sb:
        bound, x = _tangents_meet(a, b, a.slope - sa, b.slope + sb, ea + eb)
        return min(bound, lower), x, False
    return lower, math.nan, False

