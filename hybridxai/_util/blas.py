"""Scoped limits on the BLAS thread pools (numpy's and scipy's OpenBLAS).

hybridxai's dense linear algebra is small (a ``650×49`` Gram matrix, ``650²`` matrix–vector
products, tall thin eigensolver blocks): a second BLAS thread gains nothing on it. It also costs
a lot on a small machine: after each call OpenBLAS keeps its worker threads *busy-waiting* for
about 0.1 s, and on 2 cores such a spinning thread halves the speed of whatever runs next on the
other core — the annealer's read threads, or torch's convolutions in the next forward pass
(measured: the "sa" anneal of a 589-variable QUBO took 17 ms instead of 9 ms when the energy
evaluation of the call before, an ``8×589`` by ``589×589`` product, had used two threads;
docs/benchmarks.md). :func:`blas_threads` runs a block with
one BLAS thread and restores the user's setting afterwards.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["blas_threads"]

_lock = threading.Lock()
_controller: Any = None
_modules_at_scan = -1


def _blas_controller() -> Any:
    """The BLAS libraries loaded now (a scan of the loaded libraries costs ~1.4 ms).

    The scan is repeated only when modules were imported since the last one: an import such as
    ``qiskit_aer`` can load a second OpenBLAS, which must be limited too.
    Returns ``None`` when ``threadpoolctl`` is missing, so limiting becomes a no-op.
    """
    global _controller, _modules_at_scan
    with _lock:
        if _controller is None or (_controller is not False and len(sys.modules) != _modules_at_scan):
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # pragma: no cover - a declared dependency
                _controller = False
            else:
                import numpy  # noqa: F401  - make sure the BLAS libraries are loaded
                import scipy.linalg  # noqa: F401

                _controller = ThreadpoolController().select(user_api="blas")
                _modules_at_scan = len(sys.modules)
        return _controller or None


@contextlib.contextmanager
def blas_threads(limit: int | None = 1) -> Iterator[None]:
    """Limit the BLAS libraries to ``limit`` threads inside the block.

    Costs about 20 µs per use (the libraries are found once per process). The limit is
    process-wide while the block runs, as with ``threadpoolctl.threadpool_limits``.

    Args:
        limit: Maximum number of BLAS threads, or ``None`` to leave them alone.

    Yields:
        Nothing.

    Example:
        >>> import numpy as np
        >>> with blas_threads(1):
        ...     float((np.ones((300, 300)) @ np.ones(300))[0])
        300.0
    """
    controller = _blas_controller() if limit is not None else None
    if controller is None:
        yield
        return
    with controller.limit(limits=limit):
        yield
