"""Every registered backend passes the shipped sampler contract (hybridxai.backends.testing)."""

from __future__ import annotations

import warnings
from unittest import mock

import dimod
import pytest

from hybridxai.backends.base import BaseSampler
from hybridxai.backends.registry import BACKENDS, get_sampler
from hybridxai.backends.testing import check_sampler, contract_checks

BQM = dimod.BinaryQuadraticModel({"a": -1.0, 3: 0.5}, {("a", 3): 1.0}, 0.25, "BINARY")


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


def cheap(name: str) -> BaseSampler:
    """The cheap instance of a registered backend, or skip when its SDK is not installed."""
    if not BACKENDS[name].installed():
        pytest.skip(f"backend {name!r} needs pip install 'hybridxai[{BACKENDS[name].extra}]'")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SDK deprecation warnings of the mocks
        return CHEAP[name]()


def test_every_registered_backend_has_a_cheap_instance_here():
    assert set(CHEAP) == set(BACKENDS)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_registered_backend_passes_the_contract(name):
    sampler = cheap(name)
    assert isinstance(sampler, BaseSampler) and sampler.backend_name == name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_sampler(sampler)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_check_options_returns_the_resolved_options(name):
    sampler = cheap(name)
    resolved = sampler.check_options()
    assert isinstance(resolved, dict)
    assert set(sampler.defaults) <= set(resolved)
    for key in ("num_reads", "seed", "total_time", "time_limit"):  # taken as given
        if sampler.defaults.get(key) is not None:
            assert resolved[key] == sampler.defaults[key], key
    before = dict(sampler.defaults)
    sampler.check_options(BQM, seed=1) if "seed" in sampler.parameters else sampler.check_options(BQM)
    assert sampler.defaults == before  # the pre-flight check changes nothing


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_unknown_keywords_follow_the_declared_rule(name):
    sampler = cheap(name)
    if sampler.forwards_unknown_options:  # passed on to the remote solver, which checks them
        assert sampler.check_options(label="run 1")["label"] == "run 1"
    else:
        with pytest.raises(ValueError, match=r"parameters=\['total_tme'\] .*unknown options"):
            sampler.check_options(total_tme=100)


def test_remote_samplers_close_and_work_as_context_managers():
    for name in ("dwave", "leap-hybrid", "ibm-runtime"):
        sampler = cheap(name)
        with sampler as same:
            assert same is sampler
        sampler.close()  # closing twice is harmless


class _Broken(dimod.Sampler):
    """Reports energies without the offset: the contract must catch it."""

    parameters = {"num_reads": []}
    properties = {}

    def sample(self, bqm, num_reads=1, **kwargs):
        exact = dimod.ExactSolver().sample(bqm)
        return dimod.SampleSet.from_samples(exact.first.sample, bqm.vartype,
                                            energy=[exact.first.energy - bqm.offset],
                                            num_occurrences=[num_reads])


def test_the_contract_catches_energies_without_the_offset():
    with pytest.raises(AssertionError, match="round trip"):
        check_sampler(_Broken())


class _Lenient(BaseSampler):
    """Accepts a negative seed: the contract must catch it (issue 17, C5)."""

    backend_name = "lenient"
    parameters = {"seed": []}

    def _check_common(self, options):
        pass

    def sample(self, bqm, **options):
        self.check_sample(bqm, **options)
        return self.to_sampleset(dimod.ExactSolver().sample(bqm).lowest(), info={}, timing={"sampling_ns": 0})


def test_the_contract_catches_a_bad_seed_accepted():
    with pytest.raises(AssertionError, match=r"bad values refused up front.*seed=-3"):
        check_sampler(_Lenient())


def test_the_contract_catches_unknown_keywords_accepted():
    class Silent(_Lenient):
        _check_common = BaseSampler._check_common
        forwards_unknown_options = True

    check_sampler(Silent())  # a forwarding sampler is not held to the rule
    with pytest.raises(AssertionError, match="unknown keywords refused"):
        check_sampler(Silent(), strict_keywords=True)


@pytest.mark.parametrize(("name", "check"), list(contract_checks()))
def test_each_rule_passes_on_the_reference_sampler(name, check):
    check(get_sampler("exact"), {})
