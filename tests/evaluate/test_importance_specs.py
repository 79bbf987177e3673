"""Method specs with an importance mode and a layer of their own (docs/faithfulness.md)."""

import numpy as np
import pytest

import hybridxai
from hybridxai.evaluate import evaluate, parse_method
from hybridxai.exceptions import InvalidArgumentError


def test_parse_importance_and_layer_options():
    spec = parse_method("QUBO:layer=features.17, importance=Contribution, beta=0.90")
    assert spec.name == "qubo:beta=0.9,importance=contribution,layer=features.17"
    assert (spec.kind, spec.beta, spec.importance, spec.layer) == ("qubo", 0.9, "contribution", "features.17")
    assert parse_method(spec.name) == spec  # the canonical name parses back to the same spec
    assert parse_method("qubo:beta=0.7,importance=gradcam").name == "qubo:beta=0.7"
    assert parse_method("qubo:beta=0.7,importance=gradcam++").importance == "gradcam++"
    cam = parse_method("GradCAM:layer=features.17")
    assert (cam.name, cam.layer) == ("gradcam:layer=features.17", "features.17")
    assert parse_method("gradcam").layer is None and parse_method("qubo").importance == "gradcam"


@pytest.mark.parametrize("spec, word", [
    ("qubo:beta=0.7,importance=hirescam", "importance='hirescam' is not an importance mode"),
    ("random:beta=0.7,importance=contribution", "no option"),
    ("gradcam:importance=contribution", "no option"),
])
def test_bad_options_are_refused(spec, word):
    with pytest.raises(InvalidArgumentError, match=f"^method=.*{word}"):
        parse_method(spec)


def test_unknown_spec_layer_is_refused_before_the_model_runs(tiny_model, tiny_images):
    with pytest.raises(InvalidArgumentError, match="^methods=.*features.9"):
        evaluate(tiny_model, tiny_images, ["gradcam", "qubo:beta=0.7,layer=features.9"])
    assert tiny_model.calls == 0


def test_maps_at_the_spec_layer_with_the_spec_importance(tiny_model, tiny_images):
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    methods = ["gradcam", "gradcam:layer=features.0",
               "qubo:beta=0.9,importance=contribution,layer=features.0", "qubo:beta=0.9,importance=gradcam++"]
    r = evaluate(tiny_model, tiny_images, methods, metrics=["average_drop"], layer="features.2",
                 seed=0, progress=False)
    assert r.methods == tuple(methods) and r.layer == "features.2"
    with GradCAM(model=tiny_model, target_layers=[tiny_model.features[0]]) as cam:
        expected = cam(input_tensor=tiny_images, targets=[ClassifierOutputTarget(t) for t in r.targets])
    np.testing.assert_allclose(r.maps["gradcam:layer=features.0"], np.clip(expected, 0, 1), atol=1e-6)
    by_mode = {}
    cases = ((methods[2], "features.0", "contribution"), (methods[3], "features.2", "gradcam++"))
    for name, layer, mode in cases:
        explanations = hybridxai.explain_batch(tiny_model, tiny_images, layer=layer, beta=0.9, seed=0,
                                               importance=mode, target=list(r.targets), progress=False)
        np.testing.assert_array_equal(r.maps[name], np.stack([e.saliency for e in explanations]))
        assert r.selection_sizes[name].tolist() == [e.num_selected for e in explanations]
        assert all(e.qubo.importance_mode == mode and e.layer == layer for e in explanations)
        by_mode[mode] = explanations
    # the contribution importance at features.0 is not GradCAM's, image by image
    plain = hybridxai.explain_batch(tiny_model, tiny_images, layer="features.0", beta=0.9, seed=0,
                                    target=list(r.targets), progress=False)
    for p, c in zip(plain, by_mode["contribution"], strict=True):
        assert not np.allclose(p.importance, c.importance)
