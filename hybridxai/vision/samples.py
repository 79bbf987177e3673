"""Real photos that ship with installed packages, for offline demos and tests.

``skimage.data`` (scikit-image wheel), scikit-learn's ``load_sample_images`` and matplotlib's
``grace_hopper.jpg`` all live inside their wheels, so no network is needed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from hybridxai._util.optional import import_optional
from hybridxai.exceptions import invalid_argument

__all__ = ["SAMPLES", "load_sample", "sample_names"]


def _skimage(name: str) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        data = import_optional("skimage.data", "samples", f"the sample photo {name!r}")
        return Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")

    return load


def _grace_hopper() -> Image.Image:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
        return Image.open(fh).convert("RGB")


def _sklearn(index: int) -> Callable[[], Image.Image]:
    def load() -> Image.Image:
        datasets = import_optional("sklearn.datasets", "samples", "the scikit-learn sample photos")
        return Image.fromarray(datasets.load_sample_images().images[index]).convert("RGB")

    return load


SAMPLES: dict[str, Callable[[], Image.Image]] = {
    "chelsea": _skimage("chelsea"),
    "coffee": _skimage("coffee"),
    "astronaut": _skimage("astronaut"),
    "rocket": _skimage("rocket"),
    "cat": _skimage("cat"),
    "grace_hopper": _grace_hopper,
    "china": _sklearn(0),
    "flower": _sklearn(1),
}


def sample_names() -> list[str]:
    """Names accepted by :func:`load_sample`."""
    return sorted(SAMPLES)


def load_sample(name: str) -> Image.Image:
    """Load a bundled real photo as an RGB PIL image.

    Args:
        name: One of :func:`sample_names` (``"chelsea"`` is a cat, ``"coffee"`` an espresso).

    Returns:
        The photo.

    Example:
        >>> load_sample("chelsea").size
        (451, 300)
    """
    loader = SAMPLES.get(str(name).strip().lower())
    if loader is None:
        raise invalid_argument("sample", name, "is not a bundled photo",
                               f"pass one of {', '.join(sample_names())}")
    return loader()
