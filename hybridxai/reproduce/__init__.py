"""Reproduce the paper's tables and figures: ``hybridxai reproduce`` or :func:`reproduce`.

A run draws test images, explains them with the shipped paper models (restricted N_f = 16, 24,
32 and full), measures Average Drop, the class–class maps, the beta dependence and the annealing
physics, and writes ``report.md`` with PNG figures. Results are written per image as they are
computed (``records/``), so an interrupted run resumes where it stopped.

Example:
    >>> from hybridxai.reproduce import ReproduceConfig, reproduce          # doctest: +SKIP
    >>> reproduce(ReproduceConfig.quick_variant(), "out/repro")             # doctest: +SKIP
    PosixPath('out/repro/report.md')
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hybridxai.reproduce.config import ReproduceConfig
from hybridxai.reproduce.store import RecordStore

__all__ = ["ReproduceConfig", "reproduce"]


def reproduce(config: ReproduceConfig, out: str | os.PathLike[str], *, progress: bool = True) -> Path:
    """Run (or resume) a reproduction and write its report.

    Args:
        config: The settings (:meth:`ReproduceConfig.quick_variant` for the quick one).
        out: Run directory; created if missing. Rerunning into the same directory with the same
            settings resumes; with other settings it is refused.
        progress: Show progress bars.

    Returns:
        The path of ``report.md``.
    """
    from hybridxai.models.paper import load_paper_model
    from hybridxai.reproduce.report import write_report
    from hybridxai.reproduce.stages import run_full, run_physics, run_restricted, select_test_images

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    store = RecordStore(folder, config.fingerprint(), config.to_dict())
    study = select_test_images(config)
    elapsed: dict[str, float] = {}

    def timed(name: str, fn, *args) -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        fn(*args)
        elapsed[name] = time.perf_counter() - t0

    models = {nf: load_paper_model(config.dataset, "restricted", nf, config.backbone,
                                   directory=config.checkpoints)
              for nf in config.num_filters}
    timed("restricted16", run_restricted, models[16], study, config, store, progress)
    full = load_paper_model(config.dataset, "full", backbone=config.backbone,
                            directory=config.checkpoints)
    timed("full", run_full, full, study, config, store, progress)
    for nf, model in models.items():
        timed(f"physics{nf}", run_physics, model, nf, study, config, store, progress)
    return write_report(folder, config, store, study.classes, elapsed)
