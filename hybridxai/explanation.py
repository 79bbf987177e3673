"""The :class:`Explanation` returned by :func:`hybridxai.explain`, and how it is saved and drawn."""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai.qubo import FeatureQubo

__all__ = ["Explanation", "versions", "to_jsonable", "output_folder"]

_VERSIONED = ("hybridxai", "torch", "torchvision", "numpy", "dimod", "dwave-samplers", "qiskit",
              "qiskit-aer", "pennylane", "pennylane-lightning", "dwave-system")


def versions() -> dict[str, str]:
    """Versions of Python and of the installed packages that shape a result."""
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, paths and nested containers for ``json.dump``.

    Non-finite floats become ``None``; objects with no JSON form become their ``repr``.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def _write_atomic(path: Path, write: Any) -> None:
    """Write via a temporary file in the same folder and rename, so no half file is left."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_folder(path: str | os.PathLike[str], name: str = "directory") -> Path:
    """Check, before any work is done, that results can be written under ``path``.

    Args:
        path: The output folder (need not exist yet).
        name: The argument's name, for the message (``"out"``, ``"--out"`` ...).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InvalidArgumentError: If ``path`` (or one of its parents) is an existing file, or the
            nearest existing parent is not writable.

    Example:
        >>> output_folder("hybridxai-out/cat", "out").name
        'cat'
    """
    from hybridxai.exceptions import invalid_argument

    folder = Path(path)
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise invalid_argument(name, str(path), f"{candidate} is a file, not a folder",
                                       "pass a folder path (new or existing) for the results")
            if not os.access(candidate, os.W_OK | os.X_OK):
                raise invalid_argument(name, str(path), f"{candidate} is not writable",
                                       "pass a folder you can write to")
            break
    return folder


@dataclass(frozen=True, eq=False)
class Explanation:
    """A feature-selection explanation of one prediction.

    Attributes:
        saliency: ``H×W`` float32 map in [0, 1] at the model input's size:
            ``ReLU(Σ_{k∈S} alpha_k·A_k)``, upsampled bilinearly and min–max scaled.
        selected: The selected channel indices ``S`` (ascending), original layer indices.
        importance: ``alpha`` of all ``K`` maps.
        qubo: The :class:`~hybridxai.qubo.FeatureQubo` that was solved.
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
        _write_atomic(paths["saliency"], lambda p: np.save(p, self.saliency))
        _write_atomic(paths["heatmap"], lambda p: plt.imsave(p, self.saliency, cmap="jet",
                                                               vmin=0.0, vmax=1.0, format="png"))
        _write_atomic(paths["overlay"], lambda p: plt.imsave(p, self.overlay(), format="png"))
        _write_atomic(paths["figure"], lambda p: self.plot().savefig(p, dpi=110, format="png"))
        _write_atomic(paths["manifest"], lambda p: p.write_text(
            json.dumps(self.manifest(), indent=2), encoding="utf-8"))
        return paths
