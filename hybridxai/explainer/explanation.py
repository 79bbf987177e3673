"""The :class:`Explanation` returned by :func:`hybridxai.explain`, and how it is saved and drawn."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.fileio import output_folder, to_jsonable, versions, write_atomic
from hybridxai.anneal.qubo import FeatureQubo

__all__ = ["Explanation"]

@dataclass(frozen=True, eq=False)
class Explanation:
    """A feature-selection explanation of one prediction.

    Attributes:
        saliency: ``H×W`` float32 map in [0, 1] at the model input's size:
            ``ReLU(Σ_{k∈S} alpha_k·A_k)``, upsampled bilinearly and min–max scaled.
        selected: The selected channel indices ``S`` (ascending), original layer indices.
        importance: ``alpha`` of all ``K`` maps.
        qubo: The :class:`~hybridxai.anneal.qubo.FeatureQubo` that was solved.
        sampleset: What the backend returned (``dimod.SampleSet``).
        target: The explained class index.
        target_name: Its name when the model's class names are known.
        probability: Softmax probability of ``target``.
        layer: Dotted name of the explained layer.
        backend: Registry name of the solver (or the sampler's class name).
        seed: The seed given to the solver (drawn and recorded when not given).
        energy: ``H_P`` of the selection.
        image: The input as an ``H×W×3`` float32 picture in [0, 1] (normalisation undone).
        info: Solver details (``fidelity``, ``min_gap``, timing …) and bookkeeping.
        settings: Every argument needed to rerun the explanation.
    """

    saliency: NDArray[np.float32]
    selected: tuple[int, ...]
    importance: NDArray[np.float64]
    qubo: FeatureQubo
    sampleset: dimod.SampleSet
    target: int
    target_name: str | None
    probability: float
    layer: str
    backend: str
    seed: int | None
    energy: float
    image: NDArray[np.float32] = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict, repr=False)
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- summaries -----------------------------------------------------------------------
    @property
    def num_selected(self) -> int:
        """``|S|``."""
        return len(self.selected)

    @property
    def fraction_selected(self) -> float:
        """``|S| / d`` (0 when no map had positive importance)."""
        d = self.qubo.num_variables
        return len(self.selected) / d if d else 0.0

    @property
    def label(self) -> str:
        """``"Egyptian cat (285)"`` or ``"class 285"``."""
        return f"{self.target_name} ({self.target})" if self.target_name else f"class {self.target}"

    def summary(self) -> str:
        """One line describing the explanation."""
        return (f"{self.label}, p={self.probability:.3f}: {self.num_selected} of "
                f"{self.qubo.num_variables} positive feature maps selected "
                f"(K={self.qubo.num_feature_maps}, layer {self.layer}, backend {self.backend}, "
                f"beta={self.qubo.beta:g}, energy={self.energy:.4g})")

    def manifest(self) -> dict[str, Any]:
        """The JSON-ready record written by :meth:`save`."""
        scalars = {k: v for k, v in self.info.items() if not isinstance(v, (np.ndarray, dimod.SampleSet))}
        return to_jsonable({
            "target": self.target,
            "class_name": self.target_name,
            "probability": self.probability,
            "layer": self.layer,
            "selected_channels": list(self.selected),
            "num_selected": self.num_selected,
            "num_feature_maps": self.qubo.num_feature_maps,
            "num_positive": self.qubo.num_positive,
            "num_variables": self.qubo.num_variables,
            "dropped_by_max_qubits": list(self.qubo.dropped),
            "energy": self.energy,
            "solver": self.backend,
            "seed": self.seed,
            "settings": self.settings,
            "info": scalars,
            "versions": versions(),
        })

    # -- drawing ---------------------------------------------------------------------------
    def overlay(self, alpha: float = 0.5, cmap: str = "jet") -> NDArray[np.float32]:
        """The heat map blended onto the image, ``H×W×3`` in [0, 1]."""
        from matplotlib import colormaps

        heat = colormaps[cmap](self.saliency)[..., :3].astype(np.float32)
        return np.clip((1.0 - alpha) * self.image + alpha * heat, 0.0, 1.0)

    def plot(self, figsize: tuple[float, float] = (11.0, 3.8)) -> Any:
        """A matplotlib figure: the image, the saliency map, and the overlay.

        Returns:
            ``matplotlib.figure.Figure`` (not shown; call ``fig.savefig`` or display it).
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        axes = fig.subplots(1, 3)
        axes[0].imshow(self.image)
        axes[0].set_title("input")
        im = axes[1].imshow(self.saliency, cmap="jet", vmin=0.0, vmax=1.0)
        axes[1].set_title(f"{self.num_selected}/{self.qubo.num_variables} maps selected")
        fig.colorbar(im, ax=axes[1], fraction=0.046)
        axes[2].imshow(self.overlay())
        axes[2].set_title(f"{self.label} p={self.probability:.2f}")
        for ax in axes:
            ax.set_axis_off()
        fig.suptitle(f"layer {self.layer} · backend {self.backend} · beta={self.qubo.beta:g}")
        return fig

    def save(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write the map (.npy), a heat-map PNG, an overlay PNG and ``manifest.json``.

        Files are written atomically (temporary file, then rename).

        Args:
            directory: Created if missing.

        Returns:
            ``{"saliency": …, "heatmap": …, "overlay": …, "figure": …, "manifest": …}`` paths.
        """
        import matplotlib.pyplot as plt

        out = output_folder(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "saliency": out / "saliency.npy",
            "heatmap": out / "saliency.png",
            "overlay": out / "overlay.png",
            "figure": out / "explanation.png",
            "manifest": out / "manifest.json",
        }
        write_atomic(paths["saliency"], lambda p: np.save(p, self.saliency))
        write_atomic(paths["heatmap"], lambda p: plt.imsave(p, self.saliency, cmap="jet",
                                                               vmin=0.0, vmax=1.0, format="png"))
        write_atomic(paths["overlay"], lambda p: plt.imsave(p, self.overlay(), format="png"))
        write_atomic(paths["figure"], lambda p: self.plot().savefig(p, dpi=110, format="png"))
        write_atomic(paths["manifest"], lambda p: p.write_text(
            json.dumps(self.manifest(), indent=2), encoding="utf-8"))
        return paths
