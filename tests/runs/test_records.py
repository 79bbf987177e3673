"""``hybridxai.runs.records``: durable JSON-lines records, the end of a killed write, the resume policy."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.runs import records as records_module
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


# -- reliability: fingerprints by value, damaged markers, a full disk --------------------------


def test_s1_a_sampler_instance_is_fingerprinted_by_its_configuration():
    from hybridxai.backends.sa import SimulatedAnnealingSampler

    one = settings_fingerprint({"backend": SimulatedAnnealingSampler(num_reads=8)})
    same = settings_fingerprint({"backend": SimulatedAnnealingSampler(num_reads=8)})
    other = settings_fingerprint({"backend": SimulatedAnnealingSampler(num_reads=9)})
    assert one == same != other
    described = records_module.fingerprint_value(SimulatedAnnealingSampler(num_reads=8))
    assert described["type"].endswith("SimulatedAnnealingSampler")
    assert described["state"]["defaults"]["num_reads"] == 8


def test_s4_a_callable_schedule_is_fingerprinted_by_value_not_address():
    def square(u: float) -> float:
        return u * u

    def also_square(u: float) -> float:
        return u**2

    def cube(u: float) -> float:
        return u**3

    assert "0x" not in json.dumps(records_module.fingerprint_value({"schedule": square}))
    fingerprints = [settings_fingerprint({"schedule": f}) for f in (square, square, cube)]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
    # the same values under another name are another function: the name is kept
    assert settings_fingerprint({"schedule": also_square}) != fingerprints[0]
    values = records_module.fingerprint_value(square)["values"]
    assert values == [u * u for u in records_module._GRID]


def test_s4_a_callable_that_cannot_be_sampled_is_never_resumed(tmp_path):
    def needs_two(u: float, v: float) -> float:
        return u + v

    settings = {"schedule": needs_two}
    assert settings_fingerprint(settings) != settings_fingerprint(settings)  # a fresh one each time
    RecordStore(tmp_path, settings_fingerprint(settings), settings)
    stored = json.loads((tmp_path / "records" / "config.json").read_text())
    assert stored["settings"]["schedule"]["values"] == records_module.NOT_COMPARABLE
    with pytest.raises(InvalidArgumentError, match="cannot be compared") as err:
        RecordStore(tmp_path, settings_fingerprint(settings), settings)
    assert "new --out" in str(err.value)


def test_fingerprints_of_plain_settings_are_unchanged():
    settings = {"beta": 0.7, "seed": 3, "name": "x", "sizes": (1, 2), "none": None}
    text = json.dumps(records_module.to_jsonable(settings), sort_keys=True)
    import hashlib

    assert settings_fingerprint(settings) == hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("content", ['{"fingerprint": "ab", "settings": {', "\xff\xfe",
                                     '["not", "a marker"]'])
def test_c2_a_damaged_settings_file_is_one_clear_error_naming_it(tmp_path, content):
    marker = tmp_path / "records" / "config.json"
    marker.parent.mkdir()
    marker.write_bytes(content.encode("latin-1"))
    with pytest.raises(InvalidArgumentError) as err:
        make_store(tmp_path)
    message = str(err.value)
    assert str(marker) in message and "\n" not in message
    assert err.value.__cause__ is None


def test_u5_a_full_disk_leaves_no_half_line_and_says_so(tmp_path, monkeypatch):
    import errno

    store = make_store(tmp_path)
    store.append("results", [{"key": "a"}])
    before = (store.folder / "results.jsonl").read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: Any) -> int:
        if len(data) > 10:
            return real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(records_module.os, "write", half_then_full)
    with pytest.raises(OSError, match="disk full") as err:
        store.append("results", [{"key": "b", "value": "x" * 50}])
    assert err.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert (store.folder / "results.jsonl").read_bytes() == before
    store.append("results", [{"key": "c"}])
    assert list(store.load("results")) == ["a", "c"]


def test_u5_write_atomic_on_a_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    import errno

    from hybridxai._util.fileio import write_atomic

    path = tmp_path / "summary.csv"
    path.write_text("old", encoding="utf-8")

    def fill(p: Path) -> None:
        p.write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device", str(p))

    with pytest.raises(OSError, match="disk full") as err:
        write_atomic(path, fill)
    assert err.value.filename == str(path)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
