"""Finding the target layer(s) of a CNN: by module, by dotted name, or automatically.

* :func:`resolve_layer` — one layer, given as a module or a dotted name;
* :func:`resolve_layers` — one or several layers (a list, or names joined by ``+``);
* :func:`layer_name` — the recorded name of a layer choice (``"features.17+features.18"``);
* :func:`find_default_layer` — the last spatial feature maps of a CNN. Networks whose only
  convolutions are patch embeddings (vision transformers) are refused before any forward pass:
  their patch tokens are not the convolutional feature maps the method explains.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections.abc import Sequence

import torch
from torch import nn

from hybridxai.exceptions import LayerNotFoundError, invalid_argument, invalid_type
from hybridxai.vision.features.locking import model_lock
from hybridxai.vision.features.maps import MIN_MAP_SIZE, map_too_small

__all__ = ["resolve_layer", "resolve_layers", "layer_name", "find_default_layer", "LayerLike",
           "LAYER_SEPARATOR"]

LayerLike = nn.Module | str | Sequence[nn.Module | str] | None
"""One layer (a module or a dotted name), several (a list or tuple of them, or names joined by
``+``), or ``None`` for the default layer."""

LAYER_SEPARATOR = "+"
"""Joins the names of several layers: ``"features.17+features.18"``."""

_INDEX = re.compile(r"\[(-?\d+)\]")

# model -> {input spatial size: layer name}; weak so models can be garbage-collected
_DEFAULT_CACHE: weakref.WeakKeyDictionary[nn.Module, dict[tuple[int, ...], str]] = (
    weakref.WeakKeyDictionary()
)


def _normalise_name(model: nn.Module, name: str) -> str:
    """Turn ``features[18]`` / ``features[-1]`` into ``features.18``."""
    parts: list[str] = []
    for chunk in name.replace("]", "].").split("."):
        if not chunk:
            continue
        base, *indices = re.split(r"(?=\[)", chunk)
        if base:
            parts.append(base)
        for index in indices:
            match = _INDEX.fullmatch(index)
            if match is None:
                parts.append(index)
                continue
            i = int(match.group(1))
            if i < 0:
                try:
                    parent = model.get_submodule(".".join(parts))
                except AttributeError:
                    parts.append(str(i))
                    continue
                i += len(list(parent.children()))
            parts.append(str(i))
    return ".".join(parts)


def resolve_layer(model: nn.Module, layer: nn.Module | str) -> tuple[str, nn.Module]:
    """Find a layer of ``model`` given as a module or a dotted name.

    Args:
        model: The network.
        layer: A submodule of ``model``, or its dotted name (``"features.18"``,
            ``"layer4"``, ``"features[-1]"`` …).

    Returns:
        ``(name, module)``.

    Raises:
        LayerNotFoundError: If the name does not exist or the module is not part of ``model``;
            the message lists the closest names.

    Example:
        >>> import torchvision
        >>> m = torchvision.models.mobilenet_v2()
        >>> resolve_layer(m, "features[-1]")[0]
        'features.18'
    """
    names = {module: name for name, module in model.named_modules()}
    if isinstance(layer, nn.Module):
        if layer not in names:
            raise LayerNotFoundError(
                f"layer={type(layer).__name__}(...) is invalid: this module is not a submodule of "
                f"the model ({type(model).__name__}). Fix: pass a module taken from the same model "
                "object (e.g. model.features[-1]) or its dotted name."
            )
        return names[layer] or type(layer).__name__, layer
    if not isinstance(layer, str):
        raise invalid_type("layer", layer, "an nn.Module, a dotted name (str) or None",
                           "pass e.g. layer='features.18' or layer=model.features[-1]")
    dotted = _normalise_name(model, layer.strip())
    try:
        module = model.get_submodule(dotted)
    except AttributeError:
        candidates = [n for n in names.values() if n]
        close = difflib.get_close_matches(dotted, candidates, n=5, cutoff=0.5)
        hint = f" Closest names: {', '.join(close)}." if close else ""
        raise LayerNotFoundError(
            f"layer={layer!r} is invalid: {type(model).__name__} has no submodule with that name."
            f"{hint} Fix: pass one of the names in model.named_modules(), or layer=None to use "
            "the last convolutional feature maps."
        ) from None
    return dotted, module


def _split(model: nn.Module, layer: str) -> list[str]:
    """``"a+b"`` → ``["a", "b"]``, unless the whole string names a submodule."""
    if LAYER_SEPARATOR not in layer:
        return [layer]
    try:
        model.get_submodule(_normalise_name(model, layer.strip()))
    except AttributeError:
        parts = [part.strip() for part in layer.split(LAYER_SEPARATOR)]
        if not all(parts):
            raise invalid_argument("layer", layer, f"has an empty name around {LAYER_SEPARATOR!r}",
                                   "join dotted names, e.g. layer='features.17+features.18'") from None
        return parts
    return [layer]


def resolve_layers(model: nn.Module, layer: nn.Module | str | Sequence[nn.Module | str]
                   ) -> tuple[tuple[str, nn.Module], ...]:
    """Find one or several layers of ``model``.

    Args:
        model: The network.
        layer: A module or dotted name (see :func:`resolve_layer`); a list or tuple of them;
            or dotted names joined by ``+`` (``"features.17+features.18"``, the form recorded in
            an explanation, so it can be passed back).

    Returns:
        ``((name, module), ...)`` in the order given.

    Raises:
        LayerNotFoundError: An unknown name or a foreign module.
        InvalidArgumentError: An empty list, or the same layer twice.
        InvalidTypeError: Anything else.

    Example:
        >>> import torchvision
        >>> m = torchvision.models.mobilenet_v2()
        >>> [name for name, _ in resolve_layers(m, ["features[-2]", "features.18"])]
        ['features.17', 'features.18']
        >>> [name for name, _ in resolve_layers(m, "features.17+features.18")]
        ['features.17', 'features.18']
    """
    if isinstance(layer, str):
        items: list[nn.Module | str] = list(_split(model, layer))
    elif isinstance(layer, nn.Module):
        items = [layer]
    elif isinstance(layer, (list, tuple)):
        items = list(layer)
    else:
        raise invalid_type("layer", layer, "an nn.Module, a dotted name (str), a list of them or None",
                           "pass e.g. layer='features.18' or layer=['features.17', 'features.18']")
    if not items:
        raise invalid_argument("layer", layer, "is an empty list",
                               "name at least one layer, e.g. layer=['features.18'], or pass "
                               "layer=None for the default layer")
    resolved = tuple(resolve_layer(model, item) for item in items)
    names = [name for name, _ in resolved]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise invalid_argument("layer", layer, f"names {', '.join(map(repr, repeated))} more than once",
                               "list each layer once")
    return resolved


def layer_name(model: nn.Module, layer: nn.Module | str | Sequence[nn.Module | str]) -> str:
    """The recorded name of a layer choice: its dotted name, or the names joined by ``+``.

    Example:
        >>> import torchvision
        >>> layer_name(torchvision.models.mobilenet_v2(), ["features[17]", "features[18]"])
        'features.17+features.18'
    """
    return LAYER_SEPARATOR.join(name for name, _ in resolve_layers(model, layer))


def _spatial(t: object) -> bool:
    return isinstance(t, torch.Tensor) and t.dim() == 4 and t.shape[-1] * t.shape[-2] > 1


def _is_patch_embedding(module: nn.Module) -> bool:
    """A convolution that cuts the image into non-overlapping patches (kernel = stride > 1)."""
    return (isinstance(module, nn.Conv2d) and tuple(module.kernel_size) == tuple(module.stride)
            and max(module.kernel_size) > 1)


def _refuse_patch_embeddings(model: nn.Module) -> None:
    """Refuse models whose only convolutions are patch embeddings (ViT, Swin), before any forward."""
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if not convs or not all(_is_patch_embedding(m) for _, m in convs):
        return
    name, conv = convs[0]
    kh, kw = conv.kernel_size
    names = ", ".join(repr(n) for n, _ in convs)
    what = (f"convolution is {names}, a patch embedding" if len(convs) == 1 else
            f"convolutions are {names}, patch embeddings")
    raise LayerNotFoundError(
        f"layer=None is invalid for {type(model).__name__}: its only {what} ({kh}×{kw} kernel, "
        f"stride {kh}×{kw}; e.g. a vision transformer), not layers of spatial feature maps, and "
        "no other layer is chosen automatically. The default layer is "
        "supported for CNNs with spatial convolutional feature maps (ResNet, MobileNet, VGG, "
        "EfficientNet, ConvNeXt …). Fix: explain a CNN, or pass layer= explicitly to force a "
        f"layer (e.g. layer={name!r}), knowing that its channels are patch-embedding dimensions."
    )


def _collapsed(module: nn.Module, output: object) -> bool:
    """A strided convolution whose maps shrank below the minimum size: the input was too small."""
    return (isinstance(module, nn.Conv2d) and max(module.stride) > 1
            and isinstance(output, torch.Tensor) and output.dim() == 4
            and min(output.shape[-2:]) < MIN_MAP_SIZE)


def find_default_layer(model: nn.Module, example: torch.Tensor) -> str:
    """Name of the module that produces the last spatial (N×K×H×W, H·W > 1) output.

    Models whose only convolutions are patch embeddings (``kernel_size == stride > 1``, as the
    ``conv_proj`` of torchvision's ``vit_b_16`` or the stem of Swin) are refused before the
    forward pass: their "maps" are patch tokens, not CNN feature maps. A model with no
    ``nn.Conv2d`` at all is searched as usual (its convolutions may be custom modules).

    A forward pass without gradients records which modules produce 4-D outputs. Among
    the modules called once, those that produce the *last* such tensor are the candidates;
    the shallowest one is taken (the last to finish among equals), and a plain
    ``nn.Sequential`` is descended into its last child. This gives the
    usual GradCAM choices: ``features.18`` for MobileNetV2 (``model.features[-1]``) and
    ``layer4.1`` for ResNet-18 (``model.layer4[-1]``).

    Args:
        model: The network (its mode is not changed here).
        example: One input batch; only its first image is used.

    Returns:
        The dotted layer name. Cached per model and input size.

    Raises:
        LayerNotFoundError: If no module produces a spatial feature map, or the only
            convolutions are patch embeddings (a vision transformer).
        InvalidArgumentError: If the example is smaller than the network's stride: a strided
            convolution reduces the maps to fewer than 2×2 positions (see
            :data:`~hybridxai.vision.features.maps.MIN_MAP_SIZE`).
    """
    key = tuple(example.shape[1:])
    cached = _DEFAULT_CACHE.get(model, {}).get(key)
    if cached is not None:
        return cached
    _refuse_patch_embeddings(model)
    # The outputs themselves are kept (not their id()): ids of freed tensors are reused, which
    # made unrelated early layers look like producers of the last tensor.
    records: list[tuple[str, nn.Module, torch.Tensor]] = []
    calls: dict[str, int] = {}
    collapsed: list[tuple[str, tuple[int, ...]]] = []

    def hook_for(name: str):
        def hook(module: nn.Module, _inputs: object, output: object) -> None:
            calls[name] = calls.get(name, 0) + 1
            if _spatial(output):
                records.append((name, module, output))
            if _collapsed(module, output):
                collapsed.append((name, tuple(output.shape)))  # type: ignore[union-attr]

        return hook

    with model_lock(model):  # the hooks are on the shared model: one pass at a time (U2)
        handles = [m.register_forward_hook(hook_for(n)) for n, m in model.named_modules() if n]
        try:
            with torch.no_grad():
                model(example[:1])
        finally:
            for handle in handles:
                handle.remove()
    if collapsed:
        # Suggest the last large-enough output among the shallowest modules that have one
        # (``layer3`` for ResNet-18, ``features.13`` for MobileNetV2 at 32×32).
        large = [n for n, _, t in records if calls[n] == 1 and min(t.shape[-2:]) >= MIN_MAP_SIZE]
        depth = min((n.count(".") for n in large), default=0)
        shallow = [n for n in large if n.count(".") == depth]
        raise map_too_small(example, collapsed[0][0], collapsed[0][1],
                            earlier=shallow[-1] if shallow else None)
    if not records:
        raise LayerNotFoundError(
            f"layer=None is invalid for {type(model).__name__}: no module produces a spatial "
            "feature map (a 4-D N×K×H×W output with H·W > 1), so there is nothing to explain. "
            "Fix: pass layer= naming a convolutional layer, or use a CNN."
        )
    # Modules called more than once (a shared ReLU) cannot be hooked unambiguously.
    once = [(n, m, t) for n, m, t in records if calls[n] == 1]
    if not once:
        raise LayerNotFoundError(
            f"layer=None is invalid for {type(model).__name__}: every module with a spatial "
            "output is called more than once per forward pass, so its maps are ambiguous. "
            "Fix: pass layer= naming a convolutional layer that is called once."
        )
    last = once[-1][2]
    candidates = [(n, m) for n, m, t in once if t is last]
    # Shallowest wins; among equals the one recorded last, i.e. the module that finished last:
    # with Conv → BN → ReLU(inplace=True) the BN and the ReLU return the same tensor, and the
    # ReLU's (post-activation) maps are the ones meant, as without inplace.
    name, module = min(reversed(candidates), key=lambda nm: nm[0].count("."))
    while type(module) is nn.Sequential and len(module) > 0:
        child_name = f"{name}.{len(module) - 1}"
        if child_name not in {n for n, _ in candidates}:
            break
        name, module = child_name, module[-1]
    _DEFAULT_CACHE.setdefault(model, {})[key] = name
    return name
