"""The "aer" backend: Trotterized annealing circuit on Qiskit Aer."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import skip_without_extra

skip_without_extra("qiskit")

from hybridxai.anneal.spec import resolve_driver_scale  # noqa: E402
from hybridxai.backends.aer import AerAnnealingSampler  # noqa: E402
from hybridxai.backends.registry import get_sampler  # noqa: E402
from hybridxai.backends.testing import annealing_sampler_tests  # noqa: E402
from hybridxai.exceptions import InvalidArgumentError  # noqa: E402
from tests.circuits._reference import reference_state  # noqa: E402


def dense_reference(bqm, total_time, num_steps, schedule=None, order=1, driver_scale="unit"):
    """Dense matrix exponentials (independent of the native engine the contract uses by default)."""
    return reference_state(bqm, total_time, num_steps, schedule, order,
                           resolve_driver_scale(driver_scale, bqm.num_variables))


TestAerSampler = annealing_sampler_tests(
    AerAnnealingSampler, reference=dense_reference,
    bad_sample_arguments=[(dict(precision="quad"), InvalidArgumentError, "precision")])


def test_single_precision_is_close(make_bqm):
    bqm = make_bqm(4, seed=3)
    double = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=10)
    single = AerAnnealingSampler(precision="single").final_state(bqm, total_time=2.0, num_steps=10)
    np.testing.assert_allclose(single, double, atol=1e-5)
    override = AerAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=10,
                                                 precision="single")
    np.testing.assert_allclose(override, single, atol=1e-12)


def test_precision_is_recorded(make_bqm):
    sampleset = AerAnnealingSampler(total_time=1.0, num_steps=3).sample(make_bqm(2, 0))
    assert sampleset.info["precision"] == "double"
    assert sampleset.info["simulator"] == "AerSimulator(method='statevector')"
    single = AerAnnealingSampler(total_time=1.0, num_steps=3).sample(make_bqm(2, 0), precision="single")
    assert single.info["precision"] == "single"


def test_registry_and_properties():
    sampler = get_sampler("aer", precision="single", total_time=2.0)
    assert isinstance(sampler, AerAnnealingSampler)
    assert sampler.properties["backend"] == "aer"
    assert sampler.properties["precision"] == "single"
    assert sampler.properties["method"] == "statevector"
    assert "precision" in sampler.parameters and "total_time" in sampler.parameters


def test_bad_precision_in_constructor():
    with pytest.raises(InvalidArgumentError, match="precision"):
        AerAnnealingSampler(precision="half")
