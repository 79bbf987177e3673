import importlib.util

import dimod
import numpy as np
import pytest

from hybridxai.analysis import fidelity_curve, min_gap
from hybridxai.exceptions import InvalidArgumentError, ProblemTooLargeError
from tests.analysis._reference import dense_hamiltonian, ground_degeneracy


def test_tiny_time_gives_overlap_of_plus_state_with_ground_manifold(make_bqm):
    for bqm in (make_bqm(4, 1), dimod.BinaryQuadraticModel({}, {(0, 1): 1.0, (1, 2): -0.5}, 0, "SPIN")):
        curve = fidelity_curve(bqm, [1e-7], num_steps=1)
        g = ground_degeneracy(bqm)
        assert curve.degeneracy == g
        assert curve.initial_overlap == pytest.approx(g / 2 ** len(bqm.variables))
        assert curve.fidelities[0] == pytest.approx(curve.initial_overlap, abs=1e-9)


def test_long_anneal_on_gapped_instance_is_adiabatic(make_bqm):
    bqm = make_bqm(3, 2)  # Δ_min ≈ 1.2: adiabatic well before T = 30
    assert min_gap(bqm).min_gap > 1.0
    curve = fidelity_curve(bqm, [0.5, 30.0], num_steps=[50, 1500])
    assert curve.fidelities[1] > 0.999
    assert curve.fidelities[0] < curve.fidelities[1]
    assert list(curve.num_steps) == [50, 1500]


def test_piecewise_constant_evolution_matches_dense_expm(make_bqm):
    import scipy.linalg

    bqm = make_bqm(3, 5)
    total_time, steps = 2.0, 20
    psi = np.full(8, 1 / np.sqrt(8), dtype=complex)
    for k in range(steps):
        s = (k + 0.5) / steps
        psi = scipy.linalg.expm(-1j * (total_time / steps) * dense_hamiltonian(bqm, s)) @ psi
    energies = np.diag(dense_hamiltonian(bqm, 1.0))
    expected = np.abs(psi[energies <= energies.min() + 1e-9]) ** 2
    curve = fidelity_curve(bqm, [total_time], num_steps=steps)
    assert curve.fidelities[0] == pytest.approx(expected.sum(), abs=1e-10)


def test_default_steps_follow_paper_time_step(make_bqm):
    curve = fidelity_curve(make_bqm(2, 0), [0.05, 0.1])
    assert list(curve.num_steps) == [5, 10]
    assert curve.schedule == "linear" and curve.method == "expm_multiply"


@pytest.mark.skipif(importlib.util.find_spec("hybridxai.backends.statevector") is None,
                    reason="the statevector backend is not installed yet")
def test_statevector_method_agrees_with_expm_multiply(make_bqm):
    bqm = make_bqm(4, 3)
    exact = fidelity_curve(bqm, [1.0, 5.0], num_steps=[400, 2000])
    trotter = fidelity_curve(bqm, [1.0, 5.0], num_steps=[400, 2000], method="statevector", order=2)
    assert trotter.method == "statevector"
    np.testing.assert_allclose(trotter.fidelities, exact.fidelities, atol=2e-3)


def test_bad_inputs(make_bqm):
    bqm = make_bqm(3, 0)
    with pytest.raises(InvalidArgumentError, match="total_times"):
        fidelity_curve(bqm, [10, -1])
    with pytest.raises(InvalidArgumentError, match="total_times"):
        fidelity_curve(bqm, [])
    with pytest.raises(InvalidArgumentError, match="num_steps"):
        fidelity_curve(bqm, [1.0, 2.0], num_steps=[10, 20, 30])
    with pytest.raises(InvalidArgumentError, match="num_steps"):
        fidelity_curve(bqm, [1.0], num_steps=0)
    with pytest.raises(InvalidArgumentError, match="method"):
        fidelity_curve(bqm, [1.0], method="trotter")
    with pytest.raises(InvalidArgumentError, match="schedule"):
        fidelity_curve(bqm, [1.0], schedule=lambda u: 1 - u)
    big = dimod.BinaryQuadraticModel({i: -1.0 for i in range(40)}, {}, 0.0, "BINARY")
    with pytest.raises(InvalidArgumentError, match="statevector"):
        fidelity_curve(big, [1.0])
    with pytest.raises(ProblemTooLargeError, match="40 variables"):
        fidelity_curve(big, [1.0], method="statevector")


def test_plot_writes_png(make_bqm, tmp_path):
    curve = fidelity_curve(make_bqm(3, 1), [0.1, 1.0, 3.0], num_steps=[10, 100, 300])
    curve.plot(tmp_path / "fidelity.png")
    data = (tmp_path / "fidelity.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_plot_draws_the_times_in_order_whatever_order_they_were_given(make_bqm):
    curve = fidelity_curve(make_bqm(3, 1), [3.0, 0.1, 1.0], num_steps=[300, 10, 100])
    line = curve.plot().axes[0].get_lines()[0]
    times, fidelities = line.get_data()
    assert list(times) == [0.1, 1.0, 3.0]
    by_time = dict(zip(curve.total_times.tolist(), curve.fidelities.tolist(), strict=True))
    assert list(fidelities) == [by_time[t] for t in (0.1, 1.0, 3.0)]
