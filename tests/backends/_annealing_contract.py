"""Tests every circuit annealing backend must pass ("aer", "pennylane").

A backend's test module subclasses :class:`AnnealingBackendContract` (setting
``sampler_class``, ``backend``, ``sdk_module``, ``extra`` and its own ``bad_sample_arguments``)
and builds its dimod conformance class with :func:`dimod_conformance`; only what is specific to
the backend stays in its module.
"""

from __future__ import annotations

import sys
import unittest
from typing import Any, ClassVar

import dimod
import dimod.testing
import numpy as np
import pytest

from hybridxai.backends.registry import get_sampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, MissingDependencyError
from tests.circuits._reference import dimod_energies, mixed_label_bqm, reference_state

BadArgument = tuple[dict[str, Any], type[Exception], str]

COMMON_BAD_SAMPLE_ARGUMENTS: list[BadArgument] = [
    (dict(total_time=0.0), InvalidArgumentError, "total_time"),
    (dict(total_time=-3.0), InvalidArgumentError, "total_time"),
    (dict(num_steps=0), InvalidArgumentError, "num_steps"),
    (dict(num_steps=-1), InvalidArgumentError, "num_steps"),
    (dict(num_steps=1.5), InvalidTypeError, "num_steps"),
    (dict(num_steps="10"), InvalidTypeError, "num_steps"),
    (dict(num_reads=0), InvalidArgumentError, "num_reads"),
    (dict(order=4), InvalidArgumentError, "order"),
    (dict(schedule=lambda u: u - 0.5 * np.sin(2 * np.pi * u)), InvalidArgumentError,
     "non-decreasing"),
    (dict(driver_scale=-1.0), InvalidArgumentError, "driver_scale"),
]
"""``(sample() keyword arguments, error, text the message must contain)`` for every backend."""


def quad_schedule(u):
    return np.asarray(u) ** 2


def sin2_schedule(u):
    return np.sin(0.5 * np.pi * np.asarray(u)) ** 2


def dimod_conformance(sampler_class: type[dimod.Sampler], name: str) -> type[unittest.TestCase]:
    """dimod's generated tests (empty, 1-variable and path BQMs of every BQM class).

    Args:
        sampler_class: The sampler; the generated tests use a cheap one, fresh per test.
        name: Ends the generated test names (e.g. ``"quick_aer_sampler"``).

    Returns:
        A ``unittest.TestCase`` class; bind it to a ``Test…`` name in the test module.
    """

    def make_sampler() -> dimod.Sampler:
        return sampler_class(total_time=1.0, num_steps=4, seed=7)

    make_sampler.__name__ = name

    @dimod.testing.load_sampler_bqm_tests(make_sampler)
    class Conformance(unittest.TestCase):
        def test_sampler_api(self):
            dimod.testing.assert_sampler_api(sampler_class())

    return Conformance


class AnnealingBackendContract:
    """The shared tests; a ``Test…`` subclass per backend sets the class attributes below."""

    sampler_class: ClassVar[type[dimod.Sampler]]
    backend: ClassVar[str]
    """The registry name, also ``info["backend"]``."""
    sdk_module: ClassVar[str]
    """The module whose absence must raise ``MissingDependencyError``."""
    extra: ClassVar[str]
    """The ``hybridxai[...]`` extra the error names."""
    bad_sample_arguments: ClassVar[list[BadArgument]] = []
    """Backend-specific cases on top of :data:`COMMON_BAD_SAMPLE_ARGUMENTS`."""

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "bad_argument" in metafunc.fixturenames:
            cases = COMMON_BAD_SAMPLE_ARGUMENTS + metafunc.cls.bad_sample_arguments
            metafunc.parametrize("bad_argument", cases,
                                 ids=[next(iter(kwargs)) for kwargs, _, _ in cases])

    @pytest.mark.parametrize("d", [2, 5, 8])
    @pytest.mark.parametrize("order", [1, 2])
    @pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
    def test_final_state_matches_dense_reference(self, make_bqm, d, order, vartype):
        bqm = make_bqm(d, seed=d + 20 * order, vartype=vartype)
        state = self.sampler_class().final_state(bqm, total_time=2.0, num_steps=6, order=order)
        assert state.dtype == np.complex128 and state.shape == (2**d,)
        np.testing.assert_allclose(state, reference_state(bqm, 2.0, 6, order=order), atol=1e-9,
                                   rtol=0)

    @pytest.mark.parametrize(
        ("vartype", "schedule", "driver_scale", "coefficient", "order"),
        [("SPIN", quad_schedule, "1/d", 0.25, 2), ("BINARY", sin2_schedule, 0.5, 0.5, 1)],
        ids=["quadratic-1/d-order2", "sin2-0.5-order1"],
    )
    def test_nonlinear_schedule_and_driver_scale(self, vartype, schedule, driver_scale,
                                                 coefficient, order):
        bqm = mixed_label_bqm(vartype)
        sampler = self.sampler_class(driver_scale=driver_scale)
        state = sampler.final_state(bqm, total_time=3.0, num_steps=8, schedule=schedule,
                                    order=order)
        expected = reference_state(bqm, 3.0, 8, schedule, order, driver_scale=coefficient)
        np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)

    @pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
    def test_sampleset_finds_the_ground_state(self, make_bqm, vartype):
        bqm = make_bqm(4, seed=12, vartype=vartype)
        sampler = self.sampler_class(total_time=20.0, num_steps=200, seed=1)
        sampleset = sampler.sample(bqm, num_reads=50)
        assert sampleset.vartype is bqm.vartype
        assert set(sampleset.variables) == set(bqm.variables)
        dimod.testing.assert_sampleset_energies(sampleset, bqm)
        assert sampleset.first.energy == pytest.approx(dimod_energies(bqm).min())
        assert sampleset.info["fidelity"] > 0.5
        assert sampleset.info["backend"] == self.backend
        assert sum(sampleset.record.num_occurrences) == 50
        assert set(sampleset.info["timing"]) >= {"preprocessing_ns", "sampling_ns",
                                                 "postprocessing_ns"}

    def test_sampling_is_reproducible_with_a_seed(self, make_bqm):
        bqm = make_bqm(3, seed=0)
        a = self.sampler_class(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
        b = self.sampler_class(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
        np.testing.assert_array_equal(a.record.sample, b.record.sample)
        np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)

    def test_empty_model(self):
        bqm = dimod.BinaryQuadraticModel({}, {}, 1.5, "SPIN")
        state = self.sampler_class().final_state(bqm, total_time=2.0, num_steps=3)
        np.testing.assert_allclose(state, [np.exp(-1j * 1.5 * 1.0)], atol=1e-12)

    def test_bad_sample_arguments(self, make_bqm, bad_argument):
        kwargs, error, name = bad_argument
        with pytest.raises(error, match=name):
            self.sampler_class(total_time=1.0, num_steps=2).sample(make_bqm(2, 0), **kwargs)

    def test_bad_constructor_arguments(self):
        with pytest.raises(InvalidArgumentError, match="total_time"):
            self.sampler_class(total_time=-1.0)
        with pytest.raises(InvalidTypeError, match="bqm"):
            self.sampler_class().sample({"a": 1.0})

    def test_missing_sdk_names_the_extra(self, monkeypatch):
        monkeypatch.setitem(sys.modules, self.sdk_module, None)
        fix = rf"pip install 'hybridxai\[{self.extra}\]'"
        with pytest.raises(MissingDependencyError, match=fix):
            self.sampler_class()
        with pytest.raises(MissingDependencyError, match=fix):
            get_sampler(self.backend)
