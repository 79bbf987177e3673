"""Problem and driver Hamiltonians as Qiskit and PennyLane operators."""

from __future__ import annotations

import sys

import dimod
import numpy as np
import pytest

from hybridxai.anneal.ising import basis_energies, indices_to_bits
from hybridxai.circuits.hamiltonians import (
    driver_pennylane,
    driver_sparse_pauli_op,
    ising_terms,
    to_pennylane,
    to_sparse_pauli_op,
)
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, MissingDependencyError
from tests.circuits._reference import dense_driver, dimod_energies, mixed_label_bqm

qml = pytest.importorskip("pennylane")
pytest.importorskip("qiskit")

CASES = [(d, seed, vt) for d in range(2, 9) for seed, vt in ((d, "BINARY"), (d + 100, "SPIN"))]


def test_ising_terms_reproduce_energies(make_bqm):
    bqm = make_bqm(5, 11, "SPIN")
    terms = ising_terms(bqm)
    z = 1 - 2 * indices_to_bits(np.arange(32), 5).astype(float)  # Z eigenvalue of each qubit
    energies = terms.constant + z @ terms.z + np.einsum("mi,ij,mj->m", z, terms.zz, z)
    np.testing.assert_allclose(energies, dimod_energies(bqm), atol=1e-12)
    assert np.all(np.tril(terms.zz) == 0)
    assert terms.variables == tuple(bqm.variables)


def test_ising_terms_of_spin_model_follow_s_equals_minus_z():
    bqm = dimod.BinaryQuadraticModel({"p": 0.5, "q": -2.0}, {("p", "q"): 1.5}, 0.25, "SPIN")
    terms = ising_terms(bqm)
    # s = 2n - 1 = -Z: h s -> -h Z, J s s -> J Z Z, offset unchanged
    np.testing.assert_allclose(terms.z, [-0.5, 2.0], atol=1e-15)
    assert terms.zz[0, 1] == pytest.approx(1.5)
    assert terms.constant == pytest.approx(0.25)


@pytest.mark.parametrize(("d", "seed", "vartype"), CASES)
def test_sparse_pauli_op_diagonal_is_bqm_energy(make_bqm, d, seed, vartype):
    bqm = make_bqm(d, seed, vartype)
    op, offset = to_sparse_pauli_op(bqm)
    assert op.num_qubits == d
    assert all(set(label) <= {"I", "Z"} for label in op.paulis.to_labels())
    assert "I" * d not in op.paulis.to_labels()  # identity part lives in the offset
    matrix = op.to_matrix()
    np.testing.assert_allclose(matrix, np.diag(np.diag(matrix)), atol=0)
    np.testing.assert_allclose(np.diag(matrix).real + offset, dimod_energies(bqm), atol=1e-10)
    np.testing.assert_allclose(np.diag(matrix).imag, 0.0, atol=0)


@pytest.mark.parametrize(("d", "seed", "vartype"), CASES)
def test_pennylane_hamiltonian_diagonal_is_bqm_energy(make_bqm, d, seed, vartype):
    bqm = make_bqm(d, seed, vartype)
    ham, offset = to_pennylane(bqm)
    little_endian = qml.matrix(ham, wire_order=list(range(d))[::-1])
    np.testing.assert_allclose(little_endian, np.diag(np.diag(little_endian)), atol=0)
    np.testing.assert_allclose(np.diag(little_endian).real + offset, dimod_energies(bqm),
                               atol=1e-10)
    # PennyLane's own (big-endian) order is the bit reversal of ours
    big_endian = np.diag(qml.matrix(ham, wire_order=list(range(d)))).real
    reversed_index = [int(format(i, f"0{d}b")[::-1], 2) for i in range(2**d)]
    np.testing.assert_allclose(big_endian[reversed_index] + offset, dimod_energies(bqm),
                               atol=1e-10)


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_mixed_labels_keep_variable_order(vartype):
    bqm = mixed_label_bqm(vartype)
    op, offset = to_sparse_pauli_op(bqm)
    np.testing.assert_allclose(op.to_matrix().diagonal().real + offset, dimod_energies(bqm),
                               atol=1e-12)
    ham, offset_pl = to_pennylane(bqm)
    assert offset_pl == offset
    np.testing.assert_allclose(np.diag(qml.matrix(ham, wire_order=[3, 2, 1, 0])).real + offset,
                               basis_energies(bqm), atol=1e-12)


def test_isolated_and_zero_variables():
    bqm = dimod.BinaryQuadraticModel({"a": 0.0, "b": -1.0, "c": 0.0}, {}, 2.0, "BINARY")
    op, offset = to_sparse_pauli_op(bqm)
    assert op.num_qubits == 3 and op.paulis.to_labels() == ["IZI"]
    assert offset == pytest.approx(1.5)
    ham, _ = to_pennylane(bqm)
    np.testing.assert_allclose(np.diag(qml.matrix(ham, wire_order=[2, 1, 0])).real + offset,
                               dimod_energies(bqm), atol=1e-12)


def test_constant_models_give_zero_operator_and_offset():
    bqm = dimod.BinaryQuadraticModel({"a": 0.0, "b": 0.0}, {}, -3.5, "BINARY")
    op, offset = to_sparse_pauli_op(bqm)
    assert op.num_qubits == 2 and offset == -3.5
    np.testing.assert_array_equal(op.to_matrix(), np.zeros((4, 4)))
    ham, offset_pl = to_pennylane(bqm)
    assert offset_pl == -3.5
    np.testing.assert_array_equal(qml.matrix(ham, wire_order=[0, 1]), np.zeros((4, 4)))
    empty_op, empty_offset = to_sparse_pauli_op(dimod.BinaryQuadraticModel({}, {}, 1.5, "SPIN"))
    assert empty_op.num_qubits == 0 and empty_offset == 1.5


@pytest.mark.parametrize(("d", "scale", "expected"), [(3, 1.0, 1.0), (4, "1/d", 0.25),
                                                     (2, "unit", 1.0), (5, 0.3, 0.3)])
def test_driver_operators(d, scale, expected):
    reference = dense_driver(d, expected)
    np.testing.assert_allclose(driver_sparse_pauli_op(d, scale).to_matrix(), reference, atol=1e-15)
    np.testing.assert_allclose(
        qml.matrix(driver_pennylane(d, scale), wire_order=list(range(d))[::-1]), reference,
        atol=1e-15)
    # |+>^d is the ground state with energy -c d
    plus = np.full(2**d, 2 ** (-d / 2))
    np.testing.assert_allclose(reference @ plus, -expected * d * plus, atol=1e-12)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_driver_rejects_bad_qubit_counts(bad):
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match="num_qubits"):
        driver_sparse_pauli_op(bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, "1/n", float("nan")])
def test_driver_rejects_bad_scale(bad):
    with pytest.raises(InvalidArgumentError, match="driver_scale"):
        driver_pennylane(3, bad)


def test_non_bqm_input_is_a_type_error():
    with pytest.raises(InvalidTypeError, match="bqm"):
        to_sparse_pauli_op({"a": 1.0})


def test_missing_qiskit_names_the_extra(monkeypatch, make_bqm):
    monkeypatch.setitem(sys.modules, "qiskit.quantum_info", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hybridxai\[qiskit\]'"):
        to_sparse_pauli_op(make_bqm(2, 0))


def test_missing_pennylane_names_the_extra(monkeypatch, make_bqm):
    monkeypatch.setitem(sys.modules, "pennylane", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hybridxai\[pennylane\]'"):
        to_pennylane(make_bqm(2, 0))
