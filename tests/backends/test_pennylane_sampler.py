"""The "pennylane" backend: Trotterized annealing on lightning.qubit / default.qubit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import skip_without_extra

skip_without_extra("pennylane")

import pennylane as qml  # noqa: E402

from hybridxai.anneal.spec import resolve_driver_scale  # noqa: E402
from hybridxai.backends.pennylane_sampler import PennyLaneAnnealingSampler  # noqa: E402
from hybridxai.backends.registry import get_sampler  # noqa: E402
from hybridxai.backends.testing import annealing_sampler_tests  # noqa: E402
from hybridxai.exceptions import InvalidArgumentError  # noqa: E402
from tests.circuits._reference import reference_state  # noqa: E402


def dense_reference(bqm, total_time, num_steps, schedule=None, order=1, driver_scale="unit"):
    """Dense matrix exponentials (independent of the native engine the contract uses by default)."""
    return reference_state(bqm, total_time, num_steps, schedule, order,
                           resolve_driver_scale(driver_scale, bqm.num_variables))


TestPennyLaneSampler = annealing_sampler_tests(
    PennyLaneAnnealingSampler, reference=dense_reference,
    bad_sample_arguments=[(dict(device="default.qubit"), InvalidArgumentError, "device")])


@pytest.mark.parametrize(("requested", "used"), [(None, "lightning.qubit"),
                                               ("default.qubit", "default.qubit")])
def test_device_is_chosen_and_recorded(make_bqm, requested, used):
    if used == "lightning.qubit":
        pytest.importorskip("pennylane_lightning")
    sampler = PennyLaneAnnealingSampler(device=requested, total_time=1.0, num_steps=3, seed=0)
    assert sampler.properties["device"] == used
    assert sampler.properties["requested_device"] == requested
    sampleset = sampler.sample(make_bqm(3, seed=1))
    assert sampleset.info["device"] == used
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


def test_registry_and_properties():
    sampler = get_sampler("pennylane", device="default.qubit", order=2)
    assert isinstance(sampler, PennyLaneAnnealingSampler)
    assert sampler.properties["backend"] == "pennylane"
    assert sampler.defaults["order"] == 2
    assert "pennylane_version" in sampler.properties


def test_unknown_device_is_rejected():
    with pytest.raises(InvalidArgumentError, match="device"):
        PennyLaneAnnealingSampler(device="no.such.device")
