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
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai._util.jit import row_major, serial_and_parallel

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


def _padded(rows: int, n: int, pad: int, offset: int, dtype: type, tail: int | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    # rows of n values, n + pad apart, offset values into a NaN-filled buffer that ends
    # ``tail`` values after the last row's n values (default: after its padding)
    stride = n + pad
    end = offset + rows * stride - pad + (pad if tail is None else tail)
    buffer = np.full(end, np.nan, dtype=dtype)
    a = np.lib.stride_tricks.as_strided(buffer[offset:], shape=(rows, n),
                                        strides=(stride * buffer.itemsize, buffer.itemsize))
    return buffer, a


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 6), n=st.integers(1, 40), pad=st.integers(0, 9),
       offset=st.integers(0, 7), single=st.booleans())
def test_row_major_sees_padded_rows_contiguously(rows: int, n: int, pad: int, offset: int,
                                                 single: bool) -> None:
    buffer, a = _padded(rows, n, pad, offset, np.float32 if single else np.float64)
    a[...] = np.arange(rows * n).reshape(rows, n)
    view = row_major(a)
    assert view.flags.c_contiguous and view.dtype == a.dtype
    # a single row, or rows without padding, are C-contiguous already: returned as they are
    assert view.shape == (rows, n + pad if rows > 1 and pad else n)
    np.testing.assert_array_equal(view[:, :n], a)
    view[:, :n] += 1.0  # the same memory, writable
    np.testing.assert_array_equal(a, np.arange(rows * n).reshape(rows, n) + 1.0)
    assert np.isnan(view[:, n:]).all()  # the padding, untouched


@pytest.mark.parametrize("case", ["last row's padding outside the buffer", "strided elements",
                                  "one dimension"])
def test_row_major_leaves_other_arrays_alone(case: str) -> None:
    if case == "last row's padding outside the buffer":
        _, a = _padded(3, 5, 4, 1, np.float64, tail=2)
    elif case == "strided elements":
        a = np.zeros((4, 6))[:, ::2]
    else:
        a = np.zeros(8)
    assert row_major(a) is a
