"""The "pennylane" backend: the Trotterized annealing circuit on a PennyLane simulator.

The operations are :func:`hybridxai.circuits.pennylane_circuit.trotter_operations`
(``Hadamard``, ``RX``, ``RZ``/``IsingZZ``, one ``GlobalPhase``), executed as one tape measuring
``qml.state()`` on ``lightning.qubit`` (falling back to ``default.qubit`` when the lightning
plugin is missing). PennyLane's big-endian state is bit-reversed into hybridxai's little-endian
order, so it equals the native and Aer states, global phase included.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> sampler = PennyLaneAnnealingSampler(total_time=5.0, num_steps=50, seed=0)
    >>> float(sampler.sample(bqm, num_reads=20).first.energy)
    -1.0

"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridxai._util.optional import import_optional
from hybridxai.anneal.ising import DenseQubo
from hybridxai.anneal.schedules import Layer
from hybridxai.backends.annealing import AnnealingSampler
from hybridxai.circuits.pennylane_circuit import (
    make_device,
    reverse_qubit_order,
    trotter_operations,
)

__all__ = ["PennyLaneAnnealingSampler"]


class PennyLaneAnnealingSampler(AnnealingSampler):
    """Digitized quantum annealing on a PennyLane statevector device.

    Args:
        device: PennyLane device name. ``None`` (default) uses ``lightning.qubit`` and falls
            back to ``default.qubit`` if lightning cannot be loaded; the device actually used
            is in :attr:`properties` (``"device"``) and in each sample set's ``info``.
        **kwargs: The :class:`~hybridxai.backends.annealing.AnnealingSampler` defaults
            (``total_time``, ``num_steps``, ``num_reads``, ``seed``, ``schedule``, ``order``,
            ``driver_scale``, ``max_memory_bytes``).

    A sample set's ``info`` also records the ``device`` used.

    Raises:
        MissingDependencyError: If PennyLane is not installed
            (``pip install 'hybridxai[pennylane]'``).
        InvalidArgumentError: If the named device cannot be created.

    """

    backend_name = "pennylane"
    # device state + returned copy + bit-reversal copy (complex128 each), diagonal and |ψ|².
    bytes_per_amplitude = 16 + 16 + 16 + 8 + 8

    def __init__(self, *, device: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        qml = import_optional("pennylane", "pennylane", "the 'pennylane' backend")
        self._pennylane_version = str(getattr(qml, "__version__", "unknown"))
        self.requested_device = device
        # resolve the fallback once, on a 1-wire device, so properties name the real device
        _, self.device_name = make_device(1, device)

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties: backend, the PennyLane device used and PennyLane's version."""
        return {**super().properties, "device": self.device_name,
                "requested_device": self.requested_device,
                "pennylane_version": self._pennylane_version}

    def _sample_info(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The PennyLane ``device`` used (e.g. ``"lightning.qubit"``)."""
        return {"device": self.device_name}

    def _evolve(
        self,
        qubo: DenseQubo,
        diagonal: NDArray[np.float64],
        layers: list[Layer],
        **options: Any,
    ) -> NDArray[np.complexfloating]:
        qml = import_optional("pennylane", "pennylane", "the 'pennylane' backend")
        ops = trotter_operations(qubo, layers)
        device, _ = make_device(qubo.num_variables, self.device_name)
        tape = qml.tape.QuantumScript(ops, [qml.state()])
        (state,) = qml.execute([tape], device, diff_method=None)
        return reverse_qubit_order(np.asarray(state, dtype=np.complex128))
