"""Resuming a reproduction stage: fixed batches, recomputed whole; the settings fingerprint."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.reproduce import ReproduceConfig
from hybridxai.reproduce.stages import StageFailureWarning, _run_stage
from hybridxai.reproduce.store import RecordStore
from hybridxai.runs.execution import SerialExecutor
from hybridxai.runs.records import settings_fingerprint
from tests.reproduce.test_reproduce import TINY


@dataclass(frozen=True)
class FakeStudy:
    count: int

    def __len__(self) -> int:
        return self.count

    def test_index(self, position: int) -> int:
        return 100 + position


@dataclass(frozen=True)
class FakeContext:
    study: FakeStudy
    config: ReproduceConfig


def batch_dependent_unit(ctx: FakeContext, positions: list[int]) -> list[dict[str, Any]]:
    """Like a forward pass, whose last bits depend on the batch: a value that depends on the mates."""
    mates = sum(positions) / 7.0
    return [{"key": str(p), "position": p, "value": p + mates, "mates": list(positions)} for p in positions]


def run(out: Path, unit: Any = batch_dependent_unit, total: int = 10) -> list[dict[str, Any]]:
    config = ReproduceConfig(**TINY)  # batch_size 5
    store = RecordStore(out, config.fingerprint(), config.to_dict())
    ctx = FakeContext(FakeStudy(total), config)
    return _run_stage("stage", store, ctx, unit, SerialExecutor(), progress=False)  # type: ignore[arg-type]


def lines(out: Path, stage: str = "stage") -> list[dict[str, Any]]:
    text = (out / "records" / f"{stage}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_a_partly_written_batch_resumes_to_the_records_of_an_uninterrupted_run(tmp_path):
    assert run(tmp_path / "reference") == []
    reference = {r["key"]: r for r in lines(tmp_path / "reference")}
    assert len(reference) == 10

    # a kill during the write of the second batch left two of its five records on disk
    out = tmp_path / "killed"
    run(out)
    path = out / "records" / "stage.jsonl"
    kept = path.read_text(encoding="utf-8").splitlines()[:7]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")

    calls: list[list[int]] = []

    def counting(ctx: FakeContext, positions: list[int]) -> list[dict[str, Any]]:
        calls.append(list(positions))
        return batch_dependent_unit(ctx, positions)

    assert run(out, counting) == []
    assert calls == [[5, 6, 7, 8, 9]]  # the whole batch, not only 7, 8, 9
    written = lines(out)
    assert [r["key"] for r in written] == [str(p) for p in range(10)]  # no record written twice
    assert {r["key"]: r for r in written} == reference  # exact


def test_a_failed_batch_reports_only_its_missing_images(tmp_path):
    out = tmp_path / "out"
    run(out)
    path = out / "records" / "stage.jsonl"
    path.write_text("\n".join(path.read_text().splitlines()[:8]) + "\n", encoding="utf-8")

    def broken(ctx: FakeContext, positions: list[int]) -> list[dict[str, Any]]:
        raise RuntimeError("simulated")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        failures = run(out, broken)
    assert [f["key"] for f in failures] == ["8", "9"]
    assert [f["test_index"] for f in failures] == [108, 109]
    assert [f["key"] for f in lines(out, "stage.failed")] == ["8", "9"]
    assert any("images 8, 9 failed" in str(w.message) for w in caught
               if issubclass(w.category, StageFailureWarning))
    assert len(lines(out)) == 8  # the recorded images are kept


def test_the_fingerprint_is_the_shared_one_and_unchanged():
    """Run folders made before the fingerprint was shared must still resume.

    Those runs measured the physics under hybridxai's conventions only: with
    ``conventions=("hybridxai",)`` the settings and fingerprints are theirs; the default now also
    measures the authors' conventions (issue #18), which changes the numbers and the fingerprint.
    """
    legacy = {"conventions": ("hybridxai",)}
    for config in (ReproduceConfig(), ReproduceConfig(**TINY), ReproduceConfig.quick_variant(),
                   ReproduceConfig(**legacy)):
        assert config.fingerprint() == settings_fingerprint(config.to_dict())
    assert ReproduceConfig(**legacy).fingerprint() == "92df3d90e472c360"
    assert ReproduceConfig(**TINY, **legacy).fingerprint() == "e3613e784d89f4a3"
    assert ReproduceConfig.quick_variant(**legacy).fingerprint() == "6f858feda17cb90c"
    assert "conventions" not in ReproduceConfig(**legacy).to_dict()
    assert ReproduceConfig().to_dict()["conventions"] == ["hybridxai", "authors"]
    assert ReproduceConfig().fingerprint() != ReproduceConfig(**legacy).fingerprint()


def test_another_batch_size_is_refused_on_resume(tmp_path):
    run(tmp_path)
    config = ReproduceConfig(**{**TINY, "batch_size": 4})
    with pytest.raises(InvalidArgumentError, match="batch_size=5 in that run, 4 now"):
        RecordStore(tmp_path, config.fingerprint(), config.to_dict())
