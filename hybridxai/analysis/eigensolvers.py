"""Lowest eigenpairs of ``H(s)``: dense ``eigh``, ARPACK Lanczos and a warm-started block Davidson.

All three return the same :class:`Eigenpairs`. The block Davidson solver is the fast path of
:func:`hybridxai.analysis.min_gap`: it is warm-started from the eigenvectors of a nearby ``s``
(continuation), preconditioned with the diagonal ``s·E_P`` of ``H(s)`` (Olsen's correction,
which makes it very effective near ``s = 1`` where ``H(s)`` is diagonally dominant, and
reduces to a Krylov method near ``s = 0``), and stops on an *eigenvalue* error estimate
``min(‖r‖, ‖r‖²/δ)`` (``δ`` = distance to the nearest other Ritz value) instead of a residual
tolerance, so it does not waste iterations on eigenvectors nobody needs.

The end points are exact and free: ``H(0) = H_D`` has eigenvalues ``-c·(d - 2w)`` with
multiplicity ``C(d, w)``, and ``H(1) = H_P`` is diagonal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy.sparse.linalg import ArpackNoConvergence, eigsh

from hybridxai.analysis.operators import AnnealingOperator
from hybridxai.exceptions import invalid_argument

__all__ = [
    "Eigenpairs",
    "SolverName",
    "lowest_eigenpairs",
    "endpoint_eigenvalues",
    "davidson",
    "DENSE_MAX_QUBITS",
]

SolverName = Literal["auto", "dense", "eigsh", "davidson"]

DENSE_MAX_QUBITS = 10
"""``solver="auto"`` diagonalises ``H(s)`` densely up to this many qubits."""


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
        matvecs: Number of products ``H(s)·v`` spent.
        solver: Which solver produced them.
        seconds: Wall time.
    """

    s: float
    values: NDArray[np.float64]
    vectors: NDArray[np.float64] | None
    derivatives: NDArray[np.float64]
    errors: NDArray[np.float64]
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


def _dense(op: AnnealingOperator, s: float, k: int, keep_vectors: bool) -> Eigenpairs:
    t0 = time.perf_counter()
    h = op.dense(s)
    k = min(k, op.dimension)
    values, vecs = scipy.linalg.eigh(h, subset_by_index=[0, k - 1], driver="evr")
    rows = np.ascontiguousarray(vecs.T)
    return Eigenpairs(s, values, rows if keep_vectors else None,
                      _derivatives(op, s, values, rows), np.full(k, 1e-12 * max(1.0, np.abs(values).max())),
                      0, "dense", time.perf_counter() - t0)


def _eigsh(op: AnnealingOperator, s: float, k: int, x0: NDArray[np.float64] | None, tol: float,
           keep_vectors: bool, rng: np.random.Generator) -> Eigenpairs:
    t0 = time.perf_counter()
    n = op.dimension
    count = [0]
    base = op.linear_operator(s)
    from scipy.sparse.linalg import LinearOperator

    def apply(x: NDArray[np.float64]) -> NDArray[np.float64]:
        count[0] += 1 if np.ndim(x) == 1 or np.shape(x)[1] == 1 else np.shape(x)[1]
        return base.matvec(x) if np.ndim(x) == 1 else base.matmat(x)

    lin = LinearOperator((n, n), matvec=apply, matmat=apply, dtype=np.float64)
    v0 = None
    if x0 is not None:
        # a little noise breaks any symmetry of the warm start (a symmetric start vector
        # would keep Lanczos inside one symmetry sector and miss the levels of the others)
        v0 = np.asarray(x0, dtype=np.float64).reshape(-1, n)[0].copy()
        v0 /= np.linalg.norm(v0)
        v0 += 1e-3 * rng.standard_normal(n) / math.sqrt(n)
    kk = min(k, n - 1)
    try:
        values, vecs = eigsh(lin, k=kk, which="SA", v0=v0, tol=tol)
    except ArpackNoConvergence as exc:  # pragma: no cover - depends on the instance
        raise RuntimeError(
            f"ARPACK did not converge at s={s:.6g} for k={k}; pass solver='davidson' or "
            "solver='dense' (small problems)"
        ) from exc
    order = np.argsort(values)
    values, vecs = values[order], np.ascontiguousarray(vecs[:, order].T)
    scale = max(1.0, float(np.abs(values).max()))
    return Eigenpairs(s, values, vecs if keep_vectors else None, _derivatives(op, s, values, vecs),
                      np.full(kk, max(tol, 1e-14) * scale), count[0], "eigsh",
                      time.perf_counter() - t0)


def _orthonormalize_against(block: NDArray[np.float64], basis: NDArray[np.float64],
                            drop: float = 1e-8) -> NDArray[np.float64]:
    """Rows of ``block`` made orthonormal to the rows of ``basis`` and to each other (CGS2)."""
    norms0 = np.linalg.norm(block, axis=1)
    norms0[norms0 == 0] = 1.0
    block = block / norms0[:, None]
    for _ in range(2):
        if basis.shape[0]:
            block -= (block @ basis.T) @ basis
        kept = []
        for i in range(block.shape[0]):
            row = block[i]
            for j in kept:
                row -= (row @ block[j]) * block[j]
            nrm = float(np.linalg.norm(row))
            if nrm > drop:
                block[i] = row / nrm
                kept.append(i)
        block = block[kept]
    return block


def davidson(
    op: AnnealingOperator,
    s: float,
    k: int,
    *,
    x0: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    guard: int = 2,
    max_subspace: int | None = None,
    max_matvecs: int = 20000,
    rng: np.random.Generator | None = None,
    keep_vectors: bool = True,
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
        max_subspace: Largest search space before a thick restart (default from memory).
        max_matvecs: Give up (``RuntimeError``) after this many products.
        rng: Random generator for fill vectors.
        keep_vectors: Return the ``k + guard`` Ritz vectors (for the next warm start).

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
        max_subspace = max(3 * block, min(8 * block, 40))
    max_subspace = min(max(max_subspace, 2 * block + 1), n)
    diag = op.diagonal_at(s)

    start = np.empty((0, n)) if x0 is None else np.asarray(x0, dtype=np.float64).reshape(-1, n)
    start = start[:block]
    if start.shape[0] < block:
        start = np.vstack([start, rng.standard_normal((block - start.shape[0], n))])
    basis = np.empty((max_subspace, n), dtype=np.float64)
    images = np.empty((max_subspace, n), dtype=np.float64)
    new = _orthonormalize_against(start.copy(), basis[:0])
    while new.shape[0] < block:  # degenerate start: top up with random directions
        extra = _orthonormalize_against(rng.standard_normal((block - new.shape[0], n)), new)
        new = np.vstack([new, extra])
    m = 0
    matvecs = 0
    gram = np.zeros((max_subspace, max_subspace))
    while True:
        nb = new.shape[0]
        basis[m:m + nb] = new
        for j in range(nb):
            op.matvec(s, basis[m + j], out=images[m + j])
        matvecs += nb
        # extend the projected matrix V^T H V by the new rows/columns
        gram[:m + nb, m:m + nb] = basis[:m + nb] @ images[m:m + nb].T
        gram[m:m + nb, :m] = gram[:m, m:m + nb].T
        m += nb
        proj = 0.5 * (gram[:m, :m] + gram[:m, :m].T)
        theta, y = np.linalg.eigh(proj)
        nr = min(block, m)
        ritz = y[:, :nr].T @ basis[:m]
        hritz = y[:, :nr].T @ images[:m]
        resid = hritz - theta[:nr, None] * ritz
        rnorm = np.linalg.norm(resid, axis=1)
        others = np.abs(theta[:nr, None] - theta[None, :m])
        others[np.arange(nr), np.arange(nr)] = np.inf
        delta = np.maximum(others.min(axis=1), 1e-300)
        err = np.minimum(rnorm, rnorm**2 / delta)
        if np.all(err[:k] <= tol) or m == n:
            break
        if matvecs >= max_matvecs:
            raise RuntimeError(
                f"the Davidson eigensolver did not converge at s={s:.6g} within {matvecs} "
                f"products (errors {err[:k]}); pass a looser tol or solver='eigsh'"
            )
        # Olsen-corrected diagonal preconditioning of the unconverged residuals
        corrections = []
        scale = 1e-3 * max(1.0, float(np.abs(theta[:nr]).max()))
        for j in range(nr):
            if j < k and err[j] <= tol:
                continue
            denom = diag - theta[j]
            small = np.abs(denom) < scale
            denom[small] = np.where(denom[small] < 0, -scale, scale)
            mr = resid[j] / denom
            mu = ritz[j] / denom
            eps = float(ritz[j] @ mr) / float(ritz[j] @ mu)
            corrections.append(mr - eps * mu)
        corr = np.asarray(corrections)
        if m + corr.shape[0] > max_subspace:  # thick restart on the lowest Ritz vectors
            keep = min(m, max(block + 1, max_subspace // 2 - 1))
            keep = min(keep, max_subspace - corr.shape[0])
            ykeep = y[:, :keep]
            basis[:keep] = ykeep.T @ basis[:m]
            images[:keep] = ykeep.T @ images[:m]
            gram[:keep, :keep] = np.diag(theta[:keep])
            m = keep
        new = _orthonormalize_against(corr, basis[:m])
        if new.shape[0] == 0:
            new = _orthonormalize_against(rng.standard_normal((1, n)), basis[:m])
    values = theta[:k].copy()
    vectors = ritz[:block] / np.linalg.norm(ritz[:block], axis=1)[:, None]
    return Eigenpairs(
        s, values, vectors if keep_vectors else None, _derivatives(op, s, values, vectors),
        err[:k].copy(), matvecs, "davidson", time.perf_counter() - t0,
        {"residual_norms": rnorm[:k].copy(), "subspace": m},
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
        tol: Eigenvalue accuracy (eigsh: its relative ``tol``).
        keep_vectors: Return eigenvectors.
        rng: Random generator (fill vectors, symmetry-breaking noise).
        **options: Passed to :func:`davidson`.

    Returns:
        The eigenpairs.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    if solver == "auto":
        solver = "dense" if op.num_qubits <= DENSE_MAX_QUBITS else "davidson"
    if solver == "dense":
        return _dense(op, s, k, keep_vectors)
    if solver == "eigsh":
        return _eigsh(op, s, k, x0, tol, keep_vectors, rng)
    if solver == "davidson":
        return davidson(op, s, k, x0=x0, tol=tol, rng=rng, keep_vectors=keep_vectors,
                        **options)  # type: ignore[arg-type]
    raise invalid_argument("solver", solver, "unknown eigensolver",
                           "pass solver='auto', 'dense', 'eigsh' or 'davidson'")
