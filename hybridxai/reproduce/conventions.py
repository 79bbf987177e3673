"""Δ_min and fidelity of the bundled photos' QUBOs under hybridxai's and the authors' conventions.

The numbers of the table "paper / hybridxai default / hybridxai authors preset" in
docs/reproduction.md. For each photo (:mod:`hybridxai.vision.samples`) the QUBO of MobileNetV2's
``features.18`` at ``β = 0.7`` is built on the ``d`` most important maps for each size ``d``, and
measured in four ways (:data:`VARIANTS`):

* ``"hybridxai"`` — the defaults: ``build_qubo``, ``H_D = −ΣX``, ``min_gap`` (adaptive, gap to the
  first level outside the ground manifold), fidelity of the ground manifold after the native
  annealer (``method="statevector"``, midpoint grid);
* ``"hybridxai, driver 1/d"`` — the same QUBO with the driver ``(1/d)·ΣX`` (issue #18's measurement);
* ``"authors"`` — ``build_qubo(..., conventions="authors")`` and ``conventions="authors"``:
  their grid for ``T = 10`` (``M = 1000`` points ``s_k = k/(M − 1)``), ``E_1 − E_0``, exact
  ``expm_multiply`` steps of ``dt = 0.01`` and the probability of the lowest-``H_P`` basis state;
  their ``H_P`` is hybridxai's (``pz = (I − Z)/2 = n``, ``src/utils/qutip_class.py``);
* ``"authors, H_P with pz = I − Z"`` — the same anneal conventions on ``4(1−β)·Σ J n n − 2β·Σ h n``,
  the ``H_P`` that ``pz = I − Z = 2n`` would give (the operator of ``src/utils/qutip_utils.py``,
  a module their simulation does not import; issue #18 read it so). It shows how much of the
  paper's larger gaps that reading would explain.

Run (a few minutes on one core)::

    nice -n 5 python -m hybridxai.reproduce.conventions --photos chelsea coffee astronaut rocket

It prints a Markdown table and, with ``--json PATH``, writes every number.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["VARIANTS", "measure_photo", "compare_conventions", "main"]

VARIANTS = ("hybridxai", "hybridxai, driver 1/d", "authors", "authors, H_P with pz = I − Z")
"""The ways each QUBO is measured (see the module docstring)."""


def _measure(bqm: Any, variant: str, total_times: Sequence[float]) -> dict[str, Any]:
    from hybridxai.analysis import fidelity_curve, min_gap

    if variant.startswith("authors"):
        gap = min_gap(bqm, conventions="authors", total_time=10.0, progress=False)
        curve = fidelity_curve(bqm, list(total_times), conventions="authors", method="expm_multiply",
                               progress=False)
    else:
        driver = "1/d" if variant.endswith("1/d") else "unit"
        gap = min_gap(bqm, driver_scale=driver, progress=False)
        curve = fidelity_curve(bqm, list(total_times), driver_scale=driver, method="statevector",
                               progress=False)
    ground = int(np.argmin(_energies(bqm)))
    return {"min_gap": float(gap.min_gap), "s_min": float(gap.s_min),
            "fidelity": {f"{t:g}": float(f) for t, f in zip(total_times, curve.fidelities, strict=True)},
            "selected": int(bin(ground).count("1")), "settings": gap.info}


def _with_doubled_occupations(bqm: Any) -> Any:
    """``H_P`` with every ``n`` replaced by ``2n``: linear terms × 2, pair terms × 4."""
    scaled = bqm.copy()
    scaled.scale(2.0)
    scaled.scale(2.0, ignored_variables=list(scaled.variables), ignore_offset=True)
    scaled.offset = bqm.offset
    return scaled


def _energies(bqm: Any) -> np.ndarray:
    from hybridxai.anneal.ising import basis_energies

    return basis_energies(bqm)


def measure_photo(features: Any, sizes: Sequence[int], total_times: Sequence[float],
                  beta: float = 0.7) -> dict[int, dict[str, dict[str, Any]]]:
    """Every variant of :data:`VARIANTS` for one photo's features, at each size ``d``.

    Args:
        features: The photo's :class:`~hybridxai.vision.features.FeatureBatch` (one image).
        sizes: The ``max_qubits`` values ``d``.
        total_times: Anneal times of the fidelities.
        beta: The trade-off.

    Returns:
        ``{d: {variant: {"min_gap", "s_min", "fidelity": {T: F}, "selected", "settings"}}}``;
        ``selected`` is the size of the optimal selection.
    """
    from hybridxai.anneal.qubo import build_qubo

    out: dict[int, dict[str, dict[str, Any]]] = {}
    for d in sizes:
        default = build_qubo(features.activations[0], features.gradients[0], beta=beta, max_qubits=d)
        authors = build_qubo(features.activations[0], features.gradients[0], beta=beta, max_qubits=d,
                             conventions="authors")
        problems = {VARIANTS[0]: default.bqm, VARIANTS[1]: default.bqm, VARIANTS[2]: authors.bqm,
                    VARIANTS[3]: _with_doubled_occupations(authors.bqm)}
        out[default.num_variables] = {name: _measure(bqm, name, total_times)
                                      for name, bqm in problems.items()}
    return out


def compare_conventions(photos: Sequence[str], sizes: Sequence[int] = (6, 8, 10, 12),
                        total_times: Sequence[float] = (10.0, 100.0), beta: float = 0.7) -> dict[str, Any]:
    """:func:`measure_photo` on bundled photos, with medians per size and power-law fits of Δ_min.

    Args:
        photos: Names of :func:`hybridxai.vision.samples.load_sample`.
        sizes: Problem sizes ``d``.
        total_times: Anneal times.
        beta: The trade-off.

    Returns:
        ``{"photos": {name: measure_photo(...)}, "median": {d: {variant: {...}}},
        "gap_fit": {variant: fit dict}, "seconds": ...}``.
    """
    from hybridxai.analysis import fit_power_law
    from hybridxai.vision.features import extract_features
    from hybridxai.vision.images import prepare_images
    from hybridxai.vision.models import model_info
    from hybridxai.vision.models.pretrained import load_pretrained
    from hybridxai.vision.samples import load_sample

    t0 = time.perf_counter()
    model = load_pretrained("mobilenet_v2")
    per_photo = {}
    for name in photos:
        batch = prepare_images(load_sample(name), model_info(model).transform).batch
        per_photo[name] = measure_photo(extract_features(model, batch), sizes, total_times, beta)
    medians: dict[int, dict[str, dict[str, float]]] = {}
    for d in sorted({d for rows in per_photo.values() for d in rows}):
        rows = [r[d] for r in per_photo.values() if d in r]
        medians[d] = {v: {"min_gap": float(np.median([r[v]["min_gap"] for r in rows])),
                          "selected": float(np.median([r[v]["selected"] for r in rows])),
                          **{f"F(T={t:g})": float(np.median([r[v]["fidelity"][f"{t:g}"] for r in rows]))
                             for t in total_times}}
                      for v in VARIANTS}
    fits = {}
    for v in VARIANTS:
        ds = [d for d in medians if medians[d][v]["min_gap"] > 0]
        if len(ds) >= 2:
            fit = fit_power_law(ds, [medians[d][v]["min_gap"] for d in ds])
            fits[v] = {"exponent": fit.exponent, "amplitude": fit.amplitude, "r_squared": fit.r_squared}
    return {"photos": per_photo, "median": medians, "gap_fit": fits, "beta": beta,
            "total_times": list(total_times), "seconds": time.perf_counter() - t0}


def _table(result: dict[str, Any]) -> str:
    times = result["total_times"]
    top = max(result["median"])
    lines = ["| quantity | " + " | ".join(VARIANTS) + " |", "|---|" + "---|" * len(VARIANTS)]
    row = result["median"][top]
    lines.append(f"| median Δ_min, d = {top} | "
                 + " | ".join(f"{row[v]['min_gap']:.3g}" for v in VARIANTS) + " |")
    for t in times:
        lines.append(f"| median F(T = {t:g}), d = {top} | "
                     + " | ".join(f"{row[v][f'F(T={t:g})']:.3g}" for v in VARIANTS) + " |")
    lines.append(f"| median optimal \\|S\\|, d = {top} | "
                 + " | ".join(f"{row[v]['selected']:g}" for v in VARIANTS) + " |")
    fits = result["gap_fit"]
    lines.append(f"| median Δ_min vs d ({', '.join(str(d) for d in result['median'])}) | "
                 + " | ".join(f"d^{fits[v]['exponent']:.2f} (R² {fits[v]['r_squared']:.2f})" if v in fits
                              else "–" for v in VARIANTS) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: measure, print the Markdown table, optionally write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", nargs="+", default=["chelsea", "coffee", "astronaut", "rocket"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[6, 8, 10, 12])
    parser.add_argument("--times", nargs="+", type=float, default=[10.0, 100.0])
    parser.add_argument("--beta", type=float, default=0.7)
    parser.add_argument("--json", default=None, help="write every number there")
    args = parser.parse_args(argv)
    result = compare_conventions(args.photos, args.sizes, args.times, args.beta)
    print(_table(result))
    print(f"\n{len(args.photos)} photos, {result['seconds']:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1, default=str)


if __name__ == "__main__":
    main()
