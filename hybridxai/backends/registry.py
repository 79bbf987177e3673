"""The sampler registry: backend names → :class:`dimod.Sampler` factories.

Every backend is a ``dimod.Sampler`` (hybridxai's own derive from
:class:`hybridxai.backends.base.BaseSampler`); the registry only knows where each one lives and
which pip extra of :data:`hybridxai._util.optional.EXTRAS` installs its dependencies, and
imports it on first use.

Example:
    >>> from hybridxai import get_sampler
    >>> sampler = get_sampler("exact")
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> float(sampler.sample(bqm).first.energy)
    -1.0
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import dimod

from hybridxai._util.optional import EXTRAS, extra_installed, pip_command
from hybridxai.exceptions import (
    InvalidArgumentError,
    MissingDependencyError,
    UnknownBackendError,
    invalid_argument,
    invalid_type,
)

__all__ = ["BackendSpec", "BACKENDS", "get_sampler", "available_backends", "register_backend"]


@dataclass(frozen=True)
class BackendSpec:
    """Where a backend lives.

    Attributes:
        name: Registry name (``"sa"``).
        target: ``"module:ClassName"`` of the ``dimod.Sampler`` subclass.
        extra: The hybridxai pip extra that installs its dependencies, a key of
            :data:`hybridxai._util.optional.EXTRAS` (``None``: core).
        summary: One line for listings.
    """

    name: str
    target: str
    extra: str | None
    summary: str

    def installed(self) -> bool:
        """Tell whether its optional SDK is installed (without importing anything)."""
        return self.extra is None or (self.extra in EXTRAS and extra_installed(self.extra))

    def load(self) -> type[dimod.Sampler]:
        """Import and return the sampler class."""
        module_name, _, class_name = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except MissingDependencyError:
            raise
        except ImportError as exc:
            if (exc.name or "").startswith("hybridxai"):
                raise
            raise MissingDependencyError(
                f"backend '{self.name}' ({self.summary}) needs an optional dependency that is not "
                f"installed ({exc}). Fix: {pip_command(self.extra or 'all')}."
            ) from exc
        return getattr(module, class_name)


BACKENDS: dict[str, BackendSpec] = {}


def register_backend(name: str, target: str, extra: str | None, summary: str) -> None:
    """Add (or replace) a backend in the registry.

    Args:
        name: The name users pass to :func:`get_sampler`.
        target: ``"module:ClassName"``.
        extra: Pip extra for its dependencies (a key of
            :data:`hybridxai._util.optional.EXTRAS`), or ``None``.
        summary: One line describing it.

    Raises:
        InvalidArgumentError: If ``extra`` is not one of hybridxai's extras.
    """
    if extra is not None and extra not in EXTRAS:
        raise invalid_argument("extra", extra, "is not a pip extra of hybridxai",
                               f"pass one of {sorted(EXTRAS)}, or None for a backend without one")
    BACKENDS[name] = BackendSpec(name, target, extra, summary)


register_backend("exact", "hybridxai.backends.exact:ExactSampler", None,
                 "brute-force enumeration, the reference for small problems")
register_backend("sa", "hybridxai.backends.sa.sampler:SimulatedAnnealingSampler", None,
                 "classical simulated annealing (dwave-samplers)")
register_backend("certified", "hybridxai.backends.certified.sampler:CertifiedSampler", None,
                 "proven optimum (branch and bound on a convex relaxation), with a lower bound")
register_backend("statevector", "hybridxai.backends.statevector:StatevectorAnnealingSampler", None,
                 "native digitized quantum annealing on a statevector (fast path)")
register_backend("aer", "hybridxai.backends.aer:AerAnnealingSampler", "qiskit",
                 "Trotterized annealing circuit on Qiskit Aer's statevector simulator")
register_backend("pennylane", "hybridxai.backends.pennylane_sampler:PennyLaneAnnealingSampler",
                 "pennylane", "Trotterized annealing circuit on PennyLane lightning.qubit")
register_backend("dwave", "hybridxai.backends.cloud.dwave:DWaveAnnealingSampler", "dwave",
                 "D-Wave quantum annealer through Ocean (EmbeddingComposite)")
register_backend("leap-hybrid", "hybridxai.backends.cloud.dwave:LeapHybridBQMSampler", "dwave",
                 "D-Wave Leap hybrid solver for large problems")
register_backend("ibm-runtime", "hybridxai.backends.cloud.ibm:IBMRuntimeAnnealingSampler", "ibm",
                 "Trotterized annealing circuit on IBM Quantum devices (Qiskit Runtime SamplerV2)")


def available_backends() -> dict[str, str]:
    """Registry names and their one-line summaries (installed or not)."""
    return {name: spec.summary for name, spec in BACKENDS.items()}


def _known() -> str:
    return ", ".join(
        f"'{n}'" + (f" ({pip_command(s.extra)})" if s.extra else "")
        for n, s in BACKENDS.items()
    )


def get_sampler(name: str | dimod.Sampler, **config: Any) -> dimod.Sampler:
    """Create a sampler by registry name.

    Args:
        name: A registry name (``"exact"``, ``"sa"``, ``"statevector"``, ``"aer"``,
            ``"pennylane"``, ``"dwave"``, ``"leap-hybrid"``), or an existing ``dimod.Sampler``
            which is returned unchanged (``config`` must then be empty).
        **config: Passed to the sampler's constructor (e.g. ``seed=``, ``num_reads=`` defaults).

    Returns:
        A ``dimod.Sampler``.

    Raises:
        UnknownBackendError: If the name is not registered; the message lists the known names.
        MissingDependencyError: If the backend's optional SDK is not installed.

    Example:
        >>> get_sampler("sa", seed=1).__class__.__name__
        'SimulatedAnnealingSampler'
    """
    if isinstance(name, dimod.Sampler):
        if config:
            raise invalid_type(
                "config", config, "no keyword arguments when a sampler instance is given",
                "configure the sampler instance yourself, or pass its registry name",
            )
        return name
    if not isinstance(name, str):
        raise invalid_type(
            "name", name, "a backend name (str) or a dimod.Sampler",
            f"pass one of {', '.join(repr(n) for n in BACKENDS)}",
        )
    key = name.strip().lower().replace("_", "-")
    spec = BACKENDS.get(key)
    if spec is None:
        raise UnknownBackendError(
            f"backend={name!r} is invalid: not a known backend. Known backends: {_known()}. "
            "Fix: pass one of these names, or any dimod.Sampler instance."
        )
    cls = spec.load()
    try:
        return cls(**config)
    except TypeError as exc:
        if "argument" not in str(exc):
            raise
        raise InvalidArgumentError(
            f"config={sorted(config)} is invalid for backend '{key}': {exc}. Fix: pass only the "
            f"options {cls.__name__} accepts (see help(hybridxai.get_sampler('{key}')))."
        ) from None
