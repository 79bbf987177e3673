"""Run the annealing circuit of a 4-variable feature-selection QUBO on a (fake) IBM device.

Offline by default: ``fake_manila`` is a recorded 5-qubit IBM device whose noise model runs
locally on Qiskit Aer through Qiskit Runtime's SamplerV2 (no account, no cost). With an IBM
Quantum account, pass a real device name (``--backend ibm_brisbane``); that uses Runtime
seconds on your plan (see docs/hardware.md).

Run:  python examples/04_ibm_runtime.py [--backend fake_manila] [--steps 4] [--time 10]
"""

from __future__ import annotations

import argparse

import dimod
import numpy as np

import hybridxai
from hybridxai.analysis import synthetic_feature_maps
from hybridxai.backends.cloud.ibm import noise_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="fake_manila")
    parser.add_argument("--qubits", type=int, default=4)
    parser.add_argument("--steps", type=int, default=4, help="Trotter steps (depth grows with it)")
    parser.add_argument("--time", type=float, default=10.0, help="anneal time T")
    parser.add_argument("--shots", type=int, default=4000)
    args = parser.parse_args()

    activations, gradients = synthetic_feature_maps(32)
    qubo = hybridxai.build_qubo(activations, gradients, beta=0.7, max_qubits=args.qubits)
    print(f"QUBO: channels {list(qubo.channels)}, h = {np.round(qubo.h, 2).tolist()}")

    sampler = hybridxai.get_sampler("ibm-runtime", backend=args.backend, seed=1,
                                    total_time=args.time, num_steps=args.steps)
    sampleset = sampler.sample(qubo.bqm, num_reads=args.shots)
    info = sampleset.info
    exact = dimod.ExactSolver().sample(qubo.bqm).first
    best = sampleset.first
    print(f"device {info['device']} ({'local simulation' if info['local'] else 'IBM Quantum'}):"
          f" depth {info['transpiled_depth']}, {info['two_qubit_gate_count']} two-qubit gates, "
          f"layout {info['layout']}")
    print(f"lowest-energy shot: channels {list(qubo.interpret(best.sample))}, "
          f"energy {best.energy:.4f} (exact ground energy {exact.energy:.4f})")
    most = sampleset.record[np.argmax(sampleset.record.num_occurrences)]
    print(f"most frequent shot: energy {most.energy:.4f}, "
          f"{most.num_occurrences / args.shots:.1%} of shots")
    print(f"ground-state probability on the device: {info['ground_state_probability']:.3f}")
    print(f"Runtime usage: {info['runtime_usage']}")

    report = noise_report(qubo.bqm, args.backend, total_time=args.time, num_steps=args.steps,
                          num_reads=args.shots, seed=1)
    print("\nnoise report:", report)
    print(f"  noiseless shots of the transpiled circuit: {report.ideal_sampled:.3f} "
          f"(exact {report.ideal:.3f})")
    if report.uniform < report.noisy < report.ideal:
        print("  noise pulls the result toward the uniform guess but keeps some of the anneal's "
              "advantage")
    print("  (feature-map QUBOs have small energy scales, so a short digitized anneal reaches "
          "only a modest ground-state probability even without noise)")


if __name__ == "__main__":
    main()
