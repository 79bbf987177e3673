"""Reproduce the paper's tables and figures: ``hybridxai reproduce`` or :func:`reproduce`.

A run draws test images, explains them with the shipped paper models (restricted N_f = 16, 24,
32 and full), measures Average Drop, the class–class maps, the beta dependence and the annealing
physics, and writes ``report.md`` with PNG figures. Results are written per image as they are
computed (``records/``), so an interrupted run resumes where it stopped. The per-image work runs
on any :class:`~hybridxai.runs.execution.Executor` — in this process (the default of :func:`reproduce`),
on local processes (the default of ``hybridxai reproduce``) or on a Dask cluster; the results
are identical.

Example:
    >>> from hybridxai.reproduce import ReproduceConfig, reproduce          # doctest: +SKIP
    >>> reproduce(ReproduceConfig.quick_variant(), "out/repro")             # doctest: +SKIP
    PosixPath('out/repro/report.md')
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridxai.reproduce.config import FULL_STAGE, TABLE_FILTERS, ReproduceConfig
from hybridxai.reproduce.store import RecordStore
from hybridxai.runs.execution import Executor, SerialExecutor, UnitsFailedError

if TYPE_CHECKING:
    import torch

__all__ = ["ReproduceConfig", "reproduce"]


def reproduce(config: ReproduceConfig, out: str | os.PathLike[str], *, progress: bool = True,
              executor: Executor | None = None) -> Path:
    """Run (or resume) a reproduction and write its report.

    Args:
        config: The settings (:meth:`ReproduceConfig.quick_variant` for the quick one).
        out: Run directory; created if missing. Rerunning into the same directory with the same
            settings resumes; with other settings it is refused.
        progress: Show progress bars.
        executor: Where the per-image batches run; default: a
            :class:`~hybridxai.runs.execution.SerialExecutor`, in this process, so a script needs no
            ``if __name__ == "__main__":`` guard. For local processes (what ``hybridxai
            reproduce`` uses) pass ``ProcessExecutor()`` or ``make_executor()``, from a script
            whose entry point is guarded (workers are spawned); for a Dask cluster
            ``make_executor(scheduler=...)``. A given executor is left open. Every executor
            gives the same records, float for float.

    Returns:
        The path of ``report.md``.

    Raises:
        UnitsFailedError: Some images still failed after their retries. Every other image's
            results were kept (in ``records/``) and the failures are listed in
            ``records/<stage>.failed.jsonl``; rerunning the same command retries only them.
    """
    from hybridxai.reproduce.report import write_report
    from hybridxai.reproduce.stages import run_stage, select_test_images
    from hybridxai.vision.models import load_paper_model

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    store = RecordStore(folder, config.fingerprint(), config.to_dict())
    study = select_test_images(config)
    elapsed: dict[str, float] = {}
    failures: list[dict[str, Any]] = []
    runner = SerialExecutor() if executor is None else executor

    def timed(stage: str, model: torch.nn.Module) -> None:
        t0 = time.perf_counter()
        failures.extend(run_stage(stage, model, study, config, store, progress, runner))
        elapsed[stage] = time.perf_counter() - t0

    models = {nf: load_paper_model(config.dataset, "restricted", nf, config.backbone,
                                   directory=config.checkpoints)
              for nf in config.num_filters}
    timed(config.restricted_stage, models[TABLE_FILTERS])
    timed(FULL_STAGE, load_paper_model(config.dataset, "full", backbone=config.backbone,
                                       directory=config.checkpoints))
    for nf, stage in config.physics_stages.items():
        timed(stage, models[nf])
    if failures:
        raise _failed(failures, folder)
    return write_report(folder, config, store, study.classes, elapsed)


def _failed(failures: list[dict[str, Any]], folder: Path) -> UnitsFailedError:
    """The error listing the images that still failed, by stage, with their errors."""
    lines = []
    for stage in dict.fromkeys(f["stage"] for f in failures):
        mine = [f for f in failures if f["stage"] == stage]
        errors = "; ".join(dict.fromkeys(str(f["error"]) for f in mine))
        lines.append(f"  {stage}: images {', '.join(f['key'] for f in mine)} "
                     f"(test indices {', '.join(str(f['test_index']) for f in mine)}): {errors}")
    return UnitsFailedError(
        f"{len(failures)} image(s) still failed after their retries; the results of all other "
        f"images are kept in {folder / 'records'}:\n" + "\n".join(lines) + "\n"
        f"Fix: rerun the same command to retry only these images (tracebacks in "
        f"{folder / 'records'}/<stage>.failed.jsonl).",
        failures,
    )
