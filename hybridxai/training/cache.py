"""Backbone features computed once and stored on disk (float16), so heads train in seconds.

With a frozen backbone, every epoch would recompute the same backbone outputs; on a small CPU
that is almost all the cost. :func:`cache_features` runs the backbone once per picture and
stores, in one pass:

* ``stage.npy`` — the 14×14 stage maps (MobileNetV2 ``features[:14]``: 96×14×14), input of the
  restricted head;
* ``pooled.npy`` — the last block's maps (``features[14:]``: 1280×7×7) after global average
  pooling, input of the full model's linear head (the pooling is the first thing that head
  does, so nothing is lost);
* ``labels.npy``.

Arrays are ``.npy`` memory maps under ``<cache_dir>/<key>/``; ``key`` hashes the data set, the
exact item indices, the preprocessing and the backbone weights, so a changed split never reuses
a stale cache. An interrupted run resumes where it stopped (``meta.json`` records progress).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai._util.paths import user_cache_dir
from hybridxai.exceptions import invalid_argument
from hybridxai.vision.data.datasets import LabelledImages

__all__ = ["CachedFeatures", "cache_features", "cache_key", "default_cache_dir"]

_VERSION = 1


def default_cache_dir() -> Path:
    r"""``$HYBRIDXAI_CACHE`` when set, else ``features`` in hybridxai's user cache folder.

    The user cache folder comes from :mod:`platformdirs` (:mod:`hybridxai._util.paths`):
    ``~/.cache/hybridxai/features`` on Linux (under ``$XDG_CACHE_HOME`` when set),
    ``~/Library/Caches/hybridxai/features`` on macOS, ``%LOCALAPPDATA%\hybridxai\Cache\features``
    on Windows.

    Example:
        >>> default_cache_dir().name
        'features'
    """
    return user_cache_dir("features", env="HYBRIDXAI_CACHE")


@dataclass(frozen=True)
class CachedFeatures:
    """Backbone outputs of one split.

    Attributes:
        stage: ``N×C×h×w`` float16 (memory-mapped) stage maps.
        pooled: ``N×K`` float16 globally pooled last-block maps.
        labels: ``N`` int64 labels.
        path: The cache folder.
        seconds: Time spent computing (0 when everything was already cached).
    """

    stage: NDArray[np.float16]
    pooled: NDArray[np.float16]
    labels: NDArray[np.int64]
    path: Path
    seconds: float

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def inputs(self, kind: str) -> torch.Tensor:
        """The head inputs for ``kind`` (``"restricted"`` → stage, ``"full"`` → pooled).

        Returns:
            An in-memory float16 tensor (a copy of the memory map).
        """
        if kind not in ("restricted", "full"):
            raise invalid_argument("kind", kind, "unknown model kind",
                                   "pass 'restricted' or 'full'")
        return torch.from_numpy(np.array(self.stage if kind == "restricted" else self.pooled))


def cache_key(images: LabelledImages, identity: dict[str, Any]) -> str:
    """A short hash of the items, their preprocessing and the backbone ``identity``."""
    digest = hashlib.sha256()
    description = {
        "version": _VERSION, "dataset": images.source.name, "split": images.source.split,
        "num_source_items": len(images.source),
        "preprocessing": images.preprocessing.to_dict(), **identity,
    }
    digest.update(json.dumps(description, sort_keys=True, default=str).encode())
    digest.update(np.ascontiguousarray(images.indices, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    tmp = path / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    tmp.replace(path / "meta.json")


def _channels_last(module: nn.Module) -> nn.Module:
    return copy.deepcopy(module).to(memory_format=torch.channels_last).eval()


@torch.inference_mode()
def cache_features(
    images: LabelledImages,
    stage: nn.Module,
    tail: nn.Module,
    cache_dir: str | Path | None = None,
    *,
    identity: dict[str, Any] | None = None,
    batch_size: int = 32,
    progress: bool = True,
    desc: str = "features",
) -> CachedFeatures:
    """Compute (or reuse) the stage maps and pooled last-block maps of every item.

    Args:
        images: The items (a split from :func:`hybridxai.vision.data.load_dataset`).
        stage: Backbone up to the 14×14 stage (see :func:`hybridxai.vision.models.split_backbone`).
        tail: The rest of the backbone, up to the last block.
        cache_dir: Root of the cache; default :func:`default_cache_dir`.
        identity: Plain data identifying the backbone (name, weights); part of the key.
        batch_size: Pictures per forward pass.
        progress: Show a tqdm progress bar.
        desc: Progress bar label.

    Returns:
        The :class:`CachedFeatures`.
    """
    check_positive_int("batch_size", batch_size, "pass e.g. batch_size=32")
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = root / cache_key(images, identity or {})
    path.mkdir(parents=True, exist_ok=True)
    n = len(images)
    meta = _read_meta(path)
    done = int(meta.get("done", 0)) if meta.get("n") == n else 0
    previous_seconds = float(meta.get("seconds", 0.0)) if done else 0.0
    t0 = time.perf_counter()
    if done < n:
        stage_cl, tail_cl = _channels_last(stage), _channels_last(tail)
        probe = images.pixels_batch([0])
        s_probe = stage_cl(images.preprocessing.normalize(probe))
        p_probe = tail_cl(s_probe).mean(dim=(2, 3))
        mode = "r+" if done > 0 else "w+"
        stage_arr = np.lib.format.open_memmap(path / "stage.npy", mode=mode, dtype=np.float16,
                                              shape=(n, *s_probe.shape[1:]))
        pooled_arr = np.lib.format.open_memmap(path / "pooled.npy", mode=mode, dtype=np.float16,
                                               shape=(n, p_probe.shape[1]))
        np.save(path / "labels.npy", images.targets)
        meta = {"n": n, "done": done, "dataset": images.source.name,
                "split": images.source.split, "identity": identity or {},
                "preprocessing": images.preprocessing.to_dict(), "complete": False,
                "seconds": previous_seconds}
        bar = tqdm(total=n, initial=done, desc=desc, unit="img", disable=not progress)
        try:
            for start in range(done, n, batch_size):
                pos = np.arange(start, min(start + batch_size, n))
                x = images.preprocessing.normalize(images.pixels_batch(pos))
                s = stage_cl(x.contiguous(memory_format=torch.channels_last))
                stage_arr[pos] = s.float().contiguous().numpy().astype(np.float16)
                pooled_arr[pos] = tail_cl(s).mean(dim=(2, 3)).numpy().astype(np.float16)
                meta["done"] = int(pos[-1] + 1)
                if meta["done"] == n or (start // batch_size) % 8 == 0:
                    stage_arr.flush()
                    pooled_arr.flush()
                    _write_meta(path, meta)
                bar.update(len(pos))
        finally:
            bar.close()
            stage_arr.flush()
            pooled_arr.flush()
            meta["seconds"] = previous_seconds + time.perf_counter() - t0
            _write_meta(path, meta)
        meta["complete"] = True
        _write_meta(path, meta)
        del stage_arr, pooled_arr
    return CachedFeatures(
        stage=np.load(path / "stage.npy", mmap_mode="r"),
        pooled=np.load(path / "pooled.npy", mmap_mode="r"),
        labels=np.load(path / "labels.npy"),
        path=path,
        seconds=time.perf_counter() - t0 if done < n else 0.0,
    )
