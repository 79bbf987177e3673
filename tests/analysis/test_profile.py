"""hybridxai.analysis.gap_profile: the public API, its plot and the re-exported operator names."""

import numpy as np
import pytest

import hybridxai.analysis as analysis
from hybridxai.analysis import (
    GapProfileResult,
    flip_symmetric_qubo,
    gap_profile,
    min_gap,
    random_feature_qubo,
)
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


def test_plot_runs_to_the_exact_end_points_and_draws_into_given_axes(tmp_path):
    from matplotlib.figure import Figure

    profile = gap_profile(random_feature_qubo(6, 1), adaptive=True)
    fig = profile.plot()
    top, bottom = fig.axes
    gap_line, energy_line = bottom.lines[0], top.lines[0]
    assert gap_line.get_xdata()[0] == 0.0 and gap_line.get_xdata()[-1] == 1.0
    assert gap_line.get_ydata()[0] == pytest.approx(profile.ends[0].gap)
    assert energy_line.get_ydata()[-1] == pytest.approx(profile.ends[1].e0)
    assert len(gap_line.get_xdata()) == profile.s.size + 2
    # the matrix element is not defined at the ends: only at the profile's points
    assert len(bottom.lines[1].get_xdata()) == profile.s.size
    # one Axes: the gap panel into it; a pair: both panels
    mine = Figure()
    left, right = mine.subplots(1, 2)
    assert profile.plot(ax=right) is mine and not left.lines and right.get_yscale() == "log"
    pair = Figure()
    assert profile.plot(tmp_path / "pair.png", ax=pair.subplots(2, 1)) is pair
    assert (tmp_path / "pair.png").stat().st_size > 0
    assert profile.plot(ax=[left]) is mine and left.lines  # one Axes in a list: that one
    for wrong in (Figure(), (right, right), [left, right, left]):
        with pytest.raises(InvalidArgumentError, match="ax=.*pair"):
            profile.plot(ax=wrong)


def test_lowest_two_plot_leaves_the_closed_gap_off_the_log_scale():
    bqm = flip_symmetric_qubo(5, 2)
    profile = gap_profile(bqm, 8, gap="lowest-two")
    assert profile.ends[1].gap == 0.0
    line = profile.plot().axes[1].lines[0]
    assert np.all(line.get_ydata() > 0) and len(line.get_ydata()) == profile.s.size + 1
    assert line.get_label() == "gap $E_1 - E_0$"  # not E_2: the profile is of E_1 − E_0


def test_bad_argument_is_named():
    with pytest.raises(InvalidArgumentError, match="num_points"):
        gap_profile(random_feature_qubo(3, 0), num_points=0)


def test_moved_names_still_public():
    assert analysis.AnnealingOperator is operators.AnnealingOperator
    assert analysis.lowest_eigenpairs is eigensolvers.lowest_eigenpairs
    assert analysis.driver_sum_csr is operators.driver_sum_csr
