"""certify(): proven optima equal brute force, bounds are valid, limits and errors."""

from __future__ import annotations

import math
import time
import warnings

import dimod
import numpy as np
import pytest

import hybridxai.backends.certified.branch_and_bound as certify_module
from hybridxai import build_qubo
from hybridxai.analysis.instances import random_feature_qubo
from hybridxai.anneal.qubo import FeatureQubo
from hybridxai.backends.certified.branch_and_bound import Certificate, certify
from hybridxai.backends.certified.sampler import CertifiedSampler
from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from tests.conftest import random_bqm


def relu_qubo(d: int, seed: int, beta: float = 0.7) -> dimod.BinaryQuadraticModel:
    """A QUBO on non-negative (post-ReLU) 7×7 maps sharing a common component (J + I is PSD)."""
    return random_feature_qubo(d, seed, beta=beta, pixels=49)


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
    if isinstance(qubo, FeatureQubo):  # a FeatureQubo is accepted as is
        check_against_brute_force(qubo.bqm, cert)
        assert set(cert.best_sample) == set(qubo.channels)
        assert qubo.energy(cert.best_sample) == pytest.approx(cert.best_energy, abs=1e-9)
    else:
        check_against_brute_force(qubo, cert)


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
    bqm = relu_qubo(300, 7, beta=0.99)
    cert = certify(bqm, time_limit=60)
    assert cert.optimal and cert.status == "optimal"
    assert cert.info["shift"] == pytest.approx(0.01, rel=1e-6)   # mu = 1 - beta for a Gram matrix
    # the relaxation is nearly tight on this structure (module docstring): the root bound is
    # within 0.01 % of the optimum and the tree stays tiny, far from 2**300
    root = cert.info["root_bound"]
    assert root <= cert.best_energy
    assert cert.best_energy - root <= 1e-4 * abs(cert.best_energy)
    assert cert.nodes <= 200
    sa = SimulatedAnnealingSampler(seed=0).sample(bqm)
    assert cert.lower_bound <= sa.record.energy.min() + 1e-9
    assert cert.best_energy <= sa.first.energy + 1e-9
    assert cert.certified_gap(sa.first.energy) >= -1e-9


def test_lower_bound_is_below_every_sample_when_the_time_limit_stops_the_search():
    bqm = random_bqm(60, 11)
    cert = certify(bqm, time_limit=0.5)
    assert cert.status == "time_limit" and not cert.optimal
    assert cert.gap > 0 and cert.info["open_nodes"] > 0
    samples = SimulatedAnnealingSampler(seed=1).sample(bqm, num_reads=50)
    assert cert.lower_bound <= samples.record.energy.min()
    assert cert.lower_bound <= cert.best_energy
    assert bqm.energy(cert.best_sample) == pytest.approx(cert.best_energy)
    scale, offset = cert.info["scale"], cert.info["offset"]
    assert cert.relative_gap == pytest.approx(cert.gap / max(scale, abs(cert.best_energy - offset)))
    assert cert.relative_gap > cert.info["tolerance"]   # optimal and relative_gap agree


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
@pytest.mark.parametrize("d", [12, 15, 18])
def test_bounds_of_an_early_stopped_search_bracket_the_true_minimum(d, vartype):
    # stopped long before the proof: the bound must still be below the true minimum (brute
    # force) and the best sample's energy above it, on several instances and node budgets
    stopped = 0
    for seed in range(4):
        bqm = random_bqm(d, 100 * d + seed, vartype)
        minimum = float(dimod.ExactSolver().sample(bqm).record.energy.min())
        for max_nodes in (1, 3, 12):
            cert = certify(bqm, max_nodes=max_nodes)
            assert cert.nodes <= max_nodes
            if cert.status == "node_limit":
                assert cert.nodes == max_nodes and cert.info["open_nodes"] > 0 and not cert.optimal
                stopped += 1
            else:  # proven within the node budget
                assert cert.optimal and cert.best_energy == pytest.approx(minimum, abs=1e-9)
            assert cert.lower_bound <= minimum + 1e-9
            assert cert.best_energy >= minimum - 1e-9
            assert bqm.energy(cert.best_sample) == pytest.approx(cert.best_energy, abs=1e-9)
    assert stopped >= 8   # the limit did stop most searches (random signs need many nodes)


def test_tiny_time_limit_still_gives_a_valid_bracket():
    for seed in range(5):
        bqm = random_bqm(16, 700 + seed, "SPIN")
        minimum = float(dimod.ExactSolver().sample(bqm).record.energy.min())
        cert = certify(bqm, time_limit=1e-6)
        assert cert.status == "time_limit" and not cert.optimal
        assert cert.lower_bound <= minimum + 1e-9 <= cert.best_energy + 2e-9


def test_more_nodes_never_weaken_the_bound():
    bqm = random_bqm(18, 5)
    bounds = [certify(bqm, max_nodes=n).lower_bound for n in (1, 4, 16, 64)]
    assert all(a <= b + 1e-9 for a, b in zip(bounds, bounds[1:], strict=False))


def test_max_nodes_is_deterministic():
    bqm = random_bqm(80, 12)
    first, second = certify(bqm, max_nodes=25), certify(bqm, max_nodes=25)
    assert first.status == second.status == "node_limit" and first.nodes == second.nodes == 25
    assert (first.lower_bound, first.best_energy, first.best_sample) == (
        second.lower_bound, second.best_energy, second.best_sample)
    assert first.info["max_nodes"] == 25


@pytest.mark.parametrize("limit", [0.05, 0.4])
def test_time_limit_is_respected(limit):
    bqm = random_bqm(80, 12)
    t0 = time.perf_counter()
    cert = certify(bqm, time_limit=limit)
    elapsed = time.perf_counter() - t0
    assert cert.status == "time_limit"
    assert cert.solve_time <= elapsed
    # the limit is checked between QP iterations (milliseconds here); the bound is generous so
    # a loaded CI machine cannot fail it -- the precise stop is tested with max_nodes above
    assert elapsed < limit + 5.0
    assert math.isfinite(cert.lower_bound)


def _rounding_edge_model(tolerance: float) -> tuple[dimod.BinaryQuadraticModel, float]:
    """A model with largest bias 1, no offset and optimum x = (1, 1) of energy E < -1, where a bound
    exactly at the pruning threshold leaves ``E - b > slack`` in float64."""
    x = np.ones(2)
    for q in np.linspace(0.01, 0.49, 1001):
        q = float(q)
        W = np.array([[0.0, q], [q, 0.0]])
        energy = float(0.5 * x @ W @ x + np.array([-1.0, -1.0]) @ x)   # certify's own arithmetic
        slack = tolerance * max(1.0, abs(energy))
        if energy - (energy - slack) > slack:
            return dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): q}, 0.0, "BINARY"), energy
    raise AssertionError("no rounding edge case found")


def test_a_drained_tree_is_optimal_even_when_rounding_widens_the_gap(monkeypatch):
    # Regression: nodes are closed when bound >= incumbent - slack(incumbent), and the final
    # check recomputed gap <= slack(best) in float64; at the threshold the subtraction rounds
    # up, so a finished search reported status="optimal" with optimal=False and the certified
    # backend warned it had "stopped at time_limit". Make the root QP return a bound exactly at
    # the threshold below the optimum (the search runs on the model divided by its largest
    # bias, 1 here, without offset, so the patched bound is in the model's own units).
    tolerance = 1e-12
    bqm, energy = _rounding_edge_model(tolerance)
    threshold = energy - tolerance * max(1.0, abs(energy))

    def root_qp(H, g, lo, hi, x0, deadline, max_iter=100):
        return np.ones_like(x0), threshold

    monkeypatch.setattr(certify_module, "_box_qp", root_qp)
    cert = certify(bqm, tolerance=tolerance)
    assert cert.info["scale"] == 1.0 and cert.info["offset"] == 0.0
    assert cert.best_energy == energy and cert.lower_bound == threshold
    assert cert.gap > tolerance * max(1.0, abs(cert.best_energy))   # the rounding edge case
    assert cert.status == "optimal" and cert.optimal and cert.nodes == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no OptimalityNotProvenWarning
        result = CertifiedSampler(tolerance=tolerance).sample(bqm)
    assert result.info["optimal"] and result.info["status"] == "optimal"


def test_optimal_agrees_with_the_relative_gap():
    for seed in range(6):
        bqm = random_bqm(14, 300 + seed)
        bqm.offset += 50.0   # the offset does not enter the tolerance (S7)
        minimum = float(dimod.ExactSolver().sample(bqm).record.energy.min())
        for tolerance in (1e-12, 1e-3, 0.2, 0.9):
            cert = certify(bqm, tolerance=tolerance)
            assert cert.status == "optimal" and cert.optimal
            assert cert.relative_gap <= tolerance * (1 + 1e-9)
            assert cert.lower_bound <= minimum + 1e-9 <= cert.best_energy + 2e-9


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


@pytest.mark.parametrize("bad", [-1.0, 0.0, 1.0, 5.0, float("nan")])
def test_bad_tolerance_is_refused(bad):
    with pytest.raises(InvalidArgumentError, match=rf"tolerance={bad} is invalid.*Fix:"):
        certify(random_bqm(3, 0), tolerance=bad)


@pytest.mark.parametrize(("bad", "error"), [(0, InvalidArgumentError), (-3, InvalidArgumentError),
                                            (2.5, InvalidTypeError), (True, InvalidTypeError),
                                            ("10", InvalidTypeError)])
def test_bad_max_nodes_is_refused(bad, error):
    with pytest.raises(error, match=r"max_nodes.*Fix: pass a positive integer"):
        certify(random_bqm(3, 0), max_nodes=bad)


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
