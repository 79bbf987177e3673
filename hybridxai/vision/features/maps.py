"""Feature maps of one or several layers: the minimum map size, and joining layers along channels.

Two rules live here:

* **Minimum size** (:data:`MIN_MAP_SIZE`): feature maps must have at least 2×2 positions. On a
  single position (1×1 maps, an input smaller than the network's stride) every two non-zero maps
  are proportional, so the redundancy ``J = |cos|`` is 1 for every pair, and the saliency map is
  one constant: nothing is localised. A map one position wide (1×n) can only localise along one
  axis, so it is refused too. :func:`check_map_size` raises :func:`map_too_small`'s error.
* **Several layers** (:func:`concatenate_maps`): the maps of the listed layers are joined along
  the channel axis, in the order given. Maps of different spatial sizes are first resized to
  the largest size (the maximum height and width over the layers) with bilinear interpolation
  (``align_corners=False``), so the redundancy ``J`` compares every pair of maps on one grid.
  Their gradients are resized the same way and then shifted by one constant per map, so that
  their spatial mean, GradCAM's weight ``α_k`` (:func:`hybridxai.anneal.qubo.importance`), is the
  weight of that map at its own layer (bilinear resizing keeps the mean only approximately at
  non-integer scales). Maps already at the largest size are kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from hybridxai.anneal.qubo import importance
from hybridxai.exceptions import InvalidArgumentError, invalid_argument

__all__ = ["MIN_MAP_SIZE", "map_too_small", "check_map_size", "concatenate_maps"]

MIN_MAP_SIZE = 2
"""Fewest positions a feature map needs along each axis (height and width)."""


def map_too_small(images: torch.Tensor, layer: str, shape: Sequence[int],
                  earlier: str | None = None) -> InvalidArgumentError:
    """The error for feature maps below :data:`MIN_MAP_SIZE`.

    It names the input size, the layer and the map size, and the fix.

    Args:
        images: The model-ready input batch ``(N, C, H, W)``.
        layer: Name of the layer whose maps are too small.
        shape: Shape of that layer's output, ``(N, K, h, w)``.
        earlier: A layer whose maps are large enough at this input size, to suggest.

    Returns:
        The :class:`~hybridxai.exceptions.InvalidArgumentError` to raise.

    Example:
        >>> err = map_too_small(torch.zeros(1, 3, 20, 20), "features.18", (1, 1280, 1, 1))
        >>> "20×20" in str(err) and "1×1" in str(err) and "Fix:" in str(err)
        True
    """
    height, width = int(images.shape[-2]), int(images.shape[-1])
    h, w = int(shape[-2]), int(shape[-1])
    alternative = (f", or explain an earlier layer such as layer={earlier!r}" if earlier else
                   ", or explain an earlier layer (the layer argument)")
    return invalid_argument(
        "images", images,
        f"at {height}×{width} pixels, layer {layer!r} gives {h}×{w} feature maps, fewer than the "
        f"{MIN_MAP_SIZE}×{MIN_MAP_SIZE} positions an explanation needs (the input is smaller than "
        "the network's stride; on one position every two maps are redundant (J = 1) and the "
        "saliency map is constant)",
        f"pass larger images (the size the model was trained on, e.g. 224×224 for ImageNet "
        f"models) so that {layer!r} keeps at least {MIN_MAP_SIZE}×{MIN_MAP_SIZE} positions"
        f"{alternative}",
    )


def check_map_size(images: torch.Tensor, layer: str, maps: torch.Tensor) -> None:
    """Refuse feature maps with fewer than :data:`MIN_MAP_SIZE` positions along an axis.

    Args:
        images: The model-ready input batch (named in the message).
        layer: The layer's name.
        maps: Its output ``(N, K, h, w)``.

    Raises:
        InvalidArgumentError: See :func:`map_too_small`.
    """
    if min(maps.shape[-2:]) < MIN_MAP_SIZE:
        raise map_too_small(images, layer, tuple(maps.shape))


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    # Bilinear interpolation in at least float32 (reduced-precision CPU kernels are not universal).
    work = x if x.dtype in (torch.float32, torch.float64) else x.float()
    return F.interpolate(work, size=size, mode="bilinear", align_corners=False).to(x.dtype)


def concatenate_maps(activations: Sequence[torch.Tensor], gradients: Sequence[torch.Tensor]
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Join the maps and gradients of several layers along channels (see the module docstring).

    Args:
        activations: One ``(N, K_l, h_l, w_l)`` tensor per layer.
        gradients: The matching gradients, same shapes.

    Returns:
        ``(activations, gradients)``, each ``(N, Σ K_l, max h_l, max w_l)``. With one layer, its
        tensors unchanged.

    Example:
        >>> a = [torch.rand(1, 2, 4, 4), torch.rand(1, 3, 2, 2)]
        >>> g = [torch.rand(1, 2, 4, 4), torch.rand(1, 3, 2, 2)]
        >>> acts, grads = concatenate_maps(a, g)
        >>> tuple(acts.shape), torch.allclose(importance(grads)[:, 2:], importance(g[1]))
        ((1, 5, 4, 4), True)
    """
    if len(activations) == 1:
        return activations[0], gradients[0]
    size = (max(int(a.shape[-2]) for a in activations), max(int(a.shape[-1]) for a in activations))
    joined_a, joined_g = [], []
    for a, g in zip(activations, gradients, strict=True):
        if tuple(a.shape[-2:]) != size:
            resized = _resize(g, size)
            shift = importance(g) - importance(resized)  # float64 (N, K_l): restores each alpha
            g = (resized.to(torch.float64) + shift[..., None, None]).to(g.dtype)
            a = _resize(a, size)
        joined_a.append(a)
        joined_g.append(g)
    return torch.cat(joined_a, dim=1), torch.cat(joined_g, dim=1)
