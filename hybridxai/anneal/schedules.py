"""Annealing schedules ``s(u)`` on ``u = t / T ∈ [0, 1]`` and the Trotter layer sequence.

The annealing Hamiltonian is ``H(s) = (1 - s)·H_D + s·H_P`` with ``H_D = -c·Σ_p X_p``
(``c = 1`` or ``1/d``). A schedule maps the dimensionless time ``u`` to ``s``; it must be
non-decreasing with ``s(0) = 0`` and ``s(1) = 1``.

The digitized anneal (design.md §1.7) uses ``M`` steps of length ``dt = T/M`` at midpoints
``s_k = s((k + ½)/M)``; step ``k`` applies ``exp(-i·(1-s_k)·dt·H_D)`` first and then
``exp(-i·s_k·dt·H_P)``. Second order splits the driver symmetrically around the problem
term. :func:`trotter_layers` turns this into one flat sequence of layers that every backend
(Aer, PennyLane, the native statevector annealer) applies in the same order, so their final
states agree to rounding.

Example:
    >>> sched = as_schedule(None)
    >>> float(sched(0.25))
    0.25
    >>> layers = trotter_layers(sched, total_time=1.0, num_steps=2, order=1)
    >>> [(k, round(c, 3)) for k, c in layers]
    [('driver', 0.375), ('problem', 0.125), ('driver', 0.125), ('problem', 0.375)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = [
    "Schedule",
    "ScheduleLike",
    "linear_schedule",
    "as_schedule",
    "sampled_schedule",
    "check_anneal_parameters",
    "trotter_layers",
    "Layer",
]

LayerKind = Literal["driver", "problem"]
Layer = tuple[LayerKind, float]
"""One layer: ``("driver", θ)`` applies ``exp(-i·θ·H_D)``, ``("problem", γ)`` applies ``exp(-i·γ·H_P)``."""


@dataclass(frozen=True)
class Schedule:
    """A validated annealing schedule ``s(u)``.

    Attributes:
        function: Vectorised callable mapping ``u ∈ [0, 1]`` to ``s``.
        name: A short description recorded in results (``"linear"``, ``"callable:my_fn"`` …).
    """

    function: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    name: str

    def __call__(self, u: ArrayLike) -> NDArray[np.float64]:
        """Evaluate ``s(u)``."""
        return np.asarray(self.function(np.asarray(u, dtype=np.float64)), dtype=np.float64)


ScheduleLike = None | str | Schedule | Callable[[float], float] | tuple[ArrayLike, ArrayLike]


def linear_schedule() -> Schedule:
    """The linear schedule ``s(u) = u`` used by the paper."""
    return Schedule(lambda u: np.asarray(u, dtype=np.float64).copy(), "linear")


def sampled_schedule(times: ArrayLike, values: ArrayLike) -> Schedule:
    """A piecewise-linear schedule through samples ``(t_i, s_i)``.

    ``times`` are rescaled to ``[0, 1]`` (so they may be given in any unit, e.g. the
    ``(µs, s)`` pairs of a D-Wave ``anneal_schedule``).

    Args:
        times: Increasing sample times, at least two.
        values: The schedule ``s`` at those times; must start at 0, end at 1, never decrease.

    Returns:
        The validated schedule.
    """
    t = np.asarray(times, dtype=np.float64).ravel()
    s = np.asarray(values, dtype=np.float64).ravel()
    if t.size < 2 or t.size != s.size:
        raise invalid_argument(
            "schedule", (t.size, s.size), "needs at least two (time, s) samples of equal length",
            "pass schedule=(times, values) with matching 1-D sequences such as ([0, 1], [0, 1])",
        )
    if not np.all(np.isfinite(t)) or not np.all(np.isfinite(s)):
        raise invalid_argument("schedule", s, "contains NaN or inf", "pass finite samples")
    if np.any(np.diff(t) <= 0):
        raise invalid_argument(
            "schedule", t, "sample times must be strictly increasing", "sort the samples by time"
        )
    u = (t - t[0]) / (t[-1] - t[0])
    sched = Schedule(lambda x: np.interp(x, u, s), f"sampled({t.size} points)")
    _validate(sched)
    return sched


def as_schedule(schedule: ScheduleLike) -> Schedule:
    """Normalise the accepted schedule forms into a validated :class:`Schedule`.

    Args:
        schedule: ``None`` or ``"linear"`` (the default), a :class:`Schedule`, a callable
            ``s(u)`` on ``u ∈ [0, 1]``, or a pair ``(times, values)`` of samples.

    Returns:
        The schedule, checked to be non-decreasing with ``s(0) = 0`` and ``s(1) = 1``.

    Raises:
        InvalidArgumentError: If the schedule is not monotone or misses the end points.
        InvalidTypeError: For any other type.
    """
    if schedule is None or (isinstance(schedule, str) and schedule == "linear"):
        return linear_schedule()
    if isinstance(schedule, Schedule):
        _validate(schedule)
        return schedule
    if isinstance(schedule, str):
        raise invalid_argument(
            "schedule", schedule, "the only named schedule is 'linear'",
            "pass 'linear', a callable s(u) on [0, 1], or (times, values) samples",
        )
    if callable(schedule):
        fn = schedule

        def vectorised(u: NDArray[np.float64]) -> NDArray[np.float64]:
            try:
                out = np.asarray(fn(u), dtype=np.float64)
                if out.shape == np.shape(u):
                    return out
            except (TypeError, ValueError):
                pass
            return np.array([float(fn(float(x))) for x in np.ravel(u)]).reshape(np.shape(u))

        sched = Schedule(vectorised, f"callable:{getattr(fn, '__name__', type(fn).__name__)}")
        _validate(sched)
        return sched
    if isinstance(schedule, (tuple, list)) and len(schedule) == 2:
        return sampled_schedule(schedule[0], schedule[1])
    raise invalid_type(
        "schedule", schedule, "None, 'linear', a callable s(u) or a (times, values) pair",
        "pass schedule='linear' or a callable such as lambda u: u**2",
    )


def _validate(schedule: Schedule, num_points: int = 1025) -> None:
    u = np.linspace(0.0, 1.0, num_points)
    s = schedule(u)
    if s.shape != u.shape or not np.all(np.isfinite(s)):
        raise invalid_argument(
            "schedule", schedule.name, "must return one finite s for every u in [0, 1]",
            "return a float in [0, 1] for each u",
        )
    if abs(s[0]) > 1e-9 or abs(s[-1] - 1.0) > 1e-9:
        raise invalid_argument(
            "schedule", schedule.name,
            f"must satisfy s(0)=0 and s(1)=1 (got s(0)={s[0]:.6g}, s(1)={s[-1]:.6g})",
            "rescale it so the anneal starts in the driver and ends in the problem Hamiltonian",
        )
    worst = float(np.min(np.diff(s)))
    if worst < -1e-12:
        at = float(u[int(np.argmin(np.diff(s)))])
        raise invalid_argument(
            "schedule", schedule.name,
            f"must be non-decreasing (it falls by {-worst:.3g} near u={at:.3f})",
            "use a monotone schedule; reverse annealing is not supported",
        )


def check_anneal_parameters(total_time: float, num_steps: int, order: int = 1) -> None:
    """Validate the common annealing arguments.

    Args:
        total_time: Total anneal time ``T`` (> 0, finite).
        num_steps: Number of Trotter steps ``M`` (integer ≥ 1).
        order: Trotter order, 1 or 2.

    Raises:
        InvalidArgumentError: If any value is out of range.
        InvalidTypeError: If ``num_steps`` or ``order`` is not an integer.
    """
    if isinstance(total_time, bool) or not isinstance(total_time, (int, float, np.floating, np.integer)):
        raise invalid_type("total_time", total_time, "a positive number", "pass e.g. total_time=10.0")
    if not np.isfinite(total_time) or total_time <= 0:
        raise invalid_argument(
            "total_time", total_time, "must be a positive, finite anneal time",
            "pass e.g. total_time=10.0 (the paper uses T in {10, 30, 50, 70, 100})",
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)):
        raise invalid_type("num_steps", num_steps, "a positive integer", "pass e.g. num_steps=1000")
    if num_steps < 1:
        raise invalid_argument(
            "num_steps", num_steps, "must be at least 1",
            "pass e.g. num_steps=int(total_time / 0.01) to match the paper's dt = 0.01",
        )
    if isinstance(order, bool) or order not in (1, 2):
        raise invalid_argument("order", order, "Trotter order must be 1 or 2", "pass order=1 or order=2")


def trotter_layers(
    schedule: ScheduleLike,
    total_time: float,
    num_steps: int,
    order: int = 1,
    driver_scale: float = 1.0,
) -> list[Layer]:
    """The flat layer sequence of the digitized anneal, applied left to right to ``|+>^d``.

    Layer coefficients already include ``dt`` and the schedule; a driver layer with
    coefficient ``θ`` applies ``exp(-i·θ·H_D)`` with the *unscaled* ``H_D = -Σ X`` (the
    ``driver_scale`` is folded into ``θ``), i.e. ``RX(-2θ)`` on every qubit. A problem layer
    with coefficient ``γ`` applies ``exp(-i·γ·H_P)`` with ``H_P`` including its offset.
    Adjacent driver half-steps of the second-order product are merged (they commute).

    Args:
        schedule: Anything :func:`as_schedule` accepts.
        total_time: ``T``.
        num_steps: ``M``.
        order: 1 (``D`` then ``P`` each step) or 2 (``D/2 · P · D/2``).
        driver_scale: ``c`` in ``H_D = -c·Σ X`` (``1/d`` reproduces the authors' code).

    Returns:
        List of ``(kind, coefficient)`` layers.
    """
    check_anneal_parameters(total_time, num_steps, order)
    sched = as_schedule(schedule)
    dt = float(total_time) / num_steps
    s_mid = sched((np.arange(num_steps) + 0.5) / num_steps)
    driver = (1.0 - s_mid) * dt * driver_scale
    problem = s_mid * dt
    layers: list[Layer] = []
    if order == 1:
        for theta, gamma in zip(driver, problem, strict=True):
            layers.append(("driver", float(theta)))
            layers.append(("problem", float(gamma)))
        return layers
    pending = 0.0
    for theta, gamma in zip(driver, problem, strict=True):
        layers.append(("driver", pending + 0.5 * float(theta)))
        layers.append(("problem", float(gamma)))
        pending = 0.5 * float(theta)
    layers.append(("driver", pending))
    return layers
