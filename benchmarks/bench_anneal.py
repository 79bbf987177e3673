#!/usr/bin/env python
"""Benchmark the annealing backends on one QUBO instance per size.

For each ``d`` it times the native statevector annealer (numba, complex128 and complex64, with
the default threads and with one thread: ``-1t``),
Qiskit Aer (``get_sampler("aer")``), PennyLane ``lightning.qubit`` (``get_sampler("pennylane")``)
and the paper's method (``scipy.sparse.linalg.expm_multiply`` step by step with ``H(s_k)`` held
constant over ``dt = T/M``), all on the same instance, schedule and number of steps.

Every measurement runs in its own subprocess, so the peak resident memory
(``resource.getrusage(...).ru_maxrss``, which sees C/C++ allocations) belongs to that backend
alone; one small warm-up call first loads the numba cache / simulator libraries. Times are the
wall-clock time of ``sampler.final_state(...)`` (circuit construction included for Aer and
PennyLane), minimum over repeats. Fidelity is the probability of the ground manifold of
``H_P`` in the final state; ``max|Δψ|`` compares each final state with the native complex128
one (the expm_multiply state differs by the Trotter error, which is not a bug).

Each row also gives the state's ``precision`` (native-c64: single, everything else double),
the time per Trotter step and its ratio to the memory-bandwidth floor: the fastest copy of an
array of the state's size and dtype (``numpy.copyto``, one thread or the annealer's threads,
:func:`bench_bandwidth.copy_seconds`), measured in the same worker right after the timed runs;
a step must read and write the whole state at least once. After the table, the single/double
speed-up of the native annealer at equal threads. ``benchmarks/bench_bandwidth.py`` measures
the same ratios with double and single interleaved in one process (better on a busy machine).

Examples:
    python benchmarks/bench_anneal.py --sizes 12 16 20 --steps 1000 --repeat 3
    python benchmarks/bench_anneal.py --sizes 16 --backends native-c128 aer --repeat 5
    python benchmarks/bench_anneal.py --bqm-file qubo.json --steps 1000   # a real feature QUBO
    python benchmarks/bench_anneal.py --precision-study --sizes 8 10 12 14 16 18 20 --seeds 3

``--precision-study`` instead measures, in one process, the ground-state fidelity error of
``precision="single"`` against double on ``--seeds`` random and ``--seeds`` feature instances
per size (probabilities accumulated in float64), against the documented
``single_precision_fidelity_bound(M)`` (1e-5 per 1000 steps).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bandwidth import copy_seconds  # noqa: E402

BACKENDS = ("native-c128", "native-c64", "native-c128-1t", "native-c64-1t", "aer", "pennylane",
            "expm-multiply")
REFERENCE = "native-c128"
SINGLE_PAIRS = (("native-c64", "native-c128"), ("native-c64-1t", "native-c128-1t"))


def precision(backend: str) -> str:
    """``"single"`` for the complex64 native annealer, ``"double"`` for every other backend."""
    return "single" if backend.startswith("native-c64") else "double"


# ------------------------------------------------------------------------------------------------
# instances
# ------------------------------------------------------------------------------------------------
def make_instance(kind: str, d: int, seed: int, bqm_file: str | None):
    """The BQM of one benchmark instance (deterministic in its arguments)."""
    import dimod

    if bqm_file:
        with open(bqm_file, encoding="utf-8") as fh:
            return dimod.BinaryQuadraticModel.from_serializable(json.load(fh))
    rng = np.random.default_rng(seed)
    if kind == "random":  # dense, N(0, 1) biases: the hardest case for circuit simulators
        linear = {i: float(rng.normal()) for i in range(d)}
        quadratic = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}
        return dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), "BINARY")
    if kind == "feature":  # the paper's QUBO on synthetic ReLU maps, d positive gradients
        from hybridxai import build_qubo

        maps = np.maximum(rng.normal(size=(d, 14, 14)), 0.0)
        grads = np.abs(rng.normal(size=(d, 14, 14))) + 0.01
        return build_qubo(maps, grads, beta=0.7).bqm
    raise SystemExit(f"unknown --instance {kind!r}")


# ------------------------------------------------------------------------------------------------
# worker: one backend, one instance, in its own process
# ------------------------------------------------------------------------------------------------
def _final_state_fn(backend: str, threads: int | None):
    from hybridxai.backends.registry import get_sampler

    if backend.startswith("native"):
        dtype = "complex128" if backend.startswith("native-c128") else "complex64"
        if backend.endswith("-1t"):
            threads = 1
        sampler = get_sampler("statevector", threads=threads, dtype=dtype)
    elif backend == "aer":
        sampler = get_sampler("aer")
    elif backend == "pennylane":
        sampler = get_sampler("pennylane")
    else:
        raise ValueError(backend)

    def run(bqm, total_time, num_steps):
        return sampler.final_state(bqm, total_time=total_time, num_steps=num_steps)

    return run


def _expm_multiply_run(bqm, total_time, num_steps, limit_s, probe_steps=3):
    """The paper's loop; returns (state, seconds) or (None, projected seconds) if too slow."""
    import scipy.sparse
    from scipy.sparse.linalg import expm_multiply

    from hybridxai.anneal.ising import basis_energies

    start = time.perf_counter()
    d = len(bqm.variables)
    n = 2**d
    idx = np.arange(n)
    rows = np.concatenate([idx] * d)
    cols = np.concatenate([idx ^ (1 << q) for q in range(d)])
    h_d = scipy.sparse.csr_matrix((-np.ones(d * n), (rows, cols)), shape=(n, n))
    h_p = scipy.sparse.diags(basis_energies(bqm)).tocsr()
    dt = total_time / num_steps
    psi = np.full(n, 2 ** (-d / 2), dtype=complex)
    for k in range(num_steps):
        s = (k + 0.5) / num_steps
        psi = expm_multiply(-1j * dt * ((1 - s) * h_d + s * h_p), psi)
        if k + 1 == probe_steps and num_steps > probe_steps:
            projected = (time.perf_counter() - start) / probe_steps * num_steps
            if projected > limit_s:
                return None, projected
    return psi, time.perf_counter() - start


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement described by ``spec``; returns a JSON-able result."""
    from hybridxai.anneal.ising import basis_energies
    from hybridxai.anneal.spec import ground_fidelity

    backend, d, steps, total_time = spec["backend"], spec["d"], spec["steps"], spec["total_time"]
    bqm = make_instance(spec["instance"], d, spec["seed"], spec.get("bqm_file"))
    out: dict[str, Any] = {"backend": backend, "d": len(bqm.variables), "steps": steps}
    times: list[float] = []
    if backend == "expm-multiply":
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        state, seconds = _expm_multiply_run(bqm, total_time, steps, spec["expm_limit"])
        if state is None:
            out.update(skipped=f"projected {seconds:.0f} s > limit {spec['expm_limit']:.0f} s",
                       projected_s=seconds)
            return out
        times.append(seconds)
    else:
        run = _final_state_fn(backend, spec.get("threads"))
        warm = make_instance("random", 3, 0, None)
        run(warm, 1.0, 2)  # load numba cache / simulator libraries
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        budget = spec["max_seconds"]
        state = None
        for _ in range(spec["repeat"]):
            state = None  # free the previous result so that peak RSS counts one run
            t0 = time.perf_counter()
            state = run(bqm, total_time, steps)
            times.append(time.perf_counter() - t0)
            if sum(times) + times[-1] > budget:
                break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    state = np.asarray(state)
    from hybridxai.anneal.evolution import default_threads

    dtype = np.complex64 if precision(backend) == "single" else np.complex128
    threads = 1 if backend.endswith("-1t") else (spec.get("threads") or default_threads())
    floor = min(copy_seconds(out["d"], dtype, 1), copy_seconds(out["d"], dtype, threads))
    probabilities = np.abs(state.astype(np.complex128)) ** 2
    fidelity, _, _ = ground_fidelity(probabilities / probabilities.sum(), basis_energies(bqm))
    np.save(spec["state_path"], state.astype(np.complex128))
    out.update(times=times, peak_rss_mib=peak / 1024, baseline_rss_mib=baseline / 1024,
               fidelity=fidelity, norm=float(np.sqrt(probabilities.sum())), copy_floor_s=floor,
               state_path=spec["state_path"])
    return out


# ------------------------------------------------------------------------------------------------
# parent: run the workers, print the table
# ------------------------------------------------------------------------------------------------
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter and parse its result."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"backend": spec["backend"], "d": spec["d"], "steps": spec["steps"],
            "error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def machine_info() -> dict[str, str]:
    """CPU, cores, load and package versions, for the record."""
    from importlib import metadata

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    versions = []
    for pkg in ("numpy", "scipy", "numba", "qiskit-aer", "pennylane", "pennylane-lightning"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{pkg} (not installed)")
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "versions": ", ".join(versions),
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _fmt(x: float | None, spec: str) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add min/median times, ratios to the native complex128 time and state differences."""
    rows = []
    by_d: dict[int, dict[str, dict[str, Any]]] = {}
    for r in results:
        by_d.setdefault(r["d"], {})[r["backend"]] = r
    for d, group in sorted(by_d.items()):
        ref = group.get(REFERENCE)
        ref_time = min(ref["times"]) if ref and ref.get("times") else None
        ref_state = np.load(ref["state_path"]) if ref and ref.get("state_path") else None
        for backend in BACKENDS:
            r = group.get(backend)
            if r is None:
                continue
            row = {"d": d, "backend": backend, "precision": precision(backend),
                   "steps": r["steps"], "note": r.get("error")
                   or r.get("skipped") or ""}
            if r.get("times"):
                row["time_min"] = min(r["times"])
                row["time_median"] = statistics.median(r["times"])
                row["repeats"] = len(r["times"])
                row["ratio"] = row["time_min"] / ref_time if ref_time else None
                row["step_ms"] = row["time_min"] / r["steps"] * 1e3
                row["floor_ratio"] = row["time_min"] / r["steps"] / r["copy_floor_s"]
                row["peak_rss"] = r["peak_rss_mib"]
                row["delta_rss"] = r["peak_rss_mib"] - r["baseline_rss_mib"]
                row["fidelity"] = r["fidelity"]
                if ref_state is not None:
                    row["max_diff"] = float(np.abs(np.load(r["state_path"]) - ref_state).max())
            rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the summarised rows."""
    head = ("| d | backend | precision | steps | time min (s) | median (s) | runs | × native c128 | "
            "ms/step | × copy floor | peak RSS (MiB) | Δ RSS (MiB) | fidelity | max abs Δψ vs c128 | "
            "note |")
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        lines.append(
            f"| {r['d']} | {r['backend']} | {r['precision']} | {r['steps']} | "
            f"{_fmt(r.get('time_min'), '.3f')} | "
            f"{_fmt(r.get('time_median'), '.3f')} | {r.get('repeats', '—')} | "
            f"{_fmt(r.get('ratio'), '.1f')} | {_fmt(r.get('step_ms'), '.3g')} | "
            f"{_fmt(r.get('floor_ratio'), '.1f')} | {_fmt(r.get('peak_rss'), '.0f')} | "
            f"{_fmt(r.get('delta_rss'), '.0f')} | {_fmt(r.get('fidelity'), '.6f')} | "
            f"{_fmt(r.get('max_diff'), '.1e')} | {r['note']} |")
    return "\n".join(lines)


def single_speedups(rows: list[dict[str, Any]]) -> list[str]:
    """Lines ``d, threads: single/double speed-up`` of the native annealer (same threads)."""
    times = {(r["d"], r["backend"]): r.get("time_min") for r in rows}
    lines = []
    for single, double in SINGLE_PAIRS:
        for d in sorted({r["d"] for r in rows}):
            t1, t2 = times.get((d, single)), times.get((d, double))
            if t1 and t2:
                lines.append(f"# d={d} {double} / {single}: single precision {t2 / t1:.2f}x faster")
    return lines


def precision_study(sizes: list[int], steps: int, total_time: float, seeds: int,
                    seed: int) -> list[list[Any]]:
    """Per size: instances, max ``|F_single - F_double|``, max relative error, max ``|Δψ|``."""
    from hybridxai.anneal.evolution import evolve, single_precision_fidelity_bound
    from hybridxai.anneal.ising import basis_energies, dense_qubo
    from hybridxai.anneal.schedules import trotter_layers
    from hybridxai.anneal.spec import ground_fidelity

    layers = trotter_layers(None, total_time, steps, 1, 1.0)
    rows = []
    for d in sizes:
        errors, relative, diffs = [], [], []
        for kind in ("random", "feature"):
            for k in range(seeds):
                qubo = dense_qubo(make_instance(kind, d, seed + 1000 * k + d, None))
                diagonal = basis_energies(qubo)
                fid, states = {}, {}
                for name in ("double", "single"):
                    states[name] = evolve(qubo, layers, precision=name).astype(np.complex128)
                    p = np.abs(states[name]) ** 2
                    fid[name] = ground_fidelity(p / p.sum(), diagonal)[0]
                errors.append(abs(fid["single"] - fid["double"]))
                relative.append(errors[-1] / fid["double"])
                diffs.append(float(np.abs(states["single"] - states["double"]).max()))
        rows.append([d, len(errors), f"{max(errors):.1e}", f"{max(relative):.1e}", f"{max(diffs):.1e}",
                     "yes" if max(errors) <= single_precision_fidelity_bound(steps) else "NO"])
        print(f"  d={d} done", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 16, 20],
                        help="numbers of qubits d (default: 12 16 20)")
    parser.add_argument("--steps", type=int, default=1000, help="Trotter steps M (default 1000)")
    parser.add_argument("--total-time", type=float, default=10.0, help="anneal time T (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per backend (min kept)")
    parser.add_argument("--max-seconds", type=float, default=900.0,
                        help="stop repeating a backend once its runs would exceed this")
    parser.add_argument("--expm-limit", type=float, default=300.0,
                        help="skip expm_multiply when its projected time exceeds this (s)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--instance", choices=("random", "feature"), default="random",
                        help="random dense N(0,1) QUBO, or the paper's QUBO on synthetic maps")
    parser.add_argument("--bqm-file", help="a dimod BQM (to_serializable JSON) instead of --sizes")
    parser.add_argument("--seed", type=int, default=0, help="instance seed (seed + d per size)")
    parser.add_argument("--threads", type=int, default=None, help="threads of the native annealer")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--precision-study", action="store_true",
                        help="measure |F_single - F_double| instead of timing backends")
    parser.add_argument("--seeds", type=int, default=3,
                        help="instances of each kind per size in --precision-study")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0

    if args.precision_study:
        from hybridxai.anneal.evolution import single_precision_fidelity_bound

        rows = precision_study(args.sizes, args.steps, args.total_time, args.seeds, args.seed)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _common import print_table

        print_table(f"precision='single' vs 'double': T = {args.total_time:g}, M = {args.steps}, "
                    f"documented bound {single_precision_fidelity_bound(args.steps):g}",
                    ["d", "instances", "max abs ΔF", "max ΔF / F", "max abs Δψ", "within bound"], rows)
        return 0

    info = machine_info()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}")
    print(f"# {info['versions']}")
    print(f"# load average at start: {info['load_average']}")
    print(f"# command: {' '.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}", flush=True)
    backends = [REFERENCE] + [b for b in args.backends if b != REFERENCE]
    sizes = [0] if args.bqm_file else args.sizes
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_anneal_") as tmp:
        for d in sizes:
            for backend in backends:
                spec = {"backend": backend, "d": d, "steps": args.steps,
                        "total_time": args.total_time, "repeat": args.repeat,
                        "max_seconds": args.max_seconds, "expm_limit": args.expm_limit,
                        "instance": args.instance, "bqm_file": args.bqm_file,
                        "seed": args.seed + d, "threads": args.threads,
                        "state_path": os.path.join(tmp, f"{backend}-{d}.npy")}
                t0 = time.perf_counter()
                result = run_worker(spec)
                results.append(result)
                status = result.get("error") or result.get("skipped") or \
                    f"min {min(result['times']):.3f} s over {len(result['times'])} run(s)"
                print(f"  d={result['d']:>2} {backend:<14} {status}  "
                      f"[{time.perf_counter() - t0:.0f} s]", flush=True)
        rows = summarise(results)
    print()
    print(table(rows))
    print("\n".join(["", *single_speedups(rows)]))
    print(f"\n# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": info, "args": vars(args), "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
