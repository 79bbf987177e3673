"""The paper's preprocessing: grey → 3 channels, bilinear resize to 224, ImageNet normalisation.

:class:`PaperPreprocessing` is split in two steps so the metrics can work in pixel space:
:meth:`~PaperPreprocessing.pixels` gives the resized ``3×S×S`` image in [0, 1] (multiply it by
an explanation map there, so pixels with map value 0 are black) and
:meth:`~PaperPreprocessing.normalize` turns pixels into model input. Calling the object does
both. The same tensor code runs for one image and for a batch, so cached features and
single-image explanations see bit-identical inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "PaperPreprocessing", "to_uint8_tensor"]

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def to_uint8_tensor(image: Any, name: str = "image") -> torch.Tensor:
    """Convert one raw picture to a ``C×H×W`` tensor (``C`` = 1 or 3), keeping its pixel scale.

    Args:
        image: A PIL image, a numpy array ``H×W`` / ``H×W×C`` (``uint8`` 0–255 or float in
            [0, 1]) or a tensor ``H×W`` / ``C×H×W`` (``uint8``, or float in [0, 1]).
        name: Argument name for error messages.

    Returns:
        A ``uint8`` tensor (from 8-bit inputs) or a float tensor in [0, 1], channel-first.
    """
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("L") if image.mode in ("L", "1", "I;16", "I", "F")
                           else image.convert("RGB"))
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 3 and arr.shape[-1] in (1, 3, 4):
            arr = arr[..., :3] if arr.shape[-1] == 4 else arr
            arr = np.ascontiguousarray(np.moveaxis(arr, -1, 0))
        elif arr.ndim == 2:
            arr = arr[None]
        else:
            raise invalid_argument(name, image, "must be H×W or H×W×C with C in (1, 3, 4)",
                                   "pass a grey or RGB picture")
        tensor = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
    elif isinstance(image, torch.Tensor):
        tensor = image[None] if image.dim() == 2 else image
        if tensor.dim() != 3 or tensor.shape[0] not in (1, 3):
            raise invalid_argument(name, image, "a tensor picture must be H×W or C×H×W, C in (1, 3)",
                                   "pass one picture, channel-first")
    else:
        raise invalid_type(name, image, "a PIL image, numpy array or torch tensor",
                           "pass the raw picture")
    if tensor.dtype == torch.uint8:
        return tensor
    if not tensor.is_floating_point():
        raise invalid_argument(name, image, f"dtype {tensor.dtype} is not a picture dtype",
                               "pass uint8 (0–255) or float (0–1) pixels")
    if tensor.numel() and (tensor.min() < 0 or tensor.max() > 1):
        raise invalid_argument(name, image, "float pixels must lie in [0, 1]",
                               "divide 0–255 data by 255, or pass uint8")
    return tensor


@dataclass(frozen=True)
class PaperPreprocessing:
    """Grey → 3 channels, bilinear resize to ``size × size``, ImageNet normalisation.

    Attributes:
        size: Output side in pixels (224 in the paper: the ImageNet resolution).
        mean: Per-channel normalisation mean (ImageNet).
        std: Per-channel normalisation standard deviation (ImageNet).
        interpolation: ``"bilinear"`` (the only mode used; recorded in checkpoints).

    Example:
        >>> import numpy as np
        >>> prep = PaperPreprocessing()
        >>> prep.pixels(np.zeros((28, 28), np.uint8)).shape
        torch.Size([3, 224, 224])
        >>> float(prep(np.zeros((28, 28), np.uint8))[0, 0, 0])   # (0 - 0.485) / 0.229
        -2.1179039478302
    """

    size: int = 224
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 16:
            raise invalid_argument("size", self.size, "must be an integer >= 16",
                                   "pass size=224 (the paper's input size)")
        if self.interpolation != "bilinear":
            raise invalid_argument("interpolation", self.interpolation, "is not supported",
                                   "use interpolation='bilinear'")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise invalid_argument("mean/std", (self.mean, self.std),
                                   "need 3 means and 3 positive standard deviations",
                                   "keep the ImageNet defaults")

    def pixels_batch(self, images: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Resize a batch of same-size pictures to ``N×3×S×S`` floats in [0, 1].

        Args:
            images: ``N×H×W`` (grey), ``N×H×W×C`` (numpy, channel-last) or ``N×C×H×W``
                (tensor, channel-first), ``uint8`` or float in [0, 1].

        Returns:
            The pixel-space batch, float32.
        """
        x = torch.from_numpy(np.ascontiguousarray(images)) if isinstance(images, np.ndarray) \
            else images
        if isinstance(images, np.ndarray) and x.dim() == 4 and x.shape[-1] in (1, 3, 4):
            x = x[..., :3].permute(0, 3, 1, 2)
        if x.dim() == 3:
            x = x[:, None]
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise invalid_argument("images", images, "must be N×H×W, N×H×W×C or N×C×H×W",
                                   "stack same-size pictures into one array")
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        if tuple(x.shape[-2:]) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                              align_corners=False, antialias=True).clamp_(0.0, 1.0)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return x.contiguous()

    def pixels(self, image: Any) -> torch.Tensor:
        """One picture (PIL, numpy, tensor) → ``3×S×S`` float32 in [0, 1], before normalising."""
        return self.pixels_batch(to_uint8_tensor(image)[None])[0]

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """Pixel-space image(s) ``3×S×S`` or ``N×3×S×S`` in [0, 1] → model input."""
        mean = torch.tensor(self.mean, dtype=pixels.dtype, device=pixels.device)[:, None, None]
        std = torch.tensor(self.std, dtype=pixels.dtype, device=pixels.device)[:, None, None]
        return (pixels - mean) / std

    def __call__(self, image: Any) -> torch.Tensor:
        """One raw picture → normalised ``3×S×S`` model input."""
        return self.normalize(self.pixels(image))

    def to_dict(self) -> dict[str, Any]:
        """A plain-data description (stored in checkpoints)."""
        out = asdict(self)
        out.update(mean=list(self.mean), std=list(self.std), grey_to_rgb=True,
                   pixel_range=[0.0, 1.0], antialias=True)
        return out

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> PaperPreprocessing:
        """Rebuild from :meth:`to_dict` output (extra keys are descriptive and ignored)."""
        try:
            return cls(size=int(spec["size"]), mean=tuple(map(float, spec["mean"])),
                       std=tuple(map(float, spec["std"])),
                       interpolation=str(spec.get("interpolation", "bilinear")))
        except (KeyError, TypeError) as exc:
            raise invalid_argument("preprocessing", spec, f"is incomplete ({exc})",
                                   "pass a dict from PaperPreprocessing.to_dict()") from None
