"""One BLAS thread where hybridxai does its small linear algebra, and the user's setting after."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
import scipy.linalg  # noqa: F401  - load every BLAS library before counting pools
import torch
from threadpoolctl import threadpool_info, threadpool_limits

import hybridxai
from hybridxai._util.blas import blas_threads


def blas_thread_counts() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """The user's setting during the test: 2 BLAS threads (as on the 2-core machine)."""
    if not blas_thread_counts():
        pytest.skip("no BLAS library with a thread pool is loaded")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_the_limit_holds_inside_and_the_setting_comes_back(two_blas_threads):
    before = blas_thread_counts()
    with blas_threads(1):
        assert set(blas_thread_counts()) == {1}
        assert float((np.ones((300, 300)) @ np.ones(300))[0]) == 300.0
    assert blas_thread_counts() == before
    with blas_threads(None):  # None leaves the pools alone
        assert blas_thread_counts() == before


def test_the_setting_comes_back_after_an_exception(two_blas_threads):
    before = blas_thread_counts()
    with pytest.raises(RuntimeError, match="inside"), blas_threads(1):
        raise RuntimeError("raised inside the block")
    assert blas_thread_counts() == before


class RecordingSampler(dimod.Sampler):
    """Exact solver that notes the BLAS thread counts it ran with."""

    parameters: dict = {}
    properties: dict = {}

    def __init__(self) -> None:
        self.seen: list[list[int]] = []

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs) -> dimod.SampleSet:
        self.seen.append(blas_thread_counts())
        return dimod.ExactSolver().sample(bqm)


def test_explain_limits_only_its_own_products(two_blas_threads, make_cnn, monkeypatch):
    """build_qubo's Gram matrix and the energy checks run on one BLAS thread; a user's sampler
    runs with the user's setting, which is back afterwards."""
    import hybridxai.anneal.qubo

    before = blas_thread_counts()
    inside: list[list[int]] = []
    real_energy = hybridxai.anneal.qubo.FeatureQubo.energy

    def recording_energy(self, selection):
        inside.append(blas_thread_counts())
        return real_energy(self, selection)

    monkeypatch.setattr(hybridxai.anneal.qubo.FeatureQubo, "energy", recording_energy)
    sampler = RecordingSampler()
    hybridxai.explain_batch(make_cnn(), torch.rand(2, 3, 8, 8), layer="2",
                            backend=sampler, beta=0.7, progress=False)
    assert inside and all(set(counts) == {1} for counts in inside)
    assert sampler.seen == [before, before]
    assert blas_thread_counts() == before


def test_the_sa_sampler_restores_the_setting(two_blas_threads):
    before = blas_thread_counts()
    bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    sampleset = hybridxai.get_sampler("sa").sample(bqm, seed=0)
    assert float(sampleset.first.energy) == -1.0
    assert blas_thread_counts() == before
