"""The one settings object of explain, explain_batch, explain_folder and the CLI."""

from __future__ import annotations

import dataclasses
import inspect
import math

import dimod
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image
from torchvision.transforms import ToTensor

import hybridxai
from hybridxai._util.progress import progress_bar
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, UnknownBackendError
from hybridxai.explainer.folder import explain_folder
from hybridxai.explainer.pipeline import explain, explain_batch
from hybridxai.explainer.settings import ExplainSettings, UnknownSettingError


class Untouchable(torch.nn.Module):
    """A model that fails the test if it is ever run: argument errors must come first."""

    def forward(self, x):  # pragma: no cover - must not run
        raise AssertionError("the model ran before the arguments were checked")


IMAGE = torch.zeros(3, 16, 16)


@pytest.mark.parametrize("function", [explain, explain_batch])
def test_a_misspelt_setting_is_a_type_error_naming_it(function):
    with pytest.raises(TypeError, match=r"'targets'.*did you mean target=") as info:
        function(Untouchable(), IMAGE, targets=3)
    assert isinstance(info.value, UnknownSettingError) and "\n" not in str(info.value)


def test_the_issue_example_names_target(mobilenet, chelsea):
    with pytest.raises(TypeError) as info:
        hybridxai.explain(mobilenet, chelsea, targets=3)
    assert "target=" in str(info.value)


def test_a_misspelt_sampler_option_names_the_backend_option():
    with pytest.raises(TypeError, match="did you mean num_reads="):
        explain(Untouchable(), IMAGE, num_read=3)
    with pytest.raises(TypeError, match="did you mean total_time="):
        explain(Untouchable(), IMAGE, backend="statevector", total_tme=3)


def test_an_unknown_keyword_without_a_close_match_lists_the_names():
    with pytest.raises(TypeError, match="the settings are target, layer") as info:
        explain(Untouchable(), IMAGE, colour="red")
    assert "'sa' backend's options are num_reads" in str(info.value)


def test_an_option_of_another_backend_keeps_its_value_error():
    with pytest.raises(InvalidArgumentError) as info:
        explain(Untouchable(), IMAGE, total_time=10.0)
    assert type(info.value) is InvalidArgumentError
    assert "sampler_options=['total_time']" in str(info.value) and "'statevector'" in str(info.value)


def test_sampler_options_meant_for_the_backend_still_work(make_cnn):
    model = make_cnn()
    e = explain(model, IMAGE, backend="statevector", total_time=2.0, num_steps=5, num_reads=7, seed=0,
                max_qubits=3, transform=ToTensor())
    assert e.settings["sampler_options"] == {"total_time": 2.0, "num_steps": 5, "num_reads": 7}
    assert e.sampleset.info.get("num_steps", 5) == 5


def test_a_forwarding_backend_still_refuses_a_misspelt_setting(monkeypatch):
    """Remote backends pass options they do not declare to their solver, but not near-settings."""
    from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler

    monkeypatch.setattr(SimulatedAnnealingSampler, "forwards_unknown_options", True)
    with pytest.raises(TypeError, match="did you mean seed="):
        ExplainSettings.from_keywords({}, {"seeds": 3}, caller="explain")
    forwarded = ExplainSettings.from_keywords({}, {"chain_strength": 2.0}, caller="explain")
    assert forwarded.sampler_options == {"chain_strength": 2.0}


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"beta": 1.5}, InvalidArgumentError, ["beta=1.5", "[0, 1]"]),
    ({"beta": "0.7"}, InvalidTypeError, ["beta has type str"]),
    ({"beta": float("nan")}, InvalidArgumentError, ["beta=nan"]),
    ({"seed": -1}, InvalidArgumentError, ["seed=-1", "non-negative"]),
    ({"seed": 2**32}, InvalidArgumentError, ["seed="]),
    ({"seed": 1.5}, InvalidArgumentError, ["seed=1.5", "integer"]),
    ({"max_qubits": 0}, InvalidArgumentError, ["max_qubits=0", "positive"]),
    ({"cardinality": -1}, InvalidArgumentError, ["cardinality=-1", "0 <= k"]),
    ({"cardinality": 2.5}, InvalidArgumentError, ["cardinality=2.5", "integer"]),
    ({"gamma": -1.0}, InvalidArgumentError, ["gamma=-1.0", ">= 0"]),
    ({"gamma": math.inf}, InvalidArgumentError, ["gamma=inf", "finite"]),
    ({"importance": "magic"}, InvalidArgumentError, ["importance='magic'"]),
    ({"target": 1.0}, InvalidTypeError, ["target has type float"]),
    ({"target": [1, 2.5]}, InvalidTypeError, ["target has type float"]),
    ({"target": []}, InvalidArgumentError, ["empty list"]),
    ({"target": torch.zeros(2, 1, dtype=torch.long)}, InvalidArgumentError, ["(2, 1)", "1-D integer"]),
    ({"target": torch.tensor([1.0])}, InvalidArgumentError, ["target="]),
    ({"layer": 3}, InvalidTypeError, ["layer has type int", "layer='features.18'"]),
    ({"layer": []}, InvalidArgumentError, ["empty list"]),
    ({"backend": 3}, InvalidTypeError, ["backend has type int"]),
    ({"transform": "resize"}, InvalidTypeError, ["transform has type str"]),
    ({"class_names": "cat"}, InvalidTypeError, ["class_names has type str"]),
    ({"analyze": "yes"}, InvalidTypeError, ["analyze has type str"]),
    ({"progress": "yes"}, InvalidTypeError, ["progress has type str"]),
    ({"sampler_options": [("num_reads", 3)]}, InvalidTypeError, ["sampler_options has type list"]),
])
def test_every_setting_is_checked_when_made(kwargs, error, words):
    with pytest.raises(error) as info:
        ExplainSettings(**kwargs)
    assert type(info.value) is error
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    if "sampler_options" in kwargs:  # given as keywords, not as a setting
        return
    with pytest.raises(error):  # and so by the functions, before the model runs
        (explain_batch if "progress" in kwargs else explain)(Untouchable(), IMAGE, **kwargs)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"backend": "quantum"}, UnknownBackendError),
    ({"backend": "sa", "num_reads": 0}, InvalidArgumentError),
    ({"backend": "statevector", "num_steps": 0}, InvalidArgumentError),
])
def test_the_backend_is_checked_before_the_model_runs(kwargs, error):
    with pytest.raises(error):
        explain(Untouchable(), IMAGE, **kwargs)


@hsettings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_beta_is_accepted_exactly_in_the_unit_interval(beta):
    if 0.0 <= beta <= 1.0:
        assert ExplainSettings(beta=beta).beta == beta
    else:
        with pytest.raises(InvalidArgumentError, match="beta="):
            ExplainSettings(beta=beta)


@hsettings(max_examples=60, deadline=None)
@given(st.integers(min_value=-2**40, max_value=2**40))
def test_seed_max_qubits_and_cardinality_ranges(value):
    if 0 <= value < 2**32:
        assert ExplainSettings(seed=value).seed == value
    else:
        with pytest.raises(InvalidArgumentError, match="seed="):
            ExplainSettings(seed=value)
    if value >= 1:
        assert ExplainSettings(max_qubits=value).max_qubits == value
    else:
        with pytest.raises(InvalidArgumentError, match="max_qubits="):
            ExplainSettings(max_qubits=value)
    if value >= 0:
        assert ExplainSettings(cardinality=np.int64(value)).cardinality == value
    else:
        with pytest.raises(InvalidArgumentError, match="cardinality="):
            ExplainSettings(cardinality=value)


@hsettings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_gamma_is_a_finite_non_negative_number(gamma):
    if math.isfinite(gamma) and gamma >= 0:
        assert ExplainSettings(gamma=gamma).gamma == gamma
    else:
        with pytest.raises(InvalidArgumentError, match="gamma="):
            ExplainSettings(gamma=gamma)


def test_numbers_are_normalised_and_the_object_is_frozen():
    s = ExplainSettings(beta=np.float32(0.5), seed=np.int64(3), max_qubits=np.int32(4), gamma=2,
                        class_names=["a", "b"], sampler_options={"num_reads": 2})
    assert (type(s.beta), type(s.seed), type(s.max_qubits), type(s.gamma)) == (float, int, int, float)
    assert s.class_names == ("a", "b") and s.sampler_options == {"num_reads": 2}
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.beta = 0.1  # type: ignore[misc]
    assert dataclasses.replace(s, beta=None).beta is None
    with pytest.raises(InvalidArgumentError):
        dataclasses.replace(s, beta=3.0)


@pytest.mark.parametrize("function", [explain, explain_batch, explain_folder])
def test_the_functions_list_the_settings_with_the_same_defaults(function):
    """The settings are declared once: each keyword's default is the field's (progress aside)."""
    parameters = inspect.signature(function).parameters
    defaults = {f.name: f.default for f in dataclasses.fields(ExplainSettings) if f.name != "sampler_options"}
    listed = [name for name in parameters if name in defaults]
    assert set(defaults) - set(listed) <= {"progress"}
    for name in listed:
        assert parameters[name].default == defaults[name], name
    assert "settings" in parameters


def test_settings_give_the_same_explanation_as_keywords(make_cnn):
    model = make_cnn()
    keywords = dict(backend="exact", beta=0.6, seed=0, max_qubits=5, transform=ToTensor())
    by_keywords = explain(model, IMAGE, **keywords)
    by_settings = explain(model, IMAGE, settings=ExplainSettings(**keywords))
    assert by_settings.selected == by_keywords.selected and by_settings.energy == by_keywords.energy
    assert by_settings.settings == by_keywords.settings
    [batched] = explain_batch(model, IMAGE, settings=ExplainSettings(**keywords))
    assert batched.selected == by_keywords.selected


def test_a_setting_the_function_does_not_take_points_to_settings():
    with pytest.raises(TypeError, match=r"settings=ExplainSettings\(progress=...\)"):
        explain(Untouchable(), IMAGE, progress=True)


def test_settings_and_other_keywords_are_not_mixed(make_cnn):
    s = ExplainSettings(seed=0)
    with pytest.raises(TypeError, match="settings= and also beta"):
        explain(make_cnn(), IMAGE, settings=s, beta=0.5)
    with pytest.raises(TypeError, match="settings= and also num_reads"):
        explain(make_cnn(), IMAGE, settings=s, num_reads=5)
    with pytest.raises(InvalidTypeError, match="settings has type dict"):
        explain(make_cnn(), IMAGE, settings={"seed": 0})


def test_the_folder_runner_takes_the_same_settings(tmp_path, make_cnn):
    model = make_cnn()
    for i in range(2):
        Image.new("RGB", (16, 16), (90 * i, 30, 200)).save(tmp_path / f"p{i}.png")
    settings = ExplainSettings(backend="exact", seed=0, max_qubits=4, transform=ToTensor(), progress=False)
    by_settings = explain_folder(model, tmp_path, tmp_path / "a", settings=settings)
    by_keywords = explain_folder(model, tmp_path, tmp_path / "b", backend="exact", seed=0, max_qubits=4,
                                 transform=ToTensor(), progress=False)
    strip = [{k: v for k, v in r.items() if k not in ("timing",)} for r in by_keywords.records]
    assert [{k: v for k, v in r.items() if k not in ("timing",)} for r in by_settings.records] == strip
    assert by_settings.settings == by_keywords.settings
    with pytest.raises(TypeError, match="did you mean max_qubits="):
        explain_folder(model, tmp_path, tmp_path / "c", max_qbits=4)
    assert not (tmp_path / "c").exists()


def test_a_tqdm_like_class_draws_the_bar(make_cnn):
    calls = []

    class Bar:
        def __init__(self, **kwargs):
            calls.append(("init", kwargs["total"]))

        def update(self, n=1):
            calls.append(("update", n))

        def close(self):
            calls.append(("close",))

    explain_batch(make_cnn(), torch.zeros(2, 3, 16, 16), backend="exact", seed=0, progress=Bar)
    assert calls == [("init", 2), ("update", 1), ("update", 1), ("close",)]
    assert progress_bar(False, total=1, desc="x", unit="y", default=True).disable


def test_sampler_builds_the_backend_and_checks_its_options():
    assert isinstance(ExplainSettings(backend="exact").sampler(), dimod.Sampler)
    with pytest.raises(InvalidArgumentError, match="num_reads=0"):
        ExplainSettings(sampler_options={"num_reads": 0}).sampler()
    solver = dimod.ExactSolver()
    assert ExplainSettings(backend=solver).sampler() is solver
    assert ExplainSettings(backend=solver).backend_name == "ExactSolver"
