"""The "statevector" backend: the native, fast digitized quantum annealer.

The Trotter product of :func:`hybridxai.anneal.schedules.trotter_layers` is applied directly to
a statevector by :func:`hybridxai.anneal.evolution.evolve` (its module docstring describes the
numba and numpy engines and the ``complex64`` option); this module adds sampling from the final
state and the ``dimod.SampleSet``. The state equals, global phase included, the one the "aer"
and "pennylane" backends produce from the equivalent circuits.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> sampler = StatevectorAnnealingSampler(total_time=5.0, num_steps=50, seed=0)
    >>> sampleset = sampler.sample(bqm, num_reads=20, engine="numpy")
    >>> float(sampleset.first.energy)
    -1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai.anneal.evolution import (
    Engine,
    Precision,
    StateDType,
    check_engine,
    check_threads,
    default_threads,
    evolve,
    numba_available,
    precision_of,
    resolve_engine,
    state_dtype,
)
from hybridxai.anneal.ising import DenseQubo
from hybridxai.anneal.schedules import Layer
from hybridxai.backends.annealing import AnnealingSampler

__all__ = ["StatevectorAnnealingSampler"]

# --------------------------------------------------------------------------------------------
# the sampler
# --------------------------------------------------------------------------------------------
class StatevectorAnnealingSampler(AnnealingSampler):
    """Digitized quantum annealing simulated natively on a statevector (the fast path).

    Args:
        dtype: Default state precision, ``"complex128"`` or ``"complex64"``.
        precision: The same choice by name, ``"double"`` (complex128, default) or ``"single"``
            (complex64: about twice as fast, half the memory; fidelity within
            :func:`~hybridxai.anneal.evolution.single_precision_fidelity_bound` of double).
            Probabilities are always computed in float64.
        engine: ``"auto"`` (numba when installed, else numpy), ``"numba"`` or ``"numpy"``.
        threads: Default number of threads of the numba engine (``None``: one per available
            core).
        **kwargs: The :class:`~hybridxai.backends.annealing.AnnealingSampler` defaults
            (``total_time``, ``num_steps``, ``num_reads``, ``seed``, ``order``,
            ``driver_scale``, ``max_memory_bytes``).

    Every default can be overridden per call: ``sample(bqm, dtype="complex64", threads=1)``;
    a sample set's ``info`` also records the ``engine`` used, ``dtype`` and the maximum number
    of ``threads`` (states under 2**18 amplitudes use one).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": 1.0, "b": -1.0}, {("a", "b"): -0.5}, 0, "SPIN")
        >>> sampler = StatevectorAnnealingSampler(total_time=10.0, seed=1)
        >>> state = sampler.final_state(bqm, engine="numpy")
        >>> state.shape, round(float(abs(state @ state.conj())), 12)
        ((4,), 1.0)
    """

    backend_name = "statevector"
    # Peak bytes per basis state of a sample() call: the real and imaginary arrays of the
    # evolved state (16, plus at most 1/64 of padding between tiles) and the complex array
    # returned (16), or in the base class's postprocessing the state (16) and |ψ| and |ψ|²
    # (8 + 8); plus the float64 diagonal (8). complex64 saves memory in the evolution, but the
    # base class converts the state to complex128 for |ψ|², so its peak is the same.
    bytes_per_amplitude = 41

    def __init__(
        self,
        *,
        dtype: StateDType = "complex128",
        precision: Precision | None = None,
        engine: Engine = "auto",
        threads: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dtype = state_dtype(dtype, precision)
        self.engine = check_engine(engine)
        self.threads = check_threads(threads)
        self.defaults.update(dtype=self.dtype, engine=self.engine, threads=self.threads)

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample` (adds ``dtype``, ``engine``, ``threads``)."""
        return {**super().parameters, "dtype": [], "precision": [], "engine": [], "threads": []}

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties: backend, default dtype, engine and threads, numba availability."""
        return {**super().properties, "dtype": self.dtype, "precision": precision_of(self.dtype),
                "engine": self.engine,
                "threads": self.threads, "numba_available": numba_available()}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        options = super()._resolve_options(options, bqm)
        options["dtype"] = state_dtype(options["dtype"], options.get("precision"), default=self.dtype)
        options["precision"] = precision_of(options["dtype"])
        options["engine"] = resolve_engine(check_engine(options["engine"]))
        options["threads"] = check_threads(options["threads"])
        return options

    def _sample_info(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The ``engine`` used, the ``dtype`` and the maximum number of ``threads``."""
        engine, threads = options["engine"], options["threads"]
        if engine == "numpy":
            threads = 1
        elif threads is None:
            threads = default_threads()
        return {"engine": engine, "dtype": options["dtype"], "precision": options["precision"],
                "threads": threads}

    def _evolve(
        self, qubo: DenseQubo, diagonal: NDArray[np.float64], layers: list[Layer], **options: Any
    ) -> NDArray[np.complexfloating]:
        return evolve(qubo, layers, dtype=options["dtype"], engine=options["engine"],
                      threads=options["threads"], diagonal=diagonal)
