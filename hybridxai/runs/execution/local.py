"""Executors on this machine: in the calling process, or in a pool of local processes.

:class:`ProcessExecutor` starts its workers with the ``spawn`` method (safe with torch and
threads; scripts that use it must guard their entry point with ``if __name__ == "__main__":``).
The shared context of a :meth:`~hybridxai.runs.execution.Executor.map_unordered` call is pickled
once into a temporary folder, and each worker loads it the first time it runs a unit of that call.

A worker process that dies (killed for memory, a crash in native code) breaks the whole pool:
every unit still in it fails. Those units do not lose an attempt for that: the pool is
restarted, the units that had not started yet are simply run again, and the ones that were
running (each worker marks the units it starts in the temporary folder) are run again one at a
time, so the unit that kills its worker is found and only it loses attempts.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import shutil
import tempfile
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument
from hybridxai.runs.execution.base import Executor, Session, error_summary, run_unit
from hybridxai.runs.execution.threads import pinned_threads

__all__ = ["SerialExecutor", "ProcessExecutor", "default_workers", "check_workers", "check_picklable"]

#: Pool restarts in a row after which a session gives up on its remaining units: breaks where no
#: unit was running (workers dying at start-up) or several were (then run one at a time).
MAX_IDLE_RESTARTS = 3
#: Seconds to wait for the other units of a broken pool to report it.
_BROKEN_POOL_WAIT = 60.0

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
    return check_positive_int("workers", workers, f"pass e.g. --workers {default_workers()} (the CPUs "
                              "available here); --workers 1 runs everything in this process")


def check_picklable(name: str, value: Any, fix: str) -> bytes:
    """Pickle ``value`` or raise an error naming it (lambdas and closures cannot be sent).

    Args:
        name: The argument's name.
        value: The object to send to workers.
        fix: What to do instead.

    Returns:
        The pickled bytes.

    Raises:
        InvalidArgumentError: ``value`` cannot be pickled.
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
        >>> from hybridxai.runs.execution import SerialExecutor
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


def _process_unit(folder: str, seq: int, threads: int, fn: Callable[[Any, Any], Any],
                  item: Any) -> tuple[bool, Any, str | None]:
    """Run one unit in a worker: mark it started, load the call's shared context once, run it."""
    global _WORKER_SHARED
    try:
        with open(os.path.join(folder, f"started-{seq}"), "wb"):
            pass  # if this worker dies now, the parent knows the unit was running
        if _WORKER_SHARED is None or _WORKER_SHARED[0] != folder:
            _WORKER_SHARED = None  # free the previous call's context first
            with open(os.path.join(folder, "shared.pkl"), "rb") as fh:
                _WORKER_SHARED = (folder, pickle.load(fh))
    except Exception as exc:  # noqa: BLE001
        return False, f"could not load the shared context: {error_summary(exc)}", traceback.format_exc()
    return run_unit(fn, _WORKER_SHARED[1], item, threads)


# --- parent side ---------------------------------------------------------------------------------


class _ProcessSession(Session):
    """Units in a process pool; a broken pool is restarted and only the culprit loses attempts.

    Queues: ``_waiting`` (run in parallel as the pool takes them) and ``_alone`` (units that were
    running when a worker died, and units known to kill their worker: each runs with nothing else
    in the pool, so a death is that unit's fault).
    """

    def __init__(self, executor: ProcessExecutor, fn: Callable[[Any, Any], Any], shared: Any) -> None:
        fix = "make the unit function a module-level function and the shared context picklable"
        check_picklable("fn", fn, fix)
        payload = check_picklable("shared", shared, fix)
        self._executor, self._fn = executor, fn
        # a unique name: workers keep a call's context, keyed by it, until the next call
        self._folder = tempfile.mkdtemp(prefix=f"hybridxai-shared-{uuid.uuid4().hex}-")
        with open(os.path.join(self._folder, "shared.pkl"), "wb") as fh:
            fh.write(payload)
        self._seq = itertools.count()
        self._running: dict[Future[Any], tuple[int, Any, int]] = {}
        self._waiting: deque[tuple[int, Any]] = deque()
        self._alone: deque[tuple[int, Any]] = deque()
        self._solo: Future[Any] | None = None  # the unit running alone, if one is
        self._killers: set[int] = set()  # units whose worker died under them: they run alone
        self._finished: deque[tuple[int, bool, Any, str | None]] = deque()
        self._idle_restarts = 0
        self._given_up: str | None = None

    def submit(self, index: int, item: Any) -> None:
        (self._alone if index in self._killers else self._waiting).append((index, item))
        self._pump()

    def next_done(self) -> tuple[int, bool, Any, str | None]:
        while not self._finished:
            self._pump()
            if self._finished:
                break
            if not self._running:
                raise RuntimeError("next_done() called with no unit submitted")
            done, _ = wait(list(self._running), return_when=FIRST_COMPLETED)
            self._collect(done)
        return self._finished.popleft()

    def close(self) -> None:
        for future in self._running:
            if not future.cancel():
                self._executor._abandoned = True  # still running: stop the workers on close()
        self._running.clear()
        self._waiting.clear()
        self._alone.clear()
        shutil.rmtree(self._folder, ignore_errors=True)

    # -- internals --------------------------------------------------------------------------------

    def _pump(self) -> None:
        """Hand queued units to the pool, as far as the isolation rules allow."""
        if self._given_up is not None:
            for index, _ in (*self._alone, *self._waiting):
                self._finished.append((index, False, self._given_up, None))
            self._alone.clear()
            self._waiting.clear()
            return
        if self._solo is not None:
            return  # a unit runs alone: nothing joins it
        if self._alone:
            if not self._running:  # wait until the pool is empty, then run the next one alone
                unit = self._alone.popleft()
                self._solo = self._start(*unit)
                if self._solo is None:
                    self._alone.appendleft(unit)
            return
        while self._waiting:
            unit = self._waiting.popleft()
            if self._start(*unit) is None:
                self._waiting.appendleft(unit)
                return

    def _start(self, index: int, item: Any) -> Future[Any] | None:
        """Submit one unit; ``None`` if the pool turned out broken (the unit stays queued)."""
        args = (self._folder, next(self._seq), self._executor.threads, self._fn, item)
        try:
            future = self._executor._pool().submit(_process_unit, *args)
        except BrokenProcessPool:
            if self._running:  # they will report the break; handled then
                return None
            self._restart()  # broke with none of our units in it (e.g. a worker killed while idle)
            if self._given_up is not None:
                return None
            future = self._executor._pool().submit(_process_unit, *args)
        self._running[future] = (index, item, args[1])
        return future

    def _collect(self, done: set[Future[Any]]) -> None:
        """Record finished units; a broken pool is restarted and its units queued again."""
        crashed: list[tuple[int, Any, int]] = []
        for future in done:
            unit = self._running.pop(future)
            if future is self._solo:
                self._solo = None
            try:
                ok, value, details = future.result()
            except (BrokenProcessPool, CancelledError):
                crashed.append(unit)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. an item or result that cannot be pickled
                ok, value, details = False, error_summary(exc), None
            self._finished.append((unit[0], ok, value, details))
            self._idle_restarts = 0
        if crashed:
            self._recover(crashed)

    def _recover(self, crashed: list[tuple[int, Any, int]]) -> None:
        """The pool broke: restart it; blame a unit only if it was the one running."""
        # every unit still in the broken pool fails too: gather them all before restarting
        wait(list(self._running), timeout=_BROKEN_POOL_WAIT)
        for future, unit in list(self._running.items()):
            del self._running[future]
            try:
                ok, value, details = future.result(timeout=0)
            except Exception:  # noqa: BLE001 - broken, cancelled, or never reported
                crashed.append(unit)
            else:
                self._finished.append((unit[0], ok, value, details))
                self._idle_restarts = 0
        self._solo = None
        started = [u for u in crashed if os.path.exists(os.path.join(self._folder, f"started-{u[2]}"))]
        blamed = {seq for _, _, seq in started}
        innocent = [(index, item) for index, item, seq in crashed if seq not in blamed]
        self._waiting.extendleft(reversed(innocent))  # not started: run again first, attempt kept
        if len(started) == 1:  # it ran alone in the pool: its worker died with it
            index, item, _ = started[0]
            self._killers.add(index)  # its retries run alone too
            self._finished.append((index, False, "its worker process died while running it (killed "
                                   "for memory, or a crash in native code)", None))
            self._idle_restarts = 0
            self._executor._pool(restart=True)
            return
        self._alone.extend((index, item) for index, item, _ in started)  # find the culprit
        self._restart()

    def _restart(self) -> None:
        """Start a fresh pool, unless the pool broke too often in a row without any progress."""
        self._idle_restarts += 1
        if self._idle_restarts > MAX_IDLE_RESTARTS:
            self._given_up = (f"the worker processes died {self._idle_restarts} times in a row "
                              "without finishing any unit (a broken installation, too little "
                              "memory for one worker?); try --workers 1 to see the error")
            return
        self._executor._pool(restart=True)


class ProcessExecutor(Executor):
    """Runs units in a pool of local worker processes (the default for dataset-scale runs).

    Args:
        workers: Number of processes (default :func:`default_workers`).
        threads: Threads for torch/numba/BLAS in each worker (default 1).
        retries: Extra attempts for a failed unit (default 2). When a worker process dies
            (killed for memory, a crash in native code), the pool is restarted and the units
            that were running are run again one at a time: only the unit whose worker dies
            while it runs alone loses an attempt; the others lose none.

    Example:
        >>> with ProcessExecutor(workers=2) as executor:   # fn(shared, item) = pow(2, item)
        ...     outcomes = list(executor.map_unordered(pow, [1, 2, 3], shared=2))
        >>> sorted((outcome.item, outcome.value, outcome.ok) for outcome in outcomes)
        [(1, 2, True), (2, 4, True), (3, 8, True)]
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
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"))
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
