"""Mean fraction of feature maps selected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.metrics._checks import as_index

__all__ = ["selected_fraction"]


def _fractions_of_explanations(items: Sequence[Any], relative_to: str) -> list[float]:
    fractions = []
    for i, item in enumerate(items):
        qubo = getattr(item, "qubo", None)
        if not hasattr(item, "selected") or qubo is None:
            raise invalid_type(f"selections[{i}]", item, "an Explanation (with .selected, .qubo)",
                               "pass explanations, or counts with totals=")
        total = qubo.num_variables if relative_to == "variables" else qubo.num_feature_maps
        fractions.append(len(item.selected) / total if total else 0.0)
    return fractions


def selected_fraction(
    selections: Sequence[Any],
    totals: int | Sequence[int] | None = None,
    *,
    relative_to: Literal["variables", "feature_maps"] = "variables",
) -> float:
    """Mean over images of ``|S_i| / total_i``, the fraction of feature maps selected.

    Args:
        selections: Either :class:`~hybridxai.Explanation` objects, or the number of selected
            maps per image (ints; then ``totals`` is required).
        totals: With counts: the number of candidate maps, one for all images or one per image.
            Must be ``None`` with explanations, whose totals come from their QUBO.
        relative_to: With explanations: ``"variables"`` divides by ``d = |P|``, the positive
            maps the QUBO chose from (as :attr:`Explanation.fraction_selected` does);
            ``"feature_maps"`` divides by ``K``, all maps at the layer.

    Returns:
        The mean fraction in [0, 1]. An image with no candidates (``d = 0``) counts as 0.

    Raises:
        InvalidArgumentError: Empty input, counts larger than their total, negative values,
            lengths that differ, or a bad ``relative_to``.
        InvalidTypeError: Items that are neither explanations nor ints.

    Example:
        >>> selected_fraction([3, 5], totals=[12, 10])
        0.375
        >>> selected_fraction([2, 4, 0], totals=16)
        0.125

    """
    fix = "pass explanations, or counts such as [3, 5] with totals=16 or totals=[12, 10]"
    if isinstance(selections, (str, bytes)) or not isinstance(selections, Sequence):
        if isinstance(selections, np.ndarray) and selections.ndim == 1:
            selections = selections.tolist()
        else:
            raise invalid_type("selections", selections, "a sequence", fix)
    if len(selections) == 0:
        raise invalid_argument("selections", selections, "is empty", fix)
    if relative_to not in ("variables", "feature_maps"):
        raise invalid_argument("relative_to", relative_to, "must be 'variables' or 'feature_maps'",
                               "pass relative_to='variables' (d) or 'feature_maps' (K)")
    if hasattr(selections[0], "selected"):
        if totals is not None:
            raise invalid_argument("totals", totals, "is taken from the explanations' QUBOs",
                                   "leave totals=None, or pass counts instead of explanations")
        return float(np.mean(_fractions_of_explanations(selections, relative_to)))
    counts = np.array([as_index(f"selections[{i}]", c, fix) for i, c in enumerate(selections)])
    if totals is None:
        raise invalid_argument("totals", totals, "is required with counts", fix)
    if isinstance(totals, Sequence) or isinstance(totals, np.ndarray):
        if len(totals) != len(counts):
            raise invalid_argument("totals", totals,
                                   f"gives {len(totals)} totals for {len(counts)} counts", fix)
        total = np.array([as_index(f"totals[{i}]", t, fix) for i, t in enumerate(totals)])
    else:
        total = np.full(len(counts), as_index("totals", totals, fix))
    if (counts < 0).any() or (total < 0).any():
        raise invalid_argument("selections", selections, "counts and totals must be non-negative",
                               fix)
    over = np.flatnonzero(counts > total)
    if over.size:
        i = int(over[0])
        raise invalid_argument(f"selections[{i}]", int(counts[i]),
                               f"is larger than its total {int(total[i])}", fix)
    safe = np.where(total > 0, total, 1)
    return float(np.mean(np.where(total > 0, counts / safe, 0.0)))
