"""Settings of a reproduction run, with the paper's values as defaults."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument
from hybridxai.runs.records import settings_fingerprint

__all__ = ["ReproduceConfig", "TABLE_FILTERS", "FULL_STAGE", "physics_stage", "physics_filters"]

TABLE_FILTERS = 16
"""``N_f`` of the restricted model of Table 1, Fig. 2 and Fig. 3 (``num_filters`` must hold it)."""

FULL_STAGE = "full"
"""Name of the stage of the full model (SA on all maps)."""

_PHYSICS = "physics"


def physics_stage(num_filters: int) -> str:
    """Name of the physics stage of the restricted model with ``num_filters`` maps.

    Example:
        >>> physics_stage(24), physics_filters("physics24"), physics_filters("full")
        ('physics24', 24, None)
    """
    return f"{_PHYSICS}{num_filters}"


def physics_filters(stage: str) -> int | None:
    """``N_f`` of a physics stage's name (:func:`physics_stage`), ``None`` for any other name."""
    digits = stage[len(_PHYSICS):]
    return int(digits) if stage.startswith(_PHYSICS) and digits.isdigit() else None


@dataclass(frozen=True)
class ReproduceConfig:
    """Everything that determines the numbers of a reproduction.

    Attributes:
        dataset: Data set name (``"fashion-mnist"``; ``"stl10"`` where available).
        backbone: ``"mobilenet_v2"`` (offline) or ``"resnet18"``.
        per_class: Test images per class (the paper: 20).
        seed: Seed of the image draw and of every solver.
        qa_beta: beta of the annealing selection (the paper: 0.7).
        sa_betas: betas of SA on the full model (the paper: 0.5, 0.7, 0.9, 0.99).
        sweep_betas: betas of the Fig. 3 sweep on the restricted model (solved exactly).
        selection_time: Anneal time ``T`` of the annealing selection.
        total_times: Anneal times of the fidelity study (the paper: 10, 30, 50, 70, 100).
        time_step: ``dt`` of the digitized anneal (the paper: 0.01).
        num_filters: ``N_f`` of the restricted models studied (the paper: 16, 24, 32).
        max_qubits: Cap on ``d`` for the exact physics (statevector size ``2**d``).
        driver_scale: ``"unit"`` (``H_D = -ΣX``) or ``"1/d"`` (the authors' code), for the
            measures under hybridxai's conventions.
        conventions: The conventions the physics stages measure each image under
            (:class:`hybridxai.anneal.settings.AnnealSpec`): ``"hybridxai"`` (always, first) and
            optionally ``"authors"`` (their QUBO scale, grid, driver, gap and fidelity), so the
            fidelity-vs-d and Δ_min-vs-d panels can be drawn side by side on the same images.
        batch_size: Images per forward/backward pass.
        root: Data location (``None``: the default for the data set).
        checkpoints: Folder of heads trained with ``hybridxai train`` (searched before the
            shipped Fashion-MNIST heads).
        quick: Whether this is the quick variant (recorded only).
    """

    dataset: str = "fashion-mnist"
    backbone: str = "mobilenet_v2"
    per_class: int = 20
    seed: int = 0
    qa_beta: float = 0.7
    sa_betas: tuple[float, ...] = (0.5, 0.7, 0.9, 0.99)
    sweep_betas: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
    selection_time: float = 10.0
    total_times: tuple[float, ...] = (10.0, 30.0, 50.0, 70.0, 100.0)
    time_step: float = 0.01
    num_filters: tuple[int, ...] = (16, 24, 32)
    max_qubits: int = 18
    driver_scale: str = "unit"
    conventions: tuple[str, ...] = ("hybridxai", "authors")
    batch_size: int = 16
    root: str | None = None
    checkpoints: str | None = None
    quick: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int("per_class", self.per_class, "pass e.g. --per-class 20 (the paper's setting)")
        for name in ("qa_beta",):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise invalid_argument(name, value, "must lie in [0, 1]", "pass e.g. 0.7")
        for name in ("sa_betas", "sweep_betas"):
            values = getattr(self, name)
            if not values or any(not 0.0 <= b <= 1.0 for b in values):
                raise invalid_argument(name, values, "needs betas in [0, 1]", "pass e.g. (0.5, 0.99)")
        if not self.total_times or min(self.total_times) <= 0 or self.selection_time <= 0:
            raise invalid_argument("total_times", self.total_times, "anneal times must be positive",
                                   "pass e.g. (10, 30, 100)")
        if not 1 <= self.max_qubits <= 24:
            raise invalid_argument("max_qubits", self.max_qubits, "must lie in [1, 24]",
                                   "pass e.g. --max-qubits 16")
        if not self.conventions or self.conventions[0] != "hybridxai" \
                or not set(self.conventions) <= {"hybridxai", "authors"} \
                or len(set(self.conventions)) != len(self.conventions):
            raise invalid_argument("conventions", self.conventions,
                                   "must start with 'hybridxai', optionally followed by 'authors'",
                                   "pass ('hybridxai', 'authors') (the default) or ('hybridxai',)")
        if TABLE_FILTERS not in self.num_filters:
            raise invalid_argument("num_filters", self.num_filters,
                                   f"must include {TABLE_FILTERS} (Table 1 and Fig. 2 use the "
                                   f"N_f = {TABLE_FILTERS} model)",
                                   "pass e.g. (16, 24, 32)")

    @classmethod
    def quick_variant(cls, **overrides: Any) -> ReproduceConfig:
        """A few images per class and shorter sweeps: minutes instead of hours."""
        base = dict(per_class=3, sweep_betas=(0.1, 0.3, 0.5, 0.7, 0.9, 1.0),
                    total_times=(10.0, 30.0, 100.0), max_qubits=14, quick=True)
        base.update(overrides)
        return cls(**base)

    @property
    def restricted_stage(self) -> str:
        """Name of the stage of the restricted model of Table 1 (``"restricted16"``)."""
        return f"restricted{TABLE_FILTERS}"

    @property
    def physics_stages(self) -> dict[int, str]:
        """Name of the physics stage of each restricted model, by ``N_f``."""
        return {nf: physics_stage(nf) for nf in self.num_filters}

    @property
    def stages(self) -> tuple[str, ...]:
        """Every stage of a run, in the order they run.

        Example:
            >>> ReproduceConfig(num_filters=(16, 24)).stages
            ('restricted16', 'full', 'physics16', 'physics24')
        """
        return (self.restricted_stage, FULL_STAGE, *self.physics_stages.values())

    def num_steps(self, total_time: float) -> int:
        """Trotter steps for ``total_time`` at the configured ``time_step``."""
        return max(1, int(round(total_time / self.time_step)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings.

        ``conventions`` is left out when it is ``("hybridxai",)``: such a run measures what runs
        made before the conventions comparison measured, so it keeps their settings and
        fingerprint and resumes their folders.
        """
        out = json.loads(json.dumps(asdict(self)))
        if tuple(self.conventions) == ("hybridxai",):
            del out["conventions"]
        return out

    def fingerprint(self) -> str:
        """Hash of the settings that change numbers (used to refuse mixing runs).

        Returns:
            :func:`hybridxai.runs.records.settings_fingerprint` of :meth:`to_dict`.
        """
        return settings_fingerprint(self.to_dict())
