"""certify(): proven optima equal brute force, bounds are valid, limits and errors."""

from __future__ import annotations

import math
import time

import dimod
import numpy as np
import pytest

from hybridxai import build_qubo
from hybridxai.backends.sa import SimulatedAnnealingSampler
from hybridxai.certify import Certificate, certify
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from tests.conftest import random_bqm


def relu_qubo(d: int, seed: int, beta: float = 0.7):
    """A feature QUBO on non-negative maps sharing a common component (J + I is PSD)."""
    rng = np.random.default_rng(seed)
    maps = np.maximum(rng.normal(size=(d, 7, 7)) + rng.normal(size=(1, 7, 7)), 0.0)
    return build_qubo(maps, rng.normal(size=(d, 7, 7)) + 0.3, beta=beta)


def signed_qubo(d: int, seed: int, beta: float = 0.7):
    """A feature QUBO on signed maps (|cos| is not a shifted Gram matrix)."""
    rng = np.random.default_rng(seed)
    return build_qubo(rng.normal(size=(d, 5, 5)), rng.normal(size=(d, 5, 5)) + 0.3, beta=beta)


def check_against_brute_force(bqm: dimod.BinaryQuadraticModel, cert: Certificate) -> None:
    everything = dimod.ExactSolver().sample(bqm)
    energies = everything.record.energy
    minimum = float(energies.min())
    assert cert.optimal and cert.status == "optimal"
    assert cert.best_energy == pytest.approx(minimum, abs=1e-9)
    assert bqm.energy(cert.best_sample) == pytest.approx(cert.best_energy, abs=1e-9)
    assert set(cert.best_sample) == set(bqm.variables)
    assert set(cert.best_sample.values()) <= set(bqm.vartype.value)
    assert cert.lower_bound <= energies.min() + 1e-12
    assert 0.0 <= cert.gap <= 1e-9 * max(1.0, abs(minimum))


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
@pytest.mark.parametrize(("d", "seed"), [(1, 0), (2, 1), (5, 2), (8, 3), (12, 4), (16, 5)])
def test_random_qubos_match_exact_solver(d, seed, vartype):
    bqm = random_bqm(d, seed, vartype)
    check_against_brute_force(bqm, certify(bqm, time_limit=30))


@pytest.mark.parametrize("make", [relu_qubo, signed_qubo])
@pytest.mark.parametrize(("d", "seed", "beta"), [(6, 0, 0.7), (12, 1, 0.7), (16, 2, 0.99), (16, 3, 0.3)])
def test_feature_qubos_match_exact_solver(make, d, seed, beta):
    qubo = make(d, seed, beta)
    cert = certify(qubo, time_limit=30)
    check_against_brute_force(qubo.bqm, cert)
    assert set(cert.best_sample) == set(qubo.channels)
    assert qubo.energy(cert.best_sample) == pytest.approx(cert.best_energy, abs=1e-9)


def test_ties_and_offsets_are_handled():
    # a frustrated triangle: six ground states at energy -1 (+ offset 2.5)
    bqm = dimod.BinaryQuadraticModel({"a": -1, "b": -1, "c": -1},
                                     {("a", "b"): 1, ("b", "c"): 1, ("a", "c"): 1}, 2.5, "BINARY")
    cert = certify(bqm)
    assert cert.optimal and cert.best_energy == pytest.approx(1.5)
    assert cert.lower_bound == pytest.approx(1.5)


def test_empty_model_is_trivially_optimal():
    cert = certify(dimod.BinaryQuadraticModel({}, {}, 1.25, "SPIN"))
    assert cert.optimal and cert.method == "trivial"
    assert cert.best_energy == cert.lower_bound == 1.25 and cert.best_sample == {}


def test_large_psd_feature_qubo_is_proven_quickly():
    # the structure of real feature-map QUBOs: d = 300 maps of 7×7 after a ReLU, beta = 0.99
    qubo = relu_qubo(300, 7, beta=0.99)
    cert = certify(qubo, time_limit=60)
    assert cert.optimal
    assert cert.info["shift"] == pytest.approx(0.01, rel=1e-6)   # mu = 1 - beta for a Gram matrix
    sa = SimulatedAnnealingSampler(seed=0).sample(qubo.bqm)
    assert cert.lower_bound <= sa.record.energy.min() + 1e-9
    assert cert.best_energy <= sa.first.energy + 1e-9
    assert cert.certified_gap(sa.first.energy) >= -1e-9
    assert cert.info["root_bound"] <= cert.lower_bound + 1e-12


def test_lower_bound_is_below_every_sample_when_the_time_limit_stops_the_search():
    bqm = random_bqm(60, 11)
    cert = certify(bqm, time_limit=0.5)
    assert cert.status == "time_limit" and not cert.optimal
    assert cert.gap > 0 and cert.info["open_nodes"] > 0
    samples = SimulatedAnnealingSampler(seed=1).sample(bqm, num_reads=50)
    assert cert.lower_bound <= samples.record.energy.min()
    assert cert.lower_bound <= cert.best_energy
    assert bqm.energy(cert.best_sample) == pytest.approx(cert.best_energy)
    assert cert.relative_gap == pytest.approx(cert.gap / abs(cert.best_energy))


@pytest.mark.parametrize("limit", [0.05, 0.4])
def test_time_limit_is_respected(limit):
    bqm = random_bqm(80, 12)
    t0 = time.perf_counter()
    cert = certify(bqm, time_limit=limit)
    elapsed = time.perf_counter() - t0
    assert cert.status == "time_limit"
    assert cert.solve_time <= elapsed
    assert elapsed < limit + 0.5   # one QP iteration of slack, generous for a busy machine
    assert math.isfinite(cert.lower_bound)


def test_incumbent_is_used_and_never_made_worse():
    bqm = random_bqm(14, 21, "SPIN")
    ground = dimod.ExactSolver().sample(bqm)
    cert = certify(bqm, incumbent=ground)  # a SampleSet: its best row
    assert cert.optimal and cert.info["incumbent_energy"] == pytest.approx(ground.first.energy)
    as_array = np.array([[ground.first.sample[v] for v in bqm.variables]])
    assert certify(bqm, incumbent=as_array).best_energy == pytest.approx(ground.first.energy)
    worse = {v: 1 for v in bqm.variables}
    limited = certify(bqm, incumbent=worse, time_limit=1e-6)
    assert limited.best_energy <= bqm.energy(worse) + 1e-12


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_non_positive_time_limit_is_refused(bad):
    with pytest.raises(InvalidArgumentError, match=r"time_limit=.* is invalid.*Fix: pass a number of sec"):
        certify(random_bqm(3, 0), time_limit=bad)


@pytest.mark.parametrize("bad", ["10", True, None])
def test_time_limit_of_the_wrong_type_is_refused(bad):
    with pytest.raises(InvalidTypeError, match=r"time_limit has type .*Fix:"):
        certify(random_bqm(3, 0), time_limit=bad)


def test_bad_tolerance_is_refused():
    with pytest.raises(InvalidArgumentError, match=r"tolerance=-1.0 is invalid.*Fix:"):
        certify(random_bqm(3, 0), tolerance=-1.0)


@pytest.mark.parametrize("bad", [{(0, 1): 1.0}, np.eye(3), "qubo", None,
                                 dimod.ConstrainedQuadraticModel()])
def test_non_qubo_input_is_refused(bad):
    with pytest.raises(InvalidTypeError, match=r"problem has type .*BinaryQuadraticModel.*Fix: pass qubo"):
        certify(bad)


def test_non_finite_biases_are_refused():
    bqm = dimod.BinaryQuadraticModel({0: float("nan"), 1: 1.0}, {(0, 1): 1.0}, 0.0, "BINARY")
    with pytest.raises(InvalidArgumentError, match=r"problem=.*NaN or infinite.*Fix:"):
        certify(bqm)


@pytest.mark.parametrize(("incumbent", "problem"), [
    ({0: 1}, "lacks variables"),
    (np.zeros(5), "one value per variable"),
    (np.full(3, 2), "only 0/1"),
    (dimod.SampleSet.from_samples([], "BINARY", energy=[]), "empty"),
])
def test_bad_incumbents_are_refused(incumbent, problem):
    bqm = dimod.BinaryQuadraticModel({0: 1.0, 1: -1.0, 2: 0.5}, {(0, 1): 1.0}, 0.0, "BINARY")
    with pytest.raises(InvalidArgumentError, match=rf"incumbent=.*{problem}.*Fix:"):
        certify(bqm, incumbent=incumbent)


def test_spin_incumbent_must_be_spins():
    bqm = random_bqm(3, 0, "SPIN")
    with pytest.raises(InvalidArgumentError, match=r"only ±1"):
        certify(bqm, incumbent=np.zeros(3))
