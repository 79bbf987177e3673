import numpy as np
import pytest

from hybridxai.analysis import (
    fit_exponential,
    fit_power_law,
    landau_zener_probability,
    plot_fidelity_vs_size,
    plot_gap_scaling,
    sweep_rate,
)
from hybridxai.exceptions import InvalidArgumentError


def test_exponential_fit_recovers_parameters_from_noisy_data():
    rng = np.random.default_rng(0)
    d = np.arange(4, 33, 2, dtype=float)
    truth = 0.85 * np.exp(-0.18 * d) + 0.07
    noisy = truth + rng.normal(0, 0.005, size=d.size)
    fit = fit_exponential(d, noisy, sigma=np.full(d.size, 0.005))
    assert fit.a == pytest.approx(0.85, abs=3 * fit.stderr["a"] + 0.02)
    assert fit.c == pytest.approx(0.18, abs=3 * fit.stderr["c"] + 0.005)
    assert fit.const == pytest.approx(0.07, abs=3 * fit.stderr["const"] + 0.005)
    assert 0 < fit.stderr["c"] < 0.05
    assert fit.r_squared > 0.99
    np.testing.assert_allclose(fit.predict(d), truth, atol=0.01)
    assert set(fit.params) == {"a", "c", "const"}


def test_exponential_fit_without_constant_is_exact_on_clean_data():
    d = np.array([2.0, 4.0, 6.0, 8.0])
    fit = fit_exponential(d, 2.0 * np.exp(-0.5 * d), fit_constant=False)
    assert (fit.a, fit.c, fit.const) == pytest.approx((2.0, 0.5, 0.0), abs=1e-8)
    assert "exp" in fit.describe()


def test_power_law_fit_recovers_exponent_and_time_scaling():
    rng = np.random.default_rng(1)
    d = np.repeat(np.arange(8, 33, 4), 5).astype(float)
    gaps = 1.6 * d**-1.0 * np.exp(rng.normal(0, 0.05, size=d.size))
    fit = fit_power_law(d, gaps)
    assert fit.exponent == pytest.approx(-1.0, abs=4 * fit.stderr["exponent"] + 0.02)
    assert fit.amplitude == pytest.approx(1.6, rel=0.1)
    assert fit.time_exponent == pytest.approx(2.0, abs=0.1)
    np.testing.assert_allclose(fit.predict([10.0]), [fit.amplitude * 10.0**fit.exponent])


def test_landau_zener_convention():
    # two-level check: sweep H(t) = (v t / 2) σz + (Δ / 2) σx through the crossing, starting
    # in the adiabatic ground state; the probability of ending in the adiabatic excited state
    # is the Landau–Zener probability (adiabatic end states keep finite-window errors small)
    gap, rate = 0.3, 0.2
    times = np.linspace(-60, 60, 24001)
    dt = times[1] - times[0]

    def hamiltonian(t):
        return np.array([[rate * t / 2, gap / 2], [gap / 2, -rate * t / 2]])

    psi = np.linalg.eigh(hamiltonian(times[0]))[1][:, 0].astype(complex)
    for t in times[:-1] + dt / 2:
        a, b = rate * t / 2, gap / 2
        w = np.hypot(a, b)
        c, s = np.cos(w * dt), np.sin(w * dt) / w
        psi = np.array([[c - 1j * s * a, -1j * s * b], [-1j * s * b, c + 1j * s * a]]) @ psi
    excited = np.linalg.eigh(hamiltonian(times[-1]))[1][:, 1]
    jumped = abs(excited @ psi) ** 2
    assert float(landau_zener_probability(gap, rate)) == pytest.approx(jumped, abs=2e-3)
    assert float(landau_zener_probability(0.0, 1.0)) == 1.0
    np.testing.assert_allclose(landau_zener_probability([0.1, 0.2], 0.01),
                               np.exp(-np.pi * np.array([0.01, 0.04]) / 0.02))
    assert float(sweep_rate(-3.0, 10.0)) == pytest.approx(0.3)


def test_bad_inputs():
    with pytest.raises(InvalidArgumentError, match="fidelities"):
        fit_exponential([1, 2, 3], [0.1, 0.2])
    with pytest.raises(InvalidArgumentError, match="at least 3"):
        fit_exponential([1, 2], [0.5, 0.4])
    with pytest.raises(InvalidArgumentError, match="NaN"):
        fit_exponential([1, 2, 3], [0.5, np.nan, 0.3])
    with pytest.raises(InvalidArgumentError, match="gaps"):
        fit_power_law([4, 8], [0.1, 0.0])
    with pytest.raises(InvalidArgumentError, match="distinct"):
        fit_power_law([4, 4], [0.1, 0.2])
    with pytest.raises(InvalidArgumentError, match="min_gap"):
        landau_zener_probability(-0.1, 1.0)
    with pytest.raises(InvalidArgumentError, match="sweep_rate"):
        landau_zener_probability(0.1, 0.0)


def test_plots_write_png(tmp_path):
    d = np.arange(4, 20, dtype=float)
    f = 0.8 * np.exp(-0.2 * d) + 0.1
    fit = fit_exponential(d, f)
    plot_fidelity_vs_size(d, f, fit=fit, errors=np.full(d.size, 0.02), path=tmp_path / "f.png")
    gaps = 2.0 / d
    fit_power_law(d, gaps).plot(d, gaps, tmp_path / "g.png")
    plot_gap_scaling(d, gaps, path=tmp_path / "g2.png")
    for name in ("f.png", "g.png", "g2.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
