"""The Walsh-basis preconditioner and the sentinel level of the block Davidson solver."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
import scipy.linalg

from hybridxai.anneal.eigensolvers import davidson
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import InvalidArgumentError
from tests.anneal._instances import dense_random_bqm

_bqm = dense_random_bqm


def test_walsh_basis_diagonalises_the_driver() -> None:
    d = 6
    op = AnnealingOperator.from_bqm(_bqm(d, 0))
    h = scipy.linalg.hadamard(2**d) / 2 ** (d / 2)
    rotated = h @ op.dense(0.0) @ h
    weights = np.array([bin(k).count("1") for k in range(2**d)])
    np.testing.assert_allclose(rotated, np.diag(-op.driver_coefficient * (d - 2.0 * weights)), atol=1e-12)
    # H_P has the constant diagonal mean(E_P) in the Walsh basis
    np.testing.assert_allclose(np.diag(h @ np.diag(op.diagonal) @ h), op.diagonal.mean(), atol=1e-12)


@pytest.mark.parametrize(("d", "s"), [(10, 0.01), (10, 0.5), (10, 0.97), (11, 0.2), (11, 0.8)])
@pytest.mark.parametrize("preconditioner", ["walsh", "diagonal", "auto"])
def test_davidson_preconditioners_match_eigh(d: int, s: float, preconditioner: str) -> None:
    op = AnnealingOperator.from_bqm(_bqm(d, d))
    exact = scipy.linalg.eigh(op.dense(s), subset_by_index=[0, 3], eigvals_only=True)
    pairs = davidson(op, s, 4, tol=1e-10, preconditioner=preconditioner)  # type: ignore[arg-type]
    np.testing.assert_allclose(pairs.values, exact, rtol=0, atol=1e-9)
    assert np.all(pairs.errors <= 1e-10)


def test_walsh_needs_far_fewer_products_at_small_s() -> None:
    # near s = 0 the levels above E_0 are a d-fold cluster of driver states split by O(s)
    op = AnnealingOperator.from_bqm(_bqm(11, 3))
    walsh = davidson(op, 0.02, 3, tol=1e-10, preconditioner="walsh")
    diagonal = davidson(op, 0.02, 3, tol=1e-10, preconditioner="diagonal")
    np.testing.assert_allclose(walsh.values, diagonal.values, atol=1e-9)
    assert walsh.matvecs * 3 < diagonal.matvecs


def test_unknown_preconditioner() -> None:
    op = AnnealingOperator.from_bqm(_bqm(4, 0))
    with pytest.raises(InvalidArgumentError, match="preconditioner"):
        davidson(op, 0.5, 2, preconditioner="jacobi")  # type: ignore[arg-type]


def test_sentinel_level_is_loose_but_the_others_are_not() -> None:
    op = AnnealingOperator.from_bqm(_bqm(11, 5))
    s = 0.4
    exact = scipy.linalg.eigh(op.dense(s), subset_by_index=[0, 2], eigvals_only=True)
    strict = davidson(op, s, 3, tol=1e-10)
    loose = davidson(op, s, 3, tol=1e-10, sentinel=True)
    np.testing.assert_allclose(loose.values[:2], exact[:2], atol=1e-9)
    assert np.all(loose.errors[:2] <= 1e-10)
    # the sentinel is resolved well enough never to pass for a degenerate level
    assert loose.errors[2] <= 0.05 * (loose.values[2] - loose.values[1]) + 1e-10
    assert abs(loose.values[2] - exact[2]) <= 0.05 * (exact[2] - exact[1])
    assert loose.matvecs <= strict.matvecs


def test_profile_matches_dense_profile() -> None:
    bqm = _bqm(10, 7)
    dense = compute_gap_profile(bqm, 16, solver="dense")
    iterative = compute_gap_profile(bqm, 16, solver="davidson")
    np.testing.assert_allclose(iterative.gaps, dense.gaps, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(iterative.ground_energies, dense.ground_energies, atol=1e-9)
    np.testing.assert_allclose(iterative.couplings, dense.couplings, rtol=1e-3)


def test_davidson_returns_the_ritz_vectors_it_has_when_the_space_is_smaller_than_the_block():
    # d = 3 (n = 8), k = 1 with 4 guards and corrected guards: a restart capped at
    # max_subspace - count and dropped corrections leave fewer search vectors than the block;
    # the solver must return what it has, not index past it
    rng = np.random.default_rng(3)
    bqm = dimod.BinaryQuadraticModel({i: float(rng.normal()) for i in range(3)},
                                     {(0, 1): 0.7, (1, 2): -0.4}, 0.0, "BINARY")
    op = AnnealingOperator.from_bqm(bqm)
    order = np.argsort(op.diagonal)
    x0 = np.zeros((5, op.dimension))
    x0[0, order[0]] = x0[0, order[1]] = 2**-0.5
    for i, j in enumerate(order[2:6]):
        x0[i + 1, j] = 1.0
    pairs = davidson(op, 1.0, 1, guard=4, correct_guards=True, x0=x0)
    assert pairs.values[0] == pytest.approx(np.sort(op.diagonal)[0], abs=1e-10)
    assert pairs.vectors is not None and 1 <= pairs.vectors.shape[0] <= 5
    np.testing.assert_allclose(np.linalg.norm(pairs.vectors, axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("s", [0.2, 0.5, 0.9])
def test_davidson_single_level_without_guard_matches_dense(make_bqm, s):
    # k = 1, guard = 0: the first iteration has one search vector and no other Ritz value, so
    # nothing but the residual bounds the error (it used to count as converged at once)
    op = AnnealingOperator.from_bqm(make_bqm(7, seed=2))
    pairs = davidson(op, s, 1, guard=0, tol=1e-10)
    exact = np.linalg.eigvalsh(op.dense(s))[0]
    assert pairs.values[0] == pytest.approx(exact, abs=1e-8)
