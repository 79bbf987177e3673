"""The lowest levels of ``H(s)`` one spin-flip symmetry sector at a time, merged.

When flipping a group of spins leaves ``H_P`` unchanged
(:func:`hybridxai.anneal.ising.flip_symmetries`: a coupling-only Ising model, a free
variable), ``H(s)`` commutes with that flip ``F`` for every ``s``, and so do the diagonal and
Walsh preconditioners of the Davidson solver. Its levels split into the sectors
``F = +1`` and ``F = -1``, and levels of different sectors cross along the anneal. A
warm-started Davidson solve expands its search space only from the residuals of the levels
it has not converged yet: once the start vectors' share of one sector has converged, no new
direction of that sector enters, and a level of it that crosses below the block is missed,
with small residuals (``min_gap`` 2.6e-6 and 6.1e-6 too high on two
:func:`~hybridxai.analysis.flip_symmetric_qubo` instances; docs/benchmarks.md, twelfth and
thirteenth rounds).

:func:`sector_eigenpairs` solves each sector apart instead: its start vectors, fill vectors and
every expansion vector are projected into the sector with ``(1 ± F)/2``
(:func:`project_sector`), so the whole search space stays in it, and the sectors' levels are
merged. Inside one sector levels do not cross, unless another symmetry remains (a permutation
of equal variables, say), so continuation along ``s`` tracks them. The projection is exact in
floating point: it sets both amplitudes of a pair ``x``, ``x XOR mask`` from one sum, and the
solver's later steps (Gram–Schmidt, Ritz combinations) treat the two alike. Products with
``H(s)`` keep the pair alike up to rounding of the diagonal, which
:func:`~hybridxai.anneal.ising.flip_symmetries` lets differ by fields below ``1e-12`` of the
largest term; every expansion vector is projected again.

Example:
    >>> from hybridxai.analysis import flip_symmetric_qubo
    >>> from hybridxai.anneal.eigensolvers import lowest_eigenpairs
    >>> from hybridxai.anneal.ising import flip_symmetries
    >>> from hybridxai.anneal.operators import AnnealingOperator
    >>> bqm = flip_symmetric_qubo(8, 8)
    >>> op = AnnealingOperator.from_bqm(bqm)
    >>> pairs = sector_eigenpairs(op, 0.9, 3, flip_symmetries(bqm), tol=1e-10)
    >>> exact = lowest_eigenpairs(op, 0.9, 3, solver="dense")
    >>> bool(abs(pairs.values - exact.values).max() < 1e-9), pairs.info["sectors"]
    (True, 2)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.aligned import aligned_empty
from hybridxai._util.jit import serial_and_parallel
from hybridxai.anneal.eigensolvers import Eigenpairs, davidson, lowest_eigenpairs
from hybridxai.anneal.operators import AnnealingOperator

__all__ = ["MAX_SECTOR_SYMMETRIES", "sector_count", "sector_orbits", "project_sector",
           "sector_eigenpairs"]

MAX_SECTOR_SYMMETRIES = 3
"""The most flip symmetries whose sectors are solved apart (``2**3 = 8`` solves per point).

Each symmetry doubles the solves per point, and solving the sectors of only some symmetries
would multiply the work without removing the risk (each sector would still want every level
of the degenerate ground manifold: ``2**9`` of them with nine free variables). Beyond this
many, nothing is split and the caller warns
(:func:`hybridxai.anneal.gap_profile.warn_symmetry_sectors`). Three cover a coupled group with
two free variables, whose unsplit adaptive profile was 1.4 % too high (docs/benchmarks.md,
thirteenth round).
"""

_SPLITTING = ("davidson", "dense", "eigsh")  # the solvers that solve sectors apart
_SECTOR_SHARE = 0.1  # a start vector enters a sector's block if this share of its norm² is there


def _symmetrize(v, mask, sign):  # pragma: no cover - compiled
    # v <- (v + sign·F v)/2 in place, F v[x] = v[x ^ mask]; both amplitudes of a pair from one
    # sum, so the result is exactly symmetric (sign +1) or antisymmetric (-1)
    n = v.shape[0]
    for i in numba.prange(n):
        j = i ^ mask
        if i < j:
            a = v[i]
            b = v[j]
            v[i] = 0.5 * (a + sign * b)
            v[j] = 0.5 * (b + sign * a)


_symmetrize_serial, _symmetrize_parallel = serial_and_parallel(_symmetrize, nogil=True)


def sector_count(symmetries: Sequence[int], solver: str = "davidson") -> int:
    """Sectors solved apart for these flip symmetries: ``2**r``, or 1 above :data:`MAX_SECTOR_SYMMETRIES`.

    Every solver splits them: Davidson and ARPACK so as not to miss a level of a sector their
    vectors do not reach, dense ``eigh`` (exact either way) for smaller blocks and for the
    levels of each sector, which ``min_gap`` searches one sector at a time
    (:attr:`hybridxai.anneal.gap_profile.GapTracker.branches`). A name other than these
    three splits nothing.

    Example:
        >>> sector_count(()), sector_count((7,)), sector_count((1, 2, 4)), sector_count((1, 2, 4, 8))
        (1, 2, 8, 1)
        >>> sector_count((7,), "dense"), sector_count((7,), "eigsh")
        (2, 2)
    """
    if solver not in _SPLITTING or len(symmetries) > MAX_SECTOR_SYMMETRIES:
        return 1
    return 2 ** len(symmetries)


def sector_orbits(num_qubits: int, masks: Sequence[int],
                  signs: Sequence[float]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """An orthonormal basis of one sector: the orbits of basis states under the flips, signed.

    The flips (disjoint masks, :func:`~hybridxai.anneal.ising.flip_symmetries`) move every
    basis state, so each orbit has ``2**r`` members and gives the sector one vector
    ``Σ_g χ(g)·e_{x XOR g}/√(2**r)``, ``χ(g)`` the product of ``signs[j]`` over the masks
    ``g`` combines.

    Returns:
        ``(members, weights)``: ``members[j, g]`` the ``g``-th member of the ``j``-th orbit
        (``x XOR g`` with ``x`` its smallest), ``weights[g] = χ(g)/√(2**r)``.

    Example:
        >>> members, weights = sector_orbits(2, [3], [-1.0])
        >>> members.tolist(), weights.round(4).tolist()
        ([[0, 3], [1, 2]], [0.7071, -0.7071])
    """
    elements = np.zeros(1, dtype=np.intp)
    characters = np.ones(1)
    for mask, sign in zip(masks, signs, strict=True):
        elements = np.concatenate([elements, elements ^ int(mask)])
        characters = np.concatenate([characters, float(sign) * characters])
    states = np.arange(2**num_qubits, dtype=np.intp)
    smallest = np.ones(states.size, dtype=bool)
    for element in elements[1:]:
        smallest &= states < (states ^ element)
    members = states[smallest][:, None] ^ elements[None, :]
    return members, characters / np.sqrt(elements.size)


def project_sector(vector: NDArray[np.float64], masks: Sequence[int], signs: Sequence[float], *,
                   parallel: bool = False) -> None:
    """Project ``vector`` in place into the sector where flip ``masks[j]`` has eigenvalue ``signs[j]``.

    Applies ``Π_j (1 + signs[j]·F_j)/2`` with ``F_j v[x] = v[x XOR masks[j]]``.

    Example:
        >>> v = np.array([1.0, 2.0, 3.0, 4.0])
        >>> project_sector(v, [3], [-1.0]); v.tolist()
        [-1.5, -0.5, 0.5, 1.5]
    """
    kernel = _symmetrize_parallel if parallel else _symmetrize_serial
    for mask, sign in zip(masks, signs, strict=True):
        kernel(vector, int(mask), float(sign))


def _permute_rows(rows: NDArray[np.float64], order: NDArray[np.intp],
                  spare: NDArray[np.float64] | None = None) -> None:
    """``rows[i] = rows[order[i]]`` for every ``i``, in place with one spare row (given or new)."""
    done = np.zeros(order.size, dtype=bool)
    spare = np.empty(rows.shape[1]) if spare is None else spare
    for first in range(order.size):
        if done[first] or order[first] == first:
            done[first] = True
            continue
        spare[:] = rows[first]
        i = first
        while True:
            done[i] = True
            source = int(order[i])
            if source == first:
                rows[i] = spare
                break
            rows[i] = rows[source]
            i = source


def _sector_start(x0: NDArray[np.float64] | None, project: Callable[[NDArray[np.float64]], None],
                  n: int) -> NDArray[np.float64] | None:
    """ARPACK's start in a sector: the first row of ``x0`` with a share of its norm² there, projected."""
    for row in () if x0 is None else np.asarray(x0).reshape(-1, n):
        inside = row.copy()
        project(inside)
        if float(inside @ inside) >= _SECTOR_SHARE * float(row @ row) > 0.0:
            return inside
    return None


def sector_eigenpairs(
    op: AnnealingOperator,
    s: float,
    k: int,
    symmetries: Sequence[int],
    *,
    solver: str = "davidson",
    x0: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    rng: np.random.Generator | None = None,
    vectors_out: NDArray[np.float64] | None = None,
    guard: int = 1,
    extend: bool = False,
    **options: Any,
) -> Eigenpairs:
    """Lowest ``k`` eigenpairs of ``H(s)``, the solver run once per symmetry sector.

    Args:
        op: The operator.
        s: Annealing parameter in ``[0, 1]``.
        k: Number of eigenpairs over all sectors.
        symmetries: Flip masks that commute with ``H_P``
            (:func:`~hybridxai.anneal.ising.flip_symmetries`). None or more than
            :data:`MAX_SECTOR_SYMMETRIES`: a single
            :func:`~hybridxai.anneal.eigensolvers.lowest_eigenpairs` call.
        solver: ``"davidson"`` (every search vector projected into the sector), ``"dense"``
            (``eigh`` of the sector's block in its orbit basis, :func:`sector_orbits`) or
            ``"eigsh"`` (ARPACK on the sector, the rest of the space shifted above it).
            Sectors smaller than the smallest Davidson search space (``2·(k + guard) + 1``
            vectors) are solved densely, whatever the solver, as
            :func:`~hybridxai.anneal.eigensolvers.lowest_eigenpairs` does for a space too small.
        x0: Warm-start vectors as rows; each Davidson sector takes (projected) those with at
            least 10 % of their norm² in it, in order, up to its block; ARPACK the first such
            row.
        tol: Eigenvalue accuracy.
        rng: Random generator of the fill vectors.
        vectors_out: An array of at least ``sectors·(k + guard)`` rows to write the vectors
            into; it must not hold ``x0`` (each sector reads the start vectors after the one
            before has written its output).
        guard: Guard vectors per sector (ARPACK: extra levels per sector).
        extend: Return, beyond the ``k`` lowest, every further level the sectors' solves
            determine: those no higher than the highest level solved in every sector. Near
            ``s = 1`` each level is nearly degenerate across the sectors, and a caller that
            must see the level above a degenerate one (the matrix element of a profile) then
            needs no second, wider solve.
        **options: Passed to :func:`~hybridxai.anneal.eigensolvers.davidson` (its ``sentinel``
            is switched off: a sentinel's loose level could be merged as a wanted one).

    Returns:
        The eigenpairs; ``vectors`` holds every sector's vectors, the ``k`` lowest first in
        ascending order (the rest seed the next warm start), ``info["sectors"]`` the number of
        sectors and ``info["sector_pairs"]`` each sector's own levels (an
        :class:`~hybridxai.anneal.eigensolvers.Eigenpairs` without vectors, sectors in the
        order of ``itertools.product((1, -1), repeat=r)`` over the masks' signs).
    """
    t0 = time.perf_counter()
    masks = tuple(symmetries)
    sectors = sector_count(masks, solver)
    if sectors == 1:
        return lowest_eigenpairs(op, s, k, solver=solver, x0=x0, tol=tol, rng=rng,  # type: ignore[arg-type]
                                 guard=guard, vectors_out=vectors_out, **options)
    rng = np.random.default_rng(0) if rng is None else rng
    n = op.dimension
    size = n // sectors  # every orbit has one vector in each sector
    block = min(k + guard, n)
    if 2 * block + 1 > size:
        solver = "dense"  # exact, and a sector this small is a tiny matrix
    rows = sectors * block
    keep = options.pop("keep_vectors", True)
    options.pop("sentinel", None)
    fits = (vectors_out is not None and vectors_out.shape[0] >= rows and vectors_out.shape[1:] == (n,)
            and vectors_out.dtype == np.float64)
    merged = None
    if keep:
        merged = vectors_out[:rows] if fits else aligned_empty((rows, n))  # type: ignore[index]
    results: list[Eigenpairs] = []
    for index, signs in enumerate(itertools.product((1.0, -1.0), repeat=len(masks))):
        project = partial(project_sector, masks=masks, signs=signs, parallel=op.threaded)
        out = None if merged is None else merged[index * block:(index + 1) * block]
        if solver == "davidson":
            result = davidson(op, s, k, x0=x0, tol=tol, rng=rng, guard=guard, keep_vectors=keep,
                              vectors_out=out, project=project, project_share=_SECTOR_SHARE,
                              project_dimension=size, **options)
        else:
            levels = min(k, size) if solver == "dense" else min(block, size - 1)
            result = lowest_eigenpairs(
                op, s, levels, solver=solver, x0=_sector_start(x0, project, n), tol=tol, rng=rng,  # type: ignore[arg-type]
                keep_vectors=keep, project=project,
                orbits=sector_orbits(op.num_qubits, masks, signs) if solver == "dense" else None)
            if out is not None and result.vectors is not None:
                out[:result.vectors.shape[0]] = result.vectors
        results.append(result)
    values = np.concatenate([r.values for r in results])
    order = np.argsort(values, kind="stable")
    count = k
    if extend:  # every level up to the lowest sector's highest is known: none of any sector is missing
        count = max(k, int(np.count_nonzero(values <= min(float(r.values[-1]) for r in results))))
    chosen = order[:count]
    # rows of the merged array: sector i's vectors at i·block, its levels first
    counts = [block if r.vectors is None or solver == "davidson" else r.vectors.shape[0] for r in results]
    row_of = np.concatenate([index * block + np.arange(r.values.size) for index, r in enumerate(results)])
    first = row_of[order]
    if merged is not None:
        filled = np.concatenate([index * block + np.arange(c) for index, c in enumerate(counts)])
        rest = np.setdiff1d(filled, first, assume_unique=True)
        empty = np.setdiff1d(np.arange(rows), filled, assume_unique=True)
        workspace = options.get("workspace")  # its idle row is free between solves
        _permute_rows(merged, np.concatenate([first, rest, empty]),
                      None if workspace is None else workspace.idle_row)
        merged = merged[:filled.size]

    def pick(name: str) -> NDArray[np.float64]:
        return np.concatenate([getattr(r, name) for r in results])[chosen]

    residuals = [r.info.get("residual_norms", np.zeros(r.values.size)) for r in results]
    own = [Eigenpairs(s, r.values, None, r.derivatives, r.errors, r.derivative_errors, r.matvecs,
                      r.solver, r.seconds) for r in results]
    return Eigenpairs(
        s, values[chosen], merged, pick("derivatives"), pick("errors"),
        pick("derivative_errors"), sum(r.matvecs for r in results), solver,
        time.perf_counter() - t0,
        {"sectors": sectors, "sector_matvecs": [r.matvecs for r in results],
         "residual_norms": np.concatenate(residuals)[chosen], "sector_pairs": own},
    )
