"""qiskit-optimization interop: QuadraticProgram -> BQM, cross-checked against to_ising()."""

from __future__ import annotations

import dimod
import numpy as np
import pytest

from hybridxai.anneal.ising import indices_to_bits
from hybridxai.circuits.hamiltonians import from_quadratic_program, to_sparse_pauli_op
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from tests.circuits._reference import dimod_energies

qo = pytest.importorskip("qiskit_optimization")


def random_program(num_vars: int, seed: int, maximize: bool = False):
    rng = np.random.default_rng(seed)
    qp = qo.QuadraticProgram(f"random{seed}")
    names = [f"x{i}" for i in range(num_vars)]
    for name in names:
        qp.binary_var(name)
    linear = {n: float(rng.normal()) for n in names}
    quadratic = {(names[i], names[j]): float(rng.normal())
                 for i in range(num_vars) for j in range(i, num_vars) if rng.random() < 0.7}
    objective = qp.maximize if maximize else qp.minimize
    objective(constant=float(rng.normal()), linear=linear, quadratic=quadratic)
    return qp


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("num_vars", [2, 5, 8])
def test_operator_matches_qiskit_optimization_to_ising(num_vars, maximize):
    qp = random_program(num_vars, seed=num_vars, maximize=maximize)
    bqm = from_quadratic_program(qp)
    assert list(bqm.variables) == [v.name for v in qp.variables]
    ours, our_offset = to_sparse_pauli_op(bqm)
    theirs, their_offset = qp.to_ising()
    assert our_offset == pytest.approx(their_offset, abs=1e-12)
    difference = (ours - theirs).simplify(atol=1e-12)
    np.testing.assert_allclose(difference.coeffs, 0.0, atol=1e-12)
    # energies are the objective (negated for maximisation, as to_ising does)
    sense = -1.0 if maximize else 1.0
    bits = indices_to_bits(np.arange(2**num_vars), num_vars)
    objective = np.array([qp.objective.evaluate(row.tolist()) for row in bits])
    np.testing.assert_allclose(dimod_energies(bqm), sense * objective, atol=1e-10)


def test_constrained_program_needs_convert():
    qp = qo.QuadraticProgram("constrained")
    for name in "abc":
        qp.binary_var(name)
    qp.minimize(linear={"a": -1.0, "b": -2.0, "c": 0.5}, quadratic={("a", "b"): 0.5})
    qp.linear_constraint({"a": 1, "b": 1, "c": 1}, "==", 1, name="one_hot")
    with pytest.raises(InvalidArgumentError, match="convert=True"):
        from_quadratic_program(qp)
    bqm = from_quadratic_program(qp, convert=True, penalty=10.0)
    best = dimod.ExactSolver().sample(bqm).first
    assert best.sample == {"a": 0, "b": 1, "c": 0}
    assert best.energy == pytest.approx(-2.0)


def test_integer_variables_need_convert():
    qp = qo.QuadraticProgram("integer")
    qp.integer_var(0, 3, "k")
    qp.minimize(linear={"k": 1.0})
    with pytest.raises(InvalidArgumentError, match="non-binary"):
        from_quadratic_program(qp)
    assert len(from_quadratic_program(qp, convert=True).variables) == 2


def test_from_quadratic_program_rejects_other_types(make_bqm):
    with pytest.raises(InvalidTypeError, match="QuadraticProgram"):
        from_quadratic_program(make_bqm(2, 0))
