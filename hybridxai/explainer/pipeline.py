"""``hybridxai.explain``: from a CNN and an image to a feature-selection explanation.

This module is ``hybridxai.explainer.pipeline``, so that ``hybridxai.explain`` is always the function.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dimod
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai.anneal.qubo import FeatureQubo, build_qubo, check_importance_mode
from hybridxai.backends.base import BaseSampler
from hybridxai.backends.registry import get_sampler
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.explainer.explanation import Explanation
from hybridxai.explainer.solve import solve
from hybridxai.vision.features import extract_features
from hybridxai.vision.features.layers import LayerLike
from hybridxai.vision.images import ImageLike, prepare_images
from hybridxai.vision.models import model_info
from hybridxai.vision.saliency import class_activation_map
from hybridxai.vision.targets import TargetLike, check_target

__all__ = ["explain", "explain_batch", "default_beta", "EmptySelectionWarning"]

QUANTUM_SIZED = 64
"""Problems up to this many variables get the paper's quantum-path beta (0.7)."""


class EmptySelectionWarning(UserWarning):
    """No feature map had positive importance, so the explanation is empty."""


def default_beta(num_variables: int) -> float:
    """The paper's beta for a problem of this size.

    0.7 for problems of quantum size (the paper's restricted models with 16–32 maps) and 0.99
    for large ones (its full ResNet-18 with 512 maps, solved by SA).

    Args:
        num_variables: ``d``, the number of feature maps in the QUBO.

    Returns:
        0.7 if ``d <= 64``, else 0.99.

    Example:
        >>> default_beta(16), default_beta(640)
        (0.7, 0.99)
    """
    return 0.7 if num_variables <= QUANTUM_SIZED else 0.99


def _backend_name(backend: str | dimod.Sampler) -> str:
    return backend if isinstance(backend, str) else type(backend).__name__


def draw_seed() -> int:
    """A fresh solver seed from the operating system's entropy (recorded by the caller).

    Returns:
        An integer in ``[0, 2**32)``.
    """
    return int(np.random.SeedSequence().generate_state(1)[0])


def check_seed(seed: Any) -> None:
    """Refuse a solver seed that is neither a non-negative integer nor ``None``.

    Args:
        seed: The value given.

    Raises:
        InvalidArgumentError: If it is not usable.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise invalid_argument("seed", seed, "must be a non-negative integer or None",
                               "pass e.g. seed=0")


def _sampler_seed(sampler: dimod.Sampler, options: dict[str, Any]) -> int:
    """The seed of a run without ``seed=``.

    The one given as a sampler option, or configured on the sampler instance
    (``get_sampler("sa", seed=3)``), so it is honoured and recorded; else a new one.
    """
    configured = options.get("seed")
    if configured is None:
        defaults = getattr(sampler, "defaults", None)
        configured = defaults.get("seed") if isinstance(defaults, dict) else None
    if isinstance(configured, (int, np.integer)) and not isinstance(configured, bool):
        return int(configured)
    return draw_seed()


def _analysis(qubo: FeatureQubo, options: dict[str, Any]) -> dict[str, Any]:
    from hybridxai.analysis import min_gap

    driver = options.get("driver_scale", "unit")
    result = min_gap(qubo.bqm, driver_scale=driver)
    return {"min_gap": float(result.min_gap), "s_min": float(result.s_min)}


def explain_batch(
    model: nn.Module,
    images: ImageLike | Sequence[ImageLike],
    *,
    target: TargetLike = None,
    layer: LayerLike = None,
    backend: str | dimod.Sampler = "sa",
    beta: float | None = None,
    seed: int | None = None,
    max_qubits: int | None = None,
    cardinality: int | None = None,
    gamma: float = 1.0,
    importance: str = "gradcam",
    transform: Callable[[Any], torch.Tensor] | None = None,
    class_names: Sequence[str] | None = None,
    analyze: bool = False,
    progress: bool | None = None,
    **sampler_options: Any,
) -> list[Explanation]:
    """Explain several images with one forward/backward pass.

    Every image gets the same solver ``seed``, so ``explain_batch(...)[i]`` equals
    ``explain(images[i], ...)``. The arguments are those of :func:`explain` (see there for
    details), except:

    Args:
        model: The classifier (``torch.nn.Module``).
        images: A sequence of images (paths, PIL images, arrays, tensors) or an ``N×C×H×W``
            tensor.
        target: One class for all images, one per image, or ``None`` (each prediction); a class
            is an index or a class name (see :mod:`hybridxai.vision.targets`).
        layer: Target layer (module or dotted name), or a list of layers whose maps are joined
            along channels; default: the last spatial feature maps.
        backend: Registry name or ``dimod.Sampler``.
        beta: Trade-off in [0, 1]; ``None`` for :func:`default_beta` of each problem.
        seed: Solver seed shared by all images; ``None``: the sampler's, else drawn.
        max_qubits: Keep only this many most important maps.
        cardinality: Target number of selected maps ``k``.
        gamma: Weight of the cardinality penalty.
        importance: How the maps' importance ``alpha`` is computed (see :func:`explain`).
        transform: Preprocessing of raw pictures (default: the registered one).
        class_names: Names for the class indices.
        analyze: Also compute the minimum gap (small problems).
        progress: Show a progress bar (default: when there is more than one image).
        **sampler_options: Passed to ``sampler.sample`` (checked before the model runs).

    Returns:
        One :class:`~hybridxai.explainer.explanation.Explanation` per image, in order.

    Example:
        >>> import skimage.data
        >>> from hybridxai.vision.models import load_paper_model
        >>> model = load_paper_model("fashion-mnist", "restricted", 16)
        >>> pictures = [skimage.data.camera(), skimage.data.coins()]   # or paths of image files
        >>> [e.label for e in explain_batch(model, pictures, seed=0, progress=False)]
        ['Pullover (2)', 'Trouser (1)']
    """
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    if beta is not None and (isinstance(beta, bool)
                             or not isinstance(beta, (int, float, np.integer, np.floating))):
        raise invalid_type("beta", beta, "a number in [0, 1] or None",
                           "pass e.g. beta=0.7, or beta=None for the paper's default")
    if beta is not None and (not 0.0 <= float(beta) <= 1.0 or math.isnan(float(beta))):
        raise invalid_argument("beta", beta, "must lie in [0, 1]",
                               "pass e.g. beta=0.7, or beta=None for the paper's default")
    check_seed(seed)
    check_importance_mode(importance)
    if max_qubits is not None:
        check_positive_int("max_qubits", max_qubits, "pass e.g. max_qubits=16 for quantum backends, or None")
    if not isinstance(backend, (str, dimod.Sampler)):
        raise invalid_type("backend", backend, "a backend name (str) or a dimod.Sampler",
                           "pass e.g. backend='sa' or backend=hybridxai.get_sampler('exact')")
    sampler = get_sampler(backend)
    own = isinstance(sampler, BaseSampler)
    known = set(sampler.parameters)
    unknown = set(sampler_options) - known
    if unknown and not (own and sampler.forwards_unknown_options):  # remote solvers check those
        raise invalid_argument(
            "sampler_options", sorted(unknown),
            f"not accepted by the '{_backend_name(backend)}' backend",
            f"use some of {sorted(known)} or another backend",
        )
    if own:  # hybridxai's backends: bad values fail in the pre-flight check, before the model runs
        sampler.check_options(**sampler_options)
    info_model = model_info(model)
    transform = transform if transform is not None else (info_model.transform if info_model else None)
    names = class_names if class_names is not None else (info_model.class_names if info_model else None)
    layer_was_default = layer is None
    if layer is None and info_model is not None and info_model.default_layer:
        layer = info_model.default_layer
    prepared = prepare_images(images, transform, name="image")
    t0 = time.perf_counter_ns()
    features = extract_features(model, prepared.batch, layer=layer, targets=target, class_names=names)
    t_features = time.perf_counter_ns() - t0
    probabilities = features.probabilities.tolist()
    size = tuple(prepared.batch.shape[-2:])
    run_seed = int(seed) if seed is not None else _sampler_seed(sampler, sampler_options)
    n = len(features.targets)
    show = progress if progress is not None else n > 1
    results: list[Explanation] = []
    alphas = features.importance_of(importance)
    for i in tqdm(range(n), desc="explain", unit="image", disable=not show):
        activations = features.activations[i]
        gradients = features.gradients[i]
        alpha = alphas[i]
        d = int((alpha > 0).sum()) if max_qubits is None else min(int((alpha > 0).sum()), max_qubits)
        used_beta = default_beta(d) if beta is None else float(beta)
        qubo = build_qubo(activations, gradients, beta=used_beta, cardinality=cardinality,
                          gamma=gamma, max_qubits=max_qubits, importance=importance)
        if qubo.num_variables == 0:
            warnings.warn(
                f"image {i}: no feature map of layer {features.layer!r} has positive importance "
                f"for class {features.targets[i]}; the explanation is empty (all-zero map).",
                EmptySelectionWarning, stacklevel=2,
            )
        t1 = time.perf_counter_ns()
        solution = solve(qubo, sampler, run_seed, sampler_options)
        sampleset, selected, energy = solution.sampleset, solution.selected, solution.energy
        t_solve = time.perf_counter_ns() - t1
        info: dict[str, Any] = {
            k: v for k, v in sampleset.info.items()
            if isinstance(v, (int, float, str, bool, dict, list, tuple, type(None)))
        }
        info.update({
            "beta_rule": "given" if beta is not None else
                         f"default_beta(d={qubo.num_variables}) (0.7 if d <= {QUANTUM_SIZED} else 0.99)",
            "layer_was_default": layer_was_default,
            "layer_channels": {name: list(span) for name, span in features.layer_channels.items()},
            "features_ns": t_features,
            "solve_ns": t_solve,
            "source": prepared.sources[i],
        })
        if analyze and qubo.num_variables:
            info.update(_analysis(qubo, sampler_options))
        saliency = class_activation_map(activations, alpha, size, channels=selected)
        tgt = features.targets[i]
        results.append(Explanation(
            saliency=saliency,
            selected=selected,
            importance=alpha.cpu().numpy(),
            qubo=qubo,
            sampleset=sampleset,
            target=tgt,
            target_name=names[tgt] if names is not None and 0 <= tgt < len(names) else None,
            probability=float(probabilities[i]),
            layer=features.layer,
            backend=_backend_name(backend),
            seed=run_seed,
            energy=energy,
            image=prepared.display[i],
            activations=activations.detach().to("cpu", torch.float32).numpy(),
            picture=prepared.picture(i)[0],
            input_box=prepared.picture(i)[1],
            info=info,
            settings={
                "target": tgt, "layer": features.layer, "backend": _backend_name(backend),
                "beta": used_beta, "seed": run_seed, "max_qubits": max_qubits,
                "cardinality": cardinality, "gamma": gamma, "importance": importance, "analyze": analyze,
                "sampler_options": dict(sampler_options),
                "model": info_model.name if info_model else type(model).__name__,
                "weights": info_model.weights if info_model else None,
            },
        ))
    return results


def explain(
    model: nn.Module,
    image: ImageLike,
    *,
    target: int | str | torch.Tensor | None = None,
    layer: LayerLike = None,
    backend: str | dimod.Sampler = "sa",
    beta: float | None = None,
    seed: int | None = None,
    max_qubits: int | None = None,
    cardinality: int | None = None,
    gamma: float = 1.0,
    importance: str = "gradcam",
    transform: Callable[[Any], torch.Tensor] | None = None,
    class_names: Sequence[str] | None = None,
    analyze: bool = False,
    **sampler_options: Any,
) -> Explanation:
    """Explain one prediction by selecting the feature maps that matter (docs/method.md).

    Args:
        model: A CNN classifier returning logits. Explained in eval mode; its ``training``
            flags, hooks and parameter gradients are left as they were.
        image: A path, PIL image, numpy array (raw picture, passed through ``transform``) or a
            preprocessed tensor ``C×H×W`` / ``1×C×H×W``.
        target: Class to explain: an index (``int``, numpy integer, 0-d tensor) or a class name
            (``"tabby"``, looked up in ``class_names`` or the registered names); default the
            predicted one.
        layer: Target layer (module or dotted name); default the last spatial feature maps.
            A list of layers (or names joined by ``+``) joins their maps along channels,
            resized to the largest map size (:mod:`hybridxai.vision.features.maps`); the
            explanation's ``layer`` is then ``"a+b"`` and ``info["layer_channels"]`` gives
            each layer's channels ``[start, stop)``.
        backend: A registry name (``"sa"``, ``"exact"``, ``"statevector"``, ``"aer"``,
            ``"pennylane"``, ``"dwave"`` …) or any ``dimod.Sampler``.
        beta: Importance/redundancy trade-off in [0, 1]; default 0.7 for problems of up to 64
            variables and 0.99 above (the paper's two settings).
        seed: Solver seed; when ``None``, the seed configured on the sampler
            (``get_sampler("sa", seed=3)``) or else a new one is used, and recorded.
        max_qubits: Keep only the ``max_qubits`` most important positive maps (so quantum
            backends fit any model).
        cardinality: Optional target number of maps ``k`` (penalty ``gamma·(Σn − k)²``).
        gamma: Penalty strength for ``cardinality``.
        importance: How each map's importance ``alpha`` (the QUBO's linear term and the
            saliency's weights) is computed: ``"gradcam"`` (default, the spatial mean of the
            gradients; the same for every image of a class after the last convolution),
            ``"contribution"`` (the spatial mean of gradient × activation, image-dependent at
            every layer) or ``"gradcam++"`` (:data:`hybridxai.anneal.qubo.IMPORTANCE_MODES`;
            docs/faithfulness.md measures them).
        transform: Preprocessing for raw pictures; default the one registered by
            :func:`hybridxai.load_pretrained`.
        class_names: Names of the classes; default the registered ones.
        analyze: Also compute the anneal's minimum gap ``min_gap`` and its location ``s_min``.
        **sampler_options: Passed to ``sampler.sample`` (``num_reads``, ``total_time``,
            ``num_steps`` …); unknown names are an error.

    Returns:
        The :class:`~hybridxai.explainer.explanation.Explanation`.

    Example:
        >>> import hybridxai, skimage.data
        >>> model = hybridxai.load_pretrained("mobilenet_v2")
        >>> e = hybridxai.explain(model, skimage.data.chelsea(), seed=0)
        >>> e.target_name, e.saliency.shape
        ('Egyptian cat', (224, 224))
    """
    if isinstance(image, torch.Tensor) and image.dim() == 4 and image.shape[0] != 1:
        raise invalid_argument("image", image, f"holds a batch of {image.shape[0]} images",
                               "call hybridxai.explain_batch() for batches")
    if isinstance(image, (list, tuple)):
        raise invalid_argument("image", image, "is a sequence of images",
                               "call hybridxai.explain_batch() for several images")
    check_target(target)
    return explain_batch(
        model, image, target=target, layer=layer, backend=backend, beta=beta, seed=seed,
        max_qubits=max_qubits, cardinality=cardinality, gamma=gamma, importance=importance,
        transform=transform,
        class_names=class_names, analyze=analyze, progress=False, **sampler_options,
    )[0]
