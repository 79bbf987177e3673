"""The "aer" backend: Trotterized annealing circuit on Qiskit Aer."""

from __future__ import annotations

import sys
import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from hybridxai.backends.aer import AerAnnealingSampler  # noqa: E402
from hybridxai.backends.registry import get_sampler  # noqa: E402
from hybridxai.exceptions import (  # noqa: E402
    InvalidArgumentError,
    InvalidTypeError,
    MissingDependencyError,
)
from tests.circuits._reference import dimod_energies, mixed_label_bqm, reference_state  # noqa: E402


def quick_aer_sampler() -> AerAnnealingSampler:
    """A cheap sampler for the dimod conformance tests (a fresh one per test)."""
    return AerAnnealingSampler(total_time=1.0, num_steps=4, seed=7)


@dimod.testing.load_sampler_bqm_tests(quick_aer_sampler)
class TestAerSamplerConformance(unittest.TestCase):
    """dimod's generated tests: empty, 1-variable and path BQMs of every BQM class."""

    def test_sampler_api(self):
        dimod.testing.assert_sampler_api(AerAnnealingSampler())


@pytest.mark.parametrize("d", [2, 5, 8])
@pytest.mark.parametrize("order", [1, 2])
def test_final_state_matches_dense_reference(make_bqm, d, order):
    bqm = make_bqm(d, seed=d + 20 * order, vartype="SPIN" if order == 2 else "BINARY")
    state = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=6, order=order)
    assert state.dtype == np.complex128 and state.shape == (2**d,)
    np.testing.assert_allclose(state, reference_state(bqm, 2.0, 6, order=order), atol=1e-9, rtol=0)


def test_nonlinear_schedule_and_driver_scale(make_bqm):
    bqm = mixed_label_bqm("SPIN")

    def schedule(u):
        return np.asarray(u) ** 2

    sampler = AerAnnealingSampler(driver_scale="1/d")
    state = sampler.final_state(bqm, total_time=3.0, num_steps=8, schedule=schedule, order=2)
    expected = reference_state(bqm, 3.0, 8, schedule, 2, driver_scale=0.25)
    np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)


def test_single_precision_is_close(make_bqm):
    bqm = make_bqm(4, seed=3)
    double = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=10)
    single = AerAnnealingSampler(precision="single").final_state(bqm, total_time=2.0, num_steps=10)
    np.testing.assert_allclose(single, double, atol=1e-5)
    override = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=10,
                                                 precision="single")
    np.testing.assert_allclose(override, single, atol=1e-12)


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_sampleset_finds_the_ground_state(make_bqm, vartype):
    bqm = make_bqm(4, seed=12, vartype=vartype)
    sampler = AerAnnealingSampler(total_time=20.0, num_steps=200, seed=1)
    sampleset = sampler.sample(bqm, num_reads=50)
    energies = dimod_energies(bqm)
    assert sampleset.vartype is bqm.vartype
    assert set(sampleset.variables) == set(bqm.variables)
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.first.energy == pytest.approx(energies.min())
    assert sampleset.info["fidelity"] > 0.5
    assert sampleset.info["backend"] == "aer"
    assert sampleset.info["precision"] == "double"
    assert sum(sampleset.record.num_occurrences) == 50
    assert set(sampleset.info["timing"]) >= {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


def test_sampling_is_reproducible_with_a_seed(make_bqm):
    bqm = make_bqm(3, seed=0)
    a = AerAnnealingSampler(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
    b = AerAnnealingSampler(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
    np.testing.assert_array_equal(a.record.sample, b.record.sample)
    np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)


def test_registry_and_properties():
    sampler = get_sampler("aer", precision="single", total_time=2.0)
    assert isinstance(sampler, AerAnnealingSampler)
    assert sampler.properties["backend"] == "aer"
    assert sampler.properties["precision"] == "single"
    assert sampler.properties["method"] == "statevector"
    assert "precision" in sampler.parameters and "total_time" in sampler.parameters


def test_empty_model():
    bqm = dimod.BinaryQuadraticModel({}, {}, 1.5, "SPIN")
    state = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=3)
    np.testing.assert_allclose(state, [np.exp(-1j * 1.5 * 1.0)], atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(total_time=0.0), InvalidArgumentError, "total_time"),
        (dict(total_time=-3.0), InvalidArgumentError, "total_time"),
        (dict(num_steps=0), InvalidArgumentError, "num_steps"),
        (dict(num_steps=1.5), InvalidTypeError, "num_steps"),
        (dict(num_reads=0), InvalidArgumentError, "num_reads"),
        (dict(order=4), InvalidArgumentError, "order"),
        (dict(schedule=lambda u: u - 0.5 * np.sin(2 * np.pi * u)), InvalidArgumentError,
         "non-decreasing"),
        (dict(precision="quad"), InvalidArgumentError, "precision"),
        (dict(shots=10), InvalidArgumentError, "shots"),
    ],
)
def test_bad_sample_arguments(make_bqm, kwargs, error, name):
    with pytest.raises(error, match=name):
        AerAnnealingSampler(total_time=1.0, num_steps=2).sample(make_bqm(2, 0), **kwargs)


def test_bad_constructor_arguments():
    with pytest.raises(InvalidArgumentError, match="precision"):
        AerAnnealingSampler(precision="half")
    with pytest.raises(InvalidArgumentError, match="total_time"):
        AerAnnealingSampler(total_time=-1.0)
    with pytest.raises(InvalidTypeError, match="bqm"):
        AerAnnealingSampler().sample({"a": 1.0})


def test_missing_aer_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "qiskit_aer", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hybridxai\[qiskit\]'"):
        AerAnnealingSampler()
    with pytest.raises(MissingDependencyError, match=r"hybridxai\[qiskit\]"):
        get_sampler("aer")
