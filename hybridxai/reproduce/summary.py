"""From per-image records to the paper's tables and the data behind its figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from hybridxai.metrics import average_drop, bhattacharyya_matrix, increase_in_confidence, selection_histograms
from hybridxai.reproduce.records import (
    BASELINES,
    AnnealSelection,
    PhysicsMeasures,
    PhysicsRecord,
    RestrictedRecord,
    Selection,
    beta_key,
    sweep_method,
)

__all__ = ["MethodScores", "ScoredRecord", "score_methods", "class_map", "BetaCurve", "beta_sweep",
           "with_measures", "by_size", "quartiles", "time_to_fidelity", "median_time_to_fidelity"]


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


class ScoredRecord(Protocol):
    """A record with confidences: :class:`~hybridxai.reproduce.records.RestrictedRecord` or ``FullRecord``."""

    label: int
    y: float
    o: dict[str, float]

    def selection(self, method: str) -> AnnealSelection | Selection | None:
        """The selection behind the map ``method`` (``None`` for a baseline)."""


def _scores(name: str, y: np.ndarray, o: np.ndarray, labels: np.ndarray, num_classes: int,
            fractions: Sequence[float] | None) -> MethodScores:
    per_class = [average_drop(y[labels == c], o[labels == c]) if np.any(labels == c) else float("nan")
                 for c in range(num_classes)]
    return MethodScores(name, per_class, average_drop(y, o), increase_in_confidence(y, o),
                        float(np.mean(fractions)) if fractions is not None else None, len(y))


def score_methods(records: Sequence[ScoredRecord], methods: Mapping[str, str],
                  num_classes: int) -> dict[str, MethodScores]:
    """Score the maps named in ``methods`` (method key → table label).

    Args:
        records: Records of one stage.
        methods: ``{"gradcam": "GradCAM", ...}``; keys index each record's ``o``. A method
            other than a baseline also gets the mean selected fraction ``|S|/d``.
        num_classes: Number of classes.

    Returns:
        One :class:`MethodScores` per method, by method key, in the order of ``methods``.
    """
    y = np.array([r.y for r in records])
    labels = np.array([r.label for r in records])
    out = {}
    for key, label in methods.items():
        o = np.array([r.o[key] for r in records])
        fractions = None
        if key not in BASELINES:
            fractions = [_selection(r, key).fraction for r in records]
        out[key] = _scores(label, y, o, labels, num_classes, fractions)
    return out


def _selection(record: ScoredRecord, method: str) -> AnnealSelection | Selection:
    chosen = record.selection(method)
    if chosen is None:
        raise KeyError(f"record {record!r:.60} has no selection for the method {method!r}")
    return chosen


def class_map(selections: Sequence[Sequence[int]], labels: Sequence[int], num_feature_maps: int,
              num_classes: int) -> np.ndarray:
    """The class–class Bhattacharyya map of a set of selections (the paper's Fig. 2)."""
    return bhattacharyya_matrix(selection_histograms(selections, labels, num_feature_maps, num_classes))


@dataclass(frozen=True)
class BetaCurve:
    """Average Drop and mean selected fraction against beta (Fig. 3).

    Attributes:
        beta: The betas, ascending as configured.
        average_drop: Average Drop % at each beta.
        fraction_selected: Mean ``|S|/d`` at each beta.
    """

    beta: list[float]
    average_drop: list[float]
    fraction_selected: list[float]


def beta_sweep(records: Sequence[RestrictedRecord], betas: Sequence[float]) -> BetaCurve:
    """Average Drop and mean selected fraction for each beta of the restricted sweep."""
    y = np.array([r.y for r in records])
    drops, fractions = [], []
    for b in betas:
        o = np.array([r.o[sweep_method(b)] for r in records])
        drops.append(average_drop(y, o))
        fractions.append(float(np.mean([r.sweep[beta_key(b)].fraction for r in records])))
    return BetaCurve([float(b) for b in betas], drops, fractions)


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """``(q25, median, q75)`` of a non-empty sequence."""
    q = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(q[0]), float(q[1]), float(q[2])


def with_measures(records: Sequence[PhysicsRecord]) -> list[tuple[PhysicsRecord, PhysicsMeasures]]:
    """The physics records that have measures (``d`` > 0), each with its measures."""
    return [(r, r.measures) for r in records if r.measures is not None]


def by_size(records: Sequence[PhysicsRecord], value: Callable[[PhysicsMeasures], float]
            ) -> dict[int, list[float]]:
    """A physics quantity grouped by the problem size d, sizes ascending.

    Args:
        records: Physics records; those without measures (``d`` = 0) are skipped.
        value: The quantity, e.g. ``lambda m: m.min_gap`` or ``lambda m: m.fidelity[0]``.

    Returns:
        ``{d: [value of each record with that d]}``.
    """
    groups: dict[int, list[float]] = defaultdict(list)
    for r, m in with_measures(records):
        groups[r.d].append(float(value(m)))
    return dict(sorted(groups.items()))


def time_to_fidelity(measures: PhysicsMeasures, target: float = 0.9) -> float:
    """The anneal time at which the fidelity of one instance first reaches ``target``.

    Interpolated linearly in ``log T`` between the measured anneal times that bracket the first
    crossing; the smallest measured ``T`` if it already reaches it, ``inf`` if none does.

    Example:
        >>> m = PhysicsMeasures(0.1, 0.9, (0.5, 0.8, 0.95), (10.0, 30.0, 100.0))
        >>> round(time_to_fidelity(m), 3)
        66.943
    """
    times = np.asarray(measures.total_times, dtype=float)
    fidelity = np.asarray(measures.fidelity, dtype=float)
    order = np.argsort(times)
    times, fidelity = times[order], fidelity[order]
    above = np.flatnonzero(fidelity >= target)
    if above.size == 0:
        return float("inf")
    k = int(above[0])
    if k == 0:
        return float(times[0])
    f0, f1 = fidelity[k - 1], fidelity[k]
    x0, x1 = np.log(times[k - 1]), np.log(times[k])
    return float(np.exp(x0 + (target - f0) * (x1 - x0) / (f1 - f0)))


def median_time_to_fidelity(records: Sequence[PhysicsRecord], target: float = 0.9
                            ) -> dict[int, float]:
    """Median over the instances of each size ``d`` of :func:`time_to_fidelity`.

    Instances that never reach ``target`` count as ``inf``; a size whose median is ``inf``
    (more than half never reach it within the measured times) is left out.

    Returns:
        ``{d: median T}``, sizes ascending.
    """
    groups = by_size(records, lambda m: time_to_fidelity(m, target))
    medians = {d: float(np.median(v)) for d, v in groups.items()}
    return {d: t for d, t in medians.items() if np.isfinite(t)}
