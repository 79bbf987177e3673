"""What each stage of a reproduction stores per image, as typed records.

A stage builds one record per image and stores :meth:`to_dict` of it as one JSON line
(``records/<stage>.jsonl``); the report reads the lines back with :meth:`from_dict`. The
dictionaries have exactly the keys, key order and values the stages have always written, so
runs written before these types existed resume and report unchanged.

* :class:`RestrictedRecord` — stage ``restricted16``: the annealing selection, the beta sweep
  and the confidences of every map.
* :class:`FullRecord` — stage ``full``: SA at each beta of ``sa_betas`` and the confidences.
* :class:`PhysicsRecord` — stage ``physics<N_f>``: the QUBO's couplings, minimum gap and
  fidelity for each anneal time.

``Y`` is the confidence of the true class on the image and ``O[method]`` the same on the image
multiplied by that method's map. The maps are named by :data:`BASELINES`, :data:`QA`,
:func:`sweep_method` and :func:`sa_method`.

Example:
    >>> line = {"selected": [0, 3], "d": 4, "energy": -1.5}
    >>> Selection.from_dict(line).fraction
    0.5
    >>> Selection.from_dict(line).to_dict() == line
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BASELINES", "QA", "beta_key", "sweep_method", "sa_method", "Selection", "AnnealSelection",
    "RestrictedRecord", "FullRecord", "PhysicsMeasures", "PhysicsRecord",
]

BASELINES = {"gradcam": "GradCAM", "gradcam_pp": "GradCAM++"}
"""Keys of the baseline maps in ``O`` (GradCAM and GradCAM++), with the methods' names."""

QA = "qa"
"""Key of the annealing selection's map in ``O`` (stage ``restricted16``)."""

_SWEEP = "sweep:"
_SA = "sa:"


def beta_key(beta: float) -> str:
    """How a beta names its entry in a record (``0.7`` → ``"0.7"``, ``1.0`` → ``"1"``)."""
    return f"{beta:g}"


def sweep_method(beta: float) -> str:
    """Key in ``O`` of the exact selection at ``beta`` of the sweep (``"sweep:0.5"``)."""
    return _SWEEP + beta_key(beta)


def sa_method(beta: float) -> str:
    """Key in ``O`` of the SA selection at ``beta`` on the full model (``"sa:0.99"``)."""
    return _SA + beta_key(beta)


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _common(data: Mapping[str, Any]) -> dict[str, Any]:
    """The image fields every record starts with."""
    return {"key": str(data["key"]), "position": int(data["position"]), "label": int(data["label"])}


@dataclass(frozen=True)
class Selection:
    """The maps one solve selected.

    Attributes:
        selected: Indices of the selected maps (among all maps of the layer).
        d: Number of QUBO variables (``0``: nothing to select).
        energy: QUBO energy of the selection (``None``: not stored, as in the beta sweep).
    """

    selected: tuple[int, ...]
    d: int
    energy: float | None = None

    @property
    def fraction(self) -> float:
        """``|S| / d`` (``0`` when ``d`` is 0)."""
        return len(self.selected) / self.d if self.d else 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        """The selection of a stored line."""
        return cls(_ints(data["selected"]), int(data["d"]), data.get("energy"))

    def to_dict(self) -> dict[str, Any]:
        """The stored form (``energy`` only when known)."""
        out: dict[str, Any] = {"selected": list(self.selected), "d": self.d}
        if self.energy is not None:
            out["energy"] = self.energy
        return out


@dataclass(frozen=True)
class AnnealSelection:
    """The annealing selection of one image's QUBO (stage ``restricted16``).

    Attributes:
        d: Number of QUBO variables.
        num_positive: Maps with positive importance (before the ``max_qubits`` cap).
        channels: The maps the variables stand for.
        selected: The selected maps.
        energy: QUBO energy of the selection.
        fidelity: Final ground-state fidelity of the anneal.
        optimal: Whether the selection has the ground-state energy.
    """

    d: int
    num_positive: int
    channels: tuple[int, ...]
    selected: tuple[int, ...]
    energy: float
    fidelity: float
    optimal: bool

    @property
    def fraction(self) -> float:
        """``|S| / d`` (``0`` when ``d`` is 0)."""
        return len(self.selected) / self.d if self.d else 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnnealSelection:
        """The selection of a stored line."""
        return cls(int(data["d"]), int(data["num_positive"]), _ints(data["channels"]),
                   _ints(data["selected"]), data["energy"], data["fidelity"], bool(data["optimal"]))

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {"d": self.d, "num_positive": self.num_positive, "channels": list(self.channels),
                "selected": list(self.selected), "energy": self.energy, "fidelity": self.fidelity,
                "optimal": self.optimal}


@dataclass(frozen=True)
class RestrictedRecord:
    """One image of stage ``restricted16`` (the N_f = 16 restricted model).

    Attributes:
        key: The image's key in the store (its position, as text).
        position: Position of the image in the study.
        label: True class (the class explained).
        logit_argmax: Predicted class.
        qa: The annealing selection at ``qa_beta``.
        sweep: The exact selection at each beta of ``sweep_betas``, by :func:`beta_key`.
        y: ``Y``, the confidence of ``label`` on the image.
        o: ``O`` of every map, by method key.
    """

    key: str
    position: int
    label: int
    logit_argmax: int
    qa: AnnealSelection
    sweep: dict[str, Selection]
    y: float
    o: dict[str, float]

    def selection(self, method: str) -> AnnealSelection | Selection | None:
        """The selection behind the map ``method`` (``None`` for a baseline)."""
        if method == QA:
            return self.qa
        return {_SWEEP + k: s for k, s in self.sweep.items()}.get(method)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RestrictedRecord:
        """The record of a stored line."""
        return cls(**_common(data), logit_argmax=int(data["logit_argmax"]),
                   qa=AnnealSelection.from_dict(data["qa"]),
                   sweep={k: Selection.from_dict(v) for k, v in data["sweep"].items()},
                   y=data["Y"], o=dict(data["O"]))

    def to_dict(self) -> dict[str, Any]:
        """The stored line."""
        return {"key": self.key, "position": self.position, "label": self.label,
                "logit_argmax": self.logit_argmax, "qa": self.qa.to_dict(),
                "sweep": {k: s.to_dict() for k, s in self.sweep.items()}, "Y": self.y, "O": dict(self.o)}


@dataclass(frozen=True)
class FullRecord:
    """One image of stage ``full`` (all maps of the full model's last block).

    Attributes:
        key: The image's key in the store.
        position: Position of the image in the study.
        label: True class.
        num_feature_maps: Number of maps of the explained layer.
        sa: The SA selection at each beta of ``sa_betas``, by :func:`beta_key`.
        y: ``Y``, the confidence of ``label`` on the image.
        o: ``O`` of every map, by method key.
    """

    key: str
    position: int
    label: int
    num_feature_maps: int
    sa: dict[str, Selection]
    y: float
    o: dict[str, float]

    def selection(self, method: str) -> Selection | None:
        """The selection behind the map ``method`` (``None`` for a baseline)."""
        return {_SA + k: s for k, s in self.sa.items()}.get(method)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FullRecord:
        """The record of a stored line."""
        return cls(**_common(data), num_feature_maps=int(data["num_feature_maps"]),
                   sa={k: Selection.from_dict(v) for k, v in data["sa"].items()},
                   y=data["Y"], o=dict(data["O"]))

    def to_dict(self) -> dict[str, Any]:
        """The stored line."""
        return {"key": self.key, "position": self.position, "label": self.label,
                "num_feature_maps": self.num_feature_maps,
                "sa": {k: s.to_dict() for k, s in self.sa.items()}, "Y": self.y, "O": dict(self.o)}


@dataclass(frozen=True)
class PhysicsMeasures:
    """The anneal physics of one QUBO (absent when it has no variable).

    Attributes:
        min_gap: Minimum gap ``Δ_min`` of ``H(s)``.
        s_min: Where it lies, ``s*``.
        fidelity: Final ground-state fidelity for each anneal time.
        total_times: The anneal times.
    """

    min_gap: float
    s_min: float
    fidelity: tuple[float, ...]
    total_times: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhysicsMeasures | None:
        """The measures of a stored line, ``None`` if it has none."""
        if "min_gap" not in data:
            return None
        return cls(data["min_gap"], data["s_min"], tuple(data["fidelity"]), tuple(data["total_times"]))

    def to_dict(self) -> dict[str, Any]:
        """The stored fields."""
        return {"min_gap": self.min_gap, "s_min": self.s_min, "fidelity": list(self.fidelity),
                "total_times": list(self.total_times)}


@dataclass(frozen=True)
class PhysicsRecord:
    """One image of stage ``physics<N_f>``: its QUBO at ``qa_beta`` and the anneal physics.

    Attributes:
        key: The image's key in the store.
        position: Position of the image in the study.
        label: True class.
        num_filters: ``N_f`` of the restricted model.
        d: Number of QUBO variables.
        num_positive: Maps with positive importance (before the ``max_qubits`` cap).
        channels: The maps the variables stand for.
        couplings: The couplings ``J_pq`` above the diagonal (stored as ``J``).
        measures: Minimum gap and fidelities (``None`` when ``d`` is 0), under hybridxai's
            conventions (and the configured ``driver_scale``).
        by_conventions: The same measures under other conventions of the same image, by name
            (``{"authors": ...}``: its QUBO built with ``build_qubo(..., conventions="authors")``
            and measured with ``conventions="authors"``); stored as ``"conventions"``, absent
            from lines written without them.
    """

    key: str
    position: int
    label: int
    num_filters: int
    d: int
    num_positive: int
    channels: tuple[int, ...]
    couplings: tuple[float, ...]
    measures: PhysicsMeasures | None
    by_conventions: dict[str, PhysicsMeasures] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhysicsRecord:
        """The record of a stored line."""
        others = {name: PhysicsMeasures.from_dict(m) for name, m in data.get("conventions", {}).items()}
        return cls(**_common(data), num_filters=int(data["num_filters"]), d=int(data["d"]),
                   num_positive=int(data["num_positive"]), channels=_ints(data["channels"]),
                   couplings=tuple(data["J"]), measures=PhysicsMeasures.from_dict(data),
                   by_conventions={k: v for k, v in others.items() if v is not None})

    def under(self, conventions: str) -> PhysicsRecord:
        """This record with the measures of ``conventions`` in :attr:`measures` (``None`` if absent).

        ``"hybridxai"`` is the record itself.
        """
        if conventions == "hybridxai":
            return self
        return PhysicsRecord(self.key, self.position, self.label, self.num_filters, self.d,
                             self.num_positive, self.channels, self.couplings,
                             self.by_conventions.get(conventions))

    def to_dict(self) -> dict[str, Any]:
        """The stored line (the measures' fields at the top level, after ``J``)."""
        out = {"key": self.key, "position": self.position, "label": self.label,
               "num_filters": self.num_filters, "d": self.d, "num_positive": self.num_positive,
               "channels": list(self.channels), "J": list(self.couplings)}
        out |= self.measures.to_dict() if self.measures is not None else {}
        if self.by_conventions:
            out["conventions"] = {name: m.to_dict() for name, m in self.by_conventions.items()}
        return out
