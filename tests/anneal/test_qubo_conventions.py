"""``build_qubo(conventions=..., importance_scale=...)`` against an independent reading of the formulas."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hybridxai.anneal.qubo import build_qubo
from hybridxai.exceptions import InvalidArgumentError


def authors_energy(alpha: np.ndarray, maps: np.ndarray, beta: float, n: np.ndarray) -> float:
    """The authors' simulated H_P, written from checc1/FS_QA src/finalSimulation.py: pz = (I - Z)/2 = n
    on each qubit (src/utils/qutip_class.py), H_P = (1-β)·Σ_{i<j} J_ij pz_i pz_j - β·Σ_i α_i pz_i,
    J = |cos| between flattened maps."""
    flat = maps.reshape(len(maps), -1)
    norms = np.linalg.norm(flat, axis=1)
    pz = n
    energy = -beta * float(np.dot(alpha, pz))
    for i, j in itertools.combinations(range(len(alpha)), 2):
        cos = abs(float(flat[i] @ flat[j])) / (norms[i] * norms[j])
        energy += (1.0 - beta) * cos * pz[i] * pz[j]
    return energy


def instance(seed: int, d: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    maps = rng.random((d, 4, 4))
    gradients = np.abs(rng.normal(size=(d, 1, 1))) + 0.01 * rng.random((d, 4, 4))
    return maps, gradients


@pytest.mark.parametrize("scale", ["max", "raw"])
@pytest.mark.parametrize("beta", [0.0, 0.3, 0.7, 1.0])
def test_authors_bqm_energies_match_the_recipe_on_every_state(scale: str, beta: float) -> None:
    maps, gradients = instance(1)
    q = build_qubo(maps, gradients, beta=beta, conventions="authors", importance_scale=scale)
    alpha = gradients.mean(axis=(1, 2))
    h = alpha / alpha.max() if scale == "max" else alpha
    for bits in itertools.product((0, 1), repeat=q.num_variables):
        n = np.array(bits, dtype=float)
        sample = dict(zip(q.bqm.variables, bits, strict=True))
        expected = authors_energy(h, maps, beta, n)
        assert q.bqm.energy(sample) == pytest.approx(expected, abs=1e-12)
        assert q.energy(n.astype(bool)) == pytest.approx(expected, abs=1e-12)


def test_default_conventions_are_unchanged_and_recorded() -> None:
    maps, gradients = instance(2)
    q = build_qubo(maps, gradients, beta=0.7)
    assert (q.conventions, q.importance_scale) == ("hybridxai", "max")
    assert q.importance_weight == 0.7 and q.redundancy_weight == pytest.approx(0.3)
    n = np.array([1, 0, 1, 1, 0, 0], dtype=float)
    expected = 0.3 * sum(q.J[i, j] * n[i] * n[j] for i, j in itertools.combinations(range(6), 2)) \
        - 0.7 * float(q.h @ n)
    assert q.energy(n.astype(bool)) == pytest.approx(expected, abs=1e-12)


def test_local_fields_are_the_energy_change_of_one_flip() -> None:
    maps, gradients = instance(3)
    q = build_qubo(maps, gradients, beta=0.6, conventions="authors")
    n = np.array([1, 0, 1, 0, 1, 1], dtype=float)
    fields = q.local_fields(n)
    for p in range(q.num_variables):
        flipped = n.copy()
        flipped[p] = 1 - flipped[p]
        delta = q.energy(flipped.astype(bool)) - q.energy(n.astype(bool))
        assert delta == pytest.approx(fields[p] * (flipped[p] - n[p]), abs=1e-12)


@pytest.mark.parametrize(("name", "value"), [("conventions", "paper"), ("importance_scale", "l2")])
def test_unknown_convention_or_scale_is_refused_by_name(name: str, value: str) -> None:
    maps, gradients = instance(4)
    with pytest.raises(InvalidArgumentError, match=name):
        build_qubo(maps, gradients, **{name: value})
