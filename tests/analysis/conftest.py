"""Analysis tests run their dense references with single-threaded BLAS (see blas_threads)."""

from __future__ import annotations

import pytest

from hybridxai.anneal.eigensolvers import blas_threads


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    with blas_threads(1):
        yield
