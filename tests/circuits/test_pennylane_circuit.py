"""The PennyLane annealing operations/tape/QNode against the dense reference."""

from __future__ import annotations

import sys

import dimod
import numpy as np
import pytest

from hybridxai.anneal.schedules import trotter_layers
from hybridxai.circuits.pennylane_circuit import (
    annealing_operations,
    annealing_qnode,
    annealing_tape,
    make_device,
    reverse_qubit_order,
    trotter_operations,
)
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, MissingDependencyError
from tests.circuits._reference import mixed_label_bqm, reference_state

qml = pytest.importorskip("pennylane")


def smooth_schedule(u):
    return np.sin(0.5 * np.pi * np.asarray(u)) ** 2


def run(tape, device="default.qubit"):  # device=None: lightning.qubit if installed
    dev, _ = make_device(len(tape.wires), device)
    (state,) = qml.execute([tape], dev, diff_method=None)
    return reverse_qubit_order(state)


@pytest.mark.parametrize("d", range(2, 9))
@pytest.mark.parametrize("order", [1, 2])
def test_final_state_matches_dense_reference(make_bqm, d, order):
    bqm = make_bqm(d, seed=10 * d + order, vartype="SPIN" if d % 2 else "BINARY")
    tape = annealing_tape(bqm, 2.5, 7, order=order)
    expected = reference_state(bqm, 2.5, 7, order=order)
    np.testing.assert_allclose(run(tape, None), expected, atol=1e-9, rtol=0)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("diagonal_gate", [False, True])
def test_nonlinear_schedule_scale_and_diagonal_gate(make_bqm, order, diagonal_gate):
    bqm = make_bqm(5, seed=4, vartype="SPIN")
    tape = annealing_tape(bqm, 3.0, 9, schedule=smooth_schedule, order=order, driver_scale="1/d",
                          diagonal_gate=diagonal_gate)
    names = {op.name for op in tape.operations}
    assert ("DiagonalQubitUnitary" in names) == diagonal_gate
    assert ("GlobalPhase" in names) != diagonal_gate
    expected = reference_state(bqm, 3.0, 9, smooth_schedule, order, driver_scale=0.2)
    np.testing.assert_allclose(run(tape), expected, atol=1e-9, rtol=0)


def test_qnode_returns_big_endian_state(make_bqm):
    bqm = mixed_label_bqm("SPIN")
    qnode = annealing_qnode(bqm, 2.0, 5, order=2)
    expected = reference_state(bqm, 2.0, 5, order=2)
    state = np.asarray(qnode())
    np.testing.assert_allclose(reverse_qubit_order(state), expected, atol=1e-9, rtol=0)
    assert not np.allclose(state, expected)  # the orders really differ for this problem


def test_qnode_accepts_a_device_instance(make_bqm):
    bqm = make_bqm(3, seed=5)
    device = qml.device("default.qubit", wires=3)
    qnode = annealing_qnode(bqm, 1.0, 3, device=device)
    np.testing.assert_allclose(reverse_qubit_order(qnode()), reference_state(bqm, 1.0, 3),
                               atol=1e-9, rtol=0)


def test_operations_follow_the_layers(make_bqm):
    bqm = make_bqm(3, seed=1)
    layers = trotter_layers(None, 2.0, 4, order=1)
    ops = trotter_operations(bqm, layers)
    counts: dict[str, int] = {}
    for op in ops:
        counts[op.name] = counts.get(op.name, 0) + 1
    assert counts == {"Hadamard": 3, "RX": 12, "RZ": 12, "IsingZZ": 12, "GlobalPhase": 1}
    rx = next(op for op in ops if op.name == "RX")
    assert float(rx.data[0]) == pytest.approx(-2 * layers[0][1])
    same = annealing_operations(bqm, 2.0, 4)
    assert len(same) == len(ops) and all(qml.equal(a, b) for a, b in zip(ops, same, strict=True))


def test_empty_model_is_a_global_phase():
    bqm = dimod.BinaryQuadraticModel({}, {}, -1.0, "SPIN")
    ops = annealing_operations(bqm, 2.0, 2)
    assert [op.name for op in ops] == ["GlobalPhase"]
    assert float(ops[0].data[0]) == pytest.approx(-1.0)  # exp(-i * (T/2) * offset)


def test_reverse_qubit_order():
    state = np.arange(8)
    reversed_ = reverse_qubit_order(state)
    assert reversed_.tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
    np.testing.assert_array_equal(reverse_qubit_order(reversed_), state)
    with pytest.raises(InvalidArgumentError, match="state"):
        reverse_qubit_order(np.ones(6))


def test_device_fallback_and_errors(monkeypatch):
    real_device = qml.device

    def no_lightning(name, *args, **kwargs):
        if name == "lightning.qubit":
            raise qml.exceptions.DeviceError("lightning missing")
        return real_device(name, *args, **kwargs)

    monkeypatch.setattr(qml, "device", no_lightning)
    _, name = make_device(2)
    assert name == "default.qubit"
    with pytest.raises(InvalidArgumentError, match="device"):
        make_device(2, "lightning.qubit")
    with pytest.raises(InvalidTypeError, match="device"):
        make_device(2, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(total_time=0.0), InvalidArgumentError, "total_time"),
        (dict(num_steps=-2), InvalidArgumentError, "num_steps"),
        (dict(order=0), InvalidArgumentError, "order"),
        (dict(schedule=lambda u: u - 0.5 * np.sin(2 * np.pi * u)), InvalidArgumentError,
         "non-decreasing"),
    ],
)
def test_bad_arguments(make_bqm, kwargs, error, name):
    with pytest.raises(error, match=name):
        annealing_tape(make_bqm(2, 0), **(dict(total_time=1.0, num_steps=3) | kwargs))


def test_missing_pennylane_names_the_extra(monkeypatch, make_bqm):
    monkeypatch.setitem(sys.modules, "pennylane", None)
    with pytest.raises(MissingDependencyError, match=r"hybridxai\[pennylane\]"):
        annealing_operations(make_bqm(2, 0), 1.0, 2)
