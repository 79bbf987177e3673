import numpy as np
from PIL import Image
from torchvision import transforms

import hybridxai.vision.models
from hybridxai.cli import main
from hybridxai.vision.models import ModelInfo, register_model_info


def test_cli_evaluate_writes_results(tmp_path, monkeypatch, tiny_model, capsys):
    register_model_info(tiny_model, ModelInfo(
        name="tiny", transform=transforms.Compose([transforms.Resize((24, 24)), transforms.ToTensor()]),
        class_names=None, default_layer="features.2"))
    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", lambda name: tiny_model)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        path = tmp_path / f"im{i}.png"
        Image.fromarray(rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    out = tmp_path / "eval"
    code = main(["evaluate", *paths, "--methods", "qubo:beta=0.7", "gradcam", "--metrics", "aopc",
                 "average_drop", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {"summary.csv", "summary.md", "scores.csv", "summary.png"}
    assert "| aopc ↑ | qubo:beta=0.7 |" in capsys.readouterr().out


def test_cli_evaluate_bad_method_fails_before_loading(tmp_path, monkeypatch, capsys):
    def fail(name):
        raise AssertionError("the model must not be loaded")

    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", fail)
    assert main(["evaluate", "a.png", "b.png", "--methods", "gradcam", "bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
