"""The two sets of conventions an anneal can follow, as plain data (no imports above ``exceptions``).

:mod:`hybridxai.anneal.settings` documents them (its table) and builds an
:class:`~hybridxai.anneal.settings.AnnealSpec` from them; this module only holds the presets and
the check of one choice, so that low-level modules (:mod:`hybridxai.anneal.gap_profile`) can
resolve a preset without importing the schedules.

Example:
    >>> PRESETS["authors"]["gap"]
    'lowest-two'
    >>> check_choice("time_grid", "endpoints")
    'endpoints'
"""

from __future__ import annotations

from typing import Any, Literal

from hybridxai.exceptions import invalid_argument

__all__ = ["Conventions", "TimeGrid", "GapDefinition", "FidelityDefinition", "PRESETS", "CHOICES",
           "check_choice"]

Conventions = Literal["hybridxai", "authors"]
TimeGrid = Literal["midpoint", "endpoints"]
GapDefinition = Literal["manifold", "lowest-two"]
FidelityDefinition = Literal["manifold", "lowest-state"]

PRESETS: dict[str, dict[str, Any]] = {
    "hybridxai": {"driver_scale": "unit", "time_grid": "midpoint", "gap": "manifold", "fidelity": "manifold"},
    "authors": {"driver_scale": "1/d", "time_grid": "endpoints", "gap": "lowest-two",
                "fidelity": "lowest-state"},
}
"""The settings each ``conventions`` preset fills in (see :mod:`hybridxai.anneal.settings`)."""

CHOICES: dict[str, tuple[str, ...]] = {
    "conventions": tuple(PRESETS), "time_grid": ("midpoint", "endpoints"),
    "gap": ("manifold", "lowest-two"), "fidelity": ("manifold", "lowest-state"),
}
"""The allowed values of each convention setting."""


def check_choice(name: str, value: Any) -> str:
    """Validate one convention setting (``conventions``, ``time_grid``, ``gap`` or ``fidelity``).

    Raises:
        InvalidArgumentError: For a value not in :data:`CHOICES`.
    """
    allowed = CHOICES[name]
    if not isinstance(value, str) or value not in allowed:
        raise invalid_argument(name, value, "is not a known choice", f"pass one of {list(allowed)}")
    return value
