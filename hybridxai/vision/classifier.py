"""Running a CNN classifier: its device and dtype, eval mode, its logits, batches of pixels.

One module for everything that runs a classifier, shared by the feature extraction
(:mod:`hybridxai.vision.features`, one forward/backward pass) and the metrics
(:mod:`hybridxai.metrics`, many forward passes on perturbed images):

* :func:`model_device`, :func:`model_floating_dtype`, :func:`check_model_device` and
  :func:`check_image_device` — where and in which dtype the model runs;
* :func:`eval_mode` — eval mode for a block, every module's ``training`` flag restored after;
* :func:`logits_of` and :class:`SelectOutput` — the logits ``(N, num_classes)`` of a forward pass;
* :func:`target_probabilities` — the softmax probability of each image's target class;
* :class:`ClassifierRunner` (with :func:`make_normalizer` and :func:`chunks`) — logits and
  target-class probabilities of ``[0, 1]`` pixel images, in batches, without autograd.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import torch
from torch import nn

from hybridxai.exceptions import InvalidArgumentError, invalid_argument, invalid_type
from hybridxai.vision.images import find_normalization

__all__ = [
    "model_device", "model_floating_dtype", "check_model_device", "check_image_device",
    "eval_mode", "logits_of", "SelectOutput",
    "target_probabilities", "Normalize", "make_normalizer", "ClassifierRunner", "chunks",
]

Normalize = tuple[Sequence[float], Sequence[float]] | Callable[[torch.Tensor], torch.Tensor] | None
"""``(mean, std)``, a callable mapping ``[0, 1]`` pixels to model input, or ``None`` (identity)."""


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a parameterless model).

    Example:
        >>> model_device(torch.nn.ReLU())
        device(type='cpu')
    """
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def model_floating_dtype(model: nn.Module) -> torch.dtype | None:
    """The dtype of the model's first floating parameter or buffer (``None`` if it has none).

    Example:
        >>> model_floating_dtype(torch.nn.Linear(2, 2).double()), model_floating_dtype(torch.nn.ReLU())
        (torch.float64, None)
    """
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

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Dropout())
        >>> with eval_mode(net, warn=False):
        ...     net[0].training
        False
        >>> net[0].training
        True
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


def logits_of(model: nn.Module, output: object) -> torch.Tensor:
    """The logits ``(N, num_classes)`` in the output of ``model``'s forward pass.

    A 2-D tensor is the logits; so is the ``.logits`` tensor of HuggingFace-style outputs
    (``ImageClassifierOutput``), which name them unambiguously.

    Raises:
        InvalidArgumentError: Any other output (a tuple, a dict, a tensor of another rank); the
            fix names :class:`SelectOutput`.
    """
    if isinstance(output, torch.Tensor) and output.dim() == 2:
        return output
    logits = getattr(output, "logits", None) if not isinstance(output, torch.Tensor) else None
    if isinstance(logits, torch.Tensor) and logits.dim() == 2:
        return logits
    desc = (f"a {type(output).__name__}" if not isinstance(output, torch.Tensor)
            else f"a tensor of shape {tuple(output.shape)}")
    raise InvalidArgumentError(
        f"model={type(model).__name__} is invalid: its forward returned {desc}, not logits of "
        "shape (N, num_classes). Fix: wrap the model so it returns the logits tensor, e.g. "
        "hybridxai.vision.features.SelectOutput(model, 'logits') for a dict or "
        "SelectOutput(model, 0) for a tuple."
    )


class SelectOutput(nn.Module):
    """Wrap a model whose forward returns a tuple or dict so that it returns the logits.

    Args:
        model: The wrapped network.
        key: Index (tuple/list output) or key (dict output) of the logits.

    Example:
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


def make_normalizer(normalize: Any, channels: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Turn ``normalize`` into a function from ``[0, 1]`` pixels to model input.

    A transform that exposes ``mean``/``std`` (torchvision ``Normalize``, a ``Compose`` holding
    one, a weights preset) is reduced to those, so no resizing or cropping is applied.

    Args:
        normalize: See :data:`Normalize`.
        channels: Number of image channels (to check ``(mean, std)``).

    Raises:
        InvalidArgumentError: Means/stds of the wrong length, a non-positive std, non-finite values.
        InvalidTypeError: Anything else that is not a pair, a callable or ``None``.

    Example:
        >>> make_normalizer(([0.5], [0.25]), 1)(torch.ones(1, 1, 1, 1)).item()
        2.0
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


class ClassifierRunner:
    """Map batches of ``[0, 1]`` pixel images to logits and target-class probabilities.

    Use inside :meth:`evaluating`, which sets eval mode and ``torch.no_grad``.

    Args:
        model: The classifier (returns logits).
        normalize: See :data:`Normalize`.
        channels: Number of image channels (to check ``(mean, std)``).
        pixel_dtype: dtype used when the model has no floating parameters or buffers.

    Attributes:
        device: The model's device (never ``meta``).
        dtype: The model's floating dtype, else ``pixel_dtype``.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 2))
        >>> runner = ClassifierRunner(net, None, 3, torch.float32)
        >>> with runner.evaluating():
        ...     runner.logits(torch.rand(4, 3, 1, 1)).shape
        torch.Size([4, 2])
    """

    def __init__(self, model: nn.Module, normalize: Any, channels: int,
                 pixel_dtype: torch.dtype) -> None:
        self.model = model
        self.normalize = make_normalizer(normalize, channels)
        self.device = check_model_device(model)
        self.dtype = model_floating_dtype(model) or pixel_dtype

    def evaluating(self) -> AbstractContextManager[None]:
        """Context manager: eval mode (flags restored after, no warning) and no autograd."""
        return _evaluating(self.model)

    def logits(self, pixels: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` of a pixel-space batch ``(B, C, H, W)``."""
        x = self.normalize(pixels.to(self.device, self.dtype))
        return logits_of(self.model, self.model(x))

    @staticmethod
    def probabilities(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Softmax probability (float64, CPU) of ``targets[i]`` in row ``i`` of ``logits``."""
        return target_probabilities(logits, targets).cpu()


def target_probabilities(logits: torch.Tensor, targets: torch.Tensor | Sequence[int]) -> torch.Tensor:
    """Softmax probability (float64, on the logits' device) of ``targets[i]`` in row ``i`` of ``logits``.

    Example:
        >>> target_probabilities(torch.tensor([[0.0, 0.0], [0.0, 2.0]]), [1, 0]).tolist()
        [0.5, 0.11920292202211755]
    """
    probs = torch.softmax(logits.to(torch.float64), dim=1)
    rows = torch.arange(logits.shape[0], device=logits.device)
    return probs[rows, torch.as_tensor(targets, dtype=torch.long, device=logits.device)]


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    with eval_mode(model, warn=False), torch.no_grad():
        yield


def chunks(total: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` covering ``range(total)``.

    Example:
        >>> list(chunks(5, 2))
        [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))
