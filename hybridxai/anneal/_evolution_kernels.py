"""Numba kernels of the native statevector annealer (private; see :mod:`.statevector`).

The state is kept as two real arrays ``re``, ``im`` (structure of arrays), so every kernel is
plain real arithmetic on contiguous 256-bit vectors. The anneal is a sequence of *passes*; one
pass is one Trotter step and touches the whole state exactly once, one cache-sized *tile*
(``2**t`` amplitudes) at a time, tiles spread over threads.

Two tilings alternate. Tiling A takes ``2**t`` contiguous amplitudes (local qubits ``0..t-1``).
Tiling B takes, for fixed qubits ``rb..t-1``, the ``2**(d-t)`` rows of ``2**rb`` contiguous
amplitudes one block apart (local qubits ``0..rb-1`` and ``t..d-1``); both are processed in
place, the blocks being padded (:func:`block_stride`) so that B's rows do not alias in the
caches. Each pass

1. finishes the previous driver layer on the local qubits the previous pass could not reach
   (``RX`` on local bits ``rb..t-1``),
2. applies the problem phase ``exp(-iγE)``, and
3. starts the next driver layer on all its local qubits,

so the two tilings together apply every ``RX`` once per layer while the state streams through
memory once per Trotter step. The driver ``RX(-2θ) = cos θ·(I + i·tan θ·X)`` is applied as
``I + iτX`` (one fused multiply-add per real number); the scalar ``cos θ`` per qubit is folded
into the phase of the pass (for ``|tan θ| > 1`` the equivalent form ``i·sin θ·X·(I - i·cot θ·X)``
is used, the ``X`` being a relabelling of the stored pair).

The phase never needs ``exp`` per amplitude: inside a sub-block of ``2**sb`` amplitudes (L1-sized)
``E = C + Σ_j g_j n_j + Q(n)`` where ``Q`` couples only the sub-block's own qubits (a per-step
table ``T = exp(-iγQ)``) and ``g_j`` are the local fields from all other qubits, so
``exp(-iγE) = exp(-iγC)·T[x]·Π_j w_j^{n_j}`` with ``w_j = exp(-iγ g_j)`` — three complex
multiplications per amplitude and a few ``sin``/``cos`` per sub-block.

The SIMD helpers below are numba intrinsics emitting LLVM vector instructions (``<4 x double>`` /
``<8 x float>``): numba's auto-vectoriser does not vectorise the qubit-0/1/2 butterflies, whose
partners sit in the same vector register.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic, models, register_model

__all__ = [
    "block_stride", "evolve_serial", "plan_tiles", "prepare_pass", "run_pass_chunk", "workspaces",
]

_VEC_BYTES = 32
_FLAGS = ("contract",)
_OPTS = dict(fastmath={"contract"}, error_model="numpy", cache=True)

# Tiling parameters (see plan_tiles).
SINGLE_TILE_MAX_QUBITS = 12
TILE_BITS = 14
SUBBLOCK_BITS = 10
MIN_ROW_BITS = 7  # rows of a B tile: >= 2**_SPLIT_BITS contiguous amplitudes, long streams
MIN_TILE_COUNT_BITS = 3
_SPLIT_BITS = 5  # the per-sub-block factor table is split into 2**5 x 2**(sb-5)
_BLOCK_PADDING = 16  # elements after each block of 2**t (see block_stride)


def plan_tiles(num_qubits: int, itemsize: int = 8) -> tuple[int, int, int]:
    """Choose the tiling ``(t, rb, sb)`` for ``d`` qubits.

    Args:
        num_qubits: ``d``.
        itemsize: Bytes per real number (8 for complex128 states, 4 for complex64).

    Returns:
        ``t`` tile bits, ``rb`` contiguous row bits of a B tile, ``sb`` sub-block bits. For
        ``d <= 12`` there is a single tile (``t = rb = d``).
    """
    d = int(num_qubits)
    extra = 1 if itemsize == 4 else 0  # same bytes per tile for complex64
    if d <= SINGLE_TILE_MAX_QUBITS:
        return d, d, min(d, SUBBLOCK_BITS + extra)
    t = min(TILE_BITS + extra, d - MIN_TILE_COUNT_BITS)
    t = max(t, -(-(d + MIN_ROW_BITS) // 2))
    return t, 2 * t - d, min(SUBBLOCK_BITS + extra, t)


@njit(**_OPTS)
def block_stride(d, t, rb):
    """Distance in memory between consecutive blocks of ``2**t`` amplitudes.

    The state is stored as ``2**(d-t)`` blocks (the A tiles), each followed by
    ``_BLOCK_PADDING`` unused elements, so that the rows of a B tile (one per block) are not
    a power of two apart: at such strides loads and stores alias in the caches (measured 4×
    slower for complex64 at d = 20). With a single tile there is no padding.
    """
    if d <= t:
        return np.int64(1) << t
    return (np.int64(1) << t) + _BLOCK_PADDING


# --------------------------------------------------------------------------------------------
# SIMD intrinsics
# --------------------------------------------------------------------------------------------
class _VecType(types.Type):
    def __init__(self, dtype: types.Type, lanes: int) -> None:
        self.dtype = dtype
        self.lanes = lanes
        super().__init__(name=f"_Vec{lanes}x{dtype}")


@register_model(_VecType)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        be = ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.lanes)
        super().__init__(dmm, fe_type, be)


def _vec_of(arrty):
    return _VecType(arrty.dtype, _VEC_BYTES // (arrty.dtype.bitwidth // 8))


def _vec_ptr(context, builder, arrty, arr, idx, vty):
    data = context.make_array(arrty)(context, builder, arr).data
    return builder.bitcast(builder.gep(data, [idx]), vty.as_pointer())


@intrinsic
def _vload(typingctx, arr, idx):
    vt = _vec_of(arr)

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(vt)
        ptr = _vec_ptr(context, builder, signature.args[0], args[0], args[1], vty)
        return builder.load(ptr, align=arr.dtype.bitwidth // 8)

    return vt(arr, idx), codegen


@intrinsic
def _vstore(typingctx, arr, idx, v):
    def codegen(context, builder, signature, args):
        vty = context.get_value_type(signature.args[2])
        ptr = _vec_ptr(context, builder, signature.args[0], args[0], args[1], vty)
        builder.store(args[2], ptr, align=arr.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.void(arr, idx, v), codegen


@intrinsic
def _vsplat(typingctx, arr, x):
    vt = _vec_of(arr)

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(vt)
        s = context.cast(builder, args[1], signature.args[1], vt.dtype)
        v = builder.insert_element(ir.Constant(vty, ir.Undefined), s,
                                   ir.Constant(ir.IntType(32), 0))
        zeros = ir.Constant(ir.VectorType(ir.IntType(32), vt.lanes), [0] * vt.lanes)
        return builder.shuffle_vector(v, v, zeros)

    return vt(arr, x), codegen


@intrinsic
def _vmul(typingctx, a, b):
    def codegen(context, builder, signature, args):
        return builder.fmul(args[0], args[1], flags=_FLAGS)

    return a(a, b), codegen


@intrinsic
def _vfma(typingctx, a, b, c):
    """``a + b*c``."""

    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], builder.fmul(args[1], args[2], flags=_FLAGS), flags=_FLAGS)

    return a(a, b, c), codegen


@intrinsic
def _vfms(typingctx, a, b, c):
    """``a - b*c``."""

    def codegen(context, builder, signature, args):
        return builder.fsub(args[0], builder.fmul(args[1], args[2], flags=_FLAGS), flags=_FLAGS)

    return a(a, b, c), codegen


@intrinsic
def _vlanes(typingctx, arr):
    lanes = _VEC_BYTES // (arr.dtype.bitwidth // 8)

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, lanes)

    return types.intp(arr), codegen


@intrinsic
def _vrx_low(typingctx, re, im, tau):
    """``I + iτX`` on every in-register bit of the amplitudes ``(re, im)``; returns both."""
    tup = types.UniTuple(re, 2)

    def codegen(context, builder, signature, args):
        lanes = signature.args[0].lanes
        r, i, tv = args
        for b in range(lanes.bit_length() - 1):
            mask = ir.Constant(ir.VectorType(ir.IntType(32), lanes),
                               [k ^ (1 << b) for k in range(lanes)])
            pi = builder.shuffle_vector(i, i, mask)
            pr = builder.shuffle_vector(r, r, mask)
            r, i = (builder.fsub(r, builder.fmul(tv, pi, flags=_FLAGS), flags=_FLAGS),
                    builder.fadd(i, builder.fmul(tv, pr, flags=_FLAGS), flags=_FLAGS))
        return context.make_tuple(builder, tup, [r, i])

    return tup(re, im, tau), codegen


@intrinsic
def _vreverse(typingctx, v):
    """Lane ``k`` of the result is lane ``W-1-k``: ``X`` on every in-register bit."""

    def codegen(context, builder, signature, args):
        lanes = signature.args[0].lanes
        mask = ir.Constant(ir.VectorType(ir.IntType(32), lanes),
                           [k ^ (lanes - 1) for k in range(lanes)])
        return builder.shuffle_vector(args[0], args[0], mask)

    return v(v), codegen


# --------------------------------------------------------------------------------------------
# Driver: I + iτX butterflies. ``swap`` stores the pair exchanged (the X of the cot form).
# --------------------------------------------------------------------------------------------
@njit(**_OPTS)
def _log2_lanes(re):
    w = 0
    while (1 << w) < _vlanes(re):
        w += 1
    return w


@njit(**_OPTS)
def _addr(g, x):
    """Memory index of local index ``x`` of the tile with geometry ``g = (base, row_bits, stride)``.

    Local bits below ``row_bits`` are contiguous in memory; higher ones step by ``stride``.
    """
    return g[0] + (x & ((1 << g[1]) - 1)) + (x >> g[1]) * g[2]


@njit(**_OPTS)
def _dist(g, bit):
    """Memory distance between local indices ``x`` and ``x + 2**bit`` (bit clear in ``x``)."""
    if bit < g[1]:
        return np.int64(1) << bit
    return g[2] << (bit - g[1])


@njit(**_OPTS)
def _rx_scalar(re, im, g, base, n, bit, tau, swap):
    h = 1 << bit
    dy = _dist(g, bit)
    for b0 in range(base, base + n, 2 * h):
        for lx in range(b0, b0 + h):
            x = _addr(g, lx)
            y = x + dy
            xr = re[x]
            xi = im[x]
            yr = re[y]
            yi = im[y]
            nxr = xr - tau * yi
            nxi = xi + tau * yr
            nyr = yr - tau * xi
            nyi = yi + tau * xr
            if swap:
                re[x] = nyr
                im[x] = nyi
                re[y] = nxr
                im[y] = nxi
            else:
                re[x] = nxr
                im[x] = nxi
                re[y] = nyr
                im[y] = nyi


@njit(**_OPTS)
def _rx_pair(re, im, g, base, n, b, tau, swap):
    W = _vlanes(re)
    tv = _vsplat(re, tau)
    h = 1 << b
    dy = _dist(g, b)
    for o in range(base, base + n, 2 * h):
        for lx in range(o, o + h, W):
            x = _addr(g, lx)
            y = x + dy
            ar = _vload(re, x)
            ai = _vload(im, x)
            br = _vload(re, y)
            bi = _vload(im, y)
            nar = _vfms(ar, tv, bi)
            nai = _vfma(ai, tv, br)
            nbr = _vfms(br, tv, ai)
            nbi = _vfma(bi, tv, ar)
            if swap:
                nar, nai, nbr, nbi = nbr, nbi, nar, nai
            _vstore(re, x, nar)
            _vstore(im, x, nai)
            _vstore(re, y, nbr)
            _vstore(im, y, nbi)


@njit(**_OPTS)
def _rx_quad(re, im, g, base, n, b1, b2, tau, swap):
    W = _vlanes(re)
    tv = _vsplat(re, tau)
    h1 = 1 << b1
    h2 = 1 << b2
    d1 = _dist(g, b1)
    d2 = _dist(g, b2)
    for o2 in range(base, base + n, 2 * h2):
        for o1 in range(o2, o2 + h2, 2 * h1):
            for lx in range(o1, o1 + h1, W):
                x = _addr(g, lx)
                y = x + d1
                z = x + d2
                u = z + d1
                a0r = _vload(re, x)
                a0i = _vload(im, x)
                a1r = _vload(re, y)
                a1i = _vload(im, y)
                a2r = _vload(re, z)
                a2i = _vload(im, z)
                a3r = _vload(re, u)
                a3i = _vload(im, u)
                c0r = _vfms(a0r, tv, a1i)
                c0i = _vfma(a0i, tv, a1r)
                c1r = _vfms(a1r, tv, a0i)
                c1i = _vfma(a1i, tv, a0r)
                c2r = _vfms(a2r, tv, a3i)
                c2i = _vfma(a2i, tv, a3r)
                c3r = _vfms(a3r, tv, a2i)
                c3i = _vfma(a3i, tv, a2r)
                e0r = _vfms(c0r, tv, c2i)
                e0i = _vfma(c0i, tv, c2r)
                e2r = _vfms(c2r, tv, c0i)
                e2i = _vfma(c2i, tv, c0r)
                e1r = _vfms(c1r, tv, c3i)
                e1i = _vfma(c1i, tv, c3r)
                e3r = _vfms(c3r, tv, c1i)
                e3i = _vfma(c3i, tv, c1r)
                if swap:
                    e0r, e0i, e3r, e3i = e3r, e3i, e0r, e0i
                    e1r, e1i, e2r, e2i = e2r, e2i, e1r, e1i
                _vstore(re, x, e0r)
                _vstore(im, x, e0i)
                _vstore(re, y, e1r)
                _vstore(im, y, e1i)
                _vstore(re, z, e2r)
                _vstore(im, z, e2i)
                _vstore(re, u, e3r)
                _vstore(im, u, e3i)


@njit(**_OPTS)
def _rx_range(re, im, g, base, n, lo, hi, tau, swap):
    """``I + iτX`` on local bits ``lo..hi-1`` of the local block ``[base, base + n)``."""
    W = _vlanes(re)
    w = _log2_lanes(re)
    if n < W:
        for b in range(lo, hi):
            _rx_scalar(re, im, g, base, n, b, tau, swap)
        return
    b = lo
    while b < min(hi, w):
        _rx_scalar(re, im, g, base, n, b, tau, swap)
        b += 1
    while b + 1 < hi:
        _rx_quad(re, im, g, base, n, b, b + 1, tau, swap)
        b += 2
    if b < hi:
        _rx_pair(re, im, g, base, n, b, tau, swap)


# --------------------------------------------------------------------------------------------
# Problem phase
# --------------------------------------------------------------------------------------------
@njit(**_OPTS)
def _build_quadratic_table(T_r, T_i, S_r, S_i, F_r, F_i, qmap, sb, B, gamma):
    """``T[x] = exp(-iγ Σ_{k<j} B[q_k, q_j] x_k x_j)`` over the sub-block's ``sb`` qubits."""
    S_r[0] = 1.0
    S_i[0] = 0.0
    for j in range(sb):
        hj = 1 << j
        qj = qmap[j]
        F_r[0] = 1.0
        F_i[0] = 0.0
        for k in range(j):
            ang = gamma * B[qmap[k], qj]
            er = math.cos(ang)
            ei = -math.sin(ang)
            hk = 1 << k
            for x in range(hk):
                F_r[hk + x] = F_r[x] * er - F_i[x] * ei
                F_i[hk + x] = F_r[x] * ei + F_i[x] * er
        for x in range(hj):
            sr = S_r[x]
            si = S_i[x]
            S_r[hj + x] = sr * F_r[x] - si * F_i[x]
            S_i[hj + x] = sr * F_i[x] + si * F_r[x]
    for x in range(1 << sb):
        T_r[x] = S_r[x]
        T_i[x] = S_i[x]


@njit(**_OPTS)
def _double_factors(U_r, U_i, start, first, count, w_r, w_i):
    """``U[start + x] = U[start]·Π_j w_{first+j}^{x_j}`` for ``x < 2**count``."""
    for j in range(count):
        wr = w_r[first + j]
        wi = w_i[first + j]
        h = 1 << j
        for x in range(start, start + h):
            ur = U_r[x]
            ui = U_i[x]
            U_r[x + h] = ur * wr - ui * wi
            U_i[x + h] = ur * wi + ui * wr


@njit(**_OPTS)
def _phase_vector(re, im, g, base, sb, w_r, w_i, p0r, p0i, T_r, T_i, U_r, U_i, do_low, tau,
                  swap):
    """Multiply ``2**sb >= 32`` amplitudes by ``P0·T[x]·Π w_j^{x_j}`` (then RX on low bits).

    If ``do_low``, ``I + iτX`` is applied to the in-register bits before the store.
    """
    zero = np.int64(0)
    s1 = np.int64(_SPLIT_BITS)
    n1 = 1 << s1
    U_r[0] = 1.0
    U_i[0] = 0.0
    _double_factors(U_r, U_i, zero, zero, s1, w_r, w_i)
    U_r[n1] = p0r
    U_i[n1] = p0i
    _double_factors(U_r, U_i, n1, s1, sb - s1, w_r, w_i)
    W = _vlanes(re)
    tv = _vsplat(re, tau)
    for y in range(1 << (sb - s1)):
        vur = _vsplat(re, U_r[n1 + y])
        vui = _vsplat(re, U_i[n1 + y])
        row = y << s1
        mrow = _addr(g, base + row)  # a row of 2**s1 local indices is contiguous in memory
        for x in range(0, n1, W):
            lr = _vload(U_r, x)
            li = _vload(U_i, x)
            mr = _vfms(_vmul(vur, lr), vui, li)
            mi = _vfma(_vmul(vur, li), vui, lr)
            tr = _vload(T_r, row + x)
            ti = _vload(T_i, row + x)
            pr = _vfms(_vmul(mr, tr), mi, ti)
            pi = _vfma(_vmul(mr, ti), mi, tr)
            k = mrow + x
            sr = _vload(re, k)
            si = _vload(im, k)
            nr = _vfms(_vmul(sr, pr), si, pi)
            ni = _vfma(_vmul(sr, pi), si, pr)
            if do_low:
                nr, ni = _vrx_low(nr, ni, tv)
                if swap:
                    nr = _vreverse(nr)
                    ni = _vreverse(ni)
            _vstore(re, k, nr)
            _vstore(im, k, ni)


@njit(**_OPTS)
def _phase_scalar(re, im, g, base, sb, w_r, w_i, p0r, p0i, T_r, T_i, U_r, U_i):
    """Scalar version of :func:`_phase_vector` (no driver) for sub-blocks of < 32 amplitudes."""
    zero = np.int64(0)
    U_r[0] = p0r
    U_i[0] = p0i
    _double_factors(U_r, U_i, zero, zero, sb, w_r, w_i)
    for x in range(1 << sb):
        mr = U_r[x] * T_r[x] - U_i[x] * T_i[x]
        mi = U_r[x] * T_i[x] + U_i[x] * T_r[x]
        k = _addr(g, base + x)
        sr = re[k]
        si = im[k]
        re[k] = sr * mr - si * mi
        im[k] = sr * mi + si * mr


# --------------------------------------------------------------------------------------------
# One tile, one pass
# --------------------------------------------------------------------------------------------
@njit(**_OPTS)
def _process_tile(re, im, g, tile, t, rb, sb, qmap, fixq, lin, B, offset, gamma,
                  do_fin, tau_f, swap_f, do_start, tau_s, swap_s, scal_r, scal_i,
                  T_r, T_i, E_r, E_i, U_r, U_i, gtile, wt, w):
    """One pass on one tile of ``2**t`` amplitudes, in place; ``g`` is its geometry.

    Local bit ``j`` is qubit ``qmap[j]``; bit ``a`` of ``tile`` is the value of qubit ``fixq[a]``.
    """
    zero = np.int64(0)
    n = 1 << t
    nsb = 1 << sb
    lw = _log2_lanes(re)
    vector = sb >= _SPLIT_BITS
    # 1. finish the previous driver layer on the bits above the sub-block
    if do_fin and t > max(rb, sb):
        _rx_range(re, im, g, zero, n, max(rb, sb), t, tau_f, swap_f)
    # 2. local fields of the tile's qubits from its fixed qubits
    c0 = offset
    for j in range(t):
        gtile[j] = lin[qmap[j]]
    for a in range(fixq.size):
        if (tile >> a) & 1:
            f = fixq[a]
            c0 += lin[f]
            for b in range(a):
                if (tile >> b) & 1:
                    c0 += B[f, fixq[b]]
            for j in range(t):
                gtile[j] += B[qmap[j], f]
    for j in range(sb):
        ang = gamma * gtile[j]
        wt[0, j] = math.cos(ang)
        wt[1, j] = -math.sin(ang)
    # 3. sub-blocks: finish the driver on their fin bits, phase, start the next driver
    for s in range(n >> sb):
        base = s << sb
        c = c0
        for j in range(sb):
            w[0, j] = wt[0, j]
            w[1, j] = wt[1, j]
        for u in range(sb, t):
            if (s >> (u - sb)) & 1:
                qu = qmap[u]
                c += gtile[u]
                for u2 in range(sb, u):
                    if (s >> (u2 - sb)) & 1:
                        c += B[qu, qmap[u2]]
                for j in range(sb):
                    er = E_r[j, u - sb]
                    ei = E_i[j, u - sb]
                    wr = w[0, j]
                    wi = w[1, j]
                    w[0, j] = wr * er - wi * ei
                    w[1, j] = wr * ei + wi * er
        ang = gamma * c
        cr = math.cos(ang)
        ci = -math.sin(ang)
        p0r = cr * scal_r - ci * scal_i
        p0i = cr * scal_i + ci * scal_r
        if do_fin and rb < sb:
            _rx_range(re, im, g, base, nsb, rb, sb, tau_f, swap_f)
        if vector:
            _phase_vector(re, im, g, base, sb, w[0], w[1], p0r, p0i, T_r, T_i, U_r, U_i,
                          do_start, tau_s, swap_s)
            if do_start and sb > lw:
                _rx_range(re, im, g, base, nsb, lw, sb, tau_s, swap_s)
        else:
            _phase_scalar(re, im, g, base, sb, w[0], w[1], p0r, p0i, T_r, T_i, U_r, U_i)
            if do_start:
                _rx_range(re, im, g, base, nsb, zero, sb, tau_s, swap_s)
    # 4. start the next driver layer on the bits above the sub-block
    if do_start and t > sb:
        _rx_range(re, im, g, zero, n, sb, t, tau_s, swap_s)


@njit(**_OPTS)
def _run_chunk(re, im, chunk, nchunks, typ, d, t, rb, sb, qmap, fixq, lin, B, offset, gamma,
               do_fin, tau_f, swap_f, do_start, tau_s, swap_s, scal_r, scal_i,
               T_r, T_i, E_r, E_i, U_r, U_i, gtile, wt, w):
    """The tiles ``chunk·N/nchunks .. (chunk+1)·N/nchunks - 1`` of a pass, on one thread."""
    ntiles = 1 << (d - t)
    stride = block_stride(d, t, rb)
    for tile in range(chunk * ntiles // nchunks, (chunk + 1) * ntiles // nchunks):
        if typ == 0:  # tiling A: block ``tile``, contiguous
            g = (tile * stride, t, stride)
        else:  # tiling B: rows ``tile`` of every block, one block stride apart
            g = (tile << rb, rb, stride)
        _process_tile(re, im, g, tile, t, rb, sb, qmap, fixq, lin, B, offset, gamma,
                      do_fin, tau_f, swap_f, do_start, tau_s, swap_s, scal_r, scal_i,
                      T_r, T_i, E_r, E_i, U_r, U_i, gtile, wt, w)


@njit(**_OPTS)
def _prepare_pass(qmap, t, sb, B, gamma, T_r, T_i, S, E_r, E_i):
    """Per-pass tables shared by all tiles: ``T`` and ``E[j, u] = exp(-iγB[q_j, q_u])``."""
    _build_quadratic_table(T_r, T_i, S[0], S[1], S[2], S[3], qmap, sb, B, gamma)
    for j in range(sb):
        for u in range(sb, t):
            ang = gamma * B[qmap[j], qmap[u]]
            E_r[j, u - sb] = math.cos(ang)
            E_i[j, u - sb] = -math.sin(ang)


@njit(**_OPTS)
def workspaces(re, d, t, rb, sb, nthreads):
    """Allocate the per-pass tables and the buffers of ``nthreads`` threads (a tuple)."""
    dt = re.dtype
    if sb < _SPLIT_BITS:
        nu = 1 << sb
    else:
        nu = (1 << _SPLIT_BITS) + (1 << (sb - _SPLIT_BITS))
    U = np.empty((nthreads, 2, nu), dt)
    G = np.empty((nthreads, t))
    WT = np.empty((nthreads, 2, 2, max(sb, 1)))
    T = np.empty((2, 1 << sb), dt)
    S = np.empty((4, 1 << sb))
    E = np.empty((2, max(sb, 1), max(t - sb, 1)))
    qmaps = np.empty((2, max(t, 1)), np.int64)
    for j in range(t):
        qmaps[0, j] = j
        qmaps[1, j] = j if j < rb else t + (j - rb)
    fix_a = np.empty(d - t, np.int64)
    for a in range(d - t):
        fix_a[a] = t + a
    fix_b = np.empty(t - rb, np.int64)
    for a in range(t - rb):
        fix_b[a] = rb + a
    return U, G, WT, T, S, E, qmaps, fix_a, fix_b


@njit(nogil=True, **_OPTS)
def prepare_pass(p, ntiles, t, sb, B, gam, ws):
    """Build the tables of pass ``p`` shared by all its tiles (see :func:`workspaces`)."""
    typ = (p & 1) if ntiles > 1 else 0
    U, G, WT, T, S, E, qmaps, fix_a, fix_b = ws
    _prepare_pass(qmaps[typ], t, sb, B, gam[p], T[0], T[1], S, E[0], E[1])


@njit(nogil=True, **_OPTS)
def run_pass_chunk(re, im, p, c, nchunks, d, t, rb, sb, lin, B, offset, gam, do_fin, tau_f,
                   swap_f, do_start, tau_s, swap_s, scal_r, scal_i, ws, slot):
    """Chunk ``c`` of ``nchunks`` of pass ``p`` (after :func:`prepare_pass`), in place.

    ``slot`` selects the calling thread's buffers in ``ws``; releases the GIL.
    """
    typ = (p & 1) if d > t else 0
    U, G, WT, T, S, E, qmaps, fix_a, fix_b = ws
    fixq = fix_a if typ == 0 else fix_b
    _run_chunk(re, im, c, nchunks, typ, d, t, rb, sb, qmaps[typ], fixq, lin, B, offset,
               gam[p], do_fin[p], tau_f[p], swap_f[p], do_start[p], tau_s[p],
               swap_s[p], scal_r[p], scal_i[p], T[0], T[1], E[0], E[1], U[slot, 0],
               U[slot, 1], G[slot], WT[slot, 0], WT[slot, 1])


@njit(nogil=True, **_OPTS)
def evolve_serial(re, im, d, t, rb, sb, lin, B, offset, gam, do_fin, tau_f, swap_f, do_start,
                  tau_s, swap_s, scal_r, scal_i):
    """Run every pass on one thread, in place on the padded state ``(re, im)``.

    Args:
        re: Real parts (float64 or float32) in the padded layout of :func:`block_stride`,
            updated in place.
        im: Imaginary parts, same dtype and layout.
        d: Number of qubits.
        t: Tile bits (see :func:`plan_tiles`).
        rb: Row bits of a B tile.
        sb: Sub-block bits.
        lin: ``(d,)`` float64 linear biases.
        B: ``(d, d)`` float64 symmetric couplings, zero diagonal.
        offset: Energy offset.
        gam: ``(P,)`` problem coefficients ``γ`` of the passes.
        do_fin: ``(P,)`` bool, finish the previous driver layer in this pass.
        tau_f: ``(P,)`` ``τ`` of that layer (state dtype).
        swap_f: ``(P,)`` bool, the cot form.
        do_start: ``(P,)`` bool, start the next driver layer.
        tau_s: ``(P,)`` its ``τ``.
        swap_s: ``(P,)`` its form.
        scal_r: ``(P,)`` real part of the scalar of the pass (folded driver normalisation).
        scal_i: ``(P,)`` its imaginary part.
    """
    ntiles = 1 << (d - t)
    one = np.int64(1)
    zero = np.int64(0)
    ws = workspaces(re, d, t, rb, sb, one)
    for p in range(gam.size):
        prepare_pass(p, ntiles, t, sb, B, gam, ws)
        run_pass_chunk(re, im, p, zero, one, d, t, rb, sb, lin, B, offset, gam, do_fin, tau_f,
                       swap_f, do_start, tau_s, swap_s, scal_r, scal_i, ws, zero)
