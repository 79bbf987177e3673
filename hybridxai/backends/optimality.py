"""How good a selection is: its QUBO energy against the best energy known, in one report.

:func:`optimality_report` compares the lowest-energy sample of a ``dimod.SampleSet`` (or a given
sample) with the best energy known for the same model and says how that best energy is known:

* ``"exact"``: every ``2**d`` state enumerated (:func:`hybridxai.anneal.ising.basis_energies`,
  the same vectorised doubling as the ``exact`` backend), or the statevector samplers' diagonal
  of ``H_P``, which they already hold; or the ``exact`` backend's own ground energy;
* ``"certified"``: branch and bound (:func:`hybridxai.backends.certified.certify`), when asked
  for or when the ``certified`` backend produced the sample set;
* ``"best-of-reads"``: nothing better than the reads themselves; optimality is then unknown.

The report is a JSON-ready ``dict`` (stored as ``info["optimality"]`` by the annealing samplers
and by :func:`hybridxai.explainer.solve.solve`):

``energy``
    The selection's energy (offset included).
``best_energy``
    The best energy known (``E*``).
``best_known``
    ``"exact"``, ``"certified"`` or ``"best-of-reads"``.
``relative_gap``
    ``(E − E*) / R`` with the reference ``R = |E* − c|``, the optimum's size without the model's
    constant offset ``c`` (a constant shifts every energy alike and must not dilute the gap);
    when that is zero (to ``1e-12`` of the energy scale) ``R`` is the energy scale
    ``Σ|a_i| + Σ|b_ij|`` of the BINARY model instead (1 if that is zero too), so the gap stays
    finite and keeps its sign. ``R`` scales with the model, so a QUBO multiplied by ``1e-12`` or
    shifted by ``1e15`` gets the same verdicts as the original.
``optimal``
    ``True`` when ``E − E* <= tolerance · R + ρ`` and ``E*`` is proven (``exact``, or a
    finished ``certified`` search); ``False`` when a lower energy is known; ``None`` when
    optimality is unknown (``best-of-reads``, or an unfinished certificate). ``ρ`` is the
    floating-point rounding of an energy of the offset-free model, ``8·eps·(energy scale)``
    (:func:`energy_rounding`; :func:`optimum_margin`, for energies that include the offset ``c``,
    uses ``8·eps·(|c| + energy scale)``).
``optimum_probability``
    Quantum samplers that hold the final state: the total probability ``|<z|ψ>|²`` of the
    ground manifold (the ``fidelity``); ``None`` otherwise.
``optimum_frequency``
    The fraction of the reads that reached ``E*`` (``None`` unless ``E*`` is proven).
``near_ties``
    Up to :data:`MAX_NEAR_TIES` *other* selections with ``E <= E* + near_tie_tolerance · R + ρ``,
    lowest first, each ``{"selected": [labels set to 1], "energy": E}``: from
    the enumeration when there is one, otherwise from the distinct reads.
``phrase``
    ``"optimal"``, ``"energy 3.0 % above optimum"``, ``"best of 100 reads; optimum not
    proven"`` or ``"within 0.5 % of optimum (certified bound)"``.
``tolerance``, ``num_reads``, ``num_variables`` (and ``lower_bound`` for ``"certified"``).

**Cost of the exact enumeration** (automatic up to :data:`AUTO_EXACT_MAX_VARIABLES`), measured on
this project's 2-core machine under load (dense random BQM, ``basis_energies`` plus the minimum
and the near-tie partition), with::

    import time, dimod
    from hybridxai.backends.optimality import optimality_report
    for d in (16, 20, 24):
        bqm = dimod.generators.gnp_random_bqm(d, 1.0, "BINARY", random_state=1)
        reads = dimod.SampleSet.from_samples_bqm([dict.fromkeys(bqm.variables, 0)], bqm)
        t = time.perf_counter(); optimality_report(bqm, reads, how="exact")
        print(d, time.perf_counter() - t)

gave 2 ms at d = 16, 40 ms at d = 20 and 0.9 s at d = 24 (128 MiB of energies and temporaries).
One ``explain(model, chelsea)`` with MobileNetV2 took 1.8 s on the same machine (``backend="sa"``,
``max_qubits=20``: the whole solve, report included, 26 ms), so the automatic cut-off is d = 20,
where the report costs ~2 % of explain; at d = 24 it would cost half of it. ``how="exact"``
enumerates up to d = 24 on request.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> reads = dimod.SampleSet.from_samples_bqm([{0: 1, 1: 1}], bqm)
    >>> report = optimality_report(bqm, reads)
    >>> report["best_known"], report["best_energy"], report["optimal"], report["phrase"]
    ('exact', -1.0, False, 'energy 200.0 % above optimum')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai.anneal.ising import DenseQubo, basis_energies, dense_qubo, indices_to_bits
from hybridxai.anneal.spec import ground_fidelity
from hybridxai.exceptions import ProblemTooLargeError, invalid_argument, invalid_type

__all__ = [
    "optimality_report", "check_how", "HOWS", "AUTO_EXACT_MAX_VARIABLES", "EXACT_MAX_VARIABLES",
    "OPTIMAL_TOLERANCE", "NEAR_TIE_TOLERANCE", "MAX_NEAR_TIES", "DEFAULT_CERTIFY_TIME_LIMIT",
    "energy_rounding", "energy_scale", "optimum_margin",
]

HOWS = ("auto", "exact", "certified", "best-of-reads")
"""The values of ``how``."""

AUTO_EXACT_MAX_VARIABLES = 20
"""``how="auto"`` enumerates up to this size (see the module docstring for the measurement)."""

EXACT_MAX_VARIABLES = 24
"""``how="exact"`` refuses larger models (2**24 energies are 128 MiB), like the exact backend."""

OPTIMAL_TOLERANCE = 1e-9
"""A selection is optimal when ``E − E* <= OPTIMAL_TOLERANCE · R`` (``R``: see the module docstring).

Tight on purpose: real feature QUBOs have distinct selections within ~1e-9 relative of each
other (see :func:`hybridxai.backends.certified.certify`); those are listed as near-ties."""

NEAR_TIE_TOLERANCE = 1e-3
"""Selections within ``0.1 % · R`` of the optimum are reported as near-ties."""

MAX_NEAR_TIES = 5
"""At most this many near-ties are listed."""

DEFAULT_CERTIFY_TIME_LIMIT = 10.0
"""Seconds ``how="certified"`` gives branch and bound."""


def check_how(how: Any) -> str:
    """Validate the ``how`` argument of :func:`optimality_report`.

    Raises:
        InvalidArgumentError: ``how`` is not one of :data:`HOWS`.
    """
    if not isinstance(how, str) or how not in HOWS:
        raise invalid_argument("how", how, f"must be one of {list(HOWS)}",
                               "pass how='auto' (exact up to d = 20, else the reads)")
    return how


def _check_tolerance(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise invalid_type(name, value, "a number in [0, 1)", f"pass e.g. {name}=1e-9")
    if not 0.0 <= float(value) < 1.0:
        raise invalid_argument(name, value, "must lie in [0, 1)", f"pass e.g. {name}=1e-9")
    return float(value)


def _selection_bits(bqm: dimod.BinaryQuadraticModel, sample: Mapping[Any, Any]) -> NDArray[np.int8]:
    """The sample as 0/1 values in ``bqm.variables`` order (SPIN ``+1`` is 1)."""
    values = np.array([sample[v] for v in bqm.variables], dtype=np.int8)
    return ((values + 1) // 2).astype(np.int8) if bqm.vartype is dimod.SPIN else values


def _selected(variables: tuple[Any, ...], bits: NDArray[np.integer]) -> list[Any]:
    return [_plain(v) for v, b in zip(variables, bits, strict=True) if b]


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def _energy_scale(qubo: DenseQubo) -> float:
    scale = float(np.abs(qubo.linear).sum() + np.abs(qubo.quadratic).sum())
    return scale if scale > 0 else 1.0


def _reference(best: float, free: DenseQubo) -> float:
    """``R``: the size of the optimum ``best`` of the offset-free model, or its energy scale."""
    scale = _energy_scale(free)
    return abs(best) if abs(best) > 1e-12 * scale else scale


def energy_scale(qubo: DenseQubo) -> float:
    """The size of ``qubo``'s energies, ``|c| + Σ|a_i| + Σ|b_ij|`` (the sums 1 where all are 0).

    A bound on ``|E(x)|`` for every ``x``, in the model's own units: what a tolerance on one
    energy scales with (:func:`energy_rounding`; the check of a sampler's energies in
    :func:`hybridxai.explainer.solve.solve`).

    Example:
        >>> import dimod
        >>> from hybridxai.anneal.ising import dense_qubo
        >>> bqm = dimod.BinaryQuadraticModel({0: 1.0, 1: -2.0}, {(0, 1): 3.0}, 4.0, "BINARY")
        >>> energy_scale(dense_qubo(bqm))
        10.0
    """
    return abs(float(qubo.offset)) + _energy_scale(qubo)


def energy_rounding(qubo: DenseQubo) -> float:
    """How far float64 rounding can move one energy of ``qubo``: ``8·eps·(|c| + Σ|a_i| + Σ|b_ij|)``.

    ``ρ`` of the module docstring for the offset-free model (``c = 0``). Two sums of the same
    terms in another order (a sampler's energies against :meth:`DenseQubo.energies`) differ by
    less; anything farther apart is a real difference, in any units.

    Example:
        >>> import dimod
        >>> from hybridxai.anneal.ising import dense_qubo
        >>> q = dense_qubo(dimod.BinaryQuadraticModel({0: 1.0, 1: -2.0}, {(0, 1): 3.0}, 4.0, "BINARY"))
        >>> energy_rounding(q) == 8 * 2.0**-52 * 10.0
        True
    """
    return 8.0 * float(np.finfo(np.float64).eps) * energy_scale(qubo)


def optimum_margin(bqm: dimod.BinaryQuadraticModel, best_energy: float,
                   tolerance: float = OPTIMAL_TOLERANCE) -> float:
    """How far above the optimum ``best_energy`` an energy of ``bqm`` still counts as optimal.

    ``tolerance·R + ρ`` (module docstring): the test behind :func:`optimality_report`'s
    ``optimal``, for callers that hold only energies (a figure's bars, a reproduction's
    records), with ``ρ`` the rounding of energies that include the offset
    (:func:`energy_rounding` of the whole model). It scales with the model, so a QUBO in other
    units gets the same verdicts.

    Args:
        bqm: The model, offset included.
        best_energy: The optimum, offset included (e.g. ``sampleset.info["ground_energy"]``).
        tolerance: The relative tolerance, :data:`OPTIMAL_TOLERANCE` by default.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -2.0}, {(0, 1): 1.0}, 0.0, "BINARY")
        >>> small = dimod.BinaryQuadraticModel({0: -1e-12, 1: -2e-12}, {(0, 1): 1e-12}, 0.0, "BINARY")
        >>> optimum_margin(small, -2e-12) / optimum_margin(bqm, -2.0)
        1e-12
    """
    qubo = dense_qubo(bqm)
    free = replace(qubo, offset=0.0)
    # the energies compared carry the offset, and with it its rounding (the review: a tied
    # optimum 1e9 above zero lost its green bar)
    best = float(best_energy) - float(qubo.offset)
    return _check_tolerance("tolerance", tolerance) * _reference(best, free) + energy_rounding(qubo)


def _margin(free: DenseQubo, best: float, tolerance: float) -> float:
    """``tolerance·R + ρ`` of the offset-free model ``free`` with optimum ``best``."""
    return tolerance * _reference(best, free) + energy_rounding(free)


def _percent(fraction: float) -> str:
    pct = 100.0 * fraction
    return f"{pct:.1f}" if abs(pct) >= 0.1 else f"{pct:.2g}"


def _reads(
    sampleset: dimod.SampleSet | None, free: DenseQubo,
) -> tuple[NDArray[np.int8], NDArray[np.float64], NDArray[np.int64]]:
    """The reads as binary rows in ``free``'s variable order, with energies and counts.

    The energies are recomputed on ``free`` (the model without its offset) rather than trusted
    from the sampler.
    """
    d = free.num_variables
    if sampleset is None or len(sampleset) == 0:
        return np.zeros((0, d), dtype=np.int8), np.zeros(0), np.zeros(0, dtype=np.int64)
    rec = sampleset.record
    columns = [sampleset.variables.index(v) for v in free.variables]
    bits = np.asarray(rec.sample, dtype=np.int8)[:, columns]
    if sampleset.vartype is dimod.SPIN:
        bits = ((bits + 1) // 2).astype(np.int8)
    counts = (np.asarray(rec.num_occurrences, dtype=np.int64) if "num_occurrences" in rec.dtype.names
              else np.ones(len(rec), dtype=np.int64))
    return bits, free.energies(bits), counts


def _near_ties_from_diagonal(diagonal: NDArray[np.floating], threshold: float, own: int,
                             variables: tuple[Any, ...], limit: int) -> list[dict[str, Any]]:
    candidates = np.flatnonzero(diagonal <= threshold)
    candidates = candidates[candidates != own]
    if candidates.size > limit:
        candidates = candidates[np.argpartition(diagonal[candidates], limit - 1)[:limit]]
    candidates = candidates[np.lexsort((candidates, diagonal[candidates]))]
    bits = indices_to_bits(candidates, len(variables))
    return [{"selected": _selected(variables, row), "energy": float(diagonal[i])}
            for row, i in zip(bits, candidates, strict=True)]


def _near_ties_from_reads(bits: NDArray[np.int8], energies: NDArray[np.float64], threshold: float,
                          own: NDArray[np.int8], variables: tuple[Any, ...],
                          limit: int) -> list[dict[str, Any]]:
    ties: list[dict[str, Any]] = []
    seen = {own.tobytes()}
    for i in np.argsort(energies, kind="stable"):
        if energies[i] > threshold or len(ties) >= limit:
            break
        key = bits[i].tobytes()
        if key not in seen:
            seen.add(key)
            ties.append({"selected": _selected(variables, bits[i]), "energy": float(energies[i])})
    return ties


def optimality_report(
    bqm: dimod.BinaryQuadraticModel,
    sampleset: dimod.SampleSet | None = None,
    *,
    sample: Mapping[Any, Any] | None = None,
    how: str = "auto",
    diagonal: NDArray[np.floating] | None = None,
    probabilities: NDArray[np.floating] | None = None,
    tolerance: float = OPTIMAL_TOLERANCE,
    near_tie_tolerance: float = NEAR_TIE_TOLERANCE,
    max_near_ties: int = MAX_NEAR_TIES,
    time_limit: float = DEFAULT_CERTIFY_TIME_LIMIT,
) -> dict[str, Any]:
    """How good the lowest-energy read of ``sampleset`` (or ``sample``) is for ``bqm``.

    Args:
        bqm: The model (BINARY or SPIN).
        sampleset: The reads; its lowest-energy row is the selection unless ``sample`` is
            given. Its ``info`` is used when it comes from the ``exact`` or ``certified``
            backend.
        sample: The selection, ``{variable: value}`` in ``bqm``'s vartype (default: the
            lowest-energy read).
        how: ``"auto"`` (the diagonal when given; the ``certified``/``exact`` backends' own
            result; enumeration up to :data:`AUTO_EXACT_MAX_VARIABLES` variables; else the
            reads), ``"exact"`` (enumerate, up to :data:`EXACT_MAX_VARIABLES`), ``"certified"``
            (branch and bound from the selection, ``time_limit`` seconds) or
            ``"best-of-reads"``.
        diagonal: The ``2**d`` basis energies in little-endian qubit order of
            ``bqm.variables`` (a statevector sampler's diagonal of ``H_P``), to avoid enumerating
            again.
        probabilities: ``|ψ|²`` in the same order: gives ``optimum_probability``.
        tolerance: Relative tolerance of ``optimal`` (see the module docstring).
        near_tie_tolerance: Relative tolerance of the near-ties.
        max_near_ties: How many near-ties to list at most.
        time_limit: Seconds of branch and bound for ``how="certified"``.

    Returns:
        The JSON-ready report described in the module docstring.

    Raises:
        InvalidArgumentError: A bad ``how`` or tolerance, no selection at all, or a
            ``diagonal`` of the wrong length.
        ProblemTooLargeError: ``how="exact"`` on more than :data:`EXACT_MAX_VARIABLES` variables.
    """
    how = check_how(how)
    tolerance = _check_tolerance("tolerance", tolerance)
    near_tie_tolerance = _check_tolerance("near_tie_tolerance", near_tie_tolerance)
    if sample is None:
        if sampleset is None or len(sampleset) == 0:
            raise invalid_argument("sampleset", sampleset, "holds no sample to judge",
                                   "pass the sampler's result, or sample={...}")
        sample = sampleset.first.sample
    qubo = dense_qubo(bqm)
    # every comparison is made without the constant offset (added back in the report): an offset
    # of 1e15 would otherwise round energies to 0.1 and hide the gaps between selections
    offset = float(qubo.offset)
    free = replace(qubo, offset=0.0)
    variables = qubo.variables
    d = qubo.num_variables
    own = _selection_bits(bqm, sample)
    energy = float(free.energies(own[None, :])[0])
    bits, read_energies, counts = _reads(sampleset, free)
    num_reads = int(counts.sum())
    info = dict(sampleset.info) if sampleset is not None else {}
    if diagonal is not None and np.shape(diagonal) != (2**d,):
        raise invalid_argument("diagonal", f"array of shape {np.shape(diagonal)}",
                               f"must hold the 2**{d} basis energies", "pass basis_energies(bqm)")

    method = how
    if how == "auto":
        if diagonal is not None or d <= AUTO_EXACT_MAX_VARIABLES:
            method = "exact"
        elif info.get("backend") == "certified" and "lower_bound" in info:
            method = "certified-info"
        elif info.get("backend") == "exact" and "ground_energy" in info:
            method = "exact-info"
        else:
            method = "best-of-reads"
    elif how == "exact" and diagonal is None and d > EXACT_MAX_VARIABLES:
        raise ProblemTooLargeError(
            f"how='exact' enumerates 2**{d} states, beyond the limit of {EXACT_MAX_VARIABLES} variables. "
            "Fix: pass how='certified' (branch and bound) or how='best-of-reads'.")

    lower_bound: float | None = None
    proven = True
    ties_from_diagonal = False
    if method == "exact":
        diagonal = (basis_energies(free) if diagonal is None
                    else np.asarray(diagonal, dtype=np.float64) - offset)
        best = float(diagonal.min())
        ties_from_diagonal = True
        best_known = "exact"
    elif method == "exact-info":
        best, best_known = float(info["ground_energy"]) - offset, "exact"
    elif method in ("certified", "certified-info"):
        if method == "certified":
            from hybridxai.backends.certified import certify

            cert = certify(bqm, incumbent=dict(sample), time_limit=time_limit)
            best = float(free.energies(_selection_bits(bqm, cert.best_sample)[None, :])[0])
            lower_bound, proven = cert.lower_bound - offset, cert.optimal
        else:
            best = float(read_energies.min())
            lower_bound, proven = float(info["lower_bound"]) - offset, bool(info.get("optimal"))
        best = min(best, energy)
        best_known = "certified"
    else:
        best = min(energy, float(read_energies.min())) if read_energies.size else energy
        proven, best_known = False, "best-of-reads"

    reference, rounding = _reference(best, free), energy_rounding(free)
    atol = _margin(free, best, tolerance)
    relative_gap = (energy - best) / reference
    if proven:  # E* is the minimum: a negative gap is float rounding
        relative_gap = max(relative_gap, 0.0)
    if energy - best > atol:
        optimal: bool | None = False
    else:
        optimal = True if proven else None

    threshold = best + near_tie_tolerance * reference + rounding
    if ties_from_diagonal:
        own_index = int((own.astype(np.int64) << np.arange(d, dtype=np.int64)).sum()) if d else 0
        near_ties = _near_ties_from_diagonal(diagonal, threshold, own_index, variables, max_near_ties)
    else:
        near_ties = _near_ties_from_reads(bits, read_energies, threshold, own, variables, max_near_ties)

    optimum_probability = None
    if probabilities is not None and ties_from_diagonal:
        optimum_probability = ground_fidelity(np.asarray(probabilities, dtype=np.float64), diagonal)[0]
    optimum_frequency = None
    if proven and num_reads:
        optimum_frequency = float(counts[read_energies <= best + atol].sum() / num_reads)

    if optimal:
        phrase = "optimal"
    elif optimal is False and proven:
        phrase = f"energy {_percent(relative_gap)} % above optimum"
    elif best_known == "certified" and lower_bound is not None:
        bound = (energy - lower_bound) / reference
        phrase = f"within {_percent(bound)} % of optimum (certified bound)"
    elif optimal is False:
        phrase = f"energy {_percent(relative_gap)} % above the best read; optimum not proven"
    else:
        phrase = f"best of {num_reads} read{'s' if num_reads != 1 else ''}; optimum not proven"

    for tie in near_ties:
        tie["energy"] += offset
    report: dict[str, Any] = {
        "energy": energy + offset,
        "best_energy": float(best) + offset,
        "best_known": best_known,
        "relative_gap": float(relative_gap),
        "optimal": optimal,
        "optimum_probability": None if optimum_probability is None else float(optimum_probability),
        "optimum_frequency": optimum_frequency,
        "near_ties": near_ties,
        "phrase": phrase,
        "tolerance": tolerance,
        "num_reads": num_reads,
        "num_variables": d,
    }
    if lower_bound is not None:
        report["lower_bound"] = float(lower_bound) + offset
    return report
