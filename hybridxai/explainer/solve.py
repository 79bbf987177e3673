"""The one solve of one image's QUBO, shared by :func:`hybridxai.explain` and the reproduction."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from hybridxai._util.blas import blas_threads
from hybridxai._util.stack import caller_stacklevel
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.qubo import FeatureQubo
from hybridxai.backends.optimality import check_how, energy_scale, optimality_report
from hybridxai.exceptions import SuboptimalSelectionWarning

__all__ = ["Solution", "solve", "drop_ties", "suboptimal_message"]

_ENERGY_MISMATCH = 1e-6  # a sampler's energy off by more, relative to the model's scale, is a bug


@dataclass(frozen=True)
class Solution:
    """What :func:`solve` found.

    Attributes:
        sampleset: What the sampler returned.
        selected: The selected channels (ascending).
        energy: ``H_P`` of the selection.
        optimality: How good the selection is: the report of
            :func:`hybridxai.backends.optimality.optimality_report` (also stored as
            ``sampleset.info["optimality"]``, hence ``Explanation.info["optimality"]``), or
            ``None`` when :func:`solve` was asked not to judge (``optimality=None``).
    """

    sampleset: dimod.SampleSet
    selected: tuple[int, ...]
    energy: float
    optimality: dict[str, Any] | None = None


def solve(qubo: FeatureQubo, sampler: dimod.Sampler, seed: int | None = None,
          options: dict[str, Any] | None = None, *, warn: bool = True,
          optimality: str | None = "auto") -> Solution:
    """Solve one image's QUBO with a sampler: the one solve of explain and of the reproduction.

    The lowest-energy sample is read back as channels, its energy is checked against the QUBO
    (a sampler whose samples do not match the BQM is a bug, and raises), and exact ties are
    resolved towards fewer maps (:func:`drop_ties`). An empty QUBO (no positive map) is not sent
    to the sampler. Every solve, whatever the backend, then says how good the selection is
    (:func:`hybridxai.backends.optimality.optimality_report`: exact up to d = 20 or from the
    sampler's own statevector/exact/certified result, else "best of the reads"), in
    :attr:`Solution.optimality` and ``sampleset.info["optimality"]``.

    Args:
        qubo: The problem.
        sampler: Any ``dimod.Sampler``.
        seed: Passed as ``seed=`` when the sampler takes one and ``options`` has none.
        options: Further keyword arguments of ``sampler.sample``.
        warn: Emit :class:`~hybridxai.exceptions.SuboptimalSelectionWarning` when the selection
            is provably not optimal (default ``True``; loops that judge optimality themselves,
            such as the reproduction, pass ``False``).
        optimality: ``how`` of the report: ``"auto"`` (default), ``"exact"``, ``"certified"``,
            ``"best-of-reads"``, or ``None`` for no report (and no warning).

    Returns:
        The :class:`Solution`.

    Warns:
        SuboptimalSelectionWarning: The selection's energy is above the known optimum (the
            warning points at the first caller outside hybridxai, e.g. the user's
            ``explain(...)`` line).

    Example:
        >>> import numpy as np
        >>> from hybridxai.anneal.qubo import build_qubo
        >>> from hybridxai.backends.registry import get_sampler
        >>> q = build_qubo(np.eye(3).reshape(3, 1, 3), np.ones((3, 1, 3)), beta=0.7)
        >>> solve(q, get_sampler("exact")).selected
        (0, 1, 2)
    """
    options = dict(options or {})
    if optimality is not None:
        check_how(optimality)
    if qubo.num_variables == 0:
        empty = dimod.SampleSet.from_samples([{}], dimod.BINARY, energy=[qubo.bqm.offset],
                                             info={"skipped": "no feature map has positive importance"})
        report = None if optimality is None else optimality_report(qubo.bqm, empty, how=optimality)
        if report is not None:
            empty.info["optimality"] = report
        return Solution(empty, (), float(qubo.bqm.offset), report)
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
        # within 1e-6 of the model's own energy scale: an absolute 1e-6 let any mismatch
        # through in a QUBO in units of 1e-9 (docs/benchmarks.md, seventeenth round)
        if not math.isclose(energy, float(best.energy), rel_tol=1e-6,
                            abs_tol=_ENERGY_MISMATCH * energy_scale(dense_qubo(qubo.bqm))):
            raise RuntimeError(
                f"the backend {type(sampler).__name__} reported energy {best.energy} for a selection "
                f"whose QUBO energy is {energy}; its samples do not match the BQM (a backend bug)"
            )
        first = selected
        selected, energy = drop_ties(qubo, selected, energy)
        report = None if optimality is None else _report(qubo, sampleset, selected, first, optimality)
    if report is not None:
        sampleset.info["optimality"] = report
        if warn and report["optimal"] is False:
            warnings.warn(suboptimal_message(report, sampler), SuboptimalSelectionWarning,
                          stacklevel=caller_stacklevel())
    return Solution(sampleset, selected, energy, report)


def _report(qubo: FeatureQubo, sampleset: dimod.SampleSet, selected: tuple[int, ...],
            first: tuple[int, ...], how: str) -> dict[str, Any]:
    """The sampler's own report when it judged this selection, else a new one."""
    own = sampleset.info.get("optimality")
    if how == "auto" and isinstance(own, dict) and selected == first:
        return own
    off = 0 if qubo.bqm.vartype is dimod.BINARY else -1
    chosen = set(selected)
    sample = {v: (1 if v in chosen else off) for v in qubo.bqm.variables}
    report = optimality_report(qubo.bqm, sampleset, sample=sample, how=how)
    if isinstance(own, dict) and report["optimum_probability"] is None:
        report["optimum_probability"] = own.get("optimum_probability")
    return report


# The sample() parameter that fixes a suboptimal selection, and how the warning names it.
_KNOBS = {
    "total_time": "a longer anneal (total_time=..., or total_time='auto')",
    "annealing_time": "a longer anneal (annealing_time=...)",
    "schedule": "schedule='local-adiabatic'",
    "num_reads": "more reads (num_reads=...)",
    "num_sweeps": "more sweeps (num_sweeps=...)",
    "postprocess": "postprocess='descent' (classical polish, reported apart in info['postprocessed'])",
}

def suboptimal_message(report: dict[str, Any], sampler: dimod.Sampler) -> str:
    """The text of :class:`~hybridxai.exceptions.SuboptimalSelectionWarning` for a report.

    Names the settings of ``sampler`` that fix it: for the annealing backends ``total_time``,
    ``schedule="local-adiabatic"``, ``num_reads`` and ``postprocess="descent"``; otherwise
    ``num_reads`` (and ``num_sweeps`` where the sampler has it).
    """
    params = set(getattr(sampler, "parameters", {}) or {})
    name = getattr(sampler, "backend_name", "") or type(sampler).__name__
    knobs = [hint for param, hint in _KNOBS.items() if param in params]
    knobs.append("or backend='exact' / 'certified' for the proven optimum")
    probability = report.get("optimum_probability")
    found = f"; the optimum's probability in the final state was {probability:.3g}" if probability else ""
    return (f"the '{name}' backend returned a selection with energy {report['energy']:.6g}, "
            f"{report['phrase']} ({report['best_energy']:.6g}, known {report['best_known']}){found}. "
            f"Fix: {', '.join(knobs)}. See info['optimality'].")


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
