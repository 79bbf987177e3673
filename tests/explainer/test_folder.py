"""``explain_folder`` / ``hybridxai explain FOLDER``: results per image, resume after a kill."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import ToTensor

import hybridxai
from hybridxai.cli import main
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.explainer.folder import explain_folder, load_results

REPO = Path(__file__).resolve().parents[2]


def write_images(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` random 16×16 RGB PNGs ``img00.png`` … (deterministic)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        path = folder / f"img{i:02d}.png"
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its timing (the only part that differs between runs); compared exactly."""
    return {k: v for k, v in record.items() if k != "timing"}


def summary_rows(out: Path) -> list[dict[str, Any]]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def json_lines(out: Path) -> list[str]:
    return (out / "results.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture
def run(make_cnn):
    """``run(images, out, **options)``: explain_folder with the tiny CNN and ToTensor, quietly."""
    model = make_cnn()

    def go(images: Any, out: Path, **options: Any) -> hybridxai.explainer.folder.BatchReport:
        options.setdefault("transform", ToTensor())
        options.setdefault("progress", False)
        return explain_folder(model, images, out, **options)

    return go


def test_uninterrupted_run_writes_a_folder_a_line_and_a_row_per_image(tmp_path, run, make_cnn):
    paths = write_images(tmp_path / "imgs", 5)
    out = tmp_path / "out"
    report = run(tmp_path / "imgs", out, batch_size=2, seed=4)
    assert [r["key"] for r in report.records] == [p.name for p in paths]
    assert len(report.done) == 5 and report.failed == [] and report.resumed == 0
    lines = json_lines(out)
    assert len(lines) == 5
    for path, line in zip(paths, lines, strict=True):
        record = json.loads(line)
        manifest = json.loads((out / path.stem / "manifest.json").read_text())
        assert (out / path.stem / "overlay.png").stat().st_size > 0
        assert record["selected_channels"] == manifest["selected_channels"]
        assert record["energy"] == pytest.approx(manifest["energy"])
        assert record["seed"] == 4 and record["settings"]["seed"] == 4
        assert manifest["info"]["source"] == str(path)  # the file, not "tensor"
        assert comparable(record) == {"key": path.name, "status": "done", "result": path.stem,
                                      **{k: v for k, v in manifest.items() if k not in ("info", "versions")}}
        single = hybridxai.explain(make_cnn(), path, transform=ToTensor(), seed=4)
        assert list(single.selected) == record["selected_channels"]
        assert single.target == record["target"]
    rows = summary_rows(out)
    assert [row["key"] for row in rows] == [p.name for p in paths]
    assert all(row["status"] == "done" and row["result"] for row in rows)
    again = run(tmp_path / "imgs", out)  # seed and batch size may be left out: the stored ones
    assert again.resumed == 5 and len(json_lines(out)) == 5
    assert again.settings["batch_size"] == 2 and again.settings["seed"] == 4
    with pytest.raises(InvalidArgumentError, match=r"batch_size=2 in that run, 3 now"):
        run(tmp_path / "imgs", out, batch_size=3)  # another batch grid could change the numbers


def test_a_partly_recorded_batch_is_computed_whole_and_resumes_exactly(tmp_path, run, monkeypatch):
    images = tmp_path / "imgs"
    write_images(images, 5, seed=2)
    reference = run(images, tmp_path / "reference", batch_size=3, seed=1)
    out = tmp_path / "out"
    run(images, out, batch_size=3, seed=1)
    kept = json_lines(out)[:1]  # a kill left one record of the first batch (img00) on disk
    (out / "results.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")

    sizes: list[int] = []
    original = hybridxai.explainer.pipeline.explain_batch

    def spy(model: Any, images: Any, **options: Any) -> Any:
        sizes.append(len(images))
        return original(model, images, **options)

    monkeypatch.setattr(hybridxai.explainer.pipeline, "explain_batch", spy)
    resumed = run(images, out)
    assert sizes == [3, 2]  # the first batch ran whole, with the images of the uninterrupted run
    assert resumed.resumed == 1
    assert [json.loads(line)["key"] for line in json_lines(out)] == [f"img{i:02d}.png" for i in range(5)]
    assert [comparable(r) for r in resumed.records] == [comparable(r) for r in reference.records]
    assert summary_rows(out) == summary_rows(tmp_path / "reference")


KILLED_JOB = textwrap.dedent("""
    import sys, time
    from torchvision.transforms import ToTensor
    import hybridxai
    from tests.conftest import build_tiny_cnn

    model = build_tiny_cnn()
    model.register_forward_pre_hook(lambda module, args: time.sleep(0.3))  # slow, same weights
    hybridxai.explain_folder(model, sys.argv[1], sys.argv[2], batch_size=2,
                             transform=ToTensor(), progress=False)
    print("finished")
""")


def test_a_killed_run_resumes_to_the_same_results(tmp_path, run):
    images = tmp_path / "imgs"
    write_images(images, 12, seed=1)
    out = tmp_path / "killed"
    script = tmp_path / "job.py"
    script.write_text(KILLED_JOB, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    job = subprocess.Popen([sys.executable, str(script), str(images), str(out)], cwd=REPO, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        results = out / "results.jsonl"
        while time.monotonic() < deadline and job.poll() is None:
            if results.exists() and len(json_lines(out)) >= 3:
                break
            time.sleep(0.02)
        assert job.poll() is None, f"the job ended before it could be killed: {job.communicate()}"
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode == -signal.SIGKILL
    assert 3 <= len(load_results(out)) < 12
    assert not (out / "summary.csv").exists()
    seed = json.loads((out / "settings.json").read_text())["settings"]["seed"]

    resumed = run(images, out)  # no seed, no batch size: the stored ones are reused
    assert resumed.resumed >= 3 and len(resumed.done) == 12
    reference = run(images, tmp_path / "reference", batch_size=2, seed=seed)
    assert reference.resumed == 0

    mine, theirs = load_results(out), load_results(tmp_path / "reference")
    assert sorted(mine) == sorted(theirs) == [f"img{i:02d}.png" for i in range(12)]
    for key in mine:
        assert comparable(mine[key]) == comparable(theirs[key]), key
    assert summary_rows(out) == summary_rows(tmp_path / "reference")
    assert [comparable(r) for r in resumed.records] == [comparable(r) for r in reference.records]
    for line in json_lines(out):
        json.loads(line)  # every line whole, even the one the kill may have cut


def test_a_torn_last_line_is_ignored_and_redone(tmp_path, run):
    write_images(tmp_path / "imgs", 4)
    out = tmp_path / "out"
    first = run(tmp_path / "imgs", out, batch_size=2, seed=0)
    lines = json_lines(out)
    (out / "results.jsonl").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2],
                                       encoding="utf-8")
    assert sorted(load_results(out)) == ["img00.png", "img01.png", "img02.png"]
    second = run(tmp_path / "imgs", out, batch_size=2, seed=0)
    assert second.resumed == 3
    assert [comparable(r) for r in second.records] == [comparable(r) for r in first.records]
    lines = json_lines(out)
    assert len(lines) == 4 and [json.loads(line)["key"] for line in lines][-1] == "img03.png"


def test_other_settings_in_the_same_folder_are_refused(tmp_path, run):
    write_images(tmp_path / "imgs", 2)
    out = tmp_path / "out"
    run(tmp_path / "imgs", out, seed=0, beta=0.7)
    with pytest.raises(InvalidArgumentError, match=r"settings \(beta=0.7 in that run, 0.5 now\)") as err:
        run(tmp_path / "imgs", out, seed=0, beta=0.5)
    assert str(out) in str(err.value) and "--out" in str(err.value)
    with pytest.raises(InvalidArgumentError, match="seed=0 in that run, 1 now"):
        run(tmp_path / "imgs", out, seed=1, beta=0.7)
    assert run(tmp_path / "imgs", out, beta=0.7).resumed == 2


def test_a_first_run_that_explained_nothing_leaves_no_settings(tmp_path, run):
    write_images(tmp_path / "imgs", 2)
    out = tmp_path / "out"
    with pytest.raises(InvalidArgumentError, match="beta=2"):
        run(tmp_path / "imgs", out, beta=2.0)
    assert not (out / "settings.json").exists()
    assert len(run(tmp_path / "imgs", out, beta=0.7).done) == 2  # the corrected rerun is not refused


def test_an_unreadable_image_is_recorded_as_failed_and_the_rest_go_on(tmp_path, run):
    write_images(tmp_path / "imgs", 3)
    (tmp_path / "imgs" / "broken.png").write_bytes(b"this is not a picture")
    out = tmp_path / "out"
    report = run(tmp_path / "imgs", out, batch_size=2, seed=0)
    assert len(report.done) == 3
    [failed] = report.failed
    assert failed["key"] == "broken.png" and failed["status"] == "failed"
    assert "not a readable image" in failed["error"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["img00", "img01", "img02"]
    assert len(json_lines(out)) == 4
    rows = {row["key"]: row for row in summary_rows(out)}
    assert rows["broken.png"]["status"] == "failed" and "not a readable" in rows["broken.png"]["error"]
    missing = run([tmp_path / "imgs" / "img00.png", tmp_path / "imgs" / "gone.png"], tmp_path / "list",
                  seed=0)
    assert [r["status"] for r in missing.records] == ["done", "failed"]
    assert "no such image file" in missing.failed[0]["error"]


def test_subfolders_are_keys_and_an_out_inside_the_input_is_skipped(tmp_path, run):
    write_images(tmp_path / "imgs" / "cats", 2)
    write_images(tmp_path / "imgs" / "dogs", 1, seed=3)
    out = tmp_path / "imgs" / "results"
    report = run(tmp_path / "imgs", out, seed=0)
    assert [r["key"] for r in report.records] == ["cats/img00.png", "cats/img01.png", "dogs/img00.png"]
    assert (out / "cats" / "img01" / "manifest.json").exists()
    assert len(run(tmp_path / "imgs", out, seed=0).records) == 3  # its own PNGs are not inputs


@pytest.mark.parametrize(
    ("images", "options", "words"),
    [
        ("nowhere", {}, "no such folder"),
        ([], {}, "empty list"),
        (None, {"batch_size": 0}, "batch_size=0"),
        (None, {"seed": -1}, "seed=-1"),
        (None, {"transform": None}, "transform"),
    ],
)
def test_bad_arguments_are_clear(tmp_path, make_cnn, images, options, words):
    write_images(tmp_path / "imgs", 1)
    kwargs = {"transform": ToTensor(), **options}
    if kwargs["transform"] is None:
        del kwargs["transform"]
    with pytest.raises(InvalidArgumentError, match=words):
        explain_folder(make_cnn(), tmp_path / "imgs" if images is None else images, tmp_path / "out",
                       progress=False, **kwargs)


def test_empty_folder_is_an_error(tmp_path, run):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidArgumentError, match="holds no image files"):
        run(tmp_path / "empty", tmp_path / "out")


@pytest.fixture
def shared_model(monkeypatch, mobilenet):
    """Make the CLI reuse the session's MobileNetV2 instead of loading it again."""
    monkeypatch.setattr(hybridxai, "load_pretrained", lambda name="mobilenet_v2", **kwargs: mobilenet)


def test_cli_explains_a_folder_and_resumes(tmp_path, capsys, shared_model):
    write_images(tmp_path / "photos", 2)
    out = tmp_path / "out"
    argv = ["explain", str(tmp_path / "photos"), "--out", str(out), "--backend", "exact",
            "--max-qubits", "6", "--batch-size", "2"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "explained 2 of 2 images" in text and "summary.csv" in text
    assert len(json_lines(out)) == 2 and (out / "img01" / "overlay.png").exists()
    assert main(argv) == 0
    assert "resumed: 2 image(s) were already done" in capsys.readouterr().out
    status = main([*argv[:-2], "--max-qubits", "5"])
    assert status == 2 and "different settings" in capsys.readouterr().err


def test_cli_several_files_with_a_broken_one_exit_1(tmp_path, capsys, shared_model):
    [good] = write_images(tmp_path, 1)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"nope")
    status = main(["explain", str(good), str(broken), "--out", str(tmp_path / "out"),
                   "--backend", "exact", "--max-qubits", "4", "--seed", "0"])
    out = capsys.readouterr().out
    assert status == 1
    assert "explained 1 of 2 images" in out and "failed: broken.jpg" in out


def _start_job(script: Path, images: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, str(script), str(images), str(out)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(job: subprocess.Popen, ready: Callable[[], bool], delay: float) -> None:
    """SIGKILL ``job`` ``delay`` seconds after ``ready()`` first holds (a random point of a batch)."""
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and job.poll() is None and not ready():
            time.sleep(0.01)
        time.sleep(delay)
        assert job.poll() is None, f"the job ended before it could be killed: {job.communicate()}"
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode == -signal.SIGKILL


def _folder_bytes(out: Path, name: str) -> dict[str, Any]:
    """What an image's result folder holds, byte for byte but for the manifest's timings."""
    found: dict[str, Any] = {}
    for file in sorted((out / name).iterdir()):
        if file.name == "manifest.json":
            manifest = json.loads(file.read_text(encoding="utf-8"))
            manifest["info"] = {k: v for k, v in manifest["info"].items()
                                if not k.endswith("_ns") and k != "timing"}
            found[file.name] = manifest
        else:
            found[file.name] = file.read_bytes()
    return found


def test_fault_injection_random_kills_and_a_full_disk_resume_to_the_same_bytes(tmp_path, run, monkeypatch):
    """SIGKILL a folder run at random points (mid-solve, mid-save, mid-append) and fill the disk
    once; the resumed run's results equal an uninterrupted run's, byte for byte where they are
    deterministic (all but the timings)."""
    import errno

    from hybridxai.explainer import explanation as explanation_module
    from hybridxai.explainer import folder as folder_module

    rng = np.random.default_rng(20261205)
    images = tmp_path / "imgs"
    write_images(images, 10, seed=5)
    out = tmp_path / "faulty"
    script = tmp_path / "job.py"
    script.write_text(KILLED_JOB, encoding="utf-8")
    claims = out / ".hybridxai-written.jsonl"
    # 1: while the first batch's folders are being saved; 2: somewhere after the second batch
    _kill_when(_start_job(script, images, out), claims.exists, float(rng.uniform(0.0, 0.3)))
    _kill_when(_start_job(script, images, out),
               lambda: (out / "results.jsonl").exists() and len(json_lines(out)) >= 4,
               float(rng.uniform(0.0, 0.6)))
    seed = json.loads((out / "settings.json").read_text())["settings"]["seed"]
    assert len(load_results(out)) < 10

    calls = {"n": 0}
    fail_at = int(rng.integers(2, 8))
    real = folder_module.write_atomic

    def full_disk(path: Path, write: Any) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, write)

    monkeypatch.setattr(folder_module, "write_atomic", full_disk)
    monkeypatch.setattr(explanation_module, "write_atomic", full_disk)
    with pytest.raises(OSError) as err:
        run(images, out)
    assert err.value.errno == errno.ENOSPC
    monkeypatch.undo()

    resumed = run(images, out)
    reference = run(images, tmp_path / "reference", batch_size=2, seed=seed)
    assert len(resumed.done) == 10 and reference.resumed == 0
    assert [comparable(json.loads(line)) for line in json_lines(out)] == \
        [comparable(json.loads(line)) for line in json_lines(tmp_path / "reference")]
    assert (out / "summary.csv").read_bytes() == (tmp_path / "reference" / "summary.csv").read_bytes()
    for mine, theirs in zip(resumed.records, reference.records, strict=True):
        assert mine["result"] == theirs["result"]
        assert _folder_bytes(out, mine["result"]) == _folder_bytes(tmp_path / "reference", theirs["result"])
    leftovers = sorted(p.name for p in out.rglob(".*") if p.name not in (".hybridxai.lock", claims.name))
    assert leftovers == []  # no temporary file of a killed write is left behind
