"""The gates of the digitized anneal, independent of any quantum SDK.

The Qiskit and PennyLane builders (:mod:`hybridxai.circuits.qiskit_circuit`,
:mod:`hybridxai.circuits.pennylane_circuit`) apply the same gates with the same angles; this
module computes them once. After Hadamards on every qubit, the layers of
:func:`~hybridxai.anneal.schedules.trotter_layers` become, in order:

* ``("driver", θ)`` → ``("rx", (q,), -2θ)`` on every qubit (nothing when ``θ = 0``), i.e.
  ``exp(-iθ·H_D)`` with the unscaled ``H_D = -Σ X``;
* ``("problem", γ)`` → ``("rz", (i,), 2γ z_i)`` per qubit and ``("rzz", (i, j), 2γ zz_ij)``
  per coupled pair, with ``γ·C`` added to :attr:`TrotterGates.phase` for the identity part
  ``C`` of ``H_P``; or, with ``diagonal_gate=True``, one ``("diagonal", (0, …, d-1), exp(-iγE))``
  with ``E`` the basis energies (offset included, no extra phase).

``RX(φ) = exp(-iφX/2)``, ``RZ(φ) = exp(-iφZ/2)`` and ``RZZ(φ) = exp(-iφZ⊗Z/2)`` in both SDKs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import dimod
import numpy as np

from hybridxai._util.memory import check_statevector_memory
from hybridxai.anneal.ising import DenseQubo, as_dense_qubo, basis_energies, ising_terms
from hybridxai.anneal.schedules import Layer, ScheduleLike, trotter_layers
from hybridxai.anneal.spec import resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["Gate", "TrotterGates", "anneal_layers", "check_layers", "trotter_gates"]

Gate = tuple[Literal["rx", "rz", "rzz", "diagonal"], tuple[int, ...], Any]
"""``(name, qubits, parameter)``: an angle for the rotations, ``exp(-iγE)`` for ``"diagonal"``."""


@dataclass(frozen=True)
class TrotterGates:
    """The gates of the anneal, applied in order after a Hadamard on every qubit.

    Attributes:
        variables: The BQM variables; qubit ``i`` is ``variables[i]``.
        offset: The identity coefficient ``C`` of ``H_P``.
        gates: The gates (see the module docstring).
        phase: ``Σγ·C`` over the problem layers built from rotations: the final state is the
            gates' state times ``exp(-i·phase)``.
    """

    variables: tuple[Any, ...]
    offset: float
    gates: list[Gate]
    phase: float

    @property
    def num_qubits(self) -> int:
        """``d``, the number of qubits."""
        return len(self.variables)


def check_layers(layers: Sequence[Layer]) -> list[Layer]:
    """Validate a layer sequence as produced by :func:`trotter_layers`.

    Args:
        layers: ``(kind, coefficient)`` pairs, ``kind`` in ``{"driver", "problem"}``.

    Returns:
        The layers as a list of ``(str, float)``.

    Raises:
        InvalidArgumentError: On an unknown kind or a non-finite coefficient.

    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise invalid_type("layers", layers, "a list of (kind, coefficient) pairs",
                           "build it with hybridxai.circuits.trotter_layers(...)")
    checked: list[Layer] = []
    for k, layer in enumerate(layers):
        try:
            kind, coeff = layer
            coeff = float(coeff)
        except (TypeError, ValueError) as exc:
            raise invalid_argument(f"layers[{k}]", layer, "is not a (kind, coefficient) pair",
                                   "build the layers with hybridxai.circuits.trotter_layers(...)"
                                   ) from exc
        if kind not in ("driver", "problem") or not np.isfinite(coeff):
            raise invalid_argument(
                f"layers[{k}]", layer,
                "kind must be 'driver' or 'problem' with a finite coefficient",
                "build the layers with hybridxai.circuits.trotter_layers(...)",
            )
        checked.append((kind, coeff))
    return checked


def trotter_gates(
    problem: dimod.BinaryQuadraticModel | DenseQubo,
    layers: Sequence[Layer],
    *,
    diagonal_gate: bool = False,
) -> TrotterGates:
    """Turn a problem and its layer sequence into gates (after validating both).

    Args:
        problem: The BQM (or its :class:`~hybridxai.anneal.ising.DenseQubo`).
        layers: Layers from :func:`~hybridxai.anneal.schedules.trotter_layers`.
        diagonal_gate: One ``"diagonal"`` gate per problem layer instead of rotations.

    Returns:
        The gates, their qubit order and the global phase.

    Raises:
        InvalidArgumentError: For a malformed layer sequence.
        InvalidTypeError: If ``problem`` is not a BQM or ``DenseQubo``.

    """
    qubo = as_dense_qubo(problem, "problem")
    layers = check_layers(layers)
    terms = ising_terms(qubo)
    d = terms.num_qubits
    pauli = terms.pauli_terms()
    if diagonal_gate and d:
        # the diagonal holds 2**d complex phases (plus the float64 energies they come from)
        check_statevector_memory(d, 16 + 8, backend="circuits",
                                 subject="a circuit with diagonal_gate=True: its diagonal gate")
    energies = basis_energies(qubo) if diagonal_gate and d else None
    all_qubits = tuple(range(d))
    gates: list[Gate] = []
    phase = 0.0
    for kind, coeff in layers:
        if kind == "driver":
            if coeff != 0.0:
                gates.extend(("rx", (q,), -2.0 * coeff) for q in all_qubits)
        elif energies is not None:
            gates.append(("diagonal", all_qubits, np.exp(-1j * coeff * energies)))
        else:
            phase += coeff * terms.constant
            for qubits, c in pauli:
                gates.append(("rz" if len(qubits) == 1 else "rzz", qubits, 2.0 * coeff * c))
    return TrotterGates(tuple(terms.variables), terms.constant, gates, phase)


def anneal_layers(
    bqm: dimod.BinaryQuadraticModel,
    total_time: float,
    num_steps: int,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: float | str = "unit",
) -> tuple[DenseQubo, list[Layer]]:
    """The dense problem and the layer sequence of the digitized anneal (docs/method.md, Annealing).

    Args:
        bqm: BINARY or SPIN model; qubit ``i`` is its ``i``-th variable.
        total_time: Anneal time ``T`` (> 0).
        num_steps: Trotter steps ``M`` (≥ 1).
        schedule: ``None``/``"linear"``, a callable ``s(u)`` or ``(times, values)``.
        order: Trotter order 1 or 2.
        driver_scale: ``"unit"`` (``H_D = -ΣX``), ``"1/d"`` (authors' code) or a number.

    Returns:
        ``(qubo, layers)`` for :func:`trotter_gates`.

    Raises:
        InvalidArgumentError: For non-positive ``total_time``/``num_steps``, a bad ``order``,
            ``driver_scale`` or schedule.

    """
    qubo = as_dense_qubo(bqm)
    c = resolve_driver_scale(driver_scale, qubo.num_variables)
    return qubo, trotter_layers(schedule, total_time, num_steps, order, c)

