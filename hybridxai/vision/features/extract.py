"""Activations of the target layer(s) and gradients of the target logits, for a batch.

One forward and one backward pass serve the whole batch. The layers before the target layer
run without autograd (``∂y_c/∂A`` needs only the graph from ``A`` to the logits), which saves
their saved-tensor memory and a third of the forward time; the hook switches autograd on
when ``A`` is produced. The hook lives for one call and is removed in ``finally``; gradients
are taken with :func:`torch.autograd.grad`, so no parameter's ``.grad`` is touched; every
module's ``training`` flag is restored. Several target layers are hooked in the same pass;
autograd starts at the first of them to run, and each layer's gradient is the full
``∂y_c/∂A_l`` (through the later target layers too), as if it were hooked alone.

Thread safety: the hooks and the ``training`` flags are state of the shared model object, so the
whole pass (hooks, eval mode, forward, backward) holds the model's own re-entrant lock
(:func:`~hybridxai.vision.features.locking.model_lock`). Several threads may explain with one
model at once: its passes run one at a time and each thread gets exactly what a serial call
gives; the rest of their work (QUBO building and solving) runs in parallel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import torch
from torch import nn

from hybridxai.anneal.qubo import check_importance_mode, importance
from hybridxai.exceptions import InvalidArgumentError, invalid_argument, invalid_type
from hybridxai.vision.classifier import (
    check_image_device,
    check_model_device,
    eval_mode,
    logits_of,
    model_floating_dtype,
    target_probabilities,
)
from hybridxai.vision.features.layers import LAYER_SEPARATOR, LayerLike, find_default_layer, resolve_layers
from hybridxai.vision.features.locking import model_lock
from hybridxai.vision.features.maps import check_map_size, concatenate_maps
from hybridxai.vision.targets import TargetLike, class_names_of, parse_targets, select_targets

__all__ = ["FeatureBatch", "extract_features"]


@dataclass(frozen=True)
class FeatureBatch:
    """What one forward/backward pass through the target layer(s) gives.

    With several layers, the maps of the layers are joined along channels in the order given
    (resized to the largest map size, gradients so that each ``alpha`` stays that map's GradCAM
    weight at its own layer: :func:`~hybridxai.vision.features.maps.concatenate_maps`), and
    :attr:`layer_channels` says which channels came from which layer.

    Attributes:
        activations: ``A``, shape ``(N, K, h, w)``, detached, on the model's device.
        gradients: ``∂y_c/∂A``, same shape, where ``y_c`` is the pre-softmax logit of each
            image's target class.
        logits: Shape ``(N, num_classes)``, detached.
        targets: The target class of each image.
        layer: Dotted name of the target layer; for several layers their names joined by ``+``
            (``"features.17+features.18"``, which ``layer=`` accepts back).
        layer_was_default: ``True`` when the layer was picked automatically.
        layers: The name of each layer, in channel order (default ``(layer,)``).
        channel_offsets: The first channel of each layer in ``activations`` (default ``(0,)``).
        map_sizes: Each layer's own map size ``(h, w)`` before any resizing (default the
            activations' size).
    """

    activations: torch.Tensor
    gradients: torch.Tensor
    logits: torch.Tensor
    targets: tuple[int, ...]
    layer: str
    layer_was_default: bool
    layers: tuple[str, ...] = ()
    channel_offsets: tuple[int, ...] = ()
    map_sizes: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if not self.layers:
            object.__setattr__(self, "layers", (self.layer,))
        if not self.channel_offsets:
            object.__setattr__(self, "channel_offsets", (0,))
        if not self.map_sizes:
            size = (int(self.activations.shape[-2]), int(self.activations.shape[-1]))
            object.__setattr__(self, "map_sizes", (size,) * len(self.layers))
        if not len(self.layers) == len(self.channel_offsets) == len(self.map_sizes):
            raise invalid_argument("channel_offsets", self.channel_offsets,
                                   f"must give one offset per layer of {self.layers}",
                                   "pass one offset and one map size per layer")

    @property
    def probabilities(self) -> torch.Tensor:
        """Softmax probability of each image's target class, shape ``(N,)``."""
        return target_probabilities(self.logits, self.targets)

    @property
    def importance(self) -> torch.Tensor:
        """GradCAM weights ``alpha``, float64 ``(N, K)`` (:func:`hybridxai.anneal.qubo.importance`)."""
        return importance(self.gradients)

    def importance_of(self, mode: str = "gradcam") -> torch.Tensor:
        """Importance ``alpha`` under an importance mode, float64 ``(N, K)``.

        Args:
            mode: One of :data:`hybridxai.anneal.qubo.IMPORTANCE_MODES`: ``"gradcam"`` (the
                same as :attr:`importance`), ``"contribution"`` (the spatial mean of gradient ×
                activation) or ``"gradcam++"``. With several layers the modes that use the maps
                see them at the joined (largest) size, so their ``alpha`` is that of the resized
                maps.

        Raises:
            InvalidArgumentError: An unknown mode.

        Example:
            >>> import torch
            >>> a = torch.ones(1, 2, 2, 2); g = torch.full((1, 2, 2, 2), 0.5)
            >>> fb = FeatureBatch(a * 4, g, torch.zeros(1, 3), (0,), "x", False)
            >>> fb.importance_of("contribution").tolist()
            [[2.0, 2.0]]
        """
        return importance(self.gradients, self.activations, mode=check_importance_mode(mode, "mode"))

    @property
    def layer_channels(self) -> dict[str, tuple[int, int]]:
        """``{layer: (start, stop)}``: the channels ``start <= k < stop`` of each layer.

        Example:
            >>> import torch
            >>> a = torch.zeros(1, 5, 2, 2)
            >>> FeatureBatch(a, a, torch.zeros(1, 3), (0,), "x+y", False, ("x", "y"), (0, 2),
            ...              ((2, 2), (1, 1))).layer_channels
            {'x': (0, 2), 'y': (2, 5)}
        """
        stops = (*self.channel_offsets[1:], int(self.activations.shape[1]))
        return {name: (start, stop) for name, start, stop in
                zip(self.layers, self.channel_offsets, stops, strict=True)}

    def layer_of(self, channel: int) -> str:
        """The layer that channel ``channel`` of :attr:`activations` belongs to.

        Raises:
            InvalidArgumentError: A channel outside ``[0, K)``.
        """
        for name, (start, stop) in self.layer_channels.items():
            if start <= channel < stop:
                return name
        raise invalid_argument("channel", channel,
                               f"is not in [0, {int(self.activations.shape[1])})",
                               "pass a channel index of the activations")


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
        layer: The target layer (module or dotted name); several layers as a list (or names
            joined by ``+``), whose maps are joined along channels
            (:func:`~hybridxai.vision.features.maps.concatenate_maps`); ``None`` picks the last
            spatial feature maps (see :func:`~hybridxai.vision.features.layers.find_default_layer`).
        targets: ``None`` (argmax per image), one class for all, or one per image: indices or
            class names (see :mod:`hybridxai.vision.targets`).
        class_names: The names to look class names up in; default the model's registered ones
            (:func:`hybridxai.vision.models.model_info`).

    Returns:
        The :class:`FeatureBatch`.

    Thread safety:
        Safe to call from several threads with the same model: the pass holds the model's lock
        (:func:`~hybridxai.vision.features.locking.model_lock`), so passes on one model run one
        at a time and give the results of serial calls. Passes on distinct models run in
        parallel.

    Raises:
        LayerNotFoundError: Unknown layer, no spatial output, or (for ``layer=None``) a model
            whose only convolutions are patch embeddings (a vision transformer).
        InvalidArgumentError: Wrong input shape, non-finite input, bad targets, a layer whose
            output is not ``(N, K, h, w)``, maps with fewer than 2×2 positions (an input smaller
            than the network's stride; :data:`~hybridxai.vision.features.maps.MIN_MAP_SIZE`),
            an output that is not logits (a tuple or dict: wrap the model in
            :class:`SelectOutput`; objects with a ``.logits`` tensor, such as HuggingFace
            outputs, are accepted), or a model or images on the ``meta`` device.

    Example:
        >>> import torch, torchvision
        >>> net = torchvision.models.resnet18(num_classes=10).eval()
        >>> fb = extract_features(net, torch.rand(2, 3, 64, 64), layer="layer3")
        >>> tuple(fb.activations.shape), fb.layer
        ((2, 256, 4, 4), 'layer3')
        >>> fb = extract_features(net, torch.rand(2, 3, 64, 64), layer=["layer3", "layer4"])
        >>> tuple(fb.activations.shape), fb.layer, fb.layer_channels
        ((2, 768, 4, 4), 'layer3+layer4', {'layer3': (0, 256), 'layer4': (256, 768)})
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

    with model_lock(model), eval_mode(model):
        was_default = layer is None
        resolved = resolve_layers(model, find_default_layer(model, images) if layer is None else layer)
        captured: dict[str, torch.Tensor] = {}

        def hook_for(name: str):
            def hook(_module: nn.Module, _inputs: object, output: object) -> torch.Tensor:
                if not isinstance(output, torch.Tensor):
                    raise InvalidArgumentError(
                        f"layer={name!r} is invalid: it returns a {type(output).__name__}, not a "
                        "tensor. Fix: choose a layer whose output is a feature-map tensor (N, K, h, w)."
                    )
                if name in captured:
                    raise InvalidArgumentError(
                        f"layer={name!r} is invalid: the module is called more than once per forward "
                        "pass (e.g. a shared ReLU), so its feature maps are ambiguous. Fix: pick its "
                        "parent block or a layer called once."
                    )
                # The layers before the first target layer ran without autograd (nothing upstream
                # needs a gradient); from here on the graph is recorded, from a fresh leaf. A later
                # target layer downstream of an earlier one already carries the graph: it is kept
                # (not cut), so the earlier layer's gradient still flows through it. The clone
                # handed on protects the capture from in-place operations further down.
                torch.set_grad_enabled(True)
                source = output if output.requires_grad else output.detach().requires_grad_(True)
                captured[name] = source
                return source.clone()

            return hook

        handles = [module.register_forward_hook(hook_for(name)) for name, module in resolved]
        try:
            # Grad mode is thread-local and restored when the block exits, so the hook's switch
            # to grad mode ends with the forward pass.
            with torch.no_grad():
                output = model(images)
        finally:
            for handle in handles:
                handle.remove()
        logits = logits_of(model, output)
        for name, _ in resolved:
            if name not in captured:
                raise InvalidArgumentError(
                    f"layer={name!r} is invalid: it was never called during the forward pass. "
                    "Fix: pick a layer on the path from the input to the logits."
                )
            maps = captured[name]
            if maps.dim() != 4 or maps.shape[0] != images.shape[0]:
                raise invalid_argument(
                    "layer", name, f"its output has shape {tuple(maps.shape)}, not (N, K, h, w)",
                    "pick a convolutional layer (its output must be a batch of feature maps)",
                )
            check_map_size(images, name, maps)
        picked = select_targets(parsed, logits.detach(), name="target")
        chosen = tuple(int(t) for t in picked.tolist())
        index = torch.arange(len(chosen), device=logits.device)
        sources = [captured[name] for name, _ in resolved]
        with torch.enable_grad():  # also when the caller is in no_grad mode
            score = logits[index, picked].sum()
            gradients = (torch.autograd.grad(score, sources, allow_unused=True)
                         if score.requires_grad else (None,) * len(sources))
        for (name, _), grad in zip(resolved, gradients, strict=True):
            if grad is None:
                raise invalid_argument(
                    "layer", name,
                    "the logits do not depend on its output through autograd (its maps do not "
                    "reach the logits, or the model computes them under torch.no_grad() or "
                    "detaches them)",
                    "pick a layer on the path from the input to the logits, and keep that path "
                    "differentiable",
                )
    acts = [s.detach() for s in sources]
    activations, joined = concatenate_maps(acts, [g.detach() for g in gradients])  # type: ignore[union-attr]
    offsets = tuple(accumulate((int(a.shape[1]) for a in acts[:-1]), initial=0))
    return FeatureBatch(
        activations=activations,
        gradients=joined,
        logits=logits.detach(),
        targets=chosen,
        layer=LAYER_SEPARATOR.join(name for name, _ in resolved),
        layer_was_default=was_default,
        layers=tuple(name for name, _ in resolved),
        channel_offsets=offsets,
        map_sizes=tuple((int(a.shape[-2]), int(a.shape[-1])) for a in acts),
    )
