"""Arrays whose data start on a cache line, for the numba kernels over ``2**d`` amplitudes.

glibc serves a large ``numpy.empty`` from its own ``mmap``, behind a 16-byte chunk header:
the data start 16 bytes past a page, so every 32-byte SIMD load of a row runs across a
cache-line boundary every other time. numpy has no Python-level option for aligned data
(``numpy.empty`` takes what its allocator, ``malloc`` here, returns; the allocator can only
be replaced from C, through NEP 49's ``PyDataMem_SetHandler``), so :func:`aligned_empty`
over-allocates one cache line and slices the array to start on one.
The ``H(s)·v`` product at d = 24 took 92.1 ms from and into rows 16 bytes past a cache line
and 70.0 ms between rows on one, 71.2 and 59.3 ms in float32 (d = 22: 14.7 against 11.5 ms;
``python benchmarks/bench_gap.py --alignment 22 24``); a plain ``numpy.add`` of the same
rows, which only streams, takes the same time either way.
The native annealer's 1000 steps at d = 20 took 2.56–2.63 s instead of 2.75–2.79 s in
complex128 and 1.34–1.39 s instead of 1.44–1.45 s in complex64 (docs/benchmarks.md,
fifteenth round).

Example:
    >>> a = aligned_empty((3, 1000))
    >>> a.ctypes.data % CACHE_LINE, a.shape, a.dtype.name, a.flags.c_contiguous
    (0, (3, 1000), 'float64', True)
    >>> aligned_empty(5, np.float32, zero=True).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import mmap

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["CACHE_LINE", "aligned_empty", "aligned_copy", "all_rows"]

CACHE_LINE = 64
"""Bytes of a cache line (and of an AVX-512 register): where :func:`aligned_empty` starts."""


def aligned_empty(shape: int | tuple[int, ...], dtype: DTypeLike = np.float64, *,
                  zero: bool = False, huge_pages: bool = True) -> NDArray:
    """A C-contiguous array like ``numpy.empty(shape, dtype)`` whose data start on a cache line.

    Args:
        shape: The shape.
        dtype: The element type.
        zero: Fill it with zeros (``numpy.zeros``: the pages are still only touched when
            written, as ``calloc`` does).
        huge_pages: Let numpy advise the kernel to back it with huge pages (numpy does for
            arrays of 4 MiB on). ``False``: an anonymous mapping of its own (page-aligned,
            zero-filled, never advised), for arrays written once and then only streamed:
            where the kernel compacts memory at the first touch to find huge pages
            (``/sys/kernel/mm/transparent_hugepage/defrag`` = ``madvise``, as on the 2-core
            machine), a fresh float32 row of 2**24 amplitudes took about 95 ms to write
            against about 30 ms on plain pages, and an adaptive ``gap_profile`` at d = 22,
            whose warm starts are such arrays, 26.4–28.3 s against 23.8–23.9 s
            (docs/benchmarks.md, nineteenth round).

    Returns:
        The array: a view of a byte buffer one cache line longer (its ``base``), or with
        ``huge_pages=False`` of a byte buffer over its own mapping.

    Example:
        >>> b = aligned_empty((2, 3), np.float32, huge_pages=False)
        >>> b.ctypes.data % CACHE_LINE, b.tolist()
        (0, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    """
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if not huge_pages:
        buffer = np.frombuffer(mmap.mmap(-1, max(size, 1)), dtype=np.uint8)
        return buffer[:size].view(dtype).reshape(shape)
    buffer = (np.zeros if zero else np.empty)(size + CACHE_LINE, dtype=np.uint8)
    start = -buffer.ctypes.data % CACHE_LINE
    return buffer[start:start + size].view(dtype).reshape(shape)


def aligned_copy(array: NDArray, dtype: DTypeLike | None = None) -> NDArray:
    """A copy of ``array`` (cast to ``dtype`` if given) that starts on a cache line.

    Example:
        >>> b = aligned_copy(np.arange(4.0), np.float32)
        >>> b.tolist(), b.dtype.name, b.ctypes.data % CACHE_LINE
        ([0.0, 1.0, 2.0, 3.0], 'float32', 0)
    """
    array = np.asarray(array)
    out = aligned_empty(array.shape, array.dtype if dtype is None else dtype)
    out[...] = array
    return out


def all_rows(rows: NDArray) -> NDArray:
    """The rows of an :func:`aligned_empty` array that ``rows``, its first rows, begin.

    A view's ``base`` is the byte buffer, not the 2-D array it was cut from, so a solver that
    returns ``out[:k]`` of a larger aligned array hides the rest; this gives every row the
    buffer holds from ``rows[0]`` on (for an array cut as ``a[:k]``, ``a`` itself, or one row
    more where a row is shorter than the cache line of padding), also where the rows are
    padded apart (each row contiguous, the stride between rows larger: the Davidson solver's
    rows staggered over the cache sets). Anything else comes back as it is.

    Example:
        >>> a = aligned_empty((5, 100))
        >>> all_rows(a[:2]).shape, all_rows(a[:2]).ctypes.data == a.ctypes.data
        ((5, 100), True)
        >>> padded = aligned_empty((4, 12))[:, :10]  # rows of 10 amplitudes, 12 apart
        >>> all_rows(padded[:2]).shape, all_rows(padded[:2]).strides == padded.strides
        ((4, 10), True)
        >>> b = np.zeros((3, 4))
        >>> all_rows(b[:1]).shape  # not an aligned array: as it is
        (1, 4)
    """
    base = rows.base
    if (rows.ndim != 2 or not isinstance(base, np.ndarray) or base.ndim != 1
            or base.dtype != np.uint8 or 0 in rows.shape or rows.strides[1] != rows.itemsize
            or rows.strides[0] < rows.shape[1] * rows.itemsize):
        return rows
    offset = rows.ctypes.data - base.ctypes.data
    width = rows.shape[1] * rows.itemsize
    count = (base.nbytes - offset - width) // rows.strides[0] + 1  # the last row must fit whole
    return np.ndarray((count, rows.shape[1]), rows.dtype, buffer=base, offset=offset,
                      strides=rows.strides)
