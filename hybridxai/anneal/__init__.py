"""The annealing core, in numpy only: the feature-selection QUBO, its Ising form, schedules,
the annealing specification and the native statevector evolution.

* :mod:`~hybridxai.anneal.qubo` — importance, redundancy and the QUBO of one image;
* :mod:`~hybridxai.anneal.ising` — dense QUBO arrays, basis energies, Pauli-Z coefficients;
* :mod:`~hybridxai.anneal.spec` — driver scale, time step, ground-state fidelity;
* :mod:`~hybridxai.anneal.schedules` — ``s(u)`` schedules and the Trotter layer sequence;
* :mod:`~hybridxai.anneal.trotter` — the gate list of one Trotter step (SDK-neutral);
* :mod:`~hybridxai.anneal.evolution` — the layers applied to a statevector (numba / numpy).

Circuits (:mod:`hybridxai.circuits`), samplers (:mod:`hybridxai.backends`) and the physics
analysis (:mod:`hybridxai.analysis`) are built on these and on nothing of each other.
"""
