"""Explain a real photo with the offline pretrained MobileNetV2, and compare with GradCAM.

Run:  python examples/01_explain.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import hybridxai
from hybridxai.baselines import gradcam
from hybridxai.vision.samples import load_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="hybridxai-out/example-01")
    parser.add_argument("--sample", default="chelsea")
    args = parser.parse_args()

    model = hybridxai.load_pretrained("mobilenet_v2")
    photo = load_sample(args.sample)

    # Feature selection on every positive feature map with simulated annealing.
    explanation = hybridxai.explain(model, photo, seed=0)
    print(explanation.summary())
    paths = explanation.save(Path(args.out) / "sa")
    print("written:", ", ".join(str(p) for p in paths.values()))

    # The same image with a 12-qubit selection solved exactly, for comparison.
    small = hybridxai.explain(model, photo, backend="exact", max_qubits=12, beta=0.7, seed=0)
    print(small.summary())
    small.save(Path(args.out) / "exact-12")

    # GradCAM uses all maps; how close is the selection's map?
    reference = gradcam(model, photo)
    for name, e in (("sa", explanation), ("exact-12", small)):
        corr = np.corrcoef(reference.ravel(), e.saliency.ravel())[0, 1]
        print(f"correlation of the {name} map with GradCAM: {corr:.3f}")


if __name__ == "__main__":
    main()
