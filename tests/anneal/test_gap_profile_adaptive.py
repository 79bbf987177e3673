"""Adaptive gap profiles (``adaptive=True``) against dense references and the fixed-grid path."""

import warnings

import dimod
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridxai.analysis import flip_symmetric_qubo, gap_profile, min_gap, random_feature_qubo
from hybridxai.anneal.eigensolvers import blas_threads, eigenvalue_rounding
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, UnresolvedProfileWarning
from tests.analysis._reference import dense_hamiltonian, reference_gap, reference_min_gap
from tests.anneal.test_gap_profile import reference_profile, z2_symmetric_bqm


def _linear_error(profile, bqm, gap_at_ends, fine=401):
    """Largest relative error of the profile's straight lines (end points included) on a fine grid."""
    s = np.concatenate([[0.0], profile.s, [1.0]])
    gaps = np.concatenate([[gap_at_ends[0]], profile.gaps, [gap_at_ends[1]]])
    grid = np.linspace(0.0, 1.0, fine)
    exact = np.array([reference_gap(bqm, x) for x in grid])
    return float(np.max(np.abs(np.interp(grid, s, gaps) - exact) / exact))


@pytest.mark.parametrize(("kind", "d", "seed"), [("paper", 6, 1), ("paper", 8, 4), ("z2", 6, 3)])
def test_adaptive_profile_matches_dense_eigh(kind, d, seed):
    bqm = random_feature_qubo(d, seed) if kind == "paper" else z2_symmetric_bqm(d, seed)
    with blas_threads(1):  # the dense path: every point exact (Davidson's: adaptive_davidson below)
        profile = compute_gap_profile(bqm, adaptive=True, solver="dense")
        g, e0, eg, gaps, couplings = reference_profile(bqm, profile.s)
        ends = (reference_gap(bqm, 0.0), reference_gap(bqm, 1.0))
        line_error = _linear_error(profile, bqm, ends)
        reference_min, reference_s = reference_min_gap(bqm)
    assert profile.degeneracy == g
    assert profile.info["grid"] == "adaptive" and profile.info["resolved"]
    assert profile.info["interpolation_error"] <= profile.info["rtol"]
    np.testing.assert_allclose(profile.gaps, gaps, atol=1e-9)
    np.testing.assert_allclose(profile.ground_energies, e0, atol=1e-9)
    np.testing.assert_allclose(profile.couplings, couplings, atol=1e-7)
    # the straight lines between the points: within rtol of Δ (an estimate; 1.5x headroom)
    assert line_error <= 1.5 * profile.info["rtol"]
    # the lowest point is Δ_min to tol (1e-10), not the lowest value of a grid
    assert profile.min_gap == pytest.approx(reference_min, abs=1e-9)
    assert profile.s_min == pytest.approx(reference_s, abs=1e-3)
    assert np.all(np.diff(profile.s) > 0) and 0.0 < profile.s[0] and profile.s[-1] < 1.0
    assert profile.s.size < 32


def test_adaptive_davidson_matches_fixed_grid_and_min_gap():
    bqm = random_feature_qubo(12, 3)
    profile = compute_gap_profile(bqm, adaptive=True)
    fixed = compute_gap_profile(bqm, s=profile.s, tol=1e-10)
    assert profile.solver == "davidson" and profile.matvecs > 0
    np.testing.assert_allclose(profile.gaps, fixed.gaps, atol=2 * profile.errors.max() + 1e-10)
    np.testing.assert_array_less(profile.errors, np.maximum(1e-10, 1e-4 * profile.gaps) + 1e-16)
    # each coupling to ~sqrt(error/Δ) relative (compute_gap_profile's contract)
    bound = np.sqrt(np.maximum(profile.errors, 1e-10) / profile.gaps) * fixed.couplings
    assert np.all(np.abs(profile.couplings - fixed.couplings) <= 10 * bound + 1e-8)
    reference = min_gap(bqm, tol=1e-10)
    assert profile.min_gap == pytest.approx(reference.min_gap, abs=2e-10)
    assert profile.errors[np.argmin(profile.gaps)] <= 1e-10


def test_fewer_points_than_the_fixed_grid_and_the_true_minimum():
    bqm = random_feature_qubo(8, 4)
    adaptive = compute_gap_profile(bqm, adaptive=True)
    fixed = compute_gap_profile(bqm)
    assert adaptive.s.size < fixed.s.size
    assert adaptive.min_gap <= fixed.min_gap  # the grid's lowest value is above Δ_min


def test_lowest_two_gap_of_a_degenerate_problem_warns_instead_of_chasing_zero():
    # E_1 − E_0 of a degenerate H_P closes exponentially towards s = 1: relative accuracy
    # there needs ever more points, so the profile stops at num_points and says so
    bqm = z2_symmetric_bqm(6, 3)
    with pytest.warns(UnresolvedProfileWarning, match="24 of num_points=24"):
        profile = compute_gap_profile(bqm, 24, adaptive=True, gap="lowest-two")
    assert not profile.info["resolved"] and profile.degeneracy == 2 and profile.s.size == 24
    assert np.all(profile.gaps > 0)
    np.testing.assert_allclose(profile.gaps, [reference_gap_lowest_two(bqm, s) for s in profile.s],
                               atol=1e-9)


def test_lowest_two_gap_closing_at_one_is_not_called_resolved_from_the_start_points():
    # the interval to s = 1, where E_1 − E_0 closes, used to be exempt from the shape test:
    # the profile stopped at its 4 start points with Δ_min = 0.22, called resolved, where a
    # 16-point grid finds 0.039 (session-14 user trial)
    bqm = flip_symmetric_qubo(6, 5)
    grid = compute_gap_profile(bqm, 16, gap="lowest-two")
    with pytest.warns(UnresolvedProfileWarning, match="closes at s = 1.*gap='manifold'"):
        profile = compute_gap_profile(bqm, 24, adaptive=True, gap="lowest-two")
    assert not profile.info["resolved"] and profile.s.size == 24
    assert profile.min_gap < grid.min_gap and profile.s_min > grid.s_min
    np.testing.assert_allclose(profile.gaps, [reference_gap_lowest_two(bqm, s) for s in profile.s],
                               atol=1e-9)
    # the gap that stays open is resolved and warns of nothing
    manifold = compute_gap_profile(bqm, adaptive=True)
    assert manifold.info["resolved"] and manifold.degeneracy == 2


def test_an_interval_whose_end_slopes_agree_but_whose_chord_does_not_is_refined():
    # Δ rises at both ends of an interval and falls in between: the chord and the Hermite
    # cubic agree at the midpoint only. The profile used to call itself resolved at 0.874
    # (s = 0.854) where the minimum is 0.740 (s = 0.908; twelfth round's user trial)
    bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.3, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0},
                                     {(0, 1): 0.5}, 0.0, "BINARY")
    reference = reference_min_gap(bqm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnresolvedProfileWarning)  # a kinked gap: points run out
        profile = compute_gap_profile(bqm, 64, adaptive=True)
    assert profile.degeneracy == 16
    # unresolved (the kinks use up the points): its lowest point is near, not at, tol
    assert profile.min_gap == pytest.approx(reference[0], abs=1e-5)


def reference_gap_lowest_two(bqm, s):
    w = np.linalg.eigvalsh(dense_hamiltonian(bqm, s))
    return w[1] - w[0]


def test_too_few_points_warn_and_say_how_far_they_got():
    bqm = random_feature_qubo(6, 1)
    with pytest.warns(UnresolvedProfileWarning, match="4 of num_points=4.*rtol=0.001"):
        profile = compute_gap_profile(bqm, 4, adaptive=True, rtol=1e-3)
    assert profile.s.size == 4 and not profile.info["resolved"]
    assert profile.info["interpolation_error"] > 1e-3


def test_rtol_trades_points_for_accuracy():
    bqm = random_feature_qubo(7, 2)
    loose = compute_gap_profile(bqm, adaptive=True, rtol=0.1)
    tight = compute_gap_profile(bqm, adaptive=True, rtol=1e-3)
    assert loose.s.size < tight.s.size
    assert tight.info["interpolation_error"] <= 1e-3 < loose.info["interpolation_error"] + 1e-3
    assert loose.min_gap == pytest.approx(tight.min_gap, abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(2, 5), seed=st.integers(0, 10_000), spin=st.booleans())
def test_any_small_qubo_gets_a_resolved_profile_with_its_minimum(d, seed, spin):
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.normal()) for i in range(d)}
    quad = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d) if rng.random() < 0.7}
    bqm = dimod.BinaryQuadraticModel(linear, quad, 0.0, "SPIN" if spin else "BINARY")
    with blas_threads(1):
        profile = compute_gap_profile(bqm, adaptive=True)
        reference_min, _ = reference_min_gap(bqm)
    assert profile.info["resolved"]
    assert np.all(np.diff(profile.s) > 0) and 0.0 < profile.s[0] and profile.s[-1] < 1.0
    assert np.all(np.isfinite(profile.couplings)) and np.all(profile.gaps > 0)
    # Δ_min is the lowest point, to tol: never above the dense reference by more than tol
    # (and never below it, a lowest point is a value actually evaluated)
    assert profile.min_gap == pytest.approx(reference_min, abs=1e-8)


def test_analysis_gap_profile_is_adaptive_and_plots(tmp_path):
    bqm = random_feature_qubo(6, 1)
    result = gap_profile(bqm, adaptive=True, rtol=0.05)
    assert result.info["grid"] == "adaptive" and result.info["rtol"] == 0.05
    result.plot(tmp_path / "profile.png")
    assert (tmp_path / "profile.png").stat().st_size > 0
    assert gap_profile(bqm, 8).info["grid"] == "midpoints"
    assert gap_profile(bqm, s=[0.5]).info["grid"] == "explicit"


@pytest.mark.parametrize(("kwargs", "error", "names"), [
    ({"rtol": 0.0}, InvalidArgumentError, ("rtol=0.0", "(0, 0.5]", "rtol=0.01")),
    ({"rtol": float("nan")}, InvalidArgumentError, ("rtol=nan",)),
    ({"rtol": "1e-2"}, InvalidTypeError, ("rtol", "rtol=0.01")),
    ({"s": [0.5]}, InvalidArgumentError, ("s=[0.5]", "adaptive=True")),
    ({"num_points": 3}, InvalidArgumentError, ("num_points=3", ">= 4")),
])
def test_bad_adaptive_options_name_the_argument(kwargs, error, names):
    with pytest.raises(error) as info:
        compute_gap_profile(random_feature_qubo(4, 0), adaptive=True, **kwargs)
    for name in names:
        assert name in str(info.value)


def test_a_tol_below_the_solvers_floor_stops_and_says_so():
    # dense eigh cannot certify 1e-15 here (its floor, eigenvalue_rounding, is about 1e-13):
    # the lowest point is re-solved once, then reported
    with pytest.warns(UnresolvedProfileWarning, match="above tol=1e-15: its rounding floor"):
        profile = compute_gap_profile(random_feature_qubo(4, 0), adaptive=True, tol=1e-15)
    assert not profile.info["resolved"] and profile.s.size < 64


@pytest.mark.parametrize("seed", range(4))
def test_a_tol_at_the_floor_is_resolved_by_dense_eigh(seed):
    # dense eigh used to claim only 1e-12·max|E| per level, so tol=1e-12 came out unresolved
    # with a warning although eigh is some 1e3 times more accurate (follow-up of the
    # fourteenth round); each level now claims half the rounding floor
    bqm = random_feature_qubo(6, seed)
    op = AnnealingOperator.from_bqm(bqm)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnresolvedProfileWarning)
        profile = compute_gap_profile(bqm, adaptive=True, tol=eigenvalue_rounding(op), solver="dense")
    assert profile.info["resolved"]
    assert profile.min_gap == pytest.approx(min_gap(bqm, tol=1e-10).min_gap, abs=2e-10)


@pytest.mark.parametrize("seed", range(4))
def test_below_the_floor_the_minimum_is_still_refined(seed):
    # tol=1e-15 is legal but below dense eigh's ~1e-13 here: the profile used to stop at its
    # start points, its minimum 4e-4 to 1.6e-3 too high (a user trial); it now refines at the floor
    bqm = random_feature_qubo(6, seed)
    with pytest.warns(UnresolvedProfileWarning, match="pass a tol of at least"):
        profile = compute_gap_profile(bqm, adaptive=True, tol=1e-15)
    assert not profile.info["resolved"]
    reference = min_gap(bqm, tol=1e-10).min_gap
    assert profile.min_gap == pytest.approx(reference, abs=3e-10)


def test_adaptive_must_be_a_bool():
    with pytest.raises(InvalidTypeError, match="adaptive"):
        compute_gap_profile(random_feature_qubo(4, 0), adaptive="yes")


@pytest.mark.parametrize("rtol", [1e-3, 0.01])
def test_rtol_without_adaptive_is_refused_not_ignored(rtol):
    with pytest.raises(InvalidArgumentError) as info:
        compute_gap_profile(random_feature_qubo(4, 0), 8, rtol=rtol)
    assert "rtol" in str(info.value) and "adaptive=True" in str(info.value)
    with pytest.raises(InvalidTypeError, match="rtol"):  # a wrong type is a wrong type either way
        compute_gap_profile(random_feature_qubo(4, 0), 8, rtol="x")
    assert compute_gap_profile(random_feature_qubo(4, 0), 8).info["grid"] == "midpoints"


@pytest.mark.parametrize("seed", [1, 3])
def test_an_arpack_profile_is_resolved_and_finds_the_minimum(seed):
    # ARPACK's tol is relative: given tol itself, its points came out at about 1.3·tol and an
    # adaptive profile stopped unresolved, its minimum never refined (1.6e-3 too high)
    bqm = random_feature_qubo(6, seed)
    profile = compute_gap_profile(bqm, adaptive=True, solver="eigsh", matrix_elements=False)
    assert profile.info["resolved"]
    assert profile.errors.max() <= max(1e-10, 1e-4 * profile.gaps.max())
    assert profile.min_gap == pytest.approx(min_gap(bqm, solver="dense", tol=1e-10).min_gap, abs=3e-10)


@pytest.mark.parametrize("entry", ["gap_profile", "compute_gap_profile"])
def test_warnings_point_at_the_callers_line_whichever_entry_it_used(entry):
    # a fixed stacklevel was right for gap_profile only: called directly, compute_gap_profile's
    # warnings pointed one frame above the caller (session-15 follow-up)
    bqm = random_feature_qubo(6, 1)
    call = {"gap_profile": gap_profile, "compute_gap_profile": compute_gap_profile}[entry]
    with pytest.warns(UnresolvedProfileWarning) as caught:
        call(bqm, 4, adaptive=True, rtol=1e-3)
    assert caught[0].filename == __file__


def test_a_kink_at_the_minimum_is_resolved_to_tol():
    # a coupled group and two free variables: E_g passes from one sector's level to another's
    # in a V at the minimum; the profile stopped 3.67e-10 above it with tol=1e-10, resolved
    bqm = flip_symmetric_qubo(5, 0)
    bqm.add_variable(5, 0.0)
    bqm.add_variable(6, 0.0)
    profile = compute_gap_profile(bqm, adaptive=True, progress=False)
    assert profile.info["resolved"]
    assert profile.min_gap == pytest.approx(min_gap(bqm, tol=1e-11).min_gap, abs=profile.tol)


def test_an_unresolved_profile_with_unsplit_sectors_points_to_dense():
    # four flips (a coupled group, three free variables): none is split, ARPACK misses a
    # level of a sector, and more points, rtol or tol cannot mend it (a user trial): the
    # warning says so and names the check
    bqm = flip_symmetric_qubo(5, 0)
    for v in (5, 6, 7):
        bqm.add_variable(v, 0.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        profile = compute_gap_profile(bqm, adaptive=True, solver="eigsh", progress=False)
    unresolved = [str(w.message) for w in caught if w.category is UnresolvedProfileWarning]
    assert not profile.info["resolved"] and len(unresolved) == 1
    assert "which no num_points, rtol or tol mends: check with solver='dense'" in unresolved[0]
