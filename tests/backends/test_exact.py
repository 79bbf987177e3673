"""The "exact" backend: enumeration, ground manifold, size limit, dimod conformance."""

from __future__ import annotations

import time
import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

from hybridxai.analysis import flip_symmetric_qubo
from hybridxai.backends.exact import DEFAULT_MAX_VARIABLES, ExactSampler
from hybridxai.exceptions import InvalidArgumentError, ProblemTooLargeError


def test_sampler_api():
    dimod.testing.assert_sampler_api(ExactSampler())


@dimod.testing.load_sampler_bqm_tests(ExactSampler)
class TestExactConformance(unittest.TestCase):
    """dimod's shipped conformance tests on small BQMs (empty, 1 variable, paths)."""


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
@pytest.mark.parametrize(("d", "seed"), [(1, 0), (4, 1), (7, 2), (10, 3)])
def test_ground_states_match_dimod_exact_solver(make_bqm, d, seed, vartype):
    bqm = make_bqm(d, seed, vartype)
    reference = dimod.ExactSolver().sample(bqm)
    ours = ExactSampler().sample(bqm)
    e0 = reference.first.energy
    assert ours.first.energy == pytest.approx(e0)
    assert ours.info["ground_energy"] == pytest.approx(e0)
    assert ours.vartype is bqm.vartype
    assert set(ours.variables) == set(bqm.variables)
    dimod.testing.assert_sampleset_energies(ours, bqm)
    ground = {tuple(sorted(s.items())) for s, e in reference.data(["sample", "energy"])
              if abs(e - e0) < 1e-9}
    got = {tuple(sorted(s.items())) for s in ours.samples()}
    assert got == ground
    assert ours.info["ground_state_degeneracy"] == len(ground)


def test_the_whole_ground_manifold_is_returned():
    # a frustrated triangle: every single and every pair has energy -1 (six ground states)
    bqm = dimod.BinaryQuadraticModel({"a": -1, "b": -1, "c": -1}, {("a", "b"): 1, ("b", "c"): 1,
                                                                   ("a", "c"): 1}, 0, "BINARY")
    result = ExactSampler().sample(bqm)
    assert len(result) == 6
    assert set(result.record.energy.tolist()) == {-1.0}
    assert sorted(int(sum(s.values())) for s in result.samples()) == [1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize("k", [1, 5, 64])
def test_num_states_gives_the_lowest_states_sorted(make_bqm, k):
    bqm = make_bqm(6, 11)
    reference = np.sort(dimod.ExactSolver().sample(bqm).record.energy)
    result = ExactSampler().sample(bqm, num_states=k)
    assert len(result) == min(k, 64)
    np.testing.assert_allclose(result.record.energy, reference[: min(k, 64)])
    dimod.testing.assert_sampleset_energies(result, bqm)


def test_forty_variables_are_refused_at_once(make_bqm):
    bqm = make_bqm(40, 0)
    start = time.perf_counter()
    with pytest.raises(ProblemTooLargeError) as info:
        ExactSampler().sample(bqm)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert "num_variables=40" in message and "Fix:" in message and "max_qubits" in message
    assert isinstance(info.value, ValueError)


def test_the_limit_is_configurable(make_bqm):
    assert ExactSampler().properties["max_variables"] == DEFAULT_MAX_VARIABLES
    with pytest.raises(ProblemTooLargeError):
        ExactSampler(max_variables=3).sample(make_bqm(4, 0))
    assert len(ExactSampler(max_variables=4).sample(make_bqm(4, 0))) >= 1


@pytest.mark.parametrize("bad", [-1, 2.0, True, "24"])
def test_bad_limit(bad):
    with pytest.raises(InvalidArgumentError, match=r"max_variables=.*Fix:"):
        ExactSampler(max_variables=bad)


def test_unknown_options_and_bad_num_states_are_rejected(make_bqm):
    bqm = make_bqm(3, 0)
    with pytest.raises(InvalidArgumentError) as info:
        ExactSampler().sample(bqm, num_reads=10)
    assert "num_reads" in str(info.value) and "Fix:" in str(info.value)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(InvalidArgumentError, match=r"num_states=.*Fix:"):
            ExactSampler().sample(bqm, num_states=bad)


def test_info_carries_timing_in_ns(make_bqm):
    info = ExactSampler().sample(make_bqm(5, 2)).info
    assert info["num_variables"] == 5
    assert set(info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}
    assert all(isinstance(v, int) and v >= 0 for v in info["timing"].values())


def test_empty_model_returns_its_offset():
    result = ExactSampler().sample(dimod.BinaryQuadraticModel({}, {}, 2.5, "BINARY"))
    assert len(result) == 1 and result.first.energy == 2.5 and len(result.variables) == 0


@pytest.mark.parametrize("scale", [1e-9, 1e-8, 1.0, 1e6])
def test_ground_manifold_is_the_same_in_any_units(scale):
    # couplings of order 1e-9 are the same problem: its two flip-degenerate ground states,
    # not every state within an absolute 1e-9 (docs/benchmarks.md, fifteenth round)
    bqm = flip_symmetric_qubo(6, 3)
    bqm.scale(scale)
    sampleset = ExactSampler().sample(bqm)
    assert sampleset.info["ground_state_degeneracy"] == 2
    reference = dimod.ExactSolver().sample(bqm).lowest(atol=0.0, rtol=1e-6)
    assert len(sampleset) == len(reference) == 2
