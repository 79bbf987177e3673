"""Benchmark: does an adaptive gap profile end at the minimum of kinked gaps? (no eigensolver)

:func:`hybridxai.anneal.gap_adaptive.adaptive_points` is run on analytic gaps with exact
Hellmann–Feynman slopes, each answer off by half its tolerance, as the eigensolver reports
it: ``V`` shapes, ``Δ = w + max(k1·(s0 − s), k2·(s − s0))`` (a kink where two sectors' levels
cross), and ``W`` shapes, the smaller of two such V's a short way apart with tips ``w`` and
``w ± step`` (two kinks close together). It counts the profiles that say they are resolved yet
whose lowest point lies more than ``2·tol`` above the true minimum (the accuracy
``gap_adaptive``'s docstring promises), and the points spent. The random shapes are those of
the review scripts of the sixteenth and seventeenth rounds (docs/benchmarks.md).

Usage::

    python benchmarks/bench_adaptive_shapes.py                      # 300 V's and 300 W's, seed 1
    python benchmarks/bench_adaptive_shapes.py --shapes W --seeds 3 4 5 6
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from hybridxai.anneal.gap_adaptive import adaptive_points
from hybridxai.anneal.gap_points import GapPoint

_TOL = 1e-10


class Wells:
    """``Δ(s)`` the smallest of V's with tips ``(s_i, w_i)``, arms ``k1`` (left) and ``k2``."""

    def __init__(self, tips: list[tuple[float, float]], k1: float, k2: float) -> None:
        self.tips, self.k1, self.k2 = tips, k1, k2
        self.sweep = True

    def __call__(self, s: float, tol: float) -> GapPoint:
        gap, slope = min((w + max(self.k1 * (at - s), self.k2 * (s - at)), -self.k1 if s < at else self.k2)
                         for at, w in self.tips)
        return GapPoint(s, gap, slope, 0.0, 0.5 * tol, 0.0, gap)

    def ends(self) -> tuple[GapPoint, GapPoint]:
        return self(0.0, 0.0), self(1.0, 0.0)


def random_shape(kind: str, rng: np.random.Generator) -> Wells:
    """One random V (sixteenth round's scan) or W (seventeenth round's)."""
    if kind == "V":
        s0 = float(rng.uniform(0.02, 0.9999))
        k1, k2 = (float(x) for x in 10 ** rng.uniform(-1, 1, 2))
        return Wells([(s0, float(10 ** rng.uniform(-4, -1)))], k1, k2)
    s0 = float(rng.uniform(0.05, 0.9))
    k1, k2 = float(10 ** rng.uniform(-2, 2)), float(10 ** rng.uniform(-2, 2))
    w, separation = float(10 ** rng.uniform(-4, -1)), float(10 ** rng.uniform(-6, -2))
    step = float(10 ** rng.uniform(-9, -6) * rng.choice([1, -1]))
    return Wells([(s0, w), (s0 + separation, w + step)], k1, k2)


def scan(kind: str, count: int, seed: int) -> tuple[int, int, list[int], float]:
    """Profiles resolved but over ``2·tol`` above the minimum, unresolved ones, points, worst excess."""
    rng = np.random.default_rng(seed)
    missed = unresolved = 0
    points: list[int] = []
    worst = 0.0
    for _ in range(count):
        shape = random_shape(kind, rng)
        found, _, resolved = adaptive_points(shape, shape.ends(), rtol=1e-2, tol=_TOL, max_points=300)
        excess = (min(p.gap for p in found) - min(w for _, w in shape.tips)) / _TOL
        points.append(len(found))
        unresolved += not resolved
        if resolved:
            missed += excess > 2.0
            worst = max(worst, excess)
    return missed, unresolved, points, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", choices=["V", "W"], default=["V", "W"])
    parser.add_argument("--count", type=int, default=300, help="shapes per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    for kind in args.shapes:
        for seed in args.seeds:
            missed, unresolved, points, worst = scan(kind, args.count, seed)
            print(f"{kind} seed {seed}: {missed} of {args.count} resolved over 2·tol above the "
                  f"minimum (worst {worst:.3g}·tol); {unresolved} unresolved (out of points); "
                  f"points: {sum(points)} in all, median {statistics.median(points):g}, "
                  f"most {max(points)}", flush=True)


if __name__ == "__main__":
    main()
