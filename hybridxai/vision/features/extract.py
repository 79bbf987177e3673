"""Activations of a target layer and gradients of the target logits, for a batch.

One forward and one backward pass serve the whole batch. The layers before the target layer
run without autograd (``∂y_c/∂A`` needs only the graph from ``A`` to the logits), which saves
their saved-tensor memory and a third of the forward time; the hook switches autograd on
when ``A`` is produced. The hook lives for one call and is removed in ``finally``; gradients
are taken with :func:`torch.autograd.grad`, so no parameter's ``.grad`` is touched; every
module's ``training`` flag is restored.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hybridxai.exceptions import InvalidArgumentError, invalid_argument, invalid_type
from hybridxai.vision.features.layers import LayerLike, find_default_layer, resolve_layer

__all__ = ["FeatureBatch", "extract_features", "resolve_targets", "eval_mode", "model_device",
           "model_floating_dtype", "check_model_device", "check_image_device"]

TargetLike = int | Sequence[int] | torch.Tensor | np.ndarray | None


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
        probs = torch.softmax(self.logits.double(), dim=1)
        return probs[torch.arange(len(self.targets)), torch.tensor(self.targets)]

    @property
    def importance(self) -> torch.Tensor:
        """GradCAM weights ``alpha`` (spatial mean of the gradients), shape ``(N, K)``."""
        return self.gradients.mean(dim=(2, 3))


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a parameterless model)."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def model_floating_dtype(model: nn.Module) -> torch.dtype | None:
    """The dtype of the model's first floating parameter or buffer (``None`` if it has none)."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def check_model_device(model: nn.Module) -> torch.device:
    """The model's device, refusing the ``meta`` device (shapes only, no weights to run).

    Raises:
        InvalidArgumentError: If the model's parameters live on the ``meta`` device.
    """
    device = model_device(model)
    if device.type == "meta":
        raise invalid_argument(
            "model", model, "its parameters are on the 'meta' device, which holds no data "
            "(e.g. a model built under torch.device('meta') whose weights were never loaded)",
            "materialise it with model.to_empty(device='cpu') and load its weights "
            "(model.load_state_dict(...)), or build it on the CPU",
        )
    return device


def check_image_device(images: torch.Tensor, name: str) -> None:
    """Refuse image tensors on the ``meta`` device (no pixel values to explain)."""
    if images.device.type == "meta":
        raise invalid_argument(
            name, images, "is on the 'meta' device, which holds no pixel values",
            "create it with real pixel values on the CPU or the model's device (it is moved "
            "to the model's device automatically)",
        )


@contextmanager
def eval_mode(model: nn.Module, warn: bool = True) -> Iterator[nn.Module]:
    """Put every module in eval mode for the block and restore each ``training`` flag after.

    Args:
        model: The network.
        warn: Warn when the model was (partly) in training mode.
    """
    flags = [(module, module.training) for module in model.modules()]
    if warn and any(flag for _, flag in flags):
        warnings.warn(
            f"{type(model).__name__} is in training mode; it is explained in eval mode "
            "(batch-norm statistics frozen, dropout off) and handed back in training mode.",
            UserWarning,
            stacklevel=4,
        )
    try:
        model.eval()
        yield model
    finally:
        for module, flag in flags:
            module.training = flag


def resolve_targets(targets: TargetLike, logits: torch.Tensor) -> tuple[int, ...]:
    """Target class per image: argmax by default, one for all, or one per image.

    Args:
        targets: ``None`` (argmax of each image's logits), an ``int`` for every image, or a
            sequence/1-D tensor with one class per image.
        logits: Shape ``(N, num_classes)``.

    Returns:
        A tuple of ``N`` class indices.

    Raises:
        InvalidArgumentError: A wrong count, or a class outside ``[0, num_classes)``.
    """
    n, num_classes = logits.shape
    if targets is None:
        return tuple(int(i) for i in logits.argmax(dim=1).tolist())
    if isinstance(targets, np.ndarray):
        targets = torch.as_tensor(targets)
    if isinstance(targets, torch.Tensor):
        if targets.dim() > 1 or targets.is_floating_point():
            raise invalid_argument("target", targets, "must be an integer or a 1-D integer tensor",
                                   "pass one class index for all images or one per image")
        targets = targets.tolist()
    if isinstance(targets, bool):
        raise invalid_type("target", targets, "an int, a sequence of ints or None",
                           "pass target=281 or target=None for the predicted class")
    if isinstance(targets, int) or (hasattr(targets, "__index__") and not isinstance(targets, Sequence)):
        chosen = (int(targets),) * n  # type: ignore[arg-type]
    elif isinstance(targets, Sequence) and not isinstance(targets, (str, bytes)):
        if len(targets) != n:
            raise invalid_argument(
                "target", targets,
                f"gives {len(targets)} classes for a batch of {n} images",
                "pass one class for all images (an int) or exactly one per image",
            )
        if not all(isinstance(t, int) and not isinstance(t, bool) or hasattr(t, "__index__")
                   for t in targets):
            raise invalid_type("target", targets, "integers", "pass class indices such as [281, 967]")
        chosen = tuple(int(t) for t in targets)
    else:
        raise invalid_type("target", targets, "an int, a sequence of ints or None",
                           "pass target=281 or target=None for the predicted class")
    bad = [t for t in chosen if not 0 <= t < num_classes]
    if bad:
        raise invalid_argument("target", bad[0], f"must lie in [0, {num_classes}) for this model",
                               "pass a valid class index, or target=None for the predicted class")
    return chosen


def _logits_of(output: object, model: nn.Module) -> torch.Tensor:
    if isinstance(output, torch.Tensor) and output.dim() == 2:
        return output
    # HuggingFace-style outputs (``ImageClassifierOutput``) name their logits: unambiguous.
    logits = getattr(output, "logits", None) if not isinstance(output, torch.Tensor) else None
    if isinstance(logits, torch.Tensor) and logits.dim() == 2:
        return logits
    desc = (f"a {type(output).__name__}" if not isinstance(output, torch.Tensor)
            else f"a tensor of shape {tuple(output.shape)}")
    raise InvalidArgumentError(
        f"model={type(model).__name__} is invalid: its forward returned {desc}, but "
        "explanations need logits of shape (N, num_classes). Fix: wrap the model so it returns "
        "the logits tensor, e.g. hybridxai.vision.features.SelectOutput(model, 'logits') for a dict "
        "or SelectOutput(model, 0) for a tuple."
    )


class SelectOutput(nn.Module):
    """Wrap a model whose forward returns a tuple or dict so that it returns the logits.

    Args:
        model: The wrapped network.
        key: Index (tuple/list output) or key (dict output) of the logits.

    Example:
        >>> import torch
        >>> class Two(torch.nn.Module):
        ...     def forward(self, x): return {"logits": x.flatten(1), "aux": x}
        >>> SelectOutput(Two(), "logits")(torch.zeros(2, 3)).shape
        torch.Size([2, 3])
    """

    def __init__(self, model: nn.Module, key: int | str) -> None:
        super().__init__()
        self.model = model
        self.key = key
        self.training = model.training  # a new Module starts in training mode; mirror the model

    def forward(self, *args: object, **kwargs: object) -> torch.Tensor:
        """Run the wrapped model and return ``output[key]``."""
        return self.model(*args, **kwargs)[self.key]


def extract_features(
    model: nn.Module,
    images: torch.Tensor,
    *,
    layer: LayerLike = None,
    targets: TargetLike = None,
) -> FeatureBatch:
    """Run one forward/backward pass and capture the target layer's maps and gradients.

    Args:
        model: A CNN classifier returning logits ``(N, num_classes)``.
        images: Model-ready batch ``(N, C, H, W)`` (already preprocessed), on any device and
            in any floating dtype: it is moved to the model's device and dtype.
        layer: The target layer (module or dotted name); ``None`` picks the last spatial
            feature maps (see :func:`~hybridxai.vision.features.layers.find_default_layer`).
        targets: ``None`` (argmax per image), one class for all, or one per image.

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
        logits = _logits_of(output, model)
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
        chosen = resolve_targets(targets, logits.detach())
        index = torch.arange(len(chosen), device=logits.device)
        with torch.enable_grad():  # also when the caller is in no_grad mode
            score = logits[index, torch.tensor(chosen, device=logits.device)].sum()
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
