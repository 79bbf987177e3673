import re
import time

import dimod
import numpy as np
import pytest

from hybridxai.anneal.operators import (
    AnnealingOperator,
    annealing_matrix,
    annealing_operator,
    check_s,
    driver_sum_csr,
)
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, ProblemTooLargeError
from tests.analysis._reference import dense_hamiltonian
from tests.anneal._instances import float32_product_tolerance


@pytest.mark.parametrize("d", [1, 2, 5, 8])
@pytest.mark.parametrize("scale", ["unit", "1/d", 0.37])
def test_matvec_sparse_dense_agree_with_kronecker_reference(make_bqm, d, scale):
    bqm = make_bqm(d, seed=d)
    op = AnnealingOperator.from_bqm(bqm, scale)
    c = {"unit": 1.0, "1/d": 1.0 / d}.get(scale, scale)
    assert op.driver_coefficient == pytest.approx(c)
    rng = np.random.default_rng(0)
    for s in (0.0, 0.3, 1.0):
        ref = dense_hamiltonian(bqm, s, c)
        np.testing.assert_allclose(op.dense(s), ref, atol=1e-12)
        np.testing.assert_allclose(op.sparse(s).toarray(), ref, atol=1e-12)
        v = rng.normal(size=2**d)
        np.testing.assert_allclose(op.matvec(s, v), ref @ v, atol=1e-10)
        block = rng.normal(size=(2**d, 3))
        np.testing.assert_allclose(op.linear_operator(s).matmat(block), ref @ block, atol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 11, 12, 13, 14, 15])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_serial_and_threaded_kernels_match_the_sparse_product(make_bqm, d, dtype):
    # d < 4: every bit the plain way; from d = 4 bits 0-3 in groups of sixteen, butterflies up
    # to the tile bits (11 in float64, 12 in float32), then partner tiles
    from hybridxai.anneal import operators

    op = AnnealingOperator.from_bqm(make_bqm(d, seed=d), "unit")
    v = np.random.default_rng(d).normal(size=2**d)
    expected = op.sparse(0.37) @ v
    single = dtype == np.float32
    diagonal = op.single_diagonal if single else op.diagonal
    atol = float32_product_tolerance(expected) if single else 1e-10
    for kernel in (operators._kernel_serial, operators._kernel_parallel):
        out = np.full(2**d, np.nan, dtype=dtype)
        kernel(diagonal, v.astype(dtype), out, dtype(0.37), dtype(-(1 - 0.37)), d)
        np.testing.assert_allclose(out, expected, atol=atol)


def test_a_product_tile_holds_the_same_bytes_in_either_precision():
    from hybridxai.anneal.operators import _TILE_BYTES, _tile_bits

    for dtype in (np.float64, np.float32):
        bits = _tile_bits(np.zeros(1, dtype=dtype), 30)
        assert np.dtype(dtype).itemsize << bits == _TILE_BYTES
        assert _tile_bits(np.zeros(1, dtype=dtype), 5) == 5  # never more than the qubits


def test_tiled_and_threaded_kernel_match_sparse_product(make_bqm):
    # d >= 12 exercises the tiles (11 low qubits) and d >= 14 the threaded kernel
    for d in (12, 18):
        op = AnnealingOperator.from_bqm(make_bqm(d, seed=1), "1/d")
        v = np.random.default_rng(d).normal(size=2**d)
        np.testing.assert_allclose(op.matvec(0.42, v), op.sparse(0.42) @ v, atol=1e-10)
        np.testing.assert_allclose(op.driver_matvec(v), driver_sum_csr(d) @ v, atol=1e-10)


def test_spin_model_uses_same_energies_as_binary(make_bqm):
    binary = make_bqm(4, seed=3)
    spin = binary.change_vartype("SPIN", inplace=False)
    np.testing.assert_allclose(AnnealingOperator.from_bqm(spin).dense(0.5),
                               AnnealingOperator.from_bqm(binary).dense(0.5), atol=1e-12)


def test_operator_is_symmetric_real_and_helpers_agree(make_bqm):
    bqm = make_bqm(5, seed=4)
    m = annealing_matrix(bqm, 0.6).toarray()
    assert m.dtype == np.float64
    np.testing.assert_allclose(m, m.T)
    lin = annealing_operator(bqm, 0.6)
    assert lin.dtype == np.float64
    np.testing.assert_allclose(lin @ np.eye(32), m, atol=1e-12)


def test_driver_sum_csr_structure():
    x = driver_sum_csr(3)
    assert x.nnz == 3 * 8
    np.testing.assert_array_equal(x.toarray(), x.toarray().T)
    assert x[0, 1] == 1 and x[0, 2] == 1 and x[0, 4] == 1 and x[0, 3] == 0
    with pytest.raises(InvalidArgumentError, match="num_qubits"):
        driver_sum_csr(0)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_check_s_rejects_out_of_range(bad):
    with pytest.raises(InvalidArgumentError, match=r"s=.*\[0, 1\].*Fix"):
        check_s(bad)
    with pytest.raises(InvalidTypeError, match="s has type str"):
        check_s("0.5")


def test_forty_qubits_fail_fast_before_allocating():
    bqm = dimod.BinaryQuadraticModel({i: -1.0 for i in range(40)}, {}, 0.0, "BINARY")
    t0 = time.perf_counter()
    with pytest.raises(ProblemTooLargeError, match="40 variables.*Fix") as info:
        AnnealingOperator.from_bqm(bqm, purpose="spectrum")
    assert time.perf_counter() - t0 < 1.0
    # one sentence for the analysis: what, how much, and the largest size that fits
    message = str(info.value)
    assert message.startswith("num_qubits=40 is too large for spectrum: bqm has 40 variables")
    fit = int(re.search(r"the budget fits d ≤ (\d+)", message).group(1))
    assert f"max_qubits={fit})" in message and 0 < fit < 40
    assert "backend=" not in message and message.count("Fix:") == 1
    # spectrum takes no max_memory_bytes: its fix does not send the user looking for one
    assert message.endswith("or run it where more memory is free.")


def test_bad_inputs_name_argument():
    with pytest.raises(InvalidTypeError, match="bqm"):
        AnnealingOperator.from_bqm({"a": 1})
    with pytest.raises(InvalidArgumentError, match="bqm"):
        AnnealingOperator.from_bqm(dimod.BinaryQuadraticModel("BINARY"))
    with pytest.raises(InvalidArgumentError, match="driver_scale"):
        AnnealingOperator.from_bqm(dimod.BinaryQuadraticModel({0: 1.0}, {}, 0, "BINARY"), "2/d")
