"""From a BQM to quantum objects: Hamiltonians, schedules, Trotterized annealing circuits.

Qubit order and the binary/spin map are fixed in :mod:`hybridxai.circuits.ising`.
"""

from hybridxai.circuits.ising import DenseQubo, basis_energies, dense_qubo
from hybridxai.circuits.schedules import Schedule, as_schedule, linear_schedule, trotter_layers

__all__ = [
    "DenseQubo", "basis_energies", "dense_qubo",
    "Schedule", "as_schedule", "linear_schedule", "trotter_layers",
]
