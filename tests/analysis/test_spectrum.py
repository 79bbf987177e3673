import dimod
import numpy as np
import pytest

from hybridxai.analysis import spectrum
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, ProblemTooLargeError
from tests.analysis._reference import dense_hamiltonian

S_VALUES = [0.0, 0.05, 0.3, 0.55, 0.8, 0.97, 1.0]


@pytest.mark.parametrize("d", [2, 4, 6, 8])
def test_dense_path_matches_kronecker_eigh(make_bqm, d):
    bqm = make_bqm(d, seed=10 + d)
    k = min(4, 2**d)
    result = spectrum(bqm, S_VALUES, k=k)
    assert result.energies.shape == (len(S_VALUES), k)
    for i, s in enumerate(S_VALUES):
        ref = np.linalg.eigh(dense_hamiltonian(bqm, s))[0][:k]
        np.testing.assert_allclose(result.energies[i], ref, atol=1e-9)


@pytest.mark.parametrize("solver", ["eigsh", "davidson"])
@pytest.mark.parametrize("d", [5, 8])
def test_iterative_solvers_match_dense_eigh(make_bqm, solver, d):
    bqm = make_bqm(d, seed=20 + d)
    result = spectrum(bqm, S_VALUES, k=3, solver=solver, driver_scale="1/d")
    assert result.solver == solver
    for i, s in enumerate(S_VALUES):
        ref = np.linalg.eigh(dense_hamiltonian(bqm, s, 1.0 / d))[0][:3]
        np.testing.assert_allclose(result.energies[i], ref, atol=1e-7)


def test_symmetric_problem_levels_are_not_missed_by_warm_started_lanczos():
    # Z2-symmetric SPIN model: a warm start from the (even) ground vector alone would keep
    # Lanczos in the even sector and miss the odd first excited level
    rng = np.random.default_rng(5)
    d = 6
    quad = {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}
    bqm = dimod.BinaryQuadraticModel({}, quad, 0.0, "SPIN")
    s_values = np.linspace(0.1, 0.9, 5)
    result = spectrum(bqm, s_values, k=3, solver="eigsh")
    for i, s in enumerate(s_values):
        ref = np.linalg.eigh(dense_hamiltonian(bqm, s))[0][:3]
        np.testing.assert_allclose(result.energies[i], ref, atol=1e-7)


def test_end_points_are_exact(make_bqm):
    bqm = make_bqm(5, seed=2)
    result = spectrum(bqm, [0.0, 1.0], k=7)
    # H_D = -ΣX on 5 qubits: -5 once, then -3 five times
    np.testing.assert_allclose(result.energies[0], [-5, -3, -3, -3, -3, -3, -1])
    from hybridxai.anneal.ising import basis_energies

    np.testing.assert_allclose(result.energies[1], np.sort(basis_energies(bqm))[:7])
    np.testing.assert_allclose(result.gaps[0], [2, 2, 2, 2, 2, 4])


def test_bad_inputs(make_bqm):
    bqm = make_bqm(3, seed=0)
    with pytest.raises(InvalidArgumentError, match="s_values"):
        spectrum(bqm, [0.2, 1.2])
    with pytest.raises(InvalidArgumentError, match="s_values"):
        spectrum(bqm, [-0.1])
    with pytest.raises(InvalidArgumentError, match="s_values.*empty"):
        spectrum(bqm, [])
    with pytest.raises(InvalidArgumentError, match="k=0"):
        spectrum(bqm, [0.5], k=0)
    with pytest.raises(InvalidArgumentError, match="k=9"):
        spectrum(bqm, [0.5], k=9)
    with pytest.raises(InvalidTypeError, match="k has type float"):
        spectrum(bqm, [0.5], k=2.0)
    with pytest.raises(InvalidArgumentError, match="solver"):
        spectrum(bqm, [0.5], solver="lapack")
    big = dimod.BinaryQuadraticModel({i: 1.0 for i in range(40)}, {}, 0.0, "BINARY")
    with pytest.raises(ProblemTooLargeError):
        spectrum(big, [0.5])


def test_plot_writes_png(make_bqm, tmp_path):
    result = spectrum(make_bqm(4, seed=1), np.linspace(0, 1, 11), k=3)
    fig = result.plot(tmp_path / "spectrum.png", relative=True)
    data = (tmp_path / "spectrum.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert fig.axes[0].get_xlabel().startswith("s")
