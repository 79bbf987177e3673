"""Running dataset-scale work (reproductions, beta sweeps) on one or many cores, or a cluster.

One interface, :class:`Executor`, with three implementations:

* :class:`SerialExecutor` — in this process, one unit after another (debugging, tests);
* :class:`ProcessExecutor` — a pool of local processes (the default);
* :class:`DaskExecutor` — a Dask distributed cluster (``pip install 'hybridxai[dask]'``).

:meth:`Executor.map_unordered` runs ``fn(shared, item)`` for each item and yields a
:class:`UnitOutcome` as each unit finishes; failed units are retried, and reported (never
dropped) if they keep failing. Every executor pins torch/numba/BLAS to the same number of threads
per unit, so the results are identical wherever a unit ran. :func:`make_executor` picks one from
``--workers`` / ``--scheduler``; :func:`check_scheduler` checks a ``--scheduler`` value (its form, and that
a Dask scheduler answers there) where the arguments are parsed, before any model work.

Example:
    >>> from hybridxai.runs.execution import make_executor
    >>> def scale(factor, x):
    ...     return factor * x
    >>> with make_executor(workers=1) as executor:
    ...     sorted(o.value for o in executor.map_unordered(scale, [1, 2, 3], shared=10))
    [10, 20, 30]
"""

from __future__ import annotations

from typing import Any

from hybridxai.runs.execution.base import Executor, UnitOutcome, UnitsFailedError
from hybridxai.runs.execution.factory import make_executor
from hybridxai.runs.execution.local import ProcessExecutor, SerialExecutor, default_workers
from hybridxai.runs.execution.scheduler import check_address, check_scheduler

__all__ = [
    "Executor", "UnitOutcome", "UnitsFailedError",
    "SerialExecutor", "ProcessExecutor", "DaskExecutor",
    "make_executor", "default_workers", "check_address", "check_scheduler",
]


def __getattr__(name: str) -> Any:
    if name == "DaskExecutor":  # imported lazily: dask is optional
        from hybridxai.runs.execution.dask_executor import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
