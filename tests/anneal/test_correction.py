"""Inner CG iterations of the Davidson solver (``hybridxai.anneal.correction``) against dense references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai.anneal.correction import (
    SCRATCH_ROWS,
    single_scratch_rows,
    solve_correction,
    walsh_transform,
)
from hybridxai.anneal.eigensolvers import davidson
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import InvalidArgumentError
from tests.anneal._instances import dense_random_bqm, float32_product_tolerance, nan_padded

_bqm = dense_random_bqm


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 11, 12, 13, 14, 15])
@pytest.mark.parametrize("parallel", [False, True])
def test_walsh_transform_matches_hadamard_matrix(d: int, parallel: bool) -> None:
    # d = 1: no in-tile group of four; d < 4: no group of sixteen; 12: one tile; 13, 14, 15:
    # radix-2 and radix-4 tile passes
    v = np.random.default_rng(d).standard_normal(2**d)
    w = v.copy()
    walsh_transform(w, d, parallel=parallel)
    # one axis per bit: W is the d-fold Kronecker power of [[1, 1], [1, -1]]
    reference = v.reshape((2,) * d)
    for axis in range(d):
        a, b = np.take(reference, 0, axis=axis), np.take(reference, 1, axis=axis)
        reference = np.stack([a + b, a - b], axis=axis)
    np.testing.assert_allclose(w, reference.ravel(), atol=1e-10 * 2**d)
    if d <= 11:
        np.testing.assert_allclose(w, scipy.linalg.hadamard(2**d) @ v, atol=1e-10 * 2**d)


def _ritz_pair(op: AnnealingOperator, s: float, level: int, noise: float, seed: int):
    """Ritz vectors of levels 0..level of a slightly perturbed eigenbasis (orthonormal rows)."""
    h = op.dense(s)
    values, vectors = np.linalg.eigh(h)
    rng = np.random.default_rng(seed)
    basis = vectors[:, : level + 1] + noise * rng.standard_normal((op.dimension, level + 1))
    basis, _ = np.linalg.qr(basis)
    theta, y = np.linalg.eigh(basis.T @ h @ basis)
    ritz = (basis @ y).T.copy()
    residual = h @ ritz[level] - theta[level] * ritz[level]
    return h, values, ritz, float(theta[level]), residual


def _correction_case(d: int, level: int, s: float):
    """The operator of instance ``level`` on ``d`` qubits and a perturbed Ritz pair of ``level`` at ``s``."""
    op = AnnealingOperator.from_bqm(_bqm(d, level))
    h, _, ritz, theta, residual = _ritz_pair(op, s, level, 1e-2, seed=level)
    return op, h, ritz, theta, residual


def _product_case(d: int, rows: int, seed: int):
    """The operator of instance ``seed`` on ``d`` qubits, a random vector and ``rows`` random rows."""
    op = AnnealingOperator.from_bqm(_bqm(d, seed))
    rng = np.random.default_rng(seed)
    return op, rng.standard_normal(op.dimension), rng.standard_normal((rows, op.dimension))


def _walsh_levels(op: AnnealingOperator, s: float) -> np.ndarray:
    """The Walsh-basis diagonal of ``H(s)`` per Hamming weight (as the Davidson solver passes it)."""
    weights = np.arange(op.num_qubits + 1, dtype=np.float64)
    return -(1 - s) * op.driver_coefficient * (op.num_qubits - 2 * weights) + s * op.diagonal_mean


@pytest.mark.parametrize("walsh", [False, True])
@pytest.mark.parametrize(("level", "s"), [(0, 0.3), (1, 0.6), (2, 0.9)])
def test_solve_correction_solves_the_projected_equation(walsh: bool, level: int, s: float) -> None:
    # enough CG steps: the result is the exact solution of (I-QQ^T)(H-θ)(I-QQ^T) t = -r, t ⊥ Q
    op, h, ritz, theta, residual = _correction_case(6, level, s)
    n = op.dimension
    levels = _walsh_levels(op, s)
    out, rows = np.empty(n), np.empty((SCRATCH_ROWS, n))
    products = solve_correction(op, s, theta, ritz, residual, out, rows, steps=200,
                                reduction=1e-13, diagonal_floor=1e-3,
                                walsh_levels=levels if walsh else None)
    assert 0 < products <= 200
    projector = np.eye(n) - ritz.T @ ritz
    operator = projector @ (h - theta * np.eye(n)) @ projector
    exact = np.linalg.lstsq(operator, -residual, rcond=None)[0]
    exact = projector @ exact
    np.testing.assert_allclose(ritz @ out, 0.0, atol=1e-10)
    np.testing.assert_allclose(out, exact, atol=1e-8 * np.abs(exact).max())


def test_solve_correction_stops_at_the_requested_reduction() -> None:
    d = 8
    op = AnnealingOperator.from_bqm(_bqm(d, 3))
    h, _, ritz, theta, residual = _ritz_pair(op, 0.5, 1, 1e-2, seed=1)
    out, rows = np.empty(op.dimension), np.empty((SCRATCH_ROWS, op.dimension))
    loose = solve_correction(op, 0.5, theta, ritz, residual, out, rows, steps=100,
                             reduction=0.5, diagonal_floor=1e-3)
    projector = np.eye(op.dimension) - ritz.T @ ritz
    remaining = residual + projector @ (h - theta * np.eye(op.dimension)) @ out
    assert np.linalg.norm(remaining) <= 0.5 * np.linalg.norm(residual) * (1 + 1e-9)
    tight = solve_correction(op, 0.5, theta, ritz, residual, out, rows, steps=100,
                             reduction=1e-8, diagonal_floor=1e-3)
    assert loose < tight


@pytest.mark.parametrize(("d", "s"), [(10, 0.02), (10, 0.5), (11, 0.7), (11, 0.97), (12, 0.35)])
@pytest.mark.parametrize("preconditioner", ["walsh", "diagonal", "auto"])
def test_davidson_with_inner_steps_matches_eigh(d: int, s: float, preconditioner: str) -> None:
    op = AnnealingOperator.from_bqm(_bqm(d, d))
    exact = scipy.linalg.eigh(op.dense(s), subset_by_index=[0, 3], eigvals_only=True)
    pairs = davidson(op, s, 3, tol=1e-10, inner_steps=10,
                     preconditioner=preconditioner)  # type: ignore[arg-type]
    np.testing.assert_allclose(pairs.values, exact[:3], rtol=0, atol=1e-9)
    assert np.all(pairs.errors <= 1e-10)


def test_inner_steps_cut_the_passes_over_the_search_space() -> None:
    # a profile point of the middle of the anneal: fewer outer iterations (Rayleigh-Ritz
    # passes) with the inner CG, the same eigenvalues
    op = AnnealingOperator.from_bqm(_bqm(12, 5))
    olsen = davidson(op, 0.6, 3, tol=1e-10)
    inner = davidson(op, 0.6, 3, tol=1e-10, inner_steps=10)
    np.testing.assert_allclose(inner.values, olsen.values, rtol=0, atol=2e-10)
    assert inner.info["iterations"] * 2 < olsen.info["iterations"]
    assert inner.matvecs > olsen.info["iterations"] // 2  # the work moved into products


@pytest.mark.parametrize("d", [13, 14, 15])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_fused_product_matches_the_serial_one(d: int, dtype: type) -> None:
    # one, two and three bits above the tile (2**12 float32 amplitudes; 2**11 in float64)
    from hybridxai.anneal import operators  # the kernels themselves (private: implementation test)

    op = AnnealingOperator.from_bqm(_bqm(d, 0))
    rng = np.random.default_rng(d)
    v, q = rng.standard_normal(op.dimension), rng.standard_normal((2, op.dimension))
    single = dtype == np.float32
    diagonal = op.single_diagonal if single else op.diagonal
    outs = [np.empty(op.dimension, dtype=dtype), np.empty(op.dimension, dtype=dtype)]
    results = [kernel(diagonal, v.astype(dtype), out, dtype(0.4), dtype(-0.6), d, q.astype(dtype), 2)
               for kernel, out in zip((operators._overlaps_serial, operators._overlaps_parallel), outs,
                                      strict=True)]
    expected = op.matvec(0.4, v)
    tolerance = float32_product_tolerance(expected) if single else 1e-12
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6 if single else 1e-12, atol=tolerance)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5 if single else 1e-10)
    np.testing.assert_allclose(outs[0], expected, rtol=0 if single else 1e-12, atol=tolerance)
    reference = np.concatenate([q @ expected, [v @ expected, v @ v]])
    np.testing.assert_allclose(results[0], reference, rtol=1e-4 if single else 1e-10,
                               atol=1e-4 * tolerance * op.dimension if single else 1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_profile_with_inner_steps_matches_the_dense_profile(seed: int) -> None:
    bqm = _bqm(11, seed)
    dense = compute_gap_profile(bqm, 12, solver="dense")
    iterative = compute_gap_profile(bqm, 12, solver="davidson")
    np.testing.assert_allclose(iterative.gaps, dense.gaps, rtol=0, atol=1e-9)
    np.testing.assert_allclose(iterative.couplings, dense.couplings, rtol=1e-4, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 13), s=st.floats(0.0, 1.0), rows=st.integers(0, 3), seed=st.integers(0, 99))
def test_fused_product_overlaps_match_separate_ones(d: int, s: float, rows: int, seed: int) -> None:
    op, v, q = _product_case(d, rows, seed)
    out = np.empty(op.dimension)
    overlaps = op.matvec_overlaps(s, v, out, q)
    expected = op.matvec(s, v)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(overlaps, np.concatenate([q @ expected, [v @ expected, v @ v]]),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("name", "value"), [("inner_steps", -1), ("inner_steps", 2.5),
                                             ("inner_steps", True), ("inner_reduction", 0.0),
                                             ("inner_reduction", 1.0),
                                             ("inner_precision", "half")])
def test_bad_inner_options_are_named(name: str, value: object) -> None:
    op = AnnealingOperator.from_bqm(_bqm(4, 0))
    with pytest.raises(InvalidArgumentError, match=name):
        davidson(op, 0.5, 1, **{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("walsh", [False, True])
@pytest.mark.parametrize(("level", "s"), [(0, 0.3), (1, 0.6), (2, 0.9)])
def test_single_precision_inner_steps_solve_the_same_equation(walsh: bool, level: int, s: float) -> None:
    # float32 scratch rows: the same correction to float32 accuracy, written into a float64 out
    op, _, ritz, theta, residual = _correction_case(7, level, s)
    n = op.dimension
    options = {"steps": 6, "reduction": 1e-3, "diagonal_floor": 1e-3,
               "walsh_levels": _walsh_levels(op, s) if walsh else None}
    double, single = np.empty(n), np.full(n, np.nan)
    solve_correction(op, s, theta, ritz, residual, double, np.empty((SCRATCH_ROWS, n)), **options)
    rows = np.empty((single_scratch_rows(level + 1), n), dtype=np.float32)
    products = solve_correction(op, s, theta, ritz, residual, single, rows, **options)
    assert 0 < products <= 6 and single.dtype == np.float64
    np.testing.assert_allclose(single, double, rtol=0, atol=2e-4 * np.abs(double).max())
    np.testing.assert_allclose(ritz @ single, 0.0, atol=1e-5 * np.abs(double).max())


@pytest.mark.parametrize("walsh", [False, True])
@pytest.mark.parametrize(("level", "s"), [(0, 0.3), (2, 0.9)])
def test_a_projector_already_in_single_precision_is_not_cast_again(walsh: bool, level: int,
                                                                   s: float) -> None:
    # the Davidson pass that forms the Ritz vectors writes their float32 copies into the
    # projector rows: the same correction as from the cast, and Q itself is not read
    op, _, ritz, theta, residual = _correction_case(7, level, s)
    n = op.dimension
    options = {"steps": 6, "reduction": 1e-3, "diagonal_floor": 1e-3,
               "walsh_levels": _walsh_levels(op, s) if walsh else None}
    cast, ready = np.empty(n), np.empty(n)
    rows = np.empty((single_scratch_rows(level + 1), n), dtype=np.float32)
    solve_correction(op, s, theta, ritz, residual, cast, rows, **options)
    rows[:] = np.nan
    rows[SCRATCH_ROWS + 1:] = ritz
    unread = np.full_like(ritz, np.nan)
    solve_correction(op, s, theta, unread, residual, ready, rows, projector_ready=True, **options)
    np.testing.assert_array_equal(ready, cast)
    # the projector rows are read, not overwritten: a second level's correction reads them too
    np.testing.assert_array_equal(rows[SCRATCH_ROWS + 1:], ritz.astype(np.float32))
    for ready_rows in (False, True):  # ready, the kernels would read past the rows
        with pytest.raises(InvalidArgumentError, match="rows"):
            solve_correction(op, s, theta, ritz, residual, ready, rows[:-1],
                             projector_ready=ready_rows, **options)


def test_davidson_hands_the_inner_steps_their_projector_in_single_precision(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # every correction finds the float32 copies of Q in its projector rows, written by the
    # pass that formed the Ritz vectors (an off-by-one there would only slow convergence)
    from hybridxai.anneal import eigensolvers

    seen = []

    def checked(op, s, theta, q, residual, out, rows, **options):  # noqa: ANN001, ANN202, ANN003
        assert options["projector_ready"]
        np.testing.assert_array_equal(rows[SCRATCH_ROWS + 1:SCRATCH_ROWS + 1 + len(q)],
                                      np.asarray(q).astype(np.float32))
        seen.append(len(q))
        return solve_correction(op, s, theta, q, residual, out, rows, **options)

    restarts = []
    recombine = eigensolvers._recombine_rows

    def counted(rows, q, m, **options):  # noqa: ANN001, ANN202, ANN003
        restarts.append(rows.shape[0] == 9)  # the whole search space, not a new block
        return recombine(rows, q, m, **options)

    monkeypatch.setattr(eigensolvers, "solve_correction", checked)
    monkeypatch.setattr(eigensolvers, "_recombine_rows", counted)
    op = AnnealingOperator.from_bqm(_bqm(10, 4))
    exact = scipy.linalg.eigh(op.dense(0.6), subset_by_index=[0, 2], eigvals_only=True)
    pairs = davidson(op, 0.6, 3, tol=1e-10, inner_steps=10, inner_precision="single", max_subspace=9)
    np.testing.assert_allclose(pairs.values, exact, rtol=0, atol=1e-9)
    assert set(seen) >= {1, 2, 3}  # every level corrected
    assert any(restarts)  # across thick restarts


@pytest.mark.parametrize(("d", "s"), [(10, 0.02), (11, 0.5), (12, 0.97), (14, 0.4)])
def test_single_precision_inner_steps_keep_double_accuracy(d: int, s: float) -> None:
    # the outer Rayleigh-Ritz iteration stays float64: eigenvalues to 1e-10 all the same
    # (d = 14: threaded float32 kernels)
    op = AnnealingOperator.from_bqm(_bqm(d, d + 1))
    if d <= 12:
        exact = scipy.linalg.eigh(op.dense(s), subset_by_index=[0, 2], eigvals_only=True)
    else:
        exact = davidson(op, s, 3, tol=1e-12, inner_steps=10).values
    pairs = davidson(op, s, 3, tol=1e-10, inner_steps=10, inner_precision="single")
    np.testing.assert_allclose(pairs.values, exact, rtol=0, atol=1e-9)
    assert np.all(pairs.errors <= 1e-10)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(1, 14), s=st.floats(0.0, 1.0), rows=st.integers(0, 3), seed=st.integers(0, 99))
def test_single_precision_product_matches_double(d: int, s: float, rows: int, seed: int) -> None:
    op, v, q = _product_case(d, rows, seed)
    out = np.empty(op.dimension, dtype=np.float32)
    overlaps = op.matvec_overlaps(s, v.astype(np.float32), out, q.astype(np.float32))
    expected = op.matvec(s, v)
    tolerance = float32_product_tolerance(expected)
    np.testing.assert_allclose(out, expected, rtol=0, atol=tolerance)
    reference = np.concatenate([q @ expected, [v @ expected, v @ v]])
    np.testing.assert_allclose(overlaps, reference, rtol=1e-4, atol=10 * tolerance * op.dimension)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("walsh", [False, True])
def test_scratch_rows_full_of_nan_do_not_leak_into_the_correction(dtype: type, walsh: bool) -> None:
    # scratch rows and the output row are borrowed memory: whatever they hold (NaN, inf) must
    # not reach the result (the first CG step writes the correction without reading it)
    d = 7
    op = AnnealingOperator.from_bqm(_bqm(d, 1))
    _, _, ritz, theta, residual = _ritz_pair(op, 0.6, 1, 1e-2, seed=1)
    rows_needed = SCRATCH_ROWS if dtype == np.float64 else single_scratch_rows(2)
    levels = -(1.0 - 0.6) * op.driver_coefficient * (d - 2.0 * np.arange(d + 1)) + 0.6 * op.diagonal_mean
    results = []
    for fill in (0.0, np.nan, np.inf):
        out = np.full(op.dimension, fill)
        rows = np.full((rows_needed, op.dimension), fill, dtype=dtype)
        solve_correction(op, 0.6, theta, ritz, residual, out, rows, steps=4, reduction=1e-3,
                         diagonal_floor=1e-3, walsh_levels=levels if walsh else None)
        results.append(out)
    assert np.all(np.isfinite(results))
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_array_equal(results[2], results[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("walsh", [False, True])
@pytest.mark.parametrize("d", [7, 14])
def test_padded_rows_give_the_same_correction(dtype: type, walsh: bool, d: int) -> None:
    # Ritz rows and scratch rows padded apart reach the kernels as wider C-contiguous views;
    # nothing may read the padding (d = 14: the threaded kernels, where the threads respond)
    level, s = 2, 0.6
    op = AnnealingOperator.from_bqm(_bqm(d, level))
    n = op.dimension
    rng = np.random.default_rng(d)
    basis = np.linalg.qr(rng.standard_normal((n, level + 1)))[0].T.copy()
    theta = float(basis[level] @ op.matvec(s, basis[level]))
    residual = op.matvec(s, basis[level]) - theta * basis[level]
    residual -= basis.T @ (basis @ residual)  # orthogonal to Q, as the solver's residuals are
    count = SCRATCH_ROWS if dtype == np.float64 else single_scratch_rows(level + 1)
    options = {"steps": 5, "reduction": 1e-6, "diagonal_floor": 1e-3,
               "walsh_levels": _walsh_levels(op, s) if walsh else None}
    plain, padded = np.empty(n), np.empty(n)
    solve_correction(op, s, theta, basis, residual, plain, np.zeros((count, n), dtype=dtype),
                     **options)
    solve_correction(op, s, theta, nan_padded(basis), residual, padded,
                     nan_padded(np.zeros((count, n), dtype=dtype)), **options)
    assert np.isfinite(padded).all()
    np.testing.assert_allclose(padded, plain, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-6 * np.abs(plain).max())
    v = rng.standard_normal(n).astype(dtype)
    out = np.empty(n, dtype=dtype)
    overlaps = op.matvec_overlaps(s, v, out, nan_padded(basis.astype(dtype)))
    assert np.isfinite(overlaps).all()
    np.testing.assert_allclose(overlaps[:level + 1], basis @ out.astype(np.float64),
                               rtol=1e-5, atol=1e-4 if dtype == np.float32 else 1e-10)
