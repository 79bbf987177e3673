"""``hybridxai.explain_folder``: explain many image files, resumably.

Images are explained in batches with :func:`~hybridxai.explain_batch`. As soon as a batch is
done the result folder ``<out>/<image-stem>/`` (PNGs and ``manifest.json``) of each of its
images is written, then one JSON line per image in ``<out>/results.jsonl``, in one write
(flushed and fsynced). Rerunning with the same settings skips the recorded images, so a killed
run loses at most the batch in flight. Batches lie on a fixed grid and a batch with any missing
image is computed again whole (:func:`hybridxai.runs.records.pending_batches`), so the final
``results.jsonl`` and ``summary.csv`` equal those of an uninterrupted run, except for the
``timing`` of each record (the solver seed, drawn when not given, and the batch size are stored
with the settings and reused). Other settings in the same folder are refused. An image that
cannot be read is recorded as failed, with its error; the others go on (failed images are
tried again on the next rerun).

Example:
    >>> import hybridxai                                                           # doctest: +SKIP
    >>> model = hybridxai.load_pretrained("mobilenet_v2")                          # doctest: +SKIP
    >>> report = hybridxai.explain_folder(model, "photos/", "out/photos", seed=0)  # doctest: +SKIP
    >>> len(report.done), report.failed, report.summary                            # doctest: +SKIP
    (12, [], PosixPath('out/photos/summary.csv'))
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dimod
import torch
from torch import nn
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai._util.fileio import output_folder, to_jsonable, write_atomic
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.explainer.pipeline import check_seed, check_target, draw_seed
from hybridxai.runs.records import (
    PendingBatch,
    RecordStore,
    pending_batches,
    read_records,
    settings_fingerprint,
)
from hybridxai.vision.features.layers import LayerLike, resolve_layer
from hybridxai.vision.images import prepare_images
from hybridxai.vision.models import model_info

__all__ = ["explain_folder", "BatchReport", "IMAGE_SUFFIXES", "load_results"]

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
"""File name endings taken as images when ``images`` is a folder (case-insensitive)."""

_STAGE = "results"  # -> <out>/results.jsonl
_MARKER = "settings.json"
_SUMMARY = "summary.csv"
_COLUMNS = ("key", "status", "target", "class_name", "probability", "num_selected", "num_variables",
            "num_feature_maps", "energy", "selected_channels", "result", "error")
_DEFAULT_BATCH_SIZE = 16
_ANALYSIS = ("fidelity", "min_gap", "s_min")  # results in a manifest's info kept in the record


@dataclass(frozen=True)
class _Item:
    key: str  # path relative to the input folder (POSIX), the record key
    path: Path
    name: str  # result folder, relative to out


@dataclass(frozen=True)
class BatchReport:
    """What :func:`explain_folder` did.

    Attributes:
        out: The output folder.
        records: One ``results.jsonl`` record per input image, in input order.
        resumed: How many images were already done by an earlier run and skipped.
        summary: Path of ``summary.csv`` (one row per input image).
        settings: The run's settings as stored in ``settings.json`` (with the ``seed`` used).
    """

    out: Path
    records: tuple[dict[str, Any], ...]
    resumed: int
    summary: Path
    settings: dict[str, Any]

    @property
    def done(self) -> list[dict[str, Any]]:
        """Records of the images explained (``status == "done"``)."""
        return [r for r in self.records if r.get("status") == "done"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Records of the images that failed, each with its ``error``."""
        return [r for r in self.records if r.get("status") != "done"]


def _collect(images: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], out: Path) -> list[_Item]:
    """The image files to explain, with their keys and result folder names."""
    if isinstance(images, (str, os.PathLike)):
        root = Path(images).expanduser()
        if root.is_dir():
            skip = out.resolve()
            files = sorted(
                (f for f in root.rglob("*")
                 if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                 and not any(part.startswith(".") for part in f.relative_to(root).parts)
                 and not f.resolve().is_relative_to(skip)),
                key=lambda f: f.relative_to(root).as_posix(),
            )
            if not files:
                raise invalid_argument("images", str(images),
                                       f"holds no image files ({', '.join(IMAGE_SUFFIXES)})",
                                       "point to a folder of JPEG/PNG pictures")
            rels = [f.relative_to(root) for f in files]
        elif root.exists():
            files, rels = [root], [Path(root.name)]
        else:
            raise invalid_argument("images", str(images), "no such folder or image file",
                                   "check the path")
    elif isinstance(images, (list, tuple)):
        if not images:
            raise invalid_argument("images", images, "is an empty list", "pass at least one image path")
        bad = [x for x in images if not isinstance(x, (str, os.PathLike))]
        if bad:
            raise invalid_type("images", bad[0], "a folder or a list of image file paths",
                               "pass paths; for images in memory use hybridxai.explain_batch()")
        files = [Path(x).expanduser() for x in images]
        common = Path(os.path.commonpath([f.resolve().parent for f in files]))
        rels = [f.resolve().relative_to(common) for f in files]
    else:
        raise invalid_type("images", images, "a folder or a list of image file paths",
                           "pass e.g. 'photos/' or ['a.jpg', 'b.jpg']")
    keys = [r.as_posix() for r in rels]
    twice = [k for k, n in Counter(keys).items() if n > 1]
    if twice:
        raise invalid_argument("images", twice[0], "is listed more than once", "list each image once")
    stems = Counter(r.with_suffix("").as_posix() for r in rels)
    items = []
    for path, rel, key in zip(files, rels, keys, strict=True):
        stem = rel.with_suffix("").as_posix()
        name = stem if stems[stem] == 1 else f"{stem}_{rel.suffix.lstrip('.')}"
        items.append(_Item(key=key, path=path, name=name))
    return items


def _model_digest(model: nn.Module) -> str:
    """A short hash of the model's parameters and buffers (tells two models apart)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        t = tensor.detach().to("cpu").contiguous().reshape(-1)
        h.update(f"{name}:{t.dtype}:{tuple(tensor.shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def _record(item: _Item, manifest: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """The ``results.jsonl`` line of an explained image, from its ``manifest.json``.

    All of the manifest but ``info`` (solver details, timing, the source path) and ``versions``
    (in the manifest), plus the analysis results of ``info`` and, apart, the timing: the only
    part that differs between two runs.
    """
    fields = {k: v for k, v in manifest.items() if k not in ("info", "versions")}
    info = manifest.get("info") or {}
    return {
        "key": item.key, "status": "done", "result": item.name, **fields,
        **{k: info[k] for k in _ANALYSIS if k in info},
        "timing": {"batch_s": elapsed, "features_ns": info.get("features_ns"),
                   "solve_ns": info.get("solve_ns")},
    }


def _failure(item: _Item, exc: BaseException) -> dict[str, Any]:
    return {"key": item.key, "status": "failed", "result": None,
            "error": f"{type(exc).__name__}: {exc}"}


def _write_summary(out: Path, records: Sequence[dict[str, Any]]) -> Path:
    """``summary.csv``: one row per image, no timing, so it does not depend on interruptions."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = dict(record)
        row["selected_channels"] = " ".join(map(str, record.get("selected_channels") or []))
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in _COLUMNS})
    path = out / _SUMMARY
    write_atomic(path, lambda p: p.write_text(buffer.getvalue(), encoding="utf-8"))
    return path


def load_results(out: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The records of ``<out>/results.jsonl`` by image key (a torn last line is ignored).

    Args:
        out: The output folder of :func:`explain_folder`.

    Returns:
        ``{key: record}`` (empty if the folder holds no results yet).

    Example:
        >>> load_results("out/photos")["cat.jpg"]["selected_channels"]   # doctest: +SKIP
        [3, 17, 40]
    """
    return read_records(Path(out) / f"{_STAGE}.jsonl")


def _settings(model: nn.Module, *, batch_size: int, target: int | None, layer: LayerLike,
              backend: str | dimod.Sampler, beta: float | None, seed: int, max_qubits: int | None,
              cardinality: int | None, gamma: float, class_names: Sequence[str] | None, analyze: bool,
              sampler_options: dict[str, Any]) -> dict[str, Any]:
    """Everything that changes the results (the transform cannot be fingerprinted; keep it fixed).

    The batch size is one of them: a forward pass may round differently for another batch.
    """
    info = model_info(model)
    if isinstance(layer, (nn.Module, str)):
        layer = resolve_layer(model, layer)[0]
    return {
        "model": info.name if info else type(model).__name__,
        "weights": info.weights if info else None,
        "model_digest": _model_digest(model),
        "batch_size": batch_size,
        "target": target, "layer": layer,
        "backend": backend if isinstance(backend, str) else type(backend).__name__,
        "beta": beta, "seed": seed, "max_qubits": max_qubits, "cardinality": cardinality,
        "gamma": gamma, "analyze": analyze,
        "class_names": list(class_names) if class_names is not None else None,
        "sampler_options": dict(sampler_options),
    }


def explain_folder(
    model: nn.Module,
    images: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    batch_size: int | None = None,
    target: int | None = None,
    layer: LayerLike = None,
    backend: str | dimod.Sampler = "sa",
    beta: float | None = None,
    seed: int | None = None,
    max_qubits: int | None = None,
    cardinality: int | None = None,
    gamma: float = 1.0,
    transform: Callable[[Any], torch.Tensor] | None = None,
    class_names: Sequence[str] | None = None,
    analyze: bool = False,
    progress: bool = True,
    **sampler_options: Any,
) -> BatchReport:
    """Explain every image of a folder (or a list of files), writing each result at once.

    Rerunning into the same ``out`` resumes: recorded images are skipped, and the final
    ``results.jsonl`` / ``summary.csv`` equal those of an uninterrupted run (but for the
    ``timing`` of each record).

    Args:
        model: A CNN classifier (see :func:`hybridxai.explain`).
        images: A folder (searched recursively for :data:`IMAGE_SUFFIXES`; ``out`` and hidden
            files are skipped) or a list of image paths. Each image's key is its path relative
            to the folder (for a list, to the deepest folder holding them all).
        out: Output folder: ``<image-stem>/`` per image (:meth:`Explanation.save`),
            ``results.jsonl``, ``settings.json`` and ``summary.csv``.
        batch_size: Images per forward/backward pass. Part of the settings, since results may
            differ in the last bits with another one: when ``None``, the stored one when
            resuming, else 16.
        target: One class for all images; default each image's predicted class.
        layer: Target layer (module or dotted name); default the last spatial feature maps.
        backend: Solver name or ``dimod.Sampler``.
        beta: Trade-off in [0, 1]; default by problem size (see :func:`hybridxai.explain`).
        seed: Solver seed for every image. When ``None`` one is drawn on the first run, stored
            in ``settings.json`` and reused when resuming.
        max_qubits: Keep only the most important maps.
        cardinality: Optional target number of maps.
        gamma: Penalty strength for ``cardinality``.
        transform: Preprocessing of the pictures; default the model's registered one. It is
            not fingerprinted: keep it the same when resuming.
        class_names: Names of the classes; default the registered ones.
        analyze: Also compute the minimum gap.
        progress: Show a progress bar.
        **sampler_options: Passed to the sampler (``num_reads`` …).

    Returns:
        A :class:`BatchReport`; failed images are in ``report.failed`` with their error.

    Raises:
        InvalidArgumentError: Bad arguments, no images, or ``out`` holding a run made with
            other settings.
    """
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    if batch_size is not None:
        check_positive_int("batch_size", batch_size, "pass e.g. 16, or None (the stored one, else 16)")
    check_seed(seed)
    check_target(target, "pass one class index for all images, or None for the predicted ones")
    info = model_info(model)
    transform = transform if transform is not None else (info.transform if info else None)
    if transform is None:
        raise invalid_argument("transform", None, "the model's preprocessing is unknown",
                               "pass transform=weights.transforms() (torchvision) or your own, or "
                               "load the model with hybridxai.load_pretrained()")
    folder = output_folder(out, "out")
    items = _collect(images, folder)
    stored = RecordStore.stored_settings(folder, subfolder="", marker=_MARKER)
    previous = stored or {}
    if seed is None:  # left out: the stored one when resuming, else a new one
        seed = previous["seed"] if previous.get("seed") is not None else draw_seed()
    if batch_size is None:
        batch_size = previous.get("batch_size") or _DEFAULT_BATCH_SIZE
    batch_size = int(batch_size)
    settings = _settings(model, batch_size=batch_size, target=target, layer=layer, backend=backend,
                         beta=beta, seed=int(seed), max_qubits=max_qubits, cardinality=cardinality,
                         gamma=gamma, class_names=class_names, analyze=analyze,
                         sampler_options=sampler_options)
    store = RecordStore(folder, settings_fingerprint(settings), settings, subfolder="", marker=_MARKER)
    results = store.load(_STAGE)
    resumed = sum(1 for item in items if results.get(item.key, {}).get("status") == "done")
    options = dict(target=target, layer=layer, backend=backend, beta=beta, seed=int(seed),
                   max_qubits=max_qubits, cardinality=cardinality, gamma=gamma, transform=transform,
                   class_names=class_names, analyze=analyze, progress=False, **sampler_options)
    bar = tqdm(total=len(items), initial=resumed, desc="explain", unit="image", disable=not progress)
    done = {key for key, record in results.items() if record.get("status") == "done"}
    try:
        for batch in pending_batches([item.key for item in items], batch_size, done):
            chunk = [items[p] for p in batch.positions]
            _run_batch(model, chunk, batch, folder, store, results, options, bar)
    except BaseException:
        if stored is None and not any(r.get("status") == "done" for r in results.values()):
            # Nothing was explained (e.g. a bad option): leave no settings behind, so a
            # corrected rerun into the same folder is not refused.
            for name in (_MARKER, f"{_STAGE}.jsonl"):
                (folder / name).unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    records = tuple(results[item.key] for item in items)
    return BatchReport(out=folder, records=records, resumed=resumed,
                       summary=_write_summary(folder, records), settings=store.settings)


def _run_batch(model: nn.Module, chunk: Sequence[_Item], batch: PendingBatch, out: Path,
               store: RecordStore, results: dict[str, dict[str, Any]], options: dict[str, Any],
               bar: Any) -> None:
    """Explain one batch whole; save its missing images' folders, then record them in one write."""
    from hybridxai.explainer.pipeline import explain_batch

    t0 = time.perf_counter()
    records: dict[str, dict[str, Any]] = {}
    loaded: dict[tuple[int, ...], list[tuple[_Item, torch.Tensor]]] = {}
    for item in chunk:
        try:
            tensor = prepare_images(item.path, options["transform"], name="image").batch
        except Exception as exc:  # an unreadable or unusable file: record it, go on
            records[item.key] = _failure(item, exc)
            continue
        loaded.setdefault(tuple(tensor.shape), []).append((item, tensor))
    for group in loaded.values():  # images of different sizes cannot share a pass
        explanations = explain_batch(model, torch.cat([t for _, t in group]), **options)
        elapsed = time.perf_counter() - t0
        for (item, _), e in zip(group, explanations, strict=True):
            if item.key in batch.missing:
                e = replace(e, info={**e.info, "source": str(item.path)})  # not "tensor"
                manifest = json.loads(e.save(out / item.name)["manifest"].read_text(encoding="utf-8"))
                records[item.key] = _record(item, manifest, elapsed)
    new = batch.new_records(records[item.key] for item in chunk if item.key in records)
    store.append(_STAGE, new)
    for record in new:
        results[record["key"]] = json.loads(json.dumps(to_jsonable(record)))  # as it reads back
        bar.update(1)
        if record["status"] != "done":
            bar.write(f"failed: {record['key']}: {record['error']}")

