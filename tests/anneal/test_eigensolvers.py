"""Dense ``eigh``'s claimed accuracy against a 30-digit reference."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai.analysis import flip_symmetric_qubo, random_feature_qubo
from hybridxai.anneal.eigensolvers import eigenvalue_rounding, lowest_eigenpairs
from hybridxai.anneal.operators import AnnealingOperator

mpmath = pytest.importorskip("mpmath")


@pytest.mark.parametrize("bqm", [random_feature_qubo(5, 0), flip_symmetric_qubo(6, 1),
                                 random_feature_qubo(6, 2)], ids=["random5", "flip6", "random6"])
@pytest.mark.parametrize("s", [0.3, 0.7, 0.99])
def test_dense_levels_are_within_the_error_they_claim(bqm, s):
    # each level claims half of eigenvalue_rounding (docs/benchmarks.md, fifteenth round):
    # check it against mpmath's eigenvalues of the same matrix at 30 digits
    op = AnnealingOperator.from_bqm(bqm)
    pairs = lowest_eigenpairs(op, s, 4, solver="dense")
    with mpmath.workdps(30):
        exact = sorted(float(x) for x in mpmath.eigsy(mpmath.matrix(op.dense(s).tolist()),
                                                      eigvals_only=True))[:4]
    assert np.all(pairs.errors == 0.5 * eigenvalue_rounding(op))
    assert np.all(np.abs(pairs.values - np.array(exact)) <= pairs.errors)
