"""random_feature_qubo: deterministic, shaped like a feature-selection QUBO, validated."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai.analysis import random_feature_qubo
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


@pytest.mark.parametrize("pixels", [49, 196])
def test_shape_and_signs(pixels):
    bqm = random_feature_qubo(6, seed=3, beta=0.6, pixels=pixels)
    assert list(bqm.variables) == list(range(6)) and bqm.vartype.name == "BINARY"
    assert bqm.offset == 0.0 and len(bqm.quadratic) == 15
    h = -np.array([bqm.linear[p] for p in range(6)]) / 0.6
    assert h.max() == pytest.approx(1.0) and np.all(h > 0)
    assert all(0.0 < bias <= 0.4 + 1e-12 for bias in bqm.quadratic.values())


def test_deterministic_in_its_arguments():
    assert random_feature_qubo(5, seed=1) == random_feature_qubo(5, seed=1)
    assert random_feature_qubo(5, seed=1) != random_feature_qubo(5, seed=2)
    assert random_feature_qubo(5, seed=1) != random_feature_qubo(5, seed=1, pixels=49)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(d=0), InvalidArgumentError, "d"),
        (dict(d=2.5), InvalidTypeError, "d"),
        (dict(d=True), InvalidTypeError, "d"),
        (dict(pixels=0), InvalidArgumentError, "pixels"),
        (dict(beta=1.5), InvalidArgumentError, "beta"),
    ],
)
def test_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        random_feature_qubo(**{"d": 3, "seed": 0, **kwargs})
