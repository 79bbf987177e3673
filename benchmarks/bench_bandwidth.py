#!/usr/bin/env python
"""Memory-bandwidth floor of one Trotter step, beside the native annealer's per-step time.

A Trotter step of the native annealer (numba engine) must read and write the whole state at
least once, so no implementation can take less than the time to *copy* an array of the state's
size: the floor. For each ``d`` and precision (complex128 "double", complex64 "single") this
script measures, in one process and interleaved (paired runs, so a machine under load affects
both alike):

* ``copy``: ``numpy.copyto`` of an array of ``2**d`` amplitudes of that dtype (reads ``B``,
  writes ``B`` bytes, ``B = 2**d · itemsize``), on one thread and on the annealer's threads
  (the array split into one contiguous part per thread; numpy releases the GIL for copies);
* ``triad``: STREAM's ``a = b + s·c`` done by numpy as ``multiply(c, s, out=a); a += b``
  (bandwidth counted STREAM's way, ``3B`` bytes, although numpy moves ``5B``);
* ``anneal``: :func:`hybridxai.anneal.evolution.evolve` with ``--steps`` Trotter steps,
  divided by the steps (the per-pass setup and the final copy-out included).

It prints the bandwidths, the annealer's per-step time, its ratio to the floor (the faster of
the two copies; ``× floor``: 1.0 would be the hardware limit) and the single/double speed-up of
both the floor and the annealer, measured in the same run. States under 2**18 amplitudes are
evolved on one thread; at small ``d`` the arrays sit in the caches, so the "floor" there is a
cache bandwidth.

Examples:
    python benchmarks/bench_bandwidth.py --sizes 16 20 24 --steps 100 --repeat 5
    python benchmarks/bench_bandwidth.py --sizes 20 --threads 1   # one core
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402

PRECISIONS = {"double": np.complex128, "single": np.complex64}


def _parts(n: int, threads: int) -> list[slice]:
    """``threads`` contiguous slices covering ``range(n)``."""
    edges = [n * k // threads for k in range(threads + 1)]
    return [slice(edges[k], edges[k + 1]) for k in range(threads)]


def copy_seconds(num_qubits: int, dtype: Any, threads: int = 1, repeat: int = 5,
                 arrays: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Minimum time of copying an array of ``2**num_qubits`` elements of ``dtype`` (the floor).

    Args:
        num_qubits: ``d``; the arrays hold ``2**d`` elements.
        dtype: ``complex128`` or ``complex64`` (a state of that precision).
        threads: Copy with this many threads, one contiguous part each.
        repeat: Timed copies (after one untimed one that faults the pages in).
        arrays: ``(src, dst)`` to reuse, else fresh arrays are allocated.

    Returns:
        Seconds of the fastest copy.
    """
    n = 1 << num_qubits
    src, dst = arrays if arrays is not None else (np.ones(n, dtype), np.empty(n, dtype))
    parts = _parts(n, threads)
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None

    def once() -> None:
        if pool is None:
            np.copyto(dst, src)
        else:
            list(pool.map(lambda p: np.copyto(dst[p], src[p]), parts))

    try:
        once()
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            once()
            best = min(best, time.perf_counter() - t0)
    finally:
        if pool is not None:
            pool.shutdown()
    return best


def triad_seconds(a: np.ndarray, b: np.ndarray, c: np.ndarray, repeat: int = 5) -> float:
    """Minimum time of numpy's STREAM triad ``a = b + 3·c`` (two ufunc passes, one thread)."""
    scalar = a.dtype.type(3.0)
    best = float("inf")
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        np.multiply(c, scalar, out=a)
        a += b
        best = min(best, time.perf_counter() - t0)
    return best


def anneal_step_seconds(qubo: Any, layers: list, precision: str, threads: int | None) -> float:
    """Seconds per Trotter step of one :func:`evolve` call (one run)."""
    from hybridxai.anneal.evolution import evolve

    steps = sum(1 for kind, _ in layers if kind == "problem")
    t0 = time.perf_counter()
    evolve(qubo, layers, precision=precision, threads=threads)
    return (time.perf_counter() - t0) / steps


def random_qubo(d: int, seed: int) -> Any:
    """The dense form of bench_anneal's random N(0, 1) instance."""
    import dimod

    from hybridxai.anneal.ising import dense_qubo

    rng = np.random.default_rng(seed)
    linear = {i: float(rng.normal()) for i in range(d)}
    quadratic = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}
    return dense_qubo(dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), "BINARY"))


def measure(d: int, steps: int, repeat: int, threads: int, seed: int) -> dict[str, dict[str, float]]:
    """Paired measurements at one size: per precision, copy/triad/anneal seconds (minimum)."""
    from hybridxai.anneal.evolution import evolve
    from hybridxai.anneal.schedules import trotter_layers

    qubo = random_qubo(d, seed)
    layers = trotter_layers(None, 10.0, steps, 1, 1.0)
    n = 1 << d
    out: dict[str, dict[str, float]] = {}
    arrays = {}
    for name, dtype in PRECISIONS.items():
        evolve(qubo, trotter_layers(None, 1.0, 2, 1, 1.0), precision=name, threads=threads)  # compile/load
        arrays[name] = tuple(np.full(n, 1.0 + k, dtype) for k in range(3))
        out[name] = {"copy_1t": float("inf"), "copy": float("inf"), "triad": float("inf"),
                     "step": float("inf")}
    for _ in range(repeat):  # interleaved: double and single see the same load
        for name in PRECISIONS:
            a, b, c = arrays[name]
            r = out[name]
            r["copy_1t"] = min(r["copy_1t"], copy_seconds(d, a.dtype, 1, 2, (b, a)))
            r["copy"] = min(r["copy"], copy_seconds(d, a.dtype, threads, 2, (b, a)))
            r["triad"] = min(r["triad"], triad_seconds(a, b, c, 2))
            r["step"] = min(r["step"], anneal_step_seconds(qubo, layers, name, threads))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    from hybridxai.anneal.evolution import default_threads

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 20, 24],
                        help="numbers of qubits d (default: 16 20 24)")
    parser.add_argument("--steps", type=int, default=100, help="Trotter steps per anneal (default 100)")
    parser.add_argument("--repeat", type=int, default=5, help="paired repeats (minimum kept)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of the annealer and of the threaded copy (default: one per core)")
    parser.add_argument("--seed", type=int, default=0, help="instance seed (seed + d per size)")
    args = parser.parse_args(argv)
    threads = args.threads or default_threads()
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} "
          f"cores; threads={threads}, steps={args.steps}, repeat={args.repeat}", flush=True)
    rows = []
    for d in args.sizes:
        t0 = time.perf_counter()
        res = measure(d, args.steps, args.repeat, threads, args.seed + d)
        for name, dtype in PRECISIONS.items():
            r = res[name]
            nbytes = (1 << d) * np.dtype(dtype).itemsize
            floor = {k: min(v["copy_1t"], v["copy"]) for k, v in res.items()}
            speedup = (res["double"]["step"] / r["step"], floor["double"] / floor[name])
            rows.append([
                d, name, f"{nbytes / 2**20:g}",
                f"{2 * nbytes / r['copy_1t'] / 1e9:.1f}", f"{2 * nbytes / r['copy'] / 1e9:.1f}",
                f"{3 * nbytes / r['triad'] / 1e9:.1f}",
                f"{floor[name] * 1e3:.3f}", f"{r['step'] * 1e3:.3f}", f"{r['step'] / floor[name]:.2f}",
                f"{speedup[0]:.2f}", f"{speedup[1]:.2f}",
            ])
        print(f"  d={d} done [{time.perf_counter() - t0:.0f} s]", flush=True)
    print()
    print_table(
        f"Annealer step vs memory-bandwidth floor ({threads} threads, {args.steps} steps, paired runs)",
        ["d", "precision", "state MiB", "copy GB/s 1t", f"copy GB/s {threads}t", "triad GB/s 1t",
         "floor: fastest copy ms", "anneal ms/step", "× floor", "anneal speed-up vs double",
         "floor speed-up vs double"],
        rows)
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
