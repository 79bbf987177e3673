"""The feature-selection QUBO (docs/method.md) against an independent hand computation."""

from __future__ import annotations

import itertools
import math

import dimod
import numpy as np
import pytest
import torch

from hybridxai.anneal.qubo import FeatureQubo, build_qubo, importance, redundancy
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError

# -- an independent reference, written with plain loops ------------------------------------------


def hand_alpha(grads: np.ndarray) -> list[float]:
    """Eq. 1: alpha_k = (1/(H·W)) Σ_ij G_k[i, j]."""
    K, H, W = grads.shape
    out = []
    for k in range(K):
        total = 0.0
        for i in range(H):
            for j in range(W):
                total += float(grads[k, i, j])
        out.append(total / (H * W))
    return out


def hand_cos(a: np.ndarray, b: np.ndarray) -> float:
    """Eq. 4: |<a, b>| / (‖a‖·‖b‖) on flattened maps, 0 when either norm is 0."""
    dot = na = nb = 0.0
    for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True):
        dot += x * y
        na += x * x
        nb += y * y
    if na == 0.0 or nb == 0.0:
        return 0.0
    return abs(dot) / (math.sqrt(na) * math.sqrt(nb))


def hand_problem(acts: np.ndarray, grads: np.ndarray) -> tuple[list[int], dict[int, float],
                                                               dict[tuple[int, int], float]]:
    """Eqs 1–4: the filtered channels P, h_p and J_pq (p < q) keyed by original channel."""
    alpha = hand_alpha(grads)
    P = [k for k in range(len(alpha)) if alpha[k] > 0]
    h: dict[int, float] = {}
    if P:
        top = max(alpha[p] for p in P)
        for p in P:
            h[p] = alpha[p] / top
    J: dict[tuple[int, int], float] = {}
    for a_i in range(len(P)):
        for b_i in range(a_i + 1, len(P)):
            p, q = P[a_i], P[b_i]
            J[(p, q)] = hand_cos(acts[p], acts[q])
    return P, h, J


def hand_energy(acts, grads, beta, n: dict[int, int], cardinality=None, gamma=1.0) -> float:
    """Eq. 5 (+ the optional penalty) for the binary assignment ``n`` over P."""
    P, h, J = hand_problem(acts, grads)
    quad = 0.0
    for (p, q), j in J.items():
        quad += j * n[p] * n[q]
    lin = 0.0
    for p in P:
        lin += h[p] * n[p]
    energy = (1.0 - beta) * quad - beta * lin
    if cardinality is not None:
        count = 0
        for p in P:
            count += n[p]
        energy += gamma * (count - cardinality) ** 2
    return energy


def random_maps(seed: int, K: int = 9, H: int = 3, W: int = 4, zero: int = 1, duplicate: bool = True):
    """Random activations (with zero maps and an exact duplicate) and gradients of mixed sign."""
    rng = np.random.default_rng(seed)
    acts = rng.random((K, H, W))
    for k in range(zero):
        acts[k] = 0.0
    if duplicate:
        acts[K - 1] = 2.5 * acts[K - 2]
    grads = rng.normal(size=(K, H, W)) + 0.2
    return acts, grads


# -- eqs 1–5 for every basis state -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("beta", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("cardinality", [None, 2])
def test_energy_of_every_basis_state_matches_hand_computation(seed, beta, cardinality):
    acts, grads = random_maps(seed)
    P, _, _ = hand_problem(acts, grads)
    assert 2 <= len(P) <= 9  # a non-trivial instance
    qubo = build_qubo(acts, grads, beta=beta, cardinality=cardinality, gamma=0.8)
    # labels are the original channel indices
    assert set(qubo.bqm.variables) == set(P)
    assert qubo.channels == tuple(P)
    sampleset = dimod.ExactSolver().sample(qubo.bqm)
    assert len(sampleset) == 2 ** len(P)
    for sample, energy in sampleset.data(["sample", "energy"]):
        expected = hand_energy(acts, grads, beta, sample, cardinality, 0.8)
        assert energy == pytest.approx(expected, abs=1e-9)
        assert qubo.energy(sample) == pytest.approx(expected, abs=1e-9)
        chosen = [p for p in P if sample[p] == 1]
        assert qubo.energy(chosen) == pytest.approx(expected, abs=1e-9)


def test_torch_inputs_give_the_same_qubo_as_numpy():
    acts, grads = random_maps(5)
    from_np = build_qubo(acts, grads, beta=0.6)
    from_torch = build_qubo(torch.from_numpy(acts).float(), torch.from_numpy(grads).float(), beta=0.6)
    assert from_np.channels == from_torch.channels
    np.testing.assert_allclose(from_np.h, from_torch.h, rtol=1e-6)
    np.testing.assert_allclose(from_np.J, from_torch.J, atol=1e-6)


def test_attributes_describe_the_problem():
    acts, grads = random_maps(3, K=7)
    P, h, J = hand_problem(acts, grads)
    q = build_qubo(acts, grads, beta=0.4)
    assert q.num_feature_maps == 7
    assert q.num_variables == len(P) == q.num_positive
    np.testing.assert_allclose(q.alpha, hand_alpha(grads), atol=1e-12)
    np.testing.assert_allclose(q.h, [h[p] for p in P], atol=1e-12)
    assert q.h.max() == pytest.approx(1.0) and np.all(q.h > 0)
    np.testing.assert_allclose(q.J, q.J.T)
    assert np.all(np.diag(q.J) == 0)
    for (p, r), value in J.items():
        assert q.J[P.index(p), P.index(r)] == pytest.approx(value, abs=1e-12)
    assert q.beta == 0.4 and q.cardinality is None and q.max_qubits is None and q.dropped == ()
    assert q.bqm.vartype is dimod.BINARY


def test_importance_is_one_computation_for_arrays_tensors_and_batches():
    """alpha is bit-identical whatever the form: numpy or tensor, float32 or float64, one image
    or a batch, contiguous or channels-last, (K, h, w) or flattened (K, n)."""
    rng = np.random.default_rng(3)
    batch32 = torch.from_numpy(rng.normal(size=(3, 40, 7, 7)).astype(np.float32) * 1e-3)
    alphas = importance(batch32)
    assert isinstance(alphas, torch.Tensor) and alphas.dtype == torch.float64 and alphas.shape == (3, 40)
    for i in range(3):
        one = batch32[i]
        from_array = importance(one.numpy())
        assert isinstance(from_array, np.ndarray) and from_array.dtype == np.float64
        assert torch.equal(importance(one), alphas[i])
        assert np.array_equal(from_array, alphas[i].numpy())
        assert np.array_equal(importance(one.numpy().reshape(40, -1)), from_array)
        assert torch.equal(importance(one.reshape(40, -1)), alphas[i])
        assert np.array_equal(build_qubo(one.numpy(), one, beta=0.5).alpha, from_array)
        np.testing.assert_allclose(from_array, hand_alpha(one.numpy().astype(np.float64)), rtol=0, atol=1e-15)
    assert torch.equal(importance(batch32.to(memory_format=torch.channels_last)), alphas)
    assert torch.equal(importance(batch32.double()), alphas)
    leaf = batch32.clone().requires_grad_(True)
    assert not importance(leaf).requires_grad
    with pytest.raises(InvalidArgumentError, match="gradients="):
        importance(torch.zeros(5))


def test_importance_and_redundancy_helpers():
    acts, grads = random_maps(4)
    np.testing.assert_allclose(importance(grads), hand_alpha(grads), atol=1e-12)
    J = redundancy(acts)
    for p in range(acts.shape[0]):
        for q in range(acts.shape[0]):
            expected = 0.0 if p == q else hand_cos(acts[p], acts[q])
            assert J[p, q] == pytest.approx(expected, abs=1e-12)


# -- the two ends of beta --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_beta_one_selects_every_positive_map(seed):
    acts, grads = random_maps(seed)
    q = build_qubo(acts, grads, beta=1.0)
    best = dimod.ExactSolver().sample(q.bqm)
    ground = best.lowest()
    assert len(ground) == 1  # unique: h > 0 for every variable, no coupling
    assert q.interpret(best) == q.channels
    assert q.energy(q.channels) == pytest.approx(-float(q.h.sum()))


@pytest.mark.parametrize("seed", range(4))
def test_beta_zero_selects_none(seed):
    acts, grads = random_maps(seed, zero=0, duplicate=False)  # every pair overlaps (J > 0)
    q = build_qubo(acts, grads, beta=0.0)
    assert np.all(q.J[np.triu_indices(q.num_variables, 1)] > 0)
    sampleset = dimod.ExactSolver().sample(q.bqm)
    assert sampleset.first.energy == pytest.approx(0.0)
    assert q.energy(()) == 0.0
    # Nothing is rewarded: every selection of two or more maps costs energy. (Single maps tie
    # with the empty set at 0 — see the exact backend's ground manifold below.)
    for sample, energy in sampleset.data(["sample", "energy"]):
        if sum(sample.values()) >= 2:
            assert energy > 0
    from hybridxai.backends.exact import ExactSampler

    ground = ExactSampler().sample(q.bqm)  # the whole ground manifold
    assert ground.first.energy == pytest.approx(0.0)
    sizes = sorted(int(sum(s.values())) for s in ground.samples())
    assert sizes == [0] + [1] * q.num_variables  # the empty set, tied with each single map


# -- filtering, max_qubits, special maps ----------------------------------------------------------


def test_no_positive_importance_gives_an_empty_problem():
    rng = np.random.default_rng(0)
    acts = rng.random((6, 3, 3))
    grads = -rng.random((6, 3, 3))
    grads[2] = 0.0  # alpha = 0 is not positive either
    q = build_qubo(acts, grads, beta=0.7)
    assert q.num_variables == 0 and q.channels == () and q.num_positive == 0
    assert q.bqm.num_variables == 0
    assert q.h.shape == (0,) and q.J.shape == (0, 0)
    assert q.energy(()) == 0.0
    assert q.interpret({}) == ()
    from hybridxai.backends.exact import ExactSampler

    assert ExactSampler().sample(q.bqm).first.energy == 0.0


def test_max_qubits_keeps_the_most_important_maps():
    rng = np.random.default_rng(7)
    K = 12
    acts = rng.random((K, 2, 2))
    alpha = np.array([0.5, -1.0, 0.9, 0.1, 0.7, 0.3, -0.2, 0.9, 0.05, 0.6, 0.0, 0.2])
    grads = np.broadcast_to(alpha[:, None, None], (K, 2, 2)).copy()
    q = build_qubo(acts, grads, beta=0.7, max_qubits=4)
    # ranking: 0.9 (2), 0.9 (7, tie → lower index first), 0.7 (4), 0.6 (9) | 0.5 (0), 0.3 (5), ...
    assert q.channels == (2, 4, 7, 9)
    assert set(q.bqm.variables) == {2, 4, 7, 9}
    assert q.dropped == (0, 5, 11, 3, 8)
    assert q.num_positive == 9 and q.num_variables == 4 and q.max_qubits == 4
    assert q.h.max() == pytest.approx(1.0)
    np.testing.assert_allclose(q.h, alpha[[2, 4, 7, 9]] / 0.9)
    # a cap above d changes nothing
    assert build_qubo(acts, grads, max_qubits=50).channels == tuple(np.flatnonzero(alpha > 0))


def test_duplicate_maps_are_fully_redundant_and_zero_maps_not_at_all():
    acts = np.zeros((4, 3, 3))
    acts[0] = np.arange(9).reshape(3, 3)
    acts[1] = 3.0 * acts[0]  # duplicate up to scale
    acts[2] = -acts[0]  # anti-parallel: |cos| = 1
    grads = np.ones((4, 3, 3))
    q = build_qubo(acts, grads, beta=0.5)
    J = dict(zip(itertools.combinations(q.channels, 2), q.J[np.triu_indices(4, 1)], strict=True))
    assert J[(0, 1)] == pytest.approx(1.0)
    assert J[(0, 2)] == pytest.approx(1.0)
    assert J[(1, 2)] == pytest.approx(1.0)
    assert J[(0, 3)] == 0.0 and J[(1, 3)] == 0.0 and J[(2, 3)] == 0.0
    assert np.all(np.isfinite(q.J))
    assert q.bqm.get_quadratic(0, 1) == pytest.approx(0.5)
    # the zero map is free of any coupling in the BQM
    assert all(q.bqm.adj[3].get(v, 0.0) == 0.0 for v in (0, 1, 2))
    assert redundancy(np.zeros((3, 2, 2))).tolist() == [[0.0] * 3] * 3


def test_flattened_maps_are_accepted():
    acts, grads = random_maps(2)
    flat = build_qubo(acts.reshape(acts.shape[0], -1), grads.reshape(grads.shape[0], -1), beta=0.7)
    full = build_qubo(acts, grads, beta=0.7)
    assert flat.channels == full.channels
    np.testing.assert_allclose(flat.J, full.J)


# -- selections ------------------------------------------------------------------------------------


@pytest.fixture
def small_qubo() -> FeatureQubo:
    acts, grads = random_maps(0)
    return build_qubo(acts, grads, beta=0.7)


def test_selection_forms_agree(small_qubo):
    q = small_qubo
    chosen = q.channels[::2]
    by_list = q.energy(list(chosen))
    mask = np.isin(np.array(q.channels), chosen)
    assert q.energy(mask) == pytest.approx(by_list)
    binary = {c: int(c in chosen) for c in q.channels}
    spin = {c: (1 if c in chosen else -1) for c in q.channels}
    assert q.energy(binary) == pytest.approx(by_list)
    assert q.energy(spin) == pytest.approx(by_list)
    assert q.interpret(binary) == tuple(chosen) == q.interpret(spin)
    assert q.selection_vector(chosen).tolist() == mask.astype(int).tolist()
    assert q.bqm.energy(binary) == pytest.approx(by_list)
    assert q.bqm.spin.energy(spin) == pytest.approx(by_list)


def test_interpret_a_sampleset_takes_its_lowest_sample(small_qubo):
    q = small_qubo
    sampleset = dimod.ExactSolver().sample(q.bqm)
    best = q.interpret(sampleset)
    assert q.energy(best) == pytest.approx(sampleset.first.energy)
    assert q.energy(best) == pytest.approx(min(sampleset.record.energy))


def test_selection_errors_name_the_argument(small_qubo):
    q = small_qubo
    not_a_channel = next(k for k in range(q.num_feature_maps) if k not in q.channels)
    with pytest.raises(InvalidArgumentError, match=r"selection=.*Fix:"):
        q.energy([not_a_channel])
    with pytest.raises(InvalidArgumentError, match=r"selection=.*Fix:"):
        q.energy(np.ones(q.num_variables + 1, dtype=bool))
    with pytest.raises(InvalidArgumentError, match=r"sample=.*lacks channels.*Fix:"):
        q.interpret({q.channels[0]: 1})
    with pytest.raises(InvalidTypeError, match=r"sample.*Fix:"):
        q.interpret([1, 0, 1])
    empty = dimod.SampleSet.from_samples([], dimod.BINARY, energy=[])
    with pytest.raises(InvalidArgumentError, match=r"sample=.*Fix:"):
        q.interpret(empty)


# -- bad arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [1.5, -0.1, float("nan"), float("inf")])
def test_beta_outside_unit_interval_is_rejected(beta):
    acts, grads = random_maps(0)
    with pytest.raises(InvalidArgumentError) as info:
        build_qubo(acts, grads, beta=beta)
    assert "beta=" in str(info.value) and "Fix:" in str(info.value)


@pytest.mark.parametrize("beta", ["0.7", None, True])
def test_beta_of_the_wrong_type_is_rejected(beta):
    acts, grads = random_maps(0)
    with pytest.raises(InvalidTypeError, match=r"beta.*Fix:"):
        build_qubo(acts, grads, beta=beta)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"gamma": -1.0}, "gamma="),
        ({"gamma": float("nan")}, "gamma="),
        ({"max_qubits": 0}, "max_qubits="),
        ({"max_qubits": 2.5}, "max_qubits="),
        ({"max_qubits": True}, "max_qubits="),
        ({"cardinality": -1}, "cardinality="),
        ({"cardinality": 100}, "cardinality="),
        ({"cardinality": 1.5}, "cardinality="),
    ],
)
def test_bad_options_name_argument_and_fix(kwargs, name):
    acts, grads = random_maps(0)
    with pytest.raises(InvalidArgumentError) as info:
        build_qubo(acts, grads, **kwargs)
    assert name in str(info.value) and "Fix:" in str(info.value)


def test_bad_maps_name_argument_and_fix():
    acts, grads = random_maps(0)
    cases = [
        ((acts, grads[:, :2]), "gradients="),
        ((acts[None], grads[None]), "activations="),
        ((np.zeros((0, 2, 2)), np.zeros((0, 2, 2))), "activations="),
        ((np.where(acts > 0.5, np.nan, acts), grads), "activations="),
        ((acts, np.full_like(grads, np.inf)), "gradients="),
    ]
    for args, name in cases:
        with pytest.raises(InvalidArgumentError) as info:
            build_qubo(*args)
        assert name in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InvalidTypeError, match=r"activations.*Fix:"):
        build_qubo("maps", grads)


def test_cardinality_penalty_pulls_the_selection_to_k():
    acts, grads = random_maps(1, K=10, zero=0, duplicate=False)
    for k in (1, 3):
        q = build_qubo(acts, grads, beta=1.0, cardinality=k, gamma=10.0)
        best = q.interpret(dimod.ExactSolver().sample(q.bqm))
        assert len(best) == k
        # with beta = 1 the k most important maps win
        top = sorted(q.channels, key=lambda c: -q.alpha[c])[:k]
        assert set(best) == set(top)


def test_a_list_of_booleans_is_not_read_as_channel_indices(small_qubo):
    q = small_qubo
    flags = [True] + [False] * (q.num_variables - 1)
    for selection in (flags, torch.tensor(flags)):
        with pytest.raises(InvalidArgumentError, match=r"selection=.*booleans.*Fix:"):
            q.energy(selection)
    assert q.energy(np.array(flags)) == pytest.approx(q.energy([q.channels[0]]))
