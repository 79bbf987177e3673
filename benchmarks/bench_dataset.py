"""Dataset throughput: images per second of the reproduction's per-image work.

Runs the reproduction (Fashion-MNIST, the shipped paper models, ``ReproduceConfig.quick_variant``
settings with ``--per-class`` images of each class) once on one process (``SerialExecutor``)
and once on local worker processes (``ProcessExecutor``), each into a fresh folder, and reports
for every stage the images per second and the speed-up. Both runs must produce identical
records (checked: every selection, label and key exactly, floats to 1e-5 relative). The peer is
pytorch-grad-cam's GradCAM on the full model over the same
images and batch size: the per-image work of a plain saliency-map run.

Stages (see ``hybridxai/reproduce/stages.py``): ``restricted16`` (GradCAM, GradCAM++, native
anneal of d ≤ 16, the exact beta sweep, masked confidences), ``full`` (GradCAM, GradCAM++, SA
on all ~640 maps at each beta, masked confidences), ``physics<N_f>`` (minimum gap, fidelity
against T, couplings).

With ``--dask`` a third run goes to a local Dask cluster (``distributed.LocalCluster`` with
``--workers`` single-threaded worker processes, reached through its scheduler address exactly as
``hybridxai reproduce --scheduler ADDRESS`` reaches a real one); its records must equal the
serial run's too.

Run:  python benchmarks/bench_dataset.py [--per-class 3] [--workers 2] [--dask]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402

from hybridxai.reproduce import ReproduceConfig, reproduce  # noqa: E402
from hybridxai.runs.execution import ProcessExecutor, SerialExecutor, make_executor  # noqa: E402


def _records(folder: Path) -> dict[str, list[str]]:
    """Every stage's JSONL lines, sorted (the order in which units finish may differ)."""
    return {path.name: sorted(path.read_text(encoding="utf-8").splitlines())
            for path in sorted((folder / "records").glob("*.jsonl"))}


def _same(a: object, b: object, rel: float = 1e-5) -> bool:
    """Equal structure, keys and discrete values; floats to ``rel`` (as tests/reproduce/test_parallel.py).

    The ``full`` stage's float32 forward pass of the whole MobileNetV2 rounds differently in a
    worker process than in the caller's, moving Y, O and SA energies in the 7th digit
    (docs/reproduction.md, "Identical results"); selections and labels must still match exactly.
    """
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(
            _same(x, y, rel) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-9
    return a == b


def _compare(one: Path, other: Path) -> tuple[bool, bool]:
    """(bit-identical, identical up to float rounding) for two runs' records."""
    a, b = _records(one), _records(other)
    if a == b:
        return True, True
    parsed = [{stage: {(rec := json.loads(line))["key"]: rec for line in lines} for stage, lines in r.items()}
              for r in (a, b)]  # records by image key: sorted lines would pair different images
    return False, _same(*parsed)


def _run(config: ReproduceConfig, executor, folder: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    with executor:
        reproduce(config, folder, progress=False, executor=executor)
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))["elapsed_s"]


def gradcam_rate(config: ReproduceConfig, repeat: int = 2) -> float:
    """Images per second of pytorch-grad-cam's GradCAM on the full model, same images and batches."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from hybridxai.reproduce.stages import select_test_images
    from hybridxai.vision.models import load_paper_model, model_info

    torch.set_num_threads(1)  # as inside the executors' units
    study = select_test_images(config)
    model = load_paper_model(config.dataset, "full", backbone=config.backbone)
    layer = model.get_submodule(model_info(model).default_layer)
    prep = study.images.preprocessing
    positions = list(range(len(study)))
    batches = [positions[i:i + config.batch_size] for i in range(0, len(positions), config.batch_size)]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        with GradCAM(model=model, target_layers=[layer]) as cam:
            for batch in batches:
                # the paper models' backbone is frozen: without an input that requires grad,
                # no gradient reaches the target layer and pytorch-grad-cam gets none
                inputs = prep.normalize(study.images.pixels_batch(batch)).requires_grad_(True)
                cam(inputs, targets=[ClassifierOutputTarget(int(study.labels[p])) for p in batch])
        best = min(best, time.perf_counter() - t0)
    return len(study) / best


def main(argv: list[str] | None = None) -> int:
    """Print the throughput table; return 1 if the two runs' records differ."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=3, help="test images per class (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--dask", action="store_true",
                        help="also run on a local Dask cluster of --workers worker processes")
    args = parser.parse_args(argv)
    config = ReproduceConfig.quick_variant(per_class=args.per_class)
    n = 10 * args.per_class
    with tempfile.TemporaryDirectory() as tmp:
        serial = _run(config, SerialExecutor(), Path(tmp) / "serial")
        parallel = _run(config, ProcessExecutor(workers=args.workers), Path(tmp) / "processes")
        exact, identical = _compare(Path(tmp) / "serial", Path(tmp) / "processes")
        dask = None
        if args.dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                dask = _run(config, make_executor(scheduler=cluster.scheduler_address), Path(tmp) / "dask")
            dask_exact, dask_identical = _compare(Path(tmp) / "serial", Path(tmp) / "dask")
    peer = gradcam_rate(config)
    rows = []
    for stage in serial:
        s_rate, p_rate = n / serial[stage], n / parallel[stage]
        rows.append([stage, n, round(serial[stage], 1), round(s_rate, 2), round(parallel[stage], 1),
                     round(p_rate, 2), round(p_rate / s_rate, 2), round(p_rate / peer, 3)])
    total_s, total_p = sum(serial.values()), sum(parallel.values())
    rows.append(["all stages", n, round(total_s, 1), round(n / total_s, 3), round(total_p, 1),
                 round(n / total_p, 3), round(total_s / total_p, 2), "—"])
    print_table(
        f"Reproduction throughput (Fashion-MNIST, {n} images; pytorch-grad-cam GradCAM on the full "
        f"model: {peer:.1f} images/s, 1 thread)",
        ["stage", "images", "1 process s", "images/s", f"{args.workers} processes s", "images/s",
         "speed-up", "÷ GradCAM rate"],
        rows,
    )
    print(f"records of the two runs identical: {identical} (bit for bit: {exact}; else floats to 1e-5)")
    if dask is not None:
        print_table(
            f"The same on a local Dask cluster ({args.workers} single-threaded worker processes)",
            ["stage", "1 process s", "Dask s", "images/s", "speed-up"],
            [[stage, round(serial[stage], 1), round(dask[stage], 1), round(n / dask[stage], 2),
              round(serial[stage] / dask[stage], 2)] for stage in serial]
            + [["all stages", round(total_s, 1), round(sum(dask.values()), 1),
                round(n / sum(dask.values()), 3), round(total_s / sum(dask.values()), 2)]],
        )
        print(f"records of the Dask run identical to the serial run's: {dask_identical} "
              f"(bit for bit: {dask_exact})")
        identical = identical and dask_identical
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
