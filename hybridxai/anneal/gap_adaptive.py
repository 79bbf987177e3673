"""Adaptively placed points of a gap profile: where ``Δ`` needs them, the lowest at ``Δ_min``.

:func:`adaptive_points` is ``compute_gap_profile(..., adaptive=True)``
(:mod:`hybridxai.anneal.gap_profile`). From the exact end points with their perturbative
slopes (:func:`hybridxai.anneal.gap_endpoints.exact_end_points`) and the midpoints of
:data:`_ADAPTIVE_START` cells swept from ``s = 1``, it bisects, one point at a time, the
interval whose straight line is worst (:func:`hybridxai.anneal.gap_points.interval_error`,
the largest distance between the chord and the cubic Hermite interpolant from the
Hellmann–Feynman slopes) until every interval is within
``max(rtol·Δ, tol)``; last, it solves the lowest point and its two neighbours to ``tol`` and
refines the lowest point at the minimum of the Hermite cubic beside it
(:func:`hybridxai.anneal.gap_points.hermite_minimum`) until that predicts no gap lower by more
than ``tol``; where the tangents of its neighbours still leave more than ``tol`` open below it
(a kink, :func:`hybridxai.anneal.gap_points.tangent_lower_bound`), a point where they meet
probes the cubic, and the search goes on until a probe confirms the cubic or finds nothing
lower. Another well may lie elsewhere, below the lowest point: every interval is bounded from
its two points (:func:`hybridxai.anneal.gap_points.interval_dip`: where the tangents meet
below a V, or the lower tangent where ``Δ`` changes branch between the points, a W), and
the lowest bound below the lowest point is looked into (its ends solved to ``tol`` first)
until none is (branch and bound; docs/benchmarks.md, seventeenth round: 667 of 1500 random
W's ended over 2·tol above the lower tip before, resolved, none since). Every other point is
solved to ``max(tol, rtol·Δ/100)`` (docs/benchmarks.md, eighth and ninth rounds), with ``Δ``
first predicted by the Hermite cubic between its neighbours
(:func:`hybridxai.anneal.gap_points.hermite_value`; in the first sweep, between ``s = 0`` and
the last point) and the point solved again if it comes out lower
(docs/benchmarks.md, fifteenth round: the smaller neighbouring gap, used before, asked for
over 100 times the accuracy needed). The lowest point's value is then within about ``2·tol`` of
``Δ_min`` (its own error and the stopping margin); a solver whose every answer is off by its
whole tolerance leaves it at most ``3·tol`` above (``tests/anneal/test_gap_adaptive.py``, V's
included, straight or bent, and W's: two wells a short way apart, the lower one found). Where
the solver cannot reach ``tol`` (below its rounding floor, e.g. ``tol=1e-12`` with dense
``eigh``), the minimum is still refined, to the accuracy it reached, and the profile is reported unresolved
(docs/benchmarks.md, eleventh round).

The points come from any :class:`PointSolver`: a callable ``(s, tol) -> GapPoint`` with a
``sweep`` flag, which it clears once the points stop coming in order along ``s``.

Example:
    >>> import dimod
    >>> from hybridxai.anneal.gap_profile import compute_gap_profile
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.5}, {(0, 1): 1.2}, 0.0, "BINARY")
    >>> profile = compute_gap_profile(bqm, adaptive=True)
    >>> profile.info["grid"], profile.info["resolved"]
    ('adaptive', True)
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from hybridxai._util.checks import check_flag
from hybridxai.anneal.gap_points import (
    DEFAULT_PROFILE_POINTS,
    GapPoint,
    hermite_minimum,
    hermite_value,
    interval_dip,
    interval_error,
    profile_grid,
    tangent_lower_bound,
)
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["PointSolver", "adaptive_points", "check_adaptive", "DEFAULT_PROFILE_RTOL"]

DEFAULT_PROFILE_RTOL = 1e-2
"""Relative interpolation error of an adaptive profile's gap unless told otherwise."""

_ADAPTIVE_START = 4  # cell midpoints an adaptive profile sweeps first (docs/benchmarks.md, eighth round)
_KINK_MISS = 0.1  # a miss of the cubic this share of what the tangents leave open is a kink
_ADAPTIVE_ACCURACY = 0.01  # an adaptive profile solves a point's gap to 1 % of rtol·Δ (at least tol)


class PointSolver(Protocol):
    """What :func:`adaptive_points` needs to solve one point.

    :class:`hybridxai.anneal.gap_profile.GapTracker` is one.
    """

    sweep: bool
    """Whether the points come in order along ``s`` (cleared once refinement begins)."""

    def __call__(self, s: float, tol: float) -> GapPoint:
        """``Δ(s)`` with an error of at most ``tol``."""
        ...


def adaptive_points(tracker: PointSolver, ends: tuple[GapPoint, GapPoint], rtol: float, tol: float,
                    max_points: int, starts: ArrayLike | None = None) -> tuple[list[GapPoint], float, bool]:
    """The points of an adaptive profile (the module docstring says how they are placed).

    Args:
        tracker: Solves ``Δ`` at one ``s`` (a :class:`hybridxai.anneal.gap_profile.GapTracker`).
        ends: The exact points at ``s = 0`` and ``s = 1``
            (:func:`hybridxai.anneal.gap_endpoints.exact_end_points`).
        rtol: Largest estimated relative error of a straight line between two points.
        tol: Absolute accuracy of the lowest point (and the floor of every target).
        max_points: The most points solved (re-solving a point does not count).
        starts: The points solved first, in a sweep from ``s = 1`` (values in ``(0, 1)``; at
            most ``max_points`` of them, the largest); default: the midpoints of
            ``min(_ADAPTIVE_START, max_points)`` cells
            (docs/benchmarks.md: the eighth round chose 4 cells over 8; the ninth measured
            start points placed by the driver-to-problem energy ratio and kept these).

    Returns:
        The points in ascending ``s``; the largest estimated relative error of a straight line
        left (:func:`~hybridxai.anneal.gap_points.interval_error` over the smaller gap of the
        interval's ends, or over ``tol / rtol`` if that is larger); whether every target was met
        within ``max_points``.
    """
    def accuracy(gap: float) -> float:
        return max(tol, _ADAPTIVE_ACCURACY * rtol * gap)

    def solve(s: float, estimate: float) -> GapPoint:
        point = tracker(s, accuracy(estimate))
        if point.error > accuracy(point.gap):  # the gap came out lower than predicted: tighten,
            # to what the lowest gap it may have asks for (a guess far too high, the review)
            point = tracker(s, accuracy(max(point.gap - point.error, 0.0)))
        return point

    start, end = ends
    points: dict[float, GapPoint] = {}
    previous = end
    if starts is None:
        first = profile_grid(min(_ADAPTIVE_START, max_points))
    else:
        first = profile_grid(s=starts, name="starts")
    for value in first[::-1][:max_points]:  # a sweep from s = 1
        # the cubic from s = 0 to the last point; without slopes, the tangent (at least half
        # the last gap) or the last gap
        estimate = predicted_gap(start, previous, float(value))
        if not estimate > 0.0:
            estimate = previous.gap
            if math.isfinite(previous.slope):
                estimate = max(0.5 * previous.gap,
                               previous.gap + previous.slope * (value - previous.s))
        previous = points[float(value)] = solve(float(value), estimate)
    tracker.sweep = False  # refinements come in no order along s: start from the points around

    def relative_error(a: GapPoint, b: GapPoint) -> float:
        """The interval's estimated error relative to its smaller gap (at least ``tol / rtol``)."""
        reference = min((x.gap for x in (a, b) if x.gap > 0.0), default=0.0)
        return interval_error(a, b) / max(reference, tol / rtol)

    tightened: set[float] = set()  # points already re-solved to tol (a solver's floor may be above)
    floor = 0.0  # the accuracy the solver reached where it could not reach tol (0: it could)
    # whether a probe at the tangents' meeting settled the minimum (below): it came out where
    # the cubic beside it said (a smooth minimum, where the cubics can be trusted), or no lower
    # than the lowest point (the tangents, e.g. from slopes off by more than they claim, promise
    # more than is there). Looking into another well (below) unsettles it: its minimum is
    # probed anew (a W's lower well, after the other one's probe had settled: 59·tol above its
    # tip, resolved; docs/benchmarks.md, seventeenth round)
    settled = False
    probe: tuple[float, float, float, float] | None = None  # pending: s, cubic, margin, lowest gap

    def tighten(candidates: list[GapPoint]) -> bool:
        """Re-solve to ``tol`` (once each) the solved candidates above it; whether any was."""
        loose = [x for x in candidates if x.s in points and x.error > tol and x.s not in tightened]
        for x in loose:
            tightened.add(x.s)
            points[x.s] = tracker(x.s, tol)
        return bool(loose)

    while True:
        nodes = [start, *(points[s] for s in sorted(points)), end]
        errors = [relative_error(a, b) for a, b in zip(nodes[:-1], nodes[1:], strict=True)]
        worst = max(errors)
        target: tuple[float, float] | None = None
        if worst > rtol:  # bisect the interval whose straight line is worst
            i = int(np.argmax(errors))
            middle = 0.5 * (nodes[i].s + nodes[i + 1].s)
            if middle in (nodes[i].s, nodes[i + 1].s):  # one float wide: nothing left to bisect
                return [points[s] for s in sorted(points)], worst, False
            # the cubic's prediction; without it, the smaller end
            guess = predicted_gap(nodes[i], nodes[i + 1], middle)
            target = (middle, guess if guess > 0.0 else min(nodes[i].gap, nodes[i + 1].gap))
        else:  # the shape is resolved: find the minimum to tol
            best = min(points.values(), key=lambda p: (p.gap, -p.s))
            if tighten([best]):
                continue
            i = nodes.index(best)
            # the cubics beside the lowest point are only as good as its neighbours: a
            # neighbour solved to rtol·Δ/100 can hide a lower minimum (docs/benchmarks.md, ninth round)
            around = [nodes[i - 1], best, nodes[i + 1]]
            if tighten(around):
                continue
            # a solver that cannot reach tol there (below its rounding floor) still has the
            # minimum refined, to the accuracy it reached; the profile then says it is unresolved
            floor = max([floor] + [x.error for x in around if x.error > tol])
            # another well below the lowest point, which the cubics beside it do not see: of
            # another branch (a W), or a V elsewhere (branch and bound over the intervals; the
            # two beside the lowest point are the cubics' and the probe's below unless they
            # change branch). Its ends are solved to tol first.
            reach = max(tol, floor)
            dips = []
            for k, (a, b) in enumerate(zip(nodes[:-1], nodes[1:], strict=True)):
                # the values as given, and, where an end is loose, allowing for its errors: a
                # loose end that came out high hides a dip from the first, and a switch can
                # pass as concave within the errors of the second (the review)
                for errors in (False, True) if max(a.error, b.error) > tol else (False,):
                    bound, where, switch = interval_dip(a, b, errors=errors)
                    if bound < best.gap - reach and math.isfinite(where) and (switch or k not in (i - 1, i)):
                        dips.append((bound, k))
                        break
            retighten = False
            for _, j in sorted(dips):
                a, b = nodes[j], nodes[j + 1]
                if tighten([a, b]):
                    retighten = True
                    break
                bound, where, switch = interval_dip(a, b)
                if bound < best.gap - reach and math.isfinite(where):
                    inset = 1e-3 * (b.s - a.s)  # strictly inside
                    where = min(max(where, a.s + inset), b.s - inset)
                    if where in (a.s, b.s) or where in points:
                        return [points[s] for s in sorted(points)], worst, False  # no room left
                    cubic = predicted_gap(a, b, where)
                    target = (where, cubic if cubic > bound else max(bound, best.gap))
                    settled = False
                    break
            if retighten:
                continue
            for a, b in ((nodes[i - 1], best), (best, nodes[i + 1])) if target is None else ():
                if not (math.isfinite(a.slope) and math.isfinite(b.slope)):
                    continue
                s_min, predicted = hermite_minimum(a, b)
                margin = 1e-3 * (b.s - a.s)  # strictly inside, away from both points
                s_min = min(max(s_min, a.s + margin), b.s - margin)
                if best.gap - predicted > max(tol, floor) and s_min not in points:
                    target = (s_min, predicted)
                    break
            else:  # the cubics see nothing lower. At a kink (E_g passing from one sector's
                # level to another's) they stay above its tip, where the tangents meet: 3.7·tol
                # above, resolved, at a V of flip_symmetric_qubo(5, 0) (docs/benchmarks.md,
                # fifteenth round). A kink shows as a point the cubic between its neighbours
                # misses by as much as the tangents leave open; at a smooth minimum the miss
                # is of higher order. The lowest point is such a test for free, but not where
                # a neighbour on the same arm sits close to it (an asymmetric V then ended up
                # to 57·tol above its tip, resolved; docs/benchmarks.md, sixteenth round): so
                # one point at the tangents' meeting probes the cubic there. While the tangents
                # leave more than tol open, only a probe settles the minimum: one the cubic
                # predicted (smooth) or one no lower than the lowest point (the tangents promised
                # more than is there: slopes off by more than they claim). At smooth minima that
                # is one point more per profile (+2.1 to 3.4 % products; docs/benchmarks.md, sixteenth round)
                miss = abs(hermite_value(around[0], around[2], best.s) - best.gap)
                bound, s_bound = tangent_lower_bound(*around)
                if not math.isfinite(bound):  # no bound (not convex there), but a probe needs none:
                    # where the tangents of the lowest point and of its neighbour across the
                    # minimum meet (a slightly concave arm, the review, docs/benchmarks.md,
                    # sixteenth round)
                    far = around[2] if best.slope < 0 else around[0]
                    lo, hi = (best, far) if far is around[2] else (far, best)
                    if lo.slope < 0 < hi.slope:
                        s_meet = (hi.gap - lo.gap + lo.slope * lo.s - hi.slope * hi.s) / (lo.slope - hi.slope)
                        s_meet = min(max(s_meet, lo.s), hi.s)
                        bound = lo.gap + lo.slope * (s_meet - lo.s) - lo.error - hi.error
                        s_bound = s_meet
                open_by = best.gap - bound
                limit = max(tol, floor, _KINK_MISS * open_by)
                # (a for-else over no pair, when a dip above set the target, comes here too)
                if (target is None and math.isfinite(bound) and open_by > max(tol, floor)
                        and (miss > limit or not settled)):
                    margin = 1e-3 * (around[2].s - around[0].s)
                    s_bound = min(max(s_bound, around[0].s + margin), around[2].s - margin)
                    if s_bound not in points:
                        beside = around[:2] if s_bound < best.s else around[1:]
                        cubic = hermite_value(*beside, s_bound)
                        # solved to what the cubic predicts there, as any other point
                        target = (s_bound, cubic if cubic > bound else bound)
                        probe = (s_bound, cubic, limit, best.gap)
        if target is None:
            return [points[s] for s in sorted(points)], worst, floor == 0.0
        if len(points) >= max_points:
            return [points[s] for s in sorted(points)], worst, False
        s, estimate = target
        points[s] = solve(s, estimate)
        if probe is not None and probe[0] == s:
            gap, error = points[s].gap, points[s].error
            settled = (settled or abs(gap - probe[1]) <= probe[2] + error
                       or gap - error >= probe[3] - max(tol, floor))
        probe = None


def predicted_gap(a: GapPoint, b: GapPoint, s: float) -> float:
    """The gap a new point at ``s`` is expected to have, from its neighbours ``a`` and ``b``.

    The Hermite cubic between them there, not above the larger of their gaps (NaN without
    both slopes). It sets the accuracy the point is first solved to (docs/benchmarks.md,
    fifteenth round).

    Example:
        >>> a = GapPoint(0.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0)
        >>> predicted_gap(a, GapPoint(1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0), 0.5)  # a dip
        0.5
        >>> bump = GapPoint(0.0, 1.0, 4.0, 0.0, 0.0, 0.0, 1.0)
        >>> predicted_gap(bump, GapPoint(1.0, 1.0, -4.0, 0.0, 0.0, 0.0, 1.0), 0.5)  # cubic: 2
        1.0
    """
    return min(hermite_value(a, b, s), max(a.gap, b.gap))


def check_adaptive(adaptive: bool, rtol: float | None, num_points: int, s: ArrayLike | None) -> float:
    """Check ``adaptive`` and, for an adaptive profile, ``rtol``, ``num_points`` and ``s``.

    Args:
        adaptive: ``compute_gap_profile``'s ``adaptive``.
        rtol: Its ``rtol``, in ``(0, 0.5]``; ``None``: :data:`DEFAULT_PROFILE_RTOL`. Only an
            adaptive profile uses it, so a grid profile refuses one (it would be ignored).
        num_points: Its ``num_points``, the most points: an integer of at least 4.
        s: Its explicit grid, which must be ``None`` with ``adaptive=True``.

    Returns:
        The ``rtol`` to use.

    Raises:
        InvalidTypeError: For an ``adaptive`` that is not a bool or an ``rtol`` that is not a number.
        InvalidArgumentError: For an ``rtol``, ``num_points`` or ``s`` out of range, or an
            ``rtol`` without ``adaptive=True``.

    Example:
        >>> check_adaptive(True, None, 64, None)
        0.01
        >>> check_adaptive(True, 0.0, 64, None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidArgumentError: rtol=0.0 is invalid: must lie in (0, 0.5]...
        >>> check_adaptive(False, 1e-3, 64, None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidArgumentError: rtol=0.001 is invalid: only an adaptive profile...
    """
    check_flag("adaptive", adaptive, "pass adaptive=True")
    if rtol is not None and (isinstance(rtol, bool)
                             or not isinstance(rtol, (int, float, np.integer, np.floating))):
        raise invalid_type("rtol", rtol, "a number in (0, 0.5]", f"pass e.g. rtol={DEFAULT_PROFILE_RTOL:g}")
    if not adaptive:
        if rtol is not None:
            raise invalid_argument(
                "rtol", rtol, "only an adaptive profile places points by it; a grid profile "
                "would ignore it", "pass adaptive=True as well, or leave rtol out (tol sets the "
                "accuracy of each point of a grid profile)")
        return DEFAULT_PROFILE_RTOL
    if rtol is None:
        rtol = DEFAULT_PROFILE_RTOL
    if s is not None:
        raise invalid_argument("s", s, "an explicit grid cannot be combined with adaptive=True",
                               "pass either s=[...] or adaptive=True")
    if not (math.isfinite(rtol) and 0.0 < rtol <= 0.5):
        raise invalid_argument("rtol", rtol, "must lie in (0, 0.5]",
                               f"pass e.g. rtol={DEFAULT_PROFILE_RTOL:g}")
    if isinstance(num_points, bool) or not isinstance(num_points, (int, np.integer)) or num_points < 4:
        raise invalid_argument("num_points", num_points,
                               "an adaptive profile needs an integer >= 4 (the most points)",
                               f"pass e.g. num_points={DEFAULT_PROFILE_POINTS}")
    return float(rtol)
