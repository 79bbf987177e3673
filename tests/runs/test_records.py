"""``hybridxai.runs.records``: durable JSON-lines records, the end of a killed write, the resume policy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hybridxai.runs import records as records_module
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.runs.records import RecordStore, pending_batches, read_records, settings_fingerprint


def make_store(tmp_path: Path) -> RecordStore:
    settings = {"beta": 0.7}
    return RecordStore(tmp_path, settings_fingerprint(settings), settings)


def lines(store: RecordStore, stage: str = "results") -> list[str]:
    return (store.folder / f"{stage}.jsonl").read_text(encoding="utf-8").splitlines()


def test_a_last_line_cut_short_is_ignored_and_cut_before_the_next_append(tmp_path):
    store = make_store(tmp_path)
    store.append("results", [{"key": "a", "v": 1}, {"key": "b", "v": 2}])
    with open(store.folder / "results.jsonl", "ab") as fh:
        fh.write(b'{"key": "c", "v"')  # the kill came in the middle of the line
    assert sorted(store.load("results")) == ["a", "b"]
    store = make_store(tmp_path)  # the rerun
    store.append("results", [{"key": "c", "v": 3}])
    assert [json.loads(line) for line in lines(store)] == [
        {"key": "a", "v": 1}, {"key": "b", "v": 2}, {"key": "c", "v": 3}]


def test_a_whole_last_line_without_its_newline_is_kept(tmp_path):
    store = make_store(tmp_path)
    store.append("results", [{"key": "a", "v": 1}])
    with open(store.folder / "results.jsonl", "ab") as fh:
        fh.write(b'{"key": "b", "v": 2}')  # the kill came just before the newline
    assert store.load("results")["b"] == {"key": "b", "v": 2}  # counted as done ...
    store = make_store(tmp_path)
    store.append("results", [{"key": "c", "v": 3}])
    assert sorted(store.load("results")) == ["a", "b", "c"]  # ... so it must not be cut off
    assert [json.loads(line)["key"] for line in lines(store)] == ["a", "b", "c"]


@pytest.mark.parametrize(("tail", "kept"), [
    (b'{"key": "only", "v": 1}', ["only"]),  # a single line, whole
    (b'{"key": "only", "v"', []),             # a single line, cut short
    (b'[1, 2]', []),                          # valid JSON but no record: ignored and cut
    ('{"key": "é", "v": 1}'.encode(), ["é"]),
])
def test_read_and_append_agree_on_what_a_finished_line_is(tmp_path, tail, kept):
    store = make_store(tmp_path)
    (store.folder / "results.jsonl").write_bytes(tail)
    assert list(read_records(store.folder / "results.jsonl")) == kept
    store.append("results", [{"key": "next"}])
    assert list(store.load("results")) == [*kept, "next"]
    assert all(json.loads(line)["key"] in [*kept, "next"] for line in lines(store))


def test_a_batch_of_records_is_written_in_one_write(tmp_path, monkeypatch):
    store = make_store(tmp_path)
    calls: list[int] = []
    write = os.write

    def spy(fd: int, data: bytes) -> int:
        calls.append(len(data))
        return write(fd, data)

    monkeypatch.setattr(records_module.os, "write", spy)
    store.append("results", [{"key": str(i), "v": i} for i in range(5)])
    store.append("results", [])
    monkeypatch.undo()
    assert len(calls) == 1
    assert list(store.load("results")) == ["0", "1", "2", "3", "4"]


def test_pending_batches_cover_fixed_positions_and_name_the_missing_keys():
    keys = [f"k{i}" for i in range(7)]
    batches = pending_batches(keys, 3, {"k0", "k1", "k2", "k4"})
    assert [b.positions for b in batches] == [(3, 4, 5), (6,)]  # a part-done batch is run whole
    assert [sorted(b.missing) for b in batches] == [["k3", "k5"], ["k6"]]
    records = [{"key": keys[p]} for p in batches[0].positions]
    assert batches[0].new_records(records) == [{"key": "k3"}, {"key": "k5"}]
    assert pending_batches(keys, 3, set(keys)) == []
    assert [b.positions for b in pending_batches(keys, 10, set())] == [tuple(range(7))]
    with pytest.raises(InvalidArgumentError, match="size=0"):
        pending_batches(keys, 0, set())


def test_the_settings_file_is_written_atomically_and_refuses_other_settings(tmp_path):
    make_store(tmp_path)
    marker = json.loads((tmp_path / "records" / "config.json").read_text())
    assert marker == {"fingerprint": settings_fingerprint({"beta": 0.7}), "settings": {"beta": 0.7}}
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["config.json"]  # no temporary left
    with pytest.raises(InvalidArgumentError, match=r"beta=0.7 in that run, 0.5 now"):
        RecordStore(tmp_path, settings_fingerprint({"beta": 0.5}), {"beta": 0.5})
