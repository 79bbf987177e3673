"""The "sa" backend: dwave-samplers SA with polishing; seeds, options, agreement with exact."""

from __future__ import annotations

import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

from hybridxai.anneal.qubo import build_qubo
from hybridxai.backends.exact import ExactSampler
from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler
from hybridxai.exceptions import InvalidArgumentError


def test_sampler_api():
    dimod.testing.assert_sampler_api(SimulatedAnnealingSampler())


@dimod.testing.load_sampler_bqm_tests(lambda: SimulatedAnnealingSampler(num_reads=3, seed=0))
class TestSAConformance(unittest.TestCase):
    """dimod's shipped conformance tests on small BQMs (empty, 1 variable, paths)."""


@pytest.mark.filterwarnings("ignore:All bqm biases are zero")
@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_same_seed_same_samples(make_bqm, vartype):
    bqm = make_bqm(12, 3, vartype)
    first = SimulatedAnnealingSampler(seed=42).sample(bqm, num_reads=8)
    again = SimulatedAnnealingSampler().sample(bqm, num_reads=8, seed=42)
    assert first.info["seed"] == again.info["seed"] == 42
    np.testing.assert_array_equal(first.record.sample, again.record.sample)
    np.testing.assert_allclose(first.record.energy, again.record.energy)
    assert list(first.variables) == list(again.variables)


def test_a_drawn_seed_is_recorded_and_reproduces_the_run(make_bqm):
    bqm = make_bqm(10, 4)
    first = SimulatedAnnealingSampler(polish=False).sample(bqm, num_reads=5, num_sweeps=50)
    seed = first.info["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**32
    again = SimulatedAnnealingSampler(polish=False).sample(bqm, num_reads=5, num_sweeps=50, seed=seed)
    np.testing.assert_array_equal(first.record.sample, again.record.sample)


@pytest.mark.parametrize(("d", "seed"), [(4, 0), (8, 1), (11, 2), (14, 3), (14, 4)])
def test_sa_finds_the_exact_ground_energy_of_random_bqms(make_bqm, d, seed):
    bqm = make_bqm(d, seed)
    sa = SimulatedAnnealingSampler(seed=seed, num_reads=20).sample(bqm)
    exact = ExactSampler().sample(bqm)
    assert sa.first.energy == pytest.approx(exact.first.energy, abs=1e-9)
    dimod.testing.assert_sampleset_energies(sa, bqm)


@pytest.mark.parametrize("seed", range(5))
def test_sa_and_exact_choose_the_same_feature_maps(seed):
    rng = np.random.default_rng(100 + seed)
    K = int(rng.integers(10, 20))
    acts = rng.random((K, 5, 5))
    grads = rng.normal(size=(K, 5, 5)) + 0.1
    qubo = build_qubo(acts, grads, beta=float(rng.uniform(0.3, 0.9)), max_qubits=14)
    assert 2 <= qubo.num_variables <= 14
    exact = ExactSampler().sample(qubo.bqm)
    sa = SimulatedAnnealingSampler(seed=seed, num_reads=20).sample(qubo.bqm)
    assert sa.first.energy == pytest.approx(exact.first.energy, abs=1e-9)
    if exact.info["ground_state_degeneracy"] == 1:
        assert qubo.interpret(sa) == qubo.interpret(exact)
    assert qubo.energy(qubo.interpret(sa)) == pytest.approx(exact.first.energy, abs=1e-9)


@pytest.mark.parametrize("engine", ["numba", "dwave"])
def test_polishing_never_raises_the_energy(make_bqm, engine):
    bqm = make_bqm(14, 9)
    raw = SimulatedAnnealingSampler(seed=1, polish=False, engine=engine).sample(
        bqm, num_reads=10, num_sweeps=3)
    polished = SimulatedAnnealingSampler(seed=1, engine=engine).sample(bqm, num_reads=10, num_sweeps=3)
    assert raw.info["polished"] is False and polished.info["polished"] is True
    assert polished.first.energy <= raw.first.energy + 1e-12
    assert len(polished) == len(raw) == 10
    dimod.testing.assert_sampleset_energies(polished, bqm)
    # every polished read is a local minimum: no single flip lowers it
    for sample, energy in polished.data(["sample", "energy"]):
        for v in bqm.variables:
            flipped = dict(sample)
            flipped[v] = (1 - sample[v]) if bqm.vartype is dimod.BINARY else -sample[v]
            assert bqm.energy(flipped) >= energy - 1e-9


@pytest.mark.parametrize("engine", ["numba", "dwave"])
def test_both_engines_honour_the_seed_and_agree_with_exact(make_bqm, engine):
    bqm = make_bqm(12, 21, "SPIN")
    a = SimulatedAnnealingSampler(engine=engine).sample(bqm, seed=7, num_reads=6)
    b = SimulatedAnnealingSampler(engine=engine).sample(bqm, seed=7, num_reads=6)
    np.testing.assert_array_equal(a.record.sample, b.record.sample)
    assert a.info["engine"] == engine and a.vartype is dimod.SPIN
    assert a.first.energy == pytest.approx(ExactSampler().sample(bqm).first.energy, abs=1e-9)


def test_info_has_the_run_settings(make_bqm):
    info = SimulatedAnnealingSampler(seed=3).sample(make_bqm(5, 0), num_reads=4).info
    assert info["seed"] == 3 and info["num_reads"] == 4 and info["polished"] is True
    hot, cold = info["beta_range"]
    assert 0 < hot <= cold
    assert info["timing"] and all(key.endswith("_ns") for key in info["timing"])


def test_parameters_and_properties():
    sampler = SimulatedAnnealingSampler()
    for name in ("num_reads", "seed", "num_sweeps", "beta_range", "polish", "engine"):
        assert name in sampler.parameters
    assert isinstance(sampler.properties, dict)


def test_unknown_options_are_rejected_with_the_known_ones(make_bqm):
    with pytest.raises(InvalidArgumentError) as info:
        SimulatedAnnealingSampler().sample(make_bqm(3, 0), total_time=10)
    message = str(info.value)
    assert "total_time" in message and "num_sweeps" in message and "Fix:" in message
    with pytest.raises(TypeError, match="num_sweep"):
        SimulatedAnnealingSampler(num_sweep=100)


@pytest.mark.parametrize(("kwargs", "name"), [({"engine": "gpu"}, "engine="),
                                              ({"seed": -1}, "seed="), ({"seed": 2**32}, "seed="),
                                              ({"beta_range": (2.0, 1.0)}, "beta_range="),
                                              ({"beta_range": "hot"}, "beta_range="),
                                              ({"num_sweeps": 0}, "num_sweeps=")])
def test_bad_settings_name_argument_and_fix(make_bqm, kwargs, name):
    with pytest.raises(InvalidArgumentError) as info:
        SimulatedAnnealingSampler(**kwargs)
    assert name in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InvalidArgumentError):
        SimulatedAnnealingSampler().sample(make_bqm(3, 0), **kwargs)


def test_initial_states_are_used(make_bqm):
    bqm = make_bqm(6, 2)
    start = ExactSampler().sample(bqm)
    state = np.array([[start.first.sample[v] for v in bqm.variables]])
    # zero-temperature-like short run from the ground state stays there
    result = SimulatedAnnealingSampler(seed=0).sample(bqm, num_reads=2, num_sweeps=1,
                                                      beta_range=(1e6, 1e6), initial_states=state)
    assert result.first.energy == pytest.approx(start.first.energy)
    with pytest.raises(InvalidArgumentError, match=r"initial_states=.*Fix:"):
        SimulatedAnnealingSampler().sample(bqm, initial_states=np.zeros((2, 5)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_num_reads(make_bqm, bad):
    with pytest.raises(InvalidArgumentError, match=r"num_reads=.*Fix:"):
        SimulatedAnnealingSampler().sample(make_bqm(3, 0), num_reads=bad)


def test_none_valued_options_fall_back_to_defaults(make_bqm):
    result = SimulatedAnnealingSampler(num_reads=3, seed=8).sample(make_bqm(4, 1), num_reads=None,
                                                                   seed=None)
    assert len(result) == 3 and result.info["seed"] == 8
