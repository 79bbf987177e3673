"""The annealing core, in numpy only.

The feature-selection QUBO, its Ising form, schedules, the annealing specification and the
native statevector evolution.

* :mod:`~hybridxai.anneal.qubo` — importance, redundancy and the QUBO of one image;
* :mod:`~hybridxai.anneal.ising` — dense QUBO arrays, basis energies, Pauli-Z coefficients;
* :mod:`~hybridxai.anneal.spec` — driver scale, time step, ground-state fidelity;
* :mod:`~hybridxai.anneal.operators`, :mod:`~hybridxai.anneal.eigensolvers` — ``H(s)`` as a
  matrix-free operator and its lowest eigenpairs (dense, ARPACK, warm-started block Davidson);
* :mod:`~hybridxai.anneal.gap_profile` — ``E_0``, ``E_1``, gap and ``|<1|∂ₛH|0>|`` along ``s``,
  on a grid or at points placed by :mod:`~hybridxai.anneal.gap_adaptive`;
  :mod:`~hybridxai.anneal.gap_points` — one point of ``Δ(s)`` with its slope, the fixed grid,
  and the cubic between two; :mod:`~hybridxai.anneal.gap_endpoints` — the exact gap and its
  slopes at ``s = 0`` and ``s = 1``;
* :mod:`~hybridxai.anneal.schedules` — ``s(u)`` schedules (linear, pause, local-adiabatic) and
  the Trotter layer sequence;
* :mod:`~hybridxai.anneal.auto_time` — the shortest ``T`` reaching a target fidelity;
* :mod:`~hybridxai.anneal.trotter` — the gate list of one Trotter step (SDK-neutral);
* :mod:`~hybridxai.anneal.evolution` — the layers applied to a statevector (numba / numpy).

Circuits (:mod:`hybridxai.circuits`), samplers (:mod:`hybridxai.backends`) and the physics
analysis (:mod:`hybridxai.analysis`) are built on these and on nothing of each other.
"""
