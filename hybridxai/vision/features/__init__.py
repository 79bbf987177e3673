"""Feature extraction: the target layer's maps and the gradients of the target logits."""

from hybridxai.vision.features.extract import (
    FeatureBatch,
    SelectOutput,
    eval_mode,
    extract_features,
    model_device,
    resolve_targets,
)
from hybridxai.vision.features.layers import find_default_layer, resolve_layer

__all__ = [
    "FeatureBatch", "SelectOutput", "eval_mode", "extract_features", "model_device",
    "resolve_targets", "find_default_layer", "resolve_layer",
]
