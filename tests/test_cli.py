"""The command line: explain (sample photo or file), backends, samples, and one-line errors."""

from __future__ import annotations

import json

import pytest
from PIL import Image

import hybridxai.vision.models
from hybridxai.cli import build_parser, main


@pytest.fixture
def shared_model(monkeypatch, mobilenet):
    """Make the CLI reuse the session's MobileNetV2 instead of loading it again."""
    names = []

    def load(name="mobilenet_v2", **kwargs):
        names.append(name)
        return mobilenet

    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", load)  # what the CLI calls
    return names


def test_explain_the_bundled_cat(tmp_path, capsys):
    status = main(["explain", "--sample", "chelsea", "--out", str(tmp_path), "--seed", "0"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Egyptian cat" in out
    overlay = tmp_path / "overlay.png"
    assert overlay.is_file() and overlay.stat().st_size > 0
    with Image.open(overlay) as img:
        assert img.size == (224, 224)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["class_name"] == "Egyptian cat" and manifest["seed"] == 0
    assert str(overlay) in out


def test_explain_a_file_with_solver_options(tmp_path, capsys, chelsea, shared_model):
    path = tmp_path / "kitty.png"
    chelsea.save(path)
    out_dir = tmp_path / "result"
    status = main(["explain", str(path), "--backend", "exact", "--max-qubits", "8", "--beta", "0.6",
                   "--seed", "3", "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert shared_model == ["mobilenet_v2"]
    assert "Egyptian cat" in out and "of 8 positive" in out and "beta=0.6" in out
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["solver"] == "exact" and manifest["settings"]["max_qubits"] == 8
    assert manifest["settings"]["beta"] == 0.6


def test_sa_options_reach_the_sampler(tmp_path, capsys, shared_model):
    status = main(["explain", "--sample", "coffee", "--num-reads", "2", "--max-qubits", "12",
                   "--seed", "1", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "espresso" in out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["settings"]["sampler_options"] == {"num_reads": 2}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--sample", "chelsea", "--beta", "2"], ["beta=2"]),
        (["--sample", "chelsea", "--backend", "nope"], ["backend='nope'", "'exact'", "'sa'"]),
        (["no_such_photo.jpg"], ["no such image file"]),
        (["--sample", "mona_lisa"], ["sample='mona_lisa'", "chelsea"]),
        ([], ["IMAGE or --sample"]),
        (["x.jpg", "--sample", "chelsea"], ["IMAGE or --sample"]),
        (["--sample", "chelsea", "--total-time", "10"], ["total_time"]),
        (["--sample", "chelsea", "--layer", "features.99"], ["layer='features.99'"]),
        (["--sample", "chelsea", "--target", "5000"], ["target="]),
    ],
)
def test_bad_input_prints_one_line_and_returns_2(tmp_path, capsys, shared_model, argv, words):
    status = main(["explain", *argv, "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hybridxai: error: ") and "Fix:" in lines[0]
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unknown_model_is_a_clean_error(capsys, tmp_path):
    status = main(["explain", "--sample", "chelsea", "--model", "vgg16", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("hybridxai: error: name='vgg16'")
    assert "mobilenet_v2" in err and len(err.strip().splitlines()) == 1


def test_backends_lists_every_backend(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    listed = {line.split()[0] for line in lines}
    assert {"exact", "sa", "statevector", "aer", "pennylane", "dwave", "leap-hybrid"} <= listed
    status = {line.split()[0]: line.split()[1] for line in lines}
    assert status["exact"] == "installed" and status["sa"] == "installed"


def test_samples_lists_the_photos(capsys):
    assert main(["samples"]) == 0
    names = capsys.readouterr().out.split()
    assert {"chelsea", "coffee", "astronaut", "grace_hopper", "china"} <= set(names)
    assert names == sorted(names)


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == hybridxai.__version__
    assert main([]) == 2
    assert "explain" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["explain", "--beta", "high"])
    assert info.value.code == 2
