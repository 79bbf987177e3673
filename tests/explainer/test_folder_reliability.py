"""``explain_folder``: nothing lost, nothing written outside ``out``, nothing silently mixed.

Each test is named after the catalogue entry of ``docs/reliability.md`` it pins down (D1 …).
"""

from __future__ import annotations

import errno
import hashlib
import json
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image
from torchvision.transforms import ToTensor

import hybridxai.explainer
import hybridxai.vision.models
from hybridxai.cli import main
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.explainer import folder as folder_module
from hybridxai.explainer.folder import explain_folder, load_results, result_names

OPTIONS = {"backend": "exact", "max_qubits": 5, "seed": 0, "batch_size": 2, "transform": ToTensor(),
           "progress": False}


def picture(path: Path, seed: int = 0, size: int = 8) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def checksums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def run(make_cnn):
    model = make_cnn()

    def go(images: Any, out: Path, **options: Any) -> folder_module.BatchReport:
        return explain_folder(model, images, out, **{**OPTIONS, **options})

    return go


def assert_one_folder_each(report: folder_module.BatchReport) -> None:
    out = report.out.resolve()
    names = [r["result"] for r in report.records]
    assert all(names) and len({n.casefold() for n in names}) == len(names)
    for record in report.records:
        folder = (report.out / record["result"]).resolve()
        assert folder.is_relative_to(out) and folder != out
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["info"]["source"].endswith(Path(record["key"]).name)


@pytest.mark.parametrize("files", [["a.jpg", "a_jpg.png", "a.png"], ["a.JPG", "a.jpg"], ["A.png", "a.png"],
                                   ["x y.png", "x_y.png"], ["cats.png", "cats/tom.png"]])
def test_d1_inputs_whose_names_collide_get_their_own_result_folders(tmp_path, run, files):
    for i, name in enumerate(files):
        picture(tmp_path / "in" / name, seed=i)
    report = run(tmp_path / "in", tmp_path / "out")
    assert len(report.done) == len(files)
    assert_one_folder_each(report)
    sources = {json.loads((report.out / r["result"] / "manifest.json").read_text())["info"]["source"]
               for r in report.records}
    assert len(sources) == len(files)  # no result overwrote another
    again = run(tmp_path / "in", tmp_path / "out")  # deterministic: the same folders
    assert [r["result"] for r in again.records] == [r["result"] for r in report.records]
    assert again.resumed == len(files)


def test_d1_names_are_deterministic_and_keep_plain_stems():
    names, notes = result_names(["cat.jpg", "dogs/rex.png", "a.jpg", "a.png"], "/nonexistent/out")
    assert names["cat.jpg"] == "cat" and names["dogs/rex.png"] == "dogs/rex"
    digest = hashlib.sha256(b"a.jpg").hexdigest()[:10]
    assert names["a.jpg"] == f"a-{digest}" and notes == []
    assert result_names(["a.png", "a.jpg"], "/nonexistent/out")[0]["a.jpg"] == names["a.jpg"]


def test_d2_names_that_would_leave_out_stay_inside(tmp_path, run):
    picture(tmp_path / "in" / "pic.jpg")
    odd = [picture(tmp_path / "in" / "...jpg", 1), picture(tmp_path / "in" / "..jpg", 2)]
    report = run([tmp_path / "in" / "pic.jpg", *odd], tmp_path / "out")  # stems "", "." and ".."
    assert len(report.done) == 3
    assert_one_folder_each(report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["...jpg", "..jpg", "pic.jpg"]
    names, _ = result_names(["../x.png", "a/../../y.png", "/etc/z.png"], tmp_path / "o")
    assert all((tmp_path / "o" / n).resolve().is_relative_to((tmp_path / "o").resolve())
               for n in names.values())


def test_d2_a_symlink_in_out_is_not_followed_outside(tmp_path, run):
    picture(tmp_path / "in" / "cats" / "tom.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "cats").symlink_to(elsewhere)
    report = run(tmp_path / "in", tmp_path / "out")
    assert list(elsewhere.iterdir()) == []
    assert_one_folder_each(report)
    assert report.records[0]["result"] != "cats/tom" and report.notes


def test_d3_files_the_tool_did_not_write_are_never_overwritten(tmp_path, run):
    picture(tmp_path / "in" / "img.png")
    picture(tmp_path / "in" / "other.png", 1)
    out = tmp_path / "out"
    (out / "img").mkdir(parents=True)
    (out / "img" / "manifest.json").write_text("my own notes", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = checksums(out)
    report = run(tmp_path / "in", out)
    after = checksums(out)
    assert all(after[name] == digest for name, digest in before.items())
    [record] = [r for r in report.records if r["key"] == "img.png"]
    assert record["result"].startswith("img-") and (out / record["result"] / "overlay.png").exists()
    assert len(report.notes) == 1 and "img" in report.notes[0] and record["result"] in report.notes[0]
    assert run(tmp_path / "in", out).resumed == 2  # the rerun finds its own folders


def test_d3_a_summary_csv_of_the_user_is_refused_not_overwritten(tmp_path, run):
    picture(tmp_path / "in" / "img.png")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "summary.csv").write_text("my,table\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match="summary.csv, which hybridxai did not write"):
        run(tmp_path / "in", tmp_path / "out")
    assert (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8") == "my,table\n"
    (tmp_path / "out" / "settings.json").write_text('{"my": "settings"}', encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match="not a settings file written by hybridxai"):
        run(tmp_path / "in", tmp_path / "out")


def test_s1_another_sampler_configuration_is_refused_on_resume(tmp_path, run):
    from hybridxai.backends.sa import SimulatedAnnealingSampler

    picture(tmp_path / "in" / "img.png")
    run(tmp_path / "in", tmp_path / "out", backend=SimulatedAnnealingSampler(num_reads=4))
    with pytest.raises(InvalidArgumentError, match="different settings.*backend"):
        run(tmp_path / "in", tmp_path / "out", backend=SimulatedAnnealingSampler(num_reads=5))
    assert run(tmp_path / "in", tmp_path / "out",
               backend=SimulatedAnnealingSampler(num_reads=4)).resumed == 1


def test_s2_results_without_their_settings_file_are_refused(tmp_path, run):
    picture(tmp_path / "in" / "img.png")
    run(tmp_path / "in", tmp_path / "out")
    (tmp_path / "out" / "settings.json").unlink()
    with pytest.raises(InvalidArgumentError, match="no settings.json") as err:
        run(tmp_path / "in", tmp_path / "out", beta=0.3)
    assert "restore" in str(err.value)
    assert not (tmp_path / "out" / "settings.json").exists()


def test_s3_a_second_run_on_the_same_out_is_refused(tmp_path, run, make_cnn):
    picture(tmp_path / "in" / "img.png")
    started, release = threading.Event(), threading.Event()
    original = folder_module._run_batch

    def slow(*args: Any) -> None:
        started.set()
        release.wait(30)
        original(*args)

    errors: list[BaseException] = []

    def first() -> None:
        try:
            explain_folder(make_cnn(), tmp_path / "in", tmp_path / "out", **{**OPTIONS, "seed": 1})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    folder_module._run_batch = slow
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert started.wait(30)
        with pytest.raises(InvalidArgumentError, match="another hybridxai run") as err:
            run(tmp_path / "in", tmp_path / "out", seed=2)
        assert ".hybridxai.lock" in str(err.value)
    finally:
        release.set()
        folder_module._run_batch = original
        thread.join(60)
    assert errors == []
    assert load_results(tmp_path / "out")["img.png"]["seed"] == 1
    assert run(tmp_path / "in", tmp_path / "out", seed=1).resumed == 1  # the lock was released


def test_s4_a_callable_schedule_resumes_by_value(tmp_path, run):
    picture(tmp_path / "in" / "img.png")

    def gentle(u: float) -> float:
        return u * u

    opts = {"backend": "statevector", "max_qubits": 3, "num_steps": 4, "total_time": 1.0}
    run(tmp_path / "in", tmp_path / "out", schedule=gentle, **opts)
    text = (tmp_path / "out" / "settings.json").read_text(encoding="utf-8")
    assert "0x" not in text and "gentle" in text
    assert run(tmp_path / "in", tmp_path / "out", schedule=gentle, **opts).resumed == 1

    def steeper(u: float) -> float:
        return u**3

    with pytest.raises(InvalidArgumentError, match="different settings.*schedule"):
        run(tmp_path / "in", tmp_path / "out", schedule=steeper, **opts)


def test_c2_a_corrupt_settings_json_is_one_clear_error(tmp_path, run, capsys, monkeypatch):
    picture(tmp_path / "in" / "img.png")
    run(tmp_path / "in", tmp_path / "out")
    settings = tmp_path / "out" / "settings.json"
    settings.write_text(settings.read_text(encoding="utf-8")[:30], encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match="is not valid JSON") as err:
        run(tmp_path / "in", tmp_path / "out")
    assert str(settings) in str(err.value) and err.value.__cause__ is None


@pytest.mark.parametrize("name", ["settings.json.png", "results.jsonl.png", "summary.csv.png", "manifest.png",
                                  "overlay.png", "saliency.npy.png"])
def test_u1_inputs_named_like_run_files_do_not_collide(tmp_path, run, name):
    picture(tmp_path / "in" / name)
    picture(tmp_path / "in" / "img.png", 1)
    picture(tmp_path / "in" / "img" / name, 2)  # inside a folder named like another result folder
    report = run(tmp_path / "in", tmp_path / "out")
    assert len(report.done) == 3
    assert_one_folder_each(report)
    assert json.loads((tmp_path / "out" / "settings.json").read_text())["settings"]["seed"] == 0
    assert len(load_results(tmp_path / "out")) == 3
    assert run(tmp_path / "in", tmp_path / "out").resumed == 3


def test_u3_outputs_inside_the_input_folder_are_not_read_as_inputs(tmp_path, run):
    picture(tmp_path / "in" / "img.png")
    first = run(tmp_path / "in", tmp_path / "in" / "out1")
    second = run(tmp_path / "in", tmp_path / "in" / "out2")  # out1's PNGs are not inputs
    assert [r["key"] for r in first.records] == [r["key"] for r in second.records] == ["img.png"]
    saved = hybridxai.explain(_model(), tmp_path / "in" / "img.png", transform=ToTensor(), backend="exact",
                              max_qubits=4, seed=0)
    saved.save(tmp_path / "in" / "single")
    assert [r["key"] for r in run(tmp_path / "in", tmp_path / "in" / "out3").records] == ["img.png"]
    with pytest.raises(InvalidArgumentError, match="is the input folder itself"):
        run(tmp_path / "in", tmp_path / "in")


def _model() -> Any:
    from tests.conftest import build_tiny_cnn

    return build_tiny_cnn()


@pytest.mark.parametrize("images", ["", [""], ["a.png", ""]])
def test_u4_an_empty_image_argument_is_refused(tmp_path, run, images, monkeypatch):
    monkeypatch.chdir(tmp_path)
    picture(tmp_path / "a.png")
    with pytest.raises(InvalidArgumentError, match="empty path"):
        run(images, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_u5_a_full_disk_stops_cleanly_and_the_rerun_finishes(tmp_path, run, monkeypatch):
    for i in range(3):
        picture(tmp_path / "in" / f"img{i}.png", i)
    reference = run(tmp_path / "in", tmp_path / "reference")
    calls = {"n": 0}
    from hybridxai._util import fileio

    original = fileio.write_atomic

    def full_after_five(path: Path, write: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 5:
            def failing(p: Path) -> None:
                write(p)
                raise OSError(errno.ENOSPC, "No space left on device", str(p))
            return original(path, failing)
        return original(path, write)

    monkeypatch.setattr(folder_module, "write_atomic", full_after_five)
    monkeypatch.setattr("hybridxai.explainer.explanation.write_atomic", full_after_five)
    with pytest.raises(OSError, match="disk full") as err:
        run(tmp_path / "in", tmp_path / "out")
    assert err.value.errno == errno.ENOSPC
    leftovers = [p for p in (tmp_path / "out").rglob(".*") if p.name != ".hybridxai.lock"
                 and p.name != ".hybridxai-written.jsonl"]
    assert leftovers == []  # no temporary file left behind
    monkeypatch.undo()
    resumed = run(tmp_path / "in", tmp_path / "out")
    assert [comparable(r) for r in resumed.records] == [comparable(r) for r in reference.records]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "timing"}


def test_u5_the_cli_says_disk_full(tmp_path, capsys, monkeypatch):
    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "disk full (no space left on device): the file was not written",
                      str(tmp_path / "out" / "x.png"))

    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", lambda *a, **k: _model())
    monkeypatch.setattr(hybridxai.explainer, "explain_folder", full)
    picture(tmp_path / "in" / "a.png")
    assert main(["explain", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "disk full" in err and "free some disk space" in err and len(err.strip().splitlines()) == 1


def test_u6_reproduce_out_pointing_at_a_file_is_one_clear_error(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("mine", encoding="utf-8")
    assert main(["reproduce", "--quick", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "is a file, not a folder" in err and len(err.strip().splitlines()) == 1
    assert target.read_text(encoding="utf-8") == "mine"


def test_c4_ctrl_c_stops_cleanly_keeps_results_and_exits_130(tmp_path, capsys, monkeypatch):
    for i in range(4):
        picture(tmp_path / "in" / f"img{i}.png", i)
    monkeypatch.setattr(hybridxai.vision.models, "load_pretrained", lambda *a, **k: _model())
    original = folder_module._run_batch
    calls = {"n": 0}

    def interrupt_second(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original(*args)

    monkeypatch.setattr(folder_module, "_run_batch", interrupt_second)
    monkeypatch.setattr(folder_module, "model_info", lambda model: _Info())
    argv = ["explain", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--backend", "exact",
            "--max-qubits", "4", "--batch-size", "2", "--seed", "0"]
    assert main(argv) == 130
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "interrupted" in captured.err and "2 image(s) finished" in captured.err
    assert "Rerun the same command to resume" in captured.err
    assert len(load_results(tmp_path / "out")) == 2
    monkeypatch.setattr(folder_module, "_run_batch", original)
    assert main(argv) == 0
    assert "resumed: 2 image(s)" in capsys.readouterr().out


class _Info:
    name = "tiny"
    weights = None
    transform = ToTensor()
    class_names = None


# -- property: any file names, one folder each, inside out, nothing pre-existing changed ---------

_SPECIAL = ["settings.json", "results.jsonl", "summary.csv", "manifest", "manifest.json", "overlay",
            "saliency.npy", "CON", "nul", "aux.txt", ".", "..", "...", " lead", "trail ", "a.b.c", "Ä",
            "ä", "A\u0308", "x y", "x_y", "img", "IMG", "é" * 70, "z" * 120, ".hidden"]
_PART = st.one_of(
    st.sampled_from(_SPECIAL),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="/\\"),
            min_size=1, max_size=30),
)


@st.composite
def _layouts(draw: Any) -> tuple[list[str], list[str]]:
    """Input files (relative, with an image suffix) and the user's own files already in out."""
    count = draw(st.integers(1, 5))
    inputs: list[str] = []
    for _ in range(count):
        parts = draw(st.lists(_PART, min_size=0, max_size=1))
        stem = draw(_PART)
        suffix = draw(st.sampled_from([".png", ".PNG", ".jpg", ".JPG", ".jpeg"]))
        inputs.append("/".join([*parts, stem + suffix]))
    own = draw(st.lists(st.one_of(st.sampled_from(["summary.csv", "notes.txt", "img/manifest.json",
                                                   "settings.json/x"]),
                                  st.builds(lambda p, f: f"{p}/{f}", _PART,
                                            st.sampled_from(["manifest.json", "overlay.png", "mine.txt"]))),
                        max_size=3))
    return inputs, own


def _makeable(root: Path, rels: list[str]) -> bool:
    """Whether these relative paths can coexist as files (no file where a folder must go)."""
    files: set[str] = set()
    folders: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        if any(p in ("", ".", "..") or len(p.encode("utf-8")) > 250 for p in parts):
            return False
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if rel in files:
            return False
        files.add(rel)
    return not (files & folders)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=_layouts())
def test_d1_d2_d3_u1_u3_property_every_input_one_folder_inside_out_nothing_changed(layout):
    inputs, own = layout
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        assume(_makeable(root / "in", inputs) and _makeable(root, [f"in/out/{o}" for o in own]))
        assume(not any(i.split("/")[0] == "out" for i in inputs))
        for i, rel in enumerate(inputs):
            try:
                picture(root / "in" / rel, seed=i)
            except OSError:
                assume(False)
        for rel in own:
            path = root / "in" / "out" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"the user's {rel}", encoding="utf-8")
        before = checksums(root)
        visible = sorted(rel for rel in inputs if not any(p.startswith(".") for p in rel.split("/")))
        try:
            report = explain_folder(_shared_model(), root / "in", root / "in" / "out", **OPTIONS)
        except InvalidArgumentError as exc:
            # refused only for a run file of the user's, or a folder with no visible image
            assert "hybridxai did not write" in str(exc) or not visible, str(exc)
            report = None
        after = checksums(root)
        changed = [name for name, digest in before.items() if after.get(name) != digest]
        assert changed == []  # no pre-existing file, input or the user's, changed or vanished
        if report is None:
            return
        assert sorted(r["key"] for r in report.records) == visible
        assert len(report.done) == len(visible)
        assert_one_folder_each(report)
        written = set(after) - set(before)
        assert all(name.startswith("in/out/") for name in written)  # nothing written outside out
        again = explain_folder(_shared_model(), root / "in", root / "in" / "out2", **OPTIONS)
        assert [r["key"] for r in again.records] == visible  # out's own PNGs are not inputs


_MODEL: list[Any] = []


def _shared_model() -> Any:
    if not _MODEL:
        _MODEL.append(_model())
    return _MODEL[0]
