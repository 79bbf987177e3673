"""An executor on a Dask distributed cluster (``pip install 'hybridxai[dask]'``).

Connect to a running scheduler (``dask scheduler`` on one machine, ``dask worker ADDRESS`` on
each of the others) with ``DaskExecutor("tcp://host:8786")``, reuse a ``dask.distributed.Client``
with ``DaskExecutor(client=client)``, or start a cluster of local processes with
``DaskExecutor()``. The shared context of each :meth:`~hybridxai.execution.Executor.map_unordered`
call is scattered to every worker once (``broadcast=True``), not pickled with each unit. The
workers need hybridxai installed, and the data the units read must be in the shared context or
reachable from every worker.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from hybridxai._optional import import_optional
from hybridxai.exceptions import ServiceUnavailableError, invalid_argument, invalid_type
from hybridxai.execution.base import Executor, Session, error_summary, run_unit
from hybridxai.execution.local import check_picklable, check_workers, default_workers
from hybridxai.execution.threads import pin_threads

__all__ = ["DaskExecutor", "check_address"]

_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$")


def check_address(address: object) -> str:
    """Validate a scheduler address such as ``"tcp://10.0.0.5:8786"`` or ``"localhost:8786"``.

    Args:
        address: The address given by the user.

    Returns:
        It, as a ``str``.

    Raises:
        InvalidArgumentError: Not of the form ``[protocol://]host:port``.
    """
    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise invalid_argument("scheduler", address, "is not a Dask scheduler address",
                               "pass the address a running 'dask scheduler' prints, e.g. "
                               "--scheduler tcp://10.0.0.5:8786")
    return address.strip()


def _dask_unit(fn: Callable[[Any, Any], Any], shared: Any, item: Any,
               threads: int) -> tuple[bool, Any, str | None]:
    pin_threads(threads)
    return run_unit(fn, shared, item)


class _DaskSession(Session):
    def __init__(self, executor: DaskExecutor, fn: Callable[[Any, Any], Any], shared: Any) -> None:
        distributed = import_optional("distributed", "dask", "running on a Dask cluster")
        check_picklable("fn", fn, "make the unit function a module-level function")
        self._client = executor.client
        self._fn, self._threads = fn, executor.threads
        # a list of one: scatter would split a dict or list into one future per element
        [self._shared] = self._client.scatter([shared], broadcast=True, hash=False)
        self._completed = distributed.as_completed()
        self._running: dict[str, tuple[Any, int]] = {}

    def submit(self, index: int, item: Any) -> None:
        future = self._client.submit(_dask_unit, self._fn, self._shared, item, self._threads,
                                     key=f"hybridxai-unit-{uuid.uuid4().hex}", pure=False)
        self._running[future.key] = (future, index)
        self._completed.add(future)

    def next_done(self) -> tuple[int, bool, Any, str | None]:
        future = next(self._completed)
        _, index = self._running.pop(future.key)
        if future.status == "finished":
            ok, value, details = future.result()
        else:  # the task itself failed: a lost worker (KilledWorker), a result that cannot be sent ...
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
        self._completed.clear()
        if futures:
            self._client.cancel(futures)
        self._shared.release()


class DaskExecutor(Executor):
    """Runs units on a Dask distributed cluster.

    Args:
        address: Address of a running scheduler (``"tcp://host:8786"``); ``None`` starts a
            ``LocalCluster`` of ``workers`` processes (one thread each) for this executor.
        client: An existing ``dask.distributed.Client`` to use instead (left open on close).
        workers: Processes of the ``LocalCluster`` started when neither ``address`` nor
            ``client`` is given (default :func:`~hybridxai.execution.local.default_workers`).
        threads: Threads for torch/numba/BLAS while a unit runs (default 1).
        retries: Extra attempts for a failed unit (default 2).
        timeout: Seconds to wait for the scheduler before giving up (default 5).

    Raises:
        MissingDependencyError: dask[distributed] is not installed.
        InvalidArgumentError: A malformed address, or both ``address`` and ``client``.
        ServiceUnavailableError: No scheduler answered at ``address`` within ``timeout``.

    Example:
        >>> with DaskExecutor("tcp://10.0.0.5:8786") as executor:                # doctest: +SKIP
        ...     results = [o.value for o in executor.map_unordered(work, items, shared=context)]
    """

    def __init__(self, address: str | None = None, *, client: Any = None, workers: int | None = None,
                 threads: int = 1, retries: int = 2, timeout: float = 5.0) -> None:
        super().__init__(threads=threads, retries=retries)
        if address is not None and client is not None:
            raise invalid_argument("client", client, "cannot be combined with an address",
                                   "pass either address= or client=")
        if address is not None:
            address = check_address(address)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise invalid_argument("timeout", timeout, "must be a positive number of seconds",
                                   "pass e.g. timeout=5")
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
                dashboard_address=None,
            )
            self.client = distributed.Client(self._cluster, timeout=timeout)

    @property
    def workers(self) -> int:
        """Number of worker threads the scheduler currently knows (at least 1)."""
        info = self.client.scheduler_info()
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

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
