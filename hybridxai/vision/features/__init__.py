"""Feature extraction: the target layer's maps and the gradients of the target logits.

:class:`SelectOutput`, :func:`eval_mode`, :func:`model_device` (from
:mod:`hybridxai.vision.classifier`) and :func:`resolve_targets` (from
:mod:`hybridxai.vision.targets`) are re-exported here, where they have always been documented.
"""

from hybridxai.vision.classifier import SelectOutput, eval_mode, model_device
from hybridxai.vision.features.extract import FeatureBatch, extract_features
from hybridxai.vision.features.layers import find_default_layer, resolve_layer
from hybridxai.vision.targets import resolve_targets

__all__ = [
    "FeatureBatch", "SelectOutput", "eval_mode", "extract_features", "model_device",
    "resolve_targets", "find_default_layer", "resolve_layer",
]
