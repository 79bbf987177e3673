"""Typed records read and write exactly the JSON lines the stages store; stage names come from the config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.reproduce import ReproduceConfig
from hybridxai.reproduce.config import physics_filters, physics_stage
from hybridxai.reproduce.records import (
    QA,
    FullRecord,
    PhysicsRecord,
    RestrictedRecord,
    Selection,
    beta_key,
    sa_method,
    sweep_method,
)
from hybridxai.reproduce.stages import run_stage

DATA = Path(__file__).parent / "data" / "report"
TYPES = {"restricted16": RestrictedRecord, "full": FullRecord, "physics16": PhysicsRecord}


@pytest.mark.parametrize("stage", sorted(TYPES))
def test_stored_lines_round_trip_to_the_same_text(stage: str) -> None:
    lines = (DATA / f"{stage}.jsonl").read_text().splitlines()
    assert len(lines) == 10
    for line in lines:
        record = TYPES[stage].from_dict(json.loads(line))
        assert json.dumps(record.to_dict()) == line


def test_physics_record_without_variables_has_no_measures() -> None:
    line = {"key": "4", "position": 4, "label": 1, "num_filters": 16, "d": 0, "num_positive": 0,
            "channels": [], "J": []}
    record = PhysicsRecord.from_dict(line)
    assert record.measures is None and record.couplings == ()
    assert record.to_dict() == line
    assert list(record.to_dict()) == list(line)


def test_records_find_the_selection_behind_each_map() -> None:
    first = json.loads((DATA / "restricted16.jsonl").read_text().splitlines()[0])
    restricted = RestrictedRecord.from_dict(first)
    assert restricted.selection(QA) is restricted.qa
    assert restricted.selection(sweep_method(0.5)) == Selection((0, 1, 6, 12), 8)
    assert restricted.selection(sweep_method(1.0)) is restricted.sweep["1"]
    assert restricted.selection("gradcam") is None
    assert restricted.qa.fraction == pytest.approx(5 / 8)
    full = FullRecord.from_dict(json.loads((DATA / "full.jsonl").read_text().splitlines()[0]))
    assert full.selection(sa_method(0.99)) is full.sa["0.99"]
    assert full.selection(sa_method(0.5)) is None


def test_selection_fraction_and_optional_energy() -> None:
    assert Selection((), 0).fraction == 0.0
    assert Selection((1, 2), 4, -0.5).fraction == 0.5
    assert Selection((1,), 3).to_dict() == {"selected": [1], "d": 3}
    assert Selection((1,), 3, -1.0).to_dict() == {"selected": [1], "d": 3, "energy": -1.0}


def test_method_and_stage_names() -> None:
    assert [beta_key(b) for b in (0.5, 0.99, 1.0)] == ["0.5", "0.99", "1"]
    assert sweep_method(1.0) == "sweep:1" and sa_method(0.99) == "sa:0.99"
    config = ReproduceConfig(num_filters=(16, 24, 32))
    assert config.stages == ("restricted16", "full", "physics16", "physics24", "physics32")
    assert config.physics_stages == {16: "physics16", 24: "physics24", 32: "physics32"}
    assert [physics_filters(physics_stage(nf)) for nf in (16, 24)] == [16, 24]
    assert physics_filters("physics") is None and physics_filters("restricted16") is None


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="'restricted16', 'full' or 'physics<N_f>'"):
        run_stage("physics_x", None, None, ReproduceConfig(), None)  # type: ignore[arg-type]
