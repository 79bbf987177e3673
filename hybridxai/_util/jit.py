"""A serial and a threaded numba compilation of one kernel, each with its own on-disk cache.

numba's cache (``cache=True``) names its files after the function's qualified name and first
line. Two dispatchers made from one Python function, ``njit(parallel=False)`` and
``njit(parallel=True)``, therefore share one cache entry, and whichever variant is compiled
first is loaded for both from then on: a test run that compiled the serial variant at small
``d`` made every later "threaded" call at large ``d`` run on one thread (measured: the
``H(s)·v`` product at ``d = 24`` takes 225 ms serial and 107 ms threaded, and before this
helper the threaded name gave the serial time; ``python benchmarks/bench_gap.py --kernels``,
docs/benchmarks.md). :func:`serial_and_parallel`
compiles a copy of the function under a distinct name for each variant.

Example:
    >>> import numpy as np
    >>> def total(x):
    ...     acc = 0.0
    ...     for i in numba.prange(x.shape[0]):
    ...         acc += x[i]
    ...     return acc
    >>> serial, parallel = serial_and_parallel(total, cache=False)
    >>> float(serial(np.ones(8))), float(parallel(np.ones(8)))
    (8.0, 8.0)
    >>> serial.py_func.__qualname__, parallel.py_func.__qualname__
    ('total_serial', 'total_parallel')
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

__all__ = ["serial_and_parallel", "threads_respond", "row_major"]


def _renamed(func: Callable[..., Any], suffix: str) -> types.FunctionType:
    assert isinstance(func, types.FunctionType)
    copy = types.FunctionType(func.__code__, func.__globals__, f"{func.__name__}_{suffix}",
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = f"{func.__qualname__}_{suffix}"
    copy.__module__ = func.__module__
    copy.__doc__ = func.__doc__
    return copy


def serial_and_parallel(func: Callable[..., Any], *, cache: bool = True,
                        **options: Any) -> tuple[Any, Any]:
    """Compile ``func`` twice: ``parallel=False`` and ``parallel=True`` (``numba.prange`` threaded).

    Args:
        func: A module-level function written for ``numba.njit`` (``numba.prange`` loops run
            as plain ranges in the serial variant).
        cache: Cache the compiled code on disk (one entry per variant).
        **options: Further ``numba.njit`` options (``fastmath``, ``nogil``, ...).

    Returns:
        ``(serial, parallel)`` dispatchers.
    """
    serial = numba.njit(parallel=False, cache=cache, **options)(_renamed(func, "serial"))
    parallel = numba.njit(parallel=True, cache=cache, **options)(_renamed(func, "parallel"))
    return serial, parallel


def row_major(a: np.ndarray) -> np.ndarray:
    """A C-contiguous view of a 2-D array whose rows are contiguous but padded apart.

    numba compiles a kernel once per array layout, and for a 2-D array that is not
    C-contiguous (rows padded apart, as :func:`hybridxai.anneal.eigensolvers.staggered_rows`
    makes them from rows of 1 MiB on) it cannot assume that a row's elements are adjacent, so
    the loops over a row do not vectorise: the Gram matrix of 16 × 4 such rows at d = 20 took
    44 ms against 11 ms on the same rows seen C-contiguously (2-core machine, ``python
    benchmarks/bench_gap.py --kernels``; docs/benchmarks.md, fifth round). This returns the
    rows with their padding, ``shape[1]`` being the row stride, so a kernel must take the row
    length from elsewhere and never touch the padding. Any other array (C-contiguous already,
    rows not contiguous, or the last row's padding outside the buffer) comes back unchanged.

    Args:
        a: A 2-D array.

    Returns:
        ``a``, or a view of the same memory with ``view[:, :a.shape[1]]`` equal to ``a``.

    Example:
        >>> buffer = np.arange(12.0)
        >>> a = buffer.reshape(3, 4)[:, :3]  # rows of 3, four apart
        >>> a.flags.c_contiguous
        False
        >>> view = row_major(a)
        >>> view.flags.c_contiguous, view.shape, bool((view[:, :3] == a).all())
        (True, (3, 4), True)
        >>> strided = buffer.reshape(4, 3)[:, ::2]  # rows not contiguous: unchanged
        >>> row_major(strided) is strided
        True
    """
    if a.ndim != 2 or a.flags.c_contiguous or a.shape[0] == 0:
        return a
    item, stride = a.itemsize, a.strides[0]
    if a.strides[1] != item or stride % item or stride < a.shape[1] * item:
        return a
    root, base = a, a.base
    while base is not None:  # the owner of the memory (as_strided puts a non-array between)
        if isinstance(base, np.ndarray):
            root = base
        base = getattr(base, "base", None)
    if not root.flags.c_contiguous:
        return a
    start = a.__array_interface__["data"][0]
    if start + a.shape[0] * stride > root.__array_interface__["data"][0] + root.nbytes:
        return a
    return np.lib.stride_tricks.as_strided(a, shape=(a.shape[0], stride // item),
                                           strides=(stride, item), writeable=a.flags.writeable)


def _touch(x):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        x[i] += 1.0


_touch_serial, _touch_parallel = serial_and_parallel(_touch, nogil=True)

REGION_SECONDS = 2e-4
"""A threaded region that takes longer than this to start and finish means a busy machine."""


def threads_respond(regions: int = 64) -> bool:
    """Whether numba's threads start a parallel region promptly here and now.

    On an idle machine a ``prange`` region over a small array costs some 10 µs. When another
    process occupies the cores, each region waits for the operating system to schedule every
    worker thread, about a millisecond or more, and code that opens thousands of regions gets
    several times *slower* than on one thread (measured: ``gap_profile`` of the ``chelsea``
    QUBO at d = 16 took 106 s threaded and 13 s serial with one other busy process on the
    2-core machine, 7.1 s threaded when idle; docs/benchmarks.md). On a busy machine most
    regions still start at once and one in five to twelve waits 6–9 ms, so this times up to
    ``regions`` small regions after a warm-up and says whether their mean stays below
    :data:`REGION_SECONDS` (it stops as soon as the total exceeds that budget, so a busy
    machine costs about ``regions × REGION_SECONDS``, 13 ms); it is ``False`` at once when
    numba has a single thread.

    Returns:
        ``True`` when threaded kernels are worth it now.

    Example:
        >>> isinstance(threads_respond(), bool)
        True
    """
    if numba.get_num_threads() < 2:
        return False
    probe = np.zeros(1 << 12)
    _touch_parallel(probe)
    budget = regions * REGION_SECONDS
    start = time.perf_counter()
    for _ in range(regions):
        _touch_parallel(probe)
        if time.perf_counter() - start > budget:
            return False
    return True
