"""The "statevector" backend: the native annealer against dense and sparse references."""

from __future__ import annotations

import time
import unittest
from functools import reduce

import dimod
import dimod.testing
import numpy as np
import pytest
import scipy.sparse
from scipy.linalg import expm
from scipy.sparse.linalg import expm_multiply

from hybridxai.anneal import evolution as sv
from hybridxai.anneal.evolution import driver_problem_sequence, evolve_numba, evolve_numpy
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.schedules import as_schedule, trotter_layers
from hybridxai.backends.registry import get_sampler
from hybridxai.backends.statevector import StatevectorAnnealingSampler
from hybridxai.exceptions import (
    InvalidArgumentError,
    InvalidTypeError,
    MissingDependencyError,
    ProblemTooLargeError,
)

X = np.array([[0.0, 1.0], [1.0, 0.0]])
I2 = np.eye(2)


def dense_driver(d: int) -> np.ndarray:
    """``-Σ X_i`` as a dense matrix, qubit 0 the least significant bit (rightmost factor)."""
    total = np.zeros((2**d, 2**d))
    for i in range(d):
        total -= reduce(np.kron, [X if q == i else I2 for q in reversed(range(d))], np.eye(1))
    return total


def dense_reference(bqm, total_time, num_steps, schedule=None, order=1, driver_scale=1.0):
    """Design.md §1.7 with scipy.linalg.expm of every factor (dense H_P and -c·ΣX)."""
    d = len(bqm.variables)
    hp = np.diag(basis_energies(bqm)).astype(complex)
    hd = driver_scale * dense_driver(d)
    sched = as_schedule(schedule)
    dt = total_time / num_steps
    psi = np.full(2**d, 2 ** (-d / 2), dtype=complex)
    for k in range(num_steps):
        s = float(sched((k + 0.5) / num_steps))
        problem = expm(-1j * s * dt * hp)
        if order == 1:
            psi = problem @ (expm(-1j * (1 - s) * dt * hd) @ psi)
        else:
            half = expm(-0.5j * (1 - s) * dt * hd)
            psi = half @ (problem @ (half @ psi))
    return psi


def piecewise_constant(bqm, total_time, num_steps):
    """The paper's method: ``expm_multiply`` over steps ``dt`` with ``H(s_k)`` held constant."""
    d = len(bqm.variables)
    hp = scipy.sparse.diags(basis_energies(bqm)).tocsr()
    hd = scipy.sparse.csr_matrix(dense_driver(d))
    dt = total_time / num_steps
    psi = np.full(2**d, 2 ** (-d / 2), dtype=complex)
    for k in range(num_steps):
        s = (k + 0.5) / num_steps
        psi = expm_multiply(-1j * dt * ((1 - s) * hd + s * hp), psi)
    return psi


def quick_sampler() -> StatevectorAnnealingSampler:
    """A cheap sampler for the dimod conformance tests (a fresh one per test)."""
    return StatevectorAnnealingSampler(total_time=1.0, num_steps=4, seed=7)


@dimod.testing.load_sampler_bqm_tests(quick_sampler)
class TestStatevectorConformance(unittest.TestCase):
    """dimod's generated tests: empty, 1-variable and path BQMs, SPIN and BINARY, offsets."""

    def test_sampler_api(self):
        dimod.testing.assert_sampler_api(StatevectorAnnealingSampler())

    def test_sampler_api_numpy_engine(self):
        dimod.testing.assert_sampler_api(StatevectorAnnealingSampler(engine="numpy"))


# -- exactness -----------------------------------------------------------------------------------
@pytest.mark.parametrize("d", range(1, 9))
@pytest.mark.parametrize("order", [1, 2])
def test_final_state_matches_dense_expm_reference(make_bqm, d, order):
    bqm = make_bqm(d, seed=d + 10 * order, vartype="SPIN" if d % 2 else "BINARY")
    expected = dense_reference(bqm, 2.0, 4, order=order)
    for engine in ("numba", "numpy"):
        state = StatevectorAnnealingSampler().final_state(
            bqm, total_time=2.0, num_steps=4, order=order, engine=engine)
        assert state.dtype == np.complex128 and state.shape == (2**d,)
        np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0, err_msg=engine)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_nonlinear_schedule_and_scaled_driver(make_bqm, engine):
    bqm = make_bqm(6, seed=4)

    def schedule(u):
        return np.sin(0.5 * np.pi * np.asarray(u)) ** 2

    sampler = StatevectorAnnealingSampler(driver_scale="1/d")
    state = sampler.final_state(bqm, total_time=3.0, num_steps=7, schedule=schedule, order=2,
                                engine=engine)
    expected = dense_reference(bqm, 3.0, 7, schedule, order=2, driver_scale=1 / 6)
    np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)


@pytest.mark.parametrize("order", [1, 2])
def test_coarse_steps_with_large_driver_angles(make_bqm, order):
    # θ = (1 - s)·dt > π/4 for most steps: exercises the cot form of the driver kernel
    bqm = make_bqm(5, seed=8)
    state = StatevectorAnnealingSampler().final_state(bqm, total_time=30.0, num_steps=4,
                                                      order=order)
    np.testing.assert_allclose(state, dense_reference(bqm, 30.0, 4, order=order), atol=1e-9,
                               rtol=0)


@pytest.mark.parametrize("d", [3, 9, 13, 14, 16])
@pytest.mark.parametrize("order", [1, 2])
def test_numba_and_numpy_engines_agree(make_bqm, d, order):
    # d >= 13 exercises the two alternating tilings (in place and gathered)
    qubo = dense_qubo(make_bqm(d, seed=d))
    for total_time, num_steps in ((3.0, 6), (40.0, 3)):
        layers = trotter_layers(None, total_time, num_steps, order)
        fast = evolve_numba(qubo, layers)
        reference = evolve_numpy(basis_energies(qubo), layers)
        np.testing.assert_allclose(fast, reference, atol=1e-12, rtol=0)


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_threads_give_identical_states(make_bqm, dtype):
    # 2**18 amplitudes: the smallest size evolved on several threads
    qubo = dense_qubo(make_bqm(18, seed=2))
    layers = trotter_layers(None, 2.0, 4, 2)
    one = evolve_numba(qubo, layers, dtype, threads=1)
    for threads in (2, 3):
        assert np.array_equal(evolve_numba(qubo, layers, dtype, threads=threads), one)
    if dtype == "complex128":
        reference = evolve_numpy(basis_energies(qubo), layers)
        np.testing.assert_allclose(one, reference, atol=1e-12, rtol=0)


@pytest.mark.parametrize("d", [6, 14])
def test_complex64_is_close_to_complex128(make_bqm, d):
    bqm = make_bqm(d, seed=1)
    sampler = StatevectorAnnealingSampler(total_time=5.0, num_steps=200)
    double = sampler.final_state(bqm)
    single = sampler.final_state(bqm, dtype="complex64")
    assert single.dtype == np.complex64
    np.testing.assert_allclose(single, double, atol=1e-5, rtol=0)
    numpy_single = sampler.final_state(bqm, dtype="complex64", engine="numpy")
    np.testing.assert_allclose(numpy_single, double, atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype, tol", [("complex128", 1e-12), ("complex64", 1e-5)])
def test_norm_is_conserved(make_bqm, dtype, tol):
    state = StatevectorAnnealingSampler().final_state(make_bqm(12, seed=9), total_time=10.0,
                                                      num_steps=1000, order=2, dtype=dtype)
    assert abs(np.linalg.norm(state.astype(np.complex128)) - 1.0) < tol


@pytest.mark.parametrize("order, rate", [(1, 1.8), (2, 3.5)])
def test_converges_to_piecewise_constant_expm_multiply(make_bqm, order, rate):
    # the Trotter splitting error vanishes as O(dt) (order 1) or O(dt²) (order 2)
    bqm = make_bqm(6, seed=5)
    errors = []
    for num_steps in (25, 50, 100, 200):
        state = StatevectorAnnealingSampler().final_state(bqm, total_time=4.0,
                                                          num_steps=num_steps, order=order)
        errors.append(np.linalg.norm(state - piecewise_constant(bqm, 4.0, num_steps)))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all(ratios > rate), (errors, ratios)
    assert errors[-1] < (5e-2 if order == 1 else 1e-4), errors


# -- physics ---------------------------------------------------------------------------------------
def test_long_anneal_on_gapped_instance_reaches_the_ground_state(make_bqm):
    bqm = make_bqm(4, seed=3)
    energies = basis_energies(bqm)
    hd = dense_driver(4)
    gaps = [np.diff(np.linalg.eigvalsh((1 - s) * hd + s * np.diag(energies))[:2])[0]
            for s in np.linspace(0.0, 1.0, 101)]
    assert min(gaps) > 0.5  # the instance is gapped, so T = 40 is adiabatic
    sampleset = StatevectorAnnealingSampler(seed=0).sample(bqm, total_time=40.0, num_steps=2000,
                                                           order=2, num_reads=20)
    assert sampleset.info["fidelity"] > 0.99
    assert sampleset.first.energy == pytest.approx(energies.min())


def test_tiny_anneal_keeps_the_uniform_overlap_with_the_ground_manifold():
    # antiferromagnetic chain: ground states +-+ and -+- (two-fold degenerate)
    bqm = dimod.BinaryQuadraticModel({}, {("a", "b"): 1.0, ("b", "c"): 1.0}, 0.5, "SPIN")
    sampleset = StatevectorAnnealingSampler(seed=0).sample(bqm, total_time=1e-6, num_steps=1)
    energies = basis_energies(bqm)
    ground = np.flatnonzero(np.isclose(energies, energies.min()))
    plus = np.full(8, 8**-0.5)
    expected = sum(abs(plus[g]) ** 2 for g in ground)  # Σ_g |<+^d|g>|²
    assert sampleset.info["ground_state_degeneracy"] == 2
    assert sampleset.info["fidelity"] == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.25)


# -- the sampler -----------------------------------------------------------------------------------
def test_registry_and_info(make_bqm):
    sampler = get_sampler("statevector", total_time=2.0, num_steps=10, seed=3)
    assert isinstance(sampler, StatevectorAnnealingSampler)
    bqm = make_bqm(5, seed=6, vartype="SPIN")
    sampleset = sampler.sample(bqm, dtype="complex64", threads=1)
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    info = sampleset.info
    assert info["backend"] == "statevector"
    assert (info["engine"], info["dtype"], info["threads"]) == ("numba", "complex64", 1)
    assert info["num_steps"] == 10 and info["num_reads"] == 25
    assert set(info["timing"]) >= {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}
    assert np.all(sampleset.record.probability > 0)
    props = sampler.properties
    assert props["backend"] == "statevector" and props["dtype"] == "complex128"
    assert {"dtype", "engine", "threads"} <= set(sampler.parameters)


def test_same_seed_same_samples(make_bqm):
    bqm = make_bqm(6, seed=11)
    sampler = StatevectorAnnealingSampler(total_time=3.0, num_steps=30)
    first = sampler.sample(bqm, seed=42, num_reads=200)
    second = sampler.sample(bqm, seed=42, num_reads=200)
    assert np.array_equal(first.record.sample, second.record.sample)
    assert np.array_equal(first.record.num_occurrences, second.record.num_occurrences)
    assert first.record.num_occurrences.sum() == 200


def test_forty_qubits_are_refused_before_any_allocation():
    labels = [f"fm{i}" for i in range(40)]
    bqm = dimod.BinaryQuadraticModel({v: -1.0 for v in labels},
                                     {(labels[i], labels[i + 1]): 0.5 for i in range(39)},
                                     0.0, "BINARY")
    start = time.perf_counter()
    with pytest.raises(ProblemTooLargeError) as excinfo:
        StatevectorAnnealingSampler().sample(bqm)
    assert time.perf_counter() - start < 2.0
    message = str(excinfo.value)
    assert "num_qubits=40" in message and "TiB" in message  # 2**40 · 41 B = 41 TiB
    assert "Fix:" in message and "max_qubits" in message


def test_invalid_options_name_the_argument():
    bqm = dimod.BinaryQuadraticModel({0: 1.0}, {}, 0.0, "BINARY")
    sampler = StatevectorAnnealingSampler()
    with pytest.raises(InvalidArgumentError, match="dtype"):
        sampler.sample(bqm, dtype="float64")
    with pytest.raises(InvalidArgumentError, match="engine"):
        sampler.sample(bqm, engine="cuda")
    with pytest.raises(InvalidArgumentError, match="threads"):
        sampler.sample(bqm, threads=0)
    with pytest.raises(InvalidTypeError, match="threads"):
        StatevectorAnnealingSampler(threads=1.5)
    with pytest.raises(InvalidArgumentError, match="precision"):
        sampler.sample(bqm, precision="half")  # precision="single"/"double" are valid (issue 19)


def test_numpy_fallback_when_numba_is_missing(monkeypatch, make_bqm):
    monkeypatch.setattr(sv, "numba_available", lambda: False)
    bqm = make_bqm(3, seed=0)
    sampleset = StatevectorAnnealingSampler(total_time=1.0, num_steps=5).sample(bqm)
    assert sampleset.info["engine"] == "numpy"
    with pytest.raises(MissingDependencyError, match="pip install numba"):
        StatevectorAnnealingSampler().sample(bqm, engine="numba")


def test_layer_normalisation_merges_commuting_layers():
    thetas, gammas = driver_problem_sequence(
        [("problem", 0.5), ("problem", 0.25), ("driver", 0.1), ("problem", 1.0)])
    assert thetas == [0.0, 0.1, 0.0] and gammas == [0.75, 1.0]
    qubo = dense_qubo(dimod.BinaryQuadraticModel({0: 1.0, 1: -2.0}, {(0, 1): 0.5}, 0.3, "BINARY"))
    layers = [("driver", 0.2), ("driver", 0.3), ("problem", 0.4), ("problem", 0.1),
              ("driver", 1.2)]
    np.testing.assert_allclose(evolve_numba(qubo, layers), evolve_numpy(basis_energies(qubo),
                                                                        layers), atol=1e-13)
