"""Benchmark: gap-profile speed, and ground-state fidelity of linear vs local-adiabatic schedules.

Part 1 times :func:`hybridxai.analysis.gap_profile` (``E_0``, ``E_1``, gap and ``|<1|∂ₛH|0>|``
on ``--points`` grid points; warm-started block Davidson above 7 qubits) on paper-like
instances (:func:`hybridxai.analysis.random_feature_qubo`). Targets: ``d = 16`` under 10 s,
``d = 20`` under 2 min.

Part 2 anneals ``--instances`` instances per size with the native statevector sampler at
``T = --total-time`` (``dt = 0.01``) under ``schedule="linear"`` and
``schedule="local-adiabatic"`` (and, with ``--strict``, the strict rule ``ds/dt ∝ g²/m``) and
prints the median ground-state fidelities and ratios.

Usage::

    python benchmarks/bench_gap_profile.py                              # d = 16, 20; 20 x d = 8
    python benchmarks/bench_gap_profile.py --profile-d 12 16 --fidelity-d 8 10 --instances 20
    python benchmarks/bench_gap_profile.py --profile-d --fidelity-d 8 --instances 5   # quick
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hybridxai.analysis import gap_profile, random_feature_qubo
from hybridxai.anneal.schedules import local_adiabatic_schedule
from hybridxai.backends.statevector import StatevectorAnnealingSampler


def time_profiles(sizes: list[int], points: int, seed: int, tol: float) -> None:
    """Print the wall time of one gap profile per size."""
    print(f"gap_profile, {points} points, tol {tol:g}, driver 'unit', paper-like instance seed {seed}")
    print(f"{'d':>3} {'seconds':>9} {'solver':>9} {'matvecs':>9} {'min gap':>10} {'s*':>7}")
    for d in sizes:
        bqm = random_feature_qubo(d, seed)
        t0 = time.perf_counter()
        profile = gap_profile(bqm, points, tol=tol)
        seconds = time.perf_counter() - t0
        print(f"{d:>3} {seconds:>9.2f} {profile.solver:>9} {profile.matvecs:>9} "
              f"{profile.min_gap:>10.4g} {profile.s_min:>7.3f}", flush=True)


def compare_fidelity(sizes: list[int], instances: int, total_time: float, strict: bool) -> None:
    """Print median fidelities of the schedules over ``instances`` instances per size."""
    schedules: dict[str, object] = {"linear": "linear", "local-adiabatic": "local-adiabatic"}
    if strict:
        schedules["strict (a=1, b=2)"] = local_adiabatic_schedule(1.0, 2.0)
    sampler = StatevectorAnnealingSampler(total_time=total_time, seed=0)
    print(f"\nground-state fidelity at T = {total_time:g} (dt = 0.01), {instances} instances per size")
    for d in sizes:
        results: dict[str, list[float]] = {name: [] for name in schedules}
        t0 = time.perf_counter()
        for seed in range(instances):
            bqm = random_feature_qubo(d, seed)
            for name, schedule in schedules.items():
                info = sampler.sample(bqm, schedule=schedule, num_reads=1).info
                results[name].append(float(info["fidelity"]))
        linear = np.array(results["linear"])
        print(f"d = {d} ({time.perf_counter() - t0:.1f} s)")
        for name, values in results.items():
            values_ = np.array(values)
            print(f"  {name:<20} median F = {statistics.median(values):.4f}   "
                  f"ratio of medians = {statistics.median(values) / statistics.median(linear):.2f}   "
                  f"median per-instance ratio = {float(np.median(values_ / linear)):.2f}   "
                  f"better on {int(np.sum(values_ > linear))}/{instances}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile-d", type=int, nargs="*", default=[16, 20])
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--tol", type=float, default=1e-10,
                        help="eigenvalue accuracy (gap-aware schedules use 1e-7)")
    parser.add_argument("--fidelity-d", type=int, nargs="*", default=[8])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--total-time", type=float, default=100.0)
    parser.add_argument("--strict", action="store_true", help="also the strict rule (a=1, b=2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.profile_d:
        time_profiles(args.profile_d, args.points, args.seed, args.tol)
    if args.fidelity_d:
        compare_fidelity(args.fidelity_d, args.instances, args.total_time, args.strict)


if __name__ == "__main__":
    main()
