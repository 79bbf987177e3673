"""The Davidson workspace's staggered rows: layout, and the same answers as C-contiguous rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai._util.jit import row_major
from hybridxai.anneal import eigensolvers
from hybridxai.anneal.eigensolvers import davidson, staggered_rows
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.anneal.operators import AnnealingOperator
from tests.anneal._instances import dense_random_bqm, nan_padded


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 40), d=st.integers(17, 19), slot=st.integers(0, 64))
def test_staggered_rows_start_on_distinct_cache_sets(rows: int, d: int, slot: int) -> None:
    a = staggered_rows(rows, 1 << d, first_slot=slot)
    assert a.shape == (rows, 1 << d) and a.dtype == np.float64
    assert all(a[i].flags.c_contiguous for i in range(rows))
    assert not a.any()
    starts = [a[i].ctypes.data for i in range(rows)]
    # every row starts on a cache line (hybridxai._util.aligned); the slot moves the whole
    # block by cache lines, then each row one line further: modulo the 128 KiB span of the
    # L2 sets no two of up to 40 rows start on the same set
    assert all(x % 64 == 0 for x in starts)
    aligned_start = a.base.ctypes.data + (-a.base.ctypes.data % 64)
    assert starts[0] - aligned_start == 64 * slot
    assert len({(x // 64) % 2048 for x in starts}) == rows


def test_small_rows_stay_c_contiguous() -> None:
    assert staggered_rows(5, 1 << 16).flags.c_contiguous


def test_only_profiles_stagger_their_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    # the inner CG steps of a profile multiply row to row; min_gap's Olsen steps do not
    from hybridxai.anneal.gap_profile import GapTracker

    monkeypatch.setattr(eigensolvers, "_STAGGER_MIN_DIMENSION", 2)
    op = AnnealingOperator.from_bqm(dense_random_bqm(11, 0))
    for couplings in (True, False):
        tracker = GapTracker(op, 1, "davidson", 1, None, 2, np.random.default_rng(0),
                             couplings=couplings)
        tracker(0.5, 1e-8)
        assert tracker.workspace is not None
        assert tracker.workspace.basis.flags.c_contiguous is not couplings


def _stagger_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    # pad the rows at every size, so that small instances exercise the strided kernels
    monkeypatch.setattr(eigensolvers, "_STAGGER_MIN_DIMENSION", 2)


@pytest.mark.parametrize("inner_steps", [0, 10])
@pytest.mark.parametrize(("d", "s"), [(10, 0.1), (11, 0.6), (14, 0.9)])
def test_staggered_workspace_gives_the_same_eigenpairs(monkeypatch: pytest.MonkeyPatch, d: int,
                                                      s: float, inner_steps: int) -> None:
    # d = 14: the threaded kernels on strided blocks
    op = AnnealingOperator.from_bqm(dense_random_bqm(d, d))
    plain = davidson(op, s, 3, tol=1e-10, inner_steps=inner_steps)
    _stagger_everything(monkeypatch)
    workspace = eigensolvers.DavidsonWorkspace(op.dimension, 16, 4, staggered=True)
    assert not workspace.basis.flags.c_contiguous
    staggered = davidson(op, s, 3, tol=1e-10, workspace=workspace, inner_steps=inner_steps)
    np.testing.assert_allclose(staggered.values, plain.values, rtol=0, atol=2e-10)
    assert np.all(staggered.errors <= 1e-10)


def test_staggered_profile_matches_the_dense_one(monkeypatch: pytest.MonkeyPatch) -> None:
    _stagger_everything(monkeypatch)
    bqm = dense_random_bqm(11, 3)
    dense = compute_gap_profile(bqm, 12, solver="dense")
    iterative = compute_gap_profile(bqm, 12, solver="davidson")
    np.testing.assert_allclose(iterative.gaps, dense.gaps, rtol=0, atol=1e-9)
    np.testing.assert_allclose(iterative.couplings, dense.couplings, rtol=1e-4, atol=1e-7)


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 12), d=st.integers(17, 18), slot=st.integers(0, 64))
def test_float32_rows_are_staggered_by_a_cache_line_too(rows: int, d: int, slot: int) -> None:
    a = staggered_rows(rows, 1 << d, first_slot=slot, dtype=np.float32)
    assert a.dtype == np.float32 and a.shape == (rows, 1 << d) and not a.any()
    starts = [a[i].ctypes.data for i in range(rows)]
    assert all(x % 64 == 0 for x in starts)
    assert starts[0] - (a.base.ctypes.data + (-a.base.ctypes.data % 64)) == 64 * slot
    assert len({(x // 64) % 2048 for x in starts}) == rows
    assert all(a[i].flags.c_contiguous for i in range(rows))


def test_profile_inner_steps_run_in_single_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    # the profile's inner CG uses the workspace's float32 rows; min_gap has no inner steps
    from hybridxai.anneal.gap_profile import GapTracker

    _stagger_everything(monkeypatch)
    op = AnnealingOperator.from_bqm(dense_random_bqm(11, 2))
    tracker = GapTracker(op, 1, "davidson", 1, None, 2, np.random.default_rng(0), couplings=True)
    tracker(0.5, 1e-10)
    assert tracker.workspace is not None and tracker.workspace._single is not None
    single = tracker.workspace.single_rows
    assert single.dtype == np.float32 and not single.flags.c_contiguous
    plain = GapTracker(op, 1, "davidson", 1, None, 2, np.random.default_rng(0))
    plain(0.5, 1e-10)
    assert plain.workspace is not None and plain.workspace._single is None


def _padding_is_nan(a: np.ndarray) -> bool:
    return bool(np.isnan(row_major(a)[:, a.shape[1]:]).all())


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5000), m=st.integers(1, 6), nr=st.integers(1, 3), parallel=st.booleans(),
       seed=st.integers(0, 99))
def test_block_kernels_read_and_write_the_rows_never_their_padding(n: int, m: int, nr: int,
                                                                   parallel: bool,
                                                                   seed: int) -> None:
    # padded rows reach the kernels as row_major views, wider than the rows: a NaN in the
    # padding would leak into any result that read it, and any write would overwrite it
    # (n up to 5000: several chunks of 2048 and a partial one)
    rng = np.random.default_rng(seed)
    basis, images = (nan_padded(rng.standard_normal((m, n))) for _ in range(2))
    coef, theta = rng.standard_normal((m, nr)), rng.standard_normal(nr)
    np.testing.assert_allclose(eigensolvers._gram(basis, m, images, nr if nr <= m else m,
                                                  parallel=parallel),
                               basis @ images[:min(nr, m)].T, rtol=1e-10, atol=1e-10)
    u_out, r_out = (nan_padded(np.zeros((nr, n))) for _ in range(2))
    squares = eigensolvers._combine_rows(coef, basis, images, m, theta, u_out, r_out,
                                         parallel=parallel)
    u = coef.T @ basis
    r = coef.T @ images - theta[:, None] * u
    np.testing.assert_allclose(u_out, u, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(r_out, r, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(squares, (r * r).sum(axis=1), rtol=1e-10, atol=1e-10)
    block = nan_padded(rng.standard_normal((nr, n)))
    expected = block - (coef.T @ basis)
    eigensolvers._subtract_rows(block, np.ascontiguousarray(coef.T), basis, m, parallel=parallel)
    np.testing.assert_allclose(block, expected, rtol=1e-10, atol=1e-10)
    q = np.linalg.qr(rng.standard_normal((m, m)))[0][:, :min(nr, m)].copy()
    expected = q.T @ basis
    eigensolvers._recombine_rows(basis, q, m, parallel=parallel)
    np.testing.assert_allclose(basis[:q.shape[1]], expected, rtol=1e-10, atol=1e-10)
    assert all(_padding_is_nan(a) for a in (basis, images, u_out, r_out, block))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_staggered_rows_reach_the_kernels_c_contiguous(dtype: type) -> None:
    # the fast path: a staggered block, and any run of its rows, seen through row_major is
    # C-contiguous (numba's vectorised layout) over the same memory, one cache line wider
    a = staggered_rows(5, 1 << 17, first_slot=3, dtype=dtype)
    assert not a.flags.c_contiguous
    for rows in (a, a[1:4], a[3:]):
        view = row_major(rows)
        assert view.flags.c_contiguous
        assert view.shape == (rows.shape[0], (1 << 17) + 64 // a.itemsize)
        assert np.shares_memory(view, a)
        np.testing.assert_array_equal(view[:, :1 << 17], rows)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(40, 5000), m=st.integers(0, 6), count=st.integers(1, 3),
       shape=st.sampled_from(["random", "in the span", "nearly in the span", "nearly parallel",
                              "in the span and nearly parallel", "far from orthogonal",
                              "a chain of three", "a zero row", "a NaN row"]),
       parallel=st.booleans(), seed=st.integers(0, 99))
def test_fused_orthonormalization_matches_the_explicit_one(n: int, m: int, count: int, shape: str,
                                                           parallel: bool, seed: int) -> None:
    # the fused sweeps (coefficients and Gram matrix, subtraction and Gram matrix, the block's
    # Gram–Schmidt on that matrix) keep the rows the explicit Gram–Schmidt keeps, span the
    # same space, and are orthonormal and orthogonal to the basis; rows nearly parallel to
    # each other take the explicit way
    rng = np.random.default_rng(seed)
    count = 3 if shape == "a chain of three" else count
    basis = np.linalg.qr(rng.standard_normal((n, m)))[0].T.copy() if m else np.zeros((0, n))
    block = nan_padded(rng.standard_normal((count, n)))
    if shape in ("in the span", "in the span and nearly parallel") and m:
        block[-1] = basis.T @ rng.standard_normal(m) + 1e-12 * rng.standard_normal(n)
    if shape == "nearly in the span" and m:
        block[0] = basis.T @ rng.standard_normal(m) + 1e-5 * rng.standard_normal(n)
    elif shape in ("nearly parallel", "in the span and nearly parallel") and count > 1:
        block[1 if count > 2 else 0] = 3.0 * block[-1 if count > 2 else 1] + 1e-3 * rng.standard_normal(n)
    elif shape in ("far from orthogonal", "a chain of three"):  # cosines about 0.85: the
        # Gram matrix's route, but with a second sweep (its rounding amplified otherwise)
        for i in range(1, count):
            unit = block[i - 1] / np.linalg.norm(block[i - 1])
            other = rng.standard_normal(n)
            other -= (other @ unit) * unit
            block[i] = 0.85 * unit + 0.53 * other / np.linalg.norm(other)
    elif shape == "a zero row":
        block[0] = 0.0
    elif shape == "a NaN row":
        block[0, n // 2] = np.nan
    explicit = block.copy()
    kept = eigensolvers._orthonormalize_against(block, basis, parallel=parallel)
    expected = eigensolvers._orthonormalize_rows(explicit, basis, parallel=parallel)
    assert kept == expected
    q = np.asarray(block[:kept])
    np.testing.assert_allclose(q @ q.T, np.eye(kept), atol=1e-12)
    if m and kept:
        np.testing.assert_allclose(q @ basis.T, 0.0, atol=1e-12)
    if kept:
        other = np.asarray(explicit[:kept])
        np.testing.assert_allclose(other @ q.T @ q, other, atol=1e-8)  # the same span
        if "parallel" not in shape:  # the same rows, in the same order, with the same signs
            np.testing.assert_allclose(q, other, atol=1e-8)
    assert _padding_is_nan(block)


@pytest.mark.parametrize(("cosine", "sweeps"), [(0.0, 1), (0.5, 1), (0.85, 2)])
def test_a_block_far_from_orthogonal_takes_a_second_sweep(monkeypatch: pytest.MonkeyPatch,
                                                          cosine: float, sweeps: int) -> None:
    # the small Gram matrix's rounding grows with how far from orthogonal the block is
    # (‖T·D‖² = 1/(1 - cosine) for two unit rows): above 4, one more sweep (CholeskyQR2)
    rng = np.random.default_rng(1)
    n = 3000
    basis = np.linalg.qr(rng.standard_normal((n, 3)))[0].T.copy()
    first = rng.standard_normal(n)
    first -= basis.T @ (basis @ first)
    first /= np.linalg.norm(first)
    other = rng.standard_normal(n)
    other -= basis.T @ (basis @ other) + (other @ first) * first
    block = np.array([first, cosine * first + np.sqrt(1 - cosine**2) * other / np.linalg.norm(other)])
    calls = []
    original = eigensolvers._overlaps_and_gram_serial
    monkeypatch.setattr(eigensolvers, "_overlaps_and_gram_serial",
                        lambda *args: calls.append(1) or original(*args))
    assert eigensolvers._orthonormalize_against(block, basis) == 2
    assert len(calls) == sweeps
    np.testing.assert_allclose(block @ block.T, np.eye(2), atol=1e-14)


def test_the_block_gram_schmidt_hands_nearly_parallel_rows_to_the_explicit_way() -> None:
    parallel_rows = np.array([[1.0, 0.999], [0.999, 1.0]])
    assert eigensolvers._gram_schmidt_coefficients(parallel_rows, np.ones(2), 1e-8) is None
    assert eigensolvers._gram_schmidt_coefficients(np.full((1, 1), np.nan), np.ones(1), 1e-8) is None
    transform, worst = eigensolvers._gram_schmidt_coefficients(np.diag([4.0, 1e-20]), np.array([2.0, 1.0]),
                                                               1e-8)
    np.testing.assert_allclose(transform, [[0.5, 0.0]])  # the second row vanished: dropped
    assert worst == 1.0


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5000), m=st.integers(1, 6), nr=st.integers(1, 3), parallel=st.booleans(),
       seed=st.integers(0, 99), data=st.data())
def test_ritz_vectors_are_also_written_in_single_precision_and_only_wanted_residuals(
        n: int, m: int, nr: int, parallel: bool, seed: int, data: st.DataObject) -> None:
    # the Davidson pass forms the residuals of the levels it may correct only, and writes
    # their Ritz vectors in float32 for the inner steps' projector, in the same sweep
    residuals = data.draw(st.integers(0, nr))
    singles = data.draw(st.integers(0, nr))
    rng = np.random.default_rng(seed)
    basis, images = (nan_padded(rng.standard_normal((m, n))) for _ in range(2))
    coef, theta = rng.standard_normal((m, nr)), rng.standard_normal(nr)
    u_out, r_out = (nan_padded(np.full((nr, n), np.inf)) for _ in range(2))
    single = staggered_rows(max(singles, 1), n, dtype=np.float32)[:singles]
    squares = eigensolvers._combine_rows(coef, basis, images, m, theta, u_out, r_out,
                                         parallel=parallel, residuals=residuals,
                                         single_out=single if singles else None)
    u = coef.T @ basis
    r = coef.T @ images - theta[:, None] * u
    np.testing.assert_allclose(u_out, u, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(r_out[:residuals], r[:residuals], rtol=1e-10, atol=1e-10)
    assert np.isinf(r_out[residuals:]).all()  # not formed
    np.testing.assert_allclose(squares[:residuals], (r[:residuals] ** 2).sum(axis=1), rtol=1e-10)
    assert not squares[residuals:].any()
    np.testing.assert_array_equal(single, np.asarray(u_out[:singles]).astype(np.float32))
    assert all(_padding_is_nan(a) for a in (basis, images, u_out, r_out))


@pytest.mark.parametrize("staggered", [False, True])
@pytest.mark.parametrize(("inner_steps", "s"), [(0, 0.3), (0, 0.8), (10, 0.3), (10, 0.8)])
def test_ritz_vectors_are_formed_in_the_output_array(monkeypatch: pytest.MonkeyPatch,
                                                     staggered: bool, inner_steps: int,
                                                     s: float) -> None:
    # the output array holds the start vectors, then the Ritz vectors, then the result: the
    # workspace never allocates Ritz rows of its own, keeps residuals only for the levels
    # wanted, and the eigenpairs are those of a call that writes into a new array
    if staggered:
        _stagger_everything(monkeypatch)
    op = AnnealingOperator.from_bqm(dense_random_bqm(11, 5))
    k, guard = 3, 1
    reference = davidson(op, s, k, tol=1e-10, guard=guard, inner_steps=inner_steps,
                         inner_precision="single" if inner_steps else "double")
    workspace = eigensolvers.DavidsonWorkspace(op.dimension, 16, k + guard, staggered=staggered,
                                               levels=k)
    out = workspace.output_rows(k + guard)
    out[:] = reference.vectors + 1e-3 * np.random.default_rng(0).standard_normal(out.shape)
    pairs = davidson(op, s, k, x0=out, tol=1e-10, guard=guard, workspace=workspace,
                     vectors_out=out, inner_steps=inner_steps,
                     inner_precision="single" if inner_steps else "double")
    assert workspace._ritz is None and workspace.resid.shape[0] == k
    assert pairs.vectors is not None and np.shares_memory(pairs.vectors, out)
    np.testing.assert_allclose(pairs.values, reference.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(pairs.vectors, axis=1), 1.0, rtol=0, atol=1e-12)
    overlaps = np.abs(np.sum(pairs.vectors[:k] * reference.vectors[:k], axis=1))
    np.testing.assert_allclose(overlaps, 1.0, rtol=0, atol=1e-6)
    # the Hellmann–Feynman slopes agree within their error estimates
    assert np.all(np.abs(pairs.derivatives - reference.derivatives)
                  <= pairs.derivative_errors + reference.derivative_errors)


def test_a_call_without_an_output_array_gets_ritz_rows_of_its_own() -> None:
    op = AnnealingOperator.from_bqm(dense_random_bqm(9, 1))
    workspace = eigensolvers.DavidsonWorkspace(op.dimension, 12, 3, levels=2)
    pairs = davidson(op, 0.5, 2, tol=1e-10, workspace=workspace, max_subspace=12,
                     keep_vectors=False)
    assert pairs.vectors is None and workspace._ritz is not None
    assert workspace.ritz.shape == (3, op.dimension)
    # a call that wants more residuals than the workspace keeps gets a workspace that does
    # (the compiled kernels do not check bounds: reusing this one would write its residuals
    # here, the third past the two rows)
    assert not workspace.fits(op.dimension, 12, 3, 3) and workspace.fits(op.dimension, 12, 3, 2)
    workspace.resid[...] = np.nan
    wider = davidson(op, 0.5, 3, tol=1e-10, guard=0, workspace=workspace, max_subspace=12)
    np.testing.assert_allclose(wider.values[:2], pairs.values, rtol=0, atol=1e-9)
    assert np.isnan(workspace.resid).all()  # never used by the wider call
