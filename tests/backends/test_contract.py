"""Every registered backend passes the shipped sampler contract (hybridxai.backends.testing)."""

from __future__ import annotations

import warnings
from unittest import mock

import dimod
import pytest

from hybridxai.backends.registry import BACKENDS, get_sampler
from hybridxai.backends.testing import check_sampler, contract_checks


def _leap_hybrid():
    from dwave.system import LeapHybridSampler
    from dwave.system.testing import MockLeapHybridSolver

    with mock.patch("dwave.system.samplers.leap_hybrid_sampler.Client") as client:
        client.from_config.return_value.get_solver.return_value = MockLeapHybridSolver()
        return get_sampler("leap-hybrid", child=LeapHybridSampler())


def _dwave():
    from dwave.system.testing import MockDWaveSampler

    return get_sampler("dwave", child=MockDWaveSampler(), num_reads=3)


CHEAP = {
    "exact": lambda: get_sampler("exact"),
    "sa": lambda: get_sampler("sa"),
    "certified": lambda: get_sampler("certified"),
    "statevector": lambda: get_sampler("statevector", total_time=1.0, num_steps=4, seed=0),
    "aer": lambda: get_sampler("aer", total_time=1.0, num_steps=4, seed=0),
    "pennylane": lambda: get_sampler("pennylane", total_time=1.0, num_steps=4, seed=0),
    "ibm-runtime": lambda: get_sampler("ibm-runtime", backend="fake_manila", total_time=1.0, num_steps=2,
                                       seed=0),
    "dwave": _dwave,
    "leap-hybrid": _leap_hybrid,
}
"""A cheap instance of each registered backend; remote ones on Ocean's and Qiskit's offline mocks."""


def test_every_registered_backend_has_a_cheap_instance_here():
    assert set(CHEAP) == set(BACKENDS)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_registered_backend_passes_the_contract(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SDK deprecation warnings of the mocks
        sampler = CHEAP[name]()
        check_sampler(sampler, strict_keywords=name != "leap-hybrid")


class _Broken(dimod.Sampler):
    """Reports energies without the offset: the contract must catch it."""

    parameters = {"num_reads": []}
    properties = {}

    def sample(self, bqm, num_reads=1, **kwargs):
        exact = dimod.ExactSolver().sample(bqm)
        return dimod.SampleSet.from_samples(exact.first.sample, bqm.vartype,
                                            energy=[exact.first.energy - bqm.offset])


def test_the_contract_catches_energies_without_the_offset():
    with pytest.raises(AssertionError, match="round trip"):
        check_sampler(_Broken(), strict_keywords=False)


@pytest.mark.parametrize("name", [name for name, _ in contract_checks()])
def test_each_rule_passes_on_the_reference_sampler(name):
    check = dict(contract_checks())[name]
    check(get_sampler("exact"), {})
