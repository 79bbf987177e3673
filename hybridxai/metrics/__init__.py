"""Metrics for explanation maps and feature selections.

* :mod:`~hybridxai.metrics.drop` — Average Drop % and Increase in Confidence % from ``Y, O``;
* :mod:`~hybridxai.metrics.confidence` — ``Y, O`` from a model, images and maps, in batches;
* :mod:`~hybridxai.metrics.selection` — the mean fraction of feature maps selected;
* :mod:`~hybridxai.metrics.deletion` — deletion/insertion curves and AUC (RISE);
* :mod:`~hybridxai.metrics.class_maps` — the class–class Bhattacharyya map (paper Fig. 2).

The random-subset baseline lives in :mod:`hybridxai.baselines.random_subset`.

Example:
    >>> import torch
    >>> from hybridxai.metrics import average_drop, increase_in_confidence, masked_confidences
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
    >>> pixels, maps = torch.rand(4, 3, 8, 8), torch.rand(4, 8, 8)
    >>> Y, O = masked_confidences(net, pixels, maps, normalize=([0.5] * 3, [0.5] * 3))
    >>> 0.0 <= average_drop(Y, O) <= 100.0, 0.0 <= increase_in_confidence(Y, O) <= 100.0
    (True, True)

"""

from hybridxai.metrics.class_maps import (
    EmptyClassWarning,
    bhattacharyya_matrix,
    plot_class_map,
    selection_histograms,
)
from hybridxai.metrics.confidence import MaskedConfidences, explanation_arrays, masked_confidences
from hybridxai.metrics.deletion import (
    CausalCurves,
    area_under_curve,
    deletion_curves,
    gaussian_blur,
    insertion_curves,
    saliency_ranks,
)
from hybridxai.metrics.drop import average_drop, drop_per_image, increase_in_confidence
from hybridxai.metrics.selection import selected_fraction

__all__ = [
    "average_drop", "increase_in_confidence", "drop_per_image",
    "MaskedConfidences", "masked_confidences", "explanation_arrays",
    "selected_fraction",
    "CausalCurves", "deletion_curves", "insertion_curves", "area_under_curve",
    "gaussian_blur", "saliency_ranks",
    "EmptyClassWarning", "selection_histograms", "bhattacharyya_matrix", "plot_class_map",
]
