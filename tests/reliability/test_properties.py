"""Property-based tests (hypothesis) of the chain QUBO → BQM → Ising → circuits, and of metrics.

* every basis state has the same energy in the BQM, the dense diagonal, the Ising terms, the
  Qiskit ``SparsePauliOp`` and the PennyLane Hamiltonian (qubit ``i`` = ``i``-th variable,
  little-endian basis index; PennyLane's wires are big-endian, see ``circuits/ising.py``);
* ``FeatureQubo.interpret`` inverts the labelling (channel ↔ variable) for BINARY and SPIN;
* ``build_qubo`` invariants: ``h ∈ (0, 1]`` with max 1, ``J`` symmetric, zero diagonal, in
  [0, 1]; ``beta = 1`` selects every positive map, ``beta = 0`` none;
* the native annealer keeps the norm and matches Qiskit Aer (and PennyLane) to 1e-10;
* Average Drop stays in [0, 100] (also when masked > original), Increase in Confidence too.
"""

from __future__ import annotations

import itertools

import dimod
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridxai import build_qubo, get_sampler
from hybridxai.circuits import basis_energies, ising_terms, to_pennylane, to_sparse_pauli_op
from hybridxai.metrics import average_drop, drop_per_image, increase_in_confidence

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(min_value=0, max_value=2**32 - 1)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


# -- strategies ------------------------------------------------------------------------------

@st.composite
def feature_maps(draw, max_k: int = 8, positive: bool = False):
    """``(activations, gradients)`` of ``K`` maps; some maps duplicated or zero, signs mixed."""
    k = draw(st.integers(min_value=1, max_value=max_k))
    rng = np.random.default_rng(draw(seeds))
    acts = rng.random((k, 3, 3)) * rng.choice([0.0, 1.0, 10.0], size=(k, 1, 1), p=[0.1, 0.6, 0.3])
    if k > 1 and draw(st.booleans()):
        acts[-1] = acts[0]  # a duplicate map
    grads = rng.normal(size=(k, 3, 3)) + rng.normal(size=(k, 1, 1))
    if positive:
        grads = np.abs(grads) + 1e-3
    return acts, grads


@st.composite
def feature_qubos(draw, max_k: int = 8):
    """A ``FeatureQubo`` with at least one variable, random beta and maybe a cardinality."""
    acts, grads = draw(feature_maps(max_k=max_k))
    grads[0] = np.abs(grads[0]) + 1e-3  # at least one positive map
    beta = draw(unit)
    d = int(np.sum(grads.reshape(len(grads), -1).mean(axis=1) > 0))
    cardinality = draw(st.none() | st.integers(min_value=0, max_value=d))
    gamma = draw(st.floats(min_value=0.0, max_value=3.0))
    return build_qubo(acts, grads, beta=beta, cardinality=cardinality, gamma=gamma)


@st.composite
def random_bqms(draw, max_d: int = 8):
    """A dense random BQM, BINARY or SPIN, with labels that are not ``0..d-1``."""
    d = draw(st.integers(min_value=1, max_value=max_d))
    rng = np.random.default_rng(draw(seeds))
    labels = [int(x) for x in rng.choice(1000, size=d, replace=False)]
    if draw(st.booleans()):
        labels = [f"v{x}" for x in labels]
    linear = {v: float(rng.normal()) for v in labels}
    quadratic = {(labels[i], labels[j]): float(rng.normal())
                 for i in range(d) for j in range(i + 1, d) if rng.random() < 0.8}
    vartype = draw(st.sampled_from([dimod.BINARY, dimod.SPIN]))
    return dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), vartype)


def bqm_of(problem):
    return problem.bqm if hasattr(problem, "bqm") else problem


def reference_energies(bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """``bqm.energy`` of every basis state, little-endian: bit ``i`` of the index = qubit ``i``."""
    d = bqm.num_variables
    index = np.arange(2**d)
    bits = (index[:, None] >> np.arange(d)) & 1
    values = bits if bqm.vartype is dimod.BINARY else 2 * bits - 1
    return bqm.energies((values, list(bqm.variables)))


# -- (a) QUBO → BQM → Ising → Qiskit / PennyLane ---------------------------------------------

@FAST
@given(problem=st.one_of(feature_qubos(), random_bqms()))
def test_every_representation_has_the_bqm_energies(problem) -> None:
    bqm = bqm_of(problem)
    expected = reference_energies(bqm)
    np.testing.assert_allclose(basis_energies(bqm), expected, rtol=1e-12, atol=1e-10)

    terms = ising_terms(bqm)
    d = bqm.num_variables
    z = 1 - 2 * ((np.arange(2**d)[:, None] >> np.arange(d)) & 1)  # Z eigenvalue: n=1 ↔ Z=-1
    ising = terms.constant + z @ terms.z + np.einsum("mi,ij,mj->m", z, terms.zz, z)
    np.testing.assert_allclose(ising, expected, rtol=1e-12, atol=1e-10)

    op, offset = to_sparse_pauli_op(bqm)
    assert op.num_qubits == d
    matrix = op.to_matrix()
    np.testing.assert_allclose(np.diag(matrix).real + offset, expected, rtol=1e-12, atol=1e-10)
    assert np.abs(matrix - np.diag(np.diag(matrix))).max() == 0.0  # diagonal: Z and ZZ only

    qml = pytest.importorskip("pennylane")
    hamiltonian, pl_offset = to_pennylane(bqm)
    assert pl_offset == pytest.approx(offset, abs=1e-12)
    pl_matrix = qml.matrix(hamiltonian, wire_order=list(range(d))[::-1])  # little-endian
    np.testing.assert_allclose(np.diag(pl_matrix).real + pl_offset, expected, rtol=1e-12, atol=1e-10)
    big_endian = np.diag(qml.matrix(hamiltonian, wire_order=list(range(d)))).real + pl_offset
    reversed_index = [int(format(i, f"0{d}b")[::-1], 2) for i in range(2**d)]
    np.testing.assert_allclose(big_endian, expected[reversed_index], rtol=1e-12, atol=1e-10)


# -- (b) interpret inverts the labelling -----------------------------------------------------

@FAST
@given(problem=feature_qubos(max_k=10), data=st.data())
def test_interpret_inverts_the_labelling(problem, data) -> None:
    q = problem
    assert list(q.bqm.variables) == list(q.channels)  # labels are the channel indices, ascending
    assert q.channels == tuple(int(c) for c in np.flatnonzero(q.alpha > 0))
    chosen = data.draw(st.sets(st.sampled_from(q.channels)) if q.channels else st.just(set()))
    binary = {c: int(c in chosen) for c in q.bqm.variables}
    spin = {c: 2 * v - 1 for c, v in binary.items()}
    assert q.interpret(binary) == tuple(sorted(chosen))
    assert q.interpret(spin) == tuple(sorted(chosen))
    vector = q.selection_vector(chosen)
    assert [c for c, bit in zip(q.channels, vector, strict=True) if bit] == sorted(chosen)
    assert q.selection_vector(vector.astype(bool)).tolist() == vector.tolist()
    assert q.energy(chosen) == pytest.approx(q.bqm.energy(binary), rel=1e-12, abs=1e-12)
    sampleset = dimod.SampleSet.from_samples(binary, dimod.BINARY, energy=q.bqm.energy(binary))
    assert q.interpret(sampleset) == tuple(sorted(chosen))


@FAST
@given(maps=feature_maps(max_k=10), max_qubits=st.integers(min_value=1, max_value=10))
def test_max_qubits_keeps_the_most_important_maps(maps, max_qubits) -> None:
    acts, grads = maps
    q = build_qubo(acts, grads, max_qubits=max_qubits)
    positive = np.flatnonzero(q.alpha > 0)
    assert q.num_variables == min(max_qubits, positive.size)
    assert set(q.channels) | set(q.dropped) == set(positive.tolist())
    if q.channels and q.dropped:
        assert min(q.alpha[list(q.channels)]) >= max(q.alpha[list(q.dropped)])


# -- build_qubo invariants -------------------------------------------------------------------

@FAST
@given(maps=feature_maps(max_k=10), beta=unit)
def test_h_and_j_invariants(maps, beta) -> None:
    q = build_qubo(*maps, beta=beta)
    if q.num_variables == 0:
        assert q.bqm.num_variables == 0 and q.h.size == 0
        return
    assert np.all(q.h > 0) and np.all(q.h <= 1) and q.h.max() == 1.0
    assert np.array_equal(q.J, q.J.T)
    assert np.all(np.diag(q.J) == 0)
    assert np.all((q.J >= 0) & (q.J <= 1))
    flat = maps[0][list(q.channels)].reshape(q.num_variables, -1)
    zero = np.linalg.norm(flat, axis=1) == 0
    assert np.all(q.J[zero] == 0)  # a zero-norm map is redundant with nothing


@FAST
@given(maps=feature_maps(max_k=10))
def test_beta_one_selects_every_positive_map_and_beta_zero_none(maps) -> None:
    exact = get_sampler("exact")
    q1 = build_qubo(*maps, beta=1.0)
    if q1.num_variables == 0:
        return
    best = exact.sample(q1.bqm)
    assert len(best) == 1 and q1.interpret(best) == q1.channels
    q0 = build_qubo(*maps, beta=0.0)
    ground = exact.sample(q0.bqm)
    assert () in {q0.interpret(s) for s in ground.samples()}  # the empty set is optimal
    assert float(ground.first.energy) == 0.0


# -- (c) the native annealer: norm and agreement with Aer / PennyLane -------------------------

@SLOW
@given(bqm=random_bqms(max_d=6), total_time=st.floats(min_value=0.1, max_value=5.0),
       num_steps=st.integers(min_value=1, max_value=12), order=st.sampled_from([1, 2]),
       driver_scale=st.sampled_from(["unit", "1/d", 0.5]))
def test_native_annealer_keeps_the_norm_and_matches_aer(bqm, total_time, num_steps, order,
                                                       driver_scale) -> None:
    pytest.importorskip("qiskit_aer")
    options = dict(total_time=total_time, num_steps=num_steps, order=order, driver_scale=driver_scale)
    native = get_sampler("statevector")
    states = {engine: native.final_state(bqm, engine=engine, **options) for engine in ("numpy", "numba")}
    for engine, state in states.items():
        assert state.shape == (2**bqm.num_variables,)
        assert abs(np.linalg.norm(state) - 1.0) < 1e-12, engine
    aer = get_sampler("aer").final_state(bqm, **options)
    for engine, state in states.items():
        assert np.max(np.abs(state - aer)) < 1e-10, engine


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bqm=random_bqms(max_d=5), num_steps=st.integers(min_value=1, max_value=6))
def test_native_annealer_matches_pennylane(bqm, num_steps) -> None:
    pytest.importorskip("pennylane")
    native = get_sampler("statevector").final_state(bqm, total_time=2.0, num_steps=num_steps)
    lightning = get_sampler("pennylane").final_state(bqm, total_time=2.0, num_steps=num_steps)
    assert np.max(np.abs(native - lightning)) < 1e-10


@SLOW
@given(bqm=random_bqms(max_d=5), seed=seeds, num_reads=st.integers(min_value=1, max_value=50))
def test_samples_follow_the_state_and_report_bqm_energies(bqm, seed, num_reads) -> None:
    sampleset = get_sampler("statevector").sample(bqm, total_time=1.0, num_steps=5, seed=seed,
                                                  num_reads=num_reads)
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.record.num_occurrences.sum() == num_reads
    assert 0.0 <= sampleset.info["fidelity"] <= 1.0 + 1e-12
    assert np.all(sampleset.record.probability > 0)


# -- (d) metrics stay in range ---------------------------------------------------------------

probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
positive_probabilities = st.floats(min_value=1e-12, max_value=1.0, allow_nan=False)


@FAST
@given(pairs=st.lists(st.tuples(positive_probabilities, probabilities), min_size=1, max_size=50))
def test_average_drop_and_increase_stay_in_range(pairs) -> None:
    original, masked = map(list, zip(*pairs, strict=True))
    drop = average_drop(original, masked)
    assert 0.0 <= drop <= 100.0
    per_image = drop_per_image(original, masked)
    assert np.all((per_image >= 0) & (per_image <= 1))
    assert drop == pytest.approx(100 * per_image.mean())
    increase = increase_in_confidence(original, masked)
    assert 0.0 <= increase <= 100.0
    if all(o >= y for y, o in pairs):  # every masked image at least as confident: no drop
        assert drop == 0.0


@SLOW
@given(seed=seeds, n=st.integers(min_value=1, max_value=4))
def test_average_drop_of_real_masked_confidences_is_in_range(seed, n) -> None:
    import torch

    from hybridxai.metrics import masked_confidences
    from tests.reliability._support import tiny_cnn

    rng = np.random.default_rng(seed)
    pixels = torch.from_numpy(rng.random((n, 3, 16, 16), dtype=np.float32))
    maps = torch.from_numpy(rng.random((n, 16, 16), dtype=np.float32))
    original, masked = masked_confidences(tiny_cnn(), pixels, maps, normalize=None)
    assert 0.0 <= average_drop(original, masked) <= 100.0
    assert 0.0 <= increase_in_confidence(original, masked) <= 100.0


def test_exhaustive_two_variable_sign_conventions() -> None:
    """A tiny exhaustive check of the n = (1 − Z)/2 convention, independent of hypothesis."""
    bqm = dimod.BinaryQuadraticModel({"a": -1.0, "b": 0.5}, {("a", "b"): 2.0}, 0.25, "BINARY")
    op, offset = to_sparse_pauli_op(bqm)
    diag = np.diag(op.to_matrix()).real + offset
    for a, b in itertools.product((0, 1), repeat=2):
        assert diag[a + 2 * b] == pytest.approx(bqm.energy({"a": a, "b": b}))
