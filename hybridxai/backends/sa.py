"""The "sa" backend: classical simulated annealing from dwave-samplers, polished.

A thin ``dimod.Sampler`` over :class:`dwave.samplers.SimulatedAnnealingSampler` that sets
defaults suited to feature-selection QUBOs (several reads, a recorded seed) and, by default,
finishes every read with :class:`dwave.samplers.SteepestDescentSolver` — a local descent that
can only lower the energy of a read, and fixes SA's occasional finish above a local minimum on
dense QUBOs.
"""

from __future__ import annotations

import time
from typing import Any

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler as _DWaveSA
from dwave.samplers import SteepestDescentSolver

from hybridxai.exceptions import invalid_argument

__all__ = ["SimulatedAnnealingSampler"]


class SimulatedAnnealingSampler(dimod.Sampler):
    """Simulated annealing (dwave-samplers) with optional steepest-descent polishing.

    Args:
        num_reads: Default number of independent anneals.
        seed: Default seed; ``None`` draws one per call, recorded in ``info["seed"]`` so the
            call can be repeated exactly.
        polish: Run steepest descent from each read (default ``True``).
        **defaults: Other default keyword arguments for dwave-samplers' ``sample``
            (``num_sweeps``, ``beta_range``, ``beta_schedule_type`` …).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1, 1: -1}, {(0, 1): 3}, 0, "BINARY")
        >>> SimulatedAnnealingSampler(seed=3).sample(bqm).first.energy
        -1.0
    """

    def __init__(self, *, num_reads: int = 10, seed: int | None = None, polish: bool = True,
                 **defaults: Any) -> None:
        self._child = _DWaveSA()
        unknown = set(defaults) - set(self._child.parameters)
        if unknown:
            raise invalid_argument("defaults", sorted(unknown), "unknown simulated-annealing options",
                                   f"use some of {sorted(self._child.parameters)}")
        self.defaults: dict[str, Any] = {"num_reads": num_reads, "seed": seed, **defaults}
        self.polish = bool(polish)
        self._descent = SteepestDescentSolver()

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """dwave-samplers' SA parameters plus ``polish``."""
        return {**self._child.parameters, "polish": []}

    @property
    def properties(self) -> dict[str, Any]:
        """The child's properties."""
        return dict(self._child.properties)

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Sample ``bqm`` with simulated annealing.

        Args:
            bqm: BINARY or SPIN model.
            **parameters: Any of :attr:`parameters` (``num_reads``, ``seed``, ``num_sweeps``,
                ``beta_range``, ``polish`` …); unset ones take the constructor defaults.

        Returns:
            A ``dimod.SampleSet``; ``info`` has the child's ``beta_range`` and
            ``beta_schedule_type``, the ``seed`` used, ``polished`` and ``timing`` (``*_ns``).
        """
        unknown = set(parameters) - set(self.parameters)
        if unknown:
            raise invalid_argument("parameters", sorted(unknown), "unknown options for the 'sa' backend",
                                   f"use some of {sorted(self.parameters)}")
        polish = bool(parameters.pop("polish", self.polish))
        options = {**self.defaults, **{k: v for k, v in parameters.items() if v is not None}}
        if options.get("seed") is None:
            options["seed"] = int(np.random.SeedSequence().generate_state(1)[0])
        reads = options.get("num_reads")
        if isinstance(reads, bool) or not isinstance(reads, (int, np.integer)) or reads < 1:
            raise invalid_argument("num_reads", reads, "must be a positive integer",
                                   "pass e.g. num_reads=10")
        t0 = time.perf_counter_ns()
        result = self._child.sample(bqm, **options)
        t1 = time.perf_counter_ns()
        info = dict(result.info)
        timing = dict(info.pop("timing", {}))
        if polish and bqm.num_variables:
            result = self._descent.sample(bqm, initial_states=result, seed=options["seed"])
            timing["polish_ns"] = time.perf_counter_ns() - t1
        info.update({"seed": options["seed"], "polished": polish, "timing": timing,
                     "num_reads": int(reads), "wall_ns": time.perf_counter_ns() - t0})
        return dimod.SampleSet(result.record, result.variables, info, result.vartype)
