"""The shared base of the CAM baselines: prepare the images, one pass, weights, map.

Every gradient-weighted CAM is ``ReLU(Σ_k w_k·A_k)`` upsampled bilinearly to the image size
and min–max scaled to [0, 1] (docs/method.md, The map); the methods differ only in the weights
``w``. A method is therefore a *weights function* ``(activations, gradients) -> weights``
plus a one-line wrapper around :func:`compute_cam`, in the manner of pytorch-grad-cam's
``BaseCAM.get_cam_weights``.

:func:`cam_from_features` builds the maps from a :class:`~hybridxai.vision.features.FeatureBatch`
that has already been extracted, so callers that have one (``hybridxai.explain``, the
reproduction scripts) get the baselines without another forward/backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.features import FeatureBatch, extract_features
from hybridxai.vision.features.layers import LayerLike
from hybridxai.vision.images import ImageLike, Transform, prepare_images
from hybridxai.vision.models import model_info
from hybridxai.vision.saliency import class_activation_map
from hybridxai.vision.targets import TargetLike

__all__ = ["WeightsFn", "cam_from_features", "compute_cam", "image_size"]

WeightsFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``(activations, gradients) -> weights``: ``(N, K, h, w)`` twice → ``(N, K)``."""


def image_size(size: Sequence[int] | int) -> tuple[int, int]:
    """Check and normalise an output size ``(H, W)`` (an ``int`` means a square).

    Args:
        size: ``(H, W)`` or a single side length.

    Returns:
        ``(H, W)`` as two positive ints.

    Raises:
        InvalidArgumentError: Not two positive integers.
    """
    if isinstance(size, bool):
        raise invalid_type("image_size", size, "(H, W) or an int",
                           "pass the input size, e.g. image_size=(224, 224)")
    if isinstance(size, int):
        size = (size, size)
    if isinstance(size, torch.Size):
        size = tuple(size)
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)):
        raise invalid_type("image_size", size, "(H, W) as two ints",
                           "pass the input size, e.g. image_size=(224, 224)")
    if min(size) < 1:
        raise invalid_argument("image_size", size, "both sides must be at least 1",
                               "pass the input size, e.g. image_size=(224, 224)")
    return int(size[0]), int(size[1])


def cam_from_features(
    features: FeatureBatch,
    weights_fn: WeightsFn,
    size: Sequence[int] | int,
) -> NDArray[np.float32]:
    """Maps of a CAM method for every image of an already extracted batch.

    Args:
        features: The result of :func:`~hybridxai.vision.features.extract_features`.
        weights_fn: The method's weights, e.g. :func:`~hybridxai.baselines.gradcam_weights`.
        size: Output ``(H, W)``, normally the model input's size (``batch.shape[-2:]``).

    Returns:
        float32 array ``(N, H, W)`` in [0, 1] (all zeros where the map is constant).

    Example:
        >>> import torch, torchvision
        >>> from hybridxai.vision.features import extract_features
        >>> from hybridxai.baselines import gradcam_weights
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> fb = extract_features(net, torch.rand(2, 3, 64, 64))
        >>> cam_from_features(fb, gradcam_weights, (64, 64)).shape
        (2, 64, 64)
    """
    if not isinstance(features, FeatureBatch):
        raise invalid_type("features", features, "a hybridxai.vision.features.FeatureBatch",
                           "call hybridxai.vision.features.extract_features(model, batch) first")
    weights = weights_fn(features.activations, features.gradients)
    return class_activation_map(features.activations, weights, image_size(size))


def _is_batch(image: object) -> bool:
    if isinstance(image, torch.Tensor):
        return image.dim() == 4
    return isinstance(image, (list, tuple))


def compute_cam(
    weights_fn: WeightsFn,
    model: nn.Module,
    image: ImageLike | Sequence[ImageLike],
    *,
    layer: LayerLike = None,
    target: TargetLike = None,
    transform: Transform | None = None,
) -> NDArray[np.float32]:
    """Prepare the input, run one forward/backward pass and build the method's map(s).

    Args:
        weights_fn: The method's weights function.
        model: A CNN classifier returning logits.
        image: One image (a path, PIL image, ``H×W×3`` array, or a preprocessed ``C×H×W``
            tensor) or a batch (a list of images, or a preprocessed ``N×C×H×W`` tensor).
        layer: Target layer (module or dotted name); ``None`` picks the last spatial maps.
        target: Target class: ``None`` (predicted class of each image), one class for all, or
            one per image; a class is an index or, for a model with registered class names, a
            name (``"tabby"``; see :mod:`hybridxai.vision.targets`).
        transform: Preprocessing for raw pictures; defaults to the one registered with the
            model (:func:`hybridxai.vision.models.model_info`, set by ``load_pretrained``).

    Returns:
        float32 ``(H, W)`` for one image, ``(N, H, W)`` for a batch, in [0, 1], at the
        model input's resolution.

    Raises:
        InvalidArgumentError: Bad image, target outside the classes, unusable layer output.
        LayerNotFoundError: Unknown layer name.
    """
    if transform is None:
        info = model_info(model)
        transform = info.transform if info is not None else None
    prepared = prepare_images(image, transform)
    features = extract_features(model, prepared.batch, layer=layer, targets=target)
    maps = cam_from_features(features, weights_fn, tuple(prepared.batch.shape[-2:]))
    return maps if _is_batch(image) else maps[0]
