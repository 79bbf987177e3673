"""Which defaults make the quantum annealers return the optimal selection? (statevector backend)

For each *candidate* (a set of ``sample``/``explain`` options of the annealing samplers) this
measures, against the exact optimum (``info["optimality"]``, exact for d <= 20):

* **photos** — ``explain(model, photo, backend="statevector", max_qubits=d, seed=0, **candidate)``
  on the bundled offline photos (:func:`hybridxai.vision.samples.sample_names`) with the offline
  default model ``hybridxai.load_pretrained("mobilenet_v2")``: optimal or not, the ground-state
  fidelity ``info["fidelity"]`` and the wall time of the whole ``explain`` call (the gap-profile
  cache is emptied before each call, so gap-aware schedules pay for their profile every time);
* **instances** — the saved real instances of ``benchmarks/instances/`` (50 photos × top-2 classes,
  :mod:`benchmarks.make_instances`), annealed with ``get_sampler("statevector").sample(bqm, seed=0,
  **candidate)``, which is the solving step of ``explain`` on the same QUBO: optimal or not (with
  that seed), the fidelity ``F`` and ``P(opt) = 1 − (1 − F)^num_reads``, the probability that the
  best of the reads is optimal (independent of the seed). Gap profiles are cached between the
  candidates of one instance, so instance times are not per-call costs.

Usage::

    python benchmarks/bench_quantum_defaults.py --quick                 # d = 12 on the photos
    python benchmarks/bench_quantum_defaults.py --photos-d 12 16 --instances-d 12 --limit 100
    python benchmarks/bench_quantum_defaults.py --candidates current la-T100 --instances-d 12
    python benchmarks/bench_quantum_defaults.py --from-json benchmarks/results/quantum_defaults.json

Results (every raw row) go to ``--out`` (JSON); ``--from-json`` reprints the tables of a saved run.
Run it alone (``nice -n 5``): it is CPU-bound and its timings are wall times.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this tree's hybridxai, not an installed one
sys.path.insert(0, str(HERE))

from _common import print_table  # noqa: E402
from make_instances import DEFAULT_PATH, load_instances  # noqa: E402

CANDIDATES: dict[str, dict[str, Any]] = {
    "current": {},                                                   # the sampler's defaults now
    "linear-T10": {"total_time": 10},                                # the README / paper setting
    "linear-T50": {"total_time": 50},
    "linear-T100": {"total_time": 100},                              # the default until 2026-12-05
    "linear-T200": {"total_time": 200},
    "linear-T100-reads100": {"total_time": 100, "num_reads": 100},
    "linear-T100-reads1000": {"total_time": 100, "num_reads": 1000},
    "la-T50": {"schedule": "local-adiabatic", "total_time": 50},
    "la-T100": {"schedule": "local-adiabatic", "total_time": 100},
    "la-T200": {"schedule": "local-adiabatic", "total_time": 200},
    "la-auto0.9": {"schedule": "local-adiabatic", "total_time": "auto", "target_fidelity": 0.9},
}
QUICK = ["current", "linear-T10", "la-T100", "la-auto0.9"]


def clear_profile_cache() -> None:
    """Empty the gap-profile cache so a timed call pays for its own profile."""
    from hybridxai.anneal import schedules

    with schedules._profile_lock:
        schedules._profile_cache.clear()


def p_optimal(fidelity: float, num_reads: int) -> float:
    """Probability that at least one of ``num_reads`` reads of the final state is a ground state."""
    return 1.0 - (1.0 - min(max(fidelity, 0.0), 1.0)) ** num_reads


def run_photos(names: list[str], sizes: list[int], candidates: list[str]) -> list[dict[str, Any]]:
    import hybridxai
    from hybridxai.vision.samples import load_sample

    model = hybridxai.load_pretrained("mobilenet_v2")
    rows = []
    for d in sizes:
        for name in names:
            image = load_sample(name)
            for cand in candidates:
                clear_profile_cache()
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = hybridxai.explain(model, image, backend="statevector", max_qubits=d, seed=0,
                                               **CANDIDATES[cand])
                wall = time.perf_counter() - t0
                info, report = result.info, result.info["optimality"]
                row = {"kind": "photo", "photo": name, "d": d, "candidate": cand,
                       "options": CANDIDATES[cand], "optimal": bool(report["optimal"]),
                       "relative_gap": report.get("relative_gap"), "fidelity": float(info["fidelity"]),
                       "num_reads": int(info["num_reads"]), "total_time": float(info["total_time"]),
                       "schedule": info["schedule"], "wall_s": wall,
                       "p_optimal": p_optimal(float(info["fidelity"]), int(info["num_reads"]))}
                print(f"photo {name:13s} d={d:2d} {cand:22s} optimal={row['optimal']!s:5s} "
                      f"F={row['fidelity']:.4f} T={row['total_time']:g} {wall:6.2f} s", flush=True)
                rows.append(row)
    return rows


def run_instances(path: Path, sizes: list[int], candidates: list[str],
                  limit: int | None) -> list[dict[str, Any]]:
    from hybridxai import get_sampler
    from hybridxai.exceptions import InvalidArgumentError

    sampler = get_sampler("statevector")
    instances = load_instances(path)
    rows = []
    for d in sizes:
        chosen = [inst for inst in instances if inst["d"] == d][:limit]
        for inst in chosen:
            clear_profile_cache()
            for cand in candidates:
                t0 = time.perf_counter()
                try:
                    sampleset = sampler.sample(inst["bqm"], seed=0, **CANDIDATES[cand])
                except InvalidArgumentError as error:  # total_time="auto" can miss its target
                    rows.append({"kind": "instance", "name": inst["name"], "photo": inst["photo"],
                                 "rank": inst["rank"], "d": d, "candidate": cand,
                                 "options": CANDIDATES[cand], "optimal": False, "error": str(error),
                                 "fidelity": None, "p_optimal": 0.0, "total_time": None, "num_reads": None,
                                 "wall_s": time.perf_counter() - t0})
                    continue
                wall = time.perf_counter() - t0
                info, report = sampleset.info, sampleset.info["optimality"]
                ground = inst["ground_energy"]
                assert abs(report["best_energy"] - ground) <= 1e-8 * max(1.0, abs(ground)), inst["name"]
                row = {"kind": "instance", "name": inst["name"], "photo": inst["photo"], "rank": inst["rank"],
                       "d": d, "candidate": cand, "options": CANDIDATES[cand],
                       "optimal": bool(report["optimal"]), "relative_gap": report.get("relative_gap"),
                       "fidelity": float(info["fidelity"]), "num_reads": int(info["num_reads"]),
                       "total_time": float(info["total_time"]), "schedule": info["schedule"],
                       "wall_s": wall}
                row["p_optimal"] = p_optimal(row["fidelity"], row["num_reads"])
                rows.append(row)
            print(f"instance {inst['name']:12s} " + " ".join(
                f"{r['candidate']}:{'Y' if r['optimal'] else 'n'}/"
                + ("error" if r["fidelity"] is None else f"{r['fidelity']:.3f}")
                for r in rows[-len(candidates):]), flush=True)
    return rows


def summarize(rows: list[dict[str, Any]]) -> str:
    """One table per (kind, d): per candidate, fraction optimal, fidelity and time statistics."""
    text = ""
    groups = sorted({(r["kind"], r["d"]) for r in rows})
    for kind, d in groups:
        sub = [r for r in rows if r["kind"] == kind and r["d"] == d]
        table = []
        for cand in dict.fromkeys(r["candidate"] for r in sub):
            rs = [r for r in sub if r["candidate"] == cand]
            fids = [r["fidelity"] for r in rs if r["fidelity"] is not None] or [math.nan]
            times = [r["total_time"] for r in rs if r["total_time"] is not None] or [math.nan]
            errors = sum(r.get("error") is not None for r in rs)
            table.append([cand + (f" ({errors} errors)" if errors else ""),
                          f"{sum(r['optimal'] for r in rs)}/{len(rs)}",
                          f"{100 * statistics.mean(r['p_optimal'] for r in rs):.2f}",
                          f"{min(r['p_optimal'] for r in rs):.3f}",
                          f"{statistics.median(fids):.3f}", f"{min(fids):.3f}",
                          f"{statistics.median(times):g}", f"{max(times):g}",
                          f"{statistics.median(r['wall_s'] for r in rs):.2f}",
                          f"{max(r['wall_s'] for r in rs):.2f}"])
        title = (f"{'explain on the bundled photos' if kind == 'photo' else 'saved real instances'}, d = {d}")
        text += print_table(title, ["candidate", "optimal (seed 0)", "mean P(opt) %", "min P(opt)",
                                    "median F", "min F", "median T", "max T",
                                    "median wall s" + (" (explain)" if kind == "photo" else " (sample)"),
                                    "max wall s"], table)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"d = 12 on the photos, candidates {QUICK}, no instances")
    parser.add_argument("--candidates", nargs="+", choices=sorted(CANDIDATES), default=None)
    parser.add_argument("--photos", nargs="+", default=None, help="photo names (default: all bundled)")
    parser.add_argument("--photos-d", nargs="*", type=int, default=[12])
    parser.add_argument("--instances", type=Path, default=DEFAULT_PATH, help="saved instance set (.npz)")
    parser.add_argument("--instances-d", nargs="*", type=int, default=[])
    parser.add_argument("--limit", type=int, default=None, help="first N instances of each size")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "quantum_defaults.json")
    parser.add_argument("--from-json", type=Path, default=None, help="reprint the tables of a saved run")
    args = parser.parse_args(argv)

    if args.from_json is not None:
        saved = json.loads(args.from_json.read_text())
        print(f"saved run of {saved['date']} ({saved['command']})\n")
        summarize(saved["rows"])
        return 0

    import hybridxai
    from hybridxai.vision.samples import sample_names

    candidates = args.candidates or (QUICK if args.quick else list(CANDIDATES))
    photos = args.photos or sample_names()
    sizes = [12] if args.quick else args.photos_d
    rows = run_photos(photos, sizes, candidates) if sizes else []
    if not args.quick and args.instances_d:
        rows += run_instances(args.instances, args.instances_d, candidates, args.limit)
    tables = summarize(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "command": " ".join(["python"] + sys.argv),
        "hybridxai": hybridxai.__file__, "machine": platform.platform(), "candidates": CANDIDATES,
        "rows": rows, "tables": tables}, indent=1, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

