"""The "certified" backend: dimod conformance, registry, info, warning, explain()."""

from __future__ import annotations

import unittest

import dimod
import dimod.testing
import pytest
import torch

import hybridxai
from hybridxai.backends.certified import CertifiedSampler, OptimalityNotProvenWarning
from hybridxai.exceptions import InvalidArgumentError


def test_sampler_api():
    dimod.testing.assert_sampler_api(CertifiedSampler())


@dimod.testing.load_sampler_bqm_tests(CertifiedSampler)
class TestCertifiedConformance(unittest.TestCase):
    """dimod's shipped conformance tests on small BQMs (empty, 1 variable, paths)."""


def test_registered_by_name():
    assert isinstance(hybridxai.get_sampler("certified"), CertifiedSampler)
    assert "certified" in hybridxai.available_backends()


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_returns_the_proven_optimum(make_bqm, vartype):
    bqm = make_bqm(10, 4, vartype)
    result = CertifiedSampler().sample(bqm)
    assert len(result) == 1 and result.vartype is bqm.vartype
    dimod.testing.assert_sampleset_energies(result, bqm)
    assert result.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)
    assert result.info["optimal"] and result.info["status"] == "optimal"
    assert result.info["lower_bound"] <= result.first.energy + 1e-12
    assert result.info["timing"]["solve_ns"] > 0


def test_warns_when_the_time_limit_stops_the_proof(make_bqm):
    bqm = make_bqm(70, 5)
    with pytest.warns(OptimalityNotProvenWarning, match="time_limit=0.05 s"):
        result = CertifiedSampler(time_limit=0.05).sample(bqm)
    assert not result.info["optimal"] and result.info["gap"] > 0
    dimod.testing.assert_sampleset_energies(result, bqm)


def test_options_are_checked(make_bqm):
    with pytest.raises(InvalidArgumentError, match=r"parameters=\['seed'\] is invalid"):
        CertifiedSampler().sample(make_bqm(3, 0), seed=1)
    with pytest.raises(InvalidArgumentError, match="time_limit=0.0 is invalid"):
        CertifiedSampler(time_limit=0.0)


def test_explain_with_the_certified_backend(make_cnn):
    model = make_cnn()
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    exact = hybridxai.explain(model, image, backend="exact", seed=0)
    certified = hybridxai.explain(model, image, backend="certified", seed=0)
    assert certified.energy == pytest.approx(exact.energy)
