"""The :class:`Explanation` returned by :func:`hybridxai.explain`, and how it is saved and drawn."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dimod
import numpy as np
import torch
from numpy.typing import NDArray

from hybridxai._util.fileio import output_folder, to_jsonable, versions, write_atomic
from hybridxai.anneal.qubo import FeatureQubo
from hybridxai.exceptions import invalid_argument
from hybridxai.vision.saliency import class_activation_map

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
        activations: The layer's ``K`` maps ``(K, h, w)`` for this image (float32), for the
            GradCAM panel and the grid of selected maps; ``None`` when not kept.
        picture: The user's picture at its own size, ``H0×W0×3`` float32 in [0, 1], or ``None``
            when the input was a preprocessed tensor.
        input_box: Where the model's input lies in ``picture``, ``(left, top, right, bottom)``
            in picture pixels (:func:`hybridxai.vision.geometry.input_box`), or ``None``.
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
    activations: NDArray[np.float32] | None = field(default=None, repr=False)
    picture: NDArray[np.float32] | None = field(default=None, repr=False)
    input_box: tuple[float, float, float, float] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"Explanation({self.label}, p={self.probability:.3f}, selected {self.num_selected} of "
                f"{self.qubo.num_variables} maps at {self.layer!r}, backend={self.backend!r}, "
                f"beta={self.qubo.beta:g}, energy={self.energy:.6g})")

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

    @property
    def optimality_phrase(self) -> str:
        """How good the selection is, in one short phrase.

        ``"optimal"``, ``"energy 3.0 % above optimum"`` or ``"best of 100 reads; optimum not
        proven"``, from ``info["optimality"]``; empty when the solve did not report it.
        """
        report = self.info.get("optimality")
        return str(report.get("phrase", "")) if isinstance(report, dict) else ""

    def summary(self) -> str:
        """One line describing the explanation, ending with :attr:`optimality_phrase` when known."""
        phrase = self.optimality_phrase
        return (f"{self.label}, p={self.probability:.3f}: {self.num_selected} of "
                f"{self.qubo.num_variables} positive feature maps selected "
                f"(K={self.qubo.num_feature_maps}, layer {self.layer}, backend {self.backend}, "
                f"beta={self.qubo.beta:g}, energy={self.energy:.4g}{'; ' + phrase if phrase else ''})")

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

    def gradcam(self) -> NDArray[np.float32]:
        """GradCAM of the same layer and class: ``ReLU(Σ_k α_k A_k)`` over all ``K`` maps.

        Upsampled and min–max scaled exactly as :attr:`saliency` is, so the two compare on one
        colour scale.

        Returns:
            ``H×W`` float32 array in [0, 1].

        Raises:
            InvalidArgumentError: If the explanation kept no ``activations``.
        """
        if self.activations is None:
            raise invalid_argument("activations", None, "were not kept with this explanation",
                                   "explain again with hybridxai.explain(...) (it keeps them)")
        return class_activation_map(torch.from_numpy(np.asarray(self.activations)),
                                    torch.from_numpy(np.asarray(self.importance)), tuple(self.saliency.shape))

    def plot(self, ax: Axes | None = None, *, figsize: tuple[float, float] | None = None) -> Figure:
        """Draw the explanation with pyplot.

        With ``ax``, the main view (the saliency over the user's picture) is drawn into it. Without,
        a new pyplot figure shows the whole explanation: the picture with the overlay at its own
        size and aspect, the selection's saliency beside GradCAM of the same layer on one colour
        scale, the selected maps with their importance, the importance of every map with the
        selected ones marked, the redundancy between them and, when a quantum backend ran, the
        final-state probabilities of the best selections (and the gap profile when computed).

        Args:
            ax: A matplotlib ``Axes`` to draw the main view into.
            figsize: Size of the new figure (default depends on the panels).

        Returns:
            The ``matplotlib.figure.Figure`` drawn on (``ax.figure`` when ``ax`` is given). It is
            managed by pyplot: close it with ``plt.close(fig)`` when done.

        Example:
            >>> import matplotlib.pyplot as plt, skimage.data
            >>> from hybridxai import explain
            >>> from hybridxai.vision.models import load_paper_model
            >>> model = load_paper_model("fashion-mnist", "restricted", 16)
            >>> e = explain(model, skimage.data.camera(), seed=0)
            >>> fig, ax = plt.subplots()
            >>> e.plot(ax=ax) is fig
            True
            >>> plt.close(fig)
        """
        from hybridxai.explainer import figure

        if ax is not None:
            figure.draw_overlay(self, ax)
            return ax.figure
        return figure.draw_explanation(self, figsize=figsize)

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
        fig = self.plot()
        try:
            write_atomic(paths["figure"], lambda p: fig.savefig(p, dpi=100, format="png"))
        finally:
            plt.close(fig)
        write_atomic(paths["manifest"], lambda p: p.write_text(
            json.dumps(self.manifest(), indent=2), encoding="utf-8"))
        return paths
