"""The "exact" backend: brute-force enumeration of all ``2**d`` states.

The reference every other backend is checked against. It enumerates the energies with the
same doubling construction as the statevector diagonal (:func:`hybridxai.anneal.ising.
basis_energies`), in ``O(2**d)`` time and memory, and returns the ground manifold (or the
``num_states`` lowest states). ``dimod.ExactSolver`` is the same idea but returns all
``2**d`` samples, which is impractical past ~20 variables.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dimod
import numpy as np

from hybridxai._util.checks import check_positive_int
from hybridxai.anneal.ising import basis_energies, dense_qubo, indices_to_bits
from hybridxai.anneal.spec import ground_tolerance
from hybridxai.backends.base import BaseSampler
from hybridxai.exceptions import ProblemTooLargeError

__all__ = ["ExactSampler", "DEFAULT_MAX_VARIABLES"]

DEFAULT_MAX_VARIABLES = 24
"""2**24 energies are 128 MiB in float64; above that, enumeration is the wrong tool."""


class ExactSampler(BaseSampler):
    """Exact minimisation by enumeration, with a hard size limit.

    Args:
        max_variables: Refuse larger problems (default 24) instead of exhausting memory.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1, "b": -1}, {("a", "b"): 2}, 0, "BINARY")
        >>> ExactSampler().sample(bqm).record.energy.tolist()   # both single selections tie
        [-1.0, -1.0]
    """

    backend_name = "exact"

    def __init__(self, *, max_variables: int = DEFAULT_MAX_VARIABLES) -> None:
        max_variables = check_positive_int("max_variables", max_variables, "pass e.g. max_variables=24",
                                           minimum=0)
        super().__init__(num_states=None)
        self.max_variables = max_variables

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """``num_states``: how many of the lowest states to return (default: the ground manifold)."""
        return {"num_states": []}

    @property
    def properties(self) -> dict[str, Any]:
        """The backend and the size limit."""
        return {**super().properties, "max_variables": self.max_variables}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        num_states = options["num_states"]
        if num_states is not None:
            check_positive_int("num_states", num_states,
                               "pass e.g. num_states=10, or None for the ground manifold")
        return options

    def _check_problem(self, bqm: dimod.BinaryQuadraticModel, options: Mapping[str, Any]) -> None:
        d = bqm.num_variables
        if d > self.max_variables:
            raise ProblemTooLargeError(
                f"bqm with num_variables={d} is too large for the 'exact' backend (limit "
                f"{self.max_variables}: it enumerates 2**{d} = {2**d:.3g} states). Fix: use "
                f"backend='sa', or pass max_qubits={self.max_variables} to hybridxai.explain(), or "
                "get_sampler('exact', max_variables=...) if you have the memory."
            )

    def sample(self, bqm: dimod.BinaryQuadraticModel, *, num_states: int | None = None,
               **parameters: Any) -> dimod.SampleSet:
        """Enumerate ``bqm`` and return its lowest states.

        Args:
            bqm: BINARY or SPIN model.
            num_states: Return this many lowest-energy states (sorted); ``None`` returns every
                state of the ground manifold (all ties of the minimum energy).
            **parameters: Rejected: the exact solver takes no other options.

        Returns:
            A ``dimod.SampleSet`` (energies include the offset) whose ``info`` holds
            ``backend``, ``ground_energy``, ``ground_state_degeneracy`` and ``timing``.

        Raises:
            ProblemTooLargeError: More than ``max_variables`` variables.
        """
        num_states = self.check_sample(bqm, num_states=num_states, **parameters)["num_states"]
        d = bqm.num_variables
        t0 = time.perf_counter_ns()
        qubo = dense_qubo(bqm)
        energies = basis_energies(qubo)
        t1 = time.perf_counter_ns()
        e_min = float(energies.min())
        tol = ground_tolerance(energies)
        ground = np.flatnonzero(energies <= e_min + tol)
        if num_states is None:
            chosen = ground
        else:
            k = min(num_states, energies.size)
            part = np.argpartition(energies, k - 1)[:k] if k < energies.size else np.arange(energies.size)
            chosen = part[np.argsort(energies[part], kind="stable")]
        bits = indices_to_bits(chosen, d)
        if bqm.vartype is dimod.SPIN:
            bits = 2 * bits - 1
        t2 = time.perf_counter_ns()
        info = {"ground_energy": e_min, "ground_state_degeneracy": int(ground.size), "num_variables": d}
        return self.to_sampleset(
            (bits, list(qubo.variables)), vartype=bqm.vartype, energy=energies[chosen], info=info,
            timing={"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1,
                    "postprocessing_ns": time.perf_counter_ns() - t2})
