"""Lowest eigenpairs of ``H(s)``: dense ``eigh``, ARPACK Lanczos and a warm-started block Davidson.

All three return the same :class:`Eigenpairs`. The block Davidson solver is the fast path of
:func:`hybridxai.analysis.min_gap`: it is warm-started from the eigenvectors of a nearby ``s``
(continuation), preconditioned with the diagonal ``s·E_P`` of ``H(s)`` (Olsen's correction,
which makes it very effective near ``s = 1`` where ``H(s)`` is diagonally dominant, and
reduces to a Krylov method near ``s = 0``), and stops on an *eigenvalue* error estimate
``min(‖r‖, ‖r‖²/δ)`` (``δ`` = distance to the nearest other Ritz value) instead of a residual
tolerance, so it does not waste iterations on eigenvectors nobody needs. With ``inner_steps``
its expansion vectors come from a few preconditioned CG steps on the Jacobi–Davidson
correction equation (:mod:`hybridxai.anneal.correction`) instead of one Olsen step.

The end points are exact and free: ``H(0) = H_D`` has eigenvalues ``-c·(d - 2w)`` with
multiplicity ``C(d, w)``, and ``H(1) = H_P`` is diagonal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numba
import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy.sparse.linalg import ArpackNoConvergence, eigsh

from hybridxai._util.aligned import CACHE_LINE, aligned_empty
from hybridxai._util.blas import blas_threads
from hybridxai._util.jit import row_major, serial_and_parallel
from hybridxai.anneal.correction import (
    SCRATCH_ROWS,
    copy_row,
    single_scratch_rows,
    solve_correction,
    walsh_transform,
)
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import invalid_argument

_CHUNK = 2048
_WALSH_RATIO = 1.0
_ROUNDING = 1e-14  # relative rounding of float64 eigenvalues: tens of units in the last place
_SENTINEL_FRACTION = 0.05
# ‖T·D‖² (T: the block's Gram–Schmidt transform, D: its rows' norms) above which the block
# takes a second sweep
_GRAM_CONDITION = 4.0


def _combine(coef, basis, images, m, theta, u_out, r_out, nres, single_out, nsingle,
             n):  # pragma: no cover - compiled
    # u_j = sum_q coef[q, j] basis[q];  r_j = sum_q coef[q, j] images[q] - theta_j u_j;
    # returns |r_j|^2 for j < nres (whose r_j are stored; 0 for the others), and writes
    # u_j in float32 into single_out[j] for j < nsingle (the inner steps' projector).
    # One pass over basis and images, in cache-sized chunks (SIMD).
    # Rows of length n (the arrays may be wider: row_major views of padded rows).
    nr = coef.shape[1]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nr))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        width = hi - lo
        tu = np.zeros((nr, _CHUNK))
        tr = np.zeros((nres, _CHUNK))
        for q in range(m):
            bq = basis[q, lo:hi]
            wq = images[q, lo:hi]
            for j in range(nr):
                a = coef[q, j]
                tuj = tu[j]
                for i in range(width):
                    tuj[i] += a * bq[i]
                if j < nres:
                    trj = tr[j]
                    for i in range(width):
                        trj[i] += a * wq[i]
        for j in range(nr):
            uo = u_out[j, lo:hi]
            tuj = tu[j]
            for i in range(width):
                uo[i] = tuj[i]
            if j < nsingle:
                so = single_out[j, lo:hi]
                for i in range(width):
                    so[i] = tuj[i]
            if j < nres:
                th = theta[j]
                acc = 0.0
                ro = r_out[j, lo:hi]
                trj = tr[j]
                for i in range(width):
                    x = trj[i] - th * tuj[i]
                    ro[i] = x
                    acc += x * x
                partial[c, j] = acc
    return partial.sum(axis=0)


def _olsen(energies, s, theta, floor, u, r, out):  # pragma: no cover - compiled
    # t = M^-1 (r - eps u), M = s*E - theta (|M| >= floor), eps = <u|M^-1 r>/<u|M^-1 u>
    n = u.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    pa = np.zeros(nchunks)
    pb = np.zeros(nchunks)
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        a = 0.0
        b = 0.0
        for i in range(lo, hi):
            den = s * energies[i] - theta
            if abs(den) < floor:
                den = floor if den >= 0 else -floor
            inv = 1.0 / den
            a += u[i] * r[i] * inv
            b += u[i] * u[i] * inv
        pa[c] = a
        pb[c] = b
    eps = pa.sum() / pb.sum()
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        for i in range(lo, hi):
            den = s * energies[i] - theta
            if abs(den) < floor:
                den = floor if den >= 0 else -floor
            out[i] = (r[i] - eps * u[i]) / den


def _moments(energies, s, theta, u, r):  # pragma: no cover - compiled
    # <u|H_P|u>, <u|V|u>, <u|V^2|u> for V = H_P - H_D, using V u = (E u - theta u - r)/(1-s)
    n = u.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    part = np.zeros((nchunks, 3))
    inv = 1.0 / (1.0 - s) if s < 1.0 else 0.0
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        hp = 0.0
        a = 0.0
        b = 0.0
        for i in range(lo, hi):
            eu = energies[i] * u[i]
            hp += eu * u[i]
            vu = (eu - theta * u[i] - r[i]) * inv
            a += vu * u[i]
            b += vu * vu
        part[c, 0] = hp
        part[c, 1] = a
        part[c, 2] = b
    return part.sum(axis=0)


def _recombine(rows, q, m, n):  # pragma: no cover - compiled
    # rows[p, :n] <- sum_j q[j, p] rows[j, :n] for p < q.shape[1], in place (chunk buffer)
    r = q.shape[1]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        buf = np.zeros((r, hi - lo))
        for j in range(m):
            src = rows[j, lo:hi]
            for p in range(r):
                a = q[j, p]
                dst = buf[p]
                for i in range(hi - lo):
                    dst[i] += a * src[i]
        for p in range(r):
            rows[p, lo:hi] = buf[p]


def _dots(a, ma, b, mb, n):  # pragma: no cover - compiled
    # out[p, q] = <a[p, :n], b[q, :n]> for p < ma, q < mb; chunked, one pass over both
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, ma, mb))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        for p in range(ma):
            ap = a[p, lo:hi]
            for q in range(mb):
                bq = b[q, lo:hi]
                acc = 0.0
                for i in range(hi - lo):
                    acc += ap[i] * bq[i]
                partial[c, p, q] = acc
    return partial.sum(axis=0)


def _overlaps_and_gram(block, nb, basis, m, n):  # pragma: no cover - compiled
    # out[j, q] = <block_j, basis_q> for q < m and out[j, m + t] = <block_j, block_t>:
    # the Gram–Schmidt coefficients and the block's own Gram matrix in one pass
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nb, m + nb))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        for j in range(nb):
            bj = block[j, lo:hi]
            for q in range(m + j + 1):
                other = basis[q, lo:hi] if q < m else block[q - m, lo:hi]
                acc = 0.0
                for i in range(hi - lo):
                    acc += bj[i] * other[i]
                partial[c, j, q] = acc
                if q >= m:
                    partial[c, q - m, m + j] = acc
    return partial.sum(axis=0)


def _subtract_gram(block, coef, basis, m, n):  # pragma: no cover - compiled
    # block[j, :n] -= sum_q coef[j, q] basis[q, :n], q < m; returns the Gram matrix of the
    # rows after the subtraction, summed while each chunk is still in cache
    nb = block.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nb, nb))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        for q in range(m):
            bq = basis[q, lo:hi]
            for j in range(nb):
                a = coef[j, q]
                row = block[j, lo:hi]
                for i in range(hi - lo):
                    row[i] -= a * bq[i]
        for j in range(nb):
            bj = block[j, lo:hi]
            for t in range(j + 1):
                bt = block[t, lo:hi]
                acc = 0.0
                for i in range(hi - lo):
                    acc += bj[i] * bt[i]
                partial[c, j, t] = acc
                partial[c, t, j] = acc
    return partial.sum(axis=0)


def _scale(x, factor):  # pragma: no cover - compiled
    # x *= factor, in place
    n = x.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    for c in numba.prange(nchunks):
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            x[i] *= factor


def _olsen_walsh(levels, uh, rh):  # pragma: no cover - compiled
    # In the Walsh basis (uh = W u, rh = W r): t = M^-1 (r - eps u) with the diagonal
    # M_k = levels[popcount(k)] (already shifted and floored); eps = <u|M^-1 r>/<u|M^-1 u>.
    # Writes t into uh (rh is left unchanged).
    n = uh.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    pa = np.zeros(nchunks)
    pb = np.zeros(nchunks)
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        a = 0.0
        b = 0.0
        for i in range(lo, hi):
            x = i
            w = 0
            while x:
                x &= x - 1
                w += 1
            inv = 1.0 / levels[w]
            a += uh[i] * rh[i] * inv
            b += uh[i] * uh[i] * inv
        pa[c] = a
        pb[c] = b
    eps = pa.sum() / pb.sum()
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        for i in range(lo, hi):
            x = i
            w = 0
            while x:
                x &= x - 1
                w += 1
            uh[i] = (rh[i] - eps * uh[i]) / levels[w]


_combine_serial, _combine_parallel = serial_and_parallel(_combine, nogil=True, fastmath=True)
_dots_serial, _dots_parallel = serial_and_parallel(_dots, nogil=True, fastmath=True)
_olsen_serial, _olsen_parallel = serial_and_parallel(_olsen, nogil=True)
_moments_serial, _moments_parallel = serial_and_parallel(_moments, nogil=True, fastmath=True)
_recombine_serial, _recombine_parallel = serial_and_parallel(_recombine, nogil=True, fastmath=True)
_scale_serial, _scale_parallel = serial_and_parallel(_scale, nogil=True, fastmath=True)
_overlaps_and_gram_serial, _overlaps_and_gram_parallel = serial_and_parallel(
    _overlaps_and_gram, nogil=True, fastmath=True)
_subtract_gram_serial, _subtract_gram_parallel = serial_and_parallel(
    _subtract_gram, nogil=True, fastmath=True)
_olsen_walsh_serial, _olsen_walsh_parallel = serial_and_parallel(_olsen_walsh, nogil=True)


# The kernels over blocks of rows, called on row_major views (rows of 1 MiB and more are
# padded apart, and numba vectorises the C-contiguous layout only) with the row length.


def _gram(a: NDArray[np.float64], ma: int, b: NDArray[np.float64], mb: int, *,
          parallel: bool) -> NDArray[np.float64]:
    """``[<a_p, b_q>]`` for ``p < ma``, ``q < mb``."""
    kernel = _dots_parallel if parallel else _dots_serial
    return kernel(row_major(a), ma, row_major(b), mb, a.shape[1])


def _subtract_rows(block: NDArray[np.float64], coef: NDArray[np.float64],
                   basis: NDArray[np.float64], m: int, *, parallel: bool) -> None:
    """``block_j -= Σ_{q < m} coef[j, q]·basis_q`` in place (the kernel's Gram matrix is discarded)."""
    kernel = _subtract_gram_parallel if parallel else _subtract_gram_serial
    kernel(row_major(block), coef, row_major(basis), m, block.shape[1])


def _recombine_rows(rows: NDArray[np.float64], q: NDArray[np.float64], m: int, *,
                    parallel: bool) -> None:
    """``rows_p ← Σ_{j < m} q[j, p]·rows_j`` for ``p < q.shape[1]``, in place."""
    kernel = _recombine_parallel if parallel else _recombine_serial
    kernel(row_major(rows), q, m, rows.shape[1])


def _combine_rows(coef: NDArray[np.float64], basis: NDArray[np.float64],
                  images: NDArray[np.float64], m: int, theta: NDArray[np.float64],
                  u_out: NDArray[np.float64], r_out: NDArray[np.float64], *,
                  parallel: bool, residuals: int | None = None,
                  single_out: NDArray[np.float32] | None = None) -> NDArray[np.float64]:
    """Ritz vectors and residuals into ``u_out``, ``r_out``; returns the squared residual norms.

    Only the first ``residuals`` residuals (default: all) are formed (the norms of the others
    are 0); the first ``len(single_out)`` Ritz vectors are also written in float32 into
    ``single_out``, in the same pass.
    """
    kernel = _combine_parallel if parallel else _combine_serial
    nres = coef.shape[1] if residuals is None else residuals
    single = single_out if single_out is not None else np.zeros((0, 1), np.float32)
    return kernel(coef, row_major(basis), row_major(images), m, theta, row_major(u_out),
                  row_major(r_out), nres, row_major(single) if single.shape[0] else single,
                  single.shape[0], basis.shape[1])


__all__ = [
    "blas_threads",
    "eigenvalue_rounding",
    "Eigenpairs",
    "SolverName",
    "lowest_eigenpairs",
    "endpoint_eigenvalues",
    "davidson",
    "DavidsonWorkspace",
    "kernel_buffer_bytes",
    "staggered_rows",
    "DENSE_MAX_QUBITS",
]

SolverName = Literal["auto", "dense", "eigsh", "davidson"]
Preconditioner = Literal["auto", "diagonal", "walsh"]

DENSE_MAX_QUBITS = 7
"""``solver="auto"`` diagonalises ``H(s)`` densely up to this many qubits (``min_gap``,
``gap_profile``). Chosen by measurement: on the ``chelsea`` QUBOs the Davidson solver is the
faster from d = 8 on, up to 56–99 times at d = 10 (``min_gap`` 1.78 s against 0.018 s,
``gap_profile()`` 5.02 s against 0.090 s; docs/benchmarks.md, tenth round)."""


@dataclass
class Eigenpairs:
    """The lowest eigenpairs of ``H(s)`` at one ``s``.

    Attributes:
        s: The annealing parameter.
        values: Ascending eigenvalues, shape ``(k,)``.
        vectors: Eigenvectors as *rows*, shape ``(m, 2**d)`` with ``m >= k`` (extra rows are
            guard vectors kept for warm starts); ``None`` when not kept.
        derivatives: ``dE_j/ds`` by Hellmann–Feynman, shape ``(k,)``
            (``dE/ds = <v|H_P - H_D|v> = (<v|H_P|v> - E)/(1 - s)``).
        errors: Estimated absolute error of each eigenvalue, shape ``(k,)``.
        derivative_errors: Rough bound on the error of each derivative, shape ``(k,)``
            (``2·σ·‖r‖/δ`` for Ritz vectors, ``σ`` the spread of ``H_P - H_D`` in the vector;
            the derivative, unlike the eigenvalue, is only first-order accurate in the
            eigenvector error).
        matvecs: Number of products ``H(s)·v`` spent.
        solver: Which solver produced them.
        seconds: Wall time.
    """

    s: float
    values: NDArray[np.float64]
    vectors: NDArray[np.float64] | None
    derivatives: NDArray[np.float64]
    errors: NDArray[np.float64]
    derivative_errors: NDArray[np.float64]
    matvecs: int = 0
    solver: str = ""
    seconds: float = 0.0
    info: dict = field(default_factory=dict)


def endpoint_eigenvalues(op: AnnealingOperator, s: float, k: int) -> NDArray[np.float64]:
    """Exact lowest ``k`` eigenvalues at ``s = 0`` (driver) or ``s = 1`` (problem).

    Args:
        op: The operator.
        s: 0 or 1.
        k: How many.

    Returns:
        Ascending eigenvalues (repeated by multiplicity).
    """
    if s == 1.0:
        k = min(k, op.dimension)
        return np.sort(np.partition(op.diagonal, k - 1)[:k])
    if s != 0.0:
        raise invalid_argument("s", s, "exact eigenvalues are only known at s = 0 and s = 1",
                               "use lowest_eigenpairs for 0 < s < 1")
    d, c = op.num_qubits, op.driver_coefficient
    values: list[float] = []
    for w in range(d + 1):
        values.extend([-c * (d - 2 * w)] * min(math.comb(d, w), k - len(values)))
        if len(values) >= k:
            break
    return np.asarray(values, dtype=np.float64)


def _derivatives(op: AnnealingOperator, s: float, values: NDArray[np.float64],
                 vectors: NDArray[np.float64]) -> NDArray[np.float64]:
    """Hellmann–Feynman ``dE/ds`` of normalised rows ``vectors`` with Rayleigh quotients ``values``."""
    k = values.size
    hp = np.einsum("ji,ji,i->j", vectors[:k], vectors[:k], op.diagonal)
    if s < 1.0:
        return (hp - values) / (1.0 - s)
    # s = 1: eigenvectors are basis states; <H_D> = 0 for them
    return hp.copy()


def derivative_scale(op: AnnealingOperator) -> float:
    """A bound on ``‖H_P - H_D - μ‖`` (``μ`` the mid-range of ``E_P``).

    Half the range of ``E_P`` plus ``c·d``; it scales derivative error estimates.
    """
    return 0.5 * float(op.diagonal.max() - op.diagonal.min()) + op.driver_coefficient * op.num_qubits


def eigenvalue_rounding(op: AnnealingOperator) -> float:
    """What float64 eigenvalues of ``H(s)`` resolve: ``1e-14·(max|E_P| + c·d)`` (at least 1e-14).

    Some 45 units in the last place of the largest levels. No solver resolves a gap more
    finely (:func:`hybridxai.anneal.gap_profile.floored_tol` raises a smaller ``tol`` to it),
    and dense ``eigh`` reaches half of it: against 30-digit ``mpmath.eigsy`` its lowest four
    eigenvalues were within ``2.1e-16·(max|E_P| + c·d)`` on 8 QUBOs at d = 5–7 and three
    ``s`` each (docs/benchmarks.md, fifteenth round).

    Example:
        >>> import dimod
        >>> op = AnnealingOperator.from_bqm(dimod.BQM({0: -3.0, 1: 1.0}, {}, 0.0, "SPIN"))
        >>> float(eigenvalue_rounding(op))  # max|E_P| = 4, c·d = 2
        6e-14
    """
    return _ROUNDING * max(1.0, float(np.abs(op.diagonal).max()) + op.driver_coefficient * op.num_qubits)


def _dense(op: AnnealingOperator, s: float, k: int, keep_vectors: bool,
           orbits: tuple[NDArray[np.intp], NDArray[np.float64]] | None = None) -> Eigenpairs:
    """Dense ``eigh``, of all of ``H(s)`` or of its block in an invariant subspace.

    ``orbits = (members, weights)`` spans the subspace with the orthonormal vectors
    ``b_j = Σ_g weights[g]·e_{members[j, g]}`` (a symmetry sector of spin flips: ``members[j]``
    the orbit of one basis state, ``weights`` the characters over ``√|orbit|``;
    :func:`hybridxai.anneal.sectors.sector_orbits`); the block ``BᵀHB`` is ``|orbit|²`` times
    smaller, and the eigenvectors are expanded back to ``2**d`` amplitudes.
    """
    t0 = time.perf_counter()
    h = op.dense(s)
    if orbits is not None:
        members, weights = orbits
        hb = sum(w * h[:, members[:, g]] for g, w in enumerate(weights))  # H·B
        h = sum(w * hb[members[:, g], :] for g, w in enumerate(weights))  # Bᵀ·H·B
    k = min(k, h.shape[0])
    values, vecs = scipy.linalg.eigh(h, subset_by_index=[0, k - 1], driver="evr")
    if orbits is None:
        rows = np.ascontiguousarray(vecs.T)
    else:
        rows = np.zeros((k, op.dimension))
        for g, w in enumerate(weights):
            rows[:, members[:, g]] = w * vecs.T
    # each level to half the rounding floor, so a gap resolves any tol at or above it (an
    # error of 1e-12·max|E| made a dense tol=1e-12 profile unresolved: docs/benchmarks.md,
    # fifteenth round); the slopes keep their former, looser estimate
    exact = np.full(k, 0.5 * eigenvalue_rounding(op))
    slopes = np.full(k, 1e-9 * max(1.0, float(np.abs(values).max())))
    return Eigenpairs(s, values, rows if keep_vectors else None,
                      _derivatives(op, s, values, rows), exact, slopes,
                      0, "dense", time.perf_counter() - t0)


def _eigsh(op: AnnealingOperator, s: float, k: int, x0: NDArray[np.float64] | None, tol: float,
           keep_vectors: bool, rng: np.random.Generator,
           project: Callable[[NDArray[np.float64]], None] | None = None) -> Eigenpairs:
    """ARPACK's lowest ``k`` levels; with ``project``, those of the subspace it projects onto.

    ``project`` (in place, as :func:`davidson`'s) makes the operator ``P·H·P + σ·(1 - P)``
    with ``σ`` above every level of ``H(s)``: the levels of the subspace keep their values and
    the rest of the space moves to ``σ``, above them (Lanczos alone would leave a subspace
    through rounding).
    """
    t0 = time.perf_counter()
    n = op.dimension
    count = [0]
    base = op.linear_operator(s)
    from scipy.sparse.linalg import LinearOperator

    # a bound on ‖H(s)‖: |λ| <= s·max|E_P| + (1 - s)·c·d
    norm = s * (abs(op.diagonal_mean) + op.diagonal_deviation) \
        + (1.0 - s) * op.driver_coefficient * op.num_qubits

    def apply(x: NDArray[np.float64]) -> NDArray[np.float64]:
        count[0] += 1 if np.ndim(x) == 1 or np.shape(x)[1] == 1 else np.shape(x)[1]
        if project is None:
            return base.matvec(x) if np.ndim(x) == 1 else base.matmat(x)
        columns = np.asarray(x, dtype=np.float64).reshape(n, -1)
        out = np.empty_like(columns)
        for j in range(columns.shape[1]):
            inside = columns[:, j].copy()  # a view of ARPACK's own vector if x is 1-D
            project(inside)
            image = base.matvec(inside)
            project(image)
            out[:, j] = image + (norm + 1.0) * (columns[:, j] - inside)
        return out.reshape(np.shape(x))

    lin = LinearOperator((n, n), matvec=apply, matmat=apply, dtype=np.float64)
    v0 = None
    if x0 is not None:
        # a little noise breaks any symmetry of the warm start (a symmetric start vector
        # would keep Lanczos inside one symmetry sector and miss the levels of the others)
        v0 = np.asarray(x0, dtype=np.float64).reshape(-1, n)[0].copy()
        v0 /= np.linalg.norm(v0)
        v0 += 1e-3 * rng.standard_normal(n) / math.sqrt(n)
        if project is not None:
            project(v0)
            if not np.linalg.norm(v0) > 0.0:
                v0 = None
    if v0 is None and project is not None:  # ARPACK's own start would lie mostly outside
        v0 = rng.standard_normal(n)
        project(v0)
    kk = min(k, n - 1)
    # ARPACK stops at ‖r‖ <= tol·|θ|: an absolute tol is relative to the bound on ‖H(s)‖,
    # so that the eigenvalues come out within tol
    relative = max(tol / max(1.0, norm), 1e-14)
    try:
        values, vecs = eigsh(lin, k=kk, which="SA", v0=v0, tol=relative)
    except ArpackNoConvergence as exc:  # pragma: no cover - depends on the instance
        raise RuntimeError(
            f"ARPACK did not converge at s={s:.6g} for k={k}; pass solver='davidson' or "
            "solver='dense' (small problems)"
        ) from exc
    order = np.argsort(values)
    values, vecs = values[order], np.ascontiguousarray(vecs[:, order].T)
    # ARPACK's own bound, tol·|θ|, is far above what it reaches (1e-6 against 1e-14 with
    # tol=1e-6): levels that far apart looked degenerate to the matrix element, which came
    # out up to 7.5× too large (a user trial). The error of each Rayleigh quotient is
    # min(‖r‖, ‖r‖²/δ), as the Davidson solver estimates it, from one more product per level
    image, scaled = np.empty(n), np.empty(n)
    residuals = np.empty(kk)
    for j, (theta, v) in enumerate(zip(values, vecs, strict=True)):
        op.matvec(s, v, out=image)
        np.multiply(v, theta, out=scaled)
        image -= scaled
        residuals[j] = float(np.linalg.norm(image))
    others = np.abs(values[:, None] - values[None, :]) + np.diag(np.full(kk, np.inf))
    delta = np.maximum(others.min(axis=1), residuals) if kk > 1 else residuals.copy()
    # the highest level returned has no computed level above it, whose distance the bound
    # needs (at small s the next one lies in a tight cluster): ‖r‖ alone (the review)
    delta[-1] = 0.0
    floor = 1e-12 * max(1.0, float(np.abs(values).max()))  # dense eigh's: rounding
    errors = np.maximum(np.minimum(residuals, residuals**2 / np.maximum(delta, 1e-300)), floor)
    derivative_errors = np.maximum(
        2.0 * residuals * derivative_scale(op) / np.maximum(np.maximum(delta, residuals), 1e-300),
        1e3 * floor)
    return Eigenpairs(s, values, vecs if keep_vectors else None, _derivatives(op, s, values, vecs),
                      errors, derivative_errors, count[0] + kk, "eigsh", time.perf_counter() - t0)


def _orthonormalize_against(block: NDArray[np.float64], basis: NDArray[np.float64],
                            drop: float = 1e-8, parallel: bool = False) -> int:
    """Make the rows of ``block`` orthonormal to the rows of ``basis`` and to each other, in place.

    Classical Gram–Schmidt against ``basis`` with a second pass where the first one
    cancelled most of a row (Daniel–Gragg–Kaufman–Stewart criterion) or left the block far
    from orthogonal (``‖T·D‖² > _GRAM_CONDITION``, CholeskyQR2), the block made orthonormal
    from its Gram matrix. Each pass is two sweeps over the rows (one without a basis): the coefficients
    with the block's own Gram matrix (:func:`_overlaps_and_gram`), then the subtraction with
    the Gram matrix of what is left (:func:`_subtract_gram`); the block's Gram–Schmidt is done
    on that small matrix and applied in one more sweep (:func:`_recombine`), instead of a norm,
    a scaling and a projection sweep per row. Where the block's rows are nearly parallel to
    each other, so that the small matrix would lose accuracy (a row keeps less than half its
    norm against the rows before it), they take explicit modified Gram–Schmidt
    (:func:`_orthonormalize_rows`). Rows that vanish (below ``drop`` of their norm as given)
    are dropped: the ``r`` kept rows are moved to the front of ``block`` and ``r`` is
    returned. Each row of ``block`` must be C-contiguous.
    """
    count = block.shape[0]
    m = basis.shape[0]
    n = block.shape[1]
    overlaps = _overlaps_and_gram_parallel if parallel else _overlaps_and_gram_serial
    subtract = _subtract_gram_parallel if parallel else _subtract_gram_serial
    before: NDArray[np.float64] | None = None
    for sweep in range(2):
        rows = row_major(block[:count])
        both = overlaps(rows, count, row_major(basis) if m else rows, m, n)
        gram = both[:, m:]
        if before is None:  # the rows' norms as given: the scale of the drop and DGKS tests
            before = np.sqrt(np.maximum(np.diag(gram), 0.0))
        if m:
            gram = subtract(rows, np.ascontiguousarray(both[:, :m]), row_major(basis), m, n)
        found = _gram_schmidt_coefficients(gram, before, drop)
        if found is None:  # rows nearly parallel to each other: the explicit way, its drop
            # test still relative to the norms as given (the rows may have lost some already)
            return _orthonormalize_rows(block[:count], basis, drop, parallel, norms=before)
        transform, worst = found
        if transform.shape[0]:
            _recombine_rows(block[:count], np.ascontiguousarray(transform.T), count, parallel=parallel)
        # a block far from orthogonal has its Gram matrix's rounding amplified by the
        # transform: one more sweep then, on nearly orthonormal rows (CholeskyQR2; the review)
        scaled = transform * np.sqrt(np.maximum(np.diag(gram), 0.0))
        conditioned = not scaled.size or float(np.linalg.norm(scaled, 2)) ** 2 <= _GRAM_CONDITION
        count = transform.shape[0]
        if sweep == 0 and worst > 0.5 and conditioned:
            break
        before = np.ones(count)
    return count


def _gram_schmidt_coefficients(gram: NDArray[np.float64], before: NDArray[np.float64], drop: float
                               ) -> tuple[NDArray[np.float64], float] | None:
    """Gram–Schmidt on the rows of a block, done on their Gram matrix.

    Args:
        gram: ``[<b_i, b_j>]`` of the block's rows ``b_i``.
        before: The rows' norms the drop test is relative to.
        drop: A row that keeps at most this share of ``before`` (after the subtraction the
            Gram matrix was taken after, and against the rows before it) is dropped.

    Returns:
        ``T`` (``(kept, count)``) whose rows' combinations ``Σ_j T[p, j]·b_j`` are orthonormal,
        and the smallest share of ``before`` a kept row kept (for the DGKS test); ``None``
        where a row keeps less than half its norm against the rows before it, or the matrix is
        not finite (the small matrix would not be accurate enough: do it explicitly).

    Example:
        >>> gram, before = np.array([[4.0, 0.0], [0.0, 0.0]]), np.array([2.0, 1.0])
        >>> T, worst = _gram_schmidt_coefficients(gram, before, 1e-8)
        >>> T.tolist(), worst
        ([[0.5, 0.0]], 1.0)
    """
    if not np.isfinite(gram).all():
        return None
    count = gram.shape[0]
    kept: list[NDArray[np.float64]] = []
    worst = 1.0
    for i in range(count):
        square = float(gram[i, i])
        if not square > (drop * float(before[i])) ** 2:
            continue  # cancelled by the basis (its norm is measured from the row itself)
        v = np.zeros(count)
        v[i] = 1.0
        for _ in range(2):  # twice, as modified Gram–Schmidt with reorthogonalisation would
            for q in kept:
                v -= float(q @ gram @ v) * q
        left = float(v @ gram @ v)
        if not left >= 0.25 * square:
            return None
        if not left > (drop * float(before[i])) ** 2:
            continue  # what the rows before it left of it vanishes too
        norm = math.sqrt(left)
        kept.append(v / norm)
        worst = min(worst, norm / float(before[i]))
    return (np.array(kept) if kept else np.zeros((0, count))), worst


def _orthonormalize_rows(block: NDArray[np.float64], basis: NDArray[np.float64],
                         drop: float = 1e-8, parallel: bool = False,
                         norms: NDArray[np.float64] | None = None) -> int:
    """:func:`_orthonormalize_against` one row at a time, for rows nearly parallel to each other.

    Each row is scaled to unit norm (by ``norms``, its norm as given, where the caller has
    changed it since), then classical Gram–Schmidt against ``basis`` (twice where DGKS asks)
    and modified Gram–Schmidt inside the block, in sweeps over the rows.
    """
    dots = partial(_gram, parallel=parallel)
    subtract = partial(_subtract_rows, parallel=parallel)
    scale = _scale_parallel if parallel else _scale_serial
    count = block.shape[0]
    for i in range(count):
        nrm = (float(norms[i]) if norms is not None
               else math.sqrt(float(dots(block[i:i + 1], 1, block[i:i + 1], 1)[0, 0])))
        scale(block[i], 1.0 / nrm if nrm > 0 else 1.0)
    m = basis.shape[0]
    for sweep in range(2):
        if m:
            coef = dots(block[:count], count, basis, m)
            subtract(block[:count], coef, basis, m)
        kept = 0
        worst = 1.0
        for i in range(count):
            row = block[i:i + 1]
            if kept:
                subtract(row, dots(row, 1, block, kept), block, kept)
            nrm = math.sqrt(float(dots(row, 1, row, 1)[0, 0]))
            if nrm > drop:
                scale(row[0], 1.0 / nrm)
                if kept != i:
                    block[kept] = row[0]
                kept += 1
                worst = min(worst, nrm)
        count = kept
        if sweep == 0 and worst > 0.5:
            break
    return count


_STAGGER_MIN_DIMENSION = 1 << 17  # rows of 1 MiB and more (docs/benchmarks.md, third round)


def kernel_buffer_bytes(rows: int, *, threaded: bool) -> int:
    """Bytes the compiled block kernels allocate while they run, on top of the vectors.

    Each thread works through a block of up to ``rows`` rows one chunk of 2048 amplitudes
    at a time, in a buffer of its own (a restart's recombination of the search space, the
    Ritz vectors and residuals formed in one pass): ``threads·rows·2048·8`` bytes, whatever
    ``d``. Nothing at d = 26, where one vector is 512 MiB; at d = 14 a vector per 8 rows and
    thread, which a memory plan checked against traced peaks must count
    (``tests/anneal/test_gap_profile.py``).

    Example:
        >>> kernel_buffer_bytes(12, threaded=False) // 1024  # KiB, one thread
        192
    """
    threads = numba.get_num_threads() if threaded else 1
    return threads * rows * _CHUNK * 8


def staggered_rows(rows: int, dimension: int, first_slot: int = 0,
                   dtype: type[np.floating] = np.float64) -> NDArray[np.floating]:
    """A ``(rows, dimension)`` array of zeros whose rows start on different cache sets.

    Rows of a C-contiguous array of ``2**d`` amplitudes lie a power of two apart, and so do
    separate large arrays (numpy asks for huge pages, in which virtual and physical address
    bits agree up to 2 MiB): a kernel that reads one row and writes another then maps both
    streams to the same cache sets. From ``dimension = 2**17`` (rows of 1 MiB) row ``i`` is
    padded by one cache line, and the array starts ``first_slot`` cache lines into its
    buffer, so that arrays given distinct slot ranges do not collide either; each row stays
    C-contiguous, the array does not (the block kernels see it through
    :func:`hybridxai._util.jit.row_major`, so that they still vectorise). Below that the
    array is plain C-contiguous: the rows fit in the cache anyway. On the 2-core machine
    ``H·v`` from one row into the next took 4.4 ms at d = 18 against 1.1 ms between padded
    rows with the third round's product kernel, and 5.1 ms against 4.8 ms at d = 20 with the
    fifth round's (``python benchmarks/bench_gap.py --kernels``, docs/benchmarks.md).

    Args:
        rows: Number of rows.
        dimension: Length of each row.
        first_slot: Cache lines to skip at the start of the buffer.
        dtype: ``numpy.float64`` or ``numpy.float32``.

    Returns:
        The array (a view whose row stride is ``dimension`` entries plus one cache line from
        ``2**17`` on).

    Example:
        >>> staggered_rows(3, 16).flags.c_contiguous
        True
        >>> a = staggered_rows(3, 1 << 17, first_slot=2)
        >>> a.shape, a.strides[0] - 8 * a.shape[1], a[1].flags.c_contiguous
        ((3, 131072), 64, True)
        >>> b = staggered_rows(2, 1 << 17, dtype=np.float32)
        >>> b.dtype.name, b.strides[0] - 4 * b.shape[1]
        ('float32', 64)
    """
    if dimension < _STAGGER_MIN_DIMENSION:
        return aligned_empty((rows, dimension), dtype, zero=True)
    line = CACHE_LINE // np.dtype(dtype).itemsize
    offset = first_slot * line
    stride = dimension + line
    buffer = aligned_empty(offset + rows * stride, dtype, zero=True)
    return buffer[offset:].reshape(rows, stride)[:, :dimension]


class DavidsonWorkspace:
    """Preallocated arrays of :func:`davidson`, reused across calls.

    Reusing them avoids re-allocating and page-faulting ``(rows, 2**d)`` blocks at every ``s``.
    The Ritz vectors are written into the call's output array where one is given
    (``vectors_out``, best laid out by :meth:`output_rows`): it is free once the start
    vectors, which may be written there, are in the search space, and it is where the
    returned vectors go anyway; the workspace's own Ritz rows are allocated only for a call
    without one. Residuals are kept only for the ``levels`` wanted (a guard's is never
    formed unless it is corrected). Together that is ``block + guards`` vectors of ``2**d``
    amplitudes fewer than separate Ritz and residual blocks (docs/benchmarks.md,
    twenty-first round).

    Args:
        dimension: Length of each vector (``2**d``).
        rows: Rows of the search space and of its images.
        block: Rows of the Ritz vectors.
        staggered: Stagger the rows over the cache sets (:func:`staggered_rows`). Worth it when
            products go from one row of a block into another, as in the inner CG steps
            (``gap_profile`` d = 18: 41 s against 53 s, whole process); ``min_gap``'s Olsen
            steps keep plain C-contiguous blocks, on which its other kernels vectorise better
            (d = 20: 13.2 s plain against 15.6 s staggered; docs/benchmarks.md, third round).
        levels: Rows of the residuals: the levels corrected (default ``block``).
    """

    def __init__(self, dimension: int, rows: int, block: int, *, staggered: bool = False,
                 levels: int | None = None) -> None:
        self.dimension, self.rows, self.block = dimension, rows, block
        self.levels = block if levels is None else max(1, min(int(levels), block))
        if staggered:
            self.basis = staggered_rows(rows, dimension)
            self.images = staggered_rows(rows, dimension, first_slot=rows)
            self.resid = staggered_rows(self.levels, dimension, first_slot=2 * rows + block)
        else:
            self.basis = aligned_empty((rows, dimension))
            self.images = aligned_empty((rows, dimension))
            self.resid = aligned_empty((self.levels, dimension))
        self.staggered = staggered
        self._ritz: NDArray[np.float64] | None = None
        self._scratch: NDArray[np.float64] | None = None
        self._single: NDArray[np.float32] | None = None

    def output_rows(self, rows: int) -> NDArray[np.float64]:
        """A new float64 block laid out as this workspace's Ritz rows: a solver's output array.

        Staggered after the search space and its images where the workspace is, so that the
        Ritz vectors :func:`davidson` forms in it do not share cache sets with those rows
        (rows beyond ``block``, such as further sectors' outputs, reach into the slots of the
        residuals: a matter of speed only).

        Example:
            >>> out = DavidsonWorkspace(1 << 17, 5, 2, staggered=True).output_rows(2)
            >>> out.shape, out.strides[0] - 8 * out.shape[1]  # rows one cache line apart
            ((2, 131072), 64)
        """
        if self.staggered:
            return staggered_rows(rows, self.dimension, first_slot=2 * self.rows)  # type: ignore[return-value]
        return aligned_empty((rows, self.dimension))

    @property
    def ritz(self) -> NDArray[np.float64]:
        """``block`` Ritz rows, allocated on first use: only calls without an output array need them."""
        if self._ritz is None:
            self._ritz = self.output_rows(self.block)
        return self._ritz

    @property
    def idle_row(self) -> NDArray[np.float64]:
        """A row that holds nothing between calls: the last row of the images.

        Scratch for work between solves, such as ``∂ₛH|0>`` of a matrix element, without a
        vector of its own.
        """
        return self.images[self.rows - 1]

    @property
    def scratch(self) -> NDArray[np.float64]:
        """One more vector, allocated on first use.

        The Walsh-basis preconditioner of Olsen steps needs it during a solve (so do double
        inner steps where too few rows of the images are free; single-precision inner steps
        have rows of their own).
        """
        if self._scratch is None:
            self._scratch = aligned_empty(self.dimension)
        return self._scratch

    @property
    def single_rows(self) -> NDArray[np.float32]:
        """Float32 scratch rows of single-precision inner steps, allocated on first use.

        ``single_scratch_rows(levels)`` of them (:func:`hybridxai.anneal.correction.single_scratch_rows`),
        staggered like the other blocks when those are.
        """
        if self._single is None:
            rows = single_scratch_rows(self.levels)
            if self.staggered:
                # after the float64 blocks' cache lines (2·rows + 2·block of them)
                self._single = staggered_rows(rows, self.dimension, first_slot=2 * (self.rows + self.block),
                                              dtype=np.float32)
            else:
                self._single = aligned_empty((rows, self.dimension), np.float32)
        return self._single

    def fits(self, dimension: int, rows: int, block: int, levels: int | None = None) -> bool:
        """Whether this workspace serves a call with these sizes (``levels``: default ``block``)."""
        return (self.dimension == dimension and self.rows >= rows and self.block >= block
                and self.levels >= (block if levels is None else levels))


def davidson(
    op: AnnealingOperator,
    s: float,
    k: int,
    *,
    x0: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    guard: int = 1,
    correct_guards: bool = False,
    max_subspace: int | None = None,
    max_matvecs: int = 20000,
    workspace: DavidsonWorkspace | None = None,
    rng: np.random.Generator | None = None,
    keep_vectors: bool = True,
    preconditioner: Preconditioner = "auto",
    sentinel: bool = False,
    vectors_out: NDArray[np.float64] | None = None,
    inner_steps: int = 0,
    inner_reduction: float = 0.1,
    inner_precision: Literal["double", "single"] = "double",
    project: Callable[[NDArray[np.float64]], None] | None = None,
    project_share: float = 0.1,
    project_dimension: int | None = None,
) -> Eigenpairs:
    """Lowest ``k`` eigenpairs of ``H(s)`` by a warm-started block Davidson method.

    Args:
        op: The operator.
        s: Annealing parameter in ``[0, 1]``.
        k: Number of wanted eigenpairs.
        x0: Start vectors as rows ``(m, 2**d)`` (e.g. the eigenvectors at a nearby ``s``);
            missing rows are filled with random vectors.
        tol: Target absolute error of each wanted eigenvalue (estimated as
            ``min(‖r‖, ‖r‖²/δ)``).
        guard: Extra block vectors beyond ``k`` (they speed up convergence of the ``k``-th
            eigenvalue and track levels that cross it).
        correct_guards: Also expand the search space with the guards' residuals (more
            products per iteration, usually fewer iterations).
        max_subspace: Largest search space before a thick restart (default
            ``max(16, 4·(k + guard))``).
        max_matvecs: Give up (``RuntimeError``) after this many products.
        rng: Random generator for fill vectors.
        keep_vectors: Return the ``k + guard`` Ritz vectors (for the next warm start).
        workspace: A :class:`DavidsonWorkspace` reused across calls.
        preconditioner: ``"diagonal"`` (the diagonal ``s·E_P`` of ``H(s)`` in the computational
            basis), ``"walsh"`` (the diagonal of ``H(s)`` in the Walsh-Hadamard basis, where
            ``H_D`` is diagonal: ``-(1 - s)·c·(d - 2·popcount(k)) + s·mean(E_P)``; applied with
            two fast transforms, it is what makes small ``s`` converge, where the low levels
            form clusters of near-degenerate driver states) or ``"auto"``: the Walsh one where
            its off-diagonal part is the smaller, ``s·max|E_P - mean(E_P)| < (1 - s)·c·d``.
        sentinel: The ``k``-th level is only wanted to tell whether it is degenerate with the
            one below: it is converged to ``max(tol, 0.05·(θ_k - θ_{k-1}))`` instead of ``tol``
            (its error estimate stays below half its distance from level ``k - 1``, so such a
            level is never mistaken for a degenerate one).
        vectors_out: An array of at least ``(k + guard, 2**d)`` to write the returned vectors
            into (e.g. the start vectors of a point no longer needed), instead of a new one.
            A float64 one with rows of contiguous amplitudes, not part of the workspace,
            also holds the Ritz vectors during the solve (:class:`DavidsonWorkspace`), so it
            is overwritten even where the call raises; ``x0`` may lie in it (it is read
            first).
        inner_steps: Expand the space with up to this many preconditioned CG steps on the
            Jacobi–Davidson correction equation per unconverged level
            (:func:`hybridxai.anneal.correction.solve_correction`) instead of one Olsen step
            (0): more products, far fewer passes over the search space.
        inner_reduction: Stop the inner iterations once their residual has fallen by this factor.
        inner_precision: ``"single"`` runs the inner steps in float32 (scratch rows of their
            own, :attr:`DavidsonWorkspace.single_rows`); the outer iteration, and with it the
            accuracy of the result, stays float64 (:mod:`hybridxai.anneal.correction`).
        project: Projects a vector in place into an invariant subspace of ``H(s)`` and the
            preconditioner (a symmetry sector, :func:`hybridxai.anneal.sectors.project_sector`):
            applied to every start, fill and expansion vector, so the search space, and with it
            every level found, stays in that subspace.
        project_share: With ``project``, the start vectors taken are those that keep at least
            this share of their norm² when projected (all rows of ``x0`` are scanned, in
            order, until the block is full).
        project_dimension: The dimension of the subspace ``project`` maps onto (default
            ``2**d``): the search space never grows beyond it, and once it fills it the Ritz
            values are exact.

    Returns:
        The eigenpairs; ``vectors`` has ``k + guard`` rows.

    Raises:
        RuntimeError: If the method does not converge within ``max_matvecs``.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(0) if rng is None else rng
    n = op.dimension
    block = min(k + guard, n)
    if max_subspace is None:
        max_subspace = max(16, 4 * block)
    space = n if project_dimension is None else min(n, int(project_dimension))  # reachable
    max_subspace = min(max(max_subspace, 2 * block + 1), space)
    # the levels that may be corrected: only their residuals are formed (a guard's is not
    # read unless it is corrected)
    corrected = block if correct_guards else min(k, block)
    if workspace is None or not workspace.fits(n, max_subspace, block, corrected):
        workspace = DavidsonWorkspace(n, max_subspace, block, levels=corrected)
    basis, images = workspace.basis, workspace.images
    parallel = op.threaded
    combine = partial(_combine_rows, parallel=parallel)
    dots = partial(_gram, parallel=parallel)
    olsen = _olsen_parallel if parallel else _olsen_serial
    recombine = partial(_recombine_rows, parallel=parallel)
    copy = partial(copy_row, parallel=parallel)
    if isinstance(inner_steps, bool) or not isinstance(inner_steps, (int, np.integer)) or inner_steps < 0:
        raise invalid_argument("inner_steps", inner_steps, "must be an integer >= 0",
                               "pass inner_steps=0 (Olsen steps) or e.g. inner_steps=10")
    if not 0.0 < inner_reduction < 1.0:
        raise invalid_argument("inner_reduction", inner_reduction, "must lie in (0, 1)",
                               "pass e.g. inner_reduction=0.1")
    if inner_precision not in ("double", "single"):
        raise invalid_argument("inner_precision", inner_precision, "unknown precision",
                               "pass inner_precision='double' or 'single'")
    # single-precision inner steps have scratch rows of their own; double ones borrow the
    # free rows of the image space, which must then stay free
    single = bool(inner_steps) and inner_precision == "single"
    reserved = SCRATCH_ROWS if inner_steps and not single else 0
    if preconditioner not in ("auto", "diagonal", "walsh"):
        raise invalid_argument("preconditioner", preconditioner, "unknown preconditioner",
                               "pass preconditioner='auto', 'diagonal' or 'walsh'")
    use_walsh = preconditioner == "walsh"
    mean_energy = op.diagonal_mean if preconditioner != "diagonal" else 0.0
    if preconditioner == "auto":
        off_walsh = s * op.diagonal_deviation
        use_walsh = off_walsh < _WALSH_RATIO * (1.0 - s) * op.driver_coefficient * op.num_qubits
    if use_walsh:
        olsen_walsh = _olsen_walsh_parallel if parallel else _olsen_walsh_serial
        weights = np.arange(op.num_qubits + 1, dtype=np.float64)
        driver_levels = (-(1.0 - s) * op.driver_coefficient * (op.num_qubits - 2.0 * weights)
                         + s * mean_energy)
    # start block, written straight into the search space: the warm-start rows, topped up with
    # random directions (new directions never pass through a buffer of their own)
    starts = None if x0 is None else np.asarray(x0).reshape(-1, n)
    given = 0 if starts is None else min(block, starts.shape[0])
    if given and project is not None:  # the rows with a share in the subspace, projected
        given = 0
        for row in starts:  # type: ignore[union-attr]
            if given == block:
                break
            basis[given] = row
            before = float(row @ row)
            project(basis[given])
            given += int(float(basis[given] @ basis[given]) >= project_share * before > 0.0)
    elif given and starts.dtype == np.float64 and not np.shares_memory(basis, starts):  # type: ignore[union-attr]
        for row, start in zip(basis[:given], starts[:given], strict=True):  # type: ignore[index]
            copy(start, row, 1.0)  # threaded: numpy's copy runs on one thread
    elif given:  # other dtypes, or the rows of the search space itself: numpy converts and buffers
        basis[:given] = starts[:given]  # type: ignore[index]
    nb = _orthonormalize_against(basis[:given], basis[:0], parallel=parallel) if given else 0
    while nb < block:
        for row in basis[nb:block]:  # row by row, into the search space: no temporary block
            rng.standard_normal(out=row)
            if project is not None:
                project(row)
        nb = _orthonormalize_against(basis[:block], basis[:0], parallel=parallel)
    # with single-precision inner steps the corrected levels' Ritz vectors are also written
    # in float32 where the inner steps read their projector
    projector = (workspace.single_rows[SCRATCH_ROWS + 1:SCRATCH_ROWS + 1 + corrected]
                 if single else None)
    # the Ritz vectors are formed in the output array where there is one (the start vectors
    # written there are in the search space by now), and normalised there in place at the end
    in_output = (keep_vectors and vectors_out is not None and vectors_out.ndim == 2
                 and vectors_out.dtype == np.float64 and vectors_out.shape[0] >= block
                 and vectors_out.shape[1] == n and vectors_out.strides[1] == 8
                 and not np.shares_memory(vectors_out, basis))
    ritz_rows = vectors_out[:block] if in_output else workspace.ritz  # type: ignore[index]
    m = 0
    matvecs = 0
    iterations = 0
    gram = np.zeros((max_subspace, max_subspace))
    previous: NDArray[np.float64] | None = None
    while True:
        for j in range(nb):
            op.matvec(s, basis[m + j], out=images[m + j])
        matvecs += nb
        iterations += 1
        # extend the projected matrix V^T H V by the new rows/columns
        gram[:m + nb, m:m + nb] = dots(basis, m + nb, images[m:m + nb], nb)
        gram[m:m + nb, :m] = gram[:m, m:m + nb].T
        m += nb
        proj = 0.5 * (gram[:m, :m] + gram[:m, :m].T)
        theta, y = np.linalg.eigh(proj)
        nr = min(block, m)
        ritz, resid = ritz_rows[:nr], workspace.resid[:min(nr, corrected)]
        rnorm = np.sqrt(combine(np.ascontiguousarray(y[:, :nr]), basis, images, m,
                                np.ascontiguousarray(theta[:nr]), ritz, resid,
                                residuals=min(corrected, nr),
                                single_out=None if projector is None else projector[:nr]))
        others = np.abs(theta[:nr, None] - theta[None, :m])
        others[np.arange(nr), np.arange(nr)] = np.inf
        # with a single search vector there is no other Ritz value: only ‖r‖ bounds the error
        delta = np.maximum(others.min(axis=1), 1e-300) if m > 1 else rnorm.copy()
        err = np.minimum(rnorm, rnorm**2 / np.maximum(delta, 1e-300)) if m > 1 else rnorm.copy()
        wanted = np.full(k, float(tol))
        if sentinel and k > 1:
            wanted[k - 1] = max(tol, _SENTINEL_FRACTION * float(theta[k - 1] - theta[k - 2]))
        if np.all(err[:k] <= wanted) or m >= space:
            break
        if matvecs >= max_matvecs:
            raise RuntimeError(
                f"the Davidson eigensolver did not converge at s={s:.6g} within {matvecs} "
                f"products (errors {err[:k]}); pass a looser tol or solver='eigsh'"
            )
        todo = [j for j in range(nr if correct_guards else min(k, nr))
                if not (j < k and err[j] <= wanted[j])]
        count = len(todo)
        if m + max(count, reserved) > max_subspace:
            # thick restart (GD+k): keep the lowest Ritz vectors and the previous iteration's
            # block, which preserves the conjugate-gradient-like recurrence across restarts
            keep = min(m, max(block + 1, max_subspace // 2 - block - 1))
            coeffs = y[:, :keep]
            if previous is not None:
                padded = np.zeros((m, previous.shape[1]))
                padded[: previous.shape[0]] = previous
                coeffs = np.hstack([coeffs, padded])
            q, r = np.linalg.qr(coeffs)
            q = np.ascontiguousarray(q[:, np.abs(np.diag(r)) > 1e-10][:, : max_subspace - count])
            recombine(basis, q, m)
            recombine(images, q, m)
            gram[: q.shape[1], : q.shape[1]] = q.T @ proj @ q
            m = q.shape[1]
            previous = None
        else:
            previous = y[:, :nr].copy()
        # Olsen-corrected preconditioning of the unconverged residuals, into the next free rows
        floor = 1e-3 * max(1.0, float(np.abs(theta[:nr]).max()))
        for slot, j in enumerate(todo):
            out = basis[m + slot]
            if inner_steps and (single or max_subspace - m >= SCRATCH_ROWS):
                # the free rows of the image space are scratch until the new images land there
                matvecs += solve_correction(
                    op, float(s), float(theta[j]), ritz[:j + 1], resid[j], out,
                    workspace.single_rows if single else images[m:], steps=inner_steps,
                    reduction=inner_reduction,
                    diagonal_floor=floor, walsh_levels=driver_levels if use_walsh else None,
                    projector_ready=single,
                )
            elif use_walsh:
                levels = driver_levels - theta[j]
                small = np.abs(levels) < floor
                levels[small] = np.where(levels[small] >= 0, floor, -floor)
                scratch = workspace.scratch
                out[:] = ritz[j]
                walsh_transform(out, op.num_qubits, parallel=parallel)
                scratch[:] = resid[j]
                walsh_transform(scratch, op.num_qubits, parallel=parallel)
                olsen_walsh(levels, out, scratch)
                walsh_transform(out, op.num_qubits, parallel=parallel)
            else:
                olsen(op.diagonal, float(s), float(theta[j]), floor, ritz[j], resid[j], out)
        for row in basis[m:m + count] if project is not None else ():
            project(row)
        nb = _orthonormalize_against(basis[m:m + count], basis[:m], parallel=parallel)
        if nb == 0:
            basis[m] = rng.standard_normal(n)
            if project is not None:
                project(basis[m])
            nb = _orthonormalize_against(basis[m:m + 1], basis[:m], parallel=parallel)
            if nb == 0:  # not even a random direction is new: the space is spanned, θ exact
                break
    values = theta[:k].copy()
    squares = np.diag(dots(ritz, nr, ritz, nr)).copy()  # nr < block only if m < block
    # first-order error of <u|V|u> (V = H_P - H_D) for a Ritz vector u with residual r:
    # 2·σ_V·‖r‖/δ, with σ_V the spread of V in u; V·u = (E_P·u - H·u)/(1 - s), H·u = θu + r
    # (before the vectors are normalised: the Ritz rows may be the output array)
    moments = _moments_parallel if parallel else _moments_serial
    spread = np.empty(k)
    derivatives = np.empty(k)
    for j in range(k):
        scale = 1.0 / float(squares[j])
        hp, mean, square = (float(x) * scale for x in moments(op.diagonal, float(s), float(theta[j]),
                                                                 ritz[j], resid[j]))
        derivatives[j] = (hp - theta[j]) / (1.0 - s) if s < 1.0 else hp
        spread[j] = math.sqrt(max(square - mean * mean, 0.0)) if s < 1.0 else derivative_scale(op)
    vectors = None
    if keep_vectors:
        fits = (vectors_out is not None and vectors_out.shape[0] >= nr
                and vectors_out.shape[1:] == (n,) and vectors_out.dtype == np.float64)
        vectors = vectors_out[:nr] if fits else aligned_empty((nr, n))  # type: ignore[index]
        for j in range(nr):  # in place where the Ritz rows are the output array
            copy(ritz[j], vectors[j], 1.0 / math.sqrt(squares[j]))
    derr = 2.0 * rnorm[:k] * spread / np.maximum(delta[:k], rnorm[:k])
    return Eigenpairs(
        s, values, vectors, derivatives, err[:k].copy(), derr, matvecs, "davidson", time.perf_counter() - t0,
        {"residual_norms": rnorm[:k].copy(), "subspace": m, "iterations": iterations},
    )


def lowest_eigenpairs(
    op: AnnealingOperator,
    s: float,
    k: int,
    *,
    solver: SolverName = "auto",
    x0: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    keep_vectors: bool = True,
    rng: np.random.Generator | None = None,
    **options: object,
) -> Eigenpairs:
    """Lowest ``k`` eigenpairs of ``H(s)`` with the chosen solver.

    Args:
        op: The operator.
        s: Annealing parameter in ``[0, 1]``.
        k: Number of eigenpairs (``1 <= k < 2**d``).
        solver: ``"dense"`` (``scipy.linalg.eigh``), ``"eigsh"`` (ARPACK Lanczos, which="SA"),
            ``"davidson"`` (block Davidson) or ``"auto"`` (dense up to
            :data:`DENSE_MAX_QUBITS` qubits, Davidson above).
        x0: Warm-start vectors as rows (eigsh uses the first one as ``v0``).
        tol: Eigenvalue accuracy (absolute; eigsh is given it relative to a bound on
            ``‖H(s)‖``, down to 1e-14).
        keep_vectors: Return eigenvectors.
        rng: Random generator (fill vectors, symmetry-breaking noise).
        **options: Passed to :func:`davidson`; its ``project`` also to ARPACK (the levels of
            the subspace it projects onto); ``orbits`` to dense ``eigh`` (the block of a
            symmetry sector, :func:`hybridxai.anneal.sectors.sector_orbits`).

    Returns:
        The eigenpairs.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    if solver == "auto":
        solver = "dense" if op.num_qubits <= DENSE_MAX_QUBITS else "davidson"
    if solver == "eigsh" and k >= op.dimension - 1:
        solver = "dense"  # ARPACK needs k < n - 1; such an n is tiny
    guard = options.get("guard", 1)
    if solver == "davidson" and 2 * (k + int(guard)) + 1 > op.dimension:  # type: ignore[call-overload]
        # the smallest search space would not fit: most of the space is wanted (a highly
        # degenerate H_P on few qubits), and dense eigh of so small an n is the faster anyway
        solver = "dense"
    with blas_threads(1):
        if solver == "dense":
            return _dense(op, s, k, keep_vectors, options.get("orbits"))  # type: ignore[arg-type]
        if solver == "eigsh":
            project = options.get("project")
            return _eigsh(op, s, k, x0, tol, keep_vectors, rng, project)  # type: ignore[arg-type]
        if solver == "davidson":
            return davidson(op, s, k, x0=x0, tol=tol, rng=rng, keep_vectors=keep_vectors,
                            **options)  # type: ignore[arg-type]
    raise invalid_argument("solver", solver, "unknown eigensolver",
                           "pass solver='auto', 'dense', 'eigsh' or 'davidson'")
