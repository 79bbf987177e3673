"""``hybridxai.explain``: from a CNN and an image to a feature-selection explanation.

This module is ``hybridxai.explainer.pipeline``, so that ``hybridxai.explain`` is always the function.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dimod
import numpy as np
import torch
from torch import nn

from hybridxai._util.progress import progress_bar
from hybridxai.anneal.qubo import FeatureQubo, build_qubo
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.explainer.explanation import Explanation
from hybridxai.explainer.settings import ExplainSettings
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


def draw_seed() -> int:
    """A fresh solver seed from the operating system's entropy (recorded by the caller).

    Returns:
        An integer in ``[0, 2**32)``.
    """
    return int(np.random.SeedSequence().generate_state(1)[0])


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
    result = min_gap(qubo.bqm, driver_scale=driver, progress=False)  # explain draws its own bar
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
    settings: ExplainSettings | None = None,
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
        max_qubits: Keep only this many most important maps (``None``: all; 16 for the
            annealing samplers, see :func:`explain`).
        cardinality: Target number of selected maps ``k``.
        gamma: Weight of the cardinality penalty.
        importance: How the maps' importance ``alpha`` is computed (see :func:`explain`).
        transform: Preprocessing of raw pictures (default: the registered one).
        class_names: Names for the class indices.
        analyze: Also compute the minimum gap (small problems).
        progress: Show a progress bar (default: when there is more than one image), or a
            tqdm-compatible class to draw it with.
        settings: All of the above in one :class:`~hybridxai.explainer.settings.ExplainSettings`
            (then leave the other keywords out).
        **sampler_options: Passed to ``sampler.sample`` (checked before the model runs); a
            keyword that is neither a setting nor an option of the backend is a ``TypeError``
            naming the closest names.

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
    # locals() holds just the arguments here: the settings are declared once, by the signature
    s = ExplainSettings.from_keywords(locals(), sampler_options, settings=settings, caller="explain_batch")
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    sampler = s.sampler()  # the backend's pre-flight check, before the model runs
    return _explain_checked(model, images, s, sampler)


def _explain_checked(model: nn.Module, images: ImageLike | Sequence[ImageLike], s: ExplainSettings,
                     sampler: dimod.Sampler) -> list[Explanation]:
    """:func:`explain_batch` once its settings and solver are checked."""
    info_model = model_info(model)
    transform = s.transform if s.transform is not None else (info_model.transform if info_model else None)
    names = s.class_names if s.class_names is not None else (info_model.class_names if info_model else None)
    layer = s.layer
    layer_was_default = layer is None
    if layer is None and info_model is not None and info_model.default_layer:
        layer = info_model.default_layer
    prepared = prepare_images(images, transform, name="image")
    t0 = time.perf_counter_ns()
    features = extract_features(model, prepared.batch, layer=layer, targets=s.target, class_names=names)
    t_features = time.perf_counter_ns() - t0
    probabilities = features.probabilities.tolist()
    size = tuple(prepared.batch.shape[-2:])
    run_seed = s.seed if s.seed is not None else _sampler_seed(sampler, s.sampler_options)
    n = len(features.targets)
    results: list[Explanation] = []
    alphas = features.importance_of(s.importance)
    max_qubits = s.qubits_for(sampler)
    bar = progress_bar(s.progress, total=n, desc="explain", unit="image", default=n > 1)
    try:
        for i in range(n):
            activations = features.activations[i]
            gradients = features.gradients[i]
            alpha = alphas[i]
            positive = int((alpha > 0).sum())
            d = positive if max_qubits is None else min(positive, max_qubits)
            used_beta = default_beta(d) if s.beta is None else s.beta
            qubo = build_qubo(activations, gradients, beta=used_beta, cardinality=s.cardinality,
                              gamma=s.gamma, max_qubits=max_qubits, importance=s.importance)
            if qubo.num_variables == 0:
                warnings.warn(
                    f"image {i}: no feature map of layer {features.layer!r} has positive importance "
                    f"for class {features.targets[i]}; the explanation is empty (all-zero map).",
                    EmptySelectionWarning, stacklevel=3,
                )
            t1 = time.perf_counter_ns()
            solution = solve(qubo, sampler, run_seed, s.sampler_options)
            sampleset, selected, energy = solution.sampleset, solution.selected, solution.energy
            t_solve = time.perf_counter_ns() - t1
            info: dict[str, Any] = {
                k: v for k, v in sampleset.info.items()
                if isinstance(v, (int, float, str, bool, dict, list, tuple, type(None)))
            }
            info.update({
                "beta_rule": "given" if s.beta is not None else
                             f"default_beta(d={qubo.num_variables}) (0.7 if d <= {QUANTUM_SIZED} else 0.99)",
                "layer_was_default": layer_was_default,
                "layer_channels": {name: list(span) for name, span in features.layer_channels.items()},
                "features_ns": t_features,
                "solve_ns": t_solve,
                "source": prepared.sources[i],
            })
            if s.analyze and qubo.num_variables:
                info.update(_analysis(qubo, s.sampler_options))
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
                backend=s.backend_name,
                seed=run_seed,
                energy=energy,
                image=prepared.display[i],
                activations=activations.detach().to("cpu", torch.float32).numpy(),
                picture=prepared.picture(i)[0],
                input_box=prepared.picture(i)[1],
                info=info,
                settings={
                    "target": tgt, "layer": features.layer, "backend": s.backend_name,
                    "beta": used_beta, "seed": run_seed, "max_qubits": max_qubits,
                    "cardinality": s.cardinality, "gamma": s.gamma, "importance": s.importance,
                    "analyze": s.analyze, "sampler_options": dict(s.sampler_options),
                    "model": info_model.name if info_model else type(model).__name__,
                    "weights": info_model.weights if info_model else None,
                },
            ))
            bar.update(1)
    finally:
        bar.close()
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
    settings: ExplainSettings | None = None,
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
            backends fit any model). ``None``: all of them, except for the annealing samplers
            (``statevector``, ``aer``, ``pennylane``, ``ibm-runtime``), which take the 16 most
            important (:data:`hybridxai.explainer.settings.QUANTUM_MAX_QUBITS`; recorded in
            ``settings["max_qubits"]``).
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
        settings: All of the above in one :class:`~hybridxai.explainer.settings.ExplainSettings`,
            for users who keep one (then leave the other keywords out).
        **sampler_options: Passed to ``sampler.sample`` (``num_reads``, ``total_time``,
            ``num_steps`` …). Every argument is checked before the model runs; a keyword that is
            neither a setting nor an option of the backend raises ``TypeError`` naming the
            closest names (``targets=3`` → ``target``).

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
    # locals() holds just the arguments here: the settings are declared once, by the signature
    s = ExplainSettings.from_keywords(locals(), sampler_options, settings=settings, caller="explain")
    check_target(s.target)  # one class: explain_batch also takes one per image
    return explain_batch(model, image, settings=dataclasses.replace(s, progress=False))[0]
