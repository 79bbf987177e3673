"""The classifier of ``--model``, ``--checkpoint`` and ``--device``.

``--model`` is a torchvision classifier name (``mobilenet_v2``, ``resnet18``, …) or
``module:callable``, a function returning a ``torch.nn.Module`` (``mypkg.nets:build``). Without
``--checkpoint`` a torchvision name loads its ImageNet weights (:func:`hybridxai.load_pretrained`);
with it, the architecture is built without weights and the checkpoint (a state dict, or a dict
holding one under ``state_dict`` or ``model``) is loaded into it. A torchvision architecture keeps
its ImageNet preprocessing and class names; a ``module:callable`` model can register its own
with :func:`hybridxai.vision.models.register_model_info`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

import hybridxai.vision.models as models
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["check_device", "load_model"]


def check_device(device: str) -> torch.device:
    """The torch device named by ``--device``, refused before anything loads if unusable.

    Example:
        >>> check_device("cpu")
        device(type='cpu')
    """
    fix = "pass e.g. --device cpu, or --device cuda on a machine with a GPU"
    try:
        result = torch.device(device)
    except (RuntimeError, ValueError):
        raise invalid_argument("device", device, "is not a torch device name", fix) from None
    if result.type == "cuda" and not torch.cuda.is_available():
        raise invalid_argument("device", device, "no CUDA GPU is available here", fix)
    if result.type == "mps" and not torch.backends.mps.is_available():
        raise invalid_argument("device", device, "no Apple GPU (MPS) is available here", fix)
    return result


def _from_callable(spec: str) -> nn.Module:
    module_name, _, attribute = spec.partition(":")
    fix = "pass --model module:callable, a function returning a torch.nn.Module"
    try:
        factory: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            factory = getattr(factory, part)
    except (ImportError, AttributeError) as exc:
        raise invalid_argument("model", spec, f"cannot be imported ({exc})", fix) from None
    model = factory() if callable(factory) and not isinstance(factory, nn.Module) else factory
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", fix)
    return model


def _architecture(name: str, checkpoint: Path) -> nn.Module:
    """A torchvision architecture without weights, with its ImageNet preprocessing and names."""
    key = name.strip().lower().replace("-", "_")
    try:
        model = torchvision.models.get_model(key, weights=None)
        weights = torchvision.models.get_model_weights(key).DEFAULT
    except ValueError:
        known = ", ".join(sorted(torchvision.models.list_models(torchvision.models)))
        raise invalid_argument("model", name, f"is not a torchvision classifier (known: {known})",
                               "pass e.g. --model mobilenet_v2, or --model module:callable") from None
    spec = models.PRETRAINED.get(key)
    models.register_model_info(model, models.ModelInfo(
        name=key, transform=weights.transforms(), class_names=tuple(weights.meta["categories"]),
        weights=f"checkpoint {checkpoint.name}", source=str(checkpoint),
        default_layer=spec.default_layer if spec is not None else None))
    return model


def _load_state(model: nn.Module, checkpoint: Path) -> None:
    fix = "pass a file written by torch.save(model.state_dict(), path) for this --model"
    if not checkpoint.is_file():
        raise invalid_argument("checkpoint", str(checkpoint), "no such file", "check the path")
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file: one clear message
        raise invalid_argument("checkpoint", str(checkpoint), f"cannot be read as a PyTorch checkpoint "
                               f"({type(exc).__name__})", fix) from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise invalid_argument("checkpoint", str(checkpoint), "holds no state dict", fix)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise invalid_argument("checkpoint", str(checkpoint), f"does not fit the model ({detail})",
                               fix) from None


def load_model(model: str, checkpoint: Path | None, device: torch.device) -> nn.Module:
    """The classifier for the command line, in eval mode on ``device``.

    Args:
        model: A torchvision name or ``module:callable``.
        checkpoint: Weights to load instead of the pretrained ones.
        device: Where to run it.

    Returns:
        The model.

    Raises:
        InvalidArgumentError: An unknown model, an unreadable or mismatched checkpoint.
    """
    if ":" in model:
        net = _from_callable(model)
    elif checkpoint is None:
        net = models.load_pretrained(model)  # looked up at call time: tests replace it
    else:
        net = _architecture(model, checkpoint)
    if checkpoint is not None:
        _load_state(net, checkpoint)
    if device.type != "cpu":
        net.to(device)
    return net.eval()
