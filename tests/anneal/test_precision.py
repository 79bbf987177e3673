"""``precision="single"`` (complex64) of the native annealer: choice, validation, fidelity bound."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
import scipy.linalg

from hybridxai.anneal.evolution import (
    SINGLE_PRECISION_FIDELITY_BOUND,
    check_precision,
    evolve,
    numba_available,
    precision_of,
    single_precision_fidelity_bound,
    state_dtype,
)
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.schedules import trotter_layers
from hybridxai.anneal.spec import ground_fidelity
from hybridxai.exceptions import InvalidArgumentError

ENGINES = ["numpy"] + (["numba"] if numba_available() else [])


def random_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """Dense N(0, 1) QUBO (the benchmarks' instance family)."""
    rng = np.random.default_rng(seed)
    return dimod.BinaryQuadraticModel(
        {i: float(rng.normal()) for i in range(d)},
        {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)},
        float(rng.normal()), "BINARY")


def fidelity(state: np.ndarray, diagonal: np.ndarray) -> float:
    """Ground-manifold probability, accumulated in float64."""
    p = np.abs(state.astype(np.complex128)) ** 2
    return ground_fidelity(p / p.sum(), diagonal)[0]


def dense_trotter_reference(bqm: dimod.BinaryQuadraticModel, layers) -> np.ndarray:
    """The layers as dense matrix exponentials (scipy.linalg.expm) on ``|+>^d``, complex128."""
    d = bqm.num_variables
    n = 2**d
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    h_d = np.zeros((n, n))
    for q in range(d):  # little-endian: qubit q is bit q of the basis index
        h_d -= np.kron(np.kron(np.eye(2 ** (d - 1 - q)), x), np.eye(2**q))
    diagonal = basis_energies(dense_qubo(bqm))
    psi = np.full(n, 2 ** (-d / 2), dtype=np.complex128)
    for kind, coeff in layers:
        if kind == "driver":
            psi = scipy.linalg.expm(-1j * coeff * h_d) @ psi
        else:
            psi = np.exp(-1j * coeff * diagonal) * psi
    return psi


def test_precision_names_the_dtype():
    assert check_precision("single") == "single" and check_precision("double") == "double"
    assert state_dtype(precision="single") == "complex64"
    assert state_dtype(precision="double") == "complex128"
    assert precision_of("complex64") == "single" and precision_of(np.complex128) == "double"


@pytest.mark.parametrize("bad", ["half", "float32", 32, None, "Single"])
def test_unknown_precision_is_an_error_naming_the_argument(bad):
    with pytest.raises(InvalidArgumentError, match="precision") as info:
        check_precision(bad)
    assert "'double' or 'single'" in str(info.value)


def test_bound_grows_with_the_steps():
    assert single_precision_fidelity_bound(10) == SINGLE_PRECISION_FIDELITY_BOUND
    assert single_precision_fidelity_bound(1000) == SINGLE_PRECISION_FIDELITY_BOUND
    assert single_precision_fidelity_bound(5000) == pytest.approx(5 * SINGLE_PRECISION_FIDELITY_BOUND)
    with pytest.raises(InvalidArgumentError, match="num_steps"):
        single_precision_fidelity_bound(0)


def test_state_dtype_resolution():
    assert state_dtype() == "complex128"
    assert state_dtype(precision="single") == "complex64"
    assert state_dtype("complex64") == "complex64"
    assert state_dtype("complex64", "single") == "complex64"
    # a dtype equal to the default counts as not given: an explicit precision wins
    assert state_dtype("complex64", "double", default="complex64") == "complex128"
    with pytest.raises(InvalidArgumentError, match="precision.*contradicts dtype='complex64'"):
        state_dtype("complex64", "double")
    with pytest.raises(InvalidArgumentError, match="dtype"):
        state_dtype("float64", "single")


@pytest.mark.parametrize("engine", ENGINES)
def test_evolve_precision_gives_the_dtype(engine):
    q = dense_qubo(random_bqm(5, 0))
    layers = trotter_layers(None, 2.0, 20, 1, 1.0)
    assert evolve(q, layers, engine=engine, precision="single").dtype == np.complex64
    assert evolve(q, layers, engine=engine, precision="double").dtype == np.complex128
    assert evolve(q, layers, engine=engine).dtype == np.complex128  # double stays the default
    with pytest.raises(InvalidArgumentError, match="precision"):
        evolve(q, layers, engine=engine, precision="quad")


@pytest.mark.parametrize("engine", ENGINES)
def test_single_and_double_match_a_dense_reference_at_d6(engine):
    bqm = random_bqm(6, 1)
    layers = trotter_layers(None, 10.0, 200, 1, 1.0)
    diagonal = basis_energies(dense_qubo(bqm))
    reference = dense_trotter_reference(bqm, layers)
    f_ref = fidelity(reference, diagonal)
    double = evolve(dense_qubo(bqm), layers, engine=engine, precision="double")
    single = evolve(dense_qubo(bqm), layers, engine=engine, precision="single")
    assert np.abs(double - reference).max() < 1e-10
    assert np.abs(single.astype(np.complex128) - reference).max() < 1e-5
    assert abs(fidelity(double, diagonal) - f_ref) < 1e-12
    assert abs(fidelity(single, diagonal) - f_ref) <= single_precision_fidelity_bound(200)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("d, seed", [(8, 0), (8, 1), (10, 2), (12, 3)])
def test_single_fidelity_within_documented_bound(engine, d, seed):
    """1000 Trotter steps (T = 10, the paper's dt = 0.01): |F_single - F_double| <= bound."""
    bqm = random_bqm(d, seed)
    q = dense_qubo(bqm)
    diagonal = basis_energies(q)
    layers = trotter_layers(None, 10.0, 1000, 1, 1.0)
    f_double = fidelity(evolve(q, layers, engine=engine, precision="double"), diagonal)
    single = evolve(q, layers, engine=engine, precision="single")
    assert single.dtype == np.complex64
    assert abs(np.linalg.norm(single.astype(np.complex128)) - 1.0) < 1e-4
    assert abs(fidelity(single, diagonal) - f_double) <= single_precision_fidelity_bound(1000)


def test_statevector_sampler_precision_option():
    from hybridxai.backends.statevector import StatevectorAnnealingSampler

    bqm = random_bqm(6, 4)
    sampler = StatevectorAnnealingSampler(total_time=5.0, num_steps=100, seed=0)
    assert sampler.properties["precision"] == "double" and "precision" in sampler.parameters
    single = sampler.sample(bqm, num_reads=10, precision="single")
    double = sampler.sample(bqm, num_reads=10)
    assert (single.info["dtype"], single.info["precision"]) == ("complex64", "single")
    assert (double.info["dtype"], double.info["precision"]) == ("complex128", "double")
    # probabilities are float64 whatever the state precision
    assert single.record.probability.dtype == np.float64
    assert abs(single.info["fidelity"] - double.info["fidelity"]) <= single_precision_fidelity_bound(100)
    assert sampler.final_state(bqm, precision="single").dtype == np.complex64
    with pytest.raises(InvalidArgumentError, match="precision"):
        sampler.sample(bqm, precision="half")
    with pytest.raises(InvalidArgumentError, match="precision"):
        sampler.sample(bqm, dtype="complex64", precision="double")
    with pytest.raises(InvalidArgumentError, match="precision"):
        StatevectorAnnealingSampler(precision="float16")
    single_default = StatevectorAnnealingSampler(precision="single", total_time=5.0, num_steps=100)
    assert single_default.properties["dtype"] == "complex64"
    assert single_default.final_state(bqm).dtype == np.complex64
    assert single_default.final_state(bqm, precision="double").dtype == np.complex128
