"""The digitized anneal as a Qiskit ``QuantumCircuit``.

The circuit applies, to ``|0>^d``, Hadamards on every qubit (giving ``|+>^d``, the ground state
of ``H_D = -Σ X``) and then the layers of :func:`hybridxai.anneal.schedules.trotter_layers`
in order:

* ``("driver", θ)`` → ``RX(-2θ)`` on every qubit, i.e. ``exp(-iθ·H_D)`` with the unscaled
  ``H_D = -Σ X`` (the driver coefficient ``c`` is already folded into ``θ``).
* ``("problem", γ)`` → ``exp(-iγ·H_P)`` exactly, global phase and offset included: with
  ``H_P = C·I + Σ z_i Z_i + Σ zz_ij Z_i Z_j`` (see
  :func:`~hybridxai.circuits.hamiltonians.ising_terms`) it is ``RZ(2γ z_i)`` per qubit,
  ``RZZ(2γ zz_ij)`` per coupled pair and ``-γ·C`` added to ``QuantumCircuit.global_phase``;
  or, with ``diagonal_gate=True``, one ``DiagonalGate`` of ``exp(-iγ E)`` with ``E`` the basis
  energies (offset included, no extra phase).

Qubit ``i`` is the ``i``-th BQM variable and Qiskit statevectors are little-endian, so
``Statevector(circuit).data`` is directly in hybridxai's order and equals the native
annealer's final state, global phase included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dimod

from hybridxai._util.optional import import_optional
from hybridxai.anneal.ising import DenseQubo
from hybridxai.anneal.schedules import Layer, ScheduleLike
from hybridxai.anneal.trotter import anneal_layers, check_layers, trotter_gates

if TYPE_CHECKING:  # pragma: no cover
    from qiskit import QuantumCircuit

__all__ = ["annealing_circuit", "trotter_circuit", "check_layers"]


def trotter_circuit(
    problem: dimod.BinaryQuadraticModel | DenseQubo,
    layers: Sequence[Layer],
    *,
    diagonal_gate: bool = False,
    measure: bool = False,
) -> QuantumCircuit:
    """Build the annealing circuit for an explicit layer sequence.

    Args:
        problem: The BQM (or its :class:`~hybridxai.anneal.ising.DenseQubo`).
        layers: Layers from :func:`~hybridxai.anneal.schedules.trotter_layers`, applied in
            order after the initial Hadamards.
        diagonal_gate: Implement each problem layer as one ``DiagonalGate`` on all qubits
            instead of ``RZ``/``RZZ`` rotations (stores ``2**d`` phases per layer).
        measure: Append ``measure_all()`` (classical bit ``i`` = qubit ``i``; Qiskit count
            strings are big-endian, qubit 0 rightmost). The circuit then no longer ends in the
            annealed state, so leave this off for statevector simulation.

    Returns:
        The circuit on ``d`` qubits. ``circuit.metadata`` records ``variables`` (qubit order),
        ``offset`` (identity coefficient of ``H_P``) and ``num_layers``.

    Raises:
        MissingDependencyError: If Qiskit is not installed (``pip install 'hybridxai[qiskit]'``).

    """
    program = trotter_gates(problem, layers, diagonal_gate=diagonal_gate)
    qiskit = import_optional("qiskit", "qiskit", "trotter_circuit()")
    d = program.num_qubits
    qc = qiskit.QuantumCircuit(d, name="anneal")
    if d:
        qc.h(range(d))
    rotations = {"rx": qc.rx, "rz": qc.rz, "rzz": qc.rzz}
    for name, qubits, param in program.gates:
        if name == "diagonal":
            qc.append(qiskit.circuit.library.DiagonalGate(param.tolist()), qubits)
        else:
            rotations[name](param, *qubits)
    qc.global_phase = 0.0 - program.phase  # exp(-i·phase); 0.0 - keeps a zero phase +0.0
    if measure and d:
        qc.measure_all()
    qc.metadata = {"variables": list(program.variables), "offset": program.offset,
                   "num_layers": len(layers)}
    return qc


def annealing_circuit(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: float | str = "unit",
    measure: bool = False,
    diagonal_gate: bool = False,
) -> QuantumCircuit:
    """Build the Trotterized annealing circuit of docs/method.md for a BQM.

    Args:
        bqm: BINARY or SPIN model; qubit ``i`` is its ``i``-th variable.
        total_time: Anneal time ``T`` (> 0).
        num_steps: Trotter steps ``M`` (≥ 1).
        schedule: ``None``/``"linear"``, a callable ``s(u)`` or ``(times, values)``.
        order: Trotter order 1 or 2.
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (authors' code) or a number.
        measure: Append measurements on all qubits (see :func:`trotter_circuit`).
        diagonal_gate: Problem layers as one ``DiagonalGate`` each instead of rotations.

    Returns:
        A ``QuantumCircuit`` whose statevector (when ``measure=False``) is the final state of
        the anneal in hybridxai's order, global phase included.

    Raises:
        InvalidArgumentError: For non-positive ``total_time``/``num_steps``, a bad ``order``,
            ``driver_scale`` or schedule.
        MissingDependencyError: If Qiskit is not installed.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
        >>> qc = annealing_circuit(bqm, total_time=1.0, num_steps=2)
        >>> qc.num_qubits, sorted(qc.count_ops().items())
        (2, [('h', 2), ('rx', 4), ('rz', 4), ('rzz', 2)])

    """
    qubo, layers = anneal_layers(bqm, total_time, num_steps, schedule, order, driver_scale)
    return trotter_circuit(qubo, layers, diagonal_gate=diagonal_gate, measure=measure)
