"""The command line: explain (sample photo, file, folder, checkpoint), backends, samples, usage errors."""

from __future__ import annotations

import json
import re

import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

import hybridxai
import hybridxai.explainer
import hybridxai.vision.models
from hybridxai.cli import app, main
from hybridxai.cli.app import _spread
from hybridxai.cli.commands import backend_rows
from hybridxai.cli.console import plain
from hybridxai.cli.explain import parse_option, parse_target

runner = CliRunner()


@pytest.fixture
def shared_model(monkeypatch, mobilenet):
    """Make the CLI reuse the session's MobileNetV2 instead of loading it again."""
    names = []

    def load(name="mobilenet_v2", **kwargs):
        names.append(name)
        return mobilenet

    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", load)  # what the CLI calls
    return names


@pytest.fixture
def captured(monkeypatch):
    """Replace ``hybridxai.explainer.explain`` by a stub that records its settings and stops (130)."""
    seen = []

    def stub(model, image, *, settings):
        seen.append(settings)
        raise KeyboardInterrupt

    monkeypatch.setattr(hybridxai.explainer, "explain", stub)
    return seen


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
    assert "optimality" in out  # the rich summary table's row


def test_the_issue_command_runs_with_a_checkpoint(tmp_path, mobilenet, chelsea):
    """``hybridxai explain photo.jpg --model mobilenet_v2 --checkpoint weights.pt --device cpu
    --layer features.17 --target 281`` (weights saved from the offline model)."""
    chelsea.save(tmp_path / "photo.jpg")
    torch.save(mobilenet.state_dict(), tmp_path / "weights.pt")
    result = runner.invoke(app, ["explain", str(tmp_path / "photo.jpg"), "--model", "mobilenet_v2",
                                 "--checkpoint", str(tmp_path / "weights.pt"), "--device", "cpu",
                                 "--layer", "features.17", "--target", "281", "--seed", "0",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["target"] == 281 and manifest["class_name"] == "tabby"
    assert manifest["layer"] == "features.17" and manifest["num_feature_maps"] == 320
    assert manifest["settings"]["weights"] == "checkpoint weights.pt"
    assert "tabby" in result.stdout


def test_a_class_name_target_and_a_callable_model(tmp_path, chelsea, monkeypatch, mobilenet):
    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", lambda *a, **k: mobilenet)
    chelsea.save(tmp_path / "photo.png")
    result = runner.invoke(app, ["explain", str(tmp_path / "photo.png"), "--model",
                                 "hybridxai.vision.models:load_pretrained", "--target", "tabby",
                                 "--backend", "exact", "--max-qubits", "6", "--seed", "0",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["target"] == 281 and manifest["num_variables"] == 6


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
    ("argv", "expected", "options"),
    [
        (["--backend", "statevector", "--total-time", "7.5", "--num-steps", "30", "--num-reads", "9",
          "--schedule", "linear", "--order", "2", "--driver-scale", "1/d", "--postprocess", "none",
          "-o", "engine=numpy"],
         {"backend": "statevector"},
         {"total_time": 7.5, "num_steps": 30, "num_reads": 9, "schedule": "linear", "order": 2,
          "driver_scale": "1/d", "postprocess": "none", "engine": "numpy"}),
        (["--backend", "statevector", "--total-time", "auto", "--driver-scale", "0.5"],
         {"backend": "statevector"}, {"total_time": "auto", "driver_scale": 0.5}),
        (["--backend", "statevector", "--conventions", "authors"], {"backend": "statevector"},
         {"conventions": "authors"}),
        (["--backend", "sa", "--num-sweeps", "50", "--option", "polish=False"],
         {"backend": "sa"}, {"num_sweeps": 50, "polish": False}),
        (["--backend", "certified", "--time-limit", "2.5"], {"backend": "certified"}, {"time_limit": 2.5}),
        (["--layer", "features.16+features.17", "--target", "tabby", "--beta", "0.25", "--seed", "7",
          "--max-qubits", "10", "--cardinality", "3", "--gamma", "0.5", "--importance", "contribution",
          "--analyze"],
         {"layer": "features.16+features.17", "target": "tabby", "beta": 0.25, "seed": 7, "max_qubits": 10,
          "cardinality": 3, "gamma": 0.5, "importance": "contribution", "analyze": True},
         {}),
        (["--target", "281"], {"target": 281, "beta": None, "seed": None, "layer": None}, {}),
    ],
)
def test_every_explain_option_reaches_the_settings(tmp_path, shared_model, captured, argv, expected, options):
    result = runner.invoke(app, ["explain", "--sample", "chelsea", *argv, "--out", str(tmp_path / "o")])
    assert result.exit_code == 130, result.output  # the stub stopped the run after recording
    [settings] = captured
    for name, value in expected.items():
        assert getattr(settings, name) == value, name
    assert settings.sampler_options == options


def test_model_checkpoint_and_device_options_are_parsed(tmp_path, monkeypatch, captured):
    import hybridxai.cli.models as cli_models

    seen = {}

    def load(model, checkpoint, device):
        seen.update(model=model, checkpoint=checkpoint, device=device)
        return torch.nn.Identity()

    monkeypatch.setattr(cli_models, "load_model", load)
    (tmp_path / "w.pt").write_bytes(b"")
    result = runner.invoke(app, ["explain", "--sample", "chelsea", "--model", "resnet18", "--checkpoint",
                                 str(tmp_path / "w.pt"), "--device", "cpu", "--out", str(tmp_path / "o")])
    assert result.exit_code == 130, result.output
    assert seen == {"model": "resnet18", "checkpoint": tmp_path / "w.pt", "device": torch.device("cpu")}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--sample", "chelsea", "--beta", "2"], ["beta=2"]),
        (["--sample", "chelsea", "--beta", "high"], ["argument --beta", "'high'", "in 'hybridxai explain'",
                                                     "Fix: see 'hybridxai explain --help'"]),
        (["--sample", "chelsea", "--max-qubits", "2.5"], ["argument --max-qubits", "'2.5'"]),
        (["--sample", "chelsea", "--seed", "-1"], ["seed=-1"]),
        (["--sample", "chelsea", "--gamma", "-1"], ["gamma=-1.0"]),
        (["--sample", "chelsea", "--importance", "magic"], ["importance='magic'"]),
        (["--sample", "chelsea", "--target", "-3"], ["target=-3"]),
        (["--sample", "chelsea", "--device", "warp-drive"], ["device='warp-drive'"]),
        (["--sample", "chelsea", "--checkpoint", "nowhere.pt"], ["checkpoint='nowhere.pt'", "no such file"]),
        (["--sample", "chelsea", "-o", "nonsense"], ["option='nonsense'", "NAME=VALUE"]),
        (["--sample", "chelsea", "--num-reads", "0"], ["num_reads=0"]),
        (["--sample", "chelsea", "--bogus"], ["--bogus"]),
        (["--sample", "chelsea", "--backend", "nope"], ["backend='nope'", "'exact'", "'sa'"]),
        (["no_such_photo.jpg"], ["no such image file"]),
        (["--sample", "mona_lisa"], ["sample='mona_lisa'", "chelsea"]),
        ([], ["IMAGE or --sample"]),
        (["x.jpg", "--sample", "chelsea"], ["IMAGE or --sample"]),
        (["--sample", "chelsea", "--total-time", "10"], ["total_time", "'statevector'"]),
        (["--sample", "chelsea", "--backend", "statevector", "--conventions", "paper"],
         ["conventions='paper'", "'authors'"]),
        (["--sample", "chelsea", "--layer", "features.99"], ["layer='features.99'"]),
        (["--sample", "chelsea", "--target", "5000"], ["target="]),
    ],
)
def test_bad_input_prints_one_line_and_returns_2(tmp_path, shared_model, argv, words):
    result = runner.invoke(app, ["explain", *argv, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hybridxai: error: ") and "Fix:" in lines[0]
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["--beta", "2"], ["--backend", "nope"], ["--num-reads", "0"],
                                  ["--device", "warp-drive"], ["--total-time", "10"],
                                  ["--backend", "statevector", "--conventions", "paper"],
                                  ["--importance", "magic"]])
def test_u7_option_errors_come_before_the_model_loads(tmp_path, shared_model, argv):
    result = runner.invoke(app, ["explain", "--sample", "chelsea", *argv, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and shared_model == [] and "loading" not in result.stdout


@pytest.mark.parametrize("address", ["not an address", "tcp://127.0.0.1:1"])
def test_reproduce_checks_the_scheduler_before_creating_out(tmp_path, address):
    argv = ["reproduce", "--quick", "--scheduler", address, "--out", str(tmp_path / "r")]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "scheduler" in result.stderr and "Fix:" in result.stderr
    assert not (tmp_path / "r").exists()


def test_an_unknown_model_is_a_clean_error(capsys, tmp_path):
    status = main(["explain", "--sample", "chelsea", "--model", "vgg16", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("hybridxai: error: name='vgg16'")
    assert "mobilenet_v2" in err and len(err.strip().splitlines()) == 1


def test_a_checkpoint_that_does_not_fit_is_a_clean_error(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "w.pt")
    result = runner.invoke(app, ["explain", "--sample", "chelsea", "--checkpoint", str(tmp_path / "w.pt"),
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.startswith("hybridxai: error: checkpoint=") and "does not fit" in result.stderr


def test_a_folder_shows_a_summary_table(tmp_path, make_cnn, monkeypatch):
    from torchvision.transforms import ToTensor

    model = make_cnn()
    hybridxai.vision.models.register_model_info(model, hybridxai.vision.models.ModelInfo(
        "tiny", ToTensor(), tuple("abcde")))
    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", lambda *a, **k: model)
    for i in range(3):
        Image.new("RGB", (16, 16), (40 * i, 90, 200)).save(tmp_path / f"p{i}.png")
    result = runner.invoke(app, ["explain", str(tmp_path), "--backend", "exact", "--seed", "0",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "explained 3 of 3 images" in result.stdout
    assert all(f"p{i}.png" in result.stdout for i in range(3)) and "selected" in result.stdout
    records = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["done"] * 3 and records[0]["settings"]["backend"] == "exact"


def test_backends_lists_every_backend_with_its_real_description():
    result = runner.invoke(app, ["backends"])
    assert result.exit_code == 0
    rows = {row[0]: row for row in backend_rows()}
    assert {"exact", "sa", "statevector", "aer", "pennylane", "dwave", "leap-hybrid"} <= set(rows)
    assert rows["exact"][1] == "installed" and rows["sa"][1] == "installed"
    from hybridxai.backends.sa.sampler import SimulatedAnnealingSampler

    assert rows["sa"][3] == SimulatedAnnealingSampler.__doc__.strip().splitlines()[0]
    assert all("``" not in row[3] and ":class:" not in row[3] for row in rows.values())
    for name in ("exact", "sa", "statevector"):
        assert name in result.stdout


def test_backends_say_why_one_is_not_installed(monkeypatch):
    import hybridxai.backends.registry as registry

    monkeypatch.setattr(registry, "extra_installed", lambda extra: extra != "qiskit")
    rows = {row[0]: row for row in backend_rows()}
    assert rows["aer"][1] == "not installed" and "pip install 'hybridxai[qiskit]'" in rows["aer"][2]
    assert rows["aer"][3] == registry.BACKENDS["aer"].summary


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
    assert main(["explain", "--beta", "high"]) == 2


RST = re.compile(r":(func|class|mod|meth|data|attr|exc|obj|ref|doc):|``")


@pytest.mark.parametrize("command", [[], ["explain"], ["backends"], ["samples"], ["train"], ["reproduce"],
                                     ["evaluate"]])
def test_help_renders_without_rst_markup(command):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not RST.search(result.output), result.output
    assert "Usage" in result.output


def test_explain_help_lists_every_option():
    result = runner.invoke(app, ["explain", "--help"], env={"COLUMNS": "200"})
    for option in ("--model", "--checkpoint", "--device", "--layer", "--target", "--backend", "--beta",
                   "--max-qubits", "--seed", "--total-time", "--num-reads", "--schedule", "--num-steps",
                   "--num-sweeps", "--order", "--driver-scale", "--time-limit", "--option", "--out",
                   "--importance", "--conventions", "--postprocess"):
        assert option in result.output, option


def test_plain_strips_roles_and_literals():
    assert plain("Use :func:`~hybridxai.explain` or :py:class:`X <a.X>` with ``beta``.") == \
        "Use hybridxai.explain or X with beta."


def test_parsers():
    assert parse_target("0") == 0 and parse_target("tiger cat") == "tiger cat"
    assert parse_option("num-reads=3") == ("num_reads", 3)
    assert parse_option("beta_range=(0.1, 3.0)") == ("beta_range", (0.1, 3.0))


def test_multi_value_options_keep_their_old_form():
    assert _spread(["evaluate", "a.png", "b.png", "--methods", "gradcam", "qubo:beta=0.7", "--out", "x"]) == [
        "evaluate", "a.png", "b.png", "--methods", "gradcam", "--methods", "qubo:beta=0.7", "--out", "x"]
    assert _spread(["train", "--num-filters", "--epochs", "2"]) == [
        "train", "--num-filters", "none", "--epochs", "2"]
    assert _spread(["explain", "a", "b", "--methods", "x"]) == ["explain", "a", "b", "--methods", "x"]


def test_the_rich_bar_draws_only_on_a_terminal(monkeypatch):
    import io

    from rich.console import Console

    import hybridxai.cli.console as console

    quiet = console.RichBar(total=2, desc="explain", unit="image")  # captured output: no bar
    quiet.update(1)
    quiet.close()
    buffer = io.StringIO()
    monkeypatch.setattr(console, "stderr", lambda: Console(file=buffer, force_terminal=True, width=80))
    bar = console.RichBar(total=3, initial=1, desc="explain", unit="image")
    bar.update(1)
    bar.write("note: kept")
    bar.update(1)
    bar.close()
    text = buffer.getvalue()
    assert "note: kept" in text and "3/3" in text and "explain" in text


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "hybridxai.cli", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == hybridxai.__version__
