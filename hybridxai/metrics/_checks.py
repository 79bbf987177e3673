"""Input checks shared by the metric modules (private).

Every check fails fast, before any forward pass, with an error from
:mod:`hybridxai.exceptions` that names the argument, the value and the fix. Targets are parsed
by :mod:`hybridxai.vision.targets`.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = [
    "as_index", "as_probabilities", "check_batch_size", "check_model", "check_pixels", "check_maps",
]


def as_index(name: str, value: Any, fix: str) -> int:
    """Return ``value`` as a Python int, refusing bools, floats and non-integers."""
    if isinstance(value, bool):
        raise invalid_type(name, value, "an int", fix)
    try:
        return operator.index(value)
    except TypeError:
        raise invalid_type(name, value, "an int", fix) from None


def check_model(model: Any) -> nn.Module:
    """Refuse anything that is not a ``torch.nn.Module``."""
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module returning logits (N, num_classes)",
                           "pass the classifier itself, e.g. torchvision.models.resnet18()")
    return model


def check_batch_size(batch_size: Any) -> int:
    """Return ``batch_size`` as a positive int (images per forward pass)."""
    fix = "pass a positive number of images per forward pass, e.g. batch_size=32"
    return check_positive_int("batch_size", as_index("batch_size", batch_size, fix), fix)


def _as_tensor(name: str, value: Any, expected: str, fix: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    elif isinstance(value, np.ndarray):
        tensor = torch.from_numpy(np.ascontiguousarray(value))
    else:
        raise invalid_type(name, value, expected, fix)
    if not tensor.is_floating_point():
        raise invalid_argument(name, value, f"must be floating point, got {tensor.dtype}",
                               "convert 0–255 uint8 data with x.float() / 255")
    if tensor.device.type == "meta":
        raise invalid_argument(name, value, "is on the 'meta' device, which holds no values",
                               "create it with real values on the CPU or the model's device (it "
                               "is moved to the model's device automatically)")
    if tensor.numel() and not torch.isfinite(tensor).all():
        raise invalid_argument(name, value, "contains NaN or inf values",
                               "check how the values were produced")
    return tensor


def check_pixels(pixels: Any) -> torch.Tensor:
    """Check images ``(N, C, H, W)`` with values in [0, 1] (before normalisation)."""
    fix = ("pass un-normalised images as a (N, C, H, W) tensor in [0, 1], e.g. "
           "torch.stack([torch.from_numpy(e.image).permute(2, 0, 1) for e in explanations])")
    tensor = _as_tensor("pixels", pixels, "a torch.Tensor or numpy array (N, C, H, W)", fix)
    if tensor.dim() != 4 or tensor.shape[0] == 0:
        raise invalid_argument("pixels", pixels, "must have shape (N, C, H, W) with N >= 1", fix)
    lo, hi = float(tensor.min()), float(tensor.max())
    if lo < 0.0 or hi > 1.0:
        raise invalid_argument("pixels", pixels,
                               f"values must lie in [0, 1] (got {lo:.3g}..{hi:.3g})",
                               "undo the normalisation first (x * std + mean); the metrics "
                               "mask in pixel space and normalise themselves")
    return tensor


def check_maps(maps: Any, pixels: torch.Tensor, *, unit_range: bool) -> torch.Tensor:
    """Check maps ``(N, H, W)``/``(N, 1, H, W)`` against ``pixels``; [0, 1] if ``unit_range``."""
    n, _, h, w = pixels.shape
    fix = (f"pass one map per image at the image size, shape ({n}, {h}, {w}); resize with "
           "torch.nn.functional.interpolate(maps[:, None], size=(H, W), mode='bilinear')[:, 0]")
    tensor = _as_tensor("maps", maps, f"a torch.Tensor or numpy array ({n}, {h}, {w})", fix)
    if tensor.dim() == 4 and tensor.shape[1] == 1:
        tensor = tensor[:, 0]
    if tuple(tensor.shape) != (n, h, w):
        raise invalid_argument("maps", maps,
                               f"shape {tuple(tensor.shape)} does not match pixels "
                               f"{tuple(pixels.shape)}", fix)
    if unit_range:
        lo, hi = float(tensor.min()), float(tensor.max())
        if lo < 0.0 or hi > 1.0:
            raise invalid_argument("maps", maps,
                                   f"values must lie in [0, 1] (got {lo:.3g}..{hi:.3g})",
                                   "min–max scale the saliency maps (Explanation.saliency "
                                   "already is) or clip them with maps.clamp(0, 1)")
    return tensor


def as_probabilities(name: str, values: Any) -> NDArray[np.float64]:
    """Return a non-empty 1-D float64 array of finite probabilities in [0, 1]."""
    fix = "pass one softmax probability per image, e.g. the output of masked_confidences()"
    if isinstance(values, torch.Tensor):
        values = values.detach().to("cpu", torch.float64).numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_type(name, values, "a 1-D array of probabilities", fix) from None
    if array.ndim != 1 or array.size == 0:
        raise invalid_argument(name, values, f"must be a non-empty 1-D array, got shape "
                               f"{array.shape}", fix)
    if not np.all(np.isfinite(array)):
        raise invalid_argument(name, values, "contains NaN or inf values", fix)
    if array.min() < 0.0 or array.max() > 1.0:
        raise invalid_argument(name, values, f"probabilities must lie in [0, 1] (got "
                               f"{array.min():.3g}..{array.max():.3g})",
                               "apply softmax to the logits first")
    return array
