"""Gap points: the cubic Hermite estimate between two of them, and the profile grid."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.interpolate import CubicHermiteSpline

from hybridxai.anneal.gap_points import GapPoint, hermite_minimum, interval_dip, interval_error, profile_grid
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


def test_interval_error_and_hermite_minimum_are_those_of_the_cubic():
    a = GapPoint(0.2, 0.5, -3.0, 0.0, 0.0, 0.0, 0.5)
    b = GapPoint(0.6, 0.4, 2.0, 0.0, 0.0, 0.0, 0.4)
    spline = CubicHermiteSpline([a.s, b.s], [a.gap, b.gap], [a.slope, b.slope])
    grid = np.linspace(a.s, b.s, 100_001)
    chord = np.interp(grid, [a.s, b.s], [a.gap, b.gap])
    assert interval_error(a, b) == pytest.approx(np.abs(spline(grid) - chord).max(), rel=1e-8)
    s_min, value = hermite_minimum(a, b)
    assert value == pytest.approx(spline(grid).min(), abs=1e-12)
    assert s_min == pytest.approx(grid[np.argmin(spline(grid))], abs=1e-5)
    # one slope unknown: the quadratic through it; none: unknown (infinite)
    nan = GapPoint(0.6, 0.4, float("nan"), 0.0, 0.0, 0.0, 0.4)
    assert interval_error(a, nan) == pytest.approx(0.1 * abs(-3.0 - (0.4 - 0.5) / 0.4))
    assert interval_error(GapPoint(0.2, 0.5, float("nan"), 0, 0, 0, 0.5), nan) == float("inf")


finite = st.floats(-5.0, 5.0, allow_nan=False)


@given(st.floats(0.0, 0.8), st.floats(0.05, 0.2), st.floats(0.01, 2.0), st.floats(0.01, 2.0),
       finite, finite)
@example(0.2, 0.1, 1.0, 1.0, 0.0, 0.0)  # a constant gap: scipy reports NaN roots of its derivative
def test_estimates_are_exact_for_any_cubic(a_s, h, a_gap, b_gap, a_slope, b_slope):
    # Δ a cubic on [a, b]: the Hermite interpolant is Δ itself, so the estimate of the line's
    # largest error is exact (at least its value at the middle, and the largest on a fine grid),
    # and the minimum is the cubic's minimum on a fine grid
    a = GapPoint(a_s, a_gap, a_slope, 0.0, 0.0, 0.0, a_gap)
    b = GapPoint(a_s + h, b_gap, b_slope, 0.0, 0.0, 0.0, b_gap)
    cubic = CubicHermiteSpline([a.s, b.s], [a.gap, b.gap], [a.slope, b.slope])
    grid = np.linspace(a.s, b.s, 20_001)
    chord = np.interp(grid, [a.s, b.s], [a.gap, b.gap])
    largest = float(np.abs(cubic(grid) - chord).max())
    middle = 0.5 * (a.s + b.s)
    assert interval_error(a, b) >= abs(cubic(middle) - 0.5 * (a.gap + b.gap)) - 1e-12
    assert interval_error(a, b) == pytest.approx(largest, rel=1e-6, abs=1e-12)
    s_min, value = hermite_minimum(a, b)
    assert a.s <= s_min <= b.s
    assert value <= cubic(grid).min() + 1e-12
    assert value == pytest.approx(float(cubic(s_min)), abs=1e-12)
    assert math.isfinite(value)


def test_profile_grid_midpoints_and_explicit_values():
    assert profile_grid(4).tolist() == [0.125, 0.375, 0.625, 0.875]
    assert profile_grid(s=[0.7, 0.2, 0.7]).tolist() == [0.2, 0.7]


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"num_points": 1}, InvalidArgumentError, "num_points"),
    ({"num_points": 2.5}, InvalidTypeError, "num_points"),
    ({"s": []}, InvalidArgumentError, "s"),
    ({"s": [0.0, 0.5]}, InvalidArgumentError, "s"),
    ({"s": [0.5, 1.2]}, InvalidArgumentError, "s"),
])
def test_bad_grids_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        profile_grid(**kwargs)


def test_bad_values_name_the_argument_they_came_in():
    with pytest.raises(InvalidArgumentError, match="starts=1.5"):
        profile_grid(s=[0.5, 1.5], name="starts")


@pytest.mark.parametrize("s", ["abc", "0.5", b"0.5", ["0.25", "0.5"], [0.5, "x"], [True, 0.5]])
def test_text_is_refused_as_s_and_named(s):
    # "abc" raised numpy's bare ValueError, "0.5" was silently read as a number (a user trial)
    with pytest.raises(InvalidTypeError, match=r"^s has type .*expected int or float numbers"):
        profile_grid(s=s)


def test_interval_dip_tells_a_branch_switch_a_v_and_a_monotone_piece_apart():
    def point(s, gap, slope, error=0.0, slope_error=0.0):
        return GapPoint(s, gap, slope, slope_error, error, 0.0, gap)

    # both rising, the right one lower: another branch between, down to b's tangent at a
    bound, where, switch = interval_dip(point(0.4, 1.5, 3.0), point(0.5, 1.0, 2.0))
    assert switch and where == pytest.approx(0.45) and bound == pytest.approx(0.8)
    # a V: the tangents meet at its tip
    bound, where, switch = interval_dip(point(0.4, 1.2, -2.0), point(0.6, 1.1, 1.0))
    assert not switch and where == pytest.approx(0.5) and bound == pytest.approx(1.0)
    # convex and rising, concave: no dip below the lower end
    for a, b in ((point(0.4, 1.5, 0.5), point(0.5, 1.6, 2.0)), (point(0.4, 1.5, 3.0), point(0.5, 1.75, 2.0))):
        bound, where, switch = interval_dip(a, b)
        assert math.isnan(where) and bound == 1.5 and not switch
    # errors large enough to explain the mismatch: no switch; exact, there is one
    a, b = point(0.4, 1.5, 3.0, error=0.3), point(0.5, 1.25, 2.0, error=0.3)
    assert not interval_dip(a, b)[2] and interval_dip(a, b, errors=False)[2]
    # a straight arm: its chord is its slope, to rounding, which is no switch
    arm = [point(s, 0.1 + 77.2 * (0.5 - s), -77.2) for s in (0.5141160488128662, 0.514116169150355)]
    assert not interval_dip(*arm, errors=False)[2]
    # an unknown slope: nothing to say
    assert math.isnan(interval_dip(point(0.4, 1.5, math.nan), point(0.5, 1.0, 2.0))[1])
