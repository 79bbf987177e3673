"""The sampler registry: names → dimod samplers, with actionable errors."""

from __future__ import annotations

import dimod
import pytest

import hybridxai
from hybridxai.backends import registry
from hybridxai.backends.exact import ExactSampler
from hybridxai.backends.registry import BackendSpec, available_backends, get_sampler
from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler
from hybridxai.exceptions import (
    InvalidArgumentError,
    InvalidTypeError,
    MissingDependencyError,
    UnknownBackendError,
)

DESIGN_NAMES = ("exact", "sa", "statevector", "aer", "pennylane", "dwave", "leap-hybrid")


def test_every_design_backend_is_registered():
    names = available_backends()
    for name in DESIGN_NAMES:
        assert name in names
        assert isinstance(names[name], str) and names[name]


def test_package_level_get_sampler_is_the_registry_function():
    assert hybridxai.get_sampler is get_sampler
    assert hybridxai.available_backends is available_backends


@pytest.mark.parametrize(("name", "cls"), [("exact", ExactSampler), ("sa", SimulatedAnnealingSampler),
                                           (" SA ", SimulatedAnnealingSampler),
                                           ("Exact", ExactSampler)])
def test_core_backends_by_name(name, cls):
    sampler = get_sampler(name)
    assert type(sampler) is cls
    assert isinstance(sampler, dimod.Sampler)


def test_config_reaches_the_constructor():
    sa = get_sampler("sa", seed=5, num_reads=3)
    assert sa.defaults["seed"] == 5 and sa.defaults["num_reads"] == 3
    assert get_sampler("exact", max_variables=7).max_variables == 7


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownBackendError) as info:
        get_sampler("qaoa")
    message = str(info.value)
    assert "backend='qaoa'" in message and "Fix:" in message
    for name in DESIGN_NAMES:
        assert f"'{name}'" in message
    assert isinstance(info.value, ValueError)


def test_a_sampler_instance_is_returned_unchanged():
    solver = dimod.ExactSolver()
    assert get_sampler(solver) is solver
    with pytest.raises(InvalidTypeError, match=r"config.*Fix:"):
        get_sampler(solver, seed=1)


@pytest.mark.parametrize("bad", [None, 3, ExactSampler])
def test_a_non_name_is_a_type_error(bad):
    with pytest.raises(InvalidTypeError, match=r"name.*Fix:"):
        get_sampler(bad)


def test_a_missing_optional_sdk_names_the_pip_extra(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "fake",
                        BackendSpec("fake", "fake_quantum_sdk_absent.mod:Sampler", "fakeextra",
                                    "a backend whose SDK is absent"))
    with pytest.raises(MissingDependencyError) as info:
        get_sampler("fake")
    assert "pip install 'hybridxai[fakeextra]'" in str(info.value)
    assert isinstance(info.value, ImportError)


def test_a_broken_hybridxai_module_is_not_disguised_as_a_missing_sdk(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "broken",
                        BackendSpec("broken", "hybridxai.backends.no_such_module:X", None, "broken"))
    with pytest.raises(ImportError) as info:
        get_sampler("broken")
    assert not isinstance(info.value, MissingDependencyError)


def test_register_backend_adds_a_name(monkeypatch):
    monkeypatch.setattr(registry, "BACKENDS", dict(registry.BACKENDS))
    registry.register_backend("exact-copy", "hybridxai.backends.exact:ExactSampler", None, "copy")
    assert available_backends()["exact-copy"] == "copy"
    assert isinstance(get_sampler("exact_copy"), ExactSampler)  # "_" normalised to "-"


def test_invalid_argument_errors_are_value_errors():
    with pytest.raises(InvalidArgumentError):
        get_sampler("nope")


def test_optional_sdks_are_declared_once():
    """The extras table matches pyproject.toml, and every backend's extra comes from it."""
    from pathlib import Path

    from hybridxai._util.optional import EXTRAS, import_optional

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(pyproject["project"]["optional-dependencies"]) - {"all", "dev"}
    assert set(EXTRAS) == declared
    for spec in registry.BACKENDS.values():
        assert spec.extra is None or spec.extra in EXTRAS, spec.name
    with pytest.raises(MissingDependencyError, match=r"Fix: pip install 'hybridxai\[dwave\]'\."):
        import_optional("no_such_module_anywhere", "dwave", "a test")
    with pytest.raises(KeyError):
        import_optional("numpy", "not-an-extra", "a test")


def test_register_backend_refuses_an_unknown_extra(monkeypatch):
    monkeypatch.setattr(registry, "BACKENDS", dict(registry.BACKENDS))
    with pytest.raises(InvalidArgumentError, match=r"extra='qiskit-gpu' is invalid.*Fix: pass one of"):
        registry.register_backend("gpu", "somewhere:Sampler", "qiskit-gpu", "a GPU backend")


def test_installed_reports_the_extra(monkeypatch):
    from hybridxai._util import optional

    assert registry.BACKENDS["exact"].installed()
    monkeypatch.setitem(optional.EXTRAS, "dwave", optional.Extra("dwave", ("no_such_module_anywhere",), "x"))
    assert not registry.BACKENDS["dwave"].installed()
