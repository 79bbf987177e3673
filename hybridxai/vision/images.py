"""Turning what users pass as an image into a model-ready tensor and a picture to draw on.

Accepted inputs:

* a ``torch.Tensor`` ``C×H×W`` or ``N×C×H×W`` (floating point) — taken as **already
  preprocessed** (model-ready); a given ``transform`` is not applied to it. It may live on any
  device but ``meta`` and have any floating dtype: the explanation moves it to the model's;
* a path (``str``/``Path``), a PIL image, or a ``numpy`` array ``H×W``/``H×W×3``/``H×W×4``
  (``uint8`` in 0–255 or float in [0, 1]) — a raw picture, passed through ``transform``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image, ImageOps

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.geometry import input_box

__all__ = ["ImageLike", "PreparedImages", "prepare_images", "to_pil", "find_normalization"]

ImageLike = str | Path | Image.Image | NDArray[Any] | torch.Tensor
Transform = Callable[[Any], torch.Tensor]


@dataclass(frozen=True)
class PreparedImages:
    """A model-ready batch and matching pictures.

    Attributes:
        batch: ``(N, C, H, W)`` float tensor for the model.
        display: ``N`` arrays ``H×W×3`` float32 in [0, 1], aligned pixel for pixel with
            ``batch`` (the preprocessed input with its normalisation undone), for overlays.
        sources: A short description of each input (a path, ``"PIL image"`` …).
    """

    batch: torch.Tensor
    display: tuple[NDArray[np.float32], ...]
    sources: tuple[str, ...]
    pictures: tuple[NDArray[np.float32] | None, ...] = ()
    boxes: tuple[tuple[float, float, float, float] | None, ...] = ()

    def picture(self, i: int) -> tuple[NDArray[np.float32] | None, tuple[float, float, float, float] | None]:
        """The ``i``-th user picture and where the model's input lies in it.

        The picture is shrunk to at most :data:`PICTURE_SIDE` pixels a side; ``(None, None)`` for
        a tensor input or a transform whose geometry is unknown.
        """
        if i >= len(self.pictures) or self.pictures[i] is None or self.boxes[i] is None:
            return None, None
        return self.pictures[i], self.boxes[i]


PICTURE_SIDE = 1024
"""Pictures kept for drawing are shrunk to this many pixels on their longer side."""


def _picture(pil: Image.Image, transform: Transform) -> tuple[NDArray[np.float32] | None, Any]:
    """The picture for drawing (shrunk to :data:`PICTURE_SIDE`) and the input's box in it."""
    box = input_box(transform, pil.size)
    if box is None:
        return None, None
    factor = min(1.0, PICTURE_SIDE / max(pil.size))
    if factor < 1.0:
        pil = pil.resize((max(1, round(pil.width * factor)), max(1, round(pil.height * factor))))
        box = tuple(v * factor for v in box)
    return np.asarray(pil, dtype=np.float32) / 255.0, box


def to_pil(image: ImageLike, name: str = "image") -> Image.Image:
    """Open or convert a raw picture (path, PIL image, numpy array) to an RGB PIL image.

    Args:
        image: A path, PIL image or ``H×W[×3|4]`` array (``uint8`` 0–255 or float in [0, 1]).
        name: Argument name for error messages.

    Returns:
        An RGB PIL image.
    """
    if isinstance(image, (str, Path)):
        path = Path(image).expanduser()
        if not path.is_file():
            raise invalid_argument(name, str(image), "no such image file",
                                   "check the path, or pass a PIL image / numpy array")
        try:
            with Image.open(path) as img:
                return _to_rgb(ImageOps.exif_transpose(img))
        except Image.DecompressionBombError as exc:
            raise invalid_argument(
                name, str(image), f"is too large to open safely ({exc})",
                "resize the picture; if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS first",
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of failing
            raise invalid_argument(name, str(image), f"is not a readable image ({exc})",
                                   "pass a JPEG/PNG file") from None
    if isinstance(image, Image.Image):
        return _to_rgb(image)
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3, 4):
            raise invalid_argument(name, arr, "looks channel-first (C×H×W)",
                                   "pass H×W×C, e.g. np.transpose(arr, (1, 2, 0))")
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
            raise invalid_argument(name, arr, "must be H×W (grey) or H×W×3/H×W×4 (RGB/RGBA)",
                                   "reshape the array, or pass a preprocessed torch tensor")
        if arr.dtype == np.uint8:
            pixels = arr
        elif np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)):
                raise invalid_argument(name, arr, "contains NaN or inf values",
                                       "check how the array was produced")
            if arr.min() < 0.0 or arr.max() > 1.0:
                raise invalid_argument(
                    name, arr, f"float pixel values must lie in [0, 1] (got {arr.min():.3g}"
                    f"..{arr.max():.3g})", "divide 0–255 data by 255, or pass uint8",
                )
            pixels = np.round(arr * 255.0).astype(np.uint8)
        else:
            raise invalid_argument(name, arr, f"dtype {arr.dtype} is not an image dtype",
                                   "pass uint8 (0–255) or float (0–1) pixels")
        return Image.fromarray(pixels).convert("RGB")
    raise invalid_type(name, image, "a path, PIL image, numpy array or torch tensor",
                       "pass e.g. 'cat.jpg' or PIL.Image.open('cat.jpg')")


_INTEGER_BITS = {"I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16}


def _to_rgb(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit RGB, deeper integer pixels scaled by their real bit depth.

    Pillow's own conversion clips 16-bit greyscale (``I;16``, or ``I`` as 16-bit PNGs open) to
    0–255, so nearly every pixel turns white; here the value range of the bit depth is mapped
    onto 0–255: 16 bits for ``I;16*`` and for ``I`` pixels within 0–65535, else the signed
    32-bit range (``0..2**31-1``, or all of it when a pixel is negative).

    Example:
        >>> grey = Image.fromarray(np.array([[0, 32896, 65535]], dtype=np.uint16))
        >>> np.asarray(_to_rgb(grey))[0, :, 0].tolist()
        [0, 128, 255]
    """
    if image.mode not in _INTEGER_BITS and image.mode != "I":
        return image.convert("RGB")
    pixels = np.asarray(image).astype(np.float64)
    bits = _INTEGER_BITS.get(image.mode)
    if bits is None:  # "I": 32-bit signed storage; 16-bit PNGs and TIFFs open so
        bits = 16 if pixels.size == 0 or (pixels.min() >= 0 and pixels.max() <= 65535) else 32
    if bits == 32:  # signed: 0..2**31-1, or the whole range when there are negative values
        scaled = (pixels + 2.0**31) / (2.0**32 - 1) if pixels.min() < 0 else pixels / (2.0**31 - 1)
    else:
        scaled = pixels / (2.0**bits - 1)
    grey = np.round(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def find_normalization(transform: object) -> tuple[list[float], list[float]] | None:
    """Find the ``(mean, std)`` a transform normalises with, if it says.

    Understands torchvision's ``Normalize``, ``Compose`` and the weights presets
    (``ImageClassification``), which expose ``mean``/``std``.
    """
    if transform is None:
        return None
    mean, std = getattr(transform, "mean", None), getattr(transform, "std", None)
    if mean is not None and std is not None:
        return list(map(float, mean)), list(map(float, std))
    for child in getattr(transform, "transforms", []) or []:
        found = find_normalization(child)
        if found is not None:
            return found
    return None


def _display(
    tensor: torch.Tensor, normalization: tuple[list[float], list[float]] | None
) -> NDArray[np.float32]:
    x = tensor.detach().to("cpu", torch.float64)
    if normalization is not None and x.shape[0] == len(normalization[0]):
        mean = torch.tensor(normalization[0], dtype=torch.float64)[:, None, None]
        std = torch.tensor(normalization[1], dtype=torch.float64)[:, None, None]
        x = x * std + mean
    else:
        lo, hi = x.min(), x.max()
        x = (x - lo) / (hi - lo) if hi > lo else torch.zeros_like(x)
    x = x.clamp(0.0, 1.0)
    if x.shape[0] == 1:
        x = x.expand(3, -1, -1)
    elif x.shape[0] != 3:
        x = x[:3] if x.shape[0] > 3 else x.mean(0, keepdim=True).expand(3, -1, -1)
    return x.permute(1, 2, 0).numpy().astype(np.float32)


def _check_tensor(t: torch.Tensor, name: str) -> torch.Tensor:
    if t.dim() == 3:
        t = t.unsqueeze(0)
    if t.dim() != 4:
        raise invalid_argument(name, t, "a tensor image must be C×H×W or N×C×H×W",
                               "pass a single image as C×H×W, or a batch as N×C×H×W")
    if not t.is_floating_point():
        raise invalid_argument(name, t, "a tensor image must be floating point and preprocessed",
                               "pass a PIL image with transform=..., or convert and normalise "
                               "the tensor first")
    if t.device.type == "meta":
        raise invalid_argument(name, t, "is on the 'meta' device, which holds no pixel values",
                               "create it with real pixel values on the CPU or the model's "
                               "device (it is moved to the model's device automatically)")
    if not torch.isfinite(t).all():
        raise invalid_argument(name, t, "contains NaN or inf values",
                               "check the image loading and normalisation")
    return t


def prepare_images(
    images: ImageLike | Sequence[ImageLike],
    transform: Transform | None = None,
    *,
    name: str = "image",
) -> PreparedImages:
    """Make a model-ready batch from one image, a list of images, or a tensor batch.

    Args:
        images: One image or a sequence of images of the accepted kinds (see module doc).
        transform: Preprocessing for raw pictures (e.g. ``weights.transforms()``); required
            when a raw picture is given.
        name: Argument name for error messages.

    Returns:
        The :class:`PreparedImages`.

    Raises:
        InvalidArgumentError: Wrong shape/dtype/range, NaN, unreadable file, images of
            different sizes, or a raw picture without a transform.
    """
    normalization = find_normalization(transform)
    items: list[ImageLike]
    if isinstance(images, torch.Tensor):
        batch = _check_tensor(images, name)
        return PreparedImages(batch, tuple(_display(x, normalization) for x in batch),
                              ("tensor",) * batch.shape[0])
    if isinstance(images, (list, tuple)):
        if not images:
            raise invalid_argument(name, images, "is an empty sequence", "pass at least one image")
        items = list(images)
    else:
        items = [images]  # type: ignore[list-item]
    tensors: list[torch.Tensor] = []
    sources: list[str] = []
    pictures: list[Any] = []
    for i, item in enumerate(items):
        label = name if len(items) == 1 else f"{name}[{i}]"
        if isinstance(item, torch.Tensor):
            t = _check_tensor(item, label)
            if t.shape[0] != 1:
                raise invalid_argument(label, item, "a batch inside a list of images",
                                       "pass the N×C×H×W batch directly")
            tensors.append(t[0])
            sources.append("tensor")
            pictures.append((None, None))
            continue
        pil = to_pil(item, label)
        if transform is None:
            raise invalid_argument(
                "transform", None,
                f"{label} is a raw picture ({type(item).__name__}) and the model's preprocessing "
                "is unknown", "pass transform=weights.transforms() (torchvision) or your own "
                "preprocessing, or load the model with hybridxai.load_pretrained()",
            )
        out = transform(pil)
        if not isinstance(out, torch.Tensor):
            raise invalid_type("transform", transform, "a callable returning a torch.Tensor",
                               "end the transform with ToTensor()/PILToTensor + Normalize")
        tensors.append(_check_tensor(out, label)[0])
        pictures.append(_picture(pil, transform))
        sources.append(str(item) if isinstance(item, (str, Path)) else type(item).__name__)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise invalid_argument(name, sorted(shapes), "images of different sizes cannot share a batch",
                               "resize them to one size (a transform with Resize/CenterCrop does)")
    batch = torch.stack(tensors)
    return PreparedImages(batch, tuple(_display(x, normalization) for x in batch), tuple(sources),
                          tuple(p for p, _ in pictures), tuple(b for _, b in pictures))
