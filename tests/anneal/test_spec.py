"""The shared annealing specification: the ground manifold of ``H_P`` in any units."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai.analysis import flip_symmetric_qubo, random_feature_qubo
from hybridxai.anneal.gap_profile import compute_gap_profile, ground_degeneracy
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.spec import ground_fidelity, ground_tolerance


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 8), st.integers(0, 10_000), st.integers(-12, 8), st.booleans())
def test_the_ground_manifold_does_not_depend_on_the_units(d: int, seed: int, exponent: int,
                                                           symmetric: bool) -> None:
    # a QUBO whose couplings are in other units (×10^k) is the same problem: the same states
    # are ground states (the old absolute 1e-9 merged 70 states of a QUBO scaled by 1e-8)
    bqm = flip_symmetric_qubo(d, seed) if symmetric else random_feature_qubo(d, seed=seed)
    energies = basis_energies(dense_qubo(bqm))
    scaled = energies * 10.0**exponent
    ground = ground_fidelity(np.zeros_like(energies), energies)[2]
    assert ground_fidelity(np.zeros_like(scaled), scaled)[2].tolist() == ground.tolist()
    assert ground.size == (2 if symmetric else 1)
    assert ground_tolerance(scaled) >= 1e-12 * np.abs(scaled).max()


def test_rounding_of_equal_energies_still_counts_as_equal() -> None:
    # a large offset: equal energies summed in another order differ in their last bits
    energies = 1e6 + np.array([0.25, 0.25 + 2e-10, 1.0, 3.0])
    assert ground_fidelity(np.full(4, 0.25), energies)[2].tolist() == [0, 1]


def test_a_profile_sees_two_ground_states_at_any_scale() -> None:
    for scale in (1e-9, 1e-8, 1.0, 1e6):
        bqm = flip_symmetric_qubo(6, 3)
        bqm.scale(scale)
        assert ground_degeneracy(basis_energies(dense_qubo(bqm))) == 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the solver notes on a flip-symmetric problem
            profile = compute_gap_profile(bqm, adaptive=True, matrix_elements=False, progress=False)
        assert profile.degeneracy == 2
