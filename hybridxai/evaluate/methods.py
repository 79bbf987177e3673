"""Explanation methods to evaluate, named by short specs such as ``"qubo:beta=0.7"``.

* ``qubo[:beta=B][,importance=MODE][,layer=NAME][,backend=NAME]`` — the hybridxai feature
  selection (:func:`hybridxai.explain_batch`), optionally with another importance mode
  (:data:`hybridxai.anneal.qubo.IMPORTANCE_MODES`: ``gradcam``, ``contribution``, ``gradcam++``)
  or at another layer than the evaluation's;
* ``random[:beta=B]`` — a control: for each image, as many positive-importance maps as the
  ``qubo:beta=B`` selection of that image, drawn at random
  (:func:`hybridxai.baselines.random_subset_map`), so it differs from the selection only in
  *which* maps are kept;
* ``gradcam``, ``gradcam++``, ``scorecam`` — pytorch-grad-cam's ``GradCAM``,
  ``GradCAMPlusPlus`` and ``ScoreCAM`` (the reference implementations, not re-implemented here),
  optionally at another layer (``gradcam:layer=features.17``).

Every method explains the same class per image (the model's prediction on the clean image, or
the given targets) at the same layer unless its spec names one, and returns maps ``(N, H, W)``
in [0, 1].
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai._util.optional import import_optional
from hybridxai.anneal.qubo import IMPORTANCE_MODES
from hybridxai.baselines import random_subset_map
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.explainer import explain_batch
from hybridxai.vision.features import FeatureBatch
from hybridxai.vision.features.layers import resolve_layers

__all__ = ["MethodSpec", "parse_method", "parse_methods", "CAM_METHODS", "compute_maps"]

CAM_METHODS: dict[str, str] = {
    "gradcam": "GradCAM",
    "gradcam++": "GradCAMPlusPlus",
    "scorecam": "ScoreCAM",
}
"""Spec name → pytorch-grad-cam class name."""

_ALIASES = {"gradcampp": "gradcam++", "gradcamplusplus": "gradcam++", "grad-cam": "gradcam",
            "grad-cam++": "gradcam++", "score-cam": "scorecam", "selection": "qubo"}
_KINDS = ("qubo", "random", *CAM_METHODS)
_FIX = ("write methods as e.g. 'qubo:beta=0.7', 'qubo:beta=0.99', 'random:beta=0.7', 'gradcam', "
        "'gradcam++' or 'scorecam'")


@dataclass(frozen=True)
class MethodSpec:
    """A parsed method spec.

    Attributes:
        kind: ``"qubo"``, ``"random"``, ``"gradcam"``, ``"gradcam++"`` or ``"scorecam"``.
        beta: The QUBO's beta (``qubo`` and ``random``); ``None``: the paper's default rule.
        backend: The solver of a ``qubo`` method (default ``"sa"``).
        importance: The importance mode of a ``qubo`` method (default ``"gradcam"``).
        layer: The layer this method explains, or ``None`` for the evaluation's layer.
        name: The canonical spec, used as the method's name in tables (``"qubo:beta=0.7"``).
    """

    kind: str
    beta: float | None = None
    backend: str = "sa"
    name: str = field(default="", compare=False)
    importance: str = "gradcam"
    layer: str | None = None

    @property
    def selection(self) -> MethodSpec:
        """The ``qubo`` spec whose selection sizes a ``random`` control (itself for ``qubo``)."""
        return parse_method("qubo" if self.beta is None else f"qubo:beta={self.beta:g}")


def parse_method(spec: str) -> MethodSpec:
    """Parse one method spec.

    Args:
        spec: ``"qubo:beta=0.7"``, ``"qubo:beta=0.99,backend=exact"``,
            ``"qubo:beta=0.7,importance=contribution,layer=features.17"``, ``"random:beta=0.7"``,
            ``"gradcam"``, ``"gradcam:layer=features.17"``, ``"gradcam++"`` or ``"scorecam"``
            (case-insensitive except the layer name; pytorch-grad-cam class names such as
            ``"GradCAMPlusPlus"`` are accepted too).

    Returns:
        The :class:`MethodSpec`, whose ``name`` is the canonical spelling.

    Raises:
        InvalidArgumentError: An unknown method or option, or a beta outside [0, 1].
        InvalidTypeError: ``spec`` is not a string.

    Example:
        >>> parse_method("QUBO:beta=0.70").name, parse_method("GradCAMPlusPlus").name
        ('qubo:beta=0.7', 'gradcam++')
        >>> parse_method("qubo:layer=features.17,importance=Contribution,beta=0.9").name
        'qubo:beta=0.9,importance=contribution,layer=features.17'
    """
    if not isinstance(spec, str):
        raise invalid_type("method", spec, "a string such as 'qubo:beta=0.7'", _FIX)
    head, _, rest = spec.strip().partition(":")
    kind = head.strip().lower()
    by_class = {cls.lower(): name for name, cls in CAM_METHODS.items()}
    kind = _ALIASES.get(kind, by_class.get(kind, kind))
    if kind not in _KINDS:
        raise invalid_argument("method", spec, f"{head!r} is not a known method ({', '.join(_KINDS)})",
                               _FIX)
    options: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in re.split(r"[,;]", rest))):
        key, eq, value = item.partition("=")
        if not eq:
            raise invalid_argument("method", spec, f"option {item!r} has no '='", _FIX)
        options[key.strip().lower()] = value.strip()
    allowed = {"qubo": {"beta", "backend", "importance", "layer"}, "random": {"beta"}}.get(kind, {"layer"})
    unknown = set(options) - allowed
    if unknown:
        raise invalid_argument("method", spec, f"{kind} takes no option {sorted(unknown)}",
                               f"{kind} accepts {sorted(allowed) or 'no options'}; {_FIX}")
    beta: float | None = None
    if "beta" in options:
        try:
            beta = float(options["beta"])
        except ValueError:
            beta = math.nan
        if not 0.0 <= beta <= 1.0:
            raise invalid_argument("method", spec, "beta must be a number in [0, 1]",
                                   "write e.g. 'qubo:beta=0.7'")
    backend = options.get("backend", "sa")
    mode = options.get("importance", "gradcam").lower()
    if mode not in IMPORTANCE_MODES:
        raise invalid_argument("method", spec, f"importance={mode!r} is not an importance mode",
                               f"write importance= one of {', '.join(IMPORTANCE_MODES)}, e.g. "
                               "'qubo:beta=0.7,importance=contribution'")
    layer = options.get("layer") or None
    parts = [f"beta={beta:g}"] if beta is not None else []
    parts += [f"importance={mode}"] if mode != "gradcam" else []
    parts += [f"layer={layer}"] if layer is not None else []
    parts += [f"backend={backend}"] if backend != "sa" else []
    name = kind + (":" + ",".join(parts) if parts else "")
    return MethodSpec(kind=kind, beta=beta, backend=backend, name=name, importance=mode, layer=layer)


def parse_methods(specs: Sequence[str] | str) -> tuple[MethodSpec, ...]:
    """Parse several specs (a sequence, or one comma-free string per method separated by spaces).

    Args:
        specs: The method specs.

    Returns:
        The parsed specs, in order, without duplicates.

    Raises:
        InvalidArgumentError: An empty list, a duplicate, or a bad spec.

    Example:
        >>> [m.name for m in parse_methods(["gradcam", "qubo:beta=0.7"])]
        ['gradcam', 'qubo:beta=0.7']
    """
    items = specs.split() if isinstance(specs, str) else specs
    if isinstance(items, (bytes, bytearray)) or not isinstance(items, Sequence) or not items:
        raise invalid_argument("methods", specs, "needs at least one method", _FIX)
    parsed = [parse_method(s) for s in items]
    names = [m.name for m in parsed]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise invalid_argument("methods", specs, f"names {duplicates} more than once",
                               "list each method once")
    return tuple(parsed)


def _cam_maps(kind: str, model: nn.Module, batch: torch.Tensor, layer: str,
              targets: Sequence[int], batch_size: int) -> NDArray[np.float32]:
    """pytorch-grad-cam's map for each image (its own resize and min–max scaling)."""
    cam_module = import_optional("pytorch_grad_cam", "eval", f"the {kind} baseline")
    outputs = import_optional("pytorch_grad_cam.utils.model_targets", "eval", f"the {kind} baseline")
    cls = getattr(cam_module, CAM_METHODS[kind])
    modules = [module for _, module in resolve_layers(model, layer)]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    maps = []
    # pytorch-grad-cam's ScoreCAM multiplies every image by all K upsampled maps at once
    # (N·K·C·H·W floats: 12 GB for 16 MobileNetV2 images at 224 px), so it gets one image per call.
    step = 1 if kind == "scorecam" else batch_size
    with cls(model=model, target_layers=modules) as cam:
        if kind == "scorecam":
            cam.batch_size = batch_size
        for start in range(0, batch.shape[0], step):
            part = batch[start:start + step].to(device)
            wanted = [outputs.ClassifierOutputTarget(int(t)) for t in targets[start:start + step]]
            maps.append(np.asarray(cam(input_tensor=part, targets=wanted), dtype=np.float32))
    # pytorch-grad-cam scales each map to [0, 1] but may leave rounding just outside it.
    return np.clip(np.concatenate(maps), 0.0, 1.0)


def compute_maps(
    model: nn.Module,
    batch: torch.Tensor,
    methods: Sequence[MethodSpec],
    features: FeatureBatch,
    *,
    seed: int,
    batch_size: int = 16,
    progress: Callable[[str], Any] | None = None,
) -> tuple[dict[str, NDArray[np.float32]], dict[str, NDArray[np.int64]]]:
    """Compute every method's maps on a model-ready batch.

    Args:
        model: The classifier.
        batch: Model-ready images ``(N, C, H, W)``.
        methods: Parsed specs.
        features: :func:`~hybridxai.vision.features.extract_features` of ``batch`` (its layer
            and targets are used by every method).
        seed: Seed of the QUBO solver and of the random control.
        batch_size: Images per pytorch-grad-cam call.
        progress: Called with each method's name before it is computed.

    Returns:
        ``(maps, sizes)``: ``{name: float32 (N, H, W) in [0, 1]}`` in the order of
        ``methods``, and ``{name: (N,) number of selected maps}`` for ``qubo`` and ``random``
        methods.
    """
    size = tuple(batch.shape[-2:])
    targets = list(features.targets)
    selections: dict[str, list[tuple[int, ...]]] = {}
    maps: dict[str, NDArray[np.float32]] = {}
    sizes: dict[str, NDArray[np.int64]] = {}

    def selection(spec: MethodSpec) -> list[tuple[int, ...]]:
        if spec.name not in selections:
            explanations = explain_batch(model, batch, target=targets, layer=spec.layer or features.layer,
                                         backend=spec.backend, beta=spec.beta, seed=seed,
                                         importance=spec.importance, progress=False)
            selections[spec.name] = [e.selected for e in explanations]
            maps.setdefault(spec.name, np.stack([e.saliency for e in explanations]))
        return selections[spec.name]

    out: dict[str, NDArray[np.float32]] = {}
    for spec in methods:
        if progress is not None:
            progress(spec.name)
        if spec.kind == "qubo":
            chosen = selection(spec)
            out[spec.name] = maps[spec.name]
            sizes[spec.name] = np.array([len(s) for s in chosen], dtype=np.int64)
        elif spec.kind == "random":
            chosen = selection(spec.selection)
            rng = np.random.default_rng(seed)
            drawn = [random_subset_map(features, len(s), image_size=size, seed=rng, index=i)
                     for i, s in enumerate(chosen)]
            out[spec.name] = np.stack([d.map for d in drawn]).astype(np.float32)
            sizes[spec.name] = np.array([len(d.channels) for d in drawn], dtype=np.int64)
        else:
            out[spec.name] = _cam_maps(spec.kind, model, batch, spec.layer or features.layer, targets,
                                       batch_size)
    return out, sizes
