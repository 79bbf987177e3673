"""The reproduction on every executor: identical records; failed batches reported, kept and retried."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from hybridxai.execution import ProcessExecutor, SerialExecutor, UnitsFailedError
from hybridxai.reproduce import ReproduceConfig, reproduce, stages
from hybridxai.reproduce.stages import StageFailureWarning
from tests.reproduce.test_reproduce import FASHION, TINY

pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed")

STAGES = ("restricted16", "full", "physics16")


def _records(out: Path) -> dict[str, dict[str, dict]]:
    """Every record of every stage, by stage and image key (the order of lines may differ)."""
    result = {}
    for stage in STAGES:
        lines = (out / "records" / f"{stage}.jsonl").read_text().splitlines()
        result[stage] = {json.loads(line)["key"]: json.loads(line) for line in lines}
    return result


def _summary(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("elapsed_s")
    return summary


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    reproduce(ReproduceConfig(**TINY), out, progress=False, executor=SerialExecutor())
    return out


def test_local_processes_give_identical_records(serial_run: Path, tmp_path: Path) -> None:
    with ProcessExecutor(workers=2) as executor:
        reproduce(ReproduceConfig(**TINY), tmp_path, progress=False, executor=executor)
    records = _records(tmp_path)
    assert all(len(records[stage]) == 10 for stage in STAGES)
    assert records == _records(serial_run)  # exact: selections, Y, O, gaps, fidelities
    assert _summary(tmp_path) == _summary(serial_run)


def test_dask_cluster_gives_identical_records(serial_run: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from hybridxai.execution import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        reproduce(ReproduceConfig(**TINY), tmp_path, progress=False, executor=DaskExecutor(client=client))
    assert _records(tmp_path) == _records(serial_run)
    assert _summary(tmp_path) == _summary(serial_run)


def test_failed_batch_is_reported_the_rest_kept_and_a_rerun_completes_it(
        serial_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[int]] = []
    original = stages.restricted_unit

    def broken(ctx, positions):  # type: ignore[no-untyped-def]
        calls.append(list(positions))
        if 3 in positions:
            raise RuntimeError("simulated failure of image 3")
        if calls.count(list(positions)) == 1:
            raise OSError("transient failure")  # the batch 5..9 fails once, then succeeds
        return original(ctx, positions)

    monkeypatch.setattr(stages, "restricted_unit", broken)
    config = ReproduceConfig(**TINY)
    with pytest.raises(UnitsFailedError) as info, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reproduce(config, tmp_path, progress=False, executor=SerialExecutor())
    message = str(info.value)
    assert "restricted16: images 0, 1, 2, 3, 4" in message
    assert "RuntimeError: simulated failure of image 3" in message
    assert "rerun the same command" in message
    assert [f["key"] for f in info.value.failures] == ["0", "1", "2", "3", "4"]
    stage_warnings = [w for w in caught if issubclass(w.category, StageFailureWarning)]
    assert len(stage_warnings) == 1
    assert "images 0, 1, 2, 3, 4 failed after 3 attempts" in str(stage_warnings[0].message)
    assert calls == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [0, 1, 2, 3, 4]]

    # the other images' results are kept, and the failures are on disk
    assert not (tmp_path / "report.md").exists()
    kept = _records(tmp_path)
    assert sorted(kept["restricted16"], key=int) == ["5", "6", "7", "8", "9"]
    assert len(kept["full"]) == len(kept["physics16"]) == 10  # later stages ran anyway
    failed = [json.loads(line) for line in
              (tmp_path / "records" / "restricted16.failed.jsonl").read_text().splitlines()]
    assert [f["key"] for f in failed] == ["0", "1", "2", "3", "4"]
    assert failed[3]["error"] == "RuntimeError: simulated failure of image 3" and failed[3]["attempts"] == 3
    assert "Traceback" in failed[3]["traceback"] and failed[3]["test_index"] >= 0

    # the rerun computes only the missing batch and ends with the same numbers as an unbroken run
    calls.clear()

    def counting(ctx, positions):  # type: ignore[no-untyped-def]
        calls.append(list(positions))
        return original(ctx, positions)

    monkeypatch.setattr(stages, "restricted_unit", counting)
    reproduce(config, tmp_path, progress=False, executor=SerialExecutor())
    assert calls == [[0, 1, 2, 3, 4]]
    assert not (tmp_path / "records" / "restricted16.failed.jsonl").exists()
    assert _records(tmp_path) == _records(serial_run)
    assert _summary(tmp_path) == _summary(serial_run)

