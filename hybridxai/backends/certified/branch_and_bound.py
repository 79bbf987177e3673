"""Certified optima and lower bounds for QUBOs, for checking what a heuristic solver reached.

``certify(problem)`` runs a branch and bound whose bounds come from a convex relaxation of the
QUBO, and returns a :class:`Certificate`: the best sample found, a lower bound on the minimum
energy, and whether the two agree (the sample is then a numerically certified optimum: the
bounds are exact up to float64 rounding, ~1e-13 relative).

Scale and offset. The search runs on the model divided by its largest absolute bias (rounded to a
power of two, so the division is exact; see :func:`~hybridxai.backends.sa.scaling.bias_scale`) and
without its offset, and every tolerance is relative to that normalised model: multiplying a QUBO by any
positive constant (1e-12 or 1e12) or adding any offset (1e15) gives the same selection, the same
``optimal`` verdict and a gap scaled accordingly (never a wrong "certified" optimum because the
energies are tiny next to 1 or next to the offset). The reported energies include the offset, so
at an offset of 1e15 they carry its float64 rounding (~0.1); compare samples, or
``best_energy − offset``, there.

The relaxation. Write the energy as ``E(x) = ½ xᵀWx + lᵀx + c`` (``W`` symmetric, zero
diagonal). Since ``x_i² = x_i`` on binary points, ``E(x) = ½ xᵀ(W + μI)x + (l − μ/2)ᵀx + c``
for any ``μ``; with ``μ = −λ_min(W)`` the quadratic form is convex, and its minimum over the box
``[0, 1]^d`` is a lower bound on ``min E`` (the eigenvalue variant of the quadratic convex
reformulation of Hammer–Rubin and Billionnet–Elloumi). Each node solves that box-constrained
convex QP by projected Newton; its bound is the value at the QP iterate minus the linearisation
gap ``Σ_i max(g_i (x_i − lo_i), g_i (x_i − hi_i))`` (``g`` the gradient), which is a valid lower
bound at *any* iterate by convexity, so stopping a QP early weakens the bound but never
invalidates it. Nodes are explored best-bound first; each branches on the most fractional
variable; every relaxed solution is rounded and polished by steepest descent to improve the
incumbent.

Why this works on feature-map QUBOs: after a ReLU, feature maps are non-negative, so ``J`` is
the Gram matrix of unit vectors minus the identity. ``J + I`` is then positive semidefinite of
rank at most ``h·w`` (49 at 7×7), ``μ = 1 − beta`` exactly, and the relaxed optimum is integral
in all but a handful of variables: on MobileNetV2's 1280 maps (d ≈ 640, beta = 0.99) the root
bound is within 0.01 % of the optimum, the tree has at most ~100 nodes and the proof takes
0.05 s (median; see docs/benchmarks.md, "Large QUBOs"). On QUBOs without that structure (random signs) the
eigenvalue bound is weak and the tree grows like ``2**d``; ``time_limit`` (or ``max_nodes``) then
returns the best bound so far.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0, 2: 0.5}, {(0, 1): 1.5, (1, 2): -2.0},
    ...                                  0.0, "BINARY")
    >>> cert = certify(bqm)
    >>> cert.optimal, cert.best_energy, cert.best_sample
    (True, -2.5, {0: 0, 1: 1, 2: 1})
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np
import scipy.linalg as sla
from numpy.typing import NDArray

from hybridxai._util.blas import blas_threads
from hybridxai._util.checks import check_positive_int
from hybridxai.anneal.ising import dense_qubo
from hybridxai.backends.sa.scaling import bias_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["Certificate", "certify", "DEFAULT_TIME_LIMIT", "DEFAULT_TOLERANCE"]

DEFAULT_TIME_LIMIT = 60.0
"""Seconds :func:`certify` may spend before returning the best bound so far."""

DEFAULT_TOLERANCE = 1e-12
"""Relative optimality tolerance: proven when ``gap <= tolerance · max(scale, |best_energy − offset|)``."""

_METHOD = "convex-bnb"


@dataclass(frozen=True)
class Certificate:
    """What :func:`certify` proved about a QUBO.

    Attributes:
        lower_bound: No sample has an energy below this (offset included).
        best_energy: Energy of :attr:`best_sample` (offset included).
        best_sample: The best sample found, ``{variable: value}`` in the model's vartype.
        optimal: ``True`` when the search finished (every node closed) or
            ``gap <= tolerance · max(scale, |best_energy − offset|)`` (``scale`` the largest
            absolute bias rounded to a power of two, ``offset`` the model's; both in
            :attr:`info`); the two agree up to floating-point rounding, and then the sample is
            a numerically certified optimum (to rounding, ~1e-13 relative to ``scale``).
        gap: ``best_energy − lower_bound`` (≥ 0), computed without the offset (so it is exact
            even where the offset dwarfs the energies).
        solve_time: Wall time of the whole call, in seconds.
        method: ``"convex-bnb"`` (branch and bound on the convexified relaxation), or
            ``"trivial"`` for a model without variables.
        status: ``"optimal"``, or ``"time_limit"`` / ``"node_limit"`` when ``time_limit`` /
            ``max_nodes`` stopped the search first.
        nodes: Branch-and-bound nodes solved.
        info: Details: ``root_bound``, ``shift`` (``μ``), ``incumbent_energy`` (of the given
            incumbent, or ``None``), ``time_to_best`` (seconds until the best sample was
            found), ``open_nodes`` (left when stopped), ``tolerance``, ``time_limit``,
            ``max_nodes``, ``scale`` (the largest absolute bias of the BINARY model rounded to a
            power of two; 1 if all are 0) and ``offset``.
    """

    lower_bound: float
    best_energy: float
    best_sample: dict[Any, int]
    optimal: bool
    gap: float
    solve_time: float
    method: str
    status: str
    nodes: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def relative_gap(self) -> float:
        """``gap / max(scale, |best_energy − offset|)``: what :attr:`optimal` compares with the tolerance."""
        scale, offset = float(self.info.get("scale", 1.0)), float(self.info.get("offset", 0.0))
        return self.gap / max(scale, abs(self.best_energy - offset))

    def certified_gap(self, energy: float) -> float:
        """How far above the proven lower bound an energy is: ``energy − lower_bound``.

        Args:
            energy: Energy of any sample of the same model (e.g. a heuristic solver's).

        Returns:
            An upper bound on that sample's distance from the optimum (exact when
            :attr:`optimal`, up to the tolerance).
        """
        return float(energy) - self.lower_bound


@dataclass
class _Problem:
    """Dense BINARY view: ``E(x) = ½ xᵀWx + lᵀx + offset``."""

    variables: list[Any]
    W: NDArray[np.float64]
    linear: NDArray[np.float64]
    offset: float

    def energy(self, x: NDArray[np.float64]) -> float:
        return float(0.5 * x @ self.W @ x + self.linear @ x + self.offset)


def _as_bqm(problem: Any) -> dimod.BinaryQuadraticModel:
    from hybridxai.anneal.qubo import FeatureQubo

    if isinstance(problem, FeatureQubo):
        return problem.bqm
    if isinstance(problem, dimod.BinaryQuadraticModel):
        return problem
    raise invalid_type("problem", problem, "a dimod.BinaryQuadraticModel or a hybridxai FeatureQubo",
                       "pass qubo.bqm, or build one with dimod.BinaryQuadraticModel(linear, quadratic, "
                       "offset, 'BINARY') (dicts of a QUBO: dimod.BQM.from_qubo(Q))")


def _dense(bqm: dimod.BinaryQuadraticModel) -> _Problem:
    qubo = dense_qubo(bqm)
    W = qubo.quadratic + qubo.quadratic.T
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(qubo.linear)) and math.isfinite(qubo.offset)):
        raise invalid_argument("problem", bqm, "has NaN or infinite biases",
                               "build the model from finite numbers")
    return _Problem(list(qubo.variables), W, qubo.linear, qubo.offset)


def _incumbent_vector(incumbent: Any, bqm: dimod.BinaryQuadraticModel) -> NDArray[np.float64]:
    """The given incumbent as a 0/1 vector in ``bqm.variables`` order (its best row)."""
    variables = list(bqm.variables)
    fix = "pass a sample {variable: value} of this model, a dimod.SampleSet, or a 0/1 array in " \
          "bqm.variables order"
    if isinstance(incumbent, dimod.SampleSet):
        if len(incumbent) == 0:
            raise invalid_argument("incumbent", incumbent, "the sample set is empty", fix)
        incumbent = incumbent.first.sample
    if isinstance(incumbent, Mapping):
        missing = [v for v in variables if v not in incumbent]
        if missing:
            raise invalid_argument("incumbent", dict(incumbent), f"lacks variables {missing[:5]}", fix)
        values = np.array([incumbent[v] for v in variables], dtype=np.float64)
    else:
        try:
            values = np.asarray(incumbent, dtype=np.float64)
        except (TypeError, ValueError):
            raise invalid_type("incumbent", incumbent, "a sample mapping, a SampleSet or an array",
                               fix) from None
        if values.ndim == 2 and values.shape[0] >= 1:
            values = values[int(np.argmin(bqm.energies((values, variables))))]
        if values.shape != (len(variables),):
            raise invalid_argument("incumbent", values,
                                   f"must hold one value per variable ({len(variables)})", fix)
    if bqm.vartype is dimod.SPIN:
        if not np.isin(values, (-1, 1)).all():
            raise invalid_argument("incumbent", values, "must hold only ±1 for a SPIN model", fix)
        values = (values + 1) / 2
    elif not np.isin(values, (0, 1)).all():
        raise invalid_argument("incumbent", values, "must hold only 0/1 for a BINARY model", fix)
    return values


def _descend(x: NDArray[np.float64], problem: _Problem) -> NDArray[np.float64]:
    """Steepest descent by single flips from a 0/1 vector (to a 1-flip local minimum)."""
    x = x.copy()
    field_ = problem.linear + problem.W @ x
    for _ in range(10 * x.size + 10):
        delta = (1.0 - 2.0 * x) * field_
        i = int(np.argmin(delta))
        if delta[i] >= -1e-12 * (1.0 + abs(field_[i])):
            break
        step = 1.0 - 2.0 * x[i]
        x[i] += step
        field_ += step * problem.W[:, i]
    return x


def _box_qp(H: NDArray[np.float64], g: NDArray[np.float64], lo: NDArray[np.float64],
            hi: NDArray[np.float64], x0: NDArray[np.float64], deadline: float,
            max_iter: int = 100) -> tuple[NDArray[np.float64], float]:
    """Projected Newton for ``min ½xᵀHx + gᵀx`` on ``lo <= x <= hi`` (``H`` PSD).

    Returns:
        The last iterate and a valid lower bound on the QP minimum (without constant).
    """
    x = np.clip(x0, lo, hi)
    scale = max(1.0, float(np.abs(np.diag(H)).max(initial=0.0)), float(np.abs(g).max(initial=0.0)))
    ridge = 1e-10 * scale
    fixed = lo == hi
    for _ in range(max_iter):
        grad = H @ x + g
        step_norm = float(np.abs(x - np.clip(x - grad, lo, hi)).max(initial=0.0))
        if step_norm <= 1e-11 * scale or time.perf_counter() > deadline:
            break
        eps = min(1e-3, step_norm)
        binding = fixed | ((x <= lo + eps) & (grad > 0)) | ((x >= hi - eps) & (grad < 0))
        free = np.flatnonzero(~binding)
        direction = -grad
        direction[fixed] = 0.0
        if free.size:
            block = H[np.ix_(free, free)]
            block[np.diag_indices_from(block)] += ridge
            try:
                direction[free] = sla.cho_solve(sla.cho_factor(block, check_finite=False), -grad[free],
                                                check_finite=False)
            except np.linalg.LinAlgError:
                pass  # keep the gradient direction on the free variables
        value = 0.5 * x @ H @ x + g @ x
        alpha = 1.0
        while True:
            trial = np.clip(x + alpha * direction, lo, hi)
            trial_value = 0.5 * trial @ H @ trial + g @ trial
            if trial_value <= value + 1e-4 * grad @ (trial - x) or alpha < 1e-14:
                break
            alpha *= 0.5
        if trial_value > value:
            break
        x = trial
    grad = H @ x + g
    value = float(0.5 * x @ H @ x + g @ x)
    bound = value + float(np.sum(np.minimum(grad * (lo - x), grad * (hi - x))))
    return x, bound


def _check_number(name: str, value: Any, fix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise invalid_type(name, value, "a positive number", fix)
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise invalid_argument(name, value, "must be a positive, finite number", fix)
    return value


def _check_tolerance(value: Any) -> float:
    fix = "pass e.g. tolerance=1e-12"
    value = _check_number("tolerance", value, fix)
    if value >= 1.0:
        raise invalid_argument("tolerance", value, "must be below 1 (it is relative to the energy)", fix)
    return value


def _check_max_nodes(value: Any) -> int | None:
    fix = "pass a positive integer, e.g. max_nodes=10000, or None for no limit"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise invalid_type("max_nodes", value, "a positive integer or None", fix)
    return check_positive_int("max_nodes", value, fix)


def certify(
    problem: dimod.BinaryQuadraticModel | Any,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    incumbent: Any = None,
    tolerance: float = DEFAULT_TOLERANCE,
    max_nodes: int | None = None,
) -> Certificate:
    """Find a minimum-energy sample and prove it optimal, or bound how far from optimal it is.

    Args:
        problem: A ``dimod.BinaryQuadraticModel`` (BINARY or SPIN) or a
            :class:`~hybridxai.anneal.qubo.FeatureQubo` (its ``bqm`` is used).
        time_limit: Seconds to search before returning the best bound so far (default 60).
            The check runs between QP iterations, so the call overruns by at most one
            iteration (milliseconds at d ≈ 600).
        incumbent: A known good solution to start from, e.g. a sampler's result: a sample
            mapping, a ``dimod.SampleSet`` (its lowest-energy row) or a 0/1 array in
            ``bqm.variables`` order. ``None`` starts from the rounded relaxation.
        tolerance: Relative optimality tolerance in (0, 1) (default 1e-12); a node is closed
            once its bound is within ``tolerance · max(scale, |best energy so far − offset|)``
            of the incumbent, and the result is optimal when
            ``best_energy − lower_bound <= tolerance · max(scale, |best_energy − offset|)``,
            ``scale`` the largest absolute bias as a power of two (so the rule is the same
            for the model times any positive constant, or plus any offset). Bounds are
            computed in float64, so they are exact up to rounding (~1e-13 relative); real
            feature QUBOs have distinct selections within 1e-9 of each other, which a
            looser tolerance would not tell apart.
        max_nodes: Branch-and-bound nodes to solve before returning the best bound so far
            (default ``None``: no limit). Unlike ``time_limit`` it gives the same result on
            any machine.

    Returns:
        The :class:`Certificate`.

    Raises:
        InvalidTypeError: ``problem`` is not a BQM / FeatureQubo, or an argument has the
            wrong type.
        InvalidArgumentError: ``time_limit`` is not positive, ``tolerance`` is not in
            (0, 1), ``max_nodes`` is below 1, or ``incumbent`` does not fit the model.

    Example:
        >>> import numpy as np
        >>> from hybridxai import build_qubo
        >>> rng = np.random.default_rng(0)
        >>> q = build_qubo(rng.random((12, 7, 7)), rng.normal(size=(12, 7, 7)), beta=0.9)
        >>> cert = certify(q, time_limit=10)
        >>> cert.optimal, cert.gap <= 1e-9 * max(1, abs(cert.best_energy))
        (True, True)
    """
    with blas_threads(1):
        return _certify(problem, time_limit, incumbent, tolerance, max_nodes)


def _certify(problem: Any, time_limit: Any, incumbent: Any, tolerance: Any, max_nodes: Any) -> Certificate:
    start = time.perf_counter()
    bqm = _as_bqm(problem)
    time_limit = _check_number("time_limit", time_limit, "pass a number of seconds, e.g. time_limit=60")
    tolerance = _check_tolerance(tolerance)
    max_nodes = _check_max_nodes(max_nodes)
    deadline = start + time_limit
    info: dict[str, Any] = {"tolerance": tolerance, "time_limit": time_limit, "max_nodes": max_nodes,
                            "incumbent_energy": None}
    given = None if incumbent is None else _incumbent_vector(incumbent, bqm)
    original = _dense(bqm)
    d = len(original.variables)
    # Search the model divided by its largest bias and without offset: the tolerances below are
    # then relative to the problem's own scale (S7: at scale 1e-12 or offset 1e15 an absolute
    # floor of 1 closed every node at once and "certified" a wrong sample).
    scale = bias_scale(original.linear, original.W)  # a power of two: the division is exact
    dense = _Problem(original.variables, original.W / scale, original.linear / scale, 0.0)
    info.update(scale=scale, offset=original.offset)

    def slack(energy: float) -> float:
        """The one tolerance rule (normalised units): a bound this close below ``energy`` proves it."""
        return tolerance * max(1.0, abs(energy))

    def result(x: NDArray[np.float64], lower: float, status: str, nodes: int, method: str) -> Certificate:
        best = dense.energy(x)
        lower = min(lower, best)
        values = x.astype(np.int64)
        if bqm.vartype is dimod.SPIN:
            values = 2 * values - 1
        gap = best - lower
        # A drained tree is a proof: each node was closed with a bound b >= e - slack(e), e the
        # incumbent then (>= best); slack is tolerance times a 1-Lipschitz function of the
        # energy, so best - b <= slack(best) for tolerance < 1. The explicit check can differ
        # from that only by rounding (b and best are subtracted in float64).
        optimal = status == "optimal" or gap <= slack(best)
        return Certificate(
            lower_bound=scale * lower + original.offset, best_energy=original.energy(x),
            best_sample={v: int(s) for v, s in zip(dense.variables, values, strict=True)},
            optimal=optimal, gap=scale * gap, solve_time=time.perf_counter() - start, method=method,
            status="optimal" if optimal else status, nodes=nodes, info=info,
        )

    if d == 0:
        info.update(root_bound=original.offset, shift=0.0, open_nodes=0)
        return result(np.zeros(0), dense.offset, "optimal", 0, "trivial")

    lam_min = float(sla.eigh(dense.W, eigvals_only=True, subset_by_index=[0, 0], check_finite=False)[0])
    norm = float(np.abs(dense.W).sum(axis=1).max())
    shift = max(0.0, -lam_min) + 1e-12 * max(1.0, norm)  # margin for the eigenvalue's rounding error
    H = dense.W + shift * np.eye(d)
    g = dense.linear - 0.5 * shift
    info["shift"] = scale * shift

    best_x = np.zeros(d) if given is None else given
    best_e = dense.energy(best_x)
    info["incumbent_energy"] = None if given is None else original.energy(best_x)
    found_at = time.perf_counter()

    def accept(candidate: NDArray[np.float64]) -> None:
        nonlocal best_x, best_e, found_at
        candidate = _descend(candidate, dense)
        energy = dense.energy(candidate)
        if energy < best_e:
            best_x, best_e, found_at = candidate, energy, time.perf_counter()

    def prunable(bound: float) -> bool:
        return bound >= best_e - slack(best_e)

    counter = itertools.count()
    trivial = float(np.minimum(dense.linear, 0).sum() + 0.5 * np.minimum(dense.W, 0).sum()) + dense.offset
    # Open nodes, best bound first: (bound of the parent, tie-break, fixings (int8: -1 free,
    # 0/1 fixed), warm start (the parent's relaxed solution)).
    heap: list[tuple[float, int, NDArray[np.int8], NDArray[np.float64]]] = [
        (trivial, next(counter), np.full(d, -1, dtype=np.int8),
         np.full(d, 0.5) if given is None else given.copy())
    ]
    nodes, root_bound, closed_bound, status = 0, trivial, math.inf, "optimal"
    while heap:
        parent_bound, _, fixings, warm = heapq.heappop(heap)
        if prunable(parent_bound):
            closed_bound = min(closed_bound, parent_bound)
            continue
        stop = ("node_limit" if max_nodes is not None and nodes >= max_nodes
                else "time_limit" if time.perf_counter() > deadline else None)
        if stop is not None:
            heapq.heappush(heap, (parent_bound, next(counter), fixings, warm))
            status = stop
            break
        lo = (fixings == 1).astype(np.float64)
        hi = (fixings != 0).astype(np.float64)
        x, bound = _box_qp(H, g, lo, hi, warm, deadline)
        bound = max(bound + dense.offset, parent_bound)
        nodes += 1
        if nodes == 1:
            root_bound = bound
        accept(np.round(x))
        free = np.flatnonzero(fixings < 0)
        if prunable(bound) or free.size == 0:  # a leaf's single point was evaluated by accept()
            closed_bound = min(closed_bound, bound if free.size else math.inf)
            continue
        branch = int(free[np.argmin(np.abs(x[free] - 0.5))])
        nearest = int(round(x[branch]))
        for value in (nearest, 1 - nearest):
            child, child_x = fixings.copy(), x.copy()
            child[branch] = child_x[branch] = value
            heapq.heappush(heap, (bound, next(counter), child, child_x))
    lower = min([closed_bound, best_e, *(entry[0] for entry in heap)])
    info.update(root_bound=scale * root_bound + original.offset, open_nodes=len(heap),
                time_to_best=found_at - start)
    return result(best_x, lower, status, nodes, _METHOD)
