"""``hybridxai.explain_folder``: explain many image files, resumably.

Images are explained in batches with :func:`~hybridxai.explain_batch`. As soon as a batch is
done the result folder ``<out>/<image-stem>/`` (PNGs and ``manifest.json``) of each of its
images is written, then one JSON line per image in ``<out>/results.jsonl``, in one write
(flushed and fsynced); each record's ``result`` names the image's folder.

Nothing is lost or overwritten: every input gets its own result folder inside ``out``
(a name that two inputs would share, even by case, that is not a safe file name, or that is
taken by a file hybridxai did not write gets a short hash of the input's key instead, see
:func:`result_names`), every file is written to a temporary file and renamed, the folders a
run writes are claimed in ``<out>/.hybridxai-written.jsonl`` before they are written, and a
lock (``<out>/.hybridxai.lock``) keeps a second run out of the folder while one is running.

Rerunning with the same settings skips the recorded images, so a killed
run loses at most the batch in flight. Batches lie on a fixed grid and a batch with any missing
image is computed again whole (:func:`hybridxai.runs.records.pending_batches`), so the final
``results.jsonl`` and ``summary.csv`` equal those of an uninterrupted run, except for the
``timing`` of each record (the solver seed, drawn when not given, and the batch size are stored
with the settings and reused). Other settings in the same folder are refused. An image that
cannot be read is recorded as failed, with its error; the others go on (failed images are
tried again on the next rerun).

Example:
    >>> import pathlib, tempfile, hybridxai, skimage.data, skimage.io
    >>> from hybridxai.vision.models import load_paper_model
    >>> model = load_paper_model("fashion-mnist", "restricted", 16)
    >>> photos = pathlib.Path(tempfile.mkdtemp())
    >>> skimage.io.imsave(photos / "camera.png", skimage.data.camera())
    >>> skimage.io.imsave(photos / "coins.png", skimage.data.coins())
    >>> report = hybridxai.explain_folder(model, photos, photos / "out", seed=0, progress=False)
    >>> len(report.done), report.failed, report.summary.name
    (2, [], 'summary.csv')
    >>> sorted(load_results(photos / "out"))
    ['camera.png', 'coins.png']
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dimod
import filelock
import torch
from torch import nn

from hybridxai._util.checks import check_positive_int
from hybridxai._util.fileio import is_inside, output_folder, to_jsonable, write_atomic
from hybridxai._util.progress import progress_bar
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.explainer.pipeline import draw_seed
from hybridxai.explainer.settings import ExplainSettings
from hybridxai.runs.records import (
    PendingBatch,
    RecordStore,
    fingerprint_value,
    pending_batches,
    read_records,
    settings_fingerprint,
)
from hybridxai.vision.features.layers import LayerLike, layer_name
from hybridxai.vision.images import prepare_images
from hybridxai.vision.models import model_info
from hybridxai.vision.targets import check_target

__all__ = ["explain_folder", "BatchReport", "IMAGE_SUFFIXES", "load_results", "result_names"]

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
"""File name endings taken as images when ``images`` is a folder (case-insensitive)."""

_STAGE = "results"  # -> <out>/results.jsonl
_MARKER = "settings.json"
_SUMMARY = "summary.csv"
_COLUMNS = ("key", "status", "target", "class_name", "probability", "num_selected", "num_variables",
            "num_feature_maps", "energy", "selected_channels", "result", "error")
_DEFAULT_BATCH_SIZE = 16
_CLAIMS = ".hybridxai-written"  # -> <out>/.hybridxai-written.jsonl: the result folders a run wrote
_LOCK = ".hybridxai.lock"
_RUN_FILES = (_MARKER, f"{_STAGE}.jsonl", _SUMMARY, f"{_CLAIMS}.jsonl", _LOCK)
_SAVED = ("saliency.npy", "saliency.png", "overlay.png", "explanation.png", "manifest.json")
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                               *(f"lpt{i}" for i in range(10))})
_UNSAFE = frozenset('<>:"/\\|?*')
_MAX_COMPONENT = 100  # bytes of a clean folder name (file systems allow 255)
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
        notes: What the user should know, e.g. a result folder put under another name because
            the natural one held files hybridxai did not write.
    """

    out: Path
    records: tuple[dict[str, Any], ...]
    resumed: int
    summary: Path
    settings: dict[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def done(self) -> list[dict[str, Any]]:
        """Records of the images explained (``status == "done"``)."""
        return [r for r in self.records if r.get("status") == "done"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Records of the images that failed, each with its ``error``."""
        return [r for r in self.records if r.get("status") != "done"]


def _empty_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and os.fspath(value) == ""


def _is_result_folder(folder: Path) -> bool:
    """Whether ``folder`` holds hybridxai output (a run, or one saved explanation): not inputs."""
    return ((folder / f"{_CLAIMS}.jsonl").exists() or (folder / _LOCK).exists()
            or all((folder / name).exists() for name in ("manifest.json", "saliency.npy")))


def _scan(root: Path, out: Path) -> list[Path]:
    """The image files under ``root``: not hidden, not in ``out`` or in other hybridxai output."""
    skip = out.resolve()
    found = []
    for here, folders, files in os.walk(root):
        base = Path(here)
        folders[:] = [d for d in folders if not d.startswith(".")
                      and (base / d).resolve() != skip and not _is_result_folder(base / d)]
        found.extend(base / f for f in files
                     if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES)
    return sorted(found, key=lambda f: f.relative_to(root).as_posix())


def _collect(images: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
             out: Path) -> list[tuple[str, Path]]:
    """The image files to explain, each with its key (path relative to the input folder)."""
    if _empty_path(images) or (isinstance(images, (list, tuple)) and any(map(_empty_path, images))):
        raise invalid_argument("images", "", "is an empty path, which would mean the current folder",
                               "pass a folder or an image file; for the current folder pass '.'")
    if isinstance(images, (str, os.PathLike)):
        root = Path(images).expanduser()
        if root.is_dir():
            if root.resolve() == out.resolve():
                raise invalid_argument("out", str(out), "is the input folder itself, so results would "
                                       "be mixed with the pictures", "pass another --out folder")
            files = _scan(root, out)
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
    return list(zip(keys, files, strict=True))


def _fold(name: str) -> str:
    """The form under which two names are the same file on some file system (case, Unicode)."""
    return unicodedata.normalize("NFC", name).casefold()


def _safe(component: str) -> bool:
    """Whether one folder name is the same, and harmless, on every common file system."""
    return (component not in ("", ".", "..") and not component.startswith(".")
            and not component.endswith((" ", ".")) and component == component.strip()
            and not any(c in _UNSAFE or ord(c) < 32 or ord(c) == 127 for c in component)
            and component.split(".")[0].casefold() not in _WINDOWS_RESERVED
            and unicodedata.normalize("NFC", component) == component
            and len(component.encode("utf-8")) <= _MAX_COMPONENT)


def _hashed(key: str, length: int) -> str:
    """``<sanitised stem>-<hash of the key>``: a top-level folder name unique to the input."""
    stem = unicodedata.normalize("NFC", Path(key).stem)
    stem = "".join("_" if c in _UNSAFE or ord(c) < 32 or ord(c) == 127 else c for c in stem)
    stem = stem.strip(" .")
    while len(stem.encode("utf-8")) > 60:
        stem = stem[:-1]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]
    return f"{stem or 'image'}-{digest}"


def _clashes(a: str, b: str) -> bool:
    """Whether two (folded) result names are one folder, or one lies inside the other."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def result_names(keys: Sequence[str], out: str | os.PathLike[str],
                 kept: dict[str, str] | None = None,
                 owned: Collection[str] = ()) -> tuple[dict[str, str], list[str]]:
    """The result folder of each input, relative to ``out``: one per input, inside ``out``.

    An input's folder is its key without the suffix (``cats/tom.jpg`` → ``cats/tom``) when that
    name is a safe file name on every common file system, is shared with no other input even up
    to case and Unicode form (``a.jpg``/``a.png``, ``a.JPG``/``A.jpg``), does not hold or lie in
    another input's folder, is not one of the run's own files (``settings.json`` …), and is free
    in ``out`` (missing, or written by hybridxai). Otherwise it is ``<stem>-<hash of the key>``
    at the top of ``out``. The names depend only on the keys and on what ``out`` holds, so a
    rerun gives the same ones.

    Args:
        keys: The inputs' keys (paths relative to the input folder, POSIX).
        out: The output folder.
        kept: Names already recorded for some keys (by an earlier run); they are kept.
        owned: Names of folders hybridxai wrote in ``out`` (free to write again).

    Returns:
        ``({key: name}, notes)``; a note says which inputs moved because ``out`` held files
        hybridxai did not write there.

    Example:
        >>> names, _ = result_names(["a.jpg", "a.png", "b.png", "x/../..jpg"], "/nonexistent")
        >>> names["b.png"], names["a.jpg"] != names["a.png"], names["a.jpg"].startswith("a-")
        ('b', True, True)
    """
    root = Path(out)
    owned_folded = {_fold(n) for n in owned}
    names = {k: n for k, n in (kept or {}).items() if n and is_inside(root / n, root) and (root / n) != root}
    shared = Counter(_fold(n) for n in names.values())  # an older version's clash: name them afresh
    names = {k: n for k, n in names.items() if shared[_fold(n)] == 1}
    used = [_fold(n) for n in names.values()]
    reserved = {_fold(n) for n in _RUN_FILES}
    notes: list[str] = []
    moved: set[str] = set()

    def free(name: str) -> bool:
        """Nothing in ``out`` that hybridxai did not write is in the way, and it stays inside."""
        target = root / name
        if not is_inside(target, root):
            return False
        parts = Path(name).parts
        for i in range(1, len(parts)):
            prefix = root.joinpath(*parts[:i])
            if prefix.exists() and (not prefix.is_dir() or not is_inside(prefix, root)):
                return False
        return not (target.exists() or target.is_symlink()) or _fold(name) in owned_folded

    todo = [k for k in keys if k not in names]
    plain = {k: Path(k).with_suffix("").as_posix() if Path(k).suffix else k for k in todo}
    count = Counter(_fold(n) for n in plain.values())
    folded_all = list(count)
    for key in todo:
        name = plain[key]
        folded = _fold(name)
        clean = (all(_safe(part) for part in name.split("/")) and count[folded] == 1
                 and folded.split("/")[0] not in reserved
                 and not any(_clashes(folded, other) for other in folded_all if other != folded)
                 and not any(_clashes(folded, u) for u in used))
        if clean and not free(name):
            moved.add(key)
            clean = False
        if clean:
            names[key] = name
            used.append(folded)
    for key in todo:
        if key in names:
            continue
        for length in (10, 16, 32, 64):
            name = _hashed(key, length)
            if not any(_clashes(_fold(name), u) for u in used + folded_all) and free(name):
                break
        else:  # pragma: no cover - a SHA-256 prefix clash on a crafted folder
            raise invalid_argument("out", str(out), f"has no free result folder name for {key!r}",
                                   "use a new --out folder")
        if key in moved:
            notes.append(f"{key}: {root / plain[key]} holds files hybridxai did not write; they are left "
                         f"alone and this image's result goes to {root / name}")
        names[key] = name
        used.append(_fold(name))
    return names, notes


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
        >>> import tempfile
        >>> load_results(tempfile.mkdtemp())   # a folder without results
        {}

        After :func:`explain_folder`, ``load_results(out)["cat.jpg"]["selected_channels"]`` is
        the list of maps selected for ``cat.jpg``.
    """
    return read_records(Path(out) / f"{_STAGE}.jsonl")


def _settings(model: nn.Module, s: ExplainSettings, *, batch_size: int, seed: int) -> dict[str, Any]:
    """Everything that changes the results (the transform cannot be fingerprinted; keep it fixed).

    The batch size is one of them: a forward pass may round differently for another batch.
    ``importance`` is stored only when it is not the default, so that runs written before it
    was a setting of the folder runner resume.
    """
    info = model_info(model)
    layer = s.layer
    if isinstance(layer, (nn.Module, str, list, tuple)):
        layer = layer_name(model, layer)
    settings = {
        "model": info.name if info else type(model).__name__,
        "weights": info.weights if info else None,
        "model_digest": _model_digest(model),
        "batch_size": batch_size,
        "target": s.target, "layer": layer,
        "backend": s.backend if isinstance(s.backend, str) else fingerprint_value(s.backend),
        "beta": s.beta, "seed": seed, "max_qubits": s.max_qubits, "cardinality": s.cardinality,
        "gamma": s.gamma, "analyze": s.analyze,
        "class_names": list(s.class_names) if s.class_names is not None else None,
        "sampler_options": fingerprint_value(dict(s.sampler_options)),
    }
    if s.importance != ExplainSettings.importance:
        settings["importance"] = s.importance
    return settings


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
    importance: str = "gradcam",
    transform: Callable[[Any], torch.Tensor] | None = None,
    class_names: Sequence[str] | None = None,
    analyze: bool = False,
    progress: bool | None = None,
    settings: ExplainSettings | None = None,
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
        importance: How the maps' importance is computed (see :func:`hybridxai.explain`).
        transform: Preprocessing of the pictures; default the model's registered one. It is
            not fingerprinted: keep it the same when resuming.
        class_names: Names of the classes; default the registered ones.
        analyze: Also compute the minimum gap.
        progress: Show a progress bar (``None``, the default, or ``True``), or a
            tqdm-compatible class to draw it with; ``False`` hides it.
        settings: All of the above but ``batch_size`` in one
            :class:`~hybridxai.explainer.settings.ExplainSettings` (then leave them out).
        **sampler_options: Passed to the sampler (``num_reads`` …); a keyword that is neither a
            setting nor an option of the backend raises ``TypeError`` naming the closest names.

    Returns:
        A :class:`BatchReport`; failed images are in ``report.failed`` with their error.

    Raises:
        InvalidArgumentError: Bad arguments, no images, or ``out`` holding a run made with
            other settings.
    """
    # locals() holds just the arguments here: the settings are declared once, by the signature
    s = ExplainSettings.from_keywords(locals(), sampler_options, settings=settings, caller="explain_folder")
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    if batch_size is not None:
        check_positive_int("batch_size", batch_size, "pass e.g. 16, or None (the stored one, else 16)")
    check_target(s.target, "pass one class for all images (an index or a class name), or None for the "
                 "predicted ones")
    s.sampler()  # the backend's pre-flight check, before any file is written or the model runs
    info = model_info(model)
    transform = s.transform if s.transform is not None else (info.transform if info else None)
    if transform is None:
        raise invalid_argument("transform", None, "the model's preprocessing is unknown",
                               "pass transform=weights.transforms() (torchvision) or your own, or "
                               "load the model with hybridxai.load_pretrained()")
    folder = output_folder(out, "out")
    found = _collect(images, folder)
    folder.mkdir(parents=True, exist_ok=True)
    odd = [n for n in _RUN_FILES
           if (folder / n).is_symlink() or ((folder / n).exists() and not (folder / n).is_file())]
    if odd:
        raise invalid_argument("out", str(out), f"holds {', '.join(odd)}, which hybridxai did not write (not "
                               "a plain file) and would have to overwrite",
                               "use a new or empty --out folder, or move those away")
    lock = filelock.FileLock(folder / _LOCK, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise invalid_argument(
            "out", str(out), f"is being written by another hybridxai run right now (it holds "
            f"{folder / _LOCK})", "wait for that run to finish (then rerun to resume it), or pass "
            "another --out folder") from None
    try:
        return _explain_locked(model, found, folder, out, replace(s, transform=transform),
                               batch_size=batch_size)
    finally:
        lock.release()


def _check_run_files(folder: Path, out: Any, stored: dict[str, Any] | None) -> None:
    """Refuse a folder whose run files hybridxai may not write (D3) or cannot trust (S2)."""
    if stored is not None:
        return
    leftovers = [n for n in (f"{_STAGE}.jsonl", f"{_CLAIMS}.jsonl") if (folder / n).exists()]
    if leftovers:
        raise invalid_argument(
            "out", str(out), f"holds results ({', '.join(leftovers)}) but no {_MARKER}, so it cannot "
            "be told whether they were made with these settings", f"restore {folder / _MARKER}, or "
            "use a new --out folder (or delete the old results to start over)")
    foreign = [n for n in (_SUMMARY,) if (folder / n).exists() or (folder / n).is_symlink()]
    if foreign:
        raise invalid_argument(
            "out", str(out), f"holds {', '.join(foreign)}, which hybridxai did not write and would "
            "have to overwrite", "use a new or empty --out folder, or move that file away")


def _discard(folder: Path, owned: Collection[str]) -> None:
    """Remove what a first run that explained nothing wrote (so a corrected rerun is not refused)."""
    for name in owned:
        for file in _SAVED:
            (folder / name / file).unlink(missing_ok=True)
        try:
            (folder / name).rmdir()
        except OSError:
            pass
    for name in (_MARKER, f"{_STAGE}.jsonl", f"{_CLAIMS}.jsonl"):
        (folder / name).unlink(missing_ok=True)


def _explain_locked(model: nn.Module, found: list[tuple[str, Path]], folder: Path, out: Any,
                    s: ExplainSettings, *, batch_size: int | None) -> BatchReport:
    """:func:`explain_folder` once it holds the folder's lock."""
    stored = RecordStore.stored_settings(folder, subfolder="", marker=_MARKER)
    _check_run_files(folder, out, stored)
    previous = stored or {}
    seed = s.seed
    if seed is None:  # left out: the stored one when resuming, else a new one
        seed = previous["seed"] if previous.get("seed") is not None else draw_seed()
    if batch_size is None:
        batch_size = previous.get("batch_size") or _DEFAULT_BATCH_SIZE
    batch_size = int(batch_size)
    settings = _settings(model, s, batch_size=batch_size, seed=int(seed))
    store = RecordStore(folder, settings_fingerprint(settings), settings, subfolder="", marker=_MARKER)
    results = store.load(_STAGE)
    claims = store.load(_CLAIMS)
    keys = dict(found)
    kept = {str(c["key"]): c.get("input") for c in claims.values()}  # name -> input
    kept = {key: name for name, key in kept.items() if key in keys}
    kept |= {key: r["result"] for key in keys if isinstance((r := results.get(key, {})).get("result"), str)}
    owned = set(claims) | {r["result"] for r in results.values() if isinstance(r.get("result"), str)}
    names, notes = result_names(list(keys), folder, kept, owned=owned)
    items = [_Item(key=key, path=path, name=names[key]) for key, path in found]
    resumed = sum(1 for item in items if results.get(item.key, {}).get("status") == "done")
    run = replace(s, seed=int(seed), progress=False)
    bar = progress_bar(s.progress, total=len(items), initial=resumed, desc="explain", unit="image",
                       default=True)
    for note in notes:
        bar.write(f"note: {note}")
    done = {key for key, record in results.items() if record.get("status") == "done"}
    try:
        for batch in pending_batches([item.key for item in items], batch_size, done):
            chunk = [items[p] for p in batch.positions]
            _run_batch(model, chunk, batch, folder, store, results, run, bar)
    except BaseException:
        if stored is None and not any(r.get("status") == "done" for r in results.values()):
            # Nothing was explained (e.g. a bad option): leave no settings behind, so a
            # corrected rerun into the same folder is not refused.
            _discard(folder, store.load(_CLAIMS))
        raise
    finally:
        bar.close()
    records = tuple(results[item.key] for item in items)
    return BatchReport(out=folder, records=records, resumed=resumed,
                       summary=_write_summary(folder, records), settings=store.settings,
                       notes=tuple(notes))


def _run_batch(model: nn.Module, chunk: Sequence[_Item], batch: PendingBatch, out: Path,
               store: RecordStore, results: dict[str, dict[str, Any]], run: ExplainSettings,
               bar: Any) -> None:
    """Explain one batch whole; save its missing images' folders, then record them in one write."""
    from hybridxai.explainer.pipeline import explain_batch  # looked up per call (tests spy on it)

    t0 = time.perf_counter()
    records: dict[str, dict[str, Any]] = {}
    loaded: dict[tuple[int, ...], list[tuple[_Item, torch.Tensor]]] = {}
    for item in chunk:
        try:
            tensor = prepare_images(item.path, run.transform, name="image").batch
        except Exception as exc:  # an unreadable or unusable file: record it, go on
            records[item.key] = _failure(item, exc)
            continue
        loaded.setdefault(tuple(tensor.shape), []).append((item, tensor))
    for group in loaded.values():  # images of different sizes cannot share a pass
        explanations = explain_batch(model, torch.cat([t for _, t in group]), settings=run)
        elapsed = time.perf_counter() - t0
        for (item, _), e in zip(group, explanations, strict=True):
            if item.key in batch.missing:
                target = out / item.name
                if not is_inside(target, out):  # result_names keeps them inside; never write outside
                    raise invalid_argument("out", str(out), f"would receive {item.key}'s result at "
                                           f"{target}, outside it", "use a new --out folder")
                store.append(_CLAIMS, [{"key": item.name, "input": item.key}])  # before writing it
                e = replace(e, info={**e.info, "source": str(item.path)})  # not "tensor"
                manifest = json.loads(e.save(target)["manifest"].read_text(encoding="utf-8"))
                records[item.key] = _record(item, manifest, elapsed)
    new = batch.new_records(records[item.key] for item in chunk if item.key in records)
    store.append(_STAGE, new)
    for record in new:
        results[record["key"]] = json.loads(json.dumps(to_jsonable(record)))  # as it reads back
        bar.update(1)
        if record["status"] != "done":
            bar.write(f"failed: {record['key']}: {record['error']}")

