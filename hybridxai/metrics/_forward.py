"""Running a classifier on perturbed images, in batches (private).

The model runs under :func:`torch.no_grad` in eval mode; every module's ``training`` flag is
restored afterwards (:func:`hybridxai.vision.features.extract.eval_mode`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import torch
from torch import nn

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.features.extract import check_model_device, eval_mode
from hybridxai.vision.images import find_normalization

__all__ = ["Normalize", "model_dtype", "make_normalizer", "resolve_targets",
           "check_target_range", "logits_of", "ClassifierRunner", "chunks"]

Normalize = tuple[Sequence[float], Sequence[float]] | Callable[[torch.Tensor], torch.Tensor] | None
"""``(mean, std)``, a callable mapping ``[0, 1]`` pixels to model input, or ``None`` (identity)."""


def model_dtype(model: nn.Module, fallback: torch.dtype) -> torch.dtype:
    """Return the dtype of the first floating parameter or buffer, else ``fallback``."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return fallback


def make_normalizer(normalize: Any, channels: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Turn ``normalize`` into a function from ``[0, 1]`` pixels to model input.

    A transform that exposes ``mean``/``std`` (torchvision ``Normalize``, a ``Compose`` holding
    one, a weights preset) is reduced to those, so no resizing or cropping is applied.
    """
    if normalize is None:
        return lambda x: x
    found = None if isinstance(normalize, (tuple, list)) else find_normalization(normalize)
    if found is not None:
        normalize = found
    elif callable(normalize):
        return normalize  # type: ignore[no-any-return]
    fix = ("pass normalize=(mean, std) with one value per channel, e.g. "
           "([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), a callable, or None")
    if not isinstance(normalize, (tuple, list)) or len(normalize) != 2:
        raise invalid_type("normalize", normalize, "a (mean, std) pair, a callable or None", fix)
    try:
        mean = torch.as_tensor(normalize[0], dtype=torch.float64).reshape(-1)
        std = torch.as_tensor(normalize[1], dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise invalid_type("normalize", normalize, "a pair of float sequences", fix) from None
    if mean.numel() not in (1, channels) or std.numel() not in (1, channels):
        raise invalid_argument("normalize", normalize,
                               f"needs 1 or {channels} values (one per image channel) in mean "
                               f"and std, got {mean.numel()} and {std.numel()}", fix)
    if not (torch.isfinite(mean).all() and torch.isfinite(std).all()) or (std <= 0).any():
        raise invalid_argument("normalize", normalize, "std must be positive and all values finite",
                               fix)

    def apply(x: torch.Tensor) -> torch.Tensor:
        m = mean.to(x.device, x.dtype)[None, :, None, None]
        s = std.to(x.device, x.dtype)[None, :, None, None]
        return (x - m) / s

    return apply


def check_target_range(chosen: tuple[int, ...] | None, num_classes: int) -> None:
    """Refuse given targets outside ``[0, num_classes)`` (known after the first forward pass)."""
    bad = [t for t in chosen or () if t >= num_classes]
    if bad:
        raise invalid_argument("targets", bad[0], f"must lie in [0, {num_classes}) for this model",
                               "pass a valid class index, or targets=None for the argmax")


def resolve_targets(chosen: tuple[int, ...] | None, logits: torch.Tensor,
                    start: int) -> torch.Tensor:
    """Return targets of images ``start ..``: the given ones (range-checked) or the argmax."""
    if chosen is None:
        return logits.argmax(dim=1)
    check_target_range(chosen, logits.shape[1])
    part = chosen[start:start + logits.shape[0]]
    return torch.tensor(part, dtype=torch.long, device=logits.device)


def logits_of(model: nn.Module, output: Any) -> torch.Tensor:
    """Return the model's output, which must be logits ``(B, num_classes)``."""
    if isinstance(output, torch.Tensor) and output.dim() == 2:
        return output
    # HuggingFace-style outputs (``ImageClassifierOutput``) name their logits: unambiguous.
    logits = getattr(output, "logits", None) if not isinstance(output, torch.Tensor) else None
    if isinstance(logits, torch.Tensor) and logits.dim() == 2:
        return logits
    desc = (f"a tensor of shape {tuple(output.shape)}" if isinstance(output, torch.Tensor)
            else f"a {type(output).__name__}")
    raise invalid_argument("model", model, f"its forward returned {desc}, not logits "
                           "(N, num_classes)",
                           "wrap it, e.g. hybridxai.vision.features.SelectOutput(model, 'logits') for a "
                           "dict or SelectOutput(model, 0) for a tuple")


class ClassifierRunner:
    """Map batches of ``[0, 1]`` pixel images to logits and target-class probabilities.

    Use inside :meth:`evaluating`, which sets eval mode and ``torch.no_grad``.

    Args:
        model: The classifier (returns logits).
        normalize: See :data:`Normalize`.
        channels: Number of image channels (to check ``(mean, std)``).
        pixel_dtype: dtype used when the model has no floating parameters or buffers.

    """

    def __init__(self, model: nn.Module, normalize: Any, channels: int,
                 pixel_dtype: torch.dtype) -> None:
        self.model = model
        self.normalize = make_normalizer(normalize, channels)
        self.device = check_model_device(model)
        self.dtype = model_dtype(model, pixel_dtype)

    def evaluating(self) -> AbstractContextManager[None]:
        """Context manager: eval mode (flags restored after) and no autograd."""
        return _evaluating(self.model)

    def logits(self, pixels: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` of a pixel-space batch ``(B, C, H, W)``."""
        x = self.normalize(pixels.to(self.device, self.dtype))
        return logits_of(self.model, self.model(x))

    @staticmethod
    def probabilities(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Softmax probability (float64, CPU) of ``targets[i]`` in row ``i`` of ``logits``."""
        probs = torch.softmax(logits.to(torch.float64), dim=1)
        rows = torch.arange(logits.shape[0], device=logits.device)
        return probs[rows, targets.to(logits.device)].cpu()


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    with eval_mode(model, warn=False), torch.no_grad():
        yield


def chunks(total: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` covering ``range(total)``."""
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))
