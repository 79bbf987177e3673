"""S7: `certified` and `sa` give the right selection at any QUBO scale (1e-12 … 1e12) and offset (≤ 1e15).

Before the fix, `certified` closed every node at once when the energies were tiny next to its
absolute tolerance floor of 1 (scale 1e-12) or next to the offset (1e15), and reported a wrong
sample as a "certified" optimum; `sa`'s local search ignored improvements below 1e-12 and its
``beta_range`` treated every bias below 1e-12 as zero. Energies at an offset of 1e15 carry its
float64 rounding (~0.1), so these tests compare the energies of the returned *selections* on the
unscaled, offset-free model with `dimod.ExactSolver`'s minimum.
"""

from __future__ import annotations

import dimod
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hybridxai.backends.certified.branch_and_bound import certify
from hybridxai.backends.certified.sampler import CertifiedSampler
from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler, default_beta_range
from hybridxai.backends.sa.scaling import bias_scale

SCALES = [1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9, 1e12]
OFFSETS = [0.0, -7.5, 1e3, 1e9, -1e12, 1e15]
_bias = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def small_qubos(draw: st.DrawFn, max_d: int = 6) -> dimod.BinaryQuadraticModel:
    """A dense random QUBO with 2..max_d variables and biases in [-1, 1], offset 0."""
    d = draw(st.integers(2, max_d))
    linear = {i: draw(_bias) for i in range(d)}
    quadratic = {(i, j): draw(_bias) for i in range(d) for j in range(i + 1, d)}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.0, draw(st.sampled_from(["BINARY", "SPIN"])))


def scaled(bqm: dimod.BinaryQuadraticModel, scale: float, offset: float) -> dimod.BinaryQuadraticModel:
    return dimod.BinaryQuadraticModel({v: b * scale for v, b in bqm.linear.items()},
                                      {uv: b * scale for uv, b in bqm.quadratic.items()},
                                      bqm.offset * scale + offset, bqm.vartype)


def tolerance(bqm: dimod.BinaryQuadraticModel) -> float:
    """Rounding allowance on the unscaled model's energies (the scaled biases were rounded)."""
    return 1e-9 * (1.0 + sum(map(abs, bqm.linear.values())) + sum(map(abs, bqm.quadratic.values())))


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(small_qubos(), st.sampled_from(SCALES), st.sampled_from(OFFSETS))
def test_s7_certified_optimum_equals_the_exact_solver_at_any_scale_and_offset(
        base: dimod.BinaryQuadraticModel, scale: float, offset: float) -> None:
    minimum = float(dimod.ExactSolver().sample(base).record.energy.min())
    bqm = scaled(base, scale, offset)
    cert = certify(bqm)
    assert cert.optimal and cert.status == "optimal"
    assert base.energy(cert.best_sample) == pytest.approx(minimum, abs=tolerance(base))
    # the gap and the bound are on the problem's scale, not swamped by the offset
    assert 0.0 <= cert.gap <= 1e-9 * scale * (1 + abs(minimum))
    if bqm.vartype is dimod.BINARY:  # (a SPIN model's offset changes in the BINARY view)
        assert cert.info["offset"] == bqm.offset
    assert (cert.lower_bound - bqm.offset) / scale == pytest.approx(
        minimum, abs=tolerance(base) + 1e-9 * abs(bqm.offset) / scale)


@PROPERTY
@given(small_qubos(), st.sampled_from(SCALES), st.sampled_from(OFFSETS))
def test_s7_certified_backend_returns_the_same_selection_energy(
        base: dimod.BinaryQuadraticModel, scale: float, offset: float) -> None:
    minimum = float(dimod.ExactSolver().sample(base).record.energy.min())
    result = CertifiedSampler().sample(scaled(base, scale, offset))
    assert result.info["optimal"]
    assert base.energy(result.first.sample) == pytest.approx(minimum, abs=tolerance(base))


@PROPERTY
@given(small_qubos(), st.sampled_from(SCALES), st.sampled_from(OFFSETS), st.sampled_from(["numba", "dwave"]))
def test_s7_sa_finds_the_optimum_of_small_qubos_at_any_scale_and_offset(
        base: dimod.BinaryQuadraticModel, scale: float, offset: float, engine: str) -> None:
    minimum = float(dimod.ExactSolver().sample(base).record.energy.min())
    result = SimulatedAnnealingSampler(seed=5, engine=engine).sample(scaled(base, scale, offset))
    best = float(base.energies(result).min())  # the reads' selections, on the unscaled model
    assert best == pytest.approx(minimum, abs=tolerance(base))


@pytest.mark.parametrize("exponent", [-40, -20, 0, 20, 40])
def test_s7_sa_beta_range_scales_inversely_with_the_qubo(exponent: int) -> None:
    rng = np.random.default_rng(0)
    linear = rng.normal(size=6)
    weights = np.triu(rng.normal(size=(6, 6)), 1)
    weights = weights + weights.T
    factor = 2.0 ** exponent
    hot, cold = default_beta_range(linear, weights)
    assert 0 < hot < cold
    assert default_beta_range(linear * factor, weights * factor) == (hot / factor, cold / factor)
    bqm = dimod.BinaryQuadraticModel(linear, np.triu(weights), 0.0, "BINARY")
    for engine in ("numba", "dwave"):
        info = SimulatedAnnealingSampler(seed=0, engine=engine).sample(scaled(bqm, factor, 0.0)).info
        reference = SimulatedAnnealingSampler(seed=0, engine=engine).sample(bqm).info
        assert np.allclose(info["beta_range"], np.divide(reference["beta_range"], factor), rtol=1e-12)


def test_s7_sa_samples_are_identical_for_a_power_of_two_multiple() -> None:
    rng = np.random.default_rng(3)
    d = 12
    base = dimod.BinaryQuadraticModel(rng.normal(size=d), np.triu(rng.normal(size=(d, d)), 1), 0.0, "BINARY")
    runs = [SimulatedAnnealingSampler(seed=11, num_sweeps=20, polish=polish)
            .sample(scaled(base, 2.0 ** k, 0.0)) for polish in (False, True) for k in (-45, 0, 45)]
    for first, other in ((runs[0], runs[1]), (runs[0], runs[2]), (runs[3], runs[4]), (runs[3], runs[5])):
        assert np.array_equal(first.record.sample, other.record.sample)


def test_s7_bias_scale_is_a_power_of_two_near_the_largest_bias() -> None:
    assert bias_scale(np.array([0.9, -0.3]), np.zeros((2, 2))) == 1.0
    assert bias_scale(np.array([3e-12]), np.zeros((1, 1))) == 2.0 ** round(np.log2(3e-12))
    assert bias_scale(np.zeros(2), np.zeros((2, 2))) == 1.0
    assert bias_scale(np.zeros(0), np.zeros((0, 0))) == 1.0
