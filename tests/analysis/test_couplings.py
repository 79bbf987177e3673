import numpy as np
import pytest

from hybridxai.analysis import coupling_statistics
from hybridxai.analysis.couplings import off_diagonal_couplings
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


def gaussian_coupling_matrix(d, mean, std, rng):
    upper = np.triu(rng.normal(mean, std, size=(d, d)), k=1)
    j = upper + upper.T
    np.fill_diagonal(j, 1.0)  # cosine similarity of a map with itself: excluded
    return j


def test_statistics_of_synthetic_gaussian_couplings():
    rng = np.random.default_rng(0)
    matrices = [gaussian_coupling_matrix(32, 0.45, 0.08, rng) for _ in range(10)]
    stats = coupling_statistics(matrices)
    assert stats.count == 10 * 32 * 31 // 2 and stats.num_problems == 10
    assert stats.num_variables == 32
    assert stats.mean == pytest.approx(0.45, abs=0.01)
    assert stats.std == pytest.approx(0.08, abs=0.005)
    assert abs(stats.skewness) < 0.2 and abs(stats.kurtosis) < 0.3
    assert stats.fit_mean == pytest.approx(stats.mean) and stats.fit_std == pytest.approx(0.08, abs=0.005)
    assert stats.normality_test == "dagostino" and stats.is_gaussian()
    assert 1.0 not in stats.values  # the diagonal is not a coupling
    assert stats.sk_std == pytest.approx(1 / np.sqrt(32))
    assert stats.sk_ratio == pytest.approx(stats.std * np.sqrt(32))
    assert "SK" in stats.summary()
    density, edges = stats.histogram(bins=20)
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)


def test_skewed_couplings_are_not_gaussian():
    rng = np.random.default_rng(1)
    stats = coupling_statistics(rng.exponential(0.2, size=3000))
    assert stats.skewness > 1.5 and stats.kurtosis > 3
    assert not stats.is_gaussian()


def test_bqm_input_uses_quadratic_biases_and_spin_form_scales(make_bqm):
    bqm = make_bqm(6, 2)
    values, d = off_diagonal_couplings(bqm)
    assert d == 6 and values.size == 15
    assert sorted(values) == pytest.approx(sorted(b for _, _, b in bqm.iter_quadratic()))
    spin = coupling_statistics(bqm, form="spin")
    assert spin.std == pytest.approx(np.std(values, ddof=1) / 4)
    small = coupling_statistics(bqm)
    assert small.normality_test == "shapiro"


def test_bad_inputs():
    with pytest.raises(InvalidArgumentError, match="qubos"):
        coupling_statistics(np.ones((3, 4)))
    with pytest.raises(InvalidArgumentError, match="only 1 couplings"):
        coupling_statistics(np.eye(2))
    with pytest.raises(InvalidArgumentError, match="form"):
        coupling_statistics(np.eye(4), form="ising")
    with pytest.raises(InvalidTypeError, match="qubos"):
        coupling_statistics([{"a": 1}])
    with pytest.raises(InvalidArgumentError, match="empty"):
        coupling_statistics([])
    with pytest.raises(InvalidArgumentError, match="NaN"):
        coupling_statistics(np.array([0.1, np.nan, 0.3, 0.2]))


def test_plot_writes_png(tmp_path):
    rng = np.random.default_rng(3)
    stats = coupling_statistics(gaussian_coupling_matrix(24, 0.3, 0.1, rng))
    fig = stats.plot(tmp_path / "j.png", bins=30)
    data = (tmp_path / "j.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert len(fig.axes[0].patches) == 30  # histogram bars
