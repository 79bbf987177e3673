"""Helpers shared by the benchmark scripts: timing, tables, real feature-map QUBOs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np


def best_time(fn: Callable[[], Any], repeat: int = 3, warmup: int = 1) -> tuple[float, Any]:
    """Minimum wall time of ``fn()`` over ``repeat`` runs after ``warmup`` runs; and its result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return float(statistics.median(values))


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Print (and return) a Markdown table."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = [f"### {title}", "", "| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text


def fashion_mnist_test(count: int, size: int | None = 224) -> list[Any]:
    """The first ``count`` Fashion-MNIST test images as RGB PIL images (``size`` px, or 28 if None).

    Raises:
        OSError: The Debian package ``dataset-fashion-mnist`` is not installed.
    """
    import gzip
    from pathlib import Path

    from PIL import Image

    path = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as fh:
        raw = np.frombuffer(fh.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    images = [Image.fromarray(raw[k]).convert("RGB") for k in range(min(count, len(raw)))]
    return images if size is None else [im.resize((size, size), Image.BILINEAR) for im in images]


def photo_batch(count: int, size: int = 224) -> list[Any]:
    """``count`` real pictures: the bundled photos, then Fashion-MNIST test images if installed.

    Fashion-MNIST (Debian ``dataset-fashion-mnist``) supplies as many extra real images as
    needed; without it the bundled photos are cycled with flips and crops.
    """
    from PIL import ImageOps

    from hybridxai.vision.samples import load_sample, sample_names

    photos = [load_sample(n) for n in sample_names()]
    images: list[Any] = list(photos)
    try:
        images += fashion_mnist_test(max(0, count - len(images)), size)
    except OSError:
        k = 0
        while len(images) < count:
            base = photos[k % len(photos)]
            w, h = base.size
            crop = base.crop((k % 7 * w // 20, k % 5 * h // 20, w - k % 3 * w // 20, h))
            images.append(ImageOps.mirror(crop) if k % 2 else crop)
            k += 1
    return images[:count]


MODELS = ("mobilenet_v2", "fashion-mnist-full")
"""Models :func:`feature_qubos` knows: ImageNet MobileNetV2 on :func:`photo_batch`, and the
paper's full model (MobileNetV2 backbone + the shipped Fashion-MNIST head) on Fashion-MNIST."""


@lru_cache(maxsize=4)
def feature_qubos(count: int, beta: float = 0.99, model_name: str = "mobilenet_v2") -> list[Any]:
    """QUBOs of ``count`` real images on all positive maps of the model's last layer (see MODELS)."""
    import hybridxai
    from hybridxai.vision.features import extract_features
    from hybridxai.vision.images import prepare_images
    from hybridxai.vision.models import model_info

    if model_name == "fashion-mnist-full":
        from hybridxai.vision.models import load_paper_model

        model = load_paper_model("fashion-mnist", "full")
        images = fashion_mnist_test(count, size=None)
    else:
        model = hybridxai.load_pretrained(model_name)
        images = photo_batch(count)
    info = model_info(model)
    qubos = []
    for start in range(0, count, 16):
        batch = prepare_images(images[start:start + 16], info.transform).batch
        fb = extract_features(model, batch, layer=info.default_layer)
        for i in range(batch.shape[0]):
            qubos.append(hybridxai.build_qubo(fb.activations[i], fb.gradients[i], beta=beta))
    return qubos
