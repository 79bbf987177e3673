"""Class-activation maps from feature maps and weights: ReLU(Σ w_k A_k), upsampled, scaled.

Shared by the QUBO explanation (weights ``alpha`` on the selected maps), GradCAM (``alpha`` on
all maps) and GradCAM++ (its own weights on all maps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

__all__ = ["weighted_map", "upsample_and_scale", "class_activation_map"]


def weighted_map(
    activations: torch.Tensor, weights: torch.Tensor, channels: Sequence[int] | None = None
) -> torch.Tensor:
    """``ReLU(Σ_{k∈S} w_k·A_k)`` at the feature-map resolution.

    Args:
        activations: ``(K, h, w)`` or ``(N, K, h, w)``.
        weights: ``(K,)`` or ``(N, K)``.
        channels: The set ``S`` of channel indices; ``None`` means all ``K``.

    Returns:
        ``(h, w)`` or ``(N, h, w)`` float64 tensor, non-negative.
    """
    a = activations.double()
    w = weights.double()
    if channels is not None:
        mask = torch.zeros(a.shape[-3], dtype=torch.float64, device=a.device)
        if len(channels):
            mask[torch.as_tensor(list(channels), dtype=torch.long, device=a.device)] = 1.0
        w = w * mask
    cam = torch.einsum("...k,...khw->...hw", w, a)
    return torch.relu(cam)


def upsample_and_scale(cam: torch.Tensor, size: tuple[int, int]) -> NDArray[np.float32]:
    """Bilinear upsampling to ``size`` (H, W), then min–max scaling to [0, 1].

    A constant map (e.g. nothing selected) becomes all zeros.

    Args:
        cam: ``(h, w)`` or ``(N, h, w)``.
        size: Output ``(H, W)``.

    Returns:
        float32 array ``(H, W)`` or ``(N, H, W)``.
    """
    single = cam.dim() == 2
    x = cam[None, None] if single else cam[:, None]
    up = F.interpolate(x.double(), size=tuple(size), mode="bilinear", align_corners=False)[:, 0]
    lo = up.amin(dim=(1, 2), keepdim=True)
    span = up.amax(dim=(1, 2), keepdim=True) - lo
    # Interpolation leaves rounding noise (~1e-16 relative) on a constant map; min–max scaling
    # must not blow that up into a speckle pattern, so a span within rounding is "constant".
    tol = 1e-9 * up.abs().amax(dim=(1, 2), keepdim=True)
    scaled = torch.where(span > tol, (up - lo) / span.clamp_min(1e-300), torch.zeros_like(up))
    out = scaled.cpu().numpy().astype(np.float32)
    return out[0] if single else out


def class_activation_map(
    activations: torch.Tensor,
    weights: torch.Tensor,
    size: tuple[int, int],
    channels: Sequence[int] | None = None,
) -> NDArray[np.float32]:
    """:func:`weighted_map` followed by :func:`upsample_and_scale` (docs/method.md, The map).

    Example:
        >>> import torch
        >>> A = torch.rand(4, 7, 7); w = torch.tensor([1.0, -1.0, 0.5, 0.0])
        >>> m = class_activation_map(A, w, (224, 224), channels=[0, 2])
        >>> m.shape, float(m.min()), float(m.max())
        ((224, 224), 0.0, 1.0)
    """
    return upsample_and_scale(weighted_map(activations, weights, channels), size)
