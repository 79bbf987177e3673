import time
import warnings

import dimod
import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import minimize_scalar

from hybridxai.analysis import flip_symmetric_qubo, gap_at, min_gap, per_step_points, random_feature_qubo
from hybridxai.analysis.gap import ground_degeneracy
from hybridxai.anneal.eigensolvers import DENSE_MAX_QUBITS
from hybridxai.anneal.ising import flip_symmetries
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, ProblemTooLargeError
from tests.analysis._reference import (
    dense_hamiltonian,
    reference_gap,
    reference_min_gap,
    sector_reference_min_gap,
)


def z2_symmetric_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """SPIN couplings without fields: every state is degenerate with its global flip (g = 2)."""
    rng = np.random.default_rng(seed)
    quad = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}
    return dimod.BinaryQuadraticModel({}, quad, 0.0, "SPIN")


CASES = [
    ("gauss", 3, 0), ("gauss", 4, 2), ("gauss", 5, 2), ("gauss", 6, 1), ("gauss", 7, 0),
    ("paper", 4, 2), ("paper", 6, 0), ("paper", 7, 3), ("paper", 8, 1),
    ("z2", 5, 0), ("z2", 6, 3),
    # sharp avoided crossings near the end, where a tangent "bound" used to stop Brent early
    # (min_gap was 2e-3 to 8e-3 above Δ_min on these; 31 of 450 such instances, d = 6-8)
    ("sharp", 6, 19), ("sharp", 7, 132), ("sharp", 8, 71),
]
_REFERENCE: dict = {}


def _bqm(kind, d, seed, make_bqm):
    return {"gauss": lambda: make_bqm(d, seed),
            "paper": lambda: random_feature_qubo(d, seed, pixels=49),
            "sharp": lambda: random_feature_qubo(d, seed),
            "z2": lambda: z2_symmetric_bqm(d, seed)}[kind]()


def _reference(kind, d, seed, bqm):
    if (kind, d, seed) not in _REFERENCE:
        _REFERENCE[kind, d, seed] = reference_min_gap(bqm)
    return _REFERENCE[kind, d, seed]


@pytest.mark.parametrize("kind,d,seed", CASES)
def test_min_gap_matches_dense_scan(make_bqm, kind, d, seed):
    bqm = _bqm(kind, d, seed, make_bqm)
    ref_gap, _ = _reference(kind, d, seed, bqm)
    result = min_gap(bqm)
    assert result.solver == ("dense" if d <= DENSE_MAX_QUBITS else "davidson")
    assert result.method == "adaptive"
    assert result.min_gap == pytest.approx(ref_gap, abs=1e-6)
    # s* is determined to the accuracy the gap allows (flat minima): check the gap there
    assert reference_gap(bqm, result.s_min) == pytest.approx(ref_gap, abs=1e-6)
    assert result.degeneracy == (2 if kind == "z2" else 1)
    # the reported values are gaps at the reported points
    i = int(np.argmin(np.abs(result.s - result.s_min)))
    assert result.gaps[i] == pytest.approx(result.min_gap)
    assert result.num_evaluations < 80


@pytest.mark.parametrize("kind,d,seed", [("gauss", 6, 1), ("paper", 8, 1), ("z2", 6, 3)])
def test_davidson_path_matches_dense_scan(make_bqm, kind, d, seed):
    bqm = _bqm(kind, d, seed, make_bqm)
    ref_gap, _ = _reference(kind, d, seed, bqm)
    result = min_gap(bqm, solver="davidson")
    assert result.solver == "davidson" and result.matvecs > 0
    assert result.min_gap == pytest.approx(ref_gap, abs=1e-6)


@pytest.mark.parametrize(("kind", "seed", "dip"), [("z2", 5, (0.985, 0.995)), ("z2", 11, (0.98, 0.995)),
                                                   ("near", 21, (0.985, 0.995))])
def test_a_dip_that_no_slope_sign_change_brackets_is_found(kind, seed, dip):
    # Δ falls into the dip, rises to a kink (E_2 and E_3 cross; with weak fields, nearly) and
    # falls again towards a higher minimum at s ≈ 1: both ends of the coarse interval slope
    # down. min_gap used to return that higher minimum, 6 %, 16 % and 10 % too high
    # (session-14 user trial; docs/benchmarks.md, twelfth round)
    bqm = flip_symmetric_qubo(9, seed, fields=0.0 if kind == "z2" else 1e-3)
    level = 2 if kind == "z2" else 1  # the manifold gap: E_g − E_0
    h0, h1 = dense_hamiltonian(bqm, 0.0), dense_hamiltonian(bqm, 1.0)

    def gap(s):
        w = scipy.linalg.eigvalsh((1 - s) * h0 + s * h1, subset_by_index=[0, level])
        return w[level] - w[0]

    reference = minimize_scalar(gap, bounds=dip, method="bounded", options={"xatol": 1e-10}).fun
    assert gap(1.0) > reference + 5e-4  # the other minimum is well above it
    result = min_gap(bqm, tol=1e-8)
    assert result.min_gap == pytest.approx(reference, abs=1e-7)
    assert dip[0] <= result.s_min <= dip[1]
    assert any(a <= result.s_min <= b for a, b in result.brackets[1:])  # the shape check's
    assert result.info["shape_check"]


def test_the_shape_check_runs_only_near_the_flip_symmetry():
    assert min_gap(flip_symmetric_qubo(6, 0)).info["shape_check"]  # g = 2
    assert min_gap(flip_symmetric_qubo(6, 0, fields=1e-2)).info["shape_check"]  # fields 1/10 of couplings
    assert not min_gap(random_feature_qubo(6, 0)).info["shape_check"]  # a feature-selection QUBO
    # E_1 − E_0 of a degenerate H_P is 0 at s = 1 by definition: nothing to look for
    assert not min_gap(flip_symmetric_qubo(6, 0), gap="lowest-two").info["shape_check"]
    assert not min_gap(flip_symmetric_qubo(6, 0), dense=True, total_time=0.1).info["shape_check"]  # per step


@pytest.mark.parametrize("fields", [1e-3, 1e-2])
def test_an_end_minimum_with_a_slope_into_the_interval_is_not_taken_for_the_minimum(fields):
    # Δ(1) is the lowest point evaluated, but Δ'(1) > 0 says a lower gap lies just inside; the
    # bracket search ran into a higher local minimum at 0.996 and returned s = 1 (5.8e-7 and
    # 4.6e-7 too high at tol = 1e-8; found by the twelfth round's review)
    bqm = flip_symmetric_qubo(8, 5, fields=fields)
    h0, h1 = dense_hamiltonian(bqm, 0.0), dense_hamiltonian(bqm, 1.0)

    def gap(s):
        w = scipy.linalg.eigvalsh((1 - s) * h0 + s * h1, subset_by_index=[0, 1])
        return w[1] - w[0]

    reference = minimize_scalar(gap, bounds=(0.999, 1.0), method="bounded", options={"xatol": 1e-12})
    assert reference.fun < gap(1.0) - 4e-7
    result = min_gap(bqm, solver="dense", tol=1e-8)
    assert result.min_gap == pytest.approx(reference.fun, abs=2e-8)
    assert 0.999 < result.s_min < 1.0


def test_iterative_solvers_split_the_flip_and_warn_on_a_symmetry_they_do_not_split():
    exact = min_gap(flip_symmetric_qubo(8, 3), solver="dense", tol=1e-6).min_gap
    for solver in ("davidson", "eigsh"):
        with warnings.catch_warnings():  # the global flip's sectors are solved apart: no warning
            warnings.simplefilter("error", RuntimeWarning)
            found = min_gap(flip_symmetric_qubo(8, 3), solver=solver, tol=1e-6)
        assert found.min_gap == pytest.approx(exact, abs=2e-6), solver
    # 12 of 16 states are ground states: the smallest Davidson space would not fit (it used to
    # fail with a numpy broadcasting error); such a tiny problem is solved densely
    bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0, 2: 0.0, 3: 0.0}, {(0, 1): 1.0}, 0.0, "BINARY")
    with pytest.warns(RuntimeWarning, match="12 ground states"):
        found = min_gap(bqm, solver="davidson")
    assert found.min_gap == pytest.approx(min_gap(bqm, solver="dense").min_gap, abs=1e-9)
    assert list(flip_symmetric_qubo(5, 0).variables) == [0, 1, 2, 3, 4]  # qubit i is variable i


def test_min_gap_finds_the_lower_of_two_dips_either_side_of_a_kink():
    # the two sectors' own gaps cross between two dips 6.6e-4 apart, closer than the shape
    # check resolves: Brent's method on Δ found the higher dip (9.6e-6 above the other; 2 of
    # 40 such instances at d = 10). Each sector's own gap is searched as well now
    # (docs/benchmarks.md, fourteenth round)
    bqm = flip_symmetric_qubo(10, 36)
    reference, where = sector_reference_min_gap(bqm, flip_symmetries(bqm), points=11,
                                                bounds=(0.985, 0.995))
    for solver in ("davidson", "dense"):
        found = min_gap(bqm, solver=solver, tol=1e-8)
        assert found.min_gap == pytest.approx(reference, abs=2e-8), solver
        assert found.s_min == pytest.approx(where, abs=1e-4)


def test_a_shape_check_out_of_points_says_so(monkeypatch):
    import hybridxai.analysis.gap as gap_module

    monkeypatch.setattr(gap_module, "_SHAPE_MAX_POINTS", 1)
    with pytest.warns(RuntimeWarning, match="shape check stopped after 1 points.*gap_profile"):
        result = min_gap(flip_symmetric_qubo(9, 5), tol=1e-8)
    assert result.s_min > 0.995  # it had no points left to find the dip


def test_tangent_bound_refuses_a_gap_that_is_not_convex():
    # chelsea d = 18 (docs/benchmarks.md, eighth round): the slopes increase from a to x to b,
    # but b's tangent passes 6e-3 above Δ(x); the true minimum, 0.0299778, lies below the old
    # "bound" of 0.0325
    from hybridxai.anneal.gap_points import GapPoint, tangent_lower_bound

    a = GapPoint(0.974196, 0.03254865, -0.9597, 1e-6, 1e-9, 0.0, 0.0)
    x = GapPoint(0.981015, 0.03025575, 0.3265, 1e-6, 1e-9, 0.0, 0.0)
    b = GapPoint(0.996875, 0.04397008, 0.4678, 1e-6, 1e-9, 0.0, 0.0)
    assert tangent_lower_bound(a, x, b)[0] == -np.inf
    # a convex parabola: the bound is below its minimum and close to it
    f = [GapPoint(s, (s - 0.5) ** 2 + 0.1, 2 * (s - 0.5), 0.0, 0.0, 0.0, 0.0) for s in (0.4, 0.5, 0.6)]
    assert 0.09 <= tangent_lower_bound(*f)[0] <= 0.1


def test_degenerate_gap_is_to_first_level_outside_ground_manifold():
    bqm = z2_symmetric_bqm(5, 0)
    op = AnnealingOperator.from_bqm(bqm)
    assert ground_degeneracy(op.diagonal) == 2
    # E_1 - E_0 closes at s = 1 (the two ground states); E_2 - E_0 stays open
    w = np.linalg.eigvalsh(op.dense(1.0))
    assert w[1] - w[0] == pytest.approx(0.0, abs=1e-12)
    assert gap_at(bqm, 1.0) == pytest.approx(w[2] - w[0])
    assert min_gap(bqm).min_gap > 1e-3


def test_end_point_slopes_match_finite_differences(make_bqm):
    for bqm in (make_bqm(5, 3), random_feature_qubo(6, 2, pixels=49), z2_symmetric_bqm(5, 1)):
        result = min_gap(bqm, s_grid=[0.0, 0.5, 1.0], tol=1e-3)
        slope0, slope1 = result.slopes[0], result.slopes[-1]
        h = 1e-6
        assert slope0 == pytest.approx((reference_gap(bqm, h) - reference_gap(bqm, 0.0)) / h, abs=1e-4)
        assert slope1 == pytest.approx((reference_gap(bqm, 1.0) - reference_gap(bqm, 1 - h)) / h,
                                       abs=1e-4)


def test_driver_scale_changes_the_gap(make_bqm):
    bqm = make_bqm(5, 7)
    unit, scaled = min_gap(bqm), min_gap(bqm, driver_scale="1/d")
    assert scaled.driver_coefficient == pytest.approx(0.2)
    assert scaled.min_gap == pytest.approx(reference_min_gap(bqm, c=0.2)[0], abs=1e-6)
    assert unit.min_gap != pytest.approx(scaled.min_gap, abs=1e-3)


def test_per_step_path_agrees_with_per_step_dense_scan(make_bqm):
    bqm = make_bqm(5, 4)
    points = per_step_points(2.0)  # T = 2, dt = 0.01: 200 points s_k = (k + 1/2)/200
    assert points.size == 200 and points[0] == pytest.approx(0.0025)
    values = np.array([reference_gap(bqm, s) for s in points])
    for solver in ("dense", "davidson"):
        result = min_gap(bqm, dense=True, dense_total_time=2.0, solver=solver)
        assert result.method == "per-step"
        assert result.num_evaluations == 200
        assert result.min_gap == pytest.approx(values.min(), abs=1e-6)
        assert result.s_min == pytest.approx(points[int(values.argmin())])
    adaptive = min_gap(bqm)
    assert adaptive.min_gap <= result.min_gap + 1e-6
    assert adaptive.num_evaluations < result.num_evaluations


def test_custom_grid_and_tolerance(make_bqm):
    bqm = make_bqm(6, 5)
    ref_gap, _ = reference_min_gap(bqm)
    coarse = min_gap(bqm, s_grid=5, tol=1e-3)
    assert coarse.min_gap == pytest.approx(ref_gap, abs=1e-3)
    explicit = min_gap(bqm, s_grid=np.linspace(0.2, 0.9, 8))
    assert explicit.min_gap == pytest.approx(ref_gap, abs=1e-6)


def test_gap_at_agrees_with_reference(make_bqm):
    bqm = make_bqm(4, 9)
    for s in (0.0, 0.37, 1.0):
        assert gap_at(bqm, s) == pytest.approx(reference_gap(bqm, s), abs=1e-9)


def test_bad_inputs_fail_quickly(make_bqm):
    bqm = make_bqm(3, 0)
    with pytest.raises(InvalidArgumentError, match="tol"):
        min_gap(bqm, tol=0)
    with pytest.raises(InvalidArgumentError, match="s_grid"):
        min_gap(bqm, s_grid=[0.5, 1.5])
    with pytest.raises(InvalidArgumentError, match="s_grid"):
        min_gap(bqm, s_grid=2)
    with pytest.raises(InvalidArgumentError, match="solver"):
        min_gap(bqm, solver="magic")
    with pytest.raises(InvalidArgumentError, match="s=1.5"):
        gap_at(bqm, 1.5)
    with pytest.raises(InvalidArgumentError, match="total_time"):
        min_gap(bqm, dense=True, dense_total_time=-1)
    with pytest.raises(InvalidArgumentError, match="constant"):
        min_gap(dimod.BinaryQuadraticModel({0: 0.0, 1: 0.0}, {}, 1.0, "BINARY"))
    big = dimod.BinaryQuadraticModel({i: -1.0 for i in range(40)}, {}, 0.0, "BINARY")
    t0 = time.perf_counter()
    with pytest.raises(ProblemTooLargeError, match="40 variables"):
        min_gap(big)
    assert time.perf_counter() - t0 < 1.0


def test_plot_marks_minimum_and_writes_png(make_bqm, tmp_path):
    result = min_gap(make_bqm(5, 1))
    fig = result.plot(tmp_path / "gap.png")
    data = (tmp_path / "gap.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    marks = [line for line in fig.axes[0].lines if len(line.get_xdata()) == 2]
    assert any(np.allclose(line.get_xdata(), [result.s_min, result.s_min]) for line in marks)
    assert result.as_dict()["min_gap"] == result.min_gap


def test_memory_plan_is_reported_and_enforced_before_allocation(make_bqm):
    from hybridxai.anneal.correction import single_scratch_rows
    from hybridxai.anneal.gap_profile import compute_gap_profile, planned_bytes

    bqm = make_bqm(11, 3)
    result = min_gap(bqm, solver="davidson")
    # unique ground state (g = 1): block = 2 levels + 1 guard, search space 2·3 + 1 = 7
    assert result.degeneracy == 1
    cache = 4  # warm starts kept when memory is plentiful
    op = AnnealingOperator.from_bqm(bqm)
    assert result.info["memory_bytes"] == planned_bytes(op, 3, 7, cache, levels=2)
    profile = compute_gap_profile(bqm, num_points=4, solver="davidson")
    # a profile keeps the last three points (it extrapolates from them) and has float32
    # scratch rows for its single-precision inner steps; with the matrix element it wants
    # E_0, E_1 and the level above, and a guard
    assert profile.info["memory_bytes"] == planned_bytes(
        op, 4, 16, 3, single_rows=single_scratch_rows(3), levels=3)
    assert min_gap(bqm, solver="dense").info["memory_bytes"] is None
    # a budget below the smallest plan: refused with the number of vectors and GiB needed
    smallest = planned_bytes(op, 3, 7, 2, levels=2)
    with pytest.raises(ProblemTooLargeError,
                       match=r"11 variables.*needs .*B but only .*Fix: analyse a smaller QUBO"):
        min_gap(bqm, solver="davidson", max_memory_bytes=smallest - 1)
    least = min_gap(bqm, solver="davidson", max_memory_bytes=smallest)
    assert least.info["memory_bytes"] == smallest
    assert least.min_gap == pytest.approx(result.min_gap, abs=1e-6)


@pytest.mark.parametrize("s_grid", [3, 5])
def test_a_ground_state_lost_in_a_long_jump_is_found_again(s_grid):
    # from s = 1 straight to s = 0.5, the start vectors (classical states) let Davidson
    # converge on excited levels: E_0 came out −3.026 instead of −4.004, and min_gap 8e-13
    # instead of 0.0060 (the review; 11 of 72 such runs at d = 8–10). A lowest vector with
    # both signs is no ground state (Perron–Frobenius): the point is solved again
    bqm = flip_symmetric_qubo(10, 1)
    reference = min_gap(bqm, solver="dense", tol=1e-9)
    found = min_gap(bqm, solver="davidson", tol=1e-9, s_grid=s_grid)
    assert found.min_gap == pytest.approx(reference.min_gap, abs=1e-8)
    exact = np.linalg.eigvalsh(AnnealingOperator.from_bqm(bqm).dense(0.5))[0]
    # the coarse point is solved to 1e-4 only (its gap is far above the best): not to 1e-8
    assert found.ground_energies[found.s == 0.5][0] == pytest.approx(exact, abs=1e-3)


def test_a_point_davidson_cannot_solve_falls_back_to_arpack_in_min_gap_too(monkeypatch):
    # min_gap used to raise the solver's RuntimeError (a d = 12 instance, the review)
    import hybridxai.anneal.eigensolvers as solvers

    real = solvers.davidson
    calls = []

    def failing(op, s, k, **options):  # noqa: ANN001, ANN202
        calls.append(s)
        if len(calls) == 3:
            raise RuntimeError("the Davidson eigensolver did not converge")
        return real(op, s, k, **options)

    monkeypatch.setattr(solvers, "davidson", failing)
    bqm = random_feature_qubo(9, 2)
    found = min_gap(bqm, solver="davidson", tol=1e-8)
    assert len(calls) > 3
    assert found.min_gap == pytest.approx(min_gap(bqm, solver="dense", tol=1e-8).min_gap, abs=2e-8)


def test_a_tol_below_rounding_is_raised_with_a_warning_not_chased():
    # tol=1e-30 took 88 s for the result tol=1e-12 gives in 0.6 s (a user trial)
    bqm = flip_symmetric_qubo(8, 8)
    with pytest.warns(RuntimeWarning, match=r"tol=1e-30 is below what float64.*using tol=") as caught:
        floored = min_gap(bqm, solver="davidson", tol=1e-30)
    assert caught[0].filename == __file__
    assert 1e-14 < floored.tol < 1e-11
    assert floored.min_gap == pytest.approx(min_gap(bqm, solver="dense", tol=1e-10).min_gap, abs=1e-10)


@pytest.mark.parametrize(("s_grid", "error", "words"), [
    (33.0, InvalidArgumentError, "a number of points must be an int"),
    (np.array(33.0), InvalidArgumentError, "a number of points must be an int"),
    ("17", InvalidTypeError, "not text"),
    ([0.5, "x"], InvalidTypeError, "expected int or float numbers"),
    ([True, 0.5], InvalidTypeError, "bools"),
])
def test_a_bad_s_grid_is_named_with_both_of_its_forms(s_grid, error, words):
    with pytest.raises(error, match=words) as caught:
        min_gap(flip_symmetric_qubo(5, 0), s_grid=s_grid)
    assert str(caught.value).startswith("s_grid") and "s_grid=17 (a number of points)" in str(caught.value)
