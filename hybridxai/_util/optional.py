"""Optional dependencies, declared once: the pip extras, what they install, and lazy imports.

:data:`EXTRAS` is the one table of hybridxai's optional SDKs (the extras of ``pyproject.toml``):
the registry names a backend's extra from it, :func:`import_optional` words its error from it,
and the tests skip on it (:func:`extra_installed`), in the spirit of qiskit-optimization's
``optionals.py``.

Example:
    >>> EXTRAS["qiskit"].pip
    "pip install 'hybridxai[qiskit]'"
    >>> np = import_optional("numpy", "samples", "arrays")
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from hybridxai.exceptions import MissingDependencyError

__all__ = ["Extra", "EXTRAS", "pip_command", "extra_installed", "import_optional"]


@dataclass(frozen=True)
class Extra:
    """One pip extra of hybridxai.

    Attributes:
        name: The extra (``"qiskit"`` in ``pip install 'hybridxai[qiskit]'``).
        modules: The modules that must import for the extra to count as installed.
        purpose: What it enables, for listings.
    """

    name: str
    modules: tuple[str, ...]
    purpose: str

    @property
    def pip(self) -> str:
        """The command that installs it."""
        return pip_command(self.name)


EXTRAS: dict[str, Extra] = {
    extra.name: extra for extra in (
        Extra("qiskit", ("qiskit", "qiskit_aer", "qiskit_optimization"),
              "the 'aer' backend, Qiskit circuits and operators"),
        Extra("ibm", ("qiskit", "qiskit_aer", "qiskit_ibm_runtime"),
              "the 'ibm-runtime' backend (IBM Quantum devices and their fake stand-ins)"),
        Extra("pennylane", ("pennylane",), "the 'pennylane' backend and PennyLane operators"),
        Extra("dwave", ("dwave.system", "dwave.cloud", "minorminer"),
              "the 'dwave' and 'leap-hybrid' backends"),
        Extra("samples", ("skimage",), "the bundled sample photos"),
        Extra("dask", ("distributed",), "dataset runs on a Dask cluster"),
        Extra("eval", ("quantus", "pytorch_grad_cam"), "faithfulness evaluation"),
    )
}
"""Extra name → :class:`Extra` (keep in step with ``[project.optional-dependencies]``)."""


def pip_command(extra: str) -> str:
    """``pip install 'hybridxai[extra]'``.

    Example:
        >>> pip_command("dwave")
        "pip install 'hybridxai[dwave]'"
    """
    return f"pip install 'hybridxai[{extra}]'"


def extra_installed(extra: str) -> bool:
    """Tell whether every module of an extra can be imported (without importing it).

    Args:
        extra: A key of :data:`EXTRAS`.

    Raises:
        KeyError: If ``extra`` is not declared in :data:`EXTRAS`.

    Example:
        >>> extra_installed("qiskit") in (True, False)
        True
    """
    for module in EXTRAS[extra].modules:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):  # a missing parent package, or a broken stub
            return False
    return True


def import_optional(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency or raise an error naming the pip extra.

    Args:
        module: Dotted module name, e.g. ``"qiskit_aer"``.
        extra: The hybridxai extra that installs it, a key of :data:`EXTRAS` (e.g. ``"qiskit"``).
        purpose: What needs it, for the message, e.g. ``"the 'aer' backend"``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: If the module cannot be imported.
        KeyError: If ``extra`` is not declared in :data:`EXTRAS` (a bug in the caller).
    """
    command = EXTRAS[extra].pip
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package '{module.split('.')[0]}', which could not be "
            f"imported ({exc}). Fix: {command}."
        ) from exc
