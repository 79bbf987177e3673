"""The annealing Hamiltonian ``H(s) = (1 - s)·H_D + s·H_P`` as matrix-free and sparse operators.

``H_P`` is diagonal in the computational basis (its diagonal is
:func:`hybridxai.anneal.ising.basis_energies`, offset included) and the driver is
``H_D = -c·Σ_p X_p``. ``X_p`` flips bit ``p`` of the little-endian basis index, so

``(H(s)·v)[i] = s·E_P[i]·v[i] - (1 - s)·c·Σ_p v[i XOR 2**p]``.

Everything is real: ``H(s)`` is a real symmetric matrix, so eigensolvers run in float64.
The product is a numba kernel (tiled so that the partner blocks of the high qubits are read
contiguously, and threaded over tiles for large ``d``); no ``2**d × 2**d`` matrix is formed.

Example:
    >>> import dimod, numpy as np
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): 1.0}, 0.0, "BINARY")
    >>> op = AnnealingOperator.from_bqm(bqm)
    >>> np.allclose(op.dense(0.3), op.sparse(0.3).toarray())
    True
    >>> v = np.ones(4) / 2
    >>> np.allclose(op.matvec(0.3, v), op.dense(0.3) @ v)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import dimod
import numba
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from hybridxai._util.aligned import aligned_copy, aligned_empty
from hybridxai._util.checks import check_bqm
from hybridxai._util.jit import row_major, serial_and_parallel, threads_respond
from hybridxai._util.memory import check_statevector_memory
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.spec import DriverScale, resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = [
    "AnnealingOperator",
    "annealing_operator",
    "annealing_matrix",
    "driver_sum_csr",
    "check_s",
    "check_analysis_memory",
    "ANALYSIS_BYTES_PER_AMPLITUDE",
    "PARALLEL_MIN_QUBITS",
    "PROGRESS_MIN_QUBITS",
]

ANALYSIS_BYTES_PER_AMPLITUDE = 8 * 8
"""Bytes per basis state the iterative analysis needs at least (diagonal, a few work vectors)."""

# a product's tile: 16 KiB, 2**11 float64 or 2**12 float32 amplitudes (with float32 tiles of
# 2**11 the fused product of the inner CG steps took 10-15 % longer at d = 22-24 on a Zen 5
# machine, the plain product 11 % at d = 24; about as long on a Zen 3 one; docs/benchmarks.md,
# twentieth round)
_TILE_BYTES = 1 << 14
PARALLEL_MIN_QUBITS = 14
"""Kernels run threaded (numba ``prange``, ``NUMBA_NUM_THREADS`` threads) from this many
qubits on, when the threads respond (:attr:`AnnealingOperator.threaded`); set it above 40 to
keep every kernel single-threaded. Chosen by measurement on the 2-core machine
(``gap_profile`` of the ``chelsea`` QUBOs: d = 14 3.1 s serial, 2.0 s threaded; d = 16 12.8 s,
7.1 s; docs/benchmarks.md) and rechecked with the faster kernels of the fifth round
(``python benchmarks/bench_gap.py --threading 12 13 14 16 --seed 3``: serial/threaded 0.74 at
d = 12, 1.08 at 13, 1.27 at 14, 1.73 at 16)."""


PROGRESS_MIN_QUBITS = 20
"""From this many qubits on, the exact analyses (``min_gap``, ``gap_profile``,
``fidelity_curve``) draw a progress bar unless told otherwise (``progress=None``): there the
profiles take tens of seconds on the 2-core machine, and every two more qubits cost 2.8-6 times
more (``chelsea`` QUBO, d = 18 → 20: ``min_gap`` 1.5 → 4.2 s, ``gap_profile(adaptive=True)``
2.7 → 15.5 s, the 64-point ``gap_profile()`` 10.3 → 53.3 s, one ``fidelity_curve`` anneal
of ``T = 10`` 0.6 → 2.6 s, tenth round; d = 24: ``min_gap`` 90.3 s, eighth round,
``gap_profile(adaptive=True)`` 310.1 s, ninth round; docs/benchmarks.md)."""


_GROUP_BITS = 4  # the flips of bits 0-3 are done in registers, 16 amplitudes at a time
_GROUP = 1 << _GROUP_BITS


@numba.njit(nogil=True, fastmath=True, cache=True, inline="always")
def _product_tile(diag, v, out, start, low, a, b, d):  # pragma: no cover - compiled
    # out[tile] = a * diag * v + b * sum_q v[i ^ (1 << q)] for the tile of 2**low amplitudes
    # at start, with the tile of out kept in L1 until the diagonal term finishes it:
    # - bits 0-3: each group of 16 amplitudes is one or two SIMD registers, the four flips
    #   permutations of it (one pass instead of four short-strided ones);
    # - bits 4 to low - 1: butterflies between contiguous halves, as views of their own so
    #   that the loops vectorise;
    # - each high bit adds its partner tile (contiguous).
    # Inlined into its callers (numba inline="always"): called as a function, its loops
    # vectorised worse in the threaded kernel (docs/benchmarks.md, fifth round).
    width = 1 << low
    o = out[start:start + width]
    x = v[start:start + width]
    if low >= _GROUP_BITS:
        for i in range(0, width, _GROUP):
            xs = x[i:i + _GROUP]
            os = o[i:i + _GROUP]
            for k in range(_GROUP):  # one term per bit of the group
                os[k] = xs[k ^ 1] + xs[k ^ 2] + xs[k ^ 4] + xs[k ^ 8]
        first = _GROUP_BITS
    else:  # a tiny problem: every in-tile bit the plain way
        for i in range(width):
            o[i] = 0.0
        first = 0
    for q in range(first, low):
        h = 1 << q
        for i0 in range(0, width, 2 * h):
            o_lo = o[i0:i0 + h]
            o_hi = o[i0 + h:i0 + 2 * h]
            x_lo = x[i0:i0 + h]
            x_hi = x[i0 + h:i0 + 2 * h]
            for j in range(h):
                o_lo[j] += x_hi[j]
                o_hi[j] += x_lo[j]
    for q in range(low, d):
        p0 = start ^ (1 << q)
        partner = v[p0:p0 + width]
        for j in range(width):
            o[j] += partner[j]
    dg = diag[start:start + width]
    for j in range(width):
        o[j] = a * dg[j] * x[j] + b * o[j]


@numba.njit(nogil=True, cache=True, inline="always")
def _tile_bits(v, d):  # pragma: no cover - compiled
    # log2 of the amplitudes of v in a tile of _TILE_BYTES (at most d)
    bits = 0
    while bits < d and v.itemsize << (bits + 1) <= _TILE_BYTES:
        bits += 1
    return bits


def _kernel(diag, v, out, a, b, d):  # pragma: no cover - compiled
    # out = H v, one cache-sized tile at a time
    low = _tile_bits(v, d)
    ntiles = v.shape[0] >> low
    for t in numba.prange(ntiles):
        _product_tile(diag, v, out, t << low, low, a, b, d)


def _kernel_overlaps(diag, v, out, a, b, d, q, nq):  # pragma: no cover - compiled
    # out = H v as _kernel, and [q_0·out, ..., q_{nq-1}·out, v·out, v·v] while each tile of
    # out is still in cache (on views of the tile: indexing the whole rows vectorises worse)
    low = _tile_bits(v, d)
    width = 1 << low
    ntiles = v.shape[0] >> low
    partial = np.zeros((ntiles, nq + 2))
    for t in numba.prange(ntiles):
        start = t << low
        _product_tile(diag, v, out, start, low, a, b, d)
        o = out[start:start + width]
        for r in range(nq):
            qr = q[r][start:start + width]
            acc = 0.0
            for j in range(width):
                acc += qr[j] * o[j]
            partial[t, r] = acc
        x = v[start:start + width]
        vo = 0.0
        vv = 0.0
        for j in range(width):
            vo += x[j] * o[j]
            vv += x[j] * x[j]
        partial[t, nq] = vo
        partial[t, nq + 1] = vv
    return partial.sum(axis=0)


_kernel_serial, _kernel_parallel = serial_and_parallel(_kernel, nogil=True, fastmath=True)
_overlaps_serial, _overlaps_parallel = serial_and_parallel(_kernel_overlaps, nogil=True,
                                                           fastmath=True)


def check_s(s: float, name: str = "s") -> float:
    """Validate one annealing parameter ``s ∈ [0, 1]`` and return it as a float.

    Args:
        s: The value.
        name: Argument name for the error message.

    Returns:
        ``float(s)``.

    Raises:
        InvalidTypeError: If ``s`` is not a real number.
        InvalidArgumentError: If ``s`` is outside ``[0, 1]`` or not finite.
    """
    if isinstance(s, bool) or not isinstance(s, (int, float, np.integer, np.floating)):
        raise invalid_type(name, s, "a number in [0, 1]", f"pass e.g. {name}=0.5")
    if not np.isfinite(s) or s < 0.0 or s > 1.0:
        raise invalid_argument(
            name, s, "the annealing parameter must lie in [0, 1] (s = 0: driver, s = 1: problem)",
            f"pass {name} between 0 and 1, e.g. {name}=0.5",
        )
    return float(s)


def check_analysis_memory(num_qubits: int, bytes_per_amplitude: int, purpose: str,
                          max_bytes: int | None, *, vectors: int | None = None) -> int:
    """Refuse, before allocating, an exact analysis whose ``2**d`` vectors would not fit.

    The analysis' wording of :func:`hybridxai._util.memory.check_statevector_memory`: what
    needs the memory, how much, and the largest ``d`` that fits.

    Args:
        num_qubits: ``d``.
        bytes_per_amplitude: All bytes needed per basis state.
        purpose: The analysis, for the message (``"min_gap"``, ``"gap_profile"``, …).
        max_bytes: The caller's budget; ``None``: 80 % of the available memory (the fix then
            does not mention ``max_memory_bytes``, which such callers do not take).
        vectors: How many vectors that is, for the message (optional).

    Returns:
        The bytes needed.

    Raises:
        ProblemTooLargeError: If they exceed the budget.

    Example:
        >>> from hybridxai.exceptions import ProblemTooLargeError
        >>> try:
        ...     check_analysis_memory(13, 8 * 31, "min_gap", 2**20, vectors=31)
        ... except ProblemTooLargeError as exc:
        ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
        num_qubits=13 is too large for min_gap: bqm has 13 variables, and its work on 31 vectors
        of 2**13 amplitudes needs 1.9 MiB but only 1.0 MiB may be used. Fix: analyse a smaller
        QUBO (the budget fits d ≤ 12), e.g. keep the most important feature maps with
        hybridxai.explain(..., max_qubits=12), or pass a larger max_memory_bytes.
    """
    work = f"{vectors} vectors" if vectors else "vectors"
    return check_statevector_memory(
        num_qubits, bytes_per_amplitude, backend=purpose, max_bytes=max_bytes,
        subject=(f"{purpose}: bqm has {num_qubits} variables, and its work on {work} of "
                 f"2**{num_qubits} amplitudes"),
        fix=("analyse a smaller QUBO (the budget fits d ≤ {fit}), e.g. keep the "
             "most important feature maps with hybridxai.explain(..., max_qubits={fit}), or "
             + ("run it where more memory is free" if max_bytes is None
                else "pass a larger max_memory_bytes")),
    )


@dataclass(frozen=True)
class AnnealingOperator:
    """``H(s) = (1 - s)·H_D + s·H_P`` for one problem, at any ``s``.

    Attributes:
        diagonal: ``E_P``, the ``2**d`` energies of ``H_P`` (little-endian basis, offset included).
        driver_coefficient: ``c`` in ``H_D = -c·Σ_p X_p``.
        num_qubits: ``d``.
    """

    diagonal: NDArray[np.float64]
    driver_coefficient: float
    num_qubits: int

    @classmethod
    def from_bqm(
        cls,
        bqm: dimod.BinaryQuadraticModel,
        driver_scale: DriverScale = "unit",
        *,
        bytes_per_amplitude: int = ANALYSIS_BYTES_PER_AMPLITUDE,
        max_memory_bytes: int | None = None,
        purpose: str = "the exact spectral analysis",
    ) -> AnnealingOperator:
        """Build the operator of a BQM after checking that its vectors fit in memory.

        Args:
            bqm: BINARY or SPIN model (qubit ``i`` = ``i``-th variable).
            driver_scale: ``"unit"`` (``c = 1``), ``"1/d"`` or a positive number.
            bytes_per_amplitude: Memory the caller will need per basis state (for the check).
            max_memory_bytes: Memory budget (default: 80 % of the available memory).
            purpose: What the operator is for, used in the error message.

        Returns:
            The operator.

        Raises:
            InvalidTypeError: If ``bqm`` is not a ``dimod.BinaryQuadraticModel``.
            InvalidArgumentError: If ``bqm`` has no variables, NaN or infinite biases, or
                ``driver_scale`` is invalid.
            ProblemTooLargeError: If ``2**d`` vectors do not fit in memory (checked before any
                allocation, so 40 variables fail at once).
        """
        check_bqm(bqm)
        d = len(bqm.variables)
        if d == 0:
            raise invalid_argument("bqm", bqm, "has no variables, so there is nothing to anneal",
                                   "pass a QUBO with at least one variable")
        coefficient = resolve_driver_scale(driver_scale, d)
        check_analysis_memory(d, bytes_per_amplitude, purpose, max_memory_bytes)
        return cls(aligned_copy(basis_energies(dense_qubo(bqm))), coefficient, d)

    @property
    def dimension(self) -> int:
        """``2**d``."""
        return int(self.diagonal.size)

    @cached_property
    def threaded(self) -> bool:
        """Whether this operator's kernels (and the eigensolver's) run threaded.

        Decided once per operator: ``d >= PARALLEL_MIN_QUBITS`` and numba's threads respond
        promptly now (:func:`hybridxai._util.jit.threads_respond`); on a machine whose cores
        are taken by other processes the serial kernels are much faster.
        """
        return self.num_qubits >= PARALLEL_MIN_QUBITS and threads_respond()

    @cached_property
    def single_diagonal(self) -> NDArray[np.float32]:
        """``E_P`` in single precision, for the float32 kernels (computed once)."""
        return aligned_copy(self.diagonal, np.float32)

    @cached_property
    def diagonal_mean(self) -> float:
        """``mean(E_P)``, the diagonal of ``H_P`` in the Walsh–Hadamard basis (computed once)."""
        return float(self.diagonal.mean())

    @cached_property
    def diagonal_deviation(self) -> float:
        """``max |E_P - mean(E_P)|``, the size of ``H_P``'s off-diagonal part in the Walsh basis."""
        return float(np.abs(self.diagonal - self.diagonal_mean).max())

    def matvec(self, s: float, v: NDArray[np.floating],
               out: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """``H(s) @ v`` for a vector ``(2**d,)`` or a block ``(2**d, m)`` (column by column).

        Args:
            s: Annealing parameter in ``[0, 1]``.
            v: Real vector or block.
            out: Optional output array of the same shape (float64, C-contiguous for 1-D).

        Returns:
            ``H(s) @ v`` as float64.
        """
        s = float(s)
        a, b = s, -(1.0 - s) * self.driver_coefficient
        v = np.asarray(v)
        if np.iscomplexobj(v):
            return self.matvec(s, v.real) + 1j * self.matvec(s, v.imag)
        if v.ndim == 2:
            result = np.empty(v.shape, dtype=np.float64) if out is None else out
            for j in range(v.shape[1]):
                result[:, j] = self._apply(a, b, v[:, j])
            return result
        return self._apply(a, b, v, out)

    def matvec_overlaps(self, s: float, v: NDArray[np.floating], out: NDArray[np.floating],
                        rows: NDArray[np.floating]) -> NDArray[np.float64]:
        """``out = H(s)·v`` and, in the same pass, the overlaps an iterative solver needs next.

        ``v``, ``out`` and ``rows`` are all float64 or all float32; in float32 the product
        uses :attr:`single_diagonal` (half the memory traffic; the overlaps are summed in
        float64 either way).

        Args:
            s: Annealing parameter in ``[0, 1]``.
            v: C-contiguous vector of ``2**d`` amplitudes.
            out: C-contiguous vector receiving ``H(s)·v``.
            rows: Rows ``q_0 … q_{m-1}``, each C-contiguous (``m`` may be 0).

        Returns:
            ``[q_0·Hv, …, q_{m-1}·Hv, v·Hv, v·v]``.

        Example:
            >>> import dimod
            >>> op = AnnealingOperator.from_bqm(
            ...     dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): 1.0}, 0.0, "BINARY"))
            >>> v, out, q = np.arange(4.0), np.empty(4), np.eye(4)[:1]
            >>> overlaps = op.matvec_overlaps(0.3, v, out, q)
            >>> bool(np.allclose(overlaps, [out[0], v @ out, v @ v]))
            True
        """
        kernel = _overlaps_parallel if self.threaded else _overlaps_serial
        single = v.dtype == np.float32
        scalar = np.float32 if single else float
        return kernel(self.single_diagonal if single else self.diagonal, v, out, scalar(s),
                      scalar(-(1.0 - float(s)) * self.driver_coefficient), self.num_qubits,
                      row_major(rows), rows.shape[0])

    def driver_matvec(self, v: NDArray[np.floating],
                      out: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """``Σ_p X_p @ v`` (the *unscaled* sum of bit flips; ``H_D = -c·Σ_p X_p``)."""
        return self._apply(0.0, 1.0, np.asarray(v), out)

    def derivative_matvec(self, v: NDArray[np.floating],
                          out: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """``∂ₛH @ v = (H_P - H_D) @ v = E_P·v + c·Σ_p X_p @ v`` in one pass (into ``out`` if given).

        Example:
            >>> import dimod
            >>> op = AnnealingOperator.from_bqm(dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY"))
            >>> v = np.array([0.6, 0.8])
            >>> bool(np.allclose(op.derivative_matvec(v), (op.dense(1.0) - op.dense(0.0)) @ v))
            True
        """
        return self._apply(1.0, self.driver_coefficient, np.asarray(v), out)

    def _apply(self, a: float, b: float, v: NDArray[np.floating],
               out: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        v = np.ascontiguousarray(v, dtype=np.float64)
        if v.shape != (self.dimension,):
            raise invalid_argument(
                "v", v, f"must have shape ({self.dimension},) for {self.num_qubits} qubits",
                "pass a vector in the little-endian computational basis",
            )
        if out is None or not out.flags.c_contiguous or out.dtype != np.float64:
            out = aligned_empty(self.dimension)
        kernel = _kernel_parallel if self.threaded else _kernel_serial
        kernel(self.diagonal, v, out, float(a), float(b), self.num_qubits)
        return out

    def linear_operator(self, s: float) -> LinearOperator:
        """A real symmetric ``scipy.sparse.linalg.LinearOperator`` for ``H(s)``.

        Example:
            >>> import dimod
            >>> from scipy.sparse.linalg import eigsh
            >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0, 2: 0.3}, {(0, 1): 2.0}, 0, "BINARY")
            >>> op = AnnealingOperator.from_bqm(bqm).linear_operator(1.0)
            >>> round(float(eigsh(op, k=1, which="SA")[0][0]), 6)
            -1.0
        """
        s = check_s(s)

        def apply(x: NDArray[np.floating]) -> NDArray[np.float64]:
            x = np.asarray(x)
            if x.ndim == 2 and x.shape[1] == 1:
                return self.matvec(s, x[:, 0]).reshape(-1, 1)
            return self.matvec(s, x)

        n = self.dimension
        return LinearOperator((n, n), matvec=apply, matmat=apply, rmatvec=apply,
                              dtype=np.float64)

    def sparse(self, s: float) -> sp.csr_matrix:
        """``H(s)`` as a CSR matrix (``d + 1`` stored entries per row; use for small ``d``)."""
        s = check_s(s)
        x_sum = driver_sum_csr(self.num_qubits)
        return (sp.diags(s * self.diagonal, format="csr")
                - ((1.0 - s) * self.driver_coefficient) * x_sum).tocsr()

    def dense(self, s: float) -> NDArray[np.float64]:
        """``H(s)`` as a dense ``(2**d, 2**d)`` array (small ``d`` only)."""
        s = check_s(s)
        n = self.dimension
        if n > 2**14:
            raise invalid_argument(
                "num_qubits", self.num_qubits, "a dense matrix of H(s) is only built for d <= 14",
                "use linear_operator(s) or sparse(s) for larger problems",
            )
        h = np.zeros((n, n), dtype=np.float64)
        rows = np.arange(n)
        for q in range(self.num_qubits):
            h[rows, rows ^ (1 << q)] = -(1.0 - s) * self.driver_coefficient
        h[rows, rows] = s * self.diagonal
        return h


def driver_sum_csr(num_qubits: int) -> sp.csr_matrix:
    """``Σ_p X_p`` on ``num_qubits`` qubits as a CSR matrix (entries 1 at ``(i, i XOR 2**p)``).

    Args:
        num_qubits: ``d`` (at most 22: the matrix has ``d·2**d`` stored entries).

    Returns:
        A ``(2**d, 2**d)`` CSR matrix with sorted indices.

    Example:
        >>> driver_sum_csr(1).toarray().tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, (int, np.integer)):
        raise invalid_type("num_qubits", num_qubits, "an integer", "pass e.g. num_qubits=8")
    if num_qubits < 1 or num_qubits > 22:
        raise invalid_argument(
            "num_qubits", num_qubits, "the sparse driver is built for 1 <= d <= 22",
            "use AnnealingOperator.linear_operator (matrix-free) for larger problems",
        )
    n = 1 << num_qubits
    rows = np.arange(n, dtype=np.int64)
    cols = np.sort(rows[:, None] ^ (1 << np.arange(num_qubits, dtype=np.int64))[None, :], axis=1)
    indptr = np.arange(0, n * num_qubits + 1, num_qubits, dtype=np.int64)
    data = np.ones(n * num_qubits, dtype=np.float64)
    return sp.csr_matrix((data, cols.ravel(), indptr), shape=(n, n))


def annealing_operator(bqm: dimod.BinaryQuadraticModel, s: float,
                       driver_scale: DriverScale = "unit") -> LinearOperator:
    """Matrix-free ``H(s)`` of a BQM as a ``LinearOperator`` (see :class:`AnnealingOperator`)."""
    s = check_s(s)
    return AnnealingOperator.from_bqm(bqm, driver_scale).linear_operator(s)


def annealing_matrix(bqm: dimod.BinaryQuadraticModel, s: float,
                     driver_scale: DriverScale = "unit") -> sp.csr_matrix:
    """Sparse CSR ``H(s)`` of a BQM (for small ``d``; see :class:`AnnealingOperator`)."""
    s = check_s(s)
    op = AnnealingOperator.from_bqm(bqm, driver_scale,
                                    bytes_per_amplitude=8 + 12 * (len(bqm.variables) + 1))
    return op.sparse(s)

