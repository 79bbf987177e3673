"""One real feature-selection QUBO, annealed on three simulators, with its gap and fidelity.

Builds the QUBO of skimage's "chelsea" photo on the 10 most important maps of MobileNetV2's
last layer, runs the same digitized anneal on the native statevector annealer, Qiskit Aer and
PennyLane (their final states agree to rounding), then computes the minimum gap along the
anneal and the final fidelity for several anneal times, and writes both plots.

Run:  python examples/02_anneal_physics.py [--qubits 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import hybridxai
from hybridxai.analysis import fidelity_curve, min_gap
from hybridxai.vision.features import extract_features
from hybridxai.vision.images import prepare_images
from hybridxai.vision.models import model_info
from hybridxai.vision.samples import load_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qubits", type=int, default=10)
    parser.add_argument("--beta", type=float, default=0.7)
    parser.add_argument("--out", default="hybridxai-out/example-02")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = hybridxai.load_pretrained("mobilenet_v2")
    batch = prepare_images(load_sample("chelsea"), model_info(model).transform).batch
    features = extract_features(model, batch)
    qubo = hybridxai.build_qubo(features.activations[0], features.gradients[0], beta=args.beta,
                                max_qubits=args.qubits)
    print(f"QUBO: d = {qubo.num_variables} qubits (channels {qubo.channels}), beta = {qubo.beta}")

    settings = dict(total_time=10.0, num_steps=1000)
    states = {}
    for name in ("statevector", "aer", "pennylane"):
        sampler = hybridxai.get_sampler(name)
        t0 = time.perf_counter()
        states[name] = sampler.final_state(qubo.bqm, **settings)
        result = sampler.sample(qubo.bqm, seed=0, **settings)
        print(f"{name:12s} {time.perf_counter() - t0:6.2f} s  fidelity {result.info['fidelity']:.4f}  "
              f"best sample energy {result.first.energy:.5f} (ground {result.info['ground_energy']:.5f})")
    for name in ("aer", "pennylane"):
        print(f"max |ψ_statevector − ψ_{name}| = {np.max(np.abs(states['statevector'] - states[name])):.2e}")

    gap = min_gap(qubo.bqm)
    print(f"minimum gap Δ_min = {gap.min_gap:.6f} at s* = {gap.s_min:.4f} "
          f"({len(gap.s)} points, {gap.seconds:.1f} s)")
    gap.plot(out / "gap.png")

    curve = fidelity_curve(qubo.bqm, [1, 3, 10, 30, 100], method="statevector")
    for t, f in zip(curve.total_times, curve.fidelities, strict=True):
        print(f"T = {t:5.0f}: fidelity {f:.4f}")
    curve.plot(out / "fidelity_vs_T.png")
    print(f"plots: {out / 'gap.png'}, {out / 'fidelity_vs_T.png'}")


if __name__ == "__main__":
    main()
