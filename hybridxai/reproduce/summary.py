"""From per-image records to the paper's tables and the data behind its figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hybridxai.metrics import average_drop, bhattacharyya_matrix, increase_in_confidence, selection_histograms

__all__ = ["MethodScores", "score_methods", "class_map", "beta_sweep", "physics_by_d", "quartiles"]


@dataclass(frozen=True)
class MethodScores:
    """Average Drop per class and overall for one method.

    Attributes:
        name: Method label for tables.
        per_class: Average Drop % per class (NaN where the class has no image).
        average_drop: Over all images.
        increase: Increase in Confidence % over all images.
        fraction_selected: Mean ``|S|/d`` (``None`` for methods without a selection).
        count: Number of images.
    """

    name: str
    per_class: list[float]
    average_drop: float
    increase: float
    fraction_selected: float | None
    count: int
    extra: dict[str, Any] = field(default_factory=dict)


def _scores(name: str, y: np.ndarray, o: np.ndarray, labels: np.ndarray, num_classes: int,
            fractions: Sequence[float] | None) -> MethodScores:
    per_class = [average_drop(y[labels == c], o[labels == c]) if np.any(labels == c) else float("nan")
                 for c in range(num_classes)]
    return MethodScores(name, per_class, average_drop(y, o), increase_in_confidence(y, o),
                        float(np.mean(fractions)) if fractions is not None else None, len(y))


def score_methods(records: Sequence[dict[str, Any]], methods: dict[str, str], num_classes: int,
                  selection_of: dict[str, Any] | None = None) -> list[MethodScores]:
    """Score the maps named in ``methods`` (record key → table label).

    Args:
        records: Records of one stage (each with ``Y``, ``O`` and ``label``).
        methods: ``{"gradcam": "GradCAM", ...}``; keys index ``record["O"]``.
        num_classes: Number of classes.
        selection_of: Optional ``{method key: callable(record) -> (|S|, d)}`` for the fraction.

    Returns:
        One :class:`MethodScores` per method, in order.
    """
    y = np.array([r["Y"] for r in records])
    labels = np.array([r["label"] for r in records])
    out = []
    for key, label in methods.items():
        o = np.array([r["O"][key] for r in records])
        fractions = None
        if selection_of and key in selection_of:
            pairs = [selection_of[key](r) for r in records]
            fractions = [s / d if d else 0.0 for s, d in pairs]
        out.append(_scores(label, y, o, labels, num_classes, fractions))
    return out


def class_map(selections: Sequence[Sequence[int]], labels: Sequence[int], num_feature_maps: int,
              num_classes: int) -> np.ndarray:
    """The class–class Bhattacharyya map of a set of selections (design.md §2)."""
    return bhattacharyya_matrix(selection_histograms(selections, labels, num_feature_maps, num_classes))


def beta_sweep(records: Sequence[dict[str, Any]], betas: Sequence[float]) -> dict[str, list[float]]:
    """Average Drop and mean selected fraction for each beta of the restricted sweep."""
    y = np.array([r["Y"] for r in records])
    drops, fractions = [], []
    for b in betas:
        key = f"{b:g}"
        o = np.array([r["O"][f"sweep:{key}"] for r in records])
        drops.append(average_drop(y, o))
        fr = [len(r["sweep"][key]["selected"]) / r["sweep"][key]["d"] if r["sweep"][key]["d"] else 0.0
              for r in records]
        fractions.append(float(np.mean(fr)))
    return {"beta": [float(b) for b in betas], "average_drop": drops, "fraction_selected": fractions}


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """``(q25, median, q75)`` of a non-empty sequence."""
    q = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(q[0]), float(q[1]), float(q[2])


def physics_by_d(records: Sequence[dict[str, Any]], key: str, index: int | None = None
                 ) -> dict[int, list[float]]:
    """Group a physics quantity (``min_gap``, or ``fidelity[index]``) by the problem size d."""
    groups: dict[int, list[float]] = defaultdict(list)
    for r in records:
        if key not in r:
            continue
        value = r[key] if index is None else r[key][index]
        groups[int(r["d"])].append(float(value))
    return dict(sorted(groups.items()))
