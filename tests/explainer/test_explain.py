"""explain() / explain_batch() end to end: real MobileNetV2 and photos, inputs, backends, errors."""

from __future__ import annotations

import importlib
import warnings

import dimod
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import hybridxai
from hybridxai import explain, explain_batch
from hybridxai.exceptions import (
    InvalidArgumentError,
    InvalidTypeError,
    LayerNotFoundError,
    ProblemTooLargeError,
    UnknownBackendError,
)
from hybridxai.explainer.pipeline import EmptySelectionWarning, default_beta
from hybridxai.vision.features import extract_features
from hybridxai.vision.models import model_info
from hybridxai.vision.saliency import class_activation_map

EGYPTIAN_CAT = 285
ESPRESSO = 967


def assert_untouched(model, flags_before, hooks_left, training_flags):
    assert not hooks_left(model), hooks_left(model)
    assert training_flags(model) == flags_before
    assert all(p.grad is None for p in model.parameters())


# -- small models for the edge cases -------------------------------------------------------------


def negative_head_cnn(make_cnn):
    """Every feature map at the default layer lowers every logit: alpha < 0 for all maps."""
    model = make_cnn()
    with torch.no_grad():
        model[-1].weight.copy_(-model[-1].weight.abs() - 0.01)
    return model


def wide_cnn(channels: int = 40):
    """Conv(3→channels) → ReLU → pool → Linear with positive weights: every map is positive."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(channels, 3))
    with torch.no_grad():
        model[-1].weight.abs_()
    return model.eval()


# -- the real model, end to end ---------------------------------------------------------------------


def test_chelsea_end_to_end(mobilenet, mobilenet_features, cat_explanation):
    e = cat_explanation
    assert e.target == EGYPTIAN_CAT and e.target_name == "Egyptian cat"
    assert e.layer == "features.18" and e.backend == "sa" and e.seed == 0
    assert e.saliency.dtype == np.float32 and e.saliency.shape == (224, 224)
    assert e.saliency.min() == 0.0 and e.saliency.max() == pytest.approx(1.0)
    assert e.image.shape == (224, 224, 3) and e.image.dtype == np.float32
    # the same features as a direct extraction
    alpha = mobilenet_features.importance[0].double().numpy()
    np.testing.assert_allclose(e.importance, alpha, rtol=1e-5, atol=1e-9)
    assert e.probability == pytest.approx(float(mobilenet_features.probabilities[0]), rel=1e-5)
    # selected ⊆ positive channels, energy consistent with the QUBO
    positive = set(np.flatnonzero(e.importance > 0).tolist())
    assert e.num_selected > 0 and set(e.selected) <= positive
    assert e.selected == tuple(sorted(e.selected))
    assert set(e.qubo.channels) == positive and e.qubo.num_variables == len(positive) > 64
    assert e.energy == pytest.approx(e.qubo.energy(e.selected))
    assert e.energy == pytest.approx(e.sampleset.first.energy, abs=1e-6)
    assert e.selected == e.qubo.interpret(e.sampleset)  # no ties to break at beta = 0.99
    assert e.qubo.beta == default_beta(e.qubo.num_variables) == 0.99
    # the map is ReLU(Σ_S alpha_k A_k), upsampled and scaled
    expected = class_activation_map(mobilenet_features.activations[0],
                                    mobilenet_features.importance[0], (224, 224), e.selected)
    np.testing.assert_allclose(e.saliency, expected, atol=1e-4)
    assert 0 < e.fraction_selected < 1
    assert e.settings["seed"] == 0 and e.settings["model"] == "mobilenet_v2"
    assert e.info["layer_was_default"] is True
    assert all(p.grad is None for p in mobilenet.parameters())


def test_same_seed_same_selection_and_map(mobilenet, chelsea, cat_explanation):
    again = explain(mobilenet, chelsea, seed=0)
    assert again.selected == cat_explanation.selected
    np.testing.assert_array_equal(again.saliency, cat_explanation.saliency)
    assert again.energy == cat_explanation.energy


def test_every_input_form_gives_the_same_explanation(mobilenet, chelsea, tmp_path):
    transform = model_info(mobilenet).transform
    path = tmp_path / "chelsea.png"
    chelsea.save(path)
    pixels = np.asarray(chelsea)
    tensor = transform(chelsea)
    forms = {"path": path, "PIL": chelsea, "uint8": pixels,
             "float": pixels.astype(np.float64) / 255.0, "CHW": tensor, "1CHW": tensor[None]}
    results = {name: explain(mobilenet, form, backend="exact", max_qubits=8, seed=1)
               for name, form in forms.items()}
    reference = results["PIL"]
    assert reference.target == EGYPTIAN_CAT and reference.num_selected > 0
    for name, e in results.items():
        assert e.target == EGYPTIAN_CAT, name
        assert e.saliency.shape == (224, 224), name
        assert e.selected == reference.selected, name
        np.testing.assert_allclose(e.saliency, reference.saliency, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(e.image, reference.image, atol=1e-5, err_msg=name)
    assert results["path"].info["source"] == str(path)


def test_explain_batch_shares_one_forward_pass_and_equals_single_calls(
        mobilenet, chelsea, coffee, cat_explanation, monkeypatch):
    calls = []
    forward = mobilenet.forward

    def counting(x):
        calls.append(tuple(x.shape))
        return forward(x)

    monkeypatch.setattr(mobilenet, "forward", counting)
    both = explain_batch(mobilenet, [chelsea, coffee], seed=0, progress=False)
    assert calls == [(2, 3, 224, 224)]
    monkeypatch.undo()
    assert "forward" not in vars(mobilenet)

    assert [e.target for e in both] == [EGYPTIAN_CAT, ESPRESSO]
    assert both[1].target_name == "espresso"
    cup = explain(mobilenet, coffee, seed=0)
    for batched, single in zip(both, (cat_explanation, cup), strict=True):
        assert batched.selected == single.selected
        assert batched.energy == pytest.approx(single.energy, abs=1e-4)
        np.testing.assert_allclose(batched.saliency, single.saliency, atol=1e-4)


def test_a_sampler_instance_and_max_qubits_with_exact(mobilenet, chelsea):
    by_name = explain(mobilenet, chelsea, backend="exact", max_qubits=10, seed=0)
    by_instance = explain(mobilenet, chelsea, backend=dimod.ExactSolver(), max_qubits=10, seed=0)
    assert by_instance.backend == "ExactSolver" and by_name.backend == "exact"
    for e in (by_name, by_instance):
        q = e.qubo
        assert q.num_variables == 10 and q.max_qubits == 10
        assert q.num_positive > 10 and len(q.dropped) == q.num_positive - 10
        top10 = np.argsort(-e.importance, kind="stable")[:10]
        assert set(q.channels) == set(top10.tolist())
        assert min(e.importance[list(q.channels)]) >= max(e.importance[list(q.dropped)])
        assert set(e.selected) <= set(q.channels)
        assert q.beta == 0.7  # the paper's quantum-sized default
    assert by_instance.selected == by_name.selected
    assert by_instance.energy == pytest.approx(by_name.energy)
    # the exact answer really is the minimum over all 2**10 selections
    every = dimod.ExactSolver().sample(by_name.qubo.bqm)
    assert by_name.energy == pytest.approx(every.first.energy)


def test_an_explicit_target_and_layer(mobilenet, chelsea):
    e = explain(mobilenet, chelsea, target=ESPRESSO, layer="features[-2]", backend="exact",
                max_qubits=6, beta=0.5, seed=0)
    assert e.target == ESPRESSO and e.target_name == "espresso"
    assert e.layer == "features.17" and e.qubo.num_feature_maps == 320
    assert e.qubo.beta == 0.5 and e.settings["beta"] == 0.5
    assert e.info["layer_was_default"] is False
    assert e.probability < 0.05


# -- beta, cardinality and the empty case (small models) ------------------------------------------


def test_beta_one_selects_every_positive_map_and_beta_zero_none(make_cnn):
    model = make_cnn()
    x = torch.rand(1, 3, 8, 8)
    everything = explain(model, x, beta=1.0, backend="exact", seed=0)
    assert everything.selected == everything.qubo.channels and everything.num_selected > 0
    for backend in ("exact", "sa", dimod.ExactSolver()):
        # at beta = 0 the empty set ties with every single map; the explanation picks the empty one
        nothing = explain(model, x, beta=0.0, backend=backend, seed=0)
        assert nothing.selected == () and nothing.energy == 0.0
        assert not nothing.saliency.any()


def test_cardinality_reaches_the_qubo(make_cnn):
    e = explain(make_cnn(), torch.rand(1, 3, 8, 8), beta=1.0, cardinality=2, gamma=5.0,
                backend="exact", seed=0)
    assert e.num_selected == 2 and e.qubo.cardinality == 2 and e.qubo.gamma == 5.0


def test_no_positive_map_gives_an_empty_explanation_with_a_warning(make_cnn):
    model = negative_head_cnn(make_cnn)
    with pytest.warns(EmptySelectionWarning, match="no feature map"):
        e = explain(model, torch.rand(1, 3, 8, 8), seed=0)
    assert e.qubo.num_variables == 0 and e.selected == () and e.num_selected == 0
    assert e.saliency.shape == (8, 8) and e.saliency.dtype == np.float32 and not e.saliency.any()
    assert e.energy == 0.0 and e.fraction_selected == 0.0
    assert np.all(e.importance <= 0)
    assert "skipped" in e.info
    for backend in ("exact", dimod.ExactSolver()):
        with pytest.warns(EmptySelectionWarning):
            assert explain(model, torch.rand(1, 3, 8, 8), backend=backend).selected == ()


def test_exact_on_forty_variables_is_refused_quickly(model_checks):
    hooks_left, flags = model_checks
    model = wide_cnn(40)
    before = flags(model)
    with pytest.raises(ProblemTooLargeError) as info:
        explain(model, torch.rand(1, 3, 6, 6), backend="exact")
    message = str(info.value)
    assert "num_variables=40" in message and "Fix:" in message and "max_qubits" in message
    assert_untouched(model, before, hooks_left, flags)
    assert explain(model, torch.rand(1, 3, 6, 6), backend="exact", max_qubits=12).qubo.num_variables == 12


def test_numpy_scalars_are_accepted_as_settings(make_cnn):
    e = explain(make_cnn(), torch.rand(1, 3, 8, 8), beta=np.float32(0.5), seed=np.int64(3),
                max_qubits=np.int64(4), target=np.int64(2), backend="exact")
    assert e.qubo.beta == 0.5 and e.seed == 3 and e.qubo.max_qubits == 4 and e.target == 2


def test_default_beta_follows_the_problem_size():
    assert default_beta(0) == default_beta(16) == default_beta(64) == 0.7
    assert default_beta(65) == default_beta(512) == 0.99


def test_a_drawn_seed_is_recorded_and_reproduces(make_cnn):
    model = wide_cnn(30)
    x = torch.rand(1, 3, 6, 6)
    first = explain(model, x, beta=0.6, num_reads=2, num_sweeps=20)
    assert isinstance(first.seed, int) and first.settings["seed"] == first.seed
    again = explain(model, x, beta=0.6, num_reads=2, num_sweeps=20, seed=first.seed)
    assert again.selected == first.selected
    assert first.settings["sampler_options"] == {"num_reads": 2, "num_sweeps": 20}


# -- train mode, hooks, gradients -------------------------------------------------------------------


def test_a_training_model_is_explained_in_eval_mode_and_handed_back(make_cnn, model_checks):
    hooks_left, flags = model_checks
    x = torch.rand(1, 3, 8, 8)
    reference = explain(make_cnn(), x, backend="exact", seed=0)
    model = make_cnn().train()
    with pytest.warns(UserWarning, match="training mode"):
        e = explain(model, x, backend="exact", seed=0)
    assert all(flags(model).values())
    assert not hooks_left(model)
    assert e.selected == reference.selected
    np.testing.assert_allclose(e.saliency, reference.saliency, atol=1e-6)


# -- bad input ------------------------------------------------------------------------------------


def test_raw_pictures_need_a_transform(make_cnn):
    with pytest.raises(InvalidArgumentError) as info:
        explain(make_cnn(), np.zeros((8, 8, 3), dtype=np.uint8))
    message = str(info.value)
    assert message.startswith("transform=") and "Fix:" in message


def test_a_given_transform_and_class_names_are_used(make_cnn):
    from torchvision import transforms as T

    e = explain(make_cnn(), Image.new("RGB", (10, 12), (200, 30, 30)), transform=T.ToTensor(),
                class_names=["a", "b", "c", "d", "e"], backend="exact", seed=0)
    assert e.saliency.shape == (12, 10) and e.target_name == "abcde"[e.target]


MOBILENET_ERRORS = [
    ("batch of two", lambda t: t.expand(2, -1, -1, -1), {}, InvalidArgumentError,
     ["image=", "explain_batch"]),
    ("uint8 tensor", lambda t: (t * 50).clamp(0, 255).to(torch.uint8), {}, InvalidArgumentError,
     ["image="]),
    ("5-D", lambda t: t[None, None], {}, InvalidArgumentError, ["image="]),
    ("NaN", lambda t: t.masked_fill(torch.rand_like(t) < 0.01, float("nan")), {},
     InvalidArgumentError, ["image=", "NaN"]),
    ("beta 1.5", None, {"beta": 1.5}, InvalidArgumentError, ["beta="]),
    ("beta -0.1", None, {"beta": -0.1}, InvalidArgumentError, ["beta="]),
    ("beta nan", None, {"beta": float("nan")}, InvalidArgumentError, ["beta="]),
    ("unknown backend", None, {"backend": "quantum"}, UnknownBackendError,
     ["backend='quantum'", "'exact'", "'sa'", "'statevector'"]),
    ("unknown sampler option", None, {"num_sweep": 10}, InvalidArgumentError,
     ["num_sweep", "num_sweeps"]),
    ("exact option on sa", None, {"num_states": 3}, InvalidArgumentError, ["num_states"]),
    ("target out of range", None, {"target": 1000}, InvalidArgumentError, ["target=", "1000"]),
    ("target negative", None, {"target": -3}, InvalidArgumentError, ["target="]),
    ("target list", None, {"target": [1, 2]}, InvalidTypeError, ["target"]),
    ("unknown layer", None, {"layer": "features.99"}, LayerNotFoundError, ["layer="]),
    ("max_qubits 0", None, {"max_qubits": 0}, InvalidArgumentError, ["max_qubits="]),
    ("negative seed", None, {"seed": -1}, InvalidArgumentError, ["seed="]),
    ("list of images", lambda t: [t, t], {}, InvalidArgumentError, ["image=", "explain_batch"]),
]


@pytest.mark.parametrize(("case", "change", "kwargs", "error", "words"), MOBILENET_ERRORS,
                         ids=[c[0] for c in MOBILENET_ERRORS])
def test_bad_input_on_the_real_model(mobilenet, mobilenet_inputs, model_checks, case, change,
                                     kwargs, error, words):
    hooks_left, flags = model_checks
    before = flags(mobilenet)
    image = mobilenet_inputs[0]
    if change is not None:
        image = change(image)
    with pytest.raises(error) as info:
        explain(mobilenet, image, **kwargs)
    message = str(info.value)
    assert "Fix:" in message and "\n" not in message
    for word in words:
        assert word in message, (word, message)
    assert_untouched(mobilenet, before, hooks_left, flags)


def test_a_model_without_conv_layers(model_checks):
    hooks_left, flags = model_checks
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 10)).train()
    before = flags(mlp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(LayerNotFoundError) as info:
            explain(mlp, torch.rand(3, 8, 8))
    assert "layer=None" in str(info.value) and "Fix:" in str(info.value)
    assert_untouched(mlp, before, hooks_left, flags)


def test_explain_batch_target_errors(make_cnn, model_checks):
    hooks_left, flags = model_checks
    model = make_cnn().train()
    before = flags(model)
    x = torch.rand(2, 3, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(InvalidArgumentError, match=r"target=.*3 classes for a batch of 2.*Fix:"):
            explain_batch(model, x, target=[0, 1, 2])
        with pytest.raises(InvalidArgumentError, match=r"target=.*Fix:"):
            explain_batch(model, x, target=[0, 5])
    assert_untouched(model, before, hooks_left, flags)


def test_explain_batch_targets_per_image_and_for_all(make_cnn):
    model = make_cnn()
    x = torch.rand(2, 3, 8, 8)
    per_image = explain_batch(model, x, target=[3, 1], backend="exact", seed=0)
    assert [e.target for e in per_image] == [3, 1]
    for_all = explain_batch(model, x, target=4, backend="exact", seed=0)
    assert [e.target for e in for_all] == [4, 4]
    single = explain(model, x[1], target=1, backend="exact", seed=0)
    assert single.selected == per_image[1].selected
    np.testing.assert_allclose(single.saliency, per_image[1].saliency, atol=1e-6)


def test_the_model_argument_is_checked():
    with pytest.raises(InvalidTypeError, match=r"model.*Fix:"):
        explain("mobilenet_v2", torch.rand(3, 8, 8))


def test_package_exports():
    assert hybridxai.explain is explain and hybridxai.explain_batch is explain_batch
    # importing the module must not shadow the function
    importlib.import_module("hybridxai.explainer.pipeline")
    assert callable(hybridxai.explain) and hybridxai.explain is explain
    fb = hybridxai.extract_features
    assert fb is extract_features
