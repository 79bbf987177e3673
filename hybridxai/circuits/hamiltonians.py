"""The problem and driver Hamiltonians as Qiskit and PennyLane operators.

Conventions (the same as :mod:`hybridxai.anneal.ising`):

* Qubit ``i`` carries the ``i``-th variable of ``bqm.variables``.
* ``n = (1 - Z) / 2``, so ``n = 1`` is ``|1>``; SPIN models use ``s = 2n - 1 = -Z``.
* Qiskit: Pauli labels are little-endian (qubit 0 is the *rightmost* character), so
  ``SparsePauliOp.to_matrix()`` is indexed exactly like hybridxai statevectors.
* PennyLane: wire ``i`` is qubit ``i`` (integer wires ``0..d-1``, not the BQM labels, which
  may be any hashable). PennyLane orders states big-endian in wire order (wire 0 is the
  *most* significant bit), so ``qml.matrix(H, wire_order=range(d))`` is the bit-reversed
  permutation of the hybridxai matrix; ``wire_order=range(d)[::-1]`` gives hybridxai order.

Every converter returns the operator **without** its identity part and that part as a separate
float ``offset``::

    H_P = operator + offset * I

so ``operator.to_matrix().diagonal() + offset`` equals the BQM energies of the basis states
(:func:`hybridxai.anneal.ising.basis_energies`). This matches
``qiskit_optimization.QuadraticProgram.to_ising()``, which also returns ``(operator, offset)``.

Qiskit and PennyLane are optional: they are imported when a converter is called, and a
missing SDK raises :class:`hybridxai.exceptions.MissingDependencyError` naming the pip extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dimod
import numpy as np

from hybridxai._util.checks import check_positive_int
from hybridxai._util.optional import import_optional
from hybridxai.anneal.ising import IsingTerms, ising_terms
from hybridxai.anneal.spec import resolve_driver_scale
from hybridxai.exceptions import invalid_argument, invalid_type

if TYPE_CHECKING:  # pragma: no cover
    from qiskit.quantum_info import SparsePauliOp

__all__ = [
    "IsingTerms",
    "ising_terms",
    "to_sparse_pauli_op",
    "to_pennylane",
    "driver_sparse_pauli_op",
    "driver_pennylane",
    "from_quadratic_program",
]


def _check_num_qubits(num_qubits: Any) -> int:
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, (int, np.integer)):
        raise invalid_type("num_qubits", num_qubits, "a non-negative integer",
                           "pass e.g. num_qubits=4")
    return check_positive_int("num_qubits", num_qubits, "pass e.g. num_qubits=4", minimum=0)


def to_sparse_pauli_op(bqm: dimod.BinaryQuadraticModel) -> tuple[SparsePauliOp, float]:
    """Build the problem Hamiltonian as a Qiskit ``SparsePauliOp`` and its identity part.

    Args:
        bqm: BINARY or SPIN model with ``d`` variables.

    Returns:
        ``(operator, offset)`` with ``H_P = operator + offset·I``. ``operator`` acts on ``d``
        qubits and holds only ``Z`` and ``ZZ`` terms (little-endian labels, qubit ``i`` =
        ``i``-th variable); with no such term it is the zero operator ``0·I``.

    Raises:
        MissingDependencyError: If Qiskit is not installed (``pip install 'hybridxai[qiskit]'``).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1.0}, {("a", "b"): 2.0}, 0.5, "BINARY")
        >>> op, offset = to_sparse_pauli_op(bqm)
        >>> (op.to_matrix().diagonal().real + offset).tolist()   # |00>, a=1, b=1, both
        [0.5, -0.5, 0.5, 1.5]

    """
    terms = ising_terms(bqm)
    qi = import_optional("qiskit.quantum_info", "qiskit", "to_sparse_pauli_op()")
    sparse = [("Z" * len(q), list(q), c) for q, c in terms.pauli_terms()]
    op = qi.SparsePauliOp.from_sparse_list(sparse, num_qubits=terms.num_qubits)
    return op, terms.constant


def to_pennylane(bqm: dimod.BinaryQuadraticModel) -> tuple[Any, float]:
    """Build the problem Hamiltonian as a PennyLane operator and its identity part.

    Args:
        bqm: BINARY or SPIN model with ``d`` variables.

    Returns:
        ``(hamiltonian, offset)`` with ``H_P = hamiltonian + offset·I``. ``hamiltonian`` is a
        ``qml.Hamiltonian`` (a ``LinearCombination`` in PennyLane ≥ 0.36) of ``qml.Z(i)`` and
        ``qml.Z(i) @ qml.Z(j)`` on integer wires (wire ``i`` = qubit ``i``); with no such term
        it is ``0·Identity`` on all wires. Its matrix in hybridxai's little-endian order is
        ``qml.matrix(hamiltonian, wire_order=range(d)[::-1])``.

    Raises:
        MissingDependencyError: If PennyLane is not installed
            (``pip install 'hybridxai[pennylane]'``).

    """
    terms = ising_terms(bqm)
    qml = import_optional("pennylane", "pennylane", "to_pennylane()")
    coeffs: list[float] = []
    ops: list[Any] = []
    for qubits, c in terms.pauli_terms():
        coeffs.append(c)
        ops.append(qml.Z(qubits[0]) if len(qubits) == 1 else qml.Z(qubits[0]) @ qml.Z(qubits[1]))
    if not ops and terms.num_qubits:
        coeffs, ops = [0.0], [qml.Identity(wires=list(range(terms.num_qubits)))]
    return qml.Hamiltonian(coeffs, ops), terms.constant


def driver_sparse_pauli_op(num_qubits: int, scale: float | str = 1.0) -> SparsePauliOp:
    """Build the driver ``H_D = -c·Σ_i X_i`` as a Qiskit ``SparsePauliOp``.

    Args:
        num_qubits: ``d``.
        scale: ``c``: a positive number, ``"unit"`` (1) or ``"1/d"`` (the authors' code).

    Returns:
        The operator on ``d`` qubits (the zero operator when ``d = 0``).

    Example:
        >>> driver_sparse_pauli_op(2).to_list()
        [('IX', (-1+0j)), ('XI', (-1+0j))]

    """
    d = _check_num_qubits(num_qubits)
    c = resolve_driver_scale(scale, d)
    qi = import_optional("qiskit.quantum_info", "qiskit", "driver_sparse_pauli_op()")
    return qi.SparsePauliOp.from_sparse_list([("X", [i], -c) for i in range(d)], num_qubits=d)


def driver_pennylane(num_qubits: int, scale: float | str = 1.0) -> Any:
    """Build the driver ``H_D = -c·Σ_i X_i`` as a PennyLane Hamiltonian on wires ``0..d-1``.

    Args:
        num_qubits: ``d``.
        scale: ``c``: a positive number, ``"unit"`` (1) or ``"1/d"`` (the authors' code).

    Returns:
        The operator (an empty sum when ``d = 0``).

    """
    d = _check_num_qubits(num_qubits)
    c = resolve_driver_scale(scale, d)
    qml = import_optional("pennylane", "pennylane", "driver_pennylane()")
    return qml.Hamiltonian([-c] * d, [qml.X(i) for i in range(d)])


def from_quadratic_program(
    qp: Any, *, convert: bool = False, penalty: float | None = None
) -> dimod.BinaryQuadraticModel:
    """Convert a qiskit-optimization ``QuadraticProgram`` to a BINARY BQM.

    Variable ``i`` of the program becomes variable ``i`` of the BQM (labelled by its name), so
    the qubit order is the one of ``QuadraticProgram.to_ising()`` and
    ``to_sparse_pauli_op(from_quadratic_program(qp))`` equals ``qp.to_ising()``.

    A **maximisation** problem becomes the minimisation of ``-f`` (energies are the negated
    objective), exactly as ``to_ising()`` does. Diagonal quadratic terms ``x_i²`` become
    linear (``x² = x`` for binaries).

    Args:
        qp: A ``qiskit_optimization.QuadraticProgram``.
        convert: If ``True``, first apply ``QuadraticProgramToQubo(penalty)`` so integer
            variables and linear constraints are encoded (with extra slack variables and
            penalty terms). If ``False``, such programs are rejected.
        penalty: Penalty factor for ``convert=True`` (``None``: qiskit-optimization's automatic
            choice).

    Returns:
        The BQM (vartype BINARY).

    Raises:
        InvalidTypeError: If ``qp`` is not a ``QuadraticProgram``.
        InvalidArgumentError: If it has non-binary variables or constraints and
            ``convert=False``.
        MissingDependencyError: If qiskit-optimization is not installed.

    """
    qo = import_optional("qiskit_optimization", "qiskit", "from_quadratic_program()")
    if not isinstance(qp, qo.QuadraticProgram):
        raise invalid_type("qp", qp, "a qiskit_optimization.QuadraticProgram",
                           "build one with qiskit_optimization.QuadraticProgram()")
    if convert:
        converters = import_optional("qiskit_optimization.converters", "qiskit",
                                     "from_quadratic_program(convert=True)")
        qp = converters.QuadraticProgramToQubo(penalty=penalty).convert(qp)
    else:
        non_binary = [v.name for v in qp.variables if v.vartype != v.Type.BINARY]
        if non_binary:
            raise invalid_argument(
                "qp", qp.name or "QuadraticProgram",
                f"has non-binary variables {non_binary[:5]}",
                "pass convert=True to encode them with QuadraticProgramToQubo, or convert the "
                "program yourself first",
            )
        num_constraints = len(qp.linear_constraints) + len(qp.quadratic_constraints)
        if num_constraints:
            raise invalid_argument(
                "qp", qp.name or "QuadraticProgram",
                f"has {num_constraints} constraint(s); a BQM is unconstrained",
                "pass convert=True (and optionally penalty=...) to turn linear constraints into "
                "penalty terms with QuadraticProgramToQubo",
            )
    sense = float(qp.objective.sense.value)  # MINIMIZE = 1, MAXIMIZE = -1
    names = [v.name for v in qp.variables]
    linear = {name: 0.0 for name in names}
    for i, coeff in qp.objective.linear.to_dict().items():
        linear[names[i]] += sense * float(coeff)
    bqm = dimod.BinaryQuadraticModel(linear, {}, sense * float(qp.objective.constant), dimod.BINARY)
    for (i, j), coeff in qp.objective.quadratic.to_dict().items():
        if i == j:
            bqm.add_linear(names[i], sense * float(coeff))
        else:
            bqm.add_quadratic(names[i], names[j], sense * float(coeff))
    return bqm
