"""Annealing schedules ``s(u)`` on ``u = t / T ∈ [0, 1]`` and the Trotter layer sequence.

The annealing Hamiltonian is ``H(s) = (1 - s)·H_D + s·H_P`` with ``H_D = -c·Σ_p X_p``
(``c = 1`` or ``1/d``). A schedule maps the dimensionless time ``u`` to ``s``; it must be
non-decreasing with ``s(0) = 0`` and ``s(1) = 1``.

The digitized anneal (docs/method.md, Annealing) uses ``M`` steps of length ``dt = T/M`` at midpoints
``s_k = s((k + ½)/M)``; step ``k`` applies ``exp(-i·(1-s_k)·dt·H_D)`` first and then
``exp(-i·s_k·dt·H_P)``. Second order splits the driver symmetrically around the problem
term. :func:`trotter_layers` turns this into one flat sequence of layers that every backend
(Aer, PennyLane, the native statevector annealer) applies in the same order, so their final
states agree to rounding.

Besides ``"linear"``, callables and ``(times, values)`` samples there are

* ``("pause", s_p, fraction)`` — linear, with a pause at ``s = s_p`` lasting ``fraction`` of the
  anneal (:func:`pause_schedule`);
* ``"local-adiabatic"`` — a problem-dependent schedule that slows down where the gap of
  ``H(s)`` is small (:class:`ProblemSchedule`, :func:`local_adiabatic_schedule`). It needs the
  problem: :func:`check_schedule` validates it without one, and ``as_schedule(...,
  problem=bqm)`` (which every annealing sampler calls with the BQM it is given) builds it.

Example:
    >>> sched = as_schedule(None)
    >>> float(sched(0.25))
    0.25
    >>> layers = trotter_layers(sched, total_time=1.0, num_steps=2, order=1)
    >>> [(k, round(c, 3)) for k, c in layers]
    [('driver', 0.375), ('problem', 0.125), ('driver', 0.125), ('problem', 0.375)]
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.checks import check_positive_int
from hybridxai._util.memory import check_count_memory
from hybridxai._util.progress import ProgressLike
from hybridxai.anneal.gap_points import DEFAULT_PROFILE_POINTS
from hybridxai.anneal.gap_profile import GapProfile, compute_gap_profile
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.spec import DriverScale, resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = [
    "Schedule",
    "ScheduleLike",
    "ProblemSchedule",
    "LOCAL_ADIABATIC",
    "linear_schedule",
    "pause_schedule",
    "local_adiabatic_schedule",
    "as_schedule",
    "check_schedule",
    "cached_gap_profile",
    "SCHEDULE_PROFILE_TOL",
    "sampled_schedule",
    "check_anneal_parameters",
    "trotter_layers",
    "Layer",
    "BYTES_PER_STEP",
]

BYTES_PER_STEP = 640
"""Memory per anneal step: the per-step arrays (``u``, ``s(u)`` and the schedule's
intermediates, the angles) and the Trotter layers, a Python list of ``(kind, angle)`` tuples.
A user trial measured 590–620 bytes a step of peak resident memory (``fidelity_curve`` with
``method="statevector"`` at d = 4 and 1e6 and 3e6 steps; the layer list alone is about 200
bytes a step under ``tracemalloc``). What an absurd ``num_steps`` (or a ``total_time`` that
derives one) is checked against before anything is built."""

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


LOCAL_ADIABATIC = "local-adiabatic"
"""Name of the gap-aware schedule (``schedule="local-adiabatic"``)."""

SCHEDULE_PROFILE_TOL = 1e-7
"""Eigenvalue accuracy of the profiles behind gap-aware schedules (the schedule needs the gap
and the matrix element to a relative ~1e-3 only; exact with the dense solver up to 7 qubits)."""

_PROFILE_CACHE_SIZE = 32
_profile_cache: OrderedDict[tuple[str, float, int], GapProfile] = OrderedDict()
_profile_lock = threading.Lock()


@dataclass(frozen=True)
class ProblemSchedule:
    """The local-adiabatic schedule of a problem, built once the problem is known.

    The rule. For ``H(s) = (1 - s)·H_D + s·H_P`` with gap ``g(s)`` and matrix element
    ``m(s) = |<1|∂ₛH|0>|`` (``∂ₛH = H_P - H_D``; see :mod:`hybridxai.anneal.gap_profile`), the
    strict local adiabatic condition sweeps at ``ds/dt = ε·g(s)²/m(s)``. Derivation:

    1. First-order adiabatic perturbation theory: sweeping at ``ṡ`` leaks an amplitude
       ``≈ ṡ·m(s)/g(s)²`` from the instantaneous ground state into the first excited state.
    2. Holding that leak at the same small ``ε`` at every ``s`` gives ``ṡ = ε·g²/m``, i.e.
       ``dt = (m/(ε·g²))·ds``.
    3. Integrating, ``T = (1/ε)·∫₀¹ m/g² ds`` fixes ``ε`` for the requested ``total_time``, and
       ``u(s) = t/T = ∫₀ˢ m/g² ds' / ∫₀¹ m/g² ds'``, whose inverse is ``s(u)``.

    hybridxai uses the family ``ds/dt ∝ g^b / m^a``, i.e. ``du/ds ∝ m^a / g^b``; ``(a, b) = (1,
    2)`` is the strict rule above. The default ``(a, b) = (½, 3/2)`` was chosen by measurement:
    on the paper-like instances of :func:`hybridxai.analysis.random_feature_qubo` the lowest
    classical levels are nearly degenerate, so ``g`` is smallest right at ``s → 1``, where
    ``m`` is large but the dynamics is many-level; the strict rule then spends nearly the
    whole anneal at ``s ≈ 1`` and loses to the linear schedule (median ground-state fidelity
    at ``T = 100``, ``d = 8``, unit driver, 10 instances: linear 0.20, ``(1, 2)`` 0.12,
    ``(½, 3/2)`` 0.68; ``d = 10``, 8 instances: 0.20, 0.22, 0.82). ``m`` is floored at
    ``10⁻³·max m`` so that ``u(s)`` is strictly increasing.

    The profile is computed on ``num_points`` cell midpoints and interpolated linearly (flat
    beyond the outer midpoints); it is cached per (QUBO, driver coefficient, ``num_points``)
    (:func:`cached_gap_profile`), so annealing the same problem again costs nothing extra.

    Attributes:
        coupling_exponent: ``a`` (≥ 0).
        gap_exponent: ``b`` (> 0).
        num_points: Grid points of the gap profile (≥ 4).
    """

    coupling_exponent: float = 0.5
    gap_exponent: float = 1.5
    num_points: int = DEFAULT_PROFILE_POINTS

    def __post_init__(self) -> None:
        for field_name, low, strict in (("coupling_exponent", 0.0, False), ("gap_exponent", 0.0, True)):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value) or value < low or (strict and value == low):
                raise invalid_argument(
                    field_name, value, f"must be a finite number {'>' if strict else '>='} {low:g}",
                    "pass e.g. coupling_exponent=0.5, gap_exponent=1.5 (the strict local adiabatic "
                    "rule is 1 and 2)",
                )
        n = self.num_points
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4:
            raise invalid_argument("num_points", n, "the gap profile needs an integer >= 4 points",
                                   f"pass e.g. num_points={DEFAULT_PROFILE_POINTS}")

    @property
    def name(self) -> str:
        """``"local-adiabatic"``, with the parameters when they are not the defaults."""
        if (self.coupling_exponent, self.gap_exponent, self.num_points) == (0.5, 1.5, DEFAULT_PROFILE_POINTS):
            return LOCAL_ADIABATIC
        return (f"{LOCAL_ADIABATIC}(a={self.coupling_exponent:g}, b={self.gap_exponent:g}, "
                f"num_points={self.num_points})")

    def build(self, problem: dimod.BinaryQuadraticModel, driver_scale: DriverScale = "unit", *,
              progress: ProgressLike = False) -> Schedule:
        """The schedule ``s(u)`` of ``problem`` (computes or reuses its gap profile).

        Args:
            problem: The BQM to be annealed.
            driver_scale: ``"unit"``, ``"1/d"`` or a number, as the anneal uses.
            progress: The progress bar of the gap profile, if one is computed (see
                :func:`~hybridxai.anneal.gap_profile.compute_gap_profile`).

        Returns:
            A validated :class:`Schedule` named :attr:`name`.
        """
        profile = cached_gap_profile(problem, driver_scale, self.num_points, progress=progress)
        return self.from_profile(profile)

    def from_profile(self, profile: GapProfile) -> Schedule:
        """The schedule ``s(u)`` for an already computed profile (see the class docstring).

        Raises:
            InvalidArgumentError: For a profile without matrix elements
                (``gap_profile(..., matrix_elements=False)``), which the rule needs.
        """
        if np.isnan(profile.couplings).any():
            raise invalid_argument(
                "profile", f"<GapProfile of {profile.s.size} points without matrix elements>",
                "the local-adiabatic rule needs |<g|∂ₛH|0>| at every point",
                "compute the profile with matrix_elements=True (the default)")
        fine = np.linspace(0.0, 1.0, 4097)
        gaps = np.interp(fine, profile.s, profile.gaps)
        couplings = np.interp(fine, profile.s, profile.couplings)
        couplings = np.maximum(couplings, 1e-3 * max(float(couplings.max()), 1e-300))
        weight = couplings**self.coupling_exponent / np.maximum(gaps, 1e-300) ** self.gap_exponent
        u = np.concatenate([[0.0], np.cumsum(0.5 * (weight[1:] + weight[:-1]) * np.diff(fine))])
        u /= u[-1]
        sched = Schedule(lambda x: np.interp(x, u, fine), self.name)
        _validate(sched)
        return sched


ScheduleLike = (None | str | Schedule | ProblemSchedule | Callable[[float], float]
                | tuple[ArrayLike, ArrayLike] | tuple[str, float, float])


def linear_schedule() -> Schedule:
    """The linear schedule ``s(u) = u`` used by the paper."""
    return Schedule(lambda u: np.asarray(u, dtype=np.float64).copy(), "linear")


def local_adiabatic_schedule(coupling_exponent: float = 0.5, gap_exponent: float = 1.5,
                             num_points: int = DEFAULT_PROFILE_POINTS) -> ProblemSchedule:
    """The gap-aware schedule ``ds/dt ∝ g^b / m^a`` (see :class:`ProblemSchedule` for the rule).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -0.6}, {(0, 1): 1.5}, 0.0, "BINARY")
        >>> sched = as_schedule(local_adiabatic_schedule(1, 2, num_points=16), problem=bqm)
        >>> sched.name, float(sched(0.0)), float(sched(1.0))
        ('local-adiabatic(a=1, b=2, num_points=16)', 0.0, 1.0)
    """
    return ProblemSchedule(coupling_exponent, gap_exponent, num_points)


def pause_schedule(s_pause: float, fraction: float) -> Schedule:
    """Linear, with a pause at ``s = s_pause`` that lasts ``fraction`` of the anneal.

    ``s(u) = u/(1 - f)`` up to ``s_pause``, constant for a time ``f``, then linear again to 1.

    Args:
        s_pause: Where to pause, in ``(0, 1)``.
        fraction: Share of ``total_time`` spent paused, in ``[0, 1)``.

    Returns:
        The schedule, named ``"pause(s_p=..., fraction=...)"``.

    Example:
        >>> sched = pause_schedule(0.5, 0.2)
        >>> [round(float(x), 3) for x in sched([0.2, 0.4, 0.5, 0.6, 0.8])]
        [0.25, 0.5, 0.5, 0.5, 0.75]
    """
    for name, value in (("s_p", s_pause), ("fraction", fraction)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise invalid_type("schedule", ("pause", s_pause, fraction),
                               f"('pause', s_p, fraction) with a number as {name}",
                               "pass e.g. schedule=('pause', 0.6, 0.2)")
    s_p, f = float(s_pause), float(fraction)
    if not (math.isfinite(s_p) and 0.0 < s_p < 1.0):
        raise invalid_argument("schedule", ("pause", s_pause, fraction),
                               f"the pause point s_p={s_p:g} must lie strictly between 0 and 1",
                               "pass e.g. schedule=('pause', 0.6, 0.2)")
    if not (math.isfinite(f) and 0.0 <= f < 1.0):
        raise invalid_argument("schedule", ("pause", s_pause, fraction),
                               f"the pause fraction {f:g} must lie in [0, 1) (share of the anneal)",
                               "pass e.g. schedule=('pause', 0.6, 0.2)")
    start = s_p * (1.0 - f)
    knots_u = np.array([0.0, start, start + f, 1.0])
    knots_s = np.array([0.0, s_p, s_p, 1.0])
    sched = Schedule(lambda x: np.interp(x, knots_u, knots_s), f"pause(s_p={s_p:g}, fraction={f:g})")
    _validate(sched)
    return sched


def cached_gap_profile(problem: dimod.BinaryQuadraticModel, driver_scale: DriverScale = "unit",
                       num_points: int = DEFAULT_PROFILE_POINTS, *,
                       progress: ProgressLike = False) -> GapProfile:
    """The gap profile of ``problem``, cached per (QUBO, driver coefficient, ``num_points``).

    The key is a digest of the dense QUBO arrays (qubit order, offset included), so equal
    problems share an entry whatever their labels. The last 32 profiles are kept.

    Args:
        problem: The BQM.
        driver_scale: ``"unit"``, ``"1/d"`` or a number.
        num_points: Grid points (cell midpoints).
        progress: The progress bar of the profile when it is computed, not found in the cache
            (see :func:`~hybridxai.anneal.gap_profile.compute_gap_profile`).

    Returns:
        The :class:`~hybridxai.anneal.gap_profile.GapProfile` (shared: do not modify it).
    """
    qubo = dense_qubo(problem)
    coefficient = resolve_driver_scale(driver_scale, max(qubo.num_variables, 1))
    digest = hashlib.blake2b(digest_size=16)
    for array in (qubo.linear, qubo.quadratic, np.array([qubo.offset])):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    key = (digest.hexdigest(), float(coefficient), int(num_points))
    with _profile_lock:
        hit = _profile_cache.get(key)
        if hit is not None:
            _profile_cache.move_to_end(key)
            return hit
    profile = compute_gap_profile(problem, num_points, driver_scale=float(coefficient),
                                  tol=SCHEDULE_PROFILE_TOL, progress=progress)
    with _profile_lock:
        _profile_cache[key] = profile
        while len(_profile_cache) > _PROFILE_CACHE_SIZE:
            _profile_cache.popitem(last=False)
    return profile


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


def check_schedule(schedule: ScheduleLike) -> Schedule | ProblemSchedule:
    """Validate any accepted schedule form without needing the problem.

    Args:
        schedule: See :func:`as_schedule`.

    Returns:
        A validated :class:`Schedule`, or the :class:`ProblemSchedule` to build once the
        problem is known (``"local-adiabatic"``).

    Raises:
        InvalidArgumentError: If the schedule is not monotone, misses the end points, is an
            unknown name, or is a pause with ``s_p`` outside ``(0, 1)`` or ``fraction``
            outside ``[0, 1)``.
        InvalidTypeError: For any other type.
    """
    if schedule is None or (isinstance(schedule, str) and schedule == "linear"):
        return linear_schedule()
    if isinstance(schedule, ProblemSchedule):
        return schedule
    if isinstance(schedule, str) and schedule == LOCAL_ADIABATIC:
        return ProblemSchedule()
    if isinstance(schedule, Schedule):
        _validate(schedule)
        return schedule
    if isinstance(schedule, str):
        raise invalid_argument(
            "schedule", schedule, "the named schedules are 'linear' and 'local-adiabatic'",
            "pass 'linear', 'local-adiabatic', ('pause', s_p, fraction), a callable s(u) on "
            "[0, 1], or (times, values) samples",
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
    if isinstance(schedule, (tuple, list)) and len(schedule) == 3 and isinstance(schedule[0], str):
        if schedule[0] != "pause":
            raise invalid_argument("schedule", schedule, "the only 3-element schedule is a pause",
                                   "pass schedule=('pause', s_p, fraction), e.g. ('pause', 0.6, 0.2)")
        return pause_schedule(schedule[1], schedule[2])
    if isinstance(schedule, (tuple, list)) and len(schedule) == 2:
        return sampled_schedule(schedule[0], schedule[1])
    raise invalid_type(
        "schedule", schedule,
        "None, 'linear', 'local-adiabatic', ('pause', s_p, fraction), a callable s(u) or a "
        "(times, values) pair",
        "pass schedule='linear' or a callable such as lambda u: u**2",
    )


def as_schedule(schedule: ScheduleLike, *, problem: dimod.BinaryQuadraticModel | None = None,
                driver_scale: DriverScale = "unit") -> Schedule:
    """Normalise the accepted schedule forms into a validated :class:`Schedule`.

    Args:
        schedule: ``None`` or ``"linear"`` (the default), ``"local-adiabatic"`` or a
            :class:`ProblemSchedule` (needs ``problem``), ``("pause", s_p, fraction)``, a
            :class:`Schedule`, a callable ``s(u)`` on ``u ∈ [0, 1]``, or a pair
            ``(times, values)`` of samples.
        problem: The BQM a problem-dependent schedule is built for (ignored otherwise).
        driver_scale: The driver scale of the anneal (``"unit"``, ``"1/d"`` or a number), for a
            problem-dependent schedule.

    Returns:
        The schedule, checked to be non-decreasing with ``s(0) = 0`` and ``s(1) = 1``.

    Raises:
        InvalidArgumentError: If the schedule is not monotone or misses the end points, or a
            problem-dependent schedule comes without ``problem`` (see :func:`check_schedule`).
        InvalidTypeError: For any other type.
    """
    checked = check_schedule(schedule)
    if isinstance(checked, Schedule):
        return checked
    if problem is None:
        raise invalid_argument(
            "schedule", checked.name,
            "depends on the problem (it is built from the gap profile of H(s)) but no problem "
            "was given",
            "pass problem=bqm to as_schedule, or let a sampler resolve it: "
            "sampler.sample(bqm, schedule='local-adiabatic')",
        )
    return checked.build(problem, driver_scale)


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
        ProblemTooLargeError: If the per-step arrays of ``num_steps`` steps would not fit in
            memory (:data:`BYTES_PER_STEP` each; e.g. ``num_steps=10**10``).
    """
    if isinstance(total_time, bool) or not isinstance(total_time, (int, float, np.floating, np.integer)):
        raise invalid_type("total_time", total_time, "a positive number",
                           "pass e.g. total_time=10.0 (the annealing samplers also accept 'auto')")
    if not np.isfinite(total_time) or total_time <= 0:
        raise invalid_argument(
            "total_time", total_time, "must be a positive, finite anneal time",
            "pass e.g. total_time=10.0 (the paper uses T in {10, 30, 50, 70, 100})",
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)):
        raise invalid_type("num_steps", num_steps, "a positive integer", "pass e.g. num_steps=1000")
    check_positive_int("num_steps", num_steps,
                       "pass e.g. num_steps=int(total_time / 0.01) to match the paper's dt = 0.01")
    check_count_memory("num_steps", num_steps, int(num_steps), BYTES_PER_STEP, "anneal steps",
                       "pass fewer num_steps (the paper's dt = 0.01 gives num_steps = 100·total_time)")
    if isinstance(order, bool) or order not in (1, 2):
        raise invalid_argument("order", order, "Trotter order must be 1 or 2", "pass order=1 or order=2")


def trotter_layers(
    schedule: ScheduleLike,
    total_time: float,
    num_steps: int,
    order: int = 1,
    driver_scale: float = 1.0,
    *,
    time_grid: str = "midpoint",
    step_time: float | None = None,
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
        time_grid: ``"midpoint"`` (hybridxai's: ``s_k = s((k + ½)/M)``) or ``"endpoints"``
            (the authors': ``s_k = s(k/(M − 1))``, see :mod:`hybridxai.anneal.settings`).
        step_time: The time each point is applied for (default ``T/M``).

    Returns:
        List of ``(kind, coefficient)`` layers.
    """
    check_anneal_parameters(total_time, num_steps, order)
    sched = as_schedule(schedule)
    dt = float(total_time) / num_steps if step_time is None else float(step_time)
    if time_grid == "endpoints":
        s_mid = sched(np.linspace(0.0, 1.0, num_steps))
    elif time_grid == "midpoint":
        s_mid = sched((np.arange(num_steps) + 0.5) / num_steps)
    else:
        raise invalid_argument("time_grid", time_grid, "is not a known time grid",
                               "pass time_grid='midpoint' or 'endpoints'")
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
