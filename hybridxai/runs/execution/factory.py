"""Choosing an executor from command-line style settings (``--workers``, ``--scheduler``)."""

from __future__ import annotations

from hybridxai.exceptions import invalid_argument
from hybridxai.runs.execution.base import Executor
from hybridxai.runs.execution.local import ProcessExecutor, SerialExecutor, check_workers, default_workers

__all__ = ["make_executor"]


def make_executor(workers: int | None = None, scheduler: str | None = None, *, threads: int = 1,
                  retries: int = 2, timeout: float = 5.0) -> Executor:
    """Build the executor for a dataset-scale run.

    * ``scheduler`` given: a :class:`~hybridxai.runs.execution.DaskExecutor` connected to it;
    * ``workers`` > 1 (default: the CPUs available, at most 8): a
      :class:`~hybridxai.runs.execution.ProcessExecutor` with that many local processes;
    * ``workers`` == 1 (or one CPU): a :class:`~hybridxai.runs.execution.SerialExecutor`, in this
      process.

    Every executor runs each unit with ``threads`` threads, so all give identical results.

    Args:
        workers: Local worker processes (not combined with ``scheduler``).
        scheduler: Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
        threads: Threads for torch/numba/BLAS per unit (default 1).
        retries: Extra attempts for a failed unit (default 2).
        timeout: Seconds to wait for the Dask scheduler (default 5).

    Returns:
        The executor; close it (or use it in a ``with`` block) when done.

    Raises:
        InvalidArgumentError: ``workers`` not a positive integer, a malformed ``scheduler``, or
            both given.
        MissingDependencyError: ``scheduler`` given but dask[distributed] is not installed.
        ServiceUnavailableError: No scheduler answered at ``scheduler``.

    Example:
        >>> make_executor(workers=1)
        <SerialExecutor: this process, threads=1, retries=2>
    """
    if scheduler is not None:
        if workers is not None:
            raise invalid_argument("workers", workers, "applies to local processes, not to a Dask "
                                   "cluster", "drop --workers when using --scheduler (the "
                                   "cluster's workers run the units)")
        from hybridxai.runs.execution.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, threads=threads, retries=retries, timeout=timeout)
    count = default_workers() if workers is None else check_workers(workers)
    if count == 1:
        return SerialExecutor(threads=threads, retries=retries)
    return ProcessExecutor(count, threads=threads, retries=retries)
