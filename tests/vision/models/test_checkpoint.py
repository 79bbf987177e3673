"""The checkpoint format: head weights + architecture, names, preprocessing, settings, metrics."""

from __future__ import annotations

import pytest
import torch

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.training import FORMAT, load_checkpoint, read_checkpoint, save_checkpoint
from hybridxai.vision.data import PaperPreprocessing
from hybridxai.vision.models import build_paper_model, model_info

NAMES = tuple(f"class{i}" for i in range(5))


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_paper_model("restricted", "resnet18", 8, num_classes=5, pretrained=False,
                              input_size=64)
    for p in model.head.parameters():
        p.data.normal_()
    model.head.bn.running_mean.normal_()
    path = save_checkpoint(tmp_path / "sub" / "m.pt", model, class_names=NAMES,
                           preprocessing=PaperPreprocessing(64), backbone_weights="random",
                           data={"dataset": "toy", "seed": 0},
                           training={"optimizer": "Adam", "lr": 1e-3},
                           metrics={"test_accuracy": 0.5, "history": [{"epoch": 1}]})
    return model, path


def test_contents(saved) -> None:
    model, path = saved
    payload = read_checkpoint(path)
    assert payload["format"] == FORMAT
    assert payload["architecture"] == {
        "kind": "restricted", "backbone": "resnet18", "num_filters": 8, "num_classes": 5,
        "input_size": 64, "stage_channels": 256, "final_channels": 512,
        "hook_layer": "head.conv"}
    assert payload["class_names"] == list(NAMES)
    assert payload["preprocessing"]["size"] == 64
    assert payload["training"]["optimizer"] == "Adam"
    assert payload["metrics"]["test_accuracy"] == 0.5
    # only the head's weights are stored
    assert set(payload["head"]) == set(model.head.state_dict())
    assert not any(k.startswith("backbone") for k in payload["head"])


def test_load_rebuilds_head_and_registers_info(saved) -> None:
    model, path = saved
    loaded = load_checkpoint(path, pretrained=False)
    for key, value in model.head.state_dict().items():
        torch.testing.assert_close(loaded.head.state_dict()[key], value)
    assert not loaded.training
    info = model_info(loaded)
    assert info.class_names == NAMES and info.default_layer == "head.conv"
    assert info.transform == PaperPreprocessing(64)
    assert info.extra["metrics"]["test_accuracy"] == 0.5 and info.source == str(path)


def test_bad_paths(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError, match="path_or_name=") as err:
        load_checkpoint(tmp_path / "nothing.pt")
    assert "Fix:" in str(err.value)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(InvalidArgumentError, match="is not a hybridxai-paper-model"):
        read_checkpoint(tmp_path / "other.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidArgumentError, match="cannot be read"):
        read_checkpoint(tmp_path / "garbage.pt")
