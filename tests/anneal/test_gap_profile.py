"""The gap profile (E_0, E_g, gap, |<g|∂ₛH|0>|) against dense numpy.linalg.eigh references."""

import re
import warnings

import dimod
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai.analysis import flip_symmetric_qubo, gap_profile, min_gap, random_feature_qubo
from hybridxai.anneal.correction import single_scratch_rows
from hybridxai.anneal.gap_profile import (
    GapTracker,
    compute_gap_profile,
    extrapolation_weights,
    ground_degeneracy,
    planned_bytes,
    tracker_vectors,
)
from hybridxai.anneal.ising import basis_energies
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import (
    InvalidArgumentError,
    InvalidTypeError,
    MemoryLimitedWarning,
    ProblemTooLargeError,
)

_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def _x(q: int, d: int) -> np.ndarray:
    return np.kron(np.kron(np.eye(2 ** (d - 1 - q)), _X), np.eye(2**q))


def reference_profile(bqm, s_values, c=1.0):
    """Dense reference by Kronecker products and numpy.linalg.eigh.

    The matrix element is the Frobenius norm of P_g (H_P - H_D) P_<, P_g the eigenspace of E_g
    and P_< the lowest g levels.
    """
    energies = basis_energies(bqm)
    d = len(bqm.variables)
    h_d = -c * sum(_x(q, d) for q in range(d))
    h_p = np.diag(energies)
    g = int(np.sum(energies <= energies.min() + 1e-9 * max(1.0, np.ptp(energies))))
    gaps, couplings, e0, eg = [], [], [], []
    for s in s_values:
        w, v = np.linalg.eigh((1 - s) * h_d + s * h_p)
        # the documented degeneracy tolerance: 1e-9·(max E_P - min E_P + d)
        members = np.flatnonzero(np.abs(w - w[g]) <= 1e-9 * (np.ptp(energies) + d))
        block = v[:, members].T @ (h_p - h_d) @ v[:, :g]
        couplings.append(float(np.linalg.norm(block)))
        gaps.append(w[g] - w[0])
        e0.append(w[0])
        eg.append(w[g])
    return g, np.array(e0), np.array(eg), np.array(gaps), np.array(couplings)


def z2_symmetric_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    quad = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}
    return dimod.BinaryQuadraticModel({}, quad, 0.0, "SPIN")


def permutation_symmetric_bqm(d: int) -> dimod.BinaryQuadraticModel:
    """Equal fields and couplings: excited levels of H(s) are degenerate (permutation symmetry)."""
    quad = {(i, j): 0.1 for i in range(d) for j in range(i + 1, d)}
    return dimod.BinaryQuadraticModel({i: -1.0 for i in range(d)}, quad, 0.0, "BINARY")


@pytest.mark.parametrize("d,seed", [(3, 0), (5, 1), (7, 2), (8, 3)])
@pytest.mark.parametrize("driver_scale,c", [("unit", 1.0), ("1/d", None)])
def test_profile_matches_dense_eigh(d, seed, driver_scale, c):
    bqm = random_feature_qubo(d, seed)
    c = 1.0 / d if c is None else c
    profile = compute_gap_profile(bqm, 24, driver_scale=driver_scale, solver="dense")
    g, e0, eg, gaps, couplings = reference_profile(bqm, profile.s, c)
    assert profile.degeneracy == g
    np.testing.assert_allclose(profile.ground_energies, e0, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.excited_energies, eg, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.gaps, gaps, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.couplings, couplings, atol=1e-8, rtol=0)
    assert profile.driver_coefficient == pytest.approx(c)
    assert profile.min_gap == pytest.approx(gaps.min())
    assert profile.s_min == pytest.approx(profile.s[int(np.argmin(gaps))])


@pytest.mark.parametrize("make", [lambda: z2_symmetric_bqm(5, 0), lambda: z2_symmetric_bqm(6, 3),
                                  lambda: permutation_symmetric_bqm(6)])
def test_degenerate_manifolds(make):
    """Degenerate ground manifold of H_P: gap to the lowest level outside it; degenerate levels:
    the basis-independent norm ‖P_g ∂ₛH P_<‖ of the matrix element."""
    bqm = make()
    profile = compute_gap_profile(bqm, 20)
    g, e0, eg, gaps, couplings = reference_profile(bqm, profile.s)
    assert profile.degeneracy == g == ground_degeneracy(basis_energies(bqm))
    np.testing.assert_allclose(profile.gaps, gaps, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.couplings, couplings, atol=1e-8, rtol=0)


def test_z2_instance_has_twofold_ground_manifold():
    profile = compute_gap_profile(z2_symmetric_bqm(5, 0), 8)
    assert profile.degeneracy == 2
    assert np.all(profile.gaps > 1e-3)  # E_2 - E_0, which does not close at s -> 1


@pytest.mark.parametrize("solver", ["davidson", "eigsh"])
def test_iterative_solvers_agree_with_dense(solver):
    bqm = random_feature_qubo(11, 4)
    dense = compute_gap_profile(bqm, 12, solver="dense")
    other = compute_gap_profile(bqm, 12, solver=solver, tol=1e-12)
    np.testing.assert_allclose(other.gaps, dense.gaps, atol=1e-9, rtol=0)
    np.testing.assert_allclose(other.couplings, dense.couplings, atol=1e-5, rtol=0)
    assert other.matvecs > 0 and dense.matvecs == 0


def test_explicit_grid_and_defaults():
    bqm = random_feature_qubo(4, 0)
    profile = compute_gap_profile(bqm, s=[0.7, 0.2, 0.5, 0.2])
    assert profile.s.tolist() == [0.2, 0.5, 0.7]
    summary = profile.as_dict()
    assert summary["num_points"] == 3 and summary["solver"] == "dense"
    np.testing.assert_allclose(profile.adiabatic_ratio, profile.couplings / profile.gaps**2)


@pytest.mark.parametrize("kwargs,name", [
    ({"num_points": 1}, "num_points"), ({"num_points": 2.5}, "num_points"),
    ({"s": [0.0, 0.5]}, "s"), ({"s": [0.5, 1.0]}, "s"), ({"s": [1.5]}, "s"), ({"s": []}, "s"),
    ({"solver": "lanczos"}, "solver"), ({"tol": 0.0}, "tol"), ({"tol": "x"}, "tol"),
    ({"guard": -1}, "guard"), ({"driver_scale": -1.0}, "driver_scale"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=name):
        compute_gap_profile(random_feature_qubo(3, 0), **kwargs)


def test_bad_problem():
    with pytest.raises(InvalidTypeError, match="bqm"):
        compute_gap_profile({"a": 1})
    constant = dimod.BinaryQuadraticModel({0: 0.0, 1: 0.0}, {}, 0.0, "BINARY")
    with pytest.raises(InvalidArgumentError, match="constant"):
        compute_gap_profile(constant)


def test_too_large_fails_before_allocating():
    bqm = dimod.BinaryQuadraticModel({i: -1.0 for i in range(40)}, {}, 0.0, "BINARY")
    with pytest.raises(ProblemTooLargeError, match="gap_profile"):
        compute_gap_profile(bqm)


def test_a_degenerate_ground_level_refused_with_the_vectors_it_needs():
    # only two variables carry biases: the ground level of H_P is 2**9-fold, so the Davidson
    # block (g + 2 levels + guard) outgrows a budget that the unique-ground plan would fit
    d, n = 11, 2**11
    bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0, **{i: 0.0 for i in range(2, d)}}, {},
                                     0.0, "BINARY")
    budget = 8 * n * tracker_vectors(4, 9, single_rows=single_scratch_rows(3), levels=3)
    with pytest.raises(ProblemTooLargeError) as info:
        compute_gap_profile(bqm, num_points=4, solver="davidson", max_memory_bytes=budget)
    message = str(info.value)
    # g + 2 = 514 levels and a guard
    needed = tracker_vectors(515, 1031, 2, single_rows=single_scratch_rows(514), levels=514)
    assert message.startswith(f"num_qubits=11 is too large for gap_profile: bqm has 11 variables, "
                              f"and its work on {needed} vectors of 2**11 amplitudes needs")
    assert message.endswith("or pass a larger max_memory_bytes.")


def test_a_budget_that_shrinks_the_search_space_warns_with_the_budget_that_does_not():
    bqm = random_feature_qubo(12, 1)
    full = compute_gap_profile(bqm, 6, solver="davidson")
    with pytest.warns(MemoryLimitedWarning, match="search space of 11 vectors, fewer than the 16") as caught:
        tight = compute_gap_profile(bqm, 6, solver="davidson",
                                    max_memory_bytes=int(0.8 * full.info["memory_bytes"]))
    assert caught[0].filename == __file__  # the caller's line, not one inside hybridxai
    assert tight.info["memory_bytes"] < full.info["memory_bytes"]
    np.testing.assert_allclose(tight.gaps, full.gaps, atol=1e-9)  # as accurate
    budget = int(re.search(r"max_memory_bytes=(\d+)", str(caught[0].message)).group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_gap_profile(bqm, 6, solver="davidson", max_memory_bytes=budget)


def test_profile_falls_back_to_arpack_when_davidson_stalls(monkeypatch):
    import hybridxai.anneal.gap_profile as gap_profile_module

    original = gap_profile_module.lowest_eigenpairs

    def stalling(op, s, k, *, solver="auto", **kwargs):
        if solver == "davidson":
            raise RuntimeError("the Davidson eigensolver did not converge")
        return original(op, s, k, solver=solver, **kwargs)

    monkeypatch.setattr(gap_profile_module, "lowest_eigenpairs", stalling)
    bqm = random_feature_qubo(11, 1)
    profile = compute_gap_profile(bqm, 6, solver="davidson", tol=1e-12)
    monkeypatch.setattr(gap_profile_module, "lowest_eigenpairs", original)
    dense = compute_gap_profile(bqm, 6, solver="dense")
    np.testing.assert_allclose(profile.gaps, dense.gaps, atol=1e-9, rtol=0)
    np.testing.assert_allclose(profile.couplings, dense.couplings, atol=1e-5, rtol=0)


@settings(max_examples=40, deadline=None)
@given(coefficients=st.lists(st.floats(-5, 5), min_size=1, max_size=4),
       start=st.floats(0.05, 0.95), step=st.floats(1e-3, 0.05), ahead=st.floats(0.0, 2.0))
def test_extrapolation_weights_are_exact_on_polynomials(coefficients, start, step, ahead):
    # weights of n points reproduce any polynomial of degree < n (here up to cubic), also
    # beyond the last point, as a sweep uses them
    points = start - step * np.arange(len(coefficients))
    s = points[-1] - ahead * step
    weights = extrapolation_weights(points, s)
    polynomial = np.polynomial.Polynomial(coefficients)
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    scale = (1 + np.abs(coefficients).sum()) * 3 ** len(coefficients)
    assert weights @ polynomial(points) == pytest.approx(polynomial(s), abs=1e-7 * scale)


def _sweep_tracker(bqm, **kwargs):
    op = AnnealingOperator.from_bqm(bqm)
    g = ground_degeneracy(op.diagonal)
    return GapTracker(op, g, "davidson", 1, None, 3, np.random.default_rng(0), couplings=True,
                      **kwargs)


def test_sweep_starts_from_extrapolated_vectors_closer_than_the_nearest():
    # along a sweep the quadratic extrapolation of the last three points is a better start
    # than the last point's vectors: smaller distance to the exact eigenvectors at the next s
    # (levels 1 and 2 of this instance are 0.002 apart, and still each vector is closer)
    bqm = random_feature_qubo(9, 1)
    tracker = _sweep_tracker(bqm)
    grid = [0.50, 0.49, 0.48]
    for s in grid:
        tracker(s, 1e-12)
    assert list(tracker.cache) == grid  # the start point s = 1 was evicted first: oldest out
    s = 0.47
    assert tracker.start_points(s) == grid  # the nearest, 0.48, last
    start = tracker.start_vectors(s)
    assert start.dtype == np.float64 and tracker.cache[0.48].dtype == np.float32  # warm starts
    _assert_closer_to_the_eigenvectors(tracker, s, start, tracker.cache[0.48], 0.1)


def _assert_closer_to_the_eigenvectors(tracker, s, start, nearest, factor):
    """Each of the three levels a profile needs: ``start`` is nearer the exact eigenvector."""
    _, vectors = np.linalg.eigh(tracker.op.dense(s))
    for j in range(3):
        exact = vectors[:, j]

        def distance(row, exact=exact):
            row = np.asarray(row, dtype=np.float64) / np.linalg.norm(row)
            return np.linalg.norm(row - np.sign(row @ exact) * exact)
        assert distance(start[j]) < factor * distance(nearest[j])


def test_sweep_does_not_extrapolate_rows_whose_levels_swapped():
    bqm = random_feature_qubo(8, 2)
    tracker = _sweep_tracker(bqm)
    for s in (0.65, 0.6, 0.55):
        tracker(s, 1e-10)
    newest = tracker.cache[0.55]
    untouched = tracker.start_vectors(0.5).copy()
    assert not any(np.array_equal(untouched[j], newest[j]) for j in range(4))  # all extrapolated
    tracker.cache[0.6][[0, 1]] = tracker.cache[0.6][[1, 0]]  # as if levels 0 and 1 crossed
    start = tracker.start_vectors(0.5)
    np.testing.assert_array_equal(start[:2], newest[:2])
    np.testing.assert_array_equal(start[2:], untouched[2:])


def test_min_gap_tracker_keeps_small_gaps_and_starts_from_the_points_around():
    op = AnnealingOperator.from_bqm(random_feature_qubo(8, 1))
    tracker = GapTracker(op, 1, "davidson", 1, None, 2, np.random.default_rng(0))
    assert not tracker.sweep
    for s in (0.2, 0.9, 0.5):
        tracker(s, 1e-8)
    gaps = {s: tracker.points[s].gap for s in (0.2, 0.9, 0.5)}
    kept = set(tracker.cache)
    assert len(kept) == 2 and 0.5 in kept  # the newest, and the start point s = 1 or a small gap
    assert max(gaps, key=gaps.get) not in kept  # the largest gap was evicted
    np.testing.assert_array_equal(tracker.start_vectors(0.5), tracker.cache[0.5])  # its own
    assert tracker.start_points(0.3) == [0.5]  # nothing cached below: the nearest alone
    tracker = GapTracker(op, 1, "davidson", 1, None, 4, np.random.default_rng(0))
    for s in (0.4, 0.5, 0.6):  # s = 1 stays cached too
        tracker(s, 1e-8)
    middle = 0.56  # the two around it and the next nearest, the nearest last
    kept = {0.4, 0.5, 0.6}
    assert tracker.start_points(middle) == sorted(kept, key=lambda x: (abs(x - middle), x))[::-1]
    anchor = tracker.cache[tracker.start_points(middle)[-1]].astype(np.float64)
    weights = extrapolation_weights(tracker.start_points(middle), middle)
    expected = sum(w * np.sign(np.sum(tracker.cache[x] * anchor, axis=1))[:, None] * tracker.cache[x]
                   for x, w in zip(tracker.start_points(middle), weights, strict=True))
    start = tracker.start_vectors(middle)
    same = np.all([np.abs(np.sum(tracker.cache[x] * anchor, axis=1)) > 0.5
                   for x in tracker.start_points(middle)[:-1]], axis=0)  # the same levels
    assert same.any()
    np.testing.assert_allclose(start[same], expected[same], atol=1e-6)
    np.testing.assert_array_equal(start[~same], anchor[~same])


def test_a_refinement_starts_from_the_polynomial_through_the_points_around_it():
    # off a sweep (a profile's refinement, min_gap), a point between cached points starts
    # from the quadratic through the two around it and the next nearest: closer to the
    # exact eigenvectors than the nearest point's
    bqm = random_feature_qubo(9, 1)
    tracker = _sweep_tracker(bqm)
    tracker.cache_entries = 8
    for s in (0.6, 0.5, 0.4, 0.3):
        tracker(s, 1e-12)
    tracker.sweep = False
    s = 0.47
    assert tracker.start_points(s) == [0.6, 0.4, 0.5]  # around s, the next nearest; nearest last
    _assert_closer_to_the_eigenvectors(tracker, s, tracker.start_vectors(s), tracker.cache[0.5], 0.25)


def test_warm_starts_are_kept_in_single_precision_and_the_output_array_reused():
    op = AnnealingOperator.from_bqm(random_feature_qubo(9, 2))
    tracker = GapTracker(op, 1, "davidson", 1, None, 3, np.random.default_rng(0), profile=True)
    spares, entries = [], []  # references: the arrays stay alive, so no address is reused
    for s in (0.9, 0.8, 0.7, 0.6, 0.5):
        tracker(s, 1e-10)
        spares.append(tracker._spare[0])
        entries += [v for v in tracker.cache.values() if not any(v is e for e in entries)]
        assert all(v.dtype == np.float32 for v in tracker.cache.values())
        assert len(tracker.cache) <= 3
    # every solve wrote into the same float64 array
    assert all(np.shares_memory(a, spares[0]) for a in spares[1:])
    # and the warm starts into three float32 ones: s = 1's and two more, dropped ones reused
    assert len(entries) == 3
    # a re-solved point keeps one entry, in the array it had
    entry = tracker.cache[0.5]
    tracker(0.5, 1e-12)
    assert tracker.cache[0.5] is entry and list(tracker.cache)[-1] == 0.5


def test_an_adaptive_profile_keeps_more_warm_starts_as_far_as_the_budget_allows():
    op = AnnealingOperator.from_bqm(random_feature_qubo(12, 0))
    n, rng = op.dimension, np.random.default_rng(0)
    plenty = 2**34
    grid = GapTracker.within_budget(op, 1, "davidson", 1, plenty, rng, profile=True)
    adaptive = GapTracker.within_budget(op, 1, "davidson", 1, plenty, rng, profile=True,
                                        warm_starts=65)
    assert (grid.cache_entries, adaptive.cache_entries) == (3, 24)  # at most 24
    profile = {"single_rows": single_scratch_rows(2), "levels": 2}  # E_0, E_1 and a guard
    assert adaptive.planned_bytes == planned_bytes(op, 3, 12, 24, **profile)
    # a budget that holds the smallest profile's plan and 10 entries more: half of what is
    # left goes to warm starts, and never fewer than a sweep's three
    base = planned_bytes(op, 3, 12, 3, **profile)
    entry = 3 * n * 4  # a block of 3 float32 rows
    tight = GapTracker.within_budget(op, 1, "davidson", 1, base + 10 * entry, rng, profile=True,
                                     warm_starts=65)
    assert tight.cache_entries == 3 + 5 and tight.max_subspace == 12
    assert tight.planned_bytes <= base + 10 * entry
    least = GapTracker.within_budget(op, 1, "davidson", 1, base, rng, profile=True, warm_starts=65)
    assert least.cache_entries == 3


@pytest.mark.parametrize("seed", [4, 7])
def test_an_adaptive_profile_with_every_warm_start_matches_one_with_three(seed):
    # the start vectors change only how many products a point takes, not what it converges to
    bqm = random_feature_qubo(12, seed)
    many = compute_gap_profile(bqm, adaptive=True, matrix_elements=False, solver="davidson")
    op = AnnealingOperator.from_bqm(bqm)
    plan = planned_bytes(op, 3, 12, 3, single_rows=single_scratch_rows(2), levels=2)
    few = compute_gap_profile(bqm, adaptive=True, matrix_elements=False, solver="davidson",
                              max_memory_bytes=plan)
    assert many.info["memory_bytes"] > few.info["memory_bytes"]
    assert many.min_gap == pytest.approx(few.min_gap, abs=2e-10)
    assert many.info["resolved"] and few.info["resolved"]
    assert many.matvecs < few.matvecs


@pytest.mark.parametrize("seed", [0, 3])
def test_extrapolated_profile_matches_dense_eigh_at_fine_steps(seed):
    # a fine grid: many consecutive extrapolated starts, each point still to tol
    bqm = random_feature_qubo(10, seed)
    dense = compute_gap_profile(bqm, 40, solver="dense")
    iterative = compute_gap_profile(bqm, 40, solver="davidson")
    np.testing.assert_allclose(iterative.gaps, dense.gaps, rtol=0, atol=1e-9)
    # the matrix element follows the eigenvectors, which tol does not bound: over seeds 0-7
    # its largest relative error was 6e-6 to 3.9e-4, before and after the warm starts moved
    # to float32 (seed 0: 2.1e-5, now 1.4e-4; docs/benchmarks.md, nineteenth round)
    np.testing.assert_allclose(iterative.couplings, dense.couplings, rtol=5e-4, atol=1e-7)


# matrix_elements=False: the same gaps, no matrix elements, fewer products
@pytest.mark.parametrize("make", [lambda: random_feature_qubo(7, 2), lambda: z2_symmetric_bqm(6, 3)])
def test_dense_gap_only_matches_eigh(make):
    bqm = make()
    profile = compute_gap_profile(bqm, 16, solver="dense", matrix_elements=False)
    g, e0, eg, gaps, _ = reference_profile(bqm, profile.s)
    assert profile.degeneracy == g and profile.info["matrix_elements"] is False
    np.testing.assert_allclose(profile.ground_energies, e0, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.excited_energies, eg, atol=1e-8, rtol=0)
    np.testing.assert_allclose(profile.gaps, gaps, atol=1e-8, rtol=0)
    assert np.isnan(profile.couplings).all() and np.isnan(profile.adiabatic_ratio).all()


@pytest.mark.parametrize("solver", ["davidson", "eigsh"])
@pytest.mark.parametrize("matrix_elements", [True, False])
def test_iterative_solvers_find_the_lowest_two_gap_of_a_symmetric_problem(solver, matrix_elements):
    # E_1 − E_0 of a Z2-symmetric QUBO closes towards s = 1; ARPACK asked for only the two
    # levels returned E_2 for E_1 there (the gap off by 1.38) until it was given the guard too
    bqm = z2_symmetric_bqm(8, 3)
    profile = compute_gap_profile(bqm, 12, solver=solver, gap="lowest-two",
                                  matrix_elements=matrix_elements)
    op = AnnealingOperator.from_bqm(bqm)
    exact = [np.diff(np.linalg.eigvalsh(op.dense(x))[:2])[0] for x in profile.s]
    np.testing.assert_allclose(profile.gaps, exact, atol=1e-9, rtol=0)


def test_davidson_gap_only_grid_matches_the_full_profile_with_fewer_products():
    bqm = random_feature_qubo(12, 5)
    full = compute_gap_profile(bqm, 16, solver="davidson")
    bare = compute_gap_profile(bqm, 16, solver="davidson", matrix_elements=False)
    np.testing.assert_allclose(bare.gaps, full.gaps, atol=2e-10, rtol=0)
    np.testing.assert_allclose(bare.ground_energies, full.ground_energies, atol=2e-10, rtol=0)
    assert np.isnan(bare.couplings).all() and np.isfinite(full.couplings).all()
    assert full.info["matrix_elements"] is True
    assert bare.matvecs < full.matvecs  # no sentinel level above E_g to resolve
    # one level fewer in the Davidson block: a smaller planned peak
    assert bare.info["memory_bytes"] < full.info["memory_bytes"]


def test_adaptive_gap_only_finds_the_same_minimum():
    bqm = random_feature_qubo(12, 3)
    bare = compute_gap_profile(bqm, adaptive=True, matrix_elements=False)
    reference = min_gap(bqm, tol=1e-10)
    assert bare.info["resolved"] and bare.solver == "davidson"
    assert bare.min_gap == pytest.approx(reference.min_gap, abs=2e-10)
    assert bare.s_min == pytest.approx(reference.s_min, abs=1e-3)
    assert np.isnan(bare.couplings).all()


def test_tracker_in_profile_mode_without_couplings_tracks_two_levels():
    bqm = random_feature_qubo(11, 1)
    op = AnnealingOperator.from_bqm(bqm, "unit")
    tracker = GapTracker(op, 1, "davidson", 1, None, 3, np.random.default_rng(0), profile=True)
    assert tracker.k == 2 and tracker.sweep and tracker.inner_steps == 10
    point = tracker(0.9, 1e-10)
    assert np.isnan(point.coupling) and point.error <= 1e-10
    plain = GapTracker(op, 1, "davidson", 1, None, 3, np.random.default_rng(0))
    assert not plain.profile and not plain.sweep and plain.inner_steps == 0


def test_plot_without_matrix_elements_draws_the_gap_only(tmp_path):
    result = gap_profile(random_feature_qubo(5, 0), 8, matrix_elements=False)
    fig = result.plot(tmp_path / "gap.png")
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert any(label.startswith("gap") for label in labels)
    assert not any("partial_s" in label for label in labels)
    assert (tmp_path / "gap.png").stat().st_size > 0


@pytest.mark.parametrize("value", ["no", None, 0, 1.0])
def test_matrix_elements_must_be_a_bool(value):
    bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): 1.0}, 0.0, "BINARY")
    with pytest.raises(InvalidTypeError) as info:
        compute_gap_profile(bqm, 8, matrix_elements=value)
    assert "matrix_elements" in str(info.value) and "matrix_elements=False" in str(info.value)


def test_an_absurd_grid_is_refused_before_it_is_built():
    with pytest.raises(ProblemTooLargeError) as info:
        compute_gap_profile(random_feature_qubo(4, 0), 10**10)
    message = str(info.value)
    assert message.startswith("num_points=10000000000") and "adaptive=True" in message
    # an adaptive profile's num_points is only the most points: nothing is allocated for it
    profile = compute_gap_profile(random_feature_qubo(4, 0), 10**10, adaptive=True)
    assert profile.info["resolved"] and profile.s.size < 64


@pytest.mark.parametrize("call", ["min_gap", "adaptive", "grid", "gap only", "min_gap, two sectors",
                                  "gap only, two sectors", "adaptive, two sectors"])
@pytest.mark.parametrize("extra_warm_starts", [False, True])
def test_the_memory_plan_covers_the_traced_peak(call, extra_warm_starts, monkeypatch):
    """info["memory_bytes"], checked against the budget before allocating, is what is allocated."""
    import tracemalloc

    import hybridxai.anneal.gap_profile as module
    from hybridxai._util.aligned import aligned_empty

    # the warm starts' own mappings (huge_pages=False) are not traced: numpy's arrays here
    monkeypatch.setattr(module, "aligned_empty",
                        lambda *args, huge_pages=True, **kwargs: aligned_empty(*args, **kwargs))
    if not extra_warm_starts:  # only the three a sweep keeps: no unused ones to hide behind
        monkeypatch.setattr(module, "_WARM_START_SHARE", 0.0)

    d = 14
    # a coupling-only problem: its two spin-flip sectors are solved apart, with their own
    # vectors; near s = 1 every level is nearly degenerate across them, and the full profile
    # widened its block to see the level above E_g's (157.7 vectors against a plan of 118;
    # docs/benchmarks.md, fourteenth round); it now reads it off the sectors' own solves
    bqm = flip_symmetric_qubo(d, 3) if "sectors" in call else random_feature_qubo(d, 3)
    run = {"min_gap": lambda: min_gap(bqm, solver="davidson"),
           "adaptive": lambda: compute_gap_profile(bqm, adaptive=True),
           "grid": lambda: compute_gap_profile(bqm, 12),
           "gap only": lambda: compute_gap_profile(bqm, adaptive=True, matrix_elements=False),
           }[call.split(",")[0]]
    run()  # load the kernels: numba's own allocations are not the tracker's
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    plan = result.info["memory_bytes"]
    assert plan is not None
    # small objects on top (tens of KiB; docs/benchmarks.md, eleventh round)
    assert peak <= plan + 256 * 2**10
    if not extra_warm_starts:  # and nothing planned that is never used (the plan held up to
        # 7 such vectors before the twenty-first round): at most the kernels' chunk buffers,
        # which the threads need not all hold at once, and half a vector below the plan
        from hybridxai.anneal.eigensolvers import kernel_buffer_bytes

        op = AnnealingOperator.from_bqm(bqm)
        kind = call.split(",")[0]
        # g levels, E_g (and the level above it with the matrix element), a guard
        block = result.degeneracy + (2 if kind in ("adaptive", "grid") else 1) + 1
        subspace = 2 * block + 1 if kind == "min_gap" else max(12, 4 * block)
        unused = kernel_buffer_bytes(subspace, threaded=op.threaded) + 4 * op.dimension
        assert peak >= plan - unused


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9, 1.0]),
                          st.floats(0.0, 2.0, allow_nan=False)), min_size=1, max_size=30))
def test_best_is_kept_as_points_come_in_and_are_re_solved(points):
    """GapTracker.best() is kept incrementally; it must equal a scan of every point, also when
    a point (the best one included) is re-solved to another value."""
    from hybridxai.anneal.gap_points import GapPoint

    op = AnnealingOperator.from_bqm(random_feature_qubo(3, 0))
    tracker = GapTracker(op, 1, "dense", 1, None, 2, np.random.default_rng(0))
    for s, gap in points:
        tracker.add_exact(GapPoint(s, gap, 0.0, 0.0, 0.0, 0.0, gap))
        scan = min(tracker.points.values(), key=lambda p: (p.gap, -p.s))
        assert tracker.best() is scan


def test_as_dict_says_how_the_profile_was_made():
    summary = compute_gap_profile(random_feature_qubo(5, 0), adaptive=True,
                                  matrix_elements=False).as_dict()
    assert summary["grid"] == "adaptive" and summary["matrix_elements"] is False
    assert summary["resolved"] is True and summary["rtol"] == 0.01
    import json

    json.dumps(summary)  # JSON-friendly
