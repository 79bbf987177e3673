"""Select feature maps on a D-Wave quantum annealer (or Ocean's mock QPU when Leap is not set up).

The QUBO comes from hybridxai.build_qubo on synthetic feature maps (smooth blobs on a 7×7 grid,
like a CNN's last layer), capped at 12 variables so it embeds easily.

Run:  python examples/03_dwave.py [--mock] [--num-reads N] [--out DIR]

With a Leap account (``dwave config create`` or DWAVE_API_TOKEN), this uses real QPU time:
about 15-40 ms per run of 100 reads (see docs/hardware.md). Without one, or with --mock, it
runs on dwave.system.testing.MockDWaveSampler, which has the QPU's interface and topology but
samples with a classical steepest-descent solver.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import dimod

import hybridxai
from hybridxai.analysis import synthetic_feature_maps
from hybridxai.exceptions import ConfigurationError, ServiceUnavailableError


def make_sampler(force_mock: bool, raw_dir: Path):
    """The real QPU sampler when Leap is configured, else the mock (and say so)."""
    from dwave.system.testing import MockDWaveSampler

    if not force_mock:
        try:
            return hybridxai.get_sampler("dwave", raw_results_dir=raw_dir), False
        except ConfigurationError as exc:
            print(f"No Leap account configured, using MockDWaveSampler instead.\n  ({exc})\n")
    else:
        print("--mock given: using MockDWaveSampler (no QPU time is used).\n")
    mock = MockDWaveSampler(topology_type="pegasus")
    return hybridxai.get_sampler("dwave", child=mock, raw_results_dir=raw_dir), True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mock", action="store_true", help="never use the real QPU")
    parser.add_argument("--num-reads", type=int, default=100)
    parser.add_argument("--out", default="hybridxai-out/example-03")
    args = parser.parse_args()

    activations, gradients = synthetic_feature_maps(48)
    qubo = hybridxai.build_qubo(activations, gradients, beta=0.7, max_qubits=12)
    print(f"QUBO: {qubo.num_variables} of {qubo.num_positive} positive feature maps "
          f"(channels {list(qubo.channels)})")

    raw_dir = Path(args.out) / "raw"
    sampler, is_mock = make_sampler(args.mock, raw_dir)
    try:
        sampleset = sampler.sample(qubo.bqm, num_reads=args.num_reads, seed=0)
    except ServiceUnavailableError as exc:
        print(f"Leap cannot be reached, falling back to MockDWaveSampler.\n  ({exc})\n")
        sampler, is_mock = make_sampler(True, raw_dir)
        sampleset = sampler.sample(qubo.bqm, num_reads=args.num_reads, seed=0)

    info = sampleset.info
    best = sampleset.first
    selected = qubo.interpret(best.sample)
    exact = dimod.ExactSolver().sample(qubo.bqm).first
    print(f"solver: {info['solver']}{' (mock)' if is_mock else ''}")
    print(f"selected channels: {list(selected)}  energy {best.energy:.4f} "
          f"(exact ground energy {exact.energy:.4f})")
    chains = info["embedding"]["embedding"]
    print(f"embedding: {sum(len(c) for c in chains.values())} physical qubits for "
          f"{len(chains)} variables, longest chain {max(len(c) for c in chains.values())}")
    print(f"chain strength {info['chain_strength']:.3f} (uniform torque compensation), "
          f"mean chain-break fraction {info['chain_break_fraction']:.3f}")
    timing = info["timing"]
    print(f"QPU access time {timing.get('qpu_access_time_us', float('nan')) / 1000:.2f} ms "
          f"(programming {timing.get('qpu_programming_time_us', float('nan')) / 1000:.2f} ms, "
          f"sampling {timing.get('qpu_sampling_time_us', float('nan')) / 1000:.2f} ms)"
          + ("  [mock: fixed demonstration values]" if is_mock else ""))
    print(f"wall clock: embedding search {timing['embedding_search_ns'] / 1e6:.1f} ms, "
          f"sampling {timing['sampling_ns'] / 1e6:.1f} ms")
    print(f"raw solver answer saved to: {info['raw_results_path']}")


if __name__ == "__main__":
    main()
