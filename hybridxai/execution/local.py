"""Executors on this machine: in the calling process, or in a pool of local processes.

:class:`ProcessExecutor` starts its workers with the ``spawn`` method (safe with torch and
threads; scripts that use it must guard their entry point with ``if __name__ == "__main__":``).
The shared context of a :meth:`~hybridxai.execution.Executor.map_unordered` call is pickled
once into a temporary file, and each worker loads it the first time it runs a unit of that call.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from hybridxai.exceptions import invalid_argument
from hybridxai.execution.base import Executor, Session, error_summary, run_unit
from hybridxai.execution.threads import pin_threads, pinned_threads

__all__ = ["SerialExecutor", "ProcessExecutor", "default_workers", "check_workers"]


def default_workers() -> int:
    """The number of CPUs this process may use, at most 8 (each worker holds its own model).

    Returns:
        A positive worker count.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def check_workers(workers: object) -> int:
    """Validate a worker count.

    Args:
        workers: The requested number of worker processes.

    Returns:
        It, as an ``int``.

    Raises:
        InvalidArgumentError: Not a positive integer.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise invalid_argument("workers", workers, "must be a positive integer",
                               f"pass e.g. --workers {default_workers()} (the CPUs available "
                               "here); --workers 1 runs everything in this process")
    return workers


def check_picklable(name: str, value: Any, fix: str) -> bytes:
    """Pickle ``value`` or raise an error naming it (lambdas and closures cannot be sent).

    Args:
        name: The argument's name.
        value: The object to send to workers.
        fix: What to do instead.

    Returns:
        The pickled bytes.
    """
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - pickle raises many types
        raise invalid_argument(name, value, f"cannot be sent to worker processes ({error_summary(exc)})",
                               fix) from exc


class _SerialSession(Session):
    def __init__(self, fn: Callable[[Any, Any], Any], shared: Any, threads: int) -> None:
        self._fn, self._shared, self._threads = fn, shared, threads
        self._queue: deque[tuple[int, Any]] = deque()

    def submit(self, index: int, item: Any) -> None:
        self._queue.append((index, item))

    def next_done(self) -> tuple[int, bool, Any, str | None]:
        index, item = self._queue.popleft()
        with pinned_threads(self._threads):
            ok, value, details = run_unit(self._fn, self._shared, item)
        return index, ok, value, details

    def close(self) -> None:
        self._queue.clear()


class SerialExecutor(Executor):
    """Runs units one after another in this process (for debugging, tests and one-CPU machines).

    Args:
        threads: Threads for torch/numba/BLAS during a unit (restored afterwards; default 1).
        retries: Extra attempts for a failed unit (default 2).

    Example:
        >>> from hybridxai.execution import SerialExecutor
        >>> def square(offset, x):
        ...     return x * x + offset
        >>> sorted(o.value for o in SerialExecutor().map_unordered(square, [1, 2, 3], shared=10))
        [11, 14, 19]
    """

    @property
    def workers(self) -> int:
        """Always 1."""
        return 1

    def describe(self) -> str:
        """``"this process"``."""
        return "this process"

    def _open(self, fn: Callable[[Any, Any], Any], shared: Any) -> Session:
        return _SerialSession(fn, shared, self.threads)


# --- worker side of ProcessExecutor -------------------------------------------------------------

_WORKER_SHARED: tuple[str, Any] | None = None


def _worker_init(threads: int) -> None:
    pin_threads(threads)


def _process_unit(token: str, path: str, threads: int, fn: Callable[[Any, Any], Any],
                  item: Any) -> tuple[bool, Any, str | None]:
    global _WORKER_SHARED
    try:
        if _WORKER_SHARED is None or _WORKER_SHARED[0] != token:
            _WORKER_SHARED = None  # free the previous call's context first
            with open(path, "rb") as fh:
                _WORKER_SHARED = (token, pickle.load(fh))
        pin_threads(threads)
    except Exception as exc:  # noqa: BLE001
        import traceback

        return False, f"could not load the shared context: {error_summary(exc)}", traceback.format_exc()
    return run_unit(fn, _WORKER_SHARED[1], item)


# --- parent side ---------------------------------------------------------------------------------


class _ProcessSession(Session):
    def __init__(self, executor: ProcessExecutor, fn: Callable[[Any, Any], Any], shared: Any) -> None:
        fix = "make the unit function a module-level function and the shared context picklable"
        check_picklable("fn", fn, fix)
        payload = check_picklable("shared", shared, fix)
        self._executor, self._fn = executor, fn
        self._token = uuid.uuid4().hex
        fd, self._path = tempfile.mkstemp(prefix="hybridxai-shared-", suffix=".pkl")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        self._running: dict[Future[Any], int] = {}
        self._finished: deque[tuple[int, bool, Any, str | None]] = deque()

    def submit(self, index: int, item: Any) -> None:
        token, path, threads, fn = self._token, self._path, self._executor.threads, self._fn
        try:
            future = self._executor._pool().submit(_process_unit, token, path, threads, fn, item)
        except BrokenProcessPool:  # a worker died earlier: start a fresh pool
            pool = self._executor._pool(restart=True)
            future = pool.submit(_process_unit, token, path, threads, fn, item)
        self._running[future] = index

    def next_done(self) -> tuple[int, bool, Any, str | None]:
        while not self._finished:
            if not self._running:
                raise RuntimeError("next_done() called with no unit submitted")
            done, _ = wait(list(self._running), return_when=FIRST_COMPLETED)
            for future in done:
                index = self._running.pop(future)
                try:
                    ok, value, details = future.result()
                except BrokenProcessPool as exc:
                    ok, value, details = False, f"a worker process died ({error_summary(exc)})", None
                except Exception as exc:  # noqa: BLE001 - e.g. an item or result that cannot be pickled
                    ok, value, details = False, error_summary(exc), None
                self._finished.append((index, ok, value, details))
        return self._finished.popleft()

    def close(self) -> None:
        for future in self._running:
            if not future.cancel():
                self._executor._abandoned = True  # still running: stop the workers on close()
        self._running.clear()
        try:
            os.unlink(self._path)
        except OSError:
            pass


class ProcessExecutor(Executor):
    """Runs units in a pool of local worker processes (the default for dataset-scale runs).

    Args:
        workers: Number of processes (default :func:`default_workers`).
        threads: Threads for torch/numba/BLAS in each worker (default 1).
        retries: Extra attempts for a failed unit (default 2). A worker that dies (e.g. killed
            for memory) fails its unit; the pool is restarted and the unit retried.

    Example:
        >>> with ProcessExecutor(workers=2) as executor:                          # doctest: +SKIP
        ...     for outcome in executor.map_unordered(work, batches, shared=context):
        ...         print(outcome.item, outcome.ok)
    """

    def __init__(self, workers: int | None = None, *, threads: int = 1, retries: int = 2) -> None:
        super().__init__(threads=threads, retries=retries)
        self._workers = default_workers() if workers is None else check_workers(workers)
        self._executor: ProcessPoolExecutor | None = None
        self._abandoned = False

    @property
    def workers(self) -> int:
        """Number of worker processes."""
        return self._workers

    def describe(self) -> str:
        """``"<n> local processes"``."""
        return f"{self._workers} local process{'es' if self._workers > 1 else ''}"

    def _pool(self, restart: bool = False) -> ProcessPoolExecutor:
        if restart and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init, initargs=(self.threads,),
            )
        return self._executor

    def _open(self, fn: Callable[[Any, Any], Any], shared: Any) -> Session:
        return _ProcessSession(self, fn, shared)

    def close(self) -> None:
        """Stop the worker processes; units abandoned by an interrupted run are not waited for."""
        if self._executor is None:
            return
        pool, self._executor = self._executor, None
        if not self._abandoned:
            pool.shutdown(wait=True)
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)
        self._abandoned = False
