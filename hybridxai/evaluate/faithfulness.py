"""Per-image faithfulness scores from Quantus 0.6, plus Average Drop / Increase in Confidence.

The metrics are Quantus's own classes; only these adaptations are made, each for a stated reason:

* **ROAD** (Rong et al., 2022): Quantus 0.6's ``ROAD.evaluate_batch`` broadcasts a one-channel
  map to the image's ``C×H×W`` shape, ranks the ``C·H·W`` *elements*, keeps only
  ``H·W·p/100`` of them, and passes those element indices (up to ``C·H·W``) to
  ``noisy_linear_imputation``, which indexes *pixels* (``H·W``) — wrong for RGB input (an
  ``IndexError`` or the wrong pixels). Its ``custom_postprocess`` also keeps only the first
  batch, and averages over images. :class:`PixelROAD` ranks the ``H·W`` pixels of the map
  instead, and keeps one curve per image (the rest is Quantus's code path: its imputation and
  its model wrapper). The per-image score is the mean, over the removal percentages, of
  "prediction unchanged" after removing the most relevant pixels first (MoRF; lower is better).
* **FaithfulnessCorrelation** (Bhatt et al., 2020): the default ``subset_size=224`` perturbs
  224 of the ``3·224·224 = 150 528`` input values (0.15 %), which barely moves the output, so the
  correlation is mostly noise. :class:`QuantusSettings` sets the subset as a fraction of
  ``C·H·W`` (default 5 %). Quantus draws subsets from ``numpy``'s global generator: it is
  seeded with the same seed before every method, so all methods see the same random subsets.
* **RegionPerturbation** (Samek et al., 2017) returns, per image, the curve
  ``f(x) − f(x_k)`` after the ``k`` most relevant patches are replaced (MoRF); the AOPC of an
  image is the mean of that curve (higher is better).

Average Drop and Increase in Confidence (Chattopadhay et al., 2018), which Quantus lacks, come
from :mod:`hybridxai.metrics` (per image: ``100·max(0, Y−O)/Y`` and ``100·1[O > Y]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai._util.checks import check_positive_int
from hybridxai._util.optional import import_optional
from hybridxai.exceptions import invalid_argument
from hybridxai.metrics import drop_per_image, masked_confidences
from hybridxai.vision.classifier import Normalize

__all__ = ["METRICS", "MetricInfo", "QuantusSettings", "score_methods", "pixel_road_class"]


@dataclass(frozen=True)
class MetricInfo:
    """A metric's name, direction and source, for tables and plots."""

    name: str
    higher_is_better: bool
    source: str
    description: str


METRICS: dict[str, MetricInfo] = {
    "faithfulness_correlation": MetricInfo(
        "faithfulness_correlation", True, "quantus.FaithfulnessCorrelation",
        "Pearson correlation of attribution sum and output drop over random subsets"),
    "aopc": MetricInfo(
        "aopc", True, "quantus.RegionPerturbation (MoRF)",
        "mean drop of the class probability as the most relevant patches are replaced"),
    "road_morf": MetricInfo(
        "road_morf", False, "quantus.ROAD (pixel-indexed, see hybridxai.evaluate.faithfulness)",
        "fraction of removal levels at which the prediction survives (MoRF, noisy linear imputation)"),
    "average_drop": MetricInfo(
        "average_drop", False, "hybridxai.metrics.drop_per_image",
        "100·max(0, Y−O)/Y, O = probability on the image times its map"),
    "increase_in_confidence": MetricInfo(
        "increase_in_confidence", True, "hybridxai.metrics.masked_confidences",
        "100·1[O > Y]"),
}
"""The metrics :func:`score_methods` computes, by name."""


@dataclass(frozen=True)
class QuantusSettings:
    """Settings of the Quantus metrics (defaults sized for 224 px ImageNet models on a CPU).

    Attributes:
        fc_runs: FaithfulnessCorrelation ``nr_runs`` (random subsets per image).
        fc_subset_fraction: FaithfulnessCorrelation ``subset_size`` as a fraction of ``C·H·W``.
        region_patch: RegionPerturbation ``patch_size`` in pixels.
        region_steps: RegionPerturbation ``regions_evaluation`` (patches replaced, MoRF).
        road_percentages: ROAD removal percentages of the pixels.
        road_noise: ROAD imputation noise.
        baseline: Replacement value of FaithfulnessCorrelation and RegionPerturbation
            (Quantus's ``perturb_baseline``; ``"black"`` is the image's minimum value).
    """

    fc_runs: int = 10
    fc_subset_fraction: float = 0.05
    region_patch: int = 28
    region_steps: int = 8
    road_percentages: tuple[float, ...] = (10.0, 20.0, 30.0, 40.0, 50.0)
    road_noise: float = 0.01
    baseline: str = "black"

    def __post_init__(self) -> None:
        for name in ("fc_runs", "region_patch", "region_steps"):
            check_positive_int(name, getattr(self, name), f"pass e.g. {name}=8")
        if not 0.0 < float(self.fc_subset_fraction) < 1.0:
            raise invalid_argument("fc_subset_fraction", self.fc_subset_fraction, "must lie in (0, 1)",
                                   "pass e.g. fc_subset_fraction=0.05")
        if not self.road_percentages or not all(0.0 < float(p) < 100.0 for p in self.road_percentages):
            raise invalid_argument("road_percentages", self.road_percentages,
                                   "must be a non-empty list of percentages in (0, 100)",
                                   "pass e.g. road_percentages=(10, 20, 30, 40, 50)")


_PIXEL_ROAD: type | None = None


def pixel_road_class() -> type:
    """``quantus.ROAD`` with pixel-indexed removal and per-image curves (see the module doc).

    Returns:
        The subclass (created on first use, so importing this module does not import Quantus).
    """
    global _PIXEL_ROAD
    if _PIXEL_ROAD is not None:
        return _PIXEL_ROAD
    quantus = import_optional("quantus", "eval", "the ROAD metric")

    class PixelROAD(quantus.ROAD):  # type: ignore[misc,name-defined]
        """ROAD ranking the ``H·W`` pixels of a one-channel map; ``(N, P)`` curves kept."""

        def evaluate_batch(self, model: Any, x_batch: np.ndarray, y_batch: np.ndarray,
                           a_batch: np.ndarray, **kwargs: Any) -> list[np.ndarray]:
            n = x_batch.shape[0]
            pixels = int(np.prod(x_batch.shape[2:]))
            # One relevance per pixel: the map's single channel (or the channel mean).
            relevance = a_batch.reshape(n, a_batch.shape[1], pixels).mean(axis=1)
            order = np.argsort(-relevance, axis=1, kind="stable")
            kept = []
            for p in self.percentages:
                top = order[:, : int(pixels * p / 100)]
                perturbed = np.stack([self.perturb_func(arr=x, indices=idx)
                                      for x, idx in zip(x_batch, top, strict=True)])
                x_input = model.shape_input(perturbed, x_batch.shape, channel_first=True, batched=True)
                kept.append(np.argmax(model.predict(x_input), axis=-1) == y_batch)
            return list(np.stack(kept, axis=1).astype(np.float64))

        def custom_postprocess(self, **kwargs: Any) -> None:
            """Keep the per-image curves (Quantus 0.6 keeps the first batch's mean only)."""

    _PIXEL_ROAD = PixelROAD
    return PixelROAD


def _quantus_scores(
    metric_name: str,
    model: nn.Module,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    maps: NDArray[np.float32],
    settings: QuantusSettings,
    seed: int,
    batch_size: int,
    device: str,
) -> NDArray[np.float64]:
    quantus = import_optional("quantus", "eval", f"the {metric_name} metric")
    common = {"disable_warnings": True, "display_progressbar": False, "return_aggregate": False}
    if metric_name == "faithfulness_correlation":
        metric = quantus.FaithfulnessCorrelation(
            nr_runs=settings.fc_runs,
            subset_size=max(1, round(settings.fc_subset_fraction * x[0].size)),
            perturb_baseline=settings.baseline,
            similarity_func=quantus.similarity_func.correlation_pearson, abs=False, **common)
    elif metric_name == "aopc":
        metric = quantus.RegionPerturbation(
            patch_size=settings.region_patch, regions_evaluation=settings.region_steps,
            order="morf", perturb_baseline=settings.baseline, **common)
    else:
        metric = pixel_road_class()(percentages=list(settings.road_percentages),
                                    noise=settings.road_noise, **common)
    np.random.seed(seed)  # Quantus draws from numpy's global generator: same draws for every method
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = metric(model=model, x_batch=x, y_batch=y, a_batch=maps[:, None], channel_first=True,
                        softmax=True, device=device, batch_size=batch_size)
    if metric_name == "faithfulness_correlation":
        # A constant map (e.g. an empty selection) has no correlation: Quantus returns NaN.
        return np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    return np.asarray([np.mean(curve) for curve in scores], dtype=np.float64)


def score_methods(
    model: nn.Module,
    batch: torch.Tensor,
    pixels: torch.Tensor,
    targets: Sequence[int],
    maps: dict[str, NDArray[np.float32]],
    *,
    metrics: Sequence[str],
    normalize: Normalize,
    settings: QuantusSettings,
    seed: int,
    batch_size: int = 16,
    progress: Callable[[str, str], Any] | None = None,
) -> dict[str, dict[str, NDArray[np.float64]]]:
    """Score every method's maps with every metric, one value per image.

    Args:
        model: The classifier (eval mode is used throughout).
        batch: Model-ready images ``(N, C, H, W)`` (what Quantus perturbs).
        pixels: The same images in [0, 1] before normalisation ``(N, C, H, W)`` (what Average
            Drop masks).
        targets: The explained class per image.
        maps: ``{method: (N, H, W) maps in [0, 1]}``.
        metrics: Names from :data:`METRICS`.
        normalize: How ``pixels`` become model input (see :func:`hybridxai.metrics.masked_confidences`).
        settings: The Quantus settings.
        seed: Seed of Quantus's random draws (the same for every method).
        batch_size: Images per forward pass.
        progress: Called with ``(metric, method)`` after each pair is scored.

    Returns:
        ``{metric: {method: float64 (N,)}}``.
    """
    device = str(next((p.device for p in model.parameters()), torch.device("cpu")))
    x = batch.detach().cpu().numpy().astype(np.float32)
    y = np.asarray(targets, dtype=np.int64)
    out: dict[str, dict[str, NDArray[np.float64]]] = {m: {} for m in metrics}
    if {"average_drop", "increase_in_confidence"} & set(metrics):
        stacks = {k: torch.from_numpy(v) for k, v in maps.items()}
        original, masked = masked_confidences(model, pixels, stacks, list(targets), normalize=normalize,
                                              batch_size=batch_size)
        for method, o in masked.items():
            if "average_drop" in out:
                out["average_drop"][method] = 100.0 * drop_per_image(original, o)
            if "increase_in_confidence" in out:
                out["increase_in_confidence"][method] = 100.0 * (o > original).astype(np.float64)
            if progress is not None:
                progress("average_drop", method)
    was_training = model.training
    try:
        for metric_name in metrics:
            if metric_name in ("average_drop", "increase_in_confidence"):
                continue
            for method, stack in maps.items():
                out[metric_name][method] = _quantus_scores(metric_name, model, x, y, stack, settings,
                                                           seed, batch_size, device)
                if progress is not None:
                    progress(metric_name, method)
    finally:
        model.train(was_training)
    return out
