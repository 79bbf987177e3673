"""Pretrained models: offline MobileNetV2, registered preprocessing, errors without a network."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

from hybridxai.exceptions import InvalidArgumentError, ServiceUnavailableError
from hybridxai.vision.models import PRETRAINED, ModelInfo, load_pretrained, model_info, register_model_info
from hybridxai.vision.models import pretrained as pretrained_module


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """A torch hub folder with no cached weights (so nothing depends on the user's cache)."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_mobilenet_v2_loads_offline_with_its_preprocessing(mobilenet, chelsea):
    assert isinstance(mobilenet, torchvision.models.MobileNetV2)
    assert not mobilenet.training
    info = model_info(mobilenet)
    assert info.name == "mobilenet_v2"
    assert info.weights == "MobileNet_V2_Weights.IMAGENET1K_V1"
    assert info.default_layer == "features.18"
    assert len(info.class_names) == 1000
    assert info.class_names[285] == "Egyptian cat" and info.class_names[967] == "espresso"
    assert info.source and Path(info.source).is_file()
    x = info.transform(chelsea)
    assert x.shape == (3, 224, 224)
    with torch.no_grad():
        assert int(mobilenet(x[None]).argmax()) == 285
    assert all(p.grad is None for p in mobilenet.parameters())


def test_known_names():
    assert set(PRETRAINED) == {"mobilenet_v2", "resnet18"}
    assert PRETRAINED["resnet18"].default_layer == "layer4.1"


def test_resnet18_without_network_fails_quickly_and_names_the_offline_alternative(empty_hub):
    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError) as info:
        load_pretrained("resnet18", timeout=5.0)
    assert time.perf_counter() - start < 30.0
    message = str(info.value)
    assert "name='resnet18'" in message and "Fix:" in message
    assert "mobilenet_v2" in message and "resnet18-f37072fd.pth" in message
    assert isinstance(info.value, ConnectionError)


def test_download_false_fails_at_once(empty_hub):
    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match=r"download=False.*Fix:"):
        load_pretrained("ResNet18", download=False)
    assert time.perf_counter() - start < 5.0


def test_a_corrupt_cached_file_is_not_loaded(empty_hub):
    checkpoints = empty_hub / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "resnet18-f37072fd.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ServiceUnavailableError, match="download=False"):
        load_pretrained("resnet18", download=False)


@pytest.mark.parametrize("name", ["vgg16", "", "mobilenet"])
def test_an_unknown_name_lists_the_known_ones(name):
    with pytest.raises(InvalidArgumentError) as info:
        load_pretrained(name)
    message = str(info.value)
    assert f"name={name!r}" in message and "Fix:" in message
    assert "mobilenet_v2" in message and "resnet18" in message


def test_missing_offline_package_is_not_an_error_source(monkeypatch):
    # with the package "absent", the offline file lookup quietly gives nothing
    monkeypatch.setattr(pretrained_module.importlib.util, "find_spec", lambda name: None)
    assert pretrained_module._offline_file(PRETRAINED["mobilenet_v2"]) is None
    assert pretrained_module._offline_file(PRETRAINED["resnet18"]) is None


def test_register_and_look_up_model_info():
    net = nn.Sequential(nn.Conv2d(3, 2, 1))
    assert model_info(net) is None
    info = ModelInfo("tiny", None, ("a", "b"))
    register_model_info(net, info)
    assert model_info(net) is info
    ref = weakref.ref(net)
    del net
    gc.collect()
    assert ref() is None  # a weak registry: it does not keep the model alive
    assert model_info(object()) is None
