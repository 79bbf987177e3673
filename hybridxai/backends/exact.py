"""The "exact" backend: brute-force enumeration of all ``2**d`` states.

The reference every other backend is checked against. It enumerates the energies with the
same doubling construction as the statevector diagonal (:func:`hybridxai.anneal.ising.
basis_energies`), in ``O(2**d)`` time and memory, and returns the ground manifold (or the
``num_states`` lowest states). ``dimod.ExactSolver`` is the same idea but returns all
``2**d`` samples, which is impractical past ~20 variables.
"""

from __future__ import annotations

import time
from typing import Any

import dimod
import numpy as np

from hybridxai._util.checks import check_bqm
from hybridxai.anneal.ising import basis_energies, dense_qubo, indices_to_bits
from hybridxai.exceptions import ProblemTooLargeError, invalid_argument

__all__ = ["ExactSampler", "DEFAULT_MAX_VARIABLES"]

DEFAULT_MAX_VARIABLES = 24
"""2**24 energies are 128 MiB in float64; above that, enumeration is the wrong tool."""


class ExactSampler(dimod.Sampler):
    """Exact minimisation by enumeration, with a hard size limit.

    Args:
        max_variables: Refuse larger problems (default 24) instead of exhausting memory.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1, "b": -1}, {("a", "b"): 2}, 0, "BINARY")
        >>> ExactSampler().sample(bqm).record.energy.tolist()   # both single selections tie
        [-1.0, -1.0]
    """

    def __init__(self, *, max_variables: int = DEFAULT_MAX_VARIABLES) -> None:
        if isinstance(max_variables, bool) or not isinstance(max_variables, int) or max_variables < 0:
            raise invalid_argument("max_variables", max_variables, "must be a non-negative integer",
                                   "pass e.g. max_variables=24")
        self.max_variables = max_variables

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """``num_states``: how many of the lowest states to return (default: the ground manifold)."""
        return {"num_states": []}

    @property
    def properties(self) -> dict[str, Any]:
        """The size limit."""
        return {"max_variables": self.max_variables}

    def check_options(self, num_states: int | None = None, **parameters: Any) -> dict[str, Any]:
        """Validate :meth:`sample`'s options without enumerating anything (the pre-flight check).

        Returns:
            The options as :meth:`sample` will use them.

        Raises:
            InvalidArgumentError: An unknown option or a bad ``num_states``.
        """
        if parameters:
            raise invalid_argument("parameters", sorted(parameters), "unknown options for the "
                                   "'exact' backend", "pass only num_states=")
        if num_states is not None and (isinstance(num_states, bool) or not isinstance(num_states, int)
                                       or num_states < 1):
            raise invalid_argument("num_states", num_states, "must be a positive integer or None",
                                   "pass e.g. num_states=10, or None for the ground manifold")
        return {"num_states": num_states}

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
            ``ground_energy``, ``ground_state_degeneracy`` and ``timing``.

        Raises:
            ProblemTooLargeError: More than ``max_variables`` variables.
        """
        self.check_options(num_states=num_states, **parameters)
        check_bqm(bqm)
        d = bqm.num_variables
        if d > self.max_variables:
            raise ProblemTooLargeError(
                f"bqm with num_variables={d} is too large for the 'exact' backend (limit "
                f"{self.max_variables}: it enumerates 2**{d} = {2**d:.3g} states). Fix: use "
                f"backend='sa', or pass max_qubits={self.max_variables} to hybridxai.explain(), or "
                "get_sampler('exact', max_variables=...) if you have the memory."
            )
        t0 = time.perf_counter_ns()
        qubo = dense_qubo(bqm)
        energies = basis_energies(qubo)
        t1 = time.perf_counter_ns()
        e_min = float(energies.min())
        tol = 1e-9 * max(1.0, float(energies.max()) - e_min)
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
        return dimod.SampleSet.from_samples(
            (bits, list(qubo.variables)), vartype=bqm.vartype, energy=energies[chosen],
            info={
                "backend": "exact",
                "ground_energy": e_min,
                "ground_state_degeneracy": int(ground.size),
                "num_variables": d,
                "timing": {"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1,
                           "postprocessing_ns": time.perf_counter_ns() - t2},
            },
        )
