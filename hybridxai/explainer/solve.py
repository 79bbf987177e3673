"""The one solve of one image's QUBO, shared by :func:`hybridxai.explain` and the reproduction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from hybridxai._util.blas import blas_threads
from hybridxai.anneal.qubo import FeatureQubo

__all__ = ["Solution", "solve", "drop_ties"]


@dataclass(frozen=True)
class Solution:
    """What :func:`solve` found.

    Attributes:
        sampleset: What the sampler returned.
        selected: The selected channels (ascending).
        energy: ``H_P`` of the selection.
    """

    sampleset: dimod.SampleSet
    selected: tuple[int, ...]
    energy: float


def solve(qubo: FeatureQubo, sampler: dimod.Sampler, seed: int | None = None,
          options: dict[str, Any] | None = None) -> Solution:
    """Solve one image's QUBO with a sampler: the one solve of explain and of the reproduction.

    The lowest-energy sample is read back as channels, its energy is checked against the QUBO
    (a sampler whose samples do not match the BQM is a bug, and raises), and exact ties are
    resolved towards fewer maps (:func:`drop_ties`). An empty QUBO (no positive map) is not sent
    to the sampler.

    Args:
        qubo: The problem.
        sampler: Any ``dimod.Sampler``.
        seed: Passed as ``seed=`` when the sampler takes one and ``options`` has none.
        options: Further keyword arguments of ``sampler.sample``.

    Returns:
        The :class:`Solution`.

    Example:
        >>> import numpy as np
        >>> from hybridxai.anneal.qubo import build_qubo
        >>> from hybridxai.backends.registry import get_sampler
        >>> q = build_qubo(np.eye(3).reshape(3, 1, 3), np.ones((3, 1, 3)), beta=0.7)
        >>> solve(q, get_sampler("exact")).selected
        (0, 1, 2)
    """
    options = dict(options or {})
    if qubo.num_variables == 0:
        empty = dimod.SampleSet.from_samples([{}], dimod.BINARY, energy=[qubo.bqm.offset],
                                             info={"skipped": "no feature map has positive importance"})
        return Solution(empty, (), float(qubo.bqm.offset))
    kwargs = options
    if seed is not None and "seed" in sampler.parameters and "seed" not in kwargs:
        kwargs["seed"] = seed
    sampleset = sampler.sample(qubo.bqm, **kwargs)
    if not isinstance(sampleset, dimod.SampleSet) or len(sampleset) == 0:
        raise RuntimeError(f"the backend {type(sampler).__name__} returned no samples")
    best = sampleset.first
    # One BLAS thread for these d×d products: an idle OpenBLAS thread busy-waits ~0.1 s after a
    # multi-threaded call and would slow the next image's forward pass (docs/benchmarks.md).
    with blas_threads(1):
        selected = qubo.interpret(best.sample)
        energy = qubo.energy(selected)
        if not math.isclose(energy, float(best.energy), rel_tol=1e-6, abs_tol=1e-6):
            raise RuntimeError(
                f"the backend {type(sampler).__name__} reported energy {best.energy} for a selection "
                f"whose QUBO energy is {energy}; its samples do not match the BQM (a backend bug)"
            )
        selected, energy = drop_ties(qubo, selected, energy)
    return Solution(sampleset, selected, energy)


def drop_ties(qubo: FeatureQubo, selected: tuple[int, ...], energy: float) -> tuple[tuple[int, ...], float]:
    """Among selections of equal energy prefer fewer maps: drop maps whose removal costs nothing.

    Only exact ties (up to rounding) are resolved, so the energy never changes. This matters at
    ``beta = 0``, where the empty set ties with every single map and a sampler may return either:
    the explanation then selects none, as documented. The local fields find the candidates in
    one vectorised step; only those are checked one by one.
    """
    if not selected:
        return selected, energy
    n = qubo.selection_vector(selected).astype(np.float64)
    field = qubo.local_fields(n)
    tol = 1e-12 * max(1.0, abs(energy))
    if qubo.cardinality is None and not np.any((n == 1) & (np.abs(field) <= tol)):
        return selected, energy
    chosen = list(selected)
    for c in sorted(selected, key=lambda k: qubo.alpha[k]):  # least important first
        trial = [x for x in chosen if x != c]
        if abs(qubo.energy(trial) - energy) <= tol:
            chosen = trial
    return tuple(chosen), energy
