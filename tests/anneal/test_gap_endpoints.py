"""Exact end points of the gap and their slopes against dense finite differences."""

import math

import numpy as np
import pytest

from hybridxai.analysis import random_feature_qubo
from hybridxai.anneal.gap_endpoints import exact_end_points, slope_at_one, slope_at_zero
from hybridxai.anneal.gap_profile import ground_degeneracy
from hybridxai.anneal.operators import AnnealingOperator
from tests.analysis._reference import dense_hamiltonian, reference_gap
from tests.anneal.test_gap_profile import z2_symmetric_bqm


@pytest.mark.parametrize("bqm", [random_feature_qubo(5, 2), random_feature_qubo(6, 0),
                                 z2_symmetric_bqm(5, 1)], ids=["paper-5", "paper-6", "z2-5"])
def test_end_points_are_exact_and_slopes_match_finite_differences(bqm):
    op = AnnealingOperator.from_bqm(bqm, "unit")
    g = ground_degeneracy(op.diagonal)
    start, end = exact_end_points(bqm, op, g, g)
    assert start.gap == pytest.approx(reference_gap(bqm, 0.0), abs=1e-12)
    assert end.gap == pytest.approx(reference_gap(bqm, 1.0), abs=1e-12)
    # one-sided differences, Richardson-extrapolated (the gap can curve sharply near s = 1)
    h = 1e-5
    at_zero = [(reference_gap(bqm, x) - start.gap) / x for x in (h, h / 2)]
    at_one = [(end.gap - reference_gap(bqm, 1.0 - x)) / x for x in (h, h / 2)]
    assert start.slope == pytest.approx(2 * at_zero[1] - at_zero[0], abs=1e-5)
    assert end.slope == pytest.approx(2 * at_one[1] - at_one[0], abs=1e-5)
    assert slope_at_one(op) == end.slope and slope_at_zero(bqm, op, g) == start.slope


def test_lowest_two_of_a_degenerate_problem_has_no_slope_at_one():
    bqm = z2_symmetric_bqm(5, 1)
    op = AnnealingOperator.from_bqm(bqm, "unit")
    start, end = exact_end_points(bqm, op, 1, ground_degeneracy(op.diagonal))
    w = np.linalg.eigvalsh(dense_hamiltonian(bqm, 0.0))
    assert start.gap == pytest.approx(w[1] - w[0]) and end.gap == 0.0 and end.eg == end.e0
    assert math.isnan(end.slope) and math.isfinite(start.slope)


def test_a_level_above_the_single_flips_has_no_slope_at_zero():
    bqm = random_feature_qubo(3, 0)
    op = AnnealingOperator.from_bqm(bqm, "unit")
    assert math.isnan(slope_at_zero(bqm, op, 4))
