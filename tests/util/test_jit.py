"""The serial and threaded variants of a kernel keep separate numba caches.

Regression: both variants used to share one cache entry, so after a process had compiled (and
cached) the serial variant, every later process loaded that serial code for the "threaded"
name too. The check runs in fresh interpreters with a private ``NUMBA_CACHE_DIR``: the first
one compiles only the serial variant, the second calls only the threaded one and records which
numba threads ran its loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

from hybridxai._util.jit import serial_and_parallel

KERNELS = textwrap.dedent("""
    import numba
    import numpy as np

    from hybridxai._util.jit import serial_and_parallel


    def thread_ids(out):
        for i in numba.prange(out.shape[0]):
            acc = 0.0
            for j in range(20000):  # enough work per iteration for both threads to join
                acc += (i * j) % 7
            out[i] = numba.get_thread_id() + 0.0 * acc


    ids_serial, ids_parallel = serial_and_parallel(thread_ids)
""")

CALL = textwrap.dedent("""
    import sys
    import numpy as np
    import numba
    sys.path.insert(0, {folder!r})
    import kernels_under_test as k
    out = np.zeros(4096)
    getattr(k, {name!r})(out)
    print(len(set(out.astype(int).tolist())))
""")


def _run(folder: Path, name: str) -> int:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder / "cache"), "NUMBA_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", CALL.format(folder=str(folder), name=name)],
                          capture_output=True, text=True, env=env, timeout=300, check=True)
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to see two threads")
def test_threaded_variant_is_not_served_the_serial_cache(tmp_path: Path) -> None:
    (tmp_path / "kernels_under_test.py").write_text(KERNELS)
    assert _run(tmp_path, "ids_serial") == 1  # compiled and cached first
    assert _run(tmp_path, "ids_parallel") == 2  # a fresh process: its own compilation
    assert _run(tmp_path, "ids_parallel") == 2  # and its own cache entry, loaded
    caches = sorted(p.name for p in (tmp_path / "cache").rglob("*.nbi"))
    assert any("serial" in name for name in caches) and any("parallel" in name for name in caches)


def test_variants_compute_the_same() -> None:
    def total(x):  # noqa: ANN001, ANN202
        acc = 0.0
        for i in numba.prange(x.shape[0]):
            acc += x[i] * x[i]
        return acc

    serial, parallel = serial_and_parallel(total, cache=False, fastmath=True)
    x = np.random.default_rng(0).standard_normal(1000)
    assert serial(x) == pytest.approx(parallel(x)) == pytest.approx(float(x @ x))
    assert serial.targetoptions["parallel"] is False
    assert parallel.targetoptions["parallel"] is True


def test_threads_respond_decides_the_operator_kernels(monkeypatch) -> None:
    import dimod

    from hybridxai._util import jit
    from hybridxai.anneal import operators

    bqm = dimod.BinaryQuadraticModel({i: -1.0 + 0.1 * i for i in range(14)}, {(0, 1): 0.5}, 0.0,
                                     "BINARY")
    assert operators.PARALLEL_MIN_QUBITS <= 14
    # a machine where every region is "slow" (the busy case): serial kernels
    monkeypatch.setattr(jit, "REGION_SECONDS", 0.0)
    assert jit.threads_respond() is False
    assert operators.AnnealingOperator.from_bqm(bqm).threaded is False
    # one numba thread: serial without probing
    monkeypatch.setattr(jit, "REGION_SECONDS", 1.0)
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)
    assert jit.threads_respond() is False
    monkeypatch.undo()
    # the decision only changes the rounding, never the product
    v = np.random.default_rng(0).standard_normal(2**14)
    fast, slow = (operators.AnnealingOperator.from_bqm(bqm) for _ in range(2))
    object.__setattr__(slow, "threaded", False)  # cached_property's slot, set by hand
    object.__setattr__(fast, "threaded", True)
    np.testing.assert_allclose(fast.matvec(0.4, v), slow.matvec(0.4, v), rtol=1e-12, atol=1e-12)
