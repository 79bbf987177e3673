import csv
import io

import numpy as np
import pytest
import torch

from hybridxai.evaluate import METRICS, QuantusSettings, evaluate, holm, paired_wilcoxon, parse_method
from hybridxai.evaluate.faithfulness import pixel_road_class
from hybridxai.exceptions import InvalidArgumentError

FAST = QuantusSettings(fc_runs=3, fc_subset_fraction=0.1, region_patch=4, region_steps=3,
                       road_percentages=(10.0, 30.0))
METHODS = ["qubo:beta=0.7", "random:beta=0.7", "gradcam", "gradcam++"]


@pytest.fixture
def result(tiny_model, tiny_images):
    return evaluate(tiny_model, tiny_images, METHODS, layer="features.2", settings=FAST, seed=0,
                    progress=False)


def test_table_structure(result, tiny_images):
    n = tiny_images.shape[0]
    rows = result.table()
    assert [(r["metric"], r["method"]) for r in rows] == [(m, k) for m in METRICS for k in METHODS]
    for r in rows:
        assert r["n"] == n and r["ci_low"] <= r["mean"] <= r["ci_high"]
        assert r["higher_is_better"] == METRICS[r["metric"]].higher_is_better
        if r["method"] == "gradcam":
            assert r["verdict"] == "reference" and r["p_holm"] is None
        else:
            assert r["verdict"] in ("better", "worse", "n.s.") and 0 <= r["p_value"] <= r["p_holm"] <= 1
    for by_method in result.scores.values():
        assert all(v.shape == (n,) and np.all(np.isfinite(v)) for v in by_method.values())
    for stack in result.maps.values():
        assert stack.shape == (n, 24, 24) and stack.min() >= 0 and stack.max() <= 1
    # the random control keeps exactly as many maps as the selection, image by image
    np.testing.assert_array_equal(result.selection_sizes["qubo:beta=0.7"],
                                  result.selection_sizes["random:beta=0.7"])
    assert set(np.unique(result.scores["road_morf"]["gradcam"])) <= {0.0, 0.5, 1.0}
    assert set(np.unique(result.scores["increase_in_confidence"]["gradcam"])) <= {0.0, 100.0}


def test_table_tests_equal_scipy_and_holm_per_metric(result):
    from scipy import stats

    for metric, by_method in result.scores.items():
        ref = by_method["gradcam"]
        raw = []
        for method in ("qubo:beta=0.7", "random:beta=0.7", "gradcam++"):
            diff = by_method[method] - ref
            raw.append(1.0 if not diff.any() else stats.wilcoxon(by_method[method], ref).pvalue)
        rows = {r["method"]: r for r in result.table() if r["metric"] == metric}
        np.testing.assert_allclose([rows[m]["p_holm"] for m in ("qubo:beta=0.7", "random:beta=0.7",
                                                                  "gradcam++")], holm(raw))
        assert rows["gradcam++"]["wilcoxon_stat"] == paired_wilcoxon(by_method["gradcam++"], ref).statistic


def test_gradcam_maps_match_pytorch_grad_cam(result, tiny_model, tiny_images):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    targets = [ClassifierOutputTarget(t) for t in result.targets]
    with torch.no_grad():
        assert list(result.targets) == tiny_model(tiny_images).argmax(1).tolist()
    for cls, name in ((GradCAM, "gradcam"), (GradCAMPlusPlus, "gradcam++")):
        with cls(model=tiny_model, target_layers=[tiny_model.features[2]]) as cam:
            expected = cam(input_tensor=tiny_images, targets=targets)
        np.testing.assert_allclose(result.maps[name], np.clip(expected, 0, 1), atol=1e-6)


def test_qubo_maps_are_hybridxai_explanations(result, tiny_model, tiny_images):
    import hybridxai

    explanations = hybridxai.explain_batch(tiny_model, tiny_images, layer="features.2", beta=0.7, seed=0,
                                           target=list(result.targets))
    np.testing.assert_array_equal(result.maps["qubo:beta=0.7"], np.stack([e.saliency for e in explanations]))
    assert result.selection_sizes["qubo:beta=0.7"].tolist() == [e.num_selected for e in explanations]


def test_save_writes_tables_and_plot(result, tmp_path):
    paths = result.save(tmp_path / "eval")
    rows = list(csv.DictReader(io.StringIO(paths["summary_csv"].read_text())))
    assert len(rows) == len(METRICS) * len(METHODS)
    assert float(rows[0]["mean"]) == pytest.approx(result.table()[0]["mean"])
    assert paths["plot"].read_bytes()[:4] == b"\x89PNG"
    assert "| metric | method |" in paths["summary_md"].read_text()
    per_image = list(csv.reader(io.StringIO(paths["scores_csv"].read_text())))
    assert len(per_image) == 1 + result.num_images


@pytest.mark.parametrize("kwargs, word", [
    ({"methods": ["gradcam", "nonsense"]}, "nonsense"),
    ({"methods": ["qubo:beta=2"]}, "beta"),
    ({"methods": ["gradcam", "gradcam"]}, "more than once"),
    ({"metrics": ["accuracy"]}, "accuracy"),
    ({"reference": "scorecam"}, "reference"),
    ({"seed": -1}, "seed"),
    ({"batch_size": 0}, "batch_size"),
])
def test_inputs_checked_before_any_forward_pass(tiny_model, tiny_images, kwargs, word):
    args = {"methods": ["qubo:beta=0.7", "gradcam"], **kwargs}
    with pytest.raises(InvalidArgumentError, match=word):
        evaluate(tiny_model, tiny_images, **args)
    assert tiny_model.calls == 0


def test_single_image_is_refused(tiny_model, tiny_images):
    with pytest.raises(InvalidArgumentError, match="paired"):
        evaluate(tiny_model, tiny_images[:1], ["gradcam", "qubo:beta=0.7"])
    assert tiny_model.calls == 0


def test_parse_method_spellings():
    assert parse_method("QUBO:beta=0.70").name == "qubo:beta=0.7"
    assert parse_method("qubo:beta=0.99,backend=exact").backend == "exact"
    assert parse_method("GradCAMPlusPlus").name == "gradcam++"
    assert parse_method("random:beta=0.7").selection == parse_method("qubo:beta=0.7")
    with pytest.raises(InvalidArgumentError, match="no option"):
        parse_method("gradcam:beta=0.7")


def test_pixel_road_removes_pixels_not_channel_elements(tiny_model, tiny_images):
    """Quantus 0.6's ROAD ranks C·H·W elements; the adapted one ranks the H·W pixels."""
    import quantus

    seen = []

    def recording(arr, indices, **kwargs):
        seen.append(np.asarray(indices))
        return quantus.functions.perturb_func.noisy_linear_imputation(arr, indices, **kwargs)

    road = pixel_road_class()(percentages=[10, 50], perturb_func=recording, disable_warnings=True,
                              return_aggregate=False)
    maps = np.zeros((2, 1, 24, 24), np.float32)
    maps[:, :, :6, :] = 1.0  # the top quarter of the rows is the most relevant
    y = tiny_model(tiny_images[:2]).argmax(1).detach().numpy()
    scores = road(model=tiny_model, x_batch=tiny_images[:2].numpy(), y_batch=y, a_batch=maps,
                  channel_first=True, softmax=True, device="cpu")
    assert np.asarray(scores).shape == (2, 2)
    assert [len(s) for s in seen] == [57, 57, 288, 288]
    assert all(s.max() < 24 * 24 for s in seen)
    assert np.all(seen[0] < 6 * 24)  # the 10 % removed first lie in the relevant rows


def test_scorecam_and_random_without_its_selection(tiny_model, tiny_images):
    from pytorch_grad_cam import ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    r = evaluate(tiny_model, tiny_images, ["random:beta=0.99", "scorecam", "gradcam"],
                 metrics=["average_drop"], layer="features.2", progress=False)
    assert r.methods == ("random:beta=0.99", "scorecam", "gradcam")
    assert set(r.maps) == set(r.methods)  # the sizing selection is computed but not reported
    with ScoreCAM(model=tiny_model, target_layers=[tiny_model.features[2]]) as cam:
        expected = cam(input_tensor=tiny_images, targets=[ClassifierOutputTarget(t) for t in r.targets])
    np.testing.assert_allclose(r.maps["scorecam"], np.clip(expected, 0, 1), atol=1e-6)
