"""The checkpoint format of the paper models: head weights plus everything needed to rebuild.

A checkpoint is a ``torch.save``-d ``dict`` (loadable with ``weights_only=True``)::

    {
      "format": "hybridxai-paper-model", "format_version": 1,
      "architecture": {"kind", "backbone", "num_filters", "num_classes", "input_size",
                       "stage_channels", "final_channels", "hook_layer"},
      "backbone_weights": "MobileNet_V2_Weights.IMAGENET1K_V1",   # not stored: loaded again
      "class_names": [...],
      "preprocessing": PaperPreprocessing.to_dict(),
      "data": DatasetSplits.describe(),            # data set, seed, split sizes
      "training": TrainConfig.to_dict() + timings,
      "metrics": {"best_epoch", "val_accuracy", "test_accuracy", "history", "reference"},
      "head": head.state_dict(),                     # the only weights stored
    }

Only the head's weights are stored: the backbone is rebuilt from its pretrained weights, which
keeps a checkpoint to a few hundred kilobytes. ``metrics["reference"]`` holds a fixed set of
test items (their indices in the official test split) with the model's predictions and
accuracy on them, computed end to end in float32, so a loaded checkpoint can be checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from hybridxai.exceptions import invalid_argument
from hybridxai.vision.data.transforms import PaperPreprocessing
from hybridxai.vision.models.paper import (
    PAPER_KINDS,
    PaperModel,
    build_paper_model,
    checkpoint_name,
    paper_model_info,
    shipped_checkpoints,
)

__all__ = ["FORMAT", "FORMAT_VERSION", "save_checkpoint", "read_checkpoint", "load_checkpoint",
           "resolve_checkpoint", "load_paper_model"]

FORMAT = "hybridxai-paper-model"
FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    """Plain Python data (what ``torch.load(weights_only=True)`` accepts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def save_checkpoint(
    path: str | Path,
    model: PaperModel,
    *,
    class_names: list[str] | tuple[str, ...],
    preprocessing: PaperPreprocessing,
    backbone_weights: str,
    data: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint of ``model``'s head and its description.

    Args:
        path: Output file (``.pt``); parent folders are created.
        model: The trained :class:`~hybridxai.vision.models.PaperModel`.
        class_names: Class names by label.
        preprocessing: The preprocessing the model was trained with.
        backbone_weights: Identifier of the backbone's pretrained weights.
        data: Data set description (:meth:`~hybridxai.vision.data.DatasetSplits.describe`).
        training: Training settings and timings.
        metrics: Accuracies, history, reference predictions.

    Returns:
        The path written.
    """
    if not isinstance(model, PaperModel):
        raise invalid_argument("model", type(model).__name__, "is not a PaperModel",
                               "build it with hybridxai.vision.models.build_paper_model()")
    out = Path(path).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = _plain({
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "architecture": model.architecture(),
        "backbone_weights": backbone_weights,
        "class_names": list(class_names),
        "preprocessing": preprocessing.to_dict(),
        "data": dict(data or {}),
        "training": dict(training or {}),
        "metrics": dict(metrics or {}),
    })
    payload["head"] = {k: v.detach().to("cpu", copy=True).contiguous()
                       for k, v in model.head.state_dict().items()}
    torch.save(payload, out)
    return out


def resolve_checkpoint(path_or_name: str | Path) -> Path:
    """A checkpoint file given as a path or as the name of a shipped checkpoint."""
    path = Path(path_or_name).expanduser()
    if path.is_file():
        return path
    shipped = shipped_checkpoints()
    key = str(path_or_name).removesuffix(".pt")
    if key in shipped:
        return shipped[key]
    raise invalid_argument("path_or_name", str(path_or_name),
                           "is neither a checkpoint file nor a shipped checkpoint name",
                           f"pass a .pt path or one of {', '.join(shipped) or '(none shipped)'}")


def read_checkpoint(path_or_name: str | Path) -> dict[str, Any]:
    """Read a checkpoint's dict without building the model.

    Raises:
        InvalidArgumentError: Not a file / shipped name, or not a hybridxai checkpoint.
    """
    path = resolve_checkpoint(path_or_name)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - re-raised with the fix
        raise invalid_argument("path_or_name", str(path), f"cannot be read ({type(exc).__name__}: "
                               f"{exc})", "pass a checkpoint written by hybridxai") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise invalid_argument("path_or_name", str(path), f"is not a {FORMAT} checkpoint",
                               "pass a file written by hybridxai.training.save_checkpoint")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise invalid_argument("path_or_name", str(path),
                               f"has format version {payload['format_version']} (this "
                               f"hybridxai reads up to {FORMAT_VERSION})", "upgrade hybridxai")
    return payload


def load_checkpoint(path_or_name: str | Path, *, pretrained: bool = True) -> PaperModel:
    """Rebuild a trained paper model: pretrained backbone + stored head, in eval mode.

    Args:
        path_or_name: A ``.pt`` file, or a shipped checkpoint name such as
            ``"fashion-mnist_mobilenet_v2_restricted16"`` (see
            :func:`hybridxai.vision.models.shipped_checkpoints`).
        pretrained: Load the backbone's pretrained weights (``False``: random backbone, for
            tests of the format only).

    Returns:
        The :class:`~hybridxai.vision.models.PaperModel`, with its
        :class:`~hybridxai.vision.models.ModelInfo` registered: the paper preprocessing, the class
        names, ``default_layer`` = ``model.hook_layer``, and in ``extra`` the checkpoint's
        ``metrics``, ``training`` and ``data`` records.

    Example:
        >>> from hybridxai.vision.models import model_info
        >>> model = load_checkpoint("fashion-mnist_mobilenet_v2_full")
        >>> model_info(model).extra["metrics"]["test_accuracy"]
        0.8795
    """
    path = resolve_checkpoint(path_or_name)
    payload = read_checkpoint(path)
    arch = payload["architecture"]
    names = payload["class_names"]
    model = build_paper_model(
        arch["kind"], arch["backbone"], int(arch["num_filters"]), int(arch["num_classes"]),
        pretrained=pretrained, input_size=int(arch["input_size"]), class_names=names,
    )
    try:
        model.head.load_state_dict(payload["head"])
    except RuntimeError as exc:
        raise invalid_argument("path_or_name", str(path), f"has head weights that do not fit its "
                               f"architecture ({exc})", "re-train or re-save the checkpoint") from None
    model.eval()
    weights = f"backbone {payload['backbone_weights'] if pretrained else 'random'}; head {path.name}"
    paper_model_info(model, names, PaperPreprocessing.from_dict(payload["preprocessing"]),
                     weights=weights, source=str(path),
                     extra={k: payload[k] for k in ("metrics", "training", "data")})
    return model


def load_paper_model(dataset: str = "fashion-mnist", kind: str = "restricted",
                     num_filters: int = 16, backbone: str = "mobilenet_v2",
                     directory: str | Path | None = None) -> PaperModel:
    """Load a trained paper model shipped with the package.

    Shipped (trained on a Fashion-MNIST subset, see docs/reproduction.md): MobileNetV2
    restricted heads with ``num_filters`` 16, 24, 32, and the full-model head.

    Args:
        dataset: ``"fashion-mnist"``.
        kind: ``"restricted"`` or ``"full"``.
        num_filters: 16, 24 or 32 (restricted only).
        backbone: ``"mobilenet_v2"``.
        directory: A folder written by ``hybridxai train`` (``<dataset>_<backbone>_<kind>.pt``
            files), searched before the shipped checkpoints — e.g. STL-10/ResNet-18 heads
            trained where those can be downloaded.

    Returns:
        The model in eval mode, with its ``ModelInfo`` (preprocessing, class names,
        ``default_layer``, training metrics in ``extra``) registered.

    Raises:
        InvalidArgumentError: No such shipped checkpoint (the message lists them).

    Example:
        >>> import hybridxai, skimage.data
        >>> model = load_paper_model("fashion-mnist", "restricted", 16)
        >>> model.head.conv.out_channels   # the N_f = 16 maps the QUBO selects from
        16
        >>> len(hybridxai.explain(model, skimage.data.camera(), seed=0).selected) <= 16
        True
    """
    if kind not in PAPER_KINDS:
        raise invalid_argument("kind", kind, "unknown model kind",
                               f"pass one of {', '.join(PAPER_KINDS)}")
    name = checkpoint_name(str(dataset).strip().lower(), kind,
                           num_filters if kind == "restricted" else None, backbone)
    if directory is not None and (Path(directory).expanduser() / f"{name}.pt").is_file():
        return load_checkpoint(Path(directory).expanduser() / f"{name}.pt")
    shipped = shipped_checkpoints()
    if name not in shipped:
        raise invalid_argument(
            "dataset/kind/num_filters", (dataset, kind, num_filters),
            f"no shipped checkpoint {name!r}",
            f"use one of {', '.join(shipped) or '(none shipped)'}, or train one with "
            "'hybridxai train' and load it with hybridxai.training.load_checkpoint(path)",
        )
    return load_checkpoint(shipped[name])
