"""Feature extraction: the target layer's maps and the gradients of the target logits.

One layer or several (their maps joined along channels, :mod:`hybridxai.vision.features.maps`).
Thread-safe: several threads may share one model; its passes hold the model's own lock
(:func:`model_lock`, :mod:`hybridxai.vision.features.locking`) and run one at a time.

:class:`SelectOutput`, :func:`eval_mode`, :func:`model_device` (from
:mod:`hybridxai.vision.classifier`) and :func:`resolve_targets` (from
:mod:`hybridxai.vision.targets`) are re-exported here, where they have always been documented.
"""

from hybridxai.vision.classifier import SelectOutput, eval_mode, model_device
from hybridxai.vision.features.extract import FeatureBatch, extract_features
from hybridxai.vision.features.layers import find_default_layer, layer_name, resolve_layer, resolve_layers
from hybridxai.vision.features.locking import model_lock
from hybridxai.vision.features.maps import MIN_MAP_SIZE, concatenate_maps
from hybridxai.vision.targets import resolve_targets

__all__ = [
    "FeatureBatch", "SelectOutput", "eval_mode", "extract_features", "model_device",
    "resolve_targets", "find_default_layer", "resolve_layer", "resolve_layers", "layer_name",
    "MIN_MAP_SIZE", "concatenate_maps", "model_lock",
]
