"""The numpy IDX reader on tiny files written by the test."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.vision.data import read_idx, write_idx


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip_uint8(tmp_path, name: str) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, images)
    out = read_idx(tmp_path / name)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)


def test_reads_a_hand_written_file(tmp_path) -> None:
    # magic 0x00000801 (uint8, 1 dim), size 3, then 3 labels: the MNIST label layout
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9])
    (tmp_path / "labels.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), [7, 0, 9])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_other_types_are_big_endian_on_disk(tmp_path, dtype) -> None:
    data = (np.arange(6) - 2).astype(dtype).reshape(3, 2)
    write_idx(tmp_path / "x.idx", data)
    raw = (tmp_path / "x.idx").read_bytes()
    assert raw[4:12] == bytes([0, 0, 0, 3, 0, 0, 0, 2])
    assert raw[12:] == data.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    out = read_idx(tmp_path / "x.idx")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, data)


def test_bad_files_name_the_problem(tmp_path) -> None:
    with pytest.raises(InvalidArgumentError, match="no such file"):
        read_idx(tmp_path / "missing.gz")
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(InvalidArgumentError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(InvalidArgumentError, match="truncated or corrupt"):
        read_idx(tmp_path / "short")
    (tmp_path / "type").write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 1]))
    with pytest.raises(InvalidArgumentError, match="type code"):
        read_idx(tmp_path / "type")
    with pytest.raises(InvalidArgumentError, match="dtype"):
        write_idx(tmp_path / "u16", np.zeros(2, np.uint16))
