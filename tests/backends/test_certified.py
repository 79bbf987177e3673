"""The "certified" backend: dimod conformance, registry, info, warning, explain()."""

from __future__ import annotations

import unittest

import dimod
import dimod.testing
import numpy as np
import pytest
import torch

import hybridxai
from hybridxai.backends.certified.sampler import CertifiedSampler, OptimalityNotProvenWarning
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


@pytest.mark.parametrize("form", ["sampleset", "mapping", "array"])
def test_incumbent_is_passed_through(make_bqm, form):
    bqm = make_bqm(12, 6, "SPIN")
    ground = dimod.ExactSolver().sample(bqm)
    optimum = float(ground.first.energy)
    best = ground.first.sample
    incumbent = {"sampleset": ground, "mapping": best,
                 "array": np.array([best[v] for v in bqm.variables])}[form]
    # a time limit that stops the search before its first node: the answer is then the
    # starting point, which is the incumbent when one is given
    with pytest.warns(OptimalityNotProvenWarning, match="time_limit=1e-06 s before proving"):
        alone = CertifiedSampler(time_limit=1e-6).sample(bqm)
    assert alone.info["nodes"] == 0 and alone.first.energy > optimum + 1e-6
    with pytest.warns(OptimalityNotProvenWarning, match="time_limit=1e-06 s before proving"):
        result = CertifiedSampler(time_limit=30).sample(bqm, incumbent=incumbent, time_limit=1e-6)
    assert result.info["nodes"] == 0 and result.info["status"] == "time_limit"
    assert result.first.energy == pytest.approx(optimum)
    assert result.info["lower_bound"] <= optimum + 1e-9
    dimod.testing.assert_sampleset_energies(result, bqm)
    # one node: the incumbent is kept (never made worse)
    with pytest.warns(OptimalityNotProvenWarning, match="max_nodes=1 before proving"):
        one = CertifiedSampler().sample(bqm, incumbent=incumbent, max_nodes=1)
    assert one.info["status"] == "node_limit" and one.info["nodes"] == 1
    assert one.first.energy == pytest.approx(optimum)
    # with room to finish, the incumbent is proven optimal
    proven = CertifiedSampler().sample(bqm, incumbent=incumbent)
    assert proven.info["optimal"] and proven.first.energy == pytest.approx(optimum)


def test_incumbent_never_gets_worse_and_bad_ones_are_refused(make_bqm):
    bqm = make_bqm(40, 8)
    start = {v: 1 for v in bqm.variables}
    with pytest.warns(OptimalityNotProvenWarning):
        result = CertifiedSampler().sample(bqm, incumbent=start, max_nodes=1)
    assert result.first.energy <= bqm.energy(start) + 1e-12
    with pytest.raises(InvalidArgumentError, match=r"incumbent=.*only 0/1.*Fix:"):
        CertifiedSampler().sample(bqm, incumbent=np.full(40, 2))


def test_options_are_checked(make_bqm):
    with pytest.raises(InvalidArgumentError, match=r"parameters=\['seed'\] is invalid"):
        CertifiedSampler().sample(make_bqm(3, 0), seed=1)
    with pytest.raises(InvalidArgumentError, match="time_limit=0.0 is invalid"):
        CertifiedSampler(time_limit=0.0)
    with pytest.raises(InvalidArgumentError, match="max_nodes=0 is invalid"):
        CertifiedSampler(max_nodes=0)
    with pytest.raises(InvalidArgumentError, match="tolerance=1.5 is invalid"):
        CertifiedSampler(tolerance=1.5)


def test_explain_with_the_certified_backend(make_cnn):
    model = make_cnn()
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    exact = hybridxai.explain(model, image, backend="exact", seed=0)
    certified = hybridxai.explain(model, image, backend="certified", seed=0)
    assert certified.energy == pytest.approx(exact.energy)
