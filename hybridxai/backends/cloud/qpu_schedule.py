"""D-Wave ``anneal_schedule``: checked against the solver's limits, or built from a gap-aware schedule.

A QPU anneal schedule is a list of ``[t, s]`` points (``t`` in µs, ``s`` the normalised anneal
fraction) joined by straight lines. :func:`check_anneal_schedule` refuses, before anything is sent
to the QPU, a schedule the solver would reject (or silently misread): fewer than two or more than
``max_anneal_schedule_points`` points, a first point other than ``t = 0``, times that do not
increase, ``s`` outside ``[0, 1]``, a last point other than ``s = 1``, a forward anneal whose ``s``
falls, an end time beyond ``annealing_time_range``, or a segment steeper than
``1 / min(annealing_time_range)`` per µs. The solver-dependent rules are those of Ocean's
``DWaveSampler.validate_anneal_schedule``, which runs on the solver's own properties (a
``MockDWaveSampler`` publishes the same ones); a reverse anneal (first point ``s = 1``) needs an
``initial_state``.

:func:`qpu_schedule` turns any annealing schedule ``s(u)`` of :mod:`hybridxai.anneal.schedules`
(e.g. the gap-aware ``"local-adiabatic"`` one, built from the gap profile of the problem) into
such a list for an anneal of ``total_time`` µs: a piecewise-linear fit with at most
``max_anneal_schedule_points`` points (knots added greedily where the fit is worst), whose
segments are then slowed, where needed, to the solver's maximum slope (the time is taken from the
flattest segments, so the total stays ``total_time``).

The gap profile is that of ``H(s) = (1 − s)·H_D + s·H_P`` for the logical problem (unit driver),
the model every hybridxai annealer shares; the QPU's own ``A(s)``, ``B(s)`` and the embedding's
chains differ, so on hardware the schedule is a problem-informed guide, not a guarantee.

Example:
    >>> from hybridxai.anneal.schedules import pause_schedule
    >>> limits = {"annealing_time_range": [0.5, 2000.0], "max_anneal_schedule_points": 12}
    >>> qpu_schedule(pause_schedule(0.5, 0.5), 20.0, limits)
    [[0.0, 0.0], [5.0, 0.5], [15.0, 0.5], [20.0, 1.0]]
    >>> check_anneal_schedule([[0, 0], [10, 0.7], [5, 1]], limits)
    Traceback (most recent call last):
    ...
    hybridxai.exceptions.InvalidArgumentError: anneal_schedule=[[0, 0], [10, 0.7], [5, 1]] is \
invalid: time t must increase from point to point (it falls from 10 to 5 µs). Fix: pass a list \
of [t_µs, s] points starting at [0, 0] and ending at [T, 1] with s non-decreasing, at most 12 \
points, T <= 2000 µs and slopes <= 2 per µs (this solver's limits), or schedule='local-adiabatic' \
to have one built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hybridxai.anneal.schedules import Schedule
from hybridxai.exceptions import InvalidArgumentError, invalid_argument, invalid_type

__all__ = ["check_anneal_schedule", "qpu_schedule", "solver_limits"]

_FIT_POINTS = 4097
_FIT_TOLERANCE = 1e-4  # stop adding knots once the fit is this close everywhere


def solver_limits(properties: Mapping[str, Any]) -> tuple[float, float, int] | None:
    """``(min_anneal_time, max_anneal_time, max_points)`` from solver properties, or ``None``.

    Args:
        properties: The solver's (or mock's) ``properties``.

    Returns:
        The limits, or ``None`` when the solver does not publish ``annealing_time_range`` and
        ``max_anneal_schedule_points``.
    """
    try:
        low, high = (float(x) for x in properties["annealing_time_range"])
        points = int(properties["max_anneal_schedule_points"])
    except (KeyError, TypeError, ValueError):
        return None
    return low, high, points


def _fix(limits: tuple[float, float, int] | None) -> str:
    where = ""
    if limits is not None:
        low, high, points = limits
        where = (f", at most {points} points, T <= {high:g} µs and slopes <= {1 / low:g} per µs "
                 "(this solver's limits)")
    return ("pass a list of [t_µs, s] points starting at [0, 0] and ending at [T, 1] with s "
            f"non-decreasing{where}, or schedule='local-adiabatic' to have one built")


def check_anneal_schedule(schedule: Any, properties: Mapping[str, Any], *,
                          initial_state: Any = None) -> list[list[float]]:
    """Validate a D-Wave ``anneal_schedule`` against the solver's limits, before any QPU call.

    Args:
        schedule: The ``anneal_schedule`` given: a sequence of ``(t_µs, s)`` pairs.
        properties: The solver's ``properties`` (``annealing_time_range``,
            ``max_anneal_schedule_points``); without them only the solver-independent rules are
            checked.
        initial_state: The ``initial_state`` given with it (a reverse anneal needs one).

    Returns:
        The schedule as a list of ``[t, s]`` float pairs.

    Raises:
        InvalidTypeError: Not a sequence of pairs of numbers.
        InvalidArgumentError: It breaks one of the rules in the module docstring.
    """
    limits = solver_limits(properties)
    fix = _fix(limits)
    try:
        points = [list(point) for point in schedule]
    except TypeError:
        raise invalid_type("anneal_schedule", schedule, "a list of [t_µs, s] pairs", fix) from None
    if any(len(point) != 2 or not all(isinstance(x, (int, float, np.integer, np.floating))
                                      and not isinstance(x, bool) for x in point) for point in points):
        raise invalid_type("anneal_schedule", schedule, "a list of [t_µs, s] pairs of numbers", fix)
    points = [[float(t), float(s)] for t, s in points]

    def refuse(problem: str) -> InvalidArgumentError:
        return invalid_argument("anneal_schedule", schedule, problem, fix)

    if not all(math.isfinite(x) for point in points for x in point):
        raise refuse("contains NaN or infinite values")
    if len(points) < 2:
        raise refuse(f"has {len(points)} point(s); a schedule needs at least 2")
    if limits is not None and len(points) > limits[2]:
        raise refuse(f"has {len(points)} points; this solver accepts at most {limits[2]} "
                     "(max_anneal_schedule_points)")
    t = [p[0] for p in points]
    s = [p[1] for p in points]
    if t[0] != 0.0:
        raise refuse(f"starts at t={t[0]:g} µs; the first point must be at t=0")
    for before, after in itertools.pairwise(t):
        if not after > before:
            raise refuse(f"time t must increase from point to point (it falls from {before:g} to "
                         f"{after:g} µs)" if after < before else
                         f"time t must increase from point to point (t={after:g} µs repeats)")
    if any(not 0.0 <= x <= 1.0 for x in s):
        bad = next(x for x in s if not 0.0 <= x <= 1.0)
        raise refuse(f"has s={bad:g}; the anneal fraction s must lie in [0, 1]")
    if s[-1] != 1.0:
        raise refuse(f"ends at s={s[-1]:g}; the last point must have s=1")
    if s[0] == 0.0:
        for (t0, before), (t1, after) in itertools.pairwise(points):
            if after < before:
                raise refuse(f"s falls from {before:g} to {after:g} between t={t0:g} and {t1:g} µs; "
                             "a forward anneal (starting at s=0) must be non-decreasing")
    elif s[0] == 1.0:
        if initial_state is None:
            raise invalid_argument("anneal_schedule", schedule,
                                   "starts at s=1, a reverse anneal, but no initial_state is given",
                                   "pass initial_state= (the state to anneal back from), or start "
                                   "the schedule at [0, 0] for a forward anneal")
    else:
        raise refuse(f"starts at s={s[0]:g}; the first point must have s=0 (forward anneal) or s=1 "
                     "(reverse anneal)")
    if limits is not None:
        low, high, _ = limits
        if t[-1] > high:
            raise refuse(f"lasts {t[-1]:g} µs, beyond this solver's maximum anneal time of {high:g} µs "
                         "(annealing_time_range)")
        max_slope = 1.0 / low
        for (t0, s0), (t1, s1) in itertools.pairwise(points):
            slope = abs(s1 - s0) / (t1 - t0)
            if round(slope, 10) > max_slope:  # Ocean's own rounding
                raise refuse(f"changes s by {s1 - s0:+g} in {t1 - t0:g} µs (from t={t0:g}), a slope of "
                             f"{slope:g} per µs, beyond this solver's maximum of {max_slope:g} per µs "
                             "(1 / min annealing_time_range)")
    return points


def qpu_schedule(schedule: Schedule, total_time: float, properties: Mapping[str, Any]) -> list[list[float]]:
    """A piecewise-linear ``anneal_schedule`` within the solver's limits that follows ``schedule``.

    Args:
        schedule: A validated ``s(u)`` (:func:`hybridxai.anneal.schedules.as_schedule`), e.g. the
            gap-aware ``"local-adiabatic"`` one built for the problem.
        total_time: Anneal duration ``T`` in µs (the last point's ``t``).
        properties: The solver's properties (``annealing_time_range``,
            ``max_anneal_schedule_points``; without them 0.5–2000 µs and 12 points are assumed).

    Returns:
        The ``[[t, s], ...]`` list, checked with :func:`check_anneal_schedule`.

    Raises:
        InvalidArgumentError: ``total_time`` outside the solver's ``annealing_time_range``.
    """
    low, high, max_points = solver_limits(properties) or (0.5, 2000.0, 12)
    if isinstance(total_time, bool) or not isinstance(total_time, (int, float, np.integer, np.floating)) \
            or not (low <= float(total_time) <= high):
        raise invalid_argument("annealing_time", total_time,
                               f"must lie in this solver's annealing_time_range [{low:g}, {high:g}] µs",
                               f"pass e.g. annealing_time={max(low, min(high, 20.0)):g}")
    total = float(total_time)
    u = np.linspace(0.0, 1.0, _FIT_POINTS)
    s = np.clip(schedule(u), 0.0, 1.0)
    s[0], s[-1] = 0.0, 1.0
    knots = [0, _FIT_POINTS - 1]
    while len(knots) < max(2, max_points):
        error = np.abs(np.interp(u, u[knots], s[knots]) - s)
        worst = int(np.argmax(error))
        if error[worst] <= _FIT_TOLERANCE:
            break
        knots = sorted({*knots, worst})
    knot_s = s[knots]
    durations = np.diff(u[knots]) * total
    rises = np.diff(knot_s)
    # slow down the segments steeper than the solver allows, taking the time from the others
    minimum = rises * low
    capped = np.zeros(durations.size, dtype=bool)
    for _ in range(durations.size):
        steep = (durations < minimum * (1 + 1e-12)) & ~capped
        if not steep.any():
            break
        capped |= steep
        free = ~capped
        durations[capped] = minimum[capped] * (1 + 1e-9)
        left = total - durations[capped].sum()
        if free.any():
            durations[free] *= left / durations[free].sum()
    times = np.concatenate([[0.0], np.cumsum(durations)])
    times[-1] = total
    points = [[float(t), float(x)] for t, x in zip(times, knot_s, strict=True)]
    return check_anneal_schedule(points, properties)
