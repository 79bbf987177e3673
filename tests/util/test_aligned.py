"""Cache-line-aligned arrays for the kernels over 2**d amplitudes."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hybridxai._util.aligned import CACHE_LINE, aligned_copy, aligned_empty
from hybridxai.analysis import random_feature_qubo
from hybridxai.anneal.eigensolvers import DavidsonWorkspace, staggered_rows
from hybridxai.anneal.operators import AnnealingOperator


@given(st.lists(st.integers(0, 40), min_size=1, max_size=3),
       st.sampled_from([np.float64, np.float32, np.complex128, np.uint8]), st.booleans(),
       st.booleans())
def test_any_shape_and_type_starts_on_a_cache_line(shape, dtype, zero, huge_pages):
    a = aligned_empty(tuple(shape), dtype, zero=zero, huge_pages=huge_pages)
    assert a.shape == tuple(shape) and a.dtype == dtype and a.flags.c_contiguous
    assert a.size == 0 or a.ctypes.data % CACHE_LINE == 0  # (an empty view has no data)
    if zero or not huge_pages:  # a mapping of its own starts zero-filled
        assert not a.any()
    a[...] = 1  # the whole array is writable memory of its own
    assert a.sum() == a.size


def test_a_copy_keeps_the_values_and_casts():
    values = np.random.default_rng(0).standard_normal((3, 5))
    copy = aligned_copy(values)
    assert np.array_equal(copy, values) and copy.ctypes.data % CACHE_LINE == 0
    assert aligned_copy(values, np.float32).dtype == np.float32


def test_what_the_kernels_read_and_write_is_aligned():
    # glibc's mmap'd chunks put numpy's large arrays 16 bytes past a page, which cost the
    # product kernel 20 % at d = 24 (docs/benchmarks.md, fifteenth round)
    op = AnnealingOperator.from_bqm(random_feature_qubo(8, 0))
    assert op.diagonal.ctypes.data % CACHE_LINE == 0
    assert op.single_diagonal.ctypes.data % CACHE_LINE == 0
    for staggered in (False, True):
        workspace = DavidsonWorkspace(1 << 17, 5, 2, staggered=staggered)
        for rows in (workspace.basis, workspace.images, workspace.ritz, workspace.resid,
                     workspace.single_rows):
            assert all(row.ctypes.data % CACHE_LINE == 0 for row in rows)
    assert staggered_rows(3, 1 << 17, first_slot=5)[2].ctypes.data % CACHE_LINE == 0


def test_an_array_on_plain_pages_is_memory_of_its_own_until_dropped():
    import gc
    import weakref

    a = aligned_empty((3, 1000), np.float32, huge_pages=False)
    b = aligned_empty((3, 1000), np.float32, huge_pages=False)
    a[...] = 1.0
    assert not b.any() and a.flags.writeable and not np.shares_memory(a, b)
    mapping = weakref.ref(a.base.base if a.base.base is not None else a.base)
    del a
    gc.collect()
    assert mapping() is None  # the mapping goes with the last view of it
