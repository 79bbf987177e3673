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

import types
from collections.abc import Callable
from typing import Any

import numba

__all__ = ["serial_and_parallel"]


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
