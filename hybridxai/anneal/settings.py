"""``AnnealSpec``: every setting of one anneal, validated once, in one frozen object.

The knobs ``total_time``, ``num_steps``, ``schedule``, ``order`` and ``driver_scale`` used to be
re-listed (and re-checked) by every sampler and every analysis. An :class:`AnnealSpec` holds them,
plus the conventions that decide *which* time grid, gap and fidelity are meant:

=================  ==========================================  ==========================================
setting            ``conventions="hybridxai"`` (default)       ``conventions="authors"``
=================  ==========================================  ==========================================
``driver_scale``   ``"unit"``: ``H_D = -ΣX``                   ``"1/d"``: ``H_D = -(1/d)·ΣX``
``time_grid``      ``"midpoint"``: ``M = ceil(T/dt)`` steps    ``"endpoints"``: ``M = int(T/dt)`` points
                   at ``s_k = (k + ½)/M``                      ``s_k = k/(M − 1)``, each for ``dt``
``gap``            ``"manifold"``: to the lowest level         ``"lowest-two"``: ``E_1 − E_0``, degenerate
                   outside the ground manifold of ``H_P``      or not
``fidelity``       ``"manifold"``: probability of every        ``"lowest-state"``: probability of the one
                   ground state of ``H_P``                     basis state with the lowest ``H_P`` entry
=================  ==========================================  ==========================================

The "authors" column is the recipe of the paper's public simulation code (checc1/FS_QA:
``src/finalSimulation.py`` builds the time grid with ``numpy.linspace(0, T, M)``, ``M = int(T/0.01)``,
and applies each point for ``dt = 0.01`` with ``expm_multiply``; ``src/utils/qutip_utils.py`` holds the
operators). hybridxai's midpoint grid is its own choice: it is the midpoint rule for the
time-ordered product, so a first-order Trotter step is centred on its interval. Each setting stays
individually settable: a preset only fills in what is not given.

Example:
    >>> spec = AnnealSpec.from_conventions("authors", total_time=0.05)
    >>> spec.driver_scale, spec.time_grid, spec.steps()
    ('1/d', 'endpoints', 5)
    >>> [round(float(s), 3) for s in spec.s_points()]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> AnnealSpec(total_time=0.05).s_points().tolist()
    [0.1, 0.3, 0.5, 0.7, 0.9]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai.anneal.schedules import (
    Schedule,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
)
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, resolve_driver_scale
from hybridxai.exceptions import invalid_argument

__all__ = ["AnnealSpec", "Conventions", "TimeGrid", "GapDefinition", "FidelityDefinition", "PRESETS"]

Conventions = Literal["hybridxai", "authors"]
TimeGrid = Literal["midpoint", "endpoints"]
GapDefinition = Literal["manifold", "lowest-two"]
FidelityDefinition = Literal["manifold", "lowest-state"]

PRESETS: dict[str, dict[str, Any]] = {
    "hybridxai": {"driver_scale": "unit", "time_grid": "midpoint", "gap": "manifold", "fidelity": "manifold"},
    "authors": {"driver_scale": "1/d", "time_grid": "endpoints", "gap": "lowest-two",
                "fidelity": "lowest-state"},
}
"""The settings each ``conventions`` preset fills in (see the module docstring)."""

_CHOICES = {"time_grid": ("midpoint", "endpoints"), "gap": ("manifold", "lowest-two"),
            "fidelity": ("manifold", "lowest-state")}


@dataclass(frozen=True)
class AnnealSpec:
    """The settings of one anneal ``H(s) = (1 − s)·H_D + s·H_P``, ``s = schedule(t/T)``.

    Attributes:
        total_time: ``T`` (> 0).
        num_steps: Steps (midpoint grid) or points (endpoint grid) ``M``; ``None`` derives it from
            ``time_step`` (:meth:`steps`).
        time_step: ``dt`` used when ``num_steps`` is ``None`` (the paper's 0.01).
        schedule: ``"linear"``/``None``, a callable ``s(u)`` or ``(times, values)`` samples.
        order: Trotter order, 1 or 2 (digitized annealers only).
        driver_scale: ``"unit"``, ``"1/d"`` or a positive number ``c`` in ``H_D = -c·ΣX``.
        time_grid: ``"midpoint"`` or ``"endpoints"`` (see the module docstring).
        gap: ``"manifold"`` or ``"lowest-two"``: which gap ``Δ(s)`` means.
        fidelity: ``"manifold"`` or ``"lowest-state"``: which final probability is the fidelity.
        conventions: The preset these settings started from (recorded in results).
    """

    total_time: float = 10.0
    num_steps: int | None = None
    time_step: float = DEFAULT_TIME_STEP
    schedule: ScheduleLike = field(default=None, compare=False)
    order: int = 1
    driver_scale: DriverScale = "unit"
    time_grid: TimeGrid = "midpoint"
    gap: GapDefinition = "manifold"
    fidelity: FidelityDefinition = "manifold"
    conventions: Conventions = "hybridxai"

    def __post_init__(self) -> None:
        if self.conventions not in PRESETS:
            raise invalid_argument("conventions", self.conventions, "is not a known convention",
                                   f"pass one of {list(PRESETS)}")
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise invalid_argument(name, value, "is not a known choice", f"pass one of {list(allowed)}")
        check_anneal_parameters(self.total_time, 1 if self.num_steps is None else self.num_steps, self.order)
        if isinstance(self.time_step, bool) or not isinstance(self.time_step, (int, float, np.number)) \
                or not math.isfinite(self.time_step) or self.time_step <= 0:
            raise invalid_argument("time_step", self.time_step, "must be a positive, finite time",
                                   "pass e.g. time_step=0.01 (the paper's dt)")
        resolve_driver_scale(self.driver_scale, 1)
        object.__setattr__(self, "schedule", check_schedule(self.schedule))
        if self.time_grid == "endpoints" and self.steps() < 2:
            raise invalid_argument("num_steps", self.num_steps,
                                   "the endpoint grid needs at least 2 points (s = 0 and s = 1)",
                                   "pass a longer total_time or num_steps >= 2")

    @classmethod
    def from_conventions(cls, conventions: Conventions = "hybridxai", **settings: Any) -> AnnealSpec:
        """The preset of ``conventions`` with ``settings`` on top (``None`` values are ignored).

        Args:
            conventions: ``"hybridxai"`` or ``"authors"``.
            **settings: Any field of :class:`AnnealSpec`.

        Returns:
            The validated spec.

        Raises:
            InvalidArgumentError: For an unknown preset or a bad value.
            TypeError: For a keyword that is not a field.
        """
        if conventions not in PRESETS:
            raise invalid_argument("conventions", conventions, "is not a known convention",
                                   f"pass one of {list(PRESETS)}")
        chosen = {**PRESETS[conventions], **{k: v for k, v in settings.items() if v is not None}}
        return cls(conventions=conventions, **chosen)

    def steps(self) -> int:
        """``M``: ``num_steps`` if given, else ``ceil(T/dt)`` (midpoint) or ``int(T/dt)`` (endpoints)."""
        if self.num_steps is not None:
            return int(self.num_steps)
        ratio = float(self.total_time) / float(self.time_step)
        if self.time_grid == "endpoints":
            return max(1, int(ratio + 1e-9))  # numpy.linspace(0, T, int(T / 0.01)) in the authors' code
        return max(1, math.ceil(ratio - 1e-9))

    def step_time(self) -> float:
        """The time each grid point is applied for: ``T/M``."""
        return float(self.total_time) / self.steps()

    def for_problem(self, bqm: dimod.BinaryQuadraticModel) -> AnnealSpec:
        """This spec with a problem-dependent schedule (``"local-adiabatic"``) built for ``bqm``."""
        if isinstance(self.schedule, Schedule):
            return self
        return replace(self, schedule=as_schedule(self.schedule, problem=bqm, driver_scale=self.driver_scale))

    def s_points(self) -> NDArray[np.float64]:
        """``s_k``, the schedule at the grid's points (:attr:`time_grid`), one per step.

        Raises:
            InvalidArgumentError: If the schedule depends on the problem and
                :meth:`for_problem` was not called.
        """
        if not isinstance(self.schedule, Schedule):
            raise invalid_argument("schedule", getattr(self.schedule, "name", self.schedule),
                                   "depends on the problem", "call spec.for_problem(bqm) first")
        m = self.steps()
        u = (np.arange(m) + 0.5) / m if self.time_grid == "midpoint" else np.linspace(0.0, 1.0, m)
        return np.asarray(self.schedule(u), dtype=np.float64)

    def driver_coefficient(self, num_qubits: int) -> float:
        """``c`` in ``H_D = -c·ΣX`` for ``num_qubits`` qubits."""
        return resolve_driver_scale(self.driver_scale, num_qubits)

    def to_dict(self) -> dict[str, Any]:
        """Plain settings for ``info`` and manifests (the schedule by name, ``num_steps`` resolved)."""
        out = asdict(self)
        out["schedule"] = getattr(self.schedule, "name", str(self.schedule))
        out["num_steps"] = self.steps()
        return out
