"""Shared machinery of the statevector annealing samplers ("statevector", "aer", "pennylane").

A subclass only implements :meth:`AnnealingSampler._evolve`: apply the layer sequence of
:func:`hybridxai.anneal.schedules.trotter_layers` to ``|+>^d`` and return the final state in
hybridxai's little-endian qubit order (see :mod:`hybridxai.anneal.ising`). This base class does
everything else the same way for all of them: argument checks, the memory check before any
allocation, the exact fidelity with the ground manifold, sampling from ``|ψ|²`` and the
``dimod.SampleSet`` with its ``info``.
"""

from __future__ import annotations

import abc
import math
import time
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.checks import check_bqm, check_reads_memory, check_seed
from hybridxai._util.memory import available_memory_bytes, check_statevector_memory
from hybridxai.anneal.auto_time import auto_total_time, check_target_fidelity
from hybridxai.anneal.ising import DenseQubo, basis_energies, dense_qubo, indices_to_bits
from hybridxai.anneal.schedules import (
    Layer,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
    trotter_layers,
)
from hybridxai.anneal.spec import DEFAULT_TIME_STEP, DriverScale, ground_fidelity, resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["AnnealingSampler"]

class AnnealingSampler(dimod.Sampler, abc.ABC):
    """Base of the digitized quantum-annealing samplers.

    Args:
        total_time: Default anneal time ``T``.
        num_steps: Default number of Trotter steps (``None``: ``ceil(T / 0.01)``).
        num_reads: Default number of samples (``None``: ``d**2`` as in the paper).
        seed: Default seed of the sampling RNG.
        order: Default Trotter order (1 or 2).
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (authors' code) or a number.
        max_memory_bytes: Memory budget for the statevector (default 80 % of available RAM).
    """

    backend_name: str = "annealing"
    bytes_per_amplitude: int = 24

    def __init__(
        self,
        *,
        total_time: float = 10.0,
        num_steps: int | None = None,
        num_reads: int | None = None,
        seed: int | None = None,
        order: int = 1,
        driver_scale: DriverScale = "unit",
        max_memory_bytes: int | None = None,
    ) -> None:
        self.defaults: dict[str, Any] = dict(
            total_time=total_time, num_steps=num_steps, num_reads=num_reads, seed=seed,
            order=order, driver_scale=driver_scale, schedule=None,
        )
        self.max_memory_bytes = max_memory_bytes
        # validate the defaults once, now, so a bad constructor argument fails early
        check_anneal_parameters(total_time, num_steps or 1, order)
        resolve_driver_scale(driver_scale, 1)

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample` (dimod convention)."""
        return {
            "total_time": [], "num_steps": [], "num_reads": [], "seed": [], "schedule": [],
            "order": [], "driver_scale": [], "target_fidelity": [],
        }

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties of the sampler (dimod convention)."""
        return {"backend": self.backend_name, "max_memory_bytes": self.max_memory_bytes}

    # -- the one method subclasses implement ---------------------------------------------
    @abc.abstractmethod
    def _evolve(
        self, qubo: DenseQubo, diagonal: NDArray[np.float64], layers: list[Layer], **options: Any
    ) -> NDArray[np.complexfloating]:
        """Apply ``layers`` to ``|+>^d``; return the final state (little-endian, length 2**d)."""

    # -- public API -----------------------------------------------------------------------
    def _resolve(self, num_qubits: int, overrides: dict[str, Any]) -> dict[str, Any]:
        params = dict(self.defaults)
        params.update({k: v for k, v in overrides.items() if v is not None})
        auto = isinstance(params["total_time"], str) and params["total_time"] == "auto"
        target = params.get("target_fidelity")
        if auto:  # T is chosen in _run (hybridxai.anneal.auto_time); validate everything now
            check_target_fidelity(0.9 if target is None else target)
            if params["num_steps"] is not None:
                raise invalid_argument("num_steps", params["num_steps"],
                                       "is derived from the chosen T when total_time='auto'",
                                       "leave num_steps out (M = ceil(T / 0.01))")
            check_anneal_parameters(1.0, 1, params["order"])
        elif target is not None:
            raise invalid_argument("target_fidelity", target, "only applies with total_time='auto'",
                                   "pass total_time='auto' too, or leave target_fidelity out")
        elif params["num_steps"] is None:
            check_anneal_parameters(params["total_time"], 1, params["order"])
            params["num_steps"] = max(1, math.ceil(float(params["total_time"]) / DEFAULT_TIME_STEP - 1e-9))
        if not auto:
            check_anneal_parameters(params["total_time"], params["num_steps"], params["order"])
        if params["num_reads"] is None:
            params["num_reads"] = max(1, num_qubits**2)
        reads = params["num_reads"]
        if isinstance(reads, bool) or not isinstance(reads, (int, np.integer)):
            raise invalid_type("num_reads", reads, "a positive integer", "pass e.g. num_reads=100")
        if reads < 1:
            raise invalid_argument("num_reads", reads, "must be at least 1", "pass e.g. num_reads=100")
        # the readout draws num_reads basis indices (8 bytes each) before counting them
        check_reads_memory(int(reads), 16, int(0.8 * available_memory_bytes()))
        check_seed(params.get("seed"))
        params["driver_coefficient"] = resolve_driver_scale(params["driver_scale"], num_qubits)
        params["schedule"] = check_schedule(params["schedule"])  # gap-aware ones are built in _run
        return params

    def check_options(self, **options: Any) -> dict[str, Any]:
        """Validate :meth:`sample` options without running anything (used before a model runs).

        Returns:
            The options resolved as :meth:`sample` would use them (defaults filled in).

        Raises:
            InvalidArgumentError: For an unknown option or a bad value (``total_time <= 0``,
                ``num_steps < 1``, an unknown schedule, ...).
        """
        unknown = set(options) - set(self.parameters)
        if unknown:
            name = sorted(unknown)[0]
            raise invalid_argument(name, options[name],
                                   f"is not a parameter of the '{self.backend_name}' backend",
                                   f"use some of {sorted(self.parameters)}")
        return self._resolve(1, dict(options))

    def final_state(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        total_time: float | str | None = None,
        num_steps: int | None = None,
        schedule: ScheduleLike = None,
        order: int | None = None,
        driver_scale: DriverScale | None = None,
        **options: Any,
    ) -> NDArray[np.complexfloating]:
        """The final statevector of the anneal (little-endian qubit order, qubit i = i-th variable).

        Args:
            bqm: The problem.
            total_time: ``T`` (default: the sampler's).
            num_steps: Trotter steps ``M``.
            schedule: See :func:`hybridxai.anneal.schedules.as_schedule`.
            order: Trotter order.
            driver_scale: See :class:`AnnealingSampler`.
            **options: Backend-specific options.

        Returns:
            Complex array of length ``2**d``.
        """
        state, _, _ = self._run(bqm, dict(total_time=total_time, num_steps=num_steps,
                                          schedule=schedule, order=order, driver_scale=driver_scale),
                                options)
        return state

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, overrides: dict[str, Any], options: dict[str, Any]
    ) -> tuple[NDArray[np.complexfloating], NDArray[np.float64], dict[str, Any]]:
        check_bqm(bqm)
        qubo = dense_qubo(bqm)
        d = qubo.num_variables
        if "target_fidelity" in options:  # a sampling parameter, not a backend option
            overrides = {**overrides, "target_fidelity": options.pop("target_fidelity")}
        params = self._resolve(d, overrides)
        check_statevector_memory(d, self.bytes_per_amplitude, backend=self.backend_name,
                                 max_bytes=self.max_memory_bytes)
        t0 = time.perf_counter_ns()
        diagonal = basis_energies(qubo)
        params["schedule"] = as_schedule(params["schedule"], problem=bqm,
                                         driver_scale=params["driver_coefficient"])
        if isinstance(params["total_time"], str):  # "auto", validated in _resolve
            choice = auto_total_time(bqm, target_fidelity=params.get("target_fidelity") or 0.9,
                                     schedule=params["schedule"], order=params["order"],
                                     driver_scale=params["driver_coefficient"])
            params["total_time"] = choice.total_time
            params["num_steps"] = max(1, math.ceil(choice.total_time / DEFAULT_TIME_STEP - 1e-9))
            params["auto_total_time"] = choice.as_dict()
        layers = trotter_layers(params["schedule"], params["total_time"], params["num_steps"],
                                params["order"], params["driver_coefficient"])
        t1 = time.perf_counter_ns()
        state = self._evolve(qubo, diagonal, layers, **options)
        t2 = time.perf_counter_ns()
        params["timing"] = {"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1}
        params["qubo"] = qubo
        return state, diagonal, params

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        total_time: float | str | None = None,
        num_steps: int | None = None,
        num_reads: int | None = None,
        seed: int | None = None,
        schedule: ScheduleLike = None,
        order: int | None = None,
        driver_scale: DriverScale | None = None,
        **options: Any,
    ) -> dimod.SampleSet:
        """Anneal ``bqm`` and sample the final state.

        Args:
            bqm: BINARY or SPIN model; samples come back in its vartype and labels.
            total_time: ``T`` (default 10), or ``"auto"``: the shortest ``T`` (power-of-two
                multiple of a gap-profile estimate, verified by simulation) whose fidelity reaches
                ``target_fidelity`` (default 0.9; see :mod:`hybridxai.anneal.auto_time`),
                recorded in ``info["auto_total_time"]``.
            num_steps: Trotter steps ``M`` (default ``ceil(T/0.01)``, the paper's ``dt``).
            num_reads: Number of samples drawn from ``|ψ(T)|²`` (default ``d**2``).
            seed: Seed of the sampling RNG (the evolution itself is deterministic).
            schedule: ``"linear"``, ``"local-adiabatic"`` (built from the gap profile of ``bqm``,
                see :class:`hybridxai.anneal.schedules.ProblemSchedule`), ``("pause", s_p,
                fraction)``, a callable ``s(u)`` or ``(times, values)``.
            order: Trotter order 1 or 2.
            driver_scale: ``"unit"``, ``"1/d"`` or a number.
            **options: Backend-specific options.

        Returns:
            A ``dimod.SampleSet`` of the distinct sampled states with ``num_occurrences``, a
            ``probability`` data vector (exact ``|<z|ψ(T)>|²``), energies including the offset,
            and ``info`` with ``fidelity``, ``ground_energy``, ``total_time``, ``num_steps``,
            ``num_qubits``, ``order``, ``driver_scale``, ``schedule`` and ``timing`` (``*_ns``).
        """
        state, diagonal, params = self._run(
            bqm, dict(total_time=total_time, num_steps=num_steps, num_reads=num_reads, seed=seed,
                      schedule=schedule, order=order, driver_scale=driver_scale), options)
        t0 = time.perf_counter_ns()
        qubo: DenseQubo = params["qubo"]
        d = qubo.num_variables
        probabilities = np.abs(state.astype(np.complex128, copy=False)) ** 2
        total = probabilities.sum()
        if not np.isfinite(total) or total <= 0:
            raise RuntimeError(f"the '{self.backend_name}' backend returned an invalid state "
                               f"(norm² = {total}); this is a bug, please report it")
        probabilities /= total
        fidelity, ground_energy, ground = ground_fidelity(probabilities, diagonal)
        rng = np.random.default_rng(params["seed"])
        draws = rng.choice(probabilities.size, size=params["num_reads"], p=probabilities)
        unique, counts = np.unique(draws, return_counts=True)
        order_ = np.argsort(diagonal[unique], kind="stable")
        unique, counts = unique[order_], counts[order_]
        bits = indices_to_bits(unique, d)
        if qubo.vartype is dimod.SPIN:
            bits = 2 * bits - 1
        sampleset = dimod.SampleSet.from_samples(
            (bits, list(qubo.variables)),
            vartype=qubo.vartype,
            energy=diagonal[unique],
            num_occurrences=counts,
            probability=probabilities[unique],
            info={
                "fidelity": fidelity,
                "ground_energy": ground_energy,
                "ground_state_degeneracy": int(ground.size),
                "total_time": float(params["total_time"]),
                "num_steps": int(params["num_steps"]),
                "num_qubits": d,
                "num_reads": int(params["num_reads"]),
                "order": int(params["order"]),
                "driver_scale": params["driver_scale"],
                "driver_coefficient": params["driver_coefficient"],
                "schedule": params["schedule"].name,
                "seed": params["seed"],
                "backend": self.backend_name,
                "timing": {**params["timing"], "postprocessing_ns": time.perf_counter_ns() - t0},
            },
        )
        if "auto_total_time" in params:  # total_time="auto": the chosen T and its trials
            sampleset.info["auto_total_time"] = params["auto_total_time"]
        return sampleset
