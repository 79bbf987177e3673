"""The executor interface: run work units, retry the ones that fail, never drop one.

A *work unit* is a call ``fn(shared, item)``: ``fn`` is a module-level function (so it can be
sent to other processes by reference), ``shared`` is the large read-only context every unit
needs (a model, the images, the settings) and is sent to each worker once per
:meth:`Executor.map_unordered` call, ``item`` is the small description of one unit (e.g. the
image positions of a batch).

:meth:`Executor.map_unordered` yields one :class:`UnitOutcome` per item, in completion order.
A unit that raises is resubmitted up to ``retries`` times; if it still fails, its outcome
carries the error instead of a value. Callers decide what to do with failures
(:class:`UnitsFailedError` is the error to raise once the other units are done).
"""

from __future__ import annotations

import logging
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import HybridXAIError
from hybridxai.runs.execution.threads import pin_threads

__all__ = ["Executor", "UnitOutcome", "UnitsFailedError", "Session", "run_unit", "error_summary"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("hybridxai.runs.execution")


@dataclass(frozen=True)
class UnitOutcome(Generic[T, R]):
    """What became of one work unit.

    Attributes:
        item: The unit's item, as passed to :meth:`Executor.map_unordered`.
        value: ``fn(shared, item)`` if the unit succeeded, else ``None``.
        error: ``None`` on success; else a one-line description of the last failure
            (``"ValueError: ..."``).
        details: The full traceback of the last failure (``None`` on success).
        attempts: How many times the unit was run.
    """

    item: T
    value: R | None
    error: str | None = None
    details: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """Whether the unit succeeded."""
        return self.error is None


class UnitsFailedError(HybridXAIError, RuntimeError):
    """Some work units still failed after their retries; the others' results were kept.

    Attributes:
        failures: Descriptions of the failed units (what the caller chose to report).
    """

    def __init__(self, message: str, failures: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.failures = list(failures)


def error_summary(exc: BaseException) -> str:
    """One line naming an exception: ``"ValueError: bad value"`` (first line of the message).

    Args:
        exc: The exception.

    Returns:
        The summary.
    """
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_unit(fn: Callable[[Any, Any], Any], shared: Any, item: Any,
             threads: int | None = None) -> tuple[bool, Any, str | None]:
    """Run one unit, turning an exception into data (so it crosses process boundaries safely).

    This is what every executor runs for a unit: in a worker (local process or Dask), with
    ``threads`` given, it first pins torch, numba and BLAS to that many threads (see
    :func:`~hybridxai.runs.execution.threads.pin_threads`), so results are identical everywhere.

    Args:
        fn: The unit function.
        shared: The shared context.
        item: The unit's item.
        threads: Threads to pin this process to first (worker processes, which belong to the
            executor); ``None`` leaves the settings alone (the caller has pinned them).

    Returns:
        ``(True, value, None)`` on success, ``(False, summary, traceback text)`` on failure.
    """
    try:
        if threads is not None:
            pin_threads(threads)
        return True, fn(shared, item), None
    except Exception as exc:  # noqa: BLE001 - every failure of a unit is reported, none is fatal
        return False, error_summary(exc), traceback.format_exc()


class Session(ABC):
    """One :meth:`Executor.map_unordered` call in progress: submit units, collect finished ones."""

    @abstractmethod
    def submit(self, index: int, item: Any) -> None:
        """Start (or queue) a unit; called again with the same index to retry a failed unit.

        Args:
            index: The unit's position in the call's items (identifies it in :meth:`next_done`).
            item: The unit's item.
        """

    @abstractmethod
    def next_done(self) -> tuple[int, bool, Any, str | None]:
        """Wait until a submitted unit has finished (or failed) and hand back its result.

        Only called while at least one submitted unit has not been handed back.

        Returns:
            ``(index, ok, value, details)``: the unit's index; ``ok`` and the unit's return value,
            or ``ok=False``, a one-line error summary and the traceback text (``None`` when the
            unit did not get as far as raising, e.g. its worker died).

        Raises:
            ServiceUnavailableError: The units can no longer run at all (e.g. a Dask cluster
                lost all its workers); the outcomes handed back before stay valid.
        """

    @abstractmethod
    def close(self) -> None:
        """Cancel the units not handed back yet and release the shared context."""


class Executor(ABC):
    """Runs work units somewhere (this process, local processes, a Dask cluster).

    Executors are context managers; :meth:`close` releases workers the executor started.

    Args:
        threads: Threads given to torch, numba and BLAS while a unit runs (default 1, the same
            on every executor so results are bit-identical wherever a unit ran).
        retries: How many times a failed unit is run again before it is reported (default 2).
    """

    def __init__(self, *, threads: int = 1, retries: int = 2) -> None:
        self.threads = check_positive_int(
            "threads", threads, "pass threads=1 (the default; identical results on every executor)")
        self.retries = check_positive_int("retries", retries, "pass e.g. retries=2 (0 turns retrying off)",
                                          minimum=0)

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many units can run at once."""

    @abstractmethod
    def describe(self) -> str:
        """A short description for progress messages (``"2 local processes"``)."""

    @abstractmethod
    def _open(self, fn: Callable[[Any, T], R], shared: Any) -> Session:
        """Start a session: make ``shared`` available to the workers once."""

    def map_unordered(
        self, fn: Callable[[Any, T], R], items: Iterable[T], *, shared: Any = None
    ) -> Iterator[UnitOutcome[T, R]]:
        """Run ``fn(shared, item)`` for every item; yield outcomes as units finish.

        Failed units are run again (up to ``retries`` times, after the units already queued);
        a unit that still fails is yielded with ``error`` set, never dropped. Closing the
        iterator early (or an exception in the consumer) cancels the units not yet finished.

        Args:
            fn: A module-level function ``fn(shared, item) -> result`` (picklable by reference
                for the process and Dask executors).
            items: The units' items (small, picklable).
            shared: Read-only context of every unit, sent once to each worker.

        Yields:
            One :class:`UnitOutcome` per item, in completion order.

        Raises:
            InvalidArgumentError: ``fn`` or ``shared`` cannot be sent to the workers.
            ServiceUnavailableError: A Dask cluster has no worker (or lost all of them) for
                longer than its ``worker_timeout``; the outcomes yielded before stay valid.
        """
        todo = list(items)
        if not todo:
            return
        session = self._open(fn, shared)
        try:
            attempts = [1] * len(todo)
            for index, item in enumerate(todo):
                session.submit(index, item)
            remaining = len(todo)
            while remaining:
                index, ok, value, details = session.next_done()
                if ok:
                    yield UnitOutcome(todo[index], value, attempts=attempts[index])
                    remaining -= 1
                elif attempts[index] <= self.retries:
                    log.warning("unit %s failed (attempt %d of %d), retrying: %s", todo[index],
                                attempts[index], self.retries + 1, value)
                    attempts[index] += 1
                    session.submit(index, todo[index])
                else:
                    yield UnitOutcome(todo[index], None, value, details, attempts[index])
                    remaining -= 1
        finally:
            session.close()

    def close(self) -> None:
        """Release the workers this executor started (nothing for in-process executors)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}, threads={self.threads}, retries={self.retries}>"
