"""Explain latency against pytorch-grad-cam, and the quality of the "sa" selection.

Latency: ``hybridxai.explain(backend="sa")`` (forward, backward, QUBO, SA, map) against
``pytorch_grad_cam.GradCAM`` (forward, backward, map) on the same model, layer and input, at
224 px, batch 1 and 16. ResNet-18 runs with random weights when its pretrained weights cannot
be downloaded (the latency of both methods does not depend on the weights; the QUBO size does,
through the number of positive maps, which is reported).

Quality: on a set of real images, how often the default "sa" selection reaches the best known
energy (minimum over long runs of several solvers).

Run:  python benchmarks/bench_explain.py [--images 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_time, feature_qubos, photo_batch, print_table  # noqa: E402

import hybridxai  # noqa: E402
from hybridxai.vision.images import prepare_images  # noqa: E402
from hybridxai.vision.models import ModelInfo, model_info, register_model_info  # noqa: E402


def _models() -> list[tuple[str, torch.nn.Module, str]]:
    import torchvision

    mobilenet = hybridxai.load_pretrained("mobilenet_v2")
    try:
        resnet = hybridxai.load_pretrained("resnet18")
        label = "resnet18 (ImageNet)"
    except OSError:
        resnet = torchvision.models.resnet18().eval()
        register_model_info(resnet, ModelInfo("resnet18", model_info(mobilenet).transform, None,
                                              default_layer="layer4.1"))
        label = "resnet18 (random weights)"
    return [("mobilenet_v2 (ImageNet)", mobilenet, "features.18"), (label, resnet, "layer4.1")]


def latency(repeat: int) -> list[list[object]]:
    """Rows: model, batch, GradCAM s, explain s, ratio, mean d."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    rows = []
    photos = photo_batch(16)
    for label, model, layer in _models():
        transform = model_info(model).transform
        for batch in (1, 16):
            x = prepare_images(photos[:batch], transform).batch
            with torch.no_grad():
                targets = model(x).argmax(1).tolist()
            module = model.get_submodule(layer)

            def run_gradcam(model=model, module=module, x=x, targets=targets) -> np.ndarray:
                with GradCAM(model=model, target_layers=[module]) as cam:
                    return cam(input_tensor=x, targets=[ClassifierOutputTarget(t) for t in targets])

            def run_explain(model=model, x=x, layer=layer) -> list[hybridxai.Explanation]:
                return hybridxai.explain_batch(model, x, layer=layer, backend="sa", seed=0,
                                               progress=False)

            t_cam, _ = best_time(run_gradcam, repeat)
            t_ours, result = best_time(run_explain, repeat)
            d = float(np.mean([e.qubo.num_variables for e in result]))
            rows.append([label, batch, t_cam, t_ours, t_ours / t_cam, d])
    return rows


def quality(num_images: int) -> list[list[object]]:
    """Rows: how often each solver setting reaches the best known energy."""
    from dwave.samplers import SimulatedAnnealingSampler as DWaveSA
    from dwave.samplers import TabuSampler

    sampler = hybridxai.get_sampler("sa")
    qubos = feature_qubos(num_images, 0.99)
    energies: dict[str, list[float]] = {"sa default": [], "sa 20x2000": [], "dwave-sa 20x2000": [],
                                        "tabu 4x": []}
    for q in qubos:
        energies["sa default"].append(sampler.sample(q.bqm, seed=0).first.energy)
        energies["sa 20x2000"].append(
            sampler.sample(q.bqm, seed=1, num_reads=20, num_sweeps=2000).first.energy)
        energies["dwave-sa 20x2000"].append(
            DWaveSA().sample(q.bqm, seed=2, num_reads=20, num_sweeps=2000).first.energy)
        energies["tabu 4x"].append(TabuSampler().sample(q.bqm, seed=3, num_reads=4).first.energy)
    best = np.min(np.array(list(energies.values())), axis=0)
    rows = []
    for name, values in energies.items():
        gap = np.array(values) - best
        hits = np.isclose(values, best, rtol=1e-9, atol=1e-9)
        rows.append([name, len(values), float(hits.mean() * 100), float(gap.max())])
    return rows


def main(argv: list[str] | None = None) -> list[str]:
    """Run both parts; return the Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    tables = [print_table(
        "explain(backend='sa') vs pytorch-grad-cam GradCAM (224 px)",
        ["model", "batch", "GradCAM s", "explain s", "ratio (target <= 1.5)", "mean d"],
        latency(args.repeat))]
    if not args.skip_quality:
        tables.append(print_table(
            f"Selection quality on {args.images} real images (MobileNetV2, all positive maps, beta=0.99)",
            ["solver", "images", "% at best known", "worst excess energy"], quality(args.images)))
    return tables


if __name__ == "__main__":
    main()
