"""The Qiskit annealing circuit against a dense matrix-exponential reference."""

from __future__ import annotations

import sys

import dimod
import numpy as np
import pytest

from hybridxai.anneal.schedules import trotter_layers
from hybridxai.circuits.qiskit_circuit import annealing_circuit, check_layers, trotter_circuit
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, MissingDependencyError
from tests.circuits._reference import mixed_label_bqm, reference_state

qi = pytest.importorskip("qiskit.quantum_info")


def smooth_schedule(u):
    return np.sin(0.5 * np.pi * np.asarray(u)) ** 2


def wobbly_schedule(u):  # s(0)=0, s(1)=1 but decreasing near u=0
    u = np.asarray(u)
    return u - 0.5 * np.sin(2 * np.pi * u)


def state_of(circuit) -> np.ndarray:
    return qi.Statevector(circuit).data


@pytest.mark.parametrize("d", range(2, 9))
@pytest.mark.parametrize("order", [1, 2])
def test_final_state_matches_dense_reference(make_bqm, d, order):
    bqm = make_bqm(d, seed=10 * d + order, vartype="SPIN" if d % 2 else "BINARY")
    circuit = annealing_circuit(bqm, total_time=2.5, num_steps=7, order=order)
    expected = reference_state(bqm, 2.5, 7, order=order)
    np.testing.assert_allclose(state_of(circuit), expected, atol=1e-9, rtol=0)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("driver_scale", ["unit", "1/d", 0.4])
def test_nonlinear_schedule_and_driver_scale(make_bqm, order, driver_scale):
    bqm = make_bqm(5, seed=4)
    c = {"unit": 1.0, "1/d": 0.2}.get(driver_scale, driver_scale)
    circuit = annealing_circuit(bqm, 3.0, 9, schedule=smooth_schedule, order=order,
                                driver_scale=driver_scale)
    expected = reference_state(bqm, 3.0, 9, smooth_schedule, order, driver_scale=c)
    np.testing.assert_allclose(state_of(circuit), expected, atol=1e-9, rtol=0)


@pytest.mark.parametrize("order", [1, 2])
def test_diagonal_gate_gives_the_same_state(make_bqm, order):
    bqm = make_bqm(4, seed=8, vartype="SPIN")
    rotations = annealing_circuit(bqm, 2.0, 6, order=order)
    diagonal = annealing_circuit(bqm, 2.0, 6, order=order, diagonal_gate=True)
    assert "diagonal" in diagonal.count_ops() and "rzz" not in diagonal.count_ops()
    assert diagonal.global_phase == 0
    np.testing.assert_allclose(state_of(diagonal), reference_state(bqm, 2.0, 6, order=order),
                               atol=1e-9, rtol=0)
    np.testing.assert_allclose(state_of(diagonal), state_of(rotations), atol=1e-9, rtol=0)


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_mixed_labels_and_offset(vartype):
    bqm = mixed_label_bqm(vartype)
    circuit = annealing_circuit(bqm, 1.5, 5, order=2)
    np.testing.assert_allclose(state_of(circuit), reference_state(bqm, 1.5, 5, order=2),
                               atol=1e-9, rtol=0)
    assert circuit.metadata["variables"] == list(bqm.variables)


def test_offset_only_changes_the_global_phase(make_bqm):
    bqm = make_bqm(3, seed=2)
    shifted = bqm.copy()
    shifted.offset += 0.7
    a = state_of(annealing_circuit(bqm, 2.0, 4))
    b = state_of(annealing_circuit(shifted, 2.0, 4))
    # total problem time sum(s_k dt) = T/2 for the linear schedule
    np.testing.assert_allclose(b, a * np.exp(-1j * 0.7 * 1.0), atol=1e-12)


def test_gate_structure_follows_the_layers(make_bqm):
    bqm = make_bqm(3, seed=1)
    layers = trotter_layers(None, 2.0, 4, order=2)
    circuit = trotter_circuit(bqm, layers)
    ops = circuit.count_ops()
    num_driver = sum(1 for kind, _ in layers if kind == "driver")
    assert ops["h"] == 3 and ops["rx"] == 3 * num_driver
    assert ops["rz"] == 3 * 4 and ops["rzz"] == 3 * 4
    first_rx = next(inst for inst in circuit.data if inst.operation.name == "rx")
    assert first_rx.operation.params[0] == pytest.approx(-2 * layers[0][1])


def test_measure_appends_measurements(make_bqm):
    circuit = annealing_circuit(make_bqm(3, seed=0), 1.0, 2, measure=True)
    assert circuit.count_ops()["measure"] == 3
    assert circuit.num_clbits == 3


def test_empty_model_keeps_only_the_phase():
    bqm = dimod.BinaryQuadraticModel({}, {}, 2.0, "BINARY")
    circuit = annealing_circuit(bqm, 4.0, 3)
    assert circuit.num_qubits == 0
    np.testing.assert_allclose(np.exp(1j * circuit.global_phase), np.exp(-1j * 2.0 * 2.0))


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(total_time=0.0), InvalidArgumentError, "total_time"),
        (dict(total_time=-1.0), InvalidArgumentError, "total_time"),
        (dict(num_steps=0), InvalidArgumentError, "num_steps"),
        (dict(num_steps=2.5), InvalidTypeError, "num_steps"),
        (dict(order=3), InvalidArgumentError, "order"),
        (dict(schedule=wobbly_schedule), InvalidArgumentError, "non-decreasing"),
        (dict(schedule=lambda u: 0.5 * u), InvalidArgumentError, "s\\(1\\)=1"),
        (dict(driver_scale="1/n"), InvalidArgumentError, "driver_scale"),
    ],
)
def test_bad_arguments(make_bqm, kwargs, error, name):
    args = dict(total_time=1.0, num_steps=3) | kwargs
    with pytest.raises(error, match=name):
        annealing_circuit(make_bqm(2, 0), **args)


def test_bad_problem_and_layers(make_bqm):
    with pytest.raises(InvalidTypeError, match="bqm"):
        annealing_circuit({(0, 1): 1.0}, 1.0, 2)
    with pytest.raises(InvalidArgumentError, match="layers\\[1\\]"):
        trotter_circuit(make_bqm(2, 0), [("driver", 0.1), ("mixer", 0.2)])
    with pytest.raises(InvalidArgumentError, match="layers\\[0\\]"):
        check_layers([("problem", float("nan"))])
    with pytest.raises(InvalidTypeError, match="layers"):
        check_layers("driver")


def test_missing_qiskit_names_the_extra(monkeypatch, make_bqm):
    monkeypatch.setitem(sys.modules, "qiskit", None)
    with pytest.raises(MissingDependencyError, match=r"hybridxai\[qiskit\]"):
        annealing_circuit(make_bqm(2, 0), 1.0, 2)


@pytest.mark.parametrize("order", [1, 2])
def test_reference_exponentials_agree(make_bqm, order):
    bqm = make_bqm(4, seed=6)
    np.testing.assert_allclose(
        reference_state(bqm, 2.0, 5, smooth_schedule, order, exponential="eigh"),
        reference_state(bqm, 2.0, 5, smooth_schedule, order, exponential="expm"),
        atol=1e-12, rtol=0)
