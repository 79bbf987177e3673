"""The independent reference of ``benchmarks/bench_gap.py --fine-grid`` against dense ``eigh``.

``docs/benchmarks.md`` checks ``min_gap`` at d = 20 against ARPACK on a grid over all of
[0, 1]; these tests make sure that reference computes the gap it claims to, on sizes where a
dense diagonalisation is the ground truth.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import dimod
import numpy as np
import pytest

from hybridxai.analysis import random_feature_qubo
from tests.analysis._reference import reference_gap


@functools.cache
def _bench_gap() -> ModuleType:  # loaded once for all tests
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gap.py"
    spec = importlib.util.spec_from_file_location("bench_gap", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _symmetric_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """Couplings only (SPIN): every level of H_P is twice degenerate, g = 2."""
    rng = np.random.default_rng(seed)
    return dimod.BinaryQuadraticModel(
        {}, {(i, j): rng.normal() for i in range(d) for j in range(i + 1, d)}, 0.0, "SPIN")


def _wide_ground_bqm(d: int) -> dimod.BinaryQuadraticModel:
    """One biased variable: the ground level of H_P is ``2**(d-1)``-fold, more than ``d``."""
    return dimod.BinaryQuadraticModel({0: -1.0, **{i: 0.0 for i in range(1, d)}}, {}, 0.0,
                                      "BINARY")


@pytest.mark.parametrize("bqm", [random_feature_qubo(6, 0), random_feature_qubo(8, 7),
                                 _symmetric_bqm(6, 3), _wide_ground_bqm(4)],
                         ids=["paper-6", "paper-8", "z2-6", "g-above-d-4"])
def test_arpack_gaps_match_dense_eigh_along_a_sweep(bqm):
    gaps = _bench_gap().ArpackGaps(bqm, seed=0)
    for s in np.linspace(1.0, 0.0, 11):  # from s = 1 down, each solve started from the last
        assert gaps(float(s)) == pytest.approx(reference_gap(bqm, float(s)), abs=1e-9)


def test_fine_reference_agrees_with_min_gap(capsys):
    _bench_gap().fine_reference([8], "random", seed=7, num_points=11)
    verdict = capsys.readouterr().out.strip().splitlines()[-1]
    assert verdict.startswith("d=8 (random, seed 7): reference") and verdict.endswith(
        ", within tol=1e-06")
