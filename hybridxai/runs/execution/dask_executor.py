"""An executor on a Dask distributed cluster (``pip install 'hybridxai[dask]'``).

Connect to a running scheduler (``dask scheduler`` on one machine, ``dask worker ADDRESS`` on
each of the others) with ``DaskExecutor("tcp://host:8786")``, reuse a ``dask.distributed.Client``
with ``DaskExecutor(client=client)``, or start a cluster of local processes with
``DaskExecutor()``. The shared context of each :meth:`~hybridxai.runs.execution.Executor.map_unordered`
call is scattered to every worker once (``broadcast=True``), not pickled with each unit. The
workers need hybridxai installed, and the data the units read must be in the shared context or
reachable from every worker.

A call waits up to ``worker_timeout`` seconds for a first worker, and raises
:class:`~hybridxai.exceptions.ServiceUnavailableError` if the cluster has none, or if it loses
all of them during the call and gets none back within ``worker_timeout`` (the outcomes yielded
before stay valid).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from hybridxai._util.optional import import_optional
from hybridxai.exceptions import ServiceUnavailableError, invalid_argument, invalid_type
from hybridxai.runs.execution.base import Executor, Session, error_summary, run_unit
from hybridxai.runs.execution.local import check_picklable, check_workers, default_workers
from hybridxai.runs.execution.scheduler import check_address, probe_scheduler

__all__ = ["DaskExecutor"]


class _DaskSession(Session):
    def __init__(self, executor: DaskExecutor, fn: Callable[[Any, Any], Any], shared: Any) -> None:
        self._distributed = import_optional("distributed", "dask", "running on a Dask cluster")
        fix = "make the unit function a module-level function and the shared context picklable"
        check_picklable("fn", fn, fix)
        check_picklable("shared", shared, fix)
        self._executor, self._client = executor, executor.client
        self._fn, self._threads = fn, executor.threads
        self._running: dict[str, tuple[Any, int]] = {}
        self._value: Any = shared
        self._shared: Any = None  # the scattered context
        executor.wait_for_workers()
        self._scatter()

    def _scatter(self) -> None:
        """Send the shared context to every worker (again, if the workers holding it left)."""
        if self._shared is not None:
            self._shared.release()
            self._shared = None
        try:
            # a list of one: scatter would split a dict or list into one future per element
            [self._shared] = self._client.scatter([self._value], broadcast=True, hash=False)
        except TimeoutError as exc:  # the workers left again since wait_for_workers
            raise self._executor._no_workers(f"({error_summary(exc)})") from exc

    def submit(self, index: int, item: Any) -> None:
        if self._shared.status != "finished":  # lost with the last worker that held it
            self._executor.wait_for_workers()
            self._scatter()
        future = self._client.submit(run_unit, self._fn, self._shared, item, self._threads,
                                     key=f"hybridxai-unit-{uuid.uuid4().hex}", pure=False)
        self._running[future.key] = (future, index)

    def next_done(self) -> tuple[int, bool, Any, str | None]:
        poll = min(1.0, self._executor.worker_timeout / 4)
        alone_since: float | None = None  # since when the cluster has had no worker
        while True:
            future = next((f for f, _ in self._running.values() if f.done()), None)
            if future is not None:
                break
            try:
                self._distributed.wait([f for f, _ in self._running.values()], timeout=poll,
                                       return_when="FIRST_COMPLETED")
                continue
            except TimeoutError:
                pass
            except Exception:  # noqa: BLE001 - e.g. cancelled futures: found done above
                continue
            if self._executor.worker_count() > 0:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since >= self._executor.worker_timeout:
                raise self._executor._no_workers(
                    f"(it lost all of them and none came back within {self._executor.worker_timeout:g} s; "
                    f"{len(self._running)} unit(s) had not finished)")
        _, index = self._running.pop(future.key)
        if future.status == "finished":
            ok, value, details = future.result()
        else:  # the task itself failed: a lost worker (KilledWorker), a result that cannot be sent ...
            if future.status == "cancelled" and self._executor.worker_count() == 0:
                # its input went with the last worker: go on only if a worker comes back
                self._executor.wait_for_workers(f"(it lost all of them and none came back within "
                                                f"{self._executor.worker_timeout:g} s; "
                                                f"{len(self._running) + 1} unit(s) had not finished)")
            try:
                summary = error_summary(future.exception())
            except Exception as exc:  # noqa: BLE001 - e.g. CancelledError when the scheduler is lost
                summary = error_summary(exc)
            ok, value, details = False, summary, None
        future.release()
        return index, ok, value, details

    def close(self) -> None:
        futures = [future for future, _ in self._running.values()]
        self._running.clear()
        if futures:
            self._client.cancel(futures)
        if self._shared is not None:
            self._shared.release()
            self._shared = None


class DaskExecutor(Executor):
    """Runs units on a Dask distributed cluster.

    Args:
        address: Address of a running scheduler (``"tcp://host:8786"``); ``None`` starts a
            ``LocalCluster`` of ``workers`` processes (one thread each) for this executor.
        client: An existing ``dask.distributed.Client`` to use instead (left open on close).
        workers: Processes of the ``LocalCluster`` started when neither ``address`` nor
            ``client`` is given (default :func:`~hybridxai.runs.execution.local.default_workers`).
        threads: Threads for torch/numba/BLAS while a unit runs (default 1).
        retries: Extra attempts for a failed unit (default 2).
        timeout: Seconds to wait for the scheduler before giving up (default 5).
        worker_timeout: Seconds a :meth:`map_unordered` call waits for a worker when the
            cluster has none, at its start or after losing all of them, before raising
            :class:`~hybridxai.exceptions.ServiceUnavailableError` (default 30).

    Raises:
        MissingDependencyError: dask[distributed] is not installed.
        InvalidArgumentError: A malformed address, or both ``address`` and ``client``.
        ServiceUnavailableError: No scheduler answered at ``address`` within ``timeout``.

    Example:
        >>> with DaskExecutor("tcp://10.0.0.5:8786") as executor:                # doctest: +SKIP
        ...     results = [o.value for o in executor.map_unordered(work, items, shared=context)]
    """

    def __init__(self, address: str | None = None, *, client: Any = None, workers: int | None = None,
                 threads: int = 1, retries: int = 2, timeout: float = 5.0,
                 worker_timeout: float = 30.0) -> None:
        super().__init__(threads=threads, retries=retries)
        if address is not None and client is not None:
            raise invalid_argument("client", client, "cannot be combined with an address",
                                   "pass either address= or client=")
        if address is not None:
            address = check_address(address)
        for name, seconds in (("timeout", timeout), ("worker_timeout", worker_timeout)):
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                    seconds > 0 and math.isfinite(seconds)):
                raise invalid_argument(name, seconds, "must be a positive number of seconds",
                                       f"pass e.g. {name}=5")
        self.worker_timeout = float(worker_timeout)
        if workers is not None:
            check_workers(workers)
            if address is not None or client is not None:
                raise invalid_argument("workers", workers, "only sizes a LocalCluster started here",
                                       "leave workers out when connecting to a scheduler; start "
                                       "more 'dask worker' processes instead")
        distributed = import_optional("distributed", "dask", "running on a Dask cluster (--scheduler)")
        self._cluster: Any = None
        self._owns_client = client is None
        if client is not None:
            if not isinstance(client, distributed.Client):
                raise invalid_type("client", client, "a dask.distributed.Client",
                                   "pass Client(address), or address= alone")
            self.client = client
        elif address is not None:
            # a server that is not a Dask scheduler makes Client read garbage as a frame length
            # (an exabyte allocation) or wait forever: check the greeting first
            probe_scheduler(address, timeout)
            try:
                self.client = distributed.Client(address, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise ServiceUnavailableError(
                    f"no Dask scheduler answered at {address} within {timeout:g} s "
                    f"({error_summary(exc)}). Fix: start one with 'dask scheduler' (and workers "
                    f"with 'dask worker {address}'), check the address and firewall, or drop "
                    "--scheduler to use local processes."
                ) from exc
        else:
            self._cluster = distributed.LocalCluster(
                n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                dashboard_address=":0",
            )
            self.client = distributed.Client(self._cluster, timeout=timeout)

    @property
    def workers(self) -> int:
        """Number of worker threads the scheduler currently knows (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def worker_count(self) -> int:
        """How many workers the scheduler knows now (0 if it cannot be asked).

        Returns:
            The number of connected workers.
        """
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 - a lost scheduler: no worker either
            return 0

    def wait_for_workers(self, detail: str | None = None) -> None:
        """Wait up to ``worker_timeout`` seconds until the cluster has a worker.

        Args:
            detail: What the error says happened (default: none within ``worker_timeout``).

        Raises:
            ServiceUnavailableError: Still none after ``worker_timeout`` seconds.
        """
        try:
            self.client.wait_for_workers(1, timeout=self.worker_timeout)
        except TimeoutError as exc:
            raise self._no_workers(detail or f"within {self.worker_timeout:g} s") from exc

    def _no_workers(self, detail: str) -> ServiceUnavailableError:
        address = self.client.scheduler.address
        return ServiceUnavailableError(
            f"the Dask cluster at {address} has no worker {detail}. Fix: start workers with "
            f"'dask worker {address}' (they need hybridxai installed), raise worker_timeout if "
            "they take longer to start, or drop --scheduler to use local processes; a rerun "
            "resumes where this one stopped."
        )

    def describe(self) -> str:
        """``"Dask cluster at <address>"``."""
        return f"Dask cluster at {self.client.scheduler.address}"

    def _open(self, fn: Callable[[Any, Any], Any], shared: Any) -> Session:
        return _DaskSession(self, fn, shared)

    def close(self) -> None:
        """Close the client and the ``LocalCluster`` this executor started (not a given client)."""
        if self._owns_client and self.client.status not in ("closing", "closed"):
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
