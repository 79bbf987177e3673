"""The "aer" backend: Trotterized annealing circuit on Qiskit Aer."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit_aer")

from hybridxai.backends.aer import AerAnnealingSampler  # noqa: E402
from hybridxai.backends.registry import get_sampler  # noqa: E402
from hybridxai.exceptions import InvalidArgumentError  # noqa: E402
from tests.backends._annealing_contract import (  # noqa: E402
    AnnealingBackendContract,
    dimod_conformance,
)

TestAerSamplerConformance = dimod_conformance(AerAnnealingSampler, "quick_aer_sampler")


class TestAerSampler(AnnealingBackendContract):
    """The tests every circuit backend passes (see tests/backends/_annealing_contract.py)."""

    sampler_class = AerAnnealingSampler
    backend = "aer"
    sdk_module = "qiskit_aer"
    extra = "qiskit"
    bad_sample_arguments = [
        (dict(precision="quad"), InvalidArgumentError, "precision"),
        (dict(shots=10), InvalidArgumentError, "shots"),
    ]


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
