"""The reproduction on every executor: identical records; failed batches reported, kept and retried.

The serial run is ``tiny_run`` (conftest.py, shared with test_reproduce.py); the local-process
run is the one with a failing batch (its rerun completes it), so each executor runs TINY once.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from pathlib import Path

import pytest

from hybridxai.reproduce import ReproduceConfig, reproduce, stages
from hybridxai.reproduce.stages import StageFailureWarning
from hybridxai.runs.execution import ProcessExecutor, UnitsFailedError
from tests.reproduce.test_reproduce import FASHION, TINY

pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed")

STAGES = ReproduceConfig(**TINY).stages
CALLS = "HYBRIDXAI_TEST_CALLS"  # the file where the unit functions below log their batches
_RESTRICTED_UNIT = stages.restricted_unit  # the real one (these run in spawned worker processes)


def _log_call(positions: list[int]) -> int:
    """Append ``positions`` to the call log; return how often this batch has been run so far."""
    log, line = Path(os.environ[CALLS]), json.dumps(positions)
    with open(log, "a") as fh:
        fh.write(line + "\n")
    return log.read_text().splitlines().count(line)


def broken_restricted_unit(ctx: stages.StageContext, positions: list[int]) -> list[dict]:
    """The batch with image 3 always fails; the other one fails once, then succeeds."""
    if 3 in positions:
        _log_call(positions)
        raise RuntimeError("simulated failure of image 3")
    if _log_call(positions) == 1:
        raise OSError("transient failure")
    return _RESTRICTED_UNIT(ctx, positions)


def counting_restricted_unit(ctx: stages.StageContext, positions: list[int]) -> list[dict]:
    """The real unit, logging its batches."""
    _log_call(positions)
    return _RESTRICTED_UNIT(ctx, positions)


def _calls(log: Path) -> Counter:
    return Counter(tuple(json.loads(line)) for line in log.read_text().splitlines())


def _records(out: Path) -> dict[str, dict[str, dict]]:
    """Every record of every stage, by stage and image key (the order of lines may differ)."""
    result = {}
    for stage in STAGES:
        lines = (out / "records" / f"{stage}.jsonl").read_text().splitlines()
        result[stage] = {json.loads(line)["key"]: json.loads(line) for line in lines}
    return result


def assert_same(a: object, b: object, path: str = "", rel: float = 1e-5) -> None:
    """Equal structure, keys, selections and integers exactly; floats to 1e-5 relative.

    The full model's float32 forward pass rounds differently with another torch thread count
    (worker processes run one thread each), which moves Y, O and SA energies in the 7th digit;
    everything discrete (selections, labels, d, keys) must still match exactly. Summaries average
    ratios such as (Y − O)/Y over a few images, so they are compared to ``rel=1e-3``.
    """
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {set(a) ^ set(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{path}/{key}", rel)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]", rel)
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=rel, abs=1e-9), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _summary(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("elapsed_s")
    return summary


def test_local_processes_report_a_failed_batch_keep_the_rest_and_end_identical(
        tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(CALLS, str(log))  # before the workers are spawned: they inherit it
    monkeypatch.setattr(stages, "restricted_unit", broken_restricted_unit)  # sent by reference
    config, out = ReproduceConfig(**TINY), tmp_path / "run"
    with ProcessExecutor(workers=2) as executor:
        with pytest.raises(UnitsFailedError) as info, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reproduce(config, out, progress=False, executor=executor)
        message = str(info.value)
        assert "restricted16: images 0, 1, 2, 3, 4" in message
        assert "RuntimeError: simulated failure of image 3" in message
        assert "rerun the same command" in message
        assert [f["key"] for f in info.value.failures] == ["0", "1", "2", "3", "4"]
        stage_warnings = [w for w in caught if issubclass(w.category, StageFailureWarning)]
        assert len(stage_warnings) == 1
        assert "images 0, 1, 2, 3, 4 failed after 3 attempts" in str(stage_warnings[0].message)
        assert _calls(log) == {(0, 1, 2, 3, 4): 3, (5, 6, 7, 8, 9): 2}

        # the other images' results are kept, and the failures are on disk
        assert not (out / "report.md").exists()
        kept = _records(out)
        assert sorted(kept["restricted16"], key=int) == ["5", "6", "7", "8", "9"]
        assert len(kept["full"]) == len(kept["physics16"]) == 10  # later stages ran anyway
        failed = [json.loads(line) for line in
                  (out / "records" / "restricted16.failed.jsonl").read_text().splitlines()]
        assert [f["key"] for f in failed] == ["0", "1", "2", "3", "4"]
        assert failed[3]["error"] == "RuntimeError: simulated failure of image 3"
        assert failed[3]["attempts"] == 3
        assert "Traceback" in failed[3]["traceback"] and failed[3]["test_index"] >= 0

        # the rerun computes only the missing batch ...
        log.unlink()
        monkeypatch.setattr(stages, "restricted_unit", counting_restricted_unit)
        reproduce(config, out, progress=False, executor=executor)
    assert _calls(log) == {(0, 1, 2, 3, 4): 1}
    assert not (out / "records" / "restricted16.failed.jsonl").exists()
    # ... and every record, all computed by the worker processes, equals the serial run's
    assert_same(_records(out), _records(tiny_run))
    assert_same(_summary(out), _summary(tiny_run), rel=1e-3)


def test_dask_cluster_gives_identical_records(tiny_run: Path, tmp_path: Path, dask_client) -> None:
    from hybridxai.runs.execution import DaskExecutor

    reproduce(ReproduceConfig(**TINY), tmp_path, progress=False, executor=DaskExecutor(client=dask_client))
    records = _records(tmp_path)
    assert all(len(records[stage]) == 10 for stage in STAGES)
    assert_same(records, _records(tiny_run))
    assert_same(_summary(tmp_path), _summary(tiny_run), rel=1e-3)
