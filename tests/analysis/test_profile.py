"""hybridxai.analysis.gap_profile: the public API, its plot and the re-exported operator names."""

import numpy as np
import pytest

import hybridxai.analysis as analysis
from hybridxai.analysis import GapProfileResult, gap_profile, min_gap, random_feature_qubo
from hybridxai.anneal import eigensolvers, operators
from hybridxai.exceptions import InvalidArgumentError
from tests.analysis._reference import dense_hamiltonian, reference_gap


def test_gap_profile_matches_eigh_and_min_gap():
    bqm = random_feature_qubo(7, 5)
    profile = gap_profile(bqm, 32)
    assert isinstance(profile, GapProfileResult)
    energies = np.diag(dense_hamiltonian(bqm, 1.0))
    driver = dense_hamiltonian(bqm, 0.0)
    for j, s in enumerate(profile.s):
        w, v = np.linalg.eigh(dense_hamiltonian(bqm, s))
        assert profile.ground_energies[j] == pytest.approx(w[0], abs=1e-8)
        assert profile.excited_energies[j] == pytest.approx(w[1], abs=1e-8)
        assert profile.gaps[j] == pytest.approx(reference_gap(bqm, s), abs=1e-8)
        element = abs(v[:, 1] @ (np.diag(energies) - driver) @ v[:, 0])
        assert profile.couplings[j] == pytest.approx(element, abs=1e-8)
    # the grid minimum is an upper bound of the true minimum gap
    assert profile.min_gap >= min_gap(bqm, tol=1e-8).min_gap - 1e-8


def test_plot_writes_png(tmp_path):
    profile = gap_profile(random_feature_qubo(5, 0), 16)
    path = tmp_path / "sub" / "profile.png"
    fig = profile.plot(path)
    assert len(fig.axes) == 2
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_argument_is_named():
    with pytest.raises(InvalidArgumentError, match="num_points"):
        gap_profile(random_feature_qubo(3, 0), num_points=0)


def test_moved_names_still_public():
    assert analysis.AnnealingOperator is operators.AnnealingOperator
    assert analysis.lowest_eigenpairs is eigensolvers.lowest_eigenpairs
    assert analysis.driver_sum_csr is operators.driver_sum_csr
