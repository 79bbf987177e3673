"""The whole training recipe: data → cached backbone features → heads → checkpoints.

:func:`train_paper_models` trains several heads (the restricted model with several ``N_f``
and the full model) on one backbone pass over the data, keeps each head's best-validation
epoch, measures its test accuracy and writes one checkpoint per head.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument
from hybridxai.training.cache import CachedFeatures, cache_features
from hybridxai.training.loop import TrainConfig, evaluate, fit_head, head_forward
from hybridxai.vision.data.datasets import LabelledImages
from hybridxai.vision.data.loading import canonical_name, load_dataset
from hybridxai.vision.models.checkpoint import save_checkpoint
from hybridxai.vision.models.paper import (
    PAPER_KINDS,
    PaperModel,
    build_paper_model,
    checkpoint_name,
    split_backbone,
)
from hybridxai.vision.models.pretrained import load_pretrained, model_info

__all__ = ["HeadSpec", "PAPER_HEADS", "TrainedHead", "parse_heads", "train_paper_models"]

HeadSpec = tuple[str, int | None]
"""``("restricted", N_f)`` or ``("full", None)``."""

PAPER_HEADS: tuple[HeadSpec, ...] = (("restricted", 16), ("restricted", 24), ("restricted", 32),
                                     ("full", None))


@dataclass(frozen=True)
class TrainedHead:
    """One trained model: where it was written and how well it does."""

    name: str
    path: Path
    kind: str
    num_filters: int
    best_epoch: int
    val_accuracy: float
    test_accuracy: float
    reference_accuracy: float


def parse_heads(heads: Sequence[Any]) -> list[HeadSpec]:
    """Validate head specs: ``("restricted", 16)``, ``("full", None)``, or ``"full"``."""
    out: list[HeadSpec] = []
    for spec in heads:
        kind, nf = (spec, None) if isinstance(spec, str) else tuple(spec)
        if kind not in PAPER_KINDS:
            raise invalid_argument("heads", spec, "unknown model kind",
                                   f"use ('restricted', 16) or 'full' (kinds: {PAPER_KINDS})")
        if kind == "restricted":
            nf = check_positive_int("N_f", nf, f"a restricted head needs a number of maps: pass e.g. "
                                    f"('restricted', 16) instead of {spec!r}")
        out.append((kind, nf if kind == "restricted" else None))
    if not out:
        raise invalid_argument("heads", heads, "is empty", "ask for at least one head")
    return out


@torch.inference_mode()
def _reference_features(images: LabelledImages, stage: torch.nn.Module, tail: torch.nn.Module,
                        batch_size: int, progress: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Float32 stage maps and pooled maps, computed the way the assembled model does."""
    stages, pooled = [], []
    for start in tqdm(range(0, len(images), batch_size), desc="reference", unit="batch",
                      disable=not progress):
        pos = np.arange(start, min(start + batch_size, len(images)))
        s = stage(images.preprocessing.normalize(images.pixels_batch(pos)))
        stages.append(s)
        pooled.append(tail(s).mean(dim=(2, 3)))
    return torch.cat(stages), torch.cat(pooled)


def train_paper_models(
    dataset: str = "fashion-mnist",
    root: str | Path | None = None,
    *,
    backbone: str = "mobilenet_v2",
    heads: Sequence[Any] = PAPER_HEADS,
    train_size: int | float | None = 10_000,
    val_size: int | float = 2_000,
    test_size: int | float | None = 2_000,
    seed: int = 0,
    image_size: int = 224,
    config: TrainConfig | None = None,
    cache_dir: str | Path | None = None,
    out_dir: str | Path = "checkpoints",
    feature_batch_size: int = 32,
    reference_size: int = 256,
    download: bool = False,
    progress: bool = True,
) -> list[TrainedHead]:
    """Train the paper's heads on a frozen pretrained backbone and write their checkpoints.

    One backbone pass per picture (cached as float16, see
    :func:`~hybridxai.training.cache.cache_features`) serves every head. Each head is trained
    with Adam (:func:`~hybridxai.training.loop.fit_head`); the best-validation epoch is kept
    and evaluated on the test split.

    Args:
        dataset: ``"fashion-mnist"``, ``"stl10"`` or ``"imagefolder"``.
        root: Where the data lives (see :func:`hybridxai.vision.data.load_dataset`).
        backbone: ``"mobilenet_v2"`` (offline weights) or ``"resnet18"`` (needs a network or
            the torch cache).
        heads: Heads to train: ``("restricted", N_f)`` and/or ``"full"``; default the paper's
            N_f = 16, 24, 32 and the full model.
        train_size: Training items (count, fraction, or ``None`` for all).
        val_size: Validation items, from the official training split.
        test_size: Test items (``None``: the whole test split).
        seed: Seed of the split, the heads' initialisation and the shuffling.
        image_size: Input side in pixels (224 in the paper).
        config: Optimisation settings (default :class:`TrainConfig`'s defaults).
        cache_dir: Feature cache root (default ``~/.cache/hybridxai/features``).
        out_dir: Folder for the checkpoints (``<dataset>_<backbone>_<kind><N_f>.pt``).
        feature_batch_size: Pictures per backbone pass while caching.
        reference_size: Test items (the first of the test split) whose end-to-end float32
            predictions are recorded in each checkpoint, for checking a loaded model.
        download: Allow downloading the data (STL-10) and weights.
        progress: Show tqdm progress bars.

    Returns:
        One :class:`TrainedHead` per head, in the order asked.
    """
    specs = parse_heads(heads)
    config = config if config is not None else TrainConfig()
    splits = load_dataset(dataset, root, train_size=train_size, val_size=val_size,
                          test_size=test_size, seed=seed, image_size=image_size,
                          download=download)
    net = load_pretrained(backbone, download=download)
    info = model_info(net)
    weights = info.weights if info is not None and info.weights else backbone
    stage, tail = split_backbone(net, backbone)
    identity = {"backbone": backbone, "weights": weights, "source": info.source if info else None}
    cached: dict[str, CachedFeatures] = {}
    for split_name, images in splits.items():
        cached[split_name] = cache_features(images, stage, tail, cache_dir, identity=identity,
                                            batch_size=feature_batch_size, progress=progress,
                                            desc=f"{splits.name} {split_name}")
    cache_seconds = {k: round(v.seconds, 1) for k, v in cached.items()}
    n_ref = min(int(reference_size), len(splits.test))
    reference = splits.test.subset(np.arange(n_ref))
    ref_stage, ref_pooled = _reference_features(reference, stage, tail, feature_batch_size,
                                                progress)
    ref_labels = torch.from_numpy(reference.targets)
    labels = {k: torch.from_numpy(np.asarray(v.labels)) for k, v in cached.items()}
    out = Path(out_dir).expanduser()
    results: list[TrainedHead] = []
    for kind, nf in specs:
        torch.manual_seed(seed)
        model: PaperModel = build_paper_model(kind, backbone, nf or 16, len(splits.classes),
                                              input_size=image_size, class_names=splits.classes,
                                              net=net)
        forward = head_forward(kind, model.head)
        label = f"{kind} N_f={nf}" if kind == "restricted" else "full"
        t0 = time.perf_counter()
        fitted = fit_head(model.head, forward, (cached["train"].inputs(kind), labels["train"]),
                          (cached["val"].inputs(kind), labels["val"]), config,
                          progress=progress, desc=label)
        test = evaluate(forward, cached["test"].inputs(kind), labels["test"])
        ref = evaluate(forward, ref_stage if kind == "restricted" else ref_pooled, ref_labels)
        name = checkpoint_name(canonical_name(dataset), kind, nf, backbone)
        path = save_checkpoint(
            out / f"{name}.pt", model, class_names=splits.classes,
            preprocessing=splits.test.preprocessing, backbone_weights=weights,
            data=splits.describe(),
            training={**config.to_dict(), "frozen_backbone": True,
                      "features": "float16 cache of the frozen backbone's outputs",
                      "cache_seconds": cache_seconds,
                      "train_seconds": round(time.perf_counter() - t0, 1),
                      "torch": str(torch.__version__)},
            metrics={
                "best_epoch": fitted.best_epoch, "val_accuracy": fitted.best_val_accuracy,
                "test_accuracy": test.accuracy, "test_loss": test.loss,
                "test_size": len(splits.test), "history": fitted.history,
                "reference": {
                    "split": splits.test.source.split,
                    "source_indices": [int(i) for i in reference.indices],
                    "predictions": [int(p) for p in ref.predictions],
                    "accuracy": ref.accuracy,
                },
            },
        )
        results.append(TrainedHead(name, path, kind, model.num_filters, fitted.best_epoch,
                                   fitted.best_val_accuracy, test.accuracy, ref.accuracy))
    return results
