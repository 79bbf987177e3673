"""Activations of a target layer and gradients of the target logits, for a batch.

One forward and one backward pass serve the whole batch. The layers before the target layer
run without autograd (``∂y_c/∂A`` needs only the graph from ``A`` to the logits), which saves
their saved-tensor memory and a third of the forward time; the hook switches autograd on
when ``A`` is produced. The hook lives for one call and is removed in ``finally``; gradients
are taken with :func:`torch.autograd.grad`, so no parameter's ``.grad`` is touched; every
module's ``training`` flag is restored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from hybridxai.anneal.qubo import importance
from hybridxai.exceptions import InvalidArgumentError, invalid_argument, invalid_type
from hybridxai.vision.classifier import (
    check_image_device,
    check_model_device,
    eval_mode,
    logits_of,
    model_floating_dtype,
    target_probabilities,
)
from hybridxai.vision.features.layers import LayerLike, find_default_layer, resolve_layer
from hybridxai.vision.targets import TargetLike, class_names_of, parse_targets, select_targets

__all__ = ["FeatureBatch", "extract_features"]


@dataclass(frozen=True)
class FeatureBatch:
    """What one forward/backward pass through the target layer gives.

    Attributes:
        activations: ``A``, shape ``(N, K, h, w)``, detached, on the model's device.
        gradients: ``∂y_c/∂A``, same shape, where ``y_c`` is the pre-softmax logit of each
            image's target class.
        logits: Shape ``(N, num_classes)``, detached.
        targets: The target class of each image.
        layer: Dotted name of the target layer.
        layer_was_default: ``True`` when the layer was picked automatically.
    """

    activations: torch.Tensor
    gradients: torch.Tensor
    logits: torch.Tensor
    targets: tuple[int, ...]
    layer: str
    layer_was_default: bool

    @property
    def probabilities(self) -> torch.Tensor:
        """Softmax probability of each image's target class, shape ``(N,)``."""
        return target_probabilities(self.logits, self.targets)

    @property
    def importance(self) -> torch.Tensor:
        """GradCAM weights ``alpha``, float64 ``(N, K)`` (:func:`hybridxai.anneal.qubo.importance`)."""
        return importance(self.gradients)


def extract_features(
    model: nn.Module,
    images: torch.Tensor,
    *,
    layer: LayerLike = None,
    targets: TargetLike = None,
    class_names: Sequence[str] | None = None,
) -> FeatureBatch:
    """Run one forward/backward pass and capture the target layer's maps and gradients.

    Args:
        model: A CNN classifier returning logits ``(N, num_classes)``.
        images: Model-ready batch ``(N, C, H, W)`` (already preprocessed), on any device and
            in any floating dtype: it is moved to the model's device and dtype.
        layer: The target layer (module or dotted name); ``None`` picks the last spatial
            feature maps (see :func:`~hybridxai.vision.features.layers.find_default_layer`).
        targets: ``None`` (argmax per image), one class for all, or one per image: indices or
            class names (see :mod:`hybridxai.vision.targets`).
        class_names: The names to look class names up in; default the model's registered ones
            (:func:`hybridxai.vision.models.model_info`).

    Returns:
        The :class:`FeatureBatch`.

    Raises:
        LayerNotFoundError: Unknown layer, or no spatial output.
        InvalidArgumentError: Wrong input shape, non-finite input, bad targets, a layer whose
            output is not ``(N, K, h, w)``, an output that is not logits (a tuple or dict: wrap
            the model in :class:`SelectOutput`; objects with a ``.logits`` tensor, such as
            HuggingFace outputs, are accepted), or a model or images on the ``meta`` device.

    Example:
        >>> import torch, torchvision
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> fb = extract_features(net, torch.rand(2, 3, 64, 64), layer="layer3")
        >>> tuple(fb.activations.shape), fb.layer
        ((2, 256, 4, 4), 'layer3')
    """
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    if not isinstance(images, torch.Tensor):
        raise invalid_type("images", images, "a torch.Tensor of shape (N, C, H, W)",
                           "preprocess the images first, or call hybridxai.explain()")
    if images.dim() != 4:
        raise invalid_argument("images", images, "must have shape (N, C, H, W)",
                               "add a batch dimension with images.unsqueeze(0)")
    if not images.is_floating_point():
        raise invalid_argument("images", images, "must be a floating-point tensor",
                               "convert with images.float() after normalising")
    check_image_device(images, "images")
    names = class_names if class_names is not None else class_names_of(model)
    parsed = parse_targets(targets, images.shape[0], name="target", class_names=names)
    if not torch.isfinite(images).all():
        raise invalid_argument("images", images, "contains NaN or inf values",
                               "check the image loading and normalisation")
    # Images go to the model's device and floating dtype (a float64 numpy-made tensor, or a
    # tensor on another device, is what users pass and expect to work).
    device = check_model_device(model)
    images = images.to(device, model_floating_dtype(model) or images.dtype)

    with eval_mode(model):
        was_default = layer is None
        name = find_default_layer(model, images) if layer is None else None
        name, module = resolve_layer(model, name if name is not None else layer)  # type: ignore[arg-type]
        captured: list[torch.Tensor] = []

        def hook(_module: nn.Module, _inputs: object, output: object) -> torch.Tensor:
            if not isinstance(output, torch.Tensor):
                raise InvalidArgumentError(
                    f"layer={name!r} is invalid: it returns a {type(output).__name__}, not a "
                    "tensor. Fix: choose a layer whose output is a feature-map tensor (N, K, h, w)."
                )
            if captured:
                raise InvalidArgumentError(
                    f"layer={name!r} is invalid: the module is called more than once per forward "
                    "pass (e.g. a shared ReLU), so its feature maps are ambiguous. Fix: pick its "
                    "parent block or a layer called once."
                )
            # The layers before this one ran without autograd (nothing upstream needs a
            # gradient); from here on the graph is recorded, from a fresh leaf that protects the
            # capture from in-place operations further down the network.
            torch.set_grad_enabled(True)
            source = output.detach().requires_grad_(True)
            captured.append(source)
            return source.clone()

        handle = module.register_forward_hook(hook)
        try:
            # Grad mode is thread-local and restored when the block exits, so the hook's switch
            # to grad mode ends with the forward pass.
            with torch.no_grad():
                output = model(images)
        finally:
            handle.remove()
        logits = logits_of(model, output)
        if not captured:
            raise InvalidArgumentError(
                f"layer={name!r} is invalid: it was never called during the forward pass. "
                "Fix: pick a layer on the path from the input to the logits."
            )
        activations = captured[0]
        if activations.dim() != 4 or activations.shape[0] != images.shape[0]:
            raise invalid_argument(
                "layer", name, f"its output has shape {tuple(activations.shape)}, not (N, K, h, w)",
                "pick a convolutional layer (its output must be a batch of feature maps)",
            )
        picked = select_targets(parsed, logits.detach(), name="target")
        chosen = tuple(int(t) for t in picked.tolist())
        index = torch.arange(len(chosen), device=logits.device)
        with torch.enable_grad():  # also when the caller is in no_grad mode
            score = logits[index, picked].sum()
            (gradients,) = (torch.autograd.grad(score, activations, allow_unused=True)
                            if score.requires_grad else (None,))
        if gradients is None:
            raise invalid_argument(
                "layer", name,
                "the logits do not depend on its output through autograd (its maps do not reach "
                "the logits, or the model computes them under torch.no_grad() or detaches them)",
                "pick a layer on the path from the input to the logits, and keep that path "
                "differentiable",
            )
    return FeatureBatch(
        activations=activations.detach(),
        gradients=gradients.detach(),
        logits=logits.detach(),
        targets=chosen,
        layer=name,
        layer_was_default=was_default,
    )
