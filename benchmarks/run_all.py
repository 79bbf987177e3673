"""Run every benchmark, each in its own process, and print its table of ratios.

Each script measures hybridxai against its peer in the same run (Aer, PennyLane Lightning,
scipy's expm_multiply, the paper's per-step eigensolver scan, pytorch-grad-cam, dwave-samplers,
the certified optimum), so the ratios are meaningful on any machine. Figures measured here are
recorded in docs/benchmarks.md.

Run:  python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUITES = {
    "annealing backends (native vs Aer vs Lightning vs expm_multiply)": (
        ["bench_anneal.py", "--sizes", "12", "16", "20", "--steps", "1000"],
        ["bench_anneal.py", "--sizes", "12", "16", "--steps", "1000", "--repeat", "1"],
    ),
    "annealing backends at d = 24 (100 steps: Aer needs ~15 min even so)": (
        ["bench_anneal.py", "--sizes", "24", "--steps", "100", "--repeat", "1", "--max-seconds", "1500"],
        ["bench_anneal.py", "--sizes", "20", "--steps", "100", "--repeat", "1"],
    ),
    "single vs double precision and the memory-bandwidth floor (numpy copy/triad, paired)": (
        ["bench_bandwidth.py", "--sizes", "16", "20", "24", "--steps", "100", "--repeat", "3"],
        ["bench_bandwidth.py", "--sizes", "12", "16", "--steps", "100", "--repeat", "2"],
    ),
    "minimum gap (adaptive vs the paper's per-step scan)": (
        ["bench_gap.py", "--d", "16", "20"],
        ["bench_gap.py", "--d", "12", "16", "--sample", "2"],
    ),
    "explain latency vs pytorch-grad-cam, and SA selection quality": (
        ["bench_explain.py", "--images", "100"],
        ["bench_explain.py", "--images", "20", "--repeat", "2"],
    ),
    "large QUBOs: solver quality and certified optimum (SA, dwave-samplers, tabu, certify)": (
        ["bench_qubo.py", "--images", "10"],
        ["bench_qubo.py", "--images", "4"],
    ),
    "dataset throughput: the reproduction's per-image work, 1 vs 2 processes, vs GradCAM": (
        ["bench_dataset.py", "--per-class", "3"],
        ["bench_dataset.py", "--per-class", "1"],
    ),
    "defaults of the annealing samplers: optimal selections on photos and saved real instances": (
        ["bench_quantum_defaults.py", "--photos-d", "12", "--instances-d", "12"],
        ["bench_quantum_defaults.py", "--quick"],
    ),
    "optimum of the quantum anneal on saved real instances (schedules, total_time='auto', TTS vs sa)": (
        ["bench_optimality.py"],
        ["bench_optimality.py", "--quick"],
    ),
}


def main() -> int:
    """Run the suites; return non-zero if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", nargs="*", help="substrings of suite names to run")
    args = parser.parse_args()
    failed = []
    for name, (full, quick) in SUITES.items():
        if args.only and not any(key in name for key in args.only):
            continue
        command = [sys.executable, str(HERE / (quick if args.quick else full)[0]),
                   *(quick if args.quick else full)[1:]]
        print(f"\n## {name}\n$ {' '.join(command[1:])}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call(command, cwd=HERE.parent)
        print(f"({time.perf_counter() - t0:.0f} s, exit {code})", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
