"""Shared pytest fixtures: small random QUBOs and deterministic settings."""

from __future__ import annotations

import os

import dimod
import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def random_bqm(num_variables: int, seed: int, vartype: str = "BINARY") -> dimod.BinaryQuadraticModel:
    """A dense random BQM with labels that are not 0..d-1 (to catch label mix-ups)."""
    rng = np.random.default_rng(seed)
    labels = [int(x) for x in rng.choice(1000, size=num_variables, replace=False)]
    linear = {v: float(rng.normal()) for v in labels}
    quadratic = {
        (labels[i], labels[j]): float(rng.normal())
        for i in range(num_variables)
        for j in range(i + 1, num_variables)
    }
    return dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), vartype)


@pytest.fixture
def make_bqm():
    """Factory fixture: ``make_bqm(d, seed, vartype="BINARY")``."""
    return random_bqm
