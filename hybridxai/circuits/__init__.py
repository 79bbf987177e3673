"""From a BQM to quantum objects: Hamiltonians, schedules, Trotterized annealing circuits.

Qubit order and the binary/spin map are fixed in :mod:`hybridxai.anneal.ising`.
"""

from hybridxai.anneal.ising import DenseQubo, basis_energies, dense_qubo
from hybridxai.anneal.schedules import Schedule, as_schedule, linear_schedule, trotter_layers
from hybridxai.circuits.hamiltonians import (  # SDKs are imported only when these are called
    IsingTerms,
    driver_pennylane,
    driver_sparse_pauli_op,
    from_quadratic_program,
    ising_terms,
    to_pennylane,
    to_sparse_pauli_op,
)
from hybridxai.circuits.pennylane_circuit import annealing_qnode, annealing_tape
from hybridxai.circuits.qiskit_circuit import annealing_circuit, trotter_circuit

__all__ = [
    "DenseQubo", "basis_energies", "dense_qubo",
    "Schedule", "as_schedule", "linear_schedule", "trotter_layers",
    "IsingTerms", "ising_terms", "to_sparse_pauli_op", "to_pennylane", "driver_sparse_pauli_op",
    "driver_pennylane", "from_quadratic_program",
    "annealing_circuit", "trotter_circuit", "annealing_qnode", "annealing_tape",
]
