"""Where the model's input lies in the user's picture, so maps can be drawn on the picture itself.

Standard ImageNet preprocessing resizes the shorter side and crops the centre; a saliency map
computed on that crop covers only part of the picture. :func:`input_box` recovers that part from
the transform, for torchvision's preset (``weights.transforms()``) and for ``Compose`` pipelines
of ``Resize``/``CenterCrop``; any other transform gives ``None`` (the caller then draws on the
model's input instead of guessing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["input_box"]

Box = tuple[float, float, float, float]


def _pair(size: Any) -> tuple[int, int] | int | None:
    """Read a size as torchvision gives it: an int (shorter side), ``[s]`` or ``[h, w]``."""
    if isinstance(size, int):
        return size
    if isinstance(size, Sequence) and len(size) in (1, 2) and all(isinstance(v, int) for v in size):
        return size[0] if len(size) == 1 else (int(size[0]), int(size[1]))
    return None


def _steps(transform: Any) -> list[tuple[str, Any]] | None:
    """The geometric steps of a transform as ``("resize" | "crop", size)``; ``None`` if unknown."""
    name = type(transform).__name__
    if name == "ImageClassification":  # torchvision's weights.transforms() preset
        return [("resize", _pair(list(transform.resize_size))), ("crop", _pair(list(transform.crop_size)))]
    if name == "Compose":
        steps: list[tuple[str, Any]] = []
        for t in transform.transforms:
            kind = type(t).__name__
            if kind == "Resize":
                steps.append(("resize", _pair(t.size)))
            elif kind == "CenterCrop":
                steps.append(("crop", _pair(t.size)))
            elif kind in ("ToTensor", "PILToTensor", "Normalize", "ConvertImageDtype", "ToDtype", "ToImage"):
                continue
            else:
                return None
        return steps
    return None


def input_box(transform: Callable[[Any], Any] | None, picture_size: tuple[int, int]) -> Box | None:
    """The region of the picture that the model sees, in picture pixels.

    Args:
        transform: The preprocessing applied to the picture.
        picture_size: ``(width, height)`` of the picture.

    Returns:
        ``(left, top, right, bottom)`` in picture coordinates (the model's input maps onto this
        box), or ``None`` when the transform's geometry is not known.

    Example:
        >>> from torchvision import transforms
        >>> t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
        ...                         transforms.ToTensor()])
        >>> [round(v, 1) for v in input_box(t, (512, 1024))]
        [32.0, 288.0, 480.0, 736.0]
        >>> input_box(lambda x: x, (512, 512)) is None
        True
    """
    if transform is None:
        return None
    steps = _steps(transform)
    if steps is None or any(size is None for _, size in steps):
        return None
    width, height = float(picture_size[0]), float(picture_size[1])
    left, top, scale_x, scale_y = 0.0, 0.0, 1.0, 1.0  # picture = box origin + current pixel × scale
    cur_w, cur_h = width, height
    for kind, size in steps:
        if kind == "resize":
            if isinstance(size, int):
                factor = size / min(cur_w, cur_h)
                new_w, new_h = cur_w * factor, cur_h * factor
            else:
                new_h, new_w = float(size[0]), float(size[1])
            scale_x *= cur_w / new_w
            scale_y *= cur_h / new_h
            cur_w, cur_h = new_w, new_h
        else:
            crop_h, crop_w = (size, size) if isinstance(size, int) else size
            left += (cur_w - crop_w) / 2.0 * scale_x
            top += (cur_h - crop_h) / 2.0 * scale_y
            cur_w, cur_h = float(crop_w), float(crop_h)
    return (left, top, left + cur_w * scale_x, top + cur_h * scale_y)
