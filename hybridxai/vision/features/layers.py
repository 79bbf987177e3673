"""Finding the target layer of a CNN: by module, by dotted name, or automatically."""

from __future__ import annotations

import difflib
import re
import weakref

import torch
from torch import nn

from hybridxai.exceptions import LayerNotFoundError, invalid_type

__all__ = ["resolve_layer", "find_default_layer", "LayerLike"]

LayerLike = nn.Module | str | None

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


def _spatial(t: object) -> bool:
    return isinstance(t, torch.Tensor) and t.dim() == 4 and t.shape[-1] * t.shape[-2] > 1


def find_default_layer(model: nn.Module, example: torch.Tensor) -> str:
    """Name of the module that produces the last spatial (N×K×H×W, H·W > 1) output.

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
        LayerNotFoundError: If no module produces a spatial feature map.
    """
    key = tuple(example.shape[1:])
    cached = _DEFAULT_CACHE.get(model, {}).get(key)
    if cached is not None:
        return cached
    # The outputs themselves are kept (not their id()): ids of freed tensors are reused, which
    # made unrelated early layers look like producers of the last tensor.
    records: list[tuple[str, nn.Module, torch.Tensor]] = []
    calls: dict[str, int] = {}

    def hook_for(name: str):
        def hook(module: nn.Module, _inputs: object, output: object) -> None:
            calls[name] = calls.get(name, 0) + 1
            if _spatial(output):
                records.append((name, module, output))

        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in model.named_modules() if n]
    try:
        with torch.no_grad():
            model(example[:1])
    finally:
        for handle in handles:
            handle.remove()
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
