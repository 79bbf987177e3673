"""The per-image work of a reproduction, in three stages.

* ``restricted16`` — the N_f = 16 restricted model: GradCAM, GradCAM++, the annealing
  selection (native statevector anneal at ``qa_beta``) and the beta sweep of Fig. 3 (exact
  solver); masked confidences of every map (Table 1, Fig. 2 left, Fig. 3).
* ``full`` — the full model (all maps of the last block): GradCAM, GradCAM++ and SA at each
  of ``sa_betas`` (Table 1, Fig. 2 right).
* ``physics<N_f>`` — for each restricted model: the QUBO at ``qa_beta``, its minimum gap and
  location, the final fidelity for each anneal time, and the couplings (Figs. 4, 5, 7, 8); with
  ``"authors"`` in ``config.conventions`` the same measures under the authors' conventions too.

Every stage cuts the images into fixed batches (``batch_size`` consecutive positions); each
batch is one work unit, run by a :class:`~hybridxai.runs.execution.Executor` (in this process, on
local processes or on a Dask cluster — the records are identical). The unit functions
(:func:`restricted_unit`, :func:`full_unit`, :func:`physics_unit`) are module-level and take a
:class:`StageContext`, which is sent to each worker once. One record per image is written to
the :class:`~hybridxai.reproduce.store.RecordStore` as soon as its batch is done, so an
interrupted run resumes where it stopped: a batch with any missing image is computed again
whole and only its missing records are written (:func:`hybridxai.runs.records.pending_batches`), so
the records equal those of an uninterrupted run. A batch that still fails after its retries is
reported (a warning and ``records/<stage>.failed.jsonl``), the other batches go on, and a rerun
retries only the batches with missing images.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from hybridxai.anneal.qubo import build_qubo, importance
from hybridxai.backends.optimality import optimum_margin
from hybridxai.backends.registry import get_sampler
from hybridxai.baselines import cam_from_features, gradcam_pp_weights, gradcam_weights
from hybridxai.exceptions import invalid_argument
from hybridxai.explainer.solve import solve
from hybridxai.metrics import masked_confidences
from hybridxai.reproduce.config import FULL_STAGE, ReproduceConfig, physics_filters
from hybridxai.reproduce.records import (
    BASELINES,
    QA,
    AnnealSelection,
    FullRecord,
    PhysicsMeasures,
    PhysicsRecord,
    RestrictedRecord,
    Selection,
    beta_key,
    sa_method,
    sweep_method,
)
from hybridxai.reproduce.store import RecordStore
from hybridxai.runs.execution import Executor, SerialExecutor
from hybridxai.runs.records import PendingBatch, pending_batches
from hybridxai.vision.data.datasets import ImageSource, LabelledImages
from hybridxai.vision.data.loading import load_sources
from hybridxai.vision.data.transforms import PaperPreprocessing
from hybridxai.vision.features import FeatureBatch, extract_features
from hybridxai.vision.models import model_info
from hybridxai.vision.saliency import class_activation_map

__all__ = ["StudyImages", "select_test_images", "StageContext", "StageFailureWarning",
           "restricted_unit", "full_unit", "physics_unit", "run_stage"]


class StageFailureWarning(UserWarning):
    """A batch of images still failed after its retries (the other batches go on)."""


@dataclass(frozen=True)
class StudyImages:
    """The test images of the study.

    Attributes:
        images: The chosen test items (paper preprocessing).
        labels: Their true classes.
        classes: Class names.
    """

    images: LabelledImages
    labels: np.ndarray
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def test_index(self, position: int) -> int:
        """Index in the official test split of the image at ``position``.

        Args:
            position: Position of the image in the study.

        Returns:
            Its index in the test split.
        """
        return int(self.images.indices[position])

    def compact(self) -> StudyImages:
        """The same images, with only them held in memory (small to send to workers).

        Pixels, labels and positions are unchanged; the copy does not refer to the data set's
        files, so it can be pickled and sent to workers on other machines.

        Returns:
            The compact copy.
        """
        source, chosen = self.images.source, self.images.indices
        if source.array is not None:
            pictures: Any = np.ascontiguousarray(source.array[chosen])
            array = pictures
        else:
            pictures, array = [source.load(int(i)) for i in chosen], None
        small = ImageSource(source.name, source.split, source.classes, source.targets[chosen].copy(),
                            functools.partial(operator.getitem, pictures), array, source.location)
        images = LabelledImages(small, np.arange(len(chosen), dtype=np.int64), self.images.preprocessing)
        return StudyImages(images, self.labels.copy(), self.classes)


def select_test_images(config: ReproduceConfig) -> StudyImages:
    """Draw ``per_class`` images of every class from the official test split (seeded).

    The shipped heads never saw the test split (their validation set is carved from the
    training split), so these images are unseen by the models.
    """
    _, test = load_sources(config.dataset, config.root)
    if test is None:
        raise RuntimeError(f"data set {config.dataset!r} has no test split to reproduce on")
    rng = np.random.default_rng(config.seed)
    chosen: list[int] = []
    for label in range(len(test.classes)):
        members = np.flatnonzero(test.targets == label)
        take = min(config.per_class, members.size)
        chosen.extend(sorted(int(i) for i in rng.choice(members, size=take, replace=False)))
    images = LabelledImages(test, np.asarray(chosen, dtype=np.int64), PaperPreprocessing())
    return StudyImages(images, images.targets.copy(), test.classes)


@dataclass(frozen=True)
class StageContext:
    """Everything the work units of one stage share; sent to each worker once.

    Attributes:
        model: The classifier explained.
        study: The test images (:meth:`StudyImages.compact`).
        config: The settings.
        layer: The explained layer (the model's registered default; stored here because that
            registry does not travel with a pickled model).
        num_filters: ``N_f`` of a restricted model (physics stages), else ``None``.
    """

    model: torch.nn.Module
    study: StudyImages
    config: ReproduceConfig
    layer: str | None
    num_filters: int | None = None

    @classmethod
    def create(cls, model: torch.nn.Module, study: StudyImages, config: ReproduceConfig,
               num_filters: int | None = None) -> StageContext:
        """The context of a stage: the model's default layer resolved, the images compacted.

        Args:
            model: The model of the stage.
            study: The test images.
            config: The settings.
            num_filters: ``N_f`` (physics stages).

        Returns:
            The context.
        """
        info = model_info(model)
        return cls(model, study.compact(), config, info.default_layer if info else None, num_filters)


def _units(done: set[str], total: int, size: int) -> dict[int, PendingBatch]:
    """The fixed batches ``[k·size, (k+1)·size)`` holding an image not yet recorded, by first position.

    The shared resume policy (:func:`hybridxai.runs.records.pending_batches`): each batch is run
    whole, with the same images as in an uninterrupted run, even if part of it is recorded.
    """
    return {b.positions[0]: b for b in pending_batches([str(p) for p in range(total)], size, done)}


def _features(
    ctx: StageContext, positions: list[int]
) -> tuple[torch.Tensor, torch.Tensor, FeatureBatch, PaperPreprocessing]:
    study = ctx.study
    prep = study.images.preprocessing
    pixels = study.images.pixels_batch(positions)
    inputs = prep.normalize(pixels)
    labels = [int(study.labels[p]) for p in positions]
    features = extract_features(ctx.model, inputs, layer=ctx.layer, targets=labels)
    return pixels, inputs, features, prep


def _confidences(
    model: torch.nn.Module,
    pixels: torch.Tensor,
    maps: dict[str, np.ndarray],
    labels: list[int],
    prep: PaperPreprocessing,
    batch_size: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``Y`` once and ``O`` of every method's maps, in one call."""
    y, o = masked_confidences(
        model,
        pixels,
        {name: torch.from_numpy(np.asarray(stack)) for name, stack in maps.items()},
        labels,
        normalize=(list(prep.mean), list(prep.std)),
        batch_size=batch_size,
    )
    return y, o


def _baseline_maps(
    features: FeatureBatch, size: tuple[int, int], selection_keys: Sequence[str]
) -> dict[str, list[np.ndarray]]:
    """GradCAM and GradCAM++ maps of a batch, plus empty lists for the selection methods."""
    weights = dict(zip(BASELINES, (gradcam_weights, gradcam_pp_weights), strict=True))
    maps = {key: list(cam_from_features(features, w, size)) for key, w in weights.items()}
    maps.update({key: [] for key in selection_keys})
    return maps


def _per_image_confidences(
    ctx: StageContext,
    pixels: torch.Tensor,
    maps: dict[str, list[np.ndarray]],
    labels: list[int],
    prep: PaperPreprocessing,
) -> list[tuple[float, dict[str, float]]]:
    """``Y`` and ``O`` of every map, per image of the batch (targets = the true labels)."""
    stacks = {k: np.stack(v) for k, v in maps.items()}
    y, o = _confidences(ctx.model, pixels, stacks, labels, prep, ctx.config.batch_size)
    return [(float(y[i]), {name: float(values[i]) for name, values in o.items()}) for i in range(len(labels))]


def _selection_map(
    features: FeatureBatch, i: int, selected: Sequence[int], size: tuple[int, int]
) -> np.ndarray:
    alpha = importance(features.gradients[i])
    return class_activation_map(features.activations[i], alpha, size, channels=selected)


def _failure_records(
    stage: str, study: StudyImages, outcome: Any, batch: PendingBatch
) -> list[dict[str, Any]]:
    """One failure record per missing image of a failed batch (its recorded images are kept)."""
    return batch.new_records(
        {"key": str(p), "position": p, "test_index": study.test_index(p), "stage": stage,
         "error": outcome.error, "attempts": outcome.attempts, "traceback": outcome.details}
        for p in outcome.item)


def _run_stage(
    stage: str,
    store: RecordStore,
    ctx: StageContext,
    unit: Callable[[StageContext, list[int]], list[dict[str, Any]]],
    executor: Executor | None,
    progress: bool,
) -> list[dict[str, Any]]:
    """Run the missing images of a stage; return one failure record per image that failed."""
    total = len(ctx.study)
    todo = _units(set(store.load(stage)), total, ctx.config.batch_size)
    if not todo:
        return []
    failed_path = store.folder / f"{stage}.failed.jsonl"
    failed_path.unlink(missing_ok=True)  # earlier failures are pending again: retried now
    executor = executor or SerialExecutor()
    pending = sum(len(b.missing) for b in todo.values())
    failures: list[dict[str, Any]] = []
    units = [list(b.positions) for b in todo.values()]
    with tqdm(total=total, initial=total - pending, desc=stage, unit="image", disable=not progress) as bar:
        for outcome in executor.map_unordered(unit, units, shared=ctx):
            batch = todo[outcome.item[0]]
            if outcome.ok:
                store.append(stage, batch.new_records(outcome.value or []))
            else:
                records = _failure_records(stage, ctx.study, outcome, batch)
                store.append(f"{stage}.failed", records)
                failures.extend(records)
                warnings.warn(
                    f"{stage}: images {', '.join(r['key'] for r in records)} failed after "
                    f"{outcome.attempts} attempts ({outcome.error}); the other images go on, and a "
                    f"rerun retries them (details: {failed_path})",
                    StageFailureWarning, stacklevel=2,
                )
                bar.set_postfix(failed=len(failures))
            bar.update(len(batch.missing))
    return failures


def restricted_unit(ctx: StageContext, positions: list[int]) -> list[dict[str, Any]]:
    """Stage ``restricted16`` on one batch: baselines, annealing selection and the beta sweep.

    Args:
        ctx: The stage's shared context (the N_f = 16 model).
        positions: Study positions of the batch.

    Returns:
        One record per image, with ``Y`` and ``O`` of every map.
    """
    config, study = ctx.config, ctx.study
    annealer = get_sampler("statevector")
    exact = get_sampler("exact")
    steps = config.num_steps(config.selection_time)
    pixels, inputs, features, prep = _features(ctx, positions)
    size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
    maps = _baseline_maps(features, size, [QA, *(sweep_method(b) for b in config.sweep_betas)])
    selections: list[tuple[AnnealSelection, dict[str, Selection]]] = []
    for i in range(len(positions)):
        a, g = features.activations[i], features.gradients[i]
        q = build_qubo(a, g, beta=config.qa_beta, max_qubits=config.max_qubits)
        if q.num_variables:
            found = solve(q, annealer, config.seed, {"total_time": config.selection_time, "num_steps": steps,
                                                     "driver_scale": config.driver_scale}, warn=False)
            selected = found.selected
            energy, fidelity = float(q.energy(selected)), float(found.sampleset.info["fidelity"])
            ground = float(found.sampleset.info["ground_energy"])
            optimal = energy - ground <= optimum_margin(q.bqm, ground)  # the report's test, in any units
        else:
            selected, energy, fidelity, optimal = (), 0.0, 1.0, True
        qa = AnnealSelection(q.num_variables, q.num_positive, tuple(int(c) for c in q.channels),
                             tuple(selected), energy, fidelity, optimal)
        maps[QA].append(_selection_map(features, i, selected, size))
        sweep: dict[str, Selection] = {}
        for b in config.sweep_betas:
            qb = build_qubo(a, g, beta=b, max_qubits=config.max_qubits)
            chosen = solve(qb, exact, warn=False).selected
            sweep[beta_key(b)] = Selection(tuple(chosen), qb.num_variables)
            maps[sweep_method(b)].append(_selection_map(features, i, chosen, size))
        selections.append((qa, sweep))
    labels = [int(study.labels[p]) for p in positions]
    confidences = _per_image_confidences(ctx, pixels, maps, labels, prep)
    predicted = [int(features.logits[i].argmax()) for i in range(len(positions))]
    rows = zip(positions, labels, predicted, selections, confidences, strict=True)
    return [RestrictedRecord(str(p), p, label, argmax, qa, sweep, y, o).to_dict()
            for p, label, argmax, (qa, sweep), (y, o) in rows]


def full_unit(ctx: StageContext, positions: list[int]) -> list[dict[str, Any]]:
    """Stage ``full`` on one batch: baselines and SA at every beta of ``sa_betas`` on all maps.

    Args:
        ctx: The stage's shared context (the full model).
        positions: Study positions of the batch.

    Returns:
        One record per image, with ``Y`` and ``O`` of every map.
    """
    config, study = ctx.config, ctx.study
    sa = get_sampler("sa")
    pixels, inputs, features, prep = _features(ctx, positions)
    size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
    maps = _baseline_maps(features, size, [sa_method(b) for b in config.sa_betas])
    selections: list[dict[str, Selection]] = []
    for i in range(len(positions)):
        chosen_at: dict[str, Selection] = {}
        for b in config.sa_betas:
            q = build_qubo(features.activations[i], features.gradients[i], beta=b)
            chosen = solve(q, sa, config.seed, warn=False).selected
            chosen_at[beta_key(b)] = Selection(tuple(chosen), q.num_variables, float(q.energy(chosen)))
            maps[sa_method(b)].append(_selection_map(features, i, chosen, size))
        selections.append(chosen_at)
    labels = [int(study.labels[p]) for p in positions]
    confidences = _per_image_confidences(ctx, pixels, maps, labels, prep)
    num_maps = int(features.activations.shape[1])
    rows = zip(positions, labels, selections, confidences, strict=True)
    return [FullRecord(str(p), p, label, num_maps, chosen_at, y, o).to_dict()
            for p, label, chosen_at, (y, o) in rows]


def physics_unit(ctx: StageContext, positions: list[int]) -> list[dict[str, Any]]:
    """Stage ``physics<N_f>`` on one batch: minimum gap, fidelity vs T and couplings per image.

    Args:
        ctx: The stage's shared context (a restricted model, ``num_filters`` set).
        positions: Study positions of the batch.

    Returns:
        One record per image.
    """
    from hybridxai.analysis import fidelity_curve, min_gap

    config, study = ctx.config, ctx.study
    if ctx.num_filters is None:
        raise invalid_argument("ctx", ctx.num_filters, "has no num_filters (N_f of the restricted model)",
                               "create it with StageContext.create(model, study, config, num_filters=N_f)")
    _, _, features, _ = _features(ctx, positions)
    records: list[dict[str, Any]] = []
    for i, p in enumerate(positions):
        q = build_qubo(
            features.activations[i],
            features.gradients[i],
            beta=config.qa_beta,
            max_qubits=config.max_qubits,
        )
        measures = None
        others: dict[str, PhysicsMeasures] = {}
        if q.num_variables >= 1:
            gap = min_gap(q.bqm, driver_scale=config.driver_scale, progress=False)
            curve = fidelity_curve(
                q.bqm,
                list(config.total_times),
                time_step=config.time_step,
                driver_scale=config.driver_scale,
                method="statevector",
                progress=False,
            )
            measures = PhysicsMeasures(float(gap.min_gap), float(gap.s_min),
                                       tuple(float(f) for f in curve.fidelities), tuple(config.total_times))
            if "authors" in config.conventions:
                others["authors"] = _authors_measures(features.activations[i], features.gradients[i], config)
        couplings = tuple(q.J[np.triu_indices(q.num_variables, 1)].tolist())
        record = PhysicsRecord(str(p), p, int(study.labels[p]), ctx.num_filters, q.num_variables,
                               q.num_positive, tuple(int(c) for c in q.channels), couplings, measures,
                               others)
        records.append(record.to_dict())
    return records


def _authors_measures(activations: np.ndarray, gradients: np.ndarray,
                      config: ReproduceConfig) -> PhysicsMeasures:
    """The physics of one image under ``conventions="authors"`` (same maps, same ``d``).

    The QUBO is ``build_qubo(..., conventions="authors")``; the fidelities are those of the
    Trotterized anneal on the authors' grid (``M = int(T/dt)`` points ``s_k = k/(M − 1)``, driver
    ``(1/d)·ΣX``, probability of the lowest-``H_P`` basis state); ``Δ_min`` is the minimum of their
    ``E_1 − E_0`` over ``s`` found by the adaptive search (``dense=False``, exact to 1e-6), which
    is at most their grid minimum and below it by ``O(Δ''·(0.5/M)²)``, far cheaper than an
    eigensolve at each of the ``M`` points.
    """
    from hybridxai.analysis import fidelity_curve, min_gap

    q = build_qubo(activations, gradients, beta=config.qa_beta, max_qubits=config.max_qubits,
                   conventions="authors")
    gap = min_gap(q.bqm, conventions="authors", dense=False, progress=False)
    curve = fidelity_curve(q.bqm, list(config.total_times), time_step=config.time_step,
                           conventions="authors", method="statevector", progress=False)
    return PhysicsMeasures(float(gap.min_gap), float(gap.s_min), tuple(float(f) for f in curve.fidelities),
                           tuple(config.total_times))


def run_stage(
    stage: str,
    model: torch.nn.Module,
    study: StudyImages,
    config: ReproduceConfig,
    store: RecordStore,
    progress: bool = True,
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """Run the images of one stage that are not recorded yet.

    * ``"restricted16"``: baselines, annealing selection and the beta sweep (:func:`restricted_unit`,
      the N_f = 16 restricted model);
    * ``"full"``: baselines and SA at every beta of ``sa_betas`` on all maps (:func:`full_unit`,
      the full model);
    * ``"physics<N_f>"``: minimum gap, fidelity vs T and couplings of each image's QUBO
      (:func:`physics_unit`, the restricted model with ``N_f`` maps).

    Args:
        stage: The stage's name, as above.
        model: The model the stage explains.
        study: The test images.
        config: The settings.
        store: Where records are written (images already recorded are skipped).
        progress: Show a progress bar.
        executor: Where the batches run (default: in this process).

    Returns:
        One failure record per image that still failed after its retries (empty on success).

    Raises:
        InvalidArgumentError: An unknown stage name.
    """
    num_filters = physics_filters(stage)
    if stage == config.restricted_stage:
        unit = restricted_unit
    elif stage == FULL_STAGE:
        unit = full_unit
    elif num_filters is not None:
        unit = physics_unit
    else:
        raise invalid_argument("stage", stage, "is not a stage of the reproduction",
                               f"pass {config.restricted_stage!r}, {FULL_STAGE!r} or 'physics<N_f>' "
                               "(e.g. 'physics24')")
    ctx = StageContext.create(model, study, config, num_filters)
    return _run_stage(stage, store, ctx, unit, executor, progress)
