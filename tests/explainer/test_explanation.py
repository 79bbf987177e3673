"""Explanation: summaries, manifest, plot, and the files written by save()."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from hybridxai import explain
from hybridxai._util.fileio import to_jsonable, versions, write_atomic
from hybridxai.explainer.pipeline import EmptySelectionWarning

SAVED = ("saliency.npy", "saliency.png", "overlay.png", "explanation.png", "manifest.json")


@pytest.fixture(scope="module")
def saved(cat_explanation, tmp_path_factory):
    out = tmp_path_factory.mktemp("explanation") / "nested" / "cat"
    return out, cat_explanation.save(out)


def test_save_writes_every_file(saved, cat_explanation):
    out, paths = saved
    assert set(paths) == {"saliency", "heatmap", "overlay", "figure", "manifest"}
    for name in SAVED:
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert {p.name for p in paths.values()} == set(SAVED)
    assert sorted(p.name for p in out.iterdir()) == sorted(SAVED)  # no temporary files left
    np.testing.assert_array_equal(np.load(out / "saliency.npy"), cat_explanation.saliency)


def test_the_pngs_are_pictures_of_the_right_size(saved):
    out, _ = saved
    for name in ("saliency.png", "overlay.png"):
        with Image.open(out / name) as img:
            assert img.size == (224, 224)
            assert np.asarray(img).std() > 0
    with Image.open(out / "explanation.png") as img:
        assert img.size[0] > img.size[1] > 100


def test_the_manifest_records_the_run(saved, cat_explanation):
    out, _ = saved
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    e = cat_explanation
    assert manifest["target"] == 285 and manifest["class_name"] == "Egyptian cat"
    assert manifest["selected_channels"] == list(e.selected)
    assert manifest["num_selected"] == e.num_selected
    assert manifest["energy"] == pytest.approx(e.energy)
    assert manifest["solver"] == "sa" and manifest["seed"] == 0 and manifest["layer"] == "features.18"
    assert manifest["num_feature_maps"] == 1280
    assert manifest["num_variables"] == e.qubo.num_variables
    settings = manifest["settings"]
    for key in ("target", "layer", "backend", "beta", "seed", "max_qubits", "cardinality", "gamma",
                "model", "weights", "sampler_options"):
        assert key in settings
    assert settings["beta"] == 0.99 and settings["weights"] == "MobileNet_V2_Weights.IMAGENET1K_V1"
    for package in ("python", "torch", "numpy", "dimod"):
        assert manifest["versions"][package]
    assert manifest == json.loads(json.dumps(e.manifest()))


def _titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def test_plot_returns_a_pyplot_figure_with_every_panel(cat_explanation):
    import matplotlib.pyplot as plt

    e = cat_explanation
    fig = e.plot()
    try:
        assert isinstance(fig, Figure) and plt.fignum_exists(fig.number)  # pyplot-managed
        titles = _titles(fig)
        assert any("Egyptian cat" in t for t in titles)
        assert any(t.startswith("GradCAM") for t in titles)  # GradCAM beside the selection
        assert any(t.startswith("importance") for t in titles)  # the importance bars
        assert any(t.startswith("redundancy") for t in titles)
        shown = [t for t in titles if t.startswith("#")]  # the grid of selected maps
        assert 0 < len(shown) <= min(12, e.num_selected)
        assert all(int(t[1:].split()[0]) in e.selected for t in shown)
        bars = next(ax for ax in fig.axes if ax.get_title().startswith("importance"))
        assert len(bars.patches) == e.qubo.num_positive
    finally:
        plt.close(fig)


def test_plot_into_given_axes_draws_the_overlay_there(cat_explanation):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        assert cat_explanation.plot(ax=ax) is fig
        assert ax.images and "Egyptian cat" in ax.get_title()
        assert len(fig.axes) == 1
    finally:
        plt.close(fig)


def test_gradcam_matches_pytorch_grad_cams_definition(cat_explanation):
    e = cat_explanation
    everything = dataclasses.replace(e, selected=tuple(range(e.qubo.num_feature_maps)))
    assert e.gradcam().shape == e.saliency.shape
    # GradCAM is the selection of every map, so it equals the saliency drawn over all of them
    import torch

    from hybridxai.vision.saliency import class_activation_map

    expected = class_activation_map(torch.from_numpy(e.activations), torch.from_numpy(e.importance),
                                    e.saliency.shape, channels=everything.selected)
    np.testing.assert_allclose(e.gradcam(), expected, atol=1e-6)


def test_repr_is_short(cat_explanation):
    assert len(repr(cat_explanation)) < 1000 and "Egyptian cat" in repr(cat_explanation)


def test_overlay_blends_the_map_onto_the_image(cat_explanation):
    e = cat_explanation
    blended = e.overlay()
    assert blended.shape == (224, 224, 3) and blended.dtype == np.float32
    assert 0.0 <= blended.min() and blended.max() <= 1.0
    np.testing.assert_allclose(e.overlay(alpha=0.0), e.image, atol=1e-6)
    assert not np.allclose(blended, e.image)


def test_summary_and_label(cat_explanation):
    e = cat_explanation
    assert e.label == "Egyptian cat (285)"
    text = e.summary()
    assert text.startswith("Egyptian cat (285)") and f"{e.num_selected} of" in text
    assert "features.18" in text and "\n" not in text
    assert e.fraction_selected == pytest.approx(e.num_selected / e.qubo.num_variables)


def test_an_empty_explanation_saves_and_plots(make_cnn, tmp_path):
    model = make_cnn()
    with torch.no_grad():
        model[-1].weight.copy_(-model[-1].weight.abs() - 0.01)
    with pytest.warns(EmptySelectionWarning):
        e = explain(model, torch.rand(1, 3, 8, 8), seed=0)
    assert e.label == f"class {e.target}"
    paths = e.save(tmp_path)
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["selected_channels"] == [] and manifest["num_variables"] == 0
    assert manifest["class_name"] is None and manifest["energy"] == 0.0
    assert not np.load(paths["saliency"]).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 in the drawing
        assert isinstance(e.plot(), Figure)


def test_to_jsonable():
    value = {1: np.int64(3), "f": np.float32(0.5), "nan": float("nan"), "inf": np.inf,
             "arr": np.arange(3), "t": (1, 2), "s": {4}, "p": Path("a/b"), "o": object, "n": None,
             "b": True, "nested": [{"x": np.bool_(True)}]}
    out = to_jsonable(value)
    json.dumps(out, allow_nan=False)
    assert out["1"] == 3 and out["f"] == 0.5 and out["nan"] is None and out["inf"] is None
    assert out["arr"] == [0, 1, 2] and out["t"] == [1, 2] and out["s"] == [4]
    assert out["p"] == str(Path("a/b")) and out["o"] == repr(object) and out["n"] is None
    assert out["b"] is True


def test_versions_lists_the_core_packages():
    found = versions()
    assert {"python", "torch", "numpy", "dimod"} <= set(found)
    assert all(isinstance(v, str) and v for v in found.values())


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.json"

    def failing(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, failing)
    assert list(tmp_path.iterdir()) == []
    target.write_text("old")
    with pytest.raises(OSError):
        write_atomic(target, failing)
    assert target.read_text() == "old"  # the previous file survives a failed rewrite
    write_atomic(target, lambda p: p.write_text("new"))
    assert target.read_text() == "new" and len(list(tmp_path.iterdir())) == 1
