"""The "pennylane" backend: Trotterized annealing on lightning.qubit / default.qubit."""

from __future__ import annotations

import sys
import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

qml = pytest.importorskip("pennylane")

from hybridxai.backends.pennylane_sampler import PennyLaneAnnealingSampler  # noqa: E402
from hybridxai.backends.registry import get_sampler  # noqa: E402
from hybridxai.exceptions import (  # noqa: E402
    InvalidArgumentError,
    InvalidTypeError,
    MissingDependencyError,
)
from tests.circuits._reference import dimod_energies, mixed_label_bqm, reference_state  # noqa: E402


def quick_pennylane_sampler() -> PennyLaneAnnealingSampler:
    """A cheap sampler for the dimod conformance tests (a fresh one per test)."""
    return PennyLaneAnnealingSampler(total_time=1.0, num_steps=4, seed=7)


@dimod.testing.load_sampler_bqm_tests(quick_pennylane_sampler)
class TestPennyLaneSamplerConformance(unittest.TestCase):
    """dimod's generated tests: empty, 1-variable and path BQMs of every BQM class."""

    def test_sampler_api(self):
        dimod.testing.assert_sampler_api(PennyLaneAnnealingSampler())


@pytest.mark.parametrize("d", [2, 5, 8])
@pytest.mark.parametrize("order", [1, 2])
def test_final_state_matches_dense_reference(make_bqm, d, order):
    bqm = make_bqm(d, seed=d + 20 * order, vartype="SPIN" if order == 1 else "BINARY")
    state = PennyLaneAnnealingSampler().final_state(bqm, total_time=2.0, num_steps=6, order=order)
    assert state.dtype == np.complex128 and state.shape == (2**d,)
    np.testing.assert_allclose(state, reference_state(bqm, 2.0, 6, order=order), atol=1e-9, rtol=0)


def test_nonlinear_schedule_on_default_qubit():
    bqm = mixed_label_bqm("BINARY")

    def schedule(u):
        return np.sin(0.5 * np.pi * np.asarray(u)) ** 2

    sampler = PennyLaneAnnealingSampler(device="default.qubit", driver_scale=0.5)
    assert sampler.properties["device"] == "default.qubit"
    state = sampler.final_state(bqm, total_time=3.0, num_steps=8, schedule=schedule)
    expected = reference_state(bqm, 3.0, 8, schedule, 1, driver_scale=0.5)
    np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)


def test_default_device_is_lightning_and_recorded(make_bqm):
    pytest.importorskip("pennylane_lightning")
    sampler = PennyLaneAnnealingSampler(total_time=1.0, num_steps=3, seed=0)
    assert sampler.properties["device"] == "lightning.qubit"
    assert sampler.properties["requested_device"] is None
    sampleset = sampler.sample(make_bqm(3, seed=1))
    assert sampleset.info["device"] == "lightning.qubit"
    assert sampleset.info["backend"] == "pennylane"


def test_falls_back_to_default_qubit(monkeypatch, make_bqm):
    real_device = qml.device

    def no_lightning(name, *args, **kwargs):
        if name == "lightning.qubit":
            raise ImportError("pennylane_lightning is not installed")
        return real_device(name, *args, **kwargs)

    monkeypatch.setattr(qml, "device", no_lightning)
    sampler = PennyLaneAnnealingSampler(total_time=1.5, num_steps=4)
    assert sampler.properties["device"] == "default.qubit"
    bqm = make_bqm(3, seed=2)
    np.testing.assert_allclose(sampler.final_state(bqm), reference_state(bqm, 1.5, 4),
                               atol=1e-9, rtol=0)
    assert sampler.sample(bqm).info["device"] == "default.qubit"


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_sampleset_finds_the_ground_state(make_bqm, vartype):
    bqm = make_bqm(4, seed=12, vartype=vartype)
    sampler = PennyLaneAnnealingSampler(total_time=20.0, num_steps=200, seed=1)
    sampleset = sampler.sample(bqm, num_reads=50)
    assert sampleset.vartype is bqm.vartype
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.first.energy == pytest.approx(dimod_energies(bqm).min())
    assert sampleset.info["fidelity"] > 0.5


def test_registry_and_properties():
    sampler = get_sampler("pennylane", device="default.qubit", order=2)
    assert isinstance(sampler, PennyLaneAnnealingSampler)
    assert sampler.properties["backend"] == "pennylane"
    assert sampler.defaults["order"] == 2
    assert "pennylane_version" in sampler.properties


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(total_time=0.0), InvalidArgumentError, "total_time"),
        (dict(num_steps=-1), InvalidArgumentError, "num_steps"),
        (dict(num_steps="10"), InvalidTypeError, "num_steps"),
        (dict(schedule=lambda u: u - 0.5 * np.sin(2 * np.pi * u)), InvalidArgumentError,
         "non-decreasing"),
        (dict(driver_scale=-1.0), InvalidArgumentError, "driver_scale"),
        (dict(device="default.qubit"), InvalidArgumentError, "device"),
    ],
)
def test_bad_sample_arguments(make_bqm, kwargs, error, name):
    with pytest.raises(error, match=name):
        PennyLaneAnnealingSampler(total_time=1.0, num_steps=2).sample(make_bqm(2, 0), **kwargs)


def test_unknown_device_is_rejected():
    with pytest.raises(InvalidArgumentError, match="device"):
        PennyLaneAnnealingSampler(device="no.such.device")


def test_missing_pennylane_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pennylane", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hybridxai\[pennylane\]'"):
        PennyLaneAnnealingSampler()
