"""The explanation figure's panels that read numbers: which bars are the optimum."""

from __future__ import annotations

from types import SimpleNamespace

import dimod
import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex

from hybridxai.explainer.figure import _draw_probabilities

matplotlib.use("Agg")


@pytest.mark.parametrize("scale", [1e-12, 1.0, 1e9])
def test_the_optimum_bars_are_green_in_any_units(scale) -> None:
    # an absolute 1e-9 (until the sixteenth round) made every selection of a QUBO in units of
    # 1e-12 "the optimum"; the figure now uses the optimality report's own margin
    import matplotlib.pyplot as plt

    bqm = dimod.BinaryQuadraticModel({0: -1.0 * scale, 1: -1.0 * scale, 2: 0.5 * scale},
                                     {(0, 1): 1.0 * scale}, 0.0, "BINARY")
    samples = dimod.ExactSolver().sample(bqm)
    n = len(samples)
    sampleset = dimod.SampleSet.from_samples_bqm(
        (samples.record.sample, list(samples.variables)), bqm,
        probability=np.full(n, 1.0 / n))
    ground = float(samples.first.energy)
    e = SimpleNamespace(sampleset=sampleset, info={"ground_energy": ground}, qubo=SimpleNamespace(bqm=bqm))
    fig, ax = plt.subplots()
    try:
        _draw_probabilities(e, ax)
        colours = [to_hex(bar.get_facecolor()) for bar in ax.patches]
    finally:
        plt.close(fig)
    energies = np.sort(sampleset.record.energy)
    optimum = [bool(x == ground) for x in energies]
    assert sum(optimum) == 3  # {0}, {1} and {0, 1} tie at -1
    assert [c == to_hex("C2") for c in colours] == optimum


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
@pytest.mark.parametrize("offset", [0.0, 1e9])
def test_tied_optima_far_from_zero_are_both_green(vartype, offset) -> None:
    # 0.1 + 0.2 and 0.3 tie up to rounding; 1e9 above zero the offset's own rounding decides,
    # and the margin must include it (the review, docs/benchmarks.md, sixteenth round)
    import matplotlib.pyplot as plt

    bqm = dimod.BinaryQuadraticModel({0: -0.1, 1: -0.2, 2: -0.3}, {(0, 2): 10.0, (1, 2): 10.0},
                                     offset, "BINARY").change_vartype(vartype, inplace=False)
    states = dimod.ExactSolver().sample(bqm)
    sampleset = dimod.SampleSet.from_samples_bqm((states.record.sample, list(states.variables)), bqm,
                                                 probability=np.full(len(states), 1.0 / len(states)))
    e = SimpleNamespace(sampleset=sampleset, info={"ground_energy": float(states.first.energy)},
                        qubo=SimpleNamespace(bqm=bqm))
    fig, ax = plt.subplots()
    try:
        _draw_probabilities(e, ax)
        green = sum(to_hex(bar.get_facecolor()) == to_hex("C2") for bar in ax.patches)
    finally:
        plt.close(fig)
    assert green == 2  # {0, 1} and {2}
