"""Lazy imports of optional dependencies with an actionable error."""

from __future__ import annotations

import importlib
from types import ModuleType

from hybridxai.exceptions import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency or raise an error naming the pip extra.

    Args:
        module: Dotted module name, e.g. ``"qiskit_aer"``.
        extra: The hybridxai extra that installs it, e.g. ``"qiskit"``.
        purpose: What needs it, for the message, e.g. ``"the 'aer' backend"``.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: If the module cannot be imported.

    Example:
        >>> np = import_optional("numpy", "core", "arrays")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package '{module.split('.')[0]}', which could not be "
            f"imported ({exc}). Fix: pip install 'hybridxai[{extra}]'."
        ) from exc
