"""Pinning the thread pools of torch, numba and BLAS, so results do not depend on where a unit ran.

A CPU convolution or matrix product may split its sums differently with another number of
threads, which changes the last bits of the result. Every executor therefore runs each work unit
with the same number of threads (``threads``, default 1) in torch, numba and the BLAS/OpenMP
libraries (via ``threadpoolctl``): a serial run, a run on local processes and a run on a Dask
cluster give bit-identical numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["pin_threads", "pinned_threads"]


def pin_threads(threads: int) -> None:
    """Set torch's, numba's and the BLAS libraries' thread counts in this process (not undone).

    Used in worker processes, which belong to the executor. numba's setting is per thread, so
    it is applied again before every unit.

    Args:
        threads: Threads per pool.
    """
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    threadpool_limits(limits=threads)


@contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Context manager: :func:`pin_threads` inside, the previous settings restored afterwards.

    Used to run units in the caller's own process (:class:`~hybridxai.runs.execution.SerialExecutor`).

    Args:
        threads: Threads per pool.

    Yields:
        Nothing.
    """
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    old_torch, old_numba = torch.get_num_threads(), numba.get_num_threads()
    with threadpool_limits(limits=threads):
        try:
            pin_threads(threads)
            yield
        finally:
            if torch.get_num_threads() != old_torch:
                torch.set_num_threads(old_torch)
            numba.set_num_threads(old_numba)
