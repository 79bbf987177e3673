"""Deletion and insertion curves and their AUC (RISE; Petsiuk et al., BMVC 2018).

Pixels are ranked by saliency, most salient first (ties keep row-major pixel order: a stable
sort). In ``steps`` equal increments of ``H·W/steps`` pixels,

* **deletion** sets the ranked pixels to 0 — black in [0, 1] pixel space, before
  normalisation — starting from the image (a good map makes the probability fall fast:
  lower AUC is better);
* **insertion** starts from a Gaussian-blurred copy of the image and puts the original pixels
  back (a good map makes the probability rise fast: higher AUC is better).

After each step the softmax probability of the target class is recorded; the AUC is the
trapezoid rule over the fraction of pixels changed, which runs from 0 to 1. All perturbed
images of all input images are built with tensor operations and evaluated ``batch_size`` at a
time, so one forward pass covers several steps and several images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from hybridxai.exceptions import invalid_argument
from hybridxai.metrics._checks import as_index, check_batch_size, check_maps, check_model, check_pixels
from hybridxai.vision.classifier import ClassifierRunner, Normalize, chunks
from hybridxai.vision.targets import (
    TargetLike,
    check_target_range,
    class_names_of,
    parse_targets,
    select_targets,
)

__all__ = [
    "CausalCurves", "deletion_curves", "insertion_curves", "area_under_curve",
    "gaussian_blur", "saliency_ranks",
]


@dataclass(frozen=True)
class CausalCurves:
    """Deletion or insertion curves of ``N`` images.

    Attributes:
        kind: ``"deletion"`` or ``"insertion"``.
        fractions: float64 ``(steps + 1,)``: fraction of pixels deleted/inserted, 0 → 1.
        probabilities: float64 ``(N, steps + 1)``: probability of the target class after
            each step (column 0: nothing changed yet).
        auc: float64 ``(N,)``: area under each curve (trapezoid rule over ``fractions``).
        targets: The class whose probability is traced, per image.

    """

    kind: Literal["deletion", "insertion"]
    fractions: NDArray[np.float64]
    probabilities: NDArray[np.float64]
    auc: NDArray[np.float64]
    targets: tuple[int, ...]

    @property
    def mean_auc(self) -> float:
        """Mean AUC over the images (deletion: lower is better; insertion: higher)."""
        return float(np.mean(self.auc))


def area_under_curve(probabilities: Any, fractions: Any = None) -> NDArray[np.float64]:
    """Trapezoid-rule area under curves sampled at ``fractions``, with x scaled to [0, 1].

    Args:
        probabilities: ``(..., S)`` curve values, ``S >= 2``.
        fractions: ``(S,)`` increasing x positions; ``None`` means equally spaced. They are
            mapped linearly onto [0, 1] (first → 0, last → 1).

    Returns:
        float64 array of shape ``probabilities.shape[:-1]`` (a 0-d array for one curve).

    Raises:
        InvalidArgumentError: Fewer than two points, NaN, mismatched lengths, or ``fractions``
            that do not increase.

    Example:
        >>> float(area_under_curve([1.0, 0.5, 0.0]))
        0.5
        >>> float(area_under_curve([0.0, 1.0, 1.0], [0.0, 0.5, 1.0]))
        0.75

    """
    y = np.asarray(probabilities, dtype=np.float64)
    fix = "pass curves of shape (..., S) with S >= 2 and S increasing fractions"
    if y.ndim < 1 or y.shape[-1] < 2:
        raise invalid_argument("probabilities", probabilities, "needs at least two points", fix)
    if not np.all(np.isfinite(y)):
        raise invalid_argument("probabilities", probabilities, "contains NaN or inf values", fix)
    x = (np.linspace(0.0, 1.0, y.shape[-1]) if fractions is None
         else np.asarray(fractions, dtype=np.float64))
    if x.shape != (y.shape[-1],) or not np.all(np.isfinite(x)) or np.any(np.diff(x) < 0) \
            or x[-1] <= x[0]:
        raise invalid_argument("fractions", fractions,
                               f"must be {y.shape[-1]} finite, non-decreasing values with "
                               "last > first", fix)
    x = (x - x[0]) / (x[-1] - x[0])
    return np.asarray(np.sum(0.5 * (y[..., 1:] + y[..., :-1]) * np.diff(x), axis=-1))


def gaussian_blur(pixels: torch.Tensor, sigma: float = 5.0, kernel_size: int = 11) -> torch.Tensor:
    """Blur a batch ``(N, C, H, W)`` with a separable Gaussian (``torch`` convolutions).

    Borders are reflected (replicated when the image is smaller than the kernel's half
    width), so the blurred image keeps its brightness up to the edges. RISE uses
    ``kernel_size=11, sigma=5``.

    Args:
        pixels: Images ``(N, C, H, W)``, floating point.
        sigma: Standard deviation in pixels, positive.
        kernel_size: Odd kernel width, positive.

    Returns:
        The blurred batch, same shape, dtype and device.

    Example:
        >>> x = torch.rand(2, 3, 16, 16)
        >>> gaussian_blur(x).shape
        torch.Size([2, 3, 16, 16])
        >>> bool(torch.allclose(gaussian_blur(torch.ones(1, 3, 8, 8)), torch.ones(1, 3, 8, 8)))
        True

    """
    size = as_index("kernel_size", kernel_size, "pass an odd width such as kernel_size=11")
    if size < 1 or size % 2 == 0:
        raise invalid_argument("kernel_size", kernel_size, "must be a positive odd integer",
                               "pass e.g. kernel_size=11")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not (
            math.isfinite(sigma) and sigma > 0):
        raise invalid_argument("sigma", sigma, "must be a positive finite number",
                               "pass e.g. sigma=5.0")
    if not isinstance(pixels, torch.Tensor) or pixels.dim() != 4 or not pixels.is_floating_point():
        raise invalid_argument("pixels", pixels, "must be a floating tensor (N, C, H, W)",
                               "add a batch dimension with x.unsqueeze(0)")
    half = size // 2
    offsets = torch.arange(size, dtype=pixels.dtype, device=pixels.device) - half
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = pixels.shape[1]
    mode = "reflect" if half < min(pixels.shape[-2:]) else "replicate"
    x = F.pad(pixels, (half, half, half, half), mode=mode)
    x = F.conv2d(x, kernel.view(1, 1, 1, size).expand(channels, 1, 1, size), groups=channels)
    return F.conv2d(x, kernel.view(1, 1, size, 1).expand(channels, 1, size, 1), groups=channels)


def saliency_ranks(maps: torch.Tensor) -> torch.Tensor:
    """Rank each pixel, 0 = most salient; ties keep row-major order (stable sort).

    Args:
        maps: ``(N, H, W)`` saliency.

    Returns:
        ``(N, H·W)`` long tensor: ``ranks[i, p]`` is the step order of flat pixel ``p``.

    Example:
        >>> saliency_ranks(torch.tensor([[[0.2, 0.9], [0.2, 0.5]]])).tolist()
        [[2, 0, 3, 1]]

    """
    flat = maps.reshape(maps.shape[0], -1)
    order = torch.sort(flat, dim=1, descending=True, stable=True).indices
    ranks = torch.empty_like(order)
    positions = torch.arange(flat.shape[1], device=flat.device).expand_as(order)
    return ranks.scatter_(1, order, positions)


def _step_counts(steps: Any, num_pixels: int) -> torch.Tensor:
    fix = f"pass a number of steps between 1 and the pixel count {num_pixels}, e.g. steps=50"
    value = as_index("steps", steps, fix)
    if not 1 <= value <= num_pixels:
        raise invalid_argument("steps", steps, f"must lie in [1, {num_pixels}] (H·W)", fix)
    k = torch.arange(value + 1, dtype=torch.long)
    return (k * num_pixels + value // 2) // value


def _curves(kind: Literal["deletion", "insertion"], model: Any, pixels: Any, maps: Any,
            targets: TargetLike, normalize: Normalize, steps: Any, batch_size: Any,
            substrate: Any) -> CausalCurves:
    model = check_model(model)
    pix = check_pixels(pixels)
    sal = check_maps(maps, pix, unit_range=False)
    chosen = parse_targets(targets, pix.shape[0], name="targets", class_names=class_names_of(model))
    size = check_batch_size(batch_size)
    n, c, h, w = pix.shape
    counts = _step_counts(steps, h * w)
    runner = ClassifierRunner(model, normalize, c, pix.dtype)

    pix = pix.to(runner.device, runner.dtype)
    ranks = saliency_ranks(sal.to(runner.device))
    base = substrate(pix) if kind == "insertion" else torch.zeros_like(pix)
    counts = counts.to(runner.device)
    per_image = counts.numel()
    probs = torch.empty(n * per_image, dtype=torch.float64)
    with runner.evaluating():
        if chosen is None:
            cls = torch.cat([select_targets(None, runner.logits(pix[part]))
                             for part in chunks(n, size)])
        else:
            cls = torch.tensor(chosen, dtype=torch.long, device=runner.device)
        for part in chunks(n * per_image, size):
            pair = torch.arange(part.start, part.stop, device=runner.device)
            img, step = pair // per_image, pair % per_image
            changed = (ranks[img] < counts[step][:, None]).view(-1, 1, h, w)
            if kind == "deletion":
                batch = torch.where(changed, base[img], pix[img])
            else:
                batch = torch.where(changed, pix[img], base[img])
            logits = runner.logits(batch)
            check_target_range(chosen, logits.shape[1], name="targets")
            probs[part] = runner.probabilities(logits, cls[img])
    curves = probs.view(n, per_image).numpy()
    fractions = (counts.cpu().to(torch.float64) / (h * w)).numpy()
    return CausalCurves(kind, fractions, curves, area_under_curve(curves, fractions).reshape(n),
                        tuple(int(t) for t in cls.tolist()))


def deletion_curves(
    model: torch.nn.Module,
    pixels: torch.Tensor | NDArray[np.floating],
    maps: torch.Tensor | NDArray[np.floating],
    targets: TargetLike = None,
    *,
    normalize: Normalize,
    steps: int = 50,
    batch_size: int = 64,
) -> CausalCurves:
    """Trace deletion curves: black out the most salient pixels first (lower AUC is better).

    Args:
        model: A classifier returning logits; run under ``no_grad`` in eval mode (training
            flags restored), on its device and in its dtype.
        pixels: Images ``(N, C, H, W)`` in [0, 1], not normalised.
        maps: Saliency ``(N, H, W)`` at the image size (any finite values; only the order
            counts).
        targets: ``None`` (predicted class on each image), one class, or one per image (indices,
            or names for a model with registered class names).
        normalize: ``(mean, std)``, a transform exposing them, a callable, or ``None``; see
            :func:`~hybridxai.metrics.masked_confidences`.
        steps: Number of increments (``1 ≤ steps ≤ H·W``); step ``k`` has removed
            ``round(k·H·W/steps)`` pixels.
        batch_size: Perturbed images per forward pass (mixing steps and images).

    Returns:
        The :class:`CausalCurves` (``kind="deletion"``).

    Raises:
        InvalidArgumentError: Bad shapes, ranges, NaN, ``steps``, ``targets``, ``normalize``.

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4))
        >>> x, m = torch.rand(2, 3, 8, 8), torch.rand(2, 8, 8)
        >>> curves = deletion_curves(net, x, m, normalize=None, steps=8)
        >>> curves.probabilities.shape, curves.fractions.tolist()[:3]
        ((2, 9), [0.0, 0.125, 0.25])

    """
    return _curves("deletion", model, pixels, maps, targets, normalize, steps, batch_size, None)


def insertion_curves(
    model: torch.nn.Module,
    pixels: torch.Tensor | NDArray[np.floating],
    maps: torch.Tensor | NDArray[np.floating],
    targets: TargetLike = None,
    *,
    normalize: Normalize,
    steps: int = 50,
    batch_size: int = 64,
    sigma: float = 5.0,
    kernel_size: int = 11,
) -> CausalCurves:
    """Trace insertion curves: from a blurred image, restore the most salient pixels first.

    Higher AUC is better. Arguments as in :func:`deletion_curves`, plus the blur.

    Args:
        model: A classifier returning logits.
        pixels: Images ``(N, C, H, W)`` in [0, 1], not normalised.
        maps: Saliency ``(N, H, W)`` at the image size.
        targets: ``None`` (predicted class on each image), one class, or one per image (indices,
            or names for a model with registered class names).
        normalize: ``(mean, std)``, a transform exposing them, a callable, or ``None``.
        steps: Number of increments (``1 ≤ steps ≤ H·W``).
        batch_size: Perturbed images per forward pass.
        sigma: Standard deviation of the Gaussian blur, in pixels (RISE: 5).
        kernel_size: Odd width of the blur kernel (RISE: 11).

    Returns:
        The :class:`CausalCurves` (``kind="insertion"``); column 0 is the blurred image, the
        last column the original.

    Raises:
        InvalidArgumentError: As :func:`deletion_curves`, or a bad ``sigma``/``kernel_size``.

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4))
        >>> curves = insertion_curves(net, torch.rand(1, 3, 8, 8), torch.rand(1, 8, 8),
        ...                           normalize=None, steps=4, sigma=2.0, kernel_size=5)
        >>> curves.kind, curves.auc.shape
        ('insertion', (1,))

    """
    gaussian_blur(torch.zeros(1, 1, 1, 1), sigma, kernel_size)  # validate before any work

    def blur(x: torch.Tensor) -> torch.Tensor:
        return gaussian_blur(x, sigma, kernel_size)

    return _curves("insertion", model, pixels, maps, targets, normalize, steps, batch_size, blur)
