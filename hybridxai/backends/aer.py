"""The "aer" backend: the Trotterized annealing circuit on Qiskit Aer's statevector simulator.

The circuit is :func:`hybridxai.circuits.qiskit_circuit.trotter_circuit` (Hadamards, ``RX``
driver layers, ``RZ``/``RZZ`` problem layers and the global phase of the offset), run once on
``qiskit_aer.AerSimulator(method="statevector")`` with ``save_statevector``. Aer is
little-endian like hybridxai, so the saved state needs no reordering and equals the native
annealer's state, global phase included (to ~1e-12 in double precision).

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> sampler = AerAnnealingSampler(total_time=5.0, num_steps=50, seed=0)
    >>> sampleset = sampler.sample(bqm, num_reads=20)
    >>> float(sampleset.first.energy)
    -1.0

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.optional import import_optional
from hybridxai.anneal.evolution import Precision, check_precision
from hybridxai.anneal.ising import DenseQubo
from hybridxai.anneal.schedules import Layer
from hybridxai.backends.annealing import AnnealingSampler
from hybridxai.circuits.qiskit_circuit import trotter_circuit

__all__ = ["AerAnnealingSampler"]


class AerAnnealingSampler(AnnealingSampler):
    """Digitized quantum annealing on Qiskit Aer (``AerSimulator(method="statevector")``).

    Args:
        precision: Aer's statevector precision, ``"double"`` (complex128, default) or
            ``"single"`` (complex64: half the memory, agreement with other backends only to
            ~1e-6).
        **kwargs: The :class:`~hybridxai.backends.annealing.AnnealingSampler` defaults
            (``total_time``, ``num_steps``, ``num_reads``, ``seed``, ``schedule``, ``order``,
            ``driver_scale``, ``max_memory_bytes``).

    ``precision`` can be overridden per call (``sample(bqm, precision="single")``); a sample
    set's ``info`` also records ``precision`` and ``simulator``.

    Raises:
        MissingDependencyError: If qiskit-aer is not installed
            (``pip install 'hybridxai[qiskit]'``).

    """

    backend_name = "aer"
    # Aer's complex128 state + the copy returned to Python, the float64 diagonal and |ψ|².
    bytes_per_amplitude = 16 + 16 + 8 + 8

    def __init__(self, *, precision: Precision = "double", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.precision = check_precision(precision)
        self.defaults["precision"] = self.precision
        aer = import_optional("qiskit_aer", "qiskit", "the 'aer' backend")
        self._aer_version = str(getattr(aer, "__version__", "unknown"))

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample` (adds ``precision``)."""
        return {**super().parameters, "precision": []}

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties: backend, simulator method, precision and Aer version."""
        return {**super().properties, "simulator": "AerSimulator", "method": "statevector",
                "precision": self.precision, "qiskit_aer_version": self._aer_version}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        options = super()._resolve_options(options, bqm)
        options["precision"] = check_precision(options["precision"])
        return options

    def _sample_info(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The ``precision`` and the ``simulator``."""
        return {"precision": options["precision"], "simulator": "AerSimulator(method='statevector')"}

    def _evolve(
        self,
        qubo: DenseQubo,
        diagonal: NDArray[np.float64],
        layers: list[Layer],
        **options: Any,
    ) -> NDArray[np.complexfloating]:
        aer = import_optional("qiskit_aer", "qiskit", "the 'aer' backend")
        library = import_optional("qiskit_aer.library", "qiskit", "the 'aer' backend")
        circuit = trotter_circuit(qubo, layers)
        d = circuit.num_qubits
        if d == 0:  # Aer cannot simulate a 0-qubit circuit; only the global phase remains
            return np.array([np.exp(1j * float(circuit.global_phase))], dtype=np.complex128)
        circuit.append(library.SaveStatevector(d), circuit.qubits)
        simulator = aer.AerSimulator(method="statevector", precision=options["precision"])
        result = simulator.run(circuit).result()
        if not result.success:
            raise RuntimeError(f"Qiskit Aer failed to simulate the annealing circuit: "
                               f"{result.status}")
        return np.asarray(result.data(0)["statevector"], dtype=np.complex128)
