"""GradCAM (Selvaraju et al., 2017): every feature map weighted by its mean gradient.

``w_k = alpha_k = (1/(h·w)) Σ_ij ∂y_c/∂A_k[i,j]`` over all ``K`` maps (docs/method.md, The map) —
the same ``alpha`` the QUBO uses as importance, so GradCAM is the QUBO explanation with
every map selected.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai.anneal.qubo import importance
from hybridxai.baselines.base import compute_cam
from hybridxai.vision.features.layers import LayerLike
from hybridxai.vision.images import ImageLike, Transform
from hybridxai.vision.targets import TargetLike

__all__ = ["gradcam", "gradcam_weights"]


def gradcam_weights(activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """GradCAM weights: the spatial mean of the gradients, ``alpha``.

    This is :func:`hybridxai.anneal.qubo.importance`, the one computation of ``alpha`` that
    :attr:`hybridxai.vision.features.FeatureBatch.importance` and the QUBO explanation use too,
    so GradCAM and the QUBO explanation share bit-identical weights.

    Args:
        activations: ``A``, ``(N, K, h, w)`` or ``(K, h, w)`` (unused; kept for the common
            weights-function signature).
        gradients: ``∂y_c/∂A``, same shape.

    Returns:
        float64 ``(N, K)`` or ``(K,)`` weights, on the gradients' device.

    Example:
        >>> import torch
        >>> g = torch.tensor([[[1.0, 3.0], [0.0, 0.0]], [[-2.0, -2.0], [-2.0, -2.0]]])
        >>> gradcam_weights(torch.ones_like(g), g)
        tensor([ 1., -2.], dtype=torch.float64)
    """
    del activations
    return importance(gradients)


def gradcam(
    model: nn.Module,
    image: ImageLike | Sequence[ImageLike],
    *,
    layer: LayerLike = None,
    target: TargetLike = None,
    transform: Transform | None = None,
) -> NDArray[np.float32]:
    """GradCAM map(s) of ``image`` for the target class.

    Args:
        model: A CNN classifier returning logits.
        image: One image (path, PIL image, ``H×W×3`` array, preprocessed ``C×H×W`` tensor)
            or a batch (a list of images, or a preprocessed ``N×C×H×W`` tensor).
        layer: Target layer (module or dotted name); ``None`` picks the last spatial maps
            (``features.18`` for MobileNetV2, ``layer4.1`` for ResNet-18).
        target: ``None`` (predicted class per image), one class for all, or one per image;
            a class is an index or, for a model with registered class names, a name
            (``"tabby"``; see :mod:`hybridxai.vision.targets`).
        transform: Preprocessing for raw pictures; defaults to the model's registered one.

    Returns:
        float32 ``(H, W)`` for one image or ``(N, H, W)`` for a batch, in [0, 1].

    Example:
        >>> import torch, torchvision
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> gradcam(net, torch.rand(3, 64, 64), target=3).shape
        (64, 64)
    """
    return compute_cam(gradcam_weights, model, image, layer=layer, target=target,
                       transform=transform)
