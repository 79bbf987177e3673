"""``Y`` and ``O`` for Average Drop / Increase in Confidence, computed in batches.

``Y_i`` is the softmax probability of class ``c_i`` on image ``i``; ``O_i`` is the same on the
image multiplied pixel-wise by its map *in [0, 1] pixel space, before normalisation*: pixels
where the map is 0 become black, then the batch is normalised and fed to the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.typing import NDArray

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.metrics._checks import check_batch_size, check_maps, check_model, check_pixels
from hybridxai.vision.classifier import ClassifierRunner, Normalize, chunks
from hybridxai.vision.targets import TargetLike, class_names_of, parse_targets, select_targets

__all__ = ["MaskedConfidences", "masked_confidences", "explanation_arrays"]


class MaskedConfidences(NamedTuple):
    """Probabilities of the explained class, one per image (unpacks as ``Y, O``).

    Attributes:
        original: ``Y``, float64 ``(N,)``: on the image.
        masked: ``O``, float64 ``(N,)``: on the image multiplied by its map; a ``dict`` of such
            arrays, by name, when several sets of maps were scored at once.

    """

    original: NDArray[np.float64]
    masked: Any  # NDArray[np.float64], or dict[str, NDArray[np.float64]] for several map sets


_Array = torch.Tensor | NDArray[np.floating]


def masked_confidences(
    model: torch.nn.Module,
    pixels: _Array,
    maps: _Array | Mapping[str, _Array],
    targets: TargetLike = None,
    *,
    normalize: Normalize,
    batch_size: int = 32,
) -> MaskedConfidences:
    """Compute the class probability on each image (``Y``) and on the masked image (``O``).

    The model runs under ``torch.no_grad`` in eval mode, on its own device and in its own
    floating dtype; every module's ``training`` flag is restored afterwards. Each batch of
    images and its masked copy are evaluated as two forward passes of the same shape, so a map
    of all ones gives ``O == Y`` exactly.

    Several explanation methods can be scored in one call by passing ``maps`` as a mapping
    ``{name: maps}``: ``Y`` is then computed once, and ``O`` is a dict with one array per name,
    each bit-identical to a separate call with those maps.

    Args:
        model: A classifier returning logits ``(N, num_classes)``.
        pixels: Images ``(N, C, H, W)`` in [0, 1], *not* normalised.
        maps: Explanation maps ``(N, H, W)`` (or ``(N, 1, H, W)``) in [0, 1] at the image size,
            or a non-empty mapping from names to such stacks.
        targets: ``None`` (the predicted class on each unmasked image), one class for all
            images, or one per image; a class is an index or, for a model with registered
            class names, a name (see :mod:`hybridxai.vision.targets`).
        normalize: How the model's input is made from pixels: ``(mean, std)`` per channel, a
            transform exposing ``mean``/``std`` (torchvision ``Normalize`` or a weights preset;
            only the normalisation is applied), any other callable on ``(B, C, H, W)`` tensors,
            or ``None`` when the model takes ``[0, 1]`` pixels. Required, so it is never
            forgotten.
        batch_size: Images per forward pass.

    Returns:
        ``MaskedConfidences(original=Y, masked=O)``, float64 arrays ``(N,)``; for a mapping of
        maps, ``masked`` is a dict ``{name: O}`` in the mapping's order.

    Raises:
        InvalidArgumentError: Shapes that do not match, pixels or maps outside [0, 1], NaN or
            inf, bad ``targets``/``normalize``/``batch_size``, or a model output that is not
            logits. All input checks run before the first forward pass.
        InvalidTypeError: Arguments of the wrong type.

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5))
        >>> x, m = torch.rand(2, 3, 4, 4), torch.ones(2, 4, 4)
        >>> y, o = masked_confidences(net, x, m, normalize=([0.5] * 3, [0.25] * 3))
        >>> bool((y == o).all())
        True
        >>> y, o = masked_confidences(net, x, {"ones": m, "half": m / 2}, normalize=None)
        >>> sorted(o)
        ['half', 'ones']

    """
    model = check_model(model)
    pix = check_pixels(pixels)
    several = isinstance(maps, Mapping)
    masks = (_check_map_sets(maps, pix) if isinstance(maps, Mapping)
             else {"": check_maps(maps, pix, unit_range=True)})
    chosen = parse_targets(targets, pix.shape[0], name="targets", class_names=class_names_of(model))
    size = check_batch_size(batch_size)
    runner = ClassifierRunner(model, normalize, pix.shape[1], pix.dtype)

    y = torch.empty(pix.shape[0], dtype=torch.float64)
    o = {name: torch.empty(pix.shape[0], dtype=torch.float64) for name in masks}
    with runner.evaluating():
        for part in chunks(pix.shape[0], size):
            clean = pix[part].to(runner.device, runner.dtype)
            logits = runner.logits(clean)
            cls = select_targets(chosen, logits, part.start, name="targets")
            y[part] = runner.probabilities(logits, cls)
            for name, mask in masks.items():
                weight = mask[part].to(runner.device, runner.dtype)[:, None]
                o[name][part] = runner.probabilities(runner.logits(clean * weight), cls)
    if several:
        return MaskedConfidences(y.numpy(), {name: values.numpy() for name, values in o.items()})
    return MaskedConfidences(y.numpy(), o[""].numpy())


def _check_map_sets(maps: Mapping[Any, Any], pixels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Check every stack of a ``{name: maps}`` mapping (all before any forward pass)."""
    if not maps:
        raise invalid_argument("maps", maps, "is an empty mapping",
                               "pass {name: maps} with at least one stack of maps, or one stack")
    checked: dict[str, torch.Tensor] = {}
    for name, stack in maps.items():
        if not isinstance(name, str):
            raise invalid_type("maps", maps, "a mapping with str keys (method names)",
                               "name each stack of maps, e.g. {'gradcam': maps}")
        try:
            checked[name] = check_maps(stack, pixels, unit_range=True)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"maps[{name!r}]: {exc}") from exc
    return checked


def explanation_arrays(
    explanations: Sequence[Any],
) -> tuple[torch.Tensor, torch.Tensor, tuple[int, ...]]:
    """Stack :class:`~hybridxai.Explanation` objects into ``(pixels, maps, targets)``.

    ``pixels`` come from ``.image`` (the model input with its normalisation undone), ``maps``
    from ``.saliency``, ``targets`` from ``.target`` — ready for :func:`masked_confidences` and
    :func:`~hybridxai.metrics.deletion_curves`.

    Args:
        explanations: A non-empty sequence of explanations of equal image size.

    Returns:
        ``pixels`` float32 ``(N, 3, H, W)``, ``maps`` float32 ``(N, H, W)``, ``targets``.

    Raises:
        InvalidArgumentError: Empty input or images of different sizes.
        InvalidTypeError: An item without ``image``/``saliency``/``target``.

    Example:
        >>> import skimage.data
        >>> from hybridxai import explain_batch
        >>> from hybridxai.vision.models import load_paper_model, model_info
        >>> model = load_paper_model("fashion-mnist", "restricted", 16)
        >>> pictures = [skimage.data.camera(), skimage.data.coins()]
        >>> explanations = explain_batch(model, pictures, seed=0, progress=False)
        >>> pixels, maps, targets = explanation_arrays(explanations)
        >>> tuple(pixels.shape), tuple(maps.shape)
        ((2, 3, 224, 224), (2, 224, 224))
        >>> Y, O = masked_confidences(model, pixels, maps, targets,
        ...                           normalize=model_info(model).transform)
        >>> Y.shape, O.shape
        ((2,), (2,))

    """
    fix = "pass a list of hybridxai.Explanation objects, e.g. from hybridxai.explain_batch()"
    if isinstance(explanations, (str, bytes)) or not isinstance(explanations, Sequence):
        raise invalid_type("explanations", explanations, "a sequence of Explanation objects", fix)
    if not explanations:
        raise invalid_argument("explanations", explanations, "is empty", fix)
    for i, item in enumerate(explanations):
        if not all(hasattr(item, a) for a in ("image", "saliency", "target")):
            raise invalid_type(f"explanations[{i}]", item, "an Explanation", fix)
    shapes = {np.shape(e.saliency) for e in explanations} | {
        np.shape(e.image)[:2] for e in explanations}
    if len(shapes) != 1:
        raise invalid_argument("explanations", sorted(shapes),
                               "images and maps of different sizes cannot share a batch",
                               "explain all images at one input size (the same transform)")
    pixels = torch.stack([torch.as_tensor(np.asarray(e.image, np.float32)).permute(2, 0, 1)
                          for e in explanations])
    maps = torch.stack([torch.as_tensor(np.asarray(e.saliency, np.float32))
                        for e in explanations])
    return pixels, maps, tuple(int(e.target) for e in explanations)
