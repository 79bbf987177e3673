"""Baseline explanations to compare the QUBO selection with: GradCAM, GradCAM++, random subsets.

One small file per method over a shared base (:mod:`hybridxai.baselines.base`), in the manner of
pytorch-grad-cam: a method is its weights function. The weights functions and
:func:`cam_from_features` work on an already extracted
:class:`~hybridxai.vision.features.FeatureBatch`, so no second forward pass is needed.

Example:
    >>> import skimage.data
    >>> from hybridxai.vision.models import load_paper_model
    >>> model = load_paper_model("fashion-mnist", "restricted", 16)
    >>> gradcam(model, skimage.data.camera()).shape   # or the path of an image file
    (224, 224)
"""

from hybridxai.baselines.base import WeightsFn, cam_from_features, compute_cam
from hybridxai.baselines.gradcam import gradcam, gradcam_weights
from hybridxai.baselines.gradcam_pp import PYTORCH_GRAD_CAM_EPS, gradcam_pp, gradcam_pp_weights
from hybridxai.baselines.random_subset import RandomSubset, random_subset, random_subset_map

__all__ = [
    "WeightsFn", "cam_from_features", "compute_cam",
    "gradcam", "gradcam_weights",
    "gradcam_pp", "gradcam_pp_weights", "PYTORCH_GRAD_CAM_EPS",
    "RandomSubset", "random_subset", "random_subset_map",
]
