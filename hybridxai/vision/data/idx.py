"""A numpy reader (and writer, for tests) of the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
``uint32`` dimension sizes, then the data in C order, big-endian. Files may be gzip-compressed
(``.gz``); compression is detected from the content, not from the name.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hybridxai.exceptions import invalid_argument

__all__ = ["read_idx", "write_idx", "IDX_TYPES"]

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code → numpy dtype (big-endian where it matters)."""

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head == _GZIP_MAGIC:
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def read_idx(path: str | Path) -> NDArray[np.generic]:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Args:
        path: The file, e.g. ``/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz``.

    Returns:
        The array, with the file's shape and a native-endian dtype (``uint8`` for images and
        labels).

    Raises:
        InvalidArgumentError: The file does not exist, is not IDX, or is truncated.

    Example:
        >>> import tempfile, numpy as np
        >>> p = Path(tempfile.mkdtemp()) / "x.idx"
        >>> write_idx(p, np.arange(6, dtype=np.uint8).reshape(2, 3))
        >>> read_idx(p)
        array([[0, 1, 2],
               [3, 4, 5]], dtype=uint8)
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise invalid_argument("path", str(path), "no such file",
                               "pass the path of an IDX file such as train-images-idx3-ubyte.gz")
    raw = _read_bytes(p)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise invalid_argument("path", str(path), "is not an IDX file (bad magic number)",
                               "pass an MNIST-style IDX file (optionally .gz)")
    code, ndim = raw[2], raw[3]
    dtype = IDX_TYPES.get(code)
    if dtype is None:
        raise invalid_argument("path", str(path), f"has unknown IDX type code 0x{code:02x}",
                               f"use one of {[hex(c) for c in IDX_TYPES]}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise invalid_argument("path", str(path), "is truncated inside the header",
                               "re-download or re-install the file")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        raise invalid_argument(
            "path", str(path),
            f"holds {len(raw)} bytes but its header {shape} ({dtype}) needs {expected}",
            "re-download or re-install the file (it is truncated or corrupt)",
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | Path, array: NDArray[np.generic], *, compress: bool | None = None) -> None:
    """Write an array as an IDX file (used by tests and to make small local copies).

    Args:
        path: Output file. Compressed with gzip when ``compress`` is true, or when it is
            ``None`` and the name ends with ``.gz``.
        array: Array of one of the IDX dtypes (uint8, int8, int16, int32, float32, float64).
        compress: Force or disable gzip compression.

    Raises:
        InvalidArgumentError: The dtype has no IDX type code.
    """
    arr = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    native = arr.dtype.newbyteorder("=")
    code = codes.get(native)
    if code is None:
        raise invalid_argument("array", arr, f"dtype {arr.dtype} has no IDX type code",
                               "convert it, e.g. array.astype(np.uint8)")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    body = arr.astype(IDX_TYPES[code], copy=False).tobytes(order="C")
    p = Path(path)
    gz = p.suffix == ".gz" if compress is None else compress
    if gz:
        with gzip.open(p, "wb") as fh:
            fh.write(header + body)
    else:
        p.write_bytes(header + body)
