"""The shortest anneal time that reaches a target ground-state fidelity (``total_time="auto"``).

Rule. For a schedule obeying the local adiabatic condition, the amplitude leaked out of the
ground state is about ``ε`` with ``T = (1/ε)·∫₀¹ m(s)/g(s)² ds`` (``g`` the gap, ``m`` the
matrix element ``|<1|∂ₛH|0>|``, see :class:`hybridxai.anneal.schedules.ProblemSchedule`), and
the final fidelity is about ``1 - ε²``. The first guess for a target fidelity ``F`` is therefore

``T₀ = ∫₀¹ m/g² ds / sqrt(1 - F)``

(integrated on the gap profile, trapezoidal rule on its cell midpoints). The guess is only a
scale — many-level dynamics and the non-strict default exponents move the true value — so it is
then *verified by simulation* with the native statevector annealer (same Trotter product,
``dt = 0.01``): while the target is missed, ``T`` is doubled (up to ``max_total_time``); when the
guess already meets it, ``T`` is halved while the target is still met, so the result is within a
factor 2 of the shortest such power-of-two multiple of ``T₀``. Every simulated ``(T, F)`` is kept
in :attr:`AutoTime.trials`.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.6}, {(0, 1): 1.5}, 0.0, "BINARY")
    >>> choice = auto_total_time(bqm, target_fidelity=0.9)
    >>> choice.fidelity >= 0.9 and choice.total_time > 0
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np

from hybridxai.anneal.evolution import evolve
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.schedules import (
    ScheduleLike,
    as_schedule,
    cached_gap_profile,
    check_schedule,
    trotter_layers,
)
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, ground_fidelity, resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["AutoTime", "auto_total_time", "adiabatic_time_scale", "check_target_fidelity"]

_MAX_HALVINGS = 8


@dataclass
class AutoTime:
    """The chosen anneal time and how it was found.

    Attributes:
        total_time: The chosen ``T``.
        fidelity: Simulated ground-state fidelity at that ``T``.
        target_fidelity: The target.
        first_guess: ``T₀`` from the rule.
        trials: Every simulated ``(T, fidelity)``, in order.
        schedule: Name of the schedule used.
        rule: A one-line description of the rule (recorded in sampler ``info``).
    """

    total_time: float
    fidelity: float
    target_fidelity: float
    first_guess: float
    trials: list[tuple[float, float]] = field(default_factory=list)
    schedule: str = ""
    rule: str = "T0 = integral(m/g^2 ds)/sqrt(1 - F), verified by simulation, doubled/halved"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly record."""
        return {"total_time": self.total_time, "fidelity": self.fidelity,
                "target_fidelity": self.target_fidelity, "first_guess": self.first_guess,
                "trials": [list(t) for t in self.trials], "schedule": self.schedule, "rule": self.rule}


def check_target_fidelity(target_fidelity: float, max_total_time: float = 1e4) -> None:
    """Validate the arguments of :func:`auto_total_time` (before any work).

    Raises:
        InvalidTypeError: If a value is not a number.
        InvalidArgumentError: If ``target_fidelity`` is outside ``(0, 1)`` or ``max_total_time``
            is not positive and finite.
    """
    for name, value in (("target_fidelity", target_fidelity), ("max_total_time", max_total_time)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise invalid_type(name, value, "a number", "pass e.g. target_fidelity=0.9")
    if not (math.isfinite(target_fidelity) and 0.0 < target_fidelity < 1.0):
        raise invalid_argument("target_fidelity", target_fidelity,
                               "must lie strictly between 0 and 1 (1 needs an infinite anneal)",
                               "pass e.g. target_fidelity=0.9")
    if not (math.isfinite(max_total_time) and max_total_time > 0):
        raise invalid_argument("max_total_time", max_total_time, "must be positive and finite",
                               "pass e.g. max_total_time=10000")


def adiabatic_time_scale(bqm: dimod.BinaryQuadraticModel, driver_scale: DriverScale = "unit",
                         num_points: int = 64) -> float:
    """``∫₀¹ m(s)/g(s)² ds`` on the (cached) gap profile.

    Trapezoid over the cell midpoints, with constant continuation to the end points.
    """
    profile = cached_gap_profile(bqm, driver_scale, num_points)
    s = np.concatenate([[0.0], profile.s, [1.0]])
    ratio = profile.couplings / profile.gaps**2
    ratio = np.concatenate([ratio[:1], ratio, ratio[-1:]])
    return float(np.sum(0.5 * (ratio[1:] + ratio[:-1]) * np.diff(s)))


def auto_total_time(
    bqm: dimod.BinaryQuadraticModel,
    *,
    target_fidelity: float = 0.9,
    schedule: ScheduleLike = "local-adiabatic",
    driver_scale: DriverScale = "unit",
    order: int = 1,
    time_step: float = DEFAULT_TIME_STEP,
    max_total_time: float = 1e4,
) -> AutoTime:
    """The shortest (power-of-two multiple of the rule's) ``T`` with fidelity ≥ the target.

    Args:
        bqm: The problem.
        target_fidelity: ``F`` in ``(0, 1)``.
        schedule: The schedule to anneal with (anything :func:`~hybridxai.anneal.schedules.as_schedule`
            accepts; gap-aware ones are built for ``bqm``).
        driver_scale: ``"unit"``, ``"1/d"`` or a number.
        order: Trotter order of the verifying simulation.
        time_step: ``dt`` of the verifying simulation (``num_steps = ceil(T/dt)``).
        max_total_time: Give up above this ``T``.

    Returns:
        An :class:`AutoTime`.

    Raises:
        InvalidArgumentError: For a bad argument (checked before any work), or when the target
            is not reached by ``max_total_time`` (the message gives the best fidelity found).
    """
    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type("bqm", bqm, "a dimod.BinaryQuadraticModel",
                           "pass the QUBO to anneal, e.g. hybridxai.build_qubo(...).bqm")
    check_target_fidelity(target_fidelity, max_total_time)
    check_schedule(schedule)
    if isinstance(time_step, bool) or not isinstance(time_step, (int, float)) or not time_step > 0:
        raise invalid_argument("time_step", time_step, "must be a positive number", "pass time_step=0.01")
    qubo = dense_qubo(bqm)
    coefficient = resolve_driver_scale(driver_scale, qubo.num_variables)
    sched = as_schedule(schedule, problem=bqm, driver_scale=coefficient)
    diagonal = basis_energies(qubo)
    trials: list[tuple[float, float]] = []

    def fidelity(total_time: float) -> float:
        steps = max(1, math.ceil(total_time / time_step - 1e-9))
        state = evolve(qubo, trotter_layers(sched, total_time, steps, order, coefficient))
        value = ground_fidelity(np.abs(state) ** 2, diagonal)[0]
        trials.append((total_time, float(value)))
        return float(value)

    guess = adiabatic_time_scale(bqm, coefficient) / math.sqrt(1.0 - target_fidelity)
    guess = float(min(max(guess, time_step), max_total_time))
    total, value = guess, fidelity(guess)
    if value >= target_fidelity:
        for _ in range(_MAX_HALVINGS):
            shorter = total / 2.0
            if shorter < time_step:
                break
            shorter_value = fidelity(shorter)
            if shorter_value < target_fidelity:
                break
            total, value = shorter, shorter_value
    else:
        while value < target_fidelity:
            if total >= max_total_time:
                best = max(trials, key=lambda t: t[1])
                raise invalid_argument(
                    "target_fidelity", target_fidelity,
                    f"was not reached by max_total_time={max_total_time:g} (best fidelity "
                    f"{best[1]:.4g} at T={best[0]:.4g})",
                    "lower target_fidelity or raise max_total_time",
                )
            total = min(2.0 * total, float(max_total_time))
            value = fidelity(total)
    return AutoTime(total_time=total, fidelity=value, target_fidelity=float(target_fidelity),
                    first_guess=guess, trials=trials, schedule=sched.name)
