"""The digitized anneal as PennyLane operations, tape and QNode.

The operations are the same as in :mod:`hybridxai.circuits.qiskit_circuit`: ``qml.Hadamard`` on
every wire, then the layers of :func:`hybridxai.anneal.schedules.trotter_layers` in order,

* ``("driver", θ)`` → ``qml.RX(-2θ)`` on every wire (``exp(-iθ·H_D)``, ``H_D = -Σ X``);
* ``("problem", γ)`` → ``qml.RZ(2γ z_i)`` and ``qml.IsingZZ(2γ zz_ij)`` (or, with
  ``diagonal_gate=True``, one ``qml.DiagonalQubitUnitary`` of ``exp(-iγE)``),

and a single ``qml.GlobalPhase(Σγ·C)`` (``= exp(-i·Σγ·C)``) for the identity part ``C`` of
``H_P``; it commutes with everything, so one phase at the end is exact. The final state is
therefore ``exp(-iγ_M H_P)…|+>^d`` including global phase and offset.

Wire ``i`` is qubit ``i`` (the ``i``-th BQM variable). PennyLane orders states **big-endian** in
wire order, the reverse of hybridxai/Qiskit: use :func:`reverse_qubit_order` to convert the
state of :func:`annealing_qnode` to hybridxai's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.memory import check_statevector_memory
from hybridxai._util.optional import import_optional
from hybridxai.anneal.ising import DenseQubo
from hybridxai.anneal.schedules import Layer, ScheduleLike
from hybridxai.anneal.trotter import anneal_layers, trotter_gates
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = [
    "DEFAULT_DEVICES",
    "reverse_qubit_order",
    "trotter_operations",
    "annealing_operations",
    "annealing_tape",
    "annealing_qnode",
    "make_device",
]

DEFAULT_DEVICES = ("lightning.qubit", "default.qubit")
"""Devices tried in order when ``device=None``."""


def _qml(purpose: str) -> Any:
    return import_optional("pennylane", "pennylane", purpose)


def reverse_qubit_order(state: ArrayLike) -> NDArray[np.complexfloating]:
    """Convert a statevector between PennyLane's big-endian and hybridxai's little-endian order.

    The map reverses the bits of every basis index, so it is its own inverse.

    Args:
        state: Array of length ``2**d``.

    Returns:
        A new array of the same length and dtype.

    Example:
        >>> reverse_qubit_order([0, 1, 2, 3]).tolist()   # |01> <-> |10>
        [0, 2, 1, 3]

    """
    arr = np.asarray(state)
    d = int(round(np.log2(arr.size))) if arr.size else -1
    if arr.ndim != 1 or d < 0 or 2**d != arr.size:
        raise invalid_argument("state", arr, "must be a 1-D array of length 2**d",
                               "pass the statevector returned by qml.state()")
    if d < 2:
        return arr.copy()
    axes = tuple(range(d - 1, -1, -1))
    return np.ascontiguousarray(arr.reshape((2,) * d).transpose(axes)).ravel()


def trotter_operations(
    problem: dimod.BinaryQuadraticModel | DenseQubo,
    layers: Sequence[Layer],
    *,
    diagonal_gate: bool = False,
) -> list[Any]:
    """Build the annealing operations for an explicit layer sequence (not queued).

    Args:
        problem: The BQM (or its :class:`~hybridxai.anneal.ising.DenseQubo`).
        layers: Layers from :func:`~hybridxai.anneal.schedules.trotter_layers`.
        diagonal_gate: One ``qml.DiagonalQubitUnitary`` per problem layer instead of rotations.

    Returns:
        List of PennyLane operators on wires ``0..d-1``, ending with one ``qml.GlobalPhase``
        (omitted when zero). Apply them inside a QNode with ``qml.apply`` or wrap them in a
        ``qml.tape.QuantumScript``.

    Raises:
        MissingDependencyError: If PennyLane is not installed
            (``pip install 'hybridxai[pennylane]'``).

    """
    program = trotter_gates(problem, layers, diagonal_gate=diagonal_gate)
    qml = _qml("trotter_operations()")
    d = program.num_qubits
    reversed_wires = list(range(d - 1, -1, -1))  # so the diagonal is indexed little-endian
    rotations = {"rx": qml.RX, "rz": qml.RZ, "rzz": qml.IsingZZ}
    with qml.QueuingManager.stop_recording():
        ops: list[Any] = [qml.Hadamard(q) for q in range(d)]
        for name, qubits, param in program.gates:
            if name == "diagonal":
                ops.append(qml.DiagonalQubitUnitary(param, wires=reversed_wires))
            else:
                ops.append(rotations[name](param, wires=qubits[0] if len(qubits) == 1
                                           else list(qubits)))
        if program.phase != 0.0:
            ops.append(qml.GlobalPhase(program.phase))
    return ops


def annealing_operations(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: float | str = "unit",
    diagonal_gate: bool = False,
) -> list[Any]:
    """Build the operations of the digitized anneal of docs/method.md (see :func:`trotter_operations`).

    Args:
        bqm: BINARY or SPIN model; wire ``i`` is its ``i``-th variable.
        total_time: Anneal time ``T`` (> 0).
        num_steps: Trotter steps ``M`` (≥ 1).
        schedule: ``None``/``"linear"``, a callable ``s(u)`` or ``(times, values)``.
        order: Trotter order 1 or 2.
        driver_scale: ``"unit"``, ``"1/d"`` or a positive number.
        diagonal_gate: Problem layers as ``qml.DiagonalQubitUnitary``.

    Returns:
        The list of (unqueued) operators.

    """
    qubo, layers = anneal_layers(bqm, total_time, num_steps, schedule, order, driver_scale)
    return trotter_operations(qubo, layers, diagonal_gate=diagonal_gate)


def annealing_tape(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: float | str = "unit",
    diagonal_gate: bool = False,
) -> Any:
    """Build the anneal as a ``qml.tape.QuantumScript`` measuring ``qml.state()``.

    Args:
        bqm: BINARY or SPIN model.
        total_time: ``T``.
        num_steps: ``M``.
        schedule: The schedule.
        order: Trotter order 1 or 2.
        driver_scale: ``"unit"``, ``"1/d"`` or a number.
        diagonal_gate: Problem layers as ``qml.DiagonalQubitUnitary``.

    Returns:
        The tape; run it with ``qml.execute([tape], device)``. The returned state is
        big-endian (see :func:`reverse_qubit_order`).

    """
    ops = annealing_operations(bqm, total_time, num_steps, schedule, order, driver_scale,
                               diagonal_gate)
    qml = _qml("annealing_tape()")
    return qml.tape.QuantumScript(ops, [qml.state()])


def make_device(num_qubits: int, device: str | None = None, **kwargs: Any) -> tuple[Any, str]:
    """Create a PennyLane device on wires ``0..d-1``.

    Args:
        num_qubits: ``d``.
        device: A device name; ``None`` tries ``lightning.qubit`` and falls back to
            ``default.qubit`` when the lightning plugin is missing or broken.
        **kwargs: Passed to ``qml.device``.

    Returns:
        ``(device, name)`` with the name of the device actually created.

    Raises:
        InvalidArgumentError: If a named device does not exist.
        MissingDependencyError: If PennyLane is not installed.

    """
    qml = _qml("make_device()")
    if device is not None and not isinstance(device, str):
        raise invalid_type("device", device, "a PennyLane device name (str) or None",
                           "pass e.g. device='default.qubit'")
    names = DEFAULT_DEVICES if device is None else (device,)
    device_error = getattr(getattr(qml, "exceptions", None), "DeviceError", None)
    caught = (ImportError, device_error) if device_error else (ImportError,)
    errors: list[str] = []
    for name in names:
        try:
            return qml.device(name, wires=num_qubits, **kwargs), name
        except caught as exc:
            errors.append(f"{name}: {exc}")
    raise invalid_argument(
        "device", device, f"could not be created ({'; '.join(errors)})",
        "pass device='default.qubit', or pip install 'hybridxai[pennylane]' for lightning.qubit",
    )


def annealing_qnode(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: float | str = "unit",
    diagonal_gate: bool = False,
    device: Any = None,
) -> Callable[[], Any]:
    """Build a QNode (no arguments) that returns the final state of the anneal.

    Args:
        bqm: BINARY or SPIN model.
        total_time: ``T``.
        num_steps: ``M``.
        schedule: The schedule.
        order: Trotter order 1 or 2.
        driver_scale: ``"unit"``, ``"1/d"`` or a number.
        diagonal_gate: Problem layers as ``qml.DiagonalQubitUnitary``.
        device: A device name, a PennyLane device with wires ``0..d-1``, or ``None``
            (``lightning.qubit``, falling back to ``default.qubit``).

    Returns:
        ``qml.QNode``; calling it returns ``qml.state()`` in PennyLane's big-endian wire order
        (``reverse_qubit_order(qnode())`` is the hybridxai-ordered state).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY")
        >>> qnode = annealing_qnode(bqm, total_time=1.0, num_steps=4, device="default.qubit")
        >>> reverse_qubit_order(qnode()).shape
        (2,)

    """
    # the device will hold a 2**d complex128 state (and a work copy): refuse before building it
    check_statevector_memory(len(bqm.variables), 32, backend="pennylane")
    ops = annealing_operations(bqm, total_time, num_steps, schedule, order, driver_scale,
                               diagonal_gate)
    qml = _qml("annealing_qnode()")
    if device is None or isinstance(device, str):
        device, _ = make_device(len(bqm.variables), device)

    def anneal() -> Any:
        for op in ops:
            qml.apply(op)
        return qml.state()

    return qml.QNode(anneal, device, diff_method=None)
