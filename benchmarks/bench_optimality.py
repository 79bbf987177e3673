"""Benchmark: how often the quantum anneal returns the optimum on real instances, and at what cost.

Instances: the saved real QUBOs of benchmarks/instances/ (``python benchmarks/make_instances.py``:
MobileNetV2, 50 offline photos x top-2 classes, ``β = 0.7``, ``max_qubits`` 10/12/14/16), each
with its exact optimum (``dimod.ExactSolver``, rechecked here on every instance).

For every chosen instance the native ``statevector`` sampler (``num_reads = d²``, the default;
seed 0) anneals with ``schedule="linear"``, ``"local-adiabatic"`` and ``("pause", s_p, f)`` at
each ``--times`` T, and (for ``d ≤ --auto-max-d``) with ``total_time="auto"``
(local-adiabatic, ``target_fidelity`` 0.9). Recorded: the ground-state fidelity ``F =
info["fidelity"]``, whether the returned (lowest-energy) sample is the exact optimum, the
probability ``1 − (1 − F)^{d²}`` that ``d²`` reads contain it, and the wall time of the call (the
gap profile behind "local-adiabatic" is timed apart: it is computed once per QUBO and cached).

Time-to-solution for 99 % success, ``TTS = t·ln(0.01)/ln(1 − p)`` (``t`` if ``p = 1``), per
instance, median over instances:

* quantum schedules: ``p = F`` per read and ``t = T`` (anneal time, ``ħ = 1``, QUBO energy
  units), minimised over the measured T (the T achieving it is reported); the simulator's wall
  time per anneal at that T is reported beside it (one simulation yields any number of reads);
* ``sa``: ``p`` = share of ``--sa-seeds`` single-read runs (``num_reads=1``) at the optimum,
  ``t`` = median wall time of one such run;
* D-Wave mock (``dwave.system.testing.MockDWaveSampler`` through hybridxai's ``dwave`` backend,
  100 reads): ``p`` = share of reads at the optimum, ``t`` = the QPU time per read the mock
  *reports* (anneal + readout + delay). The mock's samples come from a classical solver, so its
  ``p`` says nothing about a real QPU; only its timing model is D-Wave's.

Usage::

    nice -n 5 python benchmarks/bench_optimality.py                 # the docs/benchmarks.md run
    python benchmarks/bench_optimality.py --quick                    # a few instances, minutes
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import median, print_table  # noqa: E402
from make_instances import DEFAULT_PATH, exact_optimum, load_instances  # noqa: E402

SCHEDULES = ("linear", "local-adiabatic", "pause")


def tts(t: float, p: float) -> float:
    """Time to reach the optimum with 99 % probability from runs of length ``t`` succeeding with ``p``."""
    if p >= 1.0:
        return t
    if p <= 0.0:
        return math.inf
    return t * math.log(0.01) / math.log1p(-p)


def pick(instances: list[dict[str, Any]], d: int, count: int) -> list[dict[str, Any]]:
    """``count`` instances of size ``d`` spread evenly over the stored order (photos, then ranks)."""
    pool = [x for x in instances if x["d"] == d]
    if count >= len(pool):
        return pool
    return [pool[int(i)] for i in np.linspace(0, len(pool) - 1, count).round().astype(int)]


def is_optimal(energy: float, ground: float) -> bool:
    return abs(float(energy) - ground) <= 1e-9 * max(1.0, abs(ground))


def anneal_instance(x: dict[str, Any], sampler: Any, times: list[float], pause: tuple[float, float],
                    schedules: tuple[str, ...], auto: bool) -> dict[str, Any]:
    """Every (schedule, T) anneal of one instance; its gap-profile time; ``total_time='auto'``."""
    from hybridxai.anneal.schedules import cached_gap_profile
    from hybridxai.exceptions import InvalidArgumentError

    bqm, d, ground = x["bqm"], x["d"], x["ground_energy"]
    reads = d * d
    out: dict[str, Any] = {"name": x["name"], "d": d, "photo": x["photo"], "class_name": x["class_name"],
                           "ground_energy": ground, "runs": []}
    if "local-adiabatic" in schedules or auto:
        t0 = time.perf_counter()
        profile = cached_gap_profile(bqm, "unit", 64)
        out["profile_s"] = time.perf_counter() - t0
        out["min_gap"], out["s_min"] = float(profile.min_gap), float(profile.s_min)
    configs: list[tuple[str, Any, Any]] = []
    for name in schedules:
        schedule = ("pause", *pause) if name == "pause" else name
        configs += [(name, schedule, float(T)) for T in times]
    if auto:
        configs.append(("auto", "local-adiabatic", "auto"))
    for name, schedule, T in configs:
        t0 = time.perf_counter()
        try:
            result = sampler.sample(bqm, total_time=T, schedule=schedule, num_reads=reads, seed=0)
        except InvalidArgumentError as exc:  # "auto" raises when max_total_time misses the target
            out["runs"].append({"schedule": name, "T": math.nan, "auto": T == "auto", "fidelity": 0.0,
                                "optimal": False, "p_reads": 0.0, "wall_s": time.perf_counter() - t0,
                                "error": str(exc)})
            continue
        wall = time.perf_counter() - t0
        fidelity = float(result.info["fidelity"])
        out["runs"].append({"schedule": name, "T": float(result.info["total_time"]), "auto": T == "auto",
                            "fidelity": fidelity, "optimal": is_optimal(result.first.energy, ground),
                            "p_reads": 1.0 - (1.0 - min(fidelity, 1.0)) ** reads, "wall_s": wall})
    return out


def sa_instance(x: dict[str, Any], seeds: int) -> dict[str, float]:
    """Success rate and median wall time of single-read ``sa`` runs."""
    from hybridxai.backends import get_sampler

    sampler = get_sampler("sa")
    sampler.sample(x["bqm"], num_reads=1, seed=0)  # compile / warm up
    hits, walls = 0, []
    for seed in range(seeds):
        t0 = time.perf_counter()
        result = sampler.sample(x["bqm"], num_reads=1, seed=seed)
        walls.append(time.perf_counter() - t0)
        hits += is_optimal(result.first.energy, x["ground_energy"])
    return {"p": hits / seeds, "wall_s": median(walls)}


def dwave_instance(x: dict[str, Any], reads: int = 100) -> dict[str, float] | None:
    """Share of mock-QPU reads at the optimum and the mock's reported QPU time per read (µs)."""
    try:
        from dwave.system.testing import MockDWaveSampler
    except ImportError:
        return None
    from hybridxai.backends import get_sampler

    sampler = get_sampler("dwave", child=MockDWaveSampler(), num_reads=reads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sampler.sample(x["bqm"], seed=0)
    energies = result.record.energy
    counts = result.record.num_occurrences
    hits = counts[np.abs(energies - x["ground_energy"]) <= 1e-9 * max(1.0, abs(x["ground_energy"]))].sum()
    timing = result.info["timing"]
    per_read = (timing["qpu_anneal_time_per_sample_us"] + timing["qpu_readout_time_per_sample_us"]
                + timing["qpu_delay_time_per_sample_us"])
    return {"p": float(hits / counts.sum()), "per_read_us": float(per_read),
            "access_us": float(timing["qpu_access_time_us"])}


def summarise(results: list[dict[str, Any]], sa: dict[str, list[dict[str, float]]],
              dwave: dict[int, list[dict[str, float]]], times: list[float],
              ratio_time: float = 100.0) -> dict[str, Any]:
    """Print the tables; return the numbers behind the plot."""
    sizes = sorted({r["d"] for r in results})
    names = [n for n in SCHEDULES if any(run["schedule"] == n for r in results for run in r["runs"])]
    rows, plot = [], {"times": times, "fidelity": {}, "tts_wall": {}}
    for d in sizes:
        group = [r for r in results if r["d"] == d]
        for name in names:
            for T in times:
                runs = [run for r in group for run in r["runs"] if run["schedule"] == name
                        and run["T"] == T and not run["auto"]]
                if not runs:
                    continue
                rows.append((d, len(runs), name, T, median([run["fidelity"] for run in runs]),
                             f"{sum(run['optimal'] for run in runs)}/{len(runs)}",
                             float(np.mean([run["p_reads"] for run in runs])),
                             f"{sum(run['p_reads'] >= 0.99 for run in runs)}/{len(runs)}",
                             median([run["wall_s"] for run in runs])))
                if d > 10:
                    plot["fidelity"].setdefault(f"{name} d={d}", []).append(
                        (T, median([run["fidelity"] for run in runs])))
        autos = [run for r in group for run in r["runs"] if run["auto"]]
        if autos:
            chosen_t = median([a["T"] for a in autos if "error" not in a])
            failed = sum("error" in a for a in autos)
            rows.append((d, len(autos), "local-adiabatic",
                         f"auto (median {chosen_t:.0f}{f'; {failed} raised' if failed else ''})",
                         median([a["fidelity"] for a in autos if "error" not in a]),
                         f"{sum(a['optimal'] for a in autos)}/{len(autos)}",
                         float(np.mean([a["p_reads"] for a in autos])),
                         f"{sum(a['p_reads'] >= 0.99 for a in autos)}/{len(autos)}",
                         median([a["wall_s"] for a in autos])))
    print_table("Ground-state fidelity and optimality of the returned selection (num_reads = d², seed 0)",
                ["d", "instances", "schedule", "T", "median F", "returned optimal", "mean P(opt in d² reads)",
                 "P ≥ 0.99 on", "median wall s"], rows)

    ratio_rows = []
    for d in sizes:
        group = [r for r in results if r["d"] == d]
        lin = {r["name"]: run["fidelity"] for r in group for run in r["runs"]
               if run["schedule"] == "linear" and run["T"] == ratio_time and not run["auto"]}
        la = {r["name"]: run["fidelity"] for r in group for run in r["runs"]
              if run["schedule"] == "local-adiabatic" and run["T"] == ratio_time and not run["auto"]}
        common = sorted(set(lin) & set(la))
        if not common:
            continue
        ratios = [la[k] / lin[k] for k in common]
        profile = [r["profile_s"] for r in group if "profile_s" in r]
        ratio_rows.append((d, len(common), median([lin[k] for k in common]), median([la[k] for k in common]),
                           median([la[k] for k in common]) / median([lin[k] for k in common]), median(ratios),
                           f"{sum(q > 1 for q in ratios)}/{len(ratios)}",
                           median(profile) if profile else "—"))
    print_table(f"local-adiabatic vs linear at T = {ratio_time:g}",
                ["d", "instances", "median F linear", "median F local-adiabatic", "ratio of medians",
                 "median per-instance ratio", "better on", "gap profile s (median)"], ratio_rows)

    tts_rows = []
    for d in [d for d in sizes if d > 10]:  # d = 10: one T only, for the ratio above
        group = [r for r in results if r["d"] == d]
        for name in names:
            per_instance = []
            for r in group:
                best = min(((tts(run["T"], run["fidelity"]), run) for run in r["runs"]
                            if run["schedule"] == name and not run["auto"]), key=lambda item: item[0])
                extra = r.get("profile_s", 0.0) if name == "local-adiabatic" else 0.0
                per_instance.append((best[0], best[1]["T"], tts(best[1]["wall_s"], best[1]["fidelity"]),
                                     best[1]["wall_s"] + extra))
            ts_, best_t, wall_tts, one = zip(*per_instance, strict=True)
            common_t = max(set(best_t), key=best_t.count)
            tts_rows.append((d, name, median(ts_), common_t, median(wall_tts), median(one)))
            plot["tts_wall"].setdefault(name, []).append((d, median(one)))
        if sa.get(str(d)):
            items = sa[str(d)]
            sa_tts = median([tts(s["wall_s"], s["p"]) for s in items])
            tts_rows.append((d, "sa (1 read per run)", "—", "—", sa_tts,
                             median([s["wall_s"] for s in items])))
            plot["tts_wall"].setdefault("sa", []).append((d, sa_tts))
        if dwave.get(d):
            items = dwave[d]
            tts_us = median([tts(s["per_read_us"], s["p"]) for s in items])
            tts_rows.append((d, f"D-Wave mock (reported QPU time, p of {len(items)} instances)", "—", "—",
                             tts_us * 1e-6 if math.isfinite(tts_us) else math.inf,
                             median([s["access_us"] for s in items]) * 1e-6))
            plot["tts_wall"].setdefault("D-Wave mock (QPU time)", []).append((d, tts_us * 1e-6))
    print_table("Time to solution for 99 % success (median over instances)",
                ["d", "method", "TTS in anneal time (ħ = 1)", "at T", "TTS wall s (t = wall per run)",
                 "wall s of one run (+ gap profile)"], tts_rows)
    return plot


def save_plot(plot: dict[str, Any], sizes: list[int], path: Path) -> None:
    """Median fidelity vs T (left) and wall-clock time to solution vs d (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"linear": "C0", "local-adiabatic": "C1", "pause": "C2", "sa": "C3"}
    styles = {12: "-", 14: "--", 16: ":"}
    for label, points in plot["fidelity"].items():
        name, d = label.split(" d=")
        ts, values = zip(*points, strict=True)
        left.plot(ts, values, styles.get(int(d), "-."), color=colours.get(name), marker="o", label=label)
    left.set(xscale="log", yscale="log", xlabel="anneal time T", ylabel="median ground-state fidelity",
             title="statevector anneal, real MobileNetV2 instances")
    left.legend(fontsize=7, ncol=2)
    for label, points in plot["tts_wall"].items():
        ds, values = zip(*points, strict=True)
        if np.all(np.isfinite(values)):
            right.plot(ds, values, marker="o", color=colours.get(label), label=label)
    right.set(yscale="log", xlabel="d (qubits)", ylabel="wall seconds (median)",
              title="sa: wall time to 99 % optimum; statevector: one simulated\n"
                    "anneal at the T of least TTS (+ gap profile if local-adiabatic)")
    right.title.set_fontsize(10)
    right.set_xticks(sizes)
    right.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--count", type=int, nargs=4, default=[12, 80, 20, 4],
                        metavar=("D10", "D12", "D14", "D16"),
                        help="instances per size d = 10, 12, 14, 16 (d = 10: linear vs local-adiabatic "
                             "at --ratio-time only)")
    parser.add_argument("--times", type=float, nargs="+", default=[10.0, 30.0, 100.0, 300.0])
    parser.add_argument("--ratio-time", type=float, default=100.0,
                        help="T of the local-adiabatic/linear ratio (the only T at d = 10)")
    parser.add_argument("--pause", type=float, nargs=2, default=[0.6, 0.2], metavar=("S_P", "FRACTION"))
    parser.add_argument("--auto-max-d", type=int, default=12, help="total_time='auto' up to this d")
    parser.add_argument("--sa-seeds", type=int, default=10)
    parser.add_argument("--dwave", type=int, default=10, help="instances per d (12, 14) on the D-Wave mock")
    parser.add_argument("--out", type=Path, default=Path("hybridxai-out/optimality"))
    parser.add_argument("--quick", action="store_true", help="2 instances per size, d = 10-14, no auto")
    parser.add_argument("--tables-only", action="store_true",
                        help="print the tables and plot from an earlier run's OUT/optimality.json")
    args = parser.parse_args()
    if args.tables_only:
        saved = json.loads((args.out / "optimality.json").read_text())
        dwave_saved = {int(k): v for k, v in saved["dwave"].items()}
        plot = summarise(saved["results"], saved["sa"], dwave_saved, sorted(args.times), args.ratio_time)
        sizes = sorted({r["d"] for r in saved["results"] if r["d"] > 10})
        save_plot(plot, sizes, args.out / "optimality.png")
        return
    if args.quick:
        args.count, args.auto_max_d, args.dwave, args.sa_seeds = [2, 3, 2, 0], 0, 2, 5
        args.times = [t for t in args.times if t <= args.ratio_time]

    from hybridxai.backends.statevector import StatevectorAnnealingSampler

    instances = load_instances(args.instances)
    sampler = StatevectorAnnealingSampler(seed=0)
    results: list[dict[str, Any]] = []
    sa: dict[str, list[dict[str, float]]] = {}
    dwave: dict[int, list[dict[str, float]]] = {}
    t_start = time.perf_counter()
    for d, count in zip((10, 12, 14, 16), args.count, strict=True):
        chosen = pick(instances, d, count)
        for k, x in enumerate(chosen):
            ground, _, _ = exact_optimum(x["bqm"])
            if not math.isclose(ground, x["ground_energy"], rel_tol=1e-9, abs_tol=1e-9):
                raise RuntimeError(f"{x['name']}: stored optimum {x['ground_energy']} != exact {ground}")
            if d == 10:
                r = anneal_instance(x, sampler, [args.ratio_time], tuple(args.pause),
                                    ("linear", "local-adiabatic"), auto=False)
            else:
                r = anneal_instance(x, sampler, args.times, tuple(args.pause), SCHEDULES,
                                    auto=d <= args.auto_max_d)
                if args.sa_seeds:
                    sa.setdefault(str(d), []).append(sa_instance(x, args.sa_seeds))
                if k < args.dwave and d in (12, 14):
                    mock = dwave_instance(x)
                    if mock is not None:
                        dwave.setdefault(d, []).append(mock)
            results.append(r)
            best = {f"{run['schedule']}@{run['T']:g}": round(run["fidelity"], 3) for run in r["runs"]
                    if run["T"] == args.ratio_time or run["auto"]}
            print(f"[{time.perf_counter() - t_start:6.0f} s] d={d} {k + 1}/{len(chosen)} {x['name']} "
                  f"profile {r.get('profile_s', 0):.1f} s  F {best}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "optimality.json").write_text(json.dumps({"results": results, "sa": sa,
                                                          "dwave": {str(k): v for k, v in dwave.items()}},
                                                         indent=1))
    plot = summarise(results, sa, dwave, sorted(args.times), args.ratio_time)
    save_plot(plot, sorted({r["d"] for r in results if r["d"] > 10}), args.out / "optimality.png")
    print(f"total {time.perf_counter() - t_start:.0f} s; raw results in {args.out / 'optimality.json'}")


if __name__ == "__main__":
    main()
