"""GradCAM++ (Chattopadhay et al., 2018, eq. 19 with the ReLU of eq. 7).

``w_k = Σ_ij a_k[i,j]·ReLU(g_k[i,j])`` with ``a = g² / (2g² + (Σ_ab A_k[a,b])·g³)`` and
``a = 0`` where ``g = 0`` (docs/method.md, The map), ``g = ∂y_c/∂A`` (the exponential of the paper is
dropped: the gradients of the pre-softmax logit are used, as pytorch-grad-cam does).

Difference from pytorch-grad-cam 1.5.7 (``GradCAMPlusPlus.get_cam_weights``): it adds
``eps = 1e-6`` to the denominator, ``a = g² / (2g² + S·g³ + 1e-6)``. That is not
negligible: at the last layer of an ImageNet CNN the gradients are ~1e-3, so ``g²`` is of
the same order as ``eps`` and the weights shrink by a channel-dependent factor, which
changes the map. Here ``eps`` defaults to 0 (the definition); ``eps=1e-6`` reproduces
pytorch-grad-cam. The ratio is evaluated as ``1 / (2 + S·g + eps/g²)`` in float64, which is
algebraically the same for ``g ≠ 0`` and cannot underflow to ``0/0`` for tiny gradients.
Where that denominator is exactly 0 (``S·g = −2``, possible only when ``A`` has negative
values) the formula is undefined and ``a`` is set to 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai.baselines.base import compute_cam
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.features.layers import LayerLike
from hybridxai.vision.images import ImageLike, Transform
from hybridxai.vision.targets import TargetLike

__all__ = ["gradcam_pp", "gradcam_pp_weights", "PYTORCH_GRAD_CAM_EPS"]

PYTORCH_GRAD_CAM_EPS = 1e-6
"""The ``eps`` pytorch-grad-cam 1.5.7 adds to the GradCAM++ denominator."""


def _check_eps(eps: float) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise invalid_type("eps", eps, "a float", "pass eps=0.0 (the definition) or eps=1e-6")
    if not math.isfinite(eps) or eps < 0:
        raise invalid_argument("eps", eps, "must be finite and non-negative",
                               "pass eps=0.0 (the definition) or eps=1e-6 (pytorch-grad-cam)")
    return float(eps)


def gradcam_pp_weights(
    activations: torch.Tensor, gradients: torch.Tensor, *, eps: float = 0.0
) -> torch.Tensor:
    """GradCAM++ weights ``w_k = Σ_ij a_k[i,j]·ReLU(g_k[i,j])``.

    Args:
        activations: ``A``, ``(N, K, h, w)`` or ``(K, h, w)``.
        gradients: ``g = ∂y_c/∂A``, same shape.
        eps: Added to the denominator of ``a``; 0 is the definition, ``1e-6``
            (:data:`PYTORCH_GRAD_CAM_EPS`) matches pytorch-grad-cam 1.5.7.

    Returns:
        float64 weights, ``(N, K)`` or ``(K,)``.

    Example:
        >>> import torch
        >>> A = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])      # one map, S = 2
        >>> g = torch.tensor([[[0.5, 0.0], [-1.0, 0.5]]])
        >>> gradcam_pp_weights(A, g)                          # 2 · 0.5 / (2 + 2·0.5)
        tensor([0.3333], dtype=torch.float64)
    """
    eps = _check_eps(eps)
    if activations.shape != gradients.shape or activations.dim() < 3:
        raise invalid_argument("gradients", gradients,
                               f"must have the shape of the activations {tuple(activations.shape)}, "
                               "(N, K, h, w) or (K, h, w)",
                               "pass FeatureBatch.activations and FeatureBatch.gradients")
    a = activations.double()
    g = gradients.double()
    total = a.sum(dim=(-2, -1), keepdim=True)
    nonzero = g != 0
    g_safe = torch.where(nonzero, g, torch.ones_like(g))
    denominator = 2.0 + total * g_safe
    if eps > 0:  # eps / g² -> inf (a -> 0) when g² underflows; skipped for eps = 0 (0/0)
        denominator = denominator + eps / g_safe.square()
    usable = nonzero & (denominator != 0)
    coeff = torch.where(usable, 1.0 / torch.where(usable, denominator, torch.ones_like(g)),
                        torch.zeros_like(g))
    return (coeff * torch.relu(g)).sum(dim=(-2, -1))


def gradcam_pp(
    model: nn.Module,
    image: ImageLike | Sequence[ImageLike],
    *,
    layer: LayerLike = None,
    target: TargetLike = None,
    transform: Transform | None = None,
    eps: float = 0.0,
) -> NDArray[np.float32]:
    """GradCAM++ map(s) of ``image`` for the target class.

    Args:
        model: A CNN classifier returning logits.
        image: One image (path, PIL image, ``H×W×3`` array, preprocessed ``C×H×W`` tensor)
            or a batch (a list of images, or a preprocessed ``N×C×H×W`` tensor).
        layer: Target layer (module or dotted name); ``None`` picks the last spatial maps.
        target: ``None`` (predicted class per image), one class for all, or one per image;
            a class is an index or, for a model with registered class names, a name
            (``"tabby"``; see :mod:`hybridxai.vision.targets`).
        transform: Preprocessing for raw pictures; defaults to the model's registered one.
        eps: See :func:`gradcam_pp_weights`; ``1e-6`` reproduces pytorch-grad-cam.

    Returns:
        float32 ``(H, W)`` for one image or ``(N, H, W)`` for a batch, in [0, 1].

    Example:
        >>> import torch, torchvision
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> gradcam_pp(net, torch.rand(2, 3, 64, 64), target=[1, 2]).shape
        (2, 64, 64)
    """
    weights = partial(gradcam_pp_weights, eps=_check_eps(eps))
    return compute_cam(weights, model, image, layer=layer, target=target, transform=transform)
