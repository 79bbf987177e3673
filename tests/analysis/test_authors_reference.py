"""``conventions="authors"`` against a compact, independent re-implementation of the authors' recipe.

The reference below follows the paper's public code (checc1/FS_QA ``src/finalSimulation.py``) and
shares nothing with hybridxai but ``build_qubo`` (whose BQM is itself checked against the issue's
formula): QuTiP's basis order (qubit 0 the most significant bit, Kronecker factor 0), the driver
``+(1/d)·ΣX`` started in its ground state ``|−⟩^d``, ``M = int(T/0.01)`` points
``s_k = t_k/T`` with ``t = linspace(0, T, M)``, each applied for ``dt = 0.01`` as a dense
``scipy.linalg.expm`` step, ``Δ_min`` = the grid minimum of ``E_1 − E_0`` (``eigvalsh``) and the
fidelity = the probability of ``argmin`` of the diagonal of ``H_P``.
"""

from __future__ import annotations

import itertools

import dimod
import numpy as np
import pytest
import scipy.linalg

from hybridxai.analysis import fidelity_curve, gap_profile, min_gap
from hybridxai.anneal.qubo import build_qubo
from hybridxai.backends.statevector import StatevectorAnnealingSampler

DT = 0.01
BETA = 0.7
_X = np.array([[0.0, 1.0], [1.0, 0.0]])


# ------------------------------------------------------------------------------------------------
# the independent reference (QuTiP order: qubit 0 = first Kronecker factor = most significant bit)
# ------------------------------------------------------------------------------------------------
def _bits_msb(d: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=d)), dtype=float)


def _x_msb(q: int, d: int) -> np.ndarray:
    return np.kron(np.kron(np.eye(2**q), _X), np.eye(2 ** (d - 1 - q)))


def _problem_diagonal(bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """``E(x) = offset + Σ a_i x_i + Σ b_ij x_i x_j`` over the MSB-ordered basis, qubit i = i-th variable."""
    labels = list(bqm.variables)
    x = _bits_msb(len(labels))
    energy = np.full(x.shape[0], bqm.offset)
    for i, v in enumerate(labels):
        energy += bqm.get_linear(v) * x[:, i]
    for (u, v), bias in bqm.quadratic.items():
        energy += bias * x[:, labels.index(u)] * x[:, labels.index(v)]
    return energy


def _driver(d: int) -> np.ndarray:
    return (1.0 / d) * sum(_x_msb(q, d) for q in range(d))


def _minus_state(d: int) -> np.ndarray:
    minus = np.array([1.0, -1.0]) / np.sqrt(2.0)
    psi = np.ones(1)
    for _ in range(d):
        psi = np.kron(psi, minus)
    return psi.astype(np.complex128)


def _grid(total_time: float) -> np.ndarray:
    m = int(total_time / DT)
    return np.linspace(0.0, total_time, m) / total_time


def authors_anneal(bqm: dimod.BinaryQuadraticModel, total_time: float) -> tuple[float, float]:
    """``(fidelity, Δ_min)`` by the authors' recipe: dense expm steps, eigvalsh gaps."""
    d = len(bqm.variables)
    hp, hd = np.diag(_problem_diagonal(bqm)), _driver(d)
    assert np.linalg.eigvalsh(hd)[0] == pytest.approx(-1.0)  # |−⟩^d is the ground state of +(1/d)ΣX
    psi = _minus_state(d)
    gaps = []
    for s in _grid(total_time):
        h = (1.0 - s) * hd + s * hp
        psi = scipy.linalg.expm(-1j * DT * h) @ psi
        levels = np.linalg.eigvalsh(h)
        gaps.append(levels[1] - levels[0])
    target = int(np.argmin(np.diag(hp)))
    return float(abs(psi[target]) ** 2), float(min(gaps))


def authors_trotter_fidelity(bqm: dimod.BinaryQuadraticModel, total_time: float, order: int = 1) -> float:
    """The same grid, each point as ``exp(-i·s·dt·H_P)·exp(-i·(1−s)·dt·H_D)`` (first-order Trotter)."""
    d = len(bqm.variables)
    diagonal, hd = _problem_diagonal(bqm), _driver(d)
    psi = _minus_state(d)
    for s in _grid(total_time):
        psi = scipy.linalg.expm(-1j * (1.0 - s) * DT * hd) @ psi
        psi = np.exp(-1j * s * DT * diagonal) * psi
    return float(abs(psi[int(np.argmin(diagonal))]) ** 2)


# ------------------------------------------------------------------------------------------------
# fixed small instances
# ------------------------------------------------------------------------------------------------
def _feature_qubo(d: int, seed: int, importance_scale: str = "max"):
    rng = np.random.default_rng(seed)
    activations = rng.random((d + 2, 5, 5))
    gradients = rng.normal(loc=0.3, size=(d + 2, 5, 5))
    return build_qubo(activations, gradients, beta=BETA, max_qubits=d, conventions="authors",
                      importance_scale=importance_scale)


INSTANCES = [(3, 0), (4, 1), (5, 2), (6, 3)]


@pytest.fixture(scope="module", params=INSTANCES, ids=[f"d{d}-seed{s}" for d, s in INSTANCES])
def instance(request):
    d, seed = request.param
    q = _feature_qubo(d, seed)
    assert len(q.bqm.variables) == d
    return q


def _formula_energies(q, x: np.ndarray) -> np.ndarray:
    """Their simulated H_P, term by term: (1−β)·Σ_{i<j} J_ij pz_i pz_j − β·Σ_i α_i pz_i with
    pz = (I − Z)/2 = n (checc1/FS_QA src/utils/qutip_class.py, imported by src/finalSimulation.py)."""
    d = x.shape[1]
    energy = np.zeros(x.shape[0])
    for i in range(d):
        energy -= q.beta * q.h[i] * x[:, i]
        for j in range(i + 1, d):
            energy += (1.0 - q.beta) * q.J[i, j] * x[:, i] * x[:, j]
    return energy


@pytest.mark.parametrize("importance_scale", ["max", "raw"])
def test_bqm_energies_match_the_formula_by_brute_force(importance_scale):
    for d, seed in INSTANCES:
        q = _feature_qubo(d, seed, importance_scale)
        x = _bits_msb(d)
        samples = dimod.SampleSet.from_samples((x.astype(np.int8), list(q.bqm.variables)), "BINARY",
                                               energy=np.zeros(len(x)))
        energies = q.bqm.energies(samples)
        np.testing.assert_allclose(energies, _formula_energies(q, x), rtol=0, atol=1e-12)
        if importance_scale == "raw":
            np.testing.assert_allclose(q.h, q.alpha[list(q.channels)], rtol=0, atol=0)
        else:
            assert q.h.max() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# analysis
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("total_time", [0.5, 2.0])
def test_fidelity_curve_and_min_gap_match_the_reference(instance, total_time):
    fidelity, gap = authors_anneal(instance.bqm, total_time)
    curve = fidelity_curve(instance.bqm, [total_time], conventions="authors")
    assert curve.num_steps.tolist() == [int(total_time / DT)]
    assert curve.conventions == "authors"
    assert curve.info["time_grid"] == "endpoints" and curve.info["fidelity"] == "lowest-state"
    assert abs(curve.fidelities[0] - fidelity) < 1e-10
    result = min_gap(instance.bqm, conventions="authors", total_time=total_time, tol=1e-10)
    assert result.method == "per-step" and result.info["gap"] == "lowest-two"
    assert result.info["num_points"] == int(total_time / DT)
    assert abs(result.min_gap - gap) < 1e-8


def test_statevector_method_is_the_trotterized_recipe(instance):
    curve = fidelity_curve(instance.bqm, [1.0], conventions="authors", method="statevector")
    assert abs(curve.fidelities[0] - authors_trotter_fidelity(instance.bqm, 1.0)) < 1e-10


def test_each_setting_stays_individually_settable(instance):
    bqm, d = instance.bqm, len(instance.bqm.variables)
    mixed = fidelity_curve(bqm, [1.0], conventions="authors", time_grid="midpoint", fidelity="manifold")
    assert mixed.info["time_grid"] == "midpoint" and mixed.info["driver_scale"] == "1/d"
    assert mixed.num_steps.tolist() == [100]
    own = fidelity_curve(bqm, [1.0], driver_scale="1/d")
    assert own.fidelities[0] == pytest.approx(mixed.fidelities[0], abs=1e-12)
    unit = min_gap(bqm, conventions="authors", total_time=0.5, driver_scale="unit", tol=1e-10)
    assert unit.driver_coefficient == 1.0 and unit.info["driver_scale"] == "unit"
    assert min_gap(bqm).conventions == "hybridxai"
    assert min_gap(bqm, conventions="authors", total_time=0.5).driver_coefficient == pytest.approx(1 / d)


def test_gap_profile_lowest_two(instance):
    bqm, d = instance.bqm, len(instance.bqm.variables)
    s = np.array([0.1, 0.45, 0.8, 0.97])
    profile = gap_profile(bqm, s=s, conventions="authors")
    assert profile.info == {"grid": "explicit", "conventions": "authors", "gap": "lowest-two",
                            "driver_scale": "1/d", "matrix_elements": True,
                            "memory_bytes": None}  # d <= 7: dense eigh, no Davidson plan
    hp, hd = np.diag(_problem_diagonal(bqm)), _driver(d)
    expected = [np.diff(np.linalg.eigvalsh((1 - x) * hd + x * hp)[:2])[0] for x in s]
    np.testing.assert_allclose(profile.gaps, expected, rtol=0, atol=1e-8)


def test_degenerate_problem_lowest_state_and_zero_gap():
    # E(10) = E(01) = E(11) = -1 (threefold); the authors' fidelity counts only the first in
    # QuTiP order (|01>, i.e. variable 1 set), and their E_1 − E_0 closes at s = 1
    bqm = dimod.BinaryQuadraticModel({"a": -1.0, "b": -1.0, "c": 0.5}, {("a", "b"): 1.0}, 0.0, "BINARY")
    fidelity, gap = authors_anneal(bqm, 1.0)
    curve = fidelity_curve(bqm, [1.0], conventions="authors")
    assert abs(curve.fidelities[0] - fidelity) < 1e-10
    assert curve.initial_overlap == pytest.approx(1 / 8) and curve.degeneracy == 3
    manifold = fidelity_curve(bqm, [1.0], conventions="authors", fidelity="manifold")
    assert manifold.fidelities[0] > curve.fidelities[0] + 0.1
    result = min_gap(bqm, conventions="authors", total_time=1.0, tol=1e-10)
    assert gap == pytest.approx(0.0, abs=1e-12) and result.min_gap == pytest.approx(0.0, abs=1e-10)
    assert result.s_min == 1.0
    assert min_gap(bqm, conventions="authors", total_time=1.0, gap="manifold").min_gap > 0.1


# ------------------------------------------------------------------------------------------------
# samplers
# ------------------------------------------------------------------------------------------------
def test_statevector_sampler_info_under_authors_conventions(instance):
    bqm, d = instance.bqm, len(instance.bqm.variables)
    sampler = StatevectorAnnealingSampler(seed=3)
    sampleset = sampler.sample(bqm, total_time=1.0, conventions="authors", engine="numpy")
    info = sampleset.info
    assert info["conventions"] == "authors" and info["time_grid"] == "endpoints"
    assert info["fidelity_definition"] == "lowest-state" and info["step_time"] == DT
    assert info["num_steps"] == 100 and info["driver_coefficient"] == pytest.approx(1 / d)
    assert abs(info["fidelity"] - authors_trotter_fidelity(bqm, 1.0)) < 1e-10
    exact, _ = authors_anneal(bqm, 1.0)
    assert abs(info["fidelity"] - exact) < 5e-3  # the same recipe, up to the Trotter error of dt = 0.01
    default = sampler.sample(bqm, total_time=1.0, engine="numpy").info
    assert default["conventions"] == "hybridxai" and default["time_grid"] == "midpoint"
    assert default["driver_scale"] == "unit" and default["fidelity_definition"] == "manifold"
    preset = StatevectorAnnealingSampler(conventions="authors", seed=3)
    again = preset.sample(bqm, total_time=1.0, engine="numpy").info
    assert again["fidelity"] == pytest.approx(info["fidelity"], abs=1e-14)


def test_samplers_agree_on_the_authors_spec():
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("pennylane")
    from hybridxai.backends.aer import AerAnnealingSampler
    from hybridxai.backends.pennylane_sampler import PennyLaneAnnealingSampler

    bqm = _feature_qubo(4, 1).bqm
    options = {"total_time": 0.5, "conventions": "authors"}
    states = [sampler.final_state(bqm, **options) for sampler in
              (StatevectorAnnealingSampler(), AerAnnealingSampler(), PennyLaneAnnealingSampler())]
    for state in states[1:]:
        np.testing.assert_allclose(state, states[0], rtol=0, atol=1e-9)
    infos = [sampler(seed=0).sample(bqm, **options).info for sampler in
             (StatevectorAnnealingSampler, AerAnnealingSampler, PennyLaneAnnealingSampler)]
    for info in infos:
        assert info["conventions"] == "authors" and info["num_steps"] == 50
        assert abs(info["fidelity"] - authors_trotter_fidelity(bqm, 0.5)) < 1e-9
