"""The independent reference of ``benchmarks/bench_gap.py --fine-grid`` against dense ``eigh``.

``docs/benchmarks.md`` checks ``min_gap`` at d = 20 against ARPACK on a grid over all of
[0, 1]; these tests make sure that reference computes the gap it claims to, on sizes where a
dense diagonalisation is the ground truth. The same for the reduced-basis profile of
``--continuation`` (seventh round), whose products and times the docs compare with
``gap_profile``'s.
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


@pytest.mark.parametrize("bqm", [random_feature_qubo(8, 7), _symmetric_bqm(8, 3)],
                         ids=["paper-8", "z2-8"])
def test_reduced_basis_profile_matches_the_dense_profile(bqm):
    """``--continuation``'s reduced-basis profile: the dense profile's gaps and matrix elements."""
    from hybridxai.anneal.gap_points import profile_grid
    from hybridxai.anneal.gap_profile import compute_gap_profile

    reduced = _bench_gap().ReducedBasisProfile(bqm, tol=1e-10)
    gaps, couplings, errors = reduced.profile(profile_grid())
    dense = compute_gap_profile(bqm, solver="dense")
    np.testing.assert_allclose(gaps, dense.gaps, rtol=0, atol=1e-9)
    # the matrix element follows the eigenvectors, which tol does not bound: its error is about
    # ‖r‖/Δ (compute_gap_profile's docstring), here up to 2.9e-4 of it (1.5e-5) on the Zen 5
    # machine of the twentieth round, where an absolute 1e-5 failed; the same relative bound as
    # tests/anneal/test_gap_profile.py's Davidson profile
    np.testing.assert_allclose(couplings, dense.couplings, rtol=5e-4, atol=1e-7)
    assert errors.max() <= 1e-10
    # fewer solves than grid points, and a basis far smaller than the space
    assert reduced.solves < 64 and reduced.m < reduced.op.dimension // 2
    basis = reduced.basis[: reduced.m]
    np.testing.assert_allclose(basis @ basis.T, np.eye(reduced.m), atol=1e-12)


def test_reduced_basis_grams_are_the_projected_operators():
    reduced = _bench_gap().ReducedBasisProfile(random_feature_qubo(6, 1))
    reduced.profile(np.array([0.2, 0.5, 0.9]))
    op, basis = reduced.op, reduced.basis[: reduced.m]
    flips = np.stack([op.driver_matvec(e) for e in np.eye(op.dimension)])  # ΣX, symmetric
    energies = np.diag(op.diagonal)
    for gram, matrix in zip(reduced.grams[:, : reduced.m, : reduced.m],
                            [flips, energies, flips @ flips, energies @ energies, flips @ energies],
                            strict=True):
        np.testing.assert_allclose(gram, basis @ matrix @ basis.T, atol=1e-12)
