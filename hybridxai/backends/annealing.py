"""Shared machinery of the digitized quantum-annealing samplers.

:class:`AnnealingSampler` ("statevector", "aer", "pennylane", "ibm-runtime") does everything
the same way for all of them: the anneal's options and their checks
(:meth:`~AnnealingSampler.check_options`), the schedule (problem-dependent ones built for the
problem), ``total_time="auto"``, the Trotter layers of
:func:`hybridxai.anneal.schedules.trotter_layers`, and the ``dimod.SampleSet`` with its ``info``.
A subclass implements the *device step*, one of:

* :meth:`~AnnealingSampler._evolve` (statevector simulators): apply the layers to ``|+>^d``
  and return the final state in hybridxai's little-endian qubit order (see
  :mod:`hybridxai.anneal.ising`); the base class checks the memory before any allocation,
  computes the exact fidelity with the ground manifold and samples from ``|ψ|²``;
* :meth:`~AnnealingSampler._readout` (devices that return shots, such as IBM Quantum): run the
  layers and return the measured states and their counts as a :class:`Readout`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.memory import check_memory_budget, check_statevector_memory
from hybridxai.anneal.auto_time import auto_total_time, check_target_fidelity
from hybridxai.anneal.conventions import PRESETS, check_choice
from hybridxai.anneal.ising import DenseQubo, basis_energies, dense_qubo, indices_to_bits
from hybridxai.anneal.schedules import (
    Layer,
    ScheduleLike,
    as_schedule,
    check_anneal_parameters,
    check_schedule,
    trotter_layers,
)
from hybridxai.anneal.settings import SAMPLER_TOTAL_TIME, AnnealSpec, final_fidelity
from hybridxai.anneal.spec import DriverScale, ground_fidelity, resolve_driver_scale
from hybridxai.backends.base import BaseSampler, check_num_reads
from hybridxai.backends.optimality import energy_rounding, optimality_report
from hybridxai.exceptions import invalid_argument

__all__ = ["AnnealingSampler", "Readout", "POSTPROCESS", "check_postprocess"]

ANNEAL_PARAMETERS = ("total_time", "num_steps", "num_reads", "seed", "schedule", "order", "driver_scale",
                     "target_fidelity", "postprocess", "conventions", "time_grid", "fidelity")
"""The :meth:`AnnealingSampler.sample` options every annealing backend shares."""

POSTPROCESS = ("none", "descent")
"""Values of ``postprocess``: the raw reads, or steepest descent from each read."""


def check_postprocess(postprocess: Any) -> str:
    """Validate ``postprocess`` (one of :data:`POSTPROCESS`).

    Raises:
        InvalidArgumentError: Any other value.

    Example:
        >>> check_postprocess("descent")
        'descent'
    """
    if not isinstance(postprocess, str) or postprocess not in POSTPROCESS:
        raise invalid_argument("postprocess", postprocess, f"must be one of {list(POSTPROCESS)}",
                               "pass postprocess='none' (raw reads, the default) or postprocess='descent'")
    return postprocess


@dataclass
class Readout:
    """What the device step measured: distinct basis states, their counts and energies.

    Attributes:
        bits: ``(rows, d)`` 0/1 array, column ``i`` the ``i``-th variable (qubit ``i``).
        counts: How often each row was measured (sums to ``num_reads``).
        energies: Each row's energy, offset included.
        info: The device step's own ``info`` entries (``fidelity``, ``device`` …).
        timing: Its durations (``preprocessing_ns``, ``sampling_ns``, ...).
        started_postprocessing_ns: ``time.perf_counter_ns()`` when the device step finished.
        vectors: Further per-row fields of the sample set (``probability``).
        diagonal: The ``2**d`` basis energies (statevector simulators), else ``None``.
        probabilities: ``|ψ(T)|²`` over the basis (statevector simulators), else ``None``.
    """

    bits: NDArray[np.integer]
    counts: NDArray[np.integer]
    energies: NDArray[np.floating]
    info: dict[str, Any]
    timing: dict[str, int]
    started_postprocessing_ns: int
    vectors: dict[str, NDArray[Any]] = field(default_factory=dict)
    diagonal: NDArray[np.floating] | None = None
    probabilities: NDArray[np.floating] | None = None


class AnnealingSampler(BaseSampler):
    """Base of the digitized quantum-annealing samplers.

    Args:
        total_time: Default anneal time ``T`` (200: optimal selections on real instances, see
            :data:`hybridxai.anneal.settings.SAMPLER_TOTAL_TIME`).
        num_steps: Default number of Trotter steps (``None``: ``ceil(T / 0.01)``).
        num_reads: Default number of samples (``None``: ``d**2`` as in the paper).
        seed: Default seed of the sampling RNG.
        schedule: Default schedule (``None``: linear; see :meth:`sample`).
        order: Default Trotter order (1 or 2).
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (authors' code) or a number
            (``None``: the preset's of ``conventions``).
        postprocess: Default ``postprocess`` (``"none"``: raw reads; see :meth:`sample`).
        conventions: ``"hybridxai"`` (default) or ``"authors"``: the preset of
            :class:`hybridxai.anneal.settings.AnnealSpec` filling in ``driver_scale``,
            ``time_grid`` and ``fidelity`` where they are not given (also per call).
        time_grid: ``"midpoint"`` or ``"endpoints"`` (``None``: the preset's).
        fidelity: ``"manifold"`` or ``"lowest-state"``: what ``info["fidelity"]`` measures
            (``None``: the preset's).
        max_memory_bytes: Memory budget for the statevector (default 80 % of available RAM).
    """

    backend_name: str = "annealing"
    bytes_per_amplitude: int = 24
    bytes_per_read = 16  # the statevector readout draws num_reads basis indices, then counts them
    default_max_variables = 16  # the state grows as 2**d; measured in docs/backends.md

    def __init__(
        self,
        *,
        total_time: float = SAMPLER_TOTAL_TIME,
        num_steps: int | None = None,
        num_reads: int | None = None,
        seed: int | None = None,
        schedule: ScheduleLike = None,
        order: int = 1,
        driver_scale: DriverScale | None = None,
        postprocess: str = "none",
        max_memory_bytes: int | None = None,
        conventions: str = "hybridxai",
        time_grid: str | None = None,
        fidelity: str | None = None,
    ) -> None:
        cls = type(self)
        if cls._evolve is AnnealingSampler._evolve and cls._readout is AnnealingSampler._readout:
            raise TypeError(f"{cls.__name__} must implement the device step: _evolve or _readout")
        super().__init__(total_time=total_time, num_steps=num_steps, num_reads=num_reads, seed=seed,
                         order=order, driver_scale=driver_scale, schedule=schedule,
                         postprocess=check_postprocess(postprocess), conventions=conventions,
                         time_grid=time_grid, fidelity=fidelity)
        self.max_memory_bytes = check_memory_budget(max_memory_bytes)
        # validate the defaults once, now, so a bad constructor argument fails early
        check_anneal_parameters(total_time, 1 if num_steps is None else num_steps, order)
        AnnealSpec.from_conventions(conventions, driver_scale=driver_scale, time_grid=time_grid,
                                    fidelity=fidelity)
        check_schedule(schedule)
        self._check_common(self.defaults)

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample` (dimod convention)."""
        return {name: [] for name in ANNEAL_PARAMETERS}

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties of the sampler (dimod convention)."""
        return {**super().properties, "max_memory_bytes": self.max_memory_bytes}

    # -- the device step: subclasses implement one of these -------------------------------
    def _evolve(
        self, qubo: DenseQubo, diagonal: NDArray[np.float64], layers: list[Layer], **options: Any
    ) -> NDArray[np.complexfloating]:
        """Apply ``layers`` to ``|+>^d``; return the final state (little-endian, length 2**d).

        ``options`` are the resolved values of the backend's own :attr:`parameters` (those
        beyond :data:`ANNEAL_PARAMETERS`).
        """
        raise invalid_argument("backend", self.backend_name, "returns measured shots, not a final state",
                               "use backend='statevector' (or 'aer', 'pennylane') for the final state")

    def _readout(self, qubo: DenseQubo, layers: list[Layer], options: dict[str, Any]) -> Readout:
        """Run the anneal and measure it ``options["num_reads"]`` times (default: on a statevector).

        Args:
            qubo: The dense problem.
            layers: The Trotter layers.
            options: The resolved options of :meth:`sample`.
        """
        t0 = time.perf_counter_ns()
        diagonal = basis_energies(qubo)
        t1 = time.perf_counter_ns()
        state = self._evolve(qubo, diagonal, layers, **self._backend_options(options))
        t2 = time.perf_counter_ns()
        probabilities = np.abs(state.astype(np.complex128, copy=False)) ** 2
        total = probabilities.sum()
        if not np.isfinite(total) or total <= 0:
            raise RuntimeError(f"the '{self.backend_name}' backend returned an invalid state "
                               f"(norm² = {total}); this is a bug, please report it")
        probabilities /= total
        fidelity, ground_energy, ground = ground_fidelity(probabilities, diagonal)
        definition = options.get("fidelity", "manifold")
        if definition != "manifold":  # the manifold's is computed above already (one 2**d pass)
            fidelity = final_fidelity(probabilities, diagonal, definition)[0]
        rng = np.random.default_rng(options["seed"])
        draws = rng.choice(probabilities.size, size=options["num_reads"], p=probabilities)
        unique, counts = np.unique(draws, return_counts=True)
        return Readout(
            bits=indices_to_bits(unique, qubo.num_variables), counts=counts, energies=diagonal[unique],
            info={"fidelity": fidelity, "ground_energy": ground_energy,
                  "ground_state_degeneracy": int(ground.size)},
            timing={"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1},
            started_postprocessing_ns=t2, vectors={"probability": probabilities[unique]},
            diagonal=diagonal, probabilities=probabilities,
        )

    def _sample_info(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Backend-specific ``info`` entries of a sample set (e.g. the engine used)."""
        return {}

    # -- options ------------------------------------------------------------------------------
    def _backend_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {k: options[k] for k in self.parameters if k not in ANNEAL_PARAMETERS and k in options}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        params = options
        params["postprocess"] = check_postprocess(params.get("postprocess", "none"))
        preset = PRESETS[check_choice("conventions", params.get("conventions") or "hybridxai")]
        for name in ("driver_scale", "time_grid", "fidelity"):  # the preset fills what is not given
            params[name] = preset[name] if params.get(name) is None else params[name]
            if name != "driver_scale":
                check_choice(name, params[name])
        num_qubits = 1 if bqm is None else bqm.num_variables
        auto = isinstance(params["total_time"], str) and params["total_time"] == "auto"
        target = params.get("target_fidelity")
        if auto:  # T is chosen in _layers (hybridxai.anneal.auto_time); validate everything now
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
            grid = self._grid(params, params["total_time"])
            params["num_steps"], params["step_time"] = grid.steps(), grid.step_time()
        if not auto:
            check_anneal_parameters(params["total_time"], params["num_steps"], params["order"])
        if params["num_reads"] is None:
            params["num_reads"] = check_num_reads(max(1, num_qubits**2), self.bytes_per_read)
        params["driver_coefficient"] = resolve_driver_scale(params["driver_scale"], num_qubits)
        params["schedule"] = check_schedule(params["schedule"])  # gap-aware ones are built in _layers
        if not auto and params.get("step_time") is None:  # num_steps given: each step T/M
            params["step_time"] = float(params["total_time"]) / params["num_steps"]
        return params

    @staticmethod
    def _grid(params: Mapping[str, Any], total_time: float) -> AnnealSpec:
        """The time grid of ``total_time`` under the call's conventions (``M`` derived if not given)."""
        return AnnealSpec(total_time=float(total_time), time_grid=params["time_grid"],
                          conventions=params.get("conventions") or "hybridxai")

    def _check_problem(self, bqm: dimod.BinaryQuadraticModel, options: Mapping[str, Any]) -> None:
        check_statevector_memory(bqm.num_variables, self.bytes_per_amplitude, backend=self.backend_name,
                                 max_bytes=self.max_memory_bytes)

    def _layers(self, bqm: dimod.BinaryQuadraticModel, params: dict[str, Any]) -> list[Layer]:
        """Build the schedule (for this problem), choose ``T`` if ``"auto"``, return the layers."""
        params["schedule"] = as_schedule(params["schedule"], problem=bqm,
                                         driver_scale=params["driver_coefficient"])
        if isinstance(params["total_time"], str):  # "auto", validated in _resolve_options
            choice = auto_total_time(bqm, target_fidelity=params.get("target_fidelity") or 0.9,
                                     schedule=params["schedule"], order=params["order"],
                                     driver_scale=params["driver_coefficient"])
            params["total_time"] = choice.total_time
            grid = self._grid(params, choice.total_time)
            params["num_steps"], params["step_time"] = grid.steps(), grid.step_time()
            params["auto_total_time"] = choice.as_dict()
        return trotter_layers(params["schedule"], params["total_time"], params["num_steps"],
                              params["order"], params["driver_coefficient"], time_grid=params["time_grid"],
                              step_time=params["step_time"])

    # -- public API -----------------------------------------------------------------------
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
        params = self.check_options(bqm, total_time=total_time, num_steps=num_steps, schedule=schedule,
                                    order=order, driver_scale=driver_scale, **options)
        qubo = dense_qubo(bqm)
        layers = self._layers(bqm, params)
        return self._evolve(qubo, basis_energies(qubo), layers, **self._backend_options(params))

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
        postprocess: str | None = None,
        **options: Any,
    ) -> dimod.SampleSet:
        """Anneal ``bqm`` and sample the final state.

        Args:
            bqm: BINARY or SPIN model; samples come back in its vartype and labels.
            total_time: ``T`` (default 200, ``SAMPLER_TOTAL_TIME``), or ``"auto"``: the shortest
                ``T`` (power-of-two multiple of a gap-profile estimate, verified by simulation) whose
                fidelity reaches
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
            postprocess: ``"none"`` (default: the raw reads, so the physics is never hidden) or
                ``"descent"``: steepest single-flip descent from every read (the ``sa``
                backend's kernel); the returned samples are then the distinct local minima
                (their ``num_occurrences`` summed, no ``probability`` vector), and ``info``
                reports the raw and the polished result apart, as ``info["raw"]`` and
                ``info["postprocessed"]`` (each ``selected``, ``sample`` in variable order,
                ``energy`` and its ``optimality`` report).
            **options: Backend-specific options (see :attr:`parameters`).

        Returns:
            A ``dimod.SampleSet`` of the distinct sampled states with ``num_occurrences``, a
            ``probability`` data vector (exact ``|<z|ψ(T)>|²``), energies including the offset,
            and ``info`` with ``backend``, ``fidelity``, ``ground_energy``, ``total_time``,
            ``num_steps``, ``num_qubits``, ``order``, ``driver_scale``, ``schedule``,
            ``postprocess``, ``optimality`` (the report of
            :func:`hybridxai.backends.optimality.optimality_report` on the returned samples:
            exact from the statevector's diagonal, with ``optimum_probability`` the ground-state
            fidelity) and ``timing`` (``*_ns``).

        Raises:
            InvalidArgumentError: A bad option (e.g. ``postprocess="polish"``), before any work.
        """
        params = self.check_sample(bqm, total_time=total_time, num_steps=num_steps, num_reads=num_reads,
                                   seed=seed, schedule=schedule, order=order, driver_scale=driver_scale,
                                   postprocess=postprocess, **options)
        t0 = time.perf_counter_ns()
        qubo = dense_qubo(bqm)
        layers = self._layers(bqm, params)
        t1 = time.perf_counter_ns()
        readout = self._readout(qubo, layers, params)
        order_ = np.argsort(readout.energies, kind="stable")
        bits = np.asarray(readout.bits)[order_]
        if qubo.vartype is dimod.SPIN:
            bits = 2 * bits - 1
        info = {
            **readout.info,
            "total_time": float(params["total_time"]),
            "num_steps": int(params["num_steps"]),
            "num_qubits": qubo.num_variables,
            "num_reads": int(params["num_reads"]),
            "order": int(params["order"]),
            "driver_scale": params["driver_scale"],
            "driver_coefficient": params["driver_coefficient"],
            "schedule": params["schedule"].name,
            "seed": params["seed"],
            "postprocess": params["postprocess"],
            "conventions": params["conventions"],
            "time_grid": params["time_grid"],
            "step_time": float(params["step_time"]),
            "fidelity_definition": params["fidelity"],
            **self._sample_info(params),
        }
        if "auto_total_time" in params:  # total_time="auto": the chosen T and its trials
            info["auto_total_time"] = params["auto_total_time"]
        timing = {**readout.timing,
                  "preprocessing_ns": t1 - t0 + readout.timing.get("preprocessing_ns", 0)}
        raw = self.to_sampleset(
            (bits, list(qubo.variables)), vartype=qubo.vartype, energy=np.asarray(readout.energies)[order_],
            num_occurrences=np.asarray(readout.counts)[order_], info=info, timing=timing,
            **{name: np.asarray(vector)[order_] for name, vector in readout.vectors.items()})
        report = optimality_report(bqm, raw, diagonal=readout.diagonal, probabilities=readout.probabilities)
        if params["postprocess"] == "none":
            raw.info["optimality"] = report
            elapsed = time.perf_counter_ns() - readout.started_postprocessing_ns
            raw.info["timing"]["postprocessing_ns"] = elapsed
            return raw
        polished = self._descend(bqm, qubo, raw, readout.diagonal)
        info["raw"] = _best_read(raw, report)
        info["postprocessed"] = {"method": "descent", **_best_read(polished, polished.info["optimality"]),
                                 "improved_reads": polished.info["improved_reads"]}
        info["optimality"] = polished.info["optimality"]
        timing["postprocessing_ns"] = time.perf_counter_ns() - readout.started_postprocessing_ns
        return self.to_sampleset(polished, info=info, timing=timing)

    @staticmethod
    def _descend(bqm: dimod.BinaryQuadraticModel, qubo: DenseQubo, raw: dimod.SampleSet,
                 diagonal: NDArray[np.floating] | None) -> dimod.SampleSet:
        """Steepest descent from every distinct read; the distinct minima with summed counts.

        Uses :func:`hybridxai.backends.sa.kernel.descend_dense` (the ``sa`` backend's kernel);
        the result's ``info`` holds its ``optimality`` report and ``improved_reads``.
        """
        from hybridxai.backends.sa.kernel import descend_dense  # numba: only when asked for

        start = np.asarray(raw.record.sample, dtype=np.int8)
        if qubo.vartype is dimod.SPIN:
            start = ((start + 1) // 2).astype(np.int8)
        weights = np.ascontiguousarray(qubo.quadratic + qubo.quadratic.T)
        ends = descend_dense(weights, np.ascontiguousarray(qubo.linear), start, threads=1)
        energies = qubo.energies(ends)
        raw_counts = np.asarray(raw.record.num_occurrences, dtype=np.int64)
        raw_energies = np.asarray(raw.record.energy, dtype=np.float64)
        # lower beyond rounding (the sampler summed the same terms in another order), in any units
        lower = energies < raw_energies - energy_rounding(qubo)
        improved = int(raw_counts[lower].sum())
        unique, first, inverse = np.unique(ends, axis=0, return_index=True, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=raw_counts, minlength=len(unique)).astype(np.int64)
        energies = energies[first]
        order_ = np.argsort(energies, kind="stable")
        rows = unique[order_]
        if qubo.vartype is dimod.SPIN:
            rows = 2 * rows.astype(np.int8) - 1
        polished = dimod.SampleSet.from_samples((rows, list(qubo.variables)), vartype=qubo.vartype,
                                                energy=energies[order_], num_occurrences=counts[order_])
        polished.info["optimality"] = optimality_report(bqm, polished, diagonal=diagonal)
        polished.info["improved_reads"] = improved
        return polished


def _best_read(sampleset: dimod.SampleSet, report: dict[str, Any]) -> dict[str, Any]:
    """The lowest-energy row as JSON-ready ``selected`` / ``sample`` / ``energy``, with its report."""
    best = sampleset.first
    labels = list(sampleset.variables)
    values = [int(best.sample[v]) for v in labels]
    return {"selected": [v.item() if isinstance(v, np.generic) else v
                         for v, x in zip(labels, values, strict=True) if x == 1],
            "sample": values, "energy": float(best.energy), "optimality": report}
