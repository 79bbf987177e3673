"""The per-image work of a reproduction, in three stages.

* ``restricted16`` — the N_f = 16 restricted model: GradCAM, GradCAM++, the annealing
  selection (native statevector anneal at ``qa_beta``) and the beta sweep of Fig. 3 (exact
  solver); masked confidences of every map (Table 1, Fig. 2 left, Fig. 3).
* ``full`` — the full model (all maps of the last block): GradCAM, GradCAM++ and SA at each
  of ``sa_betas`` (Table 1, Fig. 2 right).
* ``physics<N_f>`` — for each restricted model: the QUBO at ``qa_beta``, its minimum gap and
  location, the final fidelity for each anneal time, and the couplings (Figs. 4, 5, 7, 8).

Every stage works batch by batch and writes one record per image to the
:class:`~hybridxai.reproduce.store.RecordStore` as soon as the batch is done, so an interrupted
run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from hybridxai.backends.registry import get_sampler
from hybridxai.baselines import cam_from_features, gradcam_pp_weights, gradcam_weights
from hybridxai.data.datasets import LabelledImages
from hybridxai.data.loading import load_sources
from hybridxai.data.transforms import PaperPreprocessing
from hybridxai.features import FeatureBatch, extract_features
from hybridxai.metrics import masked_confidences
from hybridxai.models import model_info
from hybridxai.qubo import FeatureQubo, build_qubo
from hybridxai.reproduce.config import ReproduceConfig
from hybridxai.reproduce.store import RecordStore
from hybridxai.saliency import class_activation_map

__all__ = ["StudyImages", "select_test_images", "run_restricted", "run_full", "run_physics"]


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


def _batches(todo: Sequence[int], size: int) -> list[list[int]]:
    return [list(todo[i : i + size]) for i in range(0, len(todo), size)]


def _features(
    model: torch.nn.Module, study: StudyImages, positions: list[int]
) -> tuple[torch.Tensor, torch.Tensor, FeatureBatch, PaperPreprocessing]:
    prep = study.images.preprocessing
    pixels = study.images.pixels_batch(positions)
    inputs = prep.normalize(pixels)
    labels = [int(study.labels[p]) for p in positions]
    info = model_info(model)
    features = extract_features(model, inputs, layer=info.default_layer if info else None, targets=labels)
    return pixels, inputs, features, prep


def _confidences(
    model: torch.nn.Module,
    pixels: torch.Tensor,
    maps: dict[str, np.ndarray],
    labels: list[int],
    prep: PaperPreprocessing,
    batch_size: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    original = None
    masked: dict[str, np.ndarray] = {}
    for name, stack in maps.items():
        y, o = masked_confidences(
            model,
            pixels,
            torch.from_numpy(np.asarray(stack)),
            labels,
            normalize=(list(prep.mean), list(prep.std)),
            batch_size=batch_size,
        )
        original = y if original is None else original
        masked[name] = o
    assert original is not None
    return original, masked


def _baseline_maps(
    features: FeatureBatch, size: tuple[int, int], selection_keys: Sequence[str]
) -> dict[str, list[np.ndarray]]:
    """GradCAM and GradCAM++ maps of a batch, plus empty lists for the selection methods."""
    maps = {
        "gradcam": list(cam_from_features(features, gradcam_weights, size)),
        "gradcam_pp": list(cam_from_features(features, gradcam_pp_weights, size)),
    }
    maps.update({key: [] for key in selection_keys})
    return maps


def _with_confidences(
    model: torch.nn.Module,
    pixels: torch.Tensor,
    maps: dict[str, list[np.ndarray]],
    records: list[dict[str, Any]],
    prep: PaperPreprocessing,
    batch_size: int,
) -> list[dict[str, Any]]:
    """Add ``Y`` and ``O`` of every map to each image's record (targets = the true labels)."""
    labels = [int(r["label"]) for r in records]
    y, o = _confidences(model, pixels, {k: np.stack(v) for k, v in maps.items()}, labels, prep, batch_size)
    for i, record in enumerate(records):
        record["Y"] = float(y[i])
        record["O"] = {name: float(values[i]) for name, values in o.items()}
    return records


def _selection_map(
    features: FeatureBatch, i: int, selected: Sequence[int], size: tuple[int, int]
) -> np.ndarray:
    alpha = features.gradients[i].double().mean(dim=(1, 2))
    return class_activation_map(features.activations[i], alpha, size, channels=selected)


def _pending(store: RecordStore, stage: str, study: StudyImages) -> list[int]:
    done = store.load(stage)
    return [p for p in range(len(study)) if str(p) not in done]


def _run_stage(
    stage: str,
    store: RecordStore,
    study: StudyImages,
    config: ReproduceConfig,
    work: Callable[[list[int]], list[dict[str, Any]]],
    progress: bool,
) -> None:
    todo = _pending(store, stage, study)
    if not todo:
        return
    bar = tqdm(
        total=len(study), initial=len(study) - len(todo), desc=stage, unit="image", disable=not progress
    )
    for positions in _batches(todo, config.batch_size):
        store.append(stage, work(positions))
        bar.update(len(positions))
    bar.close()


def _qubo_record(q: FeatureQubo) -> dict[str, Any]:
    return {"d": q.num_variables, "num_positive": q.num_positive, "channels": list(q.channels)}


def run_restricted(
    model: torch.nn.Module,
    study: StudyImages,
    config: ReproduceConfig,
    store: RecordStore,
    progress: bool = True,
) -> None:
    """Stage ``restricted16``: baselines, annealing selection and the beta sweep."""
    annealer = get_sampler("statevector")
    exact = get_sampler("exact")
    steps = config.num_steps(config.selection_time)

    def work(positions: list[int]) -> list[dict[str, Any]]:
        pixels, inputs, features, prep = _features(model, study, positions)
        size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
        maps = _baseline_maps(features, size, ["qa", *(f"sweep:{b:g}" for b in config.sweep_betas)])
        records: list[dict[str, Any]] = []
        for i, p in enumerate(positions):
            a, g = features.activations[i], features.gradients[i]
            q = build_qubo(a, g, beta=config.qa_beta, max_qubits=config.max_qubits)
            qa: dict[str, Any] = _qubo_record(q)
            if q.num_variables:
                ss = annealer.sample(
                    q.bqm,
                    total_time=config.selection_time,
                    num_steps=steps,
                    seed=config.seed,
                    driver_scale=config.driver_scale,
                )
                selected = q.interpret(ss)
                qa.update(
                    selected=list(selected),
                    energy=q.energy(selected),
                    fidelity=ss.info["fidelity"],
                    optimal=bool(np.isclose(q.energy(selected), ss.info["ground_energy"])),
                )
            else:
                selected = ()
                qa.update(selected=[], energy=0.0, fidelity=1.0, optimal=True)
            maps["qa"].append(_selection_map(features, i, selected, size))
            sweep: dict[str, Any] = {}
            for b in config.sweep_betas:
                qb = build_qubo(a, g, beta=b, max_qubits=config.max_qubits)
                chosen = qb.interpret(exact.sample(qb.bqm)) if qb.num_variables else ()
                sweep[f"{b:g}"] = {"selected": list(chosen), "d": qb.num_variables}
                maps[f"sweep:{b:g}"].append(_selection_map(features, i, chosen, size))
            records.append(
                {
                    "key": str(p),
                    "position": p,
                    "label": int(study.labels[p]),
                    "logit_argmax": int(features.logits[i].argmax()),
                    "qa": qa,
                    "sweep": sweep,
                }
            )
        return _with_confidences(model, pixels, maps, records, prep, config.batch_size)

    _run_stage("restricted16", store, study, config, work, progress)


def run_full(
    model: torch.nn.Module,
    study: StudyImages,
    config: ReproduceConfig,
    store: RecordStore,
    progress: bool = True,
) -> None:
    """Stage ``full``: baselines and SA at every beta of ``sa_betas`` on all maps."""
    sa = get_sampler("sa")

    def work(positions: list[int]) -> list[dict[str, Any]]:
        pixels, inputs, features, prep = _features(model, study, positions)
        size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
        maps = _baseline_maps(features, size, [f"sa:{b:g}" for b in config.sa_betas])
        records: list[dict[str, Any]] = []
        for i, p in enumerate(positions):
            sa_records: dict[str, Any] = {}
            for b in config.sa_betas:
                q = build_qubo(features.activations[i], features.gradients[i], beta=b)
                if q.num_variables:
                    ss = sa.sample(q.bqm, seed=config.seed)
                    chosen = q.interpret(ss)
                else:
                    chosen = ()
                sa_records[f"{b:g}"] = {
                    "selected": list(chosen),
                    "d": q.num_variables,
                    "energy": q.energy(chosen),
                }
                maps[f"sa:{b:g}"].append(_selection_map(features, i, chosen, size))
            records.append(
                {
                    "key": str(p),
                    "position": p,
                    "label": int(study.labels[p]),
                    "num_feature_maps": int(features.activations.shape[1]),
                    "sa": sa_records,
                }
            )
        return _with_confidences(model, pixels, maps, records, prep, config.batch_size)

    _run_stage("full", store, study, config, work, progress)


def run_physics(
    model: torch.nn.Module,
    num_filters: int,
    study: StudyImages,
    config: ReproduceConfig,
    store: RecordStore,
    progress: bool = True,
) -> None:
    """Stage ``physics<N_f>``: minimum gap, fidelity vs T and couplings of each image's QUBO."""
    from hybridxai.analysis import fidelity_curve, min_gap

    def work(positions: list[int]) -> list[dict[str, Any]]:
        _, _, features, _ = _features(model, study, positions)
        records: list[dict[str, Any]] = []
        for i, p in enumerate(positions):
            q = build_qubo(
                features.activations[i],
                features.gradients[i],
                beta=config.qa_beta,
                max_qubits=config.max_qubits,
            )
            record: dict[str, Any] = {
                "key": str(p),
                "position": p,
                "label": int(study.labels[p]),
                "num_filters": num_filters,
                **_qubo_record(q),
                "J": q.J[np.triu_indices(q.num_variables, 1)].tolist(),
            }
            if q.num_variables >= 1:
                gap = min_gap(q.bqm, driver_scale=config.driver_scale)
                curve = fidelity_curve(
                    q.bqm,
                    list(config.total_times),
                    time_step=config.time_step,
                    driver_scale=config.driver_scale,
                    method="statevector",
                )
                record.update(
                    min_gap=float(gap.min_gap),
                    s_min=float(gap.s_min),
                    fidelity=[float(f) for f in curve.fidelities],
                    total_times=list(config.total_times),
                )
            records.append(record)
        return records

    _run_stage(f"physics{num_filters}", store, study, config, work, progress)
