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
applies each point for ``dt = 0.01`` with ``expm_multiply``, takes the two lowest levels with
``eigsh`` at each point and the fidelity of ``argsort(diag H_P)[0]``; it imports its operators
from ``src/utils/qutip_class.py``). hybridxai's midpoint grid is its own choice: it is the
midpoint rule for the time-ordered product (second-order in ``dt``), so a Trotter step is
centred on its interval. The problem Hamiltonian's scale is a separate choice,
``build_qubo(..., conventions=...)`` (:mod:`hybridxai.anneal.qubo`). Each setting stays
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
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.memory import check_count_memory
from hybridxai.anneal.conventions import (
    CHOICES,
    PRESETS,
    Conventions,
    FidelityDefinition,
    GapDefinition,
    TimeGrid,
    check_choice,
)
from hybridxai.anneal.schedules import (
    BYTES_PER_STEP,
    Layer,
    Schedule,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
    trotter_layers,
)
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, ground_fidelity, resolve_driver_scale
from hybridxai.exceptions import invalid_argument

__all__ = ["AnnealSpec", "Conventions", "TimeGrid", "GapDefinition", "FidelityDefinition", "PRESETS",
           "SAMPLER_TOTAL_TIME", "final_fidelity", "lowest_state_index"]

SAMPLER_TOTAL_TIME = 200.0
"""Default ``total_time`` of the annealing samplers (``statevector``, ``aer``, ``pennylane``), with the
linear schedule, ``num_reads = d²`` and the raw reads. Chosen by measurement
(``benchmarks/bench_quantum_defaults.py``; docs/backends.md, "Getting the optimum from a quantum
backend"): on the 100 saved real MobileNetV2 instances at ``d = 12`` the best read was the exact
optimum on 100 of 100 at ``T = 200``, and the chance of that from the exact ground fidelity,
``1 − (1 − F)^{d²}``, averaged 99.9 % (lowest 0.965); at ``T = 100`` it averaged 99.3 % (lowest
0.72), at the paper's ``T = 10`` 51 %. The local-adiabatic schedule raised the median fidelity but
not the worst case (``p08_r0_d12``: 0.0085 against 0.25 at ``T = 200``) and costs a gap profile per
problem; ``total_time="auto"`` missed its target on 2 of the 100. Pass ``total_time=10`` for the
paper's setting."""

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
        for name in CHOICES:
            check_choice(name, getattr(self, name))
        check_anneal_parameters(self.total_time, 1 if self.num_steps is None else self.num_steps, self.order)
        if isinstance(self.time_step, bool) or not isinstance(self.time_step, (int, float, np.number)) \
                or not math.isfinite(self.time_step) or self.time_step <= 0:
            raise invalid_argument("time_step", self.time_step, "must be a positive, finite time",
                                   "pass e.g. time_step=0.01 (the paper's dt)")
        if self.num_steps is None and not math.isfinite(float(self.total_time) / float(self.time_step)):
            raise invalid_argument(
                "total_time", self.total_time,
                f"gives an infinite number of steps with time_step={self.time_step:g}",
                "pass a shorter total_time, a larger time_step or num_steps")
        resolve_driver_scale(self.driver_scale, 1)
        object.__setattr__(self, "schedule", check_schedule(self.schedule))
        if self.time_grid == "endpoints" and self.steps() < 2:
            if self.num_steps is None:  # the points come from total_time / time_step
                raise invalid_argument(
                    "total_time", self.total_time,
                    f"gives int(total_time / time_step) = {self.steps()} point with "
                    f"time_step={self.time_step:g}, and the endpoint grid needs at least 2 "
                    "(s = 0 and s = 1)",
                    f"pass total_time >= {2 * self.time_step:g} or num_steps >= 2")
            raise invalid_argument("num_steps", self.num_steps,
                                   "the endpoint grid needs at least 2 points (s = 0 and s = 1)",
                                   "pass a longer total_time or num_steps >= 2")
        if self.num_steps is None:  # e.g. total_time=1e10 at dt = 0.01: 1e12 steps (num_steps
            # given is checked by check_anneal_parameters)
            check_count_memory("total_time", self.total_time, self.steps(), BYTES_PER_STEP,
                               f"anneal steps of time_step={self.time_step:g}",
                               "pass a shorter total_time, a larger time_step or num_steps")

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
        check_choice("conventions", conventions)
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
        """The time each grid point is applied for.

        ``T/M``, except on the endpoint grid with ``M`` derived from ``time_step``: there every
        point is applied for ``time_step`` itself (the authors' ``dt = 0.01``, whatever ``T``).
        """
        if self.time_grid == "endpoints" and self.num_steps is None:
            return float(self.time_step)
        return float(self.total_time) / self.steps()

    def for_problem(self, bqm: dimod.BinaryQuadraticModel) -> AnnealSpec:
        """This spec with a problem-dependent schedule (``"local-adiabatic"``) built for ``bqm``."""
        if isinstance(self.schedule, Schedule):
            return self
        return replace(self, schedule=as_schedule(self.schedule, problem=bqm, driver_scale=self.driver_scale))

    def _require_built_schedule(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise invalid_argument("schedule", getattr(self.schedule, "name", self.schedule),
                                   "depends on the problem", "call spec.for_problem(bqm) first")

    def s_points(self) -> NDArray[np.float64]:
        """``s_k``, the schedule at the grid's points (:attr:`time_grid`), one per step.

        Raises:
            InvalidArgumentError: If the schedule depends on the problem and
                :meth:`for_problem` was not called.
        """
        self._require_built_schedule()
        m = self.steps()
        u = (np.arange(m) + 0.5) / m if self.time_grid == "midpoint" else np.linspace(0.0, 1.0, m)
        return np.asarray(self.schedule(u), dtype=np.float64)

    def trotter_layers(self, num_qubits: int) -> list[Layer]:
        """The Trotter layers of this anneal on ``num_qubits`` qubits (its grid, ``dt`` and driver).

        Raises:
            InvalidArgumentError: If the schedule depends on the problem and
                :meth:`for_problem` was not called.
        """
        self._require_built_schedule()
        return trotter_layers(self.schedule, self.total_time, self.steps(), self.order,
                              self.driver_coefficient(num_qubits), time_grid=self.time_grid,
                              step_time=self.step_time())

    def final_fidelity(self, probabilities: NDArray[np.floating],
                       energies: NDArray[np.floating]) -> tuple[float, float, NDArray[np.int64]]:
        """The fidelity of a final state under this spec's :attr:`fidelity` (see :func:`final_fidelity`)."""
        return final_fidelity(probabilities, energies, self.fidelity)

    def driver_coefficient(self, num_qubits: int) -> float:
        """``c`` in ``H_D = -c·ΣX`` for ``num_qubits`` qubits."""
        return resolve_driver_scale(self.driver_scale, num_qubits)

    def to_dict(self) -> dict[str, Any]:
        """Plain settings for ``info`` and manifests (the schedule by name, ``num_steps`` resolved)."""
        out = asdict(self)
        out["schedule"] = getattr(self.schedule, "name", str(self.schedule))
        out["num_steps"] = self.steps()
        return out


def lowest_state_index(energies: NDArray[np.floating], rtol: float = 1e-9) -> int:
    """The basis state with the lowest ``H_P`` entry, as the authors' code picks it.

    Their ``psi_gs[np.argsort(energies)[0]] = 1`` is the first lowest entry in QuTiP's basis
    order, where qubit 0 is the most significant bit; hybridxai's basis is little-endian
    (:mod:`hybridxai.anneal.ising`). Entries within ``rtol·spread`` of the minimum
    (:func:`hybridxai.anneal.spec.ground_tolerance`: rounding of equal energies) are ties,
    broken by that order.

    Args:
        energies: The diagonal of ``H_P`` in hybridxai's (little-endian) order.
        rtol: Tie tolerance.

    Returns:
        The little-endian index of that state.

    Example:
        >>> lowest_state_index(np.array([0.0, -1.0, -1.0, 2.0]))  # |q0=1,q1=0> vs |q0=0,q1=1>
        2
    """
    ground = ground_fidelity(energies, energies, rtol)[2]
    num_qubits = max(1, int(energies.size).bit_length() - 1)
    msb_order = [int(format(int(z), f"0{num_qubits}b")[::-1], 2) for z in ground]
    return int(ground[int(np.argmin(msb_order))])


def final_fidelity(probabilities: NDArray[np.floating], energies: NDArray[np.floating],
                   definition: FidelityDefinition = "manifold") -> tuple[float, float, NDArray[np.int64]]:
    """The fidelity of a final state: ``(fidelity, ground_energy, target_indices)``.

    Args:
        probabilities: ``|ψ|²`` over the basis (little-endian).
        energies: The diagonal of ``H_P`` (same order).
        definition: ``"manifold"``: the probability of every ground state of ``H_P``
            (:func:`hybridxai.anneal.spec.ground_fidelity`); ``"lowest-state"``: that of the one
            basis state :func:`lowest_state_index` (the authors' definition).

    Returns:
        The fidelity, the lowest energy and the indices of the target states.

    Example:
        >>> p, e = np.array([0.1, 0.3, 0.4, 0.2]), np.array([0.0, -1.0, -1.0, 2.0])
        >>> final_fidelity(p, e)[0], final_fidelity(p, e, "lowest-state")[0]
        (0.7, 0.4)
    """
    check_choice("fidelity", definition)
    fidelity, ground_energy, ground = ground_fidelity(probabilities, energies)
    if definition == "manifold":
        return fidelity, ground_energy, ground
    index = lowest_state_index(energies)
    return float(probabilities[index]), ground_energy, np.array([index], dtype=np.int64)
