"""Inner iterations of the Davidson solver: a few CG steps on the Jacobi–Davidson correction equation.

An outer Davidson iteration (Rayleigh–Ritz over the search space, Ritz vectors, residuals,
Gram–Schmidt) reads every vector of the space several times; a product ``H(s)·v`` reads one.
Where the diagonal preconditioner is a poor model of ``H(s) - θ`` (intermediate ``s``, where
neither the computational nor the Walsh basis nearly diagonalises ``H(s)``, and wherever the
wanted level has close neighbours) the outer iteration converges slowly, and most of the time
goes into reading the space, not into products. :func:`solve_correction` makes each expansion
vector better at the price of a few products on single vectors: preconditioned conjugate
gradients on the correction equation

    ``(I - QQᵀ)(H - θ_j)(I - QQᵀ) t = -r_j``,   ``t ⊥ Q``,

where ``θ_j``, ``r_j`` are the Ritz value and residual of level ``j`` and ``Q`` holds the
(orthonormal) Ritz vectors of levels ``0 … j``. Deflating every level at or below ``θ_j`` makes
the operator positive definite on the complement of ``Q`` (its spectrum starts near
``E_{j+1} - θ_j > 0``), so CG applies. The preconditioner is the diagonal of ``H - θ_j`` in the
basis the outer solver uses (computational or Walsh–Hadamard), in absolute value and floored
(symmetric positive definite), projected onto the complement of ``Q``. The outer Olsen step is
the special case of no CG step at all.

The inner iterations may run in single precision (float32 scratch rows): they only need to
shrink the correction equation's residual tenfold, which float32's 1e-7 does with room to
spare, while the outer Davidson iteration (Rayleigh–Ritz, residuals, Gram–Schmidt) stays in
float64 and alone decides convergence, so the eigenpairs are as accurate as before. In float32
a product moves half the bytes and fits twice the amplitudes in a SIMD register (``H·v``
between staggered rows at d = 20: 1.9 ms against 4.8 ms, d = 24: 49 ms against 105 ms on the
2-core machine; ``python benchmarks/bench_gap.py --kernels``, docs/benchmarks.md, fifth round).

Example:
    >>> import numpy as np
    >>> from hybridxai.anneal.operators import AnnealingOperator
    >>> op = AnnealingOperator.from_bqm(
    ...     __import__("dimod").BinaryQuadraticModel({0: -1.0, 1: 0.5, 2: 0.2}, {(0, 1): 1.0},
    ...                                              0.0, "BINARY"), "unit")
    >>> h = op.dense(0.5)
    >>> values, vectors = np.linalg.eigh(h)
    >>> u = vectors[:, 0] + 1e-3 * vectors[:, 1]
    >>> u /= np.linalg.norm(u)
    >>> theta = float(u @ h @ u)
    >>> q = u[None, :].copy()
    >>> residual = h @ u - theta * u
    >>> out, rows = np.empty(8), np.empty((SCRATCH_ROWS, 8))
    >>> products = solve_correction(op, 0.5, theta, q, residual, out, rows, steps=8,
    ...                             reduction=1e-12, diagonal_floor=1e-3)
    >>> better = u + out
    >>> better /= np.linalg.norm(better)
    >>> bool(abs(better @ vectors[:, 0]) > 1 - 1e-12), products <= 8
    (True, True)
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.jit import row_major, serial_and_parallel
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import invalid_argument

__all__ = ["solve_correction", "walsh_transform", "copy_row", "SCRATCH_ROWS", "single_scratch_rows"]

SCRATCH_ROWS = 4
"""Scratch vectors :func:`solve_correction` needs: residual, direction, product, preconditioned."""


def single_scratch_rows(levels: int) -> int:
    """Float32 scratch rows :func:`solve_correction` needs in single precision.

    The four of :data:`SCRATCH_ROWS`, the correction being built, and a float32 copy of
    each of the ``levels`` rows of ``Q``.

    Example:
        >>> single_scratch_rows(3)
        8
    """
    return SCRATCH_ROWS + 1 + levels

_CHUNK = 2048
# tiles of 2**12 amplitudes (16 KiB in float32, 32 KiB in float64): 2**11 took 9-27 % longer
# at d = 24 on a Zen 5 machine, 4-16 % at d = 22 (docs/benchmarks.md, twentieth round)
_TILE_BITS_WALSH = 12


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _butterfly4(a, b, c, e):  # pragma: no cover - compiled
    # the Walsh transform of four amplitudes indexed by two bits (radix 4)
    ab = a + b
    amb = a - b
    ce = c + e
    cme = c - e
    return ab + ce, amb + cme, ab - ce, amb - cme


def _walsh(v, d):  # pragma: no cover - compiled
    # in-place unnormalised Walsh-Hadamard transform over the d bits of the index:
    # v <- W v with W[k, x] = (-1)^popcount(k & x) (W @ W = 2**d I). The low bits are done
    # inside cache-sized tiles, the high bits two at a time (radix 4) over groups of tiles.
    n = v.shape[0]
    low = min(d, _TILE_BITS_WALSH)
    width = 1 << low
    ntiles = n // width
    for t in numba.prange(ntiles):
        x = v[t * width:(t + 1) * width]
        h = 1
        if low >= 2:  # bits 0 and 1 together, in groups of four
            for i in range(0, width, 4):
                x[i], x[i + 1], x[i + 2], x[i + 3] = _butterfly4(x[i], x[i + 1], x[i + 2],
                                                                 x[i + 3])
            h = 4
        if low >= 4:  # bits 2 and 3 together, in groups of sixteen (fixed trip counts)
            for i in range(0, width, 16):
                xs = x[i:i + 16]
                for j in range(4):
                    xs[j], xs[j + 4], xs[j + 8], xs[j + 12] = _butterfly4(xs[j], xs[j + 4],
                                                                          xs[j + 8], xs[j + 12])
            h = 16
        while h < width:  # contiguous halves as views of their own, so the loop vectorises
            for i0 in range(0, width, 2 * h):
                lo = x[i0:i0 + h]
                hi = x[i0 + h:i0 + 2 * h]
                for j in range(h):
                    a = lo[j]
                    b = hi[j]
                    lo[j] = a + b
                    hi[j] = a - b
            h *= 2
    q = low
    while q < d:
        if q + 1 < d:
            # radix 4 over bits q and q + 1: four tiles at offsets 0, h, 2h, 3h
            qb = q - low
            h = 1 << q
            for t in numba.prange(ntiles // 4):
                tile = ((t >> qb) << (qb + 2)) | (t & ((1 << qb) - 1))
                s0 = tile * width
                v0 = v[s0:s0 + width]
                v1 = v[s0 + h:s0 + h + width]
                v2 = v[s0 + 2 * h:s0 + 2 * h + width]
                v3 = v[s0 + 3 * h:s0 + 3 * h + width]
                for j in range(width):
                    v0[j], v1[j], v2[j], v3[j] = _butterfly4(v0[j], v1[j], v2[j], v3[j])
            q += 2
        else:
            qb = q - low
            h = 1 << q
            for t in numba.prange(ntiles // 2):
                tile = ((t >> qb) << (qb + 1)) | (t & ((1 << qb) - 1))
                s0 = tile * width
                v0 = v[s0:s0 + width]
                v1 = v[s0 + h:s0 + h + width]
                for j in range(width):
                    a = v0[j]
                    b = v1[j]
                    v0[j] = a + b
                    v1[j] = a - b
            q += 1


def _project_dots(q, nq, a, b):  # pragma: no cover - compiled
    # [q_0·b, ..., q_{nq-1}·b, a·b, a·a] in one pass
    n = b.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nq + 2))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        bc = b[lo:hi]
        for t in range(nq):
            qt = q[t][lo:hi]
            acc = 0.0
            for i in range(hi - lo):
                acc += qt[i] * bc[i]
            partial[c, t] = acc
        ac = a[lo:hi]
        ab = 0.0
        aa = 0.0
        for i in range(hi - lo):
            ab += ac[i] * bc[i]
            aa += ac[i] * ac[i]
        partial[c, nq] = ab
        partial[c, nq + 1] = aa
    return partial.sum(axis=0)


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _overlaps_into(q, nq, zc, lo, hi, out):  # pragma: no cover - compiled
    # out[t] = q_t[lo:hi]·zc for t < nq (zc: the chunk [lo, hi) of a row), inlined into the
    # kernels of the CG steps
    for t in range(nq):
        qt = q[t][lo:hi]
        acc = 0.0
        for i in range(hi - lo):
            acc += qt[i] * zc[i]
        out[t] = acc


def _cg_start(q, nq, residual, energies, s, theta, floor, r, z, divide):  # pragma: no cover - compiled
    # r = -residual (cast to r's precision); z = r / max(|s·E - theta|, floor) if divide, else
    # z = r; returns [q_0·z, ..., q_{nq-1}·z, r·z, r·r] (zeros unless divide). One pass instead
    # of a numpy cast, a division and the overlaps, each over the whole row.
    n = r.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nq + 2))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        width = hi - lo
        src = residual[lo:hi]
        rc = r[lo:hi]
        zc = z[lo:hi]
        if divide:
            ec = energies[lo:hi]
            rr = 0.0
            rz = 0.0
            for i in range(width):
                ri = -src[i]
                rc[i] = ri
                ri = rc[i]  # the rounded value, as the steps will read it
                zi = ri / max(abs(s * ec[i] - theta), floor)
                zc[i] = zi
                rr += ri * ri
                rz += ri * zi
            _overlaps_into(q, nq, zc, lo, hi, partial[c])
            partial[c, nq] = rz
            partial[c, nq + 1] = rr
        else:
            for i in range(width):
                rc[i] = -src[i]
                zc[i] = rc[i]
    return partial.sum(axis=0)


def _scaled_copy(src, dst, factor, accumulate):  # pragma: no cover - compiled
    # dst = factor * src (dst += factor * src if accumulate), converted to dst's precision,
    # threaded (numpy's copies and casts run on one thread)
    n = dst.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        s = src[lo:hi]
        d = dst[lo:hi]
        if accumulate:
            for i in range(hi - lo):
                d[i] += factor * s[i]
        else:
            for i in range(hi - lo):
                d[i] = factor * s[i]


def _cg_update(q, nq, coef, theta, alpha, p, hp, x, r, z, energies, s, floor,
               divide, first):  # pragma: no cover - compiled
    # A p = hp - theta p - sum_t coef_t q_t (the projected operator; p ⊥ Q);
    # x += alpha p (x = alpha p on the first step: x is not read, and may hold anything);
    # r -= alpha A p; z = r / max(|s·E - theta|, floor) if divide else z = r;
    # returns [q_0·z, ..., q_{nq-1}·z, r·z, r·r]
    n = r.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    partial = np.zeros((nchunks, nq + 2))
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        width = hi - lo
        pc = p[lo:hi]
        hc = hp[lo:hi]
        xc = x[lo:hi]
        rc = r[lo:hi]
        zc = z[lo:hi]
        buf = np.empty_like(rc)
        for i in range(width):
            buf[i] = hc[i] - theta * pc[i]
        for t in range(nq):
            qt = q[t][lo:hi]
            a = coef[t]
            for i in range(width):
                buf[i] -= a * qt[i]
        rr = 0.0
        rz = 0.0
        if first:
            for i in range(width):
                xc[i] = alpha * pc[i]
        else:
            for i in range(width):
                xc[i] += alpha * pc[i]
        if divide:
            ec = energies[lo:hi]
            for i in range(width):
                ri = rc[i] - alpha * buf[i]
                zi = ri / max(abs(s * ec[i] - theta), floor)
                rc[i] = ri
                zc[i] = zi
                rr += ri * ri
                rz += ri * zi
        else:
            for i in range(width):
                ri = rc[i] - alpha * buf[i]
                rc[i] = ri
                zc[i] = ri
                rr += ri * ri
            rz = rr
        _overlaps_into(q, nq, zc, lo, hi, partial[c])
        partial[c, nq] = rz
        partial[c, nq + 1] = rr
    return partial.sum(axis=0)


def _direction(q, nq, coef, z, beta, p):  # pragma: no cover - compiled
    # p = (z - sum_t coef_t q_t) + beta p; p is not read when beta == 0 (the first step,
    # where p may hold anything, NaN included)
    n = z.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    for c in numba.prange(nchunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        width = hi - lo
        zc = z[lo:hi]
        pc = p[lo:hi]
        buf = np.empty_like(zc)
        if beta != 0.0:
            for i in range(width):
                buf[i] = zc[i] + beta * pc[i]
        else:
            for i in range(width):
                buf[i] = zc[i]
        for t in range(nq):
            qt = q[t][lo:hi]
            a = coef[t]
            for i in range(width):
                buf[i] -= a * qt[i]
        for i in range(width):
            pc[i] = buf[i]


def _divide_levels(levels, z):  # pragma: no cover - compiled
    # z_k /= levels[popcount(k)] (the Walsh-basis diagonal, already positive)
    n = z.shape[0]
    nchunks = (n + _CHUNK - 1) // _CHUNK
    for c in numba.prange(nchunks):
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            x = i
            w = 0
            while x:
                x &= x - 1
                w += 1
            z[i] /= levels[w]


_walsh_serial, _walsh_parallel = serial_and_parallel(_walsh, nogil=True, fastmath=True)
_project_dots_serial, _project_dots_parallel = serial_and_parallel(_project_dots, nogil=True,
                                                                   fastmath=True)
_cg_update_serial, _cg_update_parallel = serial_and_parallel(_cg_update, nogil=True, fastmath=True)
_cg_start_serial, _cg_start_parallel = serial_and_parallel(_cg_start, nogil=True, fastmath=True)
_scaled_copy_serial, _scaled_copy_parallel = serial_and_parallel(_scaled_copy, nogil=True)
_direction_serial, _direction_parallel = serial_and_parallel(_direction, nogil=True, fastmath=True)
_divide_levels_serial, _divide_levels_parallel = serial_and_parallel(_divide_levels, nogil=True)


def copy_row(src: NDArray[np.floating], dst: NDArray[np.floating], factor: float = 1.0, *,
             accumulate: bool = False, parallel: bool = False) -> None:
    """``dst = factor·src`` (``dst += factor·src`` with ``accumulate``) in ``dst``'s precision.

    One row of ``2**d`` amplitudes: the Davidson solver's casts between float64 and float32
    rows, its copies of start and returned vectors, and the warm starts a
    :class:`~hybridxai.anneal.gap_profile.GapTracker` keeps in float32 and combines in
    float64. Threaded, where numpy's copies and casts run on one thread (a 128 MiB row:
    12.5 ms in numpy, 6.7 ms threaded; docs/benchmarks.md, eighteenth round), and without
    the temporary row numpy's mixed-precision ``dst += factor * src`` would make.

    Example:
        >>> out = np.zeros(3, dtype=np.float32)
        >>> copy_row(np.array([1.0, 2.0, 4.0]), out, 0.5)
        >>> out.tolist()
        [0.5, 1.0, 2.0]
        >>> copy_row(np.array([1.0, 1.0, 1.0]), out, -2.0, accumulate=True)
        >>> out.tolist()
        [-1.5, -1.0, 0.0]
    """
    (_scaled_copy_parallel if parallel else _scaled_copy_serial)(src, dst, factor, accumulate)


def walsh_transform(v: NDArray[np.float64], num_qubits: int, *, parallel: bool = False) -> None:
    """In-place unnormalised Walsh–Hadamard transform ``v ← W·v`` (``W·W = 2**d·I``).

    ``W[k, x] = (-1)^popcount(k & x)``: the basis in which ``H_D = -c·ΣX`` is diagonal.

    Args:
        v: ``2**num_qubits`` amplitudes (C-contiguous float64), overwritten.
        num_qubits: ``d``.
        parallel: Use the threaded kernel.

    Example:
        >>> v = np.array([1.0, 0.0, 0.0, 0.0])
        >>> walsh_transform(v, 2)
        >>> v.tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    (_walsh_parallel if parallel else _walsh_serial)(v, num_qubits)


def solve_correction(
    op: AnnealingOperator,
    s: float,
    theta: float,
    q: NDArray[np.float64],
    residual: NDArray[np.float64],
    out: NDArray[np.float64],
    rows: NDArray[np.float64],
    *,
    steps: int,
    reduction: float,
    diagonal_floor: float,
    walsh_levels: NDArray[np.float64] | None = None,
    projector_ready: bool = False,
) -> int:
    """Approximately solve the correction equation of one Ritz pair by preconditioned CG.

    Args:
        op: The operator of ``H(s)``.
        s: Annealing parameter.
        theta: The Ritz value ``θ_j``.
        q: Orthonormal rows ``Q``: the Ritz vectors of levels ``0 … j``.
        residual: ``r_j = H·u_j - θ_j·u_j`` (orthogonal to ``Q``).
        out: Receives the correction ``t`` (orthogonal to ``Q``).
        rows: Scratch rows of ``2**d`` amplitudes, each C-contiguous, overwritten: at least
            :data:`SCRATCH_ROWS` float64 rows, or at least ``single_scratch_rows(len(q))``
            float32 rows to run the CG steps in single precision (``out`` is float64 either
            way; with ``projector_ready`` the rows of ``Q`` in them are read, not written).
        steps: At most this many CG steps (one product each).
        reduction: Stop once the CG residual is below ``reduction`` times ``‖r_j‖``.
        diagonal_floor: Smallest magnitude allowed for a diagonal entry of the preconditioner.
        walsh_levels: The diagonal of ``H(s)`` in the Walsh basis per Hamming weight
            (``-(1 - s)·c·(d - 2w) + s·mean(E_P)``) to precondition there; ``None``: the
            computational-basis diagonal ``s·E_P``.
        projector_ready: In single precision, the float32 copy of ``Q`` is already in its
            rows (``rows[SCRATCH_ROWS + 1:SCRATCH_ROWS + 1 + len(q)]``), written by the pass
            that formed the Ritz vectors, and is not cast again.

    Returns:
        The number of products ``H(s)·v`` spent.
    """
    parallel = op.threaded
    dots = _project_dots_parallel if parallel else _project_dots_serial
    update = _cg_update_parallel if parallel else _cg_update_serial
    direction = _direction_parallel if parallel else _direction_serial
    start = _cg_start_parallel if parallel else _cg_start_serial
    nq = q.shape[0]
    r, p, hp, z = rows[:SCRATCH_ROWS]
    single = rows.dtype == np.float32
    if single:  # scalars and small arrays in float32 too, so the kernels stay in float32
        real = np.float32
        x = rows[SCRATCH_ROWS]
        projector = rows[SCRATCH_ROWS + 1:SCRATCH_ROWS + 1 + nq]
        if projector.shape[0] != nq:  # the kernels do not check bounds
            raise invalid_argument("rows", f"{rows.shape[0]} float32 rows",
                                   f"has no room for the {nq} rows of Q",
                                   f"pass at least single_scratch_rows({nq}) rows")
        for source, row in zip(q, projector, strict=True) if not projector_ready else ():
            copy_row(source, row, parallel=parallel)
        energies = op.single_diagonal
    else:
        real = np.float64
        x, projector, energies = out, q, op.diagonal
    projector = row_major(projector)  # the kernels read rows [0, 2**d) of it only
    theta_cast, floor_cast = real(theta), real(diagonal_floor)
    if walsh_levels is not None:
        levels = np.maximum(np.abs(walsh_levels - theta), diagonal_floor).astype(real)
        walsh = _walsh_parallel if parallel else _walsh_serial
        divide_levels = _divide_levels_parallel if parallel else _divide_levels_serial

        def precondition() -> NDArray[np.float64]:  # z holds a copy of r
            walsh(z, op.num_qubits)
            divide_levels(levels, z)
            walsh(z, op.num_qubits)  # scaled by 2**d: CG does not depend on the scale
            return dots(projector, nq, r, z)

    # r = -residual and z = M^-1 r with its overlaps in one pass (the Walsh preconditioner
    # transforms a copy of r)
    projections = start(projector, nq, residual, energies, real(s), theta_cast, floor_cast, r, z,
                        walsh_levels is None)
    if walsh_levels is not None:
        projections = precondition()
    if steps < 1:
        x[:] = 0.0
    rz, target = float(projections[nq]), reduction**2 * float(projections[nq + 1])
    direction(projector, nq, projections[:nq].astype(real), z, real(0.0), p)
    products = 0
    for step in range(steps):
        images = op.matvec_overlaps(s, p, hp, projector)
        products += 1
        curvature = float(images[nq]) - theta * float(images[nq + 1])
        if not (curvature > 0.0 and math.isfinite(curvature) and rz > 0.0):
            # not positive definite along p (inexact Ritz vectors): keep what we have, or
            # the preconditioned residual itself on the first step (Olsen-like)
            if step == 0:
                x[:] = p
            break
        alpha = rz / curvature
        # x, r and, for the computational-basis preconditioner, z and its overlaps in one pass
        projections = update(projector, nq, images[:nq].astype(real), theta_cast, real(alpha), p,
                             hp, x, r, z, energies, real(s), floor_cast, walsh_levels is None,
                             step == 0)
        if projections[nq + 1] <= target:
            break
        if walsh_levels is not None:
            projections = precondition()
        beta = float(projections[nq]) / rz
        rz = float(projections[nq])
        direction(projector, nq, projections[:nq].astype(real), z, real(beta), p)
    if single:
        copy_row(x, out, parallel=parallel)
    return products
